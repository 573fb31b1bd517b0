// SPDX-License-Identifier: MIT
/* Timing model: fold formula, DMA/VPU formulas, overlap and dependencies,
 * busy counters; the 1024-cube matmul logs its host time (make bench has the
 * speed comparison). */
#include <time.h>
#include "kselftest_harness.h"
#include "xpu_test_util.h"

TEST(matmul_fold_formula)
{
	EXPECT_EQ(152, xpu_timing_matmul_cycles(8, 8, 16, 16, 16));	/* SCALE-Sim WS */
	EXPECT_EQ(89984, xpu_timing_matmul_cycles(128, 128, 1024, 1024, 1024));
	EXPECT_EQ(2 * 128 + 128 + 1 - 2, xpu_timing_matmul_cycles(128, 128, 1, 1, 1));
	EXPECT_EQ(2 * 3 * (2 * 128 + 128 + 37 - 2), xpu_timing_matmul_cycles(128, 128, 37, 129, 300));
	EXPECT_EQ(0, xpu_timing_matmul_cycles(128, 128, 0, 5, 5));
	EXPECT_EQ(0, xpu_timing_matmul_cycles(128, 128, 5, 0, 5));
	for (uint64_t m = 1; m < 300; m += 37)
		for (uint64_t k = 1; k < 300; k += 41)
			for (uint64_t n = 1; n < 300; n += 43)
				ASSERT_EQ(xref_matmul_cycles(16, 32, m, k, n),
					  xpu_timing_matmul_cycles(16, 32, m, k, n));
}

TEST(dma_and_vector_formulas)
{
	struct xpu_engine_config c = { .clock_mhz = 1000, .hbm_gbps = 1600, .dma_latency_cycles = 500,
				       .host_gbps = 32, .cols = 128 };

	EXPECT_EQ(0, xpu_timing_dma_cycles(&c, 0, 0));
	EXPECT_EQ(501, xpu_timing_dma_cycles(&c, 1, 0));
	EXPECT_EQ(501, xpu_timing_dma_cycles(&c, 1600, 0));
	EXPECT_EQ(502, xpu_timing_dma_cycles(&c, 1601, 0));
	EXPECT_EQ(500 + 32768, xpu_timing_dma_cycles(&c, 1 << 20, 1));	/* host: 32 B/cycle */
	EXPECT_EQ(XPU_ENG_VPU_LATENCY + 1, xpu_timing_vector_cycles(&c, 128));
	EXPECT_EQ(XPU_ENG_VPU_LATENCY + 2, xpu_timing_vector_cycles(&c, 129));
}

FIXTURE(tm) { struct tenv *e; };
FIXTURE_SETUP(tm) { self->e = tenv_new(NULL); ASSERT_NE(NULL, self->e); }
FIXTURE_TEARDOWN(tm) { tenv_free(self->e); }

TEST_F(tm, single_ops_exact_cycles)
{
	struct tenv *e = self->e;

	/* halt alone: 1 cycle */
	E(e, xpu_halt());
	ASSERT_EQ(0, tenv_run(e));
	EXPECT_EQ(1, e->rec.cycles);
	/* one matmul issued at cycle 7 (7 setup insns) */
	tenv_clear(e);
	E(e, xpu_li(3, 256));
	E(e, xpu_li(4, 256));
	E(e, xpu_li(5, 256));
	E(e, xpu_mcfg(XPU_MCFG_SHAPE, 3, 4, 5));
	E(e, xpu_li(6, 0));
	E(e, xpu_li(7, 0x10000));
	E(e, xpu_liu(8, (uint32_t)ACC));
	E(e, xpu_matmul(0, 8, 6, 7));
	E(e, xpu_halt());
	ASSERT_EQ(0, tenv_run(e));
	EXPECT_EQ(7 + xpu_timing_matmul_cycles(128, 128, 256, 256, 256), e->rec.cycles);
	EXPECT_EQ(xpu_timing_matmul_cycles(128, 128, 256, 256, 256), e->st.mxu_busy);
	EXPECT_EQ(256ull * 256 * 256, e->st.macs);
	/* a FENCE makes the scalar core wait: following insns add to the end */
	e->prog[e->n - 1] = xpu_fence();
	E(e, xpu_nop());
	E(e, xpu_halt());
	ASSERT_EQ(0, tenv_run(e));
	EXPECT_EQ(7 + xpu_timing_matmul_cycles(128, 128, 256, 256, 256) + 3, e->rec.cycles);
}

/* load A,B (DMA) -> matmul -> requant -> store; two independent halves */
static void pipeline(struct tenv *e, int dependent)
{
	uint64_t half = 128 * 256;	/* A half: 128x256 int8 */

	tenv_clear(e);
	E(e, xpu_li(3, 128));
	E(e, xpu_li(4, 256));
	E(e, xpu_li(5, 256));
	E(e, xpu_mcfg(XPU_MCFG_SHAPE, 3, 4, 5));
	LI64(e, 10, T_DATA_VA);
	LI64(e, 11, SPAD);
	LI64(e, 12, 256 * 256);
	LI64(e, 13, 0x100000);				/* B in spad */
	LI64(e, 14, T_DATA_VA + 0x100000);
	E(e, xpu_dma(XPU_DMA_VA_TO_LA, 13, 14, 12));	/* B */
	LI64(e, 15, half);
	E(e, xpu_dma(XPU_DMA_VA_TO_LA, 11, 10, 15));	/* A top half */
	LI64(e, 16, ACC);
	E(e, xpu_matmul(0, 16, 11, 13));		/* C top (needs A top, B) */
	LI64(e, 17, SPAD + half);
	LI64(e, 18, T_DATA_VA + half);
	/* dependent: the second load overwrites A top, which the matmul reads (WAR) */
	E(e, xpu_dma(XPU_DMA_VA_TO_LA, dependent ? 11 : 17, 18, 15));
	LI64(e, 19, ACC + 128 * 256 * 4);
	E(e, xpu_matmul(0, 19, dependent ? 11 : 17, 13));
	E(e, xpu_halt());
}

TEST_F(tm, dma_mxu_overlap)
{
	struct tenv *e = self->e;
	uint64_t serial;

	pipeline(e, 0);
	ASSERT_EQ(0, tenv_run(e));
	serial = e->st.dma_busy + e->st.mxu_busy;
	EXPECT_EQ(3 * 500 + (256 * 256 + 1599) / 1600 + 2 * ((128 * 256 + 1599) / 1600), e->st.dma_busy);
	EXPECT_EQ(2 * xpu_timing_matmul_cycles(128, 128, 128, 256, 256), e->st.mxu_busy);
	EXPECT_LT(e->rec.cycles, serial);	/* second load overlaps first matmul */
	uint64_t overlapped = e->rec.cycles;

	/* WAR on A: the second load must wait for the first matmul */
	pipeline(e, 1);
	ASSERT_EQ(0, tenv_run(e));
	EXPECT_GT(e->rec.cycles, overlapped);
	EXPECT_GE(e->rec.cycles, serial);
	/* results of the overlapped pipeline are those of the plain reference */
	pipeline(e, 0);
	for (uint64_t i = 0; i < 0x110000; i++)
		tva(e, T_DATA_VA)[i] = (uint8_t)(i * 13 + (i >> 8));
	ASSERT_EQ(0, tenv_run(e));
	uint32_t *ref = malloc(256 * 256 * 4);

	xref_matmul_i8(256, 256, 256, (int8_t *)tva(e, T_DATA_VA), 256,
		       (int8_t *)tva(e, T_DATA_VA + 0x100000), 256, ref, 256, 0);
	EXPECT_EQ(0, memcmp(ref, tla(e, ACC, 256 * 256 * 4), 256 * 256 * 4));
	free(ref);
}

TEST_F(tm, scalar_load_waits_for_dma)
{
	struct tenv *e = self->e;

	LI64(e, 3, 1 << 20);
	LI64(e, 4, SPAD);
	E(e, xpu_dma(XPU_DMA_VA_TO_LA, 4, 1, 3));
	E(e, xpu_ld(XPU_MEM_W64, 5, 1, 0));		/* waits for the DMA */
	E(e, xpu_halt());
	ASSERT_EQ(0, tenv_run(e));
	uint64_t dma = xpu_timing_dma_cycles(&(struct xpu_engine_config){ .clock_mhz = 1000,
		.hbm_gbps = 1600, .dma_latency_cycles = 500 }, 1 << 20, 0);

	EXPECT_EQ(e->n - 1 + dma, e->rec.cycles);
	/* a local load of a block the DMA writes also waits */
	e->prog[e->n - 2] = xpu_ld(XPU_MEM_W64 | XPU_MEM_LOCAL, 5, 4, 4096);
	ASSERT_EQ(0, tenv_run(e));
	EXPECT_EQ(e->n - 1 + dma, e->rec.cycles);
	/* a local load of another block does not */
	tenv_clear(e);
	LI64(e, 3, 1 << 20);
	LI64(e, 4, SPAD);
	LI64(e, 6, SPAD + (2 << 20));
	E(e, xpu_dma(XPU_DMA_VA_TO_LA, 4, 1, 3));
	E(e, xpu_ld(XPU_MEM_W64 | XPU_MEM_LOCAL, 5, 6, 0));
	E(e, xpu_halt());
	ASSERT_EQ(0, tenv_run(e));
	EXPECT_EQ(3 + dma, e->rec.cycles);
}

/* VSEL reads three operands: it waits for a DMA writing any of them (RAW),
 * not for one writing elsewhere; it costs what every vector op costs */
TEST_F(tm, vsel_waits_for_each_operand)
{
	struct tenv *e = self->e;
	static const uint64_t la[] = { SPAD + 0x200000, SPAD + 0x280000, SPAD + 0x300000, SPAD };
	struct xpu_engine_config c;
	uint64_t dma, vec;

	xpu_tile_get_config(e->t, &c);
	dma = xpu_timing_dma_cycles(&c, 1 << 20, 0);
	vec = xpu_timing_vector_cycles(&c, 256);
	for (int which = 0; which < 4; which++) {
		tenv_clear(e);
		LI64(e, 3, 1 << 20);
		LI64(e, 4, la[which]);
		E(e, xpu_dma(XPU_DMA_VA_TO_LA, 4, 1, 3));	/* issued at cycle 2 */
		LI64(e, 6, 16);
		E(e, xpu_vcfg(6, 6));
		LI64(e, 8, ACC);
		LI64(e, 9, la[0]);
		LI64(e, 10, la[1]);
		LI64(e, 11, la[2]);
		E(e, xpu_vsel(8, 9, 10, 11));
		E(e, xpu_halt());
		ASSERT_EQ(0, tenv_run(e));
		EXPECT_EQ(vec, e->st.vpu_busy);
		if (which < 3) {
			EXPECT_EQ(2 + dma + vec, e->rec.cycles) TH_LOG("operand %d", which);
		} else {
			EXPECT_EQ(2 + dma, e->rec.cycles);	/* overlapped with the DMA */
		}
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* 1024x1024x1024 on a tile with a 4 MiB accumulator: modeled cycles and host time */
TEST(matmul_1024_cube)
{
	struct xpu_engine_config cfg = { .acc_bytes = 4u << 20 };
	struct tenv *e = tenv_new(&cfg);
	uint64_t n = 1024, i;

	ASSERT_NE(NULL, e);
	for (int bf = 0; bf < 2; bf++) {
		uint64_t es = bf ? 2 : 1;
		uint64_t seed = 3;

		for (i = 0; i < n * n * es; i++)
			tla(e, SPAD, 4u << 20)[i] = (uint8_t)trand(&seed);
		if (bf)		/* keep bf16 values finite */
			for (i = 0; i < 2 * n * n; i++)
				((uint16_t *)tla(e, SPAD, 4u << 20))[i] &= 0xbfff;
		tenv_clear(e);
		LI64(e, 3, n);
		E(e, xpu_mcfg(XPU_MCFG_SHAPE, 3, 3, 3));
		LI64(e, 4, SPAD);
		LI64(e, 5, SPAD + n * n * es);
		LI64(e, 6, ACC);
		E(e, xpu_matmul(bf ? XPU_MM_BF16 : XPU_MM_INT8, 6, 4, 5));
		E(e, xpu_halt());
		double t0 = now_s();

		ASSERT_EQ(0, tenv_run(e));
		double dt = now_s() - t0;

		EXPECT_EQ(e->n - 2 + 89984, e->rec.cycles);	/* issued after n-2 insns */
		EXPECT_EQ(89984, e->st.mxu_busy);
		TH_LOG("%s 1024^3: modeled %llu cycles (%.1f us at 1 GHz), host %.3f s",
		       bf ? "bf16" : "int8", (unsigned long long)e->rec.cycles,
		       e->rec.cycles / 1000.0, dt);
		/* spot check a few outputs against the reference */
		for (int s = 0; s < 8; s++) {
			uint64_t m = (s * 131) % n, c = (s * 517) % n;
			uint32_t r;

			if (bf) {
				r = 0;
				xref_matmul_bf16(1, n, 1, (uint16_t *)tla(e, SPAD, 1) + m * n, n,
						 (uint16_t *)tla(e, SPAD + n * n * 2, 1) + c, n, &r, 1, 0);
			} else {
				r = 0;
				xref_matmul_i8(1, n, 1, (int8_t *)tla(e, SPAD, 1) + m * n, n,
					       (int8_t *)tla(e, SPAD + n * n, 1) + c, n, &r, 1, 0);
			}
			ASSERT_EQ(r, ((uint32_t *)tla(e, ACC, 4))[m * n + c]);
		}
	}
	tenv_free(e);
}

TEST_HARNESS_MAIN
