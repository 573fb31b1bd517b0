// SPDX-License-Identifier: MIT
/*
 * gemm-sched-bench: modeled cycles of matmuls compiled by libxpu's kernel
 * compiler (int8 in, int32 out, A, B and C in HBM) on the host backend,
 * against the array's stall-free fold count ceil(K/R)*ceil(N/C)*(2R+C+M-2),
 * for a seeded random set of shapes with M, N, K in [128, 2048] on the
 * default array (128x128) and on make check's (64x32 at 1250 MHz). Also
 * printed, not part of the figure: small shapes (DMA-latency bound), and
 * the bf16 and requantising (int8 out) variants of a few shapes. Every
 * result is checked against the ISA reference on sampled rows.
 *
 * usage: gemm-sched-bench [--smoke]
 * The last line is the `make bench` figure:
 *   bench: compiled_gemm_vs_stallfree = <worst>x (goal <= 1.10) [...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_sched.h"

struct arr {
	uint32_t rows, cols, clock_mhz;
};

static const struct arr arrays[] = { { 128, 128, 1000 }, { 64, 32, 1250 } };
#define NARR (sizeof(arrays) / sizeof(arrays[0]))

struct worst {
	double ratio;
	uint64_t cycles, folds;
	uint32_t m, n, k, rows, cols;
};

static int one(xpu_device *dev, xpu_stream *s, const struct arr *a, struct xpu_cc_matmul *d,
	       uint64_t seed, const char *what, struct worst *w)
{
	struct gs_result r;
	double ratio;

	if (gs_run(dev, s, d, seed, 0, &r)) {
		fprintf(stderr, "gemm-sched-bench: %ux%ux%u on %ux%u: %s\n", d->m, d->n, d->k,
			a->rows, a->cols, r.err);
		return -1;
	}
	ratio = (double)r.cycles / (double)r.folds;
	printf("%-9s %5ux%-3u %5u %5u %5u %11llu %11llu %6.3f %11llu %6.3f %11llu %s\n", what,
	       a->rows, a->cols, d->m, d->n, d->k, (unsigned long long)r.cycles,
	       (unsigned long long)r.folds, ratio, (unsigned long long)r.floor,
	       (double)r.cycles / (double)r.floor, (unsigned long long)r.est,
	       r.bad ? "WRONG" : "ok");
	fflush(stdout);
	if (r.bad) {
		fprintf(stderr, "gemm-sched-bench: %ux%ux%u on %ux%u: %llu of %llu checked "
			"elements differ from the reference\n", d->m, d->n, d->k, a->rows, a->cols,
			(unsigned long long)r.bad, (unsigned long long)r.checked);
		return -1;
	}
	if (w && ratio > w->ratio) {
		*w = (struct worst){ ratio, r.cycles, r.folds, d->m, d->n, d->k, a->rows, a->cols };
	}
	return 0;
}

int main(int argc, char **argv)
{
	int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	uint32_t nshapes = smoke ? 3 : 20, lo = 128, hi = smoke ? 384 : 2048;
	struct worst w = { 0 };
	int fail = 0;

	if (argc > 2 || (argc == 2 && !smoke)) {
		fprintf(stderr, "usage: gemm-sched-bench [--smoke]\n");
		return 2;
	}
	printf("%-9s %9s %5s %5s %5s %11s %11s %6s %11s %6s %11s\n", "set", "array", "M", "N",
	       "K", "cycles", "stall-free", "ratio", "floor", "/floor", "estimate");
	for (size_t ai = 0; ai < NARR; ai++) {
		const struct arr *a = &arrays[ai];
		struct xpu_host_config hc = {
			.rows = a->rows, .cols = a->cols, .clock_mhz = a->clock_mhz,
			.hbm_size = 256ull << 20, .num_queues = 2,
		};
		xpu_device *dev;
		xpu_stream *s;
		uint64_t seed = 2026;

		if (xpu_device_open_host(&hc, &dev) ||
		    xpu_stream_create(dev, XPU_QUEUE_ANY, &s)) {
			fprintf(stderr, "gemm-sched-bench: host device: %s\n", xpu_last_error());
			return 1;
		}
		/* the figure: seeded shapes in [128, 2048], int8 -> int32 */
		for (uint32_t i = 0; i < nshapes; i++) {
			struct xpu_cc_matmul d = { .in_type = XPU_DT_I8, .out_type = XPU_DT_I32 };

			gs_shape(&seed, lo, hi, &d.m, &d.n, &d.k);
			fail |= one(dev, s, a, &d, 1000 + i, "random", &w);
		}
		/* small shapes: bound by the DMA latency, reported only */
		for (uint32_t i = 0; i < (smoke ? 1u : 4u); i++) {
			static const uint32_t sm[4][3] = {
				{ 16, 16, 16 }, { 64, 64, 64 }, { 100, 37, 120 }, { 127, 127, 127 },
			};
			struct xpu_cc_matmul d = { .m = sm[i][0], .k = sm[i][2], .n = sm[i][1],
						   .in_type = XPU_DT_I8, .out_type = XPU_DT_I32 };

			fail |= one(dev, s, a, &d, 2000 + i, "small", NULL);
		}
		/* the other variants of a few shapes, reported only */
		for (uint32_t i = 0; i < (smoke ? 1u : 3u); i++) {
			static const uint32_t sh[3][3] = {
				{ 512, 512, 512 }, { 1000, 300, 700 }, { 2048, 256, 1024 },
			};
			struct xpu_cc_matmul d = { .m = sh[i][0], .k = sh[i][2], .n = sh[i][1],
						   .in_type = XPU_DT_BF16, .out_type = XPU_DT_F32 };

			fail |= one(dev, s, a, &d, 3000 + i, "bf16", NULL);
			d.out_type = XPU_DT_BF16;
			d.has_bias = 1;
			d.act = XPU_ACT_RELU;
			fail |= one(dev, s, a, &d, 3100 + i, "bf16-bf16", NULL);
			d.in_type = XPU_DT_I8;
			d.out_type = XPU_DT_I8;
			d.scale = 1.0f / 4096;
			d.zero_point = 3;
			fail |= one(dev, s, a, &d, 3200 + i, "int8-req", NULL);
		}
		xpu_stream_destroy(s);
		xpu_device_close(dev);
	}
	if (fail || !w.folds)
		return 1;
	printf("bench: compiled_gemm_vs_stallfree = %.3fx (goal <= 1.10) [%llu modeled cycles; "
	       "%llu stall-free cycles, worst of %u seeded shapes %ux%ux%u on %ux%u]\n",
	       w.ratio, (unsigned long long)w.cycles, (unsigned long long)w.folds,
	       nshapes * (uint32_t)NARR, w.m, w.n, w.k, w.rows, w.cols);
	return 0;
}
