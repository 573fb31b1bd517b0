/* SPDX-License-Identifier: MIT */
/*
 * The model compiler's graph IR: the one form every stage reads and writes.
 *
 * Pipeline (one file per stage, runtime/graph/):
 *   onnx_import.c   ONNX protobuf (protoc-c from Debian's onnx.proto) -> IR
 *   graph.c         the IR: building, lookup, validator, printer
 *   pass_fold.c     constant folding (incl. Shape-derived values)
 *   pass_shape.c    shape and type inference: every tensor gets static dims
 *   pass_fuse.c     fusion: matmul+bias+activation epilogues, layernorm and
 *                   GELU patterns, dead-node removal
 *   lower.c         IR nodes -> kernels (xpu_cc generators) + launch list
 *                   (lower_math.c: arithmetic ops, lower_data.c: data
 *                   movement); may add scratch tensors (temp_of) and
 *                   aliases (alias_of)
 *   pass_plan.c     static buffer plan: arena offsets reused by lifetime
 *                   (node order; temps live during their node; aliases
 *                   extend their root's lifetime)
 *   emit.c          kernel binary + .xpu.graph + .xpu.const (xpu_elf.h)
 *   reference.c     CPU reference interpreter of the lowered graph with the
 *                   device's exact numerics (reference_math.c, _data.c)
 * xg_compile() (compile.c) runs them in order; with XPU_GRAPH_DEBUG=1 in the
 * environment it validates and prints the graph after every pass.
 *
 * Ownership: the graph owns every string, array and constant buffer in it.
 * Tensors and nodes are referred to by index. Errors: every function returns
 * xpu_status and sets xpu_last_error() with the node name, its op type and
 * what is wrong.
 */
#ifndef XPU_GRAPH_GRAPH_H
#define XPU_GRAPH_GRAPH_H

#include <stdint.h>
#include <stdio.h>

#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#include "xpu/xpu_elf.h"
#include "xpu/xpu_graph.h"

#define XG_MAX_DIMS XPU_GRAPH_MAX_DIMS

/* Operators: the ONNX ones we import, then the fused ones passes create. */
#define XG_OP_LIST(X) \
	X(MatMul) X(Gemm) X(Conv) X(Add) X(Sub) X(Mul) X(Div) X(Pow) X(Sqrt) X(Relu) \
	X(Sigmoid) X(Tanh) X(Erf) X(Softmax) X(LayerNormalization) X(ReduceMean) \
	X(Reshape) X(Transpose) X(Flatten) X(Squeeze) X(Unsqueeze) X(Gather) X(Concat) \
	X(Slice) X(Split) X(Where) X(Cast) X(Constant) X(Shape) X(Identity) X(MaxPool) \
	X(AveragePool) X(GlobalAveragePool) X(QuantizeLinear) X(DequantizeLinear) \
	X(Trilu) X(Expand) X(Neg) X(Abs) X(Exp) X(Max) X(Min) X(Equal) X(ConstantOfShape) \
	X(Range) X(ReduceSum) X(ReduceMax) X(Dropout) \
	/* fused / lowered forms (created by passes, never imported) */ \
	X(FusedMatMul) X(FusedLayerNorm) X(Gelu)

enum xg_op {
#define XG_OP_ENUM(n) XG_OP_##n,
	XG_OP_LIST(XG_OP_ENUM)
#undef XG_OP_ENUM
	XG_OP_COUNT
};

/* ONNX operator name of an op ("MatMul"); NULL if out of range. */
const char *xg_op_name(enum xg_op op);
/* enum of an ONNX op type string; -1 if we do not support it. */
int xg_op_from_name(const char *name);

enum xg_kind {
	XG_VALUE = 0,			/* produced by a node at run time */
	XG_INPUT,			/* a graph input (not an initializer) */
	XG_CONST,			/* known at compile time: .data */
};

struct xg_tensor {
	char *name;
	uint32_t dtype;			/* enum xpu_dtype (XPU_DT_*) */
	int ndim;			/* -1: not known yet (before shape inference) */
	int64_t dims[XG_MAX_DIMS];	/* -1: unknown/symbolic before inference */
	char *dim_param[XG_MAX_DIMS];	/* symbolic dimension names from the model (or NULL) */
	enum xg_kind kind;
	void *data;			/* XG_CONST: dense row-major, owned */
	int is_output;			/* a graph output */
	int producer;			/* node index, or -1 */
	/* quantisation parameters when known (per tensor) */
	int quantized;
	float qscale;
	int32_t qzero;
	/* set by lowering */
	int temp_of;			/* a node's scratch tensor: live during that node only; else -1 */
	int alias_of;			/* shares the storage of tensor alias_of (Reshape & co.); else -1 */
	uint64_t alias_offset;		/* byte offset into alias_of's storage */
	/* set by pass_plan */
	uint32_t location;		/* XPU_GRAPH_LOC_* */
	uint64_t offset;		/* CONST / ARENA offset */
	uint32_t io_index;
	/* set by compile.c from the launch list before pass_plan: the first and
	 * last node whose launches pass this tensor (-1: none) */
	int launch_first, launch_last;
};

enum xg_attr_type { XG_ATTR_INT = 1, XG_ATTR_FLOAT, XG_ATTR_STRING, XG_ATTR_INTS,
		    XG_ATTR_FLOATS, XG_ATTR_TENSOR };

struct xg_attr {
	char *name;
	enum xg_attr_type type;
	int64_t i;
	float f;
	char *s;
	int64_t *ints;
	float *floats;
	int n;				/* elements of ints/floats */
	int tensor;			/* XG_ATTR_TENSOR: tensor index (a const) */
};

/* Activation of a fused epilogue */
enum xg_act { XG_ACT_NONE = 0, XG_ACT_RELU, XG_ACT_GELU_ERF, XG_ACT_GELU_TANH, XG_ACT_SIGMOID,
	      XG_ACT_TANH };

struct xg_node {
	char *name;			/* the model's node name (or "<op>_<index>") */
	enum xg_op op;
	int *in;			/* tensor indices; -1 = an omitted optional input */
	int nin;
	int *out;
	int nout;
	struct xg_attr *attrs;
	int nattrs;
	int dead;			/* removed by a pass */
	/* FusedMatMul: C = act(A x B (+ bias)), bias = in[2] when nin == 3 */
	enum xg_act act;
};

struct xg_graph {
	char *name;
	int64_t opset;
	struct xg_tensor *t;
	int nt, cap_t;
	struct xg_node *n;
	int nn, cap_n;
	int *inputs;			/* graph inputs, in model order */
	int ninputs;
	int *outputs;			/* graph outputs, in model order */
	int noutputs;
	uint32_t precision;		/* XPU_GRAPH_F_PREC_* requested */
	uint64_t arena_size;		/* set by pass_plan */
	uint64_t const_size;
	int launch_info;		/* tensors' launch_first/last are set */
	uint64_t max_bytes;		/* limit on any one tensor (xg_options.max_model_bytes) */
	uint64_t const_bytes;		/* constant data imported + folded so far (<= max_bytes) */
	uint64_t arena_no_reuse;	/* pass_plan: arena bytes without any reuse */
};

/* Values for symbolic dimensions, from the command line ("batch=1"). */
struct xg_dim_binding {
	const char *name;
	int64_t value;
};

struct xg_options {
	uint32_t precision;		/* XPU_GRAPH_F_PREC_* */
	const struct xg_dim_binding *dims;
	int ndims;
	int64_t default_dim;		/* value for unbound symbolic dims; 0 = error */
	FILE *debug;			/* print the graph after each pass (or NULL) */
	uint64_t max_model_bytes;	/* 0: the default limit (2 GiB) */
};

/* ---- graph.c ---- */
struct xg_graph *xg_new(void);
void xg_free(struct xg_graph *g);
int xg_add_tensor(struct xg_graph *g, const char *name);	/* -1 on OOM */
int xg_find_tensor(const struct xg_graph *g, const char *name);	/* -1 if none */
int xg_add_node(struct xg_graph *g, const char *name, enum xg_op op, int nin, int nout);
const struct xg_attr *xg_attr(const struct xg_node *n, const char *name);
int64_t xg_attr_int(const struct xg_node *n, const char *name, int64_t def);
float xg_attr_float(const struct xg_node *n, const char *name, float def);
uint64_t xg_numel(const struct xg_tensor *t);
uint64_t xg_bytes(const struct xg_tensor *t);
/* Structural checks: indices in range, one producer per value, topological
 * order; with shapes_known (after pass_shape) every live node's tensors have
 * a known dtype and static dims. Names the first problem. */
xpu_status xg_validate(const struct xg_graph *g, int shapes_known);
void xg_print(const struct xg_graph *g, FILE *f);

/* ---- more IR helpers (graph.c) ---- */
/* Limits on what an imported model may declare (untrusted input). */
/* The buffer plan compares each arena tensor with every earlier one (about
 * n^2/2 steps): 64k nodes keep an untrusted model's compile near a second
 * (a chain of 256k took 51 s). Real models are far smaller (GPT-2: ~3k). */
#define XG_MAX_NODES		(1 << 16)
#define XG_MAX_TENSORS		(1 << 20)
#define XG_MAX_ATTRS		1024	/* per node */
#define XG_MAX_NODE_IO		4096	/* inputs or outputs of one node */
#define XG_DEFAULT_MAX_BYTES	(2ull << 30)
#define XG_ALIGN		64	/* arena and const offsets */
/* bytes of one element of an XPU_DT_* (incl. XG's U8/BOOL); 0 if unknown */
uint32_t xg_dtype_size(uint32_t dtype);
const char *xg_dtype_name(uint32_t dtype);
/* numel of dims, or UINT64_MAX if it overflows / is negative */
uint64_t xg_dims_numel(int ndim, const int64_t *dims);
/* Set t's shape; 0 on success. */
void xg_set_shape(struct xg_tensor *t, uint32_t dtype, int ndim, const int64_t *dims);
/* Make tensor t a constant holding data (owned; malloc'ed) */
void xg_make_const(struct xg_graph *g, int t, uint32_t dtype, int ndim, const int64_t *dims,
		   void *data);
/* A new constant tensor named after base (made unique); -1 on OOM (data freed). */
int xg_new_const(struct xg_graph *g, const char *base, uint32_t dtype, int ndim,
		 const int64_t *dims, void *data);
/* A fresh tensor whose name starts with base (made unique); -1 on OOM. */
int xg_new_tensor(struct xg_graph *g, const char *base);
/* Number of live nodes reading tensor t (each input slot counts). */
int xg_users(const struct xg_graph *g, int t);
/* The single live node reading t, or -1 if none or several. */
int xg_sole_user(const struct xg_graph *g, int t);
/* Replace every read of tensor from by tensor to in live nodes. */
void xg_replace_uses(struct xg_graph *g, int from, int to);
/* Attributes: set (replacing one of the same name); 0 or -1 on OOM. */
int xg_set_attr_int(struct xg_node *n, const char *name, int64_t v);
int xg_set_attr_float(struct xg_node *n, const char *name, float v);
int xg_set_attr_ints(struct xg_node *n, const char *name, const int64_t *v, int count);
void xg_del_attr(struct xg_node *n, const char *name);
/* Mark node dead and its outputs producer-less. */
void xg_kill_node(struct xg_graph *g, int node);
/* Element i of a constant tensor as int64 / as float (any numeric dtype). */
int64_t xg_const_i64(const struct xg_tensor *t, uint64_t i);
float xg_const_f32(const struct xg_tensor *t, uint64_t i);
/* Node names in messages: "node 'name' (Op)" */
#define XG_NODE_FMT "node '%s' (%s)"
#define XG_NODE_ARG(n) (n)->name, xg_op_name((n)->op)
/* Make room for `need` elements of elem bytes in the array *p of capacity
 * *cap (doubling it); 0, or -1 with *p unchanged on OOM. */
int xg_grow(void **p, int *cap, int need, size_t elem);

/*
 * A pass's scratch arrays, freed together: xg_scratch_alloc() gives count
 * zeroed elements (never a NULL for count 0) or NULL, and remembers a
 * failure; xg_scratch_end() frees them all and returns st, or OUT_OF_MEMORY
 * ("who: out of memory") if an allocation failed and st is a success.
 */
#define XG_SCRATCH_MAX 8
struct xg_scratch {
	void *p[XG_SCRATCH_MAX];
	int n, failed;
};
void *xg_scratch_alloc(struct xg_scratch *s, size_t count, size_t size);
xpu_status xg_scratch_end(struct xg_scratch *s, const char *who, xpu_status st);

/* code, with "node 'name' (Op): " and the formatted message as the detail */
xpu_status xg_node_error(xpu_status code, const struct xg_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* onnx_import.c: XPU_DT_* of an ONNX TensorProto.DataType; 0 if we do not
 * support it, -1 if it is no ONNX type at all. name: its ONNX name. */
int xg_dtype_from_onnx(int64_t onnx_type, const char **name);

/* pass_shape.c: infer one node's outputs from its inputs (used by fold).
 * *ready = 0 if an input's shape is not known yet. */
xpu_status xg_infer_node(struct xg_graph *g, int node, int *ready);
/* pass_shape.c: for each live node in order (nodes the visitor appends
 * included), xg_infer_node() and then visit(g, node, ready, ctx); stops at
 * the first error (the fold and shape passes). */
typedef xpu_status (*xg_visit_fn)(struct xg_graph *g, int node, int ready, void *ctx);
xpu_status xg_infer_each(struct xg_graph *g, xg_visit_fn visit, void *ctx);

/* compile.c: import + {fold, shape, fuse} until no progress (what the
 * reference interpreter and xg_compile start from). */
xpu_status xg_frontend(const void *onnx, size_t size, const struct xg_options *opt,
		       struct xg_graph **out);
xpu_status xg_optimize(struct xg_graph *g, const struct xg_options *opt);
/* xpu_model_options -> xg_options (dims parsed into *bind, malloc'ed) */
xpu_status xg_options_from_model(const struct xpu_model_options *mo, struct xg_options *opt,
				 struct xg_dim_binding **bind);

/* ---- the stages ---- */
xpu_status xg_import_onnx(const void *data, size_t size, const struct xg_options *opt,
			  struct xg_graph **out);
xpu_status xg_pass_fold(struct xg_graph *g, int *progress);
xpu_status xg_pass_shape(struct xg_graph *g, const struct xg_options *opt);
xpu_status xg_pass_fuse(struct xg_graph *g, int *progress);
struct xg_lowered;			/* lower.h: kernels + launch list */
xpu_status xg_lower(struct xg_graph *g, const struct xpu_cc_target *target,
		    struct xg_lowered **out);
xpu_status xg_pass_plan(struct xg_graph *g);
/* The kernel binary with .xpu.graph and .xpu.const; frees nothing. */
xpu_status xg_emit(struct xg_graph *g, struct xg_lowered *low, void **image, size_t *size);
void xg_lowered_free(struct xg_lowered *low);
/* All of it. */
xpu_status xg_compile(const void *onnx, size_t size, const struct xpu_cc_target *target,
		      const struct xg_options *opt, void **image, size_t *image_size);

#endif /* XPU_GRAPH_GRAPH_H */
