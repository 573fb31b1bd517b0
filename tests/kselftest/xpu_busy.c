// SPDX-License-Identifier: GPL-2.0-only
/*
 * xpu-busy: keep every queue of the first XPU busy with long jobs, then
 * wait for all of them. Used by the lifecycle test to remove the device or
 * kill a process with jobs in flight. Prints "busy" once the jobs are
 * submitted; exits 0 when every wait returned (with any job status, or
 * because the device is gone).
 *
 * usage: xpu-busy [ITERS] [--gone]
 *
 * --gone: the device is removed (PCI remove, or the driver unbound) while
 * the jobs run, and the process checks what docs/driver.md ("Removal")
 * promises: each wait either returns the job's result with status ABORTED
 * (a job on the hardware, or a queued one failed in run_job) or fails with
 * ENODEV (an ioctl after the unplug), and afterwards every ioctl on the
 * still-open file fails with ENODEV. Exit status 0 only if all of that
 * holds (one line per check on stdout), 1 otherwise, 2 for a setup error.
 */
#include "xpu_test_util.h"

/* After the unplug: each of these ioctls on the open file gives ENODEV. */
static int check_gone(int fd, struct xpu_bo *prog, struct xpu_bo *args, uint32_t len,
		      int64_t last_id)
{
	struct drm_xpu_bo_create c = { .size = 4096, .flags = DRM_XPU_BO_HOST };
	struct drm_xpu_bo_info i = { .handle = args->handle };
	struct drm_gem_close cl = { .handle = args->handle };
	uint32_t bos[] = { prog->handle, args->handle };
	uint64_t v;
	int bad = 0, e;

#define GONE(name, expr) do {						\
		e = (expr) ? errno : 0;					\
		printf("after unplug: %s: %s\n", name, e ? strerror(e) : "succeeded"); \
		bad |= e != ENODEV;					\
	} while (0)
	GONE("GET_PARAM", xpu_get_param(fd, DRM_XPU_PARAM_NUM_QUEUES, &v));
	GONE("BO_CREATE", ioctl(fd, DRM_IOCTL_XPU_BO_CREATE, &c));
	GONE("BO_INFO", ioctl(fd, DRM_IOCTL_XPU_BO_INFO, &i));
	e = -(int)xpu_submit(fd, 0, prog, len, args, 8, bos, 2, NULL, 0, 0, 0);
	errno = e;
	GONE("SUBMIT", e > 0);
	e = -xpu_wait(fd, last_id, 10, NULL);
	errno = e;
	GONE("WAIT_JOB", e > 0);
	GONE("GEM_CLOSE", ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl));
#undef GONE
	return bad;
}

int main(int argc, char **argv)
{
	uint64_t nq = 0, iters = 400000000ull;
	struct xpu_bo prog, args;
	int gone = 0, bad = 0;
	int64_t ids[16];
	uint32_t len;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--gone"))
			gone = 1;
		else
			iters = strtoull(argv[i], NULL, 0);
	}
	fd = xpu_open_nth(0, NULL);
	if (fd < 0 || xpu_get_param(fd, DRM_XPU_PARAM_NUM_QUEUES, &nq) ||
	    xpu_loop_bufs_new(fd, &prog, &args, &len)) {
		perror("xpu-busy: setup");
		return 2;
	}
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
		/* removed mid-job: ABORTED, or the wait itself came after it */
		if (gone && (ret ? ret != -ENODEV : w.status != DRM_XPU_JOB_ABORTED)) {
			printf("queue %llu: expected status ABORTED (%u) or ENODEV\n",
			       (unsigned long long)q, DRM_XPU_JOB_ABORTED);
			bad = 1;
		}
	}
	if (gone) {
		/* the CPU mappings are gone with the device: do not touch them */
		bad |= check_gone(fd, &prog, &args, len, ids[0]);
		printf("%s\n", bad ? "not as documented" : "as documented");
		return bad;
	}
	return 0;
}
