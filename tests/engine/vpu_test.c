// SPDX-License-Identifier: MIT
/* Vector unit and numerics against the reference. */
#include <math.h>
#include "kselftest_harness.h"
#include "xpu_test_util.h"

FIXTURE(vpu) { struct tenv *e; };
FIXTURE_SETUP(vpu) { self->e = tenv_new(NULL); ASSERT_NE(NULL, self->e); }
FIXTURE_TEARDOWN(vpu) { tenv_free(self->e); }

#define S1 (SPAD + 0x10000)
#define S2 (SPAD + 0x40000)
#define D  (ACC + 0x1000)

static const uint32_t fspecial[] = {
	0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001,
	0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x3f800000, 0xbf800000, 0x7f7fffff,
	0x42b17218, 0x42b20000, 0xc2ce0000, 0xc2d00000, 0x3f000000, 0x40490fdb, 0xc1200000,
	0x41200000, 0x3effffff, 0xbeffffff, 0x4b000001, 0x4f000000, 0xcf000000, 0x4effffff,
	0x3fc00000, 0x40200000, 0xbfc00000, 0x40100000,
};
#define NSPECIAL (sizeof(fspecial) / sizeof(fspecial[0]))

static void fill_f32(uint32_t *p, uint64_t n, uint64_t seed, float scale)
{
	for (uint64_t i = 0; i < n; i++) {
		if (i < NSPECIAL)
			p[i] = fspecial[i];
		else
			p[i] = xref_f2u(((float)(int32_t)trand(&seed) / 2147483648.0f) * scale);
	}
}

static void fill_i32(uint32_t *p, uint64_t n, uint64_t seed)
{
	static const uint32_t sp[] = { 0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 2, 0xfffffffe };

	for (uint64_t i = 0; i < n; i++)
		p[i] = i < 7 ? sp[i] : (i & 1 ? trand(&seed) : trand(&seed) % 2001 - 1000);
}

/* set shape, run one vector instruction; r3 = dst, r4 = src1, r5 = src2/scalar,
 * r8 = m (VSEL's mask) when nonzero */
static uint32_t vrun_m(struct tenv *e, uint64_t rows, uint64_t cols, uint64_t d, uint64_t s1,
		       uint64_t s2, uint64_t m, uint64_t insn)
{
	tenv_clear(e);
	LI64(e, 6, rows);
	LI64(e, 7, cols);
	E(e, xpu_vcfg(6, 7));
	LI64(e, 3, d);
	LI64(e, 4, s1);
	LI64(e, 5, s2);
	if (m)
		LI64(e, 8, m);
	E(e, insn);
	E(e, xpu_halt());
	return tenv_run(e);
}

static uint32_t vrun(struct tenv *e, uint64_t rows, uint64_t cols, uint64_t d, uint64_t s1,
		     uint64_t s2, uint64_t insn)
{
	return vrun_m(e, rows, cols, d, s1, s2, 0, insn);
}

TEST_F(vpu, vbin_all)
{
	struct tenv *e = self->e;
	uint64_t rows = 13, cols = 37, n = rows * cols;
	uint32_t *a = (uint32_t *)tla(e, S1, n * 4), *b = (uint32_t *)tla(e, S2, n * 4);
	uint32_t *d = (uint32_t *)tla(e, D, n * 4), ref[13 * 37];
	uint32_t scal[2] = { 0xfffffff9u, 0x3fc00000u };

	for (uint32_t type = 0; type < 2; type++)
		for (uint32_t f = 0; f <= XPU_VBIN_MIN; f++)
			for (uint32_t bc = 0; bc < 4; bc++) {
				uint32_t flags = type | (bc << XPU_VB_BCAST_SHIFT);

				if (type) {
					fill_f32(a, n, f * 7 + bc, 100.0f);
					fill_f32(b, n, f * 5 + bc + 1000, 100.0f);
					/* pair every special with every special somewhere */
					for (unsigned i = 0; i < NSPECIAL && bc == 0; i++)
						for (unsigned j = 0; j < NSPECIAL && 32 + i * NSPECIAL + j < n; j++) {
							a[32 + i * NSPECIAL + j] = fspecial[i];
							b[32 + i * NSPECIAL + j] = fspecial[j];
						}
				} else {
					fill_i32(a, n, f * 7 + bc);
					fill_i32(b, n, f * 5 + bc + 1000);
				}
				xref_vbin(f, type, flags & XPU_VB_BCAST_MASK, rows, cols, ref, a, b,
					  scal[type]);
				ASSERT_EQ(0, vrun(e, rows, cols, D, S1, bc == 3 ? scal[type] : S2,
						  xpu_vbin(f, flags, 3, 4, 5)));
				ASSERT_EQ(0, memcmp(d, ref, n * 4)) {
					TH_LOG("type %u f %u bc %u", type, f, bc);
				}
			}
	/* in place: dst == src1 */
	fill_f32(a, n, 3, 10.0f);
	fill_f32(b, n, 4, 10.0f);
	xref_vbin(XPU_VBIN_MUL, 1, 0, rows, cols, ref, a, b, 0);
	ASSERT_EQ(0, vrun(e, rows, cols, S1, S1, S2, xpu_vbin(XPU_VBIN_MUL, 1, 3, 4, 5)));
	EXPECT_EQ(0, memcmp(a, ref, n * 4));
}

TEST_F(vpu, vun_all)
{
	struct tenv *e = self->e;
	uint64_t n = 4000;
	uint32_t *a = (uint32_t *)tla(e, S1, n * 4), *d = (uint32_t *)tla(e, D, n * 4);
	uint32_t *ref = malloc(n * 4);

	for (uint32_t f = 0; f <= XPU_VUN_NEG; f++)
		for (uint32_t type = 0; type < 2; type++) {
			if (type == XPU_VT_I32 && f != XPU_VUN_RELU && f != XPU_VUN_COPY &&
			    f != XPU_VUN_NEG)
				continue;
			if (type)
				fill_f32(a, n, f, f == XPU_VUN_EXP || f == XPU_VUN_GELU ? 120.0f : 1e6f);
			else
				fill_i32(a, n, f);
			xref_vun(f, type, n, ref, a);
			ASSERT_EQ(0, vrun(e, 40, 100, D, S1, 0, xpu_vun(f, type, 3, 4)));
			ASSERT_EQ(0, memcmp(d, ref, n * 4)) {
				TH_LOG("f %u type %u", f, type);
			}
		}
	free(ref);
}

/* the deterministic transcendentals are accurate (vs libm, within 1 ulp) */
TEST(transcendental_accuracy)
{
	uint64_t seed = 11;

	for (int i = 0; i < 200000; i++) {
		float x = ((float)(int32_t)trand(&seed) / 2147483648.0f) * 100.0f;
		float y = xref_exp(x), r = expf(x);
		float g = xref_gelu(x);
		double gd = 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * (double)x * x * x)));
		float ax = fabsf(x) + 1e-3f;
		float q = xref_rsqrt(ax);

		if (isfinite(r) && r > 1e-37f)
			ASSERT_LE(fabsf(y - r), fabsf(r) * 1.2e-7f) {
				TH_LOG("exp(%a) %a %a", x, y, r);
			}
		ASSERT_LE(fabs(g - gd), fabs(gd) * 2.4e-7 + 1e-37);
		ASSERT_LE(fabs(q - 1.0 / sqrt(ax)), 1.2e-7 / sqrt(ax));
	}
	EXPECT_EQ(0x3f800000u, xref_f2u(xref_exp(0.0f)));
	EXPECT_EQ(0x7f800000u, xref_f2u(xref_exp(89.0f)));
	EXPECT_EQ(0u, xref_f2u(xref_exp(-104.0f)));
	EXPECT_EQ(0u, xref_f2u(xref_gelu(0.0f)));
	EXPECT_EQ(0x41200000u, xref_f2u(xref_gelu(10.0f)));
}

TEST_F(vpu, vred_all)
{
	struct tenv *e = self->e;
	uint64_t rows = 17, cols = 301, n = rows * cols;
	uint32_t *a = (uint32_t *)tla(e, S1, n * 4), *d = (uint32_t *)tla(e, D, rows * 4);
	uint32_t ref[17];

	for (uint32_t type = 0; type < 2; type++)
		for (uint32_t f = 0; f < 2; f++) {
			if (type) {
				fill_f32(a + cols, n - cols, f + 50, 1000.0f);	/* row 0 plain */
				fill_f32(a, cols, f + 60, 1000.0f);
				for (uint64_t i = 0; i < NSPECIAL; i++)
					a[i] = 0x3f800000;
			} else {
				fill_i32(a, n, f + 70);
			}
			xref_vred(f, type, rows, cols, ref, a);
			ASSERT_EQ(0, vrun(e, rows, cols, D, S1, 0, xpu_vred(f, type, 3, 4)));
			ASSERT_EQ(0, memcmp(d, ref, rows * 4)) {
				TH_LOG("f %u type %u", f, type);
			}
		}
	/* cols = 0: identity values; fp32 sum is +0, max is -inf, int max INT32_MIN */
	ASSERT_EQ(0, vrun(e, 2, 0, D, ~0ull, 0, xpu_vred(XPU_VRED_MAX, XPU_VT_F32, 3, 4)));
	EXPECT_EQ(0xff800000u, d[1]);
	ASSERT_EQ(0, vrun(e, 2, 0, D, ~0ull, 0, xpu_vred(XPU_VRED_MAX, XPU_VT_I32, 3, 4)));
	EXPECT_EQ(0x80000000u, d[1]);
	ASSERT_EQ(0, vrun(e, 2, 0, D, ~0ull, 0, xpu_vred(XPU_VRED_SUM, XPU_VT_F32, 3, 4)));
	EXPECT_EQ(0u, d[1]);
	/* -0 sums to +0 (start value +0) */
	a[0] = 0x80000000;
	ASSERT_EQ(0, vrun(e, 1, 1, D, S1, 0, xpu_vred(XPU_VRED_SUM, XPU_VT_F32, 3, 4)));
	EXPECT_EQ(0u, d[0]);
}

TEST_F(vpu, vcvt_all)
{
	struct tenv *e = self->e;
	uint64_t n = 3000;
	uint8_t *a = tla(e, S1, n * 4), *d = tla(e, D, n * 4);
	uint8_t *ref = malloc(n * 4);
	static const uint32_t bf_ties[] = { 0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff,
					    0x7f7f8000, 0x7f7fffff, 0x00008000, 0x00018000 };
	static const uint16_t bf_expect[] = { 0x3f80, 0x3f82, 0x3f81, 0x3f80, 0x7f80, 0x7f80,
					      0x0000, 0x0002 };

	for (uint32_t f = 0; f <= XPU_CVT_I8_BF16; f++) {
		if (f == XPU_CVT_I32_F32)
			fill_i32((uint32_t *)a, n, f);
		else
			fill_f32((uint32_t *)a, n, f, f == XPU_CVT_F32_I32 ? 4e9f : 1e3f);
		if (f == XPU_CVT_F32_I32)	/* ties */
			for (int i = 0; i < 8; i++)
				((float *)a)[40 + i] = -3.5f + (float)i;
		memset(d, 0xee, n * 4);
		memset(ref, 0xee, n * 4);
		xref_vcvt(f, n, ref, a);
		ASSERT_EQ(0, vrun(e, 30, 100, D, S1, 0, xpu_vcvt(f, 3, 4)));
		ASSERT_EQ(0, memcmp(d, ref, n * 4)) {
			TH_LOG("cvt %u", f);
		}
	}
	/* explicit values */
	int32_t *di = (int32_t *)d;
	float *af = (float *)a;

	af[0] = 2.5f; af[1] = 3.5f; af[2] = -2.5f; af[3] = NAN; af[4] = 3e9f; af[5] = -3e9f;
	af[6] = -0.5f; af[7] = 1.5f;
	ASSERT_EQ(0, vrun(e, 1, 8, D, S1, 0, xpu_vcvt(XPU_CVT_F32_I32, 3, 4)));
	EXPECT_EQ(2, di[0]); EXPECT_EQ(4, di[1]); EXPECT_EQ(-2, di[2]); EXPECT_EQ(0, di[3]);
	EXPECT_EQ(INT32_MAX, di[4]); EXPECT_EQ(INT32_MIN, di[5]); EXPECT_EQ(0, di[6]);
	EXPECT_EQ(2, di[7]);
	memcpy(a, bf_ties, sizeof(bf_ties));
	ASSERT_EQ(0, vrun(e, 2, 4, D, S1, 0, xpu_vcvt(XPU_CVT_F32_BF16, 3, 4)));
	EXPECT_EQ(0, memcmp(d, bf_expect, sizeof(bf_expect)));
	((uint32_t *)a)[0] = 0xffc12345;
	ASSERT_EQ(0, vrun(e, 1, 1, D, S1, 0, xpu_vcvt(XPU_CVT_F32_BF16, 3, 4)));
	EXPECT_EQ(0x7fc0, *(uint16_t *)d);
	((int32_t *)a)[0] = 16777217;	/* I32->F32 tie: even */
	ASSERT_EQ(0, vrun(e, 1, 1, D, S1, 0, xpu_vcvt(XPU_CVT_I32_F32, 3, 4)));
	EXPECT_EQ(0x4b800000u, *(uint32_t *)d);
	free(ref);
}

TEST_F(vpu, vqnt_requantize)
{
	struct tenv *e = self->e;
	uint64_t n = 5000;
	uint32_t *a = (uint32_t *)tla(e, S1, n * 4);
	int8_t *d = (int8_t *)tla(e, D, n), ref[5000];
	uint32_t scales[] = { 0x3f800000, 0x3d800000, 0x3c23d70a, 0x7fc00000, 0x00000000, 0xbf000000 };
	int32_t zps[] = { 0, 5, -128, 127, 1000 };

	for (uint32_t type = 0; type < 2; type++)
		for (unsigned s = 0; s < 6; s++)
			for (unsigned z = 0; z < 5; z++) {
				if (type)
					fill_f32(a, n, s * 10 + z, 300.0f);
				else
					fill_i32(a, n, s * 10 + z);
				xref_vqnt(type, n, ref, a, scales[s], zps[z]);
				ASSERT_EQ(0, vrun(e, 50, 100, D, S1, scales[s],
						  xpu_vqnt(type, 3, 4, 5, zps[z])));
				ASSERT_EQ(0, memcmp(d, ref, n)) {
					TH_LOG("type %u scale %x zp %d", type, scales[s], zps[z]);
				}
			}
	/* explicit: ties to even, saturation */
	int32_t v[] = { 1, 3, 5, -1, -3, 255, 256, 1000, -1000, -257, INT32_MAX, INT32_MIN };
	int8_t expect[] = { 0, 2, 2, 0, -2, 127, 127, 127, -128, -128, 127, -128 };

	memcpy(a, v, sizeof(v));
	ASSERT_EQ(0, vrun(e, 1, 12, D, S1, 0x3f000000 /* 0.5 */, xpu_vqnt(XPU_VT_I32, 3, 4, 5, 0)));
	EXPECT_EQ(0, memcmp(d, expect, 12));
}

TEST_F(vpu, ranges_and_empty)
{
	struct tenv *e = self->e;

	/* empty shapes: no-op even with wild addresses */
	EXPECT_EQ(0, vrun(e, 0, 100, ~0ull, ~0ull, ~0ull, xpu_vbin(0, 0, 3, 4, 5)));
	EXPECT_EQ(0, vrun(e, 100, 0, ~0ull, ~0ull, ~0ull, xpu_vun(0, 0, 3, 4)));
	/* past the end of spad / acc */
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE,
		  vrun(e, 1, 2, SPAD + (4u << 20) - 4, S1, S2, xpu_vbin(0, 0, 3, 4, 5)));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE,
		  vrun(e, 1, 2, D, ACC + (1u << 20) - 4, S2, xpu_vbin(0, 0, 3, 4, 5)));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE,
		  vrun(e, 1, 2, D, S1, ACC - 4, xpu_vbin(0, 0, 3, 4, 5)));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE,
		  vrun(e, 1ull << 32, 1ull << 32, D, S1, S2, xpu_vbin(0, 0, 3, 4, 5)));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE,
		  vrun(e, 1ull << 62, 1, D, S1, S2, xpu_vun(0, 0, 3, 4)));
	/* row broadcast checks cols elements only; col broadcast rows elements */
	EXPECT_EQ(0, vrun(e, 2, 2, D, S1, ACC + (1u << 20) - 8, xpu_vbin(0, XPU_VB_ROW, 3, 4, 5)));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE,
		  vrun(e, 3, 2, D, S1, ACC + (1u << 20) - 8, xpu_vbin(0, XPU_VB_COL, 3, 4, 5)));
	/* a full-accumulator tensor */
	EXPECT_EQ(0, vrun(e, 1024, 256, ACC, ACC, 0, xpu_vun(XPU_VUN_RELU, XPU_VT_I32, 3, 4)));
}

/* softmax over rows built from vector ops equals the reference composition */
TEST_F(vpu, softmax_program)
{
	struct tenv *e = self->e;
	uint64_t rows = 8, cols = 50, n = rows * cols;
	uint32_t *x = (uint32_t *)tla(e, ACC, n * 4), ref[400], mx[8], sm[8], ex[400];
	uint64_t seed = 5;

	for (uint64_t i = 0; i < n; i++)
		x[i] = xref_f2u(((float)(int32_t)trand(&seed) / 2147483648.0f) * 20.0f);
	xref_vred(XPU_VRED_MAX, 1, rows, cols, mx, x);
	xref_vbin(XPU_VBIN_SUB, 1, XPU_VB_COL, rows, cols, ex, x, mx, 0);
	xref_vun(XPU_VUN_EXP, 1, n, ex, ex);
	xref_vred(XPU_VRED_SUM, 1, rows, cols, sm, ex);
	xref_vun(XPU_VUN_RECIP, 1, rows, sm, sm);
	xref_vbin(XPU_VBIN_MUL, 1, XPU_VB_COL, rows, cols, ref, ex, sm, 0);

	tenv_clear(e);
	LI64(e, 3, rows);
	LI64(e, 4, cols);
	LI64(e, 5, 1);
	LI64(e, 10, ACC);		/* x, in place */
	LI64(e, 11, ACC + 0x10000);	/* row max / row sum */
	E(e, xpu_vcfg(3, 4));
	E(e, xpu_vred(XPU_VRED_MAX, XPU_VT_F32, 11, 10));
	E(e, xpu_vbin(XPU_VBIN_SUB, XPU_VT_F32 | XPU_VB_COL, 10, 10, 11));
	E(e, xpu_vun(XPU_VUN_EXP, XPU_VT_F32, 10, 10));
	E(e, xpu_vred(XPU_VRED_SUM, XPU_VT_F32, 11, 10));
	E(e, xpu_vcfg(3, 5));
	E(e, xpu_vun(XPU_VUN_RECIP, XPU_VT_F32, 11, 11));
	E(e, xpu_vcfg(3, 4));
	E(e, xpu_vbin(XPU_VBIN_MUL, XPU_VT_F32 | XPU_VB_COL, 10, 10, 11));
	E(e, xpu_halt());
	ASSERT_EQ(0, tenv_run(e));
	EXPECT_EQ(0, memcmp(x, ref, n * 4));
	float s = 0;

	for (uint64_t c = 0; c < cols; c++)
		s += xref_u2f(x[c]);
	EXPECT_LT(fabsf(s - 1.0f), 1e-5f);
	/* vector timing: 6 dependent ops */
	EXPECT_GT(e->st.vpu_busy, 6 * XPU_ENG_VPU_LATENCY);
}

/* ---- ISA 1.x additions: DIV, TANH .. GELU_ERF, VSEL ------------------------ */

/* VBIN DIV (fp32) equals IEEE division, for every broadcast and specials x specials */
TEST_F(vpu, vdiv_f32_matches_reference)
{
	struct tenv *e = self->e;
	uint64_t rows = 13, cols = 37, n = rows * cols;
	uint32_t *a = (uint32_t *)tla(e, S1, n * 4), *b = (uint32_t *)tla(e, S2, n * 4);
	uint32_t *d = (uint32_t *)tla(e, D, n * 4), ref[13 * 37];
	uint32_t scal = 0xc0400000u;	/* -3.0 */

	for (uint32_t bc = 0; bc < 4; bc++) {
		uint32_t flags = XPU_VT_F32 | (bc << XPU_VB_BCAST_SHIFT);

		fill_f32(a, n, 40 + bc, 100.0f);
		fill_f32(b, n, 50 + bc, 100.0f);
		for (unsigned i = 0; i < NSPECIAL && bc == 0; i++)
			for (unsigned j = 0; j < NSPECIAL && 32 + i * NSPECIAL + j < n; j++) {
				a[32 + i * NSPECIAL + j] = fspecial[i];
				b[32 + i * NSPECIAL + j] = fspecial[j];
			}
		xref_vbin(XPU_VBIN_DIV, XPU_VT_F32, flags & XPU_VB_BCAST_MASK, rows, cols, ref, a, b,
			  scal);
		ASSERT_EQ(0, vrun(e, rows, cols, D, S1, bc == 3 ? scal : S2,
				  xpu_vbin(XPU_VBIN_DIV, flags, 3, 4, 5)));
		ASSERT_EQ(0, memcmp(d, ref, n * 4)) {
			TH_LOG("bc %u", bc);
		}
	}
	/* explicit: 1/0 = inf, -1/0 = -inf, 0/0 = canonical NaN, 7/2 = 3.5 */
	a[0] = 0x3f800000; b[0] = 0;
	a[1] = 0xbf800000; b[1] = 0;
	a[2] = 0; b[2] = 0;
	a[3] = 0x40e00000; b[3] = 0x40000000;
	ASSERT_EQ(0, vrun(e, 1, 4, D, S1, S2, xpu_vbin(XPU_VBIN_DIV, XPU_VT_F32, 3, 4, 5)));
	EXPECT_EQ(0x7f800000u, d[0]);
	EXPECT_EQ(0xff800000u, d[1]);
	EXPECT_EQ(0x7fc00000u, d[2]);
	EXPECT_EQ(0x40600000u, d[3]);
}

/* TANH, SIGMOID, ERF, SQRT, ABS, GELU_ERF: engine == reference bit for bit on
 * random data over several ranges plus the specials (NaNs, infs, denormals) */
TEST_F(vpu, vun_new_ops_match_reference)
{
	static const uint32_t ops[] = { XPU_VUN_TANH, XPU_VUN_SIGMOID, XPU_VUN_ERF, XPU_VUN_SQRT,
					XPU_VUN_ABS, XPU_VUN_GELU_ERF };
	static const float scales[] = { 0.01f, 3.0f, 20.0f, 200.0f, 1e30f };
	struct tenv *e = self->e;
	uint64_t n = 4000;
	uint32_t *a = (uint32_t *)tla(e, S1, n * 4), *d = (uint32_t *)tla(e, D, n * 4);
	uint32_t *ref = malloc(n * 4);

	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (unsigned sc = 0; sc < sizeof(scales) / sizeof(scales[0]); sc++) {
			fill_f32(a, n, o * 10 + sc, scales[sc]);
			xref_vun(ops[o], XPU_VT_F32, n, ref, a);
			ASSERT_EQ(0, vrun(e, 40, 100, D, S1, 0, xpu_vun(ops[o], XPU_VT_F32, 3, 4)));
			ASSERT_EQ(0, memcmp(d, ref, n * 4)) {
				TH_LOG("op %u scale %g", ops[o], scales[sc]);
			}
		}
	}
	/* ABS on int32: INT32_MIN stays INT32_MIN (wraps, as NEG) */
	fill_i32(a, n, 77);
	xref_vun(XPU_VUN_ABS, XPU_VT_I32, n, ref, a);
	ASSERT_EQ(0, vrun(e, 40, 100, D, S1, 0, xpu_vun(XPU_VUN_ABS, XPU_VT_I32, 3, 4)));
	ASSERT_EQ(0, memcmp(d, ref, n * 4));
	EXPECT_EQ(0u, d[0]);
	EXPECT_EQ(1u, d[1]);
	EXPECT_EQ(1u, d[2]);
	EXPECT_EQ(0x7fffffffu, d[3]);
	EXPECT_EQ(0x80000000u, d[4]);
	free(ref);
}

/* error of got vs the exact value want, in units of the fp32 ulp at want */
static double ulps(float got, double want)
{
	float w = (float)want;
	double ulp = (double)nextafterf(fabsf(w), INFINITY) - fabs((double)w);

	if (w == 0.0f)
		ulp = 0x1p-149;
	return fabs((double)got - want) / ulp;
}

static double gelu_erf_exact(double x)
{
	return x < 0 ? x * 0.5 * erfc(-x / sqrt(2.0)) : x * 0.5 * (1.0 + erf(x / sqrt(2.0)));
}

/* The new transcendentals are correctly rounded in practice: within 0.51 ulp
 * of libm's binary64 value over every 997th fp32 bit pattern (about 4.3e6
 * finite inputs: all exponents, both signs); docs/isa.md gives the
 * measurement over 4.4e7 points (max 0.5001 ulp, 0 results differing from
 * the binary64 value rounded to fp32). Also the special values. */
TEST(new_transcendentals_accuracy)
{
	double worst[5] = { 0 };

	for (uint64_t u = 0; u < 0x100000000ull; u += 997) {
		float x = xref_u2f((uint32_t)u);
		double dx = x;

		if (isnan(x))
			continue;
		double err[5] = {
			ulps(xref_tanh(x), tanh(dx)),
			ulps(xref_sigmoid(x), 1.0 / (1.0 + exp(-dx))),
			ulps(xref_erf(x), erf(dx)),
			x < 0 ? 0 : ulps(xref_sqrt(x), sqrt(dx)),
			isinf(x) ? 0 : ulps(xref_gelu_erf(x), gelu_erf_exact(dx)),
		};

		for (int i = 0; i < 5; i++) {
			ASSERT_LE(err[i], 0.51) {
				TH_LOG("function %d at %a: %a", i, x, (double)err[i]);
			}
			if (err[i] > worst[i])
				worst[i] = err[i];
		}
	}
	TH_LOG("max ulp: tanh %.4f sigmoid %.4f erf %.4f sqrt %.4f gelu_erf %.4f", worst[0],
	       worst[1], worst[2], worst[3], worst[4]);
	/* specials */
	EXPECT_EQ(0x80000000u, xref_f2u(xref_tanh(-0.0f)));
	EXPECT_EQ(0x3f800000u, xref_f2u(xref_tanh(INFINITY)));
	EXPECT_EQ(0xbf800000u, xref_f2u(xref_tanh(-INFINITY)));
	EXPECT_EQ(0x7fc00000u, xref_f2u(xref_tanh(xref_u2f(0xffc12345))));
	EXPECT_EQ(0x3f000000u, xref_f2u(xref_sigmoid(0.0f)));
	EXPECT_EQ(0x3f800000u, xref_f2u(xref_sigmoid(INFINITY)));
	EXPECT_EQ(0u, xref_f2u(xref_sigmoid(-INFINITY)));
	EXPECT_EQ(0x7fc00000u, xref_f2u(xref_sigmoid(NAN)));
	EXPECT_EQ(0x80000000u, xref_f2u(xref_erf(-0.0f)));
	EXPECT_EQ(0x3f800000u, xref_f2u(xref_erf(INFINITY)));
	EXPECT_EQ(0xbf800000u, xref_f2u(xref_erf(-4.0f)));
	EXPECT_EQ(0x80000000u, xref_f2u(xref_sqrt(-0.0f)));
	EXPECT_EQ(0x7fc00000u, xref_f2u(xref_sqrt(-1.0f)));
	EXPECT_EQ(0x7f800000u, xref_f2u(xref_sqrt(INFINITY)));
	EXPECT_EQ(0x40000000u, xref_f2u(xref_sqrt(4.0f)));
	EXPECT_EQ(0x7f800000u, xref_f2u(xref_gelu_erf(INFINITY)));
	EXPECT_EQ(0x80000000u, xref_f2u(xref_gelu_erf(-INFINITY)));
	EXPECT_EQ(0x80000000u, xref_f2u(xref_gelu_erf(-40.0f)));
	EXPECT_EQ(0x41200000u, xref_f2u(xref_gelu_erf(10.0f)));
	EXPECT_EQ(0x7fc00000u, xref_f2u(xref_gelu_erf(NAN)));
}

/* one VSEL: d = m ? a : b, word by word (m is never 0 here) */
static uint32_t vsel_run(struct tenv *e, uint64_t rows, uint64_t cols, uint64_t d, uint64_t m,
			 uint64_t a, uint64_t b)
{
	return vrun_m(e, rows, cols, d, a, b, m, xpu_vsel(3, 8, 4, 5));
}

/* VSEL: a 32-bit word test (-0.0f and NaN bits are nonzero: they select a) */
TEST_F(vpu, vsel_selects_by_word)
{
	struct tenv *e = self->e;
	uint64_t rows = 11, cols = 29, n = rows * cols;
	uint64_t sm = SPAD + 0x80000;
	uint32_t *m = (uint32_t *)tla(e, sm, n * 4), *a = (uint32_t *)tla(e, S1, n * 4);
	uint32_t *b = (uint32_t *)tla(e, S2, n * 4), *d = (uint32_t *)tla(e, D, n * 4);
	uint32_t ref[11 * 29];
	uint64_t seed = 3;

	fill_i32(a, n, 1);
	fill_f32(b, n, 2, 5.0f);
	for (uint64_t i = 0; i < n; i++)
		m[i] = i % 3 ? 0 : trand(&seed);
	m[3] = 0x80000000u;	/* -0.0f: nonzero word */
	m[6] = 0x7fc00000u;
	m[9] = 0;
	xref_vsel(n, ref, m, a, b);
	ASSERT_EQ(0, vsel_run(e, rows, cols, D, sm, S1, S2));
	ASSERT_EQ(0, memcmp(d, ref, n * 4));
	EXPECT_EQ(a[3], d[3]);
	EXPECT_EQ(a[6], d[6]);
	EXPECT_EQ(b[9], d[9]);
	EXPECT_EQ(b[1], d[1]);
	/* in place over the mask, and the operand range checks (each operand) */
	xref_vsel(n, ref, m, a, b);
	ASSERT_EQ(0, vsel_run(e, rows, cols, sm, sm, S1, S2));
	EXPECT_EQ(0, memcmp(m, ref, n * 4));
	for (int bad = 0; bad < 4; bad++) {
		uint64_t r[4] = { D, sm, S1, S2 };

		r[bad] = ACC + (1u << 20) - 8;		/* 2 elements left in the accumulator */
		EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, vsel_run(e, 1, 3, r[0], r[1], r[2], r[3])) {
			TH_LOG("operand %d", bad);
		}
	}
	/* empty shape: no-op even with wild addresses */
	tenv_clear(e);
	LI64(e, 3, ~0ull);
	E(e, xpu_vsel(3, 3, 3, 3));
	E(e, xpu_halt());
	EXPECT_EQ(0, tenv_run(e));
}

TEST_HARNESS_MAIN
