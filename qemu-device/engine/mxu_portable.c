// SPDX-License-Identifier: MIT
/*
 * Matrix unit, portable C level (any host): the reference blocked kernel.
 * Per panel of XPU_MM_NB columns the k block of B is widened into scratch
 * (padded, so the inner loops have a constant trip count and the compiler
 * vectorises them), then every row accumulates in ascending k. Polls every
 * 64 rows. One body serves int8 and bf16 (blk_run with a constant 'bf16').
 */
#pragma GCC optimize("fp-contract=off")	/* c + a*b must round twice */

#include "engine_int.h"
#include "numerics.h"
#include "mxu_kern.h"

#define ROW_POLL	64

#define AI	__attribute__((always_inline)) inline

/* the k block of B, columns n0..n0+nb, widened into a panel of
 * [kb][XPU_MM_NB] (int16 or fp32, zero padded) */
static AI void widen_b(const struct xpu_mm *p, uint64_t k0, uint64_t kb, uint64_t n0, uint64_t nb,
		       void *panel, const int bf16)
{
	for (uint64_t kk = 0; kk < kb; kk++) {
		const uint8_t *brow = p->b + (k0 + kk) * p->ldb + n0 * (bf16 ? 2 : 1);
		uint64_t j;

		if (bf16) {
			float *dst = (float *)panel + kk * XPU_MM_NB;

			for (j = 0; j < nb; j++)
				dst[j] = xpu_bf16_to_f32(xpu_ld16(brow + j * 2));
			for (; j < XPU_MM_NB; j++)
				dst[j] = 0.0f;
		} else {
			int16_t *dst = (int16_t *)panel + kk * XPU_MM_NB;

			for (j = 0; j < nb; j++)
				dst[j] = (int8_t)brow[j];
			for (; j < XPU_MM_NB; j++)
				dst[j] = 0;
		}
	}
}

/* one row's accumulators: int32 sums mod 2^32 or fp32, read and written
 * as the bits C holds */
union row_acc {
	uint32_t u[XPU_MM_NB];
	float f[XPU_MM_NB];
};

/* row m of C, columns n0..n0+nb, over the k block: every output adds its
 * products in ascending k */
static AI void row_run(const struct xpu_mm_block *blk, uint64_t m, uint64_t n0, uint64_t nb,
		       const void *panel, const int bf16)
{
	const struct xpu_mm *p = blk->p;
	const uint8_t *arow = p->a + m * p->lda + blk->k0 * (bf16 ? 2 : 1);
	uint8_t *crow = p->c + m * p->ldc + n0 * 4;
	uint64_t kb = blk->k1 - blk->k0, j = 0;
	union row_acc acc;

	if (!blk->first)
		for (; j < nb; j++)
			acc.u[j] = xpu_ld32(crow + j * 4);
	for (; j < XPU_MM_NB; j++)
		acc.u[j] = 0;
	for (uint64_t kk = 0; kk < kb; kk++) {
		if (bf16) {
			/* no skipping of a == 0: 0 * inf is NaN */
			const float *bp = (const float *)panel + kk * XPU_MM_NB;
			float a = xpu_bf16_to_f32(xpu_ld16(arow + kk * 2));

			for (int jj = 0; jj < XPU_MM_NB; jj++)
				acc.f[jj] = acc.f[jj] + a * bp[jj];
		} else {
			const int16_t *bp = (const int16_t *)panel + kk * XPU_MM_NB;
			int16_t a = (int8_t)arow[kk];

			if (a)
				for (int jj = 0; jj < XPU_MM_NB; jj++)
					acc.u[jj] += (uint32_t)(int32_t)(int16_t)(a * bp[jj]);
		}
	}
	for (j = 0; j < nb; j++)
		xpu_st32(crow + j * 4, acc.u[j]);
}

static AI int blk_run(const struct xpu_mm_block *blk, const int bf16)
{
	uint64_t kb = blk->k1 - blk->k0, n0, m;
	int rc;

	for (n0 = blk->n0; n0 < blk->n1; n0 += XPU_MM_NB) {
		uint64_t nb = blk->n1 - n0 < XPU_MM_NB ? blk->n1 - n0 : XPU_MM_NB;

		widen_b(blk->p, blk->k0, kb, n0, nb, blk->scratch, bf16);
		for (m = blk->m0; m < blk->m1; m++) {
			row_run(blk, m, n0, nb, blk->scratch, bf16);
			if ((m - blk->m0) % ROW_POLL == ROW_POLL - 1 &&
			    (rc = blk->poll->fn(blk->poll, ROW_POLL * nb * kb)))
				return rc;
		}
	}
	return blk->poll->fn(blk->poll, ((blk->m1 - blk->m0) % ROW_POLL) * (blk->n1 - blk->n0) * kb);
}

static int blk_int8(const struct xpu_mm_block *blk)
{
	return blk_run(blk, 0);
}

static int blk_bf16(const struct xpu_mm_block *blk)
{
	return blk_run(blk, 1);
}

/* scratch = one panel (the tile's own mm_f / mm_i have this size) */
const struct xpu_mxu_level xpu_mxu_portable = {
	.name = "portable",
	.mc = 256, .nc = 4 * XPU_MM_NB, .kc = XPU_MM_KB,
	.scratch_bytes = XPU_MM_KB * XPU_MM_NB * sizeof(float),
	.int8 = blk_int8,
	.bf16 = blk_bf16,
};
