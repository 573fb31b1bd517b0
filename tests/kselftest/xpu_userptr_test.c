// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: user-page buffers (DRM_IOCTL_XPU_BO_USERPTR, uAPI 1.2).
 * The device copies from and into the caller's own pages, bad arguments and
 * memory that cannot be pinned give the errno the uAPI header documents,
 * a read-only buffer cannot be written by the device, the pages count in
 * the process's pinned memory (VmPin) until the buffer is freed, and
 * RLIMIT_MEMLOCK bounds them for a process without CAP_IPC_LOCK.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

#define PG 4096ul

FIXTURE(userptr) {
	int fd;
	struct xpu_bo prog, args;
	uint32_t prog_len;
};

FIXTURE_SETUP(userptr)
{
	uint64_t v = 0;

	self->fd = xpu_open_nth(0, NULL);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_UAPI_VERSION, &v));
	ASSERT_GE(v & 0xffff, 2) TH_LOG("uAPI 1.2 brings BO_USERPTR");
	ASSERT_EQ(0, xpu_bo_new(self->fd, PG, DRM_XPU_BO_HBM | DRM_XPU_BO_DEVICE_RO, &self->prog));
	ASSERT_EQ(0, xpu_bo_new(self->fd, PG, DRM_XPU_BO_HOST, &self->args));
	self->prog_len = xpu_prog_copy(self->prog.map);
}

FIXTURE_TEARDOWN(userptr)
{
	xpu_bo_free(self->fd, &self->prog);
	xpu_bo_free(self->fd, &self->args);
	close(self->fd);
}

static int userptr(int fd, const void *p, uint64_t size, uint32_t flags,
		   struct drm_xpu_bo_userptr *out)
{
	struct drm_xpu_bo_userptr u = { .userptr = (uintptr_t)p, .size = size, .flags = flags };
	int ret = ioctl(fd, DRM_IOCTL_XPU_BO_USERPTR, &u);

	if (out)
		*out = u;
	return ret ? -errno : 0;
}

static void gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/* A job copying n bytes from VA from to VA to; the buffers are listed. Its status or -errno. */
static int run_copy(int fd, struct xpu_bo *prog, uint32_t prog_len, struct xpu_bo *args,
		    uint64_t from, uint64_t to, uint64_t n, uint32_t h1, uint32_t h2)
{
	uint32_t bos[2] = { h1, h2 };
	struct drm_xpu_wait_job w;
	uint64_t *a = args->map;
	int64_t id;
	int ret;

	a[0] = from;
	a[1] = to;
	a[2] = n;
	id = xpu_submit(fd, 0, prog, prog_len, args, 24, bos, 2, NULL, 0, 0, 0);
	if (id < 0)
		return (int)id;
	ret = xpu_wait(fd, id, 20000, &w);
	return ret ? ret : (int)w.status;
}

/*
 * The device copies the n bytes of user buffer u into a new HBM buffer,
 * where every byte must be val; then u and the HBM buffer are closed.
 */
static void read_into_hbm_close(struct __test_metadata *_metadata, FIXTURE_DATA(userptr) *self,
				const struct drm_xpu_bo_userptr *u, size_t n, uint8_t val)
{
	struct xpu_bo hbm;

	ASSERT_EQ(0, xpu_bo_new(self->fd, n, DRM_XPU_BO_HBM, &hbm));
	ASSERT_EQ(DRM_XPU_JOB_OK, run_copy(self->fd, &self->prog, self->prog_len, &self->args,
					   u->va, hbm.va, n, u->handle, hbm.handle));
	for (size_t i = 0; i < n; i++)
		ASSERT_EQ(val, ((uint8_t *)hbm.map)[i]);
	gem_close(self->fd, u->handle);
	xpu_bo_free(self->fd, &hbm);
}

/* The VmPin line of /proc/self/status in KiB, or -1. */
static long vm_pin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void *anon(size_t n, int prot)
{
	void *p = mmap(NULL, n, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

TEST_F(userptr, param_and_info)
{
	struct drm_xpu_bo_userptr u;
	struct drm_xpu_bo_info info = { 0 };
	uint64_t max = 0, va_start = 0;
	uint8_t *p = anon(4 * PG, PROT_READ | PROT_WRITE);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_MAX_USERPTR_SIZE, &max));
	EXPECT_GE(max, 64ull << 20);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_VA_START, &va_start));
	ASSERT_EQ(0, userptr(self->fd, p, 4 * PG, DRM_XPU_USERPTR_DEVICE_RO, &u));
	EXPECT_NE(0, u.handle);
	EXPECT_GE(u.va, va_start);
	EXPECT_EQ(0, u.va % PG);
	info.handle = u.handle;
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_XPU_BO_INFO, &info));
	EXPECT_EQ(DRM_XPU_BO_HOST | DRM_XPU_BO_USER_PAGES | DRM_XPU_BO_DEVICE_RO, info.flags);
	EXPECT_EQ(4 * PG, info.size);
	EXPECT_EQ(u.va, info.va);
	/* the caller has its own mapping: none through the fd */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, self->fd,
				   info.mmap_offset));
	EXPECT_EQ(EINVAL, errno);
	gem_close(self->fd, u.handle);
	munmap(p, 4 * PG);
}

/* The device reads the caller's pages and writes into them, at any offset. */
TEST_F(userptr, device_reads_and_writes_user_pages)
{
	const size_t n = 16 * PG;
	uint8_t *src = anon(n, PROT_READ | PROT_WRITE), *dst = anon(n, PROT_READ | PROT_WRITE);
	struct drm_xpu_bo_userptr us, ud;
	struct xpu_bo hbm;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0xee, n);
	ASSERT_EQ(0, xpu_bo_new(self->fd, n, DRM_XPU_BO_HBM, &hbm));
	ASSERT_EQ(0, userptr(self->fd, src, n, DRM_XPU_USERPTR_DEVICE_RO, &us));
	ASSERT_EQ(0, userptr(self->fd, dst, n, 0, &ud));
	/* user pages -> HBM: all of it, then an unaligned piece */
	ASSERT_EQ(DRM_XPU_JOB_OK, run_copy(self->fd, &self->prog, self->prog_len, &self->args,
					   us.va, hbm.va, n, us.handle, hbm.handle));
	EXPECT_EQ(0, memcmp(hbm.map, src, n));
	/* HBM -> user pages, [100, n - 300) into dst + 5: the bytes around stay */
	ASSERT_EQ(DRM_XPU_JOB_OK, run_copy(self->fd, &self->prog, self->prog_len, &self->args,
					   hbm.va + 100, ud.va + 5, n - 400, hbm.handle,
					   ud.handle));
	for (size_t i = 0; i < 5; i++)
		ASSERT_EQ(0xee, dst[i]);
	EXPECT_EQ(0, memcmp(dst + 5, src + 100, n - 400));
	for (size_t i = n - 395; i < n; i++) {
		ASSERT_EQ(0xee, dst[i]) TH_LOG("byte %zu after the copied range", i);
	}
	gem_close(self->fd, us.handle);
	gem_close(self->fd, ud.handle);
	xpu_bo_free(self->fd, &hbm);
	munmap(src, n);
	munmap(dst, n);
}

TEST_F(userptr, bad_arguments_einval)
{
	uint8_t *p = anon(4 * PG, PROT_READ | PROT_WRITE);
	struct drm_xpu_bo_userptr u = { 0 };
	uint64_t max = 0;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_MAX_USERPTR_SIZE, &max));
	EXPECT_EQ(-EINVAL, userptr(self->fd, p + 1, PG, 0, NULL)) TH_LOG("unaligned pointer");
	EXPECT_EQ(-EINVAL, userptr(self->fd, p + 2048, PG, 0, NULL));
	EXPECT_EQ(-EINVAL, userptr(self->fd, p, PG + 1, 0, NULL)) TH_LOG("unaligned size");
	EXPECT_EQ(-EINVAL, userptr(self->fd, p, 100, 0, NULL));
	EXPECT_EQ(-EINVAL, userptr(self->fd, p, 0, 0, NULL)) TH_LOG("empty");
	EXPECT_EQ(-EINVAL, userptr(self->fd, p, max + PG, 0, NULL)) TH_LOG("too large");
	EXPECT_EQ(-EINVAL, userptr(self->fd, p, PG, 1u << 5, NULL)) TH_LOG("unknown flag");
	EXPECT_EQ(-EINVAL, userptr(self->fd, (void *)(uintptr_t)(-PG), 2 * PG, 0, NULL))
		TH_LOG("range wraps around");
	/* outputs and reserved fields must be zero */
	u.userptr = (uintptr_t)p;
	u.size = PG;
	u.rsvd = 1;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_USERPTR, &u));
	EXPECT_EQ(EINVAL, errno);
	u.rsvd = 0;
	u.handle = 1;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_USERPTR, &u));
	EXPECT_EQ(EINVAL, errno);
	u.handle = 0;
	u.va = 0x100000;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_USERPTR, &u));
	EXPECT_EQ(EINVAL, errno);
	/* BO_CREATE does not take the output-only flag */
	{
		struct drm_xpu_bo_create c = {
			.size = PG, .flags = DRM_XPU_BO_HOST | DRM_XPU_BO_USER_PAGES,
		};

		EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_BO_CREATE, &c));
		EXPECT_EQ(EINVAL, errno);
	}
	munmap(p, 4 * PG);
}

TEST_F(userptr, memory_that_cannot_be_pinned_efault)
{
	uint8_t *p = anon(4 * PG, PROT_READ | PROT_WRITE);
	struct xpu_bo hbm;

	ASSERT_NE(NULL, p);
	/* a hole in the middle of the range */
	ASSERT_EQ(0, munmap(p + 2 * PG, PG));
	EXPECT_EQ(-EFAULT, userptr(self->fd, p, 4 * PG, 0, NULL));
	EXPECT_EQ(-EFAULT, userptr(self->fd, p, 4 * PG, DRM_XPU_USERPTR_DEVICE_RO, NULL));
	EXPECT_EQ(0, userptr(self->fd, p, 2 * PG, 0, NULL) < 0) TH_LOG("the part before is fine");
	EXPECT_EQ(-EFAULT, userptr(self->fd, NULL, PG, 0, NULL)) TH_LOG("page 0");
	EXPECT_EQ(-EFAULT, userptr(self->fd, (void *)0xffff888000000000ull, PG, 0, NULL))
		TH_LOG("a kernel address");
	/* another buffer's BAR mapping is I/O memory */
	ASSERT_EQ(0, xpu_bo_new(self->fd, 2 * PG, DRM_XPU_BO_HBM, &hbm));
	EXPECT_EQ(-EFAULT, userptr(self->fd, hbm.map, 2 * PG, DRM_XPU_USERPTR_DEVICE_RO, NULL));
	xpu_bo_free(self->fd, &hbm);
	munmap(p, 2 * PG);
	munmap(p + 3 * PG, PG);
}

/* Read-only pages: only a device-read-only buffer, which the device cannot write. */
TEST_F(userptr, read_only_pages)
{
	uint8_t *p = anon(2 * PG, PROT_READ | PROT_WRITE);
	struct drm_xpu_bo_userptr u;
	int fd2;

	ASSERT_NE(NULL, p);
	memset(p, 0x42, 2 * PG);
	ASSERT_EQ(0, mprotect(p, 2 * PG, PROT_READ));
	EXPECT_EQ(-EFAULT, userptr(self->fd, p, 2 * PG, 0, NULL))
		TH_LOG("a device-writable buffer needs writable pages");
	ASSERT_EQ(0, userptr(self->fd, p, 2 * PG, DRM_XPU_USERPTR_DEVICE_RO, &u));
	read_into_hbm_close(_metadata, self, &u, 2 * PG, 0x42);

	/* a device write into a read-only buffer faults (on a file of its own: it is banned) */
	fd2 = xpu_open_nth(0, NULL);
	ASSERT_GE(fd2, 0);
	{
		struct xpu_bo prog, args, src;
		uint32_t len;

		ASSERT_EQ(0, xpu_bo_new(fd2, PG, DRM_XPU_BO_HBM, &prog));
		ASSERT_EQ(0, xpu_bo_new(fd2, PG, DRM_XPU_BO_HOST, &args));
		ASSERT_EQ(0, xpu_bo_new(fd2, PG, DRM_XPU_BO_HBM, &src));
		len = xpu_prog_copy(prog.map);
		ASSERT_EQ(0, userptr(fd2, p, 2 * PG, DRM_XPU_USERPTR_DEVICE_RO, &u));
		EXPECT_EQ(DRM_XPU_JOB_MMU_FAULT, run_copy(fd2, &prog, len, &args, src.va, u.va, 64,
							   src.handle, u.handle));
		for (size_t i = 0; i < 2 * PG; i++)
			ASSERT_EQ(0x42, p[i]);
	}
	close(fd2);
	munmap(p, 2 * PG);
}

/* The pages stay pinned (VmPin) while the buffer lives and are released at its end. */
TEST_F(userptr, pinned_until_closed)
{
	const size_t n = 256 * PG;
	uint8_t *p = anon(n, PROT_READ | PROT_WRITE);
	struct drm_xpu_bo_userptr u;
	long before = vm_pin_kb();

	ASSERT_NE(NULL, p);
	ASSERT_GE(before, 0);
	memset(p, 1, n);
	ASSERT_EQ(0, userptr(self->fd, p, n, 0, &u));
	EXPECT_EQ(before + (long)(n >> 10), vm_pin_kb());
	gem_close(self->fd, u.handle);
	EXPECT_EQ(before, vm_pin_kb());
	/* and at the close of the file */
	{
		int fd2 = xpu_open_nth(0, NULL);

		ASSERT_GE(fd2, 0);
		ASSERT_EQ(0, userptr(fd2, p, n, DRM_XPU_USERPTR_DEVICE_RO, NULL));
		ASSERT_EQ(0, userptr(fd2, p, n, 0, NULL)) TH_LOG("the same pages twice");
		EXPECT_EQ(before + 2 * (long)(n >> 10), vm_pin_kb());
		close(fd2);
		EXPECT_EQ(before, vm_pin_kb());
	}
	munmap(p, n);
}

/* Without CAP_IPC_LOCK the pinned pages are bounded by RLIMIT_MEMLOCK: -ENOMEM. */
TEST_F(userptr, memlock_limit_enomem)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		struct rlimit rl = { 64 * PG, 64 * PG };
		uint8_t *p = anon(128 * PG, PROT_READ | PROT_WRITE);
		int fd = xpu_open_nth(0, NULL);

		if (!p || fd < 0 || syscall(SYS_capget, &h, d))
			_exit(10);
		d[0].effective &= ~(1u << CAP_IPC_LOCK);
		if (syscall(SYS_capset, &h, d) || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		if (userptr(fd, p, 128 * PG, 0, NULL) != -ENOMEM)
			_exit(12);
		if (userptr(fd, p, 32 * PG, 0, NULL))
			_exit(13);	/* within the limit */
		if (userptr(fd, p + 32 * PG, 64 * PG, 0, NULL) != -ENOMEM)
			_exit(14);	/* 32 + 64 pages over it */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* The device keeps the pinned pages even after the caller unmapped them. */
TEST_F(userptr, pages_outlive_munmap)
{
	uint8_t *p = anon(4 * PG, PROT_READ | PROT_WRITE);
	struct drm_xpu_bo_userptr u;

	ASSERT_NE(NULL, p);
	memset(p, 0x5c, 4 * PG);
	ASSERT_EQ(0, userptr(self->fd, p, 4 * PG, DRM_XPU_USERPTR_DEVICE_RO, &u));
	ASSERT_EQ(0, munmap(p, 4 * PG));
	read_into_hbm_close(_metadata, self, &u, 4 * PG, 0x5c);
}

TEST_HARNESS_MAIN
