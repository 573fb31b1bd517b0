// SPDX-License-Identifier: MIT
/*
 * Matrix unit, AVX-512 level (AVX512F/BW/VL + VNNI + FMA; chosen at run
 * time by mxu_gemm.c, compiled with a target pragma so no build flags are
 * needed). Register block: 12 rows x 32 columns (24 zmm accumulators).
 *
 * int8: B is packed per 32-column panel as [k/4][32][4] bytes offset by
 * +128 (u8), A per 12-row strip as [12][KC] bytes (s8, zero padded; one
 * stream per row, read 4 bytes at a time);
 * vpdpbusd sums (b+128)*a, so each row's result is corrected by
 * -128 * (sum of its a over the block): exact mod 2^32, equal to the
 * reference's wrapping sum.
 * bf16: both operands are widened to fp32 in the packs (B as [k][32], A
 * as [12][KC]: one stream per row); each output runs c = c + a*b in ascending k. The packs record
 * the exponent range of each A strip and B panel; where every product is
 * exact (xpu_mm_exact) the kernel uses vfmadd (same bits), else vmulps
 * then vaddps.
 * This file holds the int8 A pack and the level's own vector operations
 * (masks, VNNI dot, NaN canonicalisation, bf16 lanes); the bf16 packs,
 * the width-generic operations, the micro kernels, the block driver and
 * the level come from mxu_simd_tmpl.h, the int8 B pack from mxu_pack512.h
 * (shared with the AMX level).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")	/* mul then add must not be fused */

/* GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*, GCC
 * PR 105593) when QEMU's build flags are used: not our code */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include "engine_int.h"
#include "mxu_kern.h"

#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni")

#include "mxu_pack512.h"

#define MR	12
#define NR	32
#define VL	16
#define VW	512
#define MC	(MR * 40)
#define NC	(NR * 32)
#define KC	256
#define MK_CASES(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12)
#define MXU_LEVEL	xpu_mxu_avx512
#define MXU_LEVEL_NAME	"avx512"

#define AI	__attribute__((always_inline)) inline

typedef int32_t __attribute__((may_alias, aligned(1))) i32_any;	/* 4 packed bytes */

typedef __mmask16 vmask;

static AI vmask vmask_of(int n)
{
	return cmask(n);
}

/* ---- int8 ---- */

#define I8_KG	4
typedef uint8_t i8_t;

/* B as [kg][32][4] bytes offset by +128 (mxu_pack512.h) */
static void pack_b_i8(const struct xpu_mm *p, uint64_t k0, uint64_t kb, uint64_t n0, uint64_t nb,
		      uint8_t *dst)
{
	mxu_pack512_b_i8(p, k0, kb, (kb + 3) & ~3ull, n0, nb, dst, 1);
}

/* rows m..m+mr of A, k0..k0+kb, as [MR][KC] bytes (row i of the strip at
 * dst + i * KC, zero padded to a multiple of 4; rows >= mr zero);
 * corr[i] = -128 * (sum of row i) */
static void pack_a_i8(const struct xpu_mm *p, uint64_t m, int mr, uint64_t k0, uint64_t kb,
		      uint8_t *dst, int32_t *corr)
{
	const __m512i ones = _mm512_set1_epi8(1);

	for (int i = 0; i < MR; i++) {
		const uint8_t *row = p->a + (m + i) * p->lda + k0;
		uint8_t *d = dst + i * KC;
		__m512i s = _mm512_setzero_si512();

		for (uint64_t k = 0; k < kb; k += 64) {
			__mmask64 lm = kb - k >= 64 ? ~0ull : (1ull << (kb - k)) - 1;
			__m512i v = i < mr ? _mm512_maskz_loadu_epi8(lm, row + k) : _mm512_setzero_si512();

			s = _mm512_dpbusd_epi32(s, ones, v);
			_mm512_store_si512(d + k, v);
		}
		corr[i] = (int32_t)(0u - 128u * (uint32_t)_mm512_reduce_add_epi32(s));
	}
}

typedef __m512i vi;

/* B is the unsigned operand: (b + 128) * a */
static AI vi vi_dot(vi c, vi a, vi b)
{
	return _mm512_dpbusd_epi32(c, b, a);
}

static AI vi vi_fix(vi c, const int32_t *corr, int i)
{
	return _mm512_add_epi32(c, _mm512_set1_epi32(corr[i]));
}

static AI vi vi_loadm(const int32_t *row, vmask m)
{
	return _mm512_maskz_loadu_epi32(m, row);
}

static AI void vi_storem(int32_t *row, vmask m, vi v)
{
	_mm512_mask_storeu_epi32(row, m, v);
}

/* ---- bf16 ---- */

/* exponent statistics of 32 bf16 lanes (zero lanes count as zeros) */
struct bexpo {
	__m512i vmin, vmax;
	__mmask32 sub;
};

static AI void expo_init(struct bexpo *x)
{
	x->vmin = _mm512_set1_epi16(255);
	x->vmax = _mm512_setzero_si512();
	x->sub = 0;
}

static AI void expo_acc(__m512i h, struct bexpo *x)
{
	const __m512i ff = _mm512_set1_epi16(0xff), m7f = _mm512_set1_epi16(0x7f);
	__m512i e = _mm512_and_si512(_mm512_srli_epi16(h, 7), ff);
	__mmask32 ez = _mm512_cmpeq_epi16_mask(e, _mm512_setzero_si512());
	__mmask32 normal = ~ez & _mm512_cmpneq_epi16_mask(e, ff);

	x->sub |= ez & _mm512_test_epi16_mask(h, m7f);
	x->vmin = _mm512_mask_min_epu16(x->vmin, normal, x->vmin, e);
	x->vmax = _mm512_mask_max_epu16(x->vmax, normal, x->vmax, e);
}

static void expo_finish(const struct bexpo *x, struct xpu_mm_expo *st)
{
	uint16_t lo[32], hi[32];

	_mm512_storeu_si512(lo, x->vmin);
	_mm512_storeu_si512(hi, x->vmax);
	xpu_mm_expo_fold(st, lo, hi, 32, x->sub != 0);
}

/* 32 bf16 at src (w <= 32 of them, the rest zero): one masked load */
static AI __m512i load_bf16(const uint8_t *src, uint64_t w)
{
	__mmask32 lm = w >= 32 ? 0xffffffffu : (__mmask32)((1u << w) - 1);

	return _mm512_maskz_loadu_epi16(lm, src);
}

/* 32 bf16 lanes widened to fp32 at d (64-byte aligned) */
static AI void store_f32(float *d, __m512i h)
{
	_mm512_store_si512(d, _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(h)), 16));
	_mm512_store_si512(d + 16, _mm512_slli_epi32(
		_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(h, 1)), 16));
}

typedef __m512 vf;

static AI vf vf_canon(vf v)
{
	const __m512 qnan = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fc00000));

	return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), qnan);
}

static AI vf vf_loadm(const float *row, vmask m)
{
	return _mm512_maskz_loadu_ps(m, row);
}

static AI void vf_storem(float *row, vmask m, vf v)
{
	_mm512_mask_storeu_ps(row, m, v);
}

#include "mxu_simd_tmpl.h"

#endif /* __x86_64__ */
