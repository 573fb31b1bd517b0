// SPDX-License-Identifier: MIT
/*
 * xpu-matmul-demo: an M x K x N int8 matmul (default 1024 x 1024 x 1024,
 * int32 results) compiled for the device by the libxpu kernel compiler, run
 * through libxpu, checked against the CPU, with the modeled device time,
 * TOPS and systolic-array utilisation M*N*K / (cycles * rows * cols).
 *
 * usage: xpu-matmul-demo [--host] [M K N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"

#define CHECK(call) do { \
	xpu_status st_ = (call); \
	if (st_ != XPU_SUCCESS) { \
		fprintf(stderr, "xpu-matmul-demo: %s: %s: %s\n", #call, \
			xpu_status_string(st_), xpu_last_error()); \
		return 1; \
	} \
} while (0)

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

int main(int argc, char **argv)
{
	uint32_t M = 1024, K = 1024, N = 1024;
	int host = 0, argi = 1;
	struct xpu_device_props p;
	struct xpu_cc_target t;
	struct xpu_cc_matmul d = { 0 };
	xpu_device *dev;
	xpu_cc *cc;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	xpu_event *e0, *e1;
	xpu_buffer *ba, *bb, *bc;
	int8_t *a, *b;
	int32_t *c, *ref, *row;
	void *img;
	size_t size;
	uint64_t seed = 42, cycles, bad = 0;
	double us, macs, util, tops;

	if (argi < argc && !strcmp(argv[argi], "--host")) {
		host = 1;
		argi++;
	}
	if (argc - argi == 3) {
		M = atoi(argv[argi]);
		K = atoi(argv[argi + 1]);
		N = atoi(argv[argi + 2]);
	} else if (argc != argi) {
		fprintf(stderr, "usage: xpu-matmul-demo [--host] [M K N]\n");
		return 2;
	}
	if (host)
		CHECK(xpu_device_open_host(NULL, &dev));
	else
		CHECK(xpu_device_open(0, &dev));
	CHECK(xpu_device_get_props(dev, &p));
	printf("device: %s, %ux%u array, %u MHz, %u KiB scratchpad, %u KiB accumulator\n",
	       p.node, p.array_rows, p.array_cols, p.clock_mhz, p.spad_size >> 10, p.acc_size >> 10);

	/* compile for this device */
	CHECK(xpu_cc_target_from_props(&p, &t));
	CHECK(xpu_cc_create(&t, &cc));
	d.m = M;
	d.k = K;
	d.n = N;
	d.in_type = XPU_DT_I8;
	d.out_type = XPU_DT_I32;
	CHECK(xpu_cc_matmul(cc, "matmul", &d));
	CHECK(xpu_cc_emit(cc, &img, &size));
	xpu_cc_destroy(cc);
	CHECK(xpu_module_load(dev, img, size, &mod));
	free(img);
	CHECK(xpu_kernel_create(mod, "matmul", &k));

	a = malloc((size_t)M * K);
	b = malloc((size_t)K * N);
	c = malloc((size_t)M * N * 4);
	ref = calloc((size_t)M * N, 4);
	if (!a || !b || !c || !ref)
		return 1;
	for (size_t i = 0; i < (size_t)M * K; i++)
		a[i] = (int8_t)rnd(&seed);
	for (size_t i = 0; i < (size_t)K * N; i++)
		b[i] = (int8_t)rnd(&seed);

	CHECK(xpu_buffer_alloc(dev, (size_t)M * K, XPU_MEM_DEVICE, &ba));
	CHECK(xpu_buffer_alloc(dev, (size_t)K * N, XPU_MEM_DEVICE, &bb));
	CHECK(xpu_buffer_alloc(dev, (size_t)M * N * 4, XPU_MEM_DEVICE, &bc));
	CHECK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	CHECK(xpu_event_create(dev, &e0));
	CHECK(xpu_event_create(dev, &e1));
	CHECK(xpu_write_async(s, ba, 0, a, (size_t)M * K));
	CHECK(xpu_write_async(s, bb, 0, b, (size_t)K * N));
	CHECK(xpu_kernel_set_arg_buffer(k, 0, ba, 0));
	CHECK(xpu_kernel_set_arg_buffer(k, 1, bb, 0));
	CHECK(xpu_kernel_set_arg_buffer(k, 2, bc, 0));
	CHECK(xpu_event_record(e0, s));
	CHECK(xpu_launch(s, k));
	CHECK(xpu_event_record(e1, s));
	CHECK(xpu_read_async(s, bc, 0, c, (size_t)M * N * 4));
	CHECK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	CHECK(xpu_event_elapsed(e0, e1, &cycles, &us));

	/* CPU reference, int32 wrapping like the device */
	for (uint32_t i = 0; i < M; i++) {
		row = ref + (size_t)i * N;
		for (uint32_t kk = 0; kk < K; kk++) {
			int32_t av = a[(size_t)i * K + kk];
			const int8_t *br = b + (size_t)kk * N;

			for (uint32_t j = 0; j < N; j++)
				row[j] = (int32_t)((uint32_t)row[j] + (uint32_t)(av * br[j]));
		}
	}
	for (size_t i = 0; i < (size_t)M * N; i++)
		bad += c[i] != ref[i];

	macs = (double)M * K * N;
	util = macs / ((double)cycles * p.array_rows * p.array_cols);
	tops = 2 * macs / (us * 1e-6) / 1e12;
	printf("int8 matmul %ux%ux%u: %llu cycles = %.1f us at %u MHz\n", M, K, N,
	       (unsigned long long)cycles, us, p.clock_mhz);
	printf("modeled throughput: %.2f TOPS (peak %.2f), array utilisation %.1f%%\n", tops,
	       2.0 * p.array_rows * p.array_cols * p.clock_mhz * 1e6 / 1e12, util * 100);
	printf("check against the CPU: %s (%llu of %llu elements differ)\n", bad ? "FAILED" : "OK",
	       (unsigned long long)bad, (unsigned long long)M * N);

	xpu_event_destroy(e0);
	xpu_event_destroy(e1);
	xpu_stream_destroy(s);
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	xpu_buffer_free(bc);
	xpu_kernel_destroy(k);
	xpu_module_unload(mod);
	xpu_device_close(dev);
	free(a);
	free(b);
	free(c);
	free(ref);
	return bad ? 1 : 0;
}
