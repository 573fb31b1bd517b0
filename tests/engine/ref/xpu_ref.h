/* SPDX-License-Identifier: MIT */
/*
 * Plain C reference for the XPU instruction set's math (docs/isa.md):
 * naive loops, no blocking, no tricks. Engine results must match it bit for
 * bit. fp32 values are passed as their uint32_t bit patterns.
 */
#ifndef XPU_REF_H
#define XPU_REF_H

#include <stdint.h>
#include "numerics.h"
#include "xpu_isa.h"

float xref_u2f(uint32_t u);
uint32_t xref_f2u(float f);
/*
 * The scalar numerics (bf16 rounding, rounding to integers, requantisation,
 * the transcendental functions) are the engine's own, defined once in
 * qemu-device/engine/numerics.c (numerics are shared by design); this
 * reference restates what the instructions do with them: which elements,
 * in which order. vpu_test.c checks these functions against libm within
 * the documented ulps and at their edge cases.
 */
#define xref_bf16_to_f32	xpu_bf16_to_f32
#define xref_f32_to_bf16	xpu_f32_to_bf16
#define xref_rne		xpu_rne_f64
#define xref_f32_to_i32		xpu_f32_to_i32
#define xref_requant		xpu_requant
#define xref_exp		xpu_exp_f32
#define xref_gelu		xpu_gelu_f32
#define xref_recip		xpu_recip_f32
#define xref_rsqrt		xpu_rsqrt_f32
#define xref_tanh		xpu_tanh_f32
#define xref_sigmoid		xpu_sigmoid_f32
#define xref_erf		xpu_erf_f32
#define xref_sqrt		xpu_sqrt_f32
#define xref_gelu_erf		xpu_gelu_erf_f32	/* x * 0.5 * (1 + erf(x / sqrt(2))) */

/* C[m*ldc+n] (=|+=) sum_k A[m*lda+k] * B[k*ldb+n]; int32 wraps */
void xref_matmul_i8(uint64_t M, uint64_t K, uint64_t N, const int8_t *A, uint64_t lda,
		    const int8_t *B, uint64_t ldb, uint32_t *C, uint64_t ldc, int acc);
/* bf16 in, fp32 out: c = acc ? C : +0; for k ascending c = fp32(c + fp32(a*b)) */
void xref_matmul_bf16(uint64_t M, uint64_t K, uint64_t N, const uint16_t *A, uint64_t lda,
		      const uint16_t *B, uint64_t ldb, uint32_t *C, uint64_t ldc, int acc);

/* Vector unit, rows x cols, element bit patterns. bc = XPU_VB_*; for
 * XPU_VB_SCALAR src2 is ignored and scalar used. */
void xref_vbin(uint32_t f, uint32_t type, uint32_t bc, uint64_t rows, uint64_t cols,
	       uint32_t *dst, const uint32_t *src1, const uint32_t *src2, uint32_t scalar);
void xref_vun(uint32_t f, uint32_t type, uint64_t n, uint32_t *dst, const uint32_t *src);
/* dst[i] = mask[i] != 0 ? a[i] : b[i] (raw 32-bit words) */
void xref_vsel(uint64_t n, uint32_t *dst, const uint32_t *mask, const uint32_t *a,
	       const uint32_t *b);
void xref_vred(uint32_t f, uint32_t type, uint64_t rows, uint64_t cols, uint32_t *dst,
	       const uint32_t *src);
/* VCVT on raw bytes (little-endian elements), n elements */
void xref_vcvt(uint32_t f, uint64_t n, void *dst, const void *src);
void xref_vqnt(uint32_t type, uint64_t n, int8_t *dst, const uint32_t *src, uint32_t scale_bits,
	       int32_t zp);

/* Timing formulas */
uint64_t xref_matmul_cycles(uint64_t R, uint64_t C, uint64_t M, uint64_t K, uint64_t N);

#endif /* XPU_REF_H */
