// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: the SUBMIT uAPI 1.1 (strided buffer and sync-op arrays)
 * and its compatibility with 1.0 programs, plus the driver's debug
 * categories.
 *
 * The arrays are struct drm_xpu_obj_array { stride, count, array }: the
 * tests pass elements shorter than the kernel's struct (an older header),
 * longer ones (a newer header) with a zero and a non-zero tail, and a
 * 1.0-sized struct drm_xpu_submit through the 1.0 ioctl number, as a binary
 * built against the old header does.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

/*
 * A 1.0 binary's submit: struct drm_xpu_submit up to @bos (80 bytes, fixed
 * forever), through the ioctl number that encodes that size.
 */
#define XPU_SUBMIT_SIZE_V1_0	offsetof(struct drm_xpu_submit, bos)
#define DRM_IOCTL_XPU_SUBMIT_V1_0 \
	_IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE, DRM_COMMAND_BASE + DRM_XPU_SUBMIT, \
	     XPU_SUBMIT_SIZE_V1_0)

/* above the driver's limits, to test them */
#define XPU_MAX_TEST_BOS	300
#define XPU_MAX_TEST_OPS	80

XPU_COPY_FIXTURE(submit)

/* A copy of n bytes src -> dst with the 1.1 arrays; returns job id or -errno. */
static int64_t submit_arrays(int fd, uint32_t queue, struct xpu_bo *prog, uint32_t len,
			     struct xpu_bo *args, uint64_t from, uint64_t to, uint64_t n,
			     uint32_t bo_stride, uint32_t bo_count, const void *bos,
			     uint32_t sync_stride, uint32_t sync_count, const void *syncs)
{
	uint64_t *a = args->map;
	struct drm_xpu_submit s = {
		.prog_va = prog->va, .prog_len = len,
		.args_va = args->va, .args_len = 24, .queue = queue,
		.bos = { .stride = bo_stride, .count = bo_count, .array = (uintptr_t)bos },
		.syncs = { .stride = sync_stride, .count = sync_count,
			   .array = (uintptr_t)syncs },
	};

	a[0] = from;
	a[1] = to;
	a[2] = n;
	if (ioctl(fd, DRM_IOCTL_XPU_SUBMIT, &s))
		return -errno;
	return (int64_t)s.job_id;
}

static int wait_syncobj(int fd, uint32_t handle, uint64_t point)
{
	if (point)
		return drmSyncobjTimelineWait(fd, &handle, &point, 1,
					      xpu_now_ns() + 10000000000ll,
					      DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL);
	return drmSyncobjWait(fd, &handle, 1, xpu_now_ns() + 10000000000ll,
			      DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL);
}

TEST_F(submit, version_and_limits)
{
	uint64_t v = 0, max_syncs = 0;

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_UAPI_VERSION, &v));
	EXPECT_EQ((uint64_t)DRM_XPU_UAPI_VERSION_MAJOR << 16 | DRM_XPU_UAPI_VERSION_MINOR, v);
	EXPECT_GE(v & 0xffff, 1);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_MAX_SYNC_OPS, &max_syncs));
	EXPECT_GE(max_syncs, 2);
	/* the 1.0 struct is the first 80 bytes of the 1.1 one */
	EXPECT_EQ(80, XPU_SUBMIT_SIZE_V1_0);
	EXPECT_EQ(112, sizeof(struct drm_xpu_submit));
}

/* One job signals a binary and a timeline syncobj from one sync-op array. */
TEST_F(submit, signal_two_syncobjs)
{
	struct drm_xpu_submit_bo bos[] = {
		{ .handle = self->prog.handle }, { .handle = self->args.handle },
		{ .handle = self->src.handle }, { .handle = self->dst.handle },
	};
	struct drm_xpu_sync_op ops[2] = { 0 };
	uint32_t bin, tl;
	uint64_t point = 0;
	int64_t id;

	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &bin));
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &tl));
	ops[0].flags = DRM_XPU_SYNC_OP_SIGNAL;
	ops[0].handle = bin;
	ops[1].flags = DRM_XPU_SYNC_OP_SIGNAL | DRM_XPU_SYNC_OP_TIMELINE;
	ops[1].handle = tl;
	ops[1].point = 3;
	id = submit_arrays(self->fd, 0, &self->prog, self->copy_len, &self->args,
			   self->src.va, self->dst.va, 64 << 10,
			   sizeof(bos[0]), 4, bos, sizeof(ops[0]), 2, ops);
	ASSERT_GT(id, 0);
	EXPECT_EQ(0, wait_syncobj(self->fd, bin, 0));
	EXPECT_EQ(0, wait_syncobj(self->fd, tl, 3));
	ASSERT_EQ(0, drmSyncobjQuery(self->fd, &tl, &point, 1));
	EXPECT_EQ(3, point);
	xpu_expect_copied(_metadata, self->fd, id, &self->src, &self->dst, 64 << 10);
	drmSyncobjDestroy(self->fd, bin);
	drmSyncobjDestroy(self->fd, tl);
}

/*
 * A WAIT in the sync-op array orders two jobs on different queues that
 * share no buffer list (no implicit sync): the second starts only after
 * the first, a long loop, has ended.
 */
TEST_F(submit, wait_in_sync_op_array)
{
	struct xpu_bo loop_prog, loop_args;
	struct drm_xpu_sync_op sig = { .flags = DRM_XPU_SYNC_OP_SIGNAL |
					DRM_XPU_SYNC_OP_TIMELINE, .point = 1 };
	struct drm_xpu_sync_op wait = { .flags = DRM_XPU_SYNC_OP_WAIT |
					 DRM_XPU_SYNC_OP_TIMELINE, .point = 1 };
	struct drm_xpu_wait_job w1, w2;
	struct drm_xpu_submit s = { 0 };
	uint32_t tl, loop_len;
	int64_t id1, id2;

	ASSERT_EQ(0, xpu_loop_bufs_new(self->fd, &loop_prog, &loop_args, &loop_len));
	((uint64_t *)loop_args.map)[0] = 3000000;
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &tl));
	sig.handle = tl;
	wait.handle = tl;

	s.prog_va = loop_prog.va;
	s.prog_len = loop_len;
	s.args_va = loop_args.va;
	s.args_len = 8;
	s.queue = 0;
	s.syncs.stride = sizeof(sig);
	s.syncs.count = 1;
	s.syncs.array = (uintptr_t)&sig;
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT, &s));
	id1 = s.job_id;
	id2 = submit_arrays(self->fd, 1, &self->prog, self->copy_len, &self->args,
			    self->src.va, self->dst.va, 4096, 0, 0, NULL,
			    sizeof(wait), 1, &wait);
	ASSERT_GT(id2, 0);
	ASSERT_EQ(0, xpu_wait(self->fd, id2, 60000, &w2));
	ASSERT_EQ(0, xpu_wait(self->fd, id1, 60000, &w1));
	EXPECT_EQ(DRM_XPU_JOB_OK, w1.status);
	EXPECT_EQ(DRM_XPU_JOB_OK, w2.status);
	EXPECT_GE(w2.start_ns, w1.end_ns)
		TH_LOG("second job started %lld ns before the first ended",
		       (long long)(w1.end_ns - w2.start_ns));
	EXPECT_EQ(0, memcmp(self->src.map, self->dst.map, 4096));
	drmSyncobjDestroy(self->fd, tl);
	xpu_bo_free(self->fd, &loop_prog);
	xpu_bo_free(self->fd, &loop_args);
}

/*
 * Elements shorter than the kernel's struct (an older header): a plain
 * __u32 handle array (stride 4) and 8-byte sync ops (binary, no point).
 */
TEST_F(submit, stride_smaller_than_kernel_struct)
{
	uint32_t handles[] = { self->prog.handle, self->args.handle, self->src.handle,
			       self->dst.handle };
	uint32_t ops[2][2];	/* { flags, handle } */
	uint32_t a, b;
	int64_t id;

	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &a));
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &b));
	ops[0][0] = DRM_XPU_SYNC_OP_SIGNAL;
	ops[0][1] = a;
	ops[1][0] = DRM_XPU_SYNC_OP_SIGNAL;
	ops[1][1] = b;
	id = submit_arrays(self->fd, 2, &self->prog, self->copy_len, &self->args,
			   self->src.va, self->dst.va, 8192, 4, 4, handles, 8, 2, ops);
	ASSERT_GT(id, 0);
	xpu_expect_copied(_metadata, self->fd, id, &self->src, &self->dst, 8192);
	EXPECT_EQ(0, wait_syncobj(self->fd, a, 0));
	EXPECT_EQ(0, wait_syncobj(self->fd, b, 0));

	/* below the first version: -EINVAL */
	EXPECT_EQ(-EINVAL, submit_arrays(self->fd, 2, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 2, 4, handles, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, submit_arrays(self->fd, 2, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 4, 4, handles, 4, 2, ops));
	drmSyncobjDestroy(self->fd, a);
	drmSyncobjDestroy(self->fd, b);
}

/* Elements longer than the kernel's struct (a newer header): zero tail ok. */
TEST_F(submit, stride_larger_than_kernel_struct)
{
	struct { struct drm_xpu_submit_bo bo; uint64_t future[2]; } bos[4];
	struct { struct drm_xpu_sync_op op; uint64_t future; } ops[2];
	uint32_t handles[] = { self->prog.handle, self->args.handle, self->src.handle,
			       self->dst.handle };
	uint32_t bin, tl;
	int64_t id;

	memset(bos, 0, sizeof(bos));
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < 4; i++)
		bos[i].bo.handle = handles[i];
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &bin));
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &tl));
	ops[0].op.flags = DRM_XPU_SYNC_OP_SIGNAL;
	ops[0].op.handle = bin;
	ops[1].op.flags = DRM_XPU_SYNC_OP_SIGNAL | DRM_XPU_SYNC_OP_TIMELINE;
	ops[1].op.handle = tl;
	ops[1].op.point = 7;
	id = submit_arrays(self->fd, 0, &self->prog, self->copy_len, &self->args,
			   self->src.va, self->dst.va, 16384, sizeof(bos[0]), 4, bos,
			   sizeof(ops[0]), 2, ops);
	ASSERT_GT(id, 0);
	xpu_expect_copied(_metadata, self->fd, id, &self->src, &self->dst, 16384);
	EXPECT_EQ(0, wait_syncobj(self->fd, bin, 0));
	EXPECT_EQ(0, wait_syncobj(self->fd, tl, 7));

	/* a field the kernel does not know, set: -E2BIG, nothing submitted */
	bos[2].future[1] = 1;
	EXPECT_EQ(-E2BIG, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					&self->args, self->src.va, self->dst.va, 8,
					sizeof(bos[0]), 4, bos, 0, 0, NULL));
	bos[2].future[1] = 0;
	ops[1].future = 1;
	EXPECT_EQ(-E2BIG, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					&self->args, self->src.va, self->dst.va, 8,
					sizeof(bos[0]), 4, bos, sizeof(ops[0]), 2, ops));
	drmSyncobjDestroy(self->fd, bin);
	drmSyncobjDestroy(self->fd, tl);
}

TEST_F(submit, bad_arrays_rejected)
{
	struct drm_xpu_submit_bo bos[XPU_MAX_TEST_BOS];
	struct drm_xpu_sync_op ops[XPU_MAX_TEST_OPS];
	uint64_t max_bos = 0, max_ops = 0;
	uint32_t sobj, handle = self->prog.handle;
	struct drm_xpu_sync old_in = { 0 };

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_MAX_SUBMIT_BOS, &max_bos));
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_MAX_SYNC_OPS, &max_ops));
	ASSERT_LT(max_bos, XPU_MAX_TEST_BOS);
	ASSERT_LT(max_ops, XPU_MAX_TEST_OPS);
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED, &sobj));
	memset(bos, 0, sizeof(bos));
	for (unsigned int i = 0; i < XPU_MAX_TEST_BOS; i++)
		bos[i].handle = self->prog.handle;
	memset(ops, 0, sizeof(ops));
	for (unsigned int i = 0; i < XPU_MAX_TEST_OPS; i++) {
		ops[i].flags = DRM_XPU_SYNC_OP_WAIT;
		ops[i].handle = sobj;
	}

#define SUBMIT_OPS(n) submit_arrays(self->fd, 0, &self->prog, self->copy_len, \
				    &self->args, self->src.va, self->dst.va, 8, \
				    0, 0, NULL, sizeof(ops[0]), n, ops)
#define BAD_OP(field, value, err) do {					\
		struct drm_xpu_sync_op saved = ops[0];			\
		ops[0].field = value;					\
		EXPECT_EQ(-(err), SUBMIT_OPS(1)) TH_LOG(#field " = " #value); \
		ops[0] = saved;						\
	} while (0)
	/* a valid wait on a signalled syncobj runs */
	EXPECT_GT(SUBMIT_OPS(1), 0);
	BAD_OP(flags, 0, EINVAL);
	BAD_OP(flags, DRM_XPU_SYNC_OP_WAIT | DRM_XPU_SYNC_OP_SIGNAL, EINVAL);
	BAD_OP(flags, DRM_XPU_SYNC_OP_TIMELINE, EINVAL);
	BAD_OP(flags, DRM_XPU_SYNC_OP_WAIT | (1u << 3), EINVAL);
	BAD_OP(flags, DRM_XPU_SYNC_OP_SIGNAL | (1u << 31), EINVAL);
	BAD_OP(point, 5, EINVAL);		/* a point without TIMELINE */
	BAD_OP(flags, DRM_XPU_SYNC_OP_SIGNAL | DRM_XPU_SYNC_OP_TIMELINE, EINVAL);
	BAD_OP(handle, 0x4545, ENOENT);
	/* count too big */
	EXPECT_EQ(-EINVAL, SUBMIT_OPS(max_ops + 1));
	EXPECT_GT(SUBMIT_OPS(max_ops), 0);
	EXPECT_EQ(-EINVAL, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 sizeof(bos[0]), max_bos + 1, bos, 0, 0, NULL));
	EXPECT_GT(submit_arrays(self->fd, 0, &self->prog, self->copy_len,
				&self->args, self->src.va, self->dst.va, 8,
				sizeof(bos[0]), max_bos, bos, 0, 0, NULL), 0);
	/* buffer flags are reserved */
	bos[0].flags = 1;
	EXPECT_EQ(-EINVAL, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 sizeof(bos[0]), 1, bos, 0, 0, NULL));
	bos[0].flags = 0;
	/* strides: zero and absurd */
	EXPECT_EQ(-EINVAL, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 0, 1, bos, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 1 << 20, 1, bos, 0, 0, NULL));
	/* bad pointers */
	EXPECT_EQ(-EFAULT, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 sizeof(bos[0]), 1, (void *)8, 0, 0, NULL));
	EXPECT_EQ(-EFAULT, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 0, 0, NULL, 4 + sizeof(ops[0]), 1, (void *)16));
	/* a bad handle in the buffer array */
	bos[1].handle = 0x4646;
	EXPECT_EQ(-ENOENT, submit_arrays(self->fd, 0, &self->prog, self->copy_len,
					 &self->args, self->src.va, self->dst.va, 8,
					 sizeof(bos[0]), 2, bos, 0, 0, NULL));
	bos[1].handle = self->prog.handle;

	/* one form per kind: old and new fields together are -EINVAL */
	{
		struct drm_xpu_submit s = {
			.prog_va = self->prog.va, .prog_len = self->copy_len, .queue = 0,
			.args_va = self->args.va, .args_len = 24,
			.bo_handles = (uintptr_t)&handle, .bo_count = 1,
			.bos = { .stride = sizeof(bos[0]), .count = 1,
				 .array = (uintptr_t)bos },
		};

		EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT, &s));
		EXPECT_EQ(EINVAL, errno);
		s.bo_count = 0;
		s.syncs.stride = sizeof(ops[0]);
		s.syncs.count = 1;
		s.syncs.array = (uintptr_t)ops;
		s.out_syncobj = sobj;
		EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT, &s));
		EXPECT_EQ(EINVAL, errno);
		s.out_syncobj = 0;
		old_in.handle = sobj;
		s.in_syncs = (uintptr_t)&old_in;
		s.in_sync_count = 1;
		EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT, &s));
		EXPECT_EQ(EINVAL, errno);
		s.in_sync_count = 0;
		EXPECT_EQ(0, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT, &s));
	}
#undef BAD_OP
#undef SUBMIT_OPS
	drmSyncobjDestroy(self->fd, sobj);
}

/*
 * A program built against the 1.0 header: the 80-byte struct through the
 * 1.0 ioctl number, with the old buffer, wait and signal fields. The bytes
 * after the 1.0 struct are garbage here: the kernel must not read them.
 */
TEST_F(submit, old_style_submit_still_works)
{
	uint32_t bos[] = { self->prog.handle, self->args.handle, self->src.handle,
			   self->dst.handle };
	struct drm_xpu_sync in = { 0 };
	struct drm_xpu_submit s;
	uint64_t *a = self->args.map;
	uint32_t first, out;

	ASSERT_EQ(0, drmSyncobjCreate(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED, &first));
	ASSERT_EQ(0, drmSyncobjCreate(self->fd, 0, &out));
	in.handle = first;
	a[0] = self->src.va;
	a[1] = self->dst.va;
	a[2] = 32768;
	memset(&s, 0xff, sizeof(s));
	memset(&s, 0, XPU_SUBMIT_SIZE_V1_0);
	s.prog_va = self->prog.va;
	s.prog_len = self->copy_len;
	s.args_va = self->args.va;
	s.args_len = 24;
	s.bo_handles = (uintptr_t)bos;
	s.bo_count = 4;
	s.queue = 1;
	s.in_syncs = (uintptr_t)&in;
	s.in_sync_count = 1;
	s.out_syncobj = out;
	s.out_point = 2;
	ASSERT_NE(DRM_IOCTL_XPU_SUBMIT_V1_0, DRM_IOCTL_XPU_SUBMIT);
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT_V1_0, &s));
	ASSERT_GT(s.job_id, 0);
	/* nothing written past the 1.0 struct either */
	EXPECT_EQ(~0u, s.syncs.count);
	xpu_expect_copied(_metadata, self->fd, s.job_id, &self->src, &self->dst, 32768);
	EXPECT_EQ(0, wait_syncobj(self->fd, out, 2));

	/* the same fields through the 1.1 number (zero tail) work the same */
	memset(&s.bos, 0, sizeof(s) - XPU_SUBMIT_SIZE_V1_0);
	s.job_id = 0;
	s.out_point = 3;
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT, &s));
	EXPECT_EQ(0, wait_syncobj(self->fd, out, 3));

	/* and the 1.0 errors are unchanged */
	memset(&s, 0xff, sizeof(s));
	memset(&s, 0, XPU_SUBMIT_SIZE_V1_0);
	s.prog_va = self->prog.va;
	s.prog_len = self->copy_len;
	s.bo_handles = (uintptr_t)bos;
	s.bo_count = 100000;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT_V1_0, &s));
	EXPECT_EQ(EINVAL, errno);
	s.bo_count = 1;
	s.out_syncobj = 0x4747;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_SUBMIT_V1_0, &s));
	EXPECT_EQ(ENOENT, errno);
	drmSyncobjDestroy(self->fd, first);
	drmSyncobjDestroy(self->fd, out);
}

/* Read /sys/module/xpu/parameters/<name> into buf. */
static int read_param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/xpu/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int write_param(const char *name, const char *val)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/xpu/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fputs(val, f) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/*
 * The JOB debug category, turned on through the dbg_mask parameter, logs a
 * job from submit to completion keyed by ctx, queue, seqno and job id; off,
 * it logs nothing.
 */
TEST_F(submit, debug_category_job_logs_lifecycle)
{
	uint32_t bos[] = { self->prog.handle, self->args.handle, self->src.handle,
			   self->dst.handle };
	char saved[32], rec[1024], want_submit[64], want_run[64], want_done[64];
	bool seen_submit = false, seen_done = false, seen_run = false;
	struct drm_xpu_wait_job w;
	int kmsg, found_off = 0, ret;
	int64_t id;
	ssize_t n;

	ASSERT_EQ(0, read_param("dbg_mask", saved, sizeof(saved)));
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_GE(kmsg, 0);
	ASSERT_GE(lseek(kmsg, 0, SEEK_END), 0);

	/* off: nothing about this job */
	ASSERT_EQ(0, write_param("dbg_mask", "0"));
	id = submit_arrays(self->fd, 2, &self->prog, self->copy_len, &self->args,
			   self->src.va, self->dst.va, 4096, 4, 4, bos, 0, 0, NULL);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, xpu_wait(self->fd, id, 10000, &w));
	ASSERT_EQ(DRM_XPU_JOB_OK, w.status);
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
		rec[n] = '\0';
		if (strstr(rec, "[JOB]"))
			found_off++;
	}
	EXPECT_EQ(0, found_off);

	ASSERT_EQ(0, write_param("dbg_mask", "1"));
	id = submit_arrays(self->fd, 2, &self->prog, self->copy_len, &self->args,
			   self->src.va, self->dst.va, 4096, 4, 4, bos, 0, 0, NULL);
	ret = id > 0 ? xpu_wait(self->fd, id, 10000, &w) : (int)id;
	/* back to what it was before asserting anything */
	EXPECT_EQ(0, write_param("dbg_mask", saved[0] ? saved : "0"));
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(DRM_XPU_JOB_OK, w.status);
	snprintf(want_submit, sizeof(want_submit), "queue 2 job %lld: submitted", (long long)id);
	snprintf(want_run, sizeof(want_run), "job %lld: run, slot ", (long long)id);
	snprintf(want_done, sizeof(want_done), "job %lld: done, status 0", (long long)id);
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
		rec[n] = '\0';
		if (!strstr(rec, "[JOB] ctx "))
			continue;
		seen_submit |= strstr(rec, want_submit) != NULL;
		seen_run |= strstr(rec, "queue 2 seqno ") && strstr(rec, want_run);
		seen_done |= strstr(rec, "queue 2 seqno ") && strstr(rec, want_done);
	}
	close(kmsg);
	EXPECT_TRUE(seen_submit);
	EXPECT_TRUE(seen_run);
	EXPECT_TRUE(seen_done);
}

TEST_HARNESS_MAIN
