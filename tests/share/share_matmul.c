// SPDX-License-Identifier: MIT
/*
 * share-matmul: the user's program of the `xpu-vm --share` test
 * (tests/share/vm-share-test.sh), built outside the tree with nothing but
 * `pkg-config libxpu`. It reads an M x K and a K x N int8 matrix from files,
 * runs their int8 matmul on device 0 (the driver in the VM; XPU_BACKEND=host
 * on the host) and writes the M x N int32 result to a file: in the VM, all
 * three files are in the shared directory, and the host compares the result
 * with its own run.
 *
 * usage: share-matmul A.bin B.bin M K N C.bin
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xpu/xpu.h>
#include <xpu/xpu_compiler.h>

#define CHECK(call) do { \
	xpu_status st_ = (call); \
	if (st_ != XPU_SUCCESS) { \
		fprintf(stderr, "share-matmul: %s: %s: %s\n", #call, \
			xpu_status_string(st_), xpu_last_error()); \
		return 1; \
	} \
} while (0)

/* the whole file, which must hold exactly size bytes */
static void *read_file(const char *path, size_t size)
{
	FILE *f = fopen(path, "rb");
	char *p = malloc(size + 1);
	size_t got;

	if (!f || !p) {
		fprintf(stderr, "share-matmul: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		free(p);
		return NULL;
	}
	got = fread(p, 1, size + 1, f);
	fclose(f);
	if (got != size) {
		fprintf(stderr, "share-matmul: %s: %s %zu bytes, expected %zu\n", path,
			got > size ? "more than" : "only", got > size ? size : got, size);
		free(p);
		return NULL;
	}
	return p;
}

int main(int argc, char **argv)
{
	struct xpu_device_props p;
	struct xpu_cc_target t;
	struct xpu_cc_matmul d = { 0 };
	xpu_device *dev;
	xpu_cc *cc;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	xpu_buffer *ba, *bb, *bc;
	size_t sa, sb, sc, size;
	void *a, *b, *c, *img;
	FILE *out;

	if (argc != 7 || atoi(argv[3]) <= 0 || atoi(argv[4]) <= 0 || atoi(argv[5]) <= 0) {
		fprintf(stderr, "usage: share-matmul A.bin B.bin M K N C.bin\n");
		return 2;
	}
	d.m = atoi(argv[3]);
	d.k = atoi(argv[4]);
	d.n = atoi(argv[5]);
	d.in_type = XPU_DT_I8;
	d.out_type = XPU_DT_I32;
	sa = (size_t)d.m * d.k;
	sb = (size_t)d.k * d.n;
	sc = (size_t)d.m * d.n * 4;
	a = read_file(argv[1], sa);
	b = read_file(argv[2], sb);
	c = malloc(sc);
	if (!a || !b || !c)
		return 1;

	CHECK(xpu_device_open(0, &dev));
	CHECK(xpu_device_get_props(dev, &p));
	CHECK(xpu_cc_target_from_props(&p, &t));
	CHECK(xpu_cc_create(&t, &cc));
	CHECK(xpu_cc_matmul(cc, "matmul", &d));
	CHECK(xpu_cc_emit(cc, &img, &size));
	xpu_cc_destroy(cc);
	CHECK(xpu_module_load(dev, img, size, &mod));
	free(img);
	CHECK(xpu_kernel_create(mod, "matmul", &k));
	CHECK(xpu_buffer_alloc(dev, sa, XPU_MEM_DEVICE, &ba));
	CHECK(xpu_buffer_alloc(dev, sb, XPU_MEM_DEVICE, &bb));
	CHECK(xpu_buffer_alloc(dev, sc, XPU_MEM_DEVICE, &bc));
	CHECK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));
	CHECK(xpu_write_async(s, ba, 0, a, sa));
	CHECK(xpu_write_async(s, bb, 0, b, sb));
	CHECK(xpu_kernel_set_arg_buffer(k, 0, ba, 0));
	CHECK(xpu_kernel_set_arg_buffer(k, 1, bb, 0));
	CHECK(xpu_kernel_set_arg_buffer(k, 2, bc, 0));
	CHECK(xpu_launch(s, k));
	CHECK(xpu_read_async(s, bc, 0, c, sc));
	CHECK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));

	out = fopen(argv[6], "wb");
	if (!out || fwrite(c, 1, sc, out) != sc || fclose(out) != 0) {
		fprintf(stderr, "share-matmul: writing %s: %s\n", argv[6], strerror(errno));
		return 1;
	}
	printf("share-matmul: %ux%ux%u int8 matmul on %s: wrote %zu bytes to %s\n",
	       d.m, d.k, d.n, p.node, sc, argv[6]);
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
	return 0;
}
