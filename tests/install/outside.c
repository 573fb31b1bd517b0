// SPDX-License-Identifier: MIT
/*
 * An "outside" program: built only from what `pkg-config libxpu` gives (the
 * installed tree or the uninstalled build-tree .pc), never from the source
 * tree's paths. It compiles an int8 matmul with the kernel compiler, runs it
 * on device 0 (XPU_BACKEND=host: the host backend; in the VM: the driver)
 * and checks the result against a plain C loop. Used by
 * tests/install/install-test.sh and tests/install/vm-add-test.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <xpu/xpu.h>
#include <xpu/xpu_compiler.h>

#define M 5
#define K 9
#define N 7

#define CHECK(call) do { \
	xpu_status st_ = (call); \
	if (st_ != XPU_SUCCESS) { \
		fprintf(stderr, "xpu-outside: %s: %s: %s\n", #call, xpu_status_string(st_), \
			xpu_last_error()); \
		return 1; \
	} \
} while (0)

int main(void)
{
	struct xpu_cc_matmul d = { .m = M, .k = K, .n = N, .in_type = XPU_DT_I8,
				   .out_type = XPU_DT_I32 };
	int8_t a[M * K], b[K * N];
	int32_t c[M * N];
	struct xpu_device_props p;
	struct xpu_cc_target t;
	xpu_device *dev;
	xpu_buffer *ba, *bb, *bc;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	xpu_cc *cc;
	void *img;
	size_t size;

	for (int i = 0; i < M * K; i++)
		a[i] = (int8_t)(i * 7 % 23 - 11);
	for (int i = 0; i < K * N; i++)
		b[i] = (int8_t)(i * 5 % 19 - 9);
	CHECK(xpu_device_open(0, &dev));
	CHECK(xpu_device_get_props(dev, &p));
	CHECK(xpu_cc_target_from_props(&p, &t));
	CHECK(xpu_cc_create(&t, &cc));
	CHECK(xpu_cc_matmul(cc, "mm", &d));
	CHECK(xpu_cc_emit(cc, &img, &size));
	xpu_cc_destroy(cc);
	CHECK(xpu_module_load(dev, img, size, &mod));
	free(img);
	CHECK(xpu_kernel_create(mod, "mm", &k));
	CHECK(xpu_buffer_alloc(dev, sizeof(a), XPU_MEM_DEVICE, &ba));
	CHECK(xpu_buffer_alloc(dev, sizeof(b), XPU_MEM_DEVICE, &bb));
	CHECK(xpu_buffer_alloc(dev, sizeof(c), XPU_MEM_DEVICE, &bc));
	CHECK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	CHECK(xpu_write_async(s, ba, 0, a, sizeof(a)));
	CHECK(xpu_write_async(s, bb, 0, b, sizeof(b)));
	CHECK(xpu_kernel_set_arg_buffer(k, 0, ba, 0));
	CHECK(xpu_kernel_set_arg_buffer(k, 1, bb, 0));
	CHECK(xpu_kernel_set_arg_buffer(k, 2, bc, 0));
	CHECK(xpu_launch(s, k));
	CHECK(xpu_read_async(s, bc, 0, c, sizeof(c)));
	CHECK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			int32_t want = 0;

			for (int l = 0; l < K; l++)
				want += a[i * K + l] * b[l * N + j];
			if (c[i * N + j] != want) {
				fprintf(stderr, "xpu-outside: c[%d][%d] = %d, expected %d\n", i, j,
					c[i * N + j], want);
				return 1;
			}
		}
	printf("xpu-outside: int8 matmul %dx%dx%d on the %s backend: OK\n", M, K, N,
	       p.backend == XPU_BACKEND_HOST ? "host" : "drm");
	xpu_stream_destroy(s);
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	xpu_buffer_free(bc);
	xpu_kernel_destroy(k);
	xpu_module_unload(mod);
	xpu_device_close(dev);
	return 0;
}
