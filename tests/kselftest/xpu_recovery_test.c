// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: hang detection and recovery, bans, process death with
 * jobs in flight, administrator reset, devcoredump and fdinfo.
 *
 * Uses the debug-only error injection in debugfs (inject, reset).
 *
 * The recovery cases check results, not only statuses: their jobs add one
 * to a counter in host memory when they start (struct cjobs), so a job
 * that ran is seen to have run, exactly once, and one that was aborted or
 * never started is seen not to have run again.
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
	ASSERT_EQ(0, xpu_loop_bufs_new(self->fd, &self->prog, &self->args, &self->loop_len));
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

static int get_param_str(const char *name, char *val, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/xpu/parameters/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, val, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	val[n] = '\0';
	val[strcspn(val, "\n")] = '\0';
	return 0;
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

	char old[32];

	ASSERT_EQ(0, get_param_str("max_job_ms", old, sizeof(old)));
	ASSERT_EQ(0, set_param("max_job_ms", "1000"));
	st = run_loop(self->fd, &self->prog, self->loop_len, &self->args, 3 % 3,
		      1ull << 40, &ms);
	ASSERT_EQ(0, set_param("max_job_ms", old));
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

		if (fd < 0 || xpu_loop_bufs_new(fd, &prog, &args, &len))
			_exit(2);
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

		close(fds[0]);
		uint32_t len;

		if (fd < 0 || xpu_loop_bufs_new(fd, &prog, &args, &len) ||
		    xpu_bo_new(fd, 16 << 20, DRM_XPU_BO_HBM, &big))
			_exit(2);
		((uint64_t *)args.map)[0] = 1ull << 40;	/* effectively endless */
		for (int q = 0; q < 3; q++) {
			uint32_t bos[] = { prog.handle, args.handle, big.handle };

			/* only a child whose jobs were all accepted reports ready */
			if (xpu_submit(fd, q, &prog, len, &args, 8, bos, 3, NULL, 0, 0, 0) <= 0)
				_exit(4);
		}
		if (write(fds[1], "r", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(fds[1]);
	/* EOF (0) if the child exited before its three jobs were submitted */
	ASSERT_EQ(1, read(fds[0], &c, 1)) TH_LOG("the child's jobs were not all submitted");
	close(fds[0]);
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

/*
 * Counting jobs: a file with a program that adds one to the 64-bit counter
 * at args[1] when it starts, then counts r3 up to args[0] (a loop that
 * keeps progressing), and CJ_MAX argument blocks and counters: job i uses
 * argument block i and counter i (host memory, read through the mapping).
 */
#define CJ_MAX 8

struct cjobs {
	int fd;
	struct xpu_bo prog, args, data;
	uint32_t len;
	int64_t id[CJ_MAX];
};

static int cj_open(struct cjobs *c)
{
	uint64_t *p;
	uint32_t n = 0;

	memset(c, 0, sizeof(*c));
	c->fd = xpu_open_nth(0, NULL);
	if (c->fd < 0)
		return c->fd;
	if (xpu_bo_new(c->fd, 4096, DRM_XPU_BO_HBM, &c->prog) ||
	    xpu_bo_new(c->fd, 4096, DRM_XPU_BO_HOST, &c->args) ||
	    xpu_bo_new(c->fd, 4096, DRM_XPU_BO_HOST, &c->data))
		return -ENOMEM;
	p = c->prog.map;
	p[n++] = xpu_ld(XPU_MEM_W64, 4, 1, 0);
	p[n++] = xpu_ld(XPU_MEM_W64, 5, 1, 8);
	p[n++] = xpu_ld(XPU_MEM_W64, 6, 5, 0);
	p[n++] = xpu_addi(6, 6, 1);
	p[n++] = xpu_st(XPU_MEM_W64, 6, 5, 0);
	p[n++] = xpu_li(3, 0);
	p[n++] = xpu_addi(3, 3, 1);
	p[n++] = xpu_br(XPU_BR_LTU, 3, 4, -1);
	p[n++] = xpu_halt();
	c->len = n * 8;
	memset(c->data.map, 0, 4096);
	return 0;
}

static void cj_close(struct cjobs *c)
{
	if (c->fd < 0)
		return;
	xpu_bo_free(c->fd, &c->prog);
	xpu_bo_free(c->fd, &c->args);
	xpu_bo_free(c->fd, &c->data);
	close(c->fd);
	c->fd = -1;
}

/* Submit counting job i with n loop iterations on queue q; the job id or -errno. */
static int64_t cj_submit(struct cjobs *c, uint32_t q, int i, uint64_t n)
{
	uint32_t bos[] = { c->prog.handle, c->args.handle, c->data.handle };
	struct xpu_bo args = c->args;
	uint64_t *a = (uint64_t *)c->args.map + 2 * i;

	a[0] = n;
	a[1] = c->data.va + 8 * i;
	args.va += 16 * i;
	c->id[i] = xpu_submit(c->fd, q, &c->prog, c->len, &args, 16, bos, 3, NULL, 0, 0, 0);
	return c->id[i];
}

static uint64_t cj_count(struct cjobs *c, int i)
{
	return ((volatile uint64_t *)c->data.map)[i];
}

/* Wait up to ms for counter i to become non-zero (its job started). */
static bool cj_started(struct cjobs *c, int i, int ms)
{
	for (int t = 0; t < ms && !cj_count(c, i); t++)
		usleep(1000);
	return cj_count(c, i) != 0;
}

/* WAIT_JOB status of job i, or -errno (-ETIME if not done within ms). */
static int cj_status(struct cjobs *c, int i, int64_t ms)
{
	struct drm_xpu_wait_job w;
	int ret = xpu_wait(c->fd, c->id[i], ms, &w);

	return ret ? ret : (int)w.status;
}

/*
 * A hung job's innocent successors, queued behind it on its queue before the
 * hang was handled, run after the recovery, once each, and write their data.
 */
TEST(hang_innocents_behind_run_once)
{
	struct cjobs guilty, innocent;
	int minor = xpu_minor_nth(0);

	ASSERT_GE(minor, 0);
	ASSERT_EQ(0, cj_open(&guilty));
	ASSERT_EQ(0, cj_open(&innocent));
	ASSERT_EQ(0, xpu_debugfs_write(minor, "inject", "hang 1"));
	ASSERT_GT(cj_submit(&guilty, 1, 0, 10), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_GT(cj_submit(&innocent, 1, i, 1000), 0);
	/* all queued while the hang is not handled yet (that takes 2 checks) */
	EXPECT_EQ(-ETIME, cj_status(&guilty, 0, 0));
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(0, cj_count(&innocent, i)) TH_LOG("job %d ran before the hang", i);
	}
	EXPECT_EQ(DRM_XPU_JOB_HUNG, cj_status(&guilty, 0, 30000));
	EXPECT_EQ(0, cj_count(&guilty, 0)) TH_LOG("an injected hang runs nothing");
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(DRM_XPU_JOB_OK, cj_status(&innocent, i, 30000)) TH_LOG("job %d", i);
		EXPECT_EQ(1, cj_count(&innocent, i)) TH_LOG("job %d ran %llu times", i,
							      (unsigned long long)cj_count(&innocent, i));
	}
	cj_close(&guilty);
	cj_close(&innocent);
}

/*
 * An administrator reset, while a job runs and others wait behind it: the
 * running job (confirmed running: its counter moved) completes with
 * DRM_XPU_JOB_ABORTED and is not run again (its counter stays 1), its
 * context is told (a reset counted, banned: submits fail with -ECANCELED,
 * Documentation/gpu/drm-uapi.rst), and the jobs behind it, which had not
 * started, run once each afterwards and write their data. The driver used
 * to re-run the running job (drm_sched_resubmit_jobs()): status OK or, for
 * this endless one, HUNG at max_job_ms, and its counter 2.
 */
TEST(admin_reset_aborts_running_job_innocents_run_once)
{
	struct cjobs victim, innocent, after;
	uint64_t state = 0, resets = 0;
	char buf[2048], old[32], *p;
	int minor = xpu_minor_nth(0), before;

	ASSERT_GE(minor, 0);
	ASSERT_EQ(0, xpu_debugfs_read(minor, "queues", buf, sizeof(buf)));
	p = strstr(buf, "device resets: ");
	ASSERT_NE(NULL, p);
	before = atoi(p + 15);
	/* an old driver re-runs the endless job: let the cap end it soon */
	ASSERT_EQ(0, get_param_str("max_job_ms", old, sizeof(old)));
	ASSERT_EQ(0, set_param("max_job_ms", "10000"));
	ASSERT_EQ(0, cj_open(&victim));
	ASSERT_EQ(0, cj_open(&innocent));
	ASSERT_GT(cj_submit(&victim, 0, 0, 1ull << 40), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_GT(cj_submit(&innocent, 0, i, 1000), 0);
	ASSERT_TRUE(cj_started(&victim, 0, 10000)) TH_LOG("the job never started");
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, cj_count(&innocent, i)) TH_LOG("job %d did not wait", i);
	}
	EXPECT_EQ(-ETIME, cj_status(&victim, 0, 0)) TH_LOG("running at the reset");
	ASSERT_EQ(0, xpu_debugfs_write(minor, "reset", "1"));

	EXPECT_EQ(DRM_XPU_JOB_ABORTED, cj_status(&victim, 0, 30000));
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(DRM_XPU_JOB_OK, cj_status(&innocent, i, 30000)) TH_LOG("job %d", i);
		EXPECT_EQ(1, cj_count(&innocent, i)) TH_LOG("job %d ran %llu times", i,
							      (unsigned long long)cj_count(&innocent, i));
	}
	EXPECT_EQ(1, cj_count(&victim, 0)) TH_LOG("the aborted job ran again");
	ASSERT_EQ(0, set_param("max_job_ms", old));

	/* the context that lost its job knows, and is refused from now on */
	ASSERT_EQ(0, xpu_get_param(victim.fd, DRM_XPU_PARAM_CTX_STATE, &state));
	EXPECT_TRUE(state & DRM_XPU_CTX_BANNED) TH_LOG("state 0x%llx", (unsigned long long)state);
	ASSERT_EQ(0, xpu_get_param(victim.fd, DRM_XPU_PARAM_CTX_RESETS, &resets));
	EXPECT_EQ(1, resets);
	EXPECT_EQ(-ECANCELED, cj_submit(&victim, 0, 1, 10));
	/* the innocent one is untouched */
	ASSERT_EQ(0, xpu_get_param(innocent.fd, DRM_XPU_PARAM_CTX_STATE, &state));
	EXPECT_EQ(0, state & DRM_XPU_CTX_BANNED);
	ASSERT_GT(cj_submit(&innocent, 1, 5, 100), 0);
	EXPECT_EQ(DRM_XPU_JOB_OK, cj_status(&innocent, 5, 30000));
	EXPECT_EQ(1, cj_count(&innocent, 5));

	ASSERT_EQ(0, xpu_debugfs_read(minor, "queues", buf, sizeof(buf)));
	p = strstr(buf, "device resets: ");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(before + 1, atoi(p + 15));
	/* a new file works normally */
	ASSERT_EQ(0, cj_open(&after));
	ASSERT_GT(cj_submit(&after, 0, 0, 1000), 0);
	EXPECT_EQ(DRM_XPU_JOB_OK, cj_status(&after, 0, 30000));
	EXPECT_EQ(1, cj_count(&after, 0));
	cj_close(&after);
	cj_close(&victim);
	cj_close(&innocent);
}

/*
 * STOP aimed at one job must not hit the next one. The closing file's job
 * is running when the close decides to STOP it; the test knob "inject
 * stopdelay" holds the STOP back 3 s, and the job ends well within that,
 * so the device would by then run the other file's job queued behind it.
 * That job must not be aborted: it completes OK and writes its data once.
 * The driver used to STOP whatever ran (the next job ended ABORTED).
 */
TEST(stop_hits_only_its_job)
{
	struct cjobs closing, next;
	int64_t t0, ms = 0;
	uint64_t n = 100000;
	int minor = xpu_minor_nth(0);

	ASSERT_GE(minor, 0);
	ASSERT_EQ(0, cj_open(&closing));
	ASSERT_EQ(0, cj_open(&next));
	/* a job of some 300 ms */
	while (ms < 300 && n < (1ull << 36)) {
		t0 = xpu_now_ns();
		ASSERT_GT(cj_submit(&next, 2, 7, n), 0);
		ASSERT_EQ(DRM_XPU_JOB_OK, cj_status(&next, 7, 60000));
		ms = (xpu_now_ns() - t0) / 1000000;
		if (ms < 300)
			n *= ms < 30 ? 10 : 2;
	}
	TH_LOG("%llu iterations ran %lld ms", (unsigned long long)n, (long long)ms);
	ASSERT_LT(ms, 1500) TH_LOG("too slow a machine for a 3 s window");

	ASSERT_GT(cj_submit(&closing, 2, 0, n), 0);
	ASSERT_GT(cj_submit(&next, 2, 0, n * 20), 0);
	ASSERT_TRUE(cj_started(&closing, 0, 10000));
	ASSERT_EQ(0, xpu_debugfs_write(minor, "inject", "stopdelay 3000"));
	t0 = xpu_now_ns();
	cj_close(&closing);	/* aborts its running job: decides, waits, STOPs */
	ms = (xpu_now_ns() - t0) / 1000000;
	ASSERT_EQ(0, xpu_debugfs_write(minor, "inject", "stopdelay 0"));
	TH_LOG("close took %lld ms", (long long)ms);
	EXPECT_GE(ms, 2900) TH_LOG("the job was not running when the close stopped it");
	EXPECT_EQ(DRM_XPU_JOB_OK, cj_status(&next, 0, 120000));
	EXPECT_EQ(1, cj_count(&next, 0));
	cj_close(&next);
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
