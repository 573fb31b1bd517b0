/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * XPU accel driver: device structure and register helpers.
 */
#ifndef __XPU_DRV_H__
#define __XPU_DRV_H__

#include <linux/io.h>
#include <linux/pci.h>
#include <drm/drm_device.h>

#include "xpu_hw.h"

#define DRIVER_NAME	"xpu"
#define DRIVER_DESC	"XPU AI inference accelerator"
#define DRIVER_DATE	"20261123"

/**
 * struct xpu_device - one XPU PCIe function
 * @drm: DRM device, first so that to_xpu_device() is a container_of
 * @pdev: PCI device
 * @regs: BAR0 registers
 * @hbm_base: bus address of the HBM BAR
 * @hbm_size: HBM bytes, read from the device
 * @hw_version: XPU_REG_VERSION
 * @caps: XPU_REG_CAPS
 * @rows: systolic array rows
 * @cols: systolic array columns
 * @num_queues: hardware queues
 * @num_ctx: hardware MMU contexts
 * @clock_mhz: modeled clock
 * @spad_size: scratchpad bytes per tile
 * @acc_size: accumulator bytes per tile
 * @hbm_gbps: modeled HBM bandwidth
 */
struct xpu_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;
	resource_size_t hbm_base;
	u64 hbm_size;
	u32 hw_version;
	u32 caps;
	u32 rows;
	u32 cols;
	u32 num_queues;
	u32 num_ctx;
	u32 clock_mhz;
	u32 spad_size;
	u32 acc_size;
	u32 hbm_gbps;
};

#define to_xpu_device(d) container_of(d, struct xpu_device, drm)

static inline u32 xpu_read(struct xpu_device *xdev, u32 reg)
{
	return readl(xdev->regs + reg);
}

static inline void xpu_write(struct xpu_device *xdev, u32 reg, u32 val)
{
	writel(val, xdev->regs + reg);
}

int xpu_hw_init(struct xpu_device *xdev);
int xpu_irq_init(struct xpu_device *xdev);

#endif /* __XPU_DRV_H__ */
