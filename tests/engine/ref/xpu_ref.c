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
