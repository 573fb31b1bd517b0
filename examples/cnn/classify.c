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
#include "cls-run.h"
#include "model-load.h"

/* images compared with the CPU reference (it compiles the model per call) */
#define REF_IMAGES 64

int main(int argc, char **argv)
{
	const char *model = NULL, *test = NULL, *onnx_path = NULL;
	struct xpu_host_config hc = { 0 };
	struct cls_set ts;
	struct cls_run r;
	xpu_device *dev;
	xpu_graph *g;
	void *onnx = NULL;
	size_t osize = 0;
	uint32_t B, n, classes;
	int host = 0, correct = 0, agree = 0, same = 1, compiled;
	uint64_t cycles = 0;
	double worst = 0, t0;
	struct timespec tv;

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
	cls_set_load(test, &ts);
	n = ts.h->n;
	classes = ts.h->classes;
	if (onnx_path)
		onnx = ex_read_file_or_exit(onnx_path, &osize);

	CHECK(host ? xpu_device_open_host(&hc, &dev) : xpu_device_open(0, &dev));
	CHECK(model_load(dev, model, onnx, osize, XPU_GRAPH_F_PREC_BF16, &g, &compiled));
	cls_run_init(&r, dev, g, model, &ts);
	B = r.B;
	printf("xpu-classify: %s on %s device %s (%ux%u array%s): %u test images, batch %u, "
	       "%u kernels per run\n", model, r.p.backend == XPU_BACKEND_HOST ? "host-backend" : "DRM",
	       r.p.node, r.p.array_rows, r.p.array_cols, compiled ? ", model compiled for it" : "",
	       n, B, r.gi.num_launches);
	clock_gettime(CLOCK_MONOTONIC, &tv);
	t0 = tv.tv_sec + tv.tv_nsec * 1e-9;
	for (uint32_t b0 = 0; b0 < n; b0 += B) {
		cycles += cls_run_batch(&r, &ts, b0);
		if (onnx && b0 < REF_IMAGES) {
			cls_run_reference(&r, onnx, osize);
			if (memcmp(r.out, r.ref, r.oi.size))
				same = 0;
		}
		for (uint32_t i = 0; i < B && b0 + i < n; i++) {
			const float *o = r.out + (size_t)i * classes;
			const float *l = ts.logits + (size_t)(b0 + i) * classes;

			correct += ex_argmax(o, classes) == ts.labels[b0 + i];
			agree += ex_argmax(o, classes) == ex_argmax(l, classes);
			for (uint32_t k = 0; k < classes; k++)
				worst = fmax(worst, fabs((double)o[k] - l[k]));
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &tv);
	printf("held-out accuracy: %.2f%% (%d/%u)\n", 100.0 * correct / n, correct, n);
	printf("top-1 agreement with PyTorch fp32: %.2f%% (%d/%u), max |logit - torch| %.3g\n",
	       100.0 * agree / n, agree, n, worst);
	printf("%.0f images/s wall, %.0f images/s modeled at %u MHz (%llu cycles per run)\n",
	       n / (tv.tv_sec + tv.tv_nsec * 1e-9 - t0), (double)n * r.p.clock_mhz * 1e6 / cycles,
	       r.p.clock_mhz, (unsigned long long)(cycles / ((n + B - 1) / B)));
	if (onnx)
		printf("identical to the CPU reference (first %u images): %s\n",
		       n < REF_IMAGES ? n : REF_IMAGES, same ? "OK" : "FAILED");
	cls_run_destroy(&r);
	free(onnx);
	free(ts.h);
	return same ? 0 : 1;
}
