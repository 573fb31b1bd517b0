// SPDX-License-Identifier: MIT
/*
 * Matrix unit, AMX level (int8 only: AMX-TILE + AMX-INT8, plus AVX-512BW/VL
 * for packing). bf16 stays on the AVX-512 kernel (AMX-BF16 rounds
 * differently). mxu_gemm.c selects it at run time once the kernel grants
 * the tile data state (arch_prctl ARCH_REQ_XCOMP_PERM); without that
 * permission the AVX-512 level is used.
 *
 * tdpbssd multiplies signed by signed bytes and sums exactly in int32
 * (mod 2^32, as the reference). Register block: 32 x 32 outputs in four
 * 16x16 int32 tiles, A as two 16-row x 64-byte tiles from a zero-padded
 * strip copy ([32][kp] bytes, kp = k rounded up to 64), B as two 16 x 64
 * tiles of a panel packed as [kp/4][32 columns][4 bytes] (mxu_pack512.h,
 * shared with the AVX-512 level). Full 32 x 32
 * blocks load and store C in place; edge blocks go through a 32 x 32
 * buffer.
 */
#if defined(__x86_64__) && defined(__GNUC__)
/* GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*, GCC
 * PR 105593) when QEMU's build flags are used: not our code */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include "engine_int.h"
#include "mxu_kern.h"

#pragma GCC target("amx-tile,amx-int8,avx2,avx512f,avx512bw,avx512vl")

#include "mxu_pack512.h"

#define MR	32
#define NR	32
#define MC	(MR * 8)
#define NC	(NR * 16)
#define KC	1024
#define B_BYTES	((size_t)KC * NC)
#define A_BYTES	((size_t)KC * MR)
#define C_BYTES	((size_t)MR * NR * 4)

struct tilecfg {
	uint8_t palette, start_row, rsv[14];
	uint16_t colsb[16];
	uint8_t rows[16];
} __attribute__((aligned(64)));

/* rows m..m+mr of A, k0..k0+kb, as [32][kp] bytes, zero padded */
static void pack_a(const struct xpu_mm *p, uint64_t m, int mr, uint64_t k0, uint64_t kb,
		   uint64_t kp, uint8_t *dst)
{
	for (int i = 0; i < MR; i++, dst += kp) {
		uint64_t k = 0;

		if (i < mr) {
			const uint8_t *row = p->a + (m + i) * p->lda + k0;

			for (; k + 64 <= kb; k += 64)
				_mm512_store_si512(dst + k, _mm512_loadu_si512(row + k));
			if (k < kb) {
				_mm512_store_si512(dst + k,
						   _mm512_maskz_loadu_epi8((1ull << (kb - k)) - 1, row + k));
				k += 64;
			}
		}
		for (; k < kp; k += 64)
			_mm512_store_si512(dst + k, _mm512_setzero_si512());
	}
}

/* C[32 x 32] at c (stride ldc) += A strip x B panel over kp */
static void micro(const uint8_t *ap, const uint8_t *bp, uint64_t kp, uint8_t *c, uint64_t ldc,
		  int first)
{
	if (first) {
		_tile_zero(0);
		_tile_zero(1);
		_tile_zero(2);
		_tile_zero(3);
	} else {
		_tile_loadd(0, c, ldc);
		_tile_loadd(1, c + 64, ldc);
		_tile_loadd(2, c + 16 * ldc, ldc);
		_tile_loadd(3, c + 16 * ldc + 64, ldc);
	}
	for (uint64_t k = 0; k < kp; k += 64) {
		_tile_loadd(4, ap + k, kp);
		_tile_loadd(5, ap + 16 * kp + k, kp);
		_tile_loadd(6, bp + k * 32, 128);
		_tile_loadd(7, bp + k * 32 + 64, 128);
		_tile_dpbssd(0, 4, 6);
		_tile_dpbssd(1, 4, 7);
		_tile_dpbssd(2, 5, 6);
		_tile_dpbssd(3, 5, 7);
	}
	_tile_stored(0, c, ldc);
	_tile_stored(1, c + 64, ldc);
	_tile_stored(2, c + 16 * ldc, ldc);
	_tile_stored(3, c + 16 * ldc + 64, ldc);
}

static int blk_int8(const struct xpu_mm_block *blk)
{
	const struct xpu_mm *p = blk->p;
	uint64_t kb = blk->k1 - blk->k0, kp = (kb + 63) & ~63ull, nb = blk->n1 - blk->n0;
	uint64_t np = (nb + NR - 1) / NR, pan, m;
	uint8_t *bpk = blk->scratch;
	uint8_t *apk = bpk + B_BYTES;
	uint8_t *ct = apk + A_BYTES;
	struct tilecfg cfg;
	int rc = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.palette = 1;
	for (int i = 0; i < 8; i++) {
		cfg.rows[i] = 16;
		cfg.colsb[i] = 64;
	}
	mxu_pack512_b_i8(p, blk->k0, kb, kp, blk->n0, nb, bpk, 0);
	_tile_loadconfig(&cfg);
	for (m = blk->m0; m < blk->m1 && !rc; m += MR) {
		int mr = blk->m1 - m < MR ? (int)(blk->m1 - m) : MR;

		pack_a(p, m, mr, blk->k0, kb, kp, apk);
		for (pan = 0; pan < np; pan++) {
			uint64_t n = blk->n0 + pan * NR;
			int nr = blk->n1 - n < NR ? (int)(blk->n1 - n) : NR;
			uint8_t *c = p->c + m * p->ldc + n * 4;

			if (mr == MR && nr == NR) {
				micro(apk, bpk + pan * kp * NR, kp, c, p->ldc, blk->first);
				continue;
			}
			memset(ct, 0, C_BYTES);
			if (!blk->first)
				for (int i = 0; i < mr; i++)
					memcpy(ct + i * NR * 4, c + i * p->ldc, nr * 4);
			micro(apk, bpk + pan * kp * NR, kp, ct, NR * 4, 0);
			for (int i = 0; i < mr; i++)
				memcpy(c + i * p->ldc, ct + i * NR * 4, nr * 4);
		}
		rc = blk->poll->fn(blk->poll, mr * nb * kb);
	}
	_tile_release();
	return rc;
}

const struct xpu_mxu_level xpu_mxu_amx = {
	.name = "amx",
	.mc = MC, .nc = NC, .kc = KC,
	.scratch_bytes = B_BYTES + A_BYTES + C_BYTES,
	.int8 = blk_int8,
	.bf16 = NULL,		/* the AVX-512 kernel */
};

#endif /* __x86_64__ */
