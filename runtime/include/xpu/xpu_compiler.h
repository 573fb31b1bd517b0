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
/* The same for a device: its target, and its clock and HBM bandwidth for the
 * cost model (xpu_cc_create() assumes the engine's defaults, 1000 MHz and
 * 1600 GB/s). */
xpu_status xpu_cc_create_for_device(const struct xpu_device_props *props, xpu_cc **cc);
xpu_status xpu_cc_destroy(xpu_cc *cc);
/* The kernel binary of every kernel added so far (malloc'ed; free() it). */
xpu_status xpu_cc_emit(xpu_cc *cc, void **image, size_t *size);

/*
 * What a generated kernel will cost on the device, from the engine's own
 * timing functions (docs/runtime.md, "Cost model"). The busy cycles, bytes
 * and MACs are exact: they are what the device's counters (and
 * xpu_device_get_usage()) will add for one run with every buffer in device
 * memory (XPU_MEM_HOST buffers move at the slower host bandwidth) on a
 * device with the builder's timing (xpu_cc_create_for_device()). cycles is
 * the planner's estimate of the job's duration: the units overlap and the
 * engine's scoreboard decides the real value (measured: most shapes within
 * 1 %, all within 0.75x..1.14x). Only matmul and conv2d kernels have one.
 */
struct xpu_cc_estimate {
	uint32_t size;			/* [in] sizeof(struct xpu_cc_estimate) */
	uint32_t rsvd;
	uint64_t cycles;		/* [out] estimated job cycles */
	uint64_t dma_busy_cycles;	/* [out] exact per-unit busy cycles */
	uint64_t mxu_busy_cycles;
	uint64_t vpu_busy_cycles;
	uint64_t dma_bytes;		/* [out] bytes the DMA unit moves */
	uint64_t macs;			/* [out] multiply-accumulates */
	/* new fields are added here; older callers pass a smaller size */
};
#define XPU_CC_ESTIMATE_SIZE_V1	56	/* sizeof the first version */
/* NOT_FOUND: no such kernel; NOT_SUPPORTED: a kernel without an estimate. */
xpu_status xpu_cc_get_estimate(xpu_cc *cc, const char *name, struct xpu_cc_estimate *est);

/* Data types: enum xpu_dtype (XPU_DT_*) in uapi/xpu_dtype.h, via xpu.h. */

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
enum xpu_cc_binop {
	XPU_BIN_ADD, XPU_BIN_SUB, XPU_BIN_MUL, XPU_BIN_MAX, XPU_BIN_MIN,
	XPU_BIN_DIV,		/* F32 only (IEEE division) */
};
/* EXP .. RSQRT, TANH .. ERF, SQRT and GELU_ERF are F32 only (docs/isa.md) */
enum xpu_cc_unop {
	XPU_UN_RELU, XPU_UN_COPY, XPU_UN_EXP, XPU_UN_GELU, XPU_UN_RECIP, XPU_UN_RSQRT,
	XPU_UN_NEG,
	XPU_UN_TANH, XPU_UN_SIGMOID, XPU_UN_ERF, XPU_UN_SQRT, XPU_UN_ABS,
	XPU_UN_GELU_ERF,	/* x * 0.5 * (1 + erf(x / sqrt(2))) */
};
xpu_status xpu_cc_binary(xpu_cc *cc, const char *name, enum xpu_cc_binop op, uint32_t type,
			 uint64_t n);
xpu_status xpu_cc_unary(xpu_cc *cc, const char *name, enum xpu_cc_unop op, uint32_t type,
			uint64_t n);
/* c[i] = mask[i] != 0 ? a[i] : b[i] over n 32-bit elements (the mask is
 * tested as a 32-bit word). Arguments: mask, a, b, c. */
xpu_status xpu_cc_select(xpu_cc *cc, const char *name, uint64_t n);
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
