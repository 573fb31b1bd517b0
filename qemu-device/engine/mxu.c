// SPDX-License-Identifier: MIT
/*
 * XPU systolic matrix unit, functional part. The host kernel is blocked over
 * n (XPU_MM_NB columns, padded panel so inner loops have a constant trip
 * count and auto-vectorise at -O2) and k (XPU_MM_KB); every output is still
 * accumulated in ascending k, so bf16 results equal the naive definition bit
 * for bit. Timing is the weight-stationary fold count (timing.c).
 */
#pragma GCC optimize("fp-contract=off")	/* c + a*b must round twice */

#include "engine_int.h"
#include "numerics.h"

/* a panel of many rows (tall A) also polls abort / publishes progress
 * every 4096 rows (4096 x 256 x 64 MACs) */
#define MM_ROW_POLL_MASK	4095u

struct mm {
	const uint8_t *a, *b;
	uint8_t *c;
	uint64_t m, k, n, lda, ldb, ldc;	/* strides in bytes */
	int acc;
};

static int mm_int8(struct xpu_tile *t, const struct mm *p)
{
	uint64_t n0, k0, m, kk;
	int rc;

	for (n0 = 0; n0 < p->n; n0 += XPU_MM_NB) {
		uint64_t nb = p->n - n0 < XPU_MM_NB ? p->n - n0 : XPU_MM_NB;

		for (k0 = 0; k0 < p->k; k0 += XPU_MM_KB) {
			uint64_t kb = p->k - k0 < XPU_MM_KB ? p->k - k0 : XPU_MM_KB;
			int16_t *panel = t->mm_i;

			if ((rc = xpu_poll_abort(t)))
				return rc;
			for (kk = 0; kk < kb; kk++) {
				const int8_t *brow = (const int8_t *)(p->b + (k0 + kk) * p->ldb + n0);
				int16_t *dst = panel + kk * XPU_MM_NB;
				uint64_t j;

				for (j = 0; j < nb; j++)
					dst[j] = brow[j];
				for (; j < XPU_MM_NB; j++)
					dst[j] = 0;
			}
			for (m = 0; m < p->m; m++) {
				const int8_t *arow = (const int8_t *)(p->a + m * p->lda + k0);
				uint8_t *crow = p->c + m * p->ldc + n0 * 4;
				uint32_t acc[XPU_MM_NB];
				uint64_t j;

				if (k0 == 0 && !p->acc) {
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
				if (((m + 1) & MM_ROW_POLL_MASK) == 0 && (rc = xpu_poll_abort(t)))
					return rc;
			}
		}
	}
	return 0;
}

static int mm_bf16(struct xpu_tile *t, const struct mm *p)
{
	uint64_t n0, k0, m, kk;
	int rc;

	for (n0 = 0; n0 < p->n; n0 += XPU_MM_NB) {
		uint64_t nb = p->n - n0 < XPU_MM_NB ? p->n - n0 : XPU_MM_NB;

		for (k0 = 0; k0 < p->k; k0 += XPU_MM_KB) {
			uint64_t kb = p->k - k0 < XPU_MM_KB ? p->k - k0 : XPU_MM_KB;
			float *panel = t->mm_f;

			if ((rc = xpu_poll_abort(t)))
				return rc;
			for (kk = 0; kk < kb; kk++) {
				const uint8_t *brow = p->b + (k0 + kk) * p->ldb + n0 * 2;
				float *dst = panel + kk * XPU_MM_NB;
				uint64_t j;

				for (j = 0; j < nb; j++)
					dst[j] = xpu_bf16_to_f32(xpu_ld16(brow + j * 2));
				for (; j < XPU_MM_NB; j++)
					dst[j] = 0.0f;
			}
			for (m = 0; m < p->m; m++) {
				const uint8_t *arow = p->a + m * p->lda + k0 * 2;
				uint8_t *crow = p->c + m * p->ldc + n0 * 4;
				float acc[XPU_MM_NB];
				uint64_t j;

				if (k0 == 0 && !p->acc) {
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
				if (((m + 1) & MM_ROW_POLL_MASK) == 0 && (rc = xpu_poll_abort(t)))
					return rc;
			}
		}
	}
	/* canonical NaN (also when K == 0 and C is only read back) */
	for (m = 0; m < p->m; m++) {
		uint8_t *crow = p->c + m * p->ldc;
		uint64_t j;

		for (j = 0; j < p->n; j++)
			if (xpu_f32_isnan(xpu_u2f(xpu_ld32(crow + j * 4))))
				xpu_st32(crow + j * 4, XPU_F32_CANON_NAN);
	}
	return 0;
}

/* la must name [la, la+len) inside the scratchpad (spad=1) or accumulator */
static const uint8_t *opnd(struct xpu_tile *t, uint64_t la, uint64_t len, int spad)
{
	if (!len)
		return t->spad;		/* never dereferenced */
	if (spad ? la >= XPU_LA_ACC : la < XPU_LA_ACC)
		return NULL;
	return xpu_la_ptr(t, la, len);
}

int xpu_exec_matmul(struct xpu_tile *t, uint64_t insn)
{
	uint32_t f = XPU_INSN_FUNC(insn);
	uint64_t es = (f & XPU_MM_BF16) ? 2 : 1;
	uint64_t la_c = t->regs[XPU_INSN_RD(insn)], la_a = t->regs[XPU_INSN_RS1(insn)];
	uint64_t la_b = t->regs[XPU_INSN_RS2(insn)];
	uint64_t lda = t->m_lda ? t->m_lda : t->m_k;
	uint64_t ldb = t->m_ldb ? t->m_ldb : t->m_n;
	uint64_t ldc = t->m_ldc ? t->m_ldc : t->m_n;
	uint64_t ea, eb, ec, ra, rb, rc_, sa, sb, sc;
	struct xpu_opnd in[3], out;
	struct mm p;
	int rc, nin;

	if (f & ~(uint32_t)(XPU_MM_BF16 | XPU_MM_ACC))
		return XPU_JOB_STATUS_BAD_INSN;
	if (lda < t->m_k || ldb < t->m_n || ldc < t->m_n)
		return XPU_JOB_STATUS_BAD_INSN;
	if (!t->m_m || !t->m_n)
		return 0;			/* empty output: nothing happens */
	if (__builtin_mul_overflow(t->m_k, es, &ra) || __builtin_mul_overflow(t->m_n, es, &rb) ||
	    __builtin_mul_overflow(t->m_n, 4, &rc_) || __builtin_mul_overflow(lda, es, &sa) ||
	    __builtin_mul_overflow(ldb, es, &sb) || __builtin_mul_overflow(ldc, 4, &sc) ||
	    xpu_extent(t->m_m, sa, ra, &ea) || xpu_extent(t->m_k, sb, rb, &eb) ||
	    xpu_extent(t->m_m, sc, rc_, &ec))
		return XPU_JOB_STATUS_SRAM_RANGE;
	p.a = opnd(t, la_a, ea, 1);
	p.b = opnd(t, la_b, eb, 1);
	p.c = (uint8_t *)opnd(t, la_c, ec, 0);
	if (!p.a || !p.b || !p.c)
		return XPU_JOB_STATUS_SRAM_RANGE;
	if ((rc = xpu_poll_abort(t)))
		return rc;
	p.m = t->m_m;
	p.k = t->m_k;
	p.n = t->m_n;
	p.lda = sa;
	p.ldb = sb;
	p.ldc = sc;
	p.acc = !!(f & XPU_MM_ACC);

	rc = 0;
	if (p.k == 0) {
		if (!p.acc) {
			uint64_t m;

			for (m = 0; m < p.m; m++)
				memset(p.c + m * p.ldc, 0, rc_);
		} else if (es == 2) {
			rc = mm_bf16(t, &p);	/* only canonicalises */
		}
	} else {
		rc = es == 2 ? mm_bf16(t, &p) : mm_int8(t, &p);
	}
	if (rc)
		return rc;

	nin = 0;
	if (ea)
		in[nin++] = (struct xpu_opnd){ la_a, ea };
	if (eb)
		in[nin++] = (struct xpu_opnd){ la_b, eb };
	if (p.acc)
		in[nin++] = (struct xpu_opnd){ la_c, ec };
	out = (struct xpu_opnd){ la_c, ec };
	xpu_sched(t, &t->mxu_free, &t->mxu_busy,
		  xpu_timing_matmul_cycles(t->cfg.rows, t->cfg.cols, p.m, p.k, p.n),
		  in, nin, &out, 1);
	t->macs += p.m * p.k * p.n;
	return 0;
}
