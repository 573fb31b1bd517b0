/* SPDX-License-Identifier: MIT */
/*
 * libxpu kernel compiler: generates XPU kernels for an operation with fixed
 * shapes and data types, tiled to the target's systolic array and SRAM sizes
 * (take them from xpu_device_get_props()). A builder collects kernels and
 * emits one kernel binary (ELF) for xpu_module_load().
 *
 * Tensors are dense row-major in device buffers; every kernel takes its
 * tensors as buffer arguments in the order documented per operation, and
 * handles any shape (edges that do not divide the array or the tiles).
 * docs/runtime.md describes the generated code and the CLI (xpu-cc).
 */
#ifndef XPU_XPU_COMPILER_H
#define XPU_XPU_COMPILER_H

#include <stdint.h>
#include "xpu/xpu.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xpu_cc_target {
	uint32_t rows, cols;		/* systolic array */
	uint32_t spad_size, acc_size;	/* bytes per tile */
};

/* The target of a device. */
xpu_status xpu_cc_target_from_props(const struct xpu_device_props *props,
				    struct xpu_cc_target *target);

typedef struct xpu_cc xpu_cc;

xpu_status xpu_cc_create(const struct xpu_cc_target *target, xpu_cc **cc);
xpu_status xpu_cc_destroy(xpu_cc *cc);
/* The kernel binary of every kernel added so far (malloc'ed; free() it). */
xpu_status xpu_cc_emit(xpu_cc *cc, void **image, size_t *size);

enum xpu_dtype {
	XPU_DT_I8 = 1,
	XPU_DT_I32 = 2,
	XPU_DT_F32 = 3,
	XPU_DT_BF16 = 4,
};

enum xpu_act {
	XPU_ACT_NONE = 0,
	XPU_ACT_RELU = 1,
	XPU_ACT_GELU = 2,		/* tanh form; fp32 outputs only */
};

/*
 * C[m][n] = out(act(sum_k A[m][k] * B[k][n] + bias[n])).
 *   in_type I8:   A, B int8, accumulate int32 (wrapping); out_type I32 (raw)
 *                 or I8 (requantised: sat(rne(x * scale) + zero_point)); bias
 *                 int32; act RELU only.
 *   in_type BF16: A, B bf16, accumulate fp32 (k ascending, as the ISA); out
 *                 F32 or BF16 (RNE); bias fp32; act RELU or GELU.
 * Arguments: a, b, c buffers, then bias (buffer) when has_bias.
 */
struct xpu_cc_matmul {
	uint32_t m, k, n;
	uint32_t in_type, out_type;	/* enum xpu_dtype */
	uint32_t has_bias;
	uint32_t act;			/* enum xpu_act */
	float scale;			/* out_type I8 */
	int32_t zero_point;
};
xpu_status xpu_cc_matmul(xpu_cc *cc, const char *name, const struct xpu_cc_matmul *desc);

/* Elementwise: y[i] = op(x[i]) / c[i] = a[i] op b[i], n elements of type
 * (I32 or F32). Binary arguments: a, b, c. Unary: x, y. */
enum xpu_cc_binop { XPU_BIN_ADD, XPU_BIN_SUB, XPU_BIN_MUL, XPU_BIN_MAX, XPU_BIN_MIN };
enum xpu_cc_unop {
	XPU_UN_RELU, XPU_UN_COPY, XPU_UN_EXP, XPU_UN_GELU, XPU_UN_RECIP, XPU_UN_RSQRT,
	XPU_UN_NEG,
};
xpu_status xpu_cc_binary(xpu_cc *cc, const char *name, enum xpu_cc_binop op, uint32_t type,
			 uint64_t n);
xpu_status xpu_cc_unary(xpu_cc *cc, const char *name, enum xpu_cc_unop op, uint32_t type,
			uint64_t n);
/* y (int8) = sat(rne(x * scale) + zero_point), x I32 or F32. Arguments x, y. */
xpu_status xpu_cc_requant(xpu_cc *cc, const char *name, uint32_t in_type, uint64_t n,
			  float scale, int32_t zero_point);
/* Row softmax of a rows x cols fp32 matrix. Arguments x, y. */
xpu_status xpu_cc_softmax(xpu_cc *cc, const char *name, uint32_t rows, uint32_t cols);
/* Row layernorm (fp32): y = (x - mean) * rsqrt(var + eps) * gamma + beta.
 * Arguments x, gamma, beta (cols each), y. */
xpu_status xpu_cc_layernorm(xpu_cc *cc, const char *name, uint32_t rows, uint32_t cols,
			    float eps);

/*
 * 2-D convolution, int8 NHWC input [batch][h][w][cin], weights
 * [kh][kw][cin][cout] (im2col order: a (kh*kw*cin) x cout matrix), output
 * [batch][oh][ow][cout] with oh = (h + 2*pad - kh) / stride + 1. Zero
 * padding. im2col on the device (2-D DMAs into the scratchpad), then the
 * int8 matmul path: bias int32, act RELU, out I32 or I8 (requantised).
 * Arguments: x, w, y, then bias when has_bias.
 */
struct xpu_cc_conv2d {
	uint32_t batch, h, w, cin, cout, kh, kw, stride, pad;
	uint32_t out_type;		/* XPU_DT_I32 or XPU_DT_I8 */
	uint32_t has_bias, act;
	float scale;
	int32_t zero_point;
};
xpu_status xpu_cc_conv2d(xpu_cc *cc, const char *name, const struct xpu_cc_conv2d *desc);

#ifdef __cplusplus
}
#endif

#endif /* XPU_XPU_COMPILER_H */
