// SPDX-License-Identifier: MIT
/*
 * XPU systolic matrix unit: operand checks, timing and statistics of a
 * MATMUL. The arithmetic runs in mxu_gemm.c (packed SIMD kernels chosen at
 * run time, split over the engine's thread pool); every output is still
 * accumulated in ascending k, so bf16 results equal the naive definition bit
 * for bit. Timing is the weight-stationary fold count (timing.c).
 */
#include "engine_int.h"
#include "mxu_kern.h"

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
	struct xpu_mm p;
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
			rc = xpu_mxu_gemm(t, &p, 1);	/* only canonicalises */
		}
	} else {
		rc = xpu_mxu_gemm(t, &p, es == 2);
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
