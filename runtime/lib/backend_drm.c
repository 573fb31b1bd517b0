// SPDX-License-Identifier: MIT
/*
 * libxpu DRM backend: buffers, submits and job results through the xpu accel
 * driver's ioctls (uapi/drm/xpu_accel.h), stream ordering and cross-stream
 * waits with timeline syncobjs (libdrm drmSyncobj*). Links (uAPI 1.3): the
 * GET_PARAM link parameters and the link<P>/ counters in sysfs; a buffer of
 * another XPU is imported through PRIME (the driver maps it over a link or
 * PCIe P2P); a fence of another XPU's timeline travels as a sync file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
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
	/* uAPI 1.3 on a 1.1 device: the job's busy time per unit (the profiler's
	 * unit tracks); an older driver leaves the fields zero */
	if ((dev->props.uapi_version & 0xffff) >= 3 && (dev->props.hw_version & 0xffff) >= 1) {
		res->has_units = 1;
		res->dma_busy = w.dma_busy;
		res->mxu_busy = w.mxu_busy;
		res->vpu_busy = w.vpu_busy;
	}
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

/* ---- links and peers (uAPI 1.3) ---------------------------------------------- */
static int param(int fd, uint32_t p, uint64_t *v)
{
	struct drm_xpu_get_param g = { .param = p };

	*v = 0;
	if (drmIoctl(fd, DRM_IOCTL_XPU_GET_PARAM, &g))
		return -errno;
	*v = g.value;
	return 0;
}

/* A driver before uAPI 1.3 has no links: chip 0, no ports. */
static xpu_status drm_link_query(xpu_device *dev, uint32_t *chip, uint32_t *num_links)
{
	uint64_t c, n;
	int rc = param(dev->fd, DRM_XPU_PARAM_CHIP_ID, &c);

	if (rc == -EINVAL) {
		*chip = 0;
		*num_links = 0;
		return XPU_SUCCESS;
	}
	if (!rc)
		rc = param(dev->fd, DRM_XPU_PARAM_NUM_LINKS, &n);
	if (rc)
		return xpu_errno_error(-rc, "DRM_IOCTL_XPU_GET_PARAM(CHIP_ID/NUM_LINKS)");
	*chip = (uint32_t)c;
	*num_links = (uint32_t)n;
	return XPU_SUCCESS;
}

/* dev->chip_index: the xpu_device_open() index of every chip id in the system */
static void chip_indices(xpu_device *dev)
{
	int minors[64], n;

	pthread_mutex_lock(&dev->lock);
	if (dev->chip_index_ready) {
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	for (int c = 0; c < XPU_MAX_CHIPS; c++)
		dev->chip_index[c] = -1;
	n = xpu_list_minors(minors, 64);
	for (int i = 0; i < n; i++) {
		char path[64];
		uint64_t chip;
		int fd;

		snprintf(path, sizeof(path), "/dev/accel/accel%d", minors[i]);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!param(fd, DRM_XPU_PARAM_CHIP_ID, &chip) && chip < XPU_MAX_CHIPS &&
		    dev->chip_index[chip] < 0)
			dev->chip_index[chip] = i;
		close(fd);
	}
	dev->chip_index_ready = 1;
	pthread_mutex_unlock(&dev->lock);
}

static xpu_status drm_link_info(xpu_device *dev, uint32_t port, struct xpu_link_info *info)
{
	static const char *const names[] = { "bytes", "transfers", "busy_cycles", "errors" };
	uint64_t *cnt[] = { &info->bytes, &info->transfers, &info->busy_cycles, &info->errors };
	uint64_t peer, gbps, lat;
	char dir[PATH_MAX];
	int rc;

	rc = param(dev->fd, DRM_XPU_PARAM_LINK_PEER(port), &peer);
	if (!rc)
		rc = param(dev->fd, DRM_XPU_PARAM_LINK_GBPS, &gbps);
	if (!rc)
		rc = param(dev->fd, DRM_XPU_PARAM_LINK_LATENCY, &lat);
	if (rc)
		return xpu_errno_error(-rc, "DRM_IOCTL_XPU_GET_PARAM(LINK_PEER/GBPS/LATENCY)");
	info->port = port;
	info->gbps = (uint32_t)gbps;
	info->latency_cycles = (uint32_t)lat;
	info->peer_index = -1;
	if (peer == DRM_XPU_LINK_PEER_NONE) {
		info->state = XPU_LINK_STATE_NONE;
	} else {
		info->state = peer & DRM_XPU_LINK_UP ? XPU_LINK_STATE_UP : XPU_LINK_STATE_DOWN;
		info->peer_chip = (uint32_t)(peer & 0xffff);
		info->peer_port = (uint32_t)((peer >> 16) & 0xff);
		chip_indices(dev);
		if (info->peer_chip < XPU_MAX_CHIPS)
			info->peer_index = dev->chip_index[info->peer_chip];
	}
	/* counters: the driver's sysfs link<P>/ group */
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/link%u", dev->props.pci_address, port);
	for (int i = 0; i < 4; i++) {
		xpu_status st = read_counter(dir, names[i], cnt[i]);

		if (st)
			return st;
	}
	return XPU_SUCCESS;
}

static enum xpu_peer_path drm_peer_path(xpu_device *dev, xpu_device *peer)
{
	uint32_t chip, pchip, n, pn;

	if (!strcmp(dev->props.pci_address, peer->props.pci_address))
		return XPU_PEER_SELF;	/* two handles of one device */
	if (drm_link_query(dev, &chip, &n) || drm_link_query(peer, &pchip, &pn))
		return XPU_PEER_PCIE;
	for (uint32_t p = 0; p < n; p++) {
		uint64_t v;

		if (!param(dev->fd, DRM_XPU_PARAM_LINK_PEER(p), &v) && v != DRM_XPU_LINK_PEER_NONE &&
		    (v & DRM_XPU_LINK_UP) && (v & 0xffff) == pchip)
			return XPU_PEER_LINK;
	}
	/* the driver imports by PCIe peer-to-peer when no link joins them */
	return XPU_PEER_PCIE;
}

/* The owner's buffer exported as a dma-buf and imported on dev's fd. */
static xpu_status drm_peer_map(struct xpu_peer_map *m)
{
	xpu_device *owner = m->buf->dev, *dev = m->dev;
	struct drm_xpu_bo_info info = { 0 };
	int fd, rc, err;
	uint32_t h;

	if (drmPrimeHandleToFD(owner->fd, m->buf->bo.handle, DRM_CLOEXEC | DRM_RDWR, &fd))
		return xpu_errno_error(errno, "DRM_IOCTL_PRIME_HANDLE_TO_FD on the owner");
	rc = drmPrimeFDToHandle(dev->fd, fd, &h);
	err = errno;
	close(fd);
	if (rc) {
		if (err == ENOLINK || err == EOPNOTSUPP)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					     "DRM_IOCTL_PRIME_FD_TO_HANDLE: %s (errno %d): the driver "
					     "reaches the peer neither over a link nor by PCIe P2P",
					     strerror(err), err);
		return xpu_errno_error(err, "DRM_IOCTL_PRIME_FD_TO_HANDLE");
	}
	info.handle = h;
	if (drmIoctl(dev->fd, DRM_IOCTL_XPU_BO_INFO, &info)) {
		struct drm_gem_close c = { .handle = h };

		err = errno;
		drmIoctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &c);
		return xpu_errno_error(err, "DRM_IOCTL_XPU_BO_INFO of an imported buffer");
	}
	m->handle = h;
	m->va = info.va;
	m->path = info.flags & DRM_XPU_BO_PEER_LINK ? XPU_PEER_LINK :
		  info.flags & DRM_XPU_BO_PEER_PCIE ? XPU_PEER_PCIE : XPU_PEER_SELF;
	return XPU_SUCCESS;
}

static void drm_peer_unmap(struct xpu_peer_map *m)
{
	struct drm_gem_close c = { .handle = m->handle };

	drmIoctl(m->dev->fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/*
 * src's timeline point as a wait on dev: the point's fence moved into a
 * binary syncobj of src's fd, exported as a sync file, imported into a
 * binary syncobj of dev's fd and moved to point 1 of a new timeline there.
 */
static xpu_status drm_import_wait(xpu_device *dev, xpu_device *src, uint64_t tl, uint64_t point,
				  struct xpu_sync *out)
{
	uint32_t tmp = 0, bin = 0, line = 0;
	const char *what;
	int sfd = -1, rc;

	what = "drmSyncobjCreate";
	rc = drmSyncobjCreate(src->fd, 0, &tmp);
	if (!rc) {
		what = "drmSyncobjTransfer (the event's point)";
		rc = drmSyncobjTransfer(src->fd, tmp, 0, (uint32_t)tl, point, 0);
	}
	if (!rc) {
		what = "drmSyncobjExportSyncFile";
		rc = drmSyncobjExportSyncFile(src->fd, tmp, &sfd);
	}
	if (tmp)
		drmSyncobjDestroy(src->fd, tmp);
	if (!rc) {
		what = "drmSyncobjCreate";
		rc = drmSyncobjCreate(dev->fd, 0, &bin);
	}
	if (!rc) {
		what = "drmSyncobjImportSyncFile";
		rc = drmSyncobjImportSyncFile(dev->fd, bin, sfd);
	}
	if (!rc) {
		what = "drmSyncobjCreate";
		rc = drmSyncobjCreate(dev->fd, 0, &line);
	}
	if (!rc) {
		what = "drmSyncobjTransfer (into the waiting device's timeline)";
		rc = drmSyncobjTransfer(dev->fd, line, 1, bin, 0, 0);
	}
	if (sfd >= 0)
		close(sfd);
	if (bin)
		drmSyncobjDestroy(dev->fd, bin);
	if (rc) {
		int err = rc < 0 && rc != -1 ? -rc : errno;

		if (line)
			drmSyncobjDestroy(dev->fd, line);
		return xpu_errno_error(err, what);
	}
	out->tl = line;
	out->point = 1;
	out->dev = NULL;
	out->owned = 1;
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
	.link_query = drm_link_query,
	.link_info = drm_link_info,
	.peer_path = drm_peer_path,
	.peer_map = drm_peer_map,
	.peer_unmap = drm_peer_unmap,
	.import_wait = drm_import_wait,
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
