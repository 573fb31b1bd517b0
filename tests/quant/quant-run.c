// SPDX-License-Identifier: MIT
/*
 * quant-run: the quantiser test's runner (tests/quant/quant-test.sh). Runs a
 * classifier compiled from ONNX over every image of a held-out test set
 * (test.bin of examples/cnn/train.py, format examples/cnn/classify.h) on the
 * host backend, one graph run per image batch, and compares every output
 * with xpu_model_reference_onnx() of the .onnx it was compiled from, bit for
 * bit. Prints, one per line (the test parses them):
 *   accuracy: P% (C/N)
 *   reference: identical for I of N images
 *   modeled cycles per run: X (K kernels per run)
 * The model has one fp32 input of B images and one output [B, classes]; a
 * last partial batch is padded with copies of the last image.
 *
 * usage: quant-run MODEL.xpu MODEL.onnx TEST.bin
 * Exit status 0 when every output equals the reference, 1 otherwise or on
 * any error (named on stderr), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"
#include "xpu/xpu_elf.h"
#include "xpu/xpu_graph.h"
#define EX_PROG "quant-run"
#include "example.h"
#include "classify.h"

int main(int argc, char **argv)
{
	struct xpu_model_options opt = { .size = sizeof(opt) };
	struct xpu_tensor_info ii, oi;
	struct xpu_graph_info gi;
	struct xpu_device_props p;
	struct xpu_cc_target t;
	struct cls_test_hdr *h;
	xpu_device *dev;
	xpu_stream *s;
	xpu_event *e0, *e1;
	xpu_graph *g;
	size_t tsize, osize;
	uint64_t cycles = 0, runs = 0;
	uint32_t n, B, correct = 0, same = 0;
	const uint8_t *labels;
	const float *x;
	float *in, *out, *ref;
	void *onnx;

	if (argc != 4) {
		fprintf(stderr, "usage: quant-run MODEL.xpu MODEL.onnx TEST.bin\n");
		return 2;
	}
	onnx = ex_read_file_or_exit(argv[2], &osize);
	h = ex_read_file_or_exit(argv[3], &tsize);
	if (!cls_test_valid(h, tsize)) {
		fprintf(stderr, "quant-run: %s is not a valid test set\n", argv[3]);
		return 1;
	}
	n = h->n;
	x = (const float *)(h + 1);
	labels = (const uint8_t *)(x + (size_t)n * h->in);

	CHECK(xpu_device_open_host(NULL, &dev));
	CHECK(xpu_device_get_props(dev, &p));
	CHECK(xpu_cc_target_from_props(&p, &t));
	CHECK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	CHECK(xpu_event_create(dev, &e0));
	CHECK(xpu_event_create(dev, &e1));
	CHECK(xpu_graph_load_file(dev, argv[1], &g));
	CHECK(xpu_graph_get_info(g, &gi));
	opt.precision = gi.precision & XPU_GRAPH_F_PREC_MASK;
	if (gi.num_inputs != 1 || gi.num_outputs != 1) {
		fprintf(stderr, "quant-run: %s: one input and one output expected\n", argv[1]);
		return 1;
	}
	CHECK(xpu_graph_input_info(g, 0, &ii));
	CHECK(xpu_graph_output_info(g, 0, &oi));
	B = ii.ndim ? (uint32_t)ii.dims[0] : 0;
	if (ii.dtype != XPU_DT_F32 || oi.dtype != XPU_DT_F32 || !B ||
	    ii.size != (uint64_t)B * 4 * h->in || oi.ndim != 2 || oi.dims[0] != B ||
	    oi.dims[1] != h->classes) {
		fprintf(stderr, "quant-run: %s: input/output shapes do not fit the test set "
			"(%u values per image, %u classes)\n", argv[1], h->in, h->classes);
		return 1;
	}
	in = malloc(ii.size);
	out = malloc(oi.size);
	ref = malloc(oi.size);
	if (!in || !out || !ref) {
		fprintf(stderr, "quant-run: out of memory\n");
		return 1;
	}
	for (uint32_t b0 = 0; b0 < n; b0 += B) {
		struct xpu_host_tensor rin = { ii.name, in, ii.size };
		struct xpu_host_tensor rout = { oi.name, ref, oi.size };
		uint64_t c = 0;

		for (uint32_t i = 0; i < B; i++)
			memcpy(in + (size_t)i * h->in, x + (size_t)(b0 + i < n ? b0 + i : n - 1) * h->in,
			       4 * h->in);
		CHECK(xpu_graph_set_input(g, ii.name, in, ii.size));
		CHECK(xpu_event_record(e0, s));
		CHECK(xpu_graph_run(g, s));
		CHECK(xpu_event_record(e1, s));
		CHECK(xpu_event_synchronize(e1, XPU_WAIT_FOREVER));
		CHECK(xpu_event_elapsed(e0, e1, &c, NULL));
		cycles += c;
		runs++;
		CHECK(xpu_graph_get_output(g, oi.name, out, oi.size));
		CHECK(xpu_model_reference_onnx(onnx, osize, &t, &opt, &rin, 1, &rout, 1));
		for (uint32_t i = 0; i < B && b0 + i < n; i++) {
			size_t o = (size_t)i * h->classes;

			same += !memcmp(out + o, ref + o, 4 * h->classes);
			correct += ex_argmax(out + o, h->classes) == labels[b0 + i];
		}
	}
	printf("accuracy: %.2f%% (%u/%u)\n", 100.0 * correct / n, correct, n);
	printf("reference: identical for %u of %u images\n", same, n);
	printf("modeled cycles per run: %llu (%u kernels per run)\n",
	       (unsigned long long)(cycles / runs), gi.num_launches);
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
	return same == n ? 0 : 1;
}
