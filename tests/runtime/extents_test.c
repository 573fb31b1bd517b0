// SPDX-License-Identifier: MIT
/*
 * Tensor extents of the kernel compiler's generators (xpu_cc_binary, unary,
 * select, requant, softmax, layernorm, conv2d; matmul has its own test in
 * api_test.c): every buffer argument records the bytes the kernel touches,
 * and xpu_launch refuses a buffer (plus offset) one element too small,
 * naming the argument and both sizes; the exact sizes launch and run.
 */
#include "rt_test.h"

FIXTURE(extents) {
	xpu_device *dev;
	xpu_stream *s;
	xpu_cc *cc;
};

FIXTURE_SETUP(extents)
{
	struct xpu_device_props p;

	self->s = NULL;
	self->cc = NULL;
	RT_OPEN(self->dev);
	XOK(xpu_device_get_props(self->dev, &p));
	XOK(xpu_cc_create_for_device(&p, &self->cc));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &self->s));
}

FIXTURE_TEARDOWN(extents)
{
	if (self->s)
		xpu_stream_destroy(self->s);
	if (self->cc)
		xpu_cc_destroy(self->cc);
	if (self->dev)
		xpu_device_close(self->dev);
}

/*
 * The kernel compiled last into cc, with nargs buffer arguments named
 * names[i] of sizes[i] bytes (elements of esz[i] bytes): for each argument,
 * a buffer one element short fails naming it and both sizes, and so does the
 * exact size at an offset of one element into a buffer of the exact size;
 * then the exact buffers launch and the job succeeds. Returns 0 or the line
 * of the first failed check (the caller's ASSERT reports it with the error).
 */
static int check_extents(xpu_device *dev, xpu_stream *s, xpu_cc *cc, const char *kname,
			 uint32_t nargs, const char *const *names, const uint64_t *sizes,
			 const uint64_t *esz)
{
	xpu_buffer *exact[8] = { 0 }, *shorter = NULL;
	xpu_module *mod = NULL;
	xpu_kernel *k = NULL;
	char want[160];
	int bad = 0;
	void *img;
	size_t size;

#define CHECK(c) do { if (!(c)) { bad = __LINE__; goto out; } } while (0)
	CHECK(!xpu_cc_emit(cc, &img, &size));
	bad = xpu_module_load(dev, img, size, &mod) ? __LINE__ : 0;
	free(img);
	if (bad)
		goto out;
	CHECK(!xpu_kernel_create(mod, kname, &k));
	for (uint32_t i = 0; i < nargs; i++) {
		struct xpu_arg_info ai;

		CHECK(!xpu_kernel_get_arg_info(k, i, &ai));
		CHECK(!strcmp(ai.name, names[i]));
		CHECK(!xpu_buffer_alloc(dev, sizes[i], XPU_MEM_DEVICE, &exact[i]));
		CHECK(!xpu_kernel_set_arg_buffer(k, i, exact[i], 0));
	}
	for (uint32_t i = 0; i < nargs; i++) {
		CHECK(!xpu_buffer_alloc(dev, sizes[i] - esz[i], XPU_MEM_DEVICE, &shorter));
		CHECK(!xpu_kernel_set_arg_buffer(k, i, shorter, 0));
		CHECK(xpu_launch(s, k) == XPU_ERROR_INVALID_ARGUMENT);
		snprintf(want, sizeof(want), "argument %u ('%s'): needs %llu bytes, the buffer has %llu",
			 i, names[i], (unsigned long long)sizes[i],
			 (unsigned long long)(sizes[i] - esz[i]));
		if (!strstr(xpu_last_error(), want)) {
			fprintf(stderr, "# want \"%s\", got \"%s\"\n", want, xpu_last_error());
			CHECK(0);
		}
		/* the exact size, but one element in: too small as well */
		CHECK(!xpu_kernel_set_arg_buffer(k, i, exact[i], esz[i]));
		CHECK(xpu_launch(s, k) == XPU_ERROR_INVALID_ARGUMENT);
		CHECK(strstr(xpu_last_error(), names[i]));
		CHECK(!xpu_kernel_set_arg_buffer(k, i, exact[i], 0));
		xpu_buffer_free(shorter);
		shorter = NULL;
	}
	CHECK(!xpu_launch(s, k));
	CHECK(!xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
#undef CHECK
out:
	if (shorter)
		xpu_buffer_free(shorter);
	if (k)
		xpu_kernel_destroy(k);
	if (mod)
		xpu_module_unload(mod);
	for (uint32_t i = 0; i < nargs; i++)
		if (exact[i])
			xpu_buffer_free(exact[i]);
	return bad;
}

#define CHECK_EXTENTS(kname, names, sizes, esz)						\
	ASSERT_EQ(0, check_extents(self->dev, self->s, self->cc, kname,			\
				   sizeof(sizes) / sizeof(sizes[0]), names, sizes, esz))	\
		TH_LOG("%s", xpu_last_error())

TEST_F(extents, binary)
{
	static const char *const names[] = { "a", "b", "c" };
	const uint64_t sizes[] = { 1000 * 4, 1000 * 4, 1000 * 4 }, esz[] = { 4, 4, 4 };

	XOK(xpu_cc_binary(self->cc, "add", XPU_BIN_ADD, XPU_DT_F32, 1000));
	CHECK_EXTENTS("add", names, sizes, esz);
}

TEST_F(extents, unary)
{
	static const char *const names[] = { "x", "y" };
	/* more than one scratchpad chunk of the 64 KiB test device */
	const uint64_t sizes[] = { 20000 * 4, 20000 * 4 }, esz[] = { 4, 4 };

	XOK(xpu_cc_unary(self->cc, "relu", XPU_UN_RELU, XPU_DT_I32, 20000));
	CHECK_EXTENTS("relu", names, sizes, esz);
}

TEST_F(extents, select)
{
	static const char *const names[] = { "mask", "a", "b", "c" };
	const uint64_t sizes[] = { 300 * 4, 300 * 4, 300 * 4, 300 * 4 }, esz[] = { 4, 4, 4, 4 };

	XOK(xpu_cc_select(self->cc, "sel", 300));
	CHECK_EXTENTS("sel", names, sizes, esz);
}

TEST_F(extents, requant)
{
	static const char *const names[] = { "x", "y" };
	const uint64_t sizes[] = { 777 * 4, 777 }, esz[] = { 4, 1 };	/* int32 in, int8 out */

	XOK(xpu_cc_requant(self->cc, "rq", XPU_DT_I32, 777, 0.5f, 3));
	CHECK_EXTENTS("rq", names, sizes, esz);
}

TEST_F(extents, softmax)
{
	static const char *const names[] = { "x", "y" };
	const uint64_t sizes[] = { 37 * 50 * 4, 37 * 50 * 4 }, esz[] = { 4, 4 };

	XOK(xpu_cc_softmax(self->cc, "sm", 37, 50));
	CHECK_EXTENTS("sm", names, sizes, esz);
}

TEST_F(extents, layernorm)
{
	static const char *const names[] = { "x", "gamma", "beta", "y" };
	const uint64_t sizes[] = { 9 * 24 * 4, 24 * 4, 24 * 4, 9 * 24 * 4 },
		       esz[] = { 4, 4, 4, 4 };

	XOK(xpu_cc_layernorm(self->cc, "ln", 9, 24, 1e-5f));
	CHECK_EXTENTS("ln", names, sizes, esz);
}

TEST_F(extents, conv2d)
{
	static const char *const names[] = { "x", "w", "y", "bias" };
	/* NHWC int8 2x7x6x3, 3x3 kernel, stride 2, pad 1: 4x3 output pixels */
	struct xpu_cc_conv2d d = { .batch = 2, .h = 7, .w = 6, .cin = 3, .cout = 5, .kh = 3,
				   .kw = 3, .stride = 2, .pad = 1, .out_type = XPU_DT_I32,
				   .has_bias = 1 };
	const uint64_t sizes[] = { 2 * 7 * 6 * 3, 3 * 3 * 3 * 5, 2 * 4 * 3 * 5 * 4, 5 * 4 },
		       esz[] = { 1, 1, 4, 4 };

	XOK(xpu_cc_conv2d(self->cc, "conv", &d));
	CHECK_EXTENTS("conv", names, sizes, esz);
}

TEST_F(extents, conv2d_int8_out)
{
	static const char *const names[] = { "x", "w", "y" };
	struct xpu_cc_conv2d d = { .batch = 1, .h = 5, .w = 5, .cin = 2, .cout = 3, .kh = 2,
				   .kw = 2, .stride = 1, .pad = 0, .out_type = XPU_DT_I8,
				   .scale = 0.25f };
	const uint64_t sizes[] = { 5 * 5 * 2, 2 * 2 * 2 * 3, 4 * 4 * 3 }, esz[] = { 1, 1, 1 };

	XOK(xpu_cc_conv2d(self->cc, "convq", &d));
	CHECK_EXTENTS("convq", names, sizes, esz);
}

TEST_HARNESS_MAIN
