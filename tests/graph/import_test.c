// SPDX-License-Identifier: MIT
/*
 * ONNX importer: valid models, and every kind of broken or hostile file
 * gets an error naming the problem (and the node or tensor), never a crash:
 * truncation at every byte, garbage, absurd sizes, short raw data, unknown
 * and unsupported data types, external data, missing inputs, cycles,
 * duplicate outputs, unsupported ops and domains, symbolic dimensions.
 */
#include "graph_test.h"

/* the first of the strings (NULL-terminated list) missing from msg, or NULL */
static const char *missing(const char *msg, const char *const *subs)
{
	for (; *subs; subs++)
		if (!strstr(msg, *subs))
			return *subs;
	return NULL;
}

#define EXPECT_ERR(name, status, ...) do { \
	struct xg_graph *g_; \
	const char *subs_[] = { __VA_ARGS__, NULL }; \
	xpu_status st_ = gt_front(name, NULL, &g_); \
	ASSERT_EQ(status, st_) TH_LOG("%s: %s", name, xpu_last_error()); \
	EXPECT_EQ(NULL, missing(xpu_last_error(), subs_)) \
		TH_LOG("'%s' not in: %s", missing(xpu_last_error(), subs_), xpu_last_error()); \
	ASSERT_EQ(NULL, g_); \
} while (0)

TEST(valid_small_model)
{
	struct xg_graph *g;

	ASSERT_EQ(XPU_SUCCESS, gt_front("small", NULL, &g)) TH_LOG("%s", xpu_last_error());
	ASSERT_EQ(1, g->ninputs);
	ASSERT_EQ(1, g->noutputs);
	EXPECT_EQ(13, g->opset);
	EXPECT_STREQ("x", g->t[g->inputs[0]].name);
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 2, 4));
	EXPECT_EQ(XPU_DT_F32, g->t[g->outputs[0]].dtype);
	ASSERT_EQ(XPU_SUCCESS, xg_validate(g, 1));
	xg_free(g);
}

/* zero elements and no data arrays at all (a fuzzer finding: memcpy from NULL) */
TEST(empty_initializer)
{
	struct xg_graph *g;
	int e;

	ASSERT_EQ(XPU_SUCCESS, gt_front("empty_init", NULL, &g)) TH_LOG("%s", xpu_last_error());
	e = xg_find_tensor(g, "empty");
	ASSERT_LE(0, e);
	EXPECT_EQ(XG_CONST, g->t[e].kind);
	EXPECT_EQ(0, (int)xg_numel(&g->t[e]));
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 2));
	xg_free(g);
}

/* a graph without nodes (a fuzzer finding: memcpy to NULL in the sort) */
TEST(no_nodes)
{
	struct xg_graph *g;

	ASSERT_EQ(XPU_SUCCESS, gt_front("no_nodes", NULL, &g)) TH_LOG("%s", xpu_last_error());
	EXPECT_EQ(0, g->nn);
	EXPECT_EQ(g->inputs[0], g->outputs[0]);
	/* the plan refuses an output that is an input: no node computes it */
	EXPECT_EQ(XPU_ERROR_NOT_SUPPORTED, xg_pass_plan(g));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "graph output 'x' is a graph input"));
	xg_free(g);
}

/* every prefix of a valid file: an error, never a crash or a half graph */
TEST(truncated_at_every_byte)
{
	size_t size;
	void *data = gt_load("small", &size);
	int parse_errors = 0;

	ASSERT_NE(NULL, data);
	for (size_t len = 0; len < size; len++) {
		struct xg_graph *g = NULL;
		xpu_status st = xg_frontend(data, len, NULL, &g);

		ASSERT_NE(XPU_SUCCESS, st) TH_LOG("a %zu-byte prefix of %zu imported", len, size);
		ASSERT_EQ(NULL, g);
		EXPECT_NE(0, strlen(xpu_last_error()));
		parse_errors += strstr(xpu_last_error(), "truncated or malformed") != NULL;
	}
	/* most prefixes cut a field: the protobuf parser says so */
	EXPECT_GT(parse_errors, (int)size / 2);
	free(data);
}

TEST(garbage_and_empty)
{
	unsigned char junk[4096];
	struct xg_graph *g;
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = x >> 24;
	}
	ASSERT_EQ(XPU_ERROR_INVALID_BINARY, xg_import_onnx(junk, sizeof(junk), NULL, &g));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "truncated or malformed")) TH_LOG("%s", xpu_last_error());
	ASSERT_EQ(XPU_ERROR_INVALID_BINARY, xg_import_onnx(junk, 0, NULL, &g));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "empty"));
	ASSERT_EQ(NULL, g);
}

TEST(model_larger_than_the_limit)
{
	struct xg_options opt = { .max_model_bytes = 100 };
	struct xg_graph *g;
	size_t size;
	void *data = gt_load("small", &size);

	ASSERT_NE(NULL, data);
	ASSERT_EQ(XPU_ERROR_INVALID_BINARY, xg_import_onnx(data, size, &opt, &g));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "at most 100")) TH_LOG("%s", xpu_last_error());
	/* the weights alone exceed a limit just above the file size? no: the file holds them */
	opt.max_model_bytes = size;
	ASSERT_EQ(XPU_SUCCESS, xg_import_onnx(data, size, &opt, &g)) TH_LOG("%s", xpu_last_error());
	xg_free(g);
	free(data);
}

/*
 * Broken or hostile models (tests/graph/models/front_models.py): the error code,
 * and strings the message must contain (naming the node or tensor).
 */
static const struct bad_model {
	const char *model;
	xpu_status status;
	const char *subs[4];		/* NULL-terminated */
} bad_models[] = {
	/* 2^80 elements: the product overflows */
	{ "absurd_dims", XPU_ERROR_INVALID_BINARY, { "'huge'", "bytes" } },
	/* 2^40 floats: over the 2 GiB limit, checked before any allocation */
	{ "big_dims", XPU_ERROR_INVALID_BINARY, { "'big'", "bytes" } },
	{ "too_many_attrs", XPU_ERROR_INVALID_BINARY,
	  { "node 'attrs' (Relu)", "1100 attributes (at most 1024)" } },
	{ "rank9", XPU_ERROR_INVALID_BINARY, { "graph input 'x' has rank 9 (at most 8)" } },
	{ "short_raw", XPU_ERROR_INVALID_BINARY, { "'short'", "raw_data is 20 bytes", "24" } },
	{ "unknown_dtype", XPU_ERROR_INVALID_BINARY, { "'weird'", "unknown data type 99" } },
	{ "float16_init", XPU_ERROR_NOT_SUPPORTED, { "'half'", "float16" } },
	{ "external_data", XPU_ERROR_INVALID_BINARY, { "'ext'", "external" } },
	{ "missing_input", XPU_ERROR_INVALID_BINARY,
	  { "node 'addmissing' (Add)", "required input 1 is missing" } },
	{ "unknown_input", XPU_ERROR_INVALID_BINARY, { "node 'addnowhere' (Add)", "'nowhere'" } },
	/* the limit bounds the planner's quadratic time on untrusted files */
	{ "too_many_nodes", XPU_ERROR_INVALID_BINARY, { "65537 nodes", "at most 65536" } },
	{ "cycle", XPU_ERROR_INVALID_BINARY, { "cycle", "node 'cyc_" } },
	{ "dup_output", XPU_ERROR_INVALID_BINARY, { "'y'", "duplicate output" } },
	{ "unsupported_op", XPU_ERROR_NOT_SUPPORTED, { "node 'fancy' (FancyOp)", "not supported" } },
	{ "bad_domain", XPU_ERROR_NOT_SUPPORTED, { "node 'n0' (Relu)", "'com.microsoft'" } },
	{ "unsupported_cast", XPU_ERROR_NOT_SUPPORTED, { "node 'tofloat64' (Cast)", "double" } },
};

TEST(broken_models_refused_naming_the_problem)
{
	for (size_t i = 0; i < sizeof(bad_models) / sizeof(bad_models[0]); i++) {
		const struct bad_model *m = &bad_models[i];
		const char *gone;
		struct xg_graph *g;
		xpu_status st = gt_front(m->model, NULL, &g);

		EXPECT_EQ(m->status, st) TH_LOG("%s: %s", m->model, xpu_last_error());
		gone = missing(xpu_last_error(), m->subs);
		EXPECT_EQ(NULL, gone) TH_LOG("%s: '%s' not in: %s", m->model, gone, xpu_last_error());
		EXPECT_EQ(NULL, g) TH_LOG("%s: a graph on failure", m->model);
		if (!st)
			xg_free(g);
	}
}

TEST(symbolic_dims)
{
	struct xg_dim_binding b = { "seq", 5 };
	struct xg_options opt = { .dims = &b, .ndims = 1 };
	struct xg_graph *g;

	EXPECT_ERR("symbolic", XPU_ERROR_INVALID_BINARY, "'seq'", "graph input 'x'");
	ASSERT_EQ(XPU_SUCCESS, gt_front("symbolic", &opt, &g)) TH_LOG("%s", xpu_last_error());
	EXPECT_TRUE(GT_DIMS(&g->t[g->inputs[0]], 5, 3));
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 5, 3));
	EXPECT_STREQ("seq", g->t[g->inputs[0]].dim_param[0]);
	xg_free(g);
	opt.ndims = 0;
	opt.default_dim = 7;
	ASSERT_EQ(XPU_SUCCESS, gt_front("symbolic", &opt, &g)) TH_LOG("%s", xpu_last_error());
	EXPECT_TRUE(GT_DIMS(&g->t[g->outputs[0]], 7, 3));
	xg_free(g);
}

TEST(options_from_model)
{
	const char *dims[] = { "batch=4", "*=2" }, *bad[] = { "batch" }, *neg[] = { "b=-1" };
	struct xpu_model_options mo = { .size = sizeof(mo), .dims = dims, .num_dims = 2 };
	struct xg_dim_binding *bind;
	struct xg_options opt;

	ASSERT_EQ(XPU_SUCCESS, xg_options_from_model(&mo, &opt, &bind));
	ASSERT_EQ(1, opt.ndims);
	EXPECT_STREQ("batch", opt.dims[0].name);
	EXPECT_EQ(4, opt.dims[0].value);
	EXPECT_EQ(2, opt.default_dim);
	free((char *)bind[0].name);
	free(bind);
	mo.dims = bad;
	mo.num_dims = 1;
	EXPECT_EQ(XPU_ERROR_INVALID_ARGUMENT, xg_options_from_model(&mo, &opt, &bind));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "'batch' is not NAME=VALUE"));
	mo.dims = neg;
	EXPECT_EQ(XPU_ERROR_INVALID_ARGUMENT, xg_options_from_model(&mo, &opt, &bind));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "positive"));
}

TEST(printer)
{
	struct xg_graph *g;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ASSERT_EQ(XPU_SUCCESS, gt_front("fuse_matmul", NULL, &g));
	f = open_memstream(&buf, &len);
	xg_print(g, f);
	fclose(f);
	/* one line per node: name, op, inputs/outputs with dtype and shape, act */
	EXPECT_NE(NULL, strstr(buf, "FusedMatMul(x:f32[2,3,8], w:f32[8,4]=const, b:f32[4]=const) -> y:f32[2,3,4] act=relu"))
		TH_LOG("%s", buf);
	free(buf);
	xg_free(g);
}

TEST_HARNESS_MAIN
