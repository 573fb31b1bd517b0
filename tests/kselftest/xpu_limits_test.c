// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: the documented count limits of SUBMIT, at the limit and
 * one past it, in both forms (1.0 fields and 1.1 arrays), and the errno of
 * GEM_CLOSE for a handle the file does not have (docs/driver.md, "Errors").
 *
 * At the limit the job runs and its result is checked, and the last element
 * is shown to be read (a bad handle there gives ENOENT, a wait there orders
 * the job after another one); one past the limit gives EINVAL with every
 * element valid, so the count alone is refused.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

#define MAX_TEST 300	/* above every limit */

FIXTURE(limits) {
	int fd;
	struct xpu_bo prog, args, src, dst, loop_prog, loop_args;
	uint32_t copy_len, loop_len;
};

FIXTURE_SETUP(limits)
{
	self->fd = xpu_open_nth(0, NULL);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, xpu_copy_bufs_new(self->fd, &self->prog, &self->args, &self->src,
				       &self->dst, &self->copy_len));
	ASSERT_EQ(0, xpu_loop_bufs_new(self->fd, &self->loop_prog, &self->loop_args,
				       &self->loop_len));
	((uint64_t *)self->loop_args.map)[0] = 20000000;	/* a fraction of a second */
	for (int i = 0; i < 4096; i++)
		((uint8_t *)self->src.map)[i] = i * 7 + 3;
}

FIXTURE_TEARDOWN(limits)
{
	xpu_copy_bufs_free(self->fd, &self->prog, &self->args, &self->src, &self->dst);
	xpu_bo_free(self->fd, &self->loop_prog);
	xpu_bo_free(self->fd, &self->loop_args);
	close(self->fd);
}

/* The copy job's submit (4096 bytes src -> dst), 1.0 fields or 1.1 arrays as set in s. */
static void copy_submit_init(FIXTURE_DATA(limits) *self, struct drm_xpu_submit *s)
{
	uint64_t *a = self->args.map;

	a[0] = self->src.va;
	a[1] = self->dst.va;
	a[2] = 4096;
	memset(self->dst.map, 0, 4096);
	memset(s, 0, sizeof(*s));
	s->prog_va = self->prog.va;
	s->prog_len = self->copy_len;
	s->args_va = self->args.va;
	s->args_len = 24;
}

static int submit(int fd, struct drm_xpu_submit *s)
{
	s->job_id = 0;
	return ioctl(fd, DRM_IOCTL_XPU_SUBMIT, s) ? -errno : 0;
}

/* The copy ran: status OK and dst holds src. */
static int copy_done(FIXTURE_DATA(limits) *self, uint64_t id, struct drm_xpu_wait_job *w)
{
	int ret = xpu_wait(self->fd, id, 20000, w);

	if (ret)
		return ret;
	if (w->status != DRM_XPU_JOB_OK)
		return -EIO;
	return memcmp(self->src.map, self->dst.map, 4096) ? -EBADMSG : 0;
}

/* A loop job on queue 1 that signals syncobj out; its job id. */
static int64_t gate_job(FIXTURE_DATA(limits) *self, uint32_t out)
{
	uint32_t bos[] = { self->loop_prog.handle, self->loop_args.handle };

	return xpu_submit(self->fd, 1, &self->loop_prog, self->loop_len, &self->loop_args, 8,
			  bos, 2, NULL, 0, out, 0);
}

/*
 * DRM_XPU_PARAM_MAX_SUBMIT_BOS distinct buffers: the job runs; a bad handle
 * in the last slot is found (ENOENT); one buffer more is EINVAL. For the
 * 1.0 handle array and the 1.1 buffer array.
 */
TEST_F(limits, submit_bo_count)
{
	static struct xpu_bo extra[MAX_TEST];
	static uint32_t handles[MAX_TEST + 1];
	static struct drm_xpu_submit_bo bos[MAX_TEST + 1];
	struct drm_xpu_wait_job w;
	struct drm_xpu_submit s;
	uint64_t max = 0;
	uint32_t i, n;

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_MAX_SUBMIT_BOS, &max));
	ASSERT_GE(max, 4);
	ASSERT_LT(max, MAX_TEST);
	handles[0] = self->prog.handle;
	handles[1] = self->args.handle;
	handles[2] = self->src.handle;
	handles[3] = self->dst.handle;
	for (n = 4; n < max + 1; n++) {
		ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HOST, &extra[n]));
		handles[n] = extra[n].handle;
	}
	for (i = 0; i < max + 1; i++)
		bos[i].handle = handles[i];

	/* 1.0: the __u32 handle array */
	copy_submit_init(self, &s);
	s.bo_handles = (uintptr_t)handles;
	s.bo_count = max;
	ASSERT_EQ(0, submit(self->fd, &s));
	EXPECT_EQ(0, copy_done(self, s.job_id, &w));
	s.bo_count = max + 1;
	EXPECT_EQ(-EINVAL, submit(self->fd, &s)) TH_LOG("1.0: %llu buffers", (unsigned long long)max + 1);
	handles[max - 1] = 0x5151;
	s.bo_count = max;
	EXPECT_EQ(-ENOENT, submit(self->fd, &s)) TH_LOG("1.0: bad handle in slot %llu",
							(unsigned long long)max);
	handles[max - 1] = extra[max - 1].handle;

	/* 1.1: the buffer array */
	copy_submit_init(self, &s);
	s.bos.stride = sizeof(bos[0]);
	s.bos.array = (uintptr_t)bos;
	s.bos.count = max;
	ASSERT_EQ(0, submit(self->fd, &s));
	EXPECT_EQ(0, copy_done(self, s.job_id, &w));
	s.bos.count = max + 1;
	EXPECT_EQ(-EINVAL, submit(self->fd, &s)) TH_LOG("1.1: %llu buffers", (unsigned long long)max + 1);
	bos[max - 1].handle = 0x5151;
	s.bos.count = max;
	EXPECT_EQ(-ENOENT, submit(self->fd, &s)) TH_LOG("1.1: bad handle in slot %llu",
							(unsigned long long)max);
	for (n = 4; n < max + 1; n++)
		xpu_bo_free(self->fd, &extra[n]);
}

/*
 * 1.0: 64 syncobj waits (XPU_MAX_IN_SYNCS in docs/driver.md) plus the
 * out_syncobj: the job waits for the last one (the gate job's syncobj:
 * it starts after the gate ended) and signals; 65 waits are EINVAL.
 */
TEST_F(limits, submit_1_0_sync_count)
{
	enum { MAX_WAITS = 64 };
	struct drm_xpu_sync in[MAX_WAITS + 1];
	struct drm_xpu_wait_job w, wg;
	struct drm_xpu_submit s;
	uint32_t done_obj, gate_obj, sig[MAX_WAITS + 1];
	int64_t gate;
	int i;

	memset(in, 0, sizeof(in));
	for (i = 0; i < MAX_WAITS + 1; i++) {
		ASSERT_EQ(0, drmSyncobjCreate(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED, &sig[i]));
		in[i].handle = sig[i];
	}
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &gate_obj));
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &done_obj));

	copy_submit_init(self, &s);
	s.in_syncs = (uintptr_t)in;
	s.in_sync_count = MAX_WAITS + 1;
	s.out_syncobj = done_obj;
	EXPECT_EQ(-EINVAL, submit(self->fd, &s)) TH_LOG("%d waits", MAX_WAITS + 1);

	gate = gate_job(self, gate_obj);
	ASSERT_GT(gate, 0);
	in[MAX_WAITS - 1].handle = gate_obj;	/* the last of 64 */
	s.in_sync_count = MAX_WAITS;
	ASSERT_EQ(0, submit(self->fd, &s));
	EXPECT_EQ(0, copy_done(self, s.job_id, &w));
	ASSERT_EQ(0, xpu_wait(self->fd, gate, 20000, &wg));
	EXPECT_EQ(DRM_XPU_JOB_OK, wg.status);
	EXPECT_GE(w.start_ns, wg.end_ns) TH_LOG("the job ran before its 64th wait signalled");
	TH_LOG("gate ended at %llu ns, the job started at %llu ns",
	       (unsigned long long)wg.end_ns, (unsigned long long)w.start_ns);
	EXPECT_EQ(0, drmSyncobjWait(self->fd, &done_obj, 1, xpu_now_ns() + 10000000000ll, 0, NULL));

	for (i = 0; i < MAX_WAITS + 1; i++)
		drmSyncobjDestroy(self->fd, sig[i]);
	drmSyncobjDestroy(self->fd, gate_obj);
	drmSyncobjDestroy(self->fd, done_obj);
}

/*
 * 1.1: DRM_XPU_PARAM_MAX_SYNC_OPS sync ops (waits, the last one on the
 * gate job, and a signal at the end of the array): the job starts after
 * the gate and signals; one op more is EINVAL.
 */
TEST_F(limits, submit_sync_op_count)
{
	static struct drm_xpu_sync_op ops[MAX_TEST + 1];
	struct drm_xpu_wait_job w, wg;
	struct drm_xpu_submit s;
	uint32_t sig, gate_obj, done_obj;
	uint64_t max = 0, i;
	int64_t gate;

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_MAX_SYNC_OPS, &max));
	ASSERT_GE(max, 2);
	ASSERT_LT(max, MAX_TEST);
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED, &sig));
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &gate_obj));
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &done_obj));
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < max + 1; i++) {
		ops[i].flags = DRM_XPU_SYNC_OP_WAIT;
		ops[i].handle = sig;
	}
	ops[max - 2].handle = gate_obj;
	ops[max - 1].flags = DRM_XPU_SYNC_OP_SIGNAL;
	ops[max - 1].handle = done_obj;

	copy_submit_init(self, &s);
	s.syncs.stride = sizeof(ops[0]);
	s.syncs.array = (uintptr_t)ops;
	s.syncs.count = max + 1;
	EXPECT_EQ(-EINVAL, submit(self->fd, &s)) TH_LOG("%llu sync ops", (unsigned long long)max + 1);

	gate = gate_job(self, gate_obj);
	ASSERT_GT(gate, 0);
	s.syncs.count = max;
	ASSERT_EQ(0, submit(self->fd, &s));
	EXPECT_EQ(0, copy_done(self, s.job_id, &w));
	ASSERT_EQ(0, xpu_wait(self->fd, gate, 20000, &wg));
	EXPECT_EQ(DRM_XPU_JOB_OK, wg.status);
	EXPECT_GE(w.start_ns, wg.end_ns) TH_LOG("the job ran before its wait signalled");
	EXPECT_EQ(0, drmSyncobjWait(self->fd, &done_obj, 1, xpu_now_ns() + 10000000000ll, 0, NULL))
		TH_LOG("the signal op at the end of a %llu-op array", (unsigned long long)max);

	drmSyncobjDestroy(self->fd, sig);
	drmSyncobjDestroy(self->fd, gate_obj);
	drmSyncobjDestroy(self->fd, done_obj);
}

/*
 * GEM_CLOSE (a DRM core ioctl) of a handle the file does not have is
 * EINVAL, not the driver's ENOENT: never created, 0, already closed, and
 * another file's handle.
 */
TEST_F(limits, gem_close_unknown_handle_einval)
{
	struct drm_gem_close c = { .handle = 0x6161 };
	struct xpu_bo bo;
	int fd2;

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.handle = 0;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &c));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HOST, &bo));
	fd2 = xpu_open_nth(0, NULL);
	ASSERT_GE(fd2, 0);
	c.handle = bo.handle;
	EXPECT_EQ(-1, ioctl(fd2, DRM_IOCTL_GEM_CLOSE, &c)) TH_LOG("another file's handle");
	EXPECT_EQ(EINVAL, errno);
	close(fd2);
	EXPECT_EQ(0, ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &c));
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &c)) TH_LOG("closed twice");
	EXPECT_EQ(EINVAL, errno);
	munmap(bo.map, bo.size);
}

TEST_HARNESS_MAIN
