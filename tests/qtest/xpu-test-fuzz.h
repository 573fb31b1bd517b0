/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * /xpu/fuzz: a structure-aware fuzzer of the device, included by xpu-test.c
 * (it uses that file's helpers). For XPU_FUZZ_SECONDS (default 2) it mixes:
 * valid rings carrying EXEC jobs of random programs (garbage words, valid
 * opcodes with random fields, DMA between random mapped and unmapped
 * addresses, endless loops) over random page tables (HBM and guest frames,
 * random permissions, unbacked guest addresses), random descriptors, racing
 * MMIO writes to every register, queue resets, device resets, FLR and
 * bus-master toggles, without waiting for jobs to finish. QEMU must stay
 * alive and answer, and after a reset the device must run a job correctly.
 * XPU_FUZZ_SEED repeats a run. Prints "device fuzz: N execs".
 */

#define FZ_DATA_VA 0x20000000ull     /* the fuzzed data mappings */

/* 64 random bits from GLib's generator (seeded from XPU_FUZZ_SEED) */
static uint64_t fz_rnd(GRand *s)
{
    uint64_t hi = g_rand_int(s);

    return hi << 32 | g_rand_int(s);
}

/* a random program of n words at PROG_VA's page (HBM offset hbm_off) */
static void fz_program(Ctx *c, GRand *s, uint64_t hbm_off, uint32_t n)
{
    uint64_t p[64];
    uint32_t i;

    switch (fz_rnd(s) % 4) {
    case 0:
        for (i = 0; i < n; i++) {
            p[i] = fz_rnd(s);
        }
        break;
    case 1:     /* endless loop: only STOP or a reset ends it */
        p[0] = xpu_li(3, 0);
        p[1] = xpu_addi(3, 3, 1);
        p[2] = xpu_br(XPU_BR_LTU, 4, 3, -1);
        n = 3;
        break;
    case 2:     /* DMA between random addresses, some of them mapped */
        for (i = 0; i + 4 < n; i += 4) {
            p[i] = xpu_li(3, fz_rnd(s) % 2 ? FZ_DATA_VA + fz_rnd(s) % 0x10000 : (int32_t)fz_rnd(s));
            p[i + 1] = xpu_li(4, fz_rnd(s) % 2 ? FZ_DATA_VA + fz_rnd(s) % 0x10000 : (int32_t)fz_rnd(s));
            p[i + 2] = xpu_li(5, fz_rnd(s) % 0x20000);
            p[i + 3] = xpu_dma(fz_rnd(s) % 6, 4, 3, 5);
        }
        p[i] = xpu_halt();
        n = i + 1;
        break;
    default:    /* valid opcodes, random fields */
        for (i = 0; i + 1 < n; i++) {
            p[i] = (fz_rnd(s) & ~((uint64_t)0xff << XPU_F_OP_SHIFT)) |
                   ((uint64_t)xpu_isa_nth_opcode(fz_rnd(s)) << XPU_F_OP_SHIFT);
        }
        p[n - 1] = xpu_halt();
        break;
    }
    load_prog(c, hbm_off, p, n, NULL, 0);
}

/* FLR clears the BARs: put back the addresses libqos gave them */
static void fz_flr(Xpu *x, uint8_t exp_cap)
{
    uint16_t ctl = qpci_config_readw(x->dev, exp_cap + PCI_EXP_DEVCTL);
    uint32_t bars[6];

    for (int i = 0; i < 6; i++) {
        bars[i] = qpci_config_readl(x->dev, PCI_BASE_ADDRESS_0 + 4 * i);
    }
    qpci_config_writew(x->dev, exp_cap + PCI_EXP_DEVCTL, ctl | PCI_EXP_DEVCTL_BCR_FLR);
    for (int i = 0; i < 6; i++) {
        qpci_config_writel(x->dev, PCI_BASE_ADDRESS_0 + 4 * i, bars[i]);
    }
    qpci_device_enable(x->dev);
}

static void test_fuzz(void)
{
    const char *e = getenv("XPU_FUZZ_SECONDS"), *seed_env = getenv("XPU_FUZZ_SEED");
    uint64_t seed = seed_env ? g_ascii_strtoull(seed_env, NULL, 0) : (uint64_t)g_get_real_time();
    gint64 end = g_get_monotonic_time() + (e ? atoi(e) : 2) * G_USEC_PER_SEC;
    const guint32 seed32[2] = { seed >> 32, (guint32)seed };
    GRand *s = g_rand_new_with_seed_array(seed32, 2);
    uint64_t execs = 0, fence;
    uint8_t exp_cap;
    Xpu x;
    Ctx c;

    g_test_message("device fuzz: seed %" PRIu64 " (XPU_FUZZ_SEED repeats it)", seed);
    xpu_start(&x, NULL);
    exp_cap = qpci_find_capability(x.dev, PCI_CAP_ID_EXP, 0);
    ctx_init(&c, &x, CTX);
    while (g_get_monotonic_time() < end) {
        uint32_t what = fz_rnd(s) % 16, q = fz_rnd(s) % 2;

        execs++;
        if (what < 6) {                 /* an EXEC job of a random program */
            if (fz_rnd(s) % 4 == 0) {
                uint64_t frame = fz_rnd(s) % 2 ? DATA_BASE + (fz_rnd(s) % 256) * 4096
                                                : (fz_rnd(s) % 0x20000) * 4096;
                uint64_t perm = (fz_rnd(s) % 8) | (fz_rnd(s) % 2 ? XPU_PTE_HOST : 0);

                if (c.pt.pool_next + 3 * 4096 >= c.pool + PT_POOL_SIZE) {
                    ctx_init(&c, &x, CTX);
                }
                /* the writer may refuse a mapping (bad permissions) */
                if (!xpu_pt_map(&c.pt, FZ_DATA_VA + (fz_rnd(s) % 16) * 4096,
                                frame | ((perm & XPU_PTE_HOST) ? XPU_DPA_HOST : 0),
                                4096 * (1 + fz_rnd(s) % 4), perm & ~XPU_PTE_HOST)) {
                    pt_sync(&c);
                }
            }
            if (c.pt.pool_next + 3 * 4096 >= c.pool + PT_POOL_SIZE) {
                ctx_init(&c, &x, CTX);
            }
            fz_program(&c, s, DATA_BASE + 0x200000 + q * 0x2000, 1 + fz_rnd(s) % 48);
            start_exec(&x, q, fz_rnd(s) % 8 ? CTX : fz_rnd(s) % 64,
                       fz_rnd(s) % 8 ? 8 * (1 + fz_rnd(s) % 48) : (uint32_t)fz_rnd(s),
                       0);
        } else if (what < 8) {          /* a random descriptor on a valid ring */
            struct xpu_job_desc d;
            uint64_t *w = (uint64_t *)&d;

            for (size_t i = 0; i < sizeof(d) / 8; i++) {
                w[i] = fz_rnd(s);
            }
            if (fz_rnd(s) % 2) {
                d.op = fz_rnd(s) % 8;
                d.record = 0xf000 + q * 64;
            }
            queue_setup(&x, q, 0x8000 + q * 0x1000, 2, 0xf800 + q * 8);
            put_desc_hbm(&x, 0x8000 + q * 0x1000, 0, &d);
            qwr(&x, q, XPU_Q_TAIL, 1);
        } else if (what < 12) {         /* racing MMIO */
            uint32_t off = fz_rnd(s) % 2 ? XPU_REG_Q(fz_rnd(s) % 3, (fz_rnd(s) % 16) * 4)
                                          : (fz_rnd(s) % (XPU_REGS_SIZE / 4)) * 4;

            if (off != XPU_REG_RESET) {
                wr(&x, off, fz_rnd(s) % 4 ? (uint32_t)fz_rnd(s) : fz_rnd(s) % 8);
            }
            rd(&x, (fz_rnd(s) % (XPU_REGS_SIZE / 4)) * 4);
        } else if (what == 12) {        /* queue reset mid-job */
            qwr(&x, q, XPU_Q_CONTROL, XPU_QCTL_RESET);
        } else if (what == 13) {        /* device reset: page tables are gone */
            wr(&x, XPU_REG_RESET, XPU_RESET_MAGIC);
            ctx_init(&c, &x, CTX);
        } else if (what == 14) {        /* bus mastering off and on mid-job */
            uint16_t cmd = qpci_config_readw(x.dev, PCI_COMMAND);

            qpci_config_writew(x.dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
            g_usleep(fz_rnd(s) % 2000);
            qpci_config_writew(x.dev, PCI_COMMAND, cmd | PCI_COMMAND_MASTER);
        } else if (exp_cap && fz_rnd(s) % 4 == 0) {   /* FLR mid-job */
            fz_flr(&x, exp_cap);
            ctx_init(&c, &x, CTX);
        }
    }
    /*
     * QEMU answers, and after a reset a job runs and completes. The reset
     * aborts the jobs still running; as hardware.md 14.3 says, wait for
     * BUSY == 0 on every queue (within WAIT_FOR's 10 s: an abort the device
     * ignores fails here) before the set-up, whose writes a BUSY queue
     * ignores (the cause of this test's old intermittent failure here).
     */
    wr(&x, XPU_REG_RESET, XPU_RESET_MAGIC);
    g_assert_cmphex(rd(&x, XPU_REG_ID), ==, XPU_ID_MAGIC);
    for (int q = 0; q < 2; q++) {
        queue_wait_idle(&x, q);
    }
    queue_setup(&x, 0, 0x100000, 2, 0x200000);
    g_assert_cmpuint(qrd(&x, 0, XPU_Q_RING_SIZE), ==, 2);
    fence = 0x5eed;
    put_desc_hbm(&x, 0x100000, 0, &(struct xpu_job_desc){ .fence = fence });
    qwr(&x, 0, XPU_Q_TAIL, 1);
    WAIT_FOR(done_fence(&x, 0) == fence);
    g_test_message("device fuzz: %" PRIu64 " execs, seed %" PRIu64, execs, seed);
    g_rand_free(s);
    xpu_stop(&x);
}
