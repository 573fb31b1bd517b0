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
#define MC	(MR * 32)
#define NC	(NR * 32)
#define KC	256
#define B_BYTES	((size_t)KC * NC * 4)
#define A_BYTES	((size_t)KC * MR * 4)
#define S_BYTES	((size_t)(NC / NR) * sizeof(struct xpu_mm_expo))

#define AI	__attribute__((always_inline)) inline

typedef int32_t __attribute__((may_alias, aligned(1))) i32_any;	/* an int16 pair */

static inline __m256i lanemask(int n)
{
	const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);

	return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

/* ---- int8 ---- */

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
 * dst + i * KC, zero padded to even k; rows >= mr zero) */
static void pack_a_i8(const struct xpu_mm *p, uint64_t m, int mr, uint64_t k0, uint64_t kb,
		      int16_t *dst)
{
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

static AI void mk_i8(const int mr, const int16_t *ap, const int16_t *bp, uint64_t kg,
		     uint8_t *c, uint64_t ldc, int nr, int first)
{
	__m256i c0[MR], c1[MR];
	__m256i m0 = lanemask(nr), m1 = lanemask(nr - 8);

	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++)
		c0[i] = c1[i] = _mm256_setzero_si256();
	for (uint64_t g = 0; g < kg; g++) {
		__m256i b0 = _mm256_load_si256((const __m256i *)bp);
		__m256i b1 = _mm256_load_si256((const __m256i *)(bp + 16));

		#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			__m256i a = _mm256_set1_epi32(*(const i32_any *)(ap + i * KC));

			c0[i] = _mm256_add_epi32(c0[i], _mm256_madd_epi16(a, b0));
			c1[i] = _mm256_add_epi32(c1[i], _mm256_madd_epi16(a, b1));
		}
		ap += 2;
		bp += 32;
	}
	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		int *row = (int *)(c + i * ldc);

		if (!first) {
			c0[i] = _mm256_add_epi32(c0[i], _mm256_maskload_epi32(row, m0));
			c1[i] = _mm256_add_epi32(c1[i], _mm256_maskload_epi32(row + 8, m1));
		}
		_mm256_maskstore_epi32(row, m0, c0[i]);
		_mm256_maskstore_epi32(row + 8, m1, c1[i]);
	}
}

#define MK_CASES(X) X(1) X(2) X(3) X(4) X(5) X(6)

static void micro_i8(int mr, const int16_t *ap, const int16_t *bp, uint64_t kg, uint8_t *c,
		     uint64_t ldc, int nr, int first)
{
	switch (mr) {
#define X(r) case r: mk_i8(r, ap, bp, kg, c, ldc, nr, first); break;
	MK_CASES(X)
#undef X
	}
}

static int blk_int8(const struct xpu_mm_block *blk)
{
	const struct xpu_mm *p = blk->p;
	uint64_t kb = blk->k1 - blk->k0, kg = (kb + 1) / 2, nb = blk->n1 - blk->n0;
	uint64_t np = (nb + NR - 1) / NR, pan, m;
	int16_t *bpk = blk->scratch;
	int16_t *apk = (int16_t *)((uint8_t *)blk->scratch + B_BYTES);
	int rc;

	pack_b_i8(p, blk->k0, kb, blk->n0, nb, bpk);
	for (m = blk->m0; m < blk->m1; m += MR) {
		int mr = blk->m1 - m < MR ? (int)(blk->m1 - m) : MR;

		pack_a_i8(p, m, mr, blk->k0, kb, apk);
		for (pan = 0; pan < np; pan++) {
			uint64_t n = blk->n0 + pan * NR;

			micro_i8(mr, apk, bpk + pan * kg * 32, kg, p->c + m * p->ldc + n * 4, p->ldc,
				 (int)(blk->n1 - n < NR ? blk->n1 - n : NR), blk->first);
		}
		if ((rc = blk->poll->fn(blk->poll, mr * nb * kb)))
			return rc;
	}
	return 0;
}

/* ---- bf16 ---- */

/* B rows k0..k0+kb, columns n0..n0+nb widened to fp32 as 16-column panels
 * of [kb][16] (panel stride kb * 16), read row by row; st[panel] gets each
 * panel's exponent statistics */
static void pack_b_bf16(const struct xpu_mm *p, uint64_t k0, uint64_t kb, uint64_t n0, uint64_t nb,
			uint32_t *dst, struct xpu_mm_expo *st)
{
	uint64_t np = (nb + NR - 1) / NR;

	for (uint64_t pan = 0; pan < np; pan++)
		xpu_mm_expo_init(&st[pan]);
	for (uint64_t k = 0; k < kb; k++) {
		const uint8_t *row = p->b + (k0 + k) * p->ldb + n0 * 2;

		for (uint64_t pan = 0; pan < np; pan++) {
			uint64_t w = nb - pan * NR < NR ? nb - pan * NR : NR;
			const uint8_t *r = row + pan * NR * 2;
			uint32_t *d = dst + pan * kb * NR + k * NR;

			for (uint64_t j = 0; j < NR; j++) {
				uint16_t h = j < w ? xpu_ld16(r + 2 * j) : 0;

				xpu_mm_expo_add(&st[pan], h);
				d[j] = (uint32_t)h << 16;
			}
		}
	}
}

/* rows m..m+mr of A, k0..k0+kb, widened to fp32 as [MR][KC] (row i at
 * dst + i * KC; rows >= mr zero) */
static void pack_a_bf16(const struct xpu_mm *p, uint64_t m, int mr, uint64_t k0, uint64_t kb,
			uint32_t *dst, struct xpu_mm_expo *st)
{
	xpu_mm_expo_init(st);
	for (int i = 0; i < MR; i++) {
		const uint8_t *row = p->a + (m + i) * p->lda + k0 * 2;

		for (uint64_t k = 0; k < kb; k++) {
			uint16_t h = i < mr ? xpu_ld16(row + 2 * k) : 0;

			xpu_mm_expo_add(st, h);
			dst[i * KC + k] = (uint32_t)h << 16;
		}
	}
}

static AI void mk_bf16(const int mr, const int fused, const float *ap, const float *bp,
		       uint64_t kb, uint8_t *c, uint64_t ldc, int nr, int first, int last)
{
	__m256 c0[MR], c1[MR];
	__m256i m0 = lanemask(nr), m1 = lanemask(nr - 8);

	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		float *row = (float *)(c + i * ldc);

		if (first) {
			c0[i] = c1[i] = _mm256_setzero_ps();
		} else {
			c0[i] = _mm256_maskload_ps(row, m0);
			c1[i] = _mm256_maskload_ps(row + 8, m1);
		}
	}
	for (uint64_t k = 0; k < kb; k++) {
		__m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);

		#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			__m256 a = _mm256_broadcast_ss(ap + i * KC);

			if (fused) {
				c0[i] = _mm256_fmadd_ps(a, b0, c0[i]);
				c1[i] = _mm256_fmadd_ps(a, b1, c1[i]);
			} else {
				c0[i] = _mm256_add_ps(c0[i], _mm256_mul_ps(a, b0));
				c1[i] = _mm256_add_ps(c1[i], _mm256_mul_ps(a, b1));
			}
		}
		ap++;
		bp += 16;
	}
	if (last) {
		const __m256 qnan = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000));

#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			c0[i] = _mm256_blendv_ps(c0[i], qnan, _mm256_cmp_ps(c0[i], c0[i], _CMP_UNORD_Q));
			c1[i] = _mm256_blendv_ps(c1[i], qnan, _mm256_cmp_ps(c1[i], c1[i], _CMP_UNORD_Q));
		}
	}
#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		float *row = (float *)(c + i * ldc);

		_mm256_maskstore_ps(row, m0, c0[i]);
		_mm256_maskstore_ps(row + 8, m1, c1[i]);
	}
}

static void micro_bf16(int mr, int fused, const float *ap, const float *bp, uint64_t kb,
		       uint8_t *c, uint64_t ldc, int nr, int first, int last)
{
	if (fused) {
		switch (mr) {
#define X(r) case r: mk_bf16(r, 1, ap, bp, kb, c, ldc, nr, first, last); break;
		MK_CASES(X)
#undef X
		}
	} else {
		switch (mr) {
#define X(r) case r: mk_bf16(r, 0, ap, bp, kb, c, ldc, nr, first, last); break;
		MK_CASES(X)
#undef X
		}
	}
}

static int blk_bf16(const struct xpu_mm_block *blk)
{
	const struct xpu_mm *p = blk->p;
	uint64_t kb = blk->k1 - blk->k0, nb = blk->n1 - blk->n0;
	uint64_t np = (nb + NR - 1) / NR, pan, m;
	float *bpk = blk->scratch;
	float *apk = (float *)((uint8_t *)blk->scratch + B_BYTES);
	struct xpu_mm_expo *bst = (struct xpu_mm_expo *)((uint8_t *)blk->scratch + B_BYTES + A_BYTES);
	struct xpu_mm_expo ast;
	int rc;

	pack_b_bf16(p, blk->k0, kb, blk->n0, nb, (uint32_t *)bpk, bst);
	for (m = blk->m0; m < blk->m1; m += MR) {
		int mr = blk->m1 - m < MR ? (int)(blk->m1 - m) : MR;

		pack_a_bf16(p, m, mr, blk->k0, kb, (uint32_t *)apk, &ast);
		for (pan = 0; pan < np; pan++) {
			uint64_t n = blk->n0 + pan * NR;

			micro_bf16(mr, xpu_mm_exact(&ast, &bst[pan]), apk, bpk + pan * kb * NR, kb,
				   p->c + m * p->ldc + n * 4, p->ldc,
				   (int)(blk->n1 - n < NR ? blk->n1 - n : NR), blk->first, blk->last);
		}
		if ((rc = blk->poll->fn(blk->poll, mr * nb * kb)))
			return rc;
	}
	return 0;
}

const struct xpu_mxu_level xpu_mxu_avx2 = {
	.name = "avx2",
	.mc = MC, .nc = NC, .kc = KC,
	.scratch_bytes = B_BYTES + A_BYTES + S_BYTES,
	.int8 = blk_int8,
	.bf16 = blk_bf16,
	.bf16_canon = 1,
};

#endif /* __x86_64__ */
