// SPDX-License-Identifier: MIT
/*
 * XPU numerics (see numerics.h and docs/isa.md). No libm: only IEEE basic
 * operations (+ - * / and sqrt, all correctly rounded), so the results do not
 * depend on the host's libm. Transcendentals are evaluated in binary64 with
 * fixed polynomials / series / continued fractions (fixed term counts) and
 * rounded once to fp32; docs/isa.md gives the algorithms and the measured
 * accuracy.
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

/* 1/i! for i = 0..17, each the binary64 nearest the exact value */
static const double inv_fact[18] = {
	1.0, 1.0, 1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0,
	1.0 / 40320.0, 1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0, 1.0 / 479001600.0,
	1.0 / 6227020800.0, 1.0 / 87178291200.0, 1.0 / 1307674368000.0,
	1.0 / 20922789888000.0, 1.0 / 355687428096000.0,
};

/* sum_{i=lo..hi} t^(i-lo) / i! in Horner form, from the smallest term */
static double taylor(double t, int lo, int hi)
{
	double p = inv_fact[hi];

	for (int i = hi - 1; i >= lo; i--)
		p = p * t + inv_fact[i];
	return p;
}

/* e^t in binary64 for |t| <= 700: Cody-Waite reduction + degree-11 Taylor */
static double exp_core(double t)
{
	double n = (double)xpu_rne_f64(t * LOG2E);
	double r = (t - n * LN2_HI) - n * LN2_LO;

	return taylor(r, 0, 11) * pow2i((int)n);
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

/* Both GELUs of NaN (canonical NaN) and of +-inf (x, -0): 1 with *y set */
static int gelu_special(float x, float *y)
{
	if (xpu_f32_isnan(x))
		*y = xpu_u2f(XPU_F32_CANON_NAN);
	else if (x == xpu_u2f(0x7f800000u))
		*y = x;
	else if (x == xpu_u2f(0xff800000u))
		*y = -0.0f;
	else
		return 0;
	return 1;
}

/* tanh form: x * 0.5 * (1 + tanh(u)) = x / (1 + e^(-2u)), u = K0 (x + K1 x^3) */
float xpu_gelu_f32(float x)
{
	double d = (double)x, t;
	float y;

	if (gelu_special(x, &y))
		return y;
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

float xpu_div_f32(float a, float b)
{
	return xpu_canon(a / b);
}

float xpu_sqrt_f32(float x)
{
	if (xpu_f32_isnan(x) || x < 0.0f)
		return xpu_u2f(XPU_F32_CANON_NAN);
	/* binary64 sqrt rounded to fp32 is the correctly rounded fp32 sqrt */
	return (float)__builtin_sqrt((double)x);
}

/* e^t - 1 for |t| <= 700; Taylor series to t^17/17! on (-0.5, 0.5), where
 * exp_core(t) - 1 would cancel */
static double expm1_core(double t)
{
	if (t <= -0.5 || t >= 0.5)
		return exp_core(t) - 1.0;
	return taylor(t, 1, 17) * t;
}

/* tanh(a) = -m / (2 + m), m = e^(-2a) - 1; for a >= 20 it rounds to 1 */
float xpu_tanh_f32(float x)
{
	double a = x < 0.0f ? -(double)x : (double)x, m, t;

	if (xpu_f32_isnan(x))
		return xpu_u2f(XPU_F32_CANON_NAN);
	if (x == 0.0f)
		return x;			/* keeps the sign of zero */
	if (a >= 20.0)
		return x < 0.0f ? -1.0f : 1.0f;
	m = expm1_core(-2.0 * a);
	t = -m / (2.0 + m);
	return (float)(x < 0.0f ? -t : t);
}

/* 1 / (1 + e^-x); x >= 40 rounds to 1, x <= -104 to +0 */
float xpu_sigmoid_f32(float x)
{
	if (xpu_f32_isnan(x))
		return xpu_u2f(XPU_F32_CANON_NAN);
	if (x >= 40.0f)
		return 1.0f;
	if (x <= -104.0f)
		return 0.0f;
	return (float)(1.0 / (1.0 + exp_core(-(double)x)));
}

#define TWO_OVER_SQRTPI	1.12837916709551257390	/* 2 / sqrt(pi) */
#define SQRTPI		1.77245385090551602730	/* sqrt(pi) */
#define SQRT1_2		0.70710678118654752440	/* 1 / sqrt(2) */
#define ERF_SPLIT	2.5

/* erf(a), 0 <= a < ERF_SPLIT: 2/sqrt(pi) a e^(-a^2) sum_n (2a^2)^n / (2n+1)!!
 * (positive terms, no cancellation; 40 terms reach binary64 precision) */
static double erf_series(double a)
{
	double a2 = a * a, term = 1.0, sum = 1.0;
	int n;

	for (n = 1; n < 40; n++) {
		term = term * (2.0 * a2) / (double)(2 * n + 1);
		sum = sum + term;
	}
	return TWO_OVER_SQRTPI * a * exp_core(-a2) * sum;
}

/* erfc(a), ERF_SPLIT <= a < 26: Laplace's continued fraction
 * e^(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...)))),
 * 40 levels evaluated backwards */
static double erfc_cf(double a)
{
	double f = a;
	int n;

	for (n = 40; n >= 1; n--)
		f = a + (0.5 * (double)n) / f;
	return exp_core(-(a * a)) / (SQRTPI * f);
}

/* erf(a) and erfc(a) = 1 - erf(a) for a >= 0, each without cancellation
 * where it is small */
static double erf_pos(double a)
{
	if (a < ERF_SPLIT)
		return erf_series(a);
	return a < 26.0 ? 1.0 - erfc_cf(a) : 1.0;
}

static double erfc_pos(double a)
{
	if (a < ERF_SPLIT)
		return 1.0 - erf_series(a);
	return a < 26.0 ? erfc_cf(a) : 0.0;
}

/* erf(x); |x| >= 4 rounds to +-1 */
float xpu_erf_f32(float x)
{
	double a = x < 0.0f ? -(double)x : (double)x, r;

	if (xpu_f32_isnan(x))
		return xpu_u2f(XPU_F32_CANON_NAN);
	if (x == 0.0f)
		return x;
	if (a >= 4.0)
		return x < 0.0f ? -1.0f : 1.0f;
	r = erf_pos(a);
	return (float)(x < 0.0f ? -r : r);
}

/* x * Phi(x), Phi(x) = 0.5 (1 + erf(x / sqrt(2))), for x < 0 as
 * 0.5 erfc(|x| / sqrt(2)) so the tail keeps its relative accuracy */
float xpu_gelu_erf_f32(float x)
{
	double d = (double)x, z = d * SQRT1_2, phi;
	float y;

	if (gelu_special(x, &y))
		return y;
	phi = z >= 0.0 ? 0.5 * (1.0 + erf_pos(z)) : 0.5 * erfc_pos(-z);
	return (float)(d * phi);
}
