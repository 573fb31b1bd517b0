/* SPDX-License-Identifier: MIT */
/*
 * libxpu model graphs: run a whole compiled model (xpu-cc model.onnx -o
 * model.xpu) with one call per inference.
 *
 * Loading a graph uploads its kernels and its weights once (one read-only
 * device buffer) and allocates its activation arena. Inputs and outputs are
 * found by name or index. Each can be bound to a user buffer (zero copy), or
 * left unbound: the graph then owns a device buffer for it, filled from and
 * read into host memory with xpu_graph_set_input()/xpu_graph_get_output().
 * xpu_graph_run() enqueues every kernel of one inference on a stream and
 * returns at once; synchronise the stream or record an event to wait.
 *
 * A graph object is not thread-safe for concurrent runs (its arena is shared
 * by its runs): use one graph object per thread, loaded from the same file.
 *
 * Hazards the runtime does not check:
 *   - a buffer bound both as an input and as an output of one run gives
 *     wrong results (outputs are written while inputs are still read): use
 *     two buffers and swap them between runs (examples/gpt does this for its
 *     KV cache);
 *   - a bound buffer must outlive the runs that use it, and
 *     xpu_graph_destroy() needs the graph's runs finished (synchronise the
 *     stream first);
 *   - a run-time Gather index outside the table (e.g. a bad token id) makes
 *     the job fault at a marker address (0xbad0000000000000 + its position)
 *     and, as every fault, bans the process's device context: later
 *     submissions on that device fail until it is reopened. Check indices
 *     from untrusted sources before xpu_graph_set_input().
 * docs/models.md is the guide.
 */
#ifndef XPU_XPU_GRAPH_H
#define XPU_XPU_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xpu_graph xpu_graph;

#define XPU_GRAPH_MAX_RANK 8

struct xpu_tensor_info {
	char name[256];			/* the model's name of the input/output */
	uint32_t dtype;			/* enum xpu_dtype */
	uint32_t ndim;
	uint64_t dims[XPU_GRAPH_MAX_RANK];
	uint64_t size;			/* bytes */
};

struct xpu_graph_info {
	char name[256];			/* the model's name ("" if none) */
	uint32_t num_inputs, num_outputs;
	uint32_t num_launches;		/* kernels one run enqueues */
	uint32_t precision;		/* XPU_GRAPH_F_PREC_* (xpu_elf.h) */
	uint64_t const_size;		/* weight bytes on the device */
	uint64_t arena_size;		/* activation bytes on the device */
	uint64_t modeled_cycles;	/* compiler's estimate of one run (0 if none) */
};

/* Load a compiled model; errors name what is wrong with the file. */
xpu_status xpu_graph_load(xpu_device *dev, const void *image, size_t size, xpu_graph **graph);
xpu_status xpu_graph_load_file(xpu_device *dev, const char *path, xpu_graph **graph);
/* Waits for nothing: the caller makes sure no run is pending. */
xpu_status xpu_graph_destroy(xpu_graph *graph);
xpu_status xpu_graph_get_info(xpu_graph *graph, struct xpu_graph_info *info);

xpu_status xpu_graph_input_info(xpu_graph *graph, uint32_t index, struct xpu_tensor_info *info);
xpu_status xpu_graph_output_info(xpu_graph *graph, uint32_t index, struct xpu_tensor_info *info);
/* Index of the input/output called name; XPU_ERROR_NOT_FOUND if none. */
xpu_status xpu_graph_find_input(xpu_graph *graph, const char *name, uint32_t *index);
xpu_status xpu_graph_find_output(xpu_graph *graph, const char *name, uint32_t *index);

/*
 * Bind an input/output to a user buffer at offset (it must hold the tensor's
 * size bytes; a smaller buffer is INVALID_ARGUMENT). buf NULL unbinds: the
 * graph's own buffer is used again.
 */
xpu_status xpu_graph_bind_input(xpu_graph *graph, const char *name, xpu_buffer *buf,
				size_t offset);
xpu_status xpu_graph_bind_output(xpu_graph *graph, const char *name, xpu_buffer *buf,
				 size_t offset);

/*
 * Host data in and out, by name; size must equal the tensor's size. Data is
 * in the tensor's own dtype, dense row-major. set_input copies synchronously
 * into the bound buffer; get_output reads synchronously (synchronise the
 * stream of the run first).
 */
xpu_status xpu_graph_set_input(xpu_graph *graph, const char *name, const void *data,
			       size_t size);
xpu_status xpu_graph_get_output(xpu_graph *graph, const char *name, void *data, size_t size);

/* Enqueue one inference on stream (asynchronous). */
xpu_status xpu_graph_run(xpu_graph *graph, xpu_stream *stream);


/* ---- Compiling a model (what xpu-cc model.onnx does) ----------------------- */
struct xpu_model_options {
	uint32_t size;			/* sizeof(struct xpu_model_options) */
	uint32_t precision;		/* XPU_GRAPH_F_PREC_* (xpu_elf.h); 0 = bf16 */
	const char *const *dims;	/* "name=value" for symbolic dimensions */
	uint32_t num_dims;
	uint32_t flags;			/* XPU_MODEL_* */
};
#define XPU_MODEL_DEBUG_PRINT	(1u << 0)	/* print the graph after every pass to stderr */

/*
 * Compile an ONNX model (the bytes of a .onnx file) for target into a kernel
 * binary with its graph (malloc'ed; free() it) for xpu_graph_load(). The
 * model is untrusted: a malformed file, an unsupported operator or attribute
 * is XPU_ERROR_INVALID_BINARY / XPU_ERROR_NOT_SUPPORTED with the node name,
 * its op type and what is wrong in xpu_last_error().
 */
xpu_status xpu_model_compile_onnx(const void *onnx, size_t size, const struct xpu_cc_target *target,
				  const struct xpu_model_options *opt, void **image, size_t *image_size);

/* The ONNX operator types (default domain) the compiler imports, NULL-terminated. */
const char *const *xpu_model_supported_ops(void);

/*
 * The CPU reference of the same numerics: compile the model as
 * xpu_model_compile_onnx() does, then interpret the lowered graph on the CPU
 * with the device's arithmetic (bf16 rounding, fp32 accumulation order, the
 * vector unit's functions), so that its outputs equal a device run bit for
 * bit. Inputs and outputs are host arrays in the tensors' dtypes, matched by
 * name; every output's data must hold its size bytes.
 */
struct xpu_host_tensor {
	const char *name;
	void *data;
	size_t size;			/* bytes */
};
xpu_status xpu_model_reference_onnx(const void *onnx, size_t size,
				    const struct xpu_cc_target *target,
				    const struct xpu_model_options *opt,
				    const struct xpu_host_tensor *inputs, uint32_t num_inputs,
				    struct xpu_host_tensor *outputs, uint32_t num_outputs);

#ifdef __cplusplus
}
#endif

#endif /* XPU_XPU_GRAPH_H */
