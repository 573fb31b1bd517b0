// SPDX-License-Identifier: MIT
/*
 * Kernel compiler: the builder (a growing xpu_image), code-emission helpers
 * shared by the operation generators, and ELF emission.
 */
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
		kb_emit(k, xpu_ld(XPU_MEM_W64, R_ARG0 + i, XPU_REG_ARGS_VA, (int32_t)(8 * i)));
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
}

void kb_vcfg(struct kb *k, uint64_t rows, uint64_t cols)
{
	kb_li(k, 5, rows);
	kb_li(k, 6, cols);
	kb_emit(k, xpu_vcfg(5, 6));
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
	cc->img.isa_version = XPU_ISA_VERSION;
	*out = cc;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_cc_destroy(xpu_cc *cc)
{
	if (!cc)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	xpu_image_free(&cc->img);
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
