// SPDX-License-Identifier: MIT
/*
 * Links in the engine: a LINK leaf routes to mem.link_xfer with the link
 * address (+ page offset), LINK_ERROR ends the job with the requester's VA,
 * xpu_link_serve() refuses every bad transfer touching nothing of the
 * exporter, a job on chip A reaches chip B through a window, the CRC-32C,
 * and the timing: latency + bytes / bandwidth on the port's own timeline,
 * overlapping the MXU unless an SRAM operand depends on it.
 *
 * Two test environments (xpu_test_util.h): A runs jobs, B is the exporter.
 * A's link_xfer goes to the fabric below, which either records the call
 * (raw mode) or serves it from B through B's window table.
 */
#include "kselftest_harness.h"
#include "xpu_test_util.h"

#define LVA		0x80000000ull	/* A's VA of the link pages */
#define B_CHIP		1
#define A_CHIP		0
#define NWIN		4

static struct fab {
	struct tenv *peer;		/* NULL = raw mode */
	struct xpu_link_window win[NWIN];
	uint32_t me;
	int force_rc, calls;
	uint64_t last_addr, last_len;
	int last_write;
} fab;

static int fab_xfer(void *opaque, uint64_t la, void *buf, uint64_t len, int write)
{
	uint64_t root;
	uint32_t w = (uint32_t)XPU_LINK_ADDR_WIN(la);

	(void)opaque;
	fab.calls++;
	fab.last_addr = la;
	fab.last_len = len;
	fab.last_write = write;
	if (fab.force_rc)
		return fab.force_rc;
	if (!fab.peer) {
		if (!write)
			memset(buf, 0x5a, len);
		return 0;
	}
	if (w >= NWIN)
		return XPU_JOB_STATUS_LINK_ERROR;
	root = fab.peer->pt.root;
	return xpu_link_serve(&fab.peer->mem, &root, 1, &fab.win[w], fab.me,
			      XPU_LINK_ADDR_OFF(la), buf, len, write);
}

/* a tenv whose tile reaches links through fab (or not, link = 0) */
static struct tenv *tenv_link(const struct xpu_engine_config *cfg, int link)
{
	struct tenv *e = tenv_new(cfg);

	if (!e)
		return NULL;
	xpu_tile_free(e->t);
	e->mem.link_xfer = link ? fab_xfer : NULL;
	e->t = xpu_tile_new(cfg, &e->mem);
	if (!e->t) {
		tenv_free(e);
		return NULL;
	}
	return e;
}

/* map n link pages at LVA.. to port/window/offset.. */
static int map_link(struct tenv *e, uint64_t va, uint32_t port, uint32_t win, uint64_t off,
		    uint64_t n, uint64_t perm)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pte = XPU_LINK_ADDR(port, win, off + i * XPU_PAGE_SIZE) | XPU_PTE_LINK |
			       perm | XPU_PTE_VALID;

		if (xpu_pt_set_leaf(&e->pt, va + i * XPU_PAGE_SIZE, pte))
			return -1;
	}
	return 0;
}

static void fab_reset(struct tenv *peer)
{
	memset(&fab, 0, sizeof(fab));
	fab.peer = peer;
	fab.me = A_CHIP;
}

/* ---- routing --------------------------------------------------------------- */

TEST(link_dpa_routes_to_callback)
{
	struct tenv *e = tenv_link(NULL, 1);
	uint8_t *sp;

	ASSERT_NE(NULL, e);
	fab_reset(NULL);
	ASSERT_EQ(0, map_link(e, LVA, 2, 5, 0x3000, 4, XPU_PTE_READ | XPU_PTE_WRITE));
	/* read 100 bytes at page offset 0x10: one call, the link address + offset */
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA, SPAD + 64, LVA + 0x10, 100, 1, 0, 0));
	EXPECT_EQ(1, fab.calls);
	EXPECT_EQ(XPU_LINK_ADDR(2, 5, 0x3010), fab.last_addr);
	EXPECT_EQ(100, fab.last_len);
	EXPECT_EQ(0, fab.last_write);
	sp = tla(e, SPAD, 256);
	EXPECT_EQ(0, sp[63]);
	EXPECT_EQ(0x5a, sp[64]);
	EXPECT_EQ(0x5a, sp[163]);
	EXPECT_EQ(0, sp[164]);
	EXPECT_EQ(100, e->st.port_bytes[2]);
	EXPECT_EQ(100, e->st.link_bytes);
	/* 3 pages contiguous in the window: one run, one call */
	fab.calls = 0;
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_VA, LVA + 0x800, SPAD, 3 * 4096, 1, 0, 0));
	EXPECT_EQ(1, fab.calls);
	EXPECT_EQ(XPU_LINK_ADDR(2, 5, 0x3800), fab.last_addr);
	EXPECT_EQ(3 * 4096, fab.last_len);
	EXPECT_EQ(1, fab.last_write);
	/* a run does not cross into another window even when the DPAs follow:
	 * page LVA+4 is window 6 offset 0 while page LVA+3 ends window 5 */
	ASSERT_EQ(0, xpu_pt_set_leaf(&e->pt, LVA + 4 * 4096,
				     XPU_LINK_ADDR(2, 6, 0) | XPU_PTE_LINK | XPU_PTE_READ | XPU_PTE_VALID));
	ASSERT_EQ(0, xpu_pt_set_leaf(&e->pt, LVA + 3 * 4096,
				     XPU_LINK_ADDR(2, 5, XPU_LINK_WIN_MAX - 4096) | XPU_PTE_LINK |
				     XPU_PTE_READ | XPU_PTE_VALID));
	e->tlb_gen++;
	fab.calls = 0;
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA, SPAD, LVA + 3 * 4096, 8192, 1, 0, 0));
	EXPECT_EQ(2, fab.calls);
	EXPECT_EQ(XPU_LINK_ADDR(2, 6, 0), fab.last_addr);
	/* a scalar load from a link page goes through the link too */
	fab.calls = 0;
	tenv_clear(e);
	LI64(e, 3, LVA + 8);
	E(e, xpu_ld(0, 4, 3, 0));
	E(e, xpu_halt());
	ASSERT_EQ(0, tenv_run(e));
	EXPECT_EQ(1, fab.calls);
	EXPECT_EQ(XPU_LINK_ADDR(2, 5, 0x3008), fab.last_addr);
	tenv_free(e);
}

TEST(link_error_ends_the_job)
{
	struct tenv *e = tenv_link(NULL, 1), *n = tenv_link(NULL, 0);
	uint8_t *d;

	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, n);
	fab_reset(NULL);
	ASSERT_EQ(0, map_link(e, LVA, 1, 0, 0, 2, XPU_PTE_READ | XPU_PTE_WRITE));
	ASSERT_EQ(0, map_link(n, LVA, 1, 0, 0, 2, XPU_PTE_READ | XPU_PTE_WRITE));
	/* the callback's status ends the job; fault address = requester's VA */
	fab.force_rc = XPU_JOB_STATUS_LINK_ERROR;
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR, tdma(e, XPU_DMA_VA_TO_LA, SPAD, LVA + 0x20, 64, 1, 0, 0));
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR, e->rec.status);
	EXPECT_EQ(LVA + 0x20, e->rec.fault_va);
	EXPECT_EQ(XPU_ACCESS_READ, e->rec.fault_access);
	EXPECT_EQ(0, e->st.link_bytes);
	/* VA to VA, HBM -> link: the write side's VA */
	d = tva(e, T_DATA_VA);
	memset(d, 7, 4096);
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR,
		  tdma(e, XPU_DMA_VA_TO_VA, LVA + 4096, T_DATA_VA, 4096, 1, 0, 0));
	EXPECT_EQ(LVA + 4096, e->rec.fault_va);
	EXPECT_EQ(XPU_ACCESS_WRITE, e->rec.fault_access);
	/* any status the callback returns is the job's */
	fab.force_rc = XPU_JOB_STATUS_ABORTED;
	EXPECT_EQ(XPU_JOB_STATUS_ABORTED, tdma(e, XPU_DMA_VA_TO_LA, SPAD, LVA, 64, 1, 0, 0));
	/* no link_xfer: every link access fails */
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR, tdma(n, XPU_DMA_VA_TO_LA, SPAD, LVA, 64, 1, 0, 0));
	EXPECT_EQ(LVA, n->rec.fault_va);
	/* port beyond XPU_MAX_LINKS: LINK_ERROR without a call */
	fab.force_rc = 0;
	fab.calls = 0;
	ASSERT_EQ(0, map_link(e, LVA + 8192, XPU_MAX_LINKS, 0, 0, 1, XPU_PTE_READ));
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR, tdma(e, XPU_DMA_VA_TO_LA, SPAD, LVA + 8192, 64, 1, 0, 0));
	EXPECT_EQ(0, fab.calls);
	/* HOST and LINK together: an MMU fault, no call */
	ASSERT_EQ(0, xpu_pt_set_leaf(&e->pt, LVA + 3 * 4096, XPU_LINK_ADDR(1, 0, 0) | XPU_PTE_LINK |
				     XPU_PTE_HOST | XPU_PTE_READ | XPU_PTE_VALID));
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, tdma(e, XPU_DMA_VA_TO_LA, SPAD, LVA + 3 * 4096, 64, 1, 0, 0));
	EXPECT_EQ(LVA + 3 * 4096, e->rec.fault_va);
	EXPECT_EQ(0, fab.calls);
	/* LINK on a table entry (not a leaf): an MMU fault */
	{
		uint64_t *l1 = xpu_pt_entry(&e->pt, LVA, 1);

		ASSERT_NE(NULL, l1);
		*l1 |= XPU_PTE_LINK;
		e->tlb_gen++;
		EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, tdma(e, XPU_DMA_VA_TO_LA, SPAD, LVA, 64, 1, 0, 0));
		EXPECT_EQ(0, fab.calls);
	}
	tenv_free(e);
	tenv_free(n);
}

/* ---- the exporter's side ----------------------------------------------------- */

FIXTURE(srv) {
	struct tenv *b;
	struct xpu_link_window w;
	uint64_t root;
	uint8_t *snap;
	uint8_t buf[3 * 4096];
};

FIXTURE_SETUP(srv)
{
	self->b = tenv_new(NULL);
	ASSERT_NE(NULL, self->b);
	/* B's data: a pattern; window over 16 pages of it, read-write for chip 0 */
	for (uint64_t i = 0; i < 1 << 20; i++)
		self->b->hbm[T_DATA_DPA + i] = (uint8_t)(i * 7 + 3);
	self->w = (struct xpu_link_window){ .ctx = 0, .va = T_DATA_VA, .size = 16 * 4096,
		.peers = 1u << A_CHIP, .flags = XPU_WINF_VALID | XPU_WINF_READ | XPU_WINF_WRITE };
	self->root = self->b->pt.root;
	self->snap = malloc(T_HBM_SIZE);
	ASSERT_NE(NULL, self->snap);
	memset(self->buf, 0xee, sizeof(self->buf));
}

FIXTURE_TEARDOWN(srv)
{
	free(self->snap);
	tenv_free(self->b);
}

static int serve(struct tenv *b, const uint64_t *root, const struct xpu_link_window *w,
		 uint32_t req, uint64_t off, void *buf, uint64_t len, int write)
{
	return xpu_link_serve(&b->mem, root, 1, w, req, off, buf, len, write);
}

TEST_F(srv, serves_reads_and_writes)
{
	struct tenv *b = self->b;

	ASSERT_EQ(0, serve(b, &self->root, &self->w, A_CHIP, 4096 + 100, self->buf, 5000, 0));
	EXPECT_EQ(0, memcmp(self->buf, b->hbm + T_DATA_DPA + 4096 + 100, 5000));
	memset(self->buf, 0x42, sizeof(self->buf));
	ASSERT_EQ(0, serve(b, &self->root, &self->w, A_CHIP, 15 * 4096, self->buf, 4096, 1));
	EXPECT_EQ(0x42, b->hbm[T_DATA_DPA + 15 * 4096]);
	EXPECT_EQ(0x42, b->hbm[T_DATA_DPA + 16 * 4096 - 1]);
	EXPECT_EQ((uint8_t)(16 * 4096 * 7 + 3), b->hbm[T_DATA_DPA + 16 * 4096]);
	/* empty transfer */
	EXPECT_EQ(0, serve(b, &self->root, &self->w, A_CHIP, 16 * 4096, self->buf, 0, 0));
	/* host leaves of the exporter through its host callbacks */
	for (int i = 0; i < 4096; i++)
		b->host[i] = (uint8_t)(i ^ 0x33);
	ASSERT_EQ(0, xpu_pt_map(&b->pt, 0x70000000ull, XPU_DPA_HOST | T_HOST_BUS, 4096,
				XPU_PTE_READ | XPU_PTE_WRITE));
	{
		struct xpu_link_window h = self->w;

		h.va = 0x70000000ull;
		h.size = 4096;
		ASSERT_EQ(0, serve(b, &self->root, &h, A_CHIP, 10, self->buf, 100, 0));
		EXPECT_EQ(0, memcmp(self->buf, b->host + 10, 100));
	}
}

/* every refusal returns LINK_ERROR and leaves B's memory as it was */
TEST_F(srv, refusals_touch_nothing)
{
	struct tenv *b = self->b;
	struct xpu_link_window w;
	int i;

	/* unmapped page 3 of a second window over pages 0..7 of a new VA range */
	ASSERT_EQ(0, xpu_pt_map(&b->pt, 0x60000000ull, T_DATA_DPA, 3 * 4096,
				XPU_PTE_READ | XPU_PTE_WRITE));
	ASSERT_EQ(0, xpu_pt_map(&b->pt, 0x60000000ull + 4 * 4096, T_DATA_DPA + 4 * 4096, 4 * 4096,
				XPU_PTE_READ | XPU_PTE_WRITE));
	/* read-only page 2 in a third */
	ASSERT_EQ(0, xpu_pt_map(&b->pt, 0x68000000ull, T_DATA_DPA, 2 * 4096,
				XPU_PTE_READ | XPU_PTE_WRITE));
	ASSERT_EQ(0, xpu_pt_map(&b->pt, 0x68000000ull + 2 * 4096, T_DATA_DPA + 2 * 4096, 4096,
				XPU_PTE_READ));
	memcpy(self->snap, b->hbm, T_HBM_SIZE);
	memset(self->buf, 0x99, sizeof(self->buf));

	for (i = 0; i < 11; i++) {
		uint64_t off = 0, len = 3 * 4096;
		uint32_t req = A_CHIP;
		uint64_t roots = self->root;
		uint32_t nroots = 1;

		w = self->w;
		switch (i) {
		case 0: w.flags = 0; break;					/* no valid */
		case 1: w.flags &= ~XPU_WINF_VALID; break;			/* VALID clear */
		case 2: req = B_CHIP; break;					/* wrong peer */
		case 3: req = 40; break;					/* id >= 32 */
		case 4: w.flags = XPU_WINF_VALID | XPU_WINF_READ; break;	/* read-only */
		case 5: off = 14 * 4096; break;					/* beyond size */
		case 6: off = UINT64_MAX - 100; len = 200; break;		/* overflow */
		case 7: w.size = XPU_LINK_WIN_MAX + 4096; break;		/* too large */
		case 8: w.va = 0x60000000ull; w.size = 8 * 4096;
			off = 2 * 4096; break;					/* unmapped page */
		case 9: w.va = 0x68000000ull; w.size = 3 * 4096;
			off = 0; break;						/* RO page */
		case 10: w.ctx = 1; nroots = 1; break;				/* no such context */
		}
		EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR,
			  xpu_link_serve(&b->mem, &roots, nroots, &w, req, off, self->buf, len, 1)) {
			TH_LOG("case %d", i);
		}
		EXPECT_EQ(0, memcmp(self->snap, b->hbm, T_HBM_SIZE)) {
			TH_LOG("case %d touched the exporter", i);
		}
	}
	/* the read side refuses the same: a write-only window read, an unmapped page */
	w = self->w;
	w.flags = XPU_WINF_VALID | XPU_WINF_WRITE;
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR, serve(b, &self->root, &w, A_CHIP, 0, self->buf, 64, 0));
	w = self->w;
	w.va = 0x60000000ull;
	w.size = 8 * 4096;
	memset(self->buf, 0x99, sizeof(self->buf));
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR, serve(b, &self->root, &w, A_CHIP, 0, self->buf, 4 * 4096 - 1, 0));
	/* and the same window, the mapped part alone: fine */
	EXPECT_EQ(0, serve(b, &self->root, &w, A_CHIP, 0, self->buf, 3 * 4096, 0));
	EXPECT_EQ(0, memcmp(self->buf, b->hbm + T_DATA_DPA, 3 * 4096));
	/* a LINK leaf in the exporter's context is refused: no hopping */
	ASSERT_EQ(0, xpu_pt_set_leaf(&b->pt, 0x60000000ull + 3 * 4096, XPU_LINK_ADDR(0, 0, 0) |
				     XPU_PTE_LINK | XPU_PTE_READ | XPU_PTE_VALID));
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR, serve(b, &self->root, &w, A_CHIP, 3 * 4096, self->buf, 64, 0));
}

TEST(checksum_crc32c)
{
	uint8_t buf[4096];

	EXPECT_EQ(0xe3069283u, xpu_link_checksum("123456789", 9));	/* the check value */
	EXPECT_EQ(0, xpu_link_checksum(buf, 0));
	for (int i = 0; i < 4096; i++)
		buf[i] = (uint8_t)(i * 31);
	{
		uint32_t c = xpu_link_checksum(buf, sizeof(buf));

		for (int bit = 0; bit < 64; bit += 7) {
			buf[bit * 60] ^= (uint8_t)(1u << (bit & 7));
			EXPECT_NE(c, xpu_link_checksum(buf, sizeof(buf)));
			buf[bit * 60] ^= (uint8_t)(1u << (bit & 7));
		}
		EXPECT_EQ(c, xpu_link_checksum(buf, sizeof(buf)));
	}
}

/* ---- a job on A reaches B -------------------------------------------------- */

FIXTURE(ab) { struct tenv *a, *b; };
FIXTURE_SETUP(ab)
{
	struct xpu_engine_config cfg = { .link_gbps = 100, .link_latency_cycles = 1000 };

	self->a = tenv_link(&cfg, 1);
	self->b = tenv_new(NULL);
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->b);
	fab_reset(self->b);
	/* B's window 2: 2 MiB of its data for chip 0; A maps it on port 3 */
	fab.win[2] = (struct xpu_link_window){ .ctx = 0, .va = T_DATA_VA + (4 << 20),
		.size = 2 << 20, .peers = 1u << A_CHIP,
		.flags = XPU_WINF_VALID | XPU_WINF_READ | XPU_WINF_WRITE };
	ASSERT_EQ(0, map_link(self->a, LVA, 3, 2, 0, 512, XPU_PTE_READ | XPU_PTE_WRITE));
}
FIXTURE_TEARDOWN(ab)
{
	tenv_free(self->a);
	tenv_free(self->b);
}

TEST_F(ab, job_reads_and_writes_peer_memory)
{
	struct tenv *a = self->a, *b = self->b;
	uint8_t *bw = b->hbm + T_DATA_DPA + (4 << 20);

	for (int i = 0; i < 3 * 4096; i++) {
		bw[i] = (uint8_t)(i * 13 + 1);
		tva(a, T_DATA_VA)[i] = (uint8_t)(i * 5 + 2);
	}
	/* write A's HBM into B at window offset 100 */
	ASSERT_EQ(0, tdma(a, XPU_DMA_VA_TO_VA, LVA + 100, T_DATA_VA, 2 * 4096, 1, 0, 0));
	EXPECT_EQ(0, memcmp(bw + 100, tva(a, T_DATA_VA), 2 * 4096));
	EXPECT_EQ((uint8_t)(99 * 13 + 1), bw[99]);
	EXPECT_EQ(2 * 4096, a->st.port_bytes[3]);
	/* read it back into A's SRAM */
	ASSERT_EQ(0, tdma(a, XPU_DMA_VA_TO_LA, SPAD, LVA + 100, 2 * 4096, 1, 0, 0));
	EXPECT_EQ(0, memcmp(tla(a, SPAD, 8192), tva(a, T_DATA_VA), 8192));
	/* revoke: the next access fails, B untouched */
	fab.win[2].flags = 0;
	memset(tva(a, T_DATA_VA), 0, 8192);
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR,
		  tdma(a, XPU_DMA_VA_TO_VA, LVA + 100, T_DATA_VA, 2 * 4096, 1, 0, 0));
	EXPECT_EQ(2, bw[100]);		/* still what the first write put */
	EXPECT_EQ((uint8_t)(5 * 5 + 2), bw[105]);
	/* wrong requester id */
	fab.win[2].flags = XPU_WINF_VALID | XPU_WINF_READ | XPU_WINF_WRITE;
	fab.me = 5;
	EXPECT_EQ(XPU_JOB_STATUS_LINK_ERROR, tdma(a, XPU_DMA_VA_TO_LA, SPAD, LVA, 64, 1, 0, 0));
}

/* ---- timing ---------------------------------------------------------------- */

TEST(link_formula)
{
	struct xpu_engine_config c = { .clock_mhz = 1000, .link_gbps = 100,
				       .link_latency_cycles = 1000 };

	EXPECT_EQ(0, xpu_timing_link_cycles(&c, 0));
	EXPECT_EQ(1001, xpu_timing_link_cycles(&c, 1));
	EXPECT_EQ(1001, xpu_timing_link_cycles(&c, 100));
	EXPECT_EQ(1002, xpu_timing_link_cycles(&c, 101));
	EXPECT_EQ(1000 + 10486, xpu_timing_link_cycles(&c, 1 << 20));
	c.link_gbps = 25;
	c.link_latency_cycles = 300;
	EXPECT_EQ(300 + 41944, xpu_timing_link_cycles(&c, 1 << 20));
	c.clock_mhz = 2000;		/* 12 B/cycle */
	EXPECT_EQ(300 + 1, xpu_timing_link_cycles(&c, 12));
}

TEST_F(ab, transfer_costs_latency_plus_bytes_over_bw)
{
	struct tenv *a = self->a;
	struct xpu_engine_config c;
	uint64_t link;

	xpu_tile_get_config(a->t, &c);
	link = xpu_timing_link_cycles(&c, 1 << 20);
	ASSERT_EQ(11486, link);
	ASSERT_EQ(0, tdma(a, XPU_DMA_VA_TO_LA, SPAD, LVA, 1 << 20, 1, 0, 0));
	EXPECT_EQ(link, a->st.port_busy[3]);
	EXPECT_EQ(link, a->st.link_busy);
	EXPECT_EQ(1 << 20, a->st.link_bytes);
	EXPECT_EQ(0, a->st.dma_busy);		/* the DMA unit moved nothing itself */
	/* issue after the setup instructions, then the transfer, then HALT */
	EXPECT_GE(a->rec.cycles, link);
	EXPECT_LE(a->rec.cycles, link + 20);
	TH_LOG("1 MiB over a link: %llu cycles (record %llu)", (unsigned long long)link,
	       (unsigned long long)a->rec.cycles);
}

/* a new program that starts with a 1 MiB link DMA from LVA to SPAD 0 (r5 = 1 MiB) */
static void link_read_first(struct tenv *a)
{
	tenv_clear(a);
	LI64(a, 3, SPAD);
	LI64(a, 4, LVA);
	LI64(a, 5, 1 << 20);
	E(a, xpu_dma(XPU_DMA_VA_TO_LA, 3, 4, 5));
}

/* program: 1 MiB link DMA to SPAD 0, then a 512^3 int8 MATMUL whose A operand
 * is at a_la (independent of the DMA, or its destination) */
static uint32_t link_then_matmul(struct tenv *a, uint64_t a_la)
{
	link_read_first(a);
	LI64(a, 3, 512);
	E(a, xpu_mcfg(XPU_MCFG_SHAPE, 3, 3, 3));
	LI64(a, 4, 0);
	E(a, xpu_mcfg(XPU_MCFG_STRIDE, 4, 4, 4));
	LI64(a, 6, a_la);
	LI64(a, 7, SPAD + (3 << 20));
	LI64(a, 8, ACC);
	E(a, xpu_matmul(XPU_MM_INT8, 8, 6, 7));
	E(a, xpu_halt());
	return tenv_run(a);
}

/* program: 1 MiB link DMA to SPAD 0, then another from la to SPAD + 1 MiB */
static uint32_t two_link_reads(struct tenv *a, uint64_t la)
{
	link_read_first(a);
	LI64(a, 3, SPAD + (1 << 20));
	LI64(a, 4, la);
	E(a, xpu_dma(XPU_DMA_VA_TO_LA, 3, 4, 5));
	E(a, xpu_halt());
	return tenv_run(a);
}

TEST_F(ab, link_overlaps_mxu_unless_dependent)
{
	struct tenv *a = self->a;
	uint64_t link = 11486, mxu = xpu_timing_matmul_cycles(128, 128, 512, 512, 512);

	ASSERT_EQ(0, link_then_matmul(a, SPAD + (2 << 20)));
	EXPECT_EQ(mxu, a->st.mxu_busy);
	EXPECT_EQ(link, a->st.port_busy[3]);
	EXPECT_GE(a->rec.cycles, mxu);
	EXPECT_LT(a->rec.cycles, link + mxu);		/* concurrent */
	EXPECT_LE(a->rec.cycles, (link > mxu ? link : mxu) + 40);
	TH_LOG("1 MiB link read + independent 512^3 MATMUL: %llu cycles (link %llu, mxu %llu)",
	       (unsigned long long)a->rec.cycles, (unsigned long long)link,
	       (unsigned long long)mxu);
	/* the MATMUL reads what the link DMA writes: it waits */
	ASSERT_EQ(0, link_then_matmul(a, SPAD));
	EXPECT_GE(a->rec.cycles, link + mxu);
}

TEST_F(ab, ports_are_separate_timelines)
{
	struct tenv *a = self->a;
	uint64_t link = 11486;

	/* port 3 and port 4 (window 2 again) each 1 MiB: concurrent */
	ASSERT_EQ(0, map_link(a, LVA + (4 << 20), 4, 2, 0, 256, XPU_PTE_READ));
	ASSERT_EQ(0, two_link_reads(a, LVA + (4 << 20)));
	EXPECT_EQ(link, a->st.port_busy[3]);
	EXPECT_EQ(link, a->st.port_busy[4]);
	EXPECT_EQ(2 * link, a->st.link_busy);
	EXPECT_EQ(2u << 20, a->st.link_bytes);
	EXPECT_LT(a->rec.cycles, 2 * link);
	/* two on the same port: in order */
	ASSERT_EQ(0, two_link_reads(a, LVA + 4096));
	EXPECT_GE(a->rec.cycles, 2 * link);
}

TEST_HARNESS_MAIN
