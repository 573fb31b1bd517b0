// SPDX-License-Identifier: MIT
/*
 * Data-movement lowering (runtime/graph/lower_data.c, runtime/compiler/copy.c),
 * emission (emit.c + the .xpu.graph/.xpu.const sections of runtime/lib/elf.c)
 * and the data reference (reference_data.c), on the host backend.
 *
 * Two kinds of cases:
 *  - graphs built here by hand, lowered, planned by a trivial planner of
 *    this file, emitted, loaded with xpu_graph_load and run: the device's
 *    outputs must equal the reference interpreter's and an expectation
 *    computed here by index arithmetic, bit for bit (random shapes, perms,
 *    dtypes of 1, 2, 4 and 8 bytes; both the unrolled and the loop form of
 *    the copy kernels). The emitted binary is parsed back and every record
 *    checked; corrupted sections are rejected with a message.
 *  - ONNX models written by tests/graph/models/lower_data_models.py (with
 *    numpy's results) through the public API: xpu_model_compile_onnx, a
 *    graph run, and xpu_model_reference_onnx: device == reference == numpy.
 * It links every libxpu source (internal stages are hidden in the .so).
 */
#include <elf.h>

#include "rt_test.h"
#include "graph.h"
#include "lower.h"
#include "reference.h"
#include "internal.h"
#include "../compiler/cc_internal.h"
#include "xpu/xpu_graph.h"
#include "graph_model.h"

#define TMO (30ull * 1000000000ull)

/* ---- building graphs by hand ---------------------------------------------- */
static int T(struct xg_graph *g, const char *name, uint32_t dt, int nd, const int64_t *dims)
{
	int t = xg_add_tensor(g, name);

	g->t[t].dtype = dt;
	g->t[t].ndim = nd;
	for (int i = 0; i < nd; i++)
		g->t[t].dims[i] = dims[i];
	g->t[t].kind = XG_VALUE;
	return t;
}

static int C(struct xg_graph *g, const char *name, uint32_t dt, int nd, const int64_t *dims,
	     const void *data)
{
	int t = T(g, name, dt, nd, dims);
	size_t b = xg_bytes(&g->t[t]);

	g->t[t].kind = XG_CONST;
	g->t[t].data = malloc(b ? b : 1);
	memcpy(g->t[t].data, data, b);
	return t;
}

static int N(struct xg_graph *g, const char *name, enum xg_op op, int nin, const int *in, int nout,
	     const int *out)
{
	int n = xg_add_node(g, name, op, nin, nout);

	for (int i = 0; i < nin; i++)
		g->n[n].in[i] = in[i];
	for (int i = 0; i < nout; i++) {
		g->n[n].out[i] = out[i];
		g->t[out[i]].producer = n;
	}
	return n;
}

static void IO(struct xg_graph *g, int nin, const int *in, int nout, const int *out)
{
	g->inputs = malloc(sizeof(int) * (nin + 1));
	g->outputs = malloc(sizeof(int) * (nout + 1));
	g->ninputs = nin;
	g->noutputs = nout;
	for (int i = 0; i < nin; i++) {
		g->inputs[i] = in[i];
		g->t[in[i]].kind = XG_INPUT;
	}
	for (int i = 0; i < nout; i++) {
		g->outputs[i] = out[i];
		g->t[out[i]].is_output = 1;
	}
}

/* The simplest plan: every arena root at its own 64-aligned offset. */
static void plan(struct xg_graph *g)
{
	uint64_t ar = 0, cs = 0;

	for (int t = 0; t < g->nt; t++) {
		struct xg_tensor *x = &g->t[t];
		uint64_t b = (xg_bytes(x) + 63) & ~63ull;

		if (x->kind == XG_INPUT) {
			x->location = XPU_GRAPH_LOC_INPUT;
		} else if (x->is_output) {
			x->location = XPU_GRAPH_LOC_OUTPUT;
		} else if (x->alias_of >= 0) {
			x->location = 0;
		} else if (x->kind == XG_CONST) {
			x->location = XPU_GRAPH_LOC_CONST;
			x->offset = cs;
			cs += b;
		} else {
			x->location = XPU_GRAPH_LOC_ARENA;
			x->offset = ar;
			ar += b;
		}
	}
	g->arena_size = ar;
	g->const_size = cs;
}

static void fill_random(void *p, size_t bytes, uint64_t *seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < bytes; i++)
		b[i] = (uint8_t)rt_rand(seed);
}

struct run {
	void **in;			/* per graph input: data */
	void **dev, **ref;		/* per graph output: results */
	xpu_status dev_st, ref_st, low_st;
	char dev_err[512], ref_err[512];
	void *image;
	size_t image_size;
	int nlaunches;
	int nkernels;
};

static void run_free(struct xg_graph *g, struct run *r)
{
	for (int i = 0; r->in && i < g->ninputs; i++)
		free(r->in[i]);
	for (int i = 0; r->dev && i < g->noutputs; i++) {
		free(r->dev[i]);
		free(r->ref[i]);
	}
	free(r->in);
	free(r->dev);
	free(r->ref);
	free(r->image);
}

/*
 * Random inputs (unless r->in is set), the reference, then lower + plan +
 * emit + load + run on the host device. Returns 0 if every stage up to the
 * run worked (the run's status is r->dev_st).
 */
static int run_graph(xpu_device *dev, xpu_stream *s, const struct xpu_cc_target *tg,
		     struct xg_graph *g, struct run *r, uint64_t seed)
{
	struct xg_ref R = { g, NULL, 0 };
	struct xg_lowered *L = NULL;
	xpu_graph *gr = NULL;

	if (!r->in) {
		r->in = calloc(g->ninputs + 1, sizeof(void *));
		for (int i = 0; i < g->ninputs; i++) {
			size_t b = xg_bytes(&g->t[g->inputs[i]]);

			r->in[i] = malloc(b + 1);
			fill_random(r->in[i], b, &seed);
		}
	}
	r->dev = calloc(g->noutputs + 1, sizeof(void *));
	r->ref = calloc(g->noutputs + 1, sizeof(void *));
	/* reference first: lowering edits the graph (aliases, temps) */
	R.val = calloc(g->nt + 1, sizeof(void *));
	for (int t = 0; t < g->nt; t++)
		if (g->t[t].kind == XG_CONST)
			R.val[t] = g->t[t].data;
	for (int i = 0; i < g->ninputs; i++)
		R.val[g->inputs[i]] = r->in[i];
	r->ref_st = xg_reference_run(&R);
	if (r->ref_st)
		snprintf(r->ref_err, sizeof(r->ref_err), "%s", xpu_last_error());
	for (int i = 0; i < g->noutputs; i++) {
		size_t b = xg_bytes(&g->t[g->outputs[i]]);

		r->ref[i] = calloc(1, b + 1);
		r->dev[i] = calloc(1, b + 1);
		if (!r->ref_st)
			memcpy(r->ref[i], R.val[g->outputs[i]], b);
	}
	for (int t = 0; t < g->nt; t++) {
		int keep = g->t[t].kind == XG_CONST || g->t[t].kind == XG_INPUT;

		if (!keep)
			free(R.val[t]);
	}
	free(R.val);

	r->low_st = xg_lower(g, tg, &L);
	if (r->low_st)
		return -1;
	plan(g);
	r->nlaunches = L->nlaunches;
	r->nkernels = (int)L->cc->img.num_kernels;
	if (xg_emit(g, L, &r->image, &r->image_size)) {
		xg_lowered_free(L);
		return -2;
	}
	xg_lowered_free(L);
	if (xpu_graph_load(dev, r->image, r->image_size, &gr))
		return -3;
	for (int i = 0; i < g->ninputs; i++)
		if (xpu_graph_set_input(gr, g->t[g->inputs[i]].name, r->in[i],
					xg_bytes(&g->t[g->inputs[i]]))) {
			xpu_graph_destroy(gr);
			return -4;
		}
	r->dev_st = xpu_graph_run(gr, s);
	if (!r->dev_st)
		r->dev_st = xpu_stream_synchronize(s, TMO);
	if (r->dev_st) {
		snprintf(r->dev_err, sizeof(r->dev_err), "%s", xpu_last_error());
	} else {
		for (int i = 0; i < g->noutputs; i++)
			if (xpu_graph_get_output(gr, g->t[g->outputs[i]].name, r->dev[i],
						 xg_bytes(&g->t[g->outputs[i]]))) {
				xpu_graph_destroy(gr);
				return -5;
			}
	}
	xpu_graph_destroy(gr);
	return 0;
}

FIXTURE(ld) {
	xpu_device *dev;
	xpu_stream *s;
	struct xpu_cc_target t;
	struct xg_graph *g;
	struct run r;
};

FIXTURE_SETUP(ld)
{
	struct xpu_device_props p;

	self->s = NULL;
	self->g = xg_new();
	memset(&self->r, 0, sizeof(self->r));
	RT_OPEN(self->dev);
	XOK(xpu_device_get_props(self->dev, &p));
	XOK(xpu_cc_target_from_props(&p, &self->t));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &self->s));
}

FIXTURE_TEARDOWN(ld)
{
	run_free(self->g, &self->r);
	xg_free(self->g);
	if (self->s)
		xpu_stream_destroy(self->s);
	if (self->dev)
		xpu_device_close(self->dev);
}

#define RUN_OK(self, seed) do { \
	int rc_ = run_graph((self)->dev, (self)->s, &(self)->t, (self)->g, &(self)->r, (seed)); \
	ASSERT_EQ(0, rc_) TH_LOG("stage %d: %s", rc_, xpu_last_error()); \
	ASSERT_EQ(XPU_SUCCESS, (self)->r.ref_st) TH_LOG("reference: %s", (self)->r.ref_err); \
	ASSERT_EQ(XPU_SUCCESS, (self)->r.dev_st) TH_LOG("device: %s", (self)->r.dev_err); \
} while (0)

/* expected transpose: out[i] = in[sum(idx[perm[k]] ...)] by index arithmetic */
static void transpose_expect(const uint8_t *in, uint8_t *out, int r, const int64_t *dims,
			     const int64_t *perm, size_t esz)
{
	int64_t od[8], idx[8] = { 0 }, is[8], total = 1;

	for (int i = r - 1, s = 1; i >= 0; i--) {
		is[i] = s;
		s *= (int)dims[i];
	}
	for (int i = 0; i < r; i++) {
		od[i] = dims[perm[i]];
		total *= od[i];
	}
	for (int64_t o = 0; o < total; o++) {
		int64_t src = 0;

		for (int i = 0; i < r; i++)
			src += idx[i] * is[perm[i]];
		memcpy(out + o * esz, in + src * esz, esz);
		for (int i = r - 1; i >= 0; i--) {
			if (++idx[i] < od[i])
				break;
			idx[i] = 0;
		}
	}
}

/* 4-D transposes of attention shapes: [B,S,H,D] <-> [B,H,S,D], K^T */
TEST_F(ld, transpose_attention)
{
	struct xg_graph *g = self->g;
	const int64_t x4[] = { 2, 24, 4, 16 }, q4[] = { 2, 4, 24, 16 }, k4[] = { 2, 4, 16, 24 };
	const int64_t p0[] = { 0, 2, 1, 3 }, p1[] = { 0, 1, 3, 2 };
	int x = T(g, "x", XPU_DT_F32, 4, x4), q = T(g, "q", XPU_DT_F32, 4, q4);
	int kt = T(g, "kt", XPU_DT_F32, 4, k4), qo = T(g, "q_out", XPU_DT_F32, 4, q4);
	int n0 = N(g, "to_heads", XG_OP_Transpose, 1, &x, 1, &q);
	int n1 = N(g, "k_t", XG_OP_Transpose, 1, &q, 1, &kt);
	int n2 = N(g, "q_copy", XG_OP_Identity, 1, &q, 1, &qo);
	int outs[] = { kt, qo };
	uint8_t *e1 = malloc(2 * 24 * 4 * 16 * 4), *e2 = malloc(2 * 24 * 4 * 16 * 4);

	xg_set_attr_ints(&g->n[n0], "perm", p0, 4);
	xg_set_attr_ints(&g->n[n1], "perm", p1, 4);
	(void)n2;
	IO(g, 1, &x, 2, outs);
	RUN_OK(self, 1);
	transpose_expect(self->r.in[0], e1, 4, x4, p0, 4);		/* q */
	transpose_expect(e1, e2, 4, q4, p1, 4);				/* kt */
	EXPECT_EQ(0, memcmp(self->r.dev[1], e1, sizeof(float) * 2 * 24 * 4 * 16));
	EXPECT_EQ(0, memcmp(self->r.dev[0], e2, sizeof(float) * 2 * 24 * 4 * 16));
	EXPECT_EQ(0, memcmp(self->r.ref[0], e2, sizeof(float) * 2 * 24 * 4 * 16));
	EXPECT_EQ(0, memcmp(self->r.ref[1], e1, sizeof(float) * 2 * 24 * 4 * 16));
	/* q lives in the arena; the Identity to a graph output is a copy */
	EXPECT_EQ(3, self->r.nlaunches);
	free(e1);
	free(e2);
}

/* random ranks 1..6, dims, perms and element sizes 1/2/4/8 */
TEST_F(ld, transpose_random)
{
	static const uint32_t dts[] = { XPU_DT_I8, XPU_DT_BF16, XPU_DT_F32, XPU_DT_I64 };
	uint64_t seed = 42;

	for (int c = 0; c < 40; c++) {
		struct xg_graph *g = xg_new();
		struct run r = { 0 };
		int64_t dims[6], perm[6], od[6];
		int rank = 1 + (int)(rt_rand(&seed) % 6), x, y, n, rc;
		uint32_t dt = dts[rt_rand(&seed) % 4];
		size_t esz = xg_dtype_size(dt), total = 1;
		uint8_t *e;

		for (int i = 0; i < rank; i++) {
			dims[i] = 1 + rt_rand(&seed) % (rank > 4 ? 5 : 9);
			perm[i] = i;
			total *= dims[i];
		}
		for (int i = rank - 1; i > 0; i--) {
			int j = (int)(rt_rand(&seed) % (i + 1));
			int64_t tmp = perm[i];

			perm[i] = perm[j];
			perm[j] = tmp;
		}
		for (int i = 0; i < rank; i++)
			od[i] = dims[perm[i]];
		x = T(g, "x", dt, rank, dims);
		y = T(g, "y", dt, rank, od);
		n = N(g, "t", XG_OP_Transpose, 1, &x, 1, &y);
		xg_set_attr_ints(&g->n[n], "perm", perm, rank);
		IO(g, 1, &x, 1, &y);
		rc = run_graph(self->dev, self->s, &self->t, g, &r, seed + c);
		ASSERT_EQ(0, rc) TH_LOG("case %d stage %d: %s", c, rc, xpu_last_error());
		ASSERT_EQ(XPU_SUCCESS, r.dev_st) TH_LOG("case %d: %s", c, r.dev_err);
		ASSERT_EQ(XPU_SUCCESS, r.ref_st) TH_LOG("case %d: %s", c, r.ref_err);
		e = malloc(total * esz + 1);
		transpose_expect(r.in[0], e, rank, dims, perm, esz);
		EXPECT_EQ(0, memcmp(r.dev[0], e, total * esz)) TH_LOG("case %d rank %d dt %u", c,
									rank, dt);
		EXPECT_EQ(0, memcmp(r.ref[0], e, total * esz)) TH_LOG("case %d", c);
		free(e);
		run_free(g, &r);
		xg_free(g);
	}
}

/* Reshape and a contiguous Slice alias (no kernel); offsets reach the kernels */
TEST_F(ld, aliases)
{
	struct xg_graph *g = self->g;
	const int64_t d0[] = { 4, 6, 8 }, d1[] = { 4, 8, 6 }, d2[] = { 32, 6 }, d3[] = { 10, 6 };
	const int64_t d4[] = { 6, 10 }, st[] = { 12 }, en[] = { 22 }, ax[] = { 0 };
	const int64_t one[] = { 1 }, perm01[] = { 0, 2, 1 }, perm10[] = { 1, 0 }, shp[] = { 2 };
	const int64_t shape[] = { 32, 6 };
	int x = T(g, "x", XPU_DT_F32, 3, d0), a = T(g, "a", XPU_DT_F32, 3, d1);
	int b = T(g, "b", XPU_DT_F32, 2, d2), c = T(g, "c", XPU_DT_F32, 2, d3);
	int y = T(g, "y", XPU_DT_F32, 2, d4);
	int cs = C(g, "starts", XPU_DT_I64, 1, one, st), ce = C(g, "ends", XPU_DT_I64, 1, one, en);
	int ca = C(g, "axes", XPU_DT_I64, 1, one, ax), sh = C(g, "shape", XPU_DT_I64, 1, shp, shape);
	int in0[] = { x }, in1[] = { a, sh }, in2[] = { b, cs, ce, ca }, in3[] = { c };
	int n0 = N(g, "t0", XG_OP_Transpose, 1, in0, 1, &a);
	int n3;
	uint8_t *e1 = malloc(4 * 6 * 8 * 4), *e2 = malloc(60 * 4);

	N(g, "r", XG_OP_Reshape, 2, in1, 1, &b);
	N(g, "s", XG_OP_Slice, 4, in2, 1, &c);
	n3 = N(g, "t1", XG_OP_Transpose, 1, in3, 1, &y);
	xg_set_attr_ints(&g->n[n0], "perm", perm01, 3);
	xg_set_attr_ints(&g->n[n3], "perm", perm10, 2);
	IO(g, 1, &x, 1, &y);
	RUN_OK(self, 7);
	EXPECT_EQ(2, self->r.nlaunches);	/* the two transposes; reshape and slice alias */
	transpose_expect(self->r.in[0], e1, 3, d0, perm01, 4);
	transpose_expect(e1 + 12 * 6 * 4, e2, 2, d3, perm10, 4);
	EXPECT_EQ(0, memcmp(self->r.dev[0], e2, 60 * 4));
	EXPECT_EQ(0, memcmp(self->r.ref[0], e2, 60 * 4));
	EXPECT_EQ(1, g->t[b].alias_of >= 0);
	EXPECT_EQ(12 * 6 * 4, (int)g->t[c].alias_offset);
	free(e1);
	free(e2);
}

/* Slice with steps 2, -1, -3 (negative strides) */
TEST_F(ld, slice_steps)
{
	struct xg_graph *g = self->g;
	const int64_t d0[] = { 5, 7, 6 }, od[] = { 2, 7, 2 }, three[] = { 3 };
	const int64_t st[] = { 1, -1, 5 }, en[] = { 5, -100, 0 }, sp[] = { 2, -1, -3 };
	int x = T(g, "x", XPU_DT_F32, 3, d0), y = T(g, "y", XPU_DT_F32, 3, od);
	int in[] = { x, C(g, "st", XPU_DT_I64, 1, three, st), C(g, "en", XPU_DT_I64, 1, three, en),
		     -1, C(g, "sp", XPU_DT_I64, 1, three, sp) };
	float e[2 * 7 * 2];
	const float *xi;
	int k = 0;

	N(g, "s", XG_OP_Slice, 5, in, 1, &y);
	IO(g, 1, &x, 1, &y);
	RUN_OK(self, 3);
	xi = self->r.in[0];
	for (int i = 1; i < 5; i += 2)
		for (int j = 6; j >= 0; j--)
			for (int l = 5; l > 0; l -= 3)
				e[k++] = xi[(i * 7 + j) * 6 + l];
	EXPECT_EQ(0, memcmp(self->r.dev[0], e, sizeof(e)));
	EXPECT_EQ(0, memcmp(self->r.ref[0], e, sizeof(e)));
}

/* Gather of an embedding table (a constant) with run-time int64 ids, and
 * of an input along axis 1 with int32 ids (negative ones too) */
TEST_F(ld, gather_runtime)
{
	struct xg_graph *g = self->g;
	const int64_t de[] = { 40, 12 }, di[] = { 3, 5 }, dt[] = { 3, 5, 12 };
	const int64_t dd[] = { 3, 9, 2 }, dj[] = { 4 }, dg[] = { 3, 4, 2 };
	float emb[40 * 12];
	int64_t ids[15];
	int32_t j32[4] = { 8, -9, 4, 0 };
	uint64_t seed = 5;
	int e, i, t, d, j, o, n;

	fill_random(emb, sizeof(emb), &seed);
	for (int k = 0; k < 15; k++)
		ids[k] = (int64_t)(rt_rand(&seed) % 80) - 40;
	e = C(g, "emb", XPU_DT_F32, 2, de, emb);
	i = T(g, "ids", XPU_DT_I64, 2, di);
	t = T(g, "tok", XPU_DT_F32, 3, dt);
	d = T(g, "d", XPU_DT_F32, 3, dd);
	j = T(g, "j", XPU_DT_I32, 1, dj);
	o = T(g, "g1", XPU_DT_F32, 3, dg);
	{
		int in0[] = { e, i }, in1[] = { d, j }, ins[] = { i, d, j }, outs[] = { t, o };

		N(g, "wte", XG_OP_Gather, 2, in0, 1, &t);
		n = N(g, "g_axis1", XG_OP_Gather, 2, in1, 1, &o);
		xg_set_attr_int(&g->n[n], "axis", 1);
		IO(g, 3, ins, 2, outs);
	}
	self->r.in = calloc(4, sizeof(void *));
	self->r.in[0] = malloc(sizeof(ids));
	memcpy(self->r.in[0], ids, sizeof(ids));
	self->r.in[1] = malloc(3 * 9 * 2 * 4);
	fill_random(self->r.in[1], 3 * 9 * 2 * 4, &seed);
	self->r.in[2] = malloc(sizeof(j32));
	memcpy(self->r.in[2], j32, sizeof(j32));
	RUN_OK(self, 0);
	for (int k = 0; k < 15; k++) {
		int64_t w = ids[k] < 0 ? ids[k] + 40 : ids[k];

		EXPECT_EQ(0, memcmp((float *)self->r.dev[0] + 12 * k, emb + 12 * w, 48));
	}
	EXPECT_EQ(0, memcmp(self->r.ref[0], self->r.dev[0], 15 * 48));
	for (int a = 0; a < 3; a++)
		for (int k = 0; k < 4; k++) {
			int w = j32[k] < 0 ? j32[k] + 9 : j32[k];

			EXPECT_EQ(0, memcmp((float *)self->r.dev[1] + (a * 4 + k) * 2,
					    (float *)self->r.in[1] + (a * 9 + w) * 2, 8));
		}
	EXPECT_EQ(0, memcmp(self->r.ref[1], self->r.dev[1], 3 * 4 * 2 * 4));
}

/* An index out of range: the device run fails with an MMU fault at
 * 0xbad0000000000000 + its position; the reference reports the index. */
TEST_F(ld, gather_out_of_range)
{
	struct xg_graph *g = self->g;
	const int64_t de[] = { 10, 4 }, di[] = { 3 }, dt[] = { 3, 4 };
	float emb[40] = { 0 };
	int64_t ids[3] = { 1, 9, 10 };
	int e = C(g, "emb", XPU_DT_F32, 2, de, emb), i = T(g, "ids", XPU_DT_I64, 1, di);
	int t = T(g, "tok", XPU_DT_F32, 2, dt), in[] = { e, i }, rc;

	N(g, "wte", XG_OP_Gather, 2, in, 1, &t);
	IO(g, 1, &i, 1, &t);
	self->r.in = calloc(2, sizeof(void *));
	self->r.in[0] = malloc(sizeof(ids));
	memcpy(self->r.in[0], ids, sizeof(ids));
	rc = run_graph(self->dev, self->s, &self->t, g, &self->r, 0);
	ASSERT_EQ(0, rc) TH_LOG("%s", xpu_last_error());
	EXPECT_EQ(XPU_ERROR_JOB_FAULT, self->r.dev_st);
	EXPECT_NE(NULL, strstr(self->r.dev_err, "0xbad0000000000002")) TH_LOG("%s", self->r.dev_err);
	EXPECT_EQ(XPU_ERROR_INVALID_ARGUMENT, self->r.ref_st);
	EXPECT_NE(NULL, strstr(self->r.ref_err, "index 10 at position 2")) TH_LOG("%s",
										  self->r.ref_err);
	/* int32 ids below -axis_len fault too */
	{
		struct xg_graph *g2 = xg_new();
		struct run r2 = { 0 };
		xpu_stream *s2 = NULL;
		xpu_device *dev2 = NULL;
		int32_t j[2] = { -10, -11 };
		int e2 = C(g2, "emb", XPU_DT_F32, 2, de, emb), i2, t2;
		const int64_t d2[] = { 2 }, o2[] = { 2, 4 };

		i2 = T(g2, "ids", XPU_DT_I32, 1, d2);
		t2 = T(g2, "tok", XPU_DT_F32, 2, o2);
		{
			int in2[] = { e2, i2 };

			N(g2, "wte", XG_OP_Gather, 2, in2, 1, &t2);
		}
		IO(g2, 1, &i2, 1, &t2);
		r2.in = calloc(2, sizeof(void *));
		r2.in[0] = malloc(sizeof(j));
		memcpy(r2.in[0], j, sizeof(j));
		/* a fresh device: a fault bans the context that ran it */
		RT_OPEN(dev2);
		XOK(xpu_stream_create(dev2, XPU_QUEUE_ANY, &s2));
		ASSERT_EQ(0, run_graph(dev2, s2, &self->t, g2, &r2, 0));
		xpu_stream_destroy(s2);
		xpu_device_close(dev2);
		EXPECT_EQ(XPU_ERROR_JOB_FAULT, r2.dev_st);
		EXPECT_NE(NULL, strstr(r2.dev_err, "0xbad0000000000001")) TH_LOG("%s", r2.dev_err);
		EXPECT_EQ(XPU_ERROR_INVALID_ARGUMENT, r2.ref_st);
		run_free(g2, &r2);
		xg_free(g2);
	}
	/* a constant index out of range is a compile-time error naming the node */
	{
		struct xg_graph *g3 = xg_new();
		struct xg_lowered *L = NULL;
		int64_t bad[1] = { 12 };
		const int64_t d1[] = { 1 }, o3[] = { 1, 4 };
		int x3 = T(g3, "x", XPU_DT_F32, 2, de), c3 = C(g3, "idx", XPU_DT_I64, 1, d1, bad);
		int t3 = T(g3, "y", XPU_DT_F32, 2, o3), in3[] = { x3, c3 };

		N(g3, "gc", XG_OP_Gather, 2, in3, 1, &t3);
		IO(g3, 1, &x3, 1, &t3);
		EXPECT_EQ(XPU_ERROR_INVALID_ARGUMENT, xg_lower(g3, &self->t, &L));
		EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'gc' (Gather): index 12"))
			TH_LOG("%s", xpu_last_error());
		xg_free(g3);
	}
}

/* Concat / Split / Expand / constant Gather between arena tensors */
TEST_F(ld, concat_split_expand_gather_const)
{
	struct xg_graph *g = self->g;
	const int64_t da[] = { 3, 2, 5 }, db[] = { 3, 4, 5 }, dc[] = { 3, 6, 5 };
	const int64_t ds0[] = { 3, 6, 2 }, ds1[] = { 3, 6, 3 }, de[] = { 2, 3, 6, 3 };
	const int64_t dix[] = { 5 }, dg[] = { 3, 5, 2 }, ix[] = { 4, 5, 0, 1, 2 };
	int a = T(g, "a", XPU_DT_I32, 3, da), b = T(g, "b", XPU_DT_I32, 3, db);
	int c = T(g, "c", XPU_DT_I32, 3, dc), s0 = T(g, "s0", XPU_DT_I32, 3, ds0);
	int s1 = T(g, "s1", XPU_DT_I32, 3, ds1), ex = T(g, "ex", XPU_DT_I32, 4, de);
	int ci = C(g, "ix", XPU_DT_I64, 1, dix, ix), gg = T(g, "gg", XPU_DT_I32, 3, dg);
	int n;
	const int32_t *pa, *pb;
	int32_t cc[3][6][5];

	{
		int in0[] = { a, b }, o1[] = { s0, s1 }, in3[] = { s0, ci };
		int ins[] = { a, b }, outs[] = { ex, gg };

		n = N(g, "cat", XG_OP_Concat, 2, in0, 1, &c);
		xg_set_attr_int(&g->n[n], "axis", 1);
		n = N(g, "split", XG_OP_Split, 1, &c, 2, o1);
		xg_set_attr_int(&g->n[n], "axis", 2);
		N(g, "expand", XG_OP_Expand, 1, &s1, 1, &ex);
		n = N(g, "gconst", XG_OP_Gather, 2, in3, 1, &gg);
		xg_set_attr_int(&g->n[n], "axis", 1);
		IO(g, 2, ins, 2, outs);
	}
	RUN_OK(self, 11);
	pa = self->r.in[0];
	pb = self->r.in[1];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 6; j++)
			for (int k = 0; k < 5; k++)
				cc[i][j][k] = j < 2 ? pa[(i * 2 + j) * 5 + k] : pb[(i * 4 + j - 2) * 5 + k];
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 6; j++)
				for (int k = 0; k < 3; k++)
					EXPECT_EQ(cc[i][j][2 + k],
						  ((int32_t *)self->r.dev[0])[((r * 3 + i) * 6 + j) * 3 + k]);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++)
			for (int k = 0; k < 2; k++)
				EXPECT_EQ(cc[i][ix[j]][k], ((int32_t *)self->r.dev[1])[(i * 5 + j) * 2 + k]);
	EXPECT_EQ(0, memcmp(self->r.dev[0], self->r.ref[0], 2 * 3 * 6 * 3 * 4));
	EXPECT_EQ(0, memcmp(self->r.dev[1], self->r.ref[1], 3 * 5 * 2 * 4));
}

/* Equal copies share one kernel; a copy with many outer iterations is a
 * loop (a backward branch), checked on the generated text */
TEST_F(ld, kernel_sharing_and_loops)
{
	struct xg_graph *g = self->g;
	const int64_t dx[] = { 4, 5, 6, 7 }, dy[] = { 7, 6, 5, 4 }, rev[] = { 3, 2, 1, 0 };
	int x = T(g, "x", XPU_DT_F32, 4, dx), a = T(g, "a", XPU_DT_F32, 4, dy);
	int b = T(g, "b", XPU_DT_F32, 4, dy), outs[] = { a, b }, n;
	struct xpu_image img;
	int loops = 0;
	uint8_t *e = malloc(840 * 4);

	n = N(g, "ta", XG_OP_Transpose, 1, &x, 1, &a);
	xg_set_attr_ints(&g->n[n], "perm", rev, 4);
	n = N(g, "tb", XG_OP_Transpose, 1, &x, 1, &b);
	xg_set_attr_ints(&g->n[n], "perm", rev, 4);
	IO(g, 1, &x, 2, outs);
	RUN_OK(self, 13);
	EXPECT_EQ(2, self->r.nlaunches);
	EXPECT_EQ(1, self->r.nkernels);
	transpose_expect(self->r.in[0], e, 4, dx, rev, 4);
	EXPECT_EQ(0, memcmp(self->r.dev[0], e, 840 * 4));
	EXPECT_EQ(0, memcmp(self->r.dev[1], e, 840 * 4));
	EXPECT_EQ(0, memcmp(self->r.ref[0], e, 840 * 4));
	ASSERT_EQ(XPU_SUCCESS, xpu_image_parse(self->r.image, self->r.image_size, &img));
	for (uint32_t i = 0; i < img.text_size / 8; i++) {
		uint64_t w;

		memcpy(&w, img.text + 8 * i, 8);
		if (XPU_INSN_OP(w) == XPU_OP_BR && XPU_INSN_SIMM(w) < 0)
			loops++;
	}
	EXPECT_GE(loops, 1);
	xpu_image_free(&img);
	free(e);
}

/* ---- the emitted binary --------------------------------------------------- */
static Elf64_Shdr *find_section(uint8_t *img, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
	const char *names = (const char *)img + sh[eh->e_shstrndx].sh_offset;

	for (int i = 0; i < eh->e_shnum; i++)
		if (!strcmp(names + sh[i].sh_name, name))
			return &sh[i];
	return NULL;
}

static xpu_status load_copy(xpu_device *dev, const void *img, size_t size,
			    void (*corrupt)(uint8_t *img, Elf64_Shdr *gs))
{
	uint8_t *c = malloc(size);
	xpu_graph *gr = NULL;
	xpu_status st;

	memcpy(c, img, size);
	corrupt(c, find_section(c, ".xpu.graph"));
	st = xpu_graph_load(dev, c, size, &gr);
	if (!st)
		xpu_graph_destroy(gr);
	free(c);
	return st;
}

static struct xpu_graph_hdr *H(uint8_t *img, Elf64_Shdr *gs)
{
	return (struct xpu_graph_hdr *)(img + gs->sh_offset);
}

static struct xpu_graph_tensor *TR(uint8_t *img, Elf64_Shdr *gs)
{
	return (struct xpu_graph_tensor *)(img + gs->sh_offset + sizeof(struct xpu_graph_hdr));
}

static struct xpu_graph_launch *LR(uint8_t *img, Elf64_Shdr *gs)
{
	return (struct xpu_graph_launch *)(TR(img, gs) + H(img, gs)->num_tensors);
}

static struct xpu_graph_arg *AR(uint8_t *img, Elf64_Shdr *gs)
{
	return (struct xpu_graph_arg *)(LR(img, gs) + H(img, gs)->num_launches);
}

static void bad_magic(uint8_t *img, Elf64_Shdr *gs) { H(img, gs)->magic ^= 1; }
static void bad_offset(uint8_t *img, Elf64_Shdr *gs)
{
	struct xpu_graph_tensor *t = TR(img, gs);

	for (uint32_t i = 0; i < H(img, gs)->num_tensors; i++)
		if (t[i].location == XPU_GRAPH_LOC_ARENA)
			t[i].offset = H(img, gs)->arena_size;
}
static void bad_arg_tensor(uint8_t *img, Elf64_Shdr *gs) { AR(img, gs)[0].tensor = 999; }
static void bad_kernel(uint8_t *img, Elf64_Shdr *gs) { LR(img, gs)[0].kernel = 77; }
static void bad_count(uint8_t *img, Elf64_Shdr *gs) { H(img, gs)->num_tensors = 100000; }
static void bad_argc(uint8_t *img, Elf64_Shdr *gs) { LR(img, gs)[0].num_args = 1; }
static void bad_const(uint8_t *img, Elf64_Shdr *gs) { H(img, gs)->const_size += 64; }
/* a raw address in a buffer argument (the transpose's output slot) */
static void imm_buffer(uint8_t *img, Elf64_Shdr *gs)
{
	struct xpu_graph_arg *a = &AR(img, gs)[LR(img, gs)[0].first_arg + 1];

	a->kind = XPU_GRAPH_ARG_IMM;
	a->tensor = 0;
	a->value = 0x123456000ull;
}
/* the transpose (launch 0) writes its output into the constant 'w' (record 5) */
static void write_const(uint8_t *img, Elf64_Shdr *gs)
{
	struct xpu_graph_arg *a = &AR(img, gs)[LR(img, gs)[0].first_arg + 1];

	a->tensor = 5;
	a->value = 0;
}

TEST_F(ld, emit_roundtrip)
{
	struct xg_graph *g = self->g;
	const int64_t dx[] = { 4, 6 }, dy[] = { 6, 4 }, dw[] = { 3, 4 }, dz[] = { 3, 2, 4 };
	const int64_t dcat[] = { 9, 4 }, perm[] = { 1, 0 }, ds[] = { 3 }, sh[] = { 3, 2, 4 };
	const int64_t one[] = { 1 }, st[] = { 3 }, en[] = { 9 }, d6[] = { 6, 4 };
	float w[12];
	int x, y, wt, cat, cat2, z, s, sl, n;
	struct xpu_image img;
	const struct xpu_graph_hdr *h;
	const struct xpu_graph_tensor *tr;
	const struct xpu_graph_launch *lr;
	const struct xpu_graph_arg *ar;
	const char *str;
	uint32_t nk = 0;
	uint8_t *raw;
	Elf64_Shdr *gs;

	for (int i = 0; i < 12; i++)
		w[i] = (float)i * 0.5f;
	x = T(g, "x", XPU_DT_F32, 2, dx);
	y = T(g, "y", XPU_DT_F32, 2, dy);
	wt = C(g, "w", XPU_DT_F32, 2, dw, w);
	cat = T(g, "cat", XPU_DT_F32, 2, dcat);
	cat2 = T(g, "cat2", XPU_DT_F32, 2, dcat);
	sl = T(g, "sl", XPU_DT_F32, 2, d6);
	z = T(g, "z", XPU_DT_F32, 3, dz);
	s = C(g, "shape", XPU_DT_I64, 1, ds, sh);
	{
		int in1[] = { y, wt }, outs[] = { cat2, z };
		int cs = C(g, "st", XPU_DT_I64, 1, one, st), ce = C(g, "en", XPU_DT_I64, 1, one, en);
		int in3[] = { cat, cs, ce }, in4[] = { sl, s };

		n = N(g, "t", XG_OP_Transpose, 1, &x, 1, &y);
		xg_set_attr_ints(&g->n[n], "perm", perm, 2);
		n = N(g, "cat", XG_OP_Concat, 2, in1, 1, &cat);
		xg_set_attr_int(&g->n[n], "axis", 0);
		N(g, "sl", XG_OP_Slice, 3, in3, 1, &sl);	/* rows 3..8: an alias at +48 */
		N(g, "rs", XG_OP_Reshape, 2, in4, 1, &z);	/* to an output: a copy */
		N(g, "id", XG_OP_Identity, 1, &cat, 1, &cat2);
		IO(g, 1, &x, 2, outs);
	}
	RUN_OK(self, 9);
	/* device == reference */
	EXPECT_EQ(0, memcmp(self->r.dev[0], self->r.ref[0], 36 * 4));
	EXPECT_EQ(0, memcmp(self->r.dev[1], self->r.ref[1], 24 * 4));
	EXPECT_EQ(0, memcmp((float *)self->r.dev[0] + 24, w, sizeof(w)));
	EXPECT_EQ(0, memcmp((float *)self->r.dev[1] + 12, w, sizeof(w)));
	EXPECT_EQ(0, memcmp((float *)self->r.dev[1], (float *)self->r.dev[0] + 12, 48));

	/* the kernel-binary view: validate and disassemble-level parse still work */
	XOK(xpu_binary_validate(self->r.image, self->r.image_size, &nk));
	EXPECT_EQ((uint32_t)self->r.nkernels, nk);
	ASSERT_EQ(XPU_SUCCESS, xpu_image_parse(self->r.image, self->r.image_size, &img));
	ASSERT_NE(NULL, img.graph);
	h = img.graph;
	EXPECT_EQ(XPU_GRAPH_MAGIC, h->magic);
	EXPECT_EQ(1u, h->num_inputs);
	EXPECT_EQ(2u, h->num_outputs);
	EXPECT_EQ((uint32_t)self->r.nlaunches, h->num_launches);
	EXPECT_EQ(g->const_size, h->const_size);
	EXPECT_EQ(g->arena_size, h->arena_size);
	EXPECT_EQ(g->const_size, img.const_size);
	tr = (const void *)(h + 1);
	lr = (const void *)(tr + h->num_tensors);
	ar = (const void *)(lr + h->num_launches);
	str = (const char *)(ar + h->num_args);
	ASSERT_EQ(img.graph_size, sizeof(*h) + h->num_tensors * sizeof(*tr) +
		  h->num_launches * sizeof(*lr) + h->num_args * sizeof(*ar) + h->strtab_size);
	/* records: inputs, outputs, then roots by first use; every one as planned */
	for (uint32_t i = 0; i < h->num_tensors; i++) {
		int t = xg_find_tensor(g, str + tr[i].name);

		ASSERT_GE(t, 0) TH_LOG("record %u names '%s'", i, str + tr[i].name);
		EXPECT_EQ(-1, g->t[t].alias_of) TH_LOG("an alias '%s' got a record", g->t[t].name);
		EXPECT_EQ(xg_bytes(&g->t[t]), tr[i].size);
		EXPECT_EQ((uint32_t)g->t[t].ndim, tr[i].ndim);
		for (int d = 0; d < g->t[t].ndim; d++)
			EXPECT_EQ((uint64_t)g->t[t].dims[d], tr[i].dims[d]);
		EXPECT_EQ(g->t[t].location, tr[i].location) TH_LOG("'%s'", g->t[t].name);
		if (tr[i].location == XPU_GRAPH_LOC_CONST) {
			EXPECT_EQ(g->t[t].offset, tr[i].offset);
			EXPECT_EQ(0, memcmp((uint8_t *)img.consts + tr[i].offset, g->t[t].data,
					    tr[i].size));
		}
		if (tr[i].location == XPU_GRAPH_LOC_ARENA)
			EXPECT_EQ(g->t[t].offset, tr[i].offset);
	}
	EXPECT_EQ(0u, tr[0].io_index);
	EXPECT_EQ(XPU_GRAPH_LOC_INPUT, tr[0].location);
	EXPECT_STREQ("x", str + tr[0].name);
	EXPECT_STREQ("cat2", str + tr[1].name);
	EXPECT_STREQ("z", str + tr[2].name);
	EXPECT_EQ(1u, tr[2].io_index);
	EXPECT_EQ(XPU_GRAPH_LOC_OUTPUT, tr[2].location);
	EXPECT_STREQ("y", str + tr[3].name);
	EXPECT_STREQ("cat", str + tr[4].name);
	EXPECT_STREQ("w", str + tr[5].name);
	EXPECT_EQ(6u, h->num_tensors);		/* no record for the aliases sl */
	for (uint32_t l = 0; l < h->num_launches; l++) {
		ASSERT_LT(lr[l].kernel, img.num_kernels);
		EXPECT_EQ(img.kernels[lr[l].kernel].num_args, lr[l].num_args);
		for (uint32_t a = 0; a < lr[l].num_args; a++) {
			const struct xpu_graph_arg *r = &ar[lr[l].first_arg + a];

			EXPECT_EQ(XPU_GRAPH_ARG_TENSOR, r->kind);
			ASSERT_LT(r->tensor, h->num_tensors);
			EXPECT_LE(r->value, tr[r->tensor].size);
		}
	}
	/* the launches: t, cat (2 inputs), the copy of sl (an alias of cat at
	 * +48 bytes) into z, the copy of cat into cat2 */
	ASSERT_EQ(5u, h->num_launches);
	EXPECT_STREQ("t", str + lr[0].node);
	EXPECT_STREQ("cat", str + lr[1].node);
	EXPECT_STREQ("cat", str + lr[2].node);
	EXPECT_EQ(24u * 4, ar[lr[2].first_arg + 1].value);	/* w goes after 6 rows */
	EXPECT_STREQ("w", str + tr[ar[lr[2].first_arg].tensor].name);
	EXPECT_STREQ("rs", str + lr[3].node);
	EXPECT_STREQ("cat", str + tr[ar[lr[3].first_arg].tensor].name);
	EXPECT_EQ(48u, ar[lr[3].first_arg].value);
	EXPECT_STREQ("z", str + tr[ar[lr[3].first_arg + 1].tensor].name);
	EXPECT_STREQ("id", str + lr[4].node);
	xpu_image_free(&img);

	/* corruptions: each rejected with a message naming the problem */
	raw = self->r.image;
	gs = find_section(raw, ".xpu.graph");
	ASSERT_NE(NULL, gs);
	ASSERT_NE(NULL, find_section(raw, ".xpu.const"));
	EXPECT_EQ(0u, find_section(raw, ".xpu.const")->sh_offset % 64);
	XERR(XPU_ERROR_INVALID_BINARY, load_copy(self->dev, raw, self->r.image_size, bad_magic));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "bad magic"));
	XERR(XPU_ERROR_INVALID_BINARY, load_copy(self->dev, raw, self->r.image_size, bad_offset));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "outside its arena"));
	XERR(XPU_ERROR_INVALID_BINARY, load_copy(self->dev, raw, self->r.image_size, bad_arg_tensor));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "tensor 999"));
	XERR(XPU_ERROR_INVALID_BINARY, load_copy(self->dev, raw, self->r.image_size, bad_kernel));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "kernel 77"));
	XERR(XPU_ERROR_INVALID_BINARY, load_copy(self->dev, raw, self->r.image_size, bad_count));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "truncated"));
	XERR(XPU_ERROR_INVALID_BINARY, load_copy(self->dev, raw, self->r.image_size, bad_argc));
	XERR(XPU_ERROR_INVALID_BINARY, load_copy(self->dev, raw, self->r.image_size, bad_const));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "constant bytes"));
	/* ELF level: the graph section moved onto .text; a wrong section type */
	{
		uint8_t *c = malloc(self->r.image_size);
		Elf64_Shdr *cg, *ct;

		memcpy(c, raw, self->r.image_size);
		cg = find_section(c, ".xpu.graph");
		ct = find_section(c, ".text");
		cg->sh_offset = ct->sh_offset;
		cg->sh_size = 8;
		XERR(XPU_ERROR_INVALID_BINARY, xpu_binary_validate(c, self->r.image_size, NULL));
		EXPECT_NE(NULL, strstr(xpu_last_error(), "overlap")) TH_LOG("%s", xpu_last_error());
		memcpy(c, raw, self->r.image_size);
		find_section(c, ".xpu.const")->sh_type = SHT_PROGBITS;
		XERR(XPU_ERROR_INVALID_BINARY, xpu_binary_validate(c, self->r.image_size, NULL));
		EXPECT_NE(NULL, strstr(xpu_last_error(), ".xpu.const has type"));
		free(c);
	}
	/* random damage to the graph section or anywhere: an error with a
	 * message, or a graph that loads; never a crash */
	{
		uint8_t *c = malloc(self->r.image_size);
		uint64_t seed = 77;
		int rejected = 0;

		for (int it = 0; it < 400; it++) {
			xpu_graph *gr = NULL;
			xpu_status st;
			int flips = 1 + (int)(rt_rand(&seed) % 4);

			memcpy(c, raw, self->r.image_size);
			for (int f = 0; f < flips; f++) {
				size_t at = it % 2 ? gs->sh_offset + rt_rand(&seed) % gs->sh_size :
					    rt_rand(&seed) % self->r.image_size;

				c[at] ^= (uint8_t)(1 + rt_rand(&seed) % 255);
			}
			st = xpu_graph_load(self->dev, c, self->r.image_size, &gr);
			if (st) {
				rejected++;
				EXPECT_NE(0, (int)strlen(xpu_last_error()))
					TH_LOG("damage %d: status %d without a message", it, st);
			} else {
				xpu_graph_destroy(gr);
			}
		}
		EXPECT_GT(rejected, 100);
		free(c);
	}
	/* a buffer argument must name a tensor, not a raw device address */
	XERR(XPU_ERROR_INVALID_BINARY, load_copy(self->dev, raw, self->r.image_size, imm_buffer));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "must name a tensor")) TH_LOG("%s", xpu_last_error());
	/* the weights are read-only for the device: a kernel writing one faults
	 * (on its own device: the fault bans the context) */
	{
		uint8_t *c = malloc(self->r.image_size);
		xpu_device *d2;
		xpu_stream *s2;
		xpu_graph *gr;
		xpu_status rs;

		memcpy(c, raw, self->r.image_size);
		write_const(c, find_section(c, ".xpu.graph"));
		XOK(xpu_device_open_host(NULL, &d2));
		XOK(xpu_graph_load(d2, c, self->r.image_size, &gr));
		XOK(xpu_stream_create(d2, XPU_QUEUE_ANY, &s2));
		/* the fault is the stream's error: xpu_graph_run returns it
		 * when the faulting launch ends before the last one is queued */
		rs = xpu_graph_run(gr, s2);
		if (!rs)
			rs = xpu_stream_synchronize(s2, XPU_WAIT_FOREVER);
		XERR(XPU_ERROR_JOB_FAULT, rs);
		EXPECT_NE(NULL, strstr(xpu_last_error(), "MMU_FAULT")) TH_LOG("%s", xpu_last_error());
		xpu_stream_destroy(s2);
		xpu_graph_destroy(gr);
		xpu_device_close(d2);
		free(c);
	}
}

/* ---- ONNX models through the public API: device == reference == numpy ---- */
TEST_F(ld, onnx_models)
{
	const char *dir = getenv("XPU_GRAPH_TESTS");
	char path[1024], name[128], status[16], err[512];
	int nin, nout, cases = 0;
	FILE *mf;

	ASSERT_NE(NULL, dir) TH_LOG("XPU_GRAPH_TESTS (the generated models' directory) not set");
	snprintf(path, sizeof(path), "%s/lower_data_manifest.txt", dir);
	mf = fopen(path, "r");
	ASSERT_NE(NULL, mf) TH_LOG("%s missing: run tests/graph/models/lower_data_models.py", path);
	while (fscanf(mf, "%127s %d %d %15s", name, &nin, &nout, status) == 4) {
		struct xpu_host_tensor hin[16], href[16];
		struct xpu_tensor_info ti;
		void *onnx, *image = NULL, *exp[16], *devo[16];
		size_t osize, isize, esize[16];
		xpu_graph *gr = NULL;
		xpu_device *dev = NULL;
		xpu_stream *strm = NULL;
		xpu_status st;
		int want_err = !strcmp(status, "error");

		/* a device per model: a faulting run bans its context */
		RT_OPEN(dev);
		XOK(xpu_stream_create(dev, XPU_QUEUE_ANY, &strm));

		snprintf(path, sizeof(path), "%s/lower_data_%s.onnx", dir, name);
		onnx = gt_read_file(path, &osize);
		ASSERT_NE(NULL, onnx) TH_LOG("%s", path);
		st = xpu_model_compile_onnx(onnx, osize, &self->t, NULL, &image, &isize);
		EXPECT_EQ(XPU_SUCCESS, st) TH_LOG("%s: compile: %s", name, xpu_last_error());
		if (st) {	/* go on with the other models */
			xpu_stream_destroy(strm);
			xpu_device_close(dev);
			free(onnx);
			cases++;
			continue;
		}
		XOK(xpu_graph_load(dev, image, isize, &gr));
		for (int k = 0; k < nin; k++) {
			size_t sz;

			XOK(xpu_graph_input_info(gr, k, &ti));
			snprintf(path, sizeof(path), "%s/%s.in%d.bin", dir, name, k);
			hin[k].data = gt_read_file(path, &sz);
			ASSERT_NE(NULL, hin[k].data);
			ASSERT_EQ(ti.size, sz) TH_LOG("%s input %d", name, k);
			hin[k].name = strdup(ti.name);
			hin[k].size = sz;
			XOK(xpu_graph_set_input(gr, ti.name, hin[k].data, sz));
		}
		st = xpu_graph_run(gr, strm);
		if (!st)
			st = xpu_stream_synchronize(strm, TMO);
		snprintf(err, sizeof(err), "%s", xpu_last_error());
		for (int k = 0; k < nout; k++) {
			XOK(xpu_graph_output_info(gr, k, &ti));
			snprintf(path, sizeof(path), "%s/%s.out%d.bin", dir, name, k);
			exp[k] = gt_read_file(path, &esize[k]);
			ASSERT_EQ(ti.size, esize[k]) TH_LOG("%s output %d", name, k);
			devo[k] = calloc(1, esize[k] + 1);
			href[k].name = strdup(ti.name);
			href[k].data = calloc(1, esize[k] + 1);
			href[k].size = esize[k];
			if (!st)
				XOK(xpu_graph_get_output(gr, ti.name, devo[k], esize[k]));
		}
		if (want_err) {
			EXPECT_EQ(XPU_ERROR_JOB_FAULT, st) TH_LOG("%s: the run should fail", name);
			EXPECT_NE(NULL, strstr(err, "0xbad0000000000001")) TH_LOG("%s", err);
		} else {
			EXPECT_EQ(XPU_SUCCESS, st) TH_LOG("%s: run: %s", name, err);
		}
		st = xpu_model_reference_onnx(onnx, osize, &self->t, NULL, hin, nin, href, nout);
		if (want_err) {
			EXPECT_EQ(XPU_ERROR_INVALID_ARGUMENT, st) TH_LOG("%s: reference", name);
			EXPECT_NE(NULL, strstr(xpu_last_error(), "index 50 at position 1"))
				TH_LOG("%s", xpu_last_error());
		} else {
			EXPECT_EQ(XPU_SUCCESS, st) TH_LOG("%s: reference: %s", name, xpu_last_error());
			for (int k = 0; k < nout; k++) {
				EXPECT_EQ(0, memcmp(devo[k], exp[k], esize[k]))
					TH_LOG("%s output %d: device != numpy", name, k);
				EXPECT_EQ(0, memcmp(href[k].data, exp[k], esize[k]))
					TH_LOG("%s output %d: reference != numpy", name, k);
			}
		}
		for (int k = 0; k < nin; k++) {
			free((void *)hin[k].name);
			free((void *)hin[k].data);
		}
		for (int k = 0; k < nout; k++) {
			free((void *)href[k].name);
			free(href[k].data);
			free(exp[k]);
			free(devo[k]);
		}
		xpu_graph_destroy(gr);
		xpu_stream_destroy(strm);
		xpu_device_close(dev);
		free(image);
		free(onnx);
		cases++;
	}
	fclose(mf);
	EXPECT_GE(cases, 8);
}

TEST_HARNESS_MAIN
