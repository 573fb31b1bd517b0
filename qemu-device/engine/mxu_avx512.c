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

#define MR	12
#define NR	32
#define MC	(MR * 40)
#define NC	(NR * 32)
#define KC	256
#define B_BYTES	((size_t)KC * NC * 4)		/* fp32 panels; int8 uses a quarter */
#define A_BYTES	((size_t)KC * MR * 4)
#define S_BYTES	((size_t)(NC / NR) * sizeof(struct xpu_mm_expo))

#define AI	__attribute__((always_inline)) inline

typedef int32_t __attribute__((may_alias, aligned(1))) i32_any;	/* 4 packed bytes */

static inline __mmask16 cmask(int n)
{
	return n >= 16 ? 0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
}

/* ---- int8 ---- */

/*
 * B rows k0..k0+kb, columns n0..n0+nb as 32-column panels of
 * [kg][32][4] bytes (panel stride kg * 128). Row-major B is read row by
 * row across all panels (sequential: a panel-at-a-time walk down the
 * column would hit one cache set per 4 KiB of row stride).
 */
static void pack_b_i8(const struct xpu_mm *p, uint64_t k0, uint64_t kb, uint64_t n0, uint64_t nb,
		      uint8_t *dst)
{
	const __m128i off = _mm_set1_epi8((char)0x80);
	uint64_t kg = (kb + 3) / 4, np = (nb + NR - 1) / NR;

	for (uint64_t g = 0; g < kb; g += 4) {
		for (uint64_t pan = 0; pan < np; pan++) {
			int w = nb - pan * NR < NR ? (int)(nb - pan * NR) : NR;
			__mmask16 m0 = cmask(w), m1 = cmask(w - 16);
			uint8_t *d = dst + pan * kg * 128 + g * 32;
			__m128i r[4][2];

			for (int q = 0; q < 4; q++) {
				const uint8_t *row = p->b + (k0 + g + q) * p->ldb + n0 + pan * NR;

				if (g + q < kb) {
					r[q][0] = _mm_maskz_loadu_epi8(m0, row);
					r[q][1] = _mm_maskz_loadu_epi8(m1, row + 16);
				} else {
					r[q][0] = r[q][1] = _mm_setzero_si128();
				}
			}
			for (int h = 0; h < 2; h++) {
				__m128i t0 = _mm_unpacklo_epi8(r[0][h], r[1][h]);
				__m128i t1 = _mm_unpackhi_epi8(r[0][h], r[1][h]);
				__m128i t2 = _mm_unpacklo_epi8(r[2][h], r[3][h]);
				__m128i t3 = _mm_unpackhi_epi8(r[2][h], r[3][h]);

				_mm_store_si128((__m128i *)(d + 0), _mm_xor_si128(_mm_unpacklo_epi16(t0, t2), off));
				_mm_store_si128((__m128i *)(d + 16), _mm_xor_si128(_mm_unpackhi_epi16(t0, t2), off));
				_mm_store_si128((__m128i *)(d + 32), _mm_xor_si128(_mm_unpacklo_epi16(t1, t3), off));
				_mm_store_si128((__m128i *)(d + 48), _mm_xor_si128(_mm_unpackhi_epi16(t1, t3), off));
				d += 64;
			}
		}
	}
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

static AI void mk_i8(const int mr, const uint8_t *ap, const uint8_t *bp, uint64_t kg,
		     uint8_t *c, uint64_t ldc, int nr, int first, const int32_t *corr)
{
	__m512i c0[MR], c1[MR];
	__mmask16 m0 = cmask(nr), m1 = cmask(nr - 16);

	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++)
		c0[i] = c1[i] = _mm512_setzero_si512();
	for (uint64_t g = 0; g < kg; g++) {
		__m512i b0 = _mm512_load_si512(bp), b1 = _mm512_load_si512(bp + 64);

		#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			__m512i a = _mm512_set1_epi32(*(const i32_any *)(ap + i * KC));

			c0[i] = _mm512_dpbusd_epi32(c0[i], b0, a);
			c1[i] = _mm512_dpbusd_epi32(c1[i], b1, a);
		}
		ap += 4;
		bp += 128;
	}
	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		uint8_t *row = c + i * ldc;
		__m512i k = _mm512_set1_epi32(corr[i]);
		__m512i v0 = _mm512_add_epi32(c0[i], k), v1 = _mm512_add_epi32(c1[i], k);

		if (!first) {
			v0 = _mm512_add_epi32(v0, _mm512_maskz_loadu_epi32(m0, row));
			v1 = _mm512_add_epi32(v1, _mm512_maskz_loadu_epi32(m1, row + 64));
		}
		_mm512_mask_storeu_epi32(row, m0, v0);
		_mm512_mask_storeu_epi32(row + 64, m1, v1);
	}
}

#define MK_CASES(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12)

static void micro_i8(int mr, const uint8_t *ap, const uint8_t *bp, uint64_t kg, uint8_t *c,
		     uint64_t ldc, int nr, int first, const int32_t *corr)
{
	switch (mr) {
#define X(r) case r: mk_i8(r, ap, bp, kg, c, ldc, nr, first, corr); break;
	MK_CASES(X)
#undef X
	}
}

static int blk_int8(const struct xpu_mm_block *blk)
{
	const struct xpu_mm *p = blk->p;
	uint64_t kb = blk->k1 - blk->k0, kg = (kb + 3) / 4, nb = blk->n1 - blk->n0;
	uint64_t np = (nb + NR - 1) / NR, pan, m;
	uint8_t *bpk = blk->scratch;
	uint8_t *apk = (uint8_t *)blk->scratch + B_BYTES;
	int32_t corr[MR];
	int rc;

	pack_b_i8(p, blk->k0, kb, blk->n0, nb, bpk);
	for (m = blk->m0; m < blk->m1; m += MR) {
		int mr = blk->m1 - m < MR ? (int)(blk->m1 - m) : MR;

		pack_a_i8(p, m, mr, blk->k0, kb, apk, corr);
		for (pan = 0; pan < np; pan++) {
			uint64_t n = blk->n0 + pan * NR;

			micro_i8(mr, apk, bpk + pan * kg * 128, kg, p->c + m * p->ldc + n * 4, p->ldc,
				 (int)(blk->n1 - n < NR ? blk->n1 - n : NR), blk->first, corr);
		}
		if ((rc = blk->poll->fn(blk->poll, mr * nb * kb)))
			return rc;
	}
	return 0;
}

/* ---- bf16 ---- */

/* exponent statistics of 32 bf16 lanes (zero lanes count as zeros) */
static AI void expo_acc(__m512i h, __m512i *vmin, __m512i *vmax, __mmask32 *sub)
{
	const __m512i ff = _mm512_set1_epi16(0xff), m7f = _mm512_set1_epi16(0x7f);
	__m512i e = _mm512_and_si512(_mm512_srli_epi16(h, 7), ff);
	__mmask32 ez = _mm512_cmpeq_epi16_mask(e, _mm512_setzero_si512());
	__mmask32 normal = ~ez & _mm512_cmpneq_epi16_mask(e, ff);

	*sub |= ez & _mm512_test_epi16_mask(h, m7f);
	*vmin = _mm512_mask_min_epu16(*vmin, normal, *vmin, e);
	*vmax = _mm512_mask_max_epu16(*vmax, normal, *vmax, e);
}

static void expo_finish(__m512i vmin, __m512i vmax, __mmask32 sub, struct xpu_mm_expo *st)
{
	uint16_t lo[32], hi[32];

	_mm512_storeu_si512(lo, vmin);
	_mm512_storeu_si512(hi, vmax);
	xpu_mm_expo_init(st);
	for (int j = 0; j < 32; j++) {
		st->emin = lo[j] < st->emin ? lo[j] : st->emin;
		st->emax = hi[j] > st->emax ? hi[j] : st->emax;
	}
	st->sub = sub != 0;
}

/* B rows k0..k0+kb, columns n0..n0+nb widened to fp32 as 32-column panels
 * of [kb][32] (panel stride kb * 32), read row by row (see pack_b_i8);
 * st[panel] gets each panel's exponent statistics */
static void pack_b_bf16(const struct xpu_mm *p, uint64_t k0, uint64_t kb, uint64_t n0, uint64_t nb,
			float *dst, struct xpu_mm_expo *st)
{
	uint64_t np = (nb + NR - 1) / NR;
	__m512i vmin[NC / NR], vmax[NC / NR];
	__mmask32 sub[NC / NR];

	for (uint64_t pan = 0; pan < np; pan++) {
		vmin[pan] = _mm512_set1_epi16(255);
		vmax[pan] = _mm512_setzero_si512();
		sub[pan] = 0;
	}
	for (uint64_t k = 0; k < kb; k++) {
		const uint8_t *row = p->b + (k0 + k) * p->ldb + n0 * 2;

		for (uint64_t pan = 0; pan < np; pan++) {
			uint64_t w = nb - pan * NR;
			__mmask32 lm = w >= 32 ? 0xffffffffu : (__mmask32)((1u << w) - 1);
			__m512i h = _mm512_maskz_loadu_epi16(lm, row + pan * NR * 2);
			float *d = dst + pan * kb * NR + k * NR;

			expo_acc(h, &vmin[pan], &vmax[pan], &sub[pan]);
			_mm512_store_si512(d, _mm512_slli_epi32(
				_mm512_cvtepu16_epi32(_mm512_castsi512_si256(h)), 16));
			_mm512_store_si512(d + 16, _mm512_slli_epi32(
				_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(h, 1)), 16));
		}
	}
	for (uint64_t pan = 0; pan < np; pan++)
		expo_finish(vmin[pan], vmax[pan], sub[pan], &st[pan]);
}

/* rows m..m+mr of A, k0..k0+kb, widened to fp32 as [MR][KC] (row i of
 * the strip at dst + i * KC; rows >= mr zero) */
static void pack_a_bf16(const struct xpu_mm *p, uint64_t m, int mr, uint64_t k0, uint64_t kb,
			float *dst, struct xpu_mm_expo *st)
{
	__m512i vmin = _mm512_set1_epi16(255), vmax = _mm512_setzero_si512();
	__mmask32 sub = 0;

	for (int i = 0; i < MR; i++) {
		const uint8_t *row = p->a + (m + i) * p->lda + k0 * 2;
		float *d = dst + i * KC;

		for (uint64_t k = 0; k < kb; k += 32) {
			__mmask32 lm = kb - k >= 32 ? 0xffffffffu : (__mmask32)((1u << (kb - k)) - 1);
			__m512i h = i < mr ? _mm512_maskz_loadu_epi16(lm, row + 2 * k)
					   : _mm512_setzero_si512();

			expo_acc(h, &vmin, &vmax, &sub);
			_mm512_store_si512(d + k, _mm512_slli_epi32(
				_mm512_cvtepu16_epi32(_mm512_castsi512_si256(h)), 16));
			_mm512_store_si512(d + k + 16, _mm512_slli_epi32(
				_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(h, 1)), 16));
		}
	}
	expo_finish(vmin, vmax, sub, st);
}

static AI void mk_bf16(const int mr, const int fused, const float *ap, const float *bp,
		       uint64_t kb, uint8_t *c, uint64_t ldc, int nr, int first, int last)
{
	__m512 c0[MR], c1[MR];
	__mmask16 m0 = cmask(nr), m1 = cmask(nr - 16);

	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		if (first) {
			c0[i] = c1[i] = _mm512_setzero_ps();
		} else {
			c0[i] = _mm512_maskz_loadu_ps(m0, c + i * ldc);
			c1[i] = _mm512_maskz_loadu_ps(m1, c + i * ldc + 64);
		}
	}
	for (uint64_t k = 0; k < kb; k++) {
		__m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);

		#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			__m512 a = _mm512_set1_ps(ap[i * KC]);

			if (fused) {
				c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
				c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
			} else {
				c0[i] = _mm512_add_ps(c0[i], _mm512_mul_ps(a, b0));
				c1[i] = _mm512_add_ps(c1[i], _mm512_mul_ps(a, b1));
			}
		}
		ap++;
		bp += 32;
	}
	if (last) {
		const __m512 qnan = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fc00000));

#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			c0[i] = _mm512_mask_mov_ps(c0[i], _mm512_cmp_ps_mask(c0[i], c0[i], _CMP_UNORD_Q), qnan);
			c1[i] = _mm512_mask_mov_ps(c1[i], _mm512_cmp_ps_mask(c1[i], c1[i], _CMP_UNORD_Q), qnan);
		}
	}
#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		_mm512_mask_storeu_ps(c + i * ldc, m0, c0[i]);
		_mm512_mask_storeu_ps(c + i * ldc + 64, m1, c1[i]);
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

	pack_b_bf16(p, blk->k0, kb, blk->n0, nb, bpk, bst);
	for (m = blk->m0; m < blk->m1; m += MR) {
		int mr = blk->m1 - m < MR ? (int)(blk->m1 - m) : MR;

		pack_a_bf16(p, m, mr, blk->k0, kb, apk, &ast);
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

const struct xpu_mxu_level xpu_mxu_avx512 = {
	.name = "avx512",
	.mc = MC, .nc = NC, .kc = KC,
	.scratch_bytes = B_BYTES + A_BYTES + S_BYTES,
	.int8 = blk_int8,
	.bf16 = blk_bf16,
	.bf16_canon = 1,
};

#endif /* __x86_64__ */
