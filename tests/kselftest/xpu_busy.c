// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpu-busy: keep every queue of the first XPU busy with long jobs, then
 * wait for all of them. Used by the lifecycle test to remove the device or
 * kill a process with jobs in flight. Prints "busy" once the jobs are
 * submitted; exits 0 when every wait returned (with any job status, or
 * because the device is gone).
 */
#include "xpu_test_util.h"

int main(int argc, char **argv)
{
	uint64_t nq = 0, iters = argc > 1 ? strtoull(argv[1], NULL, 0) : 400000000ull;
	struct xpu_bo prog, args;
	int64_t ids[16];
	uint32_t len;
	int fd = xpu_open_nth(0, NULL);

	if (fd < 0 || xpu_get_param(fd, DRM_XPU_PARAM_NUM_QUEUES, &nq) ||
	    xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog) ||
	    xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &args)) {
		perror("xpu-busy: setup");
		return 2;
	}
	len = xpu_prog_loop(prog.map);
	((uint64_t *)args.map)[0] = iters;
	for (uint64_t q = 0; q < nq && q < 16; q++) {
		uint32_t bos[] = { prog.handle, args.handle };

		ids[q] = xpu_submit(fd, q, &prog, len, &args, 8, bos, 2, NULL, 0, 0, 0);
		if (ids[q] < 0) {
			fprintf(stderr, "xpu-busy: submit: %s\n", strerror(-ids[q]));
			return 2;
		}
	}
	printf("busy\n");
	fflush(stdout);
	for (uint64_t q = 0; q < nq && q < 16; q++) {
		struct drm_xpu_wait_job w;
		int ret = xpu_wait(fd, ids[q], 120000, &w);

		printf("queue %llu: %s status %u\n", (unsigned long long)q,
		       ret ? strerror(-ret) : "done", ret ? 0 : w.status);
		if (ret && ret != -ENODEV)
			return 1;
	}
	return 0;
}
