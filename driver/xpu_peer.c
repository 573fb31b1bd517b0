// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: HBM buffers shared between XPUs (peer buffers).
 *
 * Export: an HBM buffer's dma-buf has this driver's own dma_buf_ops. Only
 * another XPU may attach to it (attach fails with -EOPNOTSUPP otherwise):
 * device memory behind a BAR has no struct pages and its only useful
 * importer is a device that reaches it by a link or by PCIe peer-to-peer.
 *
 * Import on another XPU (xpu_gem_prime_import()) makes a peer buffer, a GEM
 * object of the importing device that holds a reference to the dma-buf
 * (so to the exporter's buffer and its DRM device) and is mapped in the
 * importing file's address space like any buffer:
 *
 * - LINK, when a port of the importer has an up link to the exporter's
 *   chip: the exporter opens a window for the importer's chip only
 *   (xpu_link_window_open()); the importer's leaves are XPU_PTE_LINK
 *   entries XPU_LINK_ADDR(port, window, offset).
 * - PCIE otherwise (module parameter pcie_p2p): the exporter's HBM blocks,
 *   seen through its BAR, are mapped for the importer with
 *   dma_map_resource(); the importer's leaves are XPU_PTE_HOST entries.
 * - Neither: -ENOLINK.
 *
 * Freeing the peer buffer (after its last handle and its mappings, so after
 * the last job that used it) closes the window or unmaps the BAR range and
 * drops the dma-buf. The exporter's removal revokes what it exported: its
 * windows close (importers' jobs then end LINK_ERROR), and the leaves of
 * PCIe imports are rewritten to a link address no chip has (importers'
 * jobs then end LINK_ERROR too; on a 1.0 device they are cleared: MMU
 * fault), so no importer reaches memory that a device bound again hands
 * out to someone else.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

static bool xpu_pcie_p2p = true;
module_param_named(pcie_p2p, xpu_pcie_p2p, bool, 0644);
MODULE_PARM_DESC(pcie_p2p, "Import peer buffers by PCIe peer-to-peer when no link joins the chips (default: on)");

/*
 * Where the leaves of a revoked PCIe import point (hardware 1.1): a link
 * address on port 15, which no chip has (XPU_MAX_LINKS is 8), window 255:
 * an access fails with LINK_ERROR at once, before any bus access (a dead
 * bus address would make an IOMMU report a fault for each access).
 */
#define XPU_PEER_DEAD_PORT	0xf
#define XPU_PEER_DEAD_WIN	0xff

/**
 * struct xpu_peer_run - one HBM block of the exporter, mapped for the importer
 * @dma: its bus address for the importing device
 * @size: bytes
 */
struct xpu_peer_run {
	dma_addr_t dma;
	u64 size;
};

/**
 * struct xpu_peer_bo - another XPU's HBM buffer, imported
 * @base: the GEM object of the importing device
 * @dmabuf: the exporter's dma-buf (referenced)
 * @attach: this device's attachment to it
 * @exporter: the exporting device (alive while @dmabuf is: the dma-buf
 *	references its DRM device); its hardware only inside drm_dev_enter()
 * @eobj: the exported buffer (referenced by @dmabuf)
 * @flags: DRM_XPU_BO_PEER_LINK or DRM_XPU_BO_PEER_PCIE, and
 *	DRM_XPU_BO_DEVICE_RO when the exported buffer has it
 * @port: LINK: the importer's port to the exporter
 * @win: LINK: the exporter's window
 * @runs: PCIE: the exporter's blocks as bus addresses of the importer
 * @nruns: entries in @runs
 * @export_node: PCIE: in &xpu_device.peer_imports of the exporter, under
 *	its &xpu_device.link_lock
 * @revoked: PCIE: the exporter is gone; the leaves point at a dead link
 *	address (written under the exporter's link_lock, read under the
 *	importer's &xpu_ctx.vm_lock)
 * @dma: PCIE: in the importer's &xpu_device.dma_bos while @runs are mapped
 * @dma_unmapped: PCIE: the importer is removed and @runs are unmapped
 *	(xpu_dma_unmap_all()); the leaves point at a dead link address too
 */
struct xpu_peer_bo {
	struct drm_gem_object base;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct xpu_device *exporter;
	struct drm_gem_object *eobj;
	u32 flags;
	u32 port;
	u32 win;
	struct xpu_peer_run *runs;
	u32 nruns;
	struct list_head export_node;
	bool revoked;
	struct xpu_dma_node dma;
	bool dma_unmapped;
};

static const struct drm_gem_object_funcs xpu_peer_funcs;

static struct xpu_peer_bo *to_peer_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct xpu_peer_bo, base);
}

/**
 * xpu_is_peer_bo() - is a buffer another XPU's, imported
 * @obj: buffer
 *
 * Return: true for a peer buffer.
 */
bool xpu_is_peer_bo(struct drm_gem_object *obj)
{
	return obj->funcs == &xpu_peer_funcs;
}

/**
 * xpu_peer_bo_flags() - the BO_INFO flags of a peer buffer
 * @obj: peer buffer
 *
 * Return: DRM_XPU_BO_PEER_LINK or DRM_XPU_BO_PEER_PCIE, with
 * DRM_XPU_BO_DEVICE_RO when the exported buffer has it.
 */
u32 xpu_peer_bo_flags(struct drm_gem_object *obj)
{
	return to_peer_bo(obj)->flags;
}

/**
 * xpu_peer_bo_leaf() - the leaf entry of a page of a peer buffer
 * @obj: peer buffer
 * @off: byte offset of the page in the buffer
 *
 * Called under the &xpu_ctx.vm_lock of the context it is mapped in.
 *
 * Return: the frame and its XPU_PTE_LINK or XPU_PTE_HOST bit, without the
 * valid and permission bits; 0 when the page must stay unmapped (a revoked
 * PCIe import on a device without link addresses).
 */
u64 xpu_peer_bo_leaf(struct drm_gem_object *obj, u64 off)
{
	struct xpu_peer_bo *bo = to_peer_bo(obj);
	u64 start = 0;
	u32 i;

	if (bo->flags & DRM_XPU_BO_PEER_LINK)
		return XPU_LINK_ADDR(bo->port, bo->win, off) | XPU_PTE_LINK;
	if (!READ_ONCE(bo->revoked) && !READ_ONCE(bo->dma_unmapped)) {
		for (i = 0; i < bo->nruns; i++) {
			if (off < start + bo->runs[i].size)
				return ((bo->runs[i].dma + off - start) & XPU_PTE_ADDR_MASK) |
				       XPU_PTE_HOST;
			start += bo->runs[i].size;
		}
	}
	if ((to_xpu_device(obj->dev)->hw_version & 0xffff) < 1)
		return 0;
	return XPU_LINK_ADDR(XPU_PEER_DEAD_PORT, XPU_PEER_DEAD_WIN, off) | XPU_PTE_LINK;
}

/* ---- the exporter's side ------------------------------------------------------ */

/* Only an XPU may attach to an HBM buffer's dma-buf. */
static int xpu_dmabuf_attach(struct dma_buf *dma_buf, struct dma_buf_attachment *attach)
{
	if (!xpu_is_xpu_dev(attach->dev))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * No scatterlist: an XPU importer reaches the memory by link or by the BAR
 * directly (xpu_peer_import()), and no other importer can attach.
 */
static struct sg_table *xpu_dmabuf_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static void xpu_dmabuf_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
			     enum dma_data_direction dir)
{
}

static const struct dma_buf_ops xpu_dmabuf_ops = {
	.attach = xpu_dmabuf_attach,
	.map_dma_buf = xpu_dmabuf_map,
	.unmap_dma_buf = xpu_dmabuf_unmap,
	.release = drm_gem_dmabuf_release,
};

/**
 * xpu_hbm_bo_export() - drm_gem_object_funcs.export of an HBM buffer
 * @obj: HBM buffer
 * @flags: file flags of the dma-buf
 *
 * Return: its dma-buf (referencing @obj and its DRM device), or an ERR_PTR().
 */
struct dma_buf *xpu_hbm_bo_export(struct drm_gem_object *obj, int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);

	exp_info.ops = &xpu_dmabuf_ops;
	exp_info.size = obj->size;
	exp_info.flags = flags;
	exp_info.priv = obj;
	exp_info.resv = obj->resv;
	return drm_gem_dmabuf_export(obj->dev, &exp_info);
}

/* ---- the importer's side ------------------------------------------------------- */

static void xpu_peer_bo_free(struct drm_gem_object *obj)
{
	struct xpu_peer_bo *bo = to_peer_bo(obj);
	struct xpu_device *xdev = to_xpu_device(obj->dev);
	struct xpu_device *exporter = bo->exporter;
	u32 i;

	if (bo->flags & DRM_XPU_BO_PEER_LINK) {
		xpu_link_window_close(exporter, bo->win);
	} else {
		mutex_lock(&exporter->link_lock);
		list_del(&bo->export_node);
		mutex_unlock(&exporter->link_lock);
		xpu_dma_untrack(xdev, &bo->dma);
		/* unless the importer's removal has (xpu_dma_unmap_all()) */
		for (i = 0; i < bo->nruns && !bo->dma_unmapped; i++)
			dma_unmap_resource(xdev->drm.dev, bo->runs[i].dma, bo->runs[i].size,
					   DMA_BIDIRECTIONAL, 0);
		kvfree(bo->runs);
	}
	drm_gem_object_release(obj);
	dma_buf_detach(bo->dmabuf, bo->attach);
	/* may drop the exporter's last reference: nothing of it is used after */
	dma_buf_put(bo->dmabuf);
	kfree(bo);
}

static struct dma_buf *xpu_peer_bo_export(struct drm_gem_object *obj, int flags)
{
	/* another device's memory: its owner exports it */
	return ERR_PTR(-EOPNOTSUPP);
}

static enum drm_gem_object_status xpu_peer_bo_status(struct drm_gem_object *obj)
{
	return DRM_GEM_OBJECT_RESIDENT;
}

/* No .mmap: the exporter's file maps it for the CPU, mmap() here is -EINVAL. */
static const struct drm_gem_object_funcs xpu_peer_funcs = {
	.free = xpu_peer_bo_free,
	.close = xpu_gem_close,
	.export = xpu_peer_bo_export,
	.status = xpu_peer_bo_status,
};

/**
 * xpu_peer_bo_dma_unmap_locked() - the importer is removed: unmap a PCIe import
 * @obj: peer buffer on the importer's &xpu_device.dma_bos, its reservation
 *	held (with the importer's &xpu_device.dma_lock)
 *
 * Its leaves then point at a dead link address; its free skips the unmap.
 */
void xpu_peer_bo_dma_unmap_locked(struct drm_gem_object *obj)
{
	struct xpu_peer_bo *bo = to_peer_bo(obj);
	u32 i;

	dma_resv_assert_held(obj->resv);
	if (!(bo->flags & DRM_XPU_BO_PEER_PCIE) || bo->dma_unmapped)
		return;
	for (i = 0; i < bo->nruns; i++)
		dma_unmap_resource(obj->dev->dev, bo->runs[i].dma, bo->runs[i].size,
				   DMA_BIDIRECTIONAL, 0);
	WRITE_ONCE(bo->dma_unmapped, true);
}

/* Map the exporter's blocks of bo->eobj through its BAR for the importer. */
static int xpu_peer_map_pcie(struct xpu_device *xdev, struct xpu_peer_bo *bo)
{
	struct xpu_device *exporter = bo->exporter;
	struct list_head *blocks = xpu_hbm_bo_blocks(bo->eobj);
	struct gpu_buddy_block *block;
	u32 n = 0;

	list_for_each_entry(block, blocks, link)
		n++;
	bo->runs = kvcalloc(n, sizeof(*bo->runs), GFP_KERNEL);
	if (!bo->runs)
		return -ENOMEM;
	list_for_each_entry(block, blocks, link) {
		struct xpu_peer_run *run = &bo->runs[bo->nruns];

		run->size = gpu_buddy_block_size(&exporter->buddy, block);
		run->dma = dma_map_resource(xdev->drm.dev,
					    exporter->hbm_base + gpu_buddy_block_offset(block),
					    run->size, DMA_BIDIRECTIONAL, 0);
		if (dma_mapping_error(xdev->drm.dev, run->dma)) {
			while (bo->nruns--)
				dma_unmap_resource(xdev->drm.dev, bo->runs[bo->nruns].dma,
						   bo->runs[bo->nruns].size, DMA_BIDIRECTIONAL, 0);
			kvfree(bo->runs);
			bo->runs = NULL;
			bo->nruns = 0;
			return -ENOMEM;
		}
		bo->nruns++;
	}
	return 0;
}

/* Import another XPU's HBM buffer: a link window or a PCIe mapping. */
static struct drm_gem_object *xpu_peer_import(struct xpu_device *xdev,
					      struct dma_buf *dma_buf)
{
	struct drm_gem_object *eobj = dma_buf->priv;
	struct xpu_device *exporter = to_xpu_device(eobj->dev);
	u32 eflags = xpu_bo_flags(eobj);
	struct xpu_peer_bo *bo;
	int ret, port, idx;

	if (!(eflags & DRM_XPU_BO_HBM))
		return ERR_PTR(-EINVAL);
	if (!drm_dev_enter(&exporter->drm, &idx))
		return ERR_PTR(-ENODEV);
	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo) {
		ret = -ENOMEM;
		goto err_exit;
	}
	bo->exporter = exporter;
	bo->eobj = eobj;
	bo->dmabuf = dma_buf;
	INIT_LIST_HEAD(&bo->export_node);
	INIT_LIST_HEAD(&bo->dma.node);
	bo->attach = dma_buf_attach(dma_buf, xdev->drm.dev);
	if (IS_ERR(bo->attach)) {
		ret = PTR_ERR(bo->attach);
		goto err_free;
	}

	port = exporter->num_links ? xpu_link_port_to(xdev, exporter->chip_id) : -ENOLINK;
	ret = -ENOLINK;
	if (port >= 0) {
		ret = xpu_link_window_open(exporter, eobj, xdev->chip_id,
					   eflags & DRM_XPU_BO_DEVICE_RO, &bo->win);
		if (!ret) {
			bo->port = port;
			bo->flags = DRM_XPU_BO_PEER_LINK;
		} else if (ret != -ENOLINK) {
			goto err_detach;
		}
	}
	if (ret == -ENOLINK && READ_ONCE(xpu_pcie_p2p)) {
		ret = xpu_peer_map_pcie(xdev, bo);
		if (ret)
			goto err_detach;
		mutex_lock(&exporter->link_lock);
		if (exporter->links_revoked)
			ret = -ENODEV;
		else
			list_add_tail(&bo->export_node, &exporter->peer_imports);
		mutex_unlock(&exporter->link_lock);
		if (ret) {
			u32 i;

			for (i = 0; i < bo->nruns; i++)
				dma_unmap_resource(xdev->drm.dev, bo->runs[i].dma,
						   bo->runs[i].size, DMA_BIDIRECTIONAL, 0);
			kvfree(bo->runs);
			goto err_detach;
		}
		bo->flags = DRM_XPU_BO_PEER_PCIE;
	}
	if (ret)
		goto err_detach;
	bo->flags |= eflags & DRM_XPU_BO_DEVICE_RO;
	bo->base.funcs = &xpu_peer_funcs;
	/* the dma-buf's reservation: jobs on either device wait for each other's */
	bo->base.resv = dma_buf->resv;
	drm_gem_private_object_init(&xdev->drm, &bo->base, eobj->size);
	get_dma_buf(dma_buf);
	drm_dev_exit(idx);
	if ((bo->flags & DRM_XPU_BO_PEER_PCIE) && !xpu_dma_track(xdev, &bo->dma, &bo->base)) {
		/* this device was removed meanwhile: the free unmaps it */
		drm_gem_object_put(&bo->base);
		return ERR_PTR(-ENODEV);
	}
	drm_dbg_driver(&xdev->drm, "imported %zu bytes of chip %u by %s\n", eobj->size,
		       exporter->chip_id, bo->flags & DRM_XPU_BO_PEER_LINK ? "link" : "PCIe");
	return &bo->base;

err_detach:
	dma_buf_detach(dma_buf, bo->attach);
err_free:
	kfree(bo);
err_exit:
	drm_dev_exit(idx);
	return ERR_PTR(ret);
}

/**
 * xpu_gem_prime_import() - drm_driver.gem_prime_import
 * @drm: the importing device
 * @dma_buf: the dma-buf
 *
 * An XPU HBM buffer of this device is the buffer itself; one of another XPU
 * becomes a peer buffer; anything else goes the generic way (a shmem object
 * over the exporter's pages).
 *
 * Return: the object, or an ERR_PTR(): -ENOLINK when no link and no PCIe
 * path joins the two XPUs, -ENODEV when the exporter is gone, -ENOSPC when
 * it has no window left, -ENOMEM.
 */
struct drm_gem_object *xpu_gem_prime_import(struct drm_device *drm, struct dma_buf *dma_buf)
{
	struct drm_gem_object *obj;

	if (dma_buf->ops != &xpu_dmabuf_ops)
		return drm_gem_prime_import(drm, dma_buf);
	obj = dma_buf->priv;
	if (obj->dev == drm) {
		/* our own buffer: the same object, as drm_gem_prime_import() does */
		drm_gem_object_get(obj);
		return obj;
	}
	return xpu_peer_import(to_xpu_device(drm), dma_buf);
}

/**
 * xpu_peer_revoke() - the exporter is being removed: cut its PCIe importers off
 * @xdev: the exporting device, &xpu_device.links_revoked set
 *
 * Every PCIe import of its buffers gets leaves that point at a link address
 * no chip has, in every context of the importer it is mapped in.
 */
void xpu_peer_revoke(struct xpu_device *xdev)
{
	struct xpu_peer_bo *bo;
	struct drm_device *importer;

	/*
	 * One import at a time, with no allocation (a revocation must not
	 * fail): each pass marks one more revoked, and none is added any more
	 * (&xpu_device.links_revoked), so this ends.
	 */
	do {
		importer = NULL;
		mutex_lock(&xdev->link_lock);
		list_for_each_entry(bo, &xdev->peer_imports, export_node) {
			if (READ_ONCE(bo->revoked))
				continue;
			WRITE_ONCE(bo->revoked, true);
			/*
			 * One being freed takes itself off the list after this
			 * lock. Whoever holds a reference now (a handle, a
			 * mapping, a job) keeps the importer's DRM device alive
			 * now: hold it too.
			 */
			if (kref_get_unless_zero(&bo->base.refcount)) {
				importer = bo->base.dev;
				drm_dev_get(importer);
				break;
			}
		}
		mutex_unlock(&xdev->link_lock);
		if (importer) {
			xpu_vm_refill(to_xpu_device(importer), &bo->base);
			drm_gem_object_put(&bo->base);
			drm_dev_put(importer);
		}
	} while (importer);
}
