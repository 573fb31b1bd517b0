/* SPDX-License-Identifier: MIT */
/*
 * Kernel compiler internals: the kernel builder and code-emission helpers.
 *
 * Cost model: the compiler has no timing formulas of its own. Unit times
 * come from the engine's xpu_timing_*() (qemu-device/engine/timing.c, linked
 * into libxpu), evaluated on cc->tc, the engine configuration of the target.
 * A builder with k->tc set adds up, as it emits them, the busy cycles every
 * DMA, MATMUL and vector op will cost on the engine (exact for buffers in
 * HBM); the GEMM planner uses the same functions to rank tilings.
 */
#ifndef XPU_CC_INTERNAL_H
#define XPU_CC_INTERNAL_H

#include "internal.h"
#include "xpu/xpu_compiler.h"
#include "xpu_engine.h"

/* What a kernel will cost, per xpu_cc_estimate */
struct cc_est {
	int valid;			/* the generator accounted for every unit op */
	uint64_t cycles;		/* the planner's estimate of the whole job */
	uint64_t dma_busy, mxu_busy, vpu_busy, dma_bytes, macs;
};

struct xpu_cc {
	struct xpu_cc_target t;
	struct xpu_engine_config tc;	/* timing of the target (engine defaults + t) */
	struct xpu_image img;		/* kernels so far; text grows */
	struct cc_est *est;		/* per kernel of img */
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
	/* cost accounting, when tc is set (see the top of this file) */
	const struct xpu_engine_config *tc;
	uint64_t vrows, vcols;		/* the last kb_vcfg() */
	struct cc_est est;
};

#define KB_MAX_INSNS	(1u << 22)	/* 32 MiB of text: a tiling gone wrong */

/* Scratch registers of generated code: r3..r9 for addresses and sizes of
 * one DMA/MATMUL; r10.. the kernel's buffer arguments; r20.. constants. */
#define R_ARG0		10
#define R_T0		3
#define R_SCALE		20

void kb_init(struct kb *k);
/* Start accounting unit costs against cc's target (kernels with an estimate). */
void kb_account(struct kb *k, const xpu_cc *cc);
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
/* A kernel's start: kb_init, accounting against `account` (NULL: none),
 * the buffer arguments args[0..n) (each one's register to *reg unless reg
 * is NULL), loaded. KB_BEGIN(k, account, { "a", &ra }, { "b", &rb }) lists
 * them in place. */
struct kb_buf_arg {
	const char *name;
	uint32_t *reg;
};
void kb_begin(struct kb *k, const xpu_cc *account, const struct kb_buf_arg *args, uint32_t n);
#define KB_BEGIN(k, account, ...)							\
	kb_begin(k, account, (const struct kb_buf_arg[]){ __VA_ARGS__ },		\
		 sizeof((const struct kb_buf_arg[]){ __VA_ARGS__ }) / sizeof(struct kb_buf_arg))
/* A kernel of two arguments: "x" and yname (registers to *rx, *ry). */
void kb_begin_xy(struct kb *k, const xpu_cc *account, const char *yname, uint32_t *rx,
		 uint32_t *ry);
/* A DMA of rows x bytes from (sbase + soff) to (dbase + doff), strides in
 * bytes (ignored for one row). dir = XPU_DMA_* direction. */
void kb_dma(struct kb *k, uint32_t dir, uint32_t dbase, uint64_t doff, uint32_t sbase,
	    uint64_t soff, uint64_t rows, uint64_t bytes, uint64_t sstride, uint64_t dstride);
void kb_vcfg(struct kb *k, uint64_t rows, uint64_t cols);
/* MATMUL of an m x kk x n tile (after MCFG SHAPE) */
void kb_matmul(struct kb *k, uint32_t flags, uint32_t rc, uint32_t ra, uint32_t rb, uint64_t m,
	       uint64_t kk, uint64_t n);
/* Record SRAM use [0, end) of the scratchpad / accumulator. */
void kb_use(struct kb *k, uint64_t spad_end, uint64_t acc_end);
/* Tensor extents: record that buffer argument i (kb_arg order) touches
 * `bytes` from where it points (xpu_elf.h min_size); xpu_launch then fails
 * with a buffer (plus offset) smaller than that, naming the argument. Call
 * after the arguments are declared, before kb_finish. */
static inline void kb_extent(struct kb *k, uint32_t i, uint64_t bytes)
{
	if (i < k->nargs)
		k->args[i].min_size = bytes;
}

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

static inline uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Data types: the row of XPU_DTYPE_TABLE (uapi/xpu_dtype.h), NULL if invalid. */
static inline const struct xpu_dtype_desc *cc_dtype(uint32_t type)
{
	return xpu_dtype_desc(type);
}

/* ---- row kernels shared by the public and the model compiler (vector.c) ---- */
/* The kernel of a softmax of rows x cols fp32 (arguments x, y) in blocks of
 * rb rows, nslots slots; accounting against `account` unless NULL. */
void cc_softmax_rows(struct kb *k, const xpu_cc *account, uint64_t rows, uint64_t cols,
		     uint64_t rb, int nslots);
/* Layernorm: load gamma/beta to lg/lb and set r21..r24; then per block of r
 * rows (x at r3, temporary r4, means r9) the vector ops, variance in rv. */
void cc_layernorm_consts(struct kb *k, uint32_t rg, uint32_t rbeta, uint64_t lg, uint64_t lb,
			 uint64_t cols, float eps);
void cc_layernorm_ops(struct kb *k, uint64_t r, uint64_t cols, uint32_t rv);

/* ---- the tiled GEMM generator (matmul.c), shared with conv2d ---- */
struct gemm {
	uint64_t M, K, N;
	uint64_t esz;			/* input element bytes: 1 (int8) or 2 (bf16) */
	uint32_t mm_type;		/* XPU_MM_* of the input type */
	uint32_t acc_vt;		/* XPU_VT_* of the accumulator type */
	uint32_t out_type;		/* enum xpu_dtype */
	uint64_t osz, stage_osz;	/* output bytes; staged in the scratchpad if converted */
	uint32_t has_bias, act;
	float scale;
	int32_t zero_point;
	int full_k;			/* A tiles span all of K (conv) */
	uint64_t m_align;		/* M tiles are multiples of this (conv: output rows) */
	uint64_t a_extra;		/* extra scratchpad bytes per A row (conv) */
	/* emit the loads of an A tile (rows m0.. x cols k0..) to local address la */
	void (*load_a)(struct kb *k, const struct gemm *g, uint64_t m0, uint64_t mi, uint64_t k0,
		       uint64_t ki, uint64_t la, int slot);
	const void *ctx;		/* for load_a */
	/* batched GEMM (xcc_gemm, cc_graph.h): nbatch products (0 = 1), each at
	 * per-batch byte offsets of A, B and C (a NULL table: offset 0) */
	uint64_t nbatch;
	const uint64_t *a_boff, *b_boff, *c_boff, *bias_boff;
	uint64_t a_base, b_base, c_base, bias_base;	/* the current batch's (gemm_emit) */
	int bias_col;			/* bias per output row (M), else per column (N) */
	int epi_vun;			/* one more epilogue op: XPU_VUN_* + 1, 0 = none */
	uint32_t r_a, r_b, r_c, r_bias;	/* argument registers */
	/* plan */
	uint64_t mt, kt, nt;
	uint64_t a_la[2], b_la[2], bias_la[2], out_la[2], extra_la[2], c_la[2];
	uint64_t spad_end, acc_end;
	uint64_t est_cycles;
	/* the pipelined schedule of dense GEMMs (gemm_pipe.c) */
	int pipe;			/* emit with it (else the classic loop above) */
	int a_res;			/* A tiles stay resident across the N tiles */
	uint64_t a_chunk;		/* bytes between the K chunks of a resident A */
	uint64_t acc_off[2];		/* accumulator offsets of even / odd tiles */
	int acc_same;			/* one offset; tiles handed over by halves */
	int k_short_first;		/* the K remainder is the first step */
	uint64_t acc_top;		/* overlapping tiles: odd tiles end below this */
	int late_store;			/* a tile's store behind the next step's loads */
	int drain;			/* overlapping tiles: 0 = split the last step; 1 = split
					 * the next tile's first step (rows the previous tile
					 * does not cover first), stores by DMA; 2 = as 1, part
					 * of the rows the next tile covers copied out by the VPU */
};

/* Zero g and fill its types from the data-type table; -1 (error set) if the
 * matrix unit cannot do in_type -> out_type with act. */
int gemm_types(struct gemm *g, uint32_t in_type, uint32_t out_type, uint32_t act,
	       const char *name, const char *what);
/* Choose the tiling; the estimate of the chosen one goes to g->est_cycles. */
int gemm_plan(const xpu_cc *cc, struct gemm *g);
/* The engine's MATMUL cycles summed over the tiles of an (M, K, N) split
 * by (mt, kt, nt). */
uint64_t gemm_mxu_total(const struct xpu_engine_config *t, uint64_t M, uint64_t K, uint64_t N,
			uint64_t mt, uint64_t kt, uint64_t nt);

/* ---- the pipelined schedule of dense GEMMs (gemm_pipe.c) ---- */
/* For a dense A (A rows K elements apart): the pipelined schedule, chosen
 * by replaying each candidate on the documented timing model; -1 if none
 * fits. gemm_emit() then emits it (gemm_emit_pipe). */
int gemm_plan_pipe(const xpu_cc *cc, struct gemm *g);
void gemm_emit_pipe(struct kb *k, const struct gemm *g);
struct cc_tsim;
/* emission of a GEMM's unit ops, replayed on the timing model when s is set */
struct gemm_x {
	struct kb *k;
	struct cc_tsim *s;
	const struct xpu_engine_config *tc;	/* needed with s only */
	const struct gemm *g;
};
/* Bias, activation, conversion and store of rows [r0, r0 + pr) of an
 * accumulator tile of ni columns at local address c (output rows m0..,
 * columns n0.. of the output at byte offset cbase; the tile's bias at
 * local address bias, its converted copy staged at out). */
void gemm_epi_rows(struct gemm_x *x, uint64_t cbase, uint64_t c, uint64_t out, uint64_t bias,
		   uint64_t r0, uint64_t pr, uint64_t m0, uint64_t n0, uint64_t ni);
void gemm_emit(struct kb *k, const struct gemm *g);
/* The whole kernel of a planned GEMM: arguments args[0..2] (A, B, C; A's
 * register to *r_a), then "bias" if g->has_bias; estimate est_cycles. */
xpu_status gemm_build(xpu_cc *cc, const char *name, struct gemm *g, const char *const args[3],
		      uint32_t *r_a, uint64_t est_cycles);

/* ---- data-movement kernels (copy.c), used by the model compiler ---- */
#define CC_COPY_MAX_DIMS	8
#define CC_GATHER_FAULT_VA	0xbad0000000000000ull	/* + position of a bad index */
struct cc_copy_dim {
	uint64_t count;
	int64_t sstride, dstride;	/* bytes; negative or 0 allowed */
};
/* Drop 1-dims, fold contiguous inner dims into *bytes, merge progressions;
 * returns the new ndim, -1 if nothing is copied. */
int cc_copy_simplify(int ndim, struct cc_copy_dim *d, uint64_t *bytes);
/* Arguments src, dst: for every index tuple, bytes from src + sum(i*sstride)
 * to dst + sum(i*dstride). */
xpu_status cc_copy_strided(xpu_cc *cc, const char *name, int ndim, const struct cc_copy_dim *d,
			   uint64_t bytes);
/* Arguments src, dst: nblk 2-D DMAs of rows x bytes[b] at src + soff[b] / dst + doff[b]. */
xpu_status cc_copy_blocks(xpu_cc *cc, const char *name, uint32_t nblk, const uint64_t *soff,
			  const uint64_t *doff, const uint64_t *bytes, uint64_t rows, uint64_t sstride,
			  uint64_t dstride);
/* Arguments data, indices, out: out[o][j][:] = data[o][idx[j]][:] (blocks of
 * `block` bytes, o < outer, j < nidx); an index outside [-axis_len, axis_len)
 * faults the job at CC_GATHER_FAULT_VA + j. */
struct cc_gather {
	uint64_t nidx, outer, axis_len, block;
	uint32_t idx_type;		/* XPU_DT_I64 or XPU_DT_I32 */
};
xpu_status cc_gather(xpu_cc *cc, const char *name, const struct cc_gather *g);

#endif
