/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the XPU kselftests: find and open an XPU accel node
 * (by driver name, as a runtime does) and map its BAR0 through sysfs.
 */
#ifndef XPU_TEST_UTIL_H
#define XPU_TEST_UTIL_H

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

#include "drm/xpu_accel.h"
#include "xpu_hw.h"

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

#endif
