// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: job submission (SUBMIT, WAIT_JOB), data correctness,
 * dependencies through syncobjs, concurrency and isolation.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

XPU_COPY_FIXTURE(job)

static int64_t submit_copy(int fd, uint32_t queue, struct xpu_bo *prog, uint32_t len,
			   struct xpu_bo *args, uint64_t from, uint64_t to, uint64_t n,
			   const struct drm_xpu_sync *in, uint32_t nin, uint32_t out,
			   uint64_t point, const uint32_t *bos, uint32_t nbos)
{
	uint64_t *a = args->map;

	a[0] = from;
	a[1] = to;
	a[2] = n;
	return xpu_submit(fd, queue, prog, len, args, 24, bos, nbos, in, nin, out, point);
}

/* A DMA copy host -> HBM -> host produces the right bytes. */
TEST_F(job, dma_copy_round_trip)
{
	uint32_t bos[] = { self->prog.handle, self->args.handle, self->src.handle,
			   self->dst.handle };
	struct drm_xpu_wait_job w;
	uint8_t *s = self->src.map, *d = self->dst.map;
	int64_t id;

	for (int i = 0; i < (64 << 10); i++)
		s[i] = i * 7 + 1;
	id = submit_copy(self->fd, 0, &self->prog, self->copy_len, &self->args,
			 self->src.va, self->dst.va, 64 << 10, NULL, 0, 0, 0, bos, 4);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, xpu_wait(self->fd, id, 10000, &w));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
	EXPECT_GT(w.cycles, 0);
	EXPECT_GT(w.dma_busy, 0);		/* a copy: DMA only */
	EXPECT_EQ(0, w.mxu_busy);
	EXPECT_EQ(0, w.vpu_busy);
	EXPECT_LE(w.submit_ns, w.start_ns);
	EXPECT_LE(w.start_ns, w.end_ns);
	EXPECT_EQ(0, memcmp(s, d, 64 << 10));

	/* and back into a zeroed part of the source buffer */
	memset(s, 0, 4096);
	id = submit_copy(self->fd, 1, &self->prog, self->copy_len, &self->args,
			 self->dst.va, self->src.va, 4096, NULL, 0, 0, 0, bos, 4);
	ASSERT_GT(id, 0);
	xpu_expect_copied(_metadata, self->fd, id, &self->src, &self->dst, 4096);
}

/* A counter of the driver's sysfs telemetry, or -1. */
static long long perf_counter(int minor, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	long long v = -1;
	FILE *f;

	if (xpu_pci_dir(minor, dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/perf/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* An int8 matrix multiply on the systolic array. */
TEST_F(job, matmul_int8)
{
	enum { M = 33, K = 70, N = 45 };
	uint64_t *p = self->prog.map;
	int8_t *a = self->src.map, *b = a + M * K;
	int32_t *c = self->dst.map;
	uint32_t bos[] = { self->prog.handle, self->src.handle, self->dst.handle };
	struct drm_xpu_wait_job w;
	long long macs0 = perf_counter(self->minor, "macs");
	long long jobs0 = perf_counter(self->minor, "jobs");
	uint32_t n = 0;
	int64_t id;

	ASSERT_GE(macs0, 0) TH_LOG("no sysfs perf counters");
	for (int i = 0; i < M * K + K * N; i++)
		a[i] = (int8_t)(i * 37 + 11);
	p[n++] = xpu_liu(3, M);
	p[n++] = xpu_liu(4, K);
	p[n++] = xpu_liu(5, N);
	p[n++] = xpu_liu(6, self->src.va);
	p[n++] = xpu_lih(6, self->src.va >> 32);
	p[n++] = xpu_liu(7, self->src.va + M * K);
	p[n++] = xpu_lih(7, (self->src.va + M * K) >> 32);
	p[n++] = xpu_liu(8, self->dst.va);
	p[n++] = xpu_lih(8, self->dst.va >> 32);
	p[n++] = xpu_liu(9, M * K);
	p[n++] = xpu_liu(10, K * N);
	p[n++] = xpu_liu(11, M * N * 4);
	p[n++] = xpu_liu(12, 8192);		/* B in the scratchpad */
	p[n++] = xpu_liu(13, XPU_LA_ACC);
	p[n++] = xpu_dma(XPU_DMA_VA_TO_LA, 0, 6, 9);
	p[n++] = xpu_dma(XPU_DMA_VA_TO_LA, 12, 7, 10);
	p[n++] = xpu_mcfg(XPU_MCFG_SHAPE, 3, 4, 5);
	p[n++] = xpu_matmul(XPU_MM_INT8, 13, 0, 12);
	p[n++] = xpu_dma(XPU_DMA_LA_TO_VA, 8, 13, 11);
	p[n++] = xpu_halt();
	id = xpu_submit(self->fd, 2, &self->prog, n * 8, NULL, 0, bos, 3, NULL, 0, 0, 0);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, xpu_wait(self->fd, id, 10000, &w));
	ASSERT_EQ(DRM_XPU_JOB_OK, w.status);
	/* the utilisation telemetry saw it */
	EXPECT_GE(perf_counter(self->minor, "macs") - macs0, (long long)M * N * K);
	EXPECT_GE(perf_counter(self->minor, "jobs") - jobs0, 1);
	EXPECT_GT(perf_counter(self->minor, "mxu_busy_cycles"), 0);
	/* uAPI 1.3: the job's own busy time per unit, from the timing model */
	EXPECT_GT(w.dma_busy, 0);
	EXPECT_GT(w.mxu_busy, 0);
	EXPECT_EQ(0, w.vpu_busy);
	EXPECT_EQ(0, w.link_busy);
	EXPECT_LE(w.mxu_busy, w.cycles);
	EXPECT_LE(w.dma_busy, w.cycles);
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			int32_t acc = 0;

			for (int k = 0; k < K; k++)
				acc += a[i * K + k] * b[k * N + j];
			ASSERT_EQ(acc, c[i * N + j]) TH_LOG("c[%d][%d]", i, j);
		}
}

/* A chain on two queues ordered by a timeline syncobj. */
TEST_F(job, timeline_dependency_chain)
{
	struct xpu_bo args2, mid;
	uint32_t syncobj;
	uint32_t bos[] = { self->prog.handle, self->args.handle, self->src.handle,
			   self->dst.handle, 0, 0 };
	struct drm_xpu_sync dep = { 0 };
	uint64_t point = 0;
	int64_t id1, id2;
	uint8_t *s = self->src.map;

	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HOST, &args2));
	ASSERT_EQ(0, xpu_bo_new(self->fd, 64 << 10, DRM_XPU_BO_HBM, &mid));
	bos[4] = args2.handle;
	bos[5] = mid.handle;
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &syncobj));
	for (int i = 0; i < (64 << 10); i++)
		s[i] = i ^ 0x5a;

	/* job 1: src -> mid, signals point 5; job 2 waits for point 5: mid -> dst */
	id1 = submit_copy(self->fd, 0, &self->prog, self->copy_len, &self->args,
			  self->src.va, mid.va, 64 << 10, NULL, 0, syncobj, 5, bos, 2);
	ASSERT_GT(id1, 0);
	dep.handle = syncobj;
	dep.point = 5;
	id2 = submit_copy(self->fd, 1, &self->prog, self->copy_len, &args2,
			  mid.va, self->dst.va, 64 << 10, &dep, 1, syncobj, 6, NULL, 0);
	ASSERT_GT(id2, 0);
	ASSERT_EQ(0, drmSyncobjTimelineWait(self->fd, &syncobj, (uint64_t[]){ 6 }, 1,
					    xpu_now_ns() + 10000000000ll,
					    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL));
	ASSERT_EQ(0, drmSyncobjQuery(self->fd, &syncobj, &point, 1));
	EXPECT_EQ(6, point);
	xpu_expect_copied(_metadata, self->fd, id2, &self->src, &self->dst, 64 << 10);
	drmSyncobjDestroy(self->fd, syncobj);
	xpu_bo_free(self->fd, &args2);
	xpu_bo_free(self->fd, &mid);
}

/* Jobs SUBMIT ran without the scheduler on queue q (debugfs), or -1. */
/* the module parameter direct_submit is on */
static int direct_submit_on(void)
{
	FILE *f = fopen("/sys/module/xpu/parameters/direct_submit", "r");
	int on = 0;

	if (f) {
		on = fgetc(f) == 'Y';
		fclose(f);
	}
	return on;
}

static long long direct_jobs(int minor, uint32_t q)
{
	char buf[1024], key[32], *p;

	if (xpu_debugfs_read(minor, "queues", buf, sizeof(buf)))
		return -1;
	snprintf(key, sizeof(key), "queue %u:", q);
	p = strstr(buf, key);
	p = p ? strstr(p, " direct ") : NULL;
	return p ? atoll(p + 8) : -1;
}

/*
 * Direct submission (module parameter direct_submit): a job that waits for
 * nothing on an idle queue goes to the hardware from SUBMIT itself; one
 * behind a running job, and one that waits for a fence not yet signalled,
 * go through the scheduler; either way every job runs once, in order, with
 * its data and its fences right. (Fails if the driver ran the job behind
 * the loop directly too: the debugfs count says which path each took.)
 * A direct attempt may legitimately fall back (a hang check holding the
 * recovery lock that moment), so the first one is tried a few times.
 */
TEST_F(job, direct_submission_only_when_nothing_comes_first)
{
	struct xpu_bo lprog, largs;
	struct drm_xpu_wait_job wl, wa, wb;
	struct drm_xpu_sync dep = { 0 };
	uint32_t bos[] = { self->prog.handle, self->args.handle, self->src.handle,
			   self->dst.handle };
	uint32_t lbos[2], llen, syncobj;
	long long d0, d1 = -1, dl, q1;
	int64_t id, idl, ida, idb;

	if (!direct_submit_on())
		SKIP(return, "direct_submit is off (or no xpu module parameters)");
	d0 = direct_jobs(self->minor, 0);
	ASSERT_GE(d0, 0) TH_LOG("no 'direct N' in debugfs queues (not root?)");

	/* nothing in flight, no dependency: direct, and the copy is right */
	for (int i = 0; i < 5 && d1 != d0 + 1; i++) {
		memset(self->dst.map, 0, 4096);
		id = submit_copy(self->fd, 0, &self->prog, self->copy_len, &self->args,
				 self->src.va, self->dst.va, 4096, NULL, 0, 0, 0, bos, 4);
		ASSERT_GT(id, 0);
		xpu_expect_copied(_metadata, self->fd, id, &self->src, &self->dst, 4096);
		d1 = direct_jobs(self->minor, 0);
		if (d1 != d0 + 1)
			d0 = d1;
	}
	EXPECT_EQ(d0 + 1, d1) TH_LOG("an idle queue's job never ran directly");

	/*
	 * A long loop on queue 0 (about half a second; direct, as a rule)
	 * that signals a syncobj; a copy on queue 0 behind it (the queue is
	 * busy: scheduler) and one on queue 1 that waits for the syncobj (a
	 * fence not yet signalled: scheduler). Both end after the loop.
	 */
	ASSERT_EQ(0, xpu_loop_bufs_new(self->fd, &lprog, &largs, &llen));
	((uint64_t *)largs.map)[0] = 30000000;
	lbos[0] = lprog.handle;
	lbos[1] = largs.handle;
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &syncobj));
	idl = xpu_submit(self->fd, 0, &lprog, llen, &largs, 8, lbos, 2, NULL, 0, syncobj, 0);
	ASSERT_GT(idl, 0);
	dl = direct_jobs(self->minor, 0);
	memset(self->dst.map, 0, 4096);
	ida = submit_copy(self->fd, 0, &self->prog, self->copy_len, &self->args,
			  self->src.va, self->dst.va, 4096, NULL, 0, 0, 0, NULL, 0);
	ASSERT_GT(ida, 0);
	dep.handle = syncobj;
	q1 = direct_jobs(self->minor, 1);
	idb = submit_copy(self->fd, 1, &self->prog, self->copy_len, &self->args,
			  self->src.va, self->dst.va, 4096, &dep, 1, 0, 0, NULL, 0);
	ASSERT_GT(idb, 0);
	/* read before the loop ends: both found something before them */
	EXPECT_EQ(dl, direct_jobs(self->minor, 0)) TH_LOG("queue 0: the copy behind the loop ran directly");
	EXPECT_EQ(q1, direct_jobs(self->minor, 1)) TH_LOG("queue 1: the waiting job ran directly");
	ASSERT_EQ(0, xpu_wait(self->fd, idl, 20000, &wl));
	ASSERT_EQ(0, xpu_wait(self->fd, ida, 20000, &wa));
	ASSERT_EQ(0, xpu_wait(self->fd, idb, 20000, &wb));
	EXPECT_EQ(DRM_XPU_JOB_OK, wl.status);
	EXPECT_EQ(DRM_XPU_JOB_OK, wa.status);
	EXPECT_EQ(DRM_XPU_JOB_OK, wb.status);
	EXPECT_EQ(0, memcmp(self->src.map, self->dst.map, 4096));
	/* in order: the copy ended after the loop, queue 1's job ran after it */
	EXPECT_GE(wa.end_ns, wl.end_ns);
	EXPECT_GE(wb.start_ns, wl.end_ns);
	/* the loop ran long enough for the checks above to mean something */
	EXPECT_GT(wl.end_ns, wb.submit_ns) TH_LOG("the loop ended before the last SUBMIT");
	drmSyncobjDestroy(self->fd, syncobj);
	xpu_bo_free(self->fd, &lprog);
	xpu_bo_free(self->fd, &largs);
}

/* debugfs "queues": the driver's hardware fences not yet released */
static long long live_fences(int minor)
{
	char buf[1024], *p;

	if (xpu_debugfs_read(minor, "queues", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "hw fences live (all devices) ");
	return p ? atoll(p + strlen("hw fences live (all devices) ")) : -1;
}

/*
 * Direct jobs give their hardware fences back: 32 jobs of a file of their
 * own, most of them direct, and once the file is closed (its jobs freed a
 * tick later) the driver holds no more fences than before. (Failed before
 * the fix: each direct job kept the reference run_job hands the scheduler,
 * 40500 kmemleak reports in one make check-debug.)
 */
TEST_F(job, direct_jobs_release_their_fences)
{
	struct xpu_bo prog, args, src, dst;
	struct drm_xpu_wait_job w;
	long long f0, f1 = -1, d0;
	uint32_t len;
	int fd, minor;

	if (!direct_submit_on())
		SKIP(return, "direct_submit is off (or no xpu module parameters)");
	f0 = live_fences(self->minor);
	ASSERT_GE(f0, 0) TH_LOG("no 'hw fences live' in debugfs queues (not root?)");
	d0 = direct_jobs(self->minor, 0);
	fd = xpu_open_nth(0, &minor);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, xpu_copy_bufs_new(fd, &prog, &args, &src, &dst, &len));
	for (int i = 0; i < 32; i++) {
		int64_t id = xpu_copy_submit(fd, &prog, &args, &src, &dst, len, 4096);

		ASSERT_GT(id, 0);
		ASSERT_EQ(0, xpu_wait(fd, id, 20000, &w));
		ASSERT_EQ(DRM_XPU_JOB_OK, w.status);
	}
	EXPECT_GE(direct_jobs(self->minor, 0) - d0, 16) TH_LOG("most of the jobs ran directly");
	xpu_copy_bufs_free(fd, &prog, &args, &src, &dst);
	close(fd);
	for (int i = 0; i < 150; i++) {
		f1 = live_fences(self->minor);
		if (f1 <= f0)
			break;
		usleep(20000);
	}
	EXPECT_LE(f1, f0) TH_LOG("%lld hardware fences more than before, 2 s after the file closed",
				 f1 - f0);
}

/* A binary syncobj signalled by a job. */
/*
 * The out-syncobj signals when the job is done: the job has its final
 * status (OK, not still running) and its data is in place at that point.
 */
TEST_F(job, binary_syncobj_signalled)
{
	uint8_t *s = self->src.map, *d = self->dst.map;
	struct drm_xpu_wait_job w;
	uint32_t syncobj;
	int64_t id;

	for (int i = 0; i < 4096; i++)
		s[i] = i * 13 + 5;
	memset(d, 0, 4096);
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &syncobj));
	id = submit_copy(self->fd, 0, &self->prog, self->copy_len, &self->args,
			 self->src.va, self->dst.va, 4096, NULL, 0, syncobj, 0, NULL, 0);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, drmSyncobjWait(self->fd, &syncobj, 1, xpu_now_ns() + 10000000000ll,
				    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL));
	/* signalled: the data is there before anything else waits */
	EXPECT_EQ(0, memcmp(s, d, 4096));
	/* and the job ended with status OK */
	ASSERT_EQ(0, xpu_wait(self->fd, id, 1000, &w));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
	EXPECT_GT(w.cycles, 0);
	drmSyncobjDestroy(self->fd, syncobj);
}

/*
 * A job whose hardware context has no page table (the debugfs knob makes the
 * driver send the next job on queue 1 with context 0) ends with its own
 * status, DRM_XPU_JOB_BAD_CTX, not folded into BAD_DESC; the knob is one-shot
 * and the queue keeps serving.
 */
TEST_F(job, bad_ctx_status_not_folded)
{
	struct drm_xpu_wait_job w;
	uint64_t state = 0;
	int64_t id;

	ASSERT_EQ(0, xpu_debugfs_write(self->minor, "inject", "badctx 1"));
	/* no buffer list: the next job must not depend on the failed one */
	id = submit_copy(self->fd, 1, &self->prog, self->copy_len, &self->args,
			 self->src.va, self->dst.va, 4096, NULL, 0, 0, 0, NULL, 0);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, xpu_wait(self->fd, id, 10000, &w));
	EXPECT_EQ(DRM_XPU_JOB_BAD_CTX, w.status);
	EXPECT_NE(DRM_XPU_JOB_BAD_DESC, w.status);

	memset(self->src.map, 0x3c, 4096);
	id = submit_copy(self->fd, 1, &self->prog, self->copy_len, &self->args,
			 self->src.va, self->dst.va, 4096, NULL, 0, 0, 0, NULL, 0);
	ASSERT_GT(id, 0);
	xpu_expect_copied(_metadata, self->fd, id, &self->src, &self->dst, 4096);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_CTX_STATE, &state));
	EXPECT_FALSE(state & DRM_XPU_CTX_BANNED);
}

TEST_F(job, submit_invalid)
{
	uint32_t bad_bo = 0x4242, bos[1] = { self->prog.handle };
	struct drm_xpu_sync bad_sync = { .handle = 0x4343 };
	struct drm_xpu_submit s = {
		.prog_va = self->prog.va, .prog_len = self->copy_len,
	};
	uint64_t nq = 0;

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_NUM_QUEUES, &nq));
#define BAD(field, value, err) do {					\
		struct drm_xpu_submit t = s;				\
		t.field = value;					\
		EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT, &t));	\
		EXPECT_EQ(err, errno) TH_LOG(#field " = " #value);	\
	} while (0)
	BAD(queue, nq, EINVAL);
	BAD(prog_len, 0, EINVAL);
	BAD(prog_len, 12, EINVAL);
	BAD(prog_va, self->prog.va + 4, EINVAL);
	BAD(flags, 1, EINVAL);
	BAD(pad, 1, EINVAL);
	BAD(job_id, 1, EINVAL);
	BAD(bo_count, 100000, EINVAL);
	BAD(in_sync_count, 100000, EINVAL);
	s.bo_handles = (uintptr_t)&bad_bo;
	BAD(bo_count, 1, ENOENT);
	s.bo_handles = 8;
	BAD(bo_count, 1, EFAULT);
	s.bo_handles = (uintptr_t)bos;
	BAD(out_syncobj, 0x4444, ENOENT);
	s.in_syncs = (uintptr_t)&bad_sync;
	BAD(in_sync_count, 1, ENOENT);
	s.in_syncs = 16;
	BAD(in_sync_count, 1, EFAULT);
#undef BAD
}

TEST_F(job, wait_invalid_and_timeout)
{
	struct drm_xpu_wait_job w = { .job_id = 999999 };
	uint64_t *a = self->args.map;
	uint32_t len = xpu_prog_loop(self->prog.map);
	int64_t id;

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_WAIT_JOB, &w));
	EXPECT_EQ(ENOENT, errno);
	w.job_id = 0;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_WAIT_JOB, &w));
	EXPECT_EQ(ENOENT, errno);

	a[0] = 20000000;	/* long enough to poll while it runs */
	id = xpu_submit(self->fd, 0, &self->prog, len, &self->args, 8, NULL, 0, NULL, 0, 0, 0);
	ASSERT_GT(id, 0);
	w = (struct drm_xpu_wait_job){ .job_id = id, .rsvd = { 1 } };
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_WAIT_JOB, &w));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ETIME, xpu_wait(self->fd, id, 0, NULL));
	ASSERT_EQ(0, xpu_wait(self->fd, id, 60000, &w));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
}

/* Several processes at once, each checking its own results. */
TEST_F(job, many_processes_many_jobs)
{
	enum { PROCS = 4, JOBS = 24 };
	pid_t pids[PROCS];

	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		ASSERT_GE(pids[p], 0);
		if (pids[p] == 0) {
			int fd = xpu_open_nth(0, NULL), bad = 0;
			struct xpu_bo prog, args[JOBS], src, dst;
			uint32_t len;
			int64_t ids[JOBS];

			if (fd < 0 || xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog) ||
			    xpu_bo_new(fd, JOBS * 4096, DRM_XPU_BO_HOST, &src) ||
			    xpu_bo_new(fd, JOBS * 4096, DRM_XPU_BO_HBM, &dst))
				_exit(2);
			len = xpu_prog_copy(prog.map);
			for (int i = 0; i < JOBS * 4096; i++)
				((uint8_t *)src.map)[i] = i * (p + 3);
			for (int j = 0; j < JOBS; j++) {
				uint32_t bos[3] = { prog.handle, src.handle, dst.handle };

				if (xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &args[j]))
					_exit(3);
				ids[j] = submit_copy(fd, (p + j) % 3, &prog, len, &args[j],
						     src.va + j * 4096, dst.va + j * 4096,
						     4096, NULL, 0, 0, 0, bos, 3);
				if (ids[j] <= 0)
					_exit(4);
			}
			for (int j = 0; j < JOBS; j++) {
				struct drm_xpu_wait_job w;

				if (xpu_wait(fd, ids[j], 30000, &w) || w.status)
					bad++;
			}
			if (memcmp(src.map, dst.map, JOBS * 4096))
				bad++;
			_exit(bad ? 1 : 0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int status;

		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("process %d: status 0x%x", p, status);
	}
}

/*
 * A job touching an unmapped VA faults and bans its context, without
 * disturbing a concurrent job of another process.
 */
TEST_F(job, fault_isolation)
{
	uint64_t state = 0, resets = 0;
	uint32_t bos[] = { self->prog.handle, self->args.handle, self->src.handle,
			   self->dst.handle };
	struct drm_xpu_wait_job w;
	int fds[2];
	pid_t pid;
	int64_t id;
	int status;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* the innocent neighbour: a long copy loop on the same queue */
		int fd = xpu_open_nth(0, NULL), bad = 0;
		struct xpu_bo prog, args, src, dst;
		uint32_t len;
		char c;

		if (fd < 0 || xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog) ||
		    xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &args) ||
		    xpu_bo_new(fd, 1 << 20, DRM_XPU_BO_HOST, &src) ||
		    xpu_bo_new(fd, 1 << 20, DRM_XPU_BO_HBM, &dst))
			_exit(2);
		len = xpu_prog_copy(prog.map);
		memset(src.map, 0xab, 1 << 20);
		if (read(fds[0], &c, 1) != 1)
			_exit(5);
		for (int i = 0; i < 8; i++) {
			uint32_t b[] = { prog.handle, args.handle, src.handle, dst.handle };
			int64_t j = submit_copy(fd, 0, &prog, len, &args, src.va, dst.va,
						1 << 20, NULL, 0, 0, 0, b, 4);

			if (j <= 0 || xpu_wait(fd, j, 30000, &w) || w.status)
				bad++;
		}
		if (memcmp(src.map, dst.map, 1 << 20))
			bad++;
		_exit(bad ? 1 : 0);
	}
	EXPECT_EQ(1, write(fds[1], "x", 1));
	/* copy from an address nothing is mapped at */
	id = submit_copy(self->fd, 0, &self->prog, self->copy_len, &self->args,
			 0x7f0000000000ull, self->dst.va, 4096, NULL, 0, 0, 0, bos, 4);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, xpu_wait(self->fd, id, 10000, &w));
	EXPECT_EQ(DRM_XPU_JOB_MMU_FAULT, w.status);
	EXPECT_EQ(0x7f0000000000ull, w.fault_va);
	EXPECT_EQ(XPU_ACCESS_READ, w.fault_access);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_CTX_STATE, &state));
	EXPECT_TRUE(state & DRM_XPU_CTX_FAULTED);
	EXPECT_TRUE(state & DRM_XPU_CTX_BANNED);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_CTX_RESETS, &resets));
	EXPECT_EQ(1, resets);
	EXPECT_EQ(-ECANCELED, submit_copy(self->fd, 0, &self->prog, self->copy_len,
					  &self->args, self->src.va, self->dst.va, 4096,
					  NULL, 0, 0, 0, bos, 4));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_HARNESS_MAIN
