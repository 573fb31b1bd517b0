// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: utilisation telemetry in sysfs, readable by any user
 * (xpu-smi reads it): /sys/bus/pci/devices/<pci>/perf/ holds the device's
 * performance counters, summed over all queues since the last reset.
 */

#include <linux/device.h>
#include <linux/sysfs.h>
#include <drm/drm_drv.h>

#include "xpu_drv.h"

static ssize_t xpu_perf_show(struct device *dev, char *buf, u32 idx)
{
	struct xpu_device *xdev = dev_get_drvdata(dev);
	u64 v;
	int i;

	if (!xdev || !drm_dev_enter(&xdev->drm, &i))
		return -ENODEV;
	v = xpu_read(xdev, XPU_REG_PERF(idx)) |
	    (u64)xpu_read(xdev, XPU_REG_PERF(idx) + 4) << 32;
	drm_dev_exit(i);
	return sysfs_emit(buf, "%llu\n", v);
}

#define XPU_PERF_ATTR(name, idx)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return xpu_perf_show(dev, buf, idx);				\
}									\
static DEVICE_ATTR_RO(name)

XPU_PERF_ATTR(jobs, XPU_PERF_JOBS);
XPU_PERF_ATTR(cycles, XPU_PERF_CYCLES);
XPU_PERF_ATTR(dma_busy_cycles, XPU_PERF_DMA_BUSY);
XPU_PERF_ATTR(mxu_busy_cycles, XPU_PERF_MXU_BUSY);
XPU_PERF_ATTR(vpu_busy_cycles, XPU_PERF_VPU_BUSY);
XPU_PERF_ATTR(dma_bytes, XPU_PERF_DMA_BYTES);
XPU_PERF_ATTR(macs, XPU_PERF_MACS);

static struct attribute *xpu_perf_attrs[] = {
	&dev_attr_jobs.attr,
	&dev_attr_cycles.attr,
	&dev_attr_dma_busy_cycles.attr,
	&dev_attr_mxu_busy_cycles.attr,
	&dev_attr_vpu_busy_cycles.attr,
	&dev_attr_dma_bytes.attr,
	&dev_attr_macs.attr,
	NULL,
};

static const struct attribute_group xpu_perf_group = {
	.name = "perf",
	.attrs = xpu_perf_attrs,
};

const struct attribute_group *xpu_dev_groups[] = {
	&xpu_perf_group,
	NULL,
};
