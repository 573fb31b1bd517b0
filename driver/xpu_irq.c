// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: MSI-X. Vector q signals completions on hardware queue q;
 * the last vector signals errors (XPU_REG_ERR_STATUS).
 */

#include <linux/interrupt.h>

#include "xpu_drv.h"

static irqreturn_t xpu_queue_irq_handler(int irq, void *arg)
{
	xpu_queue_irq(arg);
	return IRQ_HANDLED;
}

static irqreturn_t xpu_err_irq(int irq, void *arg)
{
	struct xpu_device *xdev = arg;
	u32 cause = xpu_read(xdev, XPU_REG_ERR_STATUS);

	if (!cause)
		return IRQ_NONE;
	xpu_dbg(xdev, IRQ, "error interrupt: cause 0x%x queue %u\n", cause,
		xpu_read(xdev, XPU_REG_ERR_QUEUE));
	/* MMU faults are reported once, with the job, by the queue handler. */
	if (cause & ~XPU_ERR_MMU_FAULT)
		dev_err_ratelimited(&xdev->pdev->dev,
				    "device error 0x%x on queue %u\n", cause,
				    xpu_read(xdev, XPU_REG_ERR_QUEUE));
	if (cause & XPU_ERR_ECC)
		xpu_log_fault(xdev, "uncorrectable ECC error: device reset needed");
	xpu_write(xdev, XPU_REG_ERR_STATUS, cause);
	return IRQ_HANDLED;
}

/**
 * xpu_irq_init() - allocate one MSI-X vector per queue plus one for errors
 * @xdev: device, with its queues set up
 *
 * The vectors and handlers are device-managed.
 *
 * Return: 0 or a negative errno.
 */
int xpu_irq_init(struct xpu_device *xdev)
{
	struct pci_dev *pdev = xdev->pdev;
	unsigned int nvec = xdev->num_queues + 1;
	unsigned int i;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot allocate %u MSI-X vectors: %d\n",
			nvec, ret);
		return ret;
	}
	for (i = 0; i < xdev->num_queues; i++) {
		ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, i),
				       xpu_queue_irq_handler, 0, "xpu-queue",
				       &xdev->queues[i]);
		if (ret)
			return ret;
	}
	return devm_request_irq(&pdev->dev,
				pci_irq_vector(pdev, XPU_MSIX_ERR_VEC(xdev->num_queues)),
				xpu_err_irq, 0, "xpu-error", xdev);
}
