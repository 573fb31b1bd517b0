// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: hardware identification.
 */

#include "xpu_drv.h"

/**
 * xpu_hw_init() - identify the device and read its configuration
 * @xdev: device with BAR0 mapped
 *
 * Return: 0, or -ENODEV if the registers do not belong to an XPU of a
 * hardware major version this driver supports.
 */
int xpu_hw_init(struct xpu_device *xdev)
{
	struct device *dev = &xdev->pdev->dev;
	u32 id = xpu_read(xdev, XPU_REG_ID);
	u32 array;

	if (id != XPU_ID_MAGIC) {
		dev_err(dev, "bad ID register 0x%08x (expected 0x%08x)\n",
			id, XPU_ID_MAGIC);
		return -ENODEV;
	}
	xdev->hw_version = xpu_read(xdev, XPU_REG_VERSION);
	if (xdev->hw_version >> 16 != XPU_HW_VERSION_MAJOR) {
		dev_err(dev, "unsupported hardware version %u.%u (driver supports %u.x)\n",
			xdev->hw_version >> 16, xdev->hw_version & 0xffff,
			XPU_HW_VERSION_MAJOR);
		return -ENODEV;
	}
	if (!(xpu_read(xdev, XPU_REG_STATUS) & XPU_STATUS_READY)) {
		dev_err(dev, "device not ready\n");
		return -EIO;
	}

	xdev->caps = xpu_read(xdev, XPU_REG_CAPS);
	array = xpu_read(xdev, XPU_REG_ARRAY);
	xdev->rows = array >> 16;
	xdev->cols = array & 0xffff;
	xdev->hbm_size = xpu_read(xdev, XPU_REG_HBM_SIZE_LO) |
			 (u64)xpu_read(xdev, XPU_REG_HBM_SIZE_HI) << 32;
	xdev->num_queues = xpu_read(xdev, XPU_REG_NUM_QUEUES);
	xdev->num_ctx = xpu_read(xdev, XPU_REG_NUM_CTX);
	xdev->clock_mhz = xpu_read(xdev, XPU_REG_CLOCK_MHZ);
	xdev->spad_size = xpu_read(xdev, XPU_REG_SPAD_KIB) * 1024;
	xdev->acc_size = xpu_read(xdev, XPU_REG_ACC_KIB) * 1024;
	xdev->hbm_gbps = xpu_read(xdev, XPU_REG_HBM_GBPS);

	if (!xdev->num_queues || xdev->num_queues > XPU_MAX_QUEUES ||
	    !xdev->num_ctx || xdev->num_ctx > XPU_MAX_CTX) {
		dev_err(dev, "bad queue (%u) or context (%u) count\n",
			xdev->num_queues, xdev->num_ctx);
		return -ENODEV;
	}
	if (xdev->hbm_size > pci_resource_len(xdev->pdev, XPU_BAR_HBM)) {
		dev_err(dev, "HBM size %llu exceeds its BAR\n", xdev->hbm_size);
		return -ENODEV;
	}
	xdev->hbm_base = pci_resource_start(xdev->pdev, XPU_BAR_HBM);

	dev_info(dev, "XPU v%u.%u: %ux%u array, %llu MiB HBM, %u queues, %u MHz\n",
		 xdev->hw_version >> 16, xdev->hw_version & 0xffff,
		 xdev->rows, xdev->cols, xdev->hbm_size >> 20,
		 xdev->num_queues, xdev->clock_mhz);
	return 0;
}
