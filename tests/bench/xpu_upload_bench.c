// SPDX-License-Identifier: MIT
/*
 * xpu-upload-bench: xpu_buffer_write / xpu_buffer_read of a large block into
 * and out of an HBM buffer, against a plain memcpy of the same size between
 * two ordinary (pre-faulted) heap blocks in the same run, timed next to
 * each write and each read. Medians of 7 runs; every run's data is checked
 * (what is read back is what was written, a new pattern each run so a
 * stale buffer cannot pass). With --paths it
 * also times the CPU copy through the buffer's own mapping (the BAR) for
 * comparison, and with --sizes it prints that comparison for a range of
 * sizes (the table in docs/runtime.md, "Copies").
 *
 * Output (issue 11 bench frame):
 *   bench: upload_vs_memcpy = <r>x (goal >= 1.0) [<A> GB/s xpu_buffer_write 64 MiB; ...]
 *   bench: download_vs_memcpy = <r>x (goal >= 1.0) [...]
 * --smoke: 1 MiB, still real measurements.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xpu/xpu.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
	for (size_t i = n & ~(size_t)7; i < n; i++)
		p[i] = (uint8_t)(seed + i);
}

static int fail(const char *what, xpu_status st)
{
	fprintf(stderr, "xpu-upload-bench: %s: %s (%s)\n", what, xpu_status_string(st),
		xpu_last_error());
	return 1;
}

static double gbs(size_t n, double ns)
{
	return ns > 0 ? n / ns : 0;
}

/* memcpy of n bytes from src to dst, timed: its GB/s */
static double memcpy_gbs(void *dst, const void *src, size_t n)
{
	int64_t t0 = now_ns();

	memcpy(dst, src, n);
	return gbs(n, now_ns() - t0);
}

static const char *size_name(size_t n, char *buf, size_t len)
{
	if (n >= (1u << 20) && !(n % (1u << 20)))
		snprintf(buf, len, "%zu MiB", n >> 20);
	else
		snprintf(buf, len, "%zu KiB", n >> 10);
	return buf;
}

/* xpu_buffer_write/read against a CPU copy through the mapping, by size. */
static int sweep(xpu_buffer *buf, uint8_t *src, uint8_t *dst, size_t max)
{
	printf("%10s %12s %12s %12s %12s %12s  (GB/s, medians)\n", "size", "write", "BAR write",
	       "read", "BAR read", "memcpy");
	for (size_t n = 16384; n <= max; n *= 2) {
		double w[5], bw[5], r[5], br[5], m[5];
		xpu_status st = XPU_SUCCESS;
		uint8_t *map;
		char sz[32];

		st = xpu_buffer_map(buf, (void **)&map);
		if (st)
			return fail("xpu_buffer_map", st);
		for (int k = 0; k < 5 && !st; k++) {
			int64_t t0 = now_ns();

			st = xpu_buffer_write(buf, 0, src, n);
			w[k] = gbs(n, now_ns() - t0);
			t0 = now_ns();
			if (!st)
				st = xpu_buffer_read(buf, 0, dst, n);
			r[k] = gbs(n, now_ns() - t0);
			bw[k] = memcpy_gbs(map, src, n);
			br[k] = memcpy_gbs(dst, map, n);
			m[k] = memcpy_gbs(dst, src, n);
		}
		xpu_buffer_unmap(buf);
		if (st)
			return fail("xpu_buffer_write/read", st);
		printf("%10s %12.2f %12.2f %12.2f %12.2f %12.2f\n", size_name(n, sz, sizeof(sz)),
		       median(w, 5), median(bw, 5), median(r, 5), median(br, 5), median(m, 5));
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = 64u << 20;
	int runs = 7, paths = 0, sizes = 0;
	double wr[16], rd[16], mc[32], bw[16], br[16];
	uint8_t *src, *dst, *ref;
	xpu_device *dev;
	xpu_buffer *buf;
	xpu_status st;
	char sz[32];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			n = 1u << 20;
			runs = 3;
		} else if (!strcmp(argv[i], "--paths")) {
			paths = 1;
		} else if (!strcmp(argv[i], "--sizes")) {
			sizes = 1;
		} else {
			fprintf(stderr, "usage: xpu-upload-bench [--smoke] [--paths] [--sizes]\n");
			return 2;
		}
	}
	src = malloc(n);
	dst = malloc(n);
	ref = malloc(n);
	if (!src || !dst || !ref) {
		fprintf(stderr, "xpu-upload-bench: out of memory\n");
		return 1;
	}
	memset(dst, 0, n);	/* fault every page in before timing */
	memset(ref, 0, n);
	st = xpu_device_open(0, &dev);
	if (st)
		return fail("xpu_device_open", st);
	st = xpu_buffer_alloc(dev, n, XPU_MEM_DEVICE, &buf);
	if (st)
		return fail("xpu_buffer_alloc", st);

	for (int r = 0; r < runs; r++) {
		int64_t t0;

		fill(src, n, 1000 + r);
		mc[r] = memcpy_gbs(ref, src, n);
		if (memcmp(ref, src, n)) {
			fprintf(stderr, "xpu-upload-bench: memcpy reference mismatch\n");
			return 1;
		}

		t0 = now_ns();
		st = xpu_buffer_write(buf, 0, src, n);
		wr[r] = gbs(n, now_ns() - t0);
		if (st)
			return fail("xpu_buffer_write", st);
		/* the reference again, next to the read: the host's load varies */
		memset(dst, 0xa5, n);
		mc[runs + r] = memcpy_gbs(dst, ref, n);
		memset(dst, 0xa5, n);
		t0 = now_ns();
		st = xpu_buffer_read(buf, 0, dst, n);
		rd[r] = gbs(n, now_ns() - t0);
		if (st)
			return fail("xpu_buffer_read", st);
		if (memcmp(dst, src, n)) {
			fprintf(stderr, "xpu-upload-bench: run %d: data read back differs from "
				"what was written\n", r);
			return 1;
		}
		if (paths) {
			void *map;

			st = xpu_buffer_map(buf, &map);
			if (st)
				return fail("xpu_buffer_map", st);
			fill(src, n, 2000 + r);
			bw[r] = memcpy_gbs(map, src, n);
			br[r] = memcpy_gbs(dst, map, n);
			xpu_buffer_unmap(buf);
			if (memcmp(dst, src, n)) {
				fprintf(stderr, "xpu-upload-bench: BAR copy mismatch\n");
				return 1;
			}
		}
	}
	if (sizes && sweep(buf, src, dst, n))
		return 1;
	size_name(n, sz, sizeof(sz));
	if (paths)
		printf("paths: BAR memcpy write %.2f GB/s, read %.2f GB/s (%s)\n",
		       median(bw, runs), median(br, runs), sz);
	{
		double w = median(wr, runs), rdm = median(rd, runs), m = median(mc, 2 * runs);

		printf("bench: upload_vs_memcpy = %.2fx (goal >= 1.0) [%.2f GB/s xpu_buffer_write %s; "
		       "%.2f GB/s memcpy %s]\n", w / m, w, sz, m, sz);
		printf("bench: download_vs_memcpy = %.2fx (goal >= 1.0) [%.2f GB/s xpu_buffer_read %s; "
		       "%.2f GB/s memcpy %s]\n", rdm / m, rdm, sz, m, sz);
	}
	xpu_buffer_free(buf);
	xpu_device_close(dev);
	free(src);
	free(dst);
	free(ref);
	return 0;
}
