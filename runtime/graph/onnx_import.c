// SPDX-License-Identifier: MIT
/*
 * ONNX import: a ModelProto (parsed by the protobuf-c code generated at
 * build time from Debian's onnx.proto) becomes the graph IR.
 *
 * The model is untrusted input. protobuf-c rejects malformed wire data; on
 * top of that every declared size is checked before anything is allocated
 * (ranks, dimension products, raw_data against the declared shape, counts of
 * nodes, tensors and attributes, a total byte budget), names are resolved
 * through a hash table (no quadratic work on huge graphs), and the node list
 * is sorted topologically (Kahn), which finds cycles. Problems are
 * XPU_ERROR_INVALID_BINARY naming the tensor or node; valid models using
 * what we do not support are XPU_ERROR_NOT_SUPPORTED "node 'n' (Op): what".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx.pb-c.h"
#include "onnx_dtype.h"

#include "graph.h"
#include "internal.h"

#define BAD(...) xpu_set_error(XPU_ERROR_INVALID_BINARY, "onnx: " __VA_ARGS__)
#define UNSUP(...) xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "onnx: " __VA_ARGS__)

static const char *str(const char *s)
{
	return s ? s : "";
}

int xg_dtype_from_onnx(int64_t t, const char **name)
{
	static const char *const names[] = {
		"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
		"string", "bool", "float16", "double", "uint32", "uint64", "complex64",
		"complex128", "bfloat16",
	};

	if (name)
		*name = t >= 0 && t <= 16 ? names[t] : "unknown";
	if (xg_onnx_dtype(t))
		return (int)xg_onnx_dtype(t);
	return t >= 1 && t <= 16 ? 0 : -1;
}

/* ---- name -> tensor hash (open addressing, power of two) ---- */
struct names {
	int *slot;			/* tensor index + 1; 0 = empty */
	uint64_t mask;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int names_init(struct names *h, uint64_t count)
{
	uint64_t size = 64;

	while (size < count * 2)
		size <<= 1;
	h->slot = calloc(size, sizeof(int));
	h->mask = size - 1;
	return h->slot ? 0 : -1;
}

static int names_find(const struct names *h, const struct xg_graph *g, const char *name)
{
	for (uint64_t i = hash_str(name) & h->mask;; i = (i + 1) & h->mask) {
		int v = h->slot[i];

		if (!v)
			return -1;
		if (!strcmp(g->t[v - 1].name, name))
			return v - 1;
	}
}

static void names_add(struct names *h, const struct xg_graph *g, int t)
{
	uint64_t i = hash_str(g->t[t].name) & h->mask;

	while (h->slot[i])
		i = (i + 1) & h->mask;
	h->slot[i] = t + 1;
}

struct importer {
	struct xg_graph *g;
	const struct xg_options *opt;
	struct names names;
	uint64_t budget;		/* bytes of tensor data left */
	uint64_t limit;
};

/* A new named tensor; duplicate names are an error. */
static xpu_status new_named(struct importer *im, const char *name, const char *what, int *out)
{
	int t;

	if (!name || !*name)
		return BAD("%s without a name", what);
	if (names_find(&im->names, im->g, name) >= 0)
		return BAD("%s '%s': the name is defined twice (duplicate output or initializer name)",
			   what, name);
	t = xg_add_tensor(im->g, name);
	if (t < 0)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
	names_add(&im->names, im->g, t);
	*out = t;
	return XPU_SUCCESS;
}

/* ---- tensors ---- */

static xpu_status tensor_to_const(struct importer *im, const Onnx__TensorProto *tp, int t,
				  const char *what)
{
	struct xg_graph *g = im->g;
	const char *name = g->t[t].name, *tname;
	int64_t dims[XG_MAX_DIMS];
	uint64_t numel, bytes, es;
	int dt;
	void *data;

	if (!tp->has_data_type)
		return BAD("%s '%s' has no data type", what, name);
	dt = xg_dtype_from_onnx(tp->data_type, &tname);
	if (dt < 0)
		return BAD("%s '%s' has an unknown data type %d", what, name, tp->data_type);
	if (dt == 0)
		return UNSUP("%s '%s': data type %s is not supported (float, int64, int32, int8, uint8, bool, bfloat16 are)",
			     what, name, tname);
	if (tp->n_dims > XG_MAX_DIMS)
		return BAD("%s '%s' has rank %zu (at most %d)", what, name, tp->n_dims, XG_MAX_DIMS);
	for (size_t i = 0; i < tp->n_dims; i++) {
		if (tp->dims[i] < 0)
			return BAD("%s '%s': dimension %zu is negative (%" PRId64 ")", what, name, i,
				   tp->dims[i]);
		dims[i] = tp->dims[i];
	}
	if ((tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
	    tp->n_external_data)
		return BAD("%s '%s' keeps its data in an external file: external data is not supported (save the model with its weights inside)",
			   what, name);
	if (tp->segment)
		return BAD("%s '%s' is a segment of a tensor: segments are not supported", what, name);
	numel = xg_dims_numel((int)tp->n_dims, dims);
	es = xg_dtype_size(dt);
	if (numel == UINT64_MAX || numel > im->limit / es)
		return BAD("%s '%s': its shape declares more than %" PRIu64 " bytes", what, name,
			   im->limit);
	bytes = numel * es;
	if (bytes > im->budget)
		return BAD("%s '%s': the model's tensors exceed %" PRIu64 " bytes in total", what,
			   name, im->limit);
	im->budget -= bytes;

	if (tp->has_raw_data) {
		if (tp->raw_data.len != bytes)
			return BAD("%s '%s': raw_data is %zu bytes, its shape and type need %" PRIu64,
				   what, name, tp->raw_data.len, bytes);
	} else {
		size_t have;

		switch (tp->data_type) {
		case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: have = tp->n_float_data; break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: have = tp->n_int64_data; break;
		default: have = tp->n_int32_data; break;
		}
		if (have != numel)
			return BAD("%s '%s' has %zu data elements, its shape needs %" PRIu64, what, name,
				   have, numel);
	}
	data = malloc(bytes ? bytes : 1);
	if (!data)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory for %s '%s'", what,
				     name);
	if (!bytes) {
		/* an empty tensor: its data arrays may be NULL */
	} else if (tp->has_raw_data) {
		memcpy(data, tp->raw_data.data, bytes);	/* little-endian host, as ONNX */
	} else if (dt == XPU_DT_F32) {
		memcpy(data, tp->float_data, bytes);
	} else if (dt == XPU_DT_I64) {
		memcpy(data, tp->int64_data, bytes);
	} else if (dt == XPU_DT_I32) {
		memcpy(data, tp->int32_data, bytes);
	} else {
		for (uint64_t i = 0; i < numel; i++) {
			int32_t v = tp->int32_data[i];

			if (dt == XPU_DT_BF16)
				((uint16_t *)data)[i] = (uint16_t)v;
			else if (dt == XPU_DT_BOOL)
				((uint8_t *)data)[i] = v != 0;
			else
				((uint8_t *)data)[i] = (uint8_t)v;
		}
	}
	if (dt == XPU_DT_BOOL)
		for (uint64_t i = 0; i < numel; i++)
			((uint8_t *)data)[i] = ((uint8_t *)data)[i] != 0;
	xg_make_const(g, t, dt, (int)tp->n_dims, dims, data);
	return XPU_SUCCESS;
}

/* dims of a graph input from its type, binding symbolic dims */
static xpu_status input_shape(struct importer *im, const Onnx__ValueInfoProto *vi, int t)
{
	struct xg_tensor *x = &im->g->t[t];
	const Onnx__TypeProto__Tensor *tt;
	const Onnx__TensorShapeProto *sh;
	const char *tname;
	int dt;

	if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !vi->type->tensor_type)
		return UNSUP("graph input '%s' is not a tensor (sequences, maps, optionals are not supported)",
			     x->name);
	tt = vi->type->tensor_type;
	dt = xg_dtype_from_onnx(tt->has_elem_type ? tt->elem_type : 0, &tname);
	if (dt < 0 || !tt->has_elem_type || tt->elem_type == 0)
		return BAD("graph input '%s' has no or an unknown data type", x->name);
	if (dt == 0)
		return UNSUP("graph input '%s': data type %s is not supported", x->name, tname);
	sh = tt->shape;
	if (!sh)
		return BAD("graph input '%s' has no shape (static shapes are needed)", x->name);
	if (sh->n_dim > XG_MAX_DIMS)
		return BAD("graph input '%s' has rank %zu (at most %d)", x->name, sh->n_dim,
			   XG_MAX_DIMS);
	x->dtype = dt;
	x->ndim = (int)sh->n_dim;
	for (size_t d = 0; d < sh->n_dim; d++) {
		const Onnx__TensorShapeProto__Dimension *dim = sh->dim[d];
		const char *param = NULL;
		int64_t v = -1;

		if (dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
			v = dim->dim_value;
			if (v < 0)
				return BAD("graph input '%s': dimension %zu is negative (%" PRId64 ")",
					   x->name, d, v);
		} else {
			if (dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
				param = dim->dim_param;
			for (int b = 0; param && b < im->opt->ndims; b++)
				if (im->opt->dims[b].name && !strcmp(im->opt->dims[b].name, param))
					v = im->opt->dims[b].value;
			if (v < 0)
				v = im->opt->default_dim > 0 ? im->opt->default_dim : -1;
			if (v < 0) {
				if (param)
					return BAD("graph input '%s': symbolic dimension '%s' (dimension %zu) has no value: give it (e.g. %s=1)",
						   x->name, param, d, param);
				return BAD("graph input '%s': dimension %zu is unknown: give a default value for unnamed dimensions",
					   x->name, d);
			}
			if (param) {
				x->dim_param[d] = strdup(param);
				if (!x->dim_param[d])
					return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
			}
		}
		x->dims[d] = v;
	}
	if (xg_numel(x) == UINT64_MAX || xg_numel(x) > im->limit / xg_dtype_size(dt))
		return BAD("graph input '%s': its shape declares more than %" PRIu64 " bytes", x->name,
			   im->limit);
	return XPU_SUCCESS;
}

/* ---- operators: input arity, required inputs ---- */
struct op_arity { int8_t min_in, max_in, min_out, max_out; };

static struct op_arity arity(enum xg_op op)
{
	switch (op) {
	case XG_OP_MatMul: case XG_OP_Add: case XG_OP_Sub: case XG_OP_Mul: case XG_OP_Div:
	case XG_OP_Pow: case XG_OP_Equal:
		return (struct op_arity){ 2, 2, 1, 1 };
	case XG_OP_Gemm: return (struct op_arity){ 2, 3, 1, 1 };
	case XG_OP_Conv: return (struct op_arity){ 2, 3, 1, 1 };
	case XG_OP_LayerNormalization: return (struct op_arity){ 2, 3, 1, 3 };
	case XG_OP_ReduceMean: case XG_OP_ReduceSum: case XG_OP_ReduceMax:
		return (struct op_arity){ 1, 2, 1, 1 };
	case XG_OP_Reshape: case XG_OP_Expand: return (struct op_arity){ 2, 2, 1, 1 };
	case XG_OP_Squeeze: case XG_OP_Unsqueeze: return (struct op_arity){ 1, 2, 1, 1 };
	case XG_OP_Gather: return (struct op_arity){ 2, 2, 1, 1 };
	case XG_OP_Concat: case XG_OP_Max: case XG_OP_Min:
		return (struct op_arity){ 1, 127, 1, 1 };
	case XG_OP_Slice: return (struct op_arity){ 1, 5, 1, 1 };
	case XG_OP_Split: return (struct op_arity){ 1, 2, 1, 127 };
	case XG_OP_Where: return (struct op_arity){ 3, 3, 1, 1 };
	case XG_OP_Constant: return (struct op_arity){ 0, 0, 1, 1 };
	case XG_OP_MaxPool: return (struct op_arity){ 1, 1, 1, 2 };
	case XG_OP_QuantizeLinear: case XG_OP_DequantizeLinear:
		return (struct op_arity){ 2, 3, 1, 1 };
	case XG_OP_Trilu: return (struct op_arity){ 1, 2, 1, 1 };
	case XG_OP_Range: return (struct op_arity){ 3, 3, 1, 1 };
	case XG_OP_Dropout: return (struct op_arity){ 1, 3, 1, 2 };
	default: return (struct op_arity){ 1, 1, 1, 1 };
	}
}

/* ---- attributes ---- */

/* A malloc'ed copy of the count values (esz bytes each) of attribute ap's
 * list src, count in *nout; NULL with *st set if too many or no memory. */
static void *attr_values(const struct xg_node *n, const Onnx__AttributeProto *ap, size_t count,
			 const void *src, size_t esz, int *nout, xpu_status *st)
{
	void *p;

	*st = XPU_SUCCESS;
	if (count > XG_MAX_NODE_IO) {
		*st = BAD(XG_NODE_FMT ": attribute '%s' has %zu values (at most %d)",
			  XG_NODE_ARG(n), ap->name, count, XG_MAX_NODE_IO);
		return NULL;
	}
	p = malloc(count ? count * esz : 1);
	if (!p) {
		*st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
		return NULL;
	}
	if (count)
		memcpy(p, src, count * esz);
	*nout = (int)count;
	return p;
}

static xpu_status import_attr(struct importer *im, struct xg_node *n,
			      const Onnx__AttributeProto *ap, struct xg_attr *a)
{
	int type = ap->has_type ? (int)ap->type : 0;

	a->tensor = -1;
	if (!ap->name || !*ap->name)
		return BAD(XG_NODE_FMT ": an attribute has no name", XG_NODE_ARG(n));
	a->name = strdup(ap->name);
	if (!a->name)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
	if (ap->ref_attr_name && *ap->ref_attr_name)
		return UNSUP(XG_NODE_FMT ": attribute '%s' refers to a function attribute",
			     XG_NODE_ARG(n), ap->name);
	if (!type) {	/* IR version < 2: infer from the field set */
		if (ap->has_f) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
		else if (ap->has_i) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
		else if (ap->has_s) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
		else if (ap->t) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
		else if (ap->n_ints) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
		else if (ap->n_floats) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
		else
			return BAD(XG_NODE_FMT ": attribute '%s' has no type", XG_NODE_ARG(n),
				   ap->name);
	}
	switch (type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
		a->type = XG_ATTR_FLOAT;
		a->f = ap->f;
		return XPU_SUCCESS;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
		a->type = XG_ATTR_INT;
		a->i = ap->i;
		return XPU_SUCCESS;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
		a->type = XG_ATTR_STRING;
		if (ap->s.len > 4096)
			return BAD(XG_NODE_FMT ": string attribute '%s' is %zu bytes long",
				   XG_NODE_ARG(n), ap->name, ap->s.len);
		a->s = calloc(1, ap->s.len + 1);
		if (!a->s)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
		if (ap->s.len)
			memcpy(a->s, ap->s.data, ap->s.len);
		return XPU_SUCCESS;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: {
		xpu_status st;

		a->type = XG_ATTR_INTS;
		a->ints = attr_values(n, ap, ap->n_ints, ap->ints, sizeof(*a->ints), &a->n, &st);
		return st;
	}
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: {
		xpu_status st;

		a->type = XG_ATTR_FLOATS;
		a->floats = attr_values(n, ap, ap->n_floats, ap->floats, sizeof(*a->floats), &a->n,
					&st);
		return st;
	}
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
		char buf[300];
		int t;
		xpu_status st;

		if (!ap->t)
			return BAD(XG_NODE_FMT ": tensor attribute '%s' has no tensor", XG_NODE_ARG(n),
				   ap->name);
		a->type = XG_ATTR_TENSOR;
		snprintf(buf, sizeof(buf), "%.200s.%.60s", n->name, ap->name);
		t = xg_new_tensor(im->g, buf);
		if (t < 0)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
		st = tensor_to_const(im, ap->t, t, "tensor attribute");
		if (st)
			return st;
		a->tensor = t;
		return XPU_SUCCESS;
	}
	}
	return UNSUP(XG_NODE_FMT ": attribute '%s' is of a type we do not support (graphs, sparse tensors, lists of strings/tensors/types: type %d)",
		     XG_NODE_ARG(n), ap->name, type);
}

/* ---- the model ---- */

static xpu_status import_nodes(struct importer *im, const Onnx__GraphProto *gp)
{
	struct xg_graph *g = im->g;
	xpu_status st;

	/* pass 1: nodes and their output tensors (in any order) */
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *np = gp->node[i];
		const char *name = str(np->name);
		struct op_arity ar;
		struct xg_node *n;
		int op, ni;

		if (!np->op_type || !*np->op_type)
			return BAD("node %zu ('%s') has no op_type", i, name);
		if (np->domain && *np->domain && strcmp(np->domain, "ai.onnx"))
			return UNSUP("node '%s' (%s): operator domain '%s' is not supported (only the default ONNX domain)",
				     name, np->op_type, np->domain);
		op = xg_op_from_name(np->op_type);
		if (op < 0)
			return UNSUP("node '%s' (%s): operator %s is not supported", name,
				     np->op_type, np->op_type);
		ar = arity(op);
		if (np->n_input > XG_MAX_NODE_IO || np->n_output > XG_MAX_NODE_IO)
			return BAD("node '%s' (%s) has %zu inputs and %zu outputs (at most %d)", name,
				   np->op_type, np->n_input, np->n_output, XG_MAX_NODE_IO);
		if (np->n_attribute > XG_MAX_ATTRS)
			return BAD("node '%s' (%s) has %zu attributes (at most %d)", name,
				   np->op_type, np->n_attribute, XG_MAX_ATTRS);
		ni = xg_add_node(g, np->name, op, (int)np->n_input, (int)np->n_output);
		if (ni < 0)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
		n = &g->n[ni];
		if ((int)np->n_input < ar.min_in || (int)np->n_input > ar.max_in)
			return BAD(XG_NODE_FMT ": has %zu inputs, the operator takes %d to %d",
				   XG_NODE_ARG(n), np->n_input, ar.min_in, ar.max_in);
		if ((int)np->n_output < ar.min_out || (int)np->n_output > ar.max_out)
			return BAD(XG_NODE_FMT ": has %zu outputs, the operator gives %d to %d",
				   XG_NODE_ARG(n), np->n_output, ar.min_out, ar.max_out);
		for (size_t j = 0; j < np->n_output; j++) {
			const char *on = str(np->output[j]);
			int t;

			if (!*on) {
				if (j == 0)
					return BAD(XG_NODE_FMT ": its first output has no name",
						   XG_NODE_ARG(n));
				continue;	/* an omitted optional output */
			}
			if (names_find(&im->names, g, on) >= 0)
				return BAD(XG_NODE_FMT ": output '%s' is already defined (duplicate output name)",
					   XG_NODE_ARG(n), on);
			st = new_named(im, on, "node output", &t);
			if (st)
				return st;
			g->n[ni].out[j] = t;
			g->t[t].producer = ni;
		}
		n = &g->n[ni];
		n->attrs = calloc(np->n_attribute ? np->n_attribute : 1, sizeof(*n->attrs));
		if (!n->attrs)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
		for (size_t a = 0; a < np->n_attribute; a++) {
			if (!np->attribute[a])
				return BAD(XG_NODE_FMT ": empty attribute", XG_NODE_ARG(n));
			n->nattrs++;
			st = import_attr(im, n, np->attribute[a], &n->attrs[a]);
			n = &g->n[ni];	/* tensor attributes may grow g->t, not g->n */
			if (st)
				return st;
			for (size_t b = 0; b < a; b++)
				if (!strcmp(n->attrs[b].name, n->attrs[a].name))
					return BAD(XG_NODE_FMT ": attribute '%s' is given twice",
						   XG_NODE_ARG(n), n->attrs[a].name);
		}
	}
	/* pass 2: resolve inputs */
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *np = gp->node[i];
		struct xg_node *n = &g->n[i];
		struct op_arity ar = arity(n->op);

		for (size_t j = 0; j < np->n_input; j++) {
			const char *in = str(np->input[j]);
			int t;

			if (!*in) {
				if ((int)j < ar.min_in)
					return BAD(XG_NODE_FMT ": required input %zu is missing",
						   XG_NODE_ARG(n), j);
				continue;
			}
			t = names_find(&im->names, g, in);
			if (t < 0)
				return BAD(XG_NODE_FMT ": input '%s' is not produced by any node, graph input or initializer",
					   XG_NODE_ARG(n), in);
			n->in[j] = t;
		}
	}
	return XPU_SUCCESS;
}

/* Kahn's algorithm over the node list: keeps the model's order where it is
 * already topological, and finds cycles. */
static xpu_status topo_sort(struct xg_graph *g)
{
	struct xg_scratch sc = { 0 };
	int nn = g->nn, done = 0, head = 0;
	int *indeg = xg_scratch_alloc(&sc, nn, sizeof(int));
	int *order = xg_scratch_alloc(&sc, nn, sizeof(int));
	int *nuse = xg_scratch_alloc(&sc, g->nt, sizeof(int)), *ustart, *users, *pos;
	struct xg_node *sorted;
	xpu_status st = XPU_SUCCESS;
	int64_t total = 0;

	if (sc.failed)
		goto out;
	for (int i = 0; i < nn; i++)
		for (int j = 0; j < g->n[i].nin; j++) {
			int t = g->n[i].in[j];

			if (t >= 0 && g->t[t].producer >= 0) {
				indeg[i]++;
				nuse[t]++;
				total++;
			}
		}
	ustart = xg_scratch_alloc(&sc, g->nt, sizeof(int));
	users = xg_scratch_alloc(&sc, total, sizeof(int));
	pos = xg_scratch_alloc(&sc, g->nt, sizeof(int));
	if (sc.failed)
		goto out;
	for (int t = 0, s = 0; t < g->nt; t++) {
		ustart[t] = s;
		s += nuse[t];
	}
	for (int i = 0; i < nn; i++)
		for (int j = 0; j < g->n[i].nin; j++) {
			int t = g->n[i].in[j];

			if (t >= 0 && g->t[t].producer >= 0)
				users[ustart[t] + pos[t]++] = i;
		}
	/* a min-index queue would keep the order; a FIFO seeded in order is close */
	for (int i = 0; i < nn; i++)
		if (!indeg[i])
			order[done++] = i;
	while (head < done) {
		struct xg_node *n = &g->n[order[head++]];

		for (int j = 0; j < n->nout; j++) {
			int t = n->out[j];

			if (t < 0)
				continue;
			for (int u = 0; u < nuse[t]; u++)
				if (--indeg[users[ustart[t] + u]] == 0)
					order[done++] = users[ustart[t] + u];
		}
	}
	if (done < nn) {
		for (int i = 0; i < nn; i++)
			if (indeg[i]) {
				st = BAD(XG_NODE_FMT ": the graph has a cycle through this node",
					 XG_NODE_ARG(&g->n[i]));
				break;
			}
		goto out;
	}
	sorted = xg_scratch_alloc(&sc, nn, sizeof(*sorted));
	if (!sorted)
		goto out;
	for (int i = 0; i < nn; i++)
		sorted[i] = g->n[order[i]];
	if (nn)		/* no nodes: g->n is NULL */
		memcpy(g->n, sorted, nn * sizeof(*sorted));
	for (int i = 0; i < nn; i++)
		for (int j = 0; j < g->n[i].nout; j++)
			if (g->n[i].out[j] >= 0)
				g->t[g->n[i].out[j]].producer = i;
out:
	return xg_scratch_end(&sc, "onnx", st);
}

static xpu_status import_graph(struct importer *im, const Onnx__ModelProto *mp)
{
	const Onnx__GraphProto *gp = mp->graph;
	struct xg_graph *g = im->g;
	xpu_status st;
	int have_default = 0;
	size_t nouts = 0;

	for (size_t i = 0; i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *os = mp->opset_import[i];

		if (!os)
			continue;
		if (!os->domain || !*os->domain || !strcmp(os->domain, "ai.onnx")) {
			have_default = 1;
			g->opset = os->has_version ? os->version : 1;
		}
	}
	if (!mp->n_opset_import)
		return BAD("the model has no opset_import (which ONNX version it uses is unknown)");
	if (!have_default)
		return UNSUP("the model imports no default-domain ONNX opset (only other domains, e.g. '%s')",
			     mp->opset_import[0] && mp->opset_import[0]->domain ?
			     mp->opset_import[0]->domain : "");
	if (g->opset < 1 || g->opset > 18)
		return UNSUP("opset %" PRId64 " is not supported (1..18)", g->opset);
	if (!gp)
		return BAD("the model has no graph");
	if (gp->n_node > XG_MAX_NODES)
		return BAD("the graph has %zu nodes (at most %d)", gp->n_node, XG_MAX_NODES);
	if (gp->n_initializer + gp->n_input + gp->n_output > XG_MAX_TENSORS)
		return BAD("the graph declares %zu inputs, outputs and initializers (at most %d)",
			   gp->n_initializer + gp->n_input + gp->n_output, XG_MAX_TENSORS);
	if (gp->n_sparse_initializer)
		return UNSUP("sparse initializers are not supported ('%s')",
			     gp->sparse_initializer[0] && gp->sparse_initializer[0]->values ?
			     str(gp->sparse_initializer[0]->values->name) : "");
	for (size_t i = 0; i < gp->n_node; i++) {
		if (!gp->node[i])
			return BAD("node %zu is empty", i);
		nouts += gp->node[i]->n_output;
	}
	if (nouts + gp->n_initializer + gp->n_input > XG_MAX_TENSORS)
		return BAD("the graph declares %zu tensors (at most %d)",
			   nouts + gp->n_initializer + gp->n_input, XG_MAX_TENSORS);
	g->name = strdup(str(gp->name));
	if (!g->name || names_init(&im->names, gp->n_initializer + gp->n_input + nouts + 64) < 0)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
	/* initializers: constants */
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		int t;

		if (!tp)
			return BAD("initializer %zu is empty", i);
		st = new_named(im, tp->name, "initializer", &t);
		if (!st)
			st = tensor_to_const(im, tp, t, "initializer");
		if (st)
			return st;
	}
	/* graph inputs: those that are initializers are constants */
	g->inputs = malloc((gp->n_input + 1) * sizeof(int));
	if (!g->inputs)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		int t;

		if (!vi || !vi->name || !*vi->name)
			return BAD("graph input %zu has no name", i);
		t = names_find(&im->names, g, vi->name);
		if (t >= 0 && g->t[t].kind == XG_CONST)
			continue;
		st = new_named(im, vi->name, "graph input", &t);
		if (st)
			return st;
		g->t[t].kind = XG_INPUT;
		g->t[t].io_index = g->ninputs;
		g->inputs[g->ninputs++] = t;
		st = input_shape(im, vi, t);
		if (st)
			return st;
	}
	st = import_nodes(im, gp);
	if (st)
		return st;
	/* graph outputs */
	if (!gp->n_output)
		return BAD("the graph has no outputs");
	g->outputs = malloc(gp->n_output * sizeof(int));
	if (!g->outputs)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
	for (size_t i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];
		int t;

		if (!vi || !vi->name || !*vi->name)
			return BAD("graph output %zu has no name", i);
		t = names_find(&im->names, g, vi->name);
		if (t < 0)
			return BAD("graph output '%s' is not produced by any node, input or initializer",
				   vi->name);
		if (g->t[t].is_output)
			return BAD("graph output '%s' is listed twice (duplicate output names)",
				   vi->name);
		g->t[t].is_output = 1;
		g->t[t].io_index = g->noutputs;
		g->outputs[g->noutputs++] = t;
	}
	return topo_sort(g);
}

xpu_status xg_import_onnx(const void *data, size_t size, const struct xg_options *opt,
			  struct xg_graph **out)
{
	static const struct xg_options defaults;
	struct importer im = { 0 };
	Onnx__ModelProto *mp;
	xpu_status st;

	*out = NULL;
	if (!opt)
		opt = &defaults;
	im.opt = opt;
	im.limit = opt->max_model_bytes ? opt->max_model_bytes : XG_DEFAULT_MAX_BYTES;
	im.budget = im.limit;
	if (!data || !size)
		return BAD("the model is empty");
	if (size > im.limit)
		return BAD("the model file is %zu bytes (at most %" PRIu64 ")", size, im.limit);
	mp = onnx__model_proto__unpack(NULL, size, data);
	if (!mp)
		return BAD("not a valid ONNX model: the protobuf data is truncated or malformed (%zu bytes)",
			   size);
	im.g = xg_new();
	if (!im.g) {
		onnx__model_proto__free_unpacked(mp, NULL);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "onnx: out of memory");
	}
	im.g->precision = opt->precision;
	im.g->max_bytes = im.limit;
	st = import_graph(&im, mp);
	im.g->const_bytes = im.limit - im.budget;
	onnx__model_proto__free_unpacked(mp, NULL);
	free(im.names.slot);
	if (st) {
		xg_free(im.g);
		return st;
	}
	*out = im.g;
	return XPU_SUCCESS;
}
