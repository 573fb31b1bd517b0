// SPDX-License-Identifier: MIT
/*
 * XPU numerics (see numerics.h and docs/isa.md). No libm: only IEEE basic
 * operations, so the results do not depend on the host's libm.
 */
#pragma GCC optimize("fp-contract=off")	/* no fused multiply-add: a*b+c rounds twice */

#include "numerics.h"

int64_t xpu_rne_f64(double v)
{
	int64_t i = (int64_t)v;		/* truncation, exact for |v| <= 2^62 */
	double f = v - (double)i;	/* exact */

	if (f > 0.5 || (f == 0.5 && (i & 1)))
		i++;
	else if (f < -0.5 || (f == -0.5 && (i & 1)))
		i--;
	return i;
}

int32_t xpu_f32_to_i32(float f)
{
	if (xpu_f32_isnan(f))
		return 0;
	if (f >= 2147483648.0f)
		return INT32_MAX;
	if (f <= -2147483648.0f)
		return INT32_MIN;
	return (int32_t)xpu_rne_f64((double)f);
}

int8_t xpu_requant(double v, int32_t zp)
{
	int64_t q;

	if (v != v)
		q = 0;
	else if (v > 1e12)
		q = 1000000000000ll;
	else if (v < -1e12)
		q = -1000000000000ll;
	else
		q = xpu_rne_f64(v);
	q += zp;
	if (q > 127)
		q = 127;
	if (q < -128)
		q = -128;
	return (int8_t)q;
}

/* 2^n for -1022 <= n <= 1023, exact */
static double pow2i(int n)
{
	uint64_t b = (uint64_t)(n + 1023) << 52;
	double d;

	memcpy(&d, &b, 8);
	return d;
}

#define LOG2E	1.44269504088896338700e+00
#define LN2_HI	6.93147180369123816490e-01	/* 0x3fe62e42fee00000 */
#define LN2_LO	1.90821492927058770002e-10	/* 0x3dea39ef35793c76 */

/* e^t in binary64 for |t| <= 700: Cody-Waite reduction + degree-11 Taylor */
static double exp_core(double t)
{
	double n = (double)xpu_rne_f64(t * LOG2E);
	double r = (t - n * LN2_HI) - n * LN2_LO;
	double p = 1.0 / 39916800.0;		/* 1/11! */

	p = p * r + 1.0 / 3628800.0;		/* 1/10! */
	p = p * r + 1.0 / 362880.0;
	p = p * r + 1.0 / 40320.0;
	p = p * r + 1.0 / 5040.0;
	p = p * r + 1.0 / 720.0;
	p = p * r + 1.0 / 120.0;
	p = p * r + 1.0 / 24.0;
	p = p * r + 1.0 / 6.0;
	p = p * r + 0.5;
	p = p * r + 1.0;
	p = p * r + 1.0;
	return p * pow2i((int)n);
}

float xpu_exp_f32(float x)
{
	if (xpu_f32_isnan(x))
		return xpu_u2f(XPU_F32_CANON_NAN);
	if (x >= 89.0f)
		return xpu_u2f(0x7f800000u);
	if (x <= -104.0f)
		return 0.0f;
	return (float)exp_core((double)x);
}

#define GELU_K0	0.7978845608028654	/* sqrt(2/pi) */
#define GELU_K1	0.044715

/* tanh form: x * 0.5 * (1 + tanh(u)) = x / (1 + e^(-2u)), u = K0 (x + K1 x^3) */
float xpu_gelu_f32(float x)
{
	double d = (double)x, t;

	if (xpu_f32_isnan(x))
		return xpu_u2f(XPU_F32_CANON_NAN);
	if (x == xpu_u2f(0x7f800000u))
		return x;
	if (x == xpu_u2f(0xff800000u))
		return -0.0f;
	t = -2.0 * (GELU_K0 * (d + GELU_K1 * (d * d * d)));
	if (t > 200.0)
		return x < 0 ? -0.0f : 0.0f;
	if (t < -200.0)
		return x;
	return (float)(d / (1.0 + exp_core(t)));
}

float xpu_recip_f32(float x)
{
	return xpu_canon(1.0f / x);
}

float xpu_rsqrt_f32(float x)
{
	if (xpu_f32_isnan(x) || x < 0.0f)
		return xpu_u2f(XPU_F32_CANON_NAN);
	return (float)(1.0 / __builtin_sqrt((double)x));
}
