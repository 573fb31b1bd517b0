// SPDX-License-Identifier: MIT
/*
 * xpu-classify: run an image classifier compiled from ONNX (xpu-cc
 * model.onnx -o model.xpu) over a held-out test set on the XPU, one graph run
 * per batch, and report its accuracy, its top-1 agreement with PyTorch's
 * fp32 logits and, given the .onnx too, whether the outputs of the first
 * REF_IMAGES images equal the CPU reference of the same numerics
 * (xpu_model_reference_onnx) bit for bit.
 * The model has one input and one output [batch, classes]; the input's
 * elements per image must be the test set's (any shape: [B,64], [B,1,8,8]).
 * The last batch is padded with copies of the last image.
 *
 * The .xpu is compiled for the default device configuration; on another
 * one (or the host backend with --array ROWSxCOLS) the .onnx is compiled
 * for the device instead, when given (model-load.h).
 *
 * usage: xpu-classify [--host | --array RxC] MODEL.xpu TEST.bin [MODEL.onnx]
 * Exit status 0 when everything ran (and matched the reference, if given).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xpu/xpu.h"
#include "xpu/xpu_elf.h"
#include "xpu/xpu_graph.h"
#define EX_PROG "xpu-classify"
#include "../common/example.h"
#include "classify.h"
#include "model-load.h"

/* images compared with the CPU reference (it compiles the model per call) */
#define REF_IMAGES 64

int main(int argc, char **argv)
{
	const char *model = NULL, *test = NULL, *onnx_path = NULL;
	struct xpu_tensor_info ii, oi;
	struct xpu_graph_info gi;
	struct xpu_device_props p;
	struct cls_test_hdr *h;
	xpu_device *dev;
	xpu_stream *s;
	xpu_event *e0, *e1;
	xpu_graph *g;
	void *onnx = NULL;
	size_t tsize, osize = 0;
	const float *x, *tl;
	const uint8_t *labels;
	float *in, *out, *ref;
	uint32_t B, n;
	int host = 0, correct = 0, agree = 0, same = 1, compiled;
	struct xpu_host_config hc = { 0 };
	uint64_t cycles = 0;
	double worst = 0, t0;
	struct timespec ts;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host"))
			host = 1;
		else if (!strcmp(argv[i], "--array") && i + 1 < argc &&
			 sscanf(argv[i + 1], "%ux%u", &hc.rows, &hc.cols) == 2 && hc.rows && hc.cols)
			host = 1, i++;
		else if (!model)
			model = argv[i];
		else if (!test)
			test = argv[i];
		else if (!onnx_path)
			onnx_path = argv[i];
		else
			model = NULL, i = argc;
	}
	if (!model || !test) {
		fprintf(stderr, "usage: xpu-classify [--host | --array RxC] MODEL.xpu TEST.bin [MODEL.onnx]\n");
		return 2;
	}
	h = ex_read_file_or_exit(test, &tsize);
	if (!cls_test_valid(h, tsize)) {
		fprintf(stderr, "xpu-classify: %s is not a valid test set\n", test);
		return 1;
	}
	n = h->n;
	x = (const float *)(h + 1);
	labels = (const uint8_t *)(x + (size_t)n * h->in);
	tl = (const float *)(labels + ((n + 3) & ~3u));
	if (onnx_path)
		onnx = ex_read_file_or_exit(onnx_path, &osize);

	CHECK(host ? xpu_device_open_host(&hc, &dev) : xpu_device_open(0, &dev));
	CHECK(xpu_device_get_props(dev, &p));
	CHECK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	CHECK(xpu_event_create(dev, &e0));
	CHECK(xpu_event_create(dev, &e1));
	CHECK(model_load(dev, model, onnx, osize, XPU_GRAPH_F_PREC_BF16, &g, &compiled));
	CHECK(xpu_graph_get_info(g, &gi));
	if (gi.num_inputs != 1 || gi.num_outputs != 1) {
		fprintf(stderr, "xpu-classify: %s: one input and one output expected\n", model);
		return 1;
	}
	CHECK(xpu_graph_input_info(g, 0, &ii));
	CHECK(xpu_graph_output_info(g, 0, &oi));
	B = ii.dims[0];
	if (ii.dtype != XPU_DT_F32 || oi.dtype != XPU_DT_F32 || !B || ii.size != (uint64_t)B * 4 * h->in ||
	    oi.ndim != 2 || oi.dims[0] != B || oi.dims[1] != h->classes) {
		fprintf(stderr, "xpu-classify: %s: input/output shapes do not fit the test set "
			"(%u values per image, %u classes)\n", model, h->in, h->classes);
		return 1;
	}
	printf("xpu-classify: %s on %s device %s (%ux%u array%s): %u test images, batch %u, "
	       "%u kernels per run\n", model, p.backend == XPU_BACKEND_HOST ? "host-backend" : "DRM",
	       p.node, p.array_rows, p.array_cols, compiled ? ", model compiled for it" : "", n, B,
	       gi.num_launches);
	in = malloc(ii.size);
	out = malloc(oi.size);
	ref = malloc(oi.size);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec * 1e-9;
	for (uint32_t b0 = 0; b0 < n; b0 += B) {
		uint64_t c = 0;

		for (uint32_t i = 0; i < B; i++) {
			uint32_t k = b0 + i < n ? b0 + i : n - 1;

			memcpy(in + (size_t)i * h->in, x + (size_t)k * h->in, 4 * h->in);
		}
		CHECK(xpu_graph_set_input(g, ii.name, in, ii.size));
		CHECK(xpu_event_record(e0, s));
		CHECK(xpu_graph_run(g, s));
		CHECK(xpu_event_record(e1, s));
		CHECK(xpu_event_synchronize(e1, XPU_WAIT_FOREVER));
		CHECK(xpu_event_elapsed(e0, e1, &c, NULL));
		cycles += c;
		CHECK(xpu_graph_get_output(g, oi.name, out, oi.size));
		if (onnx && b0 < REF_IMAGES) {
			struct xpu_model_options opt = { .size = sizeof(opt),
							 .precision = gi.precision & XPU_GRAPH_F_PREC_MASK };
			struct xpu_host_tensor rin = { ii.name, in, ii.size };
			struct xpu_host_tensor rout = { oi.name, ref, oi.size };
			struct xpu_cc_target t;

			CHECK(xpu_cc_target_from_props(&p, &t));
			CHECK(xpu_model_reference_onnx(onnx, osize, &t, &opt, &rin, 1, &rout, 1));
			if (memcmp(out, ref, oi.size))
				same = 0;
		}
		for (uint32_t i = 0; i < B && b0 + i < n; i++) {
			const float *o = out + (size_t)i * h->classes;
			const float *r = tl + (size_t)(b0 + i) * h->classes;

			correct += ex_argmax(o, h->classes) == labels[b0 + i];
			agree += ex_argmax(o, h->classes) == ex_argmax(r, h->classes);
			for (uint32_t k = 0; k < h->classes; k++)
				worst = fmax(worst, fabs((double)o[k] - r[k]));
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("held-out accuracy: %.2f%% (%d/%u)\n", 100.0 * correct / n, correct, n);
	printf("top-1 agreement with PyTorch fp32: %.2f%% (%d/%u), max |logit - torch| %.3g\n",
	       100.0 * agree / n, agree, n, worst);
	printf("%.0f images/s wall, %.0f images/s modeled at %u MHz (%llu cycles per run)\n",
	       n / (ts.tv_sec + ts.tv_nsec * 1e-9 - t0), (double)n * p.clock_mhz * 1e6 / cycles,
	       p.clock_mhz, (unsigned long long)(cycles / ((n + B - 1) / B)));
	if (onnx)
		printf("identical to the CPU reference (first %u images): %s\n",
		       n < REF_IMAGES ? n : REF_IMAGES, same ? "OK" : "FAILED");
	xpu_graph_destroy(g);
	xpu_event_destroy(e0);
	xpu_event_destroy(e1);
	xpu_stream_destroy(s);
	xpu_device_close(dev);
	free(in);
	free(out);
	free(ref);
	free(onnx);
	free(h);
	return same ? 0 : 1;
}
