// SPDX-License-Identifier: MIT
/*
 * Constant folding, incl. the Shape-derived values exporters emit
 * (Shape -> Gather -> Unsqueeze -> Concat -> Reshape and friends).
 *
 * Walks the live nodes in order, inferring each node's output shape first
 * (xg_infer_node), so a Shape node folds as soon as its input's shape is
 * known. A node whose inputs are all constants and whose op is in the
 * foldable set is evaluated on the CPU: floats in IEEE fp32 (the same
 * rounding the device's vector unit has), integers in int64 wrapped to the
 * dtype, so folding never changes a value the device would compute. Its
 * outputs become XG_CONST tensors and the node dies. An output that is a
 * graph output keeps a producer: the node becomes Identity(new constant).
 * Identity and inference-mode Dropout are removed by rewiring.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "internal.h"

#define BAD(n, fmt, ...) xpu_set_error(XPU_ERROR_INVALID_BINARY, XG_NODE_FMT ": " fmt, \
				      XG_NODE_ARG(n), ##__VA_ARGS__)
#define OOM() xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "constant folding: out of memory")

static struct xg_tensor *IN(struct xg_graph *g, struct xg_node *n, int i)
{
	return i < n->nin && n->in[i] >= 0 ? &g->t[n->in[i]] : NULL;
}

static int is_float(uint32_t dt)
{
	return dt == XPU_DT_F32 || dt == XPU_DT_BF16;
}

static uint16_t f32_to_bf16(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	if ((u & 0x7fffffff) > 0x7f800000)
		return (uint16_t)((u >> 16) | 0x40);	/* quiet NaN */
	u += 0x7fff + ((u >> 16) & 1);
	return (uint16_t)(u >> 16);
}

static void put_f(void *buf, uint32_t dt, uint64_t i, float v)
{
	if (dt == XPU_DT_F32)
		((float *)buf)[i] = v;
	else
		((uint16_t *)buf)[i] = f32_to_bf16(v);
}

static void put_i(void *buf, uint32_t dt, uint64_t i, int64_t v)
{
	switch (dt) {
	case XPU_DT_I64: ((int64_t *)buf)[i] = v; break;
	case XPU_DT_I32: ((int32_t *)buf)[i] = (int32_t)(uint32_t)v; break;
	case XPU_DT_I8: ((int8_t *)buf)[i] = (int8_t)(uint8_t)v; break;
	case XPU_DT_U8: ((uint8_t *)buf)[i] = (uint8_t)v; break;
	case XPU_DT_BOOL: ((uint8_t *)buf)[i] = v != 0; break;
	case XPU_DT_F32: case XPU_DT_BF16: put_f(buf, dt, i, (float)v); break;
	}
}

/* float -> int64 without undefined behaviour (NaN -> 0, saturating) */
static int64_t f2i(float f)
{
	if (!(f == f))
		return 0;
	if (f >= 9.2233720368547758e18f)
		return INT64_MAX;
	if (f <= -9.2233720368547758e18f)
		return INT64_MIN;
	return (int64_t)f;
}

/* Flat index into input t of output element o (numpy broadcasting). */
static uint64_t bcast_index(const struct xg_tensor *t, int ondim, const int64_t *odims, uint64_t o)
{
	uint64_t idx = 0, stride = 1;

	for (int d = ondim - 1; d >= 0; d--) {
		uint64_t c = o % (uint64_t)odims[d];
		int td = d - (ondim - t->ndim);

		o /= (uint64_t)odims[d];
		if (td < 0)
			continue;
		if (t->dims[td] != 1)
			idx += c * stride;
		stride *= (uint64_t)t->dims[td];
	}
	return idx;
}

static void *alloc_out(const struct xg_tensor *o)
{
	uint64_t b = xg_bytes(o);

	return b == UINT64_MAX ? NULL : calloc(1, b ? b : 1);
}

static xpu_status fold_binary(struct xg_graph *g, struct xg_node *n, const struct xg_tensor *o,
			      void *out)
{
	uint64_t numel = xg_numel(o);
	const struct xg_tensor *a = IN(g, n, 0), *b = IN(g, n, 1);
	int fl = is_float(a->dtype);

	for (uint64_t i = 0; i < numel; i++) {
		uint64_t ia = bcast_index(a, o->ndim, o->dims, i), ib = bcast_index(b, o->ndim, o->dims, i);

		if (fl) {
			float x = xg_const_f32(a, ia), y = xg_const_f32(b, ib), r = 0;

			switch (n->op) {
			case XG_OP_Add: r = x + y; break;
			case XG_OP_Sub: r = x - y; break;
			case XG_OP_Mul: r = x * y; break;
			case XG_OP_Div: r = x / y; break;
			case XG_OP_Max: r = x >= y || y != y ? x : y; break;
			case XG_OP_Min: r = x <= y || y != y ? x : y; break;
			case XG_OP_Equal: put_i(out, o->dtype, i, x == y); continue;
			default: break;
			}
			put_f(out, o->dtype, i, r);
		} else {
			int64_t x = xg_const_i64(a, ia), y = xg_const_i64(b, ib), r = 0;

			switch (n->op) {
			case XG_OP_Add: r = (int64_t)((uint64_t)x + (uint64_t)y); break;
			case XG_OP_Sub: r = (int64_t)((uint64_t)x - (uint64_t)y); break;
			case XG_OP_Mul: r = (int64_t)((uint64_t)x * (uint64_t)y); break;
			case XG_OP_Div:
				if (!y || (x == INT64_MIN && y == -1))
					return BAD(n, "integer division by zero (or overflow) in a constant");
				r = x / y;
				break;
			case XG_OP_Max: r = x > y ? x : y; break;
			case XG_OP_Min: r = x < y ? x : y; break;
			case XG_OP_Equal: r = x == y; break;
			default: break;
			}
			put_i(out, o->dtype, i, r);
		}
	}
	return XPU_SUCCESS;
}

/* Copy element si of s to element di of out (same dtype). */
static void copy_el(void *out, uint64_t di, const struct xg_tensor *s, uint64_t si)
{
	uint32_t es = xg_dtype_size(s->dtype);

	memcpy((char *)out + di * es, (const char *)s->data + si * es, es);
}

static void strides_of(int ndim, const int64_t *dims, uint64_t *st)
{
	uint64_t s = 1;

	for (int d = ndim - 1; d >= 0; d--) {
		st[d] = s;
		s *= (uint64_t)dims[d];
	}
}

static xpu_status fold_gather(struct xg_graph *g, struct xg_node *n, const struct xg_tensor *o,
			      void *out)
{
	const struct xg_tensor *x = IN(g, n, 0), *idx = IN(g, n, 1);
	int axis = (int)xg_attr_int(n, "axis", 0);
	uint64_t outer = xg_dims_numel(axis, x->dims), inner = xg_dims_numel(x->ndim - axis - 1,
									    x->dims + axis + 1);
	uint64_t ni = xg_numel(idx), k = 0;
	int64_t dim = x->dims[axis];

	for (uint64_t a = 0; a < outer; a++)
		for (uint64_t j = 0; j < ni; j++) {
			int64_t v = xg_const_i64(idx, j);

			if (v < 0)
				v += dim;
			if (v < 0 || v >= dim)
				return BAD(n, "index %" PRId64 " is out of range for a dimension of %" PRId64,
					   xg_const_i64(idx, j), dim);
			for (uint64_t b = 0; b < inner; b++)
				copy_el(out, k++, x, (a * dim + v) * inner + b);
		}
	(void)o;
	return XPU_SUCCESS;
}

static void fold_concat(struct xg_graph *g, struct xg_node *n, const struct xg_tensor *o, void *out)
{
	int axis = (int)xg_attr_int(n, "axis", 0);
	uint64_t outer = xg_dims_numel(axis, o->dims), k = 0;

	for (uint64_t a = 0; a < outer; a++)
		for (int i = 0; i < n->nin; i++) {
			const struct xg_tensor *t = IN(g, n, i);
			uint64_t chunk;

			if (!t)
				continue;
			chunk = xg_dims_numel(t->ndim - axis, t->dims + axis);
			for (uint64_t b = 0; b < chunk; b++)
				copy_el(out, k++, t, a * chunk + b);
		}
}

/* out[i] = x[base + sum_d c_d * ostride[d]], (c_0, ...) the index of i in o */
static void gather_strided(void *out, const struct xg_tensor *o, const struct xg_tensor *x,
			   uint64_t base, const uint64_t *ostride)
{
	uint64_t numel = xg_numel(o);

	for (uint64_t i = 0; i < numel; i++) {
		uint64_t rem = i, src = base;

		for (int d = o->ndim - 1; d >= 0; d--) {
			uint64_t c = rem % (uint64_t)o->dims[d];

			rem /= (uint64_t)o->dims[d];
			src += c * ostride[d];
		}
		copy_el(out, i, x, src);
	}
}

static void fold_slice(struct xg_graph *g, struct xg_node *n, const struct xg_tensor *o, void *out)
{
	const struct xg_tensor *x = IN(g, n, 0);
	const struct xg_attr *sa = xg_attr(n, "starts"), *aa = xg_attr(n, "axes"),
		*pa = xg_attr(n, "steps");
	int64_t start[XG_MAX_DIMS] = { 0 }, step[XG_MAX_DIMS];
	uint64_t xs[XG_MAX_DIMS], os[XG_MAX_DIMS], base = 0;

	for (int d = 0; d < x->ndim; d++)
		step[d] = 1;
	for (int i = 0; sa && i < sa->n; i++) {
		start[aa->ints[i]] = sa->ints[i];
		step[aa->ints[i]] = pa->ints[i];
	}
	strides_of(x->ndim, x->dims, xs);
	for (int d = 0; d < x->ndim; d++) {	/* a slice keeps the rank */
		base += (uint64_t)start[d] * xs[d];
		os[d] = (uint64_t)step[d] * xs[d];
	}
	gather_strided(out, o, x, base, os);
}

static void fold_transpose(struct xg_graph *g, struct xg_node *n, const struct xg_tensor *o, void *out)
{
	const struct xg_tensor *x = IN(g, n, 0);
	const struct xg_attr *p = xg_attr(n, "perm");
	uint64_t xs[XG_MAX_DIMS], os[XG_MAX_DIMS];

	strides_of(x->ndim, x->dims, xs);
	for (int d = 0; d < o->ndim; d++)
		os[d] = xs[p->ints[d]];
	gather_strided(out, o, x, 0, os);
}

static xpu_status fold_constant(struct xg_graph *g, struct xg_node *n, const struct xg_tensor *o,
				void *out)
{
	const struct xg_attr *a;

	if ((a = xg_attr(n, "value")) && a->type == XG_ATTR_TENSOR && a->tensor >= 0) {
		memcpy(out, g->t[a->tensor].data, xg_bytes(o));
	} else if ((a = xg_attr(n, "value_float"))) {
		((float *)out)[0] = a->type == XG_ATTR_FLOAT ? a->f : (float)a->i;
	} else if ((a = xg_attr(n, "value_int"))) {
		((int64_t *)out)[0] = a->type == XG_ATTR_INT ? a->i : 0;
	} else if ((a = xg_attr(n, "value_floats"))) {
		memcpy(out, a->floats, a->n * sizeof(float));
	} else if ((a = xg_attr(n, "value_ints"))) {
		memcpy(out, a->ints, a->n * sizeof(int64_t));
	} else {
		return BAD(n, "has no value");
	}
	return XPU_SUCCESS;
}

/* Evaluate node n into out (the output's buffer); *did = 0 if not foldable. */
static xpu_status eval(struct xg_graph *g, struct xg_node *n, const struct xg_tensor *o, void *out)
{
	const struct xg_tensor *x = IN(g, n, 0);
	uint64_t numel = xg_numel(o);

	switch (n->op) {
	case XG_OP_Constant:
		return fold_constant(g, n, o, out);
	case XG_OP_Shape: {
		int64_t s = xg_attr_int(n, "start", 0);

		for (uint64_t i = 0; i < numel; i++)
			((int64_t *)out)[i] = x->dims[s + (int64_t)i];
		return XPU_SUCCESS;
	}
	case XG_OP_Identity: case XG_OP_Reshape: case XG_OP_Squeeze: case XG_OP_Unsqueeze:
	case XG_OP_Flatten: case XG_OP_Dropout:
		memcpy(out, x->data, xg_bytes(o));
		return XPU_SUCCESS;
	case XG_OP_Add: case XG_OP_Sub: case XG_OP_Mul: case XG_OP_Div: case XG_OP_Equal:
		return fold_binary(g, n, o, out);
	case XG_OP_Max: case XG_OP_Min:
		if (n->nin != 2)
			return XPU_ERROR_NOT_SUPPORTED;
		return fold_binary(g, n, o, out);
	case XG_OP_Neg:
		for (uint64_t i = 0; i < numel; i++) {
			if (is_float(o->dtype))
				put_f(out, o->dtype, i, -xg_const_f32(x, i));
			else
				put_i(out, o->dtype, i, (int64_t)(0 - (uint64_t)xg_const_i64(x, i)));
		}
		return XPU_SUCCESS;
	case XG_OP_Where: {
		const struct xg_tensor *a = IN(g, n, 1), *b = IN(g, n, 2);

		for (uint64_t i = 0; i < numel; i++) {
			int c = xg_const_i64(x, bcast_index(x, o->ndim, o->dims, i)) != 0;
			const struct xg_tensor *s = c ? a : b;

			copy_el(out, i, s, bcast_index(s, o->ndim, o->dims, i));
		}
		return XPU_SUCCESS;
	}
	case XG_OP_Expand:
		for (uint64_t i = 0; i < numel; i++)
			copy_el(out, i, x, bcast_index(x, o->ndim, o->dims, i));
		return XPU_SUCCESS;
	case XG_OP_Cast:
		for (uint64_t i = 0; i < numel; i++) {
			if (is_float(o->dtype))
				put_f(out, o->dtype, i, xg_const_f32(x, i));
			else if (is_float(x->dtype))
				put_i(out, o->dtype, i, o->dtype == XPU_DT_BOOL ?
				      xg_const_f32(x, i) != 0 : f2i(xg_const_f32(x, i)));
			else
				put_i(out, o->dtype, i, xg_const_i64(x, i));
		}
		return XPU_SUCCESS;
	case XG_OP_Gather:
		return fold_gather(g, n, o, out);
	case XG_OP_Concat:
		fold_concat(g, n, o, out);
		return XPU_SUCCESS;
	case XG_OP_Slice:
		fold_slice(g, n, o, out);
		return XPU_SUCCESS;
	case XG_OP_Transpose:
		fold_transpose(g, n, o, out);
		return XPU_SUCCESS;
	case XG_OP_ConstantOfShape: {
		const struct xg_attr *v = xg_attr(n, "value");
		uint32_t es = xg_dtype_size(o->dtype);

		if (v && v->type == XG_ATTR_TENSOR && v->tensor >= 0)
			for (uint64_t i = 0; i < numel; i++)
				memcpy((char *)out + i * es, g->t[v->tensor].data, es);
		return XPU_SUCCESS;	/* default: float 0 (calloc'ed) */
	}
	case XG_OP_Range: {
		const struct xg_tensor *l = IN(g, n, 2);

		for (uint64_t i = 0; i < numel; i++) {
			if (is_float(o->dtype))
				put_f(out, o->dtype, i, xg_const_f32(x, 0) + (float)i * xg_const_f32(l, 0));
			else
				put_i(out, o->dtype, i, xg_const_i64(x, 0) +
				      (int64_t)i * xg_const_i64(l, 0));
		}
		return XPU_SUCCESS;
	}
	case XG_OP_Trilu: {
		int upper = xg_attr_int(n, "upper", 1) != 0;
		const struct xg_tensor *kt = IN(g, n, 1);
		int64_t k = kt && xg_numel(kt) ? xg_const_i64(kt, 0) : 0;
		int64_t rows, cols;

		if (o->ndim < 2)
			return BAD(n, "input must have rank >= 2");
		rows = o->dims[o->ndim - 2];
		cols = o->dims[o->ndim - 1];
		for (uint64_t i = 0; i < numel; i++) {
			int64_t c = (int64_t)(i % (uint64_t)cols), r = (int64_t)(i / (uint64_t)cols % (uint64_t)rows);
			int keep = upper ? c - r >= k : c - r <= k;

			if (keep)
				copy_el(out, i, x, i);
		}
		return XPU_SUCCESS;
	}
	default:
		return XPU_ERROR_NOT_SUPPORTED;	/* not foldable: leave it */
	}
}

/* the ops eval() computes */
static int foldable(const struct xg_node *n)
{
	switch (n->op) {
	case XG_OP_Constant: case XG_OP_Shape: case XG_OP_Identity: case XG_OP_Reshape:
	case XG_OP_Squeeze: case XG_OP_Unsqueeze: case XG_OP_Flatten: case XG_OP_Dropout:
	case XG_OP_Add: case XG_OP_Sub: case XG_OP_Mul: case XG_OP_Div: case XG_OP_Equal:
	case XG_OP_Neg: case XG_OP_Where: case XG_OP_Expand: case XG_OP_Cast: case XG_OP_Gather:
	case XG_OP_Concat: case XG_OP_Slice: case XG_OP_Transpose: case XG_OP_ConstantOfShape:
	case XG_OP_Range: case XG_OP_Trilu:
		return 1;
	case XG_OP_Max: case XG_OP_Min:
		return n->nin == 2;
	default:
		return 0;
	}
}

/* Identity / inference Dropout: rewire so the node can go (a Dropout that
 * cannot go becomes an Identity). 1 if changed, -1 on OOM. */
static int remove_identity(struct xg_graph *g, int ni)
{
	struct xg_node *n = &g->n[ni];
	int x = n->in[0], y = n->out[0], p;

	if (x < 0 || y < 0)
		return 0;
	if (n->op == XG_OP_Dropout) {
		struct xg_tensor *tm = IN(g, n, 2);
		int m = n->nout > 1 ? n->out[1] : -1;

		if (tm && (tm->kind != XG_CONST || !xg_numel(tm) || xg_const_i64(tm, 0)))
			return 0;	/* training mode: pass_shape says no */
		/* inference: y = x, and the mask is all true */
		if (m >= 0 && (g->t[m].is_output || xg_users(g, m))) {
			uint64_t numel = xg_numel(&g->t[x]);
			uint8_t *ones = malloc(numel ? numel : 1);
			int c, k;

			if (!ones || numel == UINT64_MAX) {
				free(ones);
				return -1;
			}
			memset(ones, 1, numel);
			c = xg_new_const(g, g->t[m].name, XPU_DT_BOOL, g->t[x].ndim, g->t[x].dims, ones);
			if (c < 0)
				return -1;
			if (g->t[m].is_output) {
				/* a graph output keeps a producer: Identity(ones), appended
				 * (its input is a constant: the order stays topological) */
				k = xg_add_node(g, g->t[m].name, XG_OP_Identity, 1, 1);
				if (k < 0)
					return -1;
				g->n[k].in[0] = c;
				g->n[k].out[0] = m;
				g->t[m].producer = k;
			} else {
				xg_replace_uses(g, m, c);
				g->t[m].producer = -1;
			}
		} else if (m >= 0) {
			g->t[m].producer = -1;
		}
		n = &g->n[ni];
		n->op = XG_OP_Identity;
		n->nin = 1;
		n->nout = 1;
		while (n->nattrs)
			xg_del_attr(n, n->attrs[0].name);
		if (g->t[y].is_output && (g->t[x].kind != XG_VALUE || g->t[x].producer < 0 ||
					  g->t[x].is_output))
			return 1;	/* stays an Identity (a copy): changed all the same */
	}
	if (!g->t[y].is_output) {
		xg_replace_uses(g, y, x);
		xg_kill_node(g, ni);
		return 1;
	}
	p = g->t[x].producer;
	if (g->t[x].kind != XG_VALUE || p < 0 || g->t[x].is_output)
		return 0;
	/* the producer writes the graph output directly */
	for (int j = 0; j < g->n[p].nout; j++)
		if (g->n[p].out[j] == x)
			g->n[p].out[j] = y;
	xg_replace_uses(g, x, y);
	xg_kill_node(g, ni);
	g->t[y].producer = p;
	g->t[x].producer = -1;
	return 1;
}

static int all_const(struct xg_graph *g, struct xg_node *n)
{
	for (int i = 0; i < n->nin; i++)
		if (n->in[i] >= 0 && g->t[n->in[i]].kind != XG_CONST)
			return 0;
	return 1;
}

static xpu_status fold_node(struct xg_graph *g, int ni, int *progress)
{
	struct xg_node *n = &g->n[ni];
	void *bufs[1] = { 0 };
	xpu_status st = XPU_SUCCESS;

	if (n->nout > 1)
		return XPU_SUCCESS;	/* Split & co. stay */
	if (n->op != XG_OP_Shape && n->op != XG_OP_Constant && !all_const(g, n))
		return XPU_SUCCESS;
	if (n->out[0] < 0 || !foldable(n))
		return XPU_SUCCESS;
	{
		uint64_t limit = g->max_bytes ? g->max_bytes : XG_DEFAULT_MAX_BYTES;
		uint64_t bytes = xg_bytes(&g->t[n->out[0]]);

		if (bytes > limit || g->const_bytes > limit - bytes)
			return BAD(n, "folding it would make the constants exceed %" PRIu64 " bytes",
				   limit);
	}
	bufs[0] = alloc_out(&g->t[n->out[0]]);
	if (!bufs[0])
		return OOM();
	st = eval(g, n, &g->t[n->out[0]], bufs[0]);
	if (st == XPU_ERROR_NOT_SUPPORTED) {
		free(bufs[0]);
		return XPU_SUCCESS;
	}
	if (st) {
		free(bufs[0]);
		return st;
	}
	g->const_bytes += xg_bytes(&g->t[n->out[0]]);
	{
		int y = n->out[0];
		struct xg_tensor *o = &g->t[y];
		int64_t dims[XG_MAX_DIMS];
		int nd = o->ndim;
		uint32_t dt = o->dtype;

		memcpy(dims, o->dims, sizeof(dims));
		if (o->is_output) {
			int c = xg_new_const(g, g->t[y].name, dt, nd, dims, bufs[0]);
			struct xg_attr *attrs;
			int nattrs;

			if (c < 0)
				return OOM();
			n = &g->n[ni];
			/* becomes Identity(c) -> y */
			attrs = n->attrs;
			nattrs = n->nattrs;
			n->attrs = NULL;
			n->nattrs = 0;
			for (int a = 0; a < nattrs; a++) {
				free(attrs[a].name);
				free(attrs[a].s);
				free(attrs[a].ints);
				free(attrs[a].floats);
			}
			free(attrs);
			n->op = XG_OP_Identity;
			n->in[0] = c;
			n->nin = 1;
		} else {
			xg_kill_node(g, ni);
			xg_make_const(g, y, dt, nd, dims, bufs[0]);
		}
	}
	*progress = 1;
	return XPU_SUCCESS;
}

/* one node whose inputs' shapes are known: removed if an identity, else
 * folded if its inputs are constants (*progress = 1 for either) */
static xpu_status fold_visit(struct xg_graph *g, int i, int ready, void *progress)
{
	int r;

	if (!ready)
		return XPU_SUCCESS;
	if (g->n[i].op != XG_OP_Identity && g->n[i].op != XG_OP_Dropout)
		return fold_node(g, i, progress);
	r = remove_identity(g, i);
	if (r < 0)
		return OOM();
	if (r)
		*(int *)progress = 1;
	return XPU_SUCCESS;
}

xpu_status xg_pass_fold(struct xg_graph *g, int *progress)
{
	*progress = 0;
	return xg_infer_each(g, fold_visit, progress);
}
