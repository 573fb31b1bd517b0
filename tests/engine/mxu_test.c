// SPDX-License-Identifier: MIT
/* Matrix unit: int8 and bf16 against the naive reference, shapes, strides,
 * accumulate/overwrite, special values, operand checks. */
#include <math.h>
#include "kselftest_harness.h"
#include "xpu_test_util.h"

FIXTURE(mxu) { struct tenv *e; };
FIXTURE_SETUP(mxu) { self->e = tenv_new(NULL); ASSERT_NE(NULL, self->e); }
FIXTURE_TEARDOWN(mxu) { tenv_free(self->e); }

/* random operands, run on the engine and the reference, compare all of C's
 * footprint (including bytes between rows that must stay untouched) */
static int check_mm(struct tenv *e, struct tmm c, uint64_t seed, int special)
{
	int bf = c.f & XPU_MM_BF16;
	uint64_t es = bf ? 2 : 1;
	uint64_t lda = c.lda ? c.lda : c.k, ldb = c.ldb ? c.ldb : c.n, ldc = c.ldc ? c.ldc : c.n;
	uint64_t na = c.m * lda, nb = c.k * ldb, nc = c.m * ldc, i;
	uint8_t *a = tla(e, c.la_a, na * es), *b = tla(e, c.la_b, nb * es);
	uint8_t *cc = tla(e, c.la_c, nc * 4);
	uint32_t *ref = malloc(nc * 4 + 4);
	static const uint16_t specials[] = { 0x7f80, 0xff80, 0x7fc1, 0xffff, 0x0001, 0x8001,
					     0x007f, 0x8000, 0x0000, 0x7f7f, 0xff7f, 0x3f80 };
	int ok;

	if (!a || !b || !cc || !ref)
		return 0;
	for (i = 0; i < na; i++) {
		if (bf) {
			uint16_t v = trand_bf16(&seed);

			if (special && trand(&seed) % 8 == 0)
				v = specials[trand(&seed) % 12];
			memcpy(a + 2 * i, &v, 2);
		} else {
			a[i] = (uint8_t)trand(&seed);
		}
	}
	for (i = 0; i < nb; i++) {
		if (bf) {
			uint16_t v = trand_bf16(&seed);

			if (special && trand(&seed) % 8 == 0)
				v = specials[trand(&seed) % 12];
			memcpy(b + 2 * i, &v, 2);
		} else {
			b[i] = (uint8_t)trand(&seed);
		}
	}
	for (i = 0; i < nc; i++) {
		uint32_t v = bf ? xref_f2u(((float)(trand(&seed) % 2001) - 1000.0f) / 7.0f) : trand(&seed);

		memcpy(cc + 4 * i, &v, 4);
	}
	memcpy(ref, cc, nc * 4);
	if (bf)
		xref_matmul_bf16(c.m, c.k, c.n, (uint16_t *)a, lda, (uint16_t *)b, ldb, ref, ldc,
				 !!(c.f & XPU_MM_ACC));
	else
		xref_matmul_i8(c.m, c.k, c.n, (int8_t *)a, lda, (int8_t *)b, ldb, ref, ldc,
			       !!(c.f & XPU_MM_ACC));
	ok = tenv_matmul(e, &c) == XPU_JOB_STATUS_OK && memcmp(cc, ref, nc * 4) == 0 &&
	     e->rec.macs == c.m * c.k * c.n;
	free(ref);
	return ok;
}

TEST_F(mxu, int8_shapes)
{
	static const uint64_t shapes[][3] = {
		{ 1, 1, 1 }, { 16, 16, 16 }, { 37, 53, 29 }, { 128, 128, 128 }, { 129, 257, 65 },
		{ 3, 1000, 7 }, { 200, 3, 300 }, { 64, 64, 1 }, { 1, 64, 200 },
	};
	struct tenv *e = self->e;

	for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (uint32_t acc = 0; acc < 2; acc++) {
			struct tmm c = { shapes[s][0], shapes[s][1], shapes[s][2], 0, 0, 0,
					    SPAD, SPAD + 0x100000 + s, ACC + 4 * s, acc ? XPU_MM_ACC : 0 };

			ASSERT_TRUE(check_mm(e, c, s * 2 + acc + 1, 0)) {
				TH_LOG("shape %llu %llu %llu acc %u", (unsigned long long)c.m,
				       (unsigned long long)c.k, (unsigned long long)c.n, acc);
			}
		}
}

TEST_F(mxu, bf16_shapes)
{
	static const uint64_t shapes[][3] = {
		{ 1, 1, 1 }, { 16, 16, 16 }, { 37, 53, 29 }, { 128, 128, 128 }, { 129, 300, 65 },
		{ 2, 1000, 3 }, { 100, 5, 130 },
	};
	struct tenv *e = self->e;

	for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (uint32_t acc = 0; acc < 2; acc++) {
			struct tmm c = { shapes[s][0], shapes[s][1], shapes[s][2], 0, 0, 0,
					    SPAD + 2, SPAD + 0x100000, ACC + 8,
					    XPU_MM_BF16 | (acc ? XPU_MM_ACC : 0) };

			ASSERT_TRUE(check_mm(e, c, 100 + s * 2 + acc, 0));
			ASSERT_TRUE(check_mm(e, c, 200 + s * 2 + acc, 1));	/* NaN/inf/denormal */
		}
}

TEST_F(mxu, strides)
{
	struct tenv *e = self->e;
	struct tmm c = { 20, 70, 33, 100, 40, 50, SPAD, SPAD + 0x80000, ACC, 0 };

	ASSERT_TRUE(check_mm(e, c, 5, 0));
	c.f = XPU_MM_ACC;
	ASSERT_TRUE(check_mm(e, c, 6, 0));
	c.f = XPU_MM_BF16 | XPU_MM_ACC;
	ASSERT_TRUE(check_mm(e, c, 7, 1));
	/* strides smaller than the rows are rejected */
	c.lda = 69;
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, tenv_matmul(e, &c));
	c.lda = 0;
	c.ldc = 32;
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, tenv_matmul(e, &c));
}

TEST_F(mxu, int8_wraparound)
{
	struct tenv *e = self->e;
	/* K = 2^18 (-128)*(-128) products: sum = 2^32 -> wraps to 0; plus one 1*1 */
	uint64_t k = (1u << 18) + 1;
	struct tmm c = { 1, k, 1, 0, 0, 0, SPAD, SPAD + 0x100000, ACC, 0 };

	memset(tla(e, SPAD, k), 0x80, k);
	memset(tla(e, SPAD + 0x100000, k), 0x80, k);
	*tla(e, SPAD + k - 1, 1) = 1;
	*tla(e, SPAD + 0x100000 + k - 1, 1) = 1;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(1u, *(uint32_t *)tla(e, ACC, 4));
	*(uint32_t *)tla(e, ACC, 4) = 0x7fffffff;
	c.f = XPU_MM_ACC;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x80000000u, *(uint32_t *)tla(e, ACC, 4));
	/* and the reference agrees */
	ASSERT_TRUE(check_mm(e, c, 9, 0));
}

TEST_F(mxu, bf16_special_values)
{
	struct tenv *e = self->e;
	struct tmm c = { 1, 2, 1, 0, 0, 0, SPAD, SPAD + 64, ACC, XPU_MM_BF16 };
	uint16_t *a = (uint16_t *)tla(e, SPAD, 4), *b = (uint16_t *)tla(e, SPAD + 64, 4);
	uint32_t *cc = (uint32_t *)tla(e, ACC, 4);

	/* inf * 0 = NaN, canonical */
	a[0] = 0x7f80; b[0] = 0; a[1] = 0x3f80; b[1] = 0x3f80;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x7fc00000u, *cc);
	/* NaN payloads come out canonical */
	a[0] = 0xffc1; b[0] = 0x3f80;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x7fc00000u, *cc);
	/* inf + -inf */
	a[0] = 0x7f80; b[0] = 0x3f80; a[1] = 0xff80; b[1] = 0x3f80;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x7fc00000u, *cc);
	/* denormal products are kept (no flush to zero): 2^-126 * 2^-10 */
	a[0] = 0x0080; b[0] = 0x3a80; a[1] = 0; b[1] = 0;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x00002000u, *cc);
	/* -0 * 1 + -0 * 1 from +0 start: +0 */
	a[0] = 0x8000; b[0] = 0x3f80; a[1] = 0x8000; b[1] = 0x3f80;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0u, *cc);
	/* sequential fp32 rounding: 1 + 2^-24 + 2^-24 stays 1 (ascending k) */
	a[0] = 0x3f80; b[0] = 0x3f80; a[1] = 0x3380; b[1] = 0x3f80;	/* 1, 2^-24 */
	c.k = 2;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x3f800000u, *cc);
	c.f |= XPU_MM_ACC;	/* accumulate: 1 + 1 + 2^-24 = 2 */
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x40000000u, *cc);
}

TEST_F(mxu, zero_sizes_and_operand_checks)
{
	struct tenv *e = self->e;
	struct tmm c = { 4, 0, 4, 0, 0, 0, SPAD, SPAD, ACC, 0 };
	uint32_t *cc = (uint32_t *)tla(e, ACC, 64);

	/* K = 0 overwrite: C = 0; accumulate: unchanged */
	memset(cc, 0x11, 64);
	ASSERT_EQ(0, tenv_matmul(e, &c));
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(0u, cc[i]);
	memset(cc, 0x11, 64);
	c.f = XPU_MM_ACC;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x11111111u, cc[15]);
	EXPECT_EQ(0, e->rec.macs);
	/* bf16 K = 0 accumulate canonicalises NaN */
	cc[0] = 0xffc12345;
	c.f = XPU_MM_ACC | XPU_MM_BF16;
	ASSERT_EQ(0, tenv_matmul(e, &c));
	EXPECT_EQ(0x7fc00000u, cc[0]);
	/* M = 0 or N = 0: nothing at all, even with wild addresses */
	struct tmm z = { 0, 5, 5, 0, 0, 0, ~0ull, ~0ull, ~0ull, 0 };

	EXPECT_EQ(0, tenv_matmul(e, &z));
	z.m = 5;
	z.n = 0;
	EXPECT_EQ(0, tenv_matmul(e, &z));
	/* A or B in the accumulator, C in the scratchpad */
	struct tmm b = { 4, 4, 4, 0, 0, 0, ACC, SPAD, ACC + 4096, 0 };

	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tenv_matmul(e, &b));
	b.la_a = SPAD;
	b.la_b = ACC;
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tenv_matmul(e, &b));
	b.la_b = SPAD;
	b.la_c = SPAD + 4096;
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tenv_matmul(e, &b));
	/* past the end of the SRAMs; huge dims overflowing 64 bits */
	b.la_c = ACC + (1u << 20) - 60;
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tenv_matmul(e, &b));
	b.la_c = ACC;
	b.la_a = (4u << 20) - 15;
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tenv_matmul(e, &b));
	struct tmm h = { 1ull << 40, 1ull << 40, 1ull << 40, 0, 0, 0, SPAD, SPAD, ACC, 0 };

	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tenv_matmul(e, &h));
	h.m = 1;
	h.k = 1ull << 63;
	h.n = 1;
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tenv_matmul(e, &h));
}

TEST_F(mxu, full_sram_operands)
{
	struct tenv *e = self->e;
	/* A 512x4096 (2 MiB) and B 4096x64 (256 KiB, at the end of spad); C 512x64x4 + ...:
	 * C 1024x256 int32 = the full 1 MiB accumulator with M=1024,K=2048,N=256 */
	struct tmm c = { 1024, 2048, 256, 0, 0, 0, SPAD, (4u << 20) - 2048 * 256, ACC, 0 };

	ASSERT_TRUE(check_mm(e, c, 77, 0));
	c.f = XPU_MM_BF16;
	c.k = 1024;
	c.la_b = (4u << 20) - 1024 * 256 * 2;
	ASSERT_TRUE(check_mm(e, c, 78, 0));
}

/*
 * Hang detection (issue 10 item 6): a MATMUL publishes a unit of progress
 * at its start, per panel and every 4096 rows of a panel, so a tall one
 * keeps PROGRESS moving; the result and the modeled cycles are the same
 * with or without a run_ctl.
 */
TEST_F(mxu, long_matmul_publishes_progress)
{
	struct tenv *e = self->e;
	struct tmm tall = { 8192, 16, 16, 0, 0, 0, SPAD, SPAD + 0x100000, ACC, 0 };
	struct tmm small = { 16, 16, 16, 0, 0, 0, SPAD, SPAD + 0x100000, ACC, 0 };
	uint64_t cycles;

	ASSERT_TRUE(check_mm(e, small, 1, 0));
	EXPECT_EQ(2, e->ctl.work);		/* start + one panel */
	for (uint32_t bf = 0; bf < 2; bf++) {
		tall.f = bf ? XPU_MM_BF16 : 0;
		ASSERT_TRUE(check_mm(e, tall, 2 + bf, 0));
		EXPECT_EQ(4, e->ctl.work);	/* start, panel, rows 4096 and 8192 */
		EXPECT_EQ(e->rec.retired, e->ctl.retired);
		EXPECT_EQ(e->rec.retired + 4, xpu_run_progress(&e->ctl));
		cycles = e->rec.cycles;
		ASSERT_EQ(0, xpu_tile_run(e->t, e->pt.root, &e->job, NULL, &e->rec, NULL));
		EXPECT_EQ(cycles, e->rec.cycles);
	}
}

TEST_HARNESS_MAIN
