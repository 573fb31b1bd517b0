// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: utilisation telemetry in sysfs, readable by any user
 * (xpu-smi reads it): /sys/bus/pci/devices/<pci>/perf/ holds the device's
 * performance counters, summed over all queues since the last reset.
 *
 * Link ports (hardware 1.1): /sys/bus/pci/devices/<pci>/link<P>/ for each
 * port P below NUM_LINKS (the groups of the others are hidden) with state
 * (none|down|up), peer_chip and peer_port (-1 when nothing is cabled),
 * bytes, transfers, busy_cycles and errors (the port's counters, decimal);
 * perf/link_busy_cycles and perf/link_bytes sum this chip's jobs' link
 * traffic (0 without links).
 */

#include <linux/device.h>
#include <linux/sysfs.h>
#include <drm/drm_drv.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

static ssize_t xpu_perf_show(struct device *dev, char *buf, u32 idx)
{
	struct xpu_device *xdev = dev_get_drvdata(dev);
	u64 v;
	int i;

	if (!xdev || !drm_dev_enter(&xdev->drm, &i))
		return -ENODEV;
	/* counters a device without links does not have */
	if (idx >= XPU_PERF_LINK_BUSY && !xdev->num_links) {
		drm_dev_exit(i);
		return sysfs_emit(buf, "0\n");
	}
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
XPU_PERF_ATTR(link_busy_cycles, XPU_PERF_LINK_BUSY);
XPU_PERF_ATTR(link_bytes, XPU_PERF_LINK_BYTES);

static struct attribute *xpu_perf_attrs[] = {
	&dev_attr_jobs.attr,
	&dev_attr_cycles.attr,
	&dev_attr_dma_busy_cycles.attr,
	&dev_attr_mxu_busy_cycles.attr,
	&dev_attr_vpu_busy_cycles.attr,
	&dev_attr_dma_bytes.attr,
	&dev_attr_macs.attr,
	&dev_attr_link_busy_cycles.attr,
	&dev_attr_link_bytes.attr,
	NULL,
};

static const struct attribute_group xpu_perf_group = {
	.name = "perf",
	.attrs = xpu_perf_attrs,
};

/* ---- link ports ------------------------------------------------------------ */

enum xpu_link_file {
	XPU_LFILE_STATE,
	XPU_LFILE_PEER_CHIP,
	XPU_LFILE_PEER_PORT,
	XPU_LFILE_CNT,	/* + XPU_LINK_CNT_*: the counters */
};

/**
 * struct xpu_link_attr - one file of a port's directory
 * @dattr: the sysfs attribute
 * @port: link port
 * @file: enum xpu_link_file, or XPU_LFILE_CNT + XPU_LINK_CNT_*
 */
struct xpu_link_attr {
	struct device_attribute dattr;
	u32 port;
	u32 file;
};

static ssize_t xpu_link_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct xpu_link_attr *la = container_of(attr, struct xpu_link_attr, dattr);
	struct xpu_device *xdev = dev_get_drvdata(dev);
	u64 peer;

	if (!xdev || la->port >= xdev->num_links || drm_dev_is_unplugged(&xdev->drm))
		return -ENODEV;
	if (la->file >= XPU_LFILE_CNT)
		return sysfs_emit(buf, "%llu\n",
				  xpu_link_counter(xdev, la->port, la->file - XPU_LFILE_CNT));
	peer = xpu_link_peer(xdev, la->port);
	switch (la->file) {
	case XPU_LFILE_STATE:
		return sysfs_emit(buf, "%s\n", peer == DRM_XPU_LINK_PEER_NONE ? "none" :
				  peer & DRM_XPU_LINK_UP ? "up" : "down");
	case XPU_LFILE_PEER_CHIP:
		if (peer == DRM_XPU_LINK_PEER_NONE)
			return sysfs_emit(buf, "-1\n");
		return sysfs_emit(buf, "%llu\n", peer & 0xffff);
	default:
		if (peer == DRM_XPU_LINK_PEER_NONE)
			return sysfs_emit(buf, "-1\n");
		return sysfs_emit(buf, "%llu\n", (peer >> 16) & 0xff);
	}
}

/* A port's directory exists only for ports below NUM_LINKS. */
static umode_t xpu_link_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	struct xpu_link_attr *la = container_of(attr, struct xpu_link_attr, dattr.attr);
	struct xpu_device *xdev = dev_get_drvdata(kobj_to_dev(kobj));

	if (xdev && la->port < xdev->num_links)
		return attr->mode;
	return n == 0 ? SYSFS_GROUP_INVISIBLE : 0;
}

/* attribute @name of the port whose names start with @pfx (pfx##_port) */
#define XPU_LINK_ATTR(pfx, name, f)						\
	static struct xpu_link_attr pfx##_##name = {				\
		.dattr = __ATTR(name, 0444, xpu_link_show, NULL),		\
		.port = pfx##_port, .file = (f),				\
	}

/* the directory link<p>: one attribute group per port */
#define XPU_LINK_GROUP(p)							\
	enum { xpu_link##p##_port = (p) };					\
	XPU_LINK_ATTR(xpu_link##p, state, XPU_LFILE_STATE);			\
	XPU_LINK_ATTR(xpu_link##p, peer_chip, XPU_LFILE_PEER_CHIP);		\
	XPU_LINK_ATTR(xpu_link##p, peer_port, XPU_LFILE_PEER_PORT);		\
	XPU_LINK_ATTR(xpu_link##p, bytes, XPU_LFILE_CNT + XPU_LINK_CNT_BYTES);	\
	XPU_LINK_ATTR(xpu_link##p, transfers, XPU_LFILE_CNT + XPU_LINK_CNT_XFERS); \
	XPU_LINK_ATTR(xpu_link##p, busy_cycles, XPU_LFILE_CNT + XPU_LINK_CNT_BUSY); \
	XPU_LINK_ATTR(xpu_link##p, errors, XPU_LFILE_CNT + XPU_LINK_CNT_ERRORS); \
	static struct attribute *xpu_link##p##_attrs[] = {			\
		&xpu_link##p##_state.dattr.attr,				\
		&xpu_link##p##_peer_chip.dattr.attr,				\
		&xpu_link##p##_peer_port.dattr.attr,				\
		&xpu_link##p##_bytes.dattr.attr,				\
		&xpu_link##p##_transfers.dattr.attr,				\
		&xpu_link##p##_busy_cycles.dattr.attr,				\
		&xpu_link##p##_errors.dattr.attr,				\
		NULL,								\
	};									\
	static const struct attribute_group xpu_link##p##_group = {		\
		.name = "link" #p,						\
		.attrs = xpu_link##p##_attrs,					\
		.is_visible = xpu_link_visible,					\
	}

XPU_LINK_GROUP(0);
XPU_LINK_GROUP(1);
XPU_LINK_GROUP(2);
XPU_LINK_GROUP(3);
XPU_LINK_GROUP(4);
XPU_LINK_GROUP(5);
XPU_LINK_GROUP(6);
XPU_LINK_GROUP(7);
static_assert(XPU_MAX_LINKS == 8);

const struct attribute_group *xpu_dev_groups[] = {
	&xpu_perf_group,
	&xpu_link0_group,
	&xpu_link1_group,
	&xpu_link2_group,
	&xpu_link3_group,
	&xpu_link4_group,
	&xpu_link5_group,
	&xpu_link6_group,
	&xpu_link7_group,
	NULL,
};
