// SPDX-License-Identifier: MIT
/*
 * libxpu: device discovery, open/close and properties. libdrm does not
 * enumerate accel nodes, so the runtime scans /sys/class/accel itself and
 * keeps the nodes whose driver (DRM_IOCTL_VERSION) is "xpu". XPU_BACKEND=host
 * in the environment replaces them with one host-backend device.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>

#include "internal.h"

#define LIBXPU_UAPI_MINOR_NEEDED 0
#include "drm/xpu_accel.h"

#define MAX_NODES 64

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int is_xpu_fd(int fd)
{
	drmVersionPtr v = drmGetVersion(fd);
	int ok = v && v->name && strcmp(v->name, "xpu") == 0;

	drmFreeVersion(v);
	return ok;
}

/* Minors of accel nodes driven by xpu, sorted. */
int xpu_list_minors(int *minors, int max)
{
	DIR *d = opendir("/sys/class/accel");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[PATH_MAX];
		int minor, fd;

		if (sscanf(e->d_name, "accel%d", &minor) != 1)
			continue;
		snprintf(path, sizeof(path), "/dev/accel/accel%d", minor);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_xpu_fd(fd))
			minors[n++] = minor;
		close(fd);
	}
	closedir(d);
	qsort(minors, n, sizeof(*minors), cmp_int);
	return n;
}

static int env_host(void)
{
	const char *b = getenv("XPU_BACKEND");

	return b && strcmp(b, "host") == 0;
}

XPU_EXPORT xpu_status xpu_device_count(int *count)
{
	int minors[MAX_NODES];

	if (!count)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "count is NULL");
	if (env_host()) {
		/* XPU_HOST_DEVICES chips of one fabric (fabric_host.c), 1 when unset */
		xpu_status st = xpu_host_env_devices(count);

		if (st)
			*count = 0;
		return xpu_ok(st);
	}
	*count = xpu_list_minors(minors, MAX_NODES);
	xpu_clear_error();
	return XPU_SUCCESS;
}

static xpu_status get_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_xpu_get_param p = { .param = param };

	if (drmIoctl(fd, DRM_IOCTL_XPU_GET_PARAM, &p)) {
		char what[64];

		snprintf(what, sizeof(what), "DRM_IOCTL_XPU_GET_PARAM(%u)", param);
		return xpu_errno_error(errno, what);
	}
	*value = p.value;
	return XPU_SUCCESS;
}

static xpu_status read_props(xpu_device *dev, int minor)
{
	struct xpu_device_props *p = &dev->props;
	struct { uint32_t param; void *dst; int wide; } q[] = {
		{ DRM_XPU_PARAM_UAPI_VERSION, &p->uapi_version, 0 },
		{ DRM_XPU_PARAM_HW_VERSION, &p->hw_version, 0 },
		{ DRM_XPU_PARAM_CAPS, &p->caps, 0 },
		{ DRM_XPU_PARAM_ARRAY_ROWS, &p->array_rows, 0 },
		{ DRM_XPU_PARAM_ARRAY_COLS, &p->array_cols, 0 },
		{ DRM_XPU_PARAM_HBM_SIZE, &p->hbm_size, 1 },
		{ DRM_XPU_PARAM_NUM_QUEUES, &p->num_queues, 0 },
		{ DRM_XPU_PARAM_NUM_CONTEXTS, &p->num_contexts, 0 },
		{ DRM_XPU_PARAM_CLOCK_MHZ, &p->clock_mhz, 0 },
		{ DRM_XPU_PARAM_HBM_BANDWIDTH, &p->hbm_gbps, 0 },
		{ DRM_XPU_PARAM_SPAD_SIZE, &p->spad_size, 0 },
		{ DRM_XPU_PARAM_ACC_SIZE, &p->acc_size, 0 },
	};
	char link[PATH_MAX], target[PATH_MAX];
	uint64_t v;
	ssize_t len;
	xpu_status st;

	/* The version first: a driver older than this runtime says so. libxpu
	 * uses only uAPI 1.0 features (the 1.0 SUBMIT form), so a 1.0 driver
	 * is fine; raise this when a newer feature becomes necessary. */
	st = get_param(dev->fd, DRM_XPU_PARAM_UAPI_VERSION, &v);
	if (st)
		return st;
	if (v >> 16 != DRM_XPU_UAPI_VERSION_MAJOR ||
	    (int)(v & 0xffff) < LIBXPU_UAPI_MINOR_NEEDED)
		return xpu_set_error(XPU_ERROR_VERSION_MISMATCH,
				     "driver uAPI %u.%u, libxpu needs %u.%u or a newer minor",
				     (unsigned int)(v >> 16), (unsigned int)(v & 0xffff),
				     DRM_XPU_UAPI_VERSION_MAJOR, LIBXPU_UAPI_MINOR_NEEDED);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		st = get_param(dev->fd, q[i].param, &v);
		if (st)
			return st;
		if (q[i].wide)
			*(uint64_t *)q[i].dst = v;
		else
			*(uint32_t *)q[i].dst = (uint32_t)v;
	}
	st = get_param(dev->fd, DRM_XPU_PARAM_DEVICE_ID, &v);
	if (st)
		return st;
	p->vendor_id = v >> 16;
	p->device_id = v & 0xffff;

	snprintf(p->node, sizeof(p->node), "/dev/accel/accel%d", minor);
	snprintf(link, sizeof(link), "/sys/class/accel/accel%d/device", minor);
	len = readlink(link, target, sizeof(target) - 1);
	if (len > 0) {
		const char *base;

		target[len] = '\0';
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (strlen(base) < sizeof(p->pci_address))
			strcpy(p->pci_address, base);
	}
	return XPU_SUCCESS;
}

static xpu_device *dev_alloc(void)
{
	xpu_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->fd = -1;
	pthread_mutex_init(&dev->lock, NULL);
	pthread_mutex_init(&dev->sync_lock, NULL);
	return dev;
}

static void dev_fill_common(xpu_device *dev)
{
	struct xpu_device_props *p = &dev->props;

	p->isa_version = XPU_ISA_VERSION;
	p->dtypes = xpu_dtype_bits(p->caps);
	xpu_profile_open(dev);
}

static_assert(offsetof(struct xpu_device_props, size) == XPU_DEVICE_PROPS_SIZE_V0,
	      "the first version of xpu_device_props is frozen");
static_assert(offsetof(struct xpu_host_config, size) == XPU_HOST_CONFIG_SIZE_V0,
	      "the first version of xpu_host_config is frozen");
static_assert(offsetof(struct xpu_device_usage, macs) + 8 == XPU_DEVICE_USAGE_SIZE_V1,
	      "the first version of xpu_device_usage is frozen");

/* The caller's config as this library's struct (see XPU_HOST_SIZED). */
xpu_status xpu_host_config_in(const struct xpu_host_config *cfg, struct xpu_host_config *c)
{
	size_t n = XPU_HOST_CONFIG_SIZE_V0;

	memset(c, 0, sizeof(*c));
	if (!cfg)
		return XPU_SUCCESS;
	if (cfg->flags & XPU_HOST_SIZED) {
		xpu_status st = xpu_check_size(cfg->size, XPU_HOST_CONFIG_SIZE_V0 + 8,
					       "struct xpu_host_config");

		if (st)
			return st;
		/* a newer caller: what this library does not know must be unset */
		for (size_t i = sizeof(*c); i < cfg->size; i++)
			if (((const uint8_t *)cfg)[i])
				return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
						     "struct xpu_host_config: byte %zu is set, "
						     "this libxpu knows %zu bytes", i, sizeof(*c));
		n = cfg->size < sizeof(*c) ? cfg->size : sizeof(*c);
	}
	memcpy(c, cfg, n);
	c->flags &= ~XPU_HOST_SIZED;
	c->size = 0;
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_device_open_host(const struct xpu_host_config *cfg, xpu_device **out)
{
	struct xpu_host_config c;
	xpu_device *dev;
	xpu_status st;

	if (!out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "dev is NULL");
	*out = NULL;
	st = xpu_host_config_in(cfg, &c);
	if (st)
		return st;
	st = xpu_host_device_new(&c, NULL, &dev);
	if (st)
		return st;
	*out = dev;
	xpu_clear_error();
	return XPU_SUCCESS;
}

xpu_status xpu_host_device_new(const struct xpu_host_config *c, void *chip, xpu_device **out)
{
	xpu_device *dev = dev_alloc();
	xpu_status st;

	if (!dev)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	st = xpu_host_open(c, chip, dev);
	if (st) {
		pthread_mutex_destroy(&dev->lock);
		pthread_mutex_destroy(&dev->sync_lock);
		free(dev);
		return st;
	}
	dev_fill_common(dev);
	*out = dev;
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_device_open(int index, xpu_device **out)
{
	int minors[MAX_NODES], n;
	char path[64];
	xpu_device *dev;
	xpu_status st;

	if (!out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "dev is NULL");
	*out = NULL;
	if (env_host()) {
		st = xpu_host_env_devices(&n);
		if (st)
			return st;
		if (n > 1)	/* chip index of the process's fabric */
			return xpu_ok(xpu_host_env_open(index, out));
		if (index != 0)
			return xpu_set_error(XPU_ERROR_NO_DEVICE,
					     "device %d requested, XPU_BACKEND=host has 1 device", index);
		return xpu_device_open_host(NULL, out);
	}
	n = xpu_list_minors(minors, MAX_NODES);
	if (index < 0 || index >= n)
		return xpu_set_error(XPU_ERROR_NO_DEVICE,
				     "device %d requested, %d XPU device(s) found (is xpu.ko loaded?)",
				     index, n);
	dev = dev_alloc();
	if (!dev)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	snprintf(path, sizeof(path), "/dev/accel/accel%d", minors[index]);
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		char what[96];

		snprintf(what, sizeof(what), "open %s", path);
		st = xpu_errno_error(errno, what);
		free(dev);
		return st;
	}
	st = read_props(dev, minors[index]);
	if (!st)
		st = xpu_drm_init(dev);
	if (st) {
		close(dev->fd);
		free(dev);
		return st;
	}
	dev_fill_common(dev);
	*out = dev;
	xpu_clear_error();
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_device_close(xpu_device *dev)
{
	if (!dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "dev is NULL");
	/* a fabric chip opened several times: the last close closes it */
	if (xpu_host_chip_unref(dev) > 0)
		return xpu_ok(XPU_SUCCESS);
	/* peer mappings of its buffers and of others' buffers for it */
	xpu_peer_device_gone(dev);
	/* internal objects first: they use the backend */
	if (dev->internal) {
		xpu_internal_sync(dev->internal);
		xpu_stream_put(dev->internal);
	}
	if (dev->builtin)
		xpu_module_unload(dev->builtin);
	xpu_profile_close(dev);
	if (dev->ops)
		dev->ops->close(dev);
	if (dev->fd >= 0)
		close(dev->fd);
	pthread_mutex_destroy(&dev->lock);
	pthread_mutex_destroy(&dev->sync_lock);
	free(dev);
	xpu_clear_error();
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_device_get_usage(xpu_device *dev, struct xpu_device_usage *usage)
{
	struct xpu_device_usage u = { 0 };
	xpu_status st;

	if (!dev || !usage)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = xpu_check_size(usage->size, XPU_DEVICE_USAGE_SIZE_V1, "struct xpu_device_usage");
	if (st)
		return st;
	st = dev->ops->get_usage(dev, &u);
	if (st)
		return st;
	u.size = usage->size;
	xpu_copy_sized(usage, usage->size, &u, sizeof(u));
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_device_get_props(xpu_device *dev,
					   struct xpu_device_props *props)
{
	if (!dev || !props)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	/* the first version only: the caller's struct may end before size */
	memcpy(props, &dev->props, XPU_DEVICE_PROPS_SIZE_V0);
	xpu_clear_error();
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_device_query_props(xpu_device *dev, struct xpu_device_props *props)
{
	struct xpu_device_props p;
	xpu_status st;

	if (!dev || !props)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = xpu_check_size(props->size, XPU_DEVICE_PROPS_SIZE_V0 + 8, "struct xpu_device_props");
	if (st)
		return st;
	p = dev->props;
	p.size = props->size;
	xpu_copy_sized(props, props->size, &p, sizeof(p));
	return xpu_ok(XPU_SUCCESS);
}
