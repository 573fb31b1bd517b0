// SPDX-License-Identifier: MIT
/*
 * memcpy-bench: the host reference of the dma_vs_host_memcpy figure. One
 * thread memcpy()s 64 MiB between two pre-faulted heap blocks (the size and
 * kind of copy the device's DMA job makes from guest RAM into HBM); prints
 * the best of the runs made in about two seconds (at least 9; the machine
 * may be shared, and the DMA side is also a best of several runs) in GB/s
 * (10^9 bytes/s) as a bare number, which tools/xpu-bench passes into the VM
 * as XPU_BENCH_HOST_MEMCPY for xpu-dma-bench. --smoke: 4 MiB for about
 * 0.2 s, still a real measurement.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	size_t len = smoke ? 4u << 20 : 64u << 20;
	double window = smoke ? 0.2 : 2.0, start;
	uint8_t *a, *b;
	double best = 1e30;

	if (argc > 1 && !smoke) {
		fprintf(stderr, "usage: memcpy-bench [--smoke]\n");
		return 2;
	}
	a = aligned_alloc(4096, len);
	b = aligned_alloc(4096, len);
	if (!a || !b) {
		fprintf(stderr, "memcpy-bench: out of memory (2 x %zu MiB)\n", len >> 20);
		return 1;
	}
	memset(a, 0x5a, len);
	memset(b, 0xa5, len);
	start = now();
	for (int r = 0; r < 9 || now() - start < window; r++) {
		double t0, t;

		a[r % len] = (uint8_t)r;
		t0 = now();
		memcpy(b, a, len);
		t = now() - t0;
		if (b[r % len] != (uint8_t)r || b[len - 1] != 0x5a) {
			fprintf(stderr, "memcpy-bench: the copy is wrong\n");
			return 1;
		}
		if (t < best)
			best = t;
	}
	printf("%.2f\n", len / best / 1e9);
	free(a);
	free(b);
	return 0;
}
