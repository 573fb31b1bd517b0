/* SPDX-License-Identifier: MIT */
/*
 * Running a classifier compiled from ONNX over a test set (classify.h), one
 * graph run per batch of B images: what xpu-classify and the quantiser
 * test's runner (tests/quant/quant-run.c) share. The model has one fp32
 * input of B images (h->in values each, any shape) and one output
 * [B, classes]; a last partial batch is padded with copies of the last
 * image. Errors exit 1 naming the problem (CHECK of example.h); include
 * example.h (with EX_PROG) first.
 */
#ifndef CLS_RUN_H
#define CLS_RUN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#include "xpu/xpu_graph.h"
#include "classify.h"

/* A test set in memory: the file and its three arrays. */
struct cls_set {
	struct cls_test_hdr *h;		/* the whole file (malloc'ed) */
	const float *x;			/* [n][in] images */
	const uint8_t *labels;		/* [n] */
	const float *logits;		/* [n][classes]: PyTorch's fp32 outputs */
};

/* A graph with its stream, timing events and one batch's host buffers. */
struct cls_run {
	xpu_device *dev;
	xpu_graph *g;
	xpu_stream *s;
	xpu_event *e0, *e1;
	struct xpu_device_props p;
	struct xpu_graph_info gi;
	struct xpu_tensor_info ii, oi;
	uint32_t B;			/* images per run */
	float *in, *out, *ref;		/* [B][in], [B][classes], reference [B][classes] */
};

/* Read the test set path into *t, or exit 1 naming it. */
static inline void cls_set_load(const char *path, struct cls_set *t)
{
	size_t size;

	t->h = ex_read_file_or_exit(path, &size);
	if (!cls_test_valid(t->h, size)) {
		fprintf(stderr, EX_PROG ": %s is not a valid test set\n", path);
		exit(1);
	}
	t->x = (const float *)(t->h + 1);
	t->labels = (const uint8_t *)(t->x + (size_t)t->h->n * t->h->in);
	t->logits = (const float *)(t->labels + ((t->h->n + 3) & ~3u));
}

/*
 * Set r up to run graph g (loaded from `model`, named in messages) on dev
 * over test set t: a stream, two events, the host buffers; exit 1 if the
 * graph's input and output do not fit t. r owns dev and g from here on.
 */
static inline void cls_run_init(struct cls_run *r, xpu_device *dev, xpu_graph *g,
				const char *model, const struct cls_set *t)
{
	const struct cls_test_hdr *h = t->h;

	memset(r, 0, sizeof(*r));
	r->dev = dev;
	r->g = g;
	CHECK(xpu_device_get_props(dev, &r->p));
	CHECK(xpu_stream_create(dev, XPU_QUEUE_ANY, &r->s));
	CHECK(xpu_event_create(dev, &r->e0));
	CHECK(xpu_event_create(dev, &r->e1));
	CHECK(xpu_graph_get_info(g, &r->gi));
	if (r->gi.num_inputs != 1 || r->gi.num_outputs != 1) {
		fprintf(stderr, EX_PROG ": %s: one input and one output expected\n", model);
		exit(1);
	}
	CHECK(xpu_graph_input_info(g, 0, &r->ii));
	CHECK(xpu_graph_output_info(g, 0, &r->oi));
	r->B = r->ii.ndim ? (uint32_t)r->ii.dims[0] : 0;
	if (r->ii.dtype != XPU_DT_F32 || r->oi.dtype != XPU_DT_F32 || !r->B ||
	    r->ii.size != (uint64_t)r->B * 4 * h->in || r->oi.ndim != 2 ||
	    r->oi.dims[0] != r->B || r->oi.dims[1] != h->classes) {
		fprintf(stderr, EX_PROG ": %s: input/output shapes do not fit the test set "
			"(%u values per image, %u classes)\n", model, h->in, h->classes);
		exit(1);
	}
	r->in = malloc(r->ii.size);
	r->out = malloc(r->oi.size);
	r->ref = malloc(r->oi.size);
	if (!r->in || !r->out || !r->ref) {
		fprintf(stderr, EX_PROG ": out of memory\n");
		exit(1);
	}
}

/* Run images b0 .. b0 + B - 1 of t (past the last: copies of it); the
 * outputs in r->out. Returns the run's modeled device cycles. */
static inline uint64_t cls_run_batch(struct cls_run *r, const struct cls_set *t, uint32_t b0)
{
	uint32_t n = t->h->n, in = t->h->in;
	uint64_t c = 0;

	for (uint32_t i = 0; i < r->B; i++) {
		uint32_t k = b0 + i < n ? b0 + i : n - 1;

		memcpy(r->in + (size_t)i * in, t->x + (size_t)k * in, 4 * (size_t)in);
	}
	CHECK(xpu_graph_set_input(r->g, r->ii.name, r->in, r->ii.size));
	CHECK(xpu_event_record(r->e0, r->s));
	CHECK(xpu_graph_run(r->g, r->s));
	CHECK(xpu_event_record(r->e1, r->s));
	CHECK(xpu_event_synchronize(r->e1, XPU_WAIT_FOREVER));
	CHECK(xpu_event_elapsed(r->e0, r->e1, &c, NULL));
	CHECK(xpu_graph_get_output(r->g, r->oi.name, r->out, r->oi.size));
	return c;
}

/* The CPU reference of the last batch's input (the model's .onnx, compiled
 * for r's device at the graph's precision) into r->ref. */
static inline void cls_run_reference(struct cls_run *r, const void *onnx, size_t size)
{
	struct xpu_model_options opt = { .size = sizeof(opt),
					 .precision = r->gi.precision & XPU_GRAPH_F_PREC_MASK };
	struct xpu_host_tensor rin = { r->ii.name, r->in, r->ii.size };
	struct xpu_host_tensor rout = { r->oi.name, r->ref, r->oi.size };
	struct xpu_cc_target t;

	CHECK(xpu_cc_target_from_props(&r->p, &t));
	CHECK(xpu_model_reference_onnx(onnx, size, &t, &opt, &rin, 1, &rout, 1));
}

/* Free everything r holds, the graph and the device included. */
static inline void cls_run_destroy(struct cls_run *r)
{
	xpu_graph_destroy(r->g);
	xpu_event_destroy(r->e0);
	xpu_event_destroy(r->e1);
	xpu_stream_destroy(r->s);
	xpu_device_close(r->dev);
	free(r->in);
	free(r->out);
	free(r->ref);
}

#endif
