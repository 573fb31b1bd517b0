// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpu-latency-bench: round trip of an empty job (submit -> fence signalled
 * -> WAIT_JOB returns) through the driver, against the round trip of the
 * cheapest ioctl (GET_PARAM) measured in the same run.
 */
#include "../kselftest/xpu_test_util.h"

static int64_t median(int64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

int main(void)
{
	enum { N = 300 };
	static int64_t job[N], ioc[N], dev[N];
	struct xpu_bo prog;
	uint64_t v;
	int fd = xpu_open_nth(0, NULL);

	if (fd < 0 || xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog)) {
		perror("xpu-latency-bench");
		return 1;
	}
	((uint64_t *)prog.map)[0] = xpu_halt();
	for (int i = 0; i < N; i++) {
		struct drm_xpu_wait_job w;
		int64_t t0 = xpu_now_ns(), id;

		xpu_get_param(fd, DRM_XPU_PARAM_UAPI_VERSION, &v);
		ioc[i] = xpu_now_ns() - t0;
		t0 = xpu_now_ns();
		id = xpu_submit(fd, 0, &prog, 8, NULL, 0, &prog.handle, 1, NULL, 0, 0, 0);
		if (id < 0 || xpu_wait(fd, id, 10000, &w) || w.status) {
			fprintf(stderr, "xpu-latency-bench: job failed\n");
			return 1;
		}
		job[i] = xpu_now_ns() - t0;
		dev[i] = w.end_ns - w.start_ns;
	}
	printf("empty job round trip (submit to WAIT_JOB return), median of %d: %.1f us\n",
	       N, median(job, N) / 1000.0);
	printf("  of which hardware (doorbell to completion interrupt): %.1f us\n",
	       median(dev, N) / 1000.0);
	printf("GET_PARAM ioctl round trip (reference, same run): %.1f us\n",
	       median(ioc, N) / 1000.0);
	printf("ratio job / ioctl: %.0fx\n", (double)median(job, N) / median(ioc, N));
	return 0;
}
