/* SPDX-License-Identifier: MIT */
/*
 * Matrix unit: the AVX-512BW/VL pieces the AVX-512 and AMX levels share
 * (mxu_avx512.c, mxu_amx.c). Both include it after their own
 * `#pragma GCC target`, which grants AVX-512BW/VL; nothing else may.
 *
 * The int8 B pack: rows k0..k0+kb, columns n0..n0+nb of B as 32-column
 * panels of [kp/4][32][4] bytes (the four k of a group side by side, as
 * vpdpbusd and tdpbssd read them; panel stride kp * 32; rows kb..kp zero;
 * columns past nb zero). Row-major B is read row by row across all panels
 * (sequential: a panel-at-a-time walk down the column would hit one cache
 * set per 4 KiB of row stride). With 'flip' every byte is stored offset by
 * +128 (s8 -> u8, for vpdpbusd's unsigned operand).
 * Not a public API.
 */
#ifndef XPU_MXU_PACK512_H
#define XPU_MXU_PACK512_H

#include <immintrin.h>
#include "mxu_kern.h"

/* the first n of 16 lanes */
static inline __mmask16 cmask(int n)
{
	return n >= 16 ? 0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
}

static inline __attribute__((always_inline)) void
mxu_pack512_store(uint8_t *d, __m128i v, const int flip)
{
	_mm_store_si128((__m128i *)d, flip ? _mm_xor_si128(v, _mm_set1_epi8((char)0x80)) : v);
}

/* kp: a multiple of 4, >= kb */
static inline __attribute__((always_inline)) void
mxu_pack512_b_i8(const struct xpu_mm *p, uint64_t k0, uint64_t kb, uint64_t kp, uint64_t n0,
		 uint64_t nb, uint8_t *dst, const int flip)
{
	uint64_t np = (nb + 31) / 32;

	for (uint64_t g = 0; g < kp; g += 4) {
		for (uint64_t pan = 0; pan < np; pan++) {
			int w = nb - pan * 32 < 32 ? (int)(nb - pan * 32) : 32;
			__mmask16 m0 = cmask(w), m1 = cmask(w - 16);
			uint8_t *d = dst + pan * kp * 32 + g * 32;
			__m128i r[4][2];

			for (int q = 0; q < 4; q++) {
				const uint8_t *row = p->b + (k0 + g + q) * p->ldb + n0 + pan * 32;

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

				mxu_pack512_store(d + 0, _mm_unpacklo_epi16(t0, t2), flip);
				mxu_pack512_store(d + 16, _mm_unpackhi_epi16(t0, t2), flip);
				mxu_pack512_store(d + 32, _mm_unpacklo_epi16(t1, t3), flip);
				mxu_pack512_store(d + 48, _mm_unpackhi_epi16(t1, t3), flip);
				d += 64;
			}
		}
	}
}

#endif /* XPU_MXU_PACK512_H */
