// SPDX-License-Identifier: MIT
/*
 * Emission: the lowered, planned graph -> one kernel binary with the
 * .xpu.graph and .xpu.const sections of runtime/include/xpu/xpu_elf.h.
 *
 * Tensor records: only storage roots. Every tensor a launch passes is
 * resolved through its alias chain to the tensor that owns the storage (the
 * argument's byte offset grows by the alias offset), so a Reshape costs
 * nothing at run time. Records are ordered: graph inputs (model order),
 * graph outputs (model order), then every other root in order of first use.
 * Location and offset come from pass_plan; inputs/outputs get their
 * io_index from the model's lists. .xpu.const is g->const_size bytes with
 * every constant root copied at its planned (64-aligned) offset; gaps are
 * zero. Launch records name their kernel by index into .xpu.meta (the
 * builder's kernel order) and their node by name. Everything is checked
 * here as the loader will check it (offsets, sizes, argument counts), so a
 * lowering or planning bug is a compile error naming the tensor or kernel,
 * not a file the runtime rejects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "../compiler/cc_internal.h"

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static uint32_t sb_str(struct sbuf *sb, const char *s)
{
	size_t len = strlen(s) + 1;
	uint32_t off = (uint32_t)sb->n;

	if (sb->oom)
		return 0;
	if (sb->n + len > sb->cap) {
		size_t cap = (sb->cap + len) * 2;
		char *p = realloc(sb->p, cap);

		if (!p) {
			sb->oom = 1;
			return 0;
		}
		sb->p = p;
		sb->cap = cap;
	}
	memcpy(sb->p + sb->n, s, len);
	sb->n += len;
	return off;
}

struct emit {
	struct xg_graph *g;
	struct xg_lowered *L;
	int *rec;			/* graph tensor -> record index, or -1 */
	int *roots;			/* record -> graph tensor */
	int nrec;
};

static void add_root(struct emit *E, int t)
{
	if (E->rec[t] >= 0)
		return;
	E->rec[t] = E->nrec;
	E->roots[E->nrec++] = t;
}

static xpu_status fill_tensor(struct emit *E, int t, struct xpu_graph_tensor *r, struct sbuf *sb,
			      uint8_t *consts)
{
	const struct xg_graph *g = E->g;
	const struct xg_tensor *x = &g->t[t];
	uint64_t size = xg_bytes(x);

	memset(r, 0, sizeof(*r));
	r->name = sb_str(sb, x->name ? x->name : "");
	r->dtype = x->dtype;
	if (x->ndim < 0 || x->ndim > XPU_GRAPH_MAX_DIMS || !xg_dtype_size(x->dtype))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: tensor '%s' has rank %d / "
				     "dtype %u", x->name, x->ndim, x->dtype);
	r->ndim = (uint32_t)x->ndim;
	for (int d = 0; d < x->ndim; d++)
		r->dims[d] = (uint64_t)x->dims[d];
	r->size = size;
	if (x->quantized) {
		r->scale = x->qscale;
		r->zero_point = x->qzero;
	}
	for (int i = 0; i < g->ninputs; i++)
		if (g->inputs[i] == t) {
			r->location = XPU_GRAPH_LOC_INPUT;
			r->io_index = (uint32_t)i;
			return XPU_SUCCESS;
		}
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == t) {
			r->location = XPU_GRAPH_LOC_OUTPUT;
			r->io_index = (uint32_t)i;
			return XPU_SUCCESS;
		}
	r->offset = x->offset;
	if (x->kind == XG_CONST) {
		r->location = XPU_GRAPH_LOC_CONST;
		if (x->location != XPU_GRAPH_LOC_CONST || !x->data)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: constant '%s' is not "
					     "planned in .xpu.const or has no data", x->name);
		if (x->offset % XG_ALIGN || x->offset > g->const_size ||
		    size > g->const_size - x->offset)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: constant '%s' at "
					     "[%llu, +%llu) outside the %llu constant bytes or not "
					     "64-aligned", x->name, (unsigned long long)x->offset,
					     (unsigned long long)size,
					     (unsigned long long)g->const_size);
		memcpy(consts + x->offset, x->data, size);
		return XPU_SUCCESS;
	}
	r->location = XPU_GRAPH_LOC_ARENA;
	if (x->location != XPU_GRAPH_LOC_ARENA)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: tensor '%s' has no arena "
				     "offset (location %u)", x->name, x->location);
	if (x->offset % XG_ALIGN || x->offset > g->arena_size || size > g->arena_size - x->offset)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: tensor '%s' at [%llu, +%llu) "
				     "outside the %llu-byte arena or not 64-aligned", x->name,
				     (unsigned long long)x->offset, (unsigned long long)size,
				     (unsigned long long)g->arena_size);
	return XPU_SUCCESS;
}

xpu_status xg_emit(struct xg_graph *g, struct xg_lowered *L, void **image, size_t *size)
{
	struct emit E = { g, L, NULL, NULL, 0 };
	struct xpu_graph_tensor *tr = NULL;
	struct xpu_graph_launch *lr = NULL;
	struct xpu_graph_arg *ar = NULL;
	struct xpu_graph_hdr h;
	struct sbuf sb = { 0 };
	struct xpu_image img;
	uint8_t *consts = NULL, *sec = NULL;
	uint64_t sec_size;
	xpu_status st = XPU_SUCCESS;

	if (!g || !L || !image || !size)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "xg_emit: NULL argument");
	if (g->const_size > (1ull << 40) || g->arena_size > (1ull << 40))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: %llu constant / %llu arena "
				     "bytes is absurd", (unsigned long long)g->const_size,
				     (unsigned long long)g->arena_size);
	if (!L->cc->img.num_kernels) {
		/* a graph that moves nothing still needs one kernel in the binary */
		char name[64];

		xg_kernel_name(L, -1, "nop", name);
		st = cc_copy_blocks(L->cc, name, 0, NULL, NULL, NULL, 0, 0, 0);
		if (st)
			return st;
	}
	E.rec = malloc((size_t)g->nt * sizeof(int) + 1);
	E.roots = malloc((size_t)g->nt * sizeof(int) + 1);
	consts = calloc(1, g->const_size ? g->const_size : 1);
	tr = calloc((size_t)g->nt + 1, sizeof(*tr));
	lr = calloc((size_t)L->nlaunches + 1, sizeof(*lr));
	ar = calloc((size_t)L->nargs + 1, sizeof(*ar));
	if (!E.rec || !E.roots || !consts || !tr || !lr || !ar) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "emit: out of memory");
		goto out;
	}
	for (int t = 0; t < g->nt; t++)
		E.rec[t] = -1;
	for (int i = 0; i < g->ninputs; i++)
		add_root(&E, g->inputs[i]);
	for (int i = 0; i < g->noutputs; i++) {
		int t = g->outputs[i];

		if (g->t[t].alias_of >= 0 || E.rec[t] >= 0) {
			st = xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "emit: graph output '%s' shares "
					   "storage with another tensor (an input, another output or "
					   "an alias)", g->t[t].name);
			goto out;
		}
		add_root(&E, t);
	}
	for (int i = 0; i < L->nargs; i++)
		if (L->args[i].kind == XPU_GRAPH_ARG_TENSOR)
			add_root(&E, xg_alias_root(g, (int)L->args[i].tensor, NULL));
	sb_str(&sb, "");
	for (int r = 0; r < E.nrec; r++) {
		st = fill_tensor(&E, E.roots[r], &tr[r], &sb, consts);
		if (st)
			goto out;
	}
	for (int i = 0; i < L->nlaunches; i++) {
		const struct xg_launch *l = &L->launches[i];
		const struct xpu_image *ki = &L->cc->img;
		uint32_t k;

		for (k = 0; k < ki->num_kernels; k++)
			if (!strcmp(ki->kernels[k].name, l->kernel))
				break;
		if (k == ki->num_kernels || ki->kernels[k].num_args != l->num_args) {
			st = xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: launch %d of node '%s': "
					   "no kernel '%s' with %u arguments", i,
					   l->node >= 0 ? g->n[l->node].name : "-", l->kernel,
					   l->num_args);
			goto out;
		}
		lr[i].kernel = k;
		lr[i].first_arg = l->first_arg;
		lr[i].num_args = l->num_args;
		lr[i].node = sb_str(&sb, l->node >= 0 && l->node < g->nn ? g->n[l->node].name :
				    "(graph outputs)");
		for (uint32_t a = 0; a < l->num_args; a++) {
			const struct xpu_graph_arg *src = &L->args[l->first_arg + a];
			struct xpu_graph_arg *dst = &ar[l->first_arg + a];

			*dst = *src;
			if (src->kind == XPU_GRAPH_ARG_TENSOR) {
				uint64_t off;
				int root = xg_alias_root(g, (int)src->tensor, &off);

				dst->tensor = (uint32_t)E.rec[root];
				dst->value = src->value + off;
				if (dst->value > tr[dst->tensor].size) {
					st = xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: kernel "
							   "'%s' argument %u: offset %llu past tensor "
							   "'%s'", l->kernel, a,
							   (unsigned long long)dst->value,
							   g->t[root].name);
					goto out;
				}
				if (ki->kernels[k].args[a].type != XPU_ARG_BUFFER) {
					st = xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "emit: kernel "
							   "'%s' argument %u is not a buffer", l->kernel,
							   a);
					goto out;
				}
			} else {
				dst->tensor = 0;
			}
		}
	}
	memset(&h, 0, sizeof(h));
	h.name = sb_str(&sb, g->name ? g->name : "");
	if (sb.oom) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "emit: out of memory");
		goto out;
	}
	h.magic = XPU_GRAPH_MAGIC;
	h.version = XPU_GRAPH_VERSION;
	h.hdr_size = sizeof(h);
	h.tensor_size = sizeof(*tr);
	h.launch_size = sizeof(*lr);
	h.arg_size = sizeof(*ar);
	h.num_tensors = (uint32_t)E.nrec;
	h.num_inputs = (uint32_t)g->ninputs;
	h.num_outputs = (uint32_t)g->noutputs;
	h.num_launches = (uint32_t)L->nlaunches;
	h.num_args = (uint32_t)L->nargs;
	h.strtab_size = (uint32_t)sb.n;
	h.flags = L->precision & XPU_GRAPH_F_PREC_MASK;
	h.const_size = g->const_size;
	h.arena_size = g->arena_size;
	h.modeled_cycles = L->modeled_cycles;
	sec_size = sizeof(h) + (uint64_t)E.nrec * sizeof(*tr) + (uint64_t)L->nlaunches * sizeof(*lr) +
		   (uint64_t)L->nargs * sizeof(*ar) + sb.n;
	sec = malloc(sec_size);
	if (!sec) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "emit: out of memory");
		goto out;
	}
	{
		uint8_t *p = sec;

		memcpy(p, &h, sizeof(h));
		p += sizeof(h);
		memcpy(p, tr, (size_t)E.nrec * sizeof(*tr));
		p += (size_t)E.nrec * sizeof(*tr);
		memcpy(p, lr, (size_t)L->nlaunches * sizeof(*lr));
		p += (size_t)L->nlaunches * sizeof(*lr);
		memcpy(p, ar, (size_t)L->nargs * sizeof(*ar));
		p += (size_t)L->nargs * sizeof(*ar);
		memcpy(p, sb.p, sb.n);
	}
	img = L->cc->img;		/* shallow: the builder keeps its kernels */
	img.graph = sec;
	img.graph_size = sec_size;
	img.consts = consts;
	img.const_size = g->const_size;
	st = xpu_image_write(&img, image, size);
out:
	free(E.rec);
	free(E.roots);
	free(consts);
	free(tr);
	free(lr);
	free(ar);
	free(sec);
	free(sb.p);
	return st;
}
