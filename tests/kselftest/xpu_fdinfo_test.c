// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: the usage keys in /proc/self/fdinfo/<fd>
 * (Documentation/gpu/drm-usage-stats.rst, driver/xpu_fdinfo.c), checked by
 * value: client ids, engine capacity and clock against the device's
 * parameters, engine time and cycles against the jobs run (time a job waits
 * in the ring behind another file's job is not its own), and the memory of
 * each region (hbm, memory) against the buffers created and freed.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

#define MS (1000000ull)

/* fdinfo of fd into buf; 0 or -errno */
static int read_fdinfo(int fd, char *buf, size_t len)
{
	char path[64];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/*
 * Value of key (at the start of a line) with its unit applied: "ns", none,
 * "KiB", "MiB", "GiB", "MHz" (kept as MHz). Returns -1 if the key is missing or
 * the value does not parse.
 */
static long long key_value(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			unsigned long long v;
			char unit[8] = "";
			int n = sscanf(p + klen + 1, " %llu %7[A-Za-z]", &v, unit);

			if (n < 1)
				return -1;
			if (n == 2 && !strcmp(unit, "KiB"))
				v <<= 10;
			else if (n == 2 && !strcmp(unit, "MiB"))
				v <<= 20;
			else if (n == 2 && !strcmp(unit, "GiB"))
				v <<= 30;
			return (long long)v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static long long fd_key(int fd, const char *key)
{
	char buf[4096];

	if (read_fdinfo(fd, buf, sizeof(buf)))
		return -1;
	return key_value(buf, key);
}

FIXTURE(fdi) {
	int fd, minor;
	uint64_t queues, clock_mhz;
	struct xpu_bo prog, args;
	uint32_t loop_len;
};

FIXTURE_SETUP(fdi)
{
	self->fd = xpu_open_nth(0, &self->minor);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_NUM_QUEUES, &self->queues));
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_CLOCK_MHZ, &self->clock_mhz));
	self->prog.map = NULL;
	self->args.map = NULL;
}

FIXTURE_TEARDOWN(fdi)
{
	if (self->prog.map)
		xpu_bo_free(self->fd, &self->prog);
	if (self->args.map)
		xpu_bo_free(self->fd, &self->args);
	close(self->fd);
}

/* Submit the loop of n iterations on queue q; job id or -errno. */
static int64_t submit_loop(int fd, struct xpu_bo *prog, uint32_t len, struct xpu_bo *args,
			   uint32_t q, uint64_t n)
{
	uint32_t bos[] = { prog->handle, args->handle };

	((uint64_t *)args->map)[0] = n;
	return xpu_submit(fd, q, prog, len, args, 8, bos, 2, NULL, 0, 0, 0);
}

/* Iterations of the loop that take about ms on queue 0 (at least 1000). */
static uint64_t calibrate(int fd, struct xpu_bo *prog, uint32_t len, struct xpu_bo *args,
			  uint64_t ms)
{
	uint64_t n = 100000;

	for (int i = 0; i < 8; i++) {
		struct drm_xpu_wait_job w;
		int64_t t0 = xpu_now_ns(), id = submit_loop(fd, prog, len, args, 0, n), dt;

		if (id < 0 || xpu_wait(fd, id, 120000, &w) || w.status != DRM_XPU_JOB_OK)
			return 0;
		dt = xpu_now_ns() - t0;
		if (dt >= (int64_t)(ms * MS) / 2)
			return n * ms * MS / dt + 1000;
		n *= dt < (int64_t)(ms * MS) / 16 ? 8 : 2;
	}
	return n;
}

/* The keys every file has, with the device's values. */
TEST_F(fdi, identity_keys)
{
	char buf[4096], drv[32] = "";
	const char *p;
	long long id1, id2, id_dup;
	int fd2, dupfd, minor2;

	ASSERT_EQ(0, read_fdinfo(self->fd, buf, sizeof(buf)));
	p = strstr(buf, "drm-driver:");
	ASSERT_NE(NULL, p) TH_LOG("%s", buf);
	ASSERT_EQ(1, sscanf(p, "drm-driver: %31s", drv));
	EXPECT_STREQ("xpu", drv);
	EXPECT_NE(NULL, strstr(buf, "drm-pdev:")) TH_LOG("%s", buf);
	EXPECT_EQ((long long)self->queues, key_value(buf, "drm-engine-capacity-xpu"));
	EXPECT_EQ((long long)self->clock_mhz, key_value(buf, "drm-maxfreq-xpu"));
	EXPECT_NE(NULL, strstr(buf, "MHz")) TH_LOG("%s", buf);
	/* a new file starts at zero */
	EXPECT_EQ(0, key_value(buf, "drm-engine-xpu"));
	EXPECT_EQ(0, key_value(buf, "drm-cycles-xpu"));
	EXPECT_EQ(0, key_value(buf, "drm-total-hbm"));
	EXPECT_EQ(0, key_value(buf, "drm-total-memory"));
	/* the helper's keys for both regions, and only the spec's alias */
	EXPECT_EQ(0, key_value(buf, "drm-resident-hbm"));
	EXPECT_EQ(0, key_value(buf, "drm-active-memory"));
	EXPECT_EQ(0, key_value(buf, "drm-shared-hbm"));
	EXPECT_EQ(NULL, strstr(buf, "drm-memory-")) TH_LOG("%s", buf);

	/* client ids: one per open, shared by a dup */
	id1 = key_value(buf, "drm-client-id");
	ASSERT_GE(id1, 0);
	fd2 = xpu_open_nth(0, &minor2);
	ASSERT_GE(fd2, 0);
	id2 = fd_key(fd2, "drm-client-id");
	dupfd = dup(self->fd);
	ASSERT_GE(dupfd, 0);
	id_dup = fd_key(dupfd, "drm-client-id");
	EXPECT_GE(id2, 0);
	EXPECT_NE(id1, id2);
	EXPECT_EQ(id1, id_dup);
	close(dupfd);
	close(fd2);
}

/* Buffers count in their region, by size, and leave it when freed. */
TEST_F(fdi, memory_by_region)
{
	struct xpu_bo h, s;
	long long hbm0 = fd_key(self->fd, "drm-total-hbm");
	long long mem0 = fd_key(self->fd, "drm-total-memory");

	ASSERT_EQ(0, hbm0);
	ASSERT_EQ(0, mem0);
	ASSERT_EQ(0, xpu_bo_new(self->fd, 3 << 20, DRM_XPU_BO_HBM, &h));
	EXPECT_EQ(3 << 20, fd_key(self->fd, "drm-total-hbm"));
	EXPECT_EQ(3 << 20, fd_key(self->fd, "drm-resident-hbm"));
	EXPECT_EQ(0, fd_key(self->fd, "drm-shared-hbm"));
	EXPECT_EQ(0, fd_key(self->fd, "drm-total-memory"));

	ASSERT_EQ(0, xpu_bo_new(self->fd, 192 << 10, DRM_XPU_BO_HOST, &s));
	EXPECT_EQ(192 << 10, fd_key(self->fd, "drm-total-memory"));
	EXPECT_EQ(192 << 10, fd_key(self->fd, "drm-resident-memory"));
	EXPECT_EQ(3 << 20, fd_key(self->fd, "drm-total-hbm"));

	xpu_bo_free(self->fd, &h);
	EXPECT_EQ(0, fd_key(self->fd, "drm-total-hbm"));
	EXPECT_EQ(192 << 10, fd_key(self->fd, "drm-total-memory"));
	xpu_bo_free(self->fd, &s);
	EXPECT_EQ(0, fd_key(self->fd, "drm-total-memory"));
}

/* A host buffer exported through PRIME counts as shared in both files. */
TEST_F(fdi, shared_through_prime)
{
	uint32_t handle2;
	struct xpu_bo bo;
	int fd2, dmabuf;

	ASSERT_EQ(0, xpu_bo_new(self->fd, 8192, DRM_XPU_BO_HOST, &bo));
	EXPECT_EQ(0, fd_key(self->fd, "drm-shared-memory"));
	ASSERT_EQ(0, drmPrimeHandleToFD(self->fd, bo.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf));
	EXPECT_EQ(8192, fd_key(self->fd, "drm-shared-memory"));
	EXPECT_EQ(8192, fd_key(self->fd, "drm-total-memory"));
	fd2 = xpu_open_nth(0, NULL);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, drmPrimeFDToHandle(fd2, dmabuf, &handle2));
	EXPECT_EQ(8192, fd_key(fd2, "drm-total-memory"));
	EXPECT_EQ(8192, fd_key(fd2, "drm-shared-memory"));
	EXPECT_EQ(0, fd_key(fd2, "drm-total-hbm"));
	close(fd2);
	close(dmabuf);
	xpu_bo_free(self->fd, &bo);
	EXPECT_EQ(0, fd_key(self->fd, "drm-total-memory"));
}

/*
 * A job adds its time and cycles: the time is at most the job's wall time
 * (submit to wait) and the cycles at least one per loop iteration. Its time
 * shows while it runs, and its buffers are active then.
 */
TEST_F(fdi, engine_time_and_cycles_grow)
{
	struct drm_xpu_wait_job w;
	long long ns0, cyc0, ns1, cyc1, active, running;
	uint64_t n;
	int64_t t0, id, wall;

	ASSERT_EQ(0, xpu_loop_bufs_new(self->fd, &self->prog, &self->args, &self->loop_len));
	n = calibrate(self->fd, &self->prog, self->loop_len, &self->args, 300);
	ASSERT_GT(n, 0);
	ns0 = fd_key(self->fd, "drm-engine-xpu");
	cyc0 = fd_key(self->fd, "drm-cycles-xpu");
	ASSERT_GT(ns0, 0);	/* the calibration ran jobs */

	t0 = xpu_now_ns();
	id = submit_loop(self->fd, &self->prog, self->loop_len, &self->args, 0, n);
	ASSERT_GT(id, 0);
	usleep(100000);
	/* a running job's time shows before it completes (still active after) */
	running = fd_key(self->fd, "drm-engine-xpu");
	active = fd_key(self->fd, "drm-active-hbm");
	ASSERT_EQ(0, xpu_wait(self->fd, id, 120000, &w));
	wall = xpu_now_ns() - t0;
	ASSERT_EQ(DRM_XPU_JOB_OK, w.status);
	EXPECT_EQ(4096, active);
	EXPECT_EQ(0, fd_key(self->fd, "drm-active-hbm"));

	ns1 = fd_key(self->fd, "drm-engine-xpu");
	cyc1 = fd_key(self->fd, "drm-cycles-xpu");
	EXPECT_GT(ns1 - ns0, 0);
	EXPECT_LE(ns1 - ns0, wall) TH_LOG("engine %lld ns, wall %lld ns", ns1 - ns0, (long long)wall);
	/* the job's own run is most of its wall time */
	EXPECT_GE(ns1 - ns0, wall / 2) TH_LOG("engine %lld ns, wall %lld ns", ns1 - ns0,
					      (long long)wall);
	EXPECT_GT(running - ns0, 10 * (long long)MS) TH_LOG("after 100 ms: %lld ns", running - ns0);
	EXPECT_GE(ns1, running);
	EXPECT_GE(cyc1 - cyc0, (long long)n);
	EXPECT_EQ((long long)w.cycles, cyc1 - cyc0);
}

/*
 * A short job queued behind another file's long job on the same queue is
 * charged for its own run only, not for its wait in the ring.
 */
TEST_F(fdi, queued_time_not_counted)
{
	struct xpu_bo prog2, args2;
	struct drm_xpu_wait_job w;
	int fd2, minor2;
	uint32_t len2;
	long long long_ns, short_ns, a0, b0;
	int64_t ida, idb;
	uint64_t n;

	ASSERT_EQ(0, xpu_loop_bufs_new(self->fd, &self->prog, &self->args, &self->loop_len));
	n = calibrate(self->fd, &self->prog, self->loop_len, &self->args, 400);
	ASSERT_GT(n, 0);
	fd2 = xpu_open_nth(0, &minor2);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, xpu_loop_bufs_new(fd2, &prog2, &args2, &len2));

	a0 = fd_key(self->fd, "drm-engine-xpu");
	b0 = fd_key(fd2, "drm-engine-xpu");
	EXPECT_EQ(0, b0);
	ida = submit_loop(self->fd, &self->prog, self->loop_len, &self->args, 0, n);
	ASSERT_GT(ida, 0);
	usleep(20000);
	idb = submit_loop(fd2, &prog2, len2, &args2, 0, 10);
	ASSERT_GT(idb, 0);
	ASSERT_EQ(0, xpu_wait(fd2, idb, 120000, &w));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
	ASSERT_EQ(0, xpu_wait(self->fd, ida, 120000, &w));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);

	long_ns = fd_key(self->fd, "drm-engine-xpu") - a0;
	short_ns = fd_key(fd2, "drm-engine-xpu") - b0;
	TH_LOG("a short job behind a %lld ns job of another file: %lld ns", long_ns, short_ns);
	EXPECT_GT(long_ns, 100 * (long long)MS) TH_LOG("long job %lld ns", long_ns);
	EXPECT_GT(short_ns, 0);
	EXPECT_LT(short_ns, long_ns / 4) TH_LOG("short job %lld ns behind a %lld ns job",
						short_ns, long_ns);
	xpu_bo_free(fd2, &prog2);
	xpu_bo_free(fd2, &args2);
	close(fd2);
}

/*
 * The engine is a group of identical tiles: jobs on every queue at once add
 * more than the wall time, and at most capacity times it. (Each queue's job
 * has its own buffers: jobs sharing a buffer are ordered.)
 */
TEST_F(fdi, capacity_parallel_queues)
{
	struct xpu_bo prog[16], args[16];
	struct drm_xpu_wait_job w;
	int64_t ids[16], t0, wall;
	long long ns0, ns;
	uint32_t len[16];
	uint64_t n, q;

	ASSERT_LE(self->queues, 16);
	if (self->queues < 2)
		SKIP(return, "one queue");
	for (q = 0; q < self->queues; q++)
		ASSERT_EQ(0, xpu_loop_bufs_new(self->fd, &prog[q], &args[q], &len[q]));
	n = calibrate(self->fd, &prog[0], len[0], &args[0], 200);
	ASSERT_GT(n, 0);
	ns0 = fd_key(self->fd, "drm-engine-xpu");
	t0 = xpu_now_ns();
	for (q = 0; q < self->queues; q++) {
		ids[q] = submit_loop(self->fd, &prog[q], len[q], &args[q], q, n);
		ASSERT_GT(ids[q], 0);
	}
	for (q = 0; q < self->queues; q++) {
		ASSERT_EQ(0, xpu_wait(self->fd, ids[q], 120000, &w));
		EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
	}
	wall = xpu_now_ns() - t0;
	ns = fd_key(self->fd, "drm-engine-xpu") - ns0;
	TH_LOG("%llu queues at once: engine %lld ns in %lld ns", (unsigned long long)self->queues,
	       ns, (long long)wall);
	EXPECT_GT(ns, wall) TH_LOG("%llu queues: engine %lld ns, wall %lld ns",
				   (unsigned long long)self->queues, ns, (long long)wall);
	EXPECT_LE(ns, (long long)self->queues * wall);
	for (q = 0; q < self->queues; q++) {
		xpu_bo_free(self->fd, &prog[q]);
		xpu_bo_free(self->fd, &args[q]);
	}
}

TEST_HARNESS_MAIN
