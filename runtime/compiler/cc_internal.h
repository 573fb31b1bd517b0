/* SPDX-License-Identifier: MIT */
/* Kernel compiler internals: the kernel builder and code-emission helpers. */
#ifndef XPU_CC_INTERNAL_H
#define XPU_CC_INTERNAL_H

#include "internal.h"
#include "xpu/xpu_compiler.h"

struct xpu_cc {
	struct xpu_cc_target t;
	struct xpu_image img;		/* kernels so far; text grows */
	uint32_t text_cap;
};

/* One kernel under construction. */
struct kb {
	uint64_t *w;
	uint32_t n, cap;
	int oom;
	uint32_t spad_used, acc_used;	/* high-water marks, bytes */
	struct xpu_image_arg args[8];
	uint32_t nargs;
};

#define KB_MAX_INSNS	(1u << 22)	/* 32 MiB of text: a tiling gone wrong */

/* Scratch registers of generated code: r3..r9 for addresses and sizes of
 * one DMA/MATMUL; r10.. the kernel's buffer arguments; r20.. constants. */
#define R_ARG0		10
#define R_T0		3
#define R_SCALE		20

void kb_init(struct kb *k);
void kb_free(struct kb *k);
void kb_emit(struct kb *k, uint64_t insn);
/* rd = value, with the fewest instructions */
void kb_li(struct kb *k, uint32_t rd, uint64_t value);
/* rd = base + off (base 0: the absolute value off) */
void kb_addr(struct kb *k, uint32_t rd, uint32_t base, uint64_t off);
/* Declare a buffer argument; loads it into r10 + index at the start. */
uint32_t kb_arg(struct kb *k, const char *name, uint32_t type);
/* Load all declared arguments (emit right after the declarations). */
void kb_load_args(struct kb *k);
/* A DMA of rows x bytes from (sbase + soff) to (dbase + doff), strides in
 * bytes (ignored for one row). dir = XPU_DMA_* direction. */
void kb_dma(struct kb *k, uint32_t dir, uint32_t dbase, uint64_t doff, uint32_t sbase,
	    uint64_t soff, uint64_t rows, uint64_t bytes, uint64_t sstride, uint64_t dstride);
void kb_vcfg(struct kb *k, uint64_t rows, uint64_t cols);
/* Record SRAM use [0, end) of the scratchpad / accumulator. */
void kb_use(struct kb *k, uint64_t spad_end, uint64_t acc_end);
/* Append the finished kernel to the builder. */
xpu_status kb_finish(xpu_cc *cc, struct kb *k, const char *name);
xpu_status cc_check_name(xpu_cc *cc, const char *name);
uint32_t f32_bits(float f);

static inline uint64_t cdiv(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static inline uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

#endif

/* ---- the tiled GEMM generator (matmul.c), shared with conv2d ---- */
struct gemm {
	uint64_t M, K, N;
	uint64_t esz;			/* input element bytes: 1 (int8) or 2 (bf16) */
	int acc_f32;			/* bf16 -> fp32 accumulate, else int32 */
	uint32_t out_type;		/* enum xpu_dtype */
	uint64_t osz, stage_osz;	/* output bytes; staged in the scratchpad if converted */
	uint32_t has_bias, act;
	float scale;
	int32_t zero_point;
	int full_k;			/* A tiles span all of K (conv) */
	uint64_t m_align;		/* M tiles are multiples of this (conv: output rows) */
	uint64_t a_extra;		/* extra scratchpad bytes per A row (conv) */
	uint64_t a_dma_ops;		/* DMAs per A tile, for the cost model */
	/* emit the loads of an A tile (rows m0.. x cols k0..) to local address la */
	void (*load_a)(struct kb *k, const struct gemm *g, uint64_t m0, uint64_t mi, uint64_t k0,
		       uint64_t ki, uint64_t la, int slot);
	const void *ctx;		/* for load_a */
	uint32_t r_a, r_b, r_c, r_bias;	/* argument registers */
	/* plan */
	uint64_t mt, kt, nt;
	uint64_t a_la[2], b_la[2], bias_la[2], out_la[2], extra_la[2], c_la[2];
	uint64_t spad_end, acc_end;
};

int gemm_plan(const struct xpu_cc_target *t, struct gemm *g);
void gemm_emit(struct kb *k, const struct gemm *g);
