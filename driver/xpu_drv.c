// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: PCI probe/remove, DRM driver and ioctls.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_print.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

static int xpu_ioctl_get_param(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct xpu_device *xdev = to_xpu_device(drm);
	struct drm_xpu_get_param *args = data;

	if (args->pad)
		return -EINVAL;

	switch (args->param) {
	case DRM_XPU_PARAM_UAPI_VERSION:
		args->value = DRM_XPU_UAPI_VERSION_MAJOR << 16 |
			      DRM_XPU_UAPI_VERSION_MINOR;
		break;
	case DRM_XPU_PARAM_DEVICE_ID:
		args->value = (u32)xdev->pdev->vendor << 16 | xdev->pdev->device;
		break;
	case DRM_XPU_PARAM_HW_VERSION:
		args->value = xdev->hw_version;
		break;
	case DRM_XPU_PARAM_CAPS:
		args->value = xdev->caps;
		break;
	case DRM_XPU_PARAM_ARRAY_ROWS:
		args->value = xdev->rows;
		break;
	case DRM_XPU_PARAM_ARRAY_COLS:
		args->value = xdev->cols;
		break;
	case DRM_XPU_PARAM_HBM_SIZE:
		args->value = xdev->hbm_size;
		break;
	case DRM_XPU_PARAM_NUM_QUEUES:
		args->value = xdev->num_queues;
		break;
	case DRM_XPU_PARAM_CLOCK_MHZ:
		args->value = xdev->clock_mhz;
		break;
	case DRM_XPU_PARAM_SPAD_SIZE:
		args->value = xdev->spad_size;
		break;
	case DRM_XPU_PARAM_ACC_SIZE:
		args->value = xdev->acc_size;
		break;
	case DRM_XPU_PARAM_HBM_BANDWIDTH:
		args->value = xdev->hbm_gbps;
		break;
	case DRM_XPU_PARAM_NUM_CONTEXTS:
		args->value = xdev->num_ctx;
		break;
	default:
		drm_dbg_driver(drm, "unknown param %u\n", args->param);
		return -EINVAL;
	}
	return 0;
}

static const struct drm_ioctl_desc xpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(XPU_GET_PARAM, xpu_ioctl_get_param, DRM_RENDER_ALLOW),
};

DEFINE_DRM_ACCEL_FOPS(xpu_fops);

static const struct drm_driver xpu_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL,
	.fops = &xpu_fops,
	.ioctls = xpu_ioctls,
	.num_ioctls = ARRAY_SIZE(xpu_ioctls),
	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.date = DRIVER_DATE,
	.major = DRM_XPU_UAPI_VERSION_MAJOR,
	.minor = DRM_XPU_UAPI_VERSION_MINOR,
};

static int xpu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct xpu_device *xdev;
	int ret;

	xdev = devm_drm_dev_alloc(&pdev->dev, &xpu_drm_driver,
				  struct xpu_device, drm);
	if (IS_ERR(xdev))
		return PTR_ERR(xdev);
	xdev->pdev = pdev;
	pci_set_drvdata(pdev, xdev);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	xdev->regs = pcim_iomap_region(pdev, XPU_BAR_REGS, DRIVER_NAME);
	if (IS_ERR(xdev->regs))
		return PTR_ERR(xdev->regs);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(52));
	if (ret)
		return ret;
	pci_set_master(pdev);

	ret = xpu_hw_init(xdev);
	if (ret)
		return ret;
	ret = xpu_irq_init(xdev);
	if (ret)
		return ret;

	return drm_dev_register(&xdev->drm, 0);
}

static void xpu_remove(struct pci_dev *pdev)
{
	struct xpu_device *xdev = pci_get_drvdata(pdev);

	drm_dev_unplug(&xdev->drm);
}

static const struct pci_device_id xpu_pci_ids[] = {
	{ PCI_DEVICE(XPU_PCI_VENDOR_ID, XPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, xpu_pci_ids);

static struct pci_driver xpu_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = xpu_pci_ids,
	.probe = xpu_probe,
	.remove = xpu_remove,
};
module_pci_driver(xpu_pci_driver);

MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
