/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * /xpu/link/...: chip-to-chip links (hardware 1.1), included by xpu-test.c
 * (it uses that file's register, queue and job helpers). Several xpu
 * devices in one machine (ids x0.., PCI slots 4..), each with its own page
 * tables written by the shared writer into a shadow and copied through
 * BAR2. Covers: topology registers (a ring of 4, one-sided and unknown
 * peers), reach (a job on chip 0 writes and reads chip 1's memory through
 * a window and LINK PTEs), isolation (every refusal -> LINK_ERROR, chip 1
 * unchanged), counters at both ends and reset, injection (down/RETRAIN,
 * corrupt), PCIe peer-to-peer through BAR2, and the timing of a transfer.
 */

#define LNK_MAX     4
#define LNK_PROG    0x200000ull    /* HBM: programs */
#define LNK_DATA    0x400000ull    /* HBM: chip 0's source/destination data */
#define LNK_EXP     0x800000ull    /* HBM: chip 1's exported memory */
#define LNK_DVA     0x40000000ull  /* chip 0: its data */
#define LNK_LVA     0x70000000ull  /* chip 0: the link pages */
#define LNK_EVA     0x50000000ull  /* chip 1: the exported range */

typedef struct Fab {
    QTestState *qts;
    QPCIBus *bus;
    QGuestAllocator alloc;
    int n;
    Xpu x[LNK_MAX];
} Fab;

/* links[i] is chip i's links= (NULL: none); extra: more properties of all */
static void fab_start_on(Fab *f, const char *machine, int n, const char *const *links,
                         const char *extra)
{
    GString *cmd = g_string_new(NULL);

    g_string_printf(cmd, "-machine %s -nodefaults -L /usr/share/seabios "
                    "-L /usr/share/qemu", machine);

    g_assert_cmpint(n, <=, LNK_MAX);
    for (int i = 0; i < n; i++) {
        g_string_append_printf(cmd, " -device xpu,id=x%d,addr=0x%x,hbm_size=16M,"
                               "queues=2%s%s%s", i, 4 + i,
                               links && links[i] ? ",links=" : "",
                               links && links[i] ? links[i] : "",
                               extra ? extra : "");
    }
    f->qts = qtest_init(cmd->str);
    g_string_free(cmd, true);
    pc_alloc_init(&f->alloc, f->qts, ALLOC_NO_FLAGS);
    f->bus = qpci_new_pc(f->qts, &f->alloc);
    f->n = n;
    for (int i = 0; i < n; i++) {
        Xpu *x = &f->x[i];

        x->qts = f->qts;
        x->bus = f->bus;
        x->dev = qpci_device_find(f->bus, QPCI_DEVFN(4 + i, 0));
        g_assert(x->dev);
        qpci_device_enable(x->dev);
        x->regs = qpci_iomap(x->dev, XPU_BAR_REGS, NULL);
        x->hbm = qpci_iomap(x->dev, XPU_BAR_HBM, NULL);
    }
}

static void fab_start(Fab *f, int n, const char *const *links, const char *extra)
{
    fab_start_on(f, "q35", n, links, extra);
}

static void fab_stop(Fab *f)
{
    for (int i = 0; i < f->n; i++) {
        g_free(f->x[i].dev);
    }
    qpci_free_pc(f->bus);
    alloc_destroy(&f->alloc);
    qtest_quit(f->qts);
}

/* ---- page tables of one context of one chip -------------------------------- */

typedef struct LCtx {
    Xpu *x;
    struct xpu_pt pt;
    uint8_t *shadow;
    uint64_t pool;
} LCtx;

static void lctx_sync(LCtx *c)
{
    for (uint64_t p = c->pool; p < c->pt.pool_next; p += 4096) {
        hbm_write(c->x, p, c->shadow + p, 4096);
    }
}

static void lctx_init(LCtx *c, Xpu *x, int ctx)
{
    c->x = x;
    c->pool = PT_POOL + ctx * PT_POOL_SIZE;
    c->shadow = g_malloc0(c->pool + PT_POOL_SIZE);
    g_assert_cmpint(xpu_pt_init(&c->pt, c->shadow, c->pool + PT_POOL_SIZE, c->pool,
                                c->pool + PT_POOL_SIZE), ==, 0);
    lctx_sync(c);
    wr(x, XPU_REG_CTX_ROOT(ctx), c->pt.root);
    wr(x, XPU_REG_CTX_ROOT(ctx) + 4, c->pt.root >> 32);
}

static void lctx_free(LCtx *c)
{
    g_free(c->shadow);
}

/* dpa: HBM offset or XPU_DPA_HOST | bus address */
static void lctx_map(LCtx *c, uint64_t va, uint64_t dpa, uint64_t len, uint64_t perm)
{
    g_assert_cmpint(xpu_pt_map(&c->pt, va, dpa, ROUND_UP(len, 4096), perm), ==, 0);
    lctx_sync(c);
    wr(c->x, XPU_REG_MMU_INVALIDATE, XPU_MMU_INV_ALL);
}

/* n link pages at va: port, window, byte offset (page aligned) */
static void lctx_link(LCtx *c, uint64_t va, uint32_t port, uint32_t win, uint64_t off,
                      uint64_t n, uint64_t perm)
{
    for (uint64_t i = 0; i < n; i++) {
        g_assert_cmpint(xpu_pt_set_leaf(&c->pt, va + i * 4096,
                                        XPU_LINK_ADDR(port, win, off + i * 4096) |
                                        XPU_PTE_LINK | perm | XPU_PTE_VALID), ==, 0);
    }
    lctx_sync(c);
    wr(c->x, XPU_REG_MMU_INVALIDATE, XPU_MMU_INV_ALL);
}

static void win_open(Xpu *x, int w, int ctx, uint64_t va, uint64_t size, uint32_t peers,
                     uint32_t flags)
{
    wr(x, XPU_REG_WIN(w, XPU_WIN_CTX), ctx);
    wr(x, XPU_REG_WIN(w, XPU_WIN_VA_LO), va);
    wr(x, XPU_REG_WIN(w, XPU_WIN_VA_HI), va >> 32);
    wr(x, XPU_REG_WIN(w, XPU_WIN_SIZE_LO), size);
    wr(x, XPU_REG_WIN(w, XPU_WIN_SIZE_HI), size >> 32);
    wr(x, XPU_REG_WIN(w, XPU_WIN_PEERS), peers);
    wr(x, XPU_REG_WIN(w, XPU_WIN_FLAGS), flags);
}

static uint64_t lcnt(Xpu *x, int port, int i)
{
    return rd(x, XPU_REG_LINK(port, XPU_LINK_CNT(i))) |
           (uint64_t)rd(x, XPU_REG_LINK(port, XPU_LINK_CNT(i)) + 4) << 32;
}

/* ---- programs ---------------------------------------------------------------- */

typedef struct LProg {
    uint64_t w[32];
    int n;
} LProg;

static void lp_li(LProg *p, int rd, uint64_t v)
{
    p->w[p->n++] = xpu_liu(rd, (uint32_t)v);
    p->w[p->n++] = xpu_lih(rd, (uint32_t)(v >> 32));
}

/* one DMA of len bytes, then HALT */
static void lp_dma(LProg *p, uint32_t dir, uint64_t dst, uint64_t src, uint64_t len)
{
    lp_li(p, 3, dst);
    lp_li(p, 4, src);
    lp_li(p, 5, len);
    p->w[p->n++] = xpu_dma(dir, 3, 4, 5);
}

/* p (+ HALT) into chip c's HBM, mapped at PROG_VA; its length in bytes */
static uint32_t lp_load(LCtx *c, LProg *p)
{
    p->w[p->n++] = xpu_halt();
    hbm_write(c->x, LNK_PROG, p->w, p->n * 8);
    lctx_map(c, PROG_VA, LNK_PROG, 4096, XPU_PTE_READ);
    return p->n * 8;
}

/* run p (+ HALT) on queue 0, context 0 of chip c's x */
static struct xpu_job_record lp_run(LCtx *c, LProg *p)
{
    return run_exec(c->x, 0, 0, lp_load(c, p), 0);
}

static struct xpu_job_record lp_one(LCtx *c, uint32_t dir, uint64_t dst, uint64_t src,
                                    uint64_t len)
{
    LProg p = { .n = 0 };

    lp_dma(&p, dir, dst, src, len);
    return lp_run(c, &p);
}

/* ---- topology --------------------------------------------------------------- */

static void test_link_topology(void)
{
    /* a ring of 4, cabled as tools/xpu-vm --links ring does */
    static const char *const ring[] = {
        "x1@1:x3@0", "x2@1:x0@0", "x3@1:x1@0", "x0@1:x2@0",
    };
    static const char *const odd[] = { "x1:nosuch:-:x0", "-", NULL };
    Fab f;

    fab_start(&f, 4, ring, ",link-gbps=50,link-latency=700");
    for (int i = 0; i < 4; i++) {
        Xpu *x = &f.x[i];

        g_assert_cmphex(rd(x, XPU_REG_VERSION), ==, 1 << 16 | 1);
        g_assert_true(rd(x, XPU_REG_CAPS) & XPU_CAP_LINK);
        g_assert_cmpuint(rd(x, XPU_REG_CHIP_ID), ==, i);
        g_assert_cmpuint(rd(x, XPU_REG_NUM_LINKS), ==, 2);
        g_assert_cmpuint(rd(x, XPU_REG_LINK_GBPS), ==, 50);
        g_assert_cmpuint(rd(x, XPU_REG_LINK_LATENCY), ==, 700);
        for (int p = 0; p < 2; p++) {
            g_assert_cmphex(rd(x, XPU_REG_LINK(p, XPU_LINK_STATUS)), ==,
                            XPU_LSTS_CONNECTED | XPU_LSTS_UP);
        }
        g_assert_cmphex(rd(x, XPU_REG_LINK(0, XPU_LINK_PEER)), ==,
                        ((i + 1) % 4) | 1 << 16);
        g_assert_cmphex(rd(x, XPU_REG_LINK(1, XPU_LINK_PEER)), ==,
                        ((i + 3) % 4) | 0 << 16);
        /* beyond the ports: unknown registers */
        g_assert_cmphex(rd(x, XPU_REG_LINK(2, XPU_LINK_STATUS)), ==, 0);
    }
    fab_stop(&f);

    /*
     * One-sided and unknown peers: chip 0 names x1 on port 0 and itself on
     * port 3, x1 names nobody; chip 2 has no links at all.
     */
    fab_start(&f, 3, odd, NULL);
    g_assert_cmpuint(rd(&f.x[0], XPU_REG_NUM_LINKS), ==, 4);
    for (int p = 0; p < 4; p++) {
        g_assert_cmphex(rd(&f.x[0], XPU_REG_LINK(p, XPU_LINK_STATUS)), ==, 0);
        g_assert_cmphex(rd(&f.x[0], XPU_REG_LINK(p, XPU_LINK_PEER)), ==,
                        XPU_LINK_NO_PEER);
    }
    g_assert_cmpuint(rd(&f.x[1], XPU_REG_NUM_LINKS), ==, 1);
    g_assert_cmphex(rd(&f.x[1], XPU_REG_LINK(0, XPU_LINK_STATUS)), ==, 0);
    g_assert_cmpuint(rd(&f.x[2], XPU_REG_NUM_LINKS), ==, 0);
    g_assert_false(rd(&f.x[2], XPU_REG_CAPS) & XPU_CAP_LINK);
    g_assert_cmpuint(rd(&f.x[2], XPU_REG_CHIP_ID), ==, 2);
    fab_stop(&f);

    /* two links between the same pair, plain ids: ports pair in order */
    {
        static const char *const two[] = { "x1:x1", "x0:x0" };

        fab_start(&f, 2, two, NULL);
        for (int i = 0; i < 2; i++) {
            for (int p = 0; p < 2; p++) {
                g_assert_cmphex(rd(&f.x[i], XPU_REG_LINK(p, XPU_LINK_PEER)), ==,
                                (1 - i) | p << 16);
            }
        }
        fab_stop(&f);
    }
}

/* an explicit chip id, and an automatic one (the lowest free) */
static void test_link_chip_ids(void)
{
    QTestState *qts = qtest_init("-machine q35 -nodefaults -L /usr/share/seabios "
                                 "-L /usr/share/qemu -device xpu,hbm_size=16M,chip-id=5 "
                                 "-device xpu,hbm_size=16M,id=y,addr=0x6");
    QPCIBus *bus;
    QGuestAllocator alloc;
    Xpu x;

    pc_alloc_init(&alloc, qts, ALLOC_NO_FLAGS);
    bus = qpci_new_pc(qts, &alloc);
    x.qts = qts;
    x.dev = qpci_device_find(bus, QPCI_DEVFN(6, 0));
    g_assert(x.dev);
    qpci_device_enable(x.dev);
    x.regs = qpci_iomap(x.dev, XPU_BAR_REGS, NULL);
    g_assert_cmpuint(rd(&x, XPU_REG_CHIP_ID), ==, 0);     /* automatic: lowest free */
    g_free(x.dev);
    qpci_free_pc(bus);
    alloc_destroy(&alloc);
    qtest_quit(qts);
}

/* ---- two chips: 0 reaches 1 --------------------------------------------------- */

static const char *const lnk_pair[] = { "x1", "x0" };

typedef struct Pair {
    Fab f;
    LCtx a, b;          /* chip 0 context 0, chip 1 context 0 */
} Pair;

/*
 * Chip 1 exports 16 KiB (VA LNK_EVA -> HBM LNK_EXP, a pattern) as window 0
 * for chip 0 (read-write); chip 0 maps it at LNK_LVA (port 0, window 0).
 */
static void pair_start_on(Pair *p, const char *machine, const char *extra)
{
    uint8_t pat[16384];

    fab_start_on(&p->f, machine, 2, lnk_pair, extra);
    lctx_init(&p->a, &p->f.x[0], 0);
    lctx_init(&p->b, &p->f.x[1], 0);
    for (int i = 0; i < sizeof(pat); i++) {
        pat[i] = i * 11 + 5;
    }
    hbm_write(&p->f.x[1], LNK_EXP, pat, sizeof(pat));
    lctx_map(&p->b, LNK_EVA, LNK_EXP, sizeof(pat), RW);
    win_open(&p->f.x[1], 0, 0, LNK_EVA, sizeof(pat), 1u << 0,
             XPU_WINF_VALID | XPU_WINF_READ | XPU_WINF_WRITE);
    lctx_map(&p->a, LNK_DVA, LNK_DATA, 1 << 20, RW);
    lctx_link(&p->a, LNK_LVA, 0, 0, 0, 4, RW);
}

static void pair_start(Pair *p, const char *extra)
{
    pair_start_on(p, "q35", extra);
}

static void pair_stop(Pair *p)
{
    lctx_free(&p->a);
    lctx_free(&p->b);
    fab_stop(&p->f);
}

static void test_link_reach(void)
{
    enum { LEN = 5000, OFF = 100 };
    Pair p;
    uint8_t in[LEN], out[LEN], before[OFF];
    struct xpu_job_record rec;
    LProg pr = { .n = 0 };

    pair_start(&p, NULL);
    for (int i = 0; i < LEN; i++) {
        in[i] = g_test_rand_int();
    }
    hbm_write(&p.f.x[0], LNK_DATA, in, LEN);
    hbm_read(&p.f.x[1], LNK_EXP, before, OFF);
    /* write chip 1's memory, then read it back into chip 0's HBM */
    lp_dma(&pr, XPU_DMA_VA_TO_VA, LNK_LVA + OFF, LNK_DVA, LEN);
    lp_dma(&pr, XPU_DMA_VA_TO_VA, LNK_DVA + 0x10000, LNK_LVA + OFF, LEN);
    rec = lp_run(&p.a, &pr);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    hbm_read(&p.f.x[1], LNK_EXP + OFF, out, LEN);
    g_assert_cmpmem(in, LEN, out, LEN);
    hbm_read(&p.f.x[1], LNK_EXP, out, OFF);
    g_assert_cmpmem(before, OFF, out, OFF);
    hbm_read(&p.f.x[0], LNK_DATA + 0x10000, out, LEN);
    g_assert_cmpmem(in, LEN, out, LEN);
    /* a link page into the scratchpad and out again to chip 0's HBM */
    pr.n = 0;
    lp_dma(&pr, XPU_DMA_VA_TO_LA, 0, LNK_LVA, 4096);
    lp_dma(&pr, XPU_DMA_LA_TO_VA, LNK_DVA + 0x20000, 0, 4096);
    rec = lp_run(&p.a, &pr);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    hbm_read(&p.f.x[0], LNK_DATA + 0x20000, out, 4096);
    hbm_read(&p.f.x[1], LNK_EXP, in, 4096);
    g_assert_cmpmem(in, 4096, out, 4096);
    pair_stop(&p);
}

/* job on chip 0 writing 64 bytes at link VA va: its record; chip 1 unchanged */
static void isolation_case(Pair *p, uint64_t va, int write, const char *what)
{
    g_autofree uint8_t *before = g_malloc(32768), *after = g_malloc(32768);
    struct xpu_job_record rec;

    hbm_read(&p->f.x[1], LNK_EXP, before, 32768);
    if (write) {
        rec = lp_one(&p->a, XPU_DMA_VA_TO_VA, va, LNK_DVA, 64);
    } else {
        rec = lp_one(&p->a, XPU_DMA_VA_TO_VA, LNK_DVA, va, 64);
    }
    if (rec.status != XPU_JOB_STATUS_LINK_ERROR) {
        g_test_message("%s: status %u", what, rec.status);
    }
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_LINK_ERROR);
    g_assert_cmphex(rec.fault_va, ==, va);
    g_assert_cmpuint(rec.fault_access, ==, write ? XPU_ACCESS_WRITE : XPU_ACCESS_READ);
    hbm_read(&p->f.x[1], LNK_EXP, after, 32768);
    g_assert_cmpmem(before, 32768, after, 32768);
}

static void test_link_isolation(void)
{
    Pair p;
    struct xpu_job_record rec;
    uint8_t junk[64];

    pair_start(&p, NULL);
    memset(junk, 0xab, sizeof(junk));
    hbm_write(&p.f.x[0], LNK_DATA, junk, sizeof(junk));
    /* window 1 never opened */
    lctx_link(&p.a, LNK_LVA + 0x10000, 0, 1, 0, 1, RW);
    isolation_case(&p, LNK_LVA + 0x10000, 1, "no window");
    /* window 1 programmed but VALID clear */
    win_open(&p.f.x[1], 1, 0, LNK_EVA, 16384, 1, XPU_WINF_READ | XPU_WINF_WRITE);
    isolation_case(&p, LNK_LVA + 0x10000, 1, "VALID clear");
    /* window 1 valid for chip 5 only */
    win_open(&p.f.x[1], 1, 0, LNK_EVA, 16384, 1u << 5,
             XPU_WINF_VALID | XPU_WINF_READ | XPU_WINF_WRITE);
    isolation_case(&p, LNK_LVA + 0x10000, 1, "wrong peer");
    isolation_case(&p, LNK_LVA + 0x10000, 0, "wrong peer, read");
    /* window 1 read-only: a read works, a write is refused */
    win_open(&p.f.x[1], 1, 0, LNK_EVA, 16384, 1, XPU_WINF_VALID | XPU_WINF_READ);
    rec = lp_one(&p.a, XPU_DMA_VA_TO_VA, LNK_DVA, LNK_LVA + 0x10000, 64);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    isolation_case(&p, LNK_LVA + 0x10000, 1, "read-only");
    /* beyond the window's size: a PTE at offset 16 KiB of window 0 */
    lctx_link(&p.a, LNK_LVA + 0x20000, 0, 0, 16384, 1, RW);
    isolation_case(&p, LNK_LVA + 0x20000, 1, "beyond size");
    /* a window over a range chip 1 did not map */
    win_open(&p.f.x[1], 2, 0, LNK_EVA + 0x100000, 16384, 1,
             XPU_WINF_VALID | XPU_WINF_READ | XPU_WINF_WRITE);
    lctx_link(&p.a, LNK_LVA + 0x30000, 0, 2, 0, 1, RW);
    isolation_case(&p, LNK_LVA + 0x30000, 1, "unmapped in the exporter");
    /* a port that is not cabled (port 3 of a 1-port chip) */
    lctx_link(&p.a, LNK_LVA + 0x40000, 3, 0, 0, 1, RW);
    isolation_case(&p, LNK_LVA + 0x40000, 1, "no such port");
    /* revoke window 0 after a successful write */
    rec = lp_one(&p.a, XPU_DMA_VA_TO_VA, LNK_LVA, LNK_DVA, 64);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    wr(&p.f.x[1], XPU_REG_WIN(0, XPU_WIN_FLAGS), 0);
    g_assert_cmphex(rd(&p.f.x[1], XPU_REG_WIN(0, XPU_WIN_FLAGS)), ==, 0);
    memset(junk, 0xcd, sizeof(junk));
    hbm_write(&p.f.x[0], LNK_DATA, junk, sizeof(junk));
    isolation_case(&p, LNK_LVA, 1, "revoked");
    isolation_case(&p, LNK_LVA, 0, "revoked, read");
    pair_stop(&p);
}

static void test_link_counters(void)
{
    enum { LEN = 10000 };
    Pair p;
    struct xpu_job_record rec;
    uint64_t busy;

    pair_start(&p, NULL);
    rec = lp_one(&p.a, XPU_DMA_VA_TO_VA, LNK_LVA, LNK_DVA, LEN);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    for (int i = 0; i < 2; i++) {
        Xpu *x = &p.f.x[i];

        g_assert_cmpuint(lcnt(x, 0, XPU_LINK_CNT_BYTES), ==, LEN);
        g_assert_cmpuint(lcnt(x, 0, XPU_LINK_CNT_XFERS), ==, 1);
        /* default 100 GB/s at 1000 MHz: 100 B/cycle, latency 1000 */
        g_assert_cmpuint(lcnt(x, 0, XPU_LINK_CNT_BUSY), ==, 1000 + LEN / 100);
        g_assert_cmpuint(lcnt(x, 0, XPU_LINK_CNT_ERRORS), ==, 0);
    }
    g_assert_cmpuint(perf(&p.f.x[0], XPU_PERF_LINK_BYTES), ==, LEN);
    g_assert_cmpuint(perf(&p.f.x[0], XPU_PERF_LINK_BUSY), ==, 1000 + LEN / 100);
    g_assert_cmpuint(perf(&p.f.x[1], XPU_PERF_LINK_BYTES), ==, 0);
    busy = lcnt(&p.f.x[0], 0, XPU_LINK_CNT_BUSY);
    /* a read of 3 pages (one run) counts at both ends too */
    rec = lp_one(&p.a, XPU_DMA_VA_TO_LA, 0, LNK_LVA, 3 * 4096);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    g_assert_cmpuint(lcnt(&p.f.x[1], 0, XPU_LINK_CNT_BYTES), ==, LEN + 3 * 4096);
    g_assert_cmpuint(lcnt(&p.f.x[1], 0, XPU_LINK_CNT_XFERS), ==, 2);
    g_assert_cmpuint(lcnt(&p.f.x[1], 0, XPU_LINK_CNT_BUSY), ==,
                     busy + 1000 + (3 * 4096 + 99) / 100);
    /* chip 1's reset: its counters and windows cleared, the link stays up */
    wr(&p.f.x[1], XPU_REG_RESET, XPU_RESET_MAGIC);
    for (int r = 0; r < XPU_LINK_CNT_COUNT; r++) {
        g_assert_cmpuint(lcnt(&p.f.x[1], 0, r), ==, 0);
    }
    g_assert_cmpuint(lcnt(&p.f.x[0], 0, XPU_LINK_CNT_BYTES), ==, LEN + 3 * 4096);
    g_assert_cmphex(rd(&p.f.x[1], XPU_REG_WIN(0, XPU_WIN_FLAGS)), ==, 0);
    g_assert_cmphex(rd(&p.f.x[1], XPU_REG_WIN(0, XPU_WIN_SIZE_LO)), ==, 0);
    g_assert_cmphex(rd(&p.f.x[1], XPU_REG_LINK(0, XPU_LINK_STATUS)), ==,
                    XPU_LSTS_CONNECTED | XPU_LSTS_UP);
    rec = lp_one(&p.a, XPU_DMA_VA_TO_LA, 0, LNK_LVA, 64);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_LINK_ERROR);  /* window gone */
    pair_stop(&p);
}

/*
 * A page of chip 0 (LNK_DATA) written over the link into chip 1's LNK_EXP,
 * where it must fail: the job ends LINK_ERROR, chip 1's page is unchanged
 * and each end of the link has now counted errors in all.
 */
static void inject_write_fails(Pair *p, uint64_t errors)
{
    uint8_t before[4096], after[4096];
    struct xpu_job_record rec;

    hbm_read(&p->f.x[1], LNK_EXP, before, sizeof(before));
    rec = lp_one(&p->a, XPU_DMA_VA_TO_VA, LNK_LVA, LNK_DVA, 4096);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_LINK_ERROR);
    hbm_read(&p->f.x[1], LNK_EXP, after, sizeof(after));
    g_assert_cmpmem(before, sizeof(before), after, sizeof(after));
    g_assert_cmpuint(lcnt(&p->f.x[0], 0, XPU_LINK_CNT_ERRORS), ==, errors);
    g_assert_cmpuint(lcnt(&p->f.x[1], 0, XPU_LINK_CNT_ERRORS), ==, errors);
}

/* The same write, where it must work: chip 1's page then holds want. */
static void inject_write_works(Pair *p, const uint8_t *want)
{
    uint8_t after[4096];
    struct xpu_job_record rec;

    rec = lp_one(&p->a, XPU_DMA_VA_TO_VA, LNK_LVA, LNK_DVA, 4096);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    hbm_read(&p->f.x[1], LNK_EXP, after, sizeof(after));
    g_assert_cmpmem(want, sizeof(after), after, sizeof(after));
}

static void test_link_inject(void)
{
    Pair p;
    struct xpu_job_record rec;
    uint8_t after[4096], junk[4096];

    pair_start(&p, NULL);
    memset(junk, 0x77, sizeof(junk));
    hbm_write(&p.f.x[0], LNK_DATA, junk, sizeof(junk));
    /* down at chip 0's end: both ends report it */
    wr(&p.f.x[0], XPU_REG_INJECT, XPU_INJECT_LINK_DOWN | 0 << 8);
    for (int i = 0; i < 2; i++) {
        g_assert_cmphex(rd(&p.f.x[i], XPU_REG_LINK(0, XPU_LINK_STATUS)), ==,
                        XPU_LSTS_CONNECTED);
    }
    inject_write_fails(&p, 1);
    /* RETRAIN at the other end brings it up at both */
    wr(&p.f.x[1], XPU_REG_LINK(0, XPU_LINK_CONTROL), XPU_LCTL_RETRAIN);
    for (int i = 0; i < 2; i++) {
        g_assert_cmphex(rd(&p.f.x[i], XPU_REG_LINK(0, XPU_LINK_STATUS)), ==,
                        XPU_LSTS_CONNECTED | XPU_LSTS_UP);
    }
    inject_write_works(&p, junk);
    /* a corrupted write: dropped, chip 1 unchanged, errors + 1 */
    memset(junk, 0x12, sizeof(junk));
    hbm_write(&p.f.x[0], LNK_DATA, junk, sizeof(junk));
    wr(&p.f.x[0], XPU_REG_INJECT, XPU_INJECT_LINK_CORRUPT | 0 << 8);
    inject_write_fails(&p, 2);
    /* a corrupted read, armed at chip 1's end: chip 0's memory unchanged */
    wr(&p.f.x[1], XPU_REG_INJECT, XPU_INJECT_LINK_CORRUPT | 0 << 8);
    rec = lp_one(&p.a, XPU_DMA_VA_TO_VA, LNK_DVA, LNK_LVA, 4096);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_LINK_ERROR);
    hbm_read(&p.f.x[0], LNK_DATA, after, sizeof(after));
    g_assert_cmpmem(junk, sizeof(junk), after, sizeof(after));
    g_assert_cmpuint(lcnt(&p.f.x[0], 0, XPU_LINK_CNT_ERRORS), ==, 3);
    /* one transfer only: the next works */
    inject_write_works(&p, junk);
    /* a link port out of range: a guest error, nothing changes */
    wr(&p.f.x[0], XPU_REG_INJECT, XPU_INJECT_LINK_DOWN | 5 << 8);
    g_assert_cmphex(rd(&p.f.x[0], XPU_REG_LINK(0, XPU_LINK_STATUS)), ==,
                    XPU_LSTS_CONNECTED | XPU_LSTS_UP);
    pair_stop(&p);
}

/*
 * Chip 0 writes len bytes of fill into chip 1's window 3 (its LNK_EXP, at
 * LNK_LVA + 16 MiB for chip 0) over and over: an endless job on queue 0.
 * Returns the job's fence once 3 transfers have crossed the link.
 */
static uint64_t pair_write_window_forever(Pair *p, uint64_t len, uint8_t fill)
{
    g_autofree uint8_t *buf = g_malloc(len);
    LProg pr = { .n = 0 };
    uint64_t fence;
    int loop;

    lctx_map(&p->b, LNK_EVA, LNK_EXP, len, RW);
    win_open(&p->f.x[1], 3, 0, LNK_EVA, len, 1, XPU_WINF_VALID | XPU_WINF_WRITE);
    lctx_link(&p->a, LNK_LVA + 0x1000000, 0, 3, 0, len / 4096, RW);
    memset(buf, fill, len);
    hbm_write(&p->f.x[0], LNK_DATA, buf, len);
    lp_li(&pr, 3, LNK_LVA + 0x1000000);
    lp_li(&pr, 4, LNK_DVA);
    lp_li(&pr, 5, len);
    loop = pr.n;
    pr.w[pr.n++] = xpu_dma(XPU_DMA_VA_TO_VA, 3, 4, 5);
    pr.w[pr.n] = xpu_jal(0, loop - pr.n);
    pr.n++;
    fence = start_exec(p->a.x, 0, 0, lp_load(&p->a, &pr), 0);
    WAIT_FOR(lcnt(&p->f.x[1], 0, XPU_LINK_CNT_XFERS) >= 3);
    return fence;
}

/* The record of chip x's job on queue 0 with fence, once it has ended. */
static struct xpu_job_record lp_wait(Xpu *x, uint64_t fence)
{
    struct xpu_job_record rec;

    WAIT_FOR(done_fence(x, 0) == fence);
    hbm_read(x, 0xf000, &rec, sizeof(rec));
    return rec;
}

/*
 * Revocation waits for transfers in progress: chip 0 writes 1 MiB into a
 * window of chip 1 over and over (an endless loop); chip 1 revokes the
 * window, then clears the memory through BAR2. Once the revoke returned no
 * transfer may write there again: the job ends LINK_ERROR and the memory
 * stays cleared.
 */
static void test_link_revoke_during_transfers(void)
{
    enum { LEN = 1 << 20 };
    Pair p;
    g_autofree uint8_t *buf = g_malloc(LEN), *zero = g_malloc0(LEN);
    struct xpu_job_record rec;
    uint64_t fence;

    pair_start(&p, NULL);
    fence = pair_write_window_forever(&p, LEN, 0x5c);
    wr(&p.f.x[1], XPU_REG_WIN(3, XPU_WIN_FLAGS), 0);
    hbm_write(&p.f.x[1], LNK_EXP, zero, LEN);
    rec = lp_wait(p.a.x, fence);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_LINK_ERROR);
    hbm_read(&p.f.x[1], LNK_EXP, buf, LEN);
    g_assert_cmpmem(zero, LEN, buf, LEN);
    pair_stop(&p);
}

/*
 * The exporter goes away (hot unplug) while the other chip's job writes its
 * window over and over: unplug waits for the transfer in flight (before, it
 * destroyed the window locks and freed the chip under the transfer: QEMU
 * aborted in qemu_mutex_destroy() or used freed memory); the job ends
 * LINK_ERROR at its next transfer, and chip 0's port reads not connected.
 * The pc machine's root bus takes ACPI hot unplug without a guest.
 */
static void test_link_peer_unplug(void)
{
    enum { LEN = 1 << 20 };
    Pair p;
    struct xpu_job_record rec;
    uint64_t fence;

    pair_start_on(&p, "pc", NULL);
    fence = pair_write_window_forever(&p, LEN, 0x6d);
    qpci_unplug_acpi_device_test(p.f.qts, "x1", 5);
    rec = lp_wait(p.a.x, fence);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_LINK_ERROR);
    g_assert_cmpuint(rd(p.a.x, XPU_REG_LINK(0, XPU_LINK_STATUS)), ==, 0);
    g_assert_cmphex(rd(p.a.x, XPU_REG_LINK(0, XPU_LINK_PEER)), ==, XPU_LINK_NO_PEER);
    p.f.n = 1;          /* x1's QPCIDevice is freed with the others */
    g_free(p.f.x[1].dev);
    pair_stop(&p);
}

/*
 * Chip 1's window covers a page of its context that maps a ROM (the BIOS at
 * the top of 4 GiB, RAM that is not writable: a write to it is dispatched
 * like MMIO, under the BQL). Chip 0's jobs write that page, one after the
 * other, while the test reads the window's registers (the BQL held, then
 * the window lock). Before, serving a transfer held the window lock and
 * then took the BQL for the ROM write: QEMU deadlocked within a few jobs.
 * Now the exporter's memory is reached by direct RAM access only: each job
 * ends LINK_ERROR, chip 1 stays responsive.
 */
static void test_link_serve_never_takes_the_bql(void)
{
    enum { JOBS = 200 };
    Pair p;
    LProg pr = { .n = 0 };
    uint32_t len;

    pair_start(&p, NULL);
    lctx_map(&p.b, LNK_EVA + 0x100000, XPU_DPA_HOST | 0xfffff000ull, 4096, RW);
    win_open(&p.f.x[1], 5, 0, LNK_EVA + 0x100000, 4096, 1, XPU_WINF_VALID | XPU_WINF_WRITE);
    lctx_link(&p.a, LNK_LVA + 0x2000000, 0, 5, 0, 1, RW);
    lp_dma(&pr, XPU_DMA_VA_TO_VA, LNK_LVA + 0x2000000, LNK_DVA, 4096);
    len = lp_load(&p.a, &pr);
    for (int i = 0; i < JOBS; i++) {
        uint64_t fence = start_exec(p.a.x, 0, 0, len, 0);
        struct xpu_job_record rec;

        while (done_fence(p.a.x, 0) != fence) {
            for (int k = 0; k < 4; k++) {
                g_assert_cmphex(rd(&p.f.x[1], XPU_REG_WIN(5, XPU_WIN_FLAGS)), ==,
                                XPU_WINF_VALID | XPU_WINF_WRITE);
            }
        }
        hbm_read(p.a.x, 0xf000, &rec, sizeof(rec));
        g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_LINK_ERROR);
    }
    pair_stop(&p);
}

/*
 * A window over a context whose root register is 0 (no page table, as for
 * jobs: BAD_CTX) reaches nothing. Chip 1's HBM page 0 happens to hold what
 * would be a page table mapping the window's VA to a secret page; before,
 * the transfer walked it as context 2's table and read the secret.
 */
static void test_link_window_of_rootless_context(void)
{
    enum { POOL = 0x8000 };
    Pair p;
    struct xpu_pt pt;
    g_autofree uint8_t *shadow = g_malloc0(POOL);
    uint8_t secret[64], got[64];
    struct xpu_job_record rec;

    pair_start(&p, NULL);
    g_assert_cmpint(xpu_pt_init(&pt, shadow, POOL, 0, POOL), ==, 0);
    g_assert_cmphex(pt.root, ==, 0);
    g_assert_cmpint(xpu_pt_map(&pt, LNK_EVA, LNK_EXP + 0x40000, 4096, RW), ==, 0);
    hbm_write(&p.f.x[1], 0, shadow, POOL);
    memset(secret, 0xa5, sizeof(secret));
    hbm_write(&p.f.x[1], LNK_EXP + 0x40000, secret, sizeof(secret));
    g_assert_cmpuint(rd(&p.f.x[1], XPU_REG_CTX_ROOT(2)), ==, 0);
    win_open(&p.f.x[1], 7, 2, LNK_EVA, 4096, 1, XPU_WINF_VALID | XPU_WINF_READ);
    lctx_link(&p.a, LNK_LVA + 0x3000000, 0, 7, 0, 1, RW);
    memset(got, 0, sizeof(got));
    hbm_write(&p.f.x[0], LNK_DATA, got, sizeof(got));
    rec = lp_one(&p.a, XPU_DMA_VA_TO_VA, LNK_DVA, LNK_LVA + 0x3000000, sizeof(got));
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_LINK_ERROR);
    hbm_read(&p.f.x[0], LNK_DATA, got, sizeof(got));
    g_assert_cmpuint(got[0], ==, 0);
    pair_stop(&p);
}

/*
 * Both directions at once: chip 0 writes chip 1's window while chip 1
 * writes chip 0's (each 64 x 256 KiB, on two queues each), no deadlock
 * between the two chips' window locks, every byte where it belongs and
 * every transfer counted at both ends.
 */
static void test_link_bidirectional(void)
{
    enum { LEN = 256 << 10, ITER = 64 };
    Pair p;
    LCtx *c[2];
    uint64_t fence[2][2];
    uint32_t plen[2];
    g_autofree uint8_t *src = g_malloc(LEN), *got = g_malloc(LEN);

    pair_start(&p, NULL);
    c[0] = &p.a;
    c[1] = &p.b;
    /* chip 0 exports its LNK_EXP range too; chip 1 maps it on its port 0 */
    lctx_map(&p.a, LNK_EVA, LNK_EXP, LEN, RW);
    win_open(&p.f.x[0], 0, 0, LNK_EVA, LEN, 1u << 1, XPU_WINF_VALID | XPU_WINF_WRITE);
    lctx_map(&p.b, LNK_EVA, LNK_EXP, LEN, RW);
    win_open(&p.f.x[1], 0, 0, LNK_EVA, LEN, 1u << 0, XPU_WINF_VALID | XPU_WINF_WRITE);
    for (int i = 0; i < 2; i++) {
        LProg pr = { .n = 0 };
        int loop;

        lctx_map(c[i], LNK_DVA, LNK_DATA, LEN, RW);
        lctx_link(c[i], LNK_LVA, 0, 0, 0, LEN / 4096, RW);
        memset(src, 0x30 + i, LEN);
        hbm_write(c[i]->x, LNK_DATA, src, LEN);
        lp_li(&pr, 3, LNK_LVA);
        lp_li(&pr, 4, LNK_DVA);
        lp_li(&pr, 5, LEN);
        pr.w[pr.n++] = xpu_li(6, ITER);
        loop = pr.n;
        pr.w[pr.n++] = xpu_dma(XPU_DMA_VA_TO_VA, 3, 4, 5);
        pr.w[pr.n++] = xpu_alui(XPU_ALU_SUB, 6, 6, 1);
        pr.w[pr.n] = xpu_br(XPU_BR_NE, 6, 0, loop - pr.n);
        pr.n++;
        pr.w[pr.n++] = xpu_halt();
        hbm_write(c[i]->x, LNK_PROG, pr.w, pr.n * 8);
        lctx_map(c[i], PROG_VA, LNK_PROG, 4096, XPU_PTE_READ);
        plen[i] = pr.n * 8;
    }
    for (int q = 0; q < 2; q++) {
        for (int i = 0; i < 2; i++) {
            fence[i][q] = start_exec(c[i]->x, q, 0, plen[i], 0);
        }
    }
    /* every job of both chips first: chip i's window is written by the other */
    for (int i = 0; i < 2; i++) {
        for (int q = 0; q < 2; q++) {
            struct xpu_job_record rec;

            WAIT_FOR(done_fence(c[i]->x, q) == fence[i][q]);
            hbm_read(c[i]->x, 0xf000 + q * 64, &rec, sizeof(rec));
            g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
        }
    }
    for (int i = 0; i < 2; i++) {
        /* chip i's window holds what the other chip wrote */
        memset(src, 0x30 + (1 - i), LEN);
        hbm_read(c[i]->x, LNK_EXP, got, LEN);
        g_assert_cmpmem(src, LEN, got, LEN);
        g_assert_cmpuint(lcnt(c[i]->x, 0, XPU_LINK_CNT_XFERS), ==, 2 * 2 * ITER);
        g_assert_cmpuint(lcnt(c[i]->x, 0, XPU_LINK_CNT_BYTES), ==, 2ull * 2 * ITER * LEN);
    }
    pair_stop(&p);
}

/* PCIe peer-to-peer: chip 0's job reaches chip 1's BAR2 as a host address */
static void test_link_p2p_bar(void)
{
    enum { LEN = 3 * 4096 + 100 };
    Fab f;
    LCtx a;
    uint8_t in[LEN], out[LEN];
    struct xpu_job_record rec;
    uint64_t bar2;

    fab_start(&f, 2, NULL, NULL);
    bar2 = f.x[1].hbm.addr;
    g_assert_cmphex(bar2 & 0xfff, ==, 0);
    lctx_init(&a, &f.x[0], 0);
    lctx_map(&a, LNK_DVA, LNK_DATA, 1 << 20, RW);
    lctx_map(&a, LNK_LVA, XPU_DPA_HOST | (bar2 + LNK_EXP), 4 * 4096, RW);
    for (int i = 0; i < LEN; i++) {
        in[i] = i * 3 + 1;
    }
    hbm_write(&f.x[0], LNK_DATA, in, LEN);
    rec = lp_one(&a, XPU_DMA_VA_TO_VA, LNK_LVA + 50, LNK_DVA, LEN);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    hbm_read(&f.x[1], LNK_EXP + 50, out, LEN);
    g_assert_cmpmem(in, LEN, out, LEN);
    /* and back, through the scratchpad */
    rec = lp_one(&a, XPU_DMA_VA_TO_LA, 0x1000, LNK_LVA + 50, LEN);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    g_assert_cmpuint(perf(&f.x[0], XPU_PERF_LINK_BYTES), ==, 0);   /* not a link */
    lctx_free(&a);
    fab_stop(&f);
}

/* modeled cycles of a link transfer: latency + bytes / bandwidth */
static void test_link_timing(void)
{
    Pair p;
    struct xpu_job_record rec;
    const uint64_t want = 2000 + (16384 + 49) / 50;     /* 50 GB/s at 1 GHz */

    pair_start(&p, ",link-gbps=50,link-latency=2000");
    rec = lp_one(&p.a, XPU_DMA_VA_TO_LA, 0, LNK_LVA, 16384);
    g_assert_cmpuint(rec.status, ==, XPU_JOB_STATUS_OK);
    g_assert_cmpuint(rec.cycles, >=, want);
    g_assert_cmpuint(rec.cycles, <=, want + 20);
    g_assert_cmpuint(perf(&p.f.x[0], XPU_PERF_LINK_BUSY), ==, want);
    g_assert_cmpuint(lcnt(&p.f.x[0], 0, XPU_LINK_CNT_BUSY), ==, want);
    g_test_message("16 KiB over a 50 GB/s link: %" PRIu64 " cycles", rec.cycles);
    pair_stop(&p);
}

static void xpu_link_tests_add(void)
{
    qtest_add_func("/xpu/link/topology", test_link_topology);
    qtest_add_func("/xpu/link/chip_ids", test_link_chip_ids);
    qtest_add_func("/xpu/link/reach", test_link_reach);
    qtest_add_func("/xpu/link/isolation", test_link_isolation);
    qtest_add_func("/xpu/link/counters", test_link_counters);
    qtest_add_func("/xpu/link/inject", test_link_inject);
    qtest_add_func("/xpu/link/revoke_during_transfers",
                   test_link_revoke_during_transfers);
    qtest_add_func("/xpu/link/bidirectional", test_link_bidirectional);
    qtest_add_func("/xpu/link/peer_unplug", test_link_peer_unplug);
    qtest_add_func("/xpu/link/serve_never_takes_the_bql",
                   test_link_serve_never_takes_the_bql);
    qtest_add_func("/xpu/link/window_of_rootless_context",
                   test_link_window_of_rootless_context);
    qtest_add_func("/xpu/link/p2p_bar", test_link_p2p_bar);
    qtest_add_func("/xpu/link/timing", test_link_timing);
}
