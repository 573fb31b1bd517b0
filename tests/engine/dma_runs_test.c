// SPDX-License-Identifier: MIT
/*
 * DMA at memory speed (issue 11): the DMA unit moves runs of pages that are
 * contiguous in device-physical memory with one host call or memmove, and
 * polls abort by bytes moved. The result must be the page-by-page one:
 * random DMA programs over a scattered mapping (HBM runs, host runs,
 * unmapped and read-only pages, failing host pages, overlapping copies) run
 * on a tile whose host callbacks take runs (xpu_mem.host_runs), on one that
 * gets one page per call, and in a page-by-page reference model written
 * here; all three end with the same status, fault address and HBM, host
 * memory and SRAM contents, and the two tiles with identical records
 * (cycles, bytes).
 */
#include "kselftest_harness.h"
#include "xpu_test_util.h"
#include "xpu_host_copy.h"

#define RV		0x200000000ull		/* the scattered VA region */
#define RV_PAGES	1024
#define R_HBM		(T_DATA_DPA + (32ull << 20))	/* its HBM frames */
#define R_HBM_PAGES	1024
#define HOST_PAGES	(T_HOST_SIZE / 4096)

static uint8_t bad[HOST_PAGES];		/* host pages whose access fails */
static uint64_t calls;
static struct xpu_run_ctl *abort_ctl;	/* set abort at call abort_at */
static uint64_t abort_at;

/* the host page holding bus: its bytes from there, up to len; NULL for a
 * failing page (the call ends there, earlier pages have moved) */
static uint8_t *host_page(void *o, uint64_t bus, uint64_t len, uint64_t *n)
{
	struct tenv *e = o;
	uint64_t off = bus - T_HOST_BUS, c = 4096 - (bus & 4095);

	if (bus < T_HOST_BUS || off >= T_HOST_SIZE || bad[off / 4096])
		return NULL;
	*n = c < len ? c : len;
	return e->host + off;
}

static int host_rw(struct tenv *e, uint64_t bus, uint8_t *buf, uint64_t len, int wr)
{
	calls++;
	if (abort_ctl && calls == abort_at)
		__atomic_store_n(&abort_ctl->abort, 1, __ATOMIC_RELEASE);
	return xpu_host_copy(host_page, e, bus, buf, len, wr);
}

static int r_read(void *o, uint64_t bus, void *buf, uint64_t len)
{
	return host_rw(o, bus, buf, len, 0);
}

static int r_write(void *o, uint64_t bus, const void *buf, uint64_t len)
{
	return host_rw(o, bus, (uint8_t *)buf, len, 1);
}

FIXTURE(runs) {
	struct tenv *e;
	struct xpu_tile *page_tile, *run_tile;
};

FIXTURE_SETUP(runs)
{
	struct xpu_engine_config cfg = { .spad_bytes = 1 << 20, .acc_bytes = 256 << 10 };

	self->e = tenv_new(&cfg);
	ASSERT_NE(NULL, self->e);
	self->e->mem.host_read = r_read;
	self->e->mem.host_write = r_write;
	self->page_tile = xpu_tile_new(&cfg, &self->e->mem);
	self->e->mem.host_runs = 1;
	self->run_tile = xpu_tile_new(&cfg, &self->e->mem);
	ASSERT_NE(NULL, self->page_tile);
	ASSERT_NE(NULL, self->run_tile);
	xpu_tile_free(self->e->t);
	self->e->t = self->run_tile;
	memset(bad, 0, sizeof(bad));
	calls = 0;
	abort_ctl = NULL;
}

FIXTURE_TEARDOWN(runs)
{
	self->e->t = NULL;
	xpu_tile_free(self->page_tile);
	xpu_tile_free(self->run_tile);
	tenv_free(self->e);
}

/* the scattered mapping of RV: segments of 1..48 pages of each kind */
static int map_scattered(struct tenv *e, uint64_t *seed)
{
	uint64_t p = 0;

	while (p < RV_PAGES) {
		uint64_t n = 1 + trand(seed) % 48, kind = trand(seed) % 8, f;

		n = n < RV_PAGES - p ? n : RV_PAGES - p;
		if (kind == 0)
			continue;		/* unmapped: faults */
		if (kind <= 2) {		/* host frames */
			n = n < HOST_PAGES ? n : HOST_PAGES;
			f = trand(seed) % (HOST_PAGES - n + 1);
			if (xpu_pt_map(&e->pt, RV + p * 4096, XPU_DPA_HOST | (T_HOST_BUS + f * 4096),
				       n * 4096, XPU_PTE_READ | XPU_PTE_WRITE))
				return -1;
		} else {			/* HBM frames, 1 in 5 read-only */
			f = trand(seed) % (R_HBM_PAGES - n + 1);
			if (xpu_pt_map(&e->pt, RV + p * 4096, R_HBM + f * 4096, n * 4096,
				       kind == 7 ? XPU_PTE_READ : XPU_PTE_READ | XPU_PTE_WRITE))
				return -1;
		}
		p += n;
	}
	return 0;
}

struct snap {
	uint8_t hbm[R_HBM_PAGES * 4096];
	uint8_t host[T_HOST_SIZE];
	uint8_t spad[1 << 20];
	struct xpu_job_record rec;
};

static void take(struct tenv *e, struct snap *s)
{
	memcpy(s->hbm, e->hbm + R_HBM, sizeof(s->hbm));
	memcpy(s->host, e->host, sizeof(s->host));
	memcpy(s->spad, xpu_tile_sram(e->t, 0, sizeof(s->spad)), sizeof(s->spad));
	s->rec = e->rec;
}

static void put(struct tenv *e, const struct snap *s)
{
	memcpy(e->hbm + R_HBM, s->hbm, sizeof(s->hbm));
	memcpy(e->host, s->host, sizeof(s->host));
	memcpy(xpu_tile_sram(e->t, 0, sizeof(s->spad)), s->spad, sizeof(s->spad));
}

/*
 * The documented semantics, page piece by page piece (docs/isa.md): for
 * every row in order, pieces up to the nearer page end; translate the source
 * then the destination (a fault ends the DMA), then move the piece (host
 * memory through a bounce page; a failing host page is a DMA error).
 */
struct ref_res {
	uint32_t status, access;
	uint64_t va;
};

static int ref_xlate(struct tenv *e, uint64_t va, uint32_t access, uint8_t **p, uint64_t *bus,
		     struct ref_res *res)
{
	uint64_t pte = va >> XPU_VA_BITS ? 0 : xpu_pt_leaf(&e->pt, va);
	uint64_t need = access == XPU_ACCESS_WRITE ? XPU_PTE_WRITE : XPU_PTE_READ;
	uint64_t fr = pte & XPU_PTE_ADDR_MASK;

	if (!(pte & XPU_PTE_VALID) || !(pte & need)) {
		res->status = XPU_JOB_STATUS_MMU_FAULT;
		res->va = va;
		res->access = access;
		return -1;
	}
	*p = NULL;
	*bus = 0;
	if (pte & XPU_PTE_HOST)
		*bus = fr + (va & 4095);
	else
		*p = e->hbm + fr + (va & 4095);
	return 0;
}

static int ref_host(struct tenv *e, uint64_t bus, uint8_t *buf, uint64_t len, int wr,
		    struct ref_res *res)
{
	uint64_t off = bus - T_HOST_BUS;

	if (bus < T_HOST_BUS || off >= T_HOST_SIZE || bad[off / 4096]) {
		res->status = XPU_JOB_STATUS_DMA_ERROR;
		return -1;
	}
	if (wr)
		memcpy(e->host + off, buf, len);
	else
		memcpy(buf, e->host + off, len);
	return 0;
}

static struct ref_res ref_dma(struct tenv *e, uint8_t *spad, uint32_t f, uint64_t dst,
			      uint64_t src, uint64_t bytes, uint64_t rows, uint64_t ss, uint64_t ds)
{
	struct ref_res res = { 0, 0, 0 };
	uint8_t bounce[4096], *sp, *dp;
	uint64_t sb, db;

	if (!(f & XPU_DMA_2D))
		rows = 1, ss = ds = 0;
	f &= XPU_DMA_DIR_MASK;
	for (uint64_t r = 0; r < rows; r++) {
		uint64_t s0 = src + r * ss, d0 = dst + r * ds;

		for (uint64_t done = 0; done < bytes;) {
			uint64_t s = s0 + done, d = d0 + done, c = bytes - done;
			uint64_t cs = 4096 - (s & 4095), cd = 4096 - (d & 4095);

			if (f != XPU_DMA_LA_TO_VA && c > cs)
				c = cs;
			if (f != XPU_DMA_VA_TO_LA && c > cd)
				c = cd;
			if (f == XPU_DMA_LA_TO_VA) {
				sp = spad + s;
			} else if (ref_xlate(e, s, XPU_ACCESS_READ, &sp, &sb, &res)) {
				return res;
			}
			if (f == XPU_DMA_VA_TO_LA) {
				dp = spad + d;
			} else if (ref_xlate(e, d, XPU_ACCESS_WRITE, &dp, &db, &res)) {
				return res;
			}
			if (sp && dp) {
				memmove(dp, sp, c);
			} else if (dp) {
				if (ref_host(e, sb, bounce, c, 0, &res))
					return res;
				memcpy(dp, bounce, c);
			} else {
				if (!sp && ref_host(e, sb, bounce, c, 0, &res))
					return res;
				if (ref_host(e, db, sp ? sp : bounce, c, 1, &res))
					return res;
			}
			done += c;
		}
	}
	return res;
}

/* a random address: in RV (VA) or in the scratchpad (LA) */
static uint64_t rnd_addr(uint64_t *seed, int va, uint64_t extent)
{
	uint64_t room;

	if (va) {
		room = (uint64_t)RV_PAGES * 4096 > extent ? RV_PAGES * 4096ull - extent : 1;
		return RV + ((uint64_t)trand(seed) << 8 ^ trand(seed)) % room;
	}
	room = (1ull << 20) > extent ? (1ull << 20) - extent : 1;
	return ((uint64_t)trand(seed) << 8 ^ trand(seed)) % room;
}

TEST_F(runs, same_result_as_page_by_page)
{
	static struct snap before, paged, merged, ref;
	static uint8_t ref_spad[1 << 20];
	struct tenv *e = self->e;
	uint64_t seed = 11, ok = 0, faults = 0, dma_err = 0, fewer = 0;

	ASSERT_EQ(0, map_scattered(e, &seed));
	for (uint64_t i = 0; i < R_HBM_PAGES * 4096; i++)
		e->hbm[R_HBM + i] = (uint8_t)trand(&seed);
	for (uint64_t i = 0; i < T_HOST_SIZE; i++)
		e->host[i] = (uint8_t)trand(&seed);
	for (int i = 0; i < 8; i++)
		bad[trand(&seed) % HOST_PAGES] = 1;
	for (int it = 0; it < 160; it++) {
		static const uint32_t dirs[] = { XPU_DMA_VA_TO_VA, XPU_DMA_VA_TO_LA,
						 XPU_DMA_LA_TO_VA, XPU_DMA_VA_TO_VA };
		uint32_t f = dirs[trand(&seed) % 4], two_d = trand(&seed) % 3 == 0;
		uint64_t bytes = trand(&seed) % 4 == 0 ? 1 + trand(&seed) % 300
						       : 1 + trand(&seed) % (200 << 10);
		uint64_t rows = two_d ? 1 + trand(&seed) % 4 : 1;
		uint64_t ss = two_d ? bytes + trand(&seed) % 9000 : 0;
		uint64_t ds = two_d ? bytes - bytes / (1 + trand(&seed) % 4) : 0;
		uint64_t src, dst, c_paged, c_merged;
		uint32_t st;

		if (f == XPU_DMA_VA_TO_LA || f == XPU_DMA_LA_TO_VA)
			bytes = bytes % (100 << 10) + 1;
		src = rnd_addr(&seed, f != XPU_DMA_LA_TO_VA, rows * (ss + bytes));
		dst = rnd_addr(&seed, f != XPU_DMA_VA_TO_LA, rows * (ds + bytes));
		if (f == XPU_DMA_VA_TO_VA && trand(&seed) % 3 == 0)	/* overlap */
			dst = src + (int64_t)(trand(&seed) % 9000) - 4500;
		if (two_d)
			f |= XPU_DMA_2D;

		e->t = self->run_tile;
		take(e, &before);
		e->t = self->page_tile;
		put(e, &before);
		calls = 0;
		st = tdma(e, f, dst, src, bytes, rows, ss, ds);
		c_paged = calls;
		take(e, &paged);

		/* the reference, on the same memory images */
		put(e, &before);
		memcpy(ref_spad, before.spad, sizeof(ref_spad));
		struct ref_res rr = ref_dma(e, ref_spad, f, dst, src, bytes, rows, ss, ds);

		take(e, &ref);
		ASSERT_EQ(rr.status, st);
		if (st == XPU_JOB_STATUS_MMU_FAULT) {
			ASSERT_EQ(rr.va, paged.rec.fault_va);
			ASSERT_EQ(rr.access, paged.rec.fault_access);
		}
		ASSERT_EQ(0, memcmp(ref.hbm, paged.hbm, sizeof(ref.hbm)));
		ASSERT_EQ(0, memcmp(ref.host, paged.host, sizeof(ref.host)));
		ASSERT_EQ(0, memcmp(ref_spad, paged.spad, sizeof(ref_spad)));

		e->t = self->run_tile;
		put(e, &before);
		calls = 0;
		ASSERT_EQ(st, tdma(e, f, dst, src, bytes, rows, ss, ds));
		c_merged = calls;
		take(e, &merged);

		ASSERT_EQ(paged.rec.status, merged.rec.status);
		ASSERT_EQ(paged.rec.fault_va, merged.rec.fault_va);
		ASSERT_EQ(paged.rec.fault_access, merged.rec.fault_access);
		ASSERT_EQ(paged.rec.cycles, merged.rec.cycles);
		ASSERT_EQ(paged.rec.dma_bytes, merged.rec.dma_bytes);
		ASSERT_EQ(paged.rec.retired, merged.rec.retired);
		ASSERT_EQ(0, memcmp(paged.hbm, merged.hbm, sizeof(paged.hbm)));
		ASSERT_EQ(0, memcmp(paged.host, merged.host, sizeof(paged.host)));
		ASSERT_EQ(0, memcmp(paged.spad, merged.spad, sizeof(paged.spad)));
		ASSERT_LE(c_merged, c_paged);
		fewer += c_merged < c_paged;
		ok += st == XPU_JOB_STATUS_OK;
		faults += st == XPU_JOB_STATUS_MMU_FAULT;
		dma_err += st == XPU_JOB_STATUS_DMA_ERROR;
	}
	/* every outcome was exercised, and merging saved host calls */
	EXPECT_GE(ok, 10);
	EXPECT_GE(faults, 10);
	EXPECT_GE(dma_err, 3);
	EXPECT_GE(fewer, 10);
}

/* contiguous host memory: one host call per MiB instead of one per page */
TEST_F(runs, contiguous_host_pages_merge)
{
	struct tenv *e = self->e;
	const uint64_t hv = 0x300000000ull;

	ASSERT_EQ(0, xpu_pt_map(&e->pt, hv, XPU_DPA_HOST | T_HOST_BUS, T_HOST_SIZE,
				XPU_PTE_READ | XPU_PTE_WRITE));
	for (uint64_t i = 0; i < T_HOST_SIZE; i++)
		e->host[i] = (uint8_t)(i * 13 + 1);
	calls = 0;
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA, T_DATA_VA, hv, T_HOST_SIZE, 1, 0, 0));
	EXPECT_EQ(1, calls);
	EXPECT_EQ(0, memcmp(tva(e, T_DATA_VA), e->host, T_HOST_SIZE));
	memset(e->host, 0, T_HOST_SIZE);
	calls = 0;
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA, hv + 1, T_DATA_VA, T_HOST_SIZE - 1, 1, 0, 0));
	EXPECT_EQ(1, calls);
	EXPECT_EQ(0, memcmp(e->host + 1, tva(e, T_DATA_VA), T_HOST_SIZE - 1));
	/* the same tile without runs: one call per page */
	e->t = self->page_tile;
	calls = 0;
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA, SPAD, hv, 64 << 10, 1, 0, 0));
	EXPECT_EQ(16, calls);
}

/*
 * Abort is polled by bytes moved, not per row: rows of a MiB each (about
 * 0.1 ms at memory speed) stop within one MiB of STOP, and a long row
 * publishes progress every MiB.
 */
TEST_F(runs, abort_polled_by_bytes)
{
	struct tenv *e = self->e;
	const uint64_t hv = 0x300000000ull;

	ASSERT_EQ(0, xpu_pt_map(&e->pt, hv, XPU_DPA_HOST | T_HOST_BUS, T_HOST_SIZE,
				XPU_PTE_READ | XPU_PTE_WRITE));
	/* 16 rows of 1 MiB host -> HBM (source stride 0): abort in the 3rd */
	abort_ctl = &e->ctl;
	abort_at = 3;
	calls = 0;
	EXPECT_EQ(XPU_JOB_STATUS_ABORTED,
		  tdma(e, XPU_DMA_VA_TO_VA | XPU_DMA_2D, T_DATA_VA, hv, T_HOST_SIZE, 16, 0,
		       T_HOST_SIZE));
	EXPECT_EQ(3, calls);
	abort_ctl = NULL;
	e->ctl.abort = 0;
	/* one row of 20 MiB HBM -> HBM: progress moves at least once per MiB */
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA, T_DATA_VA + (20 << 20), T_DATA_VA, 20 << 20, 1, 0,
			  0));
	EXPECT_GE(e->ctl.work, 1 + 19);
}

/* a long SRAM to SRAM row moves in MiB chunks, overlapping either way */
TEST_F(runs, long_sram_row_in_chunks)
{
	struct tenv *e = self->e;
	struct xpu_tile *big = xpu_tile_new(NULL, &e->mem);	/* 4 MiB scratchpad */
	const uint64_t len = 3ull << 20;
	uint8_t *sp, *ref = malloc(4 << 20);
	uint64_t seed = 5;

	ASSERT_NE(NULL, big);
	ASSERT_NE(NULL, ref);
	e->t = big;
	sp = tla(e, SPAD, 4 << 20);
	for (uint64_t i = 0; i < (4 << 20); i++)
		sp[i] = (uint8_t)trand(&seed);
	memcpy(ref, sp, 4 << 20);
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_LA, SPAD + 777, SPAD, len, 1, 0, 0));
	memmove(ref + 777, ref, len);
	EXPECT_EQ(0, memcmp(sp, ref, 4 << 20));
	EXPECT_GE(e->ctl.work, 1 + 2);
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_LA, SPAD + 5, SPAD + 900000, len, 1, 0, 0));
	memmove(ref + 5, ref + 900000, len);
	EXPECT_EQ(0, memcmp(sp, ref, 4 << 20));
	e->t = self->run_tile;
	xpu_tile_free(big);
	free(ref);
}

TEST_HARNESS_MAIN
