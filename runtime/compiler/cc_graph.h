/* SPDX-License-Identifier: MIT */
/*
 * Kernel generators for the model compiler's lowering (runtime/graph/
 * lower_math.c); internal to libxpu. They take the shapes the graph knows
 * at compile time and bake every offset into the code:
 *   xcc_gemm   batched tiled GEMM (matmul.c): A x B per batch at given byte
 *              offsets, bias per column or per row, one epilogue activation
 *   xcc_split  fp32 -> bf16 terms for the multi-pass precisions (graph_vec.c)
 *   xcc_ew     an elementwise program over up to 3 broadcast inputs
 *   xcc_rowred a reduction of each row (sum/max, optionally divided by n)
 *   xcc_midred a reduction over the middle axis of A x R x B
 *   xcc_layernorm row layernorm with the optional mean / inverse std outputs
 *   xcc_softmax row softmax
 *   xcc_im2col the transposed im2col of an NCHW image (graph_conv.c)
 * Each returns the kernel's modeled cycles through xcc_cycles().
 */
#ifndef XPU_CC_GRAPH_H
#define XPU_CC_GRAPH_H

#include <stdint.h>
#include "xpu/xpu_compiler.h"

struct xcc_gemm {
	uint64_t m, k, n;		/* one product */
	uint32_t in_type, out_type;	/* BF16 -> F32, I8 -> I32 or I8 */
	uint64_t nbatch;		/* products (>= 1) */
	const uint64_t *a_off, *b_off, *c_off;	/* per product byte offsets (NULL: 0) */
	const uint64_t *bias_off;	/* per product byte offset into the bias (NULL: 0) */
	int has_bias, bias_col;		/* fp32/int32 bias per column (n), or per row (m) */
	int act_vun;			/* XPU_VUN_* applied after the bias; -1: none */
	float scale;			/* out_type I8 */
	int32_t zero_point;
};
/* Arguments: a, b, c, then bias when has_bias. */
xpu_status xcc_gemm(xpu_cc *cc, const char *name, const struct xcc_gemm *d);

/* Terms of the bf16 split of x (fp32): hi = bf16(x), r = x - hi,
 * mid = bf16(r), lo = bf16(r - mid). */
enum { XCC_TERM_HI = 0, XCC_TERM_MID = 1, XCC_TERM_LO = 2 };

/*
 * In: fp32 dense [nouter][rows][cols]. Out: bf16, term p of element
 * (o, r, c) at byte o*outer_stride + p*term_stride + r*row_stride + 2*c.
 * Arguments: x, y.
 */
struct xcc_split {
	uint64_t nouter, rows, cols;
	int nterms;
	uint8_t term[6];		/* XCC_TERM_* of each output term */
	uint64_t outer_stride, term_stride, row_stride;
};
xpu_status xcc_split(xpu_cc *cc, const char *name, const struct xcc_split *d);

/*
 * Elementwise program on an R x C output (dense, out_esz bytes per
 * element). Input i: element (r, c) at byte row_off[r] + c*esz (inner) or
 * row_off[r] (not inner: one value per row). Slots 0..nin-1 hold the
 * inputs as loaded (their own element size), slots nin.. are 4-byte
 * temporaries; each step reads and writes slots; the result is slot out.
 * Arguments: the inputs in order, then the output.
 */
enum { XCC_VBIN = 1, XCC_VUN, XCC_VCVT, XCC_VSEL, XCC_VQNT };
#define XCC_MAX_IN	3
#define XCC_MAX_STEPS	16
#define XCC_MAX_SLOTS	8
struct xcc_ew_in {
	uint32_t esz;
	int inner;
	const uint64_t *row_off;	/* R entries */
};
struct xcc_ew_step {
	uint8_t kind;			/* XCC_* */
	uint8_t func;			/* XPU_VBIN_* / XPU_VUN_* / XPU_CVT_* */
	uint8_t vt;			/* XPU_VT_* (VBIN, VUN; VQNT: input type) */
	int8_t dst, a, b, c;		/* slots; VBIN b < 0: the scalar imm */
	uint32_t imm;			/* VBIN scalar bits; VQNT: zero point; */
	uint32_t imm2;			/* VQNT: scale bits */
};
struct xcc_ew {
	uint64_t R, C;
	int nin;
	struct xcc_ew_in in[XCC_MAX_IN];
	int nslots;			/* inputs + temporaries */
	struct xcc_ew_step step[XCC_MAX_STEPS];
	int nsteps;
	int out;			/* slot of the result */
	uint32_t out_esz;
};
xpu_status xcc_ew(xpu_cc *cc, const char *name, const struct xcc_ew *d);

/* y[r] = reduce(x[r][0..cols)) (XPU_VRED_* of vt), then divided by cols if
 * mean (fp32 only). Arguments: x, y. */
xpu_status xcc_rowred(xpu_cc *cc, const char *name, uint64_t rows, uint64_t cols, uint32_t func,
		      uint32_t vt, int mean);

/* Reduction over the middle axis of an A x R x B tensor, in order of r from
 * x[a][0][b] (no leading zero), divided by R if mean. Arguments: x, y. */
xpu_status xcc_midred(xpu_cc *cc, const char *name, uint64_t A, uint64_t R, uint64_t B,
		      uint32_t func, uint32_t vt, int mean);

/* Row softmax, op for op as xpu_cc_softmax (with a cost estimate).
 * Arguments: x, y. */
xpu_status xcc_softmax(xpu_cc *cc, const char *name, uint64_t rows, uint64_t cols);

/* Row layernorm, op for op as xpu_cc_layernorm; with stats also the row
 * mean and 1/sqrt(var + eps). Arguments: x, gamma, beta, y[, mean, invstd]. */
xpu_status xcc_layernorm(xpu_cc *cc, const char *name, uint64_t rows, uint64_t cols, float eps,
			 int stats);

/*
 * Transposed im2col of an NCHW fp32 image for conv as W x col: col[b] is a
 * (C*KH*KW) x (OH*OW) matrix, row (c, kh, kw), column (oh, ow), zero where
 * the window hangs over the padding. Arguments: x, col.
 */
struct xcc_im2col {
	uint64_t N, C, H, W, KH, KW, OH, OW;
	uint64_t sh, sw, pt, pl;	/* strides, top/left pads */
	uint64_t dh, dw;		/* dilations (0 = 1) */
};
xpu_status xcc_im2col(xpu_cc *cc, const char *name, const struct xcc_im2col *d);

/* Pooling window over NCHW fp32: y[b][c][oh][ow] = max or sum of the window
 * (padding: -inf for max, 0 for sum). Arguments: x, y. */
struct xcc_pool {
	uint64_t NC, H, W, KH, KW, OH, OW, sh, sw, pt, pl;
	int max;
	uint64_t dh, dw;		/* dilations (0 = 1) */
};
xpu_status xcc_pool(xpu_cc *cc, const char *name, const struct xcc_pool *d);

/* Set a kernel's estimate to the sum of its units' busy cycles. */
struct kb;
void xcc_est_busy(struct kb *k);

/* The modeled cycles of kernel name (0 if it has no estimate). */
uint64_t xcc_cycles(xpu_cc *cc, const char *name);

#endif /* XPU_CC_GRAPH_H */
