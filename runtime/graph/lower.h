/* SPDX-License-Identifier: MIT */
/*
 * Lowering: graph IR nodes -> kernels (xpu_cc generators) + a launch list.
 *
 * xg_lower() (lower.c) walks the live nodes in order and hands each to
 * xg_lower_math() (lower_math.c: arithmetic) or xg_lower_data() (lower_data.c:
 * data movement) by a table; any other op is XPU_ERROR_NOT_SUPPORTED naming
 * the node. A lowering function adds its kernels to L->cc and appends one
 * launch per kernel run with xg_add_launch(); its arguments name graph
 * tensors (.tensor = graph tensor index, .value = byte offset) or carry
 * immediates. It may add scratch tensors (xg_add_temp), new constants
 * (xg_add_const) or make an output share its input's storage (xg_alias).
 * xg_emit() (emit.c) later turns launches/arguments into .xpu.graph records,
 * resolving aliases to their root tensor + offset.
 */
#ifndef XPU_GRAPH_LOWER_H
#define XPU_GRAPH_LOWER_H

#include <stdint.h>

#include "graph.h"

struct xg_launch {
	char kernel[64];		/* kernel name in L->cc */
	int node;			/* node index it computes; -1: none (output copies) */
	uint32_t first_arg, num_args;	/* into L->args */
};

struct xg_lowered {
	struct xg_graph *g;
	const struct xpu_cc_target *t;
	xpu_cc *cc;			/* kernels go here */
	uint32_t precision;		/* XPU_GRAPH_F_PREC_* */
	struct xg_launch *launches;
	int nlaunches, cap_launches;
	struct xpu_graph_arg *args;	/* .tensor = graph tensor index */
	int nargs, cap_args;
	uint32_t seq;			/* kernel name sequence */
	uint64_t modeled_cycles;
	/* kernels shared by launches of equal shape (xg_kcache_get) */
	struct xg_kcache *kcache;
	int nkcache, cap_kcache;
};

/* A generated kernel reusable by any launch with the same key (opaque to lowering). */
struct xg_kcache {
	char key[640];			/* never truncated: 8 dims of 3 numbers fit */
	char kernel[64];
};

/* An error naming node n (lower_data.c, reference_data.c): xg_node_error() */
#define NODE_ERR(code, n, ...) xg_node_error(code, n, __VA_ARGS__)

/*
 * Kernels shared by launches of equal shape (L->kcache), keyed by a string
 * naming the generator and its descriptor: xg_kcache_get() copies the
 * kernel of key to kname and returns 1, or returns 0 with a fresh name for
 * node's kernel (xg_kernel_name) in kname; the caller then generates it and
 * passes the generator's status through xg_kcache_put(), which remembers
 * kname for key on success (a key too long or no memory: not shared, still
 * correct) and returns that status.
 */
int xg_kcache_get(struct xg_lowered *L, const char *key, int node, const char *what,
		  char kname[64]);
xpu_status xg_kcache_put(struct xg_lowered *L, const char *key, const char *kname,
			 xpu_status st);

/* A unique kernel name for node n: sanitized node name + what + sequence, <= 63 chars. */
void xg_kernel_name(struct xg_lowered *L, int node, const char *what, char out[64]);
/* Append a launch of kernel `kernel` (already added to L->cc) with its arguments in order. */
xpu_status xg_add_launch(struct xg_lowered *L, int node, const char *kernel,
			 const struct xpu_graph_arg *args, int nargs);
struct xpu_graph_arg xg_arg_tensor(int tensor, uint64_t byte_offset);
/* xg_add_launch with the whole tensors tensors[0..n) as its arguments. */
xpu_status xg_launch_tensors(struct xg_lowered *L, int node, const char *kernel,
			     const int *tensors, int n);
struct xpu_graph_arg xg_arg_imm(uint64_t value);
/* NOTE: xg_add_temp/xg_add_const add graph tensors: they may move g->t, so
 * re-take any struct xg_tensor pointer after calling them. */
/* A scratch tensor of node n (live only while n runs; planned in the arena). -1 on OOM. */
int xg_add_temp(struct xg_lowered *L, int node, uint32_t dtype, int ndim, const int64_t *dims);
/* A new constant tensor (e.g. weights converted to bf16 or re-laid-out at compile time);
 * takes ownership of data (malloc'ed, dense row-major; freed on failure too). -1 on OOM. */
int xg_add_const(struct xg_lowered *L, const char *name, uint32_t dtype, int ndim,
		 const int64_t *dims, void *data);
/* Make tensor `out` share the storage of `in` at byte offset off (no kernel). */
void xg_alias(struct xg_lowered *L, int out, int in, uint64_t off);
/* The storage root of tensor t (follows alias_of) and t's byte offset in it. */
int xg_alias_root(const struct xg_graph *g, int t, uint64_t *off);

/* ONNX Slice of node: per input axis the first element, the step and the
 * element count (lower_data.c; the reference uses it too). */
xpu_status xg_slice_plan(const struct xg_graph *g, int node, int64_t *start, int64_t *step,
			 int64_t *count);

xpu_status xg_lower_math(struct xg_lowered *L, int node);	/* lowermath: lower_math.c */
xpu_status xg_lower_data(struct xg_lowered *L, int node);	/* lowerdata: lower_data.c */

#endif /* XPU_GRAPH_LOWER_H */
