// SPDX-License-Identifier: MIT
/*
 * The CPU reference interpreter (reference.h) and the public
 * xpu_model_reference_onnx(): the model goes through the same front end as
 * xpu_model_compile_onnx() (xg_frontend: import, then fold/shape/fuse until
 * nothing changes), then every live node runs in graph order on host
 * buffers, one per tensor (constants are read in place), data-movement
 * ops through xg_ref_data (reference_data.c), everything else through
 * xg_ref_math (reference_math.c), which compute as the kernels do.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lower.h"
#include "reference.h"
#include "xpu/xpu_graph.h"

static int is_data_op(enum xg_op op)
{
	switch (op) {
	case XG_OP_Reshape: case XG_OP_Flatten: case XG_OP_Squeeze: case XG_OP_Unsqueeze:
	case XG_OP_Identity: case XG_OP_Transpose: case XG_OP_Concat: case XG_OP_Slice:
	case XG_OP_Split: case XG_OP_Gather: case XG_OP_Expand: case XG_OP_Trilu:
		return 1;
	default:
		return 0;
	}
}

xpu_status xg_reference_run(struct xg_ref *R)
{
	struct xg_graph *g = R->g;

	for (int i = 0; i < g->nn; i++) {
		const struct xg_node *n = &g->n[i];
		xpu_status st;

		if (n->dead)
			continue;
		for (int k = 0; k < n->nin; k++)
			if (n->in[k] >= 0 && !R->val[n->in[k]] && xg_bytes(&g->t[n->in[k]]))
				return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "node '%s' (%s): "
						     "input '%s' has no value", n->name,
						     xg_op_name(n->op), g->t[n->in[k]].name);
		for (int k = 0; k < n->nout; k++) {
			int t = n->out[k];
			uint64_t b;

			if (t < 0 || R->val[t])
				continue;
			b = xg_bytes(&g->t[t]);
			R->val[t] = calloc(1, b ? b : 1);
			if (!R->val[t])
				return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "reference: %llu bytes "
						     "for '%s'", (unsigned long long)b,
						     g->t[t].name);
		}
		st = is_data_op(n->op) ? xg_ref_data(R, i) : xg_ref_math(R, i);
		if (st)
			return st;
	}
	return XPU_SUCCESS;
}

/* The graph input (is_in) or output that h names, in *t, and h's size and
 * data pointer checked against it. */
static xpu_status host_tensor(const struct xg_graph *g, int is_in, const struct xpu_host_tensor *h,
			      int *t)
{
	const char *what = is_in ? "input" : "output";
	const int *io = is_in ? g->inputs : g->outputs;
	int n = is_in ? g->ninputs : g->noutputs;

	*t = -1;
	for (int k = 0; h->name && k < n; k++)
		if (!strcmp(g->t[io[k]].name, h->name))
			*t = io[k];
	if (*t < 0)
		return xpu_set_error(XPU_ERROR_NOT_FOUND, "the model has no %s '%s'", what,
				     h->name ? h->name : "(null)");
	if (h->size != xg_bytes(&g->t[*t]) || (h->size && !h->data))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "%s '%s': %zu bytes given, it has %llu", what, h->name,
				     h->size, (unsigned long long)xg_bytes(&g->t[*t]));
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_model_reference_onnx(const void *onnx, size_t size,
					       const struct xpu_cc_target *target,
					       const struct xpu_model_options *mo,
					       const struct xpu_host_tensor *inputs,
					       uint32_t num_inputs, struct xpu_host_tensor *outputs,
					       uint32_t num_outputs)
{
	struct xg_options opt;
	struct xg_dim_binding *bind = NULL;
	struct xg_graph *g = NULL;
	struct xg_ref R = { 0 };
	xpu_status st;

	if (!onnx || !target || (num_inputs && !inputs) || (num_outputs && !outputs))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = xg_options_from_model(mo, &opt, &bind);
	if (st)
		return st;
	st = xg_frontend(onnx, size, &opt, &g);
	if (st)
		goto out;
	R.g = g;
	R.precision = g->precision;
	R.val = calloc((size_t)g->nt + 1, sizeof(*R.val));
	if (!R.val) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
		goto out;
	}
	for (int t = 0; t < g->nt; t++)
		if (g->t[t].kind == XG_CONST)
			R.val[t] = g->t[t].data;
	for (uint32_t i = 0; i < num_inputs; i++) {
		int t;

		st = host_tensor(g, 1, &inputs[i], &t);
		if (st)
			goto out;
		if (R.val[t]) {
			st = xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "input '%s' given twice",
					   inputs[i].name);
			goto out;
		}
		R.val[t] = malloc(inputs[i].size ? inputs[i].size : 1);
		if (!R.val[t]) {
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "malloc");
			goto out;
		}
		memcpy(R.val[t], inputs[i].data, inputs[i].size);
	}
	for (int k = 0; k < g->ninputs; k++)
		if (!R.val[g->inputs[k]]) {
			st = xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "input '%s' not given",
					   g->t[g->inputs[k]].name);
			goto out;
		}
	st = xg_reference_run(&R);
	if (st)
		goto out;
	for (uint32_t i = 0; i < num_outputs; i++) {
		int t;

		st = host_tensor(g, 0, &outputs[i], &t);
		if (st)
			goto out;
		if (outputs[i].size)
			memcpy(outputs[i].data, R.val[t], outputs[i].size);
	}
out:
	if (R.val) {
		for (int t = 0; t < g->nt; t++)
			if (g->t[t].kind != XG_CONST || R.val[t] != g->t[t].data)
				free(R.val[t]);
		free(R.val);
	}
	xg_free(g);
	for (int i = 0; bind && i < opt.ndims; i++)
		free((char *)bind[i].name);
	free(bind);
	return xpu_ok(st);
}
