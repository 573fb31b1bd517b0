/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the model compiler's host tests (tests/graph/NAME_test.c): the
 * test models python3-onnx wrote into $XPU_GRAPH_TESTS (graph_model.h), and
 * small IR builders for graphs made in C.
 */
#ifndef GRAPH_TEST_H
#define GRAPH_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "graph.h"
#include "graph_model.h"

/* Import + fold/shape/fuse of a test model; status, graph in *g. */
static inline xpu_status gt_front(const char *name, const struct xg_options *opt,
				  struct xg_graph **g)
{
	size_t size;
	void *data = gt_load(name, &size);
	xpu_status st;

	*g = NULL;
	if (!data)
		return XPU_ERROR_NOT_FOUND;
	st = xg_frontend(data, size, opt, g);
	free(data);
	return st;
}

static inline int gt_count(const struct xg_graph *g, enum xg_op op)
{
	int c = 0;

	for (int i = 0; i < g->nn; i++)
		c += !g->n[i].dead && g->n[i].op == op;
	return c;
}

static inline int gt_live(const struct xg_graph *g)
{
	int c = 0;

	for (int i = 0; i < g->nn; i++)
		c += !g->n[i].dead;
	return c;
}

/* the first live node of op, or -1 */
static inline int gt_find(const struct xg_graph *g, enum xg_op op)
{
	for (int i = 0; i < g->nn; i++)
		if (!g->n[i].dead && g->n[i].op == op)
			return i;
	return -1;
}

/* ---- building graphs in C ---- */
static inline int gt_tensor(struct xg_graph *g, const char *name, uint32_t dtype, int ndim, ...)
{
	int t = xg_add_tensor(g, name);
	va_list ap;

	va_start(ap, ndim);
	g->t[t].dtype = dtype;
	g->t[t].ndim = ndim;
	for (int i = 0; i < ndim; i++)
		g->t[t].dims[i] = va_arg(ap, int64_t);
	va_end(ap);
	return t;
}

static inline int gt_input(struct xg_graph *g, const char *name, uint32_t dtype, int ndim,
			   const int64_t *dims)
{
	int t = xg_add_tensor(g, name);

	xg_set_shape(&g->t[t], dtype, ndim, dims);
	g->t[t].kind = XG_INPUT;
	g->inputs = realloc(g->inputs, (g->ninputs + 1) * sizeof(int));
	g->inputs[g->ninputs++] = t;
	return t;
}

static inline int gt_const_i64(struct xg_graph *g, const char *name, int n, const int64_t *v)
{
	int64_t d = n, *data = malloc((n ? n : 1) * sizeof(int64_t));

	memcpy(data, v, n * sizeof(int64_t));
	return xg_new_const(g, name, XPU_DT_I64, 1, &d, data);
}

static inline int gt_const_f32(struct xg_graph *g, const char *name, int ndim, const int64_t *dims,
			       float fill)
{
	uint64_t n = xg_dims_numel(ndim, dims);
	float *data = malloc((n ? n : 1) * sizeof(float));

	for (uint64_t i = 0; i < n; i++)
		data[i] = fill + (float)i;
	return xg_new_const(g, name, XPU_DT_F32, ndim, dims, data);
}

/* a node with inputs in[] and fresh outputs; returns the node index */
static inline int gt_node(struct xg_graph *g, const char *name, enum xg_op op, int nin,
			  const int *in, int nout)
{
	int n = xg_add_node(g, name, op, nin, nout);

	for (int i = 0; i < nin; i++)
		g->n[n].in[i] = in[i];
	for (int i = 0; i < nout; i++) {
		char buf[128];
		int t;

		snprintf(buf, sizeof(buf), "%s.out%d", name, i);
		t = xg_add_tensor(g, buf);
		g->n[n].out[i] = t;
		g->t[t].producer = n;
	}
	return n;
}

static inline void gt_output(struct xg_graph *g, int t)
{
	g->outputs = realloc(g->outputs, (g->noutputs + 1) * sizeof(int));
	g->outputs[g->noutputs++] = t;
	g->t[t].is_output = 1;
}

#define GT_DIMS(t, ...) ({ \
	int64_t want_[] = { __VA_ARGS__ }; \
	int ok_ = (t)->ndim == (int)(sizeof(want_) / sizeof(want_[0])); \
	for (int i_ = 0; ok_ && i_ < (t)->ndim; i_++) \
		ok_ = (t)->dims[i_] == want_[i_]; \
	ok_; })

#endif /* GRAPH_TEST_H */
