/* SPDX-License-Identifier: MIT */
/*
 * The CPU reference of a graph: interprets the graph after fold/shape/fuse
 * (before lowering) node by node, with one host buffer per tensor (val[t],
 * dense row-major in the tensor's dtype; constants point at their data),
 * computing each op exactly as the generated kernels do (same rounding, same
 * summation order), so its outputs equal a device run bit for bit.
 * reference.c: the interpreter loop and xpu_model_reference_onnx();
 * reference_math.c (xg_ref_math) and reference_data.c (xg_ref_data): the ops.
 */
#ifndef XPU_GRAPH_REFERENCE_H
#define XPU_GRAPH_REFERENCE_H

#include <stdint.h>

#include "graph.h"

struct xg_ref {
	struct xg_graph *g;
	void **val;			/* val[t]: host buffer of tensor t (xg_bytes(t) bytes) */
	uint32_t precision;		/* XPU_GRAPH_F_PREC_* */
};

/* Compute node `node`: its inputs' val[] are set, its outputs' val[] are
 * allocated (xg_bytes each, at least 1 byte); write them. */
xpu_status xg_ref_math(struct xg_ref *R, int node);	/* lowermath: reference_math.c */
xpu_status xg_ref_data(struct xg_ref *R, int node);	/* lowerdata: reference_data.c */

/* Run every live node of g in order: allocates val[] for every non-const
 * tensor, inputs copied from the caller's host tensors. Used by
 * xpu_model_reference_onnx(). */
xpu_status xg_reference_run(struct xg_ref *R);

#endif /* XPU_GRAPH_REFERENCE_H */
