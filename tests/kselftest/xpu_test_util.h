/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the XPU kselftests: find and open an XPU accel node
 * (by driver name, as a runtime does) and map its BAR0 through sysfs.
 */
#ifndef XPU_KSELFTEST_UTIL_H
#define XPU_KSELFTEST_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <drm.h>

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <sys/wait.h>
#include <xf86drm.h>

#include "drm/xpu_accel.h"
#include "xpu_hw.h"
#include "xpu_isa.h"

/* Open the n-th XPU accel node; fills minor. Returns fd or -1. */
static inline int xpu_open_nth(int n, int *minor_out)
{
	for (int minor = 0; minor < 64; minor++) {
		char path[64], name[32] = "";
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
		int fd;

		snprintf(path, sizeof(path), "/dev/accel/accel%d", minor);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 && !strcmp(name, "xpu") &&
		    n-- == 0) {
			if (minor_out)
				*minor_out = minor;
			return fd;
		}
		close(fd);
	}
	return -1;
}

/* The accel minor of the n-th XPU (its node opened and closed again), or -1. */
static inline int xpu_minor_nth(int n)
{
	int minor = -1, fd = xpu_open_nth(n, &minor);

	if (fd < 0)
		return -1;
	close(fd);
	return minor;
}

/* sysfs directory of the accel node's PCI device into buf. */
static inline int xpu_pci_dir(int minor, char *buf, size_t len)
{
	char link[96], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/class/accel/accel%d/device", minor);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	snprintf(buf, len, "/sys/bus/pci/devices/%s", strrchr(target, '/') + 1);
	return 0;
}

/* Map BAR0 registers read-only through sysfs resource0. */
static inline volatile uint32_t *xpu_map_regs(int minor)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	void *p;
	int fd;

	if (xpu_pci_dir(minor, dir, sizeof(dir)))
		return NULL;
	snprintf(path, sizeof(path), "%s/resource0", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, XPU_REGS_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static inline uint32_t xpu_reg(volatile uint32_t *regs, uint32_t off)
{
	return regs[off / 4];
}

static inline int xpu_get_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_xpu_get_param p = { .param = param };
	int ret = ioctl(fd, DRM_IOCTL_XPU_GET_PARAM, &p);

	if (!ret)
		*value = p.value;
	return ret;
}

/* Expected value from the environment (set by the VM launcher), or -1. */
static inline long long xpu_expect(const char *name)
{
	const char *v = getenv(name);

	return v ? strtoll(v, NULL, 0) : -1;
}

struct xpu_bo {
	uint32_t handle;
	uint64_t va, size;
	void *map;
};

static inline int xpu_bo_new(int fd, uint64_t size, uint32_t flags, struct xpu_bo *bo)
{
	struct drm_xpu_bo_create c = { .size = size, .flags = flags };
	struct drm_xpu_bo_info i = { 0 };

	memset(bo, 0, sizeof(*bo));
	if (ioctl(fd, DRM_IOCTL_XPU_BO_CREATE, &c))
		return -errno;
	i.handle = c.handle;
	if (ioctl(fd, DRM_IOCTL_XPU_BO_INFO, &i))
		return -errno;
	bo->handle = c.handle;
	bo->va = c.va;
	bo->size = i.size;
	bo->map = mmap(NULL, i.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, i.mmap_offset);
	if (bo->map == MAP_FAILED)
		return -errno;
	return 0;
}

static inline void xpu_bo_free(int fd, struct xpu_bo *bo)
{
	struct drm_gem_close c = { .handle = bo->handle };

	if (bo->map && bo->map != MAP_FAILED)
		munmap(bo->map, bo->size);
	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
	memset(bo, 0, sizeof(*bo));
}

static inline int64_t xpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Submit prog (in bo prog) with args (in bo args); returns job id or -errno. */
static inline int64_t xpu_submit(int fd, uint32_t queue, const struct xpu_bo *prog,
				 uint32_t prog_len, const struct xpu_bo *args,
				 uint32_t args_len, const uint32_t *bos, uint32_t nbos,
				 const struct drm_xpu_sync *in, uint32_t nin,
				 uint32_t out_syncobj, uint64_t out_point)
{
	struct drm_xpu_submit s = {
		.prog_va = prog->va, .prog_len = prog_len,
		.args_va = args ? args->va : 0, .args_len = args_len,
		.bo_handles = (uintptr_t)bos, .bo_count = nbos, .queue = queue,
		.in_syncs = (uintptr_t)in, .in_sync_count = nin,
		.out_syncobj = out_syncobj, .out_point = out_point,
	};

	if (ioctl(fd, DRM_IOCTL_XPU_SUBMIT, &s))
		return -errno;
	return (int64_t)s.job_id;
}

static inline int xpu_wait(int fd, uint64_t job_id, int64_t timeout_ms,
			   struct drm_xpu_wait_job *out)
{
	struct drm_xpu_wait_job w = {
		.job_id = job_id, .timeout_ns = xpu_now_ns() + timeout_ms * 1000000ll,
	};
	int ret = ioctl(fd, DRM_IOCTL_XPU_WAIT_JOB, &w);

	if (out)
		*out = w;
	return ret ? -errno : 0;
}

/* Program: copy args[2] bytes from VA args[0] to VA args[1]. */
static inline uint32_t xpu_prog_copy(uint64_t *p)
{
	uint32_t n = 0;

	p[n++] = xpu_ld(XPU_MEM_W64, 3, 1, 0);
	p[n++] = xpu_ld(XPU_MEM_W64, 4, 1, 8);
	p[n++] = xpu_ld(XPU_MEM_W64, 5, 1, 16);
	p[n++] = xpu_dma(XPU_DMA_VA_TO_VA, 4, 3, 5);
	p[n++] = xpu_halt();
	return n * 8;
}

/*
 * The buffers of a copy test: the copy program (device read-only HBM), its
 * argument block (host), a 64 KiB host source and a 64 KiB HBM destination.
 * Returns 0 or -errno; *copy_len gets the program's length.
 */
static inline int xpu_copy_bufs_new(int fd, struct xpu_bo *prog, struct xpu_bo *args,
				    struct xpu_bo *src, struct xpu_bo *dst,
				    uint32_t *copy_len)
{
	int ret = xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM | DRM_XPU_BO_DEVICE_RO, prog);

	if (!ret)
		ret = xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, args);
	if (!ret)
		ret = xpu_bo_new(fd, 64 << 10, DRM_XPU_BO_HOST, src);
	if (!ret)
		ret = xpu_bo_new(fd, 64 << 10, DRM_XPU_BO_HBM, dst);
	if (!ret)
		*copy_len = xpu_prog_copy(prog->map);
	return ret;
}

static inline void xpu_copy_bufs_free(int fd, struct xpu_bo *prog, struct xpu_bo *args,
				      struct xpu_bo *src, struct xpu_bo *dst)
{
	xpu_bo_free(fd, prog);
	xpu_bo_free(fd, args);
	xpu_bo_free(fd, src);
	xpu_bo_free(fd, dst);
}

/*
 * FIXTURE(name) of the copy suites (kselftest_harness.h): device 0 as
 * self->fd and self->minor, the buffers of xpu_copy_bufs_new as self->prog,
 * args, src, dst and copy_len, the source filled with byte i = i * 13 + 5;
 * all released at teardown.
 */
#define XPU_COPY_FIXTURE(name)							\
	FIXTURE(name) {								\
		int fd, minor;							\
		struct xpu_bo prog, args, src, dst;				\
		uint32_t copy_len;						\
	};									\
	FIXTURE_SETUP(name)							\
	{									\
		self->fd = xpu_open_nth(0, &self->minor);			\
		ASSERT_GE(self->fd, 0);						\
		ASSERT_EQ(0, xpu_copy_bufs_new(self->fd, &self->prog, &self->args,	\
					       &self->src, &self->dst,		\
					       &self->copy_len));		\
		for (int i = 0; i < (64 << 10); i++)				\
			((uint8_t *)self->src.map)[i] = i * 13 + 5;		\
	}									\
	FIXTURE_TEARDOWN(name)							\
	{									\
		xpu_copy_bufs_free(self->fd, &self->prog, &self->args, &self->src,	\
				   &self->dst);					\
		close(self->fd);						\
	}

/*
 * Submit, on queue 0, the copy of the buffers of xpu_copy_bufs_new: bytes
 * from src to dst. Returns the job id or -errno.
 */
static inline int64_t xpu_copy_submit(int fd, const struct xpu_bo *prog,
				      const struct xpu_bo *args, const struct xpu_bo *src,
				      const struct xpu_bo *dst, uint32_t copy_len, uint64_t bytes)
{
	uint32_t bos[4] = { prog->handle, args->handle, src->handle, dst->handle };
	uint64_t *a = args->map;

	a[0] = src->va;
	a[1] = dst->va;
	a[2] = bytes;
	return xpu_submit(fd, 0, prog, copy_len, args, 24, bos, 4, NULL, 0, 0, 0);
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * In a kselftest: job id of fd ends with status OK (waited for up to 10 s)
 * and dst holds the first n bytes of src, as a copy job leaves them.
 */
static inline void xpu_expect_copied(struct __test_metadata *_metadata, int fd, int64_t id,
				     const struct xpu_bo *src, const struct xpu_bo *dst, size_t n)
{
	struct drm_xpu_wait_job w;

	ASSERT_EQ(0, xpu_wait(fd, id, 10000, &w));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
	EXPECT_EQ(0, memcmp(src->map, dst->map, n));
}
#endif

/* xorshift64: the tests' and benches' pseudo-random numbers (*s != 0) */
static inline uint64_t xpu_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Program: count r3 from 0 to args[0] (a long job that keeps progressing). */
static inline uint32_t xpu_prog_loop(uint64_t *p)
{
	uint32_t n = 0;

	p[n++] = xpu_ld(XPU_MEM_W64, 4, 1, 0);
	p[n++] = xpu_li(3, 0);
	p[n++] = xpu_addi(3, 3, 1);
	p[n++] = xpu_br(XPU_BR_LTU, 3, 4, -1);
	p[n++] = xpu_halt();
	return n * 8;
}

/*
 * The buffers of a counting-loop job: the loop program (HBM) and its
 * argument block (host; args[0] is the iteration count). Returns 0 or
 * -errno; *len gets the program's length.
 */
static inline int xpu_loop_bufs_new(int fd, struct xpu_bo *prog, struct xpu_bo *args,
				    uint32_t *len)
{
	int ret = xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, prog);

	if (!ret)
		ret = xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, args);
	if (!ret)
		*len = xpu_prog_loop(prog->map);
	return ret;
}

/* An HBM buffer of size as a bare handle (no info, no mapping): 0 or -errno. */
static inline int xpu_hbm_handle_new(int fd, uint64_t size, uint32_t *handle)
{
	struct drm_xpu_bo_create c = { .size = size, .flags = DRM_XPU_BO_HBM };

	if (ioctl(fd, DRM_IOCTL_XPU_BO_CREATE, &c))
		return -errno;
	*handle = c.handle;
	return 0;
}

/* debugfs directory of an accel minor: /sys/kernel/debug/accel/<pci name> */
static inline void xpu_debugfs_path(int minor, const char *file, char *path, size_t len)
{
	char dir[PATH_MAX] = "";

	xpu_pci_dir(minor, dir, sizeof(dir));
	snprintf(path, len, "/sys/kernel/debug/accel/%s/%s",
		 strrchr(dir, '/') ? strrchr(dir, '/') + 1 : "none", file);
}

/* Write a debugfs file of an accel minor. */
static inline int xpu_debugfs_write(int minor, const char *file, const char *val)
{
	char path[PATH_MAX];
	int fd, ret;

	xpu_debugfs_path(minor, file, path, sizeof(path));
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* Read a debugfs file into buf. */
static inline int xpu_debugfs_read(int minor, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	xpu_debugfs_path(minor, file, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static inline uint64_t xpu_hbm_used(int minor)
{
	char buf[256], *p;

	if (xpu_debugfs_read(minor, "hbm", buf, sizeof(buf)))
		return ~0ull;
	p = strstr(buf, "used ");
	return p ? strtoull(p + 5, NULL, 10) : ~0ull;
}

#endif /* XPU_KSELFTEST_UTIL_H */
