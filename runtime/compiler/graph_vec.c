// SPDX-License-Identifier: MIT
/*
 * Kernel generators for the model compiler (cc_graph.h): the bf16 split of
 * fp32 operands for the multi-pass matmul precisions, elementwise programs
 * over broadcast operands, and row reductions.
 *
 * Broadcasting costs no vector work: each input tile is gathered by 2-D
 * DMAs whose source stride is the input's stride between output rows (0
 * replicates a row); consecutive rows with the same stride share one DMA.
 * An input constant along the row (one value per row) is loaded as a
 * column vector and used with VBIN's COL broadcast, or, where an operation
 * needs a full operand, replicated along the row by a stride-0 DMA per row
 * (or, when the whole tile has one value, loaded into a register and
 * broadcast by two int32 vector ops).
 * Tiles are rc x cc elements, every slot 4 bytes per element; the tile loop
 * is single-buffered (the engine's scoreboard still overlaps a tile's
 * output DMA with the next tile's loads).
 */
#include <string.h>

#include "cc_internal.h"
#include "cc_graph.h"

#define ALIGN(x) (((x) + 63) & ~63ull)

uint64_t xcc_cycles(xpu_cc *cc, const char *name)
{
	for (uint32_t i = 0; i < cc->img.num_kernels; i++) {
		const struct cc_est *e = &cc->est[i];
		uint64_t c;

		if (strcmp(cc->img.kernels[i].name, name) || !e->valid)
			continue;
		c = e->cycles;
		if (!c) {	/* units overlap: at least the busiest one */
			c = e->dma_busy > e->mxu_busy ? e->dma_busy : e->mxu_busy;
			c = c > e->vpu_busy ? c : e->vpu_busy;
		}
		return c;
	}
	return 0;
}

/* The estimate of a single-buffered vector kernel: its DMAs and vector ops
 * mostly wait for each other, so the busy times add up. */
void xcc_est_busy(struct kb *k)
{
	k->est.cycles = k->est.dma_busy + k->est.vpu_busy + k->est.mxu_busy;
}

/* rows x cols tile sizes with per_elem bytes of scratchpad per element */
static void tile2d(const xpu_cc *cc, uint64_t R, uint64_t C, uint64_t per_elem, uint64_t fixed,
		   uint64_t *rc, uint64_t *cc_)
{
	uint64_t budget = cc->t.spad_size - fixed, e = budget / per_elem;

	if (e > 64)
		e -= 64;	/* alignment slack */
	*cc_ = min64(C, e);
	*rc = min64(R, e / *cc_);
	if (!*rc)
		*rc = 1;
}

xpu_status xcc_split(xpu_cc *cc, const char *name, const struct xcc_split *d)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rc, ccol, lx, lt, lr, lterm[3], tsz, fsz;
	int need_mid = 0, need_lo = 0;
	uint32_t rx, ry;
	struct kb k;

	if (st)
		return st;
	if (!d->nouter || !d->rows || !d->cols || d->nterms < 1 || d->nterms > 6)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "split '%s': bad shape", name);
	for (int p = 0; p < d->nterms; p++) {
		if (d->term[p] > XCC_TERM_LO)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "split '%s': bad term", name);
		need_mid |= d->term[p] >= XCC_TERM_MID;
		need_lo |= d->term[p] == XCC_TERM_LO;
	}
	tile2d(cc, d->rows, d->cols, 4 * 3 + 2 * 3, 512, &rc, &ccol);
	fsz = ALIGN(rc * ccol * 4);
	tsz = ALIGN(rc * ccol * 2);
	lx = 0;
	lt = lx + fsz;
	lr = lt + fsz;
	lterm[0] = lr + fsz;
	lterm[1] = lterm[0] + tsz;
	lterm[2] = lterm[1] + tsz;
	kb_begin_xy(&k, cc, "y", &rx, &ry);
	kb_extent(&k, 0, d->nouter * d->rows * d->cols * 4);
	kb_extent(&k, 1, (d->nouter - 1) * d->outer_stride + (uint64_t)(d->nterms - 1) *
		  d->term_stride + (d->rows - 1) * d->row_stride + d->cols * 2);
	for (uint64_t o = 0; o < d->nouter; o++) {
		for (uint64_t r0 = 0; r0 < d->rows; r0 += rc) {
			uint64_t ri = min64(rc, d->rows - r0);

			for (uint64_t c0 = 0; c0 < d->cols; c0 += ccol) {
				uint64_t ci = min64(ccol, d->cols - c0);

				kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lx, rx,
				       ((o * d->rows + r0) * d->cols + c0) * 4, ri, ci * 4, d->cols * 4,
				       ci * 4);
				kb_vcfg(&k, ri, ci);
				kb_li(&k, 3, lterm[0]);
				kb_li(&k, 4, lx);
				kb_emit(&k, xpu_vcvt(XPU_CVT_F32_BF16, 3, 4));
				if (need_mid) {
					kb_li(&k, 9, lt);
					kb_emit(&k, xpu_vcvt(XPU_CVT_BF16_F32, 9, 3));
					kb_li(&k, 3, lr);
					kb_emit(&k, xpu_vbin(XPU_VBIN_SUB, XPU_VT_F32, 3, 4, 9));
					kb_li(&k, 4, lterm[1]);
					kb_emit(&k, xpu_vcvt(XPU_CVT_F32_BF16, 4, 3));
				}
				if (need_lo) {
					kb_emit(&k, xpu_vcvt(XPU_CVT_BF16_F32, 9, 4));
					kb_emit(&k, xpu_vbin(XPU_VBIN_SUB, XPU_VT_F32, 3, 3, 9));
					kb_li(&k, 4, lterm[2]);
					kb_emit(&k, xpu_vcvt(XPU_CVT_F32_BF16, 4, 3));
				}
				for (int p = 0; p < d->nterms; p++)
					kb_dma(&k, XPU_DMA_LA_TO_VA, ry,
					       o * d->outer_stride + p * d->term_stride +
					       r0 * d->row_stride + c0 * 2, 0, lterm[d->term[p]], ri,
					       ci * 2, ci * 2, d->row_stride);
			}
		}
	}
	kb_use(&k, lterm[2] + tsz, 0);
	xcc_est_busy(&k);
	return xpu_ok(kb_finish(cc, &k, name));
}

/* rows [r0, r0 + n) of input in at column c0, ci elements (bytes per row
 * `bytes`), into la with dst stride dstride, grouping rows of equal stride */
static void load_rows(struct kb *k, uint32_t reg, const uint64_t *off, uint64_t r0, uint64_t n,
		      uint64_t coff, uint64_t bytes, uint64_t la, uint64_t dstride)
{
	uint64_t r = 0;

	while (r < n) {
		uint64_t len = 1, delta = 0;

		if (r + 1 < n && off[r0 + r + 1] >= off[r0 + r]) {
			delta = off[r0 + r + 1] - off[r0 + r];
			len = 2;
			while (r + len < n && off[r0 + r + len] >= off[r0 + r + len - 1] &&
			       off[r0 + r + len] - off[r0 + r + len - 1] == delta)
				len++;
		}
		kb_dma(k, XPU_DMA_VA_TO_LA, 0, la + r * dstride, reg, off[r0 + r] + coff, len, bytes,
		       delta, dstride);
		r += len;
	}
}

xpu_status xcc_ew(xpu_cc *cc, const char *name, const struct xcc_ew *d)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rc, ccol, ssz, la[XCC_MAX_SLOTS];
	int colmode[XCC_MAX_IN] = { 0 };
	uint32_t rin[XCC_MAX_IN], rout;
	struct kb k;

	if (st)
		return st;
	if (!d->R || !d->C || d->nin < 1 || d->nin > XCC_MAX_IN || d->nslots < d->nin ||
	    d->nslots > XCC_MAX_SLOTS || d->nsteps < 0 || d->nsteps > XCC_MAX_STEPS ||
	    d->out < 0 || d->out >= d->nslots || !d->out_esz || d->out_esz > 4)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "elementwise '%s': bad program", name);
	/* a one-value-per-row input used only as VBIN's second operand: COL */
	for (int i = 0; i < d->nin; i++) {
		if (d->in[i].inner)
			continue;
		colmode[i] = 1;
		for (int s = 0; s < d->nsteps; s++) {
			const struct xcc_ew_step *p = &d->step[s];

			if (p->a == i || p->c == i || (p->b == i && p->kind != XCC_VBIN) ||
			    p->dst == i)
				colmode[i] = 0;
		}
		if (d->in[i].esz != 4)
			colmode[i] = 0;
	}
	tile2d(cc, d->R, d->C, 4 * (uint64_t)d->nslots, 512, &rc, &ccol);
	ssz = ALIGN(rc * ccol * 4);
	for (int s = 0; s < d->nslots; s++)
		la[s] = s * ssz;
	kb_init(&k);
	kb_account(&k, cc);
	for (int i = 0; i < d->nin; i++)
		rin[i] = kb_arg(&k, i == 0 ? "x0" : i == 1 ? "x1" : "x2", XPU_ARG_BUFFER);
	rout = kb_arg(&k, "y", XPU_ARG_BUFFER);
	kb_load_args(&k);
	for (int i = 0; i < d->nin; i++) {	/* the furthest row's end */
		uint64_t e = 0;

		for (uint64_t r = 0; r < d->R; r++)
			e = max64(e, d->in[i].row_off[r] +
				  (d->in[i].inner ? d->C : 1) * d->in[i].esz);
		kb_extent(&k, (uint32_t)i, e);
	}
	kb_extent(&k, (uint32_t)d->nin, d->R * d->C * d->out_esz);
	for (uint64_t r0 = 0; r0 < d->R; r0 += rc) {
		uint64_t ri = min64(rc, d->R - r0);

		for (uint64_t c0 = 0; c0 < d->C; c0 += ccol) {
			uint64_t ci = min64(ccol, d->C - c0);

			kb_vcfg(&k, ri, ci);
			for (int i = 0; i < d->nin; i++) {
				const struct xcc_ew_in *in = &d->in[i];
				int same = 1;

				for (uint64_t r = 1; r < ri && !in->inner; r++)
					same &= in->row_off[r0 + r] == in->row_off[r0];
				if (in->inner) {
					load_rows(&k, rin[i], in->row_off, r0, ri, c0 * in->esz,
						  ci * in->esz, la[i], ci * in->esz);
				} else if (colmode[i]) {
					load_rows(&k, rin[i], in->row_off, r0, ri, 0, in->esz, la[i],
						  in->esz);
				} else if (same && in->esz == 4) {
					/* one value for the whole tile: load it into a register,
					 * then tile = (tile * 0) + value as int32 (exact bits) */
					kb_addr(&k, 17, rin[i], in->row_off[r0]);
					kb_emit(&k, xpu_ld(XPU_MEM_W32, 17, 17, 0));
					kb_li(&k, 3, la[i]);
					kb_emit(&k, xpu_vbin(XPU_VBIN_MUL, XPU_VT_I32 | XPU_VB_SCALAR, 3, 3,
							     0));
					kb_emit(&k, xpu_vbin(XPU_VBIN_ADD, XPU_VT_I32 | XPU_VB_SCALAR, 3, 3,
							     17));
				} else {
					for (uint64_t r = 0; r < ri; r++)
						kb_dma(&k, XPU_DMA_VA_TO_LA, 0,
						       la[i] + r * ci * in->esz, rin[i],
						       in->row_off[r0 + r], ci, in->esz, 0, in->esz);
				}
			}
			for (int s = 0; s < d->nsteps; s++) {
				const struct xcc_ew_step *p = &d->step[s];

				kb_li(&k, 3, la[p->dst]);
				kb_li(&k, 4, la[p->a]);
				switch (p->kind) {
				case XCC_VBIN: {
					uint32_t bc = XPU_VB_FULL;

					if (p->b < 0) {
						kb_li(&k, R_SCALE, p->imm);
						bc = XPU_VB_SCALAR;
						kb_emit(&k, xpu_vbin(p->func, p->vt | bc, 3, 4, R_SCALE));
						break;
					}
					if (p->b < d->nin && colmode[p->b])
						bc = XPU_VB_COL;
					kb_li(&k, 9, la[p->b]);
					kb_emit(&k, xpu_vbin(p->func, p->vt | bc, 3, 4, 9));
					break;
				}
				case XCC_VUN:
					kb_emit(&k, xpu_vun(p->func, p->vt, 3, 4));
					break;
				case XCC_VCVT:
					kb_emit(&k, xpu_vcvt(p->func, 3, 4));
					break;
				case XCC_VSEL:
					kb_li(&k, 9, la[p->b]);
					kb_li(&k, 16, la[p->c]);
					kb_emit(&k, xpu_vsel(3, 4, 9, 16));
					break;
				default:	/* VQNT */
					kb_li(&k, R_SCALE, p->imm2);
					kb_emit(&k, xpu_vqnt(p->vt, 3, 4, R_SCALE, (int32_t)p->imm));
					break;
				}
			}
			kb_dma(&k, XPU_DMA_LA_TO_VA, rout, (r0 * d->C + c0) * d->out_esz, 0, la[d->out],
			       ri, ci * d->out_esz, ci * d->out_esz, d->C * d->out_esz);
		}
	}
	kb_use(&k, la[d->nslots - 1] + ssz, 0);
	xcc_est_busy(&k);
	return xpu_ok(kb_finish(cc, &k, name));
}

xpu_status xcc_rowred(xpu_cc *cc, const char *name, uint64_t rows, uint64_t cols, uint32_t func,
		      uint32_t vt, int mean)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rb, lx, ly;
	uint32_t rx, ry;
	struct kb k;

	if (st)
		return st;
	if (!rows || !cols)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "reduce '%s': empty shape", name);
	rb = (cc->t.spad_size - 512) / (cols * 4 + 4);
	if (!rb)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "reduce '%s': a row of %llu elements does not fit the scratchpad",
				     name, (unsigned long long)cols);
	rb = min64(rb, rows);
	lx = 0;
	ly = ALIGN(rb * cols * 4);
	kb_begin_xy(&k, cc, "y", &rx, &ry);
	kb_extent(&k, 0, rows * cols * 4);
	kb_extent(&k, 1, rows * 4);
	if (mean)
		kb_li(&k, R_SCALE, f32_bits((float)cols));
	for (uint64_t r0 = 0; r0 < rows; r0 += rb) {
		uint64_t r = min64(rb, rows - r0);

		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lx, rx, r0 * cols * 4, 1, r * cols * 4, 0, 0);
		kb_vcfg(&k, r, cols);
		kb_li(&k, 3, ly);
		kb_li(&k, 4, lx);
		kb_emit(&k, xpu_vred(func, vt, 3, 4));
		if (mean) {
			kb_vcfg(&k, r, 1);
			kb_emit(&k, xpu_vbin(XPU_VBIN_DIV, XPU_VT_F32 | XPU_VB_SCALAR, 3, 3,
					     R_SCALE));
		}
		kb_dma(&k, XPU_DMA_LA_TO_VA, ry, r0 * 4, 0, ly, 1, r * 4, 0, 0);
	}
	kb_use(&k, ly + ALIGN(rb * 4), 0);
	xcc_est_busy(&k);
	return xpu_ok(kb_finish(cc, &k, name));
}

/*
 * Row layernorm as xpu_cc_layernorm computes it (the same vector ops in the
 * same order, so one reference serves both), plus the row statistics ONNX's
 * LayerNormalization may output: mean and 1/sqrt(var + eps).
 */
xpu_status xcc_layernorm(xpu_cc *cc, const char *name, uint64_t rows, uint64_t cols, float eps,
			 int stats)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rb, fixed, lg, lb, lx, lt, lm, lv;
	uint32_t rx, rg, rbeta, ry, rmean = 0, rinv = 0;
	struct kb k;

	if (st)
		return st;
	if (!rows || !cols || cols > (1u << 28))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "layernorm '%s': bad shape", name);
	fixed = 2 * ALIGN(cols * 4) + 1024;
	if (fixed >= cc->t.spad_size ||
	    !(rb = (cc->t.spad_size - fixed) / (2 * cols * 4 + 8 + 128)))
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "layernorm '%s': a row of %llu floats does not fit the scratchpad",
				     name, (unsigned long long)cols);
	rb = min64(rb, rows);
	lg = 0;
	lb = lg + ALIGN(cols * 4);
	lx = lb + ALIGN(cols * 4);
	lt = lx + ALIGN(rb * cols * 4);
	lm = lt + ALIGN(rb * cols * 4);
	lv = lm + ALIGN(rb * 4);
	/* the statistics outputs are the last two arguments, when asked for */
	kb_begin(&k, cc, (const struct kb_buf_arg[]){ { "x", &rx }, { "gamma", &rg },
						      { "beta", &rbeta }, { "y", &ry },
						      { "mean", &rmean }, { "invstd", &rinv } },
		 stats ? 6 : 4);
	kb_extent(&k, 0, rows * cols * 4);
	kb_extent(&k, 1, cols * 4);
	kb_extent(&k, 2, cols * 4);
	kb_extent(&k, 3, rows * cols * 4);
	kb_extent(&k, 4, rows * 4);	/* mean, invstd (when asked for) */
	kb_extent(&k, 5, rows * 4);
	cc_layernorm_consts(&k, rg, rbeta, lg, lb, cols, eps);
	kb_li(&k, 16, lv);
	for (uint64_t r0 = 0; r0 < rows; r0 += rb) {
		uint64_t r = min64(rb, rows - r0);

		kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lx, rx, r0 * cols * 4, 1, r * cols * 4, 0, 0);
		/* r3..r8 are the DMA's scratch registers */
		kb_li(&k, 3, lx);
		kb_li(&k, 4, lt);
		kb_li(&k, 9, lm);
		cc_layernorm_ops(&k, r, cols, 16);
		kb_dma(&k, XPU_DMA_LA_TO_VA, ry, r0 * cols * 4, 0, lx, 1, r * cols * 4, 0, 0);
		if (stats) {
			kb_dma(&k, XPU_DMA_LA_TO_VA, rmean, r0 * 4, 0, lm, 1, r * 4, 0, 0);
			kb_dma(&k, XPU_DMA_LA_TO_VA, rinv, r0 * 4, 0, lv, 1, r * 4, 0, 0);
		}
	}
	kb_use(&k, lv + ALIGN(rb * 4), 0);
	xcc_est_busy(&k);
	return xpu_ok(kb_finish(cc, &k, name));
}

/*
 * Reduction over the middle axis of an A x R x B tensor (B > 1: the
 * reduced axes are not the last): y[a][b] = x[a][0][b] op x[a][1][b] op ...
 * in order of r (no leading zero), divided by R if mean. Tiles of rows a
 * and columns b; each step one strided 2-D DMA and one VBIN. Arguments x, y.
 */
xpu_status xcc_midred(xpu_cc *cc, const char *name, uint64_t A, uint64_t R, uint64_t B,
		      uint32_t func, uint32_t vt, int mean)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rc, ccol, ssz, lacc, ltmp;
	uint32_t rx, ry, op = func == XPU_VRED_MAX ? XPU_VBIN_MAX : XPU_VBIN_ADD;
	struct kb k;

	if (st)
		return st;
	if (!A || !R || !B)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "reduce '%s': empty shape", name);
	tile2d(cc, A, B, 8, 512, &rc, &ccol);
	ssz = ALIGN(rc * ccol * 4);
	lacc = 0;
	ltmp = ssz;
	kb_begin_xy(&k, cc, "y", &rx, &ry);
	kb_extent(&k, 0, A * R * B * 4);
	kb_extent(&k, 1, A * B * 4);
	kb_li(&k, R_SCALE, f32_bits((float)R));
	for (uint64_t a0 = 0; a0 < A; a0 += rc) {
		uint64_t ai = min64(rc, A - a0);

		for (uint64_t b0 = 0; b0 < B; b0 += ccol) {
			uint64_t bi = min64(ccol, B - b0);

			kb_dma(&k, XPU_DMA_VA_TO_LA, 0, lacc, rx, (a0 * R * B + b0) * 4, ai, bi * 4,
			       R * B * 4, bi * 4);
			kb_vcfg(&k, ai, bi);
			for (uint64_t r = 1; r < R; r++) {
				kb_dma(&k, XPU_DMA_VA_TO_LA, 0, ltmp, rx, ((a0 * R + r) * B + b0) * 4, ai,
				       bi * 4, R * B * 4, bi * 4);
				kb_li(&k, 3, lacc);
				kb_li(&k, 4, ltmp);
				kb_emit(&k, xpu_vbin(op, vt, 3, 3, 4));
			}
			kb_li(&k, 3, lacc);
			if (mean)
				kb_emit(&k, xpu_vbin(XPU_VBIN_DIV, XPU_VT_F32 | XPU_VB_SCALAR, 3, 3,
						     R_SCALE));
			kb_dma(&k, XPU_DMA_LA_TO_VA, ry, (a0 * B + b0) * 4, 0, lacc, ai, bi * 4, bi * 4,
			       B * 4);
		}
	}
	kb_use(&k, ltmp + ssz, 0);
	xcc_est_busy(&k);
	return xpu_ok(kb_finish(cc, &k, name));
}

/*
 * Row softmax as xpu_cc_softmax computes it (max, subtract, exp, sum,
 * reciprocal, multiply: the same vector ops in the same order), with the
 * cost accounting the model's estimate needs. Arguments: x, y.
 */
xpu_status xcc_softmax(xpu_cc *cc, const char *name, uint64_t rows, uint64_t cols)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t rb;
	struct kb k;
	int nslots = 2;

	if (st)
		return st;
	if (!rows || !cols || cols > (1u << 28))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "softmax '%s': bad shape", name);
	/* two slots (the DMA of one overlaps the other's vector ops) if a row fits twice */
	rb = (cc->t.spad_size - 512) / (2 * (cols * 4 + 8 + 64));
	if (!rb) {
		nslots = 1;
		rb = (cc->t.spad_size - 512) / (cols * 4 + 8 + 64);
	}
	if (!rb)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "softmax '%s': a row of %llu floats does not fit the scratchpad",
				     name, (unsigned long long)cols);
	rb = min64(rb, rows);
	cc_softmax_rows(&k, cc, rows, cols, rb, nslots);
	/* double-buffered: the DMA and the vector unit overlap */
	k.est.cycles = k.est.dma_busy > k.est.vpu_busy ? k.est.dma_busy : k.est.vpu_busy;
	if (nslots == 1)
		xcc_est_busy(&k);
	return xpu_ok(kb_finish(cc, &k, name));
}
