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
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "xpu_drv.h"
#include "xpu_submit.h"
#include "drm/xpu_accel.h"

unsigned int xpu_dbg_mask;
module_param_named(dbg_mask, xpu_dbg_mask, uint, 0644);
MODULE_PARM_DESC(dbg_mask, "Debug categories: 0x1 JOB, 0x2 MMU, 0x4 IRQ, 0x8 RESET");

static int xpu_ioctl_get_param(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct xpu_device *xdev = to_xpu_device(drm);
	struct drm_xpu_get_param *args = data;
	struct xpu_ctx *ctx = file->driver_priv;

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
	case DRM_XPU_PARAM_MAX_BO_SIZE:
		args->value = XPU_MAX_BO_SIZE;
		break;
	case DRM_XPU_PARAM_VA_START:
		args->value = XPU_VA_START;
		break;
	case DRM_XPU_PARAM_VA_SIZE:
		args->value = XPU_VA_END - XPU_VA_START;
		break;
	case DRM_XPU_PARAM_MAX_SUBMIT_BOS:
		args->value = XPU_MAX_SUBMIT_BOS;
		break;
	case DRM_XPU_PARAM_CTX_STATE:
		args->value = atomic_read(&ctx->state);
		break;
	case DRM_XPU_PARAM_CTX_RESETS:
		args->value = atomic_read(&ctx->resets);
		break;
	case DRM_XPU_PARAM_MAX_SYNC_OPS:
		args->value = XPU_MAX_SYNC_OPS;
		break;
	case DRM_XPU_PARAM_MAX_USERPTR_SIZE:
		args->value = XPU_MAX_BO_SIZE;
		break;
	case DRM_XPU_PARAM_CHIP_ID:
		args->value = xdev->chip_id;
		break;
	case DRM_XPU_PARAM_NUM_LINKS:
		args->value = xdev->num_links;
		break;
	case DRM_XPU_PARAM_LINK_GBPS:
		args->value = xdev->link_gbps;
		break;
	case DRM_XPU_PARAM_LINK_LATENCY:
		args->value = xdev->link_latency;
		break;
	case DRM_XPU_PARAM_LINK_PEER_BASE ...
	     DRM_XPU_PARAM_LINK_PEER_BASE + XPU_MAX_LINKS - 1:
		if (args->param - DRM_XPU_PARAM_LINK_PEER_BASE >= xdev->num_links)
			return -EINVAL;
		args->value = xpu_link_peer(xdev, args->param - DRM_XPU_PARAM_LINK_PEER_BASE);
		break;
	default:
		drm_dbg_driver(drm, "unknown param %u\n", args->param);
		return -EINVAL;
	}
	return 0;
}

static const struct drm_ioctl_desc xpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(XPU_GET_PARAM, xpu_ioctl_get_param, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XPU_BO_CREATE, xpu_ioctl_bo_create, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XPU_BO_INFO, xpu_ioctl_bo_info, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XPU_BO_WAIT, xpu_ioctl_bo_wait, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XPU_SUBMIT, xpu_ioctl_submit, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XPU_WAIT_JOB, xpu_ioctl_wait_job, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XPU_BO_USERPTR, xpu_ioctl_bo_userptr, DRM_RENDER_ALLOW),
};

/* ---- per-file context ---------------------------------------------------- */

/*
 * Module workqueue for the last puts of contexts (see xpu_ctx_release) and
 * their deferred frees (xpu_ctx.c); destroyed at module exit, after them.
 */
struct workqueue_struct *xpu_wq;

static void xpu_ctx_free_work(struct work_struct *work)
{
	struct xpu_ctx *ctx = container_of(work, struct xpu_ctx, free_work);

	drm_dev_put(&ctx->xdev->drm);
	kfree(ctx);
}

static void xpu_ctx_release(struct kref *ref)
{
	struct xpu_ctx *ctx = container_of(ref, struct xpu_ctx, ref);
	struct xpu_device *xdev = ctx->xdev;

	mutex_lock(&xdev->ctx_list_lock);
	list_del(&ctx->node);
	mutex_unlock(&xdev->ctx_list_lock);
	/* no job left: the id goes back, then the memory */
	xpu_ctx_unbind(ctx);
	xpu_vm_fini(ctx);
	xa_destroy(&ctx->results);
	/*
	 * The last put may come from a scheduler's free_job work, and the
	 * last reference of the DRM device tears the schedulers down: do that
	 * from another workqueue.
	 */
	INIT_WORK(&ctx->free_work, xpu_ctx_free_work);
	queue_work(xpu_wq, &ctx->free_work);
}

/**
 * xpu_ctx_put() - drop a context reference
 * @ctx: context
 *
 * The last put frees the hardware context id, unmaps everything and
 * schedules the final free off the schedulers' workqueues.
 */
void xpu_ctx_put(struct xpu_ctx *ctx)
{
	kref_put(&ctx->ref, xpu_ctx_release);
}

static int xpu_open(struct drm_device *drm, struct drm_file *file)
{
	struct xpu_device *xdev = to_xpu_device(drm);
	struct xpu_ctx *ctx;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	kref_init(&ctx->ref);
	ctx->xdev = xdev;
	ctx->pid = task_tgid_nr(current);
	mutex_init(&ctx->submit_lock);
	xa_init(&ctx->results);

	/* no hardware context yet: bound when an id is free or a job runs */
	xpu_ctx_slot_init(ctx);
	ret = xpu_ctx_entities_init(ctx);
	if (ret)
		goto err_free;
	/* listed for debugfs; its root is written when it is bound */
	mutex_lock(&xdev->ctx_list_lock);
	ret = xpu_vm_init(ctx);
	if (!ret)
		list_add_tail(&ctx->node, &xdev->ctx_list);
	mutex_unlock(&xdev->ctx_list_lock);
	if (ret)
		goto err_entities;
	xpu_ctx_bind_idle(ctx);
	drm_dev_get(drm);
	file->driver_priv = ctx;
	return 0;

err_entities:
	xpu_ctx_entities_fini(ctx);
err_free:
	kfree(ctx);
	return ret;
}

static void xpu_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct xpu_ctx *ctx = file->driver_priv;
	struct xpu_result *res;
	unsigned long id;

	xpu_ctx_entities_fini(ctx);
	xa_for_each(&ctx->results, id, res)
		xpu_result_put(res);
	/*
	 * The direct jobs that have ended (xpu_release() aborted the others)
	 * are freed now rather than a tick later: the context's hardware id
	 * and memory go back at close.
	 */
	flush_delayed_work(&ctx->xdev->reap_work);
	file->driver_priv = NULL;
	xpu_ctx_put(ctx);
}

/*
 * The release of the file (its last close, also when its process dies or
 * its last mapping goes) aborts its jobs before drm_release() releases the
 * buffers, which waits for them: a long or endless job does not hold the
 * close up.
 */
static int xpu_release(struct inode *inode, struct file *filp)
{
	struct drm_file *file = filp->private_data;
	struct xpu_ctx *ctx = file ? file->driver_priv : NULL;

	if (ctx) {
		xpu_ctx_abort(ctx);
		/* its jobs waiting for a hardware context are cancelled now */
		xpu_slots_wake(ctx->xdev);
	}
	return drm_release(inode, filp);
}

/* DRM_ACCEL_FOPS with our release and fdinfo */
static const struct file_operations xpu_fops = {
	.owner = THIS_MODULE,
	.open = accel_open,
	.release = xpu_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.mmap = drm_gem_mmap,
	.fop_flags = FOP_UNSIGNED_OFFSET,
	.show_fdinfo = drm_show_fdinfo,
};

static const struct drm_driver xpu_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM | DRIVER_SYNCOBJ |
			   DRIVER_SYNCOBJ_TIMELINE,
	.open = xpu_open,
	.postclose = xpu_postclose,
	.gem_create_object = xpu_gem_create_object,
	.gem_prime_import = xpu_gem_prime_import,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
	.show_fdinfo = xpu_show_fdinfo,
	.fops = &xpu_fops,
	.ioctls = xpu_ioctls,
	.num_ioctls = ARRAY_SIZE(xpu_ioctls),
	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.date = DRIVER_DATE,
	.major = DRM_XPU_UAPI_VERSION_MAJOR,
	.minor = DRM_XPU_UAPI_VERSION_MINOR,
};

static void xpu_drm_release(struct drm_device *drm, void *arg)
{
	struct xpu_device *xdev = to_xpu_device(drm);
	u32 i;

	for (i = 0; i < xdev->num_queues; i++)
		drm_sched_fini(&xdev->queues[i].sched);
	xpu_hbm_fini(xdev);
}

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
	mutex_init(&xdev->ctx_list_lock);
	INIT_LIST_HEAD(&xdev->ctx_list);
	mutex_init(&xdev->reset_lock);
	spin_lock_init(&xdev->fault_lock);
	mutex_init(&xdev->dma_lock);
	INIT_LIST_HEAD(&xdev->dma_bos);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	xdev->regs = pcim_iomap_region(pdev, XPU_BAR_REGS, DRIVER_NAME);
	if (IS_ERR(xdev->regs))
		return PTR_ERR(xdev->regs);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(52));
	if (ret)
		return ret;
	/* the MMU maps page by page: no limit on a scatterlist segment */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	pci_set_master(pdev);

	ret = xpu_hw_init(xdev);
	if (ret)
		return ret;
	ret = xpu_slots_init(xdev);
	if (ret)
		return ret;
	xpu_write(xdev, XPU_REG_RESET, XPU_RESET_MAGIC);
	xdev->hbm = devm_ioremap_wc(&pdev->dev, xdev->hbm_base, xdev->hbm_size);
	if (!xdev->hbm)
		return -ENOMEM;
	ret = xpu_hbm_init(xdev);
	if (ret)
		return ret;
	ret = xpu_queues_init(xdev);
	if (ret) {
		xpu_hbm_fini(xdev);
		return ret;
	}
	ret = drmm_add_action_or_reset(&xdev->drm, xpu_drm_release, NULL);
	if (ret)
		return ret;
	/* after xpu_drm_release: its release runs first, with HBM still there */
	ret = xpu_link_init(xdev);
	if (ret)
		return ret;
	ret = xpu_irq_init(xdev);
	if (ret)
		return ret;
	ret = drm_dev_register(&xdev->drm, 0);
	if (ret)
		return ret;
	xpu_debugfs_init(xdev);
	return 0;
}

static void xpu_remove(struct pci_dev *pdev)
{
	struct xpu_device *xdev = pci_get_drvdata(pdev);

	/* peers lose what this device exported while it is still reachable */
	xpu_link_revoke(xdev);
	/* No new ioctl, job or hardware access after this. */
	drm_dev_unplug(&xdev->drm);
	/* CPU mappings of HBM must not outlive the BAR */
	unmap_mapping_range(xdev->drm.anon_inode->i_mapping, 0, 0, 1);
	xpu_queues_fini(xdev);
	/*
	 * The queues are stopped and idle: no bus address is used any more.
	 * No DMA mapping may outlive the unbind, though files still hold
	 * buffers: undo them now (their frees skip what is undone).
	 */
	xpu_dma_unmap_all(xdev);
}

static const struct pci_device_id xpu_pci_ids[] = {
	{ PCI_DEVICE(XPU_PCI_VENDOR_ID, XPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, xpu_pci_ids);

static struct pci_driver xpu_pci_driver;

/**
 * xpu_is_xpu_dev() - is a device an XPU bound to this driver
 * @dev: device (a dma-buf importer)
 *
 * Return: true if it is.
 */
bool xpu_is_xpu_dev(struct device *dev)
{
	return dev->driver == &xpu_pci_driver.driver;
}

static struct pci_driver xpu_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = xpu_pci_ids,
	.probe = xpu_probe,
	.remove = xpu_remove,
	.dev_groups = xpu_dev_groups,
};

static int __init xpu_init(void)
{
	int ret;

	xpu_wq = alloc_workqueue("xpu", WQ_UNBOUND, 0);
	if (!xpu_wq)
		return -ENOMEM;
	xpu_link_module_init();
	ret = pci_register_driver(&xpu_pci_driver);
	if (ret) {
		xpu_link_module_exit();
		destroy_workqueue(xpu_wq);
	}
	return ret;
}

static void __exit xpu_exit(void)
{
	pci_unregister_driver(&xpu_pci_driver);
	destroy_workqueue(xpu_wq);	/* waits for the last context puts */
	xpu_link_module_exit();
}

module_init(xpu_init);
module_exit(xpu_exit);

MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
