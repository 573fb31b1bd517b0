// SPDX-License-Identifier: MIT
/*
 * Lowering of the arithmetic ops (graph IR node -> kernels + launches).
 *
 *   MatMul / Gemm / FusedMatMul   fp32 operands become bf16 terms (math_common.h:
 *       the pass list of the precision, concatenated along K): a constant B is
 *       split at compile time into a bf16 constant laid out [batch][P*K][N] as
 *       the MXU reads it; run-time operands by an xcc_split kernel into a temp.
 *       One batched GEMM kernel (xcc_gemm) then computes every batch with the
 *       bias and activation in its epilogue. A batch of A over a 2-D B folds
 *       into M. Gemm's C that is not a per-column bias is added by a following
 *       elementwise kernel of the same node.
 *   Conv (NCHW 1-D/2-D, groups, strides, pads, dilations)  xcc_im2col into a
 *       temp (rows (c,kh,kw), columns (oh,ow)), split, then the batched GEMM
 *       W'[group] x col[image, group] writes NCHW directly, bias per row.
 *   Elementwise (broadcast), Where, Cast, Quantize/DequantizeLinear: one
 *       xcc_ew kernel running the node's vector program (math_common.h).
 *   Softmax / LayerNorm (the normalised axes last): xcc_softmax /
 *       xcc_layernorm, op for op as xpu_cc_softmax / xpu_cc_layernorm.
 *       Reduce* over one block of axes: xcc_rowred (trailing axes, VRED) or
 *       xcc_midred; GlobalAveragePool: xcc_rowred. Max/AveragePool (1-D,
 *       2-D, strides, pads, dilations, ceil_mode): xcc_pool, then a division
 *       by each window's count for the average.
 *   QDQ: a MatMul of two DequantizeLinear outputs of int8 tensors (per-tensor
 *       scale, zero point 0) runs as an int8 GEMM into int32, then one
 *       elementwise kernel: convert, scale, bias, activation; the
 *       DequantizeLinear nodes it reads are then not computed at all.
 * Identical kernels (same generator, same descriptor) are generated once and
 * shared through L->kcache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "math_common.h"
#include "../compiler/cc_internal.h"

/* ---- kernels shared by identical descriptors ------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* ---- elementwise ------------------------------------------------------------ */

static xpu_status run_ew(struct xg_lowered *L, int node, struct xcc_ew *p, const int *in_t,
			 const int *in_axis, int out)
{
	struct xg_graph *g = L->g;
	struct xg_bc bc;
	char key[160], kname[64];
	xpu_status st;
	uint64_t h = 0xcbf29ce484222325ull;
	int tens[XCC_MAX_IN + 1];

	st = xg_bc_plan(g, node, out, p->nin, in_t, in_axis, &bc);
	if (st)
		return st;
	p->R = bc.R;
	p->C = bc.C;
	for (int i = 0; i < p->nin; i++) {
		p->in[i].inner = bc.inner[i];
		for (uint64_t r = 0; r < bc.R; r++)
			bc.row_off[i][r] *= p->in[i].esz;
		p->in[i].row_off = bc.row_off[i];
	}
	h = fnv(h, &p->R, sizeof(p->R));
	h = fnv(h, &p->C, sizeof(p->C));
	h = fnv(h, p->step, sizeof(p->step[0]) * p->nsteps);
	for (int i = 0; i < p->nin; i++) {
		h = fnv(h, &p->in[i].esz, 4);
		h = fnv(h, &p->in[i].inner, sizeof(int));
		h = fnv(h, bc.row_off[i], bc.R * 8);
	}
	snprintf(key, sizeof(key), "lm.ew:%d:%d:%d:%d:%u:%016llx", p->nin, p->nsteps, p->nslots,
		 p->out, p->out_esz, (unsigned long long)h);
	if (!xg_kcache_get(L, key, node, "ew", kname))
		st = xg_kcache_put(L, key, kname, xcc_ew(L->cc, kname, p));
	xg_bc_free(&bc);
	if (st)
		return st;
	for (int i = 0; i < p->nin; i++)
		tens[i] = in_t[i];
	tens[p->nin] = out;
	return xg_launch_tensors(L, node, kname, tens, p->nin + 1);
}

static xpu_status lower_ew(struct xg_lowered *L, int node)
{
	struct xcc_ew p;
	int in_t[XCC_MAX_IN];
	int in_axis[XCC_MAX_IN];
	xpu_status st = xg_ew_program(L->g, node, &p, in_t, in_axis);

	if (st)
		return st;
	return run_ew(L, node, &p, in_t, in_axis, L->g->n[node].out[0]);
}

/* ---- matmul ----------------------------------------------------------------- */

/* A bf16 constant of the terms of an fp32 matrix x [nb][rows][cols]: out
 * [nb][np*rows][cols] (B side, trans: x is [nb][cols][rows]) or [nb][rows][np*cols]
 * (A side). */
static int split_const(struct xg_lowered *L, const float *x, uint64_t nb, uint64_t rows,
		       uint64_t cols, int np, const uint8_t *term, int a_side, int trans,
		       const char *base)
{
	uint16_t *o = malloc(nb * rows * cols * np * 2);
	int64_t dims[3];

	if (!o)
		return -1;
	for (uint64_t b = 0; b < nb; b++)
		for (int p = 0; p < np; p++)
			for (uint64_t r = 0; r < rows; r++)
				for (uint64_t c = 0; c < cols; c++) {
					float v = trans ? x[(b * cols + c) * rows + r] :
						  x[(b * rows + r) * cols + c];
					uint64_t i = a_side ?
						(b * rows + r) * np * cols + p * cols + c :
						((b * np + p) * rows + r) * cols + c;

					o[i] = xg_split_term(v, term[p]);
				}
	dims[0] = (int64_t)nb;
	dims[1] = (int64_t)(a_side ? rows : np * rows);
	dims[2] = (int64_t)(a_side ? np * cols : cols);
	return xg_add_const(L, base, XPU_DT_BF16, 3, dims, o);
}

static xpu_status split_kernel(struct xg_lowered *L, int node, int x, int y,
			       const struct xcc_split *d)
{
	char key[160], kname[64];
	uint64_t h = fnv(0xcbf29ce484222325ull, d, sizeof(*d));
	xpu_status st = XPU_SUCCESS;
	int t[2] = { x, y };

	snprintf(key, sizeof(key), "lm.split:%016llx", (unsigned long long)h);
	if (!xg_kcache_get(L, key, node, "split", kname))
		st = xg_kcache_put(L, key, kname, xcc_split(L->cc, kname, d));
	if (st)
		return st;
	return xg_launch_tensors(L, node, kname, t, 2);
}

static xpu_status gemm_kernel(struct xg_lowered *L, int node, const struct xcc_gemm *d,
			      const int *t, int nt)
{
	char key[160], kname[64];
	struct xcc_gemm flat = *d;
	uint64_t h;
	xpu_status st = XPU_SUCCESS;

	/* the descriptor's values, then its offset tables (not their addresses) */
	flat.a_off = flat.b_off = flat.c_off = flat.bias_off = NULL;
	h = fnv(0xcbf29ce484222325ull, &flat, sizeof(flat));
	if (d->a_off)
		h = fnv(h, d->a_off, d->nbatch * 8);
	if (d->b_off)
		h = fnv(h, d->b_off, d->nbatch * 8);
	if (d->c_off)
		h = fnv(h, d->c_off, d->nbatch * 8);
	if (d->bias_off)
		h = fnv(h, d->bias_off, d->nbatch * 8);
	h = fnv(h, "abcz", (d->a_off ? 1 : 0) + (d->b_off ? 1 : 0) + (d->c_off ? 1 : 0) +
		(d->bias_off ? 1 : 0));
	snprintf(key, sizeof(key), "lm.gemm:%llu:%llu:%llu:%llu:%016llx",
		 (unsigned long long)d->nbatch, (unsigned long long)d->m, (unsigned long long)d->k,
		 (unsigned long long)d->n, (unsigned long long)h);
	if (!xg_kcache_get(L, key, node, "gemm", kname))
		st = xg_kcache_put(L, key, kname, xcc_gemm(L->cc, kname, d));
	if (st)
		return st;
	return xg_launch_tensors(L, node, kname, t, nt);
}

/*
 * The batches of GEMM d (k and n set) for matmul m: a batch of A over one B
 * is one tall product; otherwise one product per batch, at the offsets of
 * xg_mm_batch() (A and B elements of esz bytes, C 4-byte), tables in sc.
 * -1 on OOM.
 */
static int mm_batches(struct xg_scratch *sc, const struct xg_mm *m, struct xcc_gemm *d,
		      uint64_t esz)
{
	uint64_t *aoff, *boff, *coff;

	if (m->nbB == 1 && m->nbA == m->nb) {
		d->m = m->nb * (uint64_t)m->M;
		d->nbatch = 1;
		return 0;
	}
	d->m = (uint64_t)m->M;
	d->nbatch = m->nb;
	aoff = xg_scratch_alloc(sc, m->nb, 8);
	boff = xg_scratch_alloc(sc, m->nb, 8);
	coff = xg_scratch_alloc(sc, m->nb, 8);
	if (sc->failed)
		return -1;
	for (uint64_t b = 0; b < m->nb; b++) {
		uint64_t ia, ib;

		xg_mm_batch(m, b, &ia, &ib);
		aoff[b] = ia * (uint64_t)m->M * d->k * esz;
		boff[b] = ib * d->k * (uint64_t)m->N * esz;
		coff[b] = b * (uint64_t)m->M * (uint64_t)m->N * 4;
	}
	d->a_off = aoff;
	d->b_off = boff;
	d->c_off = coff;
	return 0;
}

/* int8 x int8 -> int32 on the MXU, then the fp32 epilogue as one
 * elementwise kernel (xg_mm_int8) */
static xpu_status lower_matmul_int8(struct xg_lowered *L, int node, const struct xg_mm *m,
				    const struct xg_qmm *q)
{
	struct xg_graph *g = L->g;
	struct xg_scratch sc = { 0 };	/* the batch offset tables */
	struct xcc_gemm d;
	struct xcc_ew p;
	int acc, args[3], in_t[XCC_MAX_IN];
	xpu_status st;

	acc = xg_add_temp(L, node, XPU_DT_I32, g->t[m->Y].ndim, g->t[m->Y].dims);
	if (acc < 0)
		return xg_lower_oom();
	memset(&d, 0, sizeof(d));
	d.in_type = XPU_DT_I8;
	d.out_type = XPU_DT_I32;
	d.k = (uint64_t)m->K;
	d.n = (uint64_t)m->N;
	d.act_vun = -1;
	st = XPU_SUCCESS;
	if (mm_batches(&sc, m, &d, 1))
		goto out;
	args[0] = q->qa;
	args[1] = q->qb;
	args[2] = acc;
	st = gemm_kernel(L, node, &d, args, 3);
	if (st)
		goto out;
	/* inputs: acc, then the per-channel scales (a constant row), then the bias */
	memset(&p, 0, sizeof(p));
	p.nin = 1;
	in_t[0] = acc;
	if (q->sb) {
		float *sv = malloc((size_t)m->N * 4);
		int64_t dims[1] = { m->N };
		char base[200];

		if (!sv) {
			st = xg_lower_oom();
			goto out;
		}
		for (int64_t j = 0; j < m->N; j++)
			sv[j] = q->sa * q->sb[j];
		snprintf(base, sizeof(base), "%.180s.scale", g->n[node].name);
		in_t[p.nin++] = xg_add_const(L, base, XPU_DT_F32, 1, dims, sv);
		if (in_t[p.nin - 1] < 0) {
			st = xg_lower_oom();
			goto out;
		}
	}
	if (m->bias >= 0)
		in_t[p.nin++] = m->bias;
	for (int i = 0; i < p.nin; i++)
		p.in[i].esz = 4;
	p.nslots = p.nin + 1;
	p.out = p.nin;
	p.out_esz = 4;
	p.step[p.nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I32_F32, 0, p.out, 0, 0, 0);
	if (q->sb) {
		p.step[p.nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_F32, p.out, p.out, 1, 0);
	} else {
		p.step[p.nsteps] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_F32, p.out, p.out, -1, 0);
		p.step[p.nsteps++].imm = xpu_f2u(q->scale);
	}
	if (m->bias >= 0)
		p.step[p.nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_ADD, XPU_VT_F32, p.out, p.out,
					     p.nin - 1, 0);
	if (m->act >= 0)
		p.step[p.nsteps++] = xg_step(XCC_VUN, m->act, XPU_VT_F32, p.out, p.out, 0, 0);
	st = run_ew(L, node, &p, in_t, NULL, m->Y);
out:
	return xg_scratch_end(&sc, "lowering", st);
}

/* f32 temp = the transpose of a 2-D tensor t (rows x cols), on the device */
static int transpose_temp(struct xg_lowered *L, int node, int t, xpu_status *st)
{
	struct xg_graph *g = L->g;
	int64_t r = g->t[t].dims[0], c = g->t[t].dims[1], dims[2] = { c, r };
	struct cc_copy_dim d[2] = { { (uint64_t)c, 4, r * 4 }, { (uint64_t)r, c * 4, 4 } };
	char kname[64];
	int tt = xg_add_temp(L, node, XPU_DT_F32, 2, dims), args[2];

	/* out[j][i] = in[i][j]: outer j (source stride 4), inner i (source stride c*4) */
	if (tt < 0) {
		*st = xg_lower_oom();
		return -1;
	}
	xg_kernel_name(L, node, "transpose", kname);
	*st = cc_copy_strided(L->cc, kname, 2, d, 4);
	if (*st)
		return -1;
	args[0] = t;
	args[1] = tt;
	*st = xg_launch_tensors(L, node, kname, args, 2);
	return *st ? -1 : tt;
}

/*
 * Matmul operand t as np bf16 terms (term[]): x [nb][rows][cols] (trans:
 * [nb][cols][rows]) becomes [nb][np*rows][cols] (B side) or
 * [nb][rows][np*cols] (A side), as split_const lays it out: a constant at
 * compile time, else a temporary written by a split kernel. The new tensor,
 * or -1 with *st set.
 */
static int split_operand(struct xg_lowered *L, int node, int t, uint64_t nb, uint64_t rows,
			 uint64_t cols, int np, const uint8_t *term, int a_side, int trans,
			 xpu_status *st)
{
	struct xg_graph *g = L->g;
	int64_t dims[3] = { (int64_t)nb, (int64_t)(a_side ? rows : np * rows),
			    (int64_t)(a_side ? np * cols : cols) };
	struct xcc_split s = { .nouter = nb, .rows = rows, .cols = cols, .nterms = np,
		.outer_stride = a_side ? 0 : np * rows * cols * 2,
		.term_stride = (a_side ? cols : rows * cols) * 2,
		.row_stride = (a_side ? np * cols : cols) * 2 };
	int out;

	*st = XPU_SUCCESS;
	if (g->t[t].kind == XG_CONST) {
		char base[200];

		snprintf(base, sizeof(base), "%.180s.bf16", g->t[t].name);
		out = split_const(L, g->t[t].data, nb, rows, cols, np, term, a_side, trans, base);
	} else {
		memcpy(s.term, term, np);
		if (trans && (t = transpose_temp(L, node, t, st)) < 0)
			return -1;
		out = xg_add_temp(L, node, XPU_DT_BF16, 3, dims);
		if (out >= 0) {
			*st = split_kernel(L, node, t, out, &s);
			if (*st)
				return -1;
		}
	}
	if (out < 0)
		*st = xg_lower_oom();
	return out;
}

static xpu_status lower_matmul(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	struct xg_mm m;
	int np, Ap, Bp, ta, tb;
	struct xg_scratch sc = { 0 };	/* the batch offset tables */
	uint8_t aterm[6], bterm[6];
	struct xcc_gemm d;
	xpu_status st = xg_mm_describe(g, node, &m);
	struct xg_qmm q;
	int args[4];

	if (st)
		return st;
	if (xg_mm_int8(g, node, &q))
		return lower_matmul_int8(L, node, &m, &q);
	ta = m.A;
	tb = m.B;
	xg_mm_passes(L->precision, &np, aterm, bterm);
	memset(&d, 0, sizeof(d));
	d.in_type = XPU_DT_BF16;
	d.out_type = XPU_DT_F32;
	d.k = (uint64_t)np * (uint64_t)m.K;
	d.n = (uint64_t)m.N;
	d.has_bias = m.bias >= 0;
	d.act_vun = m.act;
	if (mm_batches(&sc, &m, &d, 2))
		goto out;
	/* operands as bf16 terms: constants at compile time, others on the device */
	Bp = split_operand(L, node, tb, m.nbB, (uint64_t)m.K, (uint64_t)m.N, np, bterm, 0,
			   m.transB, &st);
	if (Bp < 0)
		goto out;
	Ap = split_operand(L, node, ta, 1, m.nbA * (uint64_t)m.M, (uint64_t)m.K, np, aterm, 1,
			   m.transA, &st);
	if (Ap < 0)
		goto out;
	args[0] = Ap;
	args[1] = Bp;
	args[2] = m.Y;
	args[3] = m.bias;
	st = gemm_kernel(L, node, &d, args, m.bias >= 0 ? 4 : 3);
	if (!st && m.post) {
		struct xcc_ew p;
		int in_t[2];

		xg_mm_post(&m, &p, in_t);
		st = run_ew(L, node, &p, in_t, NULL, m.Y);
	}
out:
	return xg_scratch_end(&sc, "lowering", st);
}

/* ---- convolution and pooling --------------------------------------------------- */

static xpu_status lower_conv(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	int X = n->in[0], Wt = n->in[1], Y = n->out[0], bias = -1, col, colp, Wp, np;
	uint8_t aterm[6], bterm[6];
	struct xg_win w;
	xpu_status st;
	uint64_t K, P, CO, *aoff, *boff, *coff, *biasoff;
	struct xg_scratch sc = { 0 };	/* the batch offset tables */
	struct xcc_gemm d;
	int64_t G;
	int args[4];
	char kname[64];

	if (g->t[X].dtype != XPU_DT_F32 || g->t[Wt].dtype != XPU_DT_F32)
		return xg_unsup(g, node, "%s input (float32 supported)",
				xg_dtype_name(g->t[X].dtype));
	G = xg_attr_int(n, "group", 1);
	if (g->t[Wt].ndim != g->t[X].ndim || g->t[Wt].ndim < 3)
		return xg_unsup(g, node, "weights of rank %d for an input of rank %d",
				g->t[Wt].ndim, g->t[X].ndim);
	st = xg_window(g, node, g->t[Wt].dims + 2, g->t[Wt].ndim - 2, &w);
	if (st)
		return st;
	if (G < 1 || w.C % G || g->t[Wt].dims[0] % G || g->t[Wt].dims[1] * G != w.C)
		return xg_unsup(g, node, "attribute group=%lld with weights for %lld channels, "
				"input has %lld", (long long)G, (long long)g->t[Wt].dims[1],
				(long long)w.C);
	if (n->nin > 2 && n->in[2] >= 0) {
		bias = n->in[2];
		if (g->t[bias].dtype != XPU_DT_F32 ||
		    (int64_t)xg_numel(&g->t[bias]) != g->t[Wt].dims[0])
			return xg_unsup(g, node,
					"bias must be float32 with one value per output channel");
	}
	/* per group: Kg = C/G*KH*KW rows of col, Cout/G rows of W */
	K = (uint64_t)(w.C / G * w.KH * w.KW);
	P = (uint64_t)(w.OH * w.OW);
	CO = (uint64_t)g->t[Wt].dims[0];
	xg_mm_passes(L->precision, &np, aterm, bterm);
	{
		int64_t dims[3] = { w.N * G, (int64_t)K, (int64_t)P };
		struct xcc_im2col ic = { (uint64_t)w.N, (uint64_t)w.C, (uint64_t)w.H, (uint64_t)w.W,
			(uint64_t)w.KH, (uint64_t)w.KW, (uint64_t)w.OH, (uint64_t)w.OW,
			(uint64_t)w.sh, (uint64_t)w.sw, (uint64_t)w.pt, (uint64_t)w.pl,
			(uint64_t)w.dh, (uint64_t)w.dw };

		col = xg_add_temp(L, node, XPU_DT_F32, 3, dims);
		dims[1] = np * (int64_t)K;
		colp = xg_add_temp(L, node, XPU_DT_BF16, 3, dims);
		if (col < 0 || colp < 0)
			return xg_lower_oom();
		xg_kernel_name(L, node, "im2col", kname);
		st = xcc_im2col(L->cc, kname, &ic);
		if (st)
			return st;
		st = xg_launch_tensors(L, node, kname, (const int[]){ X, col }, 2);
		if (st)
			return st;
	}
	{
		struct xcc_split s = { .nouter = (uint64_t)(w.N * G), .rows = K, .cols = P,
			.nterms = np,
			.outer_stride = np * K * P * 2, .term_stride = K * P * 2,
			.row_stride = P * 2 };

		memcpy(s.term, bterm, np);
		st = split_kernel(L, node, col, colp, &s);
		if (st)
			return st;
	}
	/* the weights [Cout][np*K] */
	Wp = split_operand(L, node, Wt, 1, (uint64_t)g->t[Wt].dims[0], K, np, aterm, 1, 0, &st);
	if (Wp < 0)
		return st;
	/* one product per (image, group): W'[group rows] x col'[image, group] */
	memset(&d, 0, sizeof(d));
	d.m = CO / (uint64_t)G;
	d.k = np * K;
	d.n = P;
	d.in_type = XPU_DT_BF16;
	d.out_type = XPU_DT_F32;
	d.nbatch = (uint64_t)(w.N * G);
	d.has_bias = bias >= 0;
	d.bias_col = 1;
	d.act_vun = xg_act_vun(n->act);
	aoff = xg_scratch_alloc(&sc, d.nbatch, 8);
	boff = xg_scratch_alloc(&sc, d.nbatch, 8);
	coff = xg_scratch_alloc(&sc, d.nbatch, 8);
	biasoff = xg_scratch_alloc(&sc, d.nbatch, 8);
	if (sc.failed)
		return xg_scratch_end(&sc, "lowering", XPU_SUCCESS);
	for (uint64_t b = 0; b < d.nbatch; b++) {
		uint64_t grp = b % (uint64_t)G;

		aoff[b] = grp * d.m * d.k * 2;
		boff[b] = b * d.k * P * 2;
		coff[b] = b * d.m * P * 4;	/* = (image * CO + grp * CO/G) * P * 4 */
		biasoff[b] = grp * d.m * 4;
	}
	d.a_off = G > 1 ? aoff : NULL;
	d.b_off = boff;
	d.c_off = coff;
	d.bias_off = G > 1 ? biasoff : NULL;
	args[0] = Wp;
	args[1] = colp;
	args[2] = Y;
	args[3] = bias;
	return xg_scratch_end(&sc, "lowering", gemm_kernel(L, node, &d, args, bias >= 0 ? 4 : 3));
}

static xpu_status lower_pool(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_attr *ks = xg_attr(n, "kernel_shape");
	int X = n->in[0], Y = n->out[0];
	int is_max = n->op == XG_OP_MaxPool;
	struct xg_win w;
	struct xcc_pool pd;
	xpu_status st;
	char kname[64];

	if (g->t[X].dtype != XPU_DT_F32)
		return xg_unsup(g, node, "%s input (float32 supported)",
				xg_dtype_name(g->t[X].dtype));
	if (!ks || ks->n < 1)
		return xg_unsup(g, node, "attribute kernel_shape missing");
	if (n->nout > 1 && n->out[1] >= 0 &&
	    (xg_users(g, n->out[1]) || g->t[n->out[1]].is_output))
		return xg_unsup(g, node, "output Indices");
	st = xg_window(g, node, ks->ints, ks->n, &w);
	if (st)
		return st;
	pd = (struct xcc_pool){ (uint64_t)(w.N * w.C), (uint64_t)w.H, (uint64_t)w.W,
		(uint64_t)w.KH, (uint64_t)w.KW, (uint64_t)w.OH, (uint64_t)w.OW, (uint64_t)w.sh,
		(uint64_t)w.sw, (uint64_t)w.pt, (uint64_t)w.pl, is_max, (uint64_t)w.dh,
		(uint64_t)w.dw };
	xg_kernel_name(L, node, is_max ? "maxpool" : "sumpool", kname);
	st = xcc_pool(L->cc, kname, &pd);
	if (st)
		return st;
	st = xg_launch_tensors(L, node, kname, (const int[]){ X, Y }, 2);
	if (st || is_max)
		return st;
	/* average: divide by each window's count (xg_pool_count): one scalar
	 * when every window has the same, else a constant [OH, OW] row */
	{
		struct xcc_ew p;
		int in_t[2] = { Y, -1 };
		int include = (int)xg_attr_int(n, "count_include_pad", 0), same = 1;
		float *cnt = malloc((size_t)(w.OH * w.OW) * 4);

		if (!cnt)
			return xg_lower_oom();
		for (int64_t oh = 0; oh < w.OH; oh++)
			for (int64_t ow = 0; ow < w.OW; ow++) {
				cnt[oh * w.OW + ow] = xg_pool_count(&w, include, oh, ow);
				same &= cnt[oh * w.OW + ow] == cnt[0];
			}
		memset(&p, 0, sizeof(p));
		p.in[0].esz = p.in[1].esz = 4;
		p.out_esz = 4;
		if (same) {
			p.nin = 1;
			p.nslots = 2;
			p.step[p.nsteps] = xg_step(XCC_VBIN, XPU_VBIN_DIV, XPU_VT_F32, 1, 0, -1, 0);
			p.step[p.nsteps++].imm = xpu_f2u(cnt[0]);
			p.out = 1;
			free(cnt);
		} else {
			int64_t dims[2] = { w.OH, w.OW };
			char base[200];

			snprintf(base, sizeof(base), "%.180s.count", g->n[node].name);
			in_t[1] = xg_add_const(L, base, XPU_DT_F32, 2, dims, cnt);
			if (in_t[1] < 0)
				return xg_lower_oom();
			/* the divisor broadcasts as [OH, OW] against [N, C, OH, OW] */
			p.nin = 2;
			p.nslots = 3;
			p.step[p.nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_DIV, XPU_VT_F32, 2, 0, 1, 0);
			p.out = 2;
		}
		return run_ew(L, node, &p, in_t, NULL, Y);
	}
}

/* ---- row kernels ---------------------------------------------------------------- */

static xpu_status lower_rowred(struct xg_lowered *L, int node, uint64_t rows, uint64_t cols,
			       uint32_t func, uint32_t vt, int mean)
{
	char kname[64], key[160];
	int t[2] = { L->g->n[node].in[0], L->g->n[node].out[0] };
	xpu_status st = XPU_SUCCESS;

	snprintf(key, sizeof(key), "lm.red:%llu:%llu:%u:%u:%d", (unsigned long long)rows,
		 (unsigned long long)cols, func, vt, mean);
	if (!xg_kcache_get(L, key, node, "reduce", kname))
		st = xg_kcache_put(L, key, kname, xcc_rowred(L->cc, kname, rows, cols, func, vt, mean));
	if (st)
		return st;
	return xg_launch_tensors(L, node, kname, t, 2);
}

static xpu_status lower_midred(struct xg_lowered *L, int node, uint64_t A, uint64_t R,
			       uint64_t B, uint32_t func, uint32_t vt, int mean)
{
	char kname[64], key[160];
	int t[2] = { L->g->n[node].in[0], L->g->n[node].out[0] };
	xpu_status st = XPU_SUCCESS;

	snprintf(key, sizeof(key), "lm.midred:%llu:%llu:%llu:%u:%u:%d", (unsigned long long)A,
		 (unsigned long long)R, (unsigned long long)B, func, vt, mean);
	if (!xg_kcache_get(L, key, node, "reduce", kname))
		st = xg_kcache_put(L, key, kname, xcc_midred(L->cc, kname, A, R, B, func, vt, mean));
	if (st)
		return st;
	return xg_launch_tensors(L, node, kname, t, 2);
}

static xpu_status lower_rows(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	uint64_t cols, rows;
	char kname[64], key[160];
	xpu_status st;

	if (g->t[n->in[0]].dtype != XPU_DT_F32)
		return xg_unsup(g, node, "%s input (float32 supported)",
				xg_dtype_name(g->t[n->in[0]].dtype));
	st = xg_norm_shape(g, node, &rows, &cols);
	if (st)
		return st;
	if (rows > UINT32_MAX || cols > UINT32_MAX)
		return xg_unsup(g, node, "too large");
	if (n->op == XG_OP_Softmax) {
		int t[2] = { n->in[0], n->out[0] };

		snprintf(key, sizeof(key), "lm.softmax:%llu:%llu", (unsigned long long)rows,
			 (unsigned long long)cols);
		if (!xg_kcache_get(L, key, node, "softmax", kname))
			st = xg_kcache_put(L, key, kname, xcc_softmax(L->cc, kname, rows, cols));
		if (st)
			return st;
		return xg_launch_tensors(L, node, kname, t, 2);
	}
	/* LayerNormalization / FusedLayerNorm: x, scale[, bias] -> y[, mean, invstd] */
	{
		float eps = xg_attr_float(n, "epsilon", 1e-5f);
		int gam = n->nin > 1 ? n->in[1] : -1, bet = n->nin > 2 ? n->in[2] : -1, t[6];
		int stats = 0;

		for (int o = 1; o < n->nout && o < 3; o++)
			if (n->out[o] >= 0 && (xg_users(g, n->out[o]) || g->t[n->out[o]].is_output)) {
				if (g->t[n->out[o]].dtype != XPU_DT_F32 ||
				    xg_numel(&g->t[n->out[o]]) != rows)
					return xg_unsup(g, node, "output %d: float32 with one "
							"value per row supported", o);
				stats = 1;
			}
		if (gam < 0 || g->t[gam].dtype != XPU_DT_F32 || xg_numel(&g->t[gam]) != cols)
			return xg_unsup(g, node, "scale must be float32 with %llu elements",
					(unsigned long long)cols);
		if (bet >= 0 && (g->t[bet].dtype != XPU_DT_F32 || xg_numel(&g->t[bet]) != cols))
			return xg_unsup(g, node, "bias must be float32 with %llu elements",
					(unsigned long long)cols);
		if (bet < 0) {
			float *z = calloc(cols, 4);
			int64_t dims[1] = { (int64_t)cols };

			if (!z)
				return xg_lower_oom();
			bet = xg_add_const(L, "layernorm.zero_bias", XPU_DT_F32, 1, dims, z);
			if (bet < 0)
				return xg_lower_oom();
		}
		t[0] = n->in[0];
		t[1] = gam;
		t[2] = bet;
		t[3] = n->out[0];
		for (int o = 1; stats && o < 3; o++) {
			int64_t dims[1] = { (int64_t)rows };

			t[3 + o] = o < n->nout && n->out[o] >= 0 ? n->out[o] :
				   xg_add_temp(L, node, XPU_DT_F32, 1, dims);
			if (t[3 + o] < 0)
				return xg_lower_oom();
		}
		snprintf(key, sizeof(key), "lm.layernorm:%llu:%llu:%08x:%d", (unsigned long long)rows,
			 (unsigned long long)cols, xpu_f2u(eps), stats);
		if (!xg_kcache_get(L, key, node, "layernorm", kname))
			st = xg_kcache_put(L, key, kname,
					   xcc_layernorm(L->cc, kname, rows, cols, eps, stats));
		if (st)
			return st;
		return xg_launch_tensors(L, node, kname, t, stats ? 6 : 4);
	}
}

xpu_status xg_lower_math(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	uint64_t rows, ra, rr, rb;
	xpu_status st;

	if (!xg_numel(&g->t[n->out[0]]))
		return XPU_SUCCESS;	/* an empty output: nothing to compute */
	switch (n->op) {
	case XG_OP_MatMul: case XG_OP_Gemm: case XG_OP_FusedMatMul:
		return lower_matmul(L, node);
	case XG_OP_DequantizeLinear:
		/* read only by int8 matmuls, which take the int8 tensor itself */
		if (xg_only_int8_users(g, n->out[0]))
			return XPU_SUCCESS;
		return lower_ew(L, node);
	case XG_OP_Conv:
		return lower_conv(L, node);
	case XG_OP_MaxPool: case XG_OP_AveragePool:
		return lower_pool(L, node);
	case XG_OP_GlobalAveragePool: {
		const struct xg_tensor *x = &g->t[n->in[0]];

		if (x->dtype != XPU_DT_F32 || x->ndim < 3)
			return xg_unsup(g, node, "input must be float32 N x C x spatial");
		rows = (uint64_t)(x->dims[0] * x->dims[1]);
		return lower_rowred(L, node, rows, xg_numel(x) / rows, XPU_VRED_SUM, XPU_VT_F32, 1);
	}
	case XG_OP_Softmax: case XG_OP_LayerNormalization: case XG_OP_FusedLayerNorm:
		return lower_rows(L, node);
	case XG_OP_ReduceMean: case XG_OP_ReduceSum: case XG_OP_ReduceMax: {
		const struct xg_tensor *x = &g->t[n->in[0]];
		int vt = x->dtype == XPU_DT_F32 ? XPU_VT_F32 : x->dtype == XPU_DT_I32 ? XPU_VT_I32 : -1;

		if (vt < 0 || (n->op == XG_OP_ReduceMean && vt != XPU_VT_F32))
			return xg_unsup(g, node, "%s input", xg_dtype_name(x->dtype));
		st = xg_reduce_shape(g, node, &ra, &rr, &rb);
		if (st)
			return st;
		if (rb == 1)
			return lower_rowred(L, node, ra, rr,
					    n->op == XG_OP_ReduceMax ? XPU_VRED_MAX : XPU_VRED_SUM,
					    (uint32_t)vt, n->op == XG_OP_ReduceMean);
		return lower_midred(L, node, ra, rr, rb,
				    n->op == XG_OP_ReduceMax ? XPU_VRED_MAX : XPU_VRED_SUM,
				    (uint32_t)vt, n->op == XG_OP_ReduceMean);
	}
	default:
		return lower_ew(L, node);
	}
}
