// SPDX-License-Identifier: MIT
/*
 * Kernel compiler: the builder (a growing xpu_image), code-emission helpers
 * shared by the operation generators, and ELF emission.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_internal.h"

uint32_t f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

void kb_init(struct kb *k)
{
	memset(k, 0, sizeof(*k));
}

void kb_account(struct kb *k, const xpu_cc *cc)
{
	k->tc = &cc->tc;
	k->est.valid = 1;
}

static int is_vector_op(uint64_t insn)
{
	switch (XPU_INSN_OP(insn)) {
	case XPU_OP_VBIN: case XPU_OP_VUN: case XPU_OP_VRED: case XPU_OP_VCVT: case XPU_OP_VQNT:
		return 1;
	}
	return 0;
}

void kb_free(struct kb *k)
{
	free(k->w);
	k->w = NULL;
}

void kb_emit(struct kb *k, uint64_t insn)
{
	if (k->oom)
		return;
	if (k->n == k->cap) {
		uint32_t cap = k->cap ? 2 * k->cap : 256;
		uint64_t *w;

		if (cap > KB_MAX_INSNS) {
			k->oom = 1;
			return;
		}
		w = realloc(k->w, cap * sizeof(*w));
		if (!w) {
			k->oom = 1;
			return;
		}
		k->w = w;
		k->cap = cap;
	}
	k->w[k->n++] = insn;
	/* every vector op works on the vcfg shape (the engine's vpu.c) */
	if (k->tc && is_vector_op(insn))
		k->est.vpu_busy += xpu_timing_vector_cycles(k->tc, k->vrows * k->vcols);
}

void kb_li(struct kb *k, uint32_t rd, uint64_t v)
{
	if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) {
		kb_emit(k, xpu_li(rd, (int32_t)v));
	} else {
		kb_emit(k, xpu_liu(rd, (uint32_t)v));
		if (v >> 32)
			kb_emit(k, xpu_lih(rd, (uint32_t)(v >> 32)));
	}
}

void kb_addr(struct kb *k, uint32_t rd, uint32_t base, uint64_t off)
{
	if (!base) {
		kb_li(k, rd, off);
	} else if (off <= INT32_MAX) {
		kb_emit(k, xpu_addi(rd, base, (int32_t)off));
	} else {
		kb_li(k, rd, off);
		kb_emit(k, xpu_alu(XPU_ALU_ADD, rd, base, rd));
	}
}

uint32_t kb_arg(struct kb *k, const char *name, uint32_t type)
{
	uint32_t i = k->nargs++;

	strcpy(k->args[i].name, name);
	k->args[i].type = type;
	return R_ARG0 + i;
}

void kb_load_args(struct kb *k)
{
	for (uint32_t i = 0; i < k->nargs; i++)
		kb_emit(k, xpu_ld(XPU_MEM_W64, R_ARG0 + i, XPU_GPR_ARGS_VA, (int32_t)(8 * i)));
}

void kb_begin(struct kb *k, const xpu_cc *account, const struct kb_buf_arg *args, uint32_t n)
{
	kb_init(k);
	if (account)
		kb_account(k, account);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = kb_arg(k, args[i].name, XPU_ARG_BUFFER);

		if (args[i].reg)
			*args[i].reg = r;
	}
	kb_load_args(k);
}

void kb_begin_xy(struct kb *k, const xpu_cc *account, const char *yname, uint32_t *rx,
		 uint32_t *ry)
{
	KB_BEGIN(k, account, { "x", rx }, { yname, ry });
}

void kb_dma(struct kb *k, uint32_t dir, uint32_t dbase, uint64_t doff, uint32_t sbase,
	    uint64_t soff, uint64_t rows, uint64_t bytes, uint64_t sstride, uint64_t dstride)
{
	uint32_t f = dir;

	if (!rows || !bytes)
		return;
	if (rows > 1 && sstride == bytes && dstride == bytes) {
		bytes *= rows;	/* contiguous on both sides: one row */
		rows = 1;
	}
	if (rows > 1) {
		kb_li(k, 5, rows);
		kb_li(k, 6, sstride);
		kb_li(k, 7, dstride);
		kb_emit(k, xpu_dcfg(5, 6, 7));
		f |= XPU_DMA_2D;
	}
	kb_addr(k, 3, dbase, doff);
	kb_addr(k, 4, sbase, soff);
	kb_li(k, 8, bytes);
	kb_emit(k, xpu_dma(f, 3, 4, 8));
	if (k->tc) {	/* device buffers: HBM bandwidth */
		k->est.dma_busy += xpu_timing_dma_cycles(k->tc, rows * bytes, 0);
		k->est.dma_bytes += rows * bytes;
	}
}

void kb_vcfg(struct kb *k, uint64_t rows, uint64_t cols)
{
	kb_li(k, 5, rows);
	kb_li(k, 6, cols);
	kb_emit(k, xpu_vcfg(5, 6));
	k->vrows = rows;
	k->vcols = cols;
}

void kb_matmul(struct kb *k, uint32_t flags, uint32_t rc, uint32_t ra, uint32_t rb, uint64_t m,
	       uint64_t kk, uint64_t n)
{
	kb_emit(k, xpu_matmul(flags, rc, ra, rb));
	if (k->tc) {
		k->est.mxu_busy += xpu_timing_matmul_cycles(k->tc->rows, k->tc->cols, m, kk, n);
		k->est.macs += m * kk * n;
	}
}

void kb_use(struct kb *k, uint64_t spad_end, uint64_t acc_end)
{
	if (spad_end > k->spad_used)
		k->spad_used = (uint32_t)spad_end;
	if (acc_end > k->acc_used)
		k->acc_used = (uint32_t)acc_end;
}

xpu_status cc_check_name(xpu_cc *cc, const char *name)
{
	if (!cc || !name)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (!xpu_ident_valid(name))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "bad kernel name '%s' (letters, digits, _ and ., at most %d)",
				     name, XPU_META_NAME_MAX);
	for (uint32_t i = 0; i < cc->img.num_kernels; i++)
		if (!strcmp(cc->img.kernels[i].name, name))
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "kernel '%s' already exists",
					     name);
	return XPU_SUCCESS;
}

xpu_status kb_finish(xpu_cc *cc, struct kb *k, const char *name)
{
	struct xpu_image *img = &cc->img;
	struct xpu_image_kernel *ks, *nk;
	struct cc_est *est;
	uint64_t bytes;

	kb_emit(k, xpu_halt());
	if (k->oom) {
		kb_free(k);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
				     "kernel '%s': too much code (more than %u instructions)", name,
				     KB_MAX_INSNS);
	}
	if (k->spad_used > cc->t.spad_size || k->acc_used > cc->t.acc_size) {
		kb_free(k);
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "kernel '%s': internal tiling error "
				     "(SRAM %u/%u bytes)", name, k->spad_used, k->acc_used);
	}
	bytes = (uint64_t)k->n * 8;
	if (img->text_size + bytes > UINT32_MAX / 2) {
		kb_free(k);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "module text too large");
	}
	if (img->text_size + bytes > cc->text_cap) {
		uint32_t cap = (uint32_t)((img->text_size + bytes) * 2);
		uint8_t *t = realloc(img->text, cap);

		if (!t) {
			kb_free(k);
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
		}
		img->text = t;
		cc->text_cap = cap;
	}
	est = realloc(cc->est, (img->num_kernels + 1) * sizeof(*est));
	if (!est) {
		kb_free(k);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
	}
	cc->est = est;
	ks = realloc(img->kernels, (img->num_kernels + 1) * sizeof(*ks));
	if (!ks) {
		kb_free(k);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
	}
	img->kernels = ks;
	nk = &ks[img->num_kernels];
	memset(nk, 0, sizeof(*nk));
	nk->args = calloc(k->nargs ? k->nargs : 1, sizeof(*nk->args));
	if (!nk->args) {
		kb_free(k);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	}
	memcpy(nk->args, k->args, k->nargs * sizeof(*nk->args));
	nk->num_args = k->nargs;
	snprintf(nk->name, sizeof(nk->name), "%s", name);
	nk->text_offset = img->text_size;
	nk->text_size = (uint32_t)bytes;
	nk->spad_size = k->spad_used;
	nk->acc_size = k->acc_used;
	memcpy(img->text + img->text_size, k->w, bytes);
	img->text_size += (uint32_t)bytes;
	cc->est[img->num_kernels] = k->est;
	img->num_kernels++;
	kb_free(k);
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_cc_target_from_props(const struct xpu_device_props *p,
					       struct xpu_cc_target *t)
{
	if (!p || !t)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	t->rows = p->array_rows;
	t->cols = p->array_cols;
	t->spad_size = p->spad_size;
	t->acc_size = p->acc_size;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_cc_create(const struct xpu_cc_target *t, xpu_cc **out)
{
	xpu_cc *cc;

	if (!t || !out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (!t->rows || !t->cols || t->spad_size < 4096 || t->acc_size < 4096)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "target needs a non-empty array and at least 4 KiB of each SRAM");
	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	cc->t = *t;
	/* the engine's defaults for what a target does not describe (yet) */
	cc->tc.rows = t->rows;
	cc->tc.cols = t->cols;
	cc->tc.spad_bytes = t->spad_size;
	cc->tc.acc_bytes = t->acc_size;
	cc->tc.clock_mhz = XPU_ENG_DEF_CLOCK_MHZ;
	cc->tc.hbm_gbps = XPU_ENG_DEF_HBM_GBPS;
	cc->tc.dma_latency_cycles = XPU_ENG_DEF_DMA_LAT;
	cc->tc.host_gbps = XPU_ENG_DEF_HOST_GBPS;
	cc->img.isa_version = XPU_ISA_VERSION;
	*out = cc;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_cc_create_for_device(const struct xpu_device_props *props,
					       xpu_cc **out)
{
	struct xpu_cc_target t;
	xpu_status st;

	if (!props || !out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = xpu_cc_target_from_props(props, &t);
	if (!st)
		st = xpu_cc_create(&t, out);
	if (st)
		return st;
	/* the device's clock and bandwidth: DMA costs as its engine counts them */
	if (props->clock_mhz)
		(*out)->tc.clock_mhz = props->clock_mhz;
	if (props->hbm_gbps)
		(*out)->tc.hbm_gbps = props->hbm_gbps;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_cc_destroy(xpu_cc *cc)
{
	if (!cc)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	xpu_image_free(&cc->img);
	free(cc->est);
	free(cc);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_cc_emit(xpu_cc *cc, void **image, size_t *size)
{
	if (!cc || !image || !size)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (!cc->img.num_kernels)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "no kernels to emit");
	return xpu_ok(xpu_image_write(&cc->img, image, size));
}

static_assert(offsetof(struct xpu_cc_estimate, macs) + 8 == XPU_CC_ESTIMATE_SIZE_V1,
	      "the first version of xpu_cc_estimate is frozen");

XPU_EXPORT xpu_status xpu_cc_get_estimate(xpu_cc *cc, const char *name, struct xpu_cc_estimate *est)
{
	struct xpu_cc_estimate e = { 0 };
	const struct cc_est *ce = NULL;
	xpu_status st;

	if (!cc || !name || !est)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = xpu_check_size(est->size, XPU_CC_ESTIMATE_SIZE_V1, "struct xpu_cc_estimate");
	if (st)
		return st;
	for (uint32_t i = 0; i < cc->img.num_kernels; i++)
		if (!strcmp(cc->img.kernels[i].name, name))
			ce = &cc->est[i];
	if (!ce)
		return xpu_set_error(XPU_ERROR_NOT_FOUND, "no kernel '%s' in this builder", name);
	if (!ce->valid)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "kernel '%s': no cost estimate (matmul and conv2d kernels have one)",
				     name);
	e.size = est->size;
	e.cycles = ce->cycles;
	e.dma_busy_cycles = ce->dma_busy;
	e.mxu_busy_cycles = ce->mxu_busy;
	e.vpu_busy_cycles = ce->vpu_busy;
	e.dma_bytes = ce->dma_bytes;
	e.macs = ce->macs;
	xpu_copy_sized(est, est->size, &e, sizeof(e));
	return xpu_ok(XPU_SUCCESS);
}
