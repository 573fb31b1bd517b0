// SPDX-License-Identifier: MIT
/*
 * The model compiler's driver: the pipeline of graph.h in order.
 *
 *   xg_import_onnx -> { xg_pass_fold, xg_pass_shape, xg_pass_fuse } until no
 *   pass changes anything -> xg_lower -> (launch ranges) -> xg_pass_plan ->
 *   xg_emit
 *
 * xg_frontend() is the part before lowering (the CPU reference starts from
 * it too). With XPU_GRAPH_DEBUG=1 in the environment, or a debug stream in
 * the options (XPU_MODEL_DEBUG_PRINT), the graph is validated and printed
 * after every pass. xpu_model_compile_onnx() is the public entry point.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "internal.h"
#ifndef XG_FRONT_ONLY
#include "lower.h"
#endif

#define XG_MAX_ROUNDS 32

static FILE *debug_stream(const struct xg_options *opt)
{
	const char *e = getenv("XPU_GRAPH_DEBUG");

	if (opt && opt->debug)
		return opt->debug;
	return e && *e && strcmp(e, "0") ? stderr : NULL;
}

static xpu_status after(struct xg_graph *g, const struct xg_options *opt, const char *pass,
			int shapes)
{
	FILE *f = debug_stream(opt);
	xpu_status st;

	if (!f)
		return XPU_SUCCESS;
	fprintf(f, "== after %s\n", pass);
	xg_print(g, f);
	st = xg_validate(g, shapes);
	if (st)
		fprintf(f, "== validator: %s\n", xpu_last_error());
	return st;
}

xpu_status xg_optimize(struct xg_graph *g, const struct xg_options *opt)
{
	xpu_status st;
	int round;

	for (round = 0; round < XG_MAX_ROUNDS; round++) {
		int p1 = 0, p2 = 0;

		st = xg_pass_fold(g, &p1);
		if (!st)
			st = after(g, opt, "fold", 0);
		if (!st)
			st = xg_pass_shape(g, opt);
		if (!st)
			st = after(g, opt, "shape", 1);
		if (!st)
			st = xg_pass_fuse(g, &p2);
		if (!st)
			st = after(g, opt, "fuse", 0);
		if (st)
			return st;
		if (!p1 && !p2)
			break;
	}
	/* fusion may have created nodes: everything has its shape again */
	st = xg_pass_shape(g, opt);
	if (st)
		return st;
	return xg_validate(g, 1);
}

xpu_status xg_frontend(const void *onnx, size_t size, const struct xg_options *opt,
		       struct xg_graph **out)
{
	struct xg_graph *g;
	xpu_status st;

	*out = NULL;
	st = xg_import_onnx(onnx, size, opt, &g);
	if (st)
		return st;
	st = after(g, opt, "import", 0);
	if (!st)
		st = xg_optimize(g, opt);
	if (st) {
		xg_free(g);
		return st;
	}
	*out = g;
	return XPU_SUCCESS;
}

#ifndef XG_FRONT_ONLY	/* the host tests link the stages before lowering only */
/* The node range of the launches that pass each tensor, for the plan. */
static void launch_ranges(struct xg_graph *g, const struct xg_lowered *L)
{
	for (int t = 0; t < g->nt; t++)
		g->t[t].launch_first = g->t[t].launch_last = -1;
	for (int i = 0; i < L->nlaunches; i++) {
		const struct xg_launch *l = &L->launches[i];
		int node = l->node >= 0 ? l->node : g->nn;	/* after the last node */

		for (uint32_t a = 0; a < l->num_args; a++) {
			const struct xpu_graph_arg *arg;
			struct xg_tensor *t;

			if (l->first_arg + a >= (uint32_t)L->nargs)
				break;
			arg = &L->args[l->first_arg + a];
			if (arg->kind != XPU_GRAPH_ARG_TENSOR || arg->tensor >= (uint32_t)g->nt)
				continue;
			t = &g->t[arg->tensor];
			if (t->launch_first < 0 || node < t->launch_first)
				t->launch_first = node;
			if (node > t->launch_last)
				t->launch_last = node;
		}
	}
	g->launch_info = 1;
}

xpu_status xg_compile(const void *onnx, size_t size, const struct xpu_cc_target *target,
		      const struct xg_options *opt, void **image, size_t *image_size)
{
	struct xg_lowered *L = NULL;
	struct xg_graph *g;
	xpu_status st;

	*image = NULL;
	*image_size = 0;
	st = xg_frontend(onnx, size, opt, &g);
	if (st)
		return st;
	st = xg_lower(g, target, &L);
	if (!st)
		st = after(g, opt, "lower", 1);
	if (!st) {
		launch_ranges(g, L);
		st = xg_pass_plan(g);
	}
	if (!st)
		st = after(g, opt, "plan", 1);
	if (!st)
		st = xg_emit(g, L, image, image_size);
	xg_lowered_free(L);
	xg_free(g);
	return st;
}

#endif /* XG_FRONT_ONLY */

xpu_status xg_options_from_model(const struct xpu_model_options *mo, struct xg_options *opt,
				 struct xg_dim_binding **bind)
{
	struct xg_dim_binding *b = NULL;

	memset(opt, 0, sizeof(*opt));
	*bind = NULL;
	if (!mo)
		return XPU_SUCCESS;
	if (mo->size < sizeof(*mo))
		return xpu_check_size(mo->size, sizeof(*mo), "struct xpu_model_options");
	if (mo->precision > XPU_GRAPH_F_PREC_HIGHEST)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "model options: precision %u is not a XPU_GRAPH_F_PREC_* value",
				     mo->precision);
	if (mo->flags & ~XPU_MODEL_DEBUG_PRINT)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "model options: unknown flags 0x%x",
				     mo->flags);
	opt->precision = mo->precision;
	if (mo->flags & XPU_MODEL_DEBUG_PRINT)
		opt->debug = stderr;
	if (mo->num_dims && !mo->dims)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "model options: dims is NULL");
	if (mo->num_dims > 4096)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "model options: %u dims",
				     mo->num_dims);
	b = calloc(mo->num_dims + 1, sizeof(*b));
	if (!b)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "model options: out of memory");
	for (uint32_t i = 0; i < mo->num_dims; i++) {
		const char *s = mo->dims[i], *eq = s ? strchr(s, '=') : NULL;
		char *end;
		long long v;

		if (!eq || eq == s) {
			free(b);
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "model options: dimension '%s' is not NAME=VALUE",
					     s ? s : "(null)");
		}
		errno = 0;
		v = strtoll(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end || v < 1 || v > (1ll << 40)) {
			free(b);
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "model options: dimension '%s': the value must be a positive integer",
					     s);
		}
		/* "*=N": the value of every symbolic dimension not named */
		if (eq - s == 1 && s[0] == '*') {
			opt->default_dim = v;
			continue;
		}
		/* the name is the prefix of the caller's string: keep a copy */
		b[opt->ndims].name = strndup(s, eq - s);
		if (!b[opt->ndims].name) {
			for (int k = 0; k < opt->ndims; k++)
				free((char *)b[k].name);
			free(b);
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "model options: out of memory");
		}
		b[opt->ndims++].value = v;
	}
	opt->dims = b;
	*bind = b;
	return XPU_SUCCESS;
}

#ifndef XG_FRONT_ONLY
static void free_bindings(struct xg_dim_binding *b, int n)
{
	for (int i = 0; b && i < n; i++)
		free((char *)b[i].name);
	free(b);
}

XPU_EXPORT xpu_status xpu_model_compile_onnx(const void *onnx, size_t size,
					     const struct xpu_cc_target *target,
					     const struct xpu_model_options *mo, void **image,
					     size_t *image_size)
{
	struct xg_dim_binding *bind = NULL;
	struct xg_options opt;
	xpu_status st;

	if (!onnx || !target || !image || !image_size)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_model_compile_onnx: onnx, target, image and image_size must not be NULL");
	*image = NULL;
	*image_size = 0;
	st = xg_options_from_model(mo, &opt, &bind);
	if (st)
		return st;
	st = xg_compile(onnx, size, target, &opt, image, image_size);
	free_bindings(bind, opt.ndims);
	return xpu_ok(st);
}
#endif /* XG_FRONT_ONLY */
