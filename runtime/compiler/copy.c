// SPDX-License-Identifier: MIT
/*
 * Kernel compiler: data-movement kernels (the model compiler's Reshape copies,
 * Transpose, Slice, Concat, Split, Expand, Gather). Everything is VA->VA DMA:
 * no scratchpad, no vector unit.
 *
 * cc_copy_strided: a copy described as nested dimensions (count, source and
 * destination byte strides; strides may be negative or 0: the DMA unit's
 * addresses wrap mod 2^64) of contiguous blocks of `bytes`. The description
 * is simplified first (dimensions of 1 dropped, contiguous innermost
 * dimensions folded into the block, adjacent dimensions that are one
 * arithmetic progression on both sides merged). The largest remaining
 * dimension becomes the rows of a 2-D DMA (element-wise rows when a
 * transpose moves the innermost axis: bytes = the element size); the others
 * are a scalar loop (an odometer over the outer dimensions), unrolled when it
 * runs at most CC_COPY_UNROLL times.
 *
 * cc_copy_blocks: a fixed list of 2-D DMAs (Gather with constant indices;
 * runs of consecutive indices are one block).
 *
 * cc_gather: Gather with run-time indices (int64 or int32): a scalar loop
 * that loads each index (LD), adds the axis length to a negative one, and
 * bounds-checks it; an index outside [-axis_len, axis_len) faults the job
 * on purpose with a load from CC_GATHER_FAULT_VA + its position (an MMU
 * fault: ONNX says out-of-range indices are an error, so the run fails
 * rather than reading out of bounds or clamping). Each good index moves its
 * slice with one 2-D DMA (rows = the product of the dimensions before the
 * axis).
 *
 * Cost: every DMA is accounted with the engine's xpu_timing_dma_cycles()
 * (HBM bandwidth); the estimate of the kernel is the sum (DMAs run in
 * order on the one DMA unit).
 */
#include <string.h>

#include "cc_internal.h"

#define R_SRC		10	/* argument registers (kb_arg order) */
#define R_DST		11
#define R_SCUR		12	/* loop cursors */
#define R_DCUR		13
#define R_CNT0		14	/* counters r14..r20, outermost first */
#define R_TMP		21
#define CC_COPY_UNROLL	16

int cc_copy_simplify(int ndim, struct cc_copy_dim *d, uint64_t *bytes)
{
	int n = 0, changed = 1;

	for (int i = 0; i < ndim; i++) {
		if (!d[i].count)
			return -1;	/* nothing to copy */
		if (d[i].count > 1)
			d[n++] = d[i];
	}
	if (!*bytes)
		return -1;
	while (changed) {
		changed = 0;
		if (n && d[n - 1].sstride == (int64_t)*bytes && d[n - 1].dstride == (int64_t)*bytes) {
			*bytes *= d[n - 1].count;
			n--;
			changed = 1;
			continue;
		}
		for (int i = 0; i + 1 < n; i++) {
			int64_t c = (int64_t)d[i + 1].count;

			if (d[i].sstride == d[i + 1].sstride * c && d[i].dstride == d[i + 1].dstride * c) {
				d[i + 1].count *= d[i].count;
				memmove(&d[i], &d[i + 1], (n - i - 1) * sizeof(*d));
				n--;
				changed = 1;
				break;
			}
		}
	}
	return n;
}

/* The bytes above the base a side of a strided copy reaches: the block
 * plus, per dimension, the positive stride times (count - 1) (a negative
 * stride reaches below the base, which the launch cannot check). */
static uint64_t strided_extent(int ndim, const struct cc_copy_dim *d, uint64_t bytes, int dst)
{
	uint64_t e = bytes;

	for (int i = 0; i < ndim; i++) {
		int64_t s = dst ? d[i].dstride : d[i].sstride;

		if (!d[i].count)
			return 0;
		if (s > 0)
			e += (d[i].count - 1) * (uint64_t)s;
	}
	return e;
}

/* rd = rs + v (64-bit wrap) */
static void add_imm(struct kb *k, uint32_t rd, uint32_t rs, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX) {
		if (v || rd != rs)
			kb_emit(k, xpu_addi(rd, rs, (int32_t)v));
	} else {
		kb_li(k, R_TMP, (uint64_t)v);
		kb_emit(k, xpu_alu(XPU_ALU_ADD, rd, rs, R_TMP));
	}
}

static void account_dmas(struct kb *k, uint64_t n, uint64_t bytes)
{
	if (!k->tc || !n)
		return;
	k->est.dma_busy += n * xpu_timing_dma_cycles(k->tc, bytes, 0);
	k->est.dma_bytes += n * bytes;
	k->est.cycles = k->est.dma_busy;
}

/* DCFG for rows x (sstride, dstride); returns the DMA flags */
static uint32_t dma_setup(struct kb *k, uint64_t rows, int64_t ss, int64_t ds, uint64_t bytes)
{
	uint32_t f = XPU_DMA_VA_TO_VA;

	if (rows > 1) {
		kb_li(k, 5, rows);
		kb_li(k, 6, (uint64_t)ss);
		kb_li(k, 7, (uint64_t)ds);
		kb_emit(k, xpu_dcfg(5, 6, 7));
		f |= XPU_DMA_2D;
	}
	kb_li(k, 8, bytes);
	return f;
}

xpu_status cc_copy_strided(xpu_cc *cc, const char *name, int ndim, const struct cc_copy_dim *dims,
			   uint64_t bytes)
{
	xpu_status st = cc_check_name(cc, name);
	struct cc_copy_dim d[CC_COPY_MAX_DIMS], o[CC_COPY_MAX_DIMS];
	uint64_t iters = 1, rows = 1;
	int64_t ss = 0, ds = 0;
	int n, r = -1, no = 0;
	uint32_t f;
	struct kb k;

	if (st)
		return st;
	if (ndim < 0 || ndim > CC_COPY_MAX_DIMS)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "'%s': %d copy dimensions, at most %d",
				     name, ndim, CC_COPY_MAX_DIMS);
	memcpy(d, dims, ndim * sizeof(*d));
	KB_BEGIN(&k, cc, { "src", NULL }, { "dst", NULL });	/* r10, r11 */
	if (bytes) {
		kb_extent(&k, 0, strided_extent(ndim, d, bytes, 0));
		kb_extent(&k, 1, strided_extent(ndim, d, bytes, 1));
	}
	n = cc_copy_simplify(ndim, d, &bytes);
	if (n < 0)
		return xpu_ok(kb_finish(cc, &k, name));		/* empty */
	for (int i = 0; i < n; i++)
		if (r < 0 || d[i].count > d[r].count)
			r = i;
	if (r >= 0) {
		rows = d[r].count;
		ss = d[r].sstride;
		ds = d[r].dstride;
	}
	for (int i = 0; i < n; i++) {
		if (i == r)
			continue;
		o[no++] = d[i];
		iters *= d[i].count;
	}
	f = dma_setup(&k, rows, ss, ds, bytes);
	account_dmas(&k, iters, rows * bytes);
	if (iters <= CC_COPY_UNROLL) {
		for (uint64_t it = 0; it < iters; it++) {
			int64_t so = 0, dof = 0;
			uint64_t rem = it;

			for (int i = no - 1; i >= 0; i--) {
				uint64_t idx = rem % o[i].count;

				rem /= o[i].count;
				so += (int64_t)idx * o[i].sstride;
				dof += (int64_t)idx * o[i].dstride;
			}
			add_imm(&k, 4, R_SRC, so);
			add_imm(&k, 3, R_DST, dof);
			kb_emit(&k, xpu_dma(f, 3, 4, 8));
		}
	} else {
		uint32_t top;

		kb_emit(&k, xpu_addi(R_SCUR, R_SRC, 0));
		kb_emit(&k, xpu_addi(R_DCUR, R_DST, 0));
		for (int i = 0; i < no; i++)
			kb_li(&k, R_CNT0 + i, o[i].count);
		top = k.n;
		kb_emit(&k, xpu_dma(f, R_DCUR, R_SCUR, 8));
		for (int i = no - 1; i >= 0; i--) {
			add_imm(&k, R_SCUR, R_SCUR, o[i].sstride);
			add_imm(&k, R_DCUR, R_DCUR, o[i].dstride);
			kb_emit(&k, xpu_addi(R_CNT0 + i, R_CNT0 + i, -1));
			kb_emit(&k, xpu_br(XPU_BR_NE, R_CNT0 + i, 0, (int32_t)top - (int32_t)k.n));
			if (i) {	/* level i done: rewind it, step the next outer one */
				kb_li(&k, R_CNT0 + i, o[i].count);
				add_imm(&k, R_SCUR, R_SCUR, -(int64_t)o[i].count * o[i].sstride);
				add_imm(&k, R_DCUR, R_DCUR, -(int64_t)o[i].count * o[i].dstride);
			}
		}
	}
	return xpu_ok(kb_finish(cc, &k, name));
}

xpu_status cc_copy_blocks(xpu_cc *cc, const char *name, uint32_t nblk, const uint64_t *soff,
			  const uint64_t *doff, const uint64_t *bytes, uint64_t rows, uint64_t sstride,
			  uint64_t dstride)
{
	xpu_status st = cc_check_name(cc, name);
	uint64_t last = 0;
	uint32_t f;
	struct kb k;

	if (st)
		return st;
	KB_BEGIN(&k, cc, { "src", NULL }, { "dst", NULL });	/* r10, r11 */
	for (uint32_t b = 0; rows && b < nblk; b++) {
		if (!bytes[b])
			continue;
		k.args[0].min_size = max64(k.args[0].min_size,
					   soff[b] + (rows - 1) * sstride + bytes[b]);
		k.args[1].min_size = max64(k.args[1].min_size,
					   doff[b] + (rows - 1) * dstride + bytes[b]);
	}
	if (nblk && rows) {
		f = dma_setup(&k, rows, (int64_t)sstride, (int64_t)dstride, bytes[0]);
		last = bytes[0];
		for (uint32_t b = 0; b < nblk; b++) {
			if (!bytes[b])
				continue;
			if (bytes[b] != last)
				kb_li(&k, 8, bytes[b]);
			last = bytes[b];
			account_dmas(&k, 1, rows * bytes[b]);
			kb_addr(&k, 4, R_SRC, soff[b]);
			kb_addr(&k, 3, R_DST, doff[b]);
			kb_emit(&k, xpu_dma(f, 3, 4, 8));
		}
	}
	return xpu_ok(kb_finish(cc, &k, name));
}

xpu_status cc_gather(xpu_cc *cc, const char *name, const struct cc_gather *g)
{
	xpu_status st = cc_check_name(cc, name);
	uint32_t f, top, br_neg, br_ok, isz;
	struct kb k;

	if (st)
		return st;
	if (g->idx_type != XPU_DT_I64 && g->idx_type != XPU_DT_I32)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "'%s': indices must be int64 or int32",
				     name);
	if (g->axis_len > INT64_MAX / (g->block ? g->block : 1))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "'%s': gather too large", name);
	isz = (uint32_t)xpu_dtype_size(g->idx_type);	/* the one dtype table */
	KB_BEGIN(&k, cc, { "data", NULL }, { "indices", NULL }, { "out", NULL });	/* r10..r12 */
	if (!g->nidx || !g->outer || !g->block)
		return xpu_ok(kb_finish(cc, &k, name));
	kb_extent(&k, 0, g->outer * g->axis_len * g->block);
	kb_extent(&k, 1, g->nidx * isz);
	kb_extent(&k, 2, g->outer * g->nidx * g->block);
	f = dma_setup(&k, g->outer, (int64_t)(g->axis_len * g->block),
		      (int64_t)(g->nidx * g->block), g->block);
	account_dmas(&k, g->nidx, g->outer * g->block);
	kb_emit(&k, xpu_addi(13, 11, 0));		/* index cursor */
	kb_emit(&k, xpu_addi(14, 12, 0));		/* output cursor */
	kb_li(&k, 15, g->nidx);				/* indices left */
	kb_li(&k, 16, g->axis_len);
	kb_li(&k, 17, g->block);
	kb_li(&k, 18, 0);				/* position */
	top = k.n;
	if (isz == 8) {
		kb_emit(&k, xpu_ld(XPU_MEM_W64, 19, 13, 0));
	} else {
		kb_emit(&k, xpu_ld(XPU_MEM_W32, 19, 13, 0));
		kb_emit(&k, xpu_alui(XPU_ALU_SHL, 19, 19, 32));
		kb_emit(&k, xpu_alui(XPU_ALU_SRA, 19, 19, 32));
	}
	br_neg = k.n;
	kb_emit(&k, 0);					/* patched: idx >= 0 -> skip the add */
	kb_emit(&k, xpu_alu(XPU_ALU_ADD, 19, 19, 16));
	if (!k.oom)
		k.w[br_neg] = xpu_br(XPU_BR_GE, 19, 0, (int32_t)(k.n - br_neg));
	br_ok = k.n;
	kb_emit(&k, 0);					/* patched: idx <u axis_len -> ok */
	kb_li(&k, 20, CC_GATHER_FAULT_VA);
	kb_emit(&k, xpu_alu(XPU_ALU_ADD, 20, 20, 18));
	kb_emit(&k, xpu_ld(XPU_MEM_W64, 20, 20, 0));	/* faults: index out of range */
	if (!k.oom)
		k.w[br_ok] = xpu_br(XPU_BR_LTU, 19, 16, (int32_t)(k.n - br_ok));
	kb_emit(&k, xpu_alu(XPU_ALU_MUL, 19, 19, 17));
	kb_emit(&k, xpu_alu(XPU_ALU_ADD, 19, 19, 10));
	kb_emit(&k, xpu_dma(f, 14, 19, 8));
	kb_emit(&k, xpu_addi(13, 13, (int32_t)isz));
	kb_emit(&k, xpu_alu(XPU_ALU_ADD, 14, 14, 17));
	kb_emit(&k, xpu_addi(18, 18, 1));
	kb_emit(&k, xpu_addi(15, 15, -1));
	kb_emit(&k, xpu_br(XPU_BR_NE, 15, 0, (int32_t)top - (int32_t)k.n));
	return xpu_ok(kb_finish(cc, &k, name));
}
