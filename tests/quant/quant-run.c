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
#include "cls-run.h"

int main(int argc, char **argv)
{
	struct cls_set ts;
	struct cls_run r;
	xpu_device *dev;
	xpu_graph *g;
	size_t osize;
	uint64_t cycles = 0, runs = 0;
	uint32_t n, classes, correct = 0, same = 0;
	void *onnx;

	if (argc != 4) {
		fprintf(stderr, "usage: quant-run MODEL.xpu MODEL.onnx TEST.bin\n");
		return 2;
	}
	onnx = ex_read_file_or_exit(argv[2], &osize);
	cls_set_load(argv[3], &ts);
	n = ts.h->n;
	classes = ts.h->classes;

	CHECK(xpu_device_open_host(NULL, &dev));
	CHECK(xpu_graph_load_file(dev, argv[1], &g));
	cls_run_init(&r, dev, g, argv[1], &ts);
	for (uint32_t b0 = 0; b0 < n; b0 += r.B, runs++) {
		cycles += cls_run_batch(&r, &ts, b0);
		cls_run_reference(&r, onnx, osize);
		for (uint32_t i = 0; i < r.B && b0 + i < n; i++) {
			size_t o = (size_t)i * classes;

			same += !memcmp(r.out + o, r.ref + o, 4 * (size_t)classes);
			correct += ex_argmax(r.out + o, classes) == ts.labels[b0 + i];
		}
	}
	printf("accuracy: %.2f%% (%u/%u)\n", 100.0 * correct / n, correct, n);
	printf("reference: identical for %u of %u images\n", same, n);
	printf("modeled cycles per run: %llu (%u kernels per run)\n",
	       (unsigned long long)(cycles / runs), r.gi.num_launches);
	cls_run_destroy(&r);
	free(onnx);
	free(ts.h);
	return same == n ? 0 : 1;
}
