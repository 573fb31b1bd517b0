// SPDX-License-Identifier: MIT
/*
 * The public entry point of the model compiler, xpu_model_compile_onnx(),
 * through libxpu.so as an application uses it: argument and option errors,
 * untrusted model errors surfacing with their message, the debug printer
 * (XPU_MODEL_DEBUG_PRINT), and the GPT-like test model compiled, loaded on
 * the host backend, run, and compared with xpu_model_reference_onnx() bit
 * for bit.
 */
#include <unistd.h>

#include "rt_test.h"
#include "xpu/xpu_graph.h"
#include "graph_model.h"

static const struct xpu_cc_target target = { 16, 8, 64 << 10, 16 << 10 };

TEST(arguments_and_options)
{
	const char *dims[] = { "batch=1" }, *bad[] = { "batch" };
	struct xpu_model_options mo = { .size = sizeof(mo), .dims = dims, .num_dims = 1 };
	void *img = (void *)1;
	size_t size = 1, msize;
	void *m = gt_load("gpt", &msize);

	ASSERT_NE(NULL, m);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_model_compile_onnx(NULL, msize, &target, &mo, &img, &size));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_model_compile_onnx(m, msize, NULL, &mo, &img, &size));
	mo.precision = 7;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_model_compile_onnx(m, msize, &target, &mo, &img, &size));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "precision 7"));
	mo.precision = 0;
	mo.flags = 0x80;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_model_compile_onnx(m, msize, &target, &mo, &img, &size));
	mo.flags = 0;
	mo.size = 4;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_model_compile_onnx(m, msize, &target, &mo, &img, &size));
	mo.size = sizeof(mo);
	mo.dims = bad;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_model_compile_onnx(m, msize, &target, &mo, &img, &size));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "'batch' is not NAME=VALUE"));
	/* the symbolic batch left unbound: named */
	XERR(XPU_ERROR_INVALID_BINARY, xpu_model_compile_onnx(m, msize, &target, NULL, &img, &size));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "symbolic dimension 'batch'")) TH_LOG("%s", xpu_last_error());
	EXPECT_EQ(NULL, img);
	EXPECT_EQ(0, size);
	/* a truncated model */
	mo.dims = dims;
	XERR(XPU_ERROR_INVALID_BINARY, xpu_model_compile_onnx(m, msize / 3, &target, &mo, &img, &size));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "truncated or malformed")) TH_LOG("%s", xpu_last_error());
	free(m);
	/* an unsupported operator */
	m = gt_load("unsupported_op", &msize);
	ASSERT_NE(NULL, m);
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_model_compile_onnx(m, msize, &target, NULL, &img, &size));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "node 'fancy' (FancyOp)"));
	free(m);
}

TEST(debug_print)
{
	const char *dims[] = { "batch=1" };
	struct xpu_model_options mo = { .size = sizeof(mo), .dims = dims, .num_dims = 1,
					.flags = XPU_MODEL_DEBUG_PRINT };
	char path[] = "/tmp/xpu-graph-debug-XXXXXX", text[1 << 16];
	int fd = mkstemp(path), saved = dup(2);
	void *img = NULL, *m;
	size_t size, msize, n;
	FILE *f;

	m = gt_load("fuse_matmul", &msize);
	ASSERT_NE(NULL, m);
	ASSERT_LE(0, fd);
	fflush(stderr);
	dup2(fd, 2);
	EXPECT_EQ(XPU_SUCCESS, xpu_model_compile_onnx(m, msize, &target, &mo, &img, &size));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_SET);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	unlink(path);
	/* every pass is printed; the fused node and the plan show */
	EXPECT_NE(NULL, strstr(text, "== after import"));
	EXPECT_NE(NULL, strstr(text, "== after fuse"));
	EXPECT_NE(NULL, strstr(text, "== after plan"));
	EXPECT_NE(NULL, strstr(text, "FusedMatMul("));
	EXPECT_NE(NULL, strstr(text, "plan: arena"));
	EXPECT_EQ(NULL, strstr(text, "validator:")) TH_LOG("%s", text);
	free(img);
	free(m);
}

TEST(gpt_compiles_runs_and_matches_reference)
{
	struct xpu_host_config c = rt_host_config();
	const char *dims[] = { "batch=1" };
	struct xpu_model_options mo = { .size = sizeof(mo), .dims = dims, .num_dims = 1 };
	struct xpu_graph_info info;
	struct xpu_tensor_info in, out;
	struct xpu_host_tensor hi, ho;
	int64_t idx[16];
	float *logits, *ref;
	xpu_device *dev;
	xpu_stream *s;
	xpu_graph *gr;
	void *img = NULL, *m;
	size_t size, msize;
	uint64_t seed = 7;

	m = gt_load("gpt", &msize);
	ASSERT_NE(NULL, m);
	XOK(xpu_model_compile_onnx(m, msize, &target, &mo, &img, &size));
	XOK(xpu_device_open_host(&c, &dev));
	XOK(xpu_graph_load(dev, img, size, &gr));
	XOK(xpu_graph_get_info(gr, &info));
	EXPECT_EQ(1, info.num_inputs);
	EXPECT_EQ(1, info.num_outputs);
	EXPECT_LT(0, info.arena_size);
	EXPECT_LT(0, info.const_size);
	EXPECT_EQ(0, info.arena_size % 64);
	XOK(xpu_graph_input_info(gr, 0, &in));
	EXPECT_STREQ("idx", in.name);
	EXPECT_EQ(2, in.ndim);
	EXPECT_EQ(16, in.dims[1]);
	XOK(xpu_graph_output_info(gr, 0, &out));
	EXPECT_STREQ("logits", out.name);
	EXPECT_EQ(16 * 40 * 4, out.size);
	printf("# gpt test model: %u launches, arena %llu bytes, constants %llu bytes\n",
	       info.num_launches, (unsigned long long)info.arena_size,
	       (unsigned long long)info.const_size);
	for (int i = 0; i < 16; i++)
		idx[i] = rt_rand(&seed) % 40;
	logits = calloc(16 * 40, sizeof(float));
	ref = calloc(16 * 40, sizeof(float));
	XOK(xpu_graph_set_input(gr, "idx", idx, sizeof(idx)));
	XOK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	XOK(xpu_graph_run(gr, s));
	XOK(xpu_stream_synchronize(s, 10000000000ull));
	XOK(xpu_graph_get_output(gr, "logits", logits, out.size));
	hi = (struct xpu_host_tensor){ "idx", idx, sizeof(idx) };
	ho = (struct xpu_host_tensor){ "logits", ref, out.size };
	XOK(xpu_model_reference_onnx(m, msize, &target, &mo, &hi, 1, &ho, 1));
	EXPECT_EQ(0, memcmp(logits, ref, out.size)) {
		for (int i = 0; i < 16 * 40; i++)
			if (logits[i] != ref[i]) {
				TH_LOG("logit %d: device %g, reference %g", i, logits[i], ref[i]);
				break;
			}
	}
	xpu_stream_destroy(s);
	xpu_graph_destroy(gr);
	xpu_device_close(dev);
	free(logits);
	free(ref);
	free(img);
	free(m);
}

TEST_HARNESS_MAIN
