// SPDX-License-Identifier: MIT
/*
 * libxpu API tests: every public entry point and its error paths, on the host
 * backend (or the DRM backend in the VM variant): devices, buffers, maps,
 * synchronous and asynchronous copies, modules, kernel arguments with type
 * checks, launches, streams, events, timeouts, job faults, threads.
 */
#include <pthread.h>
#include <unistd.h>

#include "rt_test.h"

static const char *kernels_src =
	".kernel vadd_i32\n"
	".arg a buffer\n.arg b buffer\n.arg c buffer\n.arg n u64\n"
	"	ld r3, 0(r1)\n	ld r4, 8(r1)\n	ld r5, 16(r1)\n	ld r6, 24(r1)\n"
	"	shli r7, r6, 2\n	li r8, 0\n	dma.v2l r8, r3, r7\n"
	"	add r9, r8, r7\n	dma.v2l r9, r4, r7\n	li r10, 1\n	vcfg r10, r6\n"
	"	vadd.i32 r8, r8, r9\n	dma.l2v r5, r8, r7\n	halt\n"
	".end\n"
	".kernel spin\n"
	".arg n u64\n"
	"	ld r3, 0(r1)\n	li r4, 0\n"
	"loop:	addi r4, r4, 1\n	blt r4, r3, loop\n	halt\n"
	".end\n"
	".kernel store\n"
	".arg dst buffer\n.arg value u64\n"
	"	ld r3, 0(r1)\n	ld r4, 8(r1)\n	st r4, 0(r3)\n	halt\n"
	".end\n"
	".kernel fault\n"
	"	li r3, 0x10\n	st r3, 0(r3)\n	halt\n"
	".end\n"
	".kernel badinsn\n"
	"	nop\n	.word 0\n	halt\n"
	".end\n"
	".kernel typed\n"
	".arg a i32\n.arg b u32\n.arg c f32\n.arg d i64\n.arg out buffer\n"
	"	ld r3, 32(r1)\n	ld r4, 0(r1)\n	st r4, 0(r3)\n	ld r4, 8(r1)\n	st r4, 8(r3)\n"
	"	ld r4, 16(r1)\n	st r4, 16(r3)\n	ld r4, 24(r1)\n	st r4, 24(r3)\n"
	"	st r2, 32(r3)\n	halt\n"
	".end\n";

RT_MODULE_FIXTURE(api, kernels_src)

static xpu_status vadd(xpu_stream *s, xpu_kernel *k, xpu_buffer *a, xpu_buffer *b, xpu_buffer *c,
		       uint64_t n)
{
	xpu_status st;

	if ((st = xpu_kernel_set_arg_buffer(k, 0, a, 0)) || (st = xpu_kernel_set_arg_buffer(k, 1, b, 0)) ||
	    (st = xpu_kernel_set_arg_buffer(k, 2, c, 0)) || (st = xpu_kernel_set_arg_u64(k, 3, n)))
		return st;
	return xpu_launch(s, k);
}

TEST(status_strings)
{
	const char *seen[32];
	int n = 0;

	for (int s = XPU_SUCCESS; s <= XPU_ERROR_INVALID_SOURCE; s++) {
		const char *str = xpu_status_string(s);

		ASSERT_NE(NULL, str);
		ASSERT_EQ(0, strncmp(str, "XPU_", 4));
		for (int i = 0; i < n; i++)
			ASSERT_NE(0, strcmp(seen[i], str));
		seen[n++] = str;
	}
	ASSERT_STREQ("XPU_ERROR_UNKNOWN", xpu_status_string((xpu_status)999));
	ASSERT_STREQ("XPU_ERROR_TIMEOUT", xpu_status_string(XPU_ERROR_TIMEOUT));
	ASSERT_NE(XPU_ERROR_NOT_READY, XPU_ERROR_TIMEOUT);
	ASSERT_NE(XPU_ERROR_DEVICE_LOST, XPU_ERROR_INVALID_ARGUMENT);
}

TEST(per_thread_error)
{
	xpu_buffer *b;

	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_alloc(NULL, 16, 0, &b));
	ASSERT_NE(0, strlen(xpu_last_error()));
	/* a success clears it */
	{
		int n;

		ASSERT_EQ(XPU_SUCCESS, xpu_status_string(0) ? xpu_device_count(&n) : 1);
		ASSERT_STREQ("", xpu_last_error());
	}
}

static void *err_thread(void *arg)
{
	(void)arg;
	return (void *)(uintptr_t)strlen(xpu_last_error());
}

TEST(error_is_per_thread)
{
	pthread_t t;
	void *len;

	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_props(NULL, NULL));
	ASSERT_NE(0, strlen(xpu_last_error()));
	ASSERT_EQ(0, pthread_create(&t, NULL, err_thread, NULL));
	pthread_join(t, &len);
	ASSERT_EQ(0, (uintptr_t)len);
}

TEST(null_arguments)
{
	int n;

	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_device_count(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_device_open(0, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_device_open_host(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_device_close(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_free(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_get_info(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_map(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_unmap(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_write(NULL, 0, &n, 4));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_read(NULL, 0, &n, 4));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_copy(NULL, 0, NULL, 0, 4));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_stream_create(NULL, 0, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_stream_destroy(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_stream_synchronize(NULL, 0));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_stream_query(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_stream_wait_event(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_write_async(NULL, NULL, 0, &n, 4));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_read_async(NULL, NULL, 0, &n, 4));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_copy_async(NULL, NULL, 0, NULL, 0, 4));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_event_create(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_event_destroy(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_event_record(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_event_query(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_event_synchronize(NULL, 0));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_event_elapsed(NULL, NULL, NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_module_load(NULL, NULL, 0, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_module_load_file(NULL, NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_module_unload(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_module_kernel_count(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_module_kernel_name(NULL, 0, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_create(NULL, "x", NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_destroy(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_get_info(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_get_arg_info(NULL, 0, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg(NULL, 0, XPU_ARG_U64, &n, 8));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg_u64(NULL, 0, 1));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_launch(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_assemble(NULL, NULL, NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_disassemble(NULL, 0, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_binary_validate(NULL, 0, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_create(NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_destroy(NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_emit(NULL, NULL, NULL));
	ASSERT_EQ(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_target_from_props(NULL, NULL));
}

#ifndef XPU_TEST_DRM
TEST(host_backend_env_and_config)
{
	struct xpu_host_config c = { .rows = 8, .cols = 4, .num_queues = 3, .hbm_size = 8 << 20,
				     .spad_size = 8192, .acc_size = 4096, .clock_mhz = 500,
				     .flags = XPU_HOST_SYNC };
	struct xpu_device_props p;
	xpu_device *dev;
	int n;

	setenv("XPU_BACKEND", "host", 1);
	XOK(xpu_device_count(&n));
	ASSERT_EQ(1, n);
	XOK(xpu_device_open(0, &dev));
	XOK(xpu_device_get_props(dev, &p));
	ASSERT_EQ(XPU_BACKEND_HOST, p.backend);
	ASSERT_EQ(128, p.array_rows);
	ASSERT_STREQ("host", p.node);
	XOK(xpu_device_close(dev));
	XERR(XPU_ERROR_NO_DEVICE, xpu_device_open(1, &dev));
	unsetenv("XPU_BACKEND");

	XOK(xpu_device_open_host(&c, &dev));
	XOK(xpu_device_get_props(dev, &p));
	ASSERT_EQ(8, p.array_rows);
	ASSERT_EQ(4, p.array_cols);
	ASSERT_EQ(3, p.num_queues);
	ASSERT_EQ(8 << 20, p.hbm_size);
	ASSERT_EQ(8192, p.spad_size);
	ASSERT_EQ(4096, p.acc_size);
	ASSERT_EQ(500, p.clock_mhz);
	ASSERT_EQ(XPU_ISA_VERSION_MAJOR << 16, p.isa_version);
	ASSERT_EQ(XPU_DTYPE_INT8 | XPU_DTYPE_BF16 | XPU_DTYPE_INT32 | XPU_DTYPE_FP32, p.dtypes);
	ASSERT_NE(0, p.caps & XPU_CAP_INT8);
	XOK(xpu_device_close(dev));

	c.flags = 0x80;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_open_host(&c, &dev));
	c.flags = 0;
	c.hbm_size = 1000;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_open_host(&c, &dev));
	c.hbm_size = 0;
	c.num_queues = 99;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_open_host(&c, &dev));
}
#endif

TEST_F(api, props)
{
	struct xpu_device_props p;

	XOK(xpu_device_get_props(self->dev, &p));
	ASSERT_NE(0, p.array_rows);
	ASSERT_NE(0, p.array_cols);
	ASSERT_NE(0, p.hbm_size);
	ASSERT_NE(0, p.num_queues);
	ASSERT_NE(0, p.clock_mhz);
	ASSERT_NE(0, p.spad_size);
	ASSERT_NE(0, p.max_buffer_size);
	ASSERT_EQ(XPU_ISA_VERSION, p.isa_version);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_props(self->dev, NULL));
}

TEST_F(api, buffer_errors)
{
	struct xpu_buffer_info info;
	xpu_buffer *b;
	void *p;
	char x[16];

	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_alloc(self->dev, 0, 0, &b));
	ASSERT_EQ(NULL, b);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_alloc(self->dev, 16, 0x100, &b));
	XERR(XPU_ERROR_OUT_OF_MEMORY, xpu_buffer_alloc(self->dev, (size_t)1 << 50, 0, &b));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "largest"));
	XOK(xpu_buffer_alloc(self->dev, 100, XPU_MEM_DEVICE, &b));
	XOK(xpu_buffer_get_info(b, &info));
	ASSERT_EQ(100, info.size);
	ASSERT_NE(0, info.va);
	ASSERT_EQ(0, info.flags);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_unmap(b));
	XOK(xpu_buffer_map(b, &p));
	ASSERT_NE(NULL, p);
	XOK(xpu_buffer_unmap(b));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_unmap(b));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_write(b, 90, x, 16));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "outside"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_read(b, 101, x, 1));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_write(b, 0, NULL, 1));
	XOK(xpu_buffer_write(b, 0, x, 0));
	XOK(xpu_buffer_free(b));
}

TEST_F(api, copies_sync)
{
	const size_t sizes[] = { 1, 4096, 65536, 65537, 300000 };
	uint64_t seed = 1;

	for (int host = 0; host < 2; host++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t n = sizes[i];
			uint8_t *in = malloc(n), *out = malloc(n + 8);
			xpu_buffer *b, *b2;

			for (size_t j = 0; j < n; j++)
				in[j] = (uint8_t)rt_rand(&seed);
			XOK(xpu_buffer_alloc(self->dev, n + 8, host ? XPU_MEM_HOST : 0, &b));
			XOK(xpu_buffer_alloc(self->dev, n + 8, 0, &b2));
			XOK(xpu_buffer_write(b, 3, in, n));
			memset(out, 0, n);
			XOK(xpu_buffer_read(b, 3, out, n));
			ASSERT_EQ(0, memcmp(in, out, n)) TH_LOG("size %zu host %d", n, host);
			XOK(xpu_buffer_copy(b2, 5, b, 3, n));
			memset(out, 0, n);
			XOK(xpu_buffer_read(b2, 5, out, n));
			ASSERT_EQ(0, memcmp(in, out, n)) TH_LOG("copy size %zu host %d", n, host);
			XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_buffer_copy(b2, 0, b, 9, n + 8));
			xpu_buffer_free(b);
			xpu_buffer_free(b2);
			free(in);
			free(out);
		}
	}
}

TEST_F(api, copies_async_in_order)
{
	enum { N = 200000 };
	uint32_t *in = malloc(N * 4), *out = malloc(N * 4), small[100], small_out[100];
	xpu_buffer *a, *b;
	xpu_stream *s;

	for (int i = 0; i < N; i++)
		in[i] = i * 7u;
	for (int i = 0; i < 100; i++)
		small[i] = i;
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &s));
	XOK(xpu_buffer_alloc(self->dev, N * 4, 0, &a));
	XOK(xpu_buffer_alloc(self->dev, N * 4, 0, &b));
	XOK(xpu_write_async(s, a, 0, in, N * 4));
	memset(in, 0xee, N * 4);		/* the source is copied at the call */
	XOK(xpu_copy_async(s, b, 0, a, 0, N * 4));
	XOK(xpu_write_async(s, b, 400, small, sizeof(small)));
	small[0] = 12345;
	XOK(xpu_read_async(s, b, 0, out, N * 4));
	XOK(xpu_read_async(s, b, 400, small_out, sizeof(small_out)));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	for (int i = 0; i < N; i++) {
		uint32_t want = i >= 100 && i < 200 ? (uint32_t)(i - 100) : i * 7u;

		ASSERT_EQ(want, out[i]) TH_LOG("element %d", i);
	}
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(i, small_out[i]);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_read_async(s, b, N * 4, out, 4));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_copy_async(s, b, 0, a, 8, N * 4));
	XOK(xpu_stream_destroy(s));
	xpu_buffer_free(a);
	xpu_buffer_free(b);
	free(in);
	free(out);
}

TEST_F(api, many_small_async_copies_wrap_the_arena)
{
	enum { N = 3000 };
	xpu_buffer *b;
	xpu_stream *s;
	uint32_t v, out[N];

	XOK(xpu_stream_create(self->dev, 0, &s));
	XOK(xpu_buffer_alloc(self->dev, N * 4, 0, &b));
	for (uint32_t i = 0; i < N; i++) {
		v = i ^ 0x5a5a;
		XOK(xpu_write_async(s, b, i * 4, &v, 4));
	}
	XOK(xpu_read_async(s, b, 0, out, sizeof(out)));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	for (uint32_t i = 0; i < N; i++)
		ASSERT_EQ(i ^ 0x5a5a, out[i]);
	xpu_stream_destroy(s);
	xpu_buffer_free(b);
}

TEST_F(api, modules_and_kernels)
{
	struct xpu_kernel_info ki;
	struct xpu_arg_info ai;
	const char *name;
	uint32_t n;
	xpu_kernel *k;

	XOK(xpu_module_kernel_count(self->mod, &n));
	ASSERT_EQ(6, n);
	XOK(xpu_module_kernel_name(self->mod, 1, &name));
	ASSERT_STREQ("spin", name);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_module_kernel_name(self->mod, 6, &name));
	XERR(XPU_ERROR_NOT_FOUND, xpu_kernel_create(self->mod, "nope", &k));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "nope"));
	XOK(xpu_kernel_create(self->mod, "vadd_i32", &k));
	XOK(xpu_kernel_get_info(k, &ki));
	ASSERT_STREQ("vadd_i32", ki.name);
	ASSERT_EQ(4, ki.num_args);
	ASSERT_EQ(14 * 8, ki.text_size);
	XOK(xpu_kernel_get_arg_info(k, 3, &ai));
	ASSERT_STREQ("n", ai.name);
	ASSERT_EQ(XPU_ARG_U64, ai.type);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_get_arg_info(k, 4, &ai));
	/* the kernel object keeps the module alive */
	XOK(xpu_module_unload(self->mod));
	self->mod = NULL;
	XOK(xpu_kernel_get_info(k, &ki));
	XOK(xpu_kernel_destroy(k));
}

TEST_F(api, module_load_file_and_errors)
{
	char path[] = "/tmp/xpu-api-XXXXXX";
	void *img;
	size_t size;
	xpu_module *m;
	int fd;

	XOK(xpu_assemble(kernels_src, "k.s", &img, &size));
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)size, write(fd, img, size));
	close(fd);
	XOK(xpu_module_load_file(self->dev, path, &m));
	XOK(xpu_module_unload(m));
	/* truncated file: the error names the file and the problem */
	ASSERT_EQ(0, truncate(path, 100));
	XERR(XPU_ERROR_INVALID_BINARY, xpu_module_load_file(self->dev, path, &m));
	ASSERT_NE(NULL, strstr(xpu_last_error(), path));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "truncated"));
	unlink(path);
	XERR(XPU_ERROR_NOT_FOUND, xpu_module_load_file(self->dev, path, &m));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "No such file"));
	free(img);
}

TEST_F(api, module_needs_more_sram_than_device)
{
	struct xpu_device_props p;
	char src[256];
	xpu_module *m;

	XOK(xpu_device_get_props(self->dev, &p));
	snprintf(src, sizeof(src), ".kernel big\n.spad %u\n	halt\n.end\n", p.spad_size + 1);
	XERR(XPU_ERROR_NOT_SUPPORTED, rt_load_asm(self->dev, src, &m));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "scratchpad"));
}

TEST_F(api, argument_type_checks)
{
	xpu_kernel *k;
	xpu_buffer *b;
	xpu_stream *s;
	float f = 1.5f;
	uint64_t u = 0;

	XOK(xpu_kernel_create(self->mod, "typed", &k));
	XOK(xpu_buffer_alloc(self->dev, 4096, 0, &b));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &s));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg_u64(k, 0, 1));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "is i32, not u64"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg_i32(k, 4, 1));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg_buffer(k, 0, b, 0));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg_f32(k, 5, 1.0f));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "5 arguments"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg(k, 2, XPU_ARG_F32, &u, 8));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg_buffer(k, 4, NULL, 0));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_kernel_set_arg_buffer(k, 4, b, 4097));
	XOK(xpu_kernel_set_arg_i32(k, 0, -2));
	XOK(xpu_kernel_set_arg_u32(k, 1, 0xfffffffeu));
	/* launching with unset arguments names the first missing one */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_launch(s, k));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "'c'"));
	XOK(xpu_kernel_set_arg(k, 2, XPU_ARG_F32, &f, 4));
	XOK(xpu_kernel_set_arg_i64(k, 3, -5));
	XOK(xpu_kernel_set_arg_buffer(k, 4, b, 8));
	XOK(xpu_launch(s, k));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	{
		uint64_t out[6];
		uint32_t fb;

		XOK(xpu_buffer_read(b, 0, out, sizeof(out)));
		memcpy(&fb, &f, 4);
		ASSERT_EQ((uint64_t)-2, out[1]);		/* i32 sign-extended */
		ASSERT_EQ(0xfffffffeull, out[2]);	/* u32 zero-extended */
		ASSERT_EQ(fb, out[3]);			/* f32 bits in the low half */
		ASSERT_EQ((uint64_t)-5, out[4]);
		ASSERT_EQ(40, out[5]);			/* r2 = args_len */
	}
	xpu_stream_destroy(s);
	xpu_buffer_free(b);
	xpu_kernel_destroy(k);
}

TEST_F(api, launch_vadd)
{
	enum { N = 1000 };
	int32_t a[N], b[N], c[N];
	xpu_buffer *ba, *bb, *bc;
	xpu_kernel *k;
	xpu_stream *s;

	for (int i = 0; i < N; i++) {
		a[i] = i * 3 - 500;
		b[i] = -i * 1000;
	}
	ba = rt_buf(self->dev, sizeof(a), a);
	bb = rt_buf(self->dev, sizeof(b), b);
	bc = rt_buf(self->dev, sizeof(c), NULL);
	ASSERT_NE(NULL, bc);
	XOK(xpu_kernel_create(self->mod, "vadd_i32", &k));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &s));
	XOK(vadd(s, k, ba, bb, bc, N));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	XOK(xpu_buffer_read(bc, 0, c, sizeof(c)));
	for (int i = 0; i < N; i++)
		ASSERT_EQ(a[i] + b[i], c[i]);
	XOK(xpu_stream_query(s));
	XOK(xpu_stream_destroy(s));
	xpu_kernel_destroy(k);
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	xpu_buffer_free(bc);
}

TEST_F(api, stream_queue_out_of_range)
{
	struct xpu_device_props p;
	xpu_stream *s;

	XOK(xpu_device_get_props(self->dev, &p));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_stream_create(self->dev, p.num_queues, &s));
	for (uint32_t q = 0; q < p.num_queues; q++) {
		XOK(xpu_stream_create(self->dev, q, &s));
		XOK(xpu_stream_destroy(s));
	}
}

TEST_F(api, job_fault_reports_va_and_sticks)
{
	xpu_kernel *k, *kv;
	xpu_stream *s, *s2;
	xpu_buffer *b;
	int32_t one = 1;

	XOK(xpu_kernel_create(self->mod, "fault", &k));
	XOK(xpu_kernel_create(self->mod, "vadd_i32", &kv));
	XOK(xpu_stream_create(self->dev, 0, &s));
	XOK(xpu_launch(s, k));
	XERR(XPU_ERROR_JOB_FAULT, xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "MMU_FAULT")) TH_LOG("%s", xpu_last_error());
	ASSERT_NE(NULL, strstr(xpu_last_error(), "VA 0x10"));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "write"));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "'fault'"));
	/* the stream stays failed */
	XERR(XPU_ERROR_JOB_FAULT, xpu_stream_query(s));
	XERR(XPU_ERROR_JOB_FAULT, xpu_launch(s, k));
	b = rt_buf(self->dev, 64, NULL);
	ASSERT_NE(NULL, b);
	XERR(XPU_ERROR_JOB_FAULT, xpu_write_async(s, b, 0, &one, 4));
	xpu_stream_destroy(s);
	/*
	 * A fault kills the device context (as the driver does): other
	 * streams of the same device handle are refused with a clear error.
	 */
	XOK(xpu_stream_create(self->dev, 0, &s2));
	XERR(XPU_ERROR_JOB_FAULT, vadd(s2, kv, b, b, b, 1));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "banned")) TH_LOG("%s", xpu_last_error());
	xpu_stream_destroy(s2);
	xpu_buffer_free(b);
	xpu_kernel_destroy(k);
	xpu_kernel_destroy(kv);
}

TEST_F(api, bad_instruction_is_reported)
{
	xpu_kernel *k;
	xpu_stream *s;
	xpu_event *e;

	XOK(xpu_kernel_create(self->mod, "badinsn", &k));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &s));
	XOK(xpu_event_create(self->dev, &e));
	XOK(xpu_launch(s, k));
	/* the failure shows at the record (if the job already retired) or at the wait */
	if (xpu_event_record(e, s) == XPU_SUCCESS)
		XERR(XPU_ERROR_JOB_FAULT, xpu_event_synchronize(e, XPU_WAIT_FOREVER));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "BAD_INSN"));
	xpu_event_destroy(e);
	xpu_stream_destroy(s);
	xpu_kernel_destroy(k);
}

TEST_F(api, device_read_only_buffer)
{
	xpu_kernel *k;
	xpu_stream *s;
	xpu_buffer *b;
	struct xpu_buffer_info info;
	uint64_t v = 7, out = 0;
	char needle[64];

	XOK(xpu_buffer_alloc(self->dev, 4096, XPU_MEM_READ_ONLY, &b));
	XOK(xpu_buffer_write(b, 0, &v, 8));	/* the CPU may write it */
	XOK(xpu_buffer_read(b, 0, &out, 8));
	ASSERT_EQ(7, out);
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &s));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_write_async(s, b, 0, &v, 8));
	XOK(xpu_kernel_create(self->mod, "store", &k));
	XOK(xpu_kernel_set_arg_buffer(k, 0, b, 16));
	XOK(xpu_kernel_set_arg_u64(k, 1, 1));
	XOK(xpu_buffer_get_info(b, &info));
	snprintf(needle, sizeof(needle), "VA 0x%llx", (unsigned long long)info.va + 16);
	XOK(xpu_launch(s, k));
	XERR(XPU_ERROR_JOB_FAULT, xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	ASSERT_NE(NULL, strstr(xpu_last_error(), needle)) TH_LOG("%s", xpu_last_error());
	xpu_stream_destroy(s);
	xpu_kernel_destroy(k);
	xpu_buffer_free(b);
}

TEST_F(api, events_and_elapsed_time)
{
	struct xpu_device_props p;
	xpu_event *e0, *e1, *e2, *never;
	xpu_kernel *k;
	xpu_stream *s, *s2;
	uint64_t cycles, c2;
	double us;

	XOK(xpu_device_get_props(self->dev, &p));
	XOK(xpu_kernel_create(self->mod, "spin", &k));
	XOK(xpu_stream_create(self->dev, 0, &s));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &s2));
	XOK(xpu_event_create(self->dev, &e0));
	XOK(xpu_event_create(self->dev, &e1));
	XOK(xpu_event_create(self->dev, &e2));
	XOK(xpu_event_create(self->dev, &never));
	XOK(xpu_event_query(never));		/* never recorded: nothing pending */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_event_elapsed(never, e0, &cycles, &us));
	XOK(xpu_event_record(e0, s));
	XOK(xpu_kernel_set_arg_u64(k, 0, 1000));
	XOK(xpu_launch(s, k));
	XOK(xpu_event_record(e1, s));
	XOK(xpu_launch(s, k));
	XOK(xpu_launch(s, k));
	XOK(xpu_event_record(e2, s));
	XOK(xpu_event_synchronize(e2, XPU_WAIT_FOREVER));
	XOK(xpu_event_query(e1));
	XOK(xpu_event_elapsed(e0, e1, &cycles, &us));
	/* ld + li + 1000 * (addi + blt) + halt, one cycle each */
	ASSERT_EQ(2003, cycles);
	ASSERT_EQ(1, us * p.clock_mhz / cycles + 0.5 > 1 ? 1 : 0);
	XOK(xpu_event_elapsed(e1, e2, &c2, NULL));
	ASSERT_EQ(2 * 2003, c2);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_event_elapsed(e2, e1, &c2, NULL));
	XOK(xpu_event_record(never, s2));
	XOK(xpu_event_synchronize(never, XPU_WAIT_FOREVER));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_event_elapsed(e0, never, &c2, NULL));
	/* re-record moves the event */
	XOK(xpu_event_record(e0, s));
	XOK(xpu_event_synchronize(e0, XPU_WAIT_FOREVER));
	XOK(xpu_event_elapsed(e2, e0, &c2, NULL));
	ASSERT_EQ(0, c2);
	/* destroying a stream with events recorded on it is fine */
	XOK(xpu_stream_destroy(s));
	XOK(xpu_event_query(e1));
	xpu_stream_destroy(s2);
	xpu_event_destroy(e0);
	xpu_event_destroy(e1);
	xpu_event_destroy(e2);
	xpu_event_destroy(never);
	xpu_kernel_destroy(k);
}

TEST_F(api, not_ready_and_timeouts)
{
	xpu_kernel *k;
	xpu_stream *s;
	xpu_event *e;

	XOK(xpu_kernel_create(self->mod, "spin", &k));
	XOK(xpu_stream_create(self->dev, 0, &s));
	XOK(xpu_event_create(self->dev, &e));
	XOK(xpu_kernel_set_arg_u64(k, 0, 30000000));	/* ~60 M instructions */
	XOK(xpu_launch(s, k));
	XOK(xpu_event_record(e, s));
	XERR(XPU_ERROR_NOT_READY, xpu_stream_query(s));
	XERR(XPU_ERROR_NOT_READY, xpu_event_query(e));
	XERR(XPU_ERROR_TIMEOUT, xpu_stream_synchronize(s, 1000000));
	XERR(XPU_ERROR_TIMEOUT, xpu_event_synchronize(e, 1000));
	XOK(xpu_event_synchronize(e, XPU_WAIT_FOREVER));
	XOK(xpu_stream_query(s));
	XOK(xpu_stream_synchronize(s, 0));
	xpu_event_destroy(e);
	xpu_stream_destroy(s);
	xpu_kernel_destroy(k);
}

TEST_F(api, cross_stream_event_wait)
{
	xpu_kernel *spin, *store, *vk;
	xpu_stream *s1, *s2;
	xpu_buffer *b, *c;
	xpu_event *e;
	struct xpu_device_props p;
	int32_t out[2];

	XOK(xpu_device_get_props(self->dev, &p));
	XOK(xpu_kernel_create(self->mod, "spin", &spin));
	XOK(xpu_kernel_create(self->mod, "store", &store));
	XOK(xpu_kernel_create(self->mod, "vadd_i32", &vk));
	XOK(xpu_stream_create(self->dev, 0, &s1));
	XOK(xpu_stream_create(self->dev, p.num_queues > 1 ? 1 : 0, &s2));
	XOK(xpu_event_create(self->dev, &e));
	b = rt_buf(self->dev, 64, NULL);
	c = rt_buf(self->dev, 64, NULL);
	ASSERT_NE(NULL, c);
	/* s1: a slow job, then store 21 into b; s2 waits, then c = b + b */
	XOK(xpu_kernel_set_arg_u64(spin, 0, 2000000));
	XOK(xpu_launch(s1, spin));
	XOK(xpu_kernel_set_arg_buffer(store, 0, b, 0));
	XOK(xpu_kernel_set_arg_u64(store, 1, 21));
	XOK(xpu_launch(s1, store));
	XOK(xpu_event_record(e, s1));
	XOK(xpu_stream_wait_event(s2, e));
	XOK(vadd(s2, vk, b, b, c, 2));
	XOK(xpu_stream_synchronize(s2, XPU_WAIT_FOREVER));
	XOK(xpu_buffer_read(c, 0, out, 8));
	ASSERT_EQ(42, out[0]);
	ASSERT_EQ(0, out[1]);
	XOK(xpu_stream_synchronize(s1, XPU_WAIT_FOREVER));
	xpu_event_destroy(e);
	xpu_stream_destroy(s1);
	xpu_stream_destroy(s2);
	xpu_buffer_free(b);
	xpu_buffer_free(c);
	xpu_kernel_destroy(spin);
	xpu_kernel_destroy(store);
	xpu_kernel_destroy(vk);
}

struct thr {
	xpu_device *dev;
	xpu_module *mod;
	int id, ok;
	char err[256];
};

static void *worker(void *arg)
{
	struct thr *t = arg;
	enum { N = 257 };
	int32_t a[N], b[N], c[N];
	xpu_buffer *ba = NULL, *bb = NULL, *bc = NULL;
	xpu_kernel *k = NULL;
	xpu_stream *s = NULL;
	xpu_status st;

	st = xpu_kernel_create(t->mod, "vadd_i32", &k);
	if (!st)
		st = xpu_stream_create(t->dev, XPU_QUEUE_ANY, &s);
	if (!st)
		st = xpu_buffer_alloc(t->dev, sizeof(a), 0, &ba);
	if (!st)
		st = xpu_buffer_alloc(t->dev, sizeof(a), 0, &bb);
	if (!st)
		st = xpu_buffer_alloc(t->dev, sizeof(a), 0, &bc);
	for (int it = 0; !st && it < 20; it++) {
		for (int i = 0; i < N; i++) {
			a[i] = t->id * 100000 + it * 1000 + i;
			b[i] = i;
		}
		st = xpu_write_async(s, ba, 0, a, sizeof(a));
		if (!st)
			st = xpu_write_async(s, bb, 0, b, sizeof(b));
		if (!st)
			st = vadd(s, k, ba, bb, bc, N);
		if (!st)
			st = xpu_read_async(s, bc, 0, c, sizeof(c));
		if (!st)
			st = xpu_stream_synchronize(s, XPU_WAIT_FOREVER);
		for (int i = 0; !st && i < N; i++)
			if (c[i] != a[i] + b[i])
				st = XPU_ERROR_OS;
	}
	t->ok = st == XPU_SUCCESS;
	snprintf(t->err, sizeof(t->err), "%s: %s", xpu_status_string(st), xpu_last_error());
	if (s)
		xpu_stream_destroy(s);
	if (k)
		xpu_kernel_destroy(k);
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	xpu_buffer_free(bc);
	return NULL;
}

TEST_F(api, threads)
{
	enum { T = 4 };
	pthread_t th[T];
	struct thr t[T];

	for (int i = 0; i < T; i++) {
		t[i].dev = self->dev;
		t[i].mod = self->mod;
		t[i].id = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker, &t[i]));
	}
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < T; i++) {
		ASSERT_TRUE(t[i].ok) TH_LOG("thread %d: %s", i, t[i].err);
	}
}

#ifndef XPU_TEST_DRM
TEST(host_sync_mode)
{
	struct xpu_host_config c = rt_host_config();
	xpu_device *dev;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	xpu_buffer *b;
	uint64_t v;

	c.flags = XPU_HOST_SYNC;
	XOK(xpu_device_open_host(&c, &dev));
	XOK(rt_load_asm(dev, kernels_src, &mod));
	XOK(xpu_kernel_create(mod, "store", &k));
	XOK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	b = rt_buf(dev, 4096, NULL);
	XOK(xpu_kernel_set_arg_buffer(k, 0, b, 0));
	XOK(xpu_kernel_set_arg_u64(k, 1, 99));
	XOK(xpu_launch(s, k));
	XOK(xpu_stream_query(s));	/* already done: it ran in this thread */
	XOK(xpu_buffer_read(b, 0, &v, 8));
	ASSERT_EQ(99, v);
	xpu_buffer_free(b);
	xpu_stream_destroy(s);
	xpu_kernel_destroy(k);
	xpu_module_unload(mod);
	XOK(xpu_device_close(dev));
}
#endif

/* ---- added by issue 8: telemetry, cost model, file errors, growing structs ---- */

static void usage_now(struct __test_metadata *_metadata, xpu_device *dev,
		      struct xpu_device_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	XOK(xpu_device_get_usage(dev, u));
}

TEST_F(api, usage_counters_grow_after_a_job)
{
	struct xpu_device_usage u0, u1, tiny = { .size = 8 };
	int32_t a[64], b[64];
	xpu_buffer *ba, *bb, *bc;
	xpu_kernel *k;
	xpu_stream *s;

	for (int i = 0; i < 64; i++)
		a[i] = i, b[i] = 2 * i;
	ba = rt_buf(self->dev, sizeof(a), a);
	bb = rt_buf(self->dev, sizeof(b), b);
	bc = rt_buf(self->dev, sizeof(a), NULL);
	ASSERT_NE(NULL, bc);
	XOK(xpu_kernel_create(self->mod, "vadd_i32", &k));
	XOK(xpu_kernel_set_arg_buffer(k, 0, ba, 0));
	XOK(xpu_kernel_set_arg_buffer(k, 1, bb, 0));
	XOK(xpu_kernel_set_arg_buffer(k, 2, bc, 0));
	XOK(xpu_kernel_set_arg_u64(k, 3, 64));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &s));
	usage_now(_metadata, self->dev, &u0);
	XOK(xpu_launch(s, k));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	usage_now(_metadata, self->dev, &u1);
	ASSERT_EQ(sizeof(u1), u1.size);		/* the caller's size is kept */
	ASSERT_LE(u0.jobs + 1, u1.jobs);
	ASSERT_LT(u0.cycles, u1.cycles);
	ASSERT_LE(u0.dma_bytes + 3 * 256, u1.dma_bytes);	/* two loads, one store */
	ASSERT_LT(u0.dma_busy_cycles, u1.dma_busy_cycles);
	ASSERT_LT(u0.vpu_busy_cycles, u1.vpu_busy_cycles);
	ASSERT_LE(u1.dma_busy_cycles, u1.cycles);
	/* a struct without its size set is refused, with the fix in the message */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_usage(self->dev, &tiny));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "sizeof(struct xpu_device_usage)"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_usage(NULL, &u1));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_usage(self->dev, NULL));
	xpu_stream_destroy(s);
	xpu_kernel_destroy(k);
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	xpu_buffer_free(bc);
}

/* A caller built against a newer header (a bigger struct): the fields this
 * library does not know read 0; an older one (V1 size) gets V1 only. */
TEST_F(api, usage_struct_sizes)
{
	struct { struct xpu_device_usage u; uint64_t future[2]; } big;
	struct xpu_device_usage v1;

	memset(&big, 0xa5, sizeof(big));
	big.u.size = sizeof(big);
	XOK(xpu_device_get_usage(self->dev, &big.u));
	ASSERT_EQ(sizeof(big), big.u.size);
	ASSERT_EQ(0, big.future[0]);
	ASSERT_EQ(0, big.future[1]);
	memset(&v1, 0, sizeof(v1));
	v1.size = XPU_DEVICE_USAGE_SIZE_V1;
	XOK(xpu_device_get_usage(self->dev, &v1));
}

/*
 * Run kernel "k" of cc once with zeroed buffers of the given sizes as its
 * arguments, and compare the compiler's estimate with the engine's counters:
 * the per-unit busy cycles, bytes and MACs come from the engine's timing
 * functions and must be equal; the job time is the planner's model of the
 * overlap (the engine's scoreboard is not replayed) and must be close.
 */
static void estimate_vs_engine(struct __test_metadata *_metadata, xpu_device *dev, xpu_cc *cc,
			       const size_t *sizes, int nbufs, const char *what, double lo)
{
	struct xpu_cc_estimate est = { .size = sizeof(est) };
	struct xpu_device_usage u0, u1;
	xpu_buffer *bufs[4] = { 0 };
	uint64_t cycles, busy;
	xpu_event *e0, *e1;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	void *img;
	size_t size;
	double ratio;

	XOK(xpu_cc_get_estimate(cc, "k", &est));
	XOK(xpu_cc_emit(cc, &img, &size));
	XOK(xpu_module_load(dev, img, size, &mod));
	free(img);
	XOK(xpu_kernel_create(mod, "k", &k));
	for (int i = 0; i < nbufs; i++) {
		bufs[i] = rt_buf(dev, sizes[i], NULL);
		ASSERT_NE(NULL, bufs[i]);
		XOK(xpu_kernel_set_arg_buffer(k, i, bufs[i], 0));
	}
	XOK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	XOK(xpu_event_create(dev, &e0));
	XOK(xpu_event_create(dev, &e1));
	usage_now(_metadata, dev, &u0);
	XOK(xpu_event_record(e0, s));
	XOK(xpu_launch(s, k));
	XOK(xpu_event_record(e1, s));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	usage_now(_metadata, dev, &u1);
	XOK(xpu_event_elapsed(e0, e1, &cycles, NULL));

	ASSERT_EQ(1, u1.jobs - u0.jobs);
	ASSERT_EQ(cycles, u1.cycles - u0.cycles);
	ASSERT_EQ(est.macs, u1.macs - u0.macs);
	ASSERT_EQ(est.mxu_busy_cycles, u1.mxu_busy_cycles - u0.mxu_busy_cycles);
	ASSERT_EQ(est.vpu_busy_cycles, u1.vpu_busy_cycles - u0.vpu_busy_cycles);
	ASSERT_EQ(est.dma_bytes, u1.dma_bytes - u0.dma_bytes);
	/* the builder was made for this device: its clock and bandwidth too */
	ASSERT_EQ(est.dma_busy_cycles, u1.dma_busy_cycles - u0.dma_busy_cycles);
	busy = est.mxu_busy_cycles > est.dma_busy_cycles ? est.mxu_busy_cycles
							  : est.dma_busy_cycles;
	ASSERT_LE(busy, cycles);	/* the units overlap, never exceed the job */
	ratio = (double)est.cycles / (double)cycles;
	TH_LOG("%s: estimate %llu, engine %llu cycles (%.2f); busy dma %llu mxu %llu vpu %llu",
	       what, (unsigned long long)est.cycles, (unsigned long long)cycles, ratio,
	       (unsigned long long)est.dma_busy_cycles, (unsigned long long)est.mxu_busy_cycles,
	       (unsigned long long)est.vpu_busy_cycles);
	ASSERT_TRUE(ratio > lo && ratio < 1.25);

	xpu_event_destroy(e0);
	xpu_event_destroy(e1);
	xpu_stream_destroy(s);
	xpu_kernel_destroy(k);
	xpu_module_unload(mod);
	for (int i = 0; i < nbufs; i++)
		xpu_buffer_free(bufs[i]);
}

TEST_F(api, compiler_estimate_matches_engine)
{
	static const struct { uint32_t m, k, n, in, out, bias, act; } shapes[] = {
		{ 64, 64, 64, XPU_DT_I8, XPU_DT_I32, 0, XPU_ACT_NONE },
		{ 100, 70, 50, XPU_DT_I8, XPU_DT_I8, 1, XPU_ACT_RELU },
		{ 33, 40, 17, XPU_DT_BF16, XPU_DT_BF16, 1, XPU_ACT_GELU },
		{ 256, 96, 128, XPU_DT_BF16, XPU_DT_F32, 0, XPU_ACT_NONE },
	};
	struct xpu_cc_conv2d cd = { .batch = 2, .h = 10, .w = 9, .cin = 3, .cout = 12, .kh = 3,
				    .kw = 3, .stride = 1, .pad = 1, .out_type = XPU_DT_I8,
				    .has_bias = 1, .act = XPU_ACT_RELU, .scale = 0.1f };
	struct xpu_device_props p;
	size_t sizes[4];
	xpu_cc *cc;

	XOK(xpu_device_get_props(self->dev, &p));
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct xpu_cc_matmul d = {
			.m = shapes[i].m, .k = shapes[i].k, .n = shapes[i].n,
			.in_type = shapes[i].in, .out_type = shapes[i].out,
			.has_bias = shapes[i].bias, .act = shapes[i].act, .scale = 0.01f,
		};
		size_t isz = xpu_dtype_size(d.in_type), osz = xpu_dtype_size(d.out_type);
		char what[64];

		XOK(xpu_cc_create_for_device(&p, &cc));
		XOK(xpu_cc_matmul(cc, "k", &d));
		sizes[0] = (size_t)d.m * d.k * isz;
		sizes[1] = (size_t)d.k * d.n * isz;
		sizes[2] = (size_t)d.m * d.n * osz;
		sizes[3] = (size_t)d.n * 4;
		snprintf(what, sizeof(what), "matmul %ux%ux%u %s->%s", d.m, d.k, d.n,
			 xpu_dtype_name(d.in_type), xpu_dtype_name(d.out_type));
		estimate_vs_engine(_metadata, self->dev, cc, sizes, d.has_bias ? 4 : 3, what, 0.8);
		xpu_cc_destroy(cc);
	}
	/* conv2d: im2col DMAs, the zeroing vector op of padded tiles */
	XOK(xpu_cc_create_for_device(&p, &cc));
	XOK(xpu_cc_conv2d(cc, "k", &cd));
	sizes[0] = (size_t)cd.batch * cd.h * cd.w * cd.cin;
	sizes[1] = (size_t)cd.kh * cd.kw * cd.cin * cd.cout;
	sizes[2] = (size_t)cd.batch * cd.h * cd.w * cd.cout;	/* stride 1, pad 1, 3x3 */
	sizes[3] = (size_t)cd.cout * 4;
	estimate_vs_engine(_metadata, self->dev, cc, sizes, 4, "conv2d 2x10x9x3 -> 12, 3x3", 0.8);
	xpu_cc_destroy(cc);
}

#ifndef XPU_TEST_DRM
/* A device with another clock and HBM bandwidth: DMA cycles follow them. */
TEST(compiler_estimate_follows_device_clock)
{
	struct xpu_host_config c = rt_host_config();
	struct xpu_cc_matmul d = { .m = 100, .k = 70, .n = 50, .in_type = XPU_DT_I8,
				   .out_type = XPU_DT_I32 };
	struct xpu_cc_estimate def = { .size = sizeof(def) };
	struct xpu_device_props p;
	size_t sizes[3] = { 100 * 70, 70 * 50, 100 * 50 * 4 };
	xpu_device *dev;
	xpu_cc *cc;

	c.clock_mhz = 1250;
	c.hbm_gbps = 100;	/* 80 bytes per cycle: DMA time is mostly bandwidth */
	XOK(xpu_device_open_host(&c, &dev));
	XOK(xpu_device_get_props(dev, &p));
	XOK(xpu_cc_create_for_device(&p, &cc));
	XOK(xpu_cc_matmul(cc, "k", &d));
	/* DMA and MXU equally busy on a tiny array: they hold each other up
	 * more than the planner's quarter share, the estimate is low */
	estimate_vs_engine(_metadata, dev, cc, sizes, 3, "matmul 100x70x50 at 1250 MHz, 100 GB/s",
			   0.7);
	xpu_cc_destroy(cc);
	/* the default timing (1000 MHz, 1600 GB/s) would get DMA time wrong */
	{
		struct xpu_cc_estimate e = { .size = sizeof(e) };
		struct xpu_cc_target t;

		XOK(xpu_cc_target_from_props(&p, &t));
		XOK(xpu_cc_create(&t, &cc));
		XOK(xpu_cc_matmul(cc, "k", &d));
		XOK(xpu_cc_get_estimate(cc, "k", &def));
		xpu_cc_destroy(cc);
		XOK(xpu_cc_create_for_device(&p, &cc));
		XOK(xpu_cc_matmul(cc, "k", &d));
		XOK(xpu_cc_get_estimate(cc, "k", &e));
		xpu_cc_destroy(cc);
		ASSERT_LT(def.dma_busy_cycles, e.dma_busy_cycles);
	}
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_create_for_device(NULL, &cc));
	xpu_device_close(dev);
}
#endif

TEST(compiler_estimate_errors)
{
	struct xpu_cc_target t = { .rows = 16, .cols = 8, .spad_size = 64 << 10,
				   .acc_size = 16 << 10 };
	struct xpu_cc_matmul d = { .m = 8, .k = 8, .n = 8, .in_type = XPU_DT_I8,
				   .out_type = XPU_DT_I32 };
	struct xpu_cc_estimate est = { .size = sizeof(est) }, old = { 0 };
	xpu_cc *cc;

	XOK(xpu_cc_create(&t, &cc));
	XOK(xpu_cc_matmul(cc, "mm", &d));
	XOK(xpu_cc_binary(cc, "add", XPU_BIN_ADD, XPU_DT_F32, 64));
	XERR(XPU_ERROR_NOT_FOUND, xpu_cc_get_estimate(cc, "nope", &est));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "nope"));
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_cc_get_estimate(cc, "add", &est));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_cc_get_estimate(cc, "mm", &old));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "sizeof(struct xpu_cc_estimate)"));
	XOK(xpu_cc_get_estimate(cc, "mm", &est));
	ASSERT_EQ(512, est.macs);
	ASSERT_LT(0, est.cycles);
	xpu_cc_destroy(cc);
}

TEST_F(api, module_load_file_missing_is_not_found)
{
	const char *path = "/nonexistent-xpu-dir/kernels.xpu";
	xpu_module *m = (xpu_module *)1;

	XERR(XPU_ERROR_NOT_FOUND, xpu_module_load_file(self->dev, path, &m));
	ASSERT_EQ(NULL, m);
	ASSERT_NE(NULL, strstr(xpu_last_error(), path));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "No such file or directory"));
	ASSERT_STREQ("XPU_ERROR_IO", xpu_status_string(XPU_ERROR_IO));
	/* a directory is found but cannot be read as a file */
	XERR(XPU_ERROR_IO, xpu_module_load_file(self->dev, "/", &m));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "not a regular file"));
}

TEST_F(api, props_legacy_and_sized)
{
	struct xpu_device_props legacy, sized;
	struct { struct xpu_device_props p; uint64_t future; } big;

	/* the original call fills the first version and never touches size */
	memset(&legacy, 0x5a, sizeof(legacy));
	XOK(xpu_device_get_props(self->dev, &legacy));
	ASSERT_EQ(0x5a5a5a5au, legacy.size);
	memset(&sized, 0, sizeof(sized));
	sized.size = sizeof(sized);
	XOK(xpu_device_query_props(self->dev, &sized));
	ASSERT_EQ(sizeof(sized), sized.size);
	ASSERT_EQ(0, memcmp(&legacy, &sized, XPU_DEVICE_PROPS_SIZE_V0));
	memset(&big, 0x5a, sizeof(big));
	big.p.size = sizeof(big);
	XOK(xpu_device_query_props(self->dev, &big.p));
	ASSERT_EQ(0, big.future);
	ASSERT_EQ(0, memcmp(&legacy, &big.p, XPU_DEVICE_PROPS_SIZE_V0));
	sized.size = 4;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_query_props(self->dev, &sized));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "sizeof(struct xpu_device_props)"));
}

#ifndef XPU_TEST_DRM
TEST(host_config_sized)
{
	struct { struct xpu_host_config c; uint32_t future; uint32_t pad; } big;
	struct xpu_host_config c = rt_host_config();
	struct xpu_device_props p;
	xpu_device *dev;

	/* legacy: without XPU_HOST_SIZED the size field is not read */
	c.size = 12345;
	XOK(xpu_device_open_host(&c, &dev));
	XOK(xpu_device_get_props(dev, &p));
	ASSERT_EQ(c.rows, p.array_rows);
	xpu_device_close(dev);
	/* sized, this version */
	c.flags = XPU_HOST_SIZED;
	c.size = sizeof(c);
	XOK(xpu_device_open_host(&c, &dev));
	XOK(xpu_device_get_props(dev, &p));
	ASSERT_EQ(c.cols, p.array_cols);
	xpu_device_close(dev);
	c.size = 8;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_open_host(&c, &dev));
	/* a newer caller: unknown fields must be 0, else NOT_SUPPORTED */
	memset(&big, 0, sizeof(big));
	big.c = rt_host_config();
	big.c.flags = XPU_HOST_SIZED;
	big.c.size = sizeof(big);
	XOK(xpu_device_open_host(&big.c, &dev));
	xpu_device_close(dev);
	big.future = 1;
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_device_open_host(&big.c, &dev));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "xpu_host_config"));
}
#endif

/* A buffer (plus offset) smaller than what a compiled kernel touches is
 * refused at launch, naming the argument and both sizes (the kernel's
 * metadata records each buffer argument's extent). */
TEST_F(api, launch_checks_buffer_sizes)
{
	struct xpu_cc_matmul d = { .m = 6, .k = 5, .n = 4, .in_type = XPU_DT_I8,
				   .out_type = XPU_DT_I32, .has_bias = 1 };
	xpu_buffer *ba, *bb, *bc, *bias, *small, *big;
	struct xpu_device_props p;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	xpu_cc *cc;
	void *img;
	size_t size;

	XOK(xpu_device_get_props(self->dev, &p));
	XOK(xpu_cc_create_for_device(&p, &cc));
	XOK(xpu_cc_matmul(cc, "mm", &d));
	XOK(xpu_cc_emit(cc, &img, &size));
	xpu_cc_destroy(cc);
	XOK(xpu_module_load(self->dev, img, size, &mod));
	free(img);
	XOK(xpu_kernel_create(mod, "mm", &k));
	XOK(xpu_stream_create(self->dev, XPU_QUEUE_ANY, &s));
	XOK(xpu_buffer_alloc(self->dev, 30, XPU_MEM_DEVICE, &ba));
	XOK(xpu_buffer_alloc(self->dev, 20, XPU_MEM_DEVICE, &bb));
	XOK(xpu_buffer_alloc(self->dev, 96, XPU_MEM_DEVICE, &bc));
	XOK(xpu_buffer_alloc(self->dev, 16, XPU_MEM_DEVICE, &bias));
	XOK(xpu_buffer_alloc(self->dev, 95, XPU_MEM_DEVICE, &small));
	XOK(xpu_buffer_alloc(self->dev, 200, XPU_MEM_DEVICE, &big));
	XOK(xpu_kernel_set_arg_buffer(k, 0, ba, 0));
	XOK(xpu_kernel_set_arg_buffer(k, 1, bb, 0));
	XOK(xpu_kernel_set_arg_buffer(k, 3, bias, 0));
	/* C is 6 x 4 int32 = 96 bytes */
	XOK(xpu_kernel_set_arg_buffer(k, 2, small, 0));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_launch(s, k));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "argument 2 ('c')"));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "needs 96 bytes, the buffer has 95"));
	XOK(xpu_kernel_set_arg_buffer(k, 2, big, 120));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_launch(s, k));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "has 80 (200-byte buffer at offset 120)"));
	XOK(xpu_kernel_set_arg_buffer(k, 2, big, 104));
	XOK(xpu_launch(s, k));
	/* the bias: 4 int32 */
	XOK(xpu_kernel_set_arg_buffer(k, 2, bc, 0));
	XOK(xpu_kernel_set_arg_buffer(k, 3, ba, 18));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_launch(s, k));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "'bias'"));
	XOK(xpu_kernel_set_arg_buffer(k, 3, bias, 0));
	XOK(xpu_launch(s, k));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	XOK(xpu_stream_destroy(s));
	xpu_kernel_destroy(k);
	XOK(xpu_module_unload(mod));
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	xpu_buffer_free(bc);
	xpu_buffer_free(bias);
	xpu_buffer_free(small);
	xpu_buffer_free(big);
}

TEST_HARNESS_MAIN
