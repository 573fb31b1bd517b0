// SPDX-License-Identifier: MIT
/*
 * Matrix unit, portable C level (any host): the reference blocked kernel.
 * Per panel of XPU_MM_NB columns the k block of B is widened into scratch
 * (padded, so the inner loops have a constant trip count and the compiler
 * vectorises them), then every row accumulates in ascending k. Polls every
 * 64 rows.
 */
#pragma GCC optimize("fp-contract=off")	/* c + a*b must round twice */

#include "engine_int.h"
#include "numerics.h"
#include "mxu_kern.h"

#define ROW_POLL	64

static int blk_int8(const struct xpu_mm_block *blk)
{
	const struct xpu_mm *p = blk->p;
	uint64_t kb = blk->k1 - blk->k0, n0, m, kk;
	int16_t *panel = blk->scratch;
	int rc;

	for (n0 = blk->n0; n0 < blk->n1; n0 += XPU_MM_NB) {
		uint64_t nb = blk->n1 - n0 < XPU_MM_NB ? blk->n1 - n0 : XPU_MM_NB;

		for (kk = 0; kk < kb; kk++) {
			const int8_t *brow = (const int8_t *)(p->b + (blk->k0 + kk) * p->ldb + n0);
			int16_t *dst = panel + kk * XPU_MM_NB;
			uint64_t j;

			for (j = 0; j < nb; j++)
				dst[j] = brow[j];
			for (; j < XPU_MM_NB; j++)
				dst[j] = 0;
		}
		for (m = blk->m0; m < blk->m1; m++) {
			const int8_t *arow = (const int8_t *)(p->a + m * p->lda + blk->k0);
			uint8_t *crow = p->c + m * p->ldc + n0 * 4;
			uint32_t acc[XPU_MM_NB];
			uint64_t j;

			if (blk->first) {
				memset(acc, 0, sizeof(acc));
			} else {
				for (j = 0; j < nb; j++)
					acc[j] = xpu_ld32(crow + j * 4);
				for (; j < XPU_MM_NB; j++)
					acc[j] = 0;
			}
			for (kk = 0; kk < kb; kk++) {
				const int16_t *bp = panel + kk * XPU_MM_NB;
				int16_t a = arow[kk];
				int jj;

				if (!a)
					continue;
				for (jj = 0; jj < XPU_MM_NB; jj++)
					acc[jj] += (uint32_t)(int32_t)(int16_t)(a * bp[jj]);
			}
			for (j = 0; j < nb; j++)
				xpu_st32(crow + j * 4, acc[j]);
			if ((m - blk->m0) % ROW_POLL == ROW_POLL - 1 &&
			    (rc = blk->poll->fn(blk->poll, ROW_POLL * nb * kb)))
				return rc;
		}
	}
	return blk->poll->fn(blk->poll, ((blk->m1 - blk->m0) % ROW_POLL) * (blk->n1 - blk->n0) * kb);
}

static int blk_bf16(const struct xpu_mm_block *blk)
{
	const struct xpu_mm *p = blk->p;
	uint64_t kb = blk->k1 - blk->k0, n0, m, kk;
	float *panel = blk->scratch;
	int rc;

	for (n0 = blk->n0; n0 < blk->n1; n0 += XPU_MM_NB) {
		uint64_t nb = blk->n1 - n0 < XPU_MM_NB ? blk->n1 - n0 : XPU_MM_NB;

		for (kk = 0; kk < kb; kk++) {
			const uint8_t *brow = p->b + (blk->k0 + kk) * p->ldb + n0 * 2;
			float *dst = panel + kk * XPU_MM_NB;
			uint64_t j;

			for (j = 0; j < nb; j++)
				dst[j] = xpu_bf16_to_f32(xpu_ld16(brow + j * 2));
			for (; j < XPU_MM_NB; j++)
				dst[j] = 0.0f;
		}
		for (m = blk->m0; m < blk->m1; m++) {
			const uint8_t *arow = p->a + m * p->lda + blk->k0 * 2;
			uint8_t *crow = p->c + m * p->ldc + n0 * 4;
			float acc[XPU_MM_NB];
			uint64_t j;

			if (blk->first) {
				for (j = 0; j < XPU_MM_NB; j++)
					acc[j] = 0.0f;
			} else {
				for (j = 0; j < nb; j++)
					acc[j] = xpu_u2f(xpu_ld32(crow + j * 4));
				for (; j < XPU_MM_NB; j++)
					acc[j] = 0.0f;
			}
			/* no skipping of a == 0: 0 * inf is NaN */
			for (kk = 0; kk < kb; kk++) {
				const float *bp = panel + kk * XPU_MM_NB;
				float a = xpu_bf16_to_f32(xpu_ld16(arow + kk * 2));
				int jj;

				for (jj = 0; jj < XPU_MM_NB; jj++)
					acc[jj] = acc[jj] + a * bp[jj];
			}
			for (j = 0; j < nb; j++)
				xpu_st32(crow + j * 4, xpu_f2u(acc[j]));
			if ((m - blk->m0) % ROW_POLL == ROW_POLL - 1 &&
			    (rc = blk->poll->fn(blk->poll, ROW_POLL * nb * kb)))
				return rc;
		}
	}
	return blk->poll->fn(blk->poll, ((blk->m1 - blk->m0) % ROW_POLL) * (blk->n1 - blk->n0) * kb);
}

/* scratch = one panel (the tile's own mm_f / mm_i have this size) */
const struct xpu_mxu_level xpu_mxu_portable = {
	.name = "portable",
	.mc = 256, .nc = 4 * XPU_MM_NB, .kc = XPU_MM_KB,
	.scratch_bytes = XPU_MM_KB * XPU_MM_NB * sizeof(float),
	.int8 = blk_int8,
	.bf16 = blk_bf16,
};
