// SPDX-License-Identifier: MIT
/*
 * Shape and type inference: every live tensor gets a dtype and static dims.
 *
 * xg_infer_node() computes one node's outputs from its inputs (ONNX
 * semantics incl. numpy broadcasting) and normalises its attributes for
 * lowering: negative axes made positive, defaults written out, and the
 * constant inputs that only carry parameters (Reshape's shape, Squeeze/
 * Unsqueeze/Reduce* axes, Slice's starts/ends/axes/steps, Split's sizes)
 * read into attributes. After it:
 *   Reshape: attr shape (resolved, no 0/-1); Squeeze/Unsqueeze: attr axes;
 *   Reduce*: attr axes (sorted, empty = identity), keepdims; Slice: attrs
 *   starts (first index read, 0..dim-1), ends (clamped), axes, steps, one
 *   entry per sliced axis, and in[1..4] = -1; Split: attr split; Softmax,
 *   LayerNormalization, Concat, Gather, Flatten, Split: attr axis >= 0;
 *   Transpose: attr perm; Conv/pools: explicit pads/strides/dilations/
 *   kernel_shape (auto_pad resolved); LayerNormalization: attr epsilon.
 * pass_fold calls it node by node; xg_pass_shape() runs it over the graph
 * and checks that nothing is left unknown. Errors name the node.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "internal.h"

#define BAD(n, fmt, ...) xpu_set_error(XPU_ERROR_INVALID_BINARY, XG_NODE_FMT ": " fmt, \
				      XG_NODE_ARG(n), ##__VA_ARGS__)
#define UNSUP(n, fmt, ...) xpu_set_error(XPU_ERROR_NOT_SUPPORTED, XG_NODE_FMT ": " fmt, \
					XG_NODE_ARG(n), ##__VA_ARGS__)
#define OOM() xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "shape inference: out of memory")

static struct xg_tensor *IN(struct xg_graph *g, struct xg_node *n, int i)
{
	return i < n->nin && n->in[i] >= 0 ? &g->t[n->in[i]] : NULL;
}

static void dims_str(const struct xg_tensor *t, char *buf, size_t size)
{
	int o = snprintf(buf, size, "[");

	for (int i = 0; i < t->ndim && o < (int)size; i++)
		o += snprintf(buf + o, size - o, "%s%" PRId64, i ? "," : "", t->dims[i]);
	if (o < (int)size)
		snprintf(buf + o, size - o, "]");
}

/* Set output k; checks the size against the graph's limit. */
static xpu_status set_out(struct xg_graph *g, struct xg_node *n, int k, uint32_t dtype, int ndim,
			  const int64_t *dims)
{
	struct xg_tensor *t;
	uint64_t numel;

	if (k >= n->nout || n->out[k] < 0)
		return XPU_SUCCESS;
	if (ndim < 0 || ndim > XG_MAX_DIMS)
		return UNSUP(n, "output rank %d (at most %d)", ndim, XG_MAX_DIMS);
	numel = xg_dims_numel(ndim, dims);
	if (numel == UINT64_MAX || !xg_dtype_size(dtype) ||
	    numel > (g->max_bytes ? g->max_bytes : XG_DEFAULT_MAX_BYTES) / xg_dtype_size(dtype))
		return BAD(n, "output '%s' would be larger than %" PRIu64 " bytes", g->t[n->out[k]].name,
			   g->max_bytes);
	t = &g->t[n->out[k]];
	xg_set_shape(t, dtype, ndim, dims);
	return XPU_SUCCESS;
}

static xpu_status same_as(struct xg_graph *g, struct xg_node *n, int k, const struct xg_tensor *x)
{
	return set_out(g, n, k, x->dtype, x->ndim, x->dims);
}

/* Read a constant int tensor (the parameter inputs) into v[]. */
/*
 * Input 1's constant values v[count], once read, become the node's
 * attribute name and the input is dropped: a later run (after a pass
 * changed the graph) reads the attribute.
 */
static xpu_status input1_to_attr(struct xg_node *n, const char *name, const int64_t *v,
				 int count)
{
	if (xg_set_attr_ints(n, name, v, count))
		return OOM();
	if (n->nin > 1)
		n->in[1] = -1;
	return XPU_SUCCESS;
}

static xpu_status const_ints(struct xg_graph *g, struct xg_node *n, int i, const char *what,
			     int64_t *v, int max, int *count)
{
	struct xg_tensor *t = IN(g, n, i);
	uint64_t numel;

	if (!t)
		return BAD(n, "input %s is missing", what);
	if (t->kind != XG_CONST)
		return UNSUP(n, "input %s ('%s') must be a compile-time constant", what, t->name);
	if (t->dtype != XPU_DT_I64 && t->dtype != XPU_DT_I32)
		return BAD(n, "input %s ('%s') must be int64", what, t->name);
	numel = xg_numel(t);
	if (numel > (uint64_t)max || t->ndim > 1)
		return BAD(n, "input %s ('%s') has %" PRIu64 " values (at most %d, rank 1)", what,
			   t->name, numel, max);
	for (uint64_t k = 0; k < numel; k++)
		v[k] = xg_const_i64(t, k);
	*count = (int)numel;
	return XPU_SUCCESS;
}

/* Normalise axis a of rank r (ONNX: -r <= a < r); -1 if out of range. */
static int norm_axis(int64_t a, int r)
{
	if (a < 0)
		a += r;
	return a < 0 || a >= r ? -1 : (int)a;
}

static xpu_status axis_attr(struct xg_graph *g, struct xg_node *n, int64_t def, int r, int *axis)
{
	int64_t a = xg_attr_int(n, "axis", def);

	(void)g;
	*axis = norm_axis(a, r);
	if (*axis < 0)
		return BAD(n, "axis %" PRId64 " is out of range for rank %d", a, r);
	if (xg_set_attr_int(n, "axis", *axis))
		return OOM();
	return XPU_SUCCESS;
}

/* numpy broadcasting of inputs [first, last] */
static xpu_status broadcast(struct xg_graph *g, struct xg_node *n, int first, int last,
			    int *ndim, int64_t *dims)
{
	int r = 0;

	for (int i = first; i <= last; i++) {
		struct xg_tensor *t = IN(g, n, i);

		if (t && t->ndim > r)
			r = t->ndim;
	}
	for (int d = 0; d < r; d++)
		dims[d] = 1;
	for (int i = first; i <= last; i++) {
		struct xg_tensor *t = IN(g, n, i);

		if (!t)
			continue;
		for (int d = 0; d < t->ndim; d++) {
			int64_t v = t->dims[d], *o = &dims[r - t->ndim + d];

			if (v == *o || v == 1)
				continue;
			if (*o == 1) {
				*o = v;
				continue;
			}
			{
				char a[128], b[128];

				dims_str(IN(g, n, first), a, sizeof(a));
				dims_str(t, b, sizeof(b));
				return BAD(n, "input shapes %s and %s do not broadcast (dimension %d: %" PRId64
					   " vs %" PRId64 ")", a, b, d, *o, v);
			}
		}
	}
	*ndim = r;
	return XPU_SUCCESS;
}

static xpu_status infer_matmul(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *a = IN(g, n, 0), *b = IN(g, n, 1);
	int64_t ad[XG_MAX_DIMS + 1], bd[XG_MAX_DIMS + 1], out[XG_MAX_DIMS + 1];
	int ar = a->ndim, br = b->ndim, r, o = 0;

	if (ar < 1 || br < 1)
		return BAD(n, "matrix inputs must have rank >= 1");
	memcpy(ad, a->dims, sizeof(int64_t) * ar);
	memcpy(bd, b->dims, sizeof(int64_t) * br);
	if (br >= 2 && xg_attr_int(n, "b_transposed_matvec", 0)) {
		/* pass_fuse's matvec: B is X of the removed Transpose(X) (last two axes) */
		int64_t t = bd[br - 1];

		bd[br - 1] = bd[br - 2];
		bd[br - 2] = t;
	}
	if (ar == 1) {
		ad[1] = ad[0];
		ad[0] = 1;
		ar = 2;
	}
	if (br == 1) {
		bd[1] = 1;
		br = 2;
	}
	if (ad[ar - 1] != bd[br - 2]) {
		char x[128], y[128];

		dims_str(a, x, sizeof(x));
		dims_str(b, y, sizeof(y));
		return BAD(n, "inner dimensions differ: %s x %s", x, y);
	}
	r = ar > br ? ar : br;
	for (int d = 0; d < r - 2; d++) {
		int ia = d - (r - ar), ib = d - (r - br);
		int64_t va = ia >= 0 ? ad[ia] : 1, vb = ib >= 0 ? bd[ib] : 1;

		if (va != vb && va != 1 && vb != 1)
			return BAD(n, "batch dimensions %" PRId64 " and %" PRId64 " do not broadcast",
				   va, vb);
		out[o++] = va == 1 ? vb : va;
	}
	if (a->ndim != 1)
		out[o++] = ad[ar - 2];
	if (b->ndim != 1)
		out[o++] = bd[br - 1];
	if (n->op == XG_OP_FusedMatMul && IN(g, n, 2)) {
		uint64_t nb = xg_numel(IN(g, n, 2));

		if (nb != (uint64_t)bd[br - 1])
			return BAD(n, "bias has %" PRIu64 " elements, N is %" PRId64, nb, bd[br - 1]);
	}
	return set_out(g, n, 0, a->dtype, o, out);
}

static xpu_status infer_gemm(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *a = IN(g, n, 0), *b = IN(g, n, 1), *c = IN(g, n, 2);
	int ta = xg_attr_int(n, "transA", 0) != 0, tb = xg_attr_int(n, "transB", 0) != 0;
	int64_t m, k, k2, nn, out[2];

	if (a->ndim != 2 || b->ndim != 2)
		return BAD(n, "A and B must be matrices (rank %d and %d)", a->ndim, b->ndim);
	m = a->dims[ta ? 1 : 0];
	k = a->dims[ta ? 0 : 1];
	k2 = b->dims[tb ? 1 : 0];
	nn = b->dims[tb ? 0 : 1];
	if (k != k2)
		return BAD(n, "inner dimensions differ: %" PRId64 " vs %" PRId64, k, k2);
	out[0] = m;
	out[1] = nn;
	if (c) {
		for (int d = 0; d < c->ndim; d++) {
			int64_t v = c->dims[d], want = c->ndim - d <= 2 ? out[2 - (c->ndim - d)] : 1;

			if (c->ndim > 2 || (v != 1 && v != want))
				return BAD(n, "C does not broadcast to [%" PRId64 ",%" PRId64 "]", m, nn);
		}
	}
	return set_out(g, n, 0, a->dtype, 2, out);
}

/* Conv and the pools: spatial output sizes with explicit pads */
static xpu_status infer_window(struct xg_graph *g, struct xg_node *n, int sp, const int64_t *kernel,
			       int64_t *out_sp)
{
	struct xg_tensor *x = IN(g, n, 0);
	const struct xg_attr *a;
	int64_t strides[XG_MAX_DIMS], dil[XG_MAX_DIMS], pads[2 * XG_MAX_DIMS];
	int ceil_mode = (int)xg_attr_int(n, "ceil_mode", 0);
	const char *autopad = "NOTSET";

	a = xg_attr(n, "auto_pad");
	if (a && a->type == XG_ATTR_STRING && a->s)
		autopad = a->s;
	for (int i = 0; i < sp; i++) {
		strides[i] = dil[i] = 1;
		pads[i] = pads[i + sp] = 0;
	}
	a = xg_attr(n, "strides");
	if (a) {
		if (a->type != XG_ATTR_INTS || a->n != sp)
			return BAD(n, "strides must have %d values", sp);
		memcpy(strides, a->ints, sp * sizeof(int64_t));
	}
	a = xg_attr(n, "dilations");
	if (a) {
		if (a->type != XG_ATTR_INTS || a->n != sp)
			return BAD(n, "dilations must have %d values", sp);
		memcpy(dil, a->ints, sp * sizeof(int64_t));
	}
	a = xg_attr(n, "pads");
	if (a) {
		if (a->type != XG_ATTR_INTS || a->n != 2 * sp)
			return BAD(n, "pads must have %d values", 2 * sp);
		memcpy(pads, a->ints, 2 * sp * sizeof(int64_t));
	}
	for (int i = 0; i < sp; i++) {
		int64_t in = x->dims[2 + i], ek, total, o;

		if (strides[i] < 1 || dil[i] < 1 || kernel[i] < 1 || kernel[i] > (1 << 20) ||
		    dil[i] > (1 << 20) || strides[i] > (1 << 20))
			return BAD(n, "kernel %" PRId64 ", stride %" PRId64 ", dilation %" PRId64
				   " must be positive (and sane)", kernel[i], strides[i], dil[i]);
		if (pads[i] < 0 || pads[i + sp] < 0 || pads[i] > (1 << 20) || pads[i + sp] > (1 << 20))
			return BAD(n, "pads must be >= 0");
		ek = (kernel[i] - 1) * dil[i] + 1;
		if (!strcmp(autopad, "SAME_UPPER") || !strcmp(autopad, "SAME_LOWER")) {
			o = (in + strides[i] - 1) / strides[i];
			total = (o - 1) * strides[i] + ek - in;
			if (total < 0)
				total = 0;
			if (!strcmp(autopad, "SAME_UPPER")) {
				pads[i] = total / 2;
				pads[i + sp] = total - total / 2;
			} else {
				pads[i + sp] = total / 2;
				pads[i] = total - total / 2;
			}
		} else if (!strcmp(autopad, "VALID")) {
			pads[i] = pads[i + sp] = 0;
		} else if (strcmp(autopad, "NOTSET")) {
			return BAD(n, "auto_pad '%s' is not a valid value", autopad);
		}
		total = in + pads[i] + pads[i + sp] - ek;
		if (total < 0)
			return BAD(n, "the window (%" PRId64 ") is larger than the padded input (%" PRId64
				   ") on spatial axis %d", ek, in + pads[i] + pads[i + sp], i);
		o = (ceil_mode ? (total + strides[i] - 1) / strides[i] : total / strides[i]) + 1;
		if (ceil_mode && (o - 1) * strides[i] >= in + pads[i])
			o--;	/* the last window would start in the end padding */
		out_sp[i] = o;
	}
	if (xg_set_attr_ints(n, "strides", strides, sp) || xg_set_attr_ints(n, "dilations", dil, sp) ||
	    xg_set_attr_ints(n, "pads", pads, 2 * sp) || xg_set_attr_ints(n, "kernel_shape", kernel, sp))
		return OOM();
	xg_del_attr(n, "auto_pad");
	return XPU_SUCCESS;
}

static xpu_status infer_conv(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *x = IN(g, n, 0), *w = IN(g, n, 1), *b = IN(g, n, 2);
	int64_t out[XG_MAX_DIMS], group = xg_attr_int(n, "group", 1);
	const struct xg_attr *ks = xg_attr(n, "kernel_shape");
	int sp = x->ndim - 2;
	xpu_status st;

	if (x->ndim < 3 || w->ndim != x->ndim)
		return BAD(n, "X (rank %d) and W (rank %d) must be [N,C,spatial...] and [M,C/group,k...]",
			   x->ndim, w->ndim);
	if (group < 1 || x->dims[1] % group || w->dims[1] * group != x->dims[1] || w->dims[0] % group)
		return BAD(n, "channels: X has %" PRId64 ", W has %" PRId64 " per group of %" PRId64,
			   x->dims[1], w->dims[1], group);
	if (ks && (ks->type != XG_ATTR_INTS || ks->n != sp ||
		   memcmp(ks->ints, &w->dims[2], sp * sizeof(int64_t))))
		return BAD(n, "kernel_shape does not match W's shape");
	if (b && (b->ndim != 1 || b->dims[0] != w->dims[0]))
		return BAD(n, "bias must have %" PRId64 " elements", w->dims[0]);
	if (xg_set_attr_int(n, "group", group))
		return OOM();
	st = infer_window(g, n, sp, &w->dims[2], &out[2]);
	if (st)
		return st;
	out[0] = x->dims[0];
	out[1] = w->dims[0];
	return set_out(g, n, 0, x->dtype, x->ndim, out);
}

static xpu_status infer_pool(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *x = IN(g, n, 0);
	const struct xg_attr *ks = xg_attr(n, "kernel_shape");
	int64_t out[XG_MAX_DIMS];
	int sp = x->ndim - 2;
	xpu_status st;

	if (x->ndim < 3)
		return BAD(n, "X must be [N,C,spatial...] (rank %d)", x->ndim);
	if (n->op == XG_OP_GlobalAveragePool) {
		out[0] = x->dims[0];
		out[1] = x->dims[1];
		for (int i = 0; i < sp; i++)
			out[2 + i] = 1;
		return set_out(g, n, 0, x->dtype, x->ndim, out);
	}
	if (!ks || ks->type != XG_ATTR_INTS || ks->n != sp)
		return BAD(n, "kernel_shape must have %d values", sp);
	{
		int64_t k[XG_MAX_DIMS];

		memcpy(k, ks->ints, sp * sizeof(int64_t));
		st = infer_window(g, n, sp, k, &out[2]);
	}
	if (st)
		return st;
	out[0] = x->dims[0];
	out[1] = x->dims[1];
	st = set_out(g, n, 0, x->dtype, x->ndim, out);
	if (!st)
		st = set_out(g, n, 1, XPU_DT_I64, x->ndim, out);
	return st;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* axes from attribute "axes" or (newer opsets) input 1, normalised for rank r */
static xpu_status get_axes(struct xg_graph *g, struct xg_node *n, int r, int64_t *axes, int *count,
			   int *given)
{
	const struct xg_attr *a = xg_attr(n, "axes");
	xpu_status st;

	*count = 0;
	*given = 0;
	if (IN(g, n, 1)) {
		st = const_ints(g, n, 1, "axes", axes, XG_MAX_DIMS, count);
		if (st)
			return st;
		*given = 1;
	} else if (a) {
		if (a->type != XG_ATTR_INTS || a->n > XG_MAX_DIMS)
			return BAD(n, "axes must be a list of at most %d ints", XG_MAX_DIMS);
		memcpy(axes, a->ints, a->n * sizeof(int64_t));
		*count = a->n;
		*given = 1;
	}
	for (int i = 0; i < *count; i++) {
		int v = norm_axis(axes[i], r);

		if (v < 0)
			return BAD(n, "axis %" PRId64 " is out of range for rank %d", axes[i], r);
		axes[i] = v;
	}
	qsort(axes, *count, sizeof(int64_t), cmp_i64);
	for (int i = 1; i < *count; i++)
		if (axes[i] == axes[i - 1])
			return BAD(n, "axis %" PRId64 " is given twice", axes[i]);
	return XPU_SUCCESS;
}

static xpu_status infer_reduce(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *x = IN(g, n, 0);
	int64_t axes[XG_MAX_DIMS], out[XG_MAX_DIMS];
	int count, given, keep = xg_attr_int(n, "keepdims", 1) != 0, o = 0;
	int noop = xg_attr_int(n, "noop_with_empty_axes", 0) != 0;
	xpu_status st = get_axes(g, n, x->ndim, axes, &count, &given);

	if (st)
		return st;
	if (!count && !noop) {
		for (int i = 0; i < x->ndim; i++)
			axes[i] = i;
		count = x->ndim;
	}
	for (int d = 0, k = 0; d < x->ndim; d++) {
		int red = k < count && axes[k] == d;

		k += red;
		if (!red)
			out[o++] = x->dims[d];
		else if (keep)
			out[o++] = 1;
	}
	st = input1_to_attr(n, "axes", axes, count);
	if (!st && xg_set_attr_int(n, "keepdims", keep))
		st = OOM();
	return st ? st : set_out(g, n, 0, x->dtype, o, out);
}

static xpu_status infer_reshape(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *x = IN(g, n, 0);
	int64_t s[XG_MAX_DIMS + 1];
	int count, neg = -1, allowzero = xg_attr_int(n, "allowzero", 0) != 0;
	uint64_t known = 1, numel = xg_numel(x);
	xpu_status st = const_ints(g, n, 1, "shape", s, XG_MAX_DIMS, &count);

	if (st)
		return st;
	for (int i = 0; i < count; i++) {
		if (s[i] == 0 && !allowzero) {
			if (i >= x->ndim)
				return BAD(n, "shape[%d] = 0 copies a dimension the input (rank %d) does not have",
					   i, x->ndim);
			s[i] = x->dims[i];
		}
		if (s[i] == -1) {
			if (neg >= 0)
				return BAD(n, "shape has more than one -1");
			neg = i;
			continue;
		}
		if (s[i] < 0)
			return BAD(n, "shape[%d] = %" PRId64 " is negative", i, s[i]);
		if (s[i] && known > UINT64_MAX / (uint64_t)s[i])
			return BAD(n, "shape overflows");
		known *= (uint64_t)s[i];
	}
	if (neg >= 0) {
		if (!known || numel % known)
			return BAD(n, "cannot infer the -1 dimension: %" PRIu64 " elements into %" PRIu64,
				   numel, known);
		s[neg] = (int64_t)(numel / known);
		known = numel;
	}
	if (known != numel)
		return BAD(n, "input has %" PRIu64 " elements, the new shape %" PRIu64, numel, known);
	if (xg_set_attr_ints(n, "shape", s, count))
		return OOM();
	return set_out(g, n, 0, x->dtype, count, s);
}

static xpu_status infer_squeeze(struct xg_graph *g, struct xg_node *n, int un)
{
	struct xg_tensor *x = IN(g, n, 0);
	int64_t axes[XG_MAX_DIMS], out[XG_MAX_DIMS];
	int count, given, o = 0;
	xpu_status st;

	if (un) {
		const struct xg_attr *a = xg_attr(n, "axes");
		int cnt = 0;

		/* normalised against the output rank, which needs the count first */
		if (IN(g, n, 1)) {
			struct xg_tensor *t = IN(g, n, 1);

			cnt = (int)(t->ndim >= 0 ? xg_numel(t) : 0);
		} else if (a) {
			cnt = a->n;
		}
		if (cnt < 1 || x->ndim + cnt > XG_MAX_DIMS)
			return BAD(n, "needs 1 to %d axes (has %d)", XG_MAX_DIMS - x->ndim, cnt);
		st = get_axes(g, n, x->ndim + cnt, axes, &count, &given);
		if (st)
			return st;
		for (int d = 0, k = 0, src = 0; d < x->ndim + count; d++) {
			if (k < count && axes[k] == d) {
				out[o++] = 1;
				k++;
			} else {
				out[o++] = x->dims[src++];
			}
		}
	} else {
		st = get_axes(g, n, x->ndim, axes, &count, &given);
		if (st)
			return st;
		if (!given)
			for (int d = 0; d < x->ndim; d++)
				if (x->dims[d] == 1)
					axes[count++] = d;
		for (int d = 0, k = 0; d < x->ndim; d++) {
			if (k < count && axes[k] == d) {
				if (x->dims[d] != 1)
					return BAD(n, "cannot squeeze axis %d of size %" PRId64, d,
						   x->dims[d]);
				k++;
				continue;
			}
			out[o++] = x->dims[d];
		}
	}
	st = input1_to_attr(n, "axes", axes, count);
	return st ? st : set_out(g, n, 0, x->dtype, o, out);
}

static xpu_status infer_slice(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *x = IN(g, n, 0);
	int64_t starts[XG_MAX_DIMS], ends[XG_MAX_DIMS], axes[XG_MAX_DIMS], steps[XG_MAX_DIMS];
	int64_t out[XG_MAX_DIMS];
	int ns, ne, na, nst, seen[XG_MAX_DIMS] = { 0 };
	xpu_status st;

	if (n->nin > 1 && n->in[1] < 0 && xg_attr(n, "steps")) {
		/* resolved by an earlier run (in[1..4] = -1, attributes; ends may be
		 * -1 for negative steps): recompute the shape without wrapping again
		 * (localized fix by helper lowerdata) */
		const struct xg_attr *s = xg_attr(n, "starts"), *e = xg_attr(n, "ends"),
			*a = xg_attr(n, "axes"), *p = xg_attr(n, "steps");

		if (!s || !e || !a || s->n != e->n || a->n != s->n || p->n != s->n)
			return BAD(n, "resolved starts/ends/axes/steps differ in length");
		memcpy(out, x->dims, x->ndim * sizeof(int64_t));
		for (int i = 0; i < s->n; i++) {
			int64_t ax = a->ints[i], b = s->ints[i], f = e->ints[i], step = p->ints[i];

			if (ax < 0 || ax >= x->ndim || !step || step == INT64_MIN)
				return BAD(n, "resolved axis %" PRId64 " / step %" PRId64, ax, step);
			out[ax] = step > 0 ? (f > b ? (f - b - 1) / step + 1 : 0) :
				  (b > f ? (b - f - 1) / -step + 1 : 0);
		}
		return set_out(g, n, 0, x->dtype, x->ndim, out);
	}
	if (g->opset < 10 && n->nin == 1) {
		const struct xg_attr *s = xg_attr(n, "starts"), *e = xg_attr(n, "ends"),
			*a = xg_attr(n, "axes");

		if (!s || !e || s->type != XG_ATTR_INTS || e->type != XG_ATTR_INTS ||
		    s->n != e->n || s->n > XG_MAX_DIMS)
			return BAD(n, "starts and ends must be lists of the same length");
		ns = ne = s->n;
		memcpy(starts, s->ints, ns * sizeof(int64_t));
		memcpy(ends, e->ints, ns * sizeof(int64_t));
		na = 0;
		if (a) {
			if (a->type != XG_ATTR_INTS || a->n != ns)
				return BAD(n, "axes must have as many values as starts");
			memcpy(axes, a->ints, ns * sizeof(int64_t));
			na = ns;
		}
		nst = 0;
	} else {
		if (n->nin < 3)
			return BAD(n, "needs inputs starts and ends");
		st = const_ints(g, n, 1, "starts", starts, XG_MAX_DIMS, &ns);
		if (!st)
			st = const_ints(g, n, 2, "ends", ends, XG_MAX_DIMS, &ne);
		na = nst = 0;
		if (!st && IN(g, n, 3))
			st = const_ints(g, n, 3, "axes", axes, XG_MAX_DIMS, &na);
		if (!st && IN(g, n, 4))
			st = const_ints(g, n, 4, "steps", steps, XG_MAX_DIMS, &nst);
		if (st)
			return st;
		if (ns != ne || (na && na != ns) || (nst && nst != ns))
			return BAD(n, "starts, ends, axes and steps differ in length");
	}
	if (!na)
		for (int i = 0; i < ns; i++)
			axes[i] = i;
	if (!nst)
		for (int i = 0; i < ns; i++)
			steps[i] = 1;
	memcpy(out, x->dims, x->ndim * sizeof(int64_t));
	for (int i = 0; i < ns; i++) {
		int ax = norm_axis(axes[i], x->ndim);
		int64_t dim, s, e, step = steps[i], cnt;

		if (ax < 0)
			return BAD(n, "axis %" PRId64 " is out of range for rank %d", axes[i], x->ndim);
		if (seen[ax]++)
			return BAD(n, "axis %d is sliced twice", ax);
		if (!step)
			return BAD(n, "step 0 on axis %d", ax);
		dim = x->dims[ax];
		s = starts[i];
		e = ends[i];
		if (s < 0)
			s += dim;	/* s < 0 and dim >= 0: no overflow */
		if (e < 0)
			e += dim;
		if (step > 0) {
			s = s < 0 ? 0 : s > dim ? dim : s;
			e = e < 0 ? 0 : e > dim ? dim : e;
			cnt = e > s ? (e - s - 1) / step + 1 : 0;
		} else {
			s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
			e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
			cnt = s > e ? (s - e - 1) / (step == INT64_MIN ? INT64_MAX : -step) + 1 : 0;
		}
		axes[i] = ax;
		starts[i] = s;
		ends[i] = e;
		out[ax] = cnt;
	}
	if (xg_set_attr_ints(n, "starts", starts, ns) || xg_set_attr_ints(n, "ends", ends, ns) ||
	    xg_set_attr_ints(n, "axes", axes, ns) || xg_set_attr_ints(n, "steps", steps, ns))
		return OOM();
	for (int i = 1; i < n->nin; i++)
		n->in[i] = -1;
	return set_out(g, n, 0, x->dtype, x->ndim, out);
}

static xpu_status infer_split(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *x = IN(g, n, 0);
	int64_t split[XG_MAX_NODE_IO], out[XG_MAX_DIMS], total = 0;
	const struct xg_attr *a;
	int axis, count = 0;
	xpu_status st = axis_attr(g, n, 0, x->ndim, &axis);

	if (st)
		return st;
	a = xg_attr(n, "split");	/* after axis_attr: setting an attribute moves them */
	if (IN(g, n, 1)) {
		st = const_ints(g, n, 1, "split", split, XG_MAX_NODE_IO, &count);
		if (st)
			return st;
	} else if (a && a->type == XG_ATTR_INTS) {
		count = a->n;
		memcpy(split, a->ints, count * sizeof(int64_t));
	} else {
		int64_t parts = n->nout, dim = x->dims[axis], each = (dim + parts - 1) / parts;

		count = n->nout;
		for (int i = 0; i < count; i++) {
			split[i] = dim - total < each ? dim - total : each;
			total += split[i];
		}
		total = 0;
	}
	if (count != n->nout)
		return BAD(n, "split has %d sizes for %d outputs", count, n->nout);
	for (int i = 0; i < count; i++) {
		if (split[i] < 0 || split[i] > x->dims[axis])
			return BAD(n, "split size %" PRId64 " is out of range", split[i]);
		total += split[i];
	}
	if (total != x->dims[axis])
		return BAD(n, "split sizes add up to %" PRId64 ", the axis has %" PRId64, total,
			   x->dims[axis]);
	st = input1_to_attr(n, "split", split, count);
	if (st)
		return st;
	memcpy(out, x->dims, x->ndim * sizeof(int64_t));
	for (int i = 0; i < count; i++) {
		out[axis] = split[i];
		st = set_out(g, n, i, x->dtype, x->ndim, out);
		if (st)
			return st;
	}
	return XPU_SUCCESS;
}

static xpu_status infer_constant(struct xg_graph *g, struct xg_node *n)
{
	const struct xg_attr *a;
	int64_t d;

	if ((a = xg_attr(n, "value")) && a->type == XG_ATTR_TENSOR && a->tensor >= 0)
		return same_as(g, n, 0, &g->t[a->tensor]);
	if ((a = xg_attr(n, "value_float")))
		return set_out(g, n, 0, XPU_DT_F32, 0, NULL);
	if ((a = xg_attr(n, "value_int")))
		return set_out(g, n, 0, XPU_DT_I64, 0, NULL);
	if ((a = xg_attr(n, "value_floats")) && a->type == XG_ATTR_FLOATS) {
		d = a->n;
		return set_out(g, n, 0, XPU_DT_F32, 1, &d);
	}
	if ((a = xg_attr(n, "value_ints")) && a->type == XG_ATTR_INTS) {
		d = a->n;
		return set_out(g, n, 0, XPU_DT_I64, 1, &d);
	}
	if (n->nattrs)
		return UNSUP(n, "attribute '%s' is not supported (value, value_float(s), value_int(s) are)",
			     n->attrs[0].name);
	return BAD(n, "has no value");
}

static xpu_status infer_shape_op(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *x = IN(g, n, 0);
	int64_t r = x->ndim, s = xg_attr_int(n, "start", 0), e = xg_attr_int(n, "end", r), d;

	s = s < 0 ? s + r : s;
	e = e < 0 ? e + r : e;
	s = s < 0 ? 0 : s > r ? r : s;
	e = e < 0 ? 0 : e > r ? r : e;
	d = e > s ? e - s : 0;
	if (xg_set_attr_int(n, "start", s) || xg_set_attr_int(n, "end", e))
		return OOM();
	return set_out(g, n, 0, XPU_DT_I64, 1, &d);
}

static xpu_status infer_range(struct xg_graph *g, struct xg_node *n)
{
	struct xg_tensor *s = IN(g, n, 0), *l = IN(g, n, 1), *dl = IN(g, n, 2);
	int64_t cnt;

	if (s->kind != XG_CONST || l->kind != XG_CONST || dl->kind != XG_CONST)
		return UNSUP(n, "start, limit and delta must be compile-time constants");
	if (xg_numel(s) != 1 || xg_numel(l) != 1 || xg_numel(dl) != 1)
		return BAD(n, "start, limit and delta must be scalars");
	if (s->dtype == XPU_DT_F32) {
		double a = xg_const_f32(s, 0), b = xg_const_f32(l, 0), c = xg_const_f32(dl, 0);
		double v = c != 0 ? ceil((b - a) / c) : NAN;

		if (!(v == v) || v > 1e12)
			return BAD(n, "range of %g..%g step %g has no sane length", a, b, c);
		cnt = v > 0 ? (int64_t)v : 0;
	} else {
		int64_t a = xg_const_i64(s, 0), b = xg_const_i64(l, 0), c = xg_const_i64(dl, 0);
		double v = c ? ceil(((double)b - (double)a) / (double)c) : NAN;

		if (!(v == v) || v > 1e12)
			return BAD(n, "range %" PRId64 "..%" PRId64 " step %" PRId64 " has no sane length",
				   a, b, c);
		cnt = v > 0 ? (int64_t)v : 0;
	}
	return set_out(g, n, 0, s->dtype, 1, &cnt);
}

xpu_status xg_infer_node(struct xg_graph *g, int ni, int *ready)
{
	struct xg_node *n = &g->n[ni];
	struct xg_tensor *x = IN(g, n, 0);
	int64_t dims[XG_MAX_DIMS * 2];
	int nd, axis, count;
	xpu_status st;

	*ready = 0;
	for (int i = 0; i < n->nin; i++) {
		struct xg_tensor *t = IN(g, n, i);

		if (t && (t->ndim < 0 || !t->dtype))
			return XPU_SUCCESS;
	}
	*ready = 1;
	if (!x && n->op != XG_OP_Constant)
		return BAD(n, "input 0 is missing");
	switch (n->op) {
	case XG_OP_Sqrt: case XG_OP_Relu: case XG_OP_Sigmoid: case XG_OP_Tanh: case XG_OP_Erf:
	case XG_OP_Neg: case XG_OP_Abs: case XG_OP_Exp: case XG_OP_Gelu: case XG_OP_Identity:
	case XG_OP_Trilu: case XG_OP_FusedLayerNorm:
		return same_as(g, n, 0, x);
	case XG_OP_Dropout: {
		struct xg_tensor *tm = IN(g, n, 2);

		if (tm && (tm->kind != XG_CONST || !xg_numel(tm) || xg_const_i64(tm, 0)))
			return UNSUP(n, "training mode (input training_mode '%s') is not supported: inference only",
				     tm->name);
		st = same_as(g, n, 0, x);
		if (!st)
			st = set_out(g, n, 1, XPU_DT_BOOL, x->ndim, x->dims);
		return st;
	}
	case XG_OP_Add: case XG_OP_Sub: case XG_OP_Mul: case XG_OP_Div: case XG_OP_Pow:
	case XG_OP_Max: case XG_OP_Min: case XG_OP_Equal:
		for (int i = 1; i < n->nin && n->op != XG_OP_Pow; i++)
			if (IN(g, n, i) && IN(g, n, i)->dtype != x->dtype)
				return BAD(n, "inputs have different data types (%s and %s)",
					   xg_dtype_name(x->dtype), xg_dtype_name(IN(g, n, i)->dtype));
		st = broadcast(g, n, 0, n->nin - 1, &nd, dims);
		if (st)
			return st;
		return set_out(g, n, 0, n->op == XG_OP_Equal ? XPU_DT_BOOL : x->dtype, nd, dims);
	case XG_OP_Where:
		if (x->dtype != XPU_DT_BOOL)
			return BAD(n, "condition must be bool (is %s)", xg_dtype_name(x->dtype));
		if (IN(g, n, 1)->dtype != IN(g, n, 2)->dtype)
			return BAD(n, "X and Y have different data types");
		st = broadcast(g, n, 0, 2, &nd, dims);
		if (st)
			return st;
		return set_out(g, n, 0, IN(g, n, 1)->dtype, nd, dims);
	case XG_OP_MatMul: case XG_OP_FusedMatMul:
		return infer_matmul(g, n);
	case XG_OP_Gemm:
		return infer_gemm(g, n);
	case XG_OP_Conv:
		return infer_conv(g, n);
	case XG_OP_MaxPool: case XG_OP_AveragePool: case XG_OP_GlobalAveragePool:
		return infer_pool(g, n);
	case XG_OP_Softmax:
		st = axis_attr(g, n, g->opset >= 13 ? -1 : 1, x->ndim, &axis);
		if (st)
			return st;
		if (g->opset < 13 && xg_dims_numel(x->ndim - axis - 1, &x->dims[axis + 1]) != 1)
			return UNSUP(n, "Softmax before opset 13 over the flattened axes %d.. is not supported",
				     axis);
		return same_as(g, n, 0, x);
	case XG_OP_LayerNormalization:
		st = axis_attr(g, n, -1, x->ndim, &axis);
		if (st)
			return st;
		if (xg_set_attr_float(n, "epsilon", xg_attr_float(n, "epsilon", 1e-5f)))
			return OOM();
		st = same_as(g, n, 0, x);
		memcpy(dims, x->dims, x->ndim * sizeof(int64_t));
		for (int d = axis; d < x->ndim; d++)
			dims[d] = 1;
		if (!st)
			st = set_out(g, n, 1, XPU_DT_F32, x->ndim, dims);
		if (!st)
			st = set_out(g, n, 2, XPU_DT_F32, x->ndim, dims);
		return st;
	case XG_OP_ReduceMean: case XG_OP_ReduceSum: case XG_OP_ReduceMax:
		return infer_reduce(g, n);
	case XG_OP_Reshape:
		return infer_reshape(g, n);
	case XG_OP_Expand:
		st = const_ints(g, n, 1, "shape", dims, XG_MAX_DIMS, &count);
		if (st)
			return st;
		{
			struct xg_tensor tmp;

			memset(&tmp, 0, sizeof(tmp));
			tmp.ndim = count;
			memcpy(tmp.dims, dims, count * sizeof(int64_t));
			for (int i = 0; i < count; i++)
				if (dims[i] < 0)
					return BAD(n, "shape[%d] is negative", i);
			{
				int64_t bd[XG_MAX_DIMS];
				int r = x->ndim > count ? x->ndim : count;

				for (int d = 0; d < r; d++) {
					int ia = d - (r - x->ndim), ib = d - (r - count);
					int64_t a = ia >= 0 ? x->dims[ia] : 1, b = ib >= 0 ? dims[ib] : 1;

					if (a != b && a != 1 && b != 1)
						return BAD(n, "input dimension %" PRId64 " does not expand to %" PRId64,
							   a, b);
					bd[d] = a == 1 ? b : a;
				}
				return set_out(g, n, 0, x->dtype, r, bd);
			}
		}
	case XG_OP_Transpose: {
		const struct xg_attr *p = xg_attr(n, "perm");
		int64_t perm[XG_MAX_DIMS];
		int used[XG_MAX_DIMS] = { 0 };

		if (p && (p->type != XG_ATTR_INTS || p->n != x->ndim))
			return BAD(n, "perm must have %d values", x->ndim);
		for (int d = 0; d < x->ndim; d++) {
			perm[d] = p ? p->ints[d] : x->ndim - 1 - d;
			if (perm[d] < 0)
				perm[d] += x->ndim;
			if (perm[d] < 0 || perm[d] >= x->ndim || used[perm[d]]++)
				return BAD(n, "perm is not a permutation of 0..%d", x->ndim - 1);
			dims[d] = x->dims[perm[d]];
		}
		if (xg_set_attr_ints(n, "perm", perm, x->ndim))
			return OOM();
		return set_out(g, n, 0, x->dtype, x->ndim, dims);
	}
	case XG_OP_Flatten: {
		int64_t a = xg_attr_int(n, "axis", 1);

		if (a < 0)
			a += x->ndim;
		if (a < 0 || a > x->ndim)
			return BAD(n, "axis %" PRId64 " is out of range for rank %d", a, x->ndim);
		dims[0] = (int64_t)xg_dims_numel((int)a, x->dims);
		dims[1] = (int64_t)xg_dims_numel(x->ndim - (int)a, x->dims + a);
		if (xg_set_attr_int(n, "axis", a))
			return OOM();
		return set_out(g, n, 0, x->dtype, 2, dims);
	}
	case XG_OP_Squeeze:
		return infer_squeeze(g, n, 0);
	case XG_OP_Unsqueeze:
		return infer_squeeze(g, n, 1);
	case XG_OP_Gather: {
		struct xg_tensor *idx = IN(g, n, 1);

		st = axis_attr(g, n, 0, x->ndim, &axis);
		if (st)
			return st;
		if (idx->dtype != XPU_DT_I64 && idx->dtype != XPU_DT_I32)
			return BAD(n, "indices must be int64 or int32 (are %s)", xg_dtype_name(idx->dtype));
		if (x->ndim - 1 + idx->ndim > XG_MAX_DIMS)
			return UNSUP(n, "output rank %d is too large", x->ndim - 1 + idx->ndim);
		nd = 0;
		for (int d = 0; d < axis; d++)
			dims[nd++] = x->dims[d];
		for (int d = 0; d < idx->ndim; d++)
			dims[nd++] = idx->dims[d];
		for (int d = axis + 1; d < x->ndim; d++)
			dims[nd++] = x->dims[d];
		return set_out(g, n, 0, x->dtype, nd, dims);
	}
	case XG_OP_Concat:
		if (!xg_attr(n, "axis"))
			return BAD(n, "attribute axis is missing");
		st = axis_attr(g, n, 0, x->ndim, &axis);
		if (st)
			return st;
		memcpy(dims, x->dims, x->ndim * sizeof(int64_t));
		dims[axis] = 0;
		for (int i = 0; i < n->nin; i++) {
			struct xg_tensor *t = IN(g, n, i);

			if (!t)
				continue;
			if (t->ndim != x->ndim || t->dtype != x->dtype)
				return BAD(n, "input %d ('%s') differs in rank or type", i, t->name);
			for (int d = 0; d < x->ndim; d++)
				if (d != axis && t->dims[d] != x->dims[d])
					return BAD(n, "input %d ('%s') differs in dimension %d", i, t->name,
						   d);
			if (t->dims[axis] > INT64_MAX / 4 - dims[axis])
				return BAD(n, "concatenated axis overflows");
			dims[axis] += t->dims[axis];
		}
		return set_out(g, n, 0, x->dtype, x->ndim, dims);
	case XG_OP_Slice:
		return infer_slice(g, n);
	case XG_OP_Split:
		return infer_split(g, n);
	case XG_OP_Cast: {
		const char *tn;
		int64_t to = xg_attr_int(n, "to", 0);
		int dt = xg_dtype_from_onnx(to, &tn);

		if (dt < 0 || !xg_attr(n, "to"))
			return BAD(n, "attribute 'to' is missing or not a data type (%" PRId64 ")", to);
		if (dt == 0)
			return UNSUP(n, "cast to %s is not supported", tn);
		return set_out(g, n, 0, dt, x->ndim, x->dims);
	}
	case XG_OP_Constant:
		return infer_constant(g, n);
	case XG_OP_Shape:
		return infer_shape_op(g, n);
	case XG_OP_QuantizeLinear: case XG_OP_DequantizeLinear: {
		struct xg_tensor *zp = IN(g, n, 2);
		int64_t a = xg_attr_int(n, "axis", 1);

		/* the axis only matters for per-axis (1-D) scales */
		if (IN(g, n, 1)->ndim == 1 && xg_numel(IN(g, n, 1)) != 1) {
			a = a < 0 ? a + x->ndim : a;
			if (a < 0 || a >= x->ndim)
				return BAD(n, "axis %" PRId64 " is out of range for rank %d",
					   xg_attr_int(n, "axis", 1), x->ndim);
			if (IN(g, n, 1)->dims[0] != x->dims[a])
				return BAD(n, "%" PRId64 " scales for axis %" PRId64 " of size %" PRId64,
					   IN(g, n, 1)->dims[0], a, x->dims[a]);
			if (xg_set_attr_int(n, "axis", a))
				return OOM();
		}
		if (n->op == XG_OP_DequantizeLinear)
			return set_out(g, n, 0, XPU_DT_F32, x->ndim, x->dims);
		return set_out(g, n, 0, zp ? zp->dtype : XPU_DT_U8, x->ndim, x->dims);
	}
	case XG_OP_ConstantOfShape: {
		const struct xg_attr *v = xg_attr(n, "value");
		uint32_t dt = XPU_DT_F32;

		st = const_ints(g, n, 0, "shape", dims, XG_MAX_DIMS, &count);
		if (st)
			return st;
		if (v && v->type == XG_ATTR_TENSOR && v->tensor >= 0) {
			if (xg_numel(&g->t[v->tensor]) != 1)
				return BAD(n, "value must have one element");
			dt = g->t[v->tensor].dtype;
		}
		for (int i = 0; i < count; i++)
			if (dims[i] < 0)
				return BAD(n, "shape[%d] is negative", i);
		return set_out(g, n, 0, dt, count, dims);
	}
	case XG_OP_Range:
		return infer_range(g, n);
	case XG_OP_COUNT:
		break;
	}
	return UNSUP(n, "no shape inference for this operator");
}

xpu_status xg_infer_each(struct xg_graph *g, xg_visit_fn visit, void *ctx)
{
	for (int i = 0; i < g->nn; i++) {
		int ready;
		xpu_status st;

		if (g->n[i].dead)
			continue;
		st = xg_infer_node(g, i, &ready);
		if (!st)
			st = visit(g, i, ready, ctx);
		if (st)
			return st;
	}
	return XPU_SUCCESS;
}

/* every node's outputs must be known after the shape pass */
static xpu_status require_ready(struct xg_graph *g, int node, int ready, void *ctx)
{
	struct xg_node *n = &g->n[node];

	(void)ctx;
	if (ready)
		return XPU_SUCCESS;
	for (int k = 0; k < n->nin; k++)
		if (n->in[k] >= 0 && g->t[n->in[k]].ndim < 0)
			return BAD(n, "the shape of input '%s' is unknown", g->t[n->in[k]].name);
	return BAD(n, "an input's shape is unknown");
}

xpu_status xg_pass_shape(struct xg_graph *g, const struct xg_options *opt)
{
	xpu_status st = xg_infer_each(g, require_ready, NULL);

	(void)opt;
	return st ? st : xg_validate(g, 1);
}
