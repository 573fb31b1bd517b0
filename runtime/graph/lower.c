// SPDX-License-Identifier: MIT
/*
 * Lowering driver: walks the live nodes in order and hands each to the math
 * lowering (lower_math.c) or the data-movement lowering (lower_data.c) by a
 * table; an op in neither is NOT_SUPPORTED naming the node. Also the helpers
 * both use (kernel names, launches, arguments, temps, constants, aliases),
 * the copies of graph outputs no node writes (constants, inputs passed
 * through), and the model's cycle estimate (the sum over launches of the
 * compiler's per-kernel estimates, where a kernel has one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "../compiler/cc_internal.h"

enum { LOW_NONE, LOW_MATH, LOW_DATA };

static const unsigned char low_table[XG_OP_COUNT] = {
	[XG_OP_MatMul] = LOW_MATH, [XG_OP_Gemm] = LOW_MATH, [XG_OP_FusedMatMul] = LOW_MATH,
	[XG_OP_Conv] = LOW_MATH, [XG_OP_Add] = LOW_MATH, [XG_OP_Sub] = LOW_MATH,
	[XG_OP_Mul] = LOW_MATH, [XG_OP_Div] = LOW_MATH, [XG_OP_Pow] = LOW_MATH,
	[XG_OP_Sqrt] = LOW_MATH, [XG_OP_Relu] = LOW_MATH, [XG_OP_Sigmoid] = LOW_MATH,
	[XG_OP_Tanh] = LOW_MATH, [XG_OP_Erf] = LOW_MATH, [XG_OP_Gelu] = LOW_MATH,
	[XG_OP_Neg] = LOW_MATH, [XG_OP_Abs] = LOW_MATH, [XG_OP_Exp] = LOW_MATH,
	[XG_OP_Max] = LOW_MATH, [XG_OP_Min] = LOW_MATH, [XG_OP_Softmax] = LOW_MATH,
	[XG_OP_LayerNormalization] = LOW_MATH, [XG_OP_FusedLayerNorm] = LOW_MATH,
	[XG_OP_ReduceMean] = LOW_MATH, [XG_OP_ReduceSum] = LOW_MATH, [XG_OP_ReduceMax] = LOW_MATH,
	[XG_OP_MaxPool] = LOW_MATH, [XG_OP_AveragePool] = LOW_MATH,
	[XG_OP_GlobalAveragePool] = LOW_MATH, [XG_OP_Where] = LOW_MATH, [XG_OP_Cast] = LOW_MATH,
	[XG_OP_QuantizeLinear] = LOW_MATH, [XG_OP_DequantizeLinear] = LOW_MATH,
	[XG_OP_Equal] = LOW_MATH,
	[XG_OP_Reshape] = LOW_DATA, [XG_OP_Flatten] = LOW_DATA, [XG_OP_Squeeze] = LOW_DATA,
	[XG_OP_Unsqueeze] = LOW_DATA, [XG_OP_Identity] = LOW_DATA, [XG_OP_Transpose] = LOW_DATA,
	[XG_OP_Concat] = LOW_DATA, [XG_OP_Slice] = LOW_DATA, [XG_OP_Split] = LOW_DATA,
	[XG_OP_Gather] = LOW_DATA, [XG_OP_Expand] = LOW_DATA, [XG_OP_Trilu] = LOW_DATA,
};

void xg_kernel_name(struct xg_lowered *L, int node, const char *what, char out[64])
{
	char suffix[40], base[64];
	const char *nm = node >= 0 && node < L->g->nn && L->g->n[node].name ? L->g->n[node].name :
			 "graph";
	size_t room, j = 0;

	snprintf(suffix, sizeof(suffix), "_%.16s_%u", what ? what : "k", L->seq++);
	room = 63 - strlen(suffix);
	if (!((nm[0] >= 'A' && nm[0] <= 'Z') || (nm[0] >= 'a' && nm[0] <= 'z') || nm[0] == '_'))
		base[j++] = 'n';
	for (size_t i = 0; nm[i] && j < room; i++) {
		char c = nm[i];

		base[j++] = ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '_') ? c : '_';
	}
	base[j] = 0;
	snprintf(out, 64, "%s%s", base, suffix);
	/* what may have had other characters */
	for (char *p = out; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			*p = '_';
}

int xg_kcache_get(struct xg_lowered *L, const char *key, int node, const char *what,
		  char kname[64])
{
	for (int i = 0; i < L->nkcache; i++)
		if (!strcmp(L->kcache[i].key, key)) {
			snprintf(kname, 64, "%s", L->kcache[i].kernel);
			return 1;
		}
	xg_kernel_name(L, node, what, kname);
	return 0;
}

xpu_status xg_kcache_put(struct xg_lowered *L, const char *key, const char *kname,
			 xpu_status st)
{
	struct xg_kcache *c;

	if (st || strlen(key) >= sizeof(c->key) ||
	    xg_grow((void **)&L->kcache, &L->cap_kcache, L->nkcache + 1, sizeof(*c)))
		return st;
	c = &L->kcache[L->nkcache++];
	snprintf(c->key, sizeof(c->key), "%s", key);
	snprintf(c->kernel, sizeof(c->kernel), "%s", kname);
	return XPU_SUCCESS;
}

xpu_status xg_add_launch(struct xg_lowered *L, int node, const char *kernel,
			 const struct xpu_graph_arg *args, int nargs)
{
	struct xg_launch *l;

	if (!kernel || strlen(kernel) > 63 || nargs < 0 || nargs > XPU_META_MAX_ARGS)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "launch: bad kernel name or %d "
				     "arguments", nargs);
	for (int i = 0; i < nargs; i++)
		if (args[i].kind == XPU_GRAPH_ARG_TENSOR && args[i].tensor >= (uint32_t)L->g->nt)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "launch of '%s': argument "
					     "%d names tensor %u of %d", kernel, i, args[i].tensor,
					     L->g->nt);
	if (xg_grow((void **)&L->launches, &L->cap_launches, L->nlaunches + 1, sizeof(*L->launches)) ||
	    xg_grow((void **)&L->args, &L->cap_args, L->nargs + nargs, sizeof(*L->args)))
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "lowering: out of memory");
	l = &L->launches[L->nlaunches++];
	memset(l, 0, sizeof(*l));
	strcpy(l->kernel, kernel);
	l->node = node;
	l->first_arg = (uint32_t)L->nargs;
	l->num_args = (uint32_t)nargs;
	if (nargs)
		memcpy(&L->args[L->nargs], args, (size_t)nargs * sizeof(*args));
	L->nargs += nargs;
	return XPU_SUCCESS;
}

xpu_status xg_launch_tensors(struct xg_lowered *L, int node, const char *kernel,
			     const int *tensors, int n)
{
	struct xpu_graph_arg a[XPU_META_MAX_ARGS];

	if (n < 0 || n > XPU_META_MAX_ARGS)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "launch of '%s': %d arguments",
				     kernel, n);
	for (int i = 0; i < n; i++)
		a[i] = xg_arg_tensor(tensors[i], 0);
	return xg_add_launch(L, node, kernel, a, n);
}

struct xpu_graph_arg xg_arg_tensor(int tensor, uint64_t byte_offset)
{
	struct xpu_graph_arg a = { XPU_GRAPH_ARG_TENSOR, (uint32_t)tensor, byte_offset };

	return a;
}

struct xpu_graph_arg xg_arg_imm(uint64_t value)
{
	struct xpu_graph_arg a = { XPU_GRAPH_ARG_IMM, 0, value };

	return a;
}

static int new_tensor(struct xg_graph *g, const char *base, uint32_t dtype, int ndim,
		      const int64_t *dims)
{
	char name[256];
	int t, k = 0;

	if (ndim < 0 || ndim > XG_MAX_DIMS)
		return -1;
	snprintf(name, sizeof(name), "%s", base);
	while (xg_find_tensor(g, name) >= 0)
		snprintf(name, sizeof(name), "%.200s.%d", base, ++k);
	t = xg_add_tensor(g, name);
	if (t < 0)
		return -1;
	g->t[t].dtype = dtype;
	g->t[t].ndim = ndim;
	for (int i = 0; i < XG_MAX_DIMS; i++)
		g->t[t].dims[i] = i < ndim ? dims[i] : 0;
	g->t[t].kind = XG_VALUE;
	g->t[t].producer = -1;
	g->t[t].temp_of = -1;
	g->t[t].alias_of = -1;
	g->t[t].alias_offset = 0;
	return t;
}

int xg_add_temp(struct xg_lowered *L, int node, uint32_t dtype, int ndim, const int64_t *dims)
{
	char base[160];
	int t;

	snprintf(base, sizeof(base), "%.120s.tmp", L->g->n[node].name);
	t = new_tensor(L->g, base, dtype, ndim, dims);
	if (t >= 0)
		L->g->t[t].temp_of = node;
	return t;
}

int xg_add_const(struct xg_lowered *L, const char *name, uint32_t dtype, int ndim,
		 const int64_t *dims, void *data)
{
	int t = new_tensor(L->g, name ? name : "const", dtype, ndim, dims);

	if (t < 0) {
		free(data);
		return -1;
	}
	L->g->t[t].kind = XG_CONST;
	L->g->t[t].data = data;
	return t;
}

void xg_alias(struct xg_lowered *L, int out, int in, uint64_t off)
{
	L->g->t[out].alias_of = in;
	L->g->t[out].alias_offset = off;
}

int xg_alias_root(const struct xg_graph *g, int t, uint64_t *off)
{
	uint64_t o = 0;
	int hops = 0;

	while (t >= 0 && t < g->nt && g->t[t].alias_of >= 0 && hops++ < g->nt) {
		o += g->t[t].alias_offset;
		t = g->t[t].alias_of;
	}
	if (off)
		*off = o;
	return t;
}

/* A graph output no kernel writes (a folded constant, an input passed
 * through): copy it into the output buffer. */
static xpu_status lower_output_copy(struct xg_lowered *L, int t)
{
	struct xg_graph *g = L->g;
	struct cc_copy_dim d = { 1, 0, 0 };
	char kname[64];
	xpu_status st;
	int src;

	if (!xg_bytes(&g->t[t]))
		return XPU_SUCCESS;
	/* the output's value lives in a separate tensor: the output becomes a copy of it */
	src = new_tensor(g, g->t[t].name, g->t[t].dtype, g->t[t].ndim, g->t[t].dims);
	if (src < 0)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "lowering: out of memory");
	if (g->t[t].kind == XG_CONST) {
		g->t[src].kind = XG_CONST;
		g->t[src].data = g->t[t].data;
		g->t[t].data = NULL;
		g->t[t].kind = XG_VALUE;
	} else {
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "graph output '%s' is also a graph "
				     "input (no node computes it)", g->t[t].name);
	}
	g->t[src].quantized = g->t[t].quantized;
	g->t[src].qscale = g->t[t].qscale;
	g->t[src].qzero = g->t[t].qzero;
	xg_kernel_name(L, -1, "outcopy", kname);
	st = cc_copy_strided(L->cc, kname, 1, &d, xg_bytes(&g->t[t]));
	if (st)
		return st;
	return xg_launch_tensors(L, -1, kname, (const int[]){ src, t }, 2);
}

void xg_lowered_free(struct xg_lowered *L)
{
	char keep[512];

	if (!L)
		return;
	/* xpu_cc_destroy() clears the thread's error: keep a failed lowering's message */
	snprintf(keep, sizeof(keep), "%s", xpu_last_error());
	if (L->cc) {	/* not xpu_cc_destroy(): that would clear the error being returned */
		xpu_image_free(&L->cc->img);
		free(L->cc->est);
		free(L->cc);
	}
	if (keep[0])
		xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s", keep);
	free(L->launches);
	free(L->args);
	free(L->kcache);
	free(L);
}

xpu_status xg_lower(struct xg_graph *g, const struct xpu_cc_target *target,
		    struct xg_lowered **out)
{
	struct xg_lowered *L;
	xpu_status st;

	if (!g || !target || !out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "xg_lower: NULL argument");
	*out = NULL;
	L = calloc(1, sizeof(*L));
	if (!L)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	L->g = g;
	L->t = target;
	L->precision = g->precision;
	st = xpu_cc_create(target, &L->cc);
	if (st)
		goto fail;
	for (int t = 0; t < g->nt; t++) {
		g->t[t].temp_of = -1;
		g->t[t].alias_of = -1;
		g->t[t].alias_offset = 0;
	}
	for (int i = 0; i < g->nn; i++) {
		const struct xg_node *n = &g->n[i];
		int kind = (unsigned int)n->op < XG_OP_COUNT ? low_table[n->op] : LOW_NONE;

		if (n->dead)
			continue;
		if (kind == LOW_MATH) {
			st = xg_lower_math(L, i);
		} else if (kind == LOW_DATA) {
			st = xg_lower_data(L, i);
		} else {
			const char *op = xg_op_name(n->op);

			st = xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "node '%s' (%s): no lowering for "
					   "this operator (it should have been folded or fused "
					   "away)", n->name, op ? op : "?");
		}
		if (st)
			goto fail;
	}
	for (int o = 0; o < g->noutputs; o++) {
		int t = g->outputs[o];

		if (g->t[t].kind != XG_VALUE) {
			st = lower_output_copy(L, t);
			if (st)
				goto fail;
		}
	}
	/* the model's estimate: what the compiler knows of each launched kernel */
	for (int i = 0; i < L->nlaunches; i++) {
		for (uint32_t k = 0; k < L->cc->img.num_kernels; k++) {
			if (strcmp(L->cc->img.kernels[k].name, L->launches[i].kernel))
				continue;
			if (L->cc->est[k].valid)
				L->modeled_cycles += L->cc->est[k].cycles;
			break;
		}
	}
	*out = L;
	return XPU_SUCCESS;
fail:
	xg_lowered_free(L);
	return st;
}
