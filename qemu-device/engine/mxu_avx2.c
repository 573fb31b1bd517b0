// SPDX-License-Identifier: MIT
/*
 * Matrix unit, AVX2 level (AVX2 + FMA; chosen at run time by mxu_gemm.c,
 * compiled with a target pragma). Register block: 6 rows x 16 columns
 * (12 ymm accumulators).
 *
 * int8: B is packed per 16-column panel as [k/2][16][2] int16, A per 6-row
 * strip as [6][KC] int16 (zero padded; one stream per row, read as int16
 * pairs); vpmaddwd gives
 * a0*b0 + a1*b1 exactly in int32 (|.| <= 2^15), added mod 2^32.
 * bf16: as the AVX-512 level (fp32 packs, A as [6][KC], with exponent
 * statistics; fused multiply-add only where every product of the block is
 * exact).
 * This file holds the int8 packs and the level's own vector operations
 * (masks, int16 dot, NaN canonicalisation, bf16 lanes); the bf16 packs,
 * the width-generic operations, the micro kernels, the block driver and
 * the level come from mxu_simd_tmpl.h.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")	/* mul then add must not be fused */

/* GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*, GCC
 * PR 105593) when QEMU's build flags are used: not our code */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include "engine_int.h"
#include "mxu_kern.h"

#pragma GCC target("avx2,fma")

#define MR	6
#define NR	16
#define VL	8
#define VW	256
#define MC	(MR * 32)
#define NC	(NR * 32)
#define KC	256		/* a multiple of 16: pack_a_bf16 */
#define MK_CASES(X) X(1) X(2) X(3) X(4) X(5) X(6)
#define MXU_LEVEL	xpu_mxu_avx2
#define MXU_LEVEL_NAME	"avx2"

#define AI	__attribute__((always_inline)) inline

typedef int32_t __attribute__((may_alias, aligned(1))) i32_any;	/* an int16 pair */

typedef __m256i vmask;

/* the first n of 8 lanes */
static AI vmask vmask_of(int n)
{
	const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);

	return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

/* ---- int8 ---- */

#define I8_KG	2
typedef int16_t i8_t;

/* B rows k0..k0+kb, columns n0..n0+nb as 16-column panels of
 * [kg][16][2] int16 (panel stride kg * 32), read row by row across the
 * panels (sequential; no cache-set conflicts from the row stride) */
static void pack_b_i8(const struct xpu_mm *p, uint64_t k0, uint64_t kb, uint64_t n0, uint64_t nb,
		      int16_t *dst)
{
	uint64_t kg = (kb + 1) / 2, np = (nb + NR - 1) / NR;

	for (uint64_t g = 0; g < kb; g += 2) {
		for (uint64_t pan = 0; pan < np; pan++) {
			int w = nb - pan * NR < NR ? (int)(nb - pan * NR) : NR;
			int16_t *d = dst + pan * kg * 32 + g * 16;
			__m128i r[2];

			for (int q = 0; q < 2; q++) {
				const uint8_t *row = p->b + (k0 + g + q) * p->ldb + n0 + pan * NR;
				uint8_t tmp[16];

				if (g + q >= kb) {
					r[q] = _mm_setzero_si128();
				} else if (w == NR) {
					r[q] = _mm_loadu_si128((const __m128i *)row);
				} else {
					memset(tmp, 0, sizeof(tmp));
					memcpy(tmp, row, w);
					r[q] = _mm_loadu_si128((const __m128i *)tmp);
				}
			}
			for (int h = 0; h < 2; h++) {
				__m128i w0 = _mm_cvtepi8_epi16(h ? _mm_srli_si128(r[0], 8) : r[0]);
				__m128i w1 = _mm_cvtepi8_epi16(h ? _mm_srli_si128(r[1], 8) : r[1]);

				_mm_store_si128((__m128i *)d, _mm_unpacklo_epi16(w0, w1));
				_mm_store_si128((__m128i *)(d + 8), _mm_unpackhi_epi16(w0, w1));
				d += 16;
			}
		}
	}
}

/* rows m..m+mr of A, k0..k0+kb, widened to int16 as [MR][KC] (row i at
 * dst + i * KC, zero padded to even k; rows >= mr zero); no correction
 * (vpmaddwd multiplies signed by signed) */
static void pack_a_i8(const struct xpu_mm *p, uint64_t m, int mr, uint64_t k0, uint64_t kb,
		      int16_t *dst, int32_t *corr)
{
	(void)corr;
	for (int i = 0; i < MR; i++) {
		const uint8_t *row = p->a + (m + i) * p->lda + k0;
		int16_t *d = dst + i * KC;
		uint64_t k = 0;

		if (i < mr) {
			for (; k + 16 <= kb; k += 16)
				_mm256_store_si256((__m256i *)(d + k), _mm256_cvtepi8_epi16(
					_mm_loadu_si128((const __m128i *)(row + k))));
			for (; k < kb; k++)
				d[k] = (int8_t)row[k];
		}
		for (; k < kb; k++)
			d[k] = 0;
		if (kb & 1)
			d[kb] = 0;	/* the odd k's partner (kb < KC) */
	}
}

typedef __m256i vi;

static AI vi vi_dot(vi c, vi a, vi b)
{
	return _mm256_add_epi32(c, _mm256_madd_epi16(a, b));
}

static AI vi vi_fix(vi c, const int32_t *corr, int i)
{
	(void)corr;
	(void)i;
	return c;
}

static AI vi vi_loadm(const int32_t *row, vmask m)
{
	return _mm256_maskload_epi32((const int *)row, m);
}

static AI void vi_storem(int32_t *row, vmask m, vi v)
{
	_mm256_maskstore_epi32((int *)row, m, v);
}

/* ---- bf16 ---- */

/* exponent statistics of 16 bf16 lanes, accumulated per lane: the
 * xpu_mm_expo_add() of each lane (min/max over normal exponents, subnormal
 * seen); expo_finish() folds the lanes into st */
struct bexpo {
	__m256i vmin, vmax, sub;
};

static AI void expo_init(struct bexpo *x)
{
	x->vmin = _mm256_set1_epi16(255);
	x->vmax = x->sub = _mm256_setzero_si256();
}

static AI void expo_acc(__m256i h, struct bexpo *x)
{
	const __m256i ff = _mm256_set1_epi16(0xff), m7f = _mm256_set1_epi16(0x7f);
	const __m256i z = _mm256_setzero_si256();
	__m256i e = _mm256_and_si256(_mm256_srli_epi16(h, 7), ff);
	__m256i ez = _mm256_cmpeq_epi16(e, z);
	__m256i other = _mm256_or_si256(ez, _mm256_cmpeq_epi16(e, ff));	/* not normal */
	__m256i mant0 = _mm256_cmpeq_epi16(_mm256_and_si256(h, m7f), z);

	x->sub = _mm256_or_si256(x->sub, _mm256_andnot_si256(mant0, ez));
	x->vmin = _mm256_min_epu16(x->vmin, _mm256_or_si256(e, other));	/* other: 0xffff */
	x->vmax = _mm256_max_epu16(x->vmax, _mm256_andnot_si256(other, e));	/* other: 0 */
}

static void expo_finish(const struct bexpo *x, struct xpu_mm_expo *st)
{
	uint16_t lo[16], hi[16];

	_mm256_storeu_si256((__m256i *)lo, x->vmin);
	_mm256_storeu_si256((__m256i *)hi, x->vmax);
	xpu_mm_expo_fold(st, lo, hi, 16, !_mm256_testz_si256(x->sub, x->sub));
}

/* 16 bf16 at src (w <= 16 of them, the rest zero) */
static AI __m256i load_bf16(const uint8_t *src, uint64_t w)
{
	uint16_t tmp[16];

	if (w >= 16)
		return _mm256_loadu_si256((const __m256i *)src);
	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp, src, w * 2);
	return _mm256_loadu_si256((const __m256i *)tmp);
}

/* 16 bf16 lanes widened to fp32 at d */
static AI void store_f32(float *d, __m256i h)
{
	_mm256_storeu_si256((__m256i *)d, _mm256_slli_epi32(
		_mm256_cvtepu16_epi32(_mm256_castsi256_si128(h)), 16));
	_mm256_storeu_si256((__m256i *)(d + 8), _mm256_slli_epi32(
		_mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1)), 16));
}

typedef __m256 vf;

static AI vf vf_canon(vf v)
{
	const __m256 qnan = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000));

	return _mm256_blendv_ps(v, qnan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

static AI vf vf_loadm(const float *row, vmask m)
{
	return _mm256_maskload_ps(row, m);
}

static AI void vf_storem(float *row, vmask m, vf v)
{
	_mm256_maskstore_ps(row, m, v);
}

#include "mxu_simd_tmpl.h"

#endif /* __x86_64__ */
