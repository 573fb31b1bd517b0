// SPDX-License-Identifier: MIT
/*
 * xpu-digits: handwritten digit recognition on the XPU. Loads the int8 MLP
 * and the held-out test split trained at build time (examples/digits/
 * train.c), compiles the two layers for the device with the libxpu kernel
 * compiler (int8 matmul + bias + ReLU + requantisation, then int8 matmul +
 * bias to int32 logits), runs the whole test set as one batch, and checks
 * every prediction against a CPU reference of the same quantised network.
 *
 * usage: xpu-digits [--host] [--data DIR]   (DIR default /usr/share/xpu/digits,
 *        or ../share/xpu/digits next to the program)
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#define EX_PROG "xpu-digits"
#include "../common/example.h"
#include "digits.h"

/* The device's VQNT: int8 = sat(rne(double(x) * double(scale)) + 0) */
static int8_t requant(int32_t x, float scale)
{
	double v = (double)x * (double)scale;

	if (v > 1e12)
		v = 1e12;
	if (v < -1e12)
		v = -1e12;
	v = nearbyint(v);	/* default rounding mode: half to even */
	return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}

static int argmax(const int32_t *v)
{
	int b = 0;

	for (int k = 1; k < DIGITS_OUT; k++)
		if (v[k] > v[b])
			b = k;
	return b;
}

/* CPU reference of the quantised network, integer exact */
static void cpu_forward(const struct digits_model *m, const int8_t *x, int32_t *logits)
{
	int8_t h[DIGITS_HIDDEN];

	for (int j = 0; j < DIGITS_HIDDEN; j++) {
		int32_t acc = m->b1[j];

		for (int i = 0; i < DIGITS_IN; i++)
			acc += x[i] * m->w1[i * DIGITS_HIDDEN + j];
		h[j] = requant(acc > 0 ? acc : 0, m->scale1);
	}
	for (int k = 0; k < DIGITS_OUT; k++) {
		int32_t acc = m->b2[k];

		for (int j = 0; j < DIGITS_HIDDEN; j++)
			acc += h[j] * m->w2[j * DIGITS_OUT + k];
		logits[k] = acc;
	}
}

int main(int argc, char **argv)
{
	const char *data = NULL;
	int host = 0;
	struct digits_model *m;
	struct digits_test_hdr *th;
	struct xpu_device_props p;
	struct xpu_cc_target t;
	struct xpu_cc_matmul l1 = { 0 }, l2 = { 0 };
	xpu_device *dev;
	xpu_cc *cc;
	xpu_module *mod;
	xpu_kernel *k1, *k2;
	xpu_stream *s;
	xpu_event *e0, *e1, *e2;
	xpu_buffer *bx, *bw1, *bb1, *bh, *bw2, *bb2, *bo;
	size_t msize, tsize, size;
	const int8_t *x;
	const uint8_t *labels;
	int32_t *logits, ref[DIGITS_OUT];
	uint32_t n;
	int correct = 0, match = 0;
	uint64_t c1, c2;
	double us1, us2;
	void *img;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host"))
			host = 1;
		else if (!strcmp(argv[i], "--data") && i + 1 < argc)
			data = argv[++i];
		else {
			fprintf(stderr, "usage: xpu-digits [--host] [--data DIR]\n");
			return 2;
		}
	}
	data = ex_find_data(data, "digits", "model.bin");
	m = ex_read_data(data, "model.bin", &msize);
	th = ex_read_data(data, "test.bin", &tsize);
	if (!m || !th || msize != sizeof(*m) || m->magic != DIGITS_MODEL_MAGIC ||
	    th->magic != DIGITS_TEST_MAGIC || tsize != sizeof(*th) + th->n * (DIGITS_IN + 1)) {
		fprintf(stderr, "xpu-digits: no valid model.bin/test.bin in %s\n", data);
		return 1;
	}
	n = th->n;
	x = (const int8_t *)(th + 1);
	labels = (const uint8_t *)(x + (size_t)n * DIGITS_IN);

	if (host)
		CHECK(xpu_device_open_host(NULL, &dev));
	else
		CHECK(xpu_device_open(0, &dev));
	CHECK(xpu_device_get_props(dev, &p));
	printf("xpu-digits: %s device %s (%ux%u array, %u MHz)\n",
	       p.backend == XPU_BACKEND_HOST ? "host-backend" : "DRM", p.node, p.array_rows,
	       p.array_cols, p.clock_mhz);
	printf("model: 64-%u-10 int8 MLP trained at build time, %u held-out test images\n",
	       m->hidden, n);

	/* compile both layers for this device */
	CHECK(xpu_cc_target_from_props(&p, &t));
	CHECK(xpu_cc_create(&t, &cc));
	l1 = (struct xpu_cc_matmul){ n, DIGITS_IN, DIGITS_HIDDEN, XPU_DT_I8, XPU_DT_I8, 1,
				     XPU_ACT_RELU, m->scale1, 0 };
	l2 = (struct xpu_cc_matmul){ n, DIGITS_HIDDEN, DIGITS_OUT, XPU_DT_I8, XPU_DT_I32, 1,
				     XPU_ACT_NONE, 0, 0 };
	CHECK(xpu_cc_matmul(cc, "fc1_relu_requant", &l1));
	CHECK(xpu_cc_matmul(cc, "fc2", &l2));
	CHECK(xpu_cc_emit(cc, &img, &size));
	xpu_cc_destroy(cc);
	CHECK(xpu_module_load(dev, img, size, &mod));
	free(img);
	CHECK(xpu_kernel_create(mod, "fc1_relu_requant", &k1));
	CHECK(xpu_kernel_create(mod, "fc2", &k2));

	CHECK(xpu_buffer_alloc(dev, (size_t)n * DIGITS_IN, XPU_MEM_DEVICE, &bx));
	CHECK(xpu_buffer_alloc(dev, sizeof(m->w1), XPU_MEM_READ_ONLY, &bw1));
	CHECK(xpu_buffer_alloc(dev, sizeof(m->b1), XPU_MEM_READ_ONLY, &bb1));
	CHECK(xpu_buffer_alloc(dev, (size_t)n * DIGITS_HIDDEN, XPU_MEM_DEVICE, &bh));
	CHECK(xpu_buffer_alloc(dev, sizeof(m->w2), XPU_MEM_READ_ONLY, &bw2));
	CHECK(xpu_buffer_alloc(dev, sizeof(m->b2), XPU_MEM_READ_ONLY, &bb2));
	CHECK(xpu_buffer_alloc(dev, (size_t)n * DIGITS_OUT * 4, XPU_MEM_DEVICE, &bo));
	CHECK(xpu_buffer_write(bw1, 0, m->w1, sizeof(m->w1)));
	CHECK(xpu_buffer_write(bb1, 0, m->b1, sizeof(m->b1)));
	CHECK(xpu_buffer_write(bw2, 0, m->w2, sizeof(m->w2)));
	CHECK(xpu_buffer_write(bb2, 0, m->b2, sizeof(m->b2)));

	CHECK(xpu_kernel_set_arg_buffer(k1, 0, bx, 0));
	CHECK(xpu_kernel_set_arg_buffer(k1, 1, bw1, 0));
	CHECK(xpu_kernel_set_arg_buffer(k1, 2, bh, 0));
	CHECK(xpu_kernel_set_arg_buffer(k1, 3, bb1, 0));
	CHECK(xpu_kernel_set_arg_buffer(k2, 0, bh, 0));
	CHECK(xpu_kernel_set_arg_buffer(k2, 1, bw2, 0));
	CHECK(xpu_kernel_set_arg_buffer(k2, 2, bo, 0));
	CHECK(xpu_kernel_set_arg_buffer(k2, 3, bb2, 0));

	logits = malloc((size_t)n * DIGITS_OUT * 4);
	CHECK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	CHECK(xpu_event_create(dev, &e0));
	CHECK(xpu_event_create(dev, &e1));
	CHECK(xpu_event_create(dev, &e2));
	CHECK(xpu_write_async(s, bx, 0, x, (size_t)n * DIGITS_IN));
	CHECK(xpu_event_record(e0, s));
	CHECK(xpu_launch(s, k1));
	CHECK(xpu_event_record(e1, s));
	CHECK(xpu_launch(s, k2));
	CHECK(xpu_event_record(e2, s));
	CHECK(xpu_read_async(s, bo, 0, logits, (size_t)n * DIGITS_OUT * 4));
	CHECK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	CHECK(xpu_event_elapsed(e0, e1, &c1, &us1));
	CHECK(xpu_event_elapsed(e1, e2, &c2, &us2));

	for (uint32_t i = 0; i < n; i++) {
		int pred = argmax(logits + (size_t)i * DIGITS_OUT);

		cpu_forward(m, x + (size_t)i * DIGITS_IN, ref);
		match += pred == argmax(ref) &&
			 !memcmp(ref, logits + (size_t)i * DIGITS_OUT, sizeof(ref));
		correct += pred == labels[i];
	}
	printf("held-out accuracy: %.2f%% (%d/%u) int8 on the XPU; float model %.2f%%\n",
	       100.0 * correct / n, correct, n, 100.0 * m->float_accuracy);
	printf("CPU reference of the quantised network: %d/%u predictions and logits identical: %s\n",
	       match, n, match == (int)n ? "OK" : "MISMATCH");
	printf("modeled device time: fc1 %llu cycles + fc2 %llu cycles = %.2f us at %u MHz "
	       "(%.3f us per image)\n", (unsigned long long)c1, (unsigned long long)c2, us1 + us2,
	       p.clock_mhz, (us1 + us2) / n);

	xpu_event_destroy(e0);
	xpu_event_destroy(e1);
	xpu_event_destroy(e2);
	xpu_stream_destroy(s);
	xpu_buffer_free(bx);
	xpu_buffer_free(bw1);
	xpu_buffer_free(bb1);
	xpu_buffer_free(bh);
	xpu_buffer_free(bw2);
	xpu_buffer_free(bb2);
	xpu_buffer_free(bo);
	xpu_kernel_destroy(k1);
	xpu_kernel_destroy(k2);
	xpu_module_unload(mod);
	xpu_device_close(dev);
	free(logits);
	free(m);
	free(th);
	return match == (int)n ? 0 : 1;
}
