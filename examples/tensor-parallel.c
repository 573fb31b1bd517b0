// SPDX-License-Identifier: MIT
/*
 * xpu-tensor-parallel: one int8 matmul C = A x B (M x K x N, int32
 * accumulation) split along K over 4 XPUs. Device i holds the K/4 columns
 * A[:, Ki] and rows B[Ki, :] and computes the partial product C_i; an
 * all-reduce (xpu_all_reduce, int32 sum over the links) leaves C on every
 * device. Integer sums are exact, so every device's C equals the
 * single-device result bit for bit, which the program checks (and both
 * against the CPU).
 *
 * It prints the modeled times: the single-device matmul, the slowest
 * partial matmul, the all-reduce (xpu_comm_get_stats: its critical path),
 * and the modeled speed-up = single / (slowest partial + all-reduce).
 *
 * usage: xpu-tensor-parallel [--host] [--devices N] [M K N]
 *   --host: a host-backend fabric of N chips in a ring (in-process);
 *   otherwise the first N devices (/dev/accel, or XPU_BACKEND=host with
 *   XPU_HOST_DEVICES=N). Default 4 devices, 256 x 16384 x 256.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_PROG "xpu-tensor-parallel"
#include "common/example.h"
#include "xpu/xpu_compiler.h"

#define MAX_DEVS 16

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* Compile an M x K x N int8 matmul for dev; return its kernel. */
static xpu_kernel *matmul_kernel(xpu_device *dev, uint32_t m, uint32_t k, uint32_t n,
				 xpu_module **mod)
{
	struct xpu_device_props p;
	struct xpu_cc_target t;
	struct xpu_cc_matmul d = { .m = m, .k = k, .n = n, .in_type = XPU_DT_I8,
				   .out_type = XPU_DT_I32 };
	xpu_kernel *kern;
	xpu_cc *cc;
	void *img;
	size_t size;

	CHECK(xpu_device_get_props(dev, &p));
	CHECK(xpu_cc_target_from_props(&p, &t));
	CHECK(xpu_cc_create(&t, &cc));
	CHECK(xpu_cc_matmul(cc, "matmul", &d));
	CHECK(xpu_cc_emit(cc, &img, &size));
	xpu_cc_destroy(cc);
	CHECK(xpu_module_load(dev, img, size, mod));
	free(img);
	CHECK(xpu_kernel_create(*mod, "matmul", &kern));
	return kern;
}

/* Run C = A x B on dev (A, B host arrays); return the modeled cycles. */
static uint64_t run_matmul(xpu_device *dev, xpu_stream *s, const int8_t *a, const int8_t *b,
			   uint32_t m, uint32_t k, uint32_t n, xpu_buffer **c)
{
	xpu_buffer *ba, *bb;
	xpu_module *mod;
	xpu_kernel *kern = matmul_kernel(dev, m, k, n, &mod);
	xpu_event *e0, *e1;
	uint64_t cycles;

	/* each operand: allocate, upload (queued on s), bind */
	CHECK(xpu_buffer_alloc(dev, (size_t)m * k, XPU_MEM_DEVICE, &ba));
	CHECK(xpu_write_async(s, ba, 0, a, (size_t)m * k));
	CHECK(xpu_kernel_set_arg_buffer(kern, 0, ba, 0));
	CHECK(xpu_buffer_alloc(dev, (size_t)k * n, XPU_MEM_DEVICE, &bb));
	CHECK(xpu_write_async(s, bb, 0, b, (size_t)k * n));
	CHECK(xpu_kernel_set_arg_buffer(kern, 1, bb, 0));
	CHECK(xpu_buffer_alloc(dev, (size_t)m * n * 4, XPU_MEM_DEVICE, c));
	CHECK(xpu_kernel_set_arg_buffer(kern, 2, *c, 0));
	/* the job's modeled cycles: events around the launch */
	CHECK(xpu_event_create(dev, &e0));
	CHECK(xpu_event_create(dev, &e1));
	CHECK(xpu_event_record(e0, s));
	CHECK(xpu_launch(s, kern));
	CHECK(xpu_event_record(e1, s));
	CHECK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	CHECK(xpu_event_elapsed(e0, e1, &cycles, NULL));
	xpu_event_destroy(e0);
	xpu_event_destroy(e1);
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	xpu_kernel_destroy(kern);
	xpu_module_unload(mod);
	return cycles;
}

int main(int argc, char **argv)
{
	uint32_t M = 256, K = 16384, N = 256, ks;
	int host = 0, ndev = 4, argi = 1;
	xpu_device *devs[MAX_DEVS];
	xpu_stream *s[MAX_DEVS];
	xpu_buffer *part[MAX_DEVS], *single;
	xpu_comm *comm;
	struct xpu_coll_stats st;
	struct xpu_device_props p;
	uint64_t seed = 7, single_cy, part_cy[MAX_DEVS], worst = 0, bad = 0, bad_cpu = 0;
	int8_t *a, *b, *ai;
	int32_t *c1, *ci, *ref;
	double mhz, speedup;

	while (argi < argc && argv[argi][0] == '-') {
		if (!strcmp(argv[argi], "--host")) {
			host = 1;
			argi++;
		} else if (!strcmp(argv[argi], "--devices") && argi + 1 < argc) {
			ndev = atoi(argv[argi + 1]);
			argi += 2;
		} else {
			break;
		}
	}
	if (argc - argi == 3) {
		M = (uint32_t)atoi(argv[argi]);
		K = (uint32_t)atoi(argv[argi + 1]);
		N = (uint32_t)atoi(argv[argi + 2]);
	} else if (argc != argi) {
		fprintf(stderr, "usage: xpu-tensor-parallel [--host] [--devices N] [M K N]\n");
		return 2;
	}
	if (ndev < 1 || ndev > MAX_DEVS || !M || !N || !K || K % ndev) {
		fprintf(stderr, EX_PROG ": need 1..%d devices, M, N > 0 and K a multiple of "
			"the device count (K = %u, %d devices)\n", MAX_DEVS, K, ndev);
		return 2;
	}
	ks = K / ndev;
	if (host) {
		struct xpu_host_fabric_config fc = {
			.size = sizeof(fc), .num_chips = (uint32_t)ndev, .topology = XPU_TOPO_RING,
		};

		CHECK(xpu_host_fabric_open(&fc, devs));
	} else {
		int count = 0;

		CHECK(xpu_device_count(&count));
		if (count < ndev) {
			fprintf(stderr, EX_PROG ": %d devices needed, %d found (try --host, or "
				"XPU_BACKEND=host XPU_HOST_DEVICES=%d)\n", ndev, count, ndev);
			return 1;
		}
		for (int i = 0; i < ndev; i++)
			CHECK(xpu_device_open(i, &devs[i]));
	}
	for (int i = 0; i < ndev; i++)
		CHECK(xpu_stream_create(devs[i], XPU_QUEUE_ANY, &s[i]));
	CHECK(xpu_device_get_props(devs[0], &p));
	mhz = p.clock_mhz;
	printf("int8 matmul %u x %u x %u (int32 accumulation), K split over %d XPUs (%s)\n", M, K,
	       N, ndev, p.node);

	a = malloc((size_t)M * K);
	b = malloc((size_t)K * N);
	ai = malloc((size_t)M * ks);
	c1 = malloc((size_t)M * N * 4);
	ci = malloc((size_t)M * N * 4);
	ref = calloc((size_t)M * N, 4);
	if (!a || !b || !ai || !c1 || !ci || !ref)
		return 1;
	for (size_t i = 0; i < (size_t)M * K; i++)
		a[i] = (int8_t)rnd(&seed);
	for (size_t i = 0; i < (size_t)K * N; i++)
		b[i] = (int8_t)rnd(&seed);

	/* one device, the whole K */
	single_cy = run_matmul(devs[0], s[0], a, b, M, K, N, &single);
	CHECK(xpu_buffer_read(single, 0, c1, (size_t)M * N * 4));

	/* K split: device i multiplies A[:, i*ks ..] by B[i*ks .., :] */
	for (int i = 0; i < ndev; i++) {
		for (uint32_t r = 0; r < M; r++)
			memcpy(ai + (size_t)r * ks, a + (size_t)r * K + (size_t)i * ks, ks);
		part_cy[i] = run_matmul(devs[i], s[i], ai, b + (size_t)i * ks * N, M, ks, N, &part[i]);
		if (part_cy[i] > worst)
			worst = part_cy[i];
	}
	/* the partial products summed on every device */
	CHECK(xpu_comm_create(devs, ndev, &comm));
	CHECK(xpu_all_reduce(comm, part, part, (size_t)M * N, XPU_DT_I32, XPU_RED_SUM, s));
	for (int i = 0; i < ndev; i++)
		CHECK(xpu_stream_synchronize(s[i], XPU_WAIT_FOREVER));
	CHECK(xpu_comm_get_stats(comm, &st));

	/* every device's C equals the single-device C; and the CPU's */
	for (uint32_t i = 0; i < M; i++) {
		int32_t *row = ref + (size_t)i * N;

		for (uint32_t kk = 0; kk < K; kk++) {
			int32_t av = a[(size_t)i * K + kk];
			const int8_t *br = b + (size_t)kk * N;

			for (uint32_t j = 0; j < N; j++)
				row[j] = (int32_t)((uint32_t)row[j] + (uint32_t)(av * br[j]));
		}
	}
	bad_cpu = memcmp(c1, ref, (size_t)M * N * 4) != 0;
	for (int i = 0; i < ndev; i++) {
		CHECK(xpu_buffer_read(part[i], 0, ci, (size_t)M * N * 4));
		bad += memcmp(ci, c1, (size_t)M * N * 4) != 0;
	}

	speedup = (double)single_cy / (double)(worst + st.modeled_cycles);
	printf("single device:          %10llu cycles = %9.1f us\n",
	       (unsigned long long)single_cy, single_cy / mhz);
	printf("slowest partial (K/%d): %10llu cycles = %9.1f us\n", ndev,
	       (unsigned long long)worst, worst / mhz);
	printf("all-reduce (%s, %u steps, %.1f MiB over links): %llu cycles = %.1f us\n",
	       st.algo == XPU_COLL_2D ? "2-D" : st.algo == XPU_COLL_TREE ? "tree" : "ring", st.steps,
	       st.link_bytes / 1048576.0, (unsigned long long)st.modeled_cycles, st.modeled_us);
	printf("check: %d devices' results vs the single-device result: %s; single device vs the "
	       "CPU: %s\n", ndev, bad ? "DIFFERENT" : "bit-identical", bad_cpu ? "DIFFERENT" : "OK");
	printf("modeled speed-up on %d XPUs: %.2fx (single / (slowest partial + all-reduce))\n",
	       ndev, speedup);

	xpu_comm_destroy(comm);
	xpu_buffer_free(single);
	for (int i = 0; i < ndev; i++) {
		xpu_buffer_free(part[i]);
		xpu_stream_destroy(s[i]);
		xpu_device_close(devs[i]);
	}
	free(a);
	free(b);
	free(ai);
	free(c1);
	free(ci);
	free(ref);
	return bad || bad_cpu;
}
