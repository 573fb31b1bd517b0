// SPDX-License-Identifier: MIT
/*
 * xpu-hello: the complete small program of docs/runtime.md. It assembles a
 * vector-add kernel, loads it, runs it on a stream and checks the result.
 * Runs on the first device, or on the host backend with --host.
 */
#include <stdio.h>
#include <string.h>

#include "xpu/xpu.h"

static const char *source =
	".kernel vadd_i32\n"
	".arg a buffer\n"
	".arg b buffer\n"
	".arg c buffer\n"
	".arg n u64\n"
	"	ld r3, 0(r1)		# a (device VA)\n"
	"	ld r4, 8(r1)		# b\n"
	"	ld r5, 16(r1)		# c\n"
	"	ld r6, 24(r1)		# n\n"
	"	shli r7, r6, 2		# bytes\n"
	"	li r8, 0		# a at scratchpad 0\n"
	"	dma.v2l r8, r3, r7\n"
	"	add r9, r8, r7		# b right after it\n"
	"	dma.v2l r9, r4, r7\n"
	"	li r10, 1\n"
	"	vcfg r10, r6		# 1 x n vector\n"
	"	vadd.i32 r8, r8, r9\n"
	"	dma.l2v r5, r8, r7\n"
	"	halt\n"
	".end\n";

#define CHECK(call) do { \
	xpu_status st_ = (call); \
	if (st_ != XPU_SUCCESS) { \
		fprintf(stderr, "%s failed: %s: %s\n", #call, xpu_status_string(st_), \
			xpu_last_error()); \
		return 1; \
	} \
} while (0)

int main(int argc, char **argv)
{
	enum { N = 1000 };
	int32_t a[N], b[N], c[N];
	xpu_device *dev;
	xpu_buffer *ba, *bb, *bc;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	xpu_event *t0, *t1;
	void *image;
	size_t size;
	uint64_t cycles;
	double us;

	for (int i = 0; i < N; i++) {
		a[i] = i;
		b[i] = 1000 * i;
	}
	if (argc > 1 && !strcmp(argv[1], "--host"))
		CHECK(xpu_device_open_host(NULL, &dev));
	else
		CHECK(xpu_device_open(0, &dev));
	CHECK(xpu_assemble(source, "vadd.s", &image, &size));
	CHECK(xpu_module_load(dev, image, size, &mod));
	CHECK(xpu_kernel_create(mod, "vadd_i32", &k));
	CHECK(xpu_buffer_alloc(dev, sizeof(a), XPU_MEM_DEVICE, &ba));
	CHECK(xpu_buffer_alloc(dev, sizeof(b), XPU_MEM_DEVICE, &bb));
	CHECK(xpu_buffer_alloc(dev, sizeof(c), XPU_MEM_DEVICE, &bc));
	CHECK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	CHECK(xpu_event_create(dev, &t0));
	CHECK(xpu_event_create(dev, &t1));

	CHECK(xpu_write_async(s, ba, 0, a, sizeof(a)));
	CHECK(xpu_write_async(s, bb, 0, b, sizeof(b)));
	CHECK(xpu_kernel_set_arg_buffer(k, 0, ba, 0));
	CHECK(xpu_kernel_set_arg_buffer(k, 1, bb, 0));
	CHECK(xpu_kernel_set_arg_buffer(k, 2, bc, 0));
	CHECK(xpu_kernel_set_arg_u64(k, 3, N));
	CHECK(xpu_event_record(t0, s));
	CHECK(xpu_launch(s, k));
	CHECK(xpu_event_record(t1, s));
	CHECK(xpu_read_async(s, bc, 0, c, sizeof(c)));
	CHECK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	CHECK(xpu_event_elapsed(t0, t1, &cycles, &us));

	for (int i = 0; i < N; i++) {
		if (c[i] != a[i] + b[i]) {
			fprintf(stderr, "c[%d] = %d, expected %d\n", i, c[i], a[i] + b[i]);
			return 1;
		}
	}
	printf("vadd_i32 of %d elements: OK, %llu device cycles (%.2f us)\n", N,
	       (unsigned long long)cycles, us);
	xpu_event_destroy(t0);
	xpu_event_destroy(t1);
	xpu_stream_destroy(s);
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	xpu_buffer_free(bc);
	xpu_kernel_destroy(k);
	xpu_module_unload(mod);
	xpu_device_close(dev);
	return 0;
}
