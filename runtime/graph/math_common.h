/* SPDX-License-Identifier: MIT */
/*
 * What the math lowering (lower_math.c) and its CPU reference
 * (reference_math.c) must agree on, defined once (math_common.c): how broadcast operands
 * map onto R x C tiles, the vector program of each elementwise op, the
 * bf16 pass list of each precision and the bf16 split itself.
 *
 * Matmul precision (fp32 operands): each operand x is split into bf16 terms
 * hi = bf16(x), mid = bf16(x - hi), lo = bf16((x - hi) - mid) (fp32
 * subtractions, RNE). A pass multiplies one term of A by one term of B; the
 * passes are concatenated along K (A' = [A_p0 | A_p1 | ...], B' = [B_p0;
 * B_p1; ...]) so one MXU product accumulates them all in fp32, k ascending
 * within a pass, passes in this fixed order (small terms first):
 *   BF16:    hi*hi
 *   HIGH:    hi*mid, mid*hi, hi*hi
 *   HIGHEST: mid*mid, hi*lo, lo*hi, hi*mid, mid*hi, hi*hi
 */
#ifndef XPU_GRAPH_MATH_COMMON_H
#define XPU_GRAPH_MATH_COMMON_H

#include <stdint.h>

#include "internal.h"
#include "graph.h"
#include "numerics.h"
#include "xpu_isa.h"
#include "../compiler/cc_graph.h"

/* nin inputs broadcast (ONNX rules) to an output, as R rows x C columns
 * after merging dimensions; input i: element (r, c) at element offset
 * row_off[i][r] + c (inner) or row_off[i][r] (not inner). in_axis (NULL:
 * none): in_axis[i] >= 0 makes input i a 1-D tensor along that output axis
 * (the per-axis scales of QuantizeLinear / DequantizeLinear). */
struct xg_bc {
	uint64_t R, C;
	int nin;
	int inner[XCC_MAX_IN];
	uint64_t *row_off[XCC_MAX_IN];
};
xpu_status xg_bc_plan(const struct xg_graph *g, int node, int out, int nin, const int *in,
		      const int *in_axis, struct xg_bc *bc);
void xg_bc_free(struct xg_bc *bc);

/* NOT_SUPPORTED naming node `node` of g; the lowering's OUT_OF_MEMORY */
#define xg_unsup(g, node, ...) \
	xg_node_error(XPU_ERROR_NOT_SUPPORTED, &(g)->n[node], __VA_ARGS__)
static inline xpu_status xg_lower_oom(void)
{
	return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "lowering: out of memory");
}

/* One step of a vector program (xcc_ew_step), the other fields zero */
struct xcc_ew_step xg_step(int kind, int func, int vt, int dst, int a, int b, int c);

/*
 * The vector program of an elementwise node (Add ... Where, Cast, Quantize,
 * Dequantize, unary ops): steps, slots, element sizes; in_t[i] = the graph
 * tensor of input slot i, in_axis[i] its xg_bc_plan axis (-1: ONNX
 * broadcasting). NOT_SUPPORTED naming the node otherwise.
 */
xpu_status xg_ew_program(const struct xg_graph *g, int node, struct xcc_ew *p, int *in_t,
			 int *in_axis);

/* The pass list of a precision: *np passes, pass p multiplies A's term
 * aterm[p] by B's term bterm[p] (XCC_TERM_*). */
void xg_mm_passes(uint32_t precision, int *np, uint8_t *aterm, uint8_t *bterm);

/* One bf16 term of x, exactly as the split kernel computes it */
static inline uint16_t xg_split_term(float x, int term)
{
	uint16_t hi = xpu_f32_to_bf16(x), mid;
	float r;

	if (term == XCC_TERM_HI)
		return hi;
	r = xpu_canon(x - xpu_canon(xpu_bf16_to_f32(hi)));
	mid = xpu_f32_to_bf16(r);
	if (term == XCC_TERM_MID)
		return mid;
	r = xpu_canon(r - xpu_canon(xpu_bf16_to_f32(mid)));
	return xpu_f32_to_bf16(r);
}

/*
 * A MatMul / Gemm / FusedMatMul node as batched products: Y[b] (M x N) =
 * op(A)[ia(b)] x op(B)[ib(b)] over ONNX batch broadcasting (op: the Gemm
 * transposes), then the bias per column in the epilogue, the activation,
 * and for Gemm with a C that is not a column bias or with alpha/beta != 1
 * a following elementwise program: Y = alpha * Y + beta * C (post).
 * A MatMul with attribute "b_transposed_matvec" (pass_fuse: in[0] = q
 * [..., 1, D], in[1] = X [..., T, D], standing for q x X^T) is described
 * with the operands swapped: A = X (M = T, K = D), B = q read as the column
 * [..., D, 1] (N = 1), so Y[b] is [T][1], the bytes of the wanted [1][T].
 * Each output is the same products summed k = d ascending: bit-identical to
 * q x Transpose(X) at precision bf16 (one pass); at high/highest the split
 * passes pair A-terms with B-terms, so a cross pass such as hi*lo becomes
 * X.hi * q.lo instead of q.hi * X.lo (the pass order of the cross terms
 * swaps; the device and the reference both use this order).
 */
struct xg_mm {
	int A, B, Y, bias, C;		/* tensors; bias/C -1 if none */
	int transA, transB;
	float alpha, beta;
	int64_t M, K, N;
	int nbd;			/* batch dims */
	int64_t ab[XG_MAX_DIMS], bb[XG_MAX_DIMS], ob[XG_MAX_DIMS];
	uint64_t nbA, nbB, nb;
	int act;			/* XPU_VUN_* or -1 */
	int post;			/* an elementwise program follows */
};
xpu_status xg_mm_describe(const struct xg_graph *g, int node, struct xg_mm *m);
/* batch b's indices into A's and B's batches */
void xg_mm_batch(const struct xg_mm *m, uint64_t b, uint64_t *ia, uint64_t *ib);
/* the post program (inputs: Y[, C]) */
void xg_mm_post(const struct xg_mm *m, struct xcc_ew *p, int *in_t);

/*
 * QDQ as int8 matmuls: a MatMul / FusedMatMul whose A and B are both
 * DequantizeLinear outputs of int8 tensors with zero point 0, A with a
 * constant per-tensor scale sa, B with a per-tensor or per-output-channel
 * (axis = its last) constant scale sb, runs on the MXU's int8 path: acc =
 * qa x qb in int32 (exact for K <= 65536), then Y = act(f32(acc) *
 * f32(sa * sb[n]) + bias), each step one vector-unit op (VCVT RNE, VBIN
 * MUL, VBIN ADD, VUN). q->qa/qb are the int8 tensors. Returns 1 if the node
 * takes this path.
 */
struct xg_qmm {
	int qa, qb;
	float scale;			/* sa * sb, rounded to fp32 (per-tensor B) */
	const float *sb;		/* per-channel B: sb[n] (then scale[n] = f32(sa * sb[n])) */
	float sa;
};
int xg_mm_int8(const struct xg_graph *g, int node, struct xg_qmm *q);
/* 1 if every reader of tensor t takes the int8 path (t need not be computed) */
int xg_only_int8_users(const struct xg_graph *g, int t);

/* The vector unit's activation of a fused epilogue (XPU_VUN_*), -1: none */
int xg_act_vun(enum xg_act act);

/* Conv / pool geometry from a node's attributes; NOT_SUPPORTED names the
 * attribute it cannot do. */
struct xg_win {
	int64_t N, C, H, W, KH, KW, OH, OW, sh, sw, pt, pl, pb, pr;
	int64_t dh, dw;			/* dilations: tap (kh, kw) at (kh*dh, kw*dw) */
};
xpu_status xg_window(const struct xg_graph *g, int node, const int64_t *kernel, int nk,
		     struct xg_win *w);

/* The divisor of average pooling at (oh, ow): the window's elements inside
 * the input, or inside the padded input with count_include_pad (never the
 * overhang of ceil_mode), as a float */
static inline float xg_pool_count(const struct xg_win *w, int include, int64_t oh, int64_t ow)
{
	int64_t lo_h = include ? -w->pt : 0, hi_h = include ? w->H + w->pb : w->H;
	int64_t lo_w = include ? -w->pl : 0, hi_w = include ? w->W + w->pr : w->W;
	int64_t nh = 0, nw = 0;

	for (int64_t kh = 0; kh < w->KH; kh++) {
		int64_t ih = oh * w->sh - w->pt + kh * w->dh;

		nh += ih >= lo_h && ih < hi_h;
	}
	for (int64_t kw = 0; kw < w->KW; kw++) {
		int64_t iw = ow * w->sw - w->pl + kw * w->dw;

		nw += iw >= lo_w && iw < hi_w;
	}
	return (float)(nh * nw);
}

/* A reduction as A x R x B (R reduced; B = 1 when the reduced axes are the
 * trailing ones); NOT_SUPPORTED unless the reduced axes are contiguous. */
xpu_status xg_reduce_shape(const struct xg_graph *g, int node, uint64_t *A, uint64_t *R,
			   uint64_t *B);

/* Softmax / LayerNormalization as rows x cols (the normalised axes last and
 * contiguous); NOT_SUPPORTED names the axis otherwise. */
xpu_status xg_norm_shape(const struct xg_graph *g, int node, uint64_t *rows, uint64_t *cols);

#endif /* XPU_GRAPH_MATH_COMMON_H */
