// SPDX-License-Identifier: MIT
/*
 * The graph IR (graph.h): building and editing it, the structural validator
 * and the printer. Everything here is bounds-checked: the importer feeds it
 * untrusted models, so sizes are checked before any allocation and a failed
 * allocation is an error, never a crash.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "internal.h"

static const char *const op_names[] = {
#define XG_OP_STR(n) #n,
	XG_OP_LIST(XG_OP_STR)
#undef XG_OP_STR
};

const char *xg_op_name(enum xg_op op)
{
	if ((int)op < 0 || op >= XG_OP_COUNT)
		return NULL;
	return op_names[op];
}

int xg_grow(void **p, int *cap, int need, size_t elem)
{
	void *q;
	int c;

	if (need <= *cap)
		return 0;
	c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	q = realloc(*p, (size_t)c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

void *xg_scratch_alloc(struct xg_scratch *s, size_t count, size_t size)
{
	void *p = s->n < XG_SCRATCH_MAX ? calloc(count + 1, size) : NULL;

	if (!p) {
		s->failed = 1;
		return NULL;
	}
	s->p[s->n++] = p;
	return p;
}

xpu_status xg_scratch_end(struct xg_scratch *s, const char *who, xpu_status st)
{
	for (int i = 0; i < s->n; i++)
		free(s->p[i]);
	s->n = 0;
	if (s->failed && !st)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "%s: out of memory", who);
	return st;
}

xpu_status xg_node_error(xpu_status code, const struct xg_node *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return xpu_set_error(code, XG_NODE_FMT ": %s", XG_NODE_ARG(n), msg);
}

int xg_op_from_name(const char *name)
{
	if (!name)
		return -1;
	/* the fused forms are never imported */
	for (int i = 0; i < XG_OP_FusedMatMul; i++)
		if (!strcmp(op_names[i], name))
			return i;
	return -1;
}

/* Both from the one dtype table (uapi/xpu_dtype.h). */
uint32_t xg_dtype_size(uint32_t dtype)
{
	return (uint32_t)xpu_dtype_size(dtype);
}

/* the table's short name ("f32"), as in IR dumps and assembler suffixes */
const char *xg_dtype_name(uint32_t dtype)
{
#define XG_DTYPE_ABBR(name, value, bytes, str, abbr, ...) case value: return abbr;
	switch (dtype) {
	XPU_DTYPE_TABLE(XG_DTYPE_ABBR)
	case 0:
		return "?";
	}
#undef XG_DTYPE_ABBR
	return "bad";
}

struct xg_graph *xg_new(void)
{
	return calloc(1, sizeof(struct xg_graph));
}

static void free_attr(struct xg_attr *a)
{
	free(a->name);
	free(a->s);
	free(a->ints);
	free(a->floats);
}

void xg_free(struct xg_graph *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->nt; i++) {
		struct xg_tensor *t = &g->t[i];

		free(t->name);
		free(t->data);
		for (int d = 0; d < XG_MAX_DIMS; d++)
			free(t->dim_param[d]);
	}
	for (int i = 0; i < g->nn; i++) {
		struct xg_node *n = &g->n[i];

		free(n->name);
		free(n->in);
		free(n->out);
		for (int a = 0; a < n->nattrs; a++)
			free_attr(&n->attrs[a]);
		free(n->attrs);
	}
	free(g->t);
	free(g->n);
	free(g->inputs);
	free(g->outputs);
	free(g->name);
	free(g);
}

int xg_add_tensor(struct xg_graph *g, const char *name)
{
	struct xg_tensor *t;

	if (g->nt >= XG_MAX_TENSORS + 4096)	/* passes may add a few */
		return -1;
	if (xg_grow((void **)&g->t, &g->cap_t, g->nt + 1, sizeof(*g->t)))
		return -1;
	t = &g->t[g->nt];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name ? name : "");
	if (!t->name)
		return -1;
	t->ndim = -1;
	t->producer = -1;
	t->temp_of = -1;
	t->alias_of = -1;
	t->launch_first = t->launch_last = -1;
	return g->nt++;
}

int xg_find_tensor(const struct xg_graph *g, const char *name)
{
	/* linear: the importer keeps its own hash; passes look up rarely */
	for (int i = 0; i < g->nt; i++)
		if (!strcmp(g->t[i].name, name))
			return i;
	return -1;
}

int xg_new_tensor(struct xg_graph *g, const char *base)
{
	char buf[300];

	snprintf(buf, sizeof(buf), "%.200s#%d", base ? base : "t", g->nt);
	return xg_add_tensor(g, buf);
}

int xg_add_node(struct xg_graph *g, const char *name, enum xg_op op, int nin, int nout)
{
	struct xg_node *n;
	char buf[64];

	if (g->nn >= XG_MAX_NODES + 4096 || nin < 0 || nout < 0 || nin > XG_MAX_NODE_IO ||
	    nout > XG_MAX_NODE_IO)
		return -1;
	if (xg_grow((void **)&g->n, &g->cap_n, g->nn + 1, sizeof(*g->n)))
		return -1;
	n = &g->n[g->nn];
	memset(n, 0, sizeof(*n));
	if (!name || !*name) {
		snprintf(buf, sizeof(buf), "%s_%d", xg_op_name(op), g->nn);
		name = buf;
	}
	n->name = strdup(name);
	n->in = calloc(nin ? nin : 1, sizeof(int));
	n->out = calloc(nout ? nout : 1, sizeof(int));
	if (!n->name || !n->in || !n->out) {
		free(n->name);
		free(n->in);
		free(n->out);
		return -1;
	}
	for (int i = 0; i < nin; i++)
		n->in[i] = -1;
	for (int i = 0; i < nout; i++)
		n->out[i] = -1;
	n->op = op;
	n->nin = nin;
	n->nout = nout;
	return g->nn++;
}

const struct xg_attr *xg_attr(const struct xg_node *n, const char *name)
{
	for (int i = 0; i < n->nattrs; i++)
		if (!strcmp(n->attrs[i].name, name))
			return &n->attrs[i];
	return NULL;
}

int64_t xg_attr_int(const struct xg_node *n, const char *name, int64_t def)
{
	const struct xg_attr *a = xg_attr(n, name);

	return a && a->type == XG_ATTR_INT ? a->i : def;
}

float xg_attr_float(const struct xg_node *n, const char *name, float def)
{
	const struct xg_attr *a = xg_attr(n, name);

	if (!a)
		return def;
	if (a->type == XG_ATTR_FLOAT)
		return a->f;
	if (a->type == XG_ATTR_INT)
		return (float)a->i;
	return def;
}

void xg_del_attr(struct xg_node *n, const char *name)
{
	for (int i = 0; i < n->nattrs; i++) {
		if (strcmp(n->attrs[i].name, name))
			continue;
		free_attr(&n->attrs[i]);
		memmove(&n->attrs[i], &n->attrs[i + 1], (n->nattrs - i - 1) * sizeof(*n->attrs));
		n->nattrs--;
		return;
	}
}

static struct xg_attr *new_attr(struct xg_node *n, const char *name)
{
	struct xg_attr *a;
	void *p;

	xg_del_attr(n, name);
	p = realloc(n->attrs, (n->nattrs + 1) * sizeof(*n->attrs));
	if (!p)
		return NULL;
	n->attrs = p;
	a = &n->attrs[n->nattrs];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	if (!a->name)
		return NULL;
	a->tensor = -1;
	n->nattrs++;
	return a;
}

int xg_set_attr_int(struct xg_node *n, const char *name, int64_t v)
{
	struct xg_attr *a = new_attr(n, name);

	if (!a)
		return -1;
	a->type = XG_ATTR_INT;
	a->i = v;
	return 0;
}

int xg_set_attr_float(struct xg_node *n, const char *name, float v)
{
	struct xg_attr *a = new_attr(n, name);

	if (!a)
		return -1;
	a->type = XG_ATTR_FLOAT;
	a->f = v;
	return 0;
}

int xg_set_attr_ints(struct xg_node *n, const char *name, const int64_t *v, int count)
{
	int64_t *copy = malloc((count ? count : 1) * sizeof(int64_t));
	struct xg_attr *a;

	if (!copy)
		return -1;
	if (count)
		memcpy(copy, v, count * sizeof(int64_t));
	a = new_attr(n, name);
	if (!a) {
		free(copy);
		return -1;
	}
	a->type = XG_ATTR_INTS;
	a->ints = copy;
	a->n = count;
	return 0;
}

uint64_t xg_dims_numel(int ndim, const int64_t *dims)
{
	uint64_t n = 1;

	if (ndim < 0)
		return UINT64_MAX;
	for (int i = 0; i < ndim; i++) {
		if (dims[i] < 0)
			return UINT64_MAX;
		if (dims[i] && n > UINT64_MAX / (uint64_t)dims[i])
			return UINT64_MAX;
		n *= (uint64_t)dims[i];
	}
	return n;
}

uint64_t xg_numel(const struct xg_tensor *t)
{
	return xg_dims_numel(t->ndim, t->dims);
}

uint64_t xg_bytes(const struct xg_tensor *t)
{
	uint64_t n = xg_numel(t), es = xg_dtype_size(t->dtype);

	if (n == UINT64_MAX || (es && n > UINT64_MAX / es))
		return UINT64_MAX;
	return n * es;
}

void xg_set_shape(struct xg_tensor *t, uint32_t dtype, int ndim, const int64_t *dims)
{
	t->dtype = dtype;
	t->ndim = ndim;
	for (int i = 0; i < XG_MAX_DIMS; i++)
		t->dims[i] = i < ndim ? dims[i] : 0;
}

void xg_make_const(struct xg_graph *g, int t, uint32_t dtype, int ndim, const int64_t *dims,
		   void *data)
{
	struct xg_tensor *x = &g->t[t];

	free(x->data);
	xg_set_shape(x, dtype, ndim, dims);
	x->kind = XG_CONST;
	x->data = data;
	x->producer = -1;
}

int xg_new_const(struct xg_graph *g, const char *base, uint32_t dtype, int ndim,
		 const int64_t *dims, void *data)
{
	int t = xg_new_tensor(g, base);

	if (t < 0) {
		free(data);
		return -1;
	}
	xg_make_const(g, t, dtype, ndim, dims, data);
	return t;
}

int xg_users(const struct xg_graph *g, int t)
{
	int count = 0;

	for (int i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		for (int j = 0; j < g->n[i].nin; j++)
			count += g->n[i].in[j] == t;
	}
	return count;
}

int xg_sole_user(const struct xg_graph *g, int t)
{
	int user = -1;

	for (int i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		for (int j = 0; j < g->n[i].nin; j++) {
			if (g->n[i].in[j] != t)
				continue;
			if (user >= 0)
				return -1;
			user = i;
		}
	}
	return user;
}

void xg_replace_uses(struct xg_graph *g, int from, int to)
{
	for (int i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		for (int j = 0; j < g->n[i].nin; j++)
			if (g->n[i].in[j] == from)
				g->n[i].in[j] = to;
	}
}

void xg_kill_node(struct xg_graph *g, int node)
{
	struct xg_node *n = &g->n[node];

	n->dead = 1;
	for (int i = 0; i < n->nout; i++)
		if (n->out[i] >= 0 && g->t[n->out[i]].producer == node)
			g->t[n->out[i]].producer = -1;
}

int64_t xg_const_i64(const struct xg_tensor *t, uint64_t i)
{
	const void *d = t->data;

	switch (t->dtype) {
	case XPU_DT_I64: return ((const int64_t *)d)[i];
	case XPU_DT_I32: return ((const int32_t *)d)[i];
	case XPU_DT_I8: return ((const int8_t *)d)[i];
	case XPU_DT_U8: case XPU_DT_BOOL: return ((const uint8_t *)d)[i];
	case XPU_DT_F32: return (int64_t)((const float *)d)[i];
	}
	return 0;
}

float xg_const_f32(const struct xg_tensor *t, uint64_t i)
{
	if (t->dtype == XPU_DT_F32)
		return ((const float *)t->data)[i];
	if (t->dtype == XPU_DT_BF16) {
		uint32_t u = (uint32_t)((const uint16_t *)t->data)[i] << 16;
		float f;

		memcpy(&f, &u, 4);
		return f;
	}
	return (float)xg_const_i64(t, i);
}

/* ---- validator ---- */

xpu_status xg_validate(const struct xg_graph *g, int shapes_known)
{
	char *seen;
	xpu_status st = XPU_SUCCESS;

	seen = calloc(g->nt ? g->nt : 1, 1);	/* 1: defined so far */
	if (!seen)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "graph validator: out of memory");
	for (int i = 0; i < g->nt; i++) {
		const struct xg_tensor *t = &g->t[i];

		if (t->kind == XG_CONST || t->kind == XG_INPUT)
			seen[i] = 1;
		if (t->kind == XG_CONST && !t->data && xg_numel(t)) {
			st = xpu_set_error(XPU_ERROR_INVALID_BINARY,
					   "graph: constant tensor '%s' has no data", t->name);
			goto out;
		}
		if (t->producer >= g->nn || (t->producer >= 0 && t->kind != XG_VALUE)) {
			st = xpu_set_error(XPU_ERROR_INVALID_BINARY,
					   "graph: tensor '%s' has a bad producer %d", t->name,
					   t->producer);
			goto out;
		}
	}
	for (int i = 0; i < g->ninputs; i++)
		if (g->inputs[i] < 0 || g->inputs[i] >= g->nt) {
			st = xpu_set_error(XPU_ERROR_INVALID_BINARY, "graph: input %d out of range", i);
			goto out;
		}
	for (int ni = 0; ni < g->nn; ni++) {
		const struct xg_node *n = &g->n[ni];

		if (n->dead)
			continue;
		if ((int)n->op < 0 || n->op >= XG_OP_COUNT) {
			st = xpu_set_error(XPU_ERROR_INVALID_BINARY, "graph: node '%s' has bad op %d",
					   n->name, n->op);
			goto out;
		}
		/* the inputs, then the outputs: each input computed before, each
		 * output by this node only */
		for (int k = 0; k < n->nin + n->nout; k++) {
			int is_in = k < n->nin, j = is_in ? k : k - n->nin;
			int t = is_in ? n->in[j] : n->out[j];
			const char *what = is_in ? "input" : "output";

			if (t == -1)
				continue;
			if (t < 0 || t >= g->nt) {
				st = xpu_set_error(XPU_ERROR_INVALID_BINARY,
						   "graph: " XG_NODE_FMT ": %s %d is out of range (%d)",
						   XG_NODE_ARG(n), what, j, t);
				goto out;
			}
			if (is_in ? !seen[t] : (seen[t] || g->t[t].producer != ni)) {
				st = xpu_set_error(XPU_ERROR_INVALID_BINARY,
						   "graph: " XG_NODE_FMT ": %s '%s' %s", XG_NODE_ARG(n),
						   what, g->t[t].name, is_in ?
						   "is not produced before the node (cycle, or missing producer)" :
						   "has another producer");
				goto out;
			}
			seen[t] = 1;
		}
		for (int k = 0; k < n->nin + n->nout; k++) {
			int t = k < n->nin ? n->in[k] : n->out[k - n->nin];
			const struct xg_tensor *x;

			if (t < 0)
				continue;
			x = &g->t[t];
			if (shapes_known && !xg_dtype_size(x->dtype)) {
				st = xpu_set_error(XPU_ERROR_INVALID_BINARY,
						   "graph: " XG_NODE_FMT ": tensor '%s' has no known data type",
						   XG_NODE_ARG(n), x->name);
				goto out;
			}
			if (shapes_known && (x->ndim < 0 || x->ndim > XG_MAX_DIMS ||
					     xg_numel(x) == UINT64_MAX)) {
				st = xpu_set_error(XPU_ERROR_INVALID_BINARY,
						   "graph: " XG_NODE_FMT ": tensor '%s' has no static shape",
						   XG_NODE_ARG(n), x->name);
				goto out;
			}
		}
	}
	for (int i = 0; i < g->noutputs; i++) {
		int t = g->outputs[i];

		if (t < 0 || t >= g->nt || !seen[t]) {
			st = xpu_set_error(XPU_ERROR_INVALID_BINARY,
					   "graph: output '%s' is never produced",
					   t >= 0 && t < g->nt ? g->t[t].name : "?");
			goto out;
		}
	}
out:
	free(seen);
	return st;
}

/* ---- printer ---- */

static void print_tensor(const struct xg_graph *g, int t, FILE *f)
{
	const struct xg_tensor *x;

	if (t < 0) {
		fputs("-", f);
		return;
	}
	x = &g->t[t];
	fprintf(f, "%s:%s[", x->name, xg_dtype_name(x->dtype));
	if (x->ndim < 0) {
		fputs("?", f);
	} else {
		for (int d = 0; d < x->ndim; d++) {
			if (x->dims[d] < 0 && x->dim_param[d])
				fprintf(f, "%s%s", d ? "," : "", x->dim_param[d]);
			else
				fprintf(f, "%s%" PRId64, d ? "," : "", x->dims[d]);
		}
	}
	fputs("]", f);
	if (x->kind == XG_CONST)
		fputs("=const", f);
	if (x->temp_of >= 0)
		fprintf(f, "(temp of %d)", x->temp_of);
	if (x->alias_of >= 0)
		fprintf(f, "(alias of %s+%" PRIu64 ")", g->t[x->alias_of].name, x->alias_offset);
}

static const char *const act_names[] = { "none", "relu", "gelu_erf", "gelu_tanh", "sigmoid",
					 "tanh" };

void xg_print(const struct xg_graph *g, FILE *f)
{
	int live = 0;

	for (int i = 0; i < g->nn; i++)
		live += !g->n[i].dead;
	fprintf(f, "graph '%s' opset %" PRId64 ": %d nodes (%d live), %d tensors\n",
		g->name ? g->name : "", g->opset, g->nn, live, g->nt);
	for (int i = 0; i < g->ninputs; i++) {
		fputs("  input  ", f);
		print_tensor(g, g->inputs[i], f);
		fputs("\n", f);
	}
	for (int i = 0; i < g->nn; i++) {
		const struct xg_node *n = &g->n[i];

		if (n->dead)
			continue;
		fprintf(f, "  %4d %s %s(", i, n->name, xg_op_name(n->op));
		for (int j = 0; j < n->nin; j++) {
			fputs(j ? ", " : "", f);
			print_tensor(g, n->in[j], f);
		}
		fputs(") -> ", f);
		for (int j = 0; j < n->nout; j++) {
			fputs(j ? ", " : "", f);
			print_tensor(g, n->out[j], f);
		}
		if (n->act)
			fprintf(f, " act=%s", (unsigned)n->act < 6 ? act_names[n->act] : "?");
		for (int a = 0; a < n->nattrs; a++) {
			const struct xg_attr *at = &n->attrs[a];

			fprintf(f, " %s=", at->name);
			switch (at->type) {
			case XG_ATTR_INT: fprintf(f, "%" PRId64, at->i); break;
			case XG_ATTR_FLOAT: fprintf(f, "%g", at->f); break;
			case XG_ATTR_STRING: fprintf(f, "\"%s\"", at->s ? at->s : ""); break;
			case XG_ATTR_INTS:
				fputs("[", f);
				for (int k = 0; k < at->n && k < 16; k++)
					fprintf(f, "%s%" PRId64, k ? "," : "", at->ints[k]);
				fputs(at->n > 16 ? ",...]" : "]", f);
				break;
			case XG_ATTR_FLOATS:
				fputs("[", f);
				for (int k = 0; k < at->n && k < 16; k++)
					fprintf(f, "%s%g", k ? "," : "", at->floats[k]);
				fputs(at->n > 16 ? ",...]" : "]", f);
				break;
			case XG_ATTR_TENSOR:
				fprintf(f, "<tensor %s>", at->tensor >= 0 ? g->t[at->tensor].name : "?");
				break;
			}
		}
		fputs("\n", f);
	}
	for (int i = 0; i < g->noutputs; i++) {
		fputs("  output ", f);
		print_tensor(g, g->outputs[i], f);
		fputs("\n", f);
	}
	if (g->arena_size || g->const_size)
		fprintf(f, "  plan: arena %" PRIu64 " bytes (%" PRIu64 " without reuse), const %" PRIu64
			" bytes\n", g->arena_size, g->arena_no_reuse, g->const_size);
}
