// SPDX-License-Identifier: MIT
/*
 * libxpu DRM backend: buffers, submits and job results through the xpu accel
 * driver's ioctls (uapi/drm/xpu_accel.h), stream ordering and cross-stream
 * waits with timeline syncobjs (libdrm drmSyncobj*).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <xf86drm.h>

#include "internal.h"
#include "drm/xpu_accel.h"

static xpu_status drm_bo_create(xpu_device *dev, uint64_t size, uint32_t flags, struct xpu_bo *bo)
{
	struct drm_xpu_bo_create c = {
		.size = size,
		.flags = (flags & XPU_MEM_HOST ? DRM_XPU_BO_HOST : DRM_XPU_BO_HBM) |
			 (flags & XPU_MEM_READ_ONLY ? DRM_XPU_BO_DEVICE_RO : 0),
	};

	if (drmIoctl(dev->fd, DRM_IOCTL_XPU_BO_CREATE, &c)) {
		int err = errno;

		/* The request is valid per the uAPI (checked by the caller), so
		 * ENOTTY/EINVAL mean a driver without buffer support. */
		if (err == ENOTTY || err == EINVAL)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					     "DRM_IOCTL_XPU_BO_CREATE(size %llu): %s (errno %d): "
					     "the driver does not support buffers",
					     (unsigned long long)size, strerror(err), err);
		return xpu_errno_error(err, "DRM_IOCTL_XPU_BO_CREATE");
	}
	bo->handle = c.handle;
	bo->va = c.va;
	bo->size = (size + XPU_PAGE_SIZE - 1) & ~(XPU_PAGE_SIZE - 1);
	bo->flags = flags;
	bo->cpu = NULL;
	return XPU_SUCCESS;
}

static void drm_bo_destroy(xpu_device *dev, struct xpu_bo *bo)
{
	struct drm_gem_close c = { .handle = bo->handle };

	if (bo->cpu)
		munmap(bo->cpu, bo->size);
	bo->cpu = NULL;
	drmIoctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static xpu_status drm_bo_map(xpu_device *dev, struct xpu_bo *bo)
{
	struct drm_xpu_bo_info info = { .handle = bo->handle };
	void *p;

	if (bo->cpu)
		return XPU_SUCCESS;
	if (drmIoctl(dev->fd, DRM_IOCTL_XPU_BO_INFO, &info))
		return xpu_errno_error(errno, "DRM_IOCTL_XPU_BO_INFO");
	p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, info.mmap_offset);
	if (p == MAP_FAILED)
		return xpu_errno_error(errno, "mmap of a buffer on the accel fd");
	/* two threads may race to map: keep the first mapping */
	if (!__atomic_compare_exchange_n(&bo->cpu, &(void *){ NULL }, p, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		munmap(p, bo->size);
	return XPU_SUCCESS;
}

/* DRM_IOCTL_XPU_BO_USERPTR (uAPI 1.2): pinned user pages as a buffer. */
static xpu_status drm_bo_userptr(xpu_device *dev, void *ptr, uint64_t size, uint32_t flags,
				 struct xpu_bo *bo)
{
	struct drm_xpu_bo_userptr u = {
		.userptr = (uintptr_t)ptr,
		.size = size,
		.flags = flags & XPU_MEM_READ_ONLY ? DRM_XPU_USERPTR_DEVICE_RO : 0,
	};

	if (drmIoctl(dev->fd, DRM_IOCTL_XPU_BO_USERPTR, &u))
		return xpu_errno_error(errno, "DRM_IOCTL_XPU_BO_USERPTR");
	bo->handle = u.handle;
	bo->va = u.va;
	bo->size = size;
	bo->flags = XPU_MEM_HOST | (flags & XPU_MEM_READ_ONLY);
	bo->cpu = NULL;		/* the caller's own mapping: never mmap()ed here */
	bo->priv = 0;
	return XPU_SUCCESS;
}

static xpu_status drm_tl_create(xpu_device *dev, uint64_t *tl)
{
	uint32_t h;
	int rc = drmSyncobjCreate(dev->fd, 0, &h);

	if (rc)
		return xpu_errno_error(-rc > 0 ? -rc : errno, "drmSyncobjCreate");
	*tl = h;
	return XPU_SUCCESS;
}

static void drm_tl_destroy(xpu_device *dev, uint64_t tl)
{
	drmSyncobjDestroy(dev->fd, (uint32_t)tl);
}

static xpu_status drm_tl_wait(xpu_device *dev, uint64_t tl, uint64_t point, int64_t deadline)
{
	uint32_t h = (uint32_t)tl;
	int rc = drmSyncobjTimelineWait(dev->fd, &h, &point, 1, deadline,
					DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL);

	if (rc) {
		int err = rc < 0 ? -rc : errno;

		if (err == ETIME || err == ETIMEDOUT)
			return xpu_set_error(XPU_ERROR_TIMEOUT,
					     "drmSyncobjTimelineWait(point %llu): timed out",
					     (unsigned long long)point);
		return xpu_errno_error(err, "drmSyncobjTimelineWait");
	}
	return XPU_SUCCESS;
}

static xpu_status drm_submit(xpu_device *dev, const struct xpu_submit *s, uint64_t *job)
{
	struct drm_xpu_sync in[XPU_MAX_WAITS + 1];
	struct drm_xpu_submit sub = {
		.prog_va = s->prog_va,
		.args_va = s->args_va,
		.prog_len = s->prog_len,
		.args_len = s->args_len,
		.bo_handles = (uintptr_t)s->bos,
		.bo_count = s->num_bos,
		.queue = s->queue,
		.in_syncs = (uintptr_t)in,
		.out_syncobj = (uint32_t)s->signal.tl,
		.out_point = s->signal.point,
	};
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->num_waits && n < XPU_MAX_WAITS + 1; i++) {
		if (!s->waits[i].tl || !s->waits[i].point)
			continue;
		in[n].handle = (uint32_t)s->waits[i].tl;
		in[n].pad = 0;
		in[n].point = s->waits[i].point;
		n++;
	}
	sub.in_sync_count = n;
	if (drmIoctl(dev->fd, DRM_IOCTL_XPU_SUBMIT, &sub)) {
		int err = errno;

		if (err == ECANCELED)
			return xpu_set_error(XPU_ERROR_JOB_FAULT,
					     "DRM_IOCTL_XPU_SUBMIT: context banned after an earlier "
					     "faulted or hung job (errno %d)", err);
		if (err == ENOTTY)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					     "DRM_IOCTL_XPU_SUBMIT: not supported by the driver");
		return xpu_errno_error(err, "DRM_IOCTL_XPU_SUBMIT");
	}
	*job = sub.job_id;
	return XPU_SUCCESS;
}

static xpu_status drm_wait_job(xpu_device *dev, uint64_t job, int64_t deadline,
			       struct xpu_job_result *res)
{
	struct drm_xpu_wait_job w = { .job_id = job, .timeout_ns = deadline };

	if (drmIoctl(dev->fd, DRM_IOCTL_XPU_WAIT_JOB, &w)) {
		int err = errno;

		if (err == ETIME || err == ETIMEDOUT)
			return xpu_set_error(XPU_ERROR_TIMEOUT, "DRM_IOCTL_XPU_WAIT_JOB(job %llu): timed out",
					     (unsigned long long)job);
		return xpu_errno_error(err, "DRM_IOCTL_XPU_WAIT_JOB");
	}
	res->status = w.status;
	res->fault_access = w.fault_access;
	res->fault_va = w.fault_va;
	res->cycles = w.cycles;
	return XPU_SUCCESS;
}

static void drm_close(xpu_device *dev)
{
	(void)dev;
}

/*
 * Telemetry: the driver's sysfs counters (driver/xpu_sysfs.c), one decimal
 * file each in /sys/class/accel/accelN/device/perf/, readable by any user.
 */
static xpu_status read_counter(const char *dir, const char *name, uint64_t *v)
{
	char path[PATH_MAX + 64];
	unsigned long long x;
	xpu_status st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f) {
		st = xpu_file_error(errno, "open", path);
		if (st == XPU_ERROR_NOT_FOUND)	/* an older driver */
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					     "%s: no such file: the driver has no telemetry", path);
		return st;
	}
	if (fscanf(f, "%llu", &x) != 1) {
		fclose(f);
		return xpu_set_error(XPU_ERROR_IO, "%s: not a decimal counter", path);
	}
	fclose(f);
	*v = x;
	return XPU_SUCCESS;
}

static xpu_status drm_get_usage(xpu_device *dev, struct xpu_device_usage *u)
{
	const struct { const char *name; uint64_t *dst; } c[] = {
		{ "jobs", &u->jobs },
		{ "cycles", &u->cycles },
		{ "dma_busy_cycles", &u->dma_busy_cycles },
		{ "mxu_busy_cycles", &u->mxu_busy_cycles },
		{ "vpu_busy_cycles", &u->vpu_busy_cycles },
		{ "dma_bytes", &u->dma_bytes },
		{ "macs", &u->macs },
	};
	const char *node = strrchr(dev->props.node, '/');
	char dir[PATH_MAX];
	xpu_status st;

	snprintf(dir, sizeof(dir), "/sys/class/accel/%s/device/perf", node ? node + 1 : "?");
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		st = read_counter(dir, c[i].name, c[i].dst);
		if (st)
			return st;
	}
	return XPU_SUCCESS;
}

static const struct xpu_backend_ops drm_ops = {
	.bo_create = drm_bo_create,
	.bo_destroy = drm_bo_destroy,
	.bo_map = drm_bo_map,
	.bo_userptr = drm_bo_userptr,
	.timeline_create = drm_tl_create,
	.timeline_destroy = drm_tl_destroy,
	.timeline_wait = drm_tl_wait,
	.submit = drm_submit,
	.wait_job = drm_wait_job,
	.get_usage = drm_get_usage,
	.close = drm_close,
};

xpu_status xpu_drm_init(xpu_device *dev)
{
	struct drm_xpu_get_param p = { .param = DRM_XPU_PARAM_MAX_BO_SIZE };

	dev->ops = &drm_ops;
	dev->props.backend = XPU_BACKEND_DRM;
	/* An older driver may not know this parameter: fall back to HBM size. */
	if (drmIoctl(dev->fd, DRM_IOCTL_XPU_GET_PARAM, &p) == 0 && p.value)
		dev->props.max_buffer_size = p.value;
	else
		dev->props.max_buffer_size = dev->props.hbm_size;
	/* uAPI 1.2: user-page buffers; an older driver copies by CPU */
	p.param = DRM_XPU_PARAM_MAX_USERPTR_SIZE;
	p.value = 0;
	if (drmIoctl(dev->fd, DRM_IOCTL_XPU_GET_PARAM, &p) == 0)
		dev->max_userptr = p.value;
	return XPU_SUCCESS;
}
