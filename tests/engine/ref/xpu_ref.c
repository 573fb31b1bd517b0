// SPDX-License-Identifier: MIT
/* Plain C reference for the XPU ISA math. See xpu_ref.h and docs/isa.md. */
#pragma GCC optimize("fp-contract=off")

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "xpu_ref.h"

#define CANON_NAN 0x7fc00000u

float xref_u2f(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

uint32_t xref_f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static float canon(float f)
{
	return isnan(f) ? xref_u2f(CANON_NAN) : f;
}

float xref_bf16_to_f32(uint16_t h)
{
	return xref_u2f((uint32_t)h << 16);
}

uint16_t xref_f32_to_bf16(float f)
{
	uint32_t u = xref_f2u(f);
	uint32_t hi = u >> 16, lo = u & 0xffff;

	if (isnan(f))
		return 0x7fc0;
	if (lo > 0x8000 || (lo == 0x8000 && (hi & 1)))
		hi++;			/* may carry into the exponent: correct */
	return (uint16_t)hi;
}

int64_t xref_rne(double v)
{
	double f = floor(v), d = v - f;

	if (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0.0))
		f += 1.0;
	return (int64_t)f;
}

int32_t xref_f32_to_i32(float f)
{
	double d = f;

	if (isnan(f))
		return 0;
	if (d >= 2147483647.5)
		return 2147483647;
	if (d <= -2147483648.5)
		return -2147483647 - 1;
	d = (double)xref_rne(d);
	if (d > 2147483647.0)
		return 2147483647;
	if (d < -2147483648.0)
		return -2147483647 - 1;
	return (int32_t)d;
}

int8_t xref_requant(double v, int32_t zp)
{
	double q;

	if (isnan(v))
		q = 0;
	else if (v > 1e12)
		q = 1e12;
	else if (v < -1e12)
		q = -1e12;
	else
		q = (double)xref_rne(v);
	q += zp;
	if (q > 127)
		q = 127;
	if (q < -128)
		q = -128;
	return (int8_t)q;
}

/* e^t, |t| <= 700: n = rne(t*log2e); r = (t - n*LN2_HI) - n*LN2_LO;
 * p = Horner of sum_{i=0}^{11} r^i / i!; result p * 2^n */
static double exp_core(double t)
{
	const double log2e = 1.44269504088896338700e+00;
	const double ln2_hi = 6.93147180369123816490e-01;
	const double ln2_lo = 1.90821492927058770002e-10;
	double n = (double)xref_rne(t * log2e);
	double r = (t - n * ln2_hi) - n * ln2_lo;
	double fact[12], p;
	int i;

	fact[0] = 1.0;
	for (i = 1; i < 12; i++)
		fact[i] = fact[i - 1] * i;
	p = 1.0 / fact[11];
	for (i = 10; i >= 0; i--)
		p = p * r + 1.0 / fact[i];
	return ldexp(p, (int)n);
}

float xref_exp(float x)
{
	if (isnan(x))
		return xref_u2f(CANON_NAN);
	if (x >= 89.0f)
		return INFINITY;
	if (x <= -104.0f)
		return 0.0f;
	return (float)exp_core(x);
}

float xref_gelu(float x)
{
	double d = x, t;

	if (isnan(x))
		return xref_u2f(CANON_NAN);
	if (isinf(x))
		return x > 0 ? x : -0.0f;
	t = -2.0 * (0.7978845608028654 * (d + 0.044715 * (d * d * d)));
	if (t > 200.0)
		return x < 0 ? -0.0f : 0.0f;
	if (t < -200.0)
		return x;
	return (float)(d / (1.0 + exp_core(t)));
}

/* e^t - 1: the Taylor series sum_{i=1}^{17} t^i / i! in Horner form on
 * (-0.5, 0.5), else exp_core(t) - 1 */
static double expm1_core(double t)
{
	double fact[18], p;
	int i;

	if (t <= -0.5 || t >= 0.5)
		return exp_core(t) - 1.0;
	fact[0] = 1.0;
	for (i = 1; i < 18; i++)
		fact[i] = fact[i - 1] * i;
	p = 1.0 / fact[17];
	for (i = 16; i >= 1; i--)
		p = p * t + 1.0 / fact[i];
	return p * t;
}

float xref_tanh(float x)
{
	double a = fabs((double)x), m, t;

	if (isnan(x))
		return xref_u2f(CANON_NAN);
	if (x == 0.0f)
		return x;
	if (a >= 20.0)
		return copysignf(1.0f, x);
	m = expm1_core(-2.0 * a);
	t = -m / (2.0 + m);
	return (float)copysign(t, (double)x);
}

float xref_sigmoid(float x)
{
	if (isnan(x))
		return xref_u2f(CANON_NAN);
	if (x >= 40.0f)
		return 1.0f;
	if (x <= -104.0f)
		return 0.0f;
	return (float)(1.0 / (1.0 + exp_core(-(double)x)));
}

/* erf for 0 <= a < 2.5: 2/sqrt(pi) a e^(-a^2) sum_{n<40} (2a^2)^n / (2n+1)!! */
static double erf_series(double a)
{
	double a2 = a * a, term = 1.0, sum = 1.0;
	int n;

	for (n = 1; n < 40; n++) {
		term = term * (2.0 * a2) / (double)(2 * n + 1);
		sum = sum + term;
	}
	return 1.12837916709551257390 * a * exp_core(-a2) * sum;
}

/* erfc for 2.5 <= a < 26: continued fraction, 40 levels from the bottom */
static double erfc_cf(double a)
{
	double f = a;
	int n;

	for (n = 40; n >= 1; n--)
		f = a + (0.5 * (double)n) / f;
	return exp_core(-(a * a)) / (1.77245385090551602730 * f);
}

static double erf_pos(double a)
{
	return a < 2.5 ? erf_series(a) : a < 26.0 ? 1.0 - erfc_cf(a) : 1.0;
}

static double erfc_pos(double a)
{
	return a < 2.5 ? 1.0 - erf_series(a) : a < 26.0 ? erfc_cf(a) : 0.0;
}

float xref_erf(float x)
{
	double a = fabs((double)x);

	if (isnan(x))
		return xref_u2f(CANON_NAN);
	if (x == 0.0f)
		return x;
	if (a >= 4.0)
		return copysignf(1.0f, x);
	return (float)copysign(erf_pos(a), (double)x);
}

float xref_gelu_erf(float x)
{
	double d = x, z = d * 0.70710678118654752440;

	if (isnan(x))
		return xref_u2f(CANON_NAN);
	if (isinf(x))
		return x > 0 ? x : -0.0f;
	if (z >= 0.0)
		return (float)(d * (0.5 * (1.0 + erf_pos(z))));
	return (float)(d * (0.5 * erfc_pos(-z)));
}

float xref_sqrt(float x)
{
	if (isnan(x) || x < 0)
		return xref_u2f(CANON_NAN);
	return sqrtf(x);
}

float xref_recip(float x)
{
	return canon(1.0f / x);
}

float xref_rsqrt(float x)
{
	if (isnan(x) || x < 0)
		return xref_u2f(CANON_NAN);
	return (float)(1.0 / sqrt((double)x));
}

void xref_matmul_i8(uint64_t M, uint64_t K, uint64_t N, const int8_t *A, uint64_t lda,
		    const int8_t *B, uint64_t ldb, uint32_t *C, uint64_t ldc, int acc)
{
	uint64_t m, n, k;

	for (m = 0; m < M; m++)
		for (n = 0; n < N; n++) {
			uint32_t c = acc ? C[m * ldc + n] : 0;

			for (k = 0; k < K; k++)
				c += (uint32_t)((int32_t)A[m * lda + k] * (int32_t)B[k * ldb + n]);
			C[m * ldc + n] = c;
		}
}

void xref_matmul_bf16(uint64_t M, uint64_t K, uint64_t N, const uint16_t *A, uint64_t lda,
		      const uint16_t *B, uint64_t ldb, uint32_t *C, uint64_t ldc, int acc)
{
	uint64_t m, n, k;

	for (m = 0; m < M; m++)
		for (n = 0; n < N; n++) {
			float c = acc ? xref_u2f(C[m * ldc + n]) : 0.0f;

			for (k = 0; k < K; k++) {
				float p = xref_bf16_to_f32(A[m * lda + k]) *
					  xref_bf16_to_f32(B[k * ldb + n]);
				c = c + p;
			}
			C[m * ldc + n] = xref_f2u(canon(c));
		}
}

static uint32_t bin(uint32_t f, uint32_t type, uint32_t a, uint32_t b)
{
	if (type == XPU_VT_I32) {
		int32_t x = (int32_t)a, y = (int32_t)b;

		switch (f) {
		case XPU_VBIN_ADD: return a + b;
		case XPU_VBIN_SUB: return a - b;
		case XPU_VBIN_MUL: return a * b;
		case XPU_VBIN_MAX: return (uint32_t)(x >= y ? x : y);
		default: return (uint32_t)(x <= y ? x : y);
		}
	} else {
		float x = xref_u2f(a), y = xref_u2f(b);

		if ((f == XPU_VBIN_MAX || f == XPU_VBIN_MIN) && (isnan(x) || isnan(y)))
			return CANON_NAN;
		switch (f) {
		case XPU_VBIN_ADD: return xref_f2u(canon(x + y));
		case XPU_VBIN_SUB: return xref_f2u(canon(x - y));
		case XPU_VBIN_MUL: return xref_f2u(canon(x * y));
		case XPU_VBIN_DIV: return xref_f2u(canon(x / y));
		case XPU_VBIN_MAX: return xref_f2u(y > x ? y : x);	/* ties keep src1 */
		default: return xref_f2u(y < x ? y : x);
		}
	}
}

void xref_vbin(uint32_t f, uint32_t type, uint32_t bc, uint64_t rows, uint64_t cols,
	       uint32_t *dst, const uint32_t *src1, const uint32_t *src2, uint32_t scalar)
{
	uint64_t r, c;

	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++) {
			uint32_t b;

			if (bc == XPU_VB_FULL)
				b = src2[r * cols + c];
			else if (bc == XPU_VB_ROW)
				b = src2[c];
			else if (bc == XPU_VB_COL)
				b = src2[r];
			else
				b = scalar;
			dst[r * cols + c] = bin(f, type, src1[r * cols + c], b);
		}
}

void xref_vun(uint32_t f, uint32_t type, uint64_t n, uint32_t *dst, const uint32_t *src)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint32_t u = src[i];
		float x = xref_u2f(u);

		if (f == XPU_VUN_COPY) {
			dst[i] = u;
		} else if (type == XPU_VT_I32) {
			if (f == XPU_VUN_RELU)
				dst[i] = (int32_t)u < 0 ? 0 : u;
			else if (f == XPU_VUN_ABS)
				dst[i] = (uint32_t)llabs((int64_t)(int32_t)u);	/* INT32_MIN wraps */
			else
				dst[i] = (uint32_t)(-(int64_t)(int32_t)u);
		} else {
			switch (f) {
			case XPU_VUN_RELU:
				dst[i] = isnan(x) ? CANON_NAN : (x > 0 ? u : 0);
				break;
			case XPU_VUN_EXP: dst[i] = xref_f2u(xref_exp(x)); break;
			case XPU_VUN_GELU: dst[i] = xref_f2u(xref_gelu(x)); break;
			case XPU_VUN_RECIP: dst[i] = xref_f2u(xref_recip(x)); break;
			case XPU_VUN_RSQRT: dst[i] = xref_f2u(xref_rsqrt(x)); break;
			case XPU_VUN_TANH: dst[i] = xref_f2u(xref_tanh(x)); break;
			case XPU_VUN_SIGMOID: dst[i] = xref_f2u(xref_sigmoid(x)); break;
			case XPU_VUN_ERF: dst[i] = xref_f2u(xref_erf(x)); break;
			case XPU_VUN_SQRT: dst[i] = xref_f2u(xref_sqrt(x)); break;
			case XPU_VUN_ABS: dst[i] = isnan(x) ? CANON_NAN : (u & 0x7fffffffu); break;
			case XPU_VUN_GELU_ERF: dst[i] = xref_f2u(xref_gelu_erf(x)); break;
			default: dst[i] = isnan(x) ? CANON_NAN : (u ^ 0x80000000u); break;
			}
		}
	}
}

void xref_vsel(uint64_t n, uint32_t *dst, const uint32_t *mask, const uint32_t *a,
	       const uint32_t *b)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		dst[i] = mask[i] != 0 ? a[i] : b[i];
}

void xref_vred(uint32_t f, uint32_t type, uint64_t rows, uint64_t cols, uint32_t *dst,
	       const uint32_t *src)
{
	uint64_t r, c;

	for (r = 0; r < rows; r++) {
		if (type == XPU_VT_I32) {
			int64_t best = INT32_MIN;
			uint32_t sum = 0;

			for (c = 0; c < cols; c++) {
				int32_t x = (int32_t)src[r * cols + c];

				sum += (uint32_t)x;
				if (x > best)
					best = x;
			}
			dst[r] = f == XPU_VRED_SUM ? sum : (uint32_t)(int32_t)best;
		} else {
			float sum = 0.0f, best = -INFINITY;
			int nan = 0;

			for (c = 0; c < cols; c++) {
				float x = xref_u2f(src[r * cols + c]);

				sum = sum + x;
				if (isnan(x))
					nan = 1;
				else if (x > best)
					best = x;
			}
			if (f == XPU_VRED_SUM)
				dst[r] = xref_f2u(canon(sum));
			else
				dst[r] = nan ? CANON_NAN : xref_f2u(best);
		}
	}
}

void xref_vcvt(uint32_t f, uint64_t n, void *dst, const void *src)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint32_t u32;
		uint16_t u16;
		int32_t i32;
		float x;

		switch (f) {
		case XPU_CVT_I32_F32:
			memcpy(&i32, s + 4 * i, 4);
			x = (float)i32;
			memcpy(d + 4 * i, &x, 4);
			break;
		case XPU_CVT_F32_I32:
			memcpy(&x, s + 4 * i, 4);
			i32 = xref_f32_to_i32(x);
			memcpy(d + 4 * i, &i32, 4);
			break;
		case XPU_CVT_F32_BF16:
			memcpy(&x, s + 4 * i, 4);
			u16 = xref_f32_to_bf16(x);
			memcpy(d + 2 * i, &u16, 2);
			break;
		case XPU_CVT_BF16_F32:
			memcpy(&u16, s + 2 * i, 2);
			u32 = xref_f2u(canon(xref_bf16_to_f32(u16)));
			memcpy(d + 4 * i, &u32, 4);
			break;
		case XPU_CVT_I8_I32:
			i32 = (int8_t)s[i];
			memcpy(d + 4 * i, &i32, 4);
			break;
		default:
			u16 = xref_f32_to_bf16((float)(int8_t)s[i]);
			memcpy(d + 2 * i, &u16, 2);
			break;
		}
	}
}

void xref_vqnt(uint32_t type, uint64_t n, int8_t *dst, const uint32_t *src, uint32_t scale_bits,
	       int32_t zp)
{
	double scale = xref_u2f(scale_bits);
	uint64_t i;

	for (i = 0; i < n; i++) {
		double v = type == XPU_VT_I32 ? (double)(int32_t)src[i] : (double)xref_u2f(src[i]);

		dst[i] = xref_requant(v * scale, zp);
	}
}

uint64_t xref_matmul_cycles(uint64_t R, uint64_t C, uint64_t M, uint64_t K, uint64_t N)
{
	if (!M || !K || !N)
		return 0;
	return ((K + R - 1) / R) * ((N + C - 1) / C) * (2 * R + C + M - 2);
}
