// SPDX-License-Identifier: MIT
/*
 * DMA copy batches (qemu-device/engine/dma_batch.c): a large DMA collects
 * its runs (HBM, SRAM, host memory mapped with xpu_mem.host_map) and moves
 * them together, split over the thread pool when no run writes what another
 * one touches. The result must not change by a bit: random DMA programs
 * over scattered mappings (HBM and host runs, unmapped and read-only pages,
 * host pages that neither map nor read, overlapping copies, 2D rows) run
 * batched and threaded with small batches and parts, unbatched on the same
 * memory image, and in a page-by-page model written here; all three end
 * with the same status, fault address and HBM, host memory and SRAM, and
 * the two tiles with the same records (cycles, bytes). Also: an abort at
 * the same host access leaves the same bytes moved, a large DMA with the
 * default sizes splits over the pool, and a retracted pool launch never
 * runs later.
 */
#include <pthread.h>
#include <time.h>
#include "kselftest_harness.h"
#include "xpu_test_util.h"
#include "dma_batch.h"
#include "mxu_kern.h"
#include "mxu_pool.h"

#define RV		0x200000000ull		/* scattered: HBM, host, holes */
#define RV_PAGES	2048
#define LV		0x300000000ull		/* linear onto L_HBM */
#define AV		0x500000000ull		/* abort test: RV without holes */
#define LV_PAGES	1024
#define R_HBM		(40ull << 20)		/* RV's HBM frames */
#define L_HBM		(44ull << 20)		/* LV's frames, to the end of HBM */
#define HBM_PAGES	1024			/* in each of R_HBM, L_HBM */
#define HOST_BUS	0x800000000ull
#define HOST_PAGES	4096			/* 16 MiB of host memory */
#define SPAD_BYTES	(1u << 20)

static uint8_t *host;			/* HOST_PAGES pages at HOST_BUS */
static uint8_t bad[HOST_PAGES];		/* pages that neither map nor move */
static uint64_t accesses, maps_out;	/* host accesses (map or read/write); live maps */
static struct xpu_run_ctl *abort_ctl;	/* set abort at access abort_at */
static uint64_t abort_at;

static void count_access(void)
{
	if (++accesses == abort_at && abort_ctl)
		__atomic_store_n(&abort_ctl->abort, 1, __ATOMIC_RELEASE);
}

/* pages [bus, bus + len) that exist and are good, from the first: bytes */
static uint64_t good_bytes(uint64_t bus, uint64_t len)
{
	uint64_t n = 0;

	while (n < len) {
		uint64_t b = bus + n, off = b - HOST_BUS;

		if (b < HOST_BUS || off >= (uint64_t)HOST_PAGES * 4096 || bad[off / 4096])
			break;
		n += 4096 - (b & 4095);
	}
	return n < len ? n : len;
}

static int host_rw(uint64_t bus, uint8_t *buf, uint64_t len, int wr)
{
	uint64_t ok = good_bytes(bus, len);

	count_access();
	if (wr)
		memcpy(host + (bus - HOST_BUS), buf, ok);
	else
		memcpy(buf, host + (bus - HOST_BUS), ok);
	return ok == len ? 0 : -1;
}

static int h_read(void *o, uint64_t bus, void *buf, uint64_t len)
{
	(void)o;
	return host_rw(bus, buf, len, 0);
}

static int h_write(void *o, uint64_t bus, const void *buf, uint64_t len)
{
	(void)o;
	return host_rw(bus, (uint8_t *)buf, len, 1);
}

static void *h_map(void *o, uint64_t bus, uint64_t *len, int write)
{
	uint64_t ok = good_bytes(bus, *len);

	(void)o;
	(void)write;
	count_access();
	if (!ok)
		return NULL;
	*len = ok;
	maps_out++;
	return host + (bus - HOST_BUS);
}

static void h_unmap(void *o, void *p, uint64_t len, int write)
{
	(void)o;
	(void)p;
	(void)len;
	(void)write;
	maps_out--;
}

FIXTURE(batch) {
	struct tenv *e;
	struct xpu_tile *plain, *batched;	/* without / with host_map */
};

FIXTURE_SETUP(batch)
{
	struct xpu_engine_config cfg = { .spad_bytes = SPAD_BYTES, .acc_bytes = 256 << 10 };

	host = calloc(HOST_PAGES, 4096);
	ASSERT_NE(NULL, host);
	self->e = tenv_new(&cfg);
	ASSERT_NE(NULL, self->e);
	self->e->mem.host_read = h_read;
	self->e->mem.host_write = h_write;
	self->e->mem.host_runs = 1;
	self->plain = xpu_tile_new(&cfg, &self->e->mem);
	self->e->mem.host_map = h_map;
	self->e->mem.host_unmap = h_unmap;
	self->batched = xpu_tile_new(&cfg, &self->e->mem);
	ASSERT_NE(NULL, self->plain);
	ASSERT_NE(NULL, self->batched);
	xpu_tile_free(self->e->t);
	self->e->t = self->batched;
	memset(bad, 0, sizeof(bad));
	accesses = maps_out = 0;
	abort_ctl = NULL;
	abort_at = 0;
	xpu_pool_set_threads(4);
}

FIXTURE_TEARDOWN(batch)
{
	xpu_dma_batch_set_cfg(NULL);
	xpu_pool_set_threads(0);
	self->e->t = NULL;
	xpu_tile_free(self->plain);
	xpu_tile_free(self->batched);
	tenv_free(self->e);
	free(host);
}

/* RV: segments of 1..48 pages, unmapped, host (scattered), HBM (scattered,
 * 1 in 5 read-only); LV: linear onto L_HBM */
static int map_all(struct tenv *e, uint64_t *seed)
{
	for (uint64_t p = 0; p < RV_PAGES;) {
		uint64_t n = 1 + trand(seed) % 48, kind = trand(seed) % 8, f;

		n = n < RV_PAGES - p ? n : RV_PAGES - p;
		if (kind >= 1 && kind <= 3) {
			f = trand(seed) % (HOST_PAGES - n + 1);
			if (xpu_pt_map(&e->pt, RV + p * 4096, XPU_DPA_HOST | (HOST_BUS + f * 4096),
				       n * 4096, XPU_PTE_READ | XPU_PTE_WRITE))
				return -1;
		} else if (kind > 3) {
			f = trand(seed) % (HBM_PAGES - n + 1);
			if (xpu_pt_map(&e->pt, RV + p * 4096, R_HBM + f * 4096, n * 4096,
				       kind == 7 ? XPU_PTE_READ : XPU_PTE_READ | XPU_PTE_WRITE))
				return -1;
		}
		p += n;
	}
	return xpu_pt_map(&e->pt, LV, L_HBM, LV_PAGES * 4096ull, XPU_PTE_READ | XPU_PTE_WRITE);
}

/* ---- the page-by-page model ---- */

struct outcome {
	uint32_t status, access;
	uint64_t va;
};

/* one byte range within a page: a pointer to it, or the outcome's error */
static uint8_t *model_page(struct tenv *e, uint64_t va, uint32_t access, struct outcome *o)
{
	uint64_t pte = va >> XPU_VA_BITS ? 0 : xpu_pt_leaf(&e->pt, va);
	uint64_t fr = (pte & XPU_PTE_ADDR_MASK) + (va & 4095);

	if (!(pte & XPU_PTE_VALID) ||
	    !(pte & (access == XPU_ACCESS_WRITE ? XPU_PTE_WRITE : XPU_PTE_READ))) {
		*o = (struct outcome){ XPU_JOB_STATUS_MMU_FAULT, access, va };
		return NULL;
	}
	if (!(pte & XPU_PTE_HOST))
		return e->hbm + fr;
	return host + (fr - HOST_BUS);		/* good or bad: checked after both sides */
}

static int model_bad(uint64_t va, struct tenv *e)
{
	uint64_t pte = xpu_pt_leaf(&e->pt, va);

	return (pte & XPU_PTE_HOST) &&
	       bad[((pte & XPU_PTE_ADDR_MASK) - HOST_BUS) / 4096];
}

static struct outcome model(struct tenv *e, uint8_t *spad, uint32_t f, uint64_t dst, uint64_t src,
			    uint64_t bytes, uint64_t rows, uint64_t ss, uint64_t ds)
{
	uint32_t dir = f & XPU_DMA_DIR_MASK;
	struct outcome o = { 0, 0, 0 };

	if (!(f & XPU_DMA_2D))
		rows = 1, ss = ds = 0;
	for (uint64_t r = 0; r < rows; r++) {
		for (uint64_t off = 0; off < bytes;) {
			uint64_t s = src + r * ss + off, d = dst + r * ds + off, n = bytes - off;
			int s_va = dir != XPU_DMA_LA_TO_VA, d_va = dir != XPU_DMA_VA_TO_LA;
			uint8_t *sp, *dp;

			if (s_va && n > 4096 - (s & 4095))
				n = 4096 - (s & 4095);
			if (d_va && n > 4096 - (d & 4095))
				n = 4096 - (d & 4095);
			sp = s_va ? model_page(e, s, XPU_ACCESS_READ, &o) : spad + s;
			if (!sp)
				return o;
			dp = d_va ? model_page(e, d, XPU_ACCESS_WRITE, &o) : spad + d;
			if (!dp)
				return o;
			if ((s_va && model_bad(s, e)) || (d_va && model_bad(d, e))) {
				o.status = XPU_JOB_STATUS_DMA_ERROR;
				return o;
			}
			memmove(dp, sp, n);
			off += n;
		}
	}
	return o;
}

/* ---- memory images ---- */

struct image {
	uint8_t hbm[2 * HBM_PAGES * 4096];	/* R_HBM and L_HBM */
	uint8_t host[HOST_PAGES * 4096];
	uint8_t spad[SPAD_BYTES];
	struct xpu_job_record rec;
};

static void take(struct tenv *e, struct image *im)
{
	memcpy(im->hbm, e->hbm + R_HBM, sizeof(im->hbm));
	memcpy(im->host, host, sizeof(im->host));
	memcpy(im->spad, xpu_tile_sram(e->t, 0, SPAD_BYTES), SPAD_BYTES);
	im->rec = e->rec;
}

static void put(struct tenv *e, const struct image *im)
{
	memcpy(e->hbm + R_HBM, im->hbm, sizeof(im->hbm));
	memcpy(host, im->host, sizeof(im->host));
	memcpy(xpu_tile_sram(e->t, 0, SPAD_BYTES), im->spad, SPAD_BYTES);
}

static int same_image(const struct image *a, const struct image *b)
{
	return !memcmp(a->hbm, b->hbm, sizeof(a->hbm)) && !memcmp(a->host, b->host, sizeof(a->host)) &&
	       !memcmp(a->spad, b->spad, sizeof(a->spad));
}

static int same_record(const struct xpu_job_record *a, const struct xpu_job_record *b)
{
	return a->status == b->status && a->fault_va == b->fault_va &&
	       a->fault_access == b->fault_access && a->cycles == b->cycles &&
	       a->dma_bytes == b->dma_bytes && a->retired == b->retired;
}

/* small batches and parts, every DMA batched: many flushes per DMA */
static void small_batches(uint64_t max_bytes, uint64_t grain)
{
	struct xpu_dma_batch_cfg c = { .min_total = 0, .max_bytes = max_bytes, .par_min = 0,
				       .grain = grain, .stream_min = 0 };

	xpu_dma_batch_set_cfg(&c);
}

static void no_batches(void)
{
	struct xpu_dma_batch_cfg c = { .min_total = UINT64_MAX, .max_bytes = 1 };

	xpu_dma_batch_set_cfg(&c);
}

static uint64_t rnd_in(uint64_t *seed, uint64_t base, uint64_t room, uint64_t extent)
{
	room = room > extent ? room - extent : 1;
	return base + (((uint64_t)trand(seed) << 16) ^ trand(seed)) % room;
}

TEST_F(batch, same_result_as_page_by_page_and_unbatched)
{
	static struct image before, plain, batched, ref;
	static uint8_t ref_spad[SPAD_BYTES];
	struct tenv *e = self->e;
	uint64_t seed = 23, n_ok = 0, n_fault = 0, n_err = 0, split0, alone0, ordered0, over0;
	uint64_t split, alone, ordered, over;

	ASSERT_EQ(0, map_all(e, &seed));
	for (uint64_t i = 0; i < sizeof(before.hbm); i++)
		e->hbm[R_HBM + i] = (uint8_t)trand(&seed);
	for (uint64_t i = 0; i < (uint64_t)HOST_PAGES * 4096; i++)
		host[i] = (uint8_t)trand(&seed);
	for (int i = 0; i < 96; i++)
		bad[trand(&seed) % HOST_PAGES] = 1;
	xpu_dma_batch_stats(&split0, &alone0, &ordered0, &over0);
	for (int it = 0; it < 150; it++) {
		static const uint32_t dirs[] = { XPU_DMA_VA_TO_VA, XPU_DMA_VA_TO_LA,
						 XPU_DMA_LA_TO_VA, XPU_DMA_VA_TO_VA };
		uint32_t f = dirs[trand(&seed) % 4], two_d = trand(&seed) % 3 == 0, st;
		uint64_t bytes = 1 + trand(&seed) % (trand(&seed) % 4 ? 600 << 10 : 5000);
		uint64_t rows = two_d ? 1 + trand(&seed) % 6 : 1, ss = 0, ds = 0;
		uint64_t src, dst, sbase, dbase;
		int lin = trand(&seed) % 2;

		if (f != XPU_DMA_VA_TO_VA)	/* every row inside the SRAM */
			bytes = bytes % (64 << 10) + 1;
		if (two_d) {
			ss = trand(&seed) % 5 == 0 ? 0 : bytes + trand(&seed) % 9000;
			ds = bytes + trand(&seed) % 5000;
			if (trand(&seed) % 4 == 0)	/* rows overwriting rows */
				ds = bytes - bytes / (1 + trand(&seed) % 4);
		}
		/* sources anywhere in RV; destinations in RV or LV (ascending) */
		sbase = trand(&seed) % 4 ? RV : LV;
		dbase = lin ? LV : RV;
		src = f == XPU_DMA_LA_TO_VA ? rnd_in(&seed, 0, SPAD_BYTES, rows * (ss + bytes))
			: rnd_in(&seed, sbase, (sbase == RV ? RV_PAGES : LV_PAGES) * 4096ull,
				 rows * (ss + bytes));
		dst = f == XPU_DMA_VA_TO_LA ? rnd_in(&seed, 0, SPAD_BYTES, rows * (ds + bytes))
			: rnd_in(&seed, dbase, (dbase == RV ? RV_PAGES : LV_PAGES) * 4096ull,
				 rows * (ds + bytes));
		if (f == XPU_DMA_VA_TO_VA && trand(&seed) % 4 == 0)	/* overlap */
			dst = src + (int64_t)(trand(&seed) % 20000) - 10000;
		if (two_d)
			f |= XPU_DMA_2D;

		e->t = self->batched;
		take(e, &before);

		/* the page-by-page model */
		memcpy(ref_spad, before.spad, SPAD_BYTES);
		struct outcome o = model(e, ref_spad, f, dst, src, bytes, rows, ss, ds);

		take(e, &ref);
		memcpy(ref.spad, ref_spad, SPAD_BYTES);

		/* unbatched, host_read/host_write only */
		put(e, &before);
		e->t = self->plain;
		put(e, &before);
		no_batches();
		st = tdma(e, f, dst, src, bytes, rows, ss, ds);
		take(e, &plain);

		/* batched: pieces of 8..256 KiB, parts of 4..64 KiB, threads; the
		 * non-temporal copy at each ISA level the host has, in turn */
		e->t = self->batched;
		put(e, &before);
		small_batches((8ull << 10) << trand(&seed) % 6, (4ull << 10) << trand(&seed) % 5);
		xpu_mxu_force_level(it % 3 == 0 ? XPU_MXU_PORTABLE :
				    it % 3 == 1 ? XPU_MXU_AVX2 : XPU_MXU_AVX512);
		ASSERT_EQ(st, tdma(e, f, dst, src, bytes, rows, ss, ds));
		xpu_mxu_force_level(-1);
		take(e, &batched);
		ASSERT_EQ(0, maps_out);

		ASSERT_EQ(o.status, st) TH_LOG("iteration %d", it);
		if (st == XPU_JOB_STATUS_MMU_FAULT) {
			ASSERT_EQ(o.va, plain.rec.fault_va);
			ASSERT_EQ(o.access, plain.rec.fault_access);
		}
		ASSERT_TRUE(same_image(&ref, &plain)) TH_LOG("iteration %d: unbatched", it);
		ASSERT_TRUE(same_image(&plain, &batched)) TH_LOG("iteration %d: batched", it);
		ASSERT_TRUE(same_record(&plain.rec, &batched.rec)) TH_LOG("iteration %d", it);
		n_ok += st == XPU_JOB_STATUS_OK;
		n_fault += st == XPU_JOB_STATUS_MMU_FAULT;
		n_err += st == XPU_JOB_STATUS_DMA_ERROR;
	}
	xpu_dma_batch_stats(&split, &alone, &ordered, &over);
	TH_LOG("%llu ok, %llu faults, %llu DMA errors; batches: %llu split (%llu of them "
	       "overlapped), %llu alone, %llu in order", (unsigned long long)n_ok,
	       (unsigned long long)n_fault, (unsigned long long)n_err,
	       (unsigned long long)(split - split0), (unsigned long long)(over - over0),
	       (unsigned long long)(alone - alone0), (unsigned long long)(ordered - ordered0));
	/* every outcome, and both ways of moving a batch, were exercised */
	EXPECT_GE(n_ok, 30);
	EXPECT_GE(n_fault, 10);
	EXPECT_GE(n_err, 5);
	EXPECT_GE(split - split0, 50);
	EXPECT_GE(over - over0, 20);
	EXPECT_GE(ordered - ordered0, 20);
}

/*
 * Each batch reads first what the one before it writes last: rows of a 2D
 * DMA, one batch each, row r + 1 starting at the last page of row r's
 * destination. Every batch is independent, so each goes to the pool while
 * the next is collected, and the next must still wait for it: each row
 * begins with the page the row before it wrote last, as unbatched. (A
 * missing wait shows when the job's thread reads that page before the
 * workers have written it, which the order of the parts makes likely, not
 * certain: launch() without its landing failed 4 runs of 4.)
 */
TEST_F(batch, next_batch_reads_what_the_batch_in_flight_wrote)
{
	static struct image before, plain, batched;
	struct tenv *e = self->e;
	const uint64_t row = 512 << 10, ss = (1 << 20) - 4096, d = ss - row + 4096;
	const uint64_t lo = HBM_PAGES * 4096ull, rows = 3;
	uint64_t seed = 11, s0, a0, o0, over0, s1, a1, o1, over1;

	ASSERT_EQ(0, xpu_pt_map(&e->pt, LV, L_HBM, LV_PAGES * 4096ull, XPU_PTE_READ | XPU_PTE_WRITE));
	for (uint64_t i = 0; i < LV_PAGES * 4096ull; i++)
		e->hbm[L_HBM + i] = (uint8_t)trand(&seed);
	e->t = self->batched;
	take(e, &before);

	e->t = self->plain;
	put(e, &before);
	no_batches();
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA | XPU_DMA_2D, LV + d, LV, row, rows, ss, ss));
	take(e, &plain);

	e->t = self->batched;
	put(e, &before);
	small_batches(row, 4 << 10);
	xpu_dma_batch_stats(&s0, &a0, &o0, &over0);
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA | XPU_DMA_2D, LV + d, LV, row, rows, ss, ss));
	xpu_dma_batch_stats(&s1, &a1, &o1, &over1);
	take(e, &batched);
	ASSERT_EQ(0, maps_out);
	EXPECT_GE(over1 - over0, rows - 1);	/* all but the last row overlapped */
	EXPECT_EQ(o0, o1);			/* none moved in order */
	/* each row begins with the last page of the row before */
	for (uint64_t r = 1; r < rows; r++) {
		int differs = memcmp(&before.hbm[lo + (r - 1) * ss + row - 4096],
				     &batched.hbm[lo + d + r * ss], 4096) != 0;

		EXPECT_EQ(0, differs) TH_LOG("row %d", (int)r);
	}
	ASSERT_TRUE(same_image(&plain, &batched));
	ASSERT_TRUE(same_record(&plain.rec, &batched.rec));
}

/*
 * Abort set at the k-th host access (a map batched, a read or write
 * unbatched: the same pieces in the same order): the next abort poll ends
 * both DMAs at the same point, with the same bytes moved.
 */
TEST_F(batch, abort_moves_the_same_bytes)
{
	static struct image before, plain, batched;
	struct tenv *e = self->e;
	uint64_t seed = 7, aborted = 0;

	/* AV: host and HBM segments, no holes */
	for (uint64_t p = 0, k = 0; p < RV_PAGES; k++) {
		uint64_t n = 1 + trand(&seed) % 48;

		n = n < RV_PAGES - p ? n : RV_PAGES - p;
		ASSERT_EQ(0, xpu_pt_map(&e->pt, AV + p * 4096,
					k % 2 ? R_HBM + trand(&seed) % (HBM_PAGES - n + 1) * 4096
					      : XPU_DPA_HOST | (HOST_BUS + trand(&seed) %
								(HOST_PAGES - n + 1) * 4096),
					n * 4096, XPU_PTE_READ | XPU_PTE_WRITE));
		p += n;
	}
	ASSERT_EQ(0, xpu_pt_map(&e->pt, LV, L_HBM, LV_PAGES * 4096ull, XPU_PTE_READ | XPU_PTE_WRITE));
	for (uint64_t i = 0; i < (uint64_t)HOST_PAGES * 4096; i++)
		host[i] = (uint8_t)trand(&seed);
	for (int it = 0; it < 24; it++) {
		/* 2 rows of 1.5 MiB, AV (host and HBM pieces) -> LV */
		uint64_t src = AV + trand(&seed) % 4096, dst = LV + trand(&seed) % 4096;
		const uint64_t row = 3 << 19;
		uint32_t st;

		e->t = self->batched;
		take(e, &before);
		abort_at = 1 + trand(&seed) % 40;

		e->t = self->plain;
		put(e, &before);
		no_batches();
		abort_ctl = &e->ctl;
		accesses = 0;
		e->ctl.abort = 0;
		st = tdma(e, XPU_DMA_VA_TO_VA | XPU_DMA_2D, dst, src, row, 2, row, row);
		take(e, &plain);

		e->t = self->batched;
		put(e, &before);
		small_batches(1 << 20, 64 << 10);
		accesses = 0;
		e->ctl.abort = 0;
		ASSERT_EQ(st, tdma(e, XPU_DMA_VA_TO_VA | XPU_DMA_2D, dst, src, row, 2, row, row));
		take(e, &batched);
		abort_ctl = NULL;
		e->ctl.abort = 0;
		ASSERT_EQ(0, maps_out);
		ASSERT_TRUE(same_image(&plain, &batched)) TH_LOG("iteration %d", it);
		ASSERT_TRUE(same_record(&plain.rec, &batched.rec));
		aborted += st == XPU_JOB_STATUS_ABORTED;
	}
	EXPECT_GE(aborted, 5);
}

/* the default sizes: a 16 MiB DMA from scattered host pages splits over
 * the pool and moves every byte; back to host memory too */
TEST_F(batch, large_dma_splits_over_the_pool)
{
	struct tenv *e = self->e;
	uint64_t seed = 3, split0, alone0, ordered0, split, alone, ordered, over0, over;
	const uint64_t hv = 0x400000000ull, len = 16ull << 20;
	uint8_t *dst = e->hbm + T_DATA_DPA;

	/* host pages in a shuffled order: one run per page */
	for (uint64_t p = 0; p < HOST_PAGES; p++)
		ASSERT_EQ(0, xpu_pt_map(&e->pt, hv + p * 4096,
					XPU_DPA_HOST | (HOST_BUS + ((p * 2053) % HOST_PAGES) * 4096),
					4096, XPU_PTE_READ | XPU_PTE_WRITE));
	for (uint64_t i = 0; i < (uint64_t)HOST_PAGES * 4096; i++)
		host[i] = (uint8_t)trand(&seed);
	xpu_dma_batch_stats(&split0, &alone0, &ordered0, &over0);
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA, T_DATA_VA, hv, len, 1, 0, 0));
	xpu_dma_batch_stats(&split, &alone, &ordered, &over);
	EXPECT_EQ(0, maps_out);
	EXPECT_EQ(len, e->rec.dma_bytes);
	EXPECT_GE(split - split0, 2);		/* 8 MiB batches, over the pool */
	EXPECT_GE(over - over0, 1);		/* the first while the second was collected */
	EXPECT_EQ(ordered0, ordered);
	for (uint64_t p = 0; p < HOST_PAGES; p++) {
		ASSERT_EQ(0, memcmp(dst + p * 4096, host + ((p * 2053) % HOST_PAGES) * 4096, 4096))
			TH_LOG("page %llu", (unsigned long long)p);
	}
	/* and back, HBM -> host: same pages */
	memset(host, 0, (size_t)HOST_PAGES * 4096);
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA, hv + 5, T_DATA_VA + 5, len - 5, 1, 0, 0));
	EXPECT_EQ(0, maps_out);
	for (uint64_t p = 0; p < HOST_PAGES; p++) {
		uint64_t o = p ? 0 : 5;

		ASSERT_EQ(0, memcmp(dst + p * 4096 + o,
				    host + ((p * 2053) % HOST_PAGES) * 4096 + o, 4096 - o));
	}
}

/* ---- the pool's retract ---- */

static int ran;

static void count_run(void *arg, int index)
{
	(void)arg;
	(void)index;
	__atomic_add_fetch(&ran, 1, __ATOMIC_RELAXED);
}

TEST(pool_retract_never_runs_later)
{
	struct timespec ms = { 0, 5 * 1000 * 1000 };
	int n;

	xpu_pool_set_threads(4);
	for (int i = 0; i < 50; i++) {
		int before, after;

		n = xpu_pool_acquire(3);
		ASSERT_EQ(3, n);
		before = __atomic_load_n(&ran, __ATOMIC_RELAXED);
		xpu_pool_launch(count_run, NULL);
		xpu_pool_retract();
		ASSERT_EQ(1, xpu_pool_wait(10u * 1000 * 1000));
		after = __atomic_load_n(&ran, __ATOMIC_RELAXED);
		ASSERT_LE(after - before, 3);
		xpu_pool_release();
		if (i % 10 == 0) {		/* a late worker skips it for good */
			nanosleep(&ms, NULL);
			ASSERT_EQ(after, __atomic_load_n(&ran, __ATOMIC_RELAXED));
		}
		/* a launch that is not retracted runs on every worker */
		ASSERT_EQ(3, xpu_pool_acquire(3));
		before = __atomic_load_n(&ran, __ATOMIC_RELAXED);
		xpu_pool_launch(count_run, NULL);
		ASSERT_EQ(1, xpu_pool_wait(10u * 1000 * 1000));
		ASSERT_EQ(before + 3, __atomic_load_n(&ran, __ATOMIC_RELAXED));
		xpu_pool_release();
	}
	xpu_pool_set_threads(0);
}

TEST_HARNESS_MAIN
