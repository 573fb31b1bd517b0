// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: hang detection and recovery, bans, process death with
 * jobs in flight, administrator reset, devcoredump and fdinfo.
 *
 * Uses the debug-only error injection in debugfs (inject, reset).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

FIXTURE(rec) {
	int fd, minor;
	struct xpu_bo prog, args;
	uint32_t loop_len;
};

FIXTURE_SETUP(rec)
{
	self->fd = xpu_open_nth(0, &self->minor);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HBM, &self->prog));
	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HOST, &self->args));
	self->loop_len = xpu_prog_loop(self->prog.map);
}

FIXTURE_TEARDOWN(rec)
{
	xpu_bo_free(self->fd, &self->prog);
	xpu_bo_free(self->fd, &self->args);
	close(self->fd);
}

/* Run the counting loop n times on queue q; returns status, fills wall ms. */
static int run_loop(int fd, struct xpu_bo *prog, uint32_t len, struct xpu_bo *args,
		    uint32_t q, uint64_t n, int64_t *ms)
{
	uint32_t bos[] = { prog->handle, args->handle };
	struct drm_xpu_wait_job w;
	int64_t t0 = xpu_now_ns(), id;

	((uint64_t *)args->map)[0] = n;
	id = xpu_submit(fd, q, prog, len, args, 8, bos, 2, NULL, 0, 0, 0);
	if (id < 0)
		return (int)id;
	if (xpu_wait(fd, id, 120000, &w))
		return -ETIME;
	if (ms)
		*ms = (xpu_now_ns() - t0) / 1000000;
	return (int)w.status;
}

static int count_devcd(void)
{
	DIR *d = opendir("/sys/class/devcoredump");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "devcd", 5);
	closedir(d);
	return n;
}

/* Delete the pending dumps (a device keeps one at a time). */
static void clear_devcd(void)
{
	DIR *d = opendir("/sys/class/devcoredump");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300];
		int fd;

		if (strncmp(e->d_name, "devcd", 5))
			continue;
		snprintf(path, sizeof(path), "/sys/class/devcoredump/%s/data", e->d_name);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				perror("devcd");
			close(fd);
		}
	}
	closedir(d);
	/* deletion is asynchronous */
	for (int i = 0; i < 50 && count_devcd() > 0; i++)
		usleep(100000);
}

/* A job that keeps retiring instructions is never killed, however long. */
TEST_F(rec, long_job_with_progress_survives)
{
	uint64_t n = 1000000;
	int64_t ms = 0;

	/* grow the loop until one job runs for more than 4 hang checks (2 s) */
	while (ms < 2000 && n < (1ull << 40)) {
		ASSERT_EQ(DRM_XPU_JOB_OK, run_loop(self->fd, &self->prog, self->loop_len,
						   &self->args, 0, n, &ms));
		if (ms < 2000)
			n *= ms < 100 ? 16 : 3;
	}
	TH_LOG("%llu iterations ran %lld ms", (unsigned long long)n, (long long)ms);
	EXPECT_GE(ms, 2000);
}

static int set_param(const char *name, const char *val)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/module/xpu/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EIO;
}

/* With an administrator's max_job_ms, even a progressing job is killed. */
TEST_F(rec, max_job_ms_caps_progressing_jobs)
{
	int64_t ms = 0;
	int st;

	ASSERT_EQ(0, set_param("max_job_ms", "1000"));
	st = run_loop(self->fd, &self->prog, self->loop_len, &self->args, 3 % 3,
		      1ull << 40, &ms);
	ASSERT_EQ(0, set_param("max_job_ms", "0"));
	EXPECT_EQ(DRM_XPU_JOB_HUNG, st);
	EXPECT_LT(ms, 10000);
}

/* An injected hang is detected, reported and cleared; the queue goes on. */
TEST_F(rec, hang_detected_queue_keeps_serving)
{
	uint64_t state = 0, resets = 0;
	pid_t pid;
	int dumps, status;

	clear_devcd();
	dumps = count_devcd();

	ASSERT_EQ(0, xpu_debugfs_write(self->minor, "inject", "hang 1"));
	EXPECT_EQ(DRM_XPU_JOB_HUNG, run_loop(self->fd, &self->prog, self->loop_len,
					     &self->args, 1, 10, NULL));
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_CTX_STATE, &state));
	EXPECT_TRUE(state & DRM_XPU_CTX_HUNG);
	EXPECT_FALSE(state & DRM_XPU_CTX_BANNED) TH_LOG("one hang does not ban");
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_CTX_RESETS, &resets));
	EXPECT_EQ(1, resets);
	/* the dump is taken right after the abort, give it a moment */
	for (int i = 0; i < 50 && count_devcd() <= dumps; i++)
		usleep(100000);
	EXPECT_GT(count_devcd(), dumps) TH_LOG("no devcoredump captured");

	/* another context on the same queue runs normally */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = xpu_open_nth(0, NULL);
		struct xpu_bo prog, args;
		uint32_t len;

		if (fd < 0 || xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog) ||
		    xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &args))
			_exit(2);
		len = xpu_prog_loop(prog.map);
		_exit(run_loop(fd, &prog, len, &args, 1, 1000, NULL) == DRM_XPU_JOB_OK ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* and so does this one, once */
	EXPECT_EQ(DRM_XPU_JOB_OK, run_loop(self->fd, &self->prog, self->loop_len,
					   &self->args, 1, 1000, NULL));
}

/* A context that hangs repeatedly is banned; its submits then fail. */
TEST_F(rec, repeated_hangs_ban_context)
{
	uint64_t state = 0;

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, xpu_debugfs_write(self->minor, "inject", "hang 2"));
		EXPECT_EQ(DRM_XPU_JOB_HUNG, run_loop(self->fd, &self->prog, self->loop_len,
						     &self->args, 2, 10, NULL));
	}
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_CTX_STATE, &state));
	EXPECT_TRUE(state & DRM_XPU_CTX_BANNED);
	EXPECT_EQ(-ECANCELED, run_loop(self->fd, &self->prog, self->loop_len,
				       &self->args, 2, 10, NULL));
}

/* kill -9 with jobs in flight: the context and its buffers go away. */
TEST_F(rec, kill_with_jobs_in_flight_leaves_nothing)
{
	uint64_t before = xpu_hbm_used(self->minor);
	char buf[4096], needle[32];
	int fds[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = xpu_open_nth(0, NULL);
		struct xpu_bo prog, args, big;
		uint32_t len;

		if (fd < 0 || xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog) ||
		    xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &args) ||
		    xpu_bo_new(fd, 16 << 20, DRM_XPU_BO_HBM, &big))
			_exit(2);
		len = xpu_prog_loop(prog.map);
		((uint64_t *)args.map)[0] = 1ull << 40;	/* effectively endless */
		for (int q = 0; q < 3; q++) {
			uint32_t bos[] = { prog.handle, args.handle, big.handle };

			xpu_submit(fd, q, &prog, len, &args, 8, bos, 3, NULL, 0, 0, 0);
		}
		if (write(fds[1], "r", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(fds[0], &c, 1));
	EXPECT_GT(xpu_hbm_used(self->minor), before);
	usleep(200000);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	snprintf(needle, sizeof(needle), "pid %d ", pid);
	for (int i = 0; i < 300; i++) {
		ASSERT_EQ(0, xpu_debugfs_read(self->minor, "contexts", buf, sizeof(buf)));
		if (!strstr(buf, needle) && xpu_hbm_used(self->minor) == before)
			break;
		usleep(100000);
	}
	EXPECT_EQ(NULL, strstr(buf, needle)) TH_LOG("context of the dead process left: %s", buf);
	EXPECT_EQ(before, xpu_hbm_used(self->minor));
}

/* An administrator reset re-runs the innocent jobs that were on the device. */
TEST_F(rec, admin_reset_reruns_innocent_jobs)
{
	uint32_t bos[] = { self->prog.handle, self->args.handle };
	struct drm_xpu_wait_job w;
	char buf[2048];
	int64_t id;

	((uint64_t *)self->args.map)[0] = 30000000;
	id = xpu_submit(self->fd, 0, &self->prog, self->loop_len, &self->args, 8,
			bos, 2, NULL, 0, 0, 0);
	ASSERT_GT(id, 0);
	usleep(100000);
	ASSERT_EQ(0, xpu_debugfs_write(self->minor, "reset", "1"));
	ASSERT_EQ(0, xpu_wait(self->fd, id, 60000, &w));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
	ASSERT_EQ(0, xpu_debugfs_read(self->minor, "queues", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "device resets: ")) TH_LOG("%s", buf);
	EXPECT_EQ(NULL, strstr(buf, "device resets: 0"));
	/* the device works normally afterwards */
	EXPECT_EQ(DRM_XPU_JOB_OK, run_loop(self->fd, &self->prog, self->loop_len,
					   &self->args, 1, 1000, NULL));
}

/* Standard DRM fdinfo keys report the file's usage. */
TEST_F(rec, fdinfo_usage)
{
	char path[64], buf[4096];
	unsigned long long ns = 0, cycles = 0;
	char *p;
	FILE *f;
	size_t n;

	ASSERT_EQ(DRM_XPU_JOB_OK, run_loop(self->fd, &self->prog, self->loop_len,
					   &self->args, 0, 100000, NULL));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->fd);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "drm-driver:\txpu")) TH_LOG("%s", buf);
	p = strstr(buf, "drm-engine-xpu:");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(1, sscanf(p, "drm-engine-xpu: %llu ns", &ns));
	EXPECT_GT(ns, 0);
	p = strstr(buf, "drm-cycles-xpu:");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(1, sscanf(p, "drm-cycles-xpu: %llu", &cycles));
	EXPECT_GT(cycles, 100000);
	EXPECT_NE(NULL, strstr(buf, "drm-total-memory:"));
}

TEST_HARNESS_MAIN
