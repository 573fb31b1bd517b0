// SPDX-License-Identifier: MIT
/*
 * CPU reference of the arithmetic ops: computes each node exactly as the
 * kernels lower_math.c generates do, element by element, with the engine's
 * own numerics (numerics.h) and the same order of every rounding:
 *   - elementwise ops run the node's vector program (math_common.h) on
 *     each element with the vector unit's semantics (NaN canonicalised
 *     after every VBIN, VUN as vpu.c, VCVT, VSEL, VQNT);
 *   - matmul and conv: fp32 accumulation, starting at +0, in the order of
 *     the concatenated pass list (pass by pass, k ascending), as the MXU
 *     accumulates across K tiles; the NaN of the result canonicalised; then
 *     bias and activation as the epilogue's VBIN/VUN;
 *   - QDQ matmuls on the int8 path (xg_mm_int8): int32 dot, then the
 *     convert / scale / bias / activation steps of the epilogue kernel;
 *   - softmax and layernorm follow xpu_cc_softmax / xpu_cc_layernorm op by
 *     op; reductions add in column order from +0 (VRED).
 * The tiling of a kernel never changes a result, so none of it appears here.
 */
#pragma GCC optimize("fp-contract=off")	/* a + b*c must round twice, as the engine */

#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "math_common.h"
#include "vpu_elem.h"

static xpu_status ref_oom(void)
{
	return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "reference: out of memory");
}

/* the vector unit, element by element: xpu_vbin/vun/vcvt_elem (vpu_elem.h) */

static uint32_t ld(const uint8_t *p, uint32_t esz)
{
	uint32_t v = 0;

	memcpy(&v, p, esz);	/* little endian host */
	return v;
}

static float f32at(struct xg_ref *R, int t, uint64_t i)
{
	float v;

	memcpy(&v, (const uint8_t *)R->val[t] + i * 4, 4);
	return v;
}

/* ---- elementwise ------------------------------------------------------------ */

static xpu_status ew_run(struct xg_ref *R, int node, const struct xcc_ew *p, const int *in_t,
			 const int *in_axis, int out)
{
	struct xg_bc bc;
	uint8_t *y;
	xpu_status st = xg_bc_plan(R->g, node, out, p->nin, in_t, in_axis, &bc);
	const uint8_t *x[XCC_MAX_IN];

	if (st)
		return st;
	/* the output may also be an input (Gemm's C addend, average pool): per element
	 * every input is read before the output is written, as the kernel's tiles */
	y = R->val[out];
	for (int i = 0; i < p->nin; i++)
		x[i] = R->val[in_t[i]];
	for (uint64_t r = 0; r < bc.R; r++) {
		for (uint64_t c = 0; c < bc.C; c++) {
			uint32_t s[XCC_MAX_SLOTS] = { 0 };

			for (int i = 0; i < p->nin; i++)
				s[i] = ld(x[i] + (bc.row_off[i][r] + (bc.inner[i] ? c : 0)) *
					  p->in[i].esz, p->in[i].esz);
			for (int k = 0; k < p->nsteps; k++) {
				const struct xcc_ew_step *q = &p->step[k];

				switch (q->kind) {
				case XCC_VBIN:
					s[q->dst] = xpu_vbin_elem(q->func, q->vt, s[q->a],
								  q->b < 0 ? q->imm : s[q->b]);
					break;
				case XCC_VUN:
					s[q->dst] = xpu_vun_elem(q->func, q->vt, s[q->a]);
					break;
				case XCC_VCVT:
					s[q->dst] = xpu_vcvt_elem(q->func, s[q->a]);
					break;
				case XCC_VSEL:
					s[q->dst] = s[q->a] ? s[q->b] : s[q->c];
					break;
				default: {
					double v = q->vt == XPU_VT_I32 ? (double)(int32_t)s[q->a] :
						   (double)xpu_u2f(s[q->a]);

					s[q->dst] = (uint8_t)xpu_requant(v * (double)xpu_u2f(q->imm2),
									 (int32_t)q->imm);
					break;
				}
				}
			}
			memcpy(y + (r * bc.C + c) * p->out_esz, &s[p->out], p->out_esz);
		}
	}
	xg_bc_free(&bc);
	return XPU_SUCCESS;
}

/* ---- matmul -------------------------------------------------------------------- */

/* acc over the concatenated passes; a: np*K terms (stride 1), b: np*K terms
 * (stride ldb), as f32 values of bf16 */
static float dot(const float *a, const float *b, uint64_t kk, uint64_t ldb)
{
	float acc = 0.0f;

	for (uint64_t k = 0; k < kk; k++)
		acc = acc + a[k] * b[k * ldb];
	return xpu_canon(acc);
}

static float epilogue(float v, const float *bias, int act)
{
	uint32_t u = xpu_f2u(v);

	if (bias)
		u = xpu_vbin_elem(XPU_VBIN_ADD, XPU_VT_F32, u, xpu_f2u(*bias));
	if (act >= 0)
		u = xpu_vun_elem((uint32_t)act, XPU_VT_F32, u);
	return xpu_u2f(u);
}

static xpu_status ref_matmul(struct xg_ref *R, int node)
{
	struct xg_graph *g = R->g;
	struct xg_mm m;
	struct xg_qmm q;
	int np;
	uint64_t KK;
	uint8_t aterm[6], bterm[6];
	float *ap, *bp, *y;
	xpu_status st = xg_mm_describe(g, node, &m);

	if (st)
		return st;
	y = R->val[m.Y];
	if (xg_mm_int8(g, node, &q)) {
		const int8_t *qa = R->val[q.qa], *qb = R->val[q.qb];

		for (uint64_t b = 0; b < m.nb; b++) {
			uint64_t ia, ib;

			xg_mm_batch(&m, b, &ia, &ib);
			for (int64_t i = 0; i < m.M; i++)
				for (int64_t j = 0; j < m.N; j++) {
					uint32_t acc = 0, v;

					/* the MXU's int8 path: int32, wrapping, k ascending */
					for (int64_t k = 0; k < m.K; k++)
						acc += (uint32_t)((int32_t)qa[(ia * m.M + i) * m.K + k] *
								  (int32_t)qb[(ib * m.K + k) * m.N + j]);
					v = xpu_vcvt_elem(XPU_CVT_I32_F32, acc);
					v = xpu_vbin_elem(XPU_VBIN_MUL, XPU_VT_F32, v,
							  xpu_f2u(q.sb ? q.sa * q.sb[j] : q.scale));
					if (m.bias >= 0)
						v = xpu_vbin_elem(XPU_VBIN_ADD, XPU_VT_F32, v,
								  xpu_f2u(f32at(R, m.bias, j)));
					if (m.act >= 0)
						v = xpu_vun_elem((uint32_t)m.act, XPU_VT_F32, v);
					memcpy(&y[(b * m.M + i) * m.N + j], &v, 4);
				}
		}
		return XPU_SUCCESS;
	}
	xg_mm_passes(R->precision, &np, aterm, bterm);
	KK = (uint64_t)np * (uint64_t)m.K;
	ap = malloc(m.nbA * (uint64_t)m.M * KK * sizeof(float));
	bp = malloc(m.nbB * KK * (uint64_t)m.N * sizeof(float));
	if (!ap || !bp) {
		free(ap);
		free(bp);
		return ref_oom();
	}
	/* A' [nbA*M][np*K], B' [nbB][np*K][N]: the bf16 terms as floats */
	for (uint64_t r = 0; r < m.nbA * (uint64_t)m.M; r++)
		for (int p = 0; p < np; p++)
			for (int64_t k = 0; k < m.K; k++) {
				uint64_t src = m.transA ? (uint64_t)k * m.M + r : r * m.K + k;

				ap[r * KK + p * m.K + k] = xpu_bf16_to_f32(
					xg_split_term(f32at(R, m.A, src), aterm[p]));
			}
	for (uint64_t b = 0; b < m.nbB; b++)
		for (int p = 0; p < np; p++)
			for (int64_t k = 0; k < m.K; k++)
				for (int64_t j = 0; j < m.N; j++) {
					uint64_t src = m.transB ? (b * m.N + j) * m.K + k :
						       (b * m.K + k) * m.N + j;

					bp[(b * KK + p * m.K + k) * m.N + j] = xpu_bf16_to_f32(
						xg_split_term(f32at(R, m.B, src), bterm[p]));
				}
	for (uint64_t b = 0; b < m.nb; b++) {
		uint64_t ia, ib;

		xg_mm_batch(&m, b, &ia, &ib);
		for (int64_t i = 0; i < m.M; i++)
			for (int64_t j = 0; j < m.N; j++) {
				float bv, v = dot(ap + (ia * m.M + i) * KK, bp + ib * KK * m.N + j, KK,
						  (uint64_t)m.N);

				if (m.bias >= 0)
					bv = f32at(R, m.bias, j);
				y[(b * m.M + i) * m.N + j] = epilogue(v, m.bias >= 0 ? &bv : NULL, m.act);
			}
	}
	free(ap);
	free(bp);
	if (m.post) {
		struct xcc_ew p;
		int in_t[2];

		xg_mm_post(&m, &p, in_t);
		return ew_run(R, node, &p, in_t, NULL, m.Y);
	}
	return XPU_SUCCESS;
}

/* ---- convolution and pooling --------------------------------------------------- */

static xpu_status ref_conv(struct xg_ref *R, int node)
{
	struct xg_graph *g = R->g;
	const struct xg_node *n = &g->n[node];
	int X = n->in[0], Wt = n->in[1], Y = n->out[0], np, act = xg_act_vun(n->act);
	int bias = n->nin > 2 && n->in[2] >= 0 ? n->in[2] : -1;
	uint8_t aterm[6], bterm[6];
	struct xg_win w;
	uint64_t K, P, KK, CO;
	float *wp, *cp, *y = R->val[Y];
	int64_t G;
	xpu_status st;

	if (g->t[Wt].ndim != g->t[X].ndim || g->t[Wt].ndim < 3 || g->t[X].dtype != XPU_DT_F32 ||
	    g->t[Wt].dtype != XPU_DT_F32)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, XG_NODE_FMT ": float32 weights of the "
				     "input's rank supported", XG_NODE_ARG(n));
	st = xg_window(g, node, g->t[Wt].dims + 2, g->t[Wt].ndim - 2, &w);
	if (st)
		return st;
	G = xg_attr_int(n, "group", 1);
	if (G < 1 || w.C % G || g->t[Wt].dims[0] % G || g->t[Wt].dims[1] * G != w.C)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, XG_NODE_FMT ": bad group",
				     XG_NODE_ARG(n));
	xg_mm_passes(R->precision, &np, aterm, bterm);
	/* per group g: W rows [g*CO/G, (g+1)*CO/G) x col rows of channels of group g */
	K = (uint64_t)(w.C / G * w.KH * w.KW);
	P = (uint64_t)(w.OH * w.OW);
	KK = (uint64_t)np * K;
	CO = (uint64_t)g->t[Wt].dims[0];
	wp = malloc(CO * KK * sizeof(float));
	cp = malloc((uint64_t)G * KK * P * sizeof(float));
	if (!wp || !cp) {
		free(wp);
		free(cp);
		return ref_oom();
	}
	for (uint64_t co = 0; co < CO; co++)
		for (int p = 0; p < np; p++)
			for (uint64_t k = 0; k < K; k++)
				wp[co * KK + p * K + k] = xpu_bf16_to_f32(
					xg_split_term(f32at(R, Wt, co * K + k), aterm[p]));
	for (int64_t b = 0; b < w.N; b++) {
		/* col[b]: row (c, kh, kw), column (oh, ow); 0 in the padding */
		for (int64_t c = 0; c < w.C; c++)
			for (int64_t kh = 0; kh < w.KH; kh++)
				for (int64_t kw = 0; kw < w.KW; kw++)
					for (int64_t oh = 0; oh < w.OH; oh++)
						for (int64_t ow = 0; ow < w.OW; ow++) {
							int64_t ih = oh * w.sh + kh * w.dh - w.pt;
							int64_t iw = ow * w.sw + kw * w.dw - w.pl;
							int64_t grp = c / (w.C / G), ci = c % (w.C / G);
							uint64_t k = (uint64_t)((ci * w.KH + kh) * w.KW + kw);
							float v = 0.0f;

							if (ih >= 0 && ih < w.H && iw >= 0 && iw < w.W)
								v = f32at(R, X, ((b * w.C + c) * w.H + ih) *
									  w.W + iw);
							for (int p = 0; p < np; p++)
								cp[((grp * np + p) * K + k) * P +
								   oh * w.OW + ow] =
									xpu_bf16_to_f32(xg_split_term(v,
										bterm[p]));
						}
		for (uint64_t co = 0; co < CO; co++)
			for (uint64_t j = 0; j < P; j++) {
				uint64_t grp = co / (CO / (uint64_t)G);
				float bv, v = dot(wp + co * KK, cp + grp * KK * P + j, KK, P);

				if (bias >= 0)
					bv = f32at(R, bias, co);
				y[((uint64_t)b * CO + co) * P + j] =
					epilogue(v, bias >= 0 ? &bv : NULL, act);
			}
	}
	free(wp);
	free(cp);
	return XPU_SUCCESS;
}

static xpu_status ref_pool(struct xg_ref *R, int node)
{
	struct xg_graph *g = R->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_attr *ks = xg_attr(n, "kernel_shape");
	int is_max = n->op == XG_OP_MaxPool, include;
	uint32_t op = is_max ? XPU_VBIN_MAX : XPU_VBIN_ADD;
	float *y = R->val[n->out[0]];
	struct xg_win w;
	xpu_status st;

	if (!ks || ks->n < 1 || g->t[n->in[0]].dtype != XPU_DT_F32)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, XG_NODE_FMT ": float32 input with a "
				     "kernel_shape supported", XG_NODE_ARG(n));
	st = xg_window(g, node, ks->ints, ks->n, &w);
	if (st)
		return st;
	include = (int)xg_attr_int(n, "count_include_pad", 0);
	for (int64_t pl = 0; pl < w.N * w.C; pl++)
		for (int64_t oh = 0; oh < w.OH; oh++)
			for (int64_t ow = 0; ow < w.OW; ow++) {
				uint32_t acc = 0;

				for (int64_t kh = 0; kh < w.KH; kh++)
					for (int64_t kw = 0; kw < w.KW; kw++) {
						int64_t ih = oh * w.sh + kh * w.dh - w.pt;
						int64_t iw = ow * w.sw + kw * w.dw - w.pl;
						uint32_t v = is_max ? 0xff800000u : 0;

						if (ih >= 0 && ih < w.H && iw >= 0 && iw < w.W) {
							v = xpu_f2u(f32at(R, n->in[0],
									  (pl * w.H + ih) * w.W + iw));
						}
						if (kh || kw)	/* the first tap starts acc */
							v = xpu_vbin_elem(op, XPU_VT_F32, acc, v);
						acc = v;
					}
				if (!is_max) {
					uint32_t cnt = xpu_f2u(xg_pool_count(&w, include, oh, ow));

					acc = xpu_vbin_elem(XPU_VBIN_DIV, XPU_VT_F32, acc, cnt);
				}
				y[(pl * w.OH + oh) * w.OW + ow] = xpu_u2f(acc);
			}
	return XPU_SUCCESS;
}

/* ---- row ops ---------------------------------------------------------------------- */

static uint32_t vred(uint32_t f, uint32_t vt, const uint32_t *x, uint64_t n)
{
	if (vt == XPU_VT_I32) {
		uint32_t acc = f == XPU_VRED_SUM ? 0 : 0x80000000u;

		for (uint64_t c = 0; c < n; c++) {
			if (f == XPU_VRED_SUM)
				acc += x[c];
			else if ((int32_t)x[c] > (int32_t)acc)
				acc = x[c];
		}
		return acc;
	} else {
		float acc = f == XPU_VRED_SUM ? 0.0f : xpu_u2f(0xff800000u);
		int nan = 0;

		for (uint64_t c = 0; c < n; c++) {
			float v = xpu_u2f(x[c]);

			if (f == XPU_VRED_SUM)
				acc = acc + v;
			else if (xpu_f32_isnan(v))
				nan = 1;
			else if (v > acc)
				acc = v;
		}
		return nan ? XPU_F32_CANON_NAN : xpu_f2u(xpu_canon(acc));
	}
}

static void ref_rowred(struct xg_ref *R, int node, uint64_t rows, uint64_t cols, uint32_t f,
		       uint32_t vt, int mean)
{
	const uint32_t *x = R->val[R->g->n[node].in[0]];
	uint32_t *y = R->val[R->g->n[node].out[0]];

	for (uint64_t r = 0; r < rows; r++) {
		uint32_t v = vred(f, vt, x + r * cols, cols);

		if (mean)
			v = xpu_vbin_elem(XPU_VBIN_DIV, XPU_VT_F32, v, xpu_f2u((float)cols));
		y[r] = v;
	}
}

static xpu_status ref_softmax(struct xg_ref *R, int node, uint64_t rows, uint64_t cols)
{
	const uint32_t *x = R->val[R->g->n[node].in[0]];
	uint32_t *y = R->val[R->g->n[node].out[0]];

	for (uint64_t r = 0; r < rows; r++) {
		const uint32_t *xr = x + r * cols;
		uint32_t *yr = y + r * cols, m = vred(XPU_VRED_MAX, XPU_VT_F32, xr, cols), s;

		for (uint64_t c = 0; c < cols; c++)
			yr[c] = xpu_vun_elem(XPU_VUN_EXP, XPU_VT_F32,
					     xpu_vbin_elem(XPU_VBIN_SUB, XPU_VT_F32, xr[c], m));
		s = xpu_vun_elem(XPU_VUN_RECIP, XPU_VT_F32,
				 vred(XPU_VRED_SUM, XPU_VT_F32, yr, cols));
		for (uint64_t c = 0; c < cols; c++)
			yr[c] = xpu_vbin_elem(XPU_VBIN_MUL, XPU_VT_F32, yr[c], s);
	}
	return XPU_SUCCESS;
}

static xpu_status ref_layernorm(struct xg_ref *R, int node, uint64_t rows, uint64_t cols)
{
	const struct xg_node *n = &R->g->n[node];
	const uint32_t *x = R->val[n->in[0]], *gam = R->val[n->in[1]];
	const uint32_t *bet = n->nin > 2 && n->in[2] >= 0 ? R->val[n->in[2]] : NULL;
	uint32_t *y = R->val[n->out[0]];
	uint32_t *omean = n->nout > 1 && n->out[1] >= 0 ? R->val[n->out[1]] : NULL;
	uint32_t *oinv = n->nout > 2 && n->out[2] >= 0 ? R->val[n->out[2]] : NULL;
	uint32_t inv = xpu_f2u(1.0f / (float)cols);
	uint32_t eps = xpu_f2u(xg_attr_float(n, "epsilon", 1e-5f));
	uint32_t *t = malloc(cols * 4);

	if (!t)
		return ref_oom();
	for (uint64_t r = 0; r < rows; r++) {
		const uint32_t *xr = x + r * cols;
		uint32_t *yr = y + r * cols, mean, var, rs;

		mean = xpu_vbin_elem(XPU_VBIN_MUL, XPU_VT_F32,
				     vred(XPU_VRED_SUM, XPU_VT_F32, xr, cols), inv);
		for (uint64_t c = 0; c < cols; c++) {
			yr[c] = xpu_vbin_elem(XPU_VBIN_SUB, XPU_VT_F32, xr[c], mean);
			t[c] = xpu_vbin_elem(XPU_VBIN_MUL, XPU_VT_F32, yr[c], yr[c]);
		}
		var = xpu_vbin_elem(XPU_VBIN_MUL, XPU_VT_F32,
				    vred(XPU_VRED_SUM, XPU_VT_F32, t, cols), inv);
		var = xpu_vbin_elem(XPU_VBIN_ADD, XPU_VT_F32, var, eps);
		rs = xpu_vun_elem(XPU_VUN_RSQRT, XPU_VT_F32, var);
		for (uint64_t c = 0; c < cols; c++) {
			uint32_t v = xpu_vbin_elem(XPU_VBIN_MUL, XPU_VT_F32, yr[c], rs);

			v = xpu_vbin_elem(XPU_VBIN_MUL, XPU_VT_F32, v, gam[c]);
			yr[c] = xpu_vbin_elem(XPU_VBIN_ADD, XPU_VT_F32, v, bet ? bet[c] : 0);
		}
		if (omean)
			omean[r] = mean;
		if (oinv)
			oinv[r] = rs;
	}
	free(t);
	return XPU_SUCCESS;
}

/* reduction over the middle axis: from the first element, in order */
static void ref_midred(struct xg_ref *R, int node, uint64_t A, uint64_t Rn, uint64_t B,
		       uint32_t f, uint32_t vt, int mean)
{
	const uint32_t *x = R->val[R->g->n[node].in[0]];
	uint32_t *y = R->val[R->g->n[node].out[0]];
	uint32_t op = f == XPU_VRED_MAX ? XPU_VBIN_MAX : XPU_VBIN_ADD;

	for (uint64_t a = 0; a < A; a++)
		for (uint64_t b = 0; b < B; b++) {
			uint32_t acc = x[a * Rn * B + b];

			for (uint64_t r = 1; r < Rn; r++)
				acc = xpu_vbin_elem(op, vt, acc, x[(a * Rn + r) * B + b]);
			if (mean)
				acc = xpu_vbin_elem(XPU_VBIN_DIV, XPU_VT_F32, acc,
						    xpu_f2u((float)Rn));
			y[a * B + b] = acc;
		}
}

xpu_status xg_ref_math(struct xg_ref *R, int node)
{
	struct xg_graph *g = R->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *x = &g->t[n->in[0]];
	uint64_t rows, cols;
	struct xcc_ew p;
	int in_t[XCC_MAX_IN], in_axis[XCC_MAX_IN];
	xpu_status st;

	if (!xg_numel(&g->t[n->out[0]]))
		return XPU_SUCCESS;
	switch (n->op) {
	case XG_OP_MatMul: case XG_OP_Gemm: case XG_OP_FusedMatMul:
		return ref_matmul(R, node);
	case XG_OP_Conv:
		return ref_conv(R, node);
	case XG_OP_MaxPool: case XG_OP_AveragePool:
		return ref_pool(R, node);
	case XG_OP_GlobalAveragePool:
		if (x->dtype != XPU_DT_F32 || x->ndim < 3)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, XG_NODE_FMT ": float32 N x C x "
					     "spatial input supported", XG_NODE_ARG(n));
		rows = (uint64_t)(x->dims[0] * x->dims[1]);
		ref_rowred(R, node, rows, xg_numel(x) / rows, XPU_VRED_SUM, XPU_VT_F32, 1);
		return XPU_SUCCESS;
	case XG_OP_Softmax: case XG_OP_LayerNormalization: case XG_OP_FusedLayerNorm:
		st = xg_norm_shape(g, node, &rows, &cols);
		if (st)
			return st;
		if (x->dtype != XPU_DT_F32 || (n->op != XG_OP_Softmax &&
		    (n->nin < 2 || n->in[1] < 0 || xg_numel(&g->t[n->in[1]]) != cols ||
		     (n->nin > 2 && n->in[2] >= 0 && xg_numel(&g->t[n->in[2]]) != cols))))
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, XG_NODE_FMT ": float32 rows "
					     "with a scale (and bias) of the row's size supported",
					     XG_NODE_ARG(n));
		return n->op == XG_OP_Softmax ? ref_softmax(R, node, rows, cols) :
		       ref_layernorm(R, node, rows, cols);
	case XG_OP_ReduceMean: case XG_OP_ReduceSum: case XG_OP_ReduceMax: {
		uint64_t A, Rn, B;
		uint32_t f = n->op == XG_OP_ReduceMax ? XPU_VRED_MAX : XPU_VRED_SUM;
		uint32_t vt = x->dtype == XPU_DT_F32 ? XPU_VT_F32 : XPU_VT_I32;

		if (x->dtype != XPU_DT_F32 && x->dtype != XPU_DT_I32)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, XG_NODE_FMT ": float32 or int32 "
					     "input supported", XG_NODE_ARG(n));
		st = xg_reduce_shape(g, node, &A, &Rn, &B);
		if (st)
			return st;
		if (B == 1)
			ref_rowred(R, node, A, Rn, f, vt, n->op == XG_OP_ReduceMean);
		else
			ref_midred(R, node, A, Rn, B, f, vt, n->op == XG_OP_ReduceMean);
		return XPU_SUCCESS;
	}
	default:
		st = xg_ew_program(g, node, &p, in_t, in_axis);
		if (st)
			return st;
		return ew_run(R, node, &p, in_t, in_axis, n->out[0]);
	}
}
