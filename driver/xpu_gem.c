// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: buffers.
 *
 * HBM buffers are GEM objects backed by blocks of the HBM BAR, allocated
 * with the kernel's buddy allocator and CPU-mapped write-combined through
 * the BAR. Host buffers are GEM shmem objects, pinned and DMA-mapped for as
 * long as they are mapped in a device address space, CPU-mapped cached.
 * Every buffer is mapped in its creator's address space at creation; an
 * imported one is mapped in the importer's on first use. User-page buffers
 * (DRM_IOCTL_XPU_BO_USERPTR) are the caller's own memory, pinned long term
 * and DMA-mapped for their whole life, never CPU-mapped through the fd.
 * An HBM buffer's PRIME export and another XPU's import of it (peer
 * buffers) are in xpu_peer.c.
 *
 * Every DMA mapping of system memory for the device is on the device's
 * list &xpu_device.dma_bos: a file may outlive the device's removal, and
 * no mapping may outlive the driver's unbind (the DMA API's rule; the
 * IOMMU domain goes with it). xpu_dma_unmap_all() undoes them at removal,
 * as ivpu's ivpu_bo_unbind_all_bos_from_context() does; the buffers' free
 * paths then skip what is undone.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <drm/drm_utils.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

struct xpu_hbm_bo {
	struct drm_gem_object base;
	struct list_head blocks;
	u32 flags;
};

struct xpu_host_bo {
	struct drm_gem_shmem_object base;
	struct xpu_dma_node dma;
	u32 flags;
};

struct xpu_userptr_bo {
	struct drm_gem_object base;
	struct page **pages;
	unsigned long npages;
	struct sg_table sgt;
	struct mm_struct *mm;	/* its pinned_vm counts @npages */
	struct xpu_dma_node dma;
	bool dma_mapped;	/* @sgt is mapped; under the resv and dma_lock */
	u32 flags;
};

static const struct drm_gem_object_funcs xpu_hbm_funcs;
static const struct drm_gem_object_funcs xpu_host_funcs;
static const struct drm_gem_object_funcs xpu_userptr_funcs;

static struct xpu_hbm_bo *to_hbm_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct xpu_hbm_bo, base);
}

static struct xpu_host_bo *to_host_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct xpu_host_bo, base.base);
}

static struct xpu_userptr_bo *to_userptr_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct xpu_userptr_bo, base);
}

static enum dma_data_direction xpu_userptr_dir(const struct xpu_userptr_bo *bo)
{
	return bo->flags & DRM_XPU_BO_DEVICE_RO ? DMA_TO_DEVICE : DMA_BIDIRECTIONAL;
}

/**
 * xpu_bo_flags() - creation flags of a buffer
 * @obj: buffer
 *
 * Return: DRM_XPU_BO_* bits.
 */
u32 xpu_bo_flags(struct drm_gem_object *obj)
{
	if (obj->funcs == &xpu_hbm_funcs)
		return to_hbm_bo(obj)->flags;
	if (obj->funcs == &xpu_userptr_funcs)
		return to_userptr_bo(obj)->flags;
	if (xpu_is_peer_bo(obj))
		return xpu_peer_bo_flags(obj);
	return to_host_bo(obj)->flags;
}

/**
 * xpu_bo_sgt() - DMA-mapped pages of a system-memory buffer
 * @obj: buffer that is not DRM_XPU_BO_HBM
 *
 * Pins a shmem buffer's pages and DMA-maps them (until it is freed or the
 * device removed) and puts it on &xpu_device.dma_bos; a user-page buffer's
 * are pinned and mapped from its creation. Called with no reservation held.
 *
 * Return: its sg table, DMA-mapped for the device, or an ERR_PTR():
 * -ENODEV once the device is removed.
 */
struct sg_table *xpu_bo_sgt(struct drm_gem_object *obj)
{
	struct xpu_device *xdev = to_xpu_device(obj->dev);
	struct xpu_host_bo *bo;
	struct sg_table *sgt;

	if (obj->funcs == &xpu_userptr_funcs) {
		if (!READ_ONCE(to_userptr_bo(obj)->dma_mapped))
			return ERR_PTR(-ENODEV);
		return &to_userptr_bo(obj)->sgt;
	}
	bo = to_host_bo(obj);
	/* under dma_lock: no mapping is made after xpu_dma_unmap_all() */
	mutex_lock(&xdev->dma_lock);
	if (xdev->dma_unmapped) {
		sgt = ERR_PTR(-ENODEV);
	} else {
		sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
		if (!IS_ERR(sgt) && list_empty(&bo->dma.node)) {
			bo->dma.obj = obj;
			list_add_tail(&bo->dma.node, &xdev->dma_bos);
		}
	}
	mutex_unlock(&xdev->dma_lock);
	return sgt;
}

/**
 * xpu_dma_track() - put a DMA-mapped buffer on &xpu_device.dma_bos
 * @xdev: device its pages are mapped for
 * @dn: the buffer's list entry (self linked when not listed)
 * @obj: the buffer, initialised
 *
 * Return: true, or false when the device is already removed (the caller
 * frees the buffer, whose free path undoes the mapping).
 */
bool xpu_dma_track(struct xpu_device *xdev, struct xpu_dma_node *dn,
		   struct drm_gem_object *obj)
{
	bool ok;

	mutex_lock(&xdev->dma_lock);
	ok = !xdev->dma_unmapped;
	if (ok) {
		dn->obj = obj;
		list_add_tail(&dn->node, &xdev->dma_bos);
	}
	mutex_unlock(&xdev->dma_lock);
	return ok;
}

/**
 * xpu_dma_untrack() - take a buffer that is being freed off &xpu_device.dma_bos
 * @xdev: device
 * @dn: the buffer's list entry
 *
 * After it, xpu_dma_unmap_all() no longer touches the buffer: what it has
 * undone before is seen by the caller (its flags or a NULL sg table).
 */
void xpu_dma_untrack(struct xpu_device *xdev, struct xpu_dma_node *dn)
{
	mutex_lock(&xdev->dma_lock);
	list_del_init(&dn->node);
	mutex_unlock(&xdev->dma_lock);
}

/* Undo the DMA mapping of a shmem buffer's pages, as ivpu_bo_unbind_locked(). */
static void xpu_host_bo_dma_unmap_locked(struct xpu_host_bo *bo)
{
	struct drm_gem_shmem_object *shmem = &bo->base;
	struct drm_gem_object *obj = &shmem->base;

	dma_resv_assert_held(obj->resv);
	if (!shmem->sgt)
		return;
	if (obj->import_attach) {
		/* drm_prime_gem_destroy() then has nothing to unmap */
		dma_buf_unmap_attachment(obj->import_attach, shmem->sgt, DMA_BIDIRECTIONAL);
	} else {
		/* drm_gem_shmem_free() then skips it; the pages stay pinned */
		dma_unmap_sgtable(obj->dev->dev, shmem->sgt, DMA_BIDIRECTIONAL, 0);
		sg_free_table(shmem->sgt);
		kfree(shmem->sgt);
	}
	shmem->sgt = NULL;
}

/* Undo the DMA mapping of a user-page buffer; its pages stay pinned. */
static void xpu_userptr_dma_unmap_locked(struct xpu_userptr_bo *bo)
{
	dma_resv_assert_held(bo->base.resv);
	if (!bo->dma_mapped)
		return;
	dma_unmap_sgtable(bo->base.dev->dev, &bo->sgt, xpu_userptr_dir(bo), 0);
	WRITE_ONCE(bo->dma_mapped, false);
}

/**
 * xpu_dma_unmap_all() - undo every DMA mapping of system memory at removal
 * @xdev: device, unplugged, its queues stopped (xpu_queues_fini()): no
 *	ioctl, job or hardware access uses a bus address any more
 *
 * Shmem buffers, user-page buffers and PCIe peer imports that files or
 * jobs still hold keep their pages (or the exporter's BAR) but lose their
 * bus addresses for the device; their free paths skip what is undone, and
 * no new mapping is made (xpu_bo_sgt() and xpu_dma_track() fail).
 */
void xpu_dma_unmap_all(struct xpu_device *xdev)
{
	struct xpu_dma_node *dn, *next;
	u32 n = 0;

	mutex_lock(&xdev->dma_lock);
	xdev->dma_unmapped = true;
	list_for_each_entry_safe(dn, next, &xdev->dma_bos, node) {
		struct drm_gem_object *obj = dn->obj;

		/* alive: its free takes it off the list under dma_lock first */
		dma_resv_lock(obj->resv, NULL);
		if (obj->funcs == &xpu_userptr_funcs)
			xpu_userptr_dma_unmap_locked(to_userptr_bo(obj));
		else if (xpu_is_peer_bo(obj))
			xpu_peer_bo_dma_unmap_locked(obj);
		else
			xpu_host_bo_dma_unmap_locked(to_host_bo(obj));
		dma_resv_unlock(obj->resv);
		list_del_init(&dn->node);
		n++;
	}
	mutex_unlock(&xdev->dma_lock);
	if (n)
		drm_dbg_driver(&xdev->drm, "removal: unmapped %u buffers still held\n", n);
}

/**
 * xpu_hbm_bo_blocks() - HBM blocks of an HBM buffer
 * @obj: buffer created with DRM_XPU_BO_HBM
 *
 * Return: its list of gpu_buddy blocks.
 */
struct list_head *xpu_hbm_bo_blocks(struct drm_gem_object *obj)
{
	return &to_hbm_bo(obj)->blocks;
}

/* ---- HBM allocator --------------------------------------------------------- */

/**
 * xpu_hbm_init() - set up the HBM allocator
 * @xdev: device with @hbm_size known
 *
 * Return: 0 or a negative errno.
 */
int xpu_hbm_init(struct xpu_device *xdev)
{
	int ret;

	mutex_init(&xdev->hbm_lock);
	INIT_LIST_HEAD(&xdev->hbm_reserved);
	ret = gpu_buddy_init(&xdev->buddy, xdev->hbm_size, PAGE_SIZE);
	if (ret)
		return ret;
	/*
	 * Page 0 is never allocated: the device reads a context root of 0 as
	 * "no page table", so a page table there would disable its context
	 * (and a buffer there is no use to anyone). Not counted as used.
	 */
	ret = gpu_buddy_alloc_blocks(&xdev->buddy, 0, PAGE_SIZE, PAGE_SIZE, PAGE_SIZE,
				     &xdev->hbm_reserved, 0);
	if (ret)
		gpu_buddy_fini(&xdev->buddy);
	return ret;
}

/**
 * xpu_hbm_fini() - tear the HBM allocator down (everything freed)
 * @xdev: device
 */
void xpu_hbm_fini(struct xpu_device *xdev)
{
	gpu_buddy_free_list(&xdev->buddy, &xdev->hbm_reserved, 0);
	gpu_buddy_fini(&xdev->buddy);
}

/**
 * xpu_hbm_alloc() - allocate zeroed HBM
 * @xdev: device
 * @size: bytes, page aligned
 * @blocks: list the blocks are added to
 *
 * Return: 0 or -ENOMEM.
 */
int xpu_hbm_alloc(struct xpu_device *xdev, u64 size, struct list_head *blocks)
{
	struct gpu_buddy_block *block;
	LIST_HEAD(tmp);
	int ret, idx;

	mutex_lock(&xdev->hbm_lock);
	ret = gpu_buddy_alloc_blocks(&xdev->buddy, 0, xdev->hbm_size, size,
				     PAGE_SIZE, &tmp, 0);
	if (!ret)
		xdev->hbm_used += size;
	mutex_unlock(&xdev->hbm_lock);
	if (ret)
		return -ENOMEM;

	/* Never hand out another context's data. */
	if (!drm_dev_enter(&xdev->drm, &idx)) {
		xpu_hbm_free(xdev, &tmp);
		return -ENODEV;
	}
	list_for_each_entry(block, &tmp, link)
		memset_io(xdev->hbm + gpu_buddy_block_offset(block), 0,
			  gpu_buddy_block_size(&xdev->buddy, block));
	drm_dev_exit(idx);
	list_splice_tail(&tmp, blocks);
	return 0;
}

/**
 * xpu_hbm_free() - free HBM blocks
 * @xdev: device
 * @blocks: blocks from xpu_hbm_alloc(); the list is empty afterwards
 */
void xpu_hbm_free(struct xpu_device *xdev, struct list_head *blocks)
{
	struct gpu_buddy_block *block;
	u64 size = 0;

	mutex_lock(&xdev->hbm_lock);
	list_for_each_entry(block, blocks, link)
		size += gpu_buddy_block_size(&xdev->buddy, block);
	gpu_buddy_free_list(&xdev->buddy, blocks, 0);
	drm_WARN_ON(&xdev->drm, size > xdev->hbm_used);
	xdev->hbm_used -= size;
	mutex_unlock(&xdev->hbm_lock);
	INIT_LIST_HEAD(blocks);
}

/* ---- common object callbacks ----------------------------------------------- */

/**
 * xpu_gem_close() - drm_gem_object_funcs.close of every buffer
 * @obj: buffer
 * @file: the file whose handle is closed
 *
 * Unmaps the buffer there, never waiting for the jobs that use it (a busy
 * buffer stays mapped until it is idle).
 */
void xpu_gem_close(struct drm_gem_object *obj, struct drm_file *file)
{
	struct xpu_ctx *ctx = file->driver_priv;

	if (ctx)
		xpu_vm_close(ctx, obj);
}

/* ---- HBM objects ------------------------------------------------------------ */

static void xpu_hbm_bo_free(struct drm_gem_object *obj)
{
	struct xpu_hbm_bo *bo = to_hbm_bo(obj);
	struct xpu_device *xdev = to_xpu_device(obj->dev);

	drm_gem_free_mmap_offset(obj);
	drm_gem_object_release(obj);
	xpu_hbm_free(xdev, &bo->blocks);
	kfree(bo);
}

static int xpu_hbm_bo_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma)
{
	struct xpu_device *xdev = to_xpu_device(obj->dev);
	struct xpu_hbm_bo *bo = to_hbm_bo(obj);
	unsigned long addr = vma->vm_start;
	struct gpu_buddy_block *block;
	int ret = 0, idx;

	if (!drm_dev_enter(obj->dev, &idx))
		return -ENODEV;
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_writecombine(vm_get_page_prot(vma->vm_flags));
	list_for_each_entry(block, &bo->blocks, link) {
		u64 size = gpu_buddy_block_size(&xdev->buddy, block);
		u64 bus = xdev->hbm_base + gpu_buddy_block_offset(block);

		if (addr >= vma->vm_end)
			break;
		size = min_t(u64, size, vma->vm_end - addr);
		ret = io_remap_pfn_range(vma, addr, bus >> PAGE_SHIFT, size,
					 vma->vm_page_prot);
		if (ret)
			break;
		addr += size;
	}
	drm_dev_exit(idx);
	return ret;
}

static enum drm_gem_object_status xpu_hbm_bo_status(struct drm_gem_object *obj)
{
	return DRM_GEM_OBJECT_RESIDENT;
}

static const struct vm_operations_struct xpu_hbm_vm_ops = {
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

static const struct drm_gem_object_funcs xpu_hbm_funcs = {
	.free = xpu_hbm_bo_free,
	.close = xpu_gem_close,
	.mmap = xpu_hbm_bo_mmap,
	.export = xpu_hbm_bo_export,
	.status = xpu_hbm_bo_status,
	.vm_ops = &xpu_hbm_vm_ops,
};

static struct drm_gem_object *xpu_hbm_bo_create(struct xpu_device *xdev,
						u64 size, u32 flags)
{
	struct xpu_hbm_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	int ret;

	if (!bo)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&bo->blocks);
	bo->flags = flags;
	bo->base.funcs = &xpu_hbm_funcs;
	drm_gem_private_object_init(&xdev->drm, &bo->base, size);
	ret = xpu_hbm_alloc(xdev, size, &bo->blocks);
	if (!ret)
		ret = drm_gem_create_mmap_offset(&bo->base);
	if (ret) {
		drm_gem_object_put(&bo->base);
		return ERR_PTR(ret);
	}
	return &bo->base;
}

/* ---- host (shmem) objects ---------------------------------------------------- */

static void xpu_host_bo_free(struct drm_gem_object *obj)
{
	xpu_dma_untrack(to_xpu_device(obj->dev), &to_host_bo(obj)->dma);
	drm_gem_shmem_free(to_drm_gem_shmem_obj(obj));
}

static const struct drm_gem_object_funcs xpu_host_funcs = {
	.free = xpu_host_bo_free,
	.close = xpu_gem_close,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * xpu_gem_create_object() - drm_driver.gem_create_object, for shmem objects
 * @drm: device
 * @size: bytes
 *
 * Host buffers and PRIME imports are shmem objects with our callbacks.
 *
 * Return: the object or an ERR_PTR().
 */
struct drm_gem_object *xpu_gem_create_object(struct drm_device *drm, size_t size)
{
	struct xpu_host_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->flags = DRM_XPU_BO_HOST;
	INIT_LIST_HEAD(&bo->dma.node);
	bo->base.map_wc = false;
	bo->base.base.funcs = &xpu_host_funcs;
	return &bo->base.base;
}

/* ---- user-page (userptr) objects ------------------------------------------------ */

/* Undo the pinning of @pinned pages and the pinned_vm charge. */
static void xpu_userptr_unpin(struct xpu_userptr_bo *bo, unsigned long pinned)
{
	unpin_user_pages_dirty_lock(bo->pages, pinned,
				    !(bo->flags & DRM_XPU_BO_DEVICE_RO));
	atomic64_sub(bo->npages, &bo->mm->pinned_vm);
	mmdrop(bo->mm);
	kvfree(bo->pages);
}

static void xpu_userptr_bo_free(struct drm_gem_object *obj)
{
	struct xpu_userptr_bo *bo = to_userptr_bo(obj);

	xpu_dma_untrack(to_xpu_device(obj->dev), &bo->dma);
	if (bo->dma_mapped)	/* not undone by xpu_dma_unmap_all() */
		dma_unmap_sgtable(obj->dev->dev, &bo->sgt, xpu_userptr_dir(bo), 0);
	sg_free_table(&bo->sgt);
	xpu_userptr_unpin(bo, bo->npages);
	drm_gem_object_release(obj);
	kfree(bo);
}

static struct dma_buf *xpu_userptr_bo_export(struct drm_gem_object *obj, int flags)
{
	/* another process's pages: not shared through dma-buf */
	return ERR_PTR(-EOPNOTSUPP);
}

/* No .mmap and no .vm_ops: mmap() of the fd gives -EINVAL. */
static const struct drm_gem_object_funcs xpu_userptr_funcs = {
	.free = xpu_userptr_bo_free,
	.close = xpu_gem_close,
	.export = xpu_userptr_bo_export,
	.status = xpu_hbm_bo_status,	/* pinned: always resident */
};

/* Charge @npages to the caller's pinned_vm against RLIMIT_MEMLOCK. */
static int xpu_userptr_charge(unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 pinned = atomic64_add_return(npages, &current->mm->pinned_vm);

	if (pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &current->mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

/* Pin [start, start + size) of the caller and DMA-map it; the object is not initialised. */
static int xpu_userptr_pin(struct drm_device *drm, struct xpu_userptr_bo *bo,
			   u64 start, u64 size)
{
	unsigned int gup = FOLL_LONGTERM;
	unsigned long pinned = 0;
	int ret;

	if (!(bo->flags & DRM_XPU_BO_DEVICE_RO))
		gup |= FOLL_WRITE;
	bo->npages = size >> PAGE_SHIFT;
	bo->pages = kvmalloc_array(bo->npages, sizeof(*bo->pages), GFP_KERNEL);
	if (!bo->pages)
		return -ENOMEM;
	ret = xpu_userptr_charge(bo->npages);
	if (ret) {
		kvfree(bo->pages);
		return ret;
	}
	bo->mm = current->mm;
	mmgrab(bo->mm);
	while (pinned < bo->npages) {
		ret = pin_user_pages_fast(start + pinned * PAGE_SIZE,
					  bo->npages - pinned, gup,
					  bo->pages + pinned);
		if (ret <= 0) {
			/* unmapped, read-only for a writable pin, or not pinnable */
			ret = ret == -ENOMEM ? -ENOMEM : -EFAULT;
			goto err_unpin;
		}
		pinned += ret;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_unpin;
		}
	}
	/*
	 * segments no longer than the DMA layer maps in one piece (as
	 * drm_prime_pages_to_sg() does)
	 */
	ret = sg_alloc_table_from_pages_segment(&bo->sgt, bo->pages, bo->npages, 0, size,
						min_t(size_t, dma_max_mapping_size(drm->dev),
						      UINT_MAX) & PAGE_MASK,
						GFP_KERNEL);
	if (ret)
		goto err_unpin;
	ret = dma_map_sgtable(drm->dev, &bo->sgt, xpu_userptr_dir(bo), 0);
	if (ret) {
		sg_free_table(&bo->sgt);
		ret = -ENOMEM;	/* the documented errno: no mapping resources */
		goto err_unpin;
	}
	bo->dma_mapped = true;
	return 0;

err_unpin:
	xpu_userptr_unpin(bo, pinned);
	return ret;
}

/* ---- ioctls ----------------------------------------------------------------- */

#define XPU_BO_VALID_FLAGS (DRM_XPU_BO_HBM | DRM_XPU_BO_HOST | DRM_XPU_BO_DEVICE_RO)

/**
 * xpu_ioctl_bo_create() - DRM_IOCTL_XPU_BO_CREATE
 * @drm: device
 * @data: &struct drm_xpu_bo_create
 * @file: the calling file; the buffer is mapped in its address space
 *
 * Return: 0 or a negative errno (see the uAPI header).
 */
int xpu_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct xpu_device *xdev = to_xpu_device(drm);
	struct drm_xpu_bo_create *args = data;
	u32 place = args->flags & (DRM_XPU_BO_HBM | DRM_XPU_BO_HOST);
	struct drm_gem_object *obj;
	u64 size;
	int ret;

	if (args->handle || args->va)	/* outputs */
		return -EINVAL;
	if ((args->flags & ~XPU_BO_VALID_FLAGS) ||
	    (place != DRM_XPU_BO_HBM && place != DRM_XPU_BO_HOST))
		return -EINVAL;
	if (!args->size || args->size > XPU_MAX_BO_SIZE)
		return -EINVAL;
	size = PAGE_ALIGN(args->size);

	if (place == DRM_XPU_BO_HBM) {
		obj = xpu_hbm_bo_create(xdev, size, args->flags);
	} else {
		struct drm_gem_shmem_object *shmem = drm_gem_shmem_create(drm, size);

		obj = IS_ERR(shmem) ? ERR_CAST(shmem) : &shmem->base;
		if (!IS_ERR(obj))
			to_host_bo(obj)->flags = args->flags;
	}
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	ret = xpu_vm_map(file->driver_priv, obj, &args->va);
	if (ret)
		goto out_put;
	ret = drm_gem_handle_create(file, obj, &args->handle);
	if (ret)
		xpu_vm_unmap(file->driver_priv, obj);
out_put:
	drm_gem_object_put(obj);
	return ret;
}

/**
 * xpu_ioctl_bo_userptr() - DRM_IOCTL_XPU_BO_USERPTR
 * @drm: device
 * @data: &struct drm_xpu_bo_userptr
 * @file: the calling file; the buffer is mapped in its address space
 *
 * Return: 0 or a negative errno (see the uAPI header).
 */
int xpu_ioctl_bo_userptr(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_xpu_bo_userptr *args = data;
	struct xpu_userptr_bo *bo;
	int ret;

	if (args->handle || args->va || args->rsvd ||
	    (args->flags & ~DRM_XPU_USERPTR_DEVICE_RO))
		return -EINVAL;
	if (!args->size || args->size > XPU_MAX_BO_SIZE ||
	    !PAGE_ALIGNED(args->userptr) || !PAGE_ALIGNED(args->size) ||
	    args->userptr + args->size < args->userptr)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(args->userptr), args->size))
		return -EFAULT;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return -ENOMEM;
	INIT_LIST_HEAD(&bo->dma.node);
	bo->flags = DRM_XPU_BO_HOST | DRM_XPU_BO_USER_PAGES;
	if (args->flags & DRM_XPU_USERPTR_DEVICE_RO)
		bo->flags |= DRM_XPU_BO_DEVICE_RO;
	ret = xpu_userptr_pin(drm, bo, args->userptr, args->size);
	if (ret) {
		kfree(bo);
		return ret;
	}
	bo->base.funcs = &xpu_userptr_funcs;
	drm_gem_private_object_init(drm, &bo->base, args->size);
	if (!xpu_dma_track(to_xpu_device(drm), &bo->dma, &bo->base)) {
		ret = -ENODEV;	/* removed meanwhile: the put unmaps it */
		goto out_put;
	}

	ret = xpu_vm_map(file->driver_priv, &bo->base, &args->va);
	if (ret)
		goto out_put;
	ret = drm_gem_handle_create(file, &bo->base, &args->handle);
	if (ret)
		xpu_vm_unmap(file->driver_priv, &bo->base);
out_put:
	drm_gem_object_put(&bo->base);
	return ret;
}

/**
 * xpu_ioctl_bo_info() - DRM_IOCTL_XPU_BO_INFO
 * @drm: device
 * @data: &struct drm_xpu_bo_info
 * @file: the calling file
 *
 * Return: 0 or a negative errno (see the uAPI header).
 */
int xpu_ioctl_bo_info(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_xpu_bo_info *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->flags || args->size || args->va || args->mmap_offset)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = xpu_vm_map(file->driver_priv, obj, &args->va);
	if (!ret)
		ret = drm_gem_create_mmap_offset(obj);
	if (!ret) {
		args->flags = xpu_bo_flags(obj);
		args->size = obj->size;
		args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
	}
	drm_gem_object_put(obj);
	return ret;
}

/**
 * xpu_ioctl_bo_wait() - DRM_IOCTL_XPU_BO_WAIT
 * @drm: device
 * @data: &struct drm_xpu_bo_wait
 * @file: the calling file
 *
 * Return: 0 when no job uses the buffer, -ETIME at the deadline, or a
 * negative errno.
 */
int xpu_ioctl_bo_wait(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_xpu_bo_wait *args = data;
	struct drm_gem_object *obj;
	long ret;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_BOOKKEEP, true,
				    drm_timeout_abs_to_jiffies(args->timeout_ns));
	drm_gem_object_put(obj);
	if (ret == 0)
		return -ETIME;
	return ret < 0 ? ret : 0;
}
