// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: buffers (BO_CREATE, BO_INFO, BO_WAIT, mmap, GEM close,
 * PRIME) and per-file isolation of handles.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

FIXTURE(bo) {
	int fd;
	int minor;
};

FIXTURE_SETUP(bo)
{
	self->fd = xpu_open_nth(0, &self->minor);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(bo)
{
	close(self->fd);
}

TEST_F(bo, create_info_mmap_hbm_and_host)
{
	uint32_t place[2] = { DRM_XPU_BO_HBM, DRM_XPU_BO_HOST };
	uint64_t va_start = 0;

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_VA_START, &va_start));
	for (int i = 0; i < 2; i++) {
		struct drm_xpu_bo_info info = { 0 };
		struct xpu_bo bo;
		uint32_t *p;

		ASSERT_EQ(0, xpu_bo_new(self->fd, 3 * 4096 + 100, place[i], &bo));
		EXPECT_EQ(4 * 4096, bo.size);
		EXPECT_GE(bo.va, va_start);
		EXPECT_EQ(0, bo.va % 4096);
		info.handle = bo.handle;
		ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_XPU_BO_INFO, &info));
		EXPECT_EQ(place[i], info.flags);
		EXPECT_EQ(bo.va, info.va);
		p = bo.map;
		for (int j = 0; j < 4096; j++)
			EXPECT_EQ(0, p[j]) TH_LOG("new buffers are zeroed");
		for (int j = 0; j < 4096; j++)
			p[j] = j * 2654435761u;
		for (int j = 0; j < 4096; j++)
			ASSERT_EQ((uint32_t)(j * 2654435761u), p[j]);
		xpu_bo_free(self->fd, &bo);
	}
}

/*
 * A job copying N bytes from VA @from to VA @to on a new file of its own
 * (a fault bans the context); the job's result in @w.
 */
static int guard_copy(uint64_t (*vas)(int fd, struct xpu_bo *a, struct xpu_bo *b,
				      uint64_t *from, uint64_t *to),
		      uint64_t n, struct drm_xpu_wait_job *w, uint64_t *fault_at)
{
	struct xpu_bo prog, args, a, b;
	int fd = xpu_open_nth(0, NULL), ret = -1;
	uint64_t from, to, *arg;
	uint32_t len;
	int64_t id;

	if (fd < 0)
		return -1;
	if (xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog) ||
	    xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &args) ||
	    xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &a) ||
	    xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &b))
		goto out;
	len = xpu_prog_copy(prog.map);
	memset(a.map, 0x5a, 4096);
	memset(b.map, 0xa5, 4096);
	*fault_at = vas(fd, &a, &b, &from, &to);
	arg = args.map;
	arg[0] = from;
	arg[1] = to;
	arg[2] = n;
	id = xpu_submit(fd, 0, &prog, len, &args, 24, NULL, 0, NULL, 0, 0, 0);
	if (id > 0 && !xpu_wait(fd, id, 10000, w))
		ret = 0;
	/* a copy that did not fault copied the bytes */
	if (!ret && w->status == DRM_XPU_JOB_OK && memcmp((uint8_t *)b.map + 4096 - n,
							  (uint8_t *)a.map + 4096 - n, n))
		ret = -2;
out:
	close(fd);
	return ret;
}

/* the last 8 bytes of a (HBM) -> the last 8 bytes of b (host): in bounds */
static uint64_t last_bytes(int fd, struct xpu_bo *a, struct xpu_bo *b, uint64_t *from, uint64_t *to)
{
	*from = a->va + 4096 - 8;
	*to = b->va + 4096 - 8;
	return 0;
}

/* reads the first byte past a (HBM): its guard page */
static uint64_t read_hbm_guard(int fd, struct xpu_bo *a, struct xpu_bo *b, uint64_t *from,
			       uint64_t *to)
{
	*from = a->va + 4096;
	*to = b->va;
	return *from;
}

/* writes the first byte past b (host): its guard page */
static uint64_t write_host_guard(int fd, struct xpu_bo *a, struct xpu_bo *b, uint64_t *from,
				 uint64_t *to)
{
	*from = a->va;
	*to = b->va + 4096;
	return *to;
}

/* reads the last 8 bytes of a and on into its guard page: faults at the guard */
static uint64_t straddle_hbm_guard(int fd, struct xpu_bo *a, struct xpu_bo *b, uint64_t *from,
				   uint64_t *to)
{
	*from = a->va + 4096 - 8;
	*to = b->va;
	return a->va + 4096;
}

/*
 * Buffers get distinct VAs with an unmapped guard page after each: a job
 * reaching the last byte of a buffer runs, one touching the first byte past
 * it faults there (reads past an HBM buffer, writes past a host buffer).
 */
TEST_F(bo, distinct_vas_with_guard)
{
	struct drm_xpu_wait_job w;
	struct xpu_bo a, b;
	uint64_t at = 0;

	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HBM, &a));
	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HOST, &b));
	EXPECT_TRUE(b.va >= a.va + 8192 || a.va >= b.va + 8192);
	xpu_bo_free(self->fd, &a);
	xpu_bo_free(self->fd, &b);

	ASSERT_EQ(0, guard_copy(last_bytes, 8, &w, &at));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);

	ASSERT_EQ(0, guard_copy(read_hbm_guard, 8, &w, &at));
	EXPECT_EQ(DRM_XPU_JOB_MMU_FAULT, w.status);
	EXPECT_EQ(at, w.fault_va);
	EXPECT_EQ(XPU_ACCESS_READ, w.fault_access);

	ASSERT_EQ(0, guard_copy(write_host_guard, 8, &w, &at));
	EXPECT_EQ(DRM_XPU_JOB_MMU_FAULT, w.status);
	EXPECT_EQ(at, w.fault_va);
	EXPECT_EQ(XPU_ACCESS_WRITE, w.fault_access);

	/* an overrun that starts in bounds faults where the guard page begins */
	ASSERT_EQ(0, guard_copy(straddle_hbm_guard, 16, &w, &at));
	EXPECT_EQ(DRM_XPU_JOB_MMU_FAULT, w.status);
	EXPECT_EQ(at, w.fault_va);
	EXPECT_EQ(XPU_ACCESS_READ, w.fault_access);
}

TEST_F(bo, create_invalid)
{
	uint64_t max = 0;
	struct { uint64_t size; uint32_t flags; int err; } t[] = {
		{ 4096, 0, EINVAL },
		{ 4096, DRM_XPU_BO_HBM | DRM_XPU_BO_HOST, EINVAL },
		{ 4096, DRM_XPU_BO_HBM | 0x100, EINVAL },
		{ 0, DRM_XPU_BO_HBM, EINVAL },
		{ ~0ull, DRM_XPU_BO_HOST, EINVAL },
		{ ~0ull - 4000, DRM_XPU_BO_HBM, EINVAL },
	};

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_MAX_BO_SIZE, &max));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct drm_xpu_bo_create c = { .size = t[i].size, .flags = t[i].flags };

		EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_CREATE, &c));
		EXPECT_EQ(t[i].err, errno) TH_LOG("case %zu", i);
	}
	{
		struct drm_xpu_bo_create c = { .size = max + 1, .flags = DRM_XPU_BO_HOST };

		EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_CREATE, &c));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_CREATE, (void *)16));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(bo, info_and_wait_invalid)
{
	struct drm_xpu_bo_info info = { .handle = 0x7777 };
	struct drm_xpu_bo_wait w = { .handle = 0x7777 };
	struct drm_gem_close cl = { .handle = 0x7777 };
	struct xpu_bo bo;

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_INFO, &info));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_WAIT, &w));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &cl));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HBM, &bo));
	info.handle = bo.handle;
	info.va = 1;	/* out fields must be zero on input */
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	w.handle = bo.handle;
	w.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.pad = 0;
	w.timeout_ns = xpu_now_ns();
	EXPECT_EQ(0, ioctl(self->fd, DRM_IOCTL_XPU_BO_WAIT, &w)) TH_LOG("idle buffer");
	xpu_bo_free(self->fd, &bo);
}

/*
 * Fill HBM until -ENOMEM; everything freed is then reusable, and closing the
 * file gives back the page tables too.
 */
TEST_F(bo, hbm_exhaustion_and_reuse)
{
	enum { CHUNK = 4 << 20, MAX = 512 };
	static struct drm_xpu_bo_create c[MAX];
	uint64_t hbm = 0, before = xpu_hbm_used(self->minor);
	int n = 0, m = 0, err = 0;
	int fd = xpu_open_nth(0, NULL);

	ASSERT_GE(fd, 0);
	ASSERT_NE(~0ull, before) TH_LOG("debugfs hbm not readable");
	ASSERT_EQ(0, xpu_get_param(fd, DRM_XPU_PARAM_HBM_SIZE, &hbm));
	for (; n < MAX; n++) {
		c[n] = (struct drm_xpu_bo_create){ .size = CHUNK, .flags = DRM_XPU_BO_HBM };
		if (ioctl(fd, DRM_IOCTL_XPU_BO_CREATE, &c[n])) {
			err = errno;
			break;
		}
	}
	EXPECT_EQ(ENOMEM, err);
	EXPECT_GT(n, 0);
	EXPECT_LE((uint64_t)n * CHUNK, hbm);
	EXPECT_GE((uint64_t)(n + 2) * CHUNK, hbm) TH_LOG("only %d x 4 MiB of %llu", n,
							 (unsigned long long)hbm);
	for (int i = 0; i < n; i++) {
		struct drm_gem_close cl = { .handle = c[i].handle };

		ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl));
	}
	for (; m < MAX; m++) {
		c[m] = (struct drm_xpu_bo_create){ .size = CHUNK, .flags = DRM_XPU_BO_HBM };
		if (ioctl(fd, DRM_IOCTL_XPU_BO_CREATE, &c[m]))
			break;
	}
	EXPECT_EQ(n, m);
	close(fd);
	EXPECT_EQ(before, xpu_hbm_used(self->minor));
}

/* Host buffers travel through PRIME to another file and keep their data. */
TEST_F(bo, prime_round_trip)
{
	struct drm_xpu_bo_info info = { 0 };
	struct xpu_bo bo;
	uint32_t handle2;
	int fd2, dmabuf;
	uint32_t *p;

	ASSERT_EQ(0, xpu_bo_new(self->fd, 8192, DRM_XPU_BO_HOST, &bo));
	((uint32_t *)bo.map)[100] = 0xfeedf00d;
	ASSERT_EQ(0, drmPrimeHandleToFD(self->fd, bo.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf));
	fd2 = xpu_open_nth(0, NULL);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, drmPrimeFDToHandle(fd2, dmabuf, &handle2));
	info.handle = handle2;
	ASSERT_EQ(0, ioctl(fd2, DRM_IOCTL_XPU_BO_INFO, &info));
	EXPECT_EQ(8192, info.size);
	EXPECT_NE(0, info.va);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, info.mmap_offset);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0xfeedf00d, p[100]);
	p[101] = 0x12345678;
	EXPECT_EQ(0x12345678, ((uint32_t *)bo.map)[101]);
	munmap(p, 8192);
	close(dmabuf);
	close(fd2);
	xpu_bo_free(self->fd, &bo);
}

/*
 * uAPI 1.3: an HBM buffer exports, for other XPUs only (xpu_link_test.c
 * imports it): its dma-buf has no CPU mapping of its own (the exporter's fd
 * maps the buffer), and it imports back on the same device as itself.
 */
TEST_F(bo, hbm_export_for_xpus_only)
{
	struct xpu_bo bo;
	uint32_t h = 0;
	int dmabuf = -1;

	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HBM, &bo));
	ASSERT_EQ(0, drmPrimeHandleToFD(self->fd, bo.handle, DRM_CLOEXEC, &dmabuf));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, dmabuf, 0));
	EXPECT_EQ(0, drmPrimeFDToHandle(self->fd, dmabuf, &h));
	EXPECT_EQ(bo.handle, h);
	close(dmabuf);
	xpu_bo_free(self->fd, &bo);
}

/* A child that opens the device cannot use its parent's handles. */
TEST_F(bo, child_cannot_use_parent_handles)
{
	struct xpu_bo bo;
	pid_t pid;
	int status;

	ASSERT_EQ(0, xpu_bo_new(self->fd, 4096, DRM_XPU_BO_HBM, &bo));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = xpu_open_nth(0, NULL);
		struct drm_xpu_bo_info info = { .handle = bo.handle };
		int ok = fd >= 0 && ioctl(fd, DRM_IOCTL_XPU_BO_INFO, &info) == -1 &&
			 errno == ENOENT;

		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	xpu_bo_free(self->fd, &bo);
}

TEST_HARNESS_MAIN
