// SPDX-License-Identifier: MIT
/*
 * Kernel compiler tests: every generated kernel against a CPU reference
 * built from the ISA reference (tests/engine/ref/xpu_ref.c), bit for bit,
 * over many shapes: 1x1, primes, shapes that do not divide the array, and
 * shapes larger than the scratchpad/accumulator of the small host test device
 * (16x8 array, 64 KiB scratchpad, 16 KiB accumulator) so tiling is exercised.
 */
#include <math.h>

#include "rt_test.h"
#include "xpu_ref.h"
#include "cc_matmul_ref.h"
#include "rt_launch.h"

FIXTURE(cc) {
	xpu_device *dev;
	xpu_stream *s;
	struct xpu_cc_target t;
};

FIXTURE_SETUP(cc)
{
	struct xpu_device_props p;

	self->s = NULL;
	RT_OPEN(self->dev);
	XOK(xpu_device_get_props(self->dev, &p));
	XOK(xpu_cc_target_from_props(&p, &self->t));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &self->s));
}

FIXTURE_TEARDOWN(cc)
{
	if (self->s)
		xpu_stream_destroy(self->s);
	if (self->dev)
		xpu_device_close(self->dev);
}

struct io {
	const void *data;	/* input, or NULL for the output */
	size_t size;
};

static char run_err[512];	/* the failure detail of the last run() */

/*
 * Compile one kernel with gen(), run it with buffers made from io[] (inputs
 * written, the output -- the io with data == NULL -- read into out), in
 * argument order. Returns the status.
 */
static xpu_status run(xpu_device *dev, xpu_stream *s, const struct xpu_cc_target *t,
		      xpu_status (*gen)(xpu_cc *, const void *), const void *desc,
		      const struct io *io, int nio, void *out, uint64_t *cycles)
{
	xpu_buffer *bufs[8] = { 0 };
	xpu_module *mod = NULL;
	xpu_kernel *k = NULL;
	xpu_cc *cc;
	void *img = NULL;
	size_t size;
	int outi = -1;
	xpu_status st;

	st = xpu_cc_create(t, &cc);
	if (st)
		return st;
	st = gen(cc, desc);
	if (!st)
		st = xpu_cc_emit(cc, &img, &size);
	if (st)
		snprintf(run_err, sizeof(run_err), "%s", xpu_last_error());
	xpu_cc_destroy(cc);
	if (st)
		return st;
	if (!st)
		st = xpu_module_load(dev, img, size, &mod);
	free(img);
	if (!st)
		st = xpu_kernel_create(mod, "k", &k);
	for (int i = 0; !st && i < nio; i++) {
		st = xpu_buffer_alloc(dev, io[i].size, 0, &bufs[i]);
		if (!st && io[i].data)
			st = xpu_write_async(s, bufs[i], 0, io[i].data, io[i].size);
		if (!io[i].data)
			outi = i;
		if (!st)
			st = xpu_kernel_set_arg_buffer(k, i, bufs[i], 0);
	}
	if (!st)
		st = rt_launch_timed(dev, s, k, outi >= 0 ? bufs[outi] : NULL, out,
				     outi >= 0 ? io[outi].size : 0, cycles, run_err, sizeof(run_err));
	else
		snprintf(run_err, sizeof(run_err), "%s", xpu_last_error());
	for (int i = 0; i < nio; i++)
		if (bufs[i])
			xpu_buffer_free(bufs[i]);
	if (k)
		xpu_kernel_destroy(k);
	if (mod)
		xpu_module_unload(mod);
	return st;
}

static uint16_t rand_bf16(uint64_t *seed)
{
	float f = ((int32_t)(rt_rand(seed) % 4001) - 2000) / 1000.0f;

	return xref_f32_to_bf16(f);
}

/* ---- matmul ---------------------------------------------------------------- */
static xpu_status gen_matmul(xpu_cc *cc, const void *d)
{
	return xpu_cc_matmul(cc, "k", d);
}

static int check_matmul(struct __test_metadata *_metadata, FIXTURE_DATA(cc) *self,
			const struct xpu_cc_matmul *d, uint64_t seed)
{
	uint64_t M = d->m, K = d->k, N = d->n;
	size_t esz = d->in_type == XPU_DT_BF16 ? 2 : 1;
	size_t osz = d->out_type == XPU_DT_I8 ? 1 : d->out_type == XPU_DT_BF16 ? 2 : 4;
	uint8_t *a = malloc(M * K * esz), *b = malloc(K * N * esz);
	uint32_t *bias = malloc(N * 4);
	uint8_t *out = calloc(M * N, osz), *want = calloc(M * N, osz);
	struct io io[4] = {
		{ a, M * K * esz }, { b, K * N * esz }, { NULL, M * N * osz }, { bias, N * 4 },
	};
	int ok;
	xpu_status st;

	for (uint64_t i = 0; i < M * K; i++) {
		if (esz == 1)
			a[i] = (uint8_t)rt_rand(&seed);
		else
			((uint16_t *)a)[i] = rand_bf16(&seed);
	}
	for (uint64_t i = 0; i < K * N; i++) {
		if (esz == 1)
			b[i] = (uint8_t)rt_rand(&seed);
		else
			((uint16_t *)b)[i] = rand_bf16(&seed);
	}
	for (uint64_t i = 0; i < N; i++) {
		if (esz == 1)
			bias[i] = rt_rand(&seed) % 20001 - 10000;
		else
			bias[i] = xref_f2u((int32_t)(rt_rand(&seed) % 2001 - 1000) / 100.0f);
	}
	st = run(self->dev, self->s, &self->t, gen_matmul, d, io, d->has_bias ? 4 : 3, out, NULL);
	EXPECT_EQ(XPU_SUCCESS, st) TH_LOG("matmul %llux%llux%llu: %s", (unsigned long long)M,
					  (unsigned long long)K, (unsigned long long)N,
					  run_err);
	cc_matmul_ref_rows(d, a, b, bias, 0, d->m, want);
	ok = st == XPU_SUCCESS && memcmp(out, want, M * N * osz) == 0;
	if (st == XPU_SUCCESS && !ok) {
		for (uint64_t i = 0; i < M * N * osz; i++) {
			if (out[i] != want[i]) {
				TH_LOG("matmul %llux%llux%llu in %u out %u: first difference at byte %llu",
				       (unsigned long long)M, (unsigned long long)K,
				       (unsigned long long)N, d->in_type, d->out_type,
				       (unsigned long long)i);
				break;
			}
		}
	}
	free(a);
	free(b);
	free(bias);
	free(out);
	free(want);
	return ok;
}

static const uint32_t shapes[][3] = {
	{ 1, 1, 1 }, { 1, 7, 1 }, { 7, 1, 5 }, { 3, 5, 7 }, { 16, 16, 8 }, { 17, 31, 9 },
	{ 64, 64, 64 }, { 100, 37, 53 }, { 13, 200, 11 }, { 2, 1000, 3 }, { 131, 257, 67 },
	{ 128, 256, 96 }, { 300, 8, 300 },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

TEST_F(cc, matmul_int8_i32)
{
	for (size_t i = 0; i < NSHAPES; i++) {
		struct xpu_cc_matmul d = { shapes[i][0], shapes[i][1], shapes[i][2], XPU_DT_I8,
					   XPU_DT_I32 };

		ASSERT_TRUE(check_matmul(_metadata, self, &d, i + 1));
	}
}

TEST_F(cc, matmul_int8_bias_relu_requant)
{
	for (size_t i = 0; i < NSHAPES; i++) {
		struct xpu_cc_matmul d = { shapes[i][0], shapes[i][1], shapes[i][2], XPU_DT_I8,
					   XPU_DT_I8, 1, XPU_ACT_RELU, 1.0f / (64 + i * 7),
					   (int32_t)i - 5 };

		ASSERT_TRUE(check_matmul(_metadata, self, &d, 100 + i));
		d.act = XPU_ACT_NONE;
		d.has_bias = 0;
		ASSERT_TRUE(check_matmul(_metadata, self, &d, 200 + i));
		d.out_type = XPU_DT_I32;
		d.has_bias = 1;
		ASSERT_TRUE(check_matmul(_metadata, self, &d, 300 + i));
	}
}

TEST_F(cc, matmul_bf16)
{
	for (size_t i = 0; i < NSHAPES; i++) {
		struct xpu_cc_matmul d = { shapes[i][0], shapes[i][1], shapes[i][2], XPU_DT_BF16,
					   XPU_DT_F32 };

		ASSERT_TRUE(check_matmul(_metadata, self, &d, 400 + i));
		d.has_bias = 1;
		d.act = XPU_ACT_GELU;
		ASSERT_TRUE(check_matmul(_metadata, self, &d, 500 + i));
		d.out_type = XPU_DT_BF16;
		d.act = XPU_ACT_RELU;
		ASSERT_TRUE(check_matmul(_metadata, self, &d, 600 + i));
	}
}

TEST_F(cc, matmul_rejects_bad_descriptions)
{
	struct xpu_cc_matmul d = { 4, 4, 4, XPU_DT_I8, XPU_DT_F32 };
	xpu_cc *cc;

	XOK(xpu_cc_create(&self->t, &cc));
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_matmul(cc, "a", &d));
	d.out_type = XPU_DT_I32;
	d.act = XPU_ACT_GELU;
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_matmul(cc, "a", &d));
	d.act = 0;
	d.m = 0;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_matmul(cc, "a", &d));
	d.m = 4;
	d.in_type = XPU_DT_F32;
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_matmul(cc, "a", &d));
	d.in_type = XPU_DT_I8;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_matmul(cc, "1bad", &d));
	XOK(xpu_cc_matmul(cc, "a", &d));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_matmul(cc, "a", &d));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "already"));
	xpu_cc_destroy(cc);
}

TEST_F(cc, matmul_uses_the_array_well)
{
	/* a shape that fits: the cost is the MXU fold count, not the DMAs */
	struct xpu_cc_matmul d = { 256, 64, 64, XPU_DT_I8, XPU_DT_I32 };
	uint64_t M = 256, K = 64, N = 64, cycles = 0;
	int8_t *a = calloc(M * K, 1), *b = calloc(K * N, 1);
	int32_t *c = calloc(M * N, 4);
	struct io io[3] = { { a, M * K }, { b, K * N }, { NULL, M * N * 4 } };
	uint64_t R = self->t.rows, C = self->t.cols;
	/* the weight-stationary fold count is the floor for this array */
	uint64_t bound = ((K + R - 1) / R) * ((N + C - 1) / C) * (2 * R + C + M - 2);

	XOK(run(self->dev, self->s, &self->t, gen_matmul, &d, io, 3, c, &cycles));
	TH_LOG("256x64x64 on %ux%u: %llu cycles, fold bound %llu", self->t.rows,
	       self->t.cols, (unsigned long long)cycles, (unsigned long long)bound);
	ASSERT_GE(cycles, bound);
	ASSERT_LT(cycles, 4 * bound);
	free(a);
	free(b);
	free(c);
}

/* ---- vector ops ------------------------------------------------------------ */
struct vdesc {
	int kind;		/* 0 binary, 1 unary, 2 requant */
	int op;
	uint32_t type;
	uint64_t n;
	float scale;
	int32_t zp;
};

static xpu_status gen_vec(xpu_cc *cc, const void *p)
{
	const struct vdesc *d = p;

	if (d->kind == 0)
		return xpu_cc_binary(cc, "k", d->op, d->type, d->n);
	if (d->kind == 1)
		return xpu_cc_unary(cc, "k", d->op, d->type, d->n);
	return xpu_cc_requant(cc, "k", d->type, d->n, d->scale, d->zp);
}

static uint32_t rand_val(uint64_t *seed, uint32_t type, int small)
{
	if (type == XPU_DT_I32)
		return small ? rt_rand(seed) % 200001 - 100000 : rt_rand(seed);
	return xref_f2u(((int32_t)(rt_rand(seed) % 200001) - 100000) / 10000.0f);
}

static int check_vec(struct __test_metadata *_metadata, FIXTURE_DATA(cc) *self,
		     const struct vdesc *d, uint64_t seed)
{
	uint64_t n = d->n;
	uint32_t *a = malloc(n * 4), *b = malloc(n * 4), *out = calloc(n, 4), *want = calloc(n, 4);
	uint32_t vt = d->type == XPU_DT_F32 ? XPU_VT_F32 : XPU_VT_I32;
	struct io io[3];
	size_t osz = d->kind == 2 ? 1 : 4;
	xpu_status st;
	int nio, ok;

	for (uint64_t i = 0; i < n; i++) {
		a[i] = rand_val(&seed, d->type, d->kind == 2);
		b[i] = rand_val(&seed, d->type, 0);
	}
	io[0] = (struct io){ a, n * 4 };
	if (d->kind == 0) {
		io[1] = (struct io){ b, n * 4 };
		io[2] = (struct io){ NULL, n * 4 };
		nio = 3;
		xref_vbin(d->op, vt, XPU_VB_FULL, 1, n, want, a, b, 0);
	} else if (d->kind == 1) {
		io[1] = (struct io){ NULL, n * 4 };
		nio = 2;
		xref_vun(d->op, vt, n, want, a);
	} else {
		uint32_t sb;

		io[1] = (struct io){ NULL, n };
		nio = 2;
		memcpy(&sb, &d->scale, 4);
		xref_vqnt(vt, n, (int8_t *)want, a, sb, d->zp);
	}
	st = run(self->dev, self->s, &self->t, gen_vec, d, io, nio, out, NULL);
	EXPECT_EQ(XPU_SUCCESS, st) TH_LOG("vector kind %d op %d n %llu: %s", d->kind, d->op,
					  (unsigned long long)n, run_err);
	ok = st == XPU_SUCCESS && memcmp(out, want, n * osz) == 0;
	if (st == XPU_SUCCESS && !ok)
		TH_LOG("vector kind %d op %d type %u n %llu: wrong result", d->kind, d->op, d->type,
		       (unsigned long long)n);
	free(a);
	free(b);
	free(out);
	free(want);
	return ok;
}

static const uint64_t vsizes[] = { 1, 7, 1000, 20011 };

TEST_F(cc, elementwise_binary)
{
	for (int op = XPU_BIN_ADD; op <= XPU_BIN_MIN; op++)
		for (uint32_t t = XPU_DT_I32; t <= XPU_DT_F32; t++)
			for (size_t i = 0; i < 4; i++) {
				struct vdesc d = { 0, op, t, vsizes[i] };

				ASSERT_TRUE(check_vec(_metadata, self, &d, op * 10 + t + i));
			}
}

TEST_F(cc, elementwise_unary_and_activations)
{
	for (int op = XPU_UN_RELU; op <= XPU_UN_NEG; op++)
		for (uint32_t t = XPU_DT_I32; t <= XPU_DT_F32; t++) {
			if (t == XPU_DT_I32 && op != XPU_UN_RELU && op != XPU_UN_COPY &&
			    op != XPU_UN_NEG)
				continue;
			for (size_t i = 0; i < 4; i++) {
				struct vdesc d = { 1, op, t, vsizes[i] };

				ASSERT_TRUE(check_vec(_metadata, self, &d, op * 10 + t + i));
			}
		}
}

/* ISA additions: DIV (fp32), TANH .. GELU_ERF (fp32; ABS also int32) */
TEST_F(cc, elementwise_div_and_new_unary_ops)
{
	for (size_t i = 0; i < 4; i++) {
		struct vdesc d = { 0, XPU_BIN_DIV, XPU_DT_F32, vsizes[i] };

		ASSERT_TRUE(check_vec(_metadata, self, &d, 500 + i));
	}
	for (int op = XPU_UN_TANH; op <= XPU_UN_GELU_ERF; op++)
		for (uint32_t t = XPU_DT_I32; t <= XPU_DT_F32; t++) {
			if (t == XPU_DT_I32 && op != XPU_UN_ABS)
				continue;
			for (size_t i = 0; i < 4; i++) {
				struct vdesc d = { 1, op, t, vsizes[i] };

				ASSERT_TRUE(check_vec(_metadata, self, &d, op * 10 + t + i));
			}
		}
}

static xpu_status gen_select(xpu_cc *cc, const void *p)
{
	return xpu_cc_select(cc, "k", *(const uint64_t *)p);
}

/* c = mask ? a : b, the mask tested as a word (-0.0f selects a) */
TEST_F(cc, select)
{
	for (size_t s = 0; s < 4; s++) {
		uint64_t n = vsizes[s], seed = 900 + s;
		uint32_t *m = malloc(n * 4), *a = malloc(n * 4), *b = malloc(n * 4);
		uint32_t *out = calloc(n, 4), *want = calloc(n, 4);
		struct io io[4] = { { m, n * 4 }, { a, n * 4 }, { b, n * 4 }, { NULL, n * 4 } };

		for (uint64_t i = 0; i < n; i++) {
			m[i] = rt_rand(&seed) % 3 ? 0 : rt_rand(&seed);
			a[i] = rt_rand(&seed);
			b[i] = rt_rand(&seed);
		}
		m[0] = n > 1 ? 0x80000000u : m[0];
		xref_vsel(n, want, m, a, b);
		ASSERT_EQ(XPU_SUCCESS, run(self->dev, self->s, &self->t, gen_select, &n, io, 4, out,
					   NULL)) {
			TH_LOG("n %llu: %s", (unsigned long long)n, run_err);
		}
		ASSERT_EQ(0, memcmp(out, want, n * 4)) {
			TH_LOG("n %llu", (unsigned long long)n);
		}
		free(m);
		free(a);
		free(b);
		free(out);
		free(want);
	}
}

TEST_F(cc, new_vector_ops_reject_bad_types)
{
	xpu_cc *cc;

	XOK(xpu_cc_create(&self->t, &cc));
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_binary(cc, "a", XPU_BIN_DIV, XPU_DT_I32, 4));
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_unary(cc, "a", XPU_UN_TANH, XPU_DT_I32, 4));
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_unary(cc, "a", XPU_UN_GELU_ERF, XPU_DT_I32, 4));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_unary(cc, "a", XPU_UN_GELU_ERF + 1, XPU_DT_F32, 4));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_select(cc, "a", 0));
	XOK(xpu_cc_unary(cc, "abs", XPU_UN_ABS, XPU_DT_I32, 4));
	XOK(xpu_cc_select(cc, "sel", 4));
	xpu_cc_destroy(cc);
}

TEST_F(cc, requantisation)
{
	for (uint32_t t = XPU_DT_I32; t <= XPU_DT_F32; t++)
		for (size_t i = 0; i < 4; i++) {
			struct vdesc d = { 2, 0, t, vsizes[i], 1.0f / (3 + 500 * i), (int32_t)i * 3 - 4 };

			ASSERT_TRUE(check_vec(_metadata, self, &d, t + i));
		}
}

TEST_F(cc, vector_rejects_bad_types)
{
	xpu_cc *cc;

	XOK(xpu_cc_create(&self->t, &cc));
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_unary(cc, "a", XPU_UN_EXP, XPU_DT_I32, 4));
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_binary(cc, "a", XPU_BIN_ADD, XPU_DT_I8, 4));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_binary(cc, "a", 9, XPU_DT_I32, 4));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_unary(cc, "a", XPU_UN_RELU, XPU_DT_I32, 0));
	/* a row larger than the accumulator cannot be normalised on chip */
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_softmax(cc, "a", 2, self->t.acc_size));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_emit(cc, (void **)&cc, (size_t *)&cc));
	xpu_cc_destroy(cc);
}

/* ---- softmax and layernorm ------------------------------------------------- */
struct rdesc {
	int ln;
	uint32_t rows, cols;
	float eps;
};

static xpu_status gen_rows(xpu_cc *cc, const void *p)
{
	const struct rdesc *d = p;

	return d->ln ? xpu_cc_layernorm(cc, "k", d->rows, d->cols, d->eps) :
		       xpu_cc_softmax(cc, "k", d->rows, d->cols);
}

static float fbin(float a, float b, int op)
{
	uint32_t x = xref_f2u(a), y = xref_f2u(b), r;

	xref_vbin(op, XPU_VT_F32, XPU_VB_FULL, 1, 1, &r, &x, &y, 0);
	return xref_u2f(r);
}

static void ref_rows(const struct rdesc *d, const float *x, const float *g, const float *be,
		     float *y)
{
	for (uint32_t r = 0; r < d->rows; r++) {
		const float *xr = x + (size_t)r * d->cols;
		float *yr = y + (size_t)r * d->cols;
		uint32_t red;

		if (!d->ln) {
			float s, inv;

			xref_vred(XPU_VRED_MAX, XPU_VT_F32, 1, d->cols, &red, (const uint32_t *)xr);
			for (uint32_t c = 0; c < d->cols; c++)
				yr[c] = xref_exp(fbin(xr[c], xref_u2f(red), XPU_VBIN_SUB));
			xref_vred(XPU_VRED_SUM, XPU_VT_F32, 1, d->cols, &red, (const uint32_t *)yr);
			s = xref_u2f(red);
			inv = xref_recip(s);
			for (uint32_t c = 0; c < d->cols; c++)
				yr[c] = fbin(yr[c], inv, XPU_VBIN_MUL);
		} else {
			float inv = 1.0f / (float)d->cols, mean, var, rstd;
			float *t = malloc(d->cols * 4);

			xref_vred(XPU_VRED_SUM, XPU_VT_F32, 1, d->cols, &red, (const uint32_t *)xr);
			mean = fbin(xref_u2f(red), inv, XPU_VBIN_MUL);
			for (uint32_t c = 0; c < d->cols; c++) {
				yr[c] = fbin(xr[c], mean, XPU_VBIN_SUB);
				t[c] = fbin(yr[c], yr[c], XPU_VBIN_MUL);
			}
			xref_vred(XPU_VRED_SUM, XPU_VT_F32, 1, d->cols, &red, (const uint32_t *)t);
			var = fbin(xref_u2f(red), inv, XPU_VBIN_MUL);
			var = fbin(var, d->eps, XPU_VBIN_ADD);
			rstd = xref_rsqrt(var);
			for (uint32_t c = 0; c < d->cols; c++) {
				yr[c] = fbin(yr[c], rstd, XPU_VBIN_MUL);
				yr[c] = fbin(yr[c], g[c], XPU_VBIN_MUL);
				yr[c] = fbin(yr[c], be[c], XPU_VBIN_ADD);
			}
			free(t);
		}
	}
}

static int check_rows(struct __test_metadata *_metadata, FIXTURE_DATA(cc) *self,
		      const struct rdesc *d, uint64_t seed)
{
	size_t n = (size_t)d->rows * d->cols;
	float *x = malloc(n * 4), *y = calloc(n, 4), *want = calloc(n, 4);
	float *g = malloc(d->cols * 4), *be = malloc(d->cols * 4);
	struct io io[4];
	xpu_status st;
	int ok;

	for (size_t i = 0; i < n; i++)
		x[i] = xref_u2f(rand_val(&seed, XPU_DT_F32, 0));
	for (uint32_t i = 0; i < d->cols; i++) {
		g[i] = xref_u2f(rand_val(&seed, XPU_DT_F32, 0));
		be[i] = xref_u2f(rand_val(&seed, XPU_DT_F32, 0));
	}
	if (d->ln) {
		io[0] = (struct io){ x, n * 4 };
		io[1] = (struct io){ g, d->cols * 4 };
		io[2] = (struct io){ be, d->cols * 4 };
		io[3] = (struct io){ NULL, n * 4 };
	} else {
		io[0] = (struct io){ x, n * 4 };
		io[1] = (struct io){ NULL, n * 4 };
	}
	st = run(self->dev, self->s, &self->t, gen_rows, d, io, d->ln ? 4 : 2, y, NULL);
	EXPECT_EQ(XPU_SUCCESS, st) TH_LOG("%s %ux%u: %s", d->ln ? "layernorm" : "softmax", d->rows,
					  d->cols, run_err);
	ref_rows(d, x, g, be, want);
	ok = st == XPU_SUCCESS && memcmp(y, want, n * 4) == 0;
	if (st == XPU_SUCCESS && !ok)
		TH_LOG("%s %ux%u: wrong result", d->ln ? "layernorm" : "softmax", d->rows, d->cols);
	free(x);
	free(y);
	free(want);
	free(g);
	free(be);
	return ok;
}

static const uint32_t rshapes[][2] = {
	{ 1, 1 }, { 3, 7 }, { 17, 100 }, { 5, 3001 }, { 64, 64 }, { 200, 33 },
};

TEST_F(cc, softmax)
{
	for (size_t i = 0; i < sizeof(rshapes) / sizeof(rshapes[0]); i++) {
		struct rdesc d = { 0, rshapes[i][0], rshapes[i][1] };

		ASSERT_TRUE(check_rows(_metadata, self, &d, i + 7));
	}
}

TEST_F(cc, layernorm)
{
	for (size_t i = 0; i < sizeof(rshapes) / sizeof(rshapes[0]); i++) {
		struct rdesc d = { 1, rshapes[i][0], rshapes[i][1], 1e-5f };

		ASSERT_TRUE(check_rows(_metadata, self, &d, i + 70));
	}
}

/* ---- conv2d ---------------------------------------------------------------- */
static xpu_status gen_conv(xpu_cc *cc, const void *d)
{
	return xpu_cc_conv2d(cc, "k", d);
}

static void ref_conv(const struct xpu_cc_conv2d *d, const int8_t *x, const int8_t *w,
		     const int32_t *bias, void *out)
{
	uint32_t OH = (d->h + 2 * d->pad - d->kh) / d->stride + 1;
	uint32_t OW = (d->w + 2 * d->pad - d->kw) / d->stride + 1;
	uint64_t M = (uint64_t)d->batch * OH * OW, Kc = (uint64_t)d->kh * d->kw * d->cin;
	int8_t *col = calloc(M * Kc, 1);
	uint32_t *acc = calloc(M * d->cout, 4);
	uint32_t vt = XPU_VT_I32;

	for (uint32_t b = 0; b < d->batch; b++)
		for (uint32_t oh = 0; oh < OH; oh++)
			for (uint32_t ow = 0; ow < OW; ow++)
				for (uint32_t kh = 0; kh < d->kh; kh++)
					for (uint32_t kw = 0; kw < d->kw; kw++) {
						int ih = oh * d->stride + kh - d->pad;
						int iw = ow * d->stride + kw - d->pad;
						uint64_t m = ((uint64_t)b * OH + oh) * OW + ow;

						if (ih < 0 || iw < 0 || ih >= (int)d->h || iw >= (int)d->w)
							continue;
						memcpy(col + m * Kc + (kh * d->kw + kw) * d->cin,
						       x + (((uint64_t)b * d->h + ih) * d->w + iw) * d->cin,
						       d->cin);
					}
	xref_matmul_i8(M, Kc, d->cout, col, Kc, w, d->cout, acc, d->cout, 0);
	if (d->has_bias)
		xref_vbin(XPU_VBIN_ADD, vt, XPU_VB_ROW, M, d->cout, acc, acc, (const uint32_t *)bias, 0);
	if (d->act == XPU_ACT_RELU)
		xref_vun(XPU_VUN_RELU, vt, M * d->cout, acc, acc);
	if (d->out_type == XPU_DT_I8) {
		uint32_t sb;

		memcpy(&sb, &d->scale, 4);
		xref_vqnt(vt, M * d->cout, out, acc, sb, d->zero_point);
	} else {
		memcpy(out, acc, M * d->cout * 4);
	}
	free(col);
	free(acc);
}

static int check_conv(struct __test_metadata *_metadata, FIXTURE_DATA(cc) *self,
		      const struct xpu_cc_conv2d *d, uint64_t seed)
{
	uint32_t OH = (d->h + 2 * d->pad - d->kh) / d->stride + 1;
	uint32_t OW = (d->w + 2 * d->pad - d->kw) / d->stride + 1;
	size_t nx = (size_t)d->batch * d->h * d->w * d->cin;
	size_t nw = (size_t)d->kh * d->kw * d->cin * d->cout;
	size_t ny = (size_t)d->batch * OH * OW * d->cout, osz = d->out_type == XPU_DT_I8 ? 1 : 4;
	int8_t *x = malloc(nx), *w = malloc(nw);
	int32_t *bias = malloc(d->cout * 4);
	uint8_t *y = calloc(ny, osz), *want = calloc(ny, osz);
	struct io io[4] = { { x, nx }, { w, nw }, { NULL, ny * osz }, { bias, d->cout * 4 } };
	xpu_status st;
	int ok;

	for (size_t i = 0; i < nx; i++)
		x[i] = (int8_t)rt_rand(&seed);
	for (size_t i = 0; i < nw; i++)
		w[i] = (int8_t)rt_rand(&seed);
	for (uint32_t i = 0; i < d->cout; i++)
		bias[i] = rt_rand(&seed) % 2001 - 1000;
	st = run(self->dev, self->s, &self->t, gen_conv, d, io, d->has_bias ? 4 : 3, y, NULL);
	EXPECT_EQ(XPU_SUCCESS, st) TH_LOG("conv %ux%ux%u k%ux%u s%u p%u: %s", d->h, d->w, d->cin,
					  d->kh, d->kw, d->stride, d->pad, run_err);
	ref_conv(d, x, w, bias, want);
	ok = st == XPU_SUCCESS && memcmp(y, want, ny * osz) == 0;
	if (st == XPU_SUCCESS && !ok)
		TH_LOG("conv b%u %ux%ux%u -> %u k%ux%u s%u p%u: wrong result", d->batch, d->h, d->w,
		       d->cin, d->cout, d->kh, d->kw, d->stride, d->pad);
	free(x);
	free(w);
	free(bias);
	free(y);
	free(want);
	return ok;
}

TEST_F(cc, conv2d)
{
	static const struct xpu_cc_conv2d convs[] = {
		/* batch h w cin cout kh kw stride pad */
		{ 1, 1, 1, 1, 1, 1, 1, 1, 0, XPU_DT_I32 },
		{ 1, 5, 5, 1, 1, 3, 3, 1, 0, XPU_DT_I32 },
		{ 1, 5, 7, 3, 4, 3, 3, 1, 1, XPU_DT_I32 },
		{ 2, 8, 8, 8, 16, 3, 3, 1, 1, XPU_DT_I8, 1, XPU_ACT_RELU, 1.0f / 300, 2 },
		{ 1, 9, 11, 5, 7, 3, 3, 2, 1, XPU_DT_I32, 1 },
		{ 1, 7, 7, 4, 3, 5, 5, 2, 2, XPU_DT_I8, 0, 0, 1.0f / 100, -3 },
		{ 1, 28, 28, 1, 8, 3, 3, 1, 1, XPU_DT_I32 },
		{ 3, 6, 5, 2, 3, 1, 3, 1, 0, XPU_DT_I32 },
		{ 1, 12, 12, 16, 33, 3, 3, 1, 0, XPU_DT_I8, 1, XPU_ACT_RELU, 1.0f / 1000, 0 },
	};

	for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++)
		ASSERT_TRUE(check_conv(_metadata, self, &convs[i], i + 3));
}

TEST_F(cc, several_kernels_in_one_module)
{
	struct xpu_cc_matmul d = { 8, 8, 8, XPU_DT_I8, XPU_DT_I32 };
	xpu_module *mod;
	xpu_kernel *k;
	xpu_cc *cc;
	void *img;
	size_t size;
	uint32_t n;

	XOK(xpu_cc_create(&self->t, &cc));
	XOK(xpu_cc_matmul(cc, "mm", &d));
	XOK(xpu_cc_softmax(cc, "sm", 4, 4));
	XOK(xpu_cc_unary(cc, "relu", XPU_UN_RELU, XPU_DT_F32, 100));
	XOK(xpu_cc_emit(cc, &img, &size));
	XOK(xpu_binary_validate(img, size, &n));
	ASSERT_EQ(3, n);
	XOK(xpu_module_load(self->dev, img, size, &mod));
	XOK(xpu_kernel_create(mod, "sm", &k));
	xpu_kernel_destroy(k);
	xpu_module_unload(mod);
	xpu_cc_destroy(cc);
	free(img);
}

/* A requantising matmul with a zero or non-finite scale would run and give
 * zeros (or saturated values): the compiler rejects it, naming the field. */
TEST_F(cc, matmul_rejects_bad_requant_scale)
{
	const float bad[] = { 0.0f, -0.0f, NAN, INFINITY, -INFINITY };
	struct xpu_cc_matmul d = { 8, 8, 8, XPU_DT_I8, XPU_DT_I8 };
	xpu_cc *cc;

	XOK(xpu_cc_create(&self->t, &cc));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.scale = bad[i];
		XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_matmul(cc, "rq", &d));
		ASSERT_NE(NULL, strstr(xpu_last_error(), "scale"));
		ASSERT_NE(NULL, strstr(xpu_last_error(), "rq"));
	}
	/* int32 output ignores the scale; a valid one compiles */
	d.out_type = XPU_DT_I32;
	XOK(xpu_cc_matmul(cc, "raw", &d));
	d.out_type = XPU_DT_I8;
	d.scale = 0.02f;
	XOK(xpu_cc_matmul(cc, "rq", &d));
	xpu_cc_destroy(cc);
}

/* The same rule for the other requantising generators: requant, conv2d. */
TEST_F(cc, requant_and_conv_reject_bad_scale)
{
	const float bad[] = { 0.0f, -0.0f, NAN, INFINITY, -INFINITY };
	struct xpu_cc_conv2d c = { .batch = 1, .h = 6, .w = 6, .cin = 4, .cout = 8, .kh = 3,
				   .kw = 3, .stride = 1, .pad = 1, .out_type = XPU_DT_I8 };
	xpu_cc *cc;

	XOK(xpu_cc_create(&self->t, &cc));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_requant(cc, "rqv", XPU_DT_I32, 64,
								 bad[i], 0));
		ASSERT_NE(NULL, strstr(xpu_last_error(), "scale"));
		ASSERT_NE(NULL, strstr(xpu_last_error(), "rqv"));
		c.scale = bad[i];
		XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_conv2d(cc, "cv", &c));
		ASSERT_NE(NULL, strstr(xpu_last_error(), "scale"));
		ASSERT_NE(NULL, strstr(xpu_last_error(), "cv"));
	}
	XOK(xpu_cc_requant(cc, "rqv", XPU_DT_I32, 64, 0.5f, 0));
	c.scale = 0.5f;
	XOK(xpu_cc_conv2d(cc, "cv", &c));
	xpu_cc_destroy(cc);
}

TEST_HARNESS_MAIN
