// SPDX-License-Identifier: MIT
/*
 * The graph passes before lowering: constant folding (the Shape-derived
 * chains exporters emit), shape and type inference of every op family with
 * ONNX broadcasting and attribute normalisation, each fusion (formed, and
 * not formed when an intermediate has another user or is a graph output),
 * dead-node elimination and the structural validator.
 */
#include <math.h>

#include "graph_test.h"

/* ---- folding ---- */

TEST(fold_shape_gather_unsqueeze_concat_reshape)
{
	struct xg_dim_binding b = { "batch", 3 };
	struct xg_options opt = { .dims = &b, .ndims = 1 };
	struct xg_graph *g;
	const struct xg_tensor *s;
	int r;

	ASSERT_EQ(XPU_SUCCESS, gt_front("fold_chain", &opt, &g)) TH_LOG("%s", xpu_last_error());
	/* Shape, Gather, Unsqueeze and Concat are gone: one Reshape remains */
	EXPECT_EQ(1, gt_live(g));
	r = gt_find(g, XG_OP_Reshape);
	ASSERT_LE(0, r);
	s = &g->t[g->n[r].in[1]];
	ASSERT_EQ(XG_CONST, s->kind);
	ASSERT_EQ(2, (int)xg_numel(s));
	EXPECT_EQ(3, xg_const_i64(s, 0));	/* the bound batch */
	EXPECT_EQ(-1, xg_const_i64(s, 1));
	/* the shape pass resolved -1 */
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 3, 24));
	EXPECT_EQ(2, xg_attr(&g->n[r], "shape")->n);
	EXPECT_EQ(24, xg_attr(&g->n[r], "shape")->ints[1]);
	xg_free(g);
}

/* folding in C: Range, ConstantOfShape, Trilu, Where, Cast, Slice, Transpose */
TEST(fold_constants)
{
	struct xg_graph *g = xg_new();
	int64_t d2[] = { 3, 3 }, v, shp[] = { 2, 3 };
	int st, li, de, rg, cs, co, tr, ca, sl, tp, one, prog;
	int in[3];
	float *f;

	g->opset = 17;
	g->max_bytes = 1 << 20;
	v = 2; st = gt_const_i64(g, "start", 1, &v);
	v = 11; li = gt_const_i64(g, "limit", 1, &v);
	v = 3; de = gt_const_i64(g, "delta", 1, &v);
	g->t[st].ndim = g->t[li].ndim = g->t[de].ndim = 0;	/* scalars */
	in[0] = st; in[1] = li; in[2] = de;
	rg = gt_node(g, "range", XG_OP_Range, 3, in, 1);
	cs = gt_const_i64(g, "shp", 2, shp);
	co = gt_node(g, "cos", XG_OP_ConstantOfShape, 1, &cs, 1);
	one = gt_const_f32(g, "m", 2, d2, 1.0f);	/* 1..9 */
	tr = gt_node(g, "tril", XG_OP_Trilu, 1, &one, 1);
	xg_set_attr_int(&g->n[tr], "upper", 0);
	ca = gt_node(g, "cast", XG_OP_Cast, 1, &g->n[tr].out[0], 1);
	xg_set_attr_int(&g->n[ca], "to", 9);	/* bool */
	sl = gt_node(g, "slice", XG_OP_Slice, 1, &one, 1);
	{
		int64_t s[] = { -1 }, e[] = { INT64_MIN }, a[] = { 1 }, stp[] = { -2 };

		g->n[sl].nin = 5;
		g->n[sl].in = realloc(g->n[sl].in, 5 * sizeof(int));
		g->n[sl].in[1] = gt_const_i64(g, "s", 1, s);
		g->n[sl].in[2] = gt_const_i64(g, "e", 1, e);
		g->n[sl].in[3] = gt_const_i64(g, "a", 1, a);
		g->n[sl].in[4] = gt_const_i64(g, "stp", 1, stp);
	}
	tp = gt_node(g, "tp", XG_OP_Transpose, 1, &one, 1);
	gt_output(g, g->n[rg].out[0]);
	gt_output(g, g->n[co].out[0]);
	gt_output(g, g->n[ca].out[0]);
	gt_output(g, g->n[sl].out[0]);
	gt_output(g, g->n[tp].out[0]);
	ASSERT_EQ(XPU_SUCCESS, xg_pass_fold(g, &prog)) TH_LOG("%s", xpu_last_error());
	EXPECT_EQ(1, prog);
	/* graph outputs keep a producer: Identity of the folded constant */
	for (int i = 0; i < g->noutputs; i++) {
		int p = g->t[g->outputs[i]].producer;

		ASSERT_LE(0, p);
		EXPECT_EQ(XG_OP_Identity, g->n[p].op);
		EXPECT_EQ(XG_CONST, g->t[g->n[p].in[0]].kind);
	}
#define VAL(out) (&g->t[g->n[g->t[g->outputs[out]].producer].in[0]])
	ASSERT_EQ(3, (int)xg_numel(VAL(0)));	/* 2, 5, 8 */
	EXPECT_EQ(8, xg_const_i64(VAL(0), 2));
	EXPECT_TRUE(GT_DIMS(VAL(1), 2, 3));
	EXPECT_EQ(XPU_DT_F32, VAL(1)->dtype);
	EXPECT_EQ(0.0f, xg_const_f32(VAL(1), 5));
	/* lower triangle of 1..9, as bool */
	EXPECT_EQ(XPU_DT_BOOL, VAL(2)->dtype);
	EXPECT_EQ(1, xg_const_i64(VAL(2), 3));
	EXPECT_EQ(0, xg_const_i64(VAL(2), 1));
	/* columns 2, 0 (start -1, step -2, to the beginning) */
	ASSERT_TRUE(GT_DIMS(VAL(3), 3, 2));
	f = VAL(3)->data;
	EXPECT_EQ(3.0f, f[0]);
	EXPECT_EQ(1.0f, f[1]);
	EXPECT_EQ(9.0f, f[4]);
	/* transpose */
	f = VAL(4)->data;
	EXPECT_EQ(4.0f, f[1]);
	/* a second fold changes nothing */
	ASSERT_EQ(XPU_SUCCESS, xg_pass_fold(g, &prog));
	EXPECT_EQ(0, prog);
	xg_free(g);
}

/* folded constants count against the model's byte limit: no huge allocations */
TEST(fold_budget)
{
	struct xg_graph *g = xg_new();
	int64_t shp[] = { 150, 1000 };	/* 600 kB of float each */
	int s, a, b, prog;

	g->opset = 17;
	g->max_bytes = 1 << 20;
	s = gt_const_i64(g, "shp", 2, shp);
	a = gt_node(g, "zeros_a", XG_OP_ConstantOfShape, 1, &s, 1);
	b = gt_node(g, "zeros_b", XG_OP_ConstantOfShape, 1, &s, 1);
	gt_output(g, g->n[a].out[0]);
	gt_output(g, g->n[b].out[0]);
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, xg_pass_fold(g, &prog));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'zeros_b' (ConstantOfShape): folding it would make the constants exceed 1048576 bytes"))
		TH_LOG("%s", xpu_last_error());
	xg_free(g);
	/* one tensor over the limit is refused by shape inference already */
	g = xg_new();
	g->opset = 17;
	g->max_bytes = 1 << 20;
	shp[0] = 1 << 20;
	s = gt_const_i64(g, "shp", 2, shp);
	a = gt_node(g, "huge", XG_OP_ConstantOfShape, 1, &s, 1);
	gt_output(g, g->n[a].out[0]);
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, xg_pass_fold(g, &prog));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'huge' (ConstantOfShape): output 'huge.out0' would be larger than 1048576 bytes"))
		TH_LOG("%s", xpu_last_error());
	xg_free(g);
}

/* inference Dropout: y = x, the mask all true; training mode is refused */
TEST(fold_dropout)
{
	struct xg_graph *g = xg_new();
	int64_t d[] = { 2, 3 };
	int x, n, prog, yp, mp;

	g->opset = 13;
	g->max_bytes = 1 << 20;
	x = gt_input(g, "x", XPU_DT_F32, 2, d);
	n = gt_node(g, "drop", XG_OP_Dropout, 1, &x, 2);
	gt_output(g, g->n[n].out[0]);
	gt_output(g, g->n[n].out[1]);
	ASSERT_EQ(XPU_SUCCESS, xg_pass_fold(g, &prog)) TH_LOG("%s", xpu_last_error());
	EXPECT_EQ(1, prog);
	/* y is a graph output read from a graph input: a copy (Identity) stays */
	yp = g->t[g->outputs[0]].producer;
	ASSERT_LE(0, yp);
	EXPECT_EQ(XG_OP_Identity, g->n[yp].op);
	EXPECT_EQ(1, g->n[yp].nout);
	EXPECT_EQ(x, g->n[yp].in[0]);
	/* the mask: Identity of a constant of ones */
	mp = g->t[g->outputs[1]].producer;
	ASSERT_LE(0, mp);
	ASSERT_NE(yp, mp);
	EXPECT_EQ(XG_OP_Identity, g->n[mp].op);
	EXPECT_EQ(XG_CONST, g->t[g->n[mp].in[0]].kind);
	EXPECT_EQ(XPU_DT_BOOL, g->t[g->n[mp].in[0]].dtype);
	EXPECT_EQ(1, xg_const_i64(&g->t[g->n[mp].in[0]], 5));
	EXPECT_EQ(XPU_SUCCESS, xg_pass_shape(g, NULL)) TH_LOG("%s", xpu_last_error());
	ASSERT_EQ(XPU_SUCCESS, xg_pass_fold(g, &prog));
	EXPECT_EQ(0, prog);
	xg_free(g);

	/* training_mode = true */
	g = xg_new();
	g->opset = 13;
	g->max_bytes = 1 << 20;
	x = gt_input(g, "x", XPU_DT_F32, 2, d);
	{
		int in[3] = { x, -1, -1 };
		int64_t one = 1;
		uint8_t *t = malloc(1);

		*t = 1;
		in[2] = xg_new_const(g, "train", XPU_DT_BOOL, 0, &one, t);
		n = gt_node(g, "tdrop", XG_OP_Dropout, 3, in, 1);
	}
	gt_output(g, g->n[n].out[0]);
	EXPECT_EQ(XPU_ERROR_NOT_SUPPORTED, xg_pass_fold(g, &prog));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'tdrop' (Dropout): training mode"))
		TH_LOG("%s", xpu_last_error());
	xg_free(g);
}

/* ---- shape inference ---- */

TEST(shape_broadcast)
{
	struct xg_graph *g;

	ASSERT_EQ(XPU_SUCCESS, gt_front("broadcast", NULL, &g));
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 2, 3, 4));
	xg_free(g);
	ASSERT_EQ(XPU_ERROR_INVALID_BINARY, gt_front("broadcast_bad", NULL, &g));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'badd' (Add)")) TH_LOG("%s", xpu_last_error());
	EXPECT_NE(NULL, strstr(xpu_last_error(), "[2,3] and [4] do not broadcast"))
		TH_LOG("%s", xpu_last_error());
}

struct shape_case {
	struct xg_graph *g;
};

static struct xg_graph *new_graph(void)
{
	struct xg_graph *g = xg_new();

	g->opset = 17;
	g->max_bytes = 1ull << 31;
	return g;
}

/* one node over fresh inputs; returns its first output tensor after inference */
static const struct xg_tensor *infer1(struct xg_graph *g, enum xg_op op, int nin, const int *in,
				      int nout, int *node, xpu_status *st)
{
	int n = gt_node(g, xg_op_name(op), op, nin, in, nout), ready;

	*st = xg_infer_node(g, n, &ready);
	if (node)
		*node = n;
	return &g->t[g->n[n].out[0]];
}

static int in_t(struct xg_graph *g, const char *name, uint32_t dt, int nd, const int64_t *dims)
{
	return gt_input(g, name, dt, nd, dims);
}

TEST(shape_matmul_gemm_conv_pool)
{
	struct xg_graph *g = new_graph();
	int64_t a[] = { 2, 1, 3, 4 }, b[] = { 5, 4, 6 }, v1[] = { 4 }, x[] = { 1, 3, 10, 9 };
	int64_t w[] = { 8, 3, 3, 3 }, ga[] = { 4, 3 }, gb[] = { 5, 4 }, pads[] = { 1, 1, 1, 1 };
	int in[3], node;
	xpu_status st;
	const struct xg_tensor *o;

	in[0] = in_t(g, "a", XPU_DT_F32, 4, a);
	in[1] = in_t(g, "b", XPU_DT_F32, 3, b);
	o = infer1(g, XG_OP_MatMul, 2, in, 1, NULL, &st);
	ASSERT_EQ(XPU_SUCCESS, st) TH_LOG("%s", xpu_last_error());
	EXPECT_TRUE(GT_DIMS(o, 2, 5, 3, 6));
	in[1] = in_t(g, "v", XPU_DT_F32, 1, v1);
	o = infer1(g, XG_OP_MatMul, 2, in, 1, NULL, &st);
	EXPECT_TRUE(GT_DIMS(o, 2, 1, 3));
	in[1] = in[0];
	o = infer1(g, XG_OP_MatMul, 2, in, 1, NULL, &st);
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, st);
	EXPECT_NE(NULL, strstr(xpu_last_error(), "inner dimensions differ")) TH_LOG("%s", xpu_last_error());
	/* Gemm transA */
	in[0] = in_t(g, "ga", XPU_DT_F32, 2, ga);
	in[1] = in_t(g, "gb", XPU_DT_F32, 2, gb);
	node = gt_node(g, "gemm", XG_OP_Gemm, 2, in, 1);
	xg_set_attr_int(&g->n[node], "transA", 1);
	xg_set_attr_int(&g->n[node], "transB", 1);
	{
		int ready;

		ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready)) TH_LOG("%s", xpu_last_error());
		EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 3, 5));
	}
	/* Conv: pads 1, stride 2 -> (10+2-3)/2+1 = 5, (9+2-3)/2+1 = 5 */
	in[0] = in_t(g, "x", XPU_DT_F32, 4, x);
	in[1] = in_t(g, "w", XPU_DT_F32, 4, w);
	node = gt_node(g, "conv", XG_OP_Conv, 2, in, 1);
	xg_set_attr_ints(&g->n[node], "pads", pads, 4);
	xg_set_attr_ints(&g->n[node], "strides", (int64_t[]){ 2, 2 }, 2);
	{
		int ready;

		ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready)) TH_LOG("%s", xpu_last_error());
		EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 1, 8, 5, 5));
	}
	/* SAME_UPPER: output = ceil(in / stride); explicit pads written out */
	node = gt_node(g, "conv_same", XG_OP_Conv, 2, in, 1);
	xg_set_attr_ints(&g->n[node], "strides", (int64_t[]){ 2, 2 }, 2);
	g->n[node].attrs = realloc(g->n[node].attrs, (g->n[node].nattrs + 1) * sizeof(struct xg_attr));
	memset(&g->n[node].attrs[g->n[node].nattrs], 0, sizeof(struct xg_attr));
	g->n[node].attrs[g->n[node].nattrs].name = strdup("auto_pad");
	g->n[node].attrs[g->n[node].nattrs].type = XG_ATTR_STRING;
	g->n[node].attrs[g->n[node].nattrs++].s = strdup("SAME_UPPER");
	{
		int ready;
		const struct xg_attr *p;

		ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready)) TH_LOG("%s", xpu_last_error());
		EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 1, 8, 5, 5));
		p = xg_attr(&g->n[node], "pads");
		ASSERT_NE(NULL, p);
		/* H: total (5-1)*2+3-10 = 1 -> 0 before, 1 after; W: (5-1)*2+3-9 = 2 -> 1, 1 */
		EXPECT_EQ(0, p->ints[0]);
		EXPECT_EQ(1, p->ints[1]);
		EXPECT_EQ(1, p->ints[2]);
		EXPECT_EQ(1, p->ints[3]);
		EXPECT_EQ(NULL, xg_attr(&g->n[node], "auto_pad"));
	}
	/* MaxPool 3x3 stride 2 ceil_mode: ceil((10-3)/2)+1 = 5, ceil((9-3)/2)+1 = 4 */
	node = gt_node(g, "pool", XG_OP_MaxPool, 1, in, 1);
	xg_set_attr_ints(&g->n[node], "kernel_shape", (int64_t[]){ 3, 3 }, 2);
	xg_set_attr_ints(&g->n[node], "strides", (int64_t[]){ 2, 2 }, 2);
	xg_set_attr_int(&g->n[node], "ceil_mode", 1);
	{
		int ready;

		ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready)) TH_LOG("%s", xpu_last_error());
		EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 1, 3, 5, 4));
	}
	o = infer1(g, XG_OP_GlobalAveragePool, 1, in, 1, NULL, &st);
	EXPECT_TRUE(GT_DIMS(o, 1, 3, 1, 1));
	xg_free(g);
}

TEST(shape_data_movement)
{
	struct xg_graph *g = new_graph();
	int64_t x[] = { 2, 3, 4 }, one[] = { 2, 1, 4 }, idx[] = { 5, 6 };
	int in[3], node, ready;
	const struct xg_tensor *o;
	xpu_status st;

	in[0] = in_t(g, "x", XPU_DT_F32, 3, x);
	/* Reshape [0, -1]: 0 copies, -1 infers */
	in[1] = gt_const_i64(g, "rs", 2, (int64_t[]){ 0, -1 });
	o = infer1(g, XG_OP_Reshape, 2, in, 1, NULL, &st);
	ASSERT_EQ(XPU_SUCCESS, st) TH_LOG("%s", xpu_last_error());
	EXPECT_TRUE(GT_DIMS(o, 2, 12));
	in[1] = gt_const_i64(g, "rs2", 2, (int64_t[]){ 5, -1 });
	o = infer1(g, XG_OP_Reshape, 2, in, 1, NULL, &st);
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, st);
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'Reshape' (Reshape): cannot infer the -1"))
		TH_LOG("%s", xpu_last_error());
	/* a run-time shape input: not supported, naming the node */
	in[1] = in_t(g, "dyn", XPU_DT_I64, 1, (int64_t[]){ 2 });
	o = infer1(g, XG_OP_Reshape, 2, in, 1, NULL, &st);
	EXPECT_EQ(XPU_ERROR_NOT_SUPPORTED, st);
	EXPECT_NE(NULL, strstr(xpu_last_error(), "compile-time constant"));
	/* Transpose: default perm reverses */
	o = infer1(g, XG_OP_Transpose, 1, in, 1, &node, &st);
	EXPECT_TRUE(GT_DIMS(o, 4, 3, 2));
	EXPECT_EQ(2, xg_attr(&g->n[node], "perm")->ints[0]);
	/* Flatten axis -1 */
	node = gt_node(g, "flat", XG_OP_Flatten, 1, in, 1);
	xg_set_attr_int(&g->n[node], "axis", -1);
	ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready));
	EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 6, 4));
	/* Squeeze without axes removes every 1; Unsqueeze axes [-1, 0] (input) */
	in[0] = in_t(g, "x1", XPU_DT_F32, 3, one);
	o = infer1(g, XG_OP_Squeeze, 1, in, 1, NULL, &st);
	EXPECT_TRUE(GT_DIMS(o, 2, 4));
	in[1] = gt_const_i64(g, "ax", 2, (int64_t[]){ -1, 0 });
	o = infer1(g, XG_OP_Unsqueeze, 2, in, 1, &node, &st);
	ASSERT_EQ(XPU_SUCCESS, st) TH_LOG("%s", xpu_last_error());
	EXPECT_TRUE(GT_DIMS(o, 1, 2, 1, 4, 1));
	EXPECT_EQ(-1, g->n[node].in[1]);	/* moved into the attribute */
	EXPECT_EQ(4, xg_attr(&g->n[node], "axes")->ints[1]);
	/* Gather axis 1 with [5,6] indices */
	in[0] = in_t(g, "x2", XPU_DT_F32, 3, x);
	in[1] = in_t(g, "idx", XPU_DT_I64, 2, idx);
	node = gt_node(g, "gather", XG_OP_Gather, 2, in, 1);
	xg_set_attr_int(&g->n[node], "axis", -2);
	ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready));
	EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 2, 5, 6, 4));
	EXPECT_EQ(1, xg_attr_int(&g->n[node], "axis", 0));
	/* Concat axis -1 */
	in[1] = in[0];
	node = gt_node(g, "cat", XG_OP_Concat, 2, in, 1);
	xg_set_attr_int(&g->n[node], "axis", -1);
	ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready));
	EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 2, 3, 8));
	/* Split in 3 equal parts of axis 2 (4 -> 2, 2, 0 would be wrong: 2 parts) */
	node = gt_node(g, "split", XG_OP_Split, 1, in, 2);
	xg_set_attr_int(&g->n[node], "axis", 2);
	ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready));
	EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[1]], 2, 3, 2));
	/* Slice: starts/ends/axes/steps constants, normalised into attributes */
	{
		int sin[5] = { in[0] };

		sin[1] = gt_const_i64(g, "st", 2, (int64_t[]){ 1, -100 });
		sin[2] = gt_const_i64(g, "en", 2, (int64_t[]){ INT64_MAX, -1 });
		sin[3] = gt_const_i64(g, "sa", 2, (int64_t[]){ -2, 2 });
		sin[4] = gt_const_i64(g, "ss", 2, (int64_t[]){ 1, 2 });
		o = infer1(g, XG_OP_Slice, 5, sin, 1, &node, &st);
		ASSERT_EQ(XPU_SUCCESS, st) TH_LOG("%s", xpu_last_error());
		/* axis 1: 1..3 -> 2; axis 2: 0..3 step 2 -> 0, 2 */
		EXPECT_TRUE(GT_DIMS(o, 2, 2, 2));
		EXPECT_EQ(1, xg_attr(&g->n[node], "axes")->ints[0]);
		EXPECT_EQ(0, xg_attr(&g->n[node], "starts")->ints[1]);
	}
	/* Expand [3,1] to [2,1,4] -> [2,3,4] */
	in[0] = in_t(g, "e", XPU_DT_F32, 2, (int64_t[]){ 3, 1 });
	in[1] = gt_const_i64(g, "es", 3, (int64_t[]){ 2, 1, 4 });
	o = infer1(g, XG_OP_Expand, 2, in, 1, NULL, &st);
	ASSERT_EQ(XPU_SUCCESS, st) TH_LOG("%s", xpu_last_error());
	EXPECT_TRUE(GT_DIMS(o, 2, 3, 4));
	xg_free(g);
}

TEST(shape_elementwise_reduce_norm_quant)
{
	struct xg_graph *g = new_graph();
	int64_t x[] = { 2, 3, 4 }, c[] = { 3, 1 }, s[] = { 4 };
	int in[3], node, ready;
	const struct xg_tensor *o;
	xpu_status st;

	in[0] = in_t(g, "x", XPU_DT_F32, 3, x);
	in[1] = in_t(g, "c", XPU_DT_F32, 2, c);
	o = infer1(g, XG_OP_Equal, 2, in, 1, NULL, &st);
	EXPECT_EQ(XPU_DT_BOOL, o->dtype);
	EXPECT_TRUE(GT_DIMS(o, 2, 3, 4));
	in[2] = in_t(g, "s", XPU_DT_F32, 1, s);
	in[0] = g->n[g->nn - 1].out[0];
	o = infer1(g, XG_OP_Where, 3, in, 1, NULL, &st);
	ASSERT_EQ(XPU_SUCCESS, st) TH_LOG("%s", xpu_last_error());
	EXPECT_EQ(XPU_DT_F32, o->dtype);
	EXPECT_TRUE(GT_DIMS(o, 2, 3, 4));
	/* mixed dtypes: an error naming the node */
	in[0] = in_t(g, "i", XPU_DT_I32, 1, s);
	o = infer1(g, XG_OP_Add, 2, in + 1, 1, NULL, &st);
	EXPECT_EQ(XPU_SUCCESS, st);
	in[1] = in[0];
	in[0] = g->inputs[0];
	o = infer1(g, XG_OP_Sub, 2, in, 1, NULL, &st);
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, st);
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'Sub' (Sub): inputs have different data types"))
		TH_LOG("%s", xpu_last_error());
	/* ReduceMean axes [-1] keepdims 0 */
	node = gt_node(g, "rm", XG_OP_ReduceMean, 1, in, 1);
	xg_set_attr_ints(&g->n[node], "axes", (int64_t[]){ -1 }, 1);
	xg_set_attr_int(&g->n[node], "keepdims", 0);
	ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready));
	EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 2, 3));
	EXPECT_EQ(2, xg_attr(&g->n[node], "axes")->ints[0]);
	/* ReduceSum with no axes: all of them */
	o = infer1(g, XG_OP_ReduceSum, 1, in, 1, NULL, &st);
	EXPECT_TRUE(GT_DIMS(o, 1, 1, 1));
	/* Softmax: axis -1 made positive */
	o = infer1(g, XG_OP_Softmax, 1, in, 1, &node, &st);
	EXPECT_EQ(2, xg_attr_int(&g->n[node], "axis", -1));
	/* LayerNormalization: mean/invstd outputs, epsilon written out */
	in[1] = in_t(g, "gamma", XPU_DT_F32, 1, s);
	node = gt_node(g, "ln", XG_OP_LayerNormalization, 2, in, 3);
	ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready));
	EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[1]], 2, 3, 1));
	EXPECT_EQ(1e-5f, xg_attr_float(&g->n[node], "epsilon", 0));
	/* Cast to int32; to float16: not supported, naming the node */
	node = gt_node(g, "cast32", XG_OP_Cast, 1, in, 1);
	xg_set_attr_int(&g->n[node], "to", 6);
	ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready));
	EXPECT_EQ(XPU_DT_I32, g->t[g->n[node].out[0]].dtype);
	node = gt_node(g, "cast16", XG_OP_Cast, 1, in, 1);
	xg_set_attr_int(&g->n[node], "to", 10);
	EXPECT_EQ(XPU_ERROR_NOT_SUPPORTED, xg_infer_node(g, node, &ready));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'cast16' (Cast): cast to float16"));
	/* Quantize with an int8 zero point -> int8; Dequantize -> f32 */
	in[1] = in_t(g, "scale", XPU_DT_F32, 0, NULL);
	in[2] = in_t(g, "zp", XPU_DT_I8, 0, NULL);
	o = infer1(g, XG_OP_QuantizeLinear, 3, in, 1, NULL, &st);
	EXPECT_EQ(XPU_DT_I8, o->dtype);
	in[0] = g->n[g->nn - 1].out[0];
	o = infer1(g, XG_OP_DequantizeLinear, 3, in, 1, NULL, &st);
	EXPECT_EQ(XPU_DT_F32, o->dtype);
	EXPECT_TRUE(GT_DIMS(o, 2, 3, 4));
	/* Shape with start/end */
	in[0] = g->inputs[0];
	node = gt_node(g, "shape", XG_OP_Shape, 1, in, 1);
	xg_set_attr_int(&g->n[node], "start", -2);
	ASSERT_EQ(XPU_SUCCESS, xg_infer_node(g, node, &ready));
	EXPECT_TRUE(GT_DIMS(&g->t[g->n[node].out[0]], 2));
	EXPECT_EQ(XPU_DT_I64, g->t[g->n[node].out[0]].dtype);
	xg_free(g);
}

/* ---- fusion ---- */

/* The front end of a model that must end as one live node of op: its index */
static int fused_one(struct __test_metadata *_metadata, const char *model, enum xg_op op,
		     struct xg_graph **g)
{
	int n;

	ASSERT_EQ(XPU_SUCCESS, gt_front(model, NULL, g)) TH_LOG("%s: %s", model, xpu_last_error());
	EXPECT_EQ(1, gt_live(*g)) TH_LOG("%s", model);
	n = gt_find(*g, op);
	ASSERT_LE(0, n) TH_LOG("%s", model);
	return n;
}

TEST(fuse_gelu)
{
	struct xg_graph *g;
	int n;

	n = fused_one(_metadata, "fuse_gelu", XG_OP_Gelu, &g);
	EXPECT_EQ(XG_ACT_GELU_ERF, g->n[n].act);
	EXPECT_EQ(g->inputs[0], g->n[n].in[0]);
	EXPECT_EQ(g->outputs[0], g->n[n].out[0]);
	xg_free(g);
}

TEST(fuse_layernorm)
{
	struct xg_graph *g;
	int n;

	n = fused_one(_metadata, "fuse_layernorm", XG_OP_FusedLayerNorm, &g);
	ASSERT_EQ(3, g->n[n].nin);
	EXPECT_STREQ("ln_gamma", g->t[g->n[n].in[1]].name);
	EXPECT_STREQ("ln_beta", g->t[g->n[n].in[2]].name);
	EXPECT_EQ(1e-5f, xg_attr_float(&g->n[n], "epsilon", 0));
	EXPECT_EQ(2, xg_attr_int(&g->n[n], "axis", -1));
	xg_free(g);
}

TEST(fuse_matmul_bias_activation)
{
	struct xg_graph *g;
	int n;

	n = fused_one(_metadata, "fuse_matmul", XG_OP_FusedMatMul, &g);
	ASSERT_EQ(3, g->n[n].nin);
	EXPECT_STREQ("b", g->t[g->n[n].in[2]].name);
	EXPECT_EQ(XG_ACT_RELU, g->n[n].act);
	xg_free(g);
	/* the pre-activation is a graph output: bias fuses, Relu stays */
	ASSERT_EQ(XPU_SUCCESS, gt_front("fuse_matmul_output", NULL, &g));
	n = gt_find(g, XG_OP_FusedMatMul);
	ASSERT_LE(0, n);
	EXPECT_EQ(XG_ACT_NONE, g->n[n].act);
	EXPECT_EQ(1, gt_count(g, XG_OP_Relu));
	xg_free(g);
}

TEST(fuse_gemm)
{
	struct xg_graph *g;
	const struct xg_tensor *b;
	int n;

	ASSERT_EQ(XPU_SUCCESS, gt_front("fuse_gemm", NULL, &g)) TH_LOG("%s", xpu_last_error());
	n = gt_find(g, XG_OP_FusedMatMul);
	ASSERT_LE(0, n);
	EXPECT_EQ(0, gt_count(g, XG_OP_Gemm));
	/* transB: B became the transposed constant [8,4] */
	b = &g->t[g->n[n].in[1]];
	ASSERT_TRUE(GT_DIMS(b, 8, 4));
	{
		int w = xg_find_tensor(g, "w");
		const float *src = g->t[w].data, *dst = b->data;

		ASSERT_LE(0, w);
		for (int i = 0; i < 4; i++)
			for (int k = 0; k < 8; k++)
				ASSERT_EQ(src[i * 8 + k], dst[k * 4 + i]);
	}
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 2, 4));
	xg_free(g);
}

/* Where a fusion must not form: how many of each op the front end leaves */
TEST(fuse_not_formed)
{
	static const struct {
		const char *model, *why;
		struct {
			enum xg_op op;
			int count;
		} ops[3];
		int nops;
	} cases[] = {
		{ "fuse_gelu_shared", "Erf's output read by another node: the chain stays",
		  { { XG_OP_Gelu, 0 }, { XG_OP_Erf, 1 } }, 2 },
		{ "fuse_layernorm_shared", "the variance is a graph output: no fusion",
		  { { XG_OP_FusedLayerNorm, 0 }, { XG_OP_ReduceMean, 2 } }, 2 },
		{ "fuse_matmul_shared", "the product is read twice: nothing fuses",
		  { { XG_OP_FusedMatMul, 0 }, { XG_OP_MatMul, 1 }, { XG_OP_Relu, 1 } }, 3 },
		{ "fuse_gemm_alpha", "alpha 2: stays a Gemm",
		  { { XG_OP_Gemm, 1 }, { XG_OP_FusedMatMul, 0 } }, 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xg_graph *g;

		ASSERT_EQ(XPU_SUCCESS, gt_front(cases[i].model, NULL, &g))
			TH_LOG("%s: %s", cases[i].model, xpu_last_error());
		for (int k = 0; k < cases[i].nops; k++) {
			EXPECT_EQ(cases[i].ops[k].count, gt_count(g, cases[i].ops[k].op))
				TH_LOG("%s (%s): op %d", cases[i].model, cases[i].why, k);
		}
		xg_free(g);
	}
}

/* q x K^T with one query row: the MatMul reads K itself, no Transpose */
TEST(fuse_matvec)
{
	static const char *const keep[] = { "fuse_matvec_rows", "fuse_matvec_shared",
					    "fuse_matvec_perm", "fuse_matvec_output" };
	struct xg_graph *g;
	int n;

	n = fused_one(_metadata, "fuse_matvec", XG_OP_MatMul, &g);
	EXPECT_EQ(0, gt_count(g, XG_OP_Transpose));
	EXPECT_EQ(1, xg_attr_int(&g->n[n], "b_transposed_matvec", 0));
	EXPECT_EQ(xg_find_tensor(g, "q"), g->n[n].in[0]);
	EXPECT_EQ(xg_find_tensor(g, "k"), g->n[n].in[1]);
	/* the shape pass (run again in the pipeline's loop) keeps [2,4,1,6] */
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 2, 4, 1, 6));
	ASSERT_EQ(XPU_SUCCESS, xg_pass_shape(g, NULL)) TH_LOG("%s", xpu_last_error());
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 2, 4, 1, 6));
	xg_free(g);
	/* M = 3, a second reader of K^T, a perm moving a batch axis, K^T a
	 * graph output: the Transpose stays and the MatMul is plain */
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(XPU_SUCCESS, gt_front(keep[i], NULL, &g)) TH_LOG("%s: %s", keep[i],
									   xpu_last_error());
		EXPECT_EQ(1, gt_count(g, XG_OP_Transpose)) TH_LOG("%s", keep[i]);
		n = gt_find(g, XG_OP_MatMul);
		ASSERT_LE(0, n) TH_LOG("%s", keep[i]);
		EXPECT_EQ(0, xg_attr_int(&g->n[n], "b_transposed_matvec", 0)) TH_LOG("%s", keep[i]);
		EXPECT_EQ(g->n[gt_find(g, XG_OP_Transpose)].out[0], g->n[n].in[1]) TH_LOG("%s", keep[i]);
		xg_free(g);
	}
}

/* the GPT-like decoder: what an exporter gives, end to end before lowering */
TEST(gpt_pipeline)
{
	struct xg_dim_binding b = { "batch", 2 };
	struct xg_options opt = { .dims = &b, .ndims = 1 };
	struct xg_graph *g;

	ASSERT_EQ(XPU_SUCCESS, gt_front("gpt", &opt, &g)) TH_LOG("%s", xpu_last_error());
	/* 5 layernorms; 8 bias epilogues (qkv, proj, fc1 + Gelu, fc2 per layer); no Shape logic left */
	EXPECT_EQ(5, gt_count(g, XG_OP_FusedLayerNorm));
	EXPECT_EQ(8, gt_count(g, XG_OP_FusedMatMul));
	EXPECT_EQ(0, gt_count(g, XG_OP_Gelu));
	for (int op = 0; op < XG_OP_COUNT; op++) {
		static const enum xg_op gone[] = { XG_OP_Shape, XG_OP_Concat, XG_OP_Unsqueeze,
			XG_OP_Trilu, XG_OP_Cast, XG_OP_Dropout, XG_OP_Erf, XG_OP_Pow,
			XG_OP_ReduceMean, XG_OP_Identity };

		for (size_t k = 0; k < sizeof(gone) / sizeof(gone[0]); k++)
			if (gone[k] == (enum xg_op)op)
				EXPECT_EQ(0, gt_count(g, op)) TH_LOG("%s left", xg_op_name(op));
	}
	{
		int n = gt_find(g, XG_OP_FusedMatMul);
		int gelu = 0;

		for (int i = 0; i < g->nn; i++)
			gelu += !g->n[i].dead && g->n[i].op == XG_OP_FusedMatMul &&
				g->n[i].act == XG_ACT_GELU_ERF;
		EXPECT_EQ(2, gelu);
		ASSERT_LE(0, n);
	}
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 2, 16, 40));
	EXPECT_EQ(XPU_SUCCESS, xg_validate(g, 1));
	xg_free(g);
}

/* ---- validator ---- */

TEST(validator_names_the_problem)
{
	struct xg_graph *g = new_graph();
	int64_t d[] = { 2 };
	int x = in_t(g, "x", XPU_DT_F32, 1, d), a, b;

	a = gt_node(g, "first", XG_OP_Relu, 1, &x, 1);
	b = gt_node(g, "second", XG_OP_Neg, 1, &g->n[a].out[0], 1);
	gt_output(g, g->n[b].out[0]);
	g->t[g->n[a].out[0]].dtype = XPU_DT_F32;
	g->t[g->n[b].out[0]].dtype = XPU_DT_F32;
	EXPECT_EQ(XPU_SUCCESS, xg_validate(g, 0)) TH_LOG("%s", xpu_last_error());
	/* shapes unknown yet */
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, xg_validate(g, 1));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'first' (Relu): tensor 'first.out0' has no static shape"))
		TH_LOG("%s", xpu_last_error());
	/* a use before the definition (order broken) */
	g->n[a].in[0] = g->n[b].out[0];
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, xg_validate(g, 0));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'first' (Relu): input 'second.out0' is not produced before"))
		TH_LOG("%s", xpu_last_error());
	/* an index out of range */
	g->n[a].in[0] = 999;
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, xg_validate(g, 0));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "out of range"));
	g->n[a].in[0] = x;
	/* two producers of one tensor */
	g->n[b].out[0] = g->n[a].out[0];
	EXPECT_EQ(XPU_ERROR_INVALID_BINARY, xg_validate(g, 0));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'second' (Neg): output 'first.out0' has another producer"))
		TH_LOG("%s", xpu_last_error());
	xg_free(g);
}

TEST_HARNESS_MAIN
