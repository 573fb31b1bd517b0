// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: per-file device address spaces.
 *
 * The driver owns the page tables (4-level, 4 KiB pages, in HBM, written
 * through the write-combined BAR mapping), assigns VAs with drm_mm and
 * invalidates the device TLB after every unmap. Userspace never sees or
 * provides a physical address. Closing a handle never waits for the jobs
 * that use the buffer: its mapping (and reference) stays until it is idle
 * (xpu_vm_close()). Every mapping is followed by an unmapped
 * guard page so that an overrun faults instead of reaching the next buffer.
 *
 * Unmapping clears the entries and invalidates the TLB, but the device has
 * no invalidation handshake and a job may touch any VA of its context: the
 * buffer (pages, HBM blocks) is released only when no job of the context is
 * on the hardware any more (xpu_vm_free_when_idle(), in xpu_ctx.c). Page
 * tables are freed with the context, after its last job.
 */

#include <linux/dma-resv.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

/**
 * xpu_mmu_invalidate() - flush a context's device TLB entries
 * @xdev: device
 * @hw_ctx: hardware context id
 *
 * Returns once the device has dropped them.
 */
void xpu_mmu_invalidate(struct xpu_device *xdev, u32 hw_ctx)
{
	wmb();	/* page-table writes through the WC mapping land first */
	xpu_write(xdev, XPU_REG_MMU_INVALIDATE, hw_ctx);
	/* read back: the invalidation is done before memory is reused */
	xpu_read(xdev, XPU_REG_STATUS);
}

static u64 xpu_pte_read(struct xpu_device *xdev, u64 off)
{
	return readq(xdev->hbm + off);
}

static void xpu_pte_write(struct xpu_device *xdev, u64 off, u64 val)
{
	writeq(val, xdev->hbm + off);
}

/* A zeroed page-table block of the context; vm_lock held. */
static int xpu_pt_alloc(struct xpu_ctx *ctx, u64 *off)
{
	struct xpu_device *xdev = ctx->xdev;
	struct gpu_buddy_block *block;
	LIST_HEAD(blocks);
	int ret;

	lockdep_assert_held(&ctx->vm_lock);
	ret = xpu_hbm_alloc(xdev, XPU_PAGE_SIZE, &blocks);
	if (ret)
		return ret;
	block = list_first_entry(&blocks, struct gpu_buddy_block, link);
	*off = gpu_buddy_block_offset(block);
	list_splice_tail(&blocks, &ctx->pt_blocks);
	return 0;
}

/* Return the HBM offset of va's leaf entry, allocating tables on the way; vm_lock held. */
static int xpu_pt_leaf(struct xpu_ctx *ctx, u64 va, bool alloc, u64 *slot)
{
	struct xpu_device *xdev = ctx->xdev;
	u64 table = ctx->pt_root;
	int level, ret;

	lockdep_assert_held(&ctx->vm_lock);
	for (level = XPU_PT_LEVELS - 1; level > 0; level--) {
		u64 entry_off = table + XPU_PT_INDEX(va, level) * 8;
		u64 e = xpu_pte_read(xdev, entry_off);

		if (!(e & XPU_PTE_VALID)) {
			u64 next;

			if (!alloc)
				return -ENOENT;
			ret = xpu_pt_alloc(ctx, &next);
			if (ret)
				return ret;
			e = next | XPU_PTE_VALID;
			xpu_pte_write(xdev, entry_off, e);
		}
		table = e & XPU_PTE_ADDR_MASK;
	}
	*slot = table + XPU_PT_INDEX(va, 0) * 8;
	return 0;
}

/* The mapping of obj in ctx, or NULL; vm_lock held. */
static struct xpu_vma *xpu_vma_find(struct xpu_ctx *ctx, struct drm_gem_object *obj)
{
	struct xpu_vma *vma;

	lockdep_assert_held(&ctx->vm_lock);
	list_for_each_entry(vma, &ctx->vmas, node)
		if (vma->obj == obj)
			return vma;
	return NULL;
}

/* Clear the leaf entries of vma; vm_lock held. */
static void xpu_vma_clear(struct xpu_ctx *ctx, struct xpu_vma *vma, u64 size)
{
	u64 off, slot;

	lockdep_assert_held(&ctx->vm_lock);
	for (off = 0; off < size; off += XPU_PAGE_SIZE)
		if (!xpu_pt_leaf(ctx, vma->va.start + off, false, &slot))
			xpu_pte_write(ctx->xdev, slot, 0);
}

/* Write the leaf entries of obj at vma; vm_lock held. */
static int xpu_vma_fill(struct xpu_ctx *ctx, struct xpu_vma *vma,
			struct drm_gem_object *obj)
{
	struct xpu_device *xdev = ctx->xdev;
	u32 flags = xpu_bo_flags(obj);
	u64 perm = XPU_PTE_VALID | XPU_PTE_READ;
	u64 va = vma->va.start;
	u64 slot;
	int ret;

	lockdep_assert_held(&ctx->vm_lock);
	/* the VA range holds the buffer and its guard page */
	if (drm_WARN_ON(&xdev->drm, vma->va.size != obj->size + XPU_PAGE_SIZE))
		return -EINVAL;
	if (!(flags & DRM_XPU_BO_DEVICE_RO))
		perm |= XPU_PTE_WRITE;

	if (xpu_is_peer_bo(obj)) {
		u64 off, leaf;

		/* another XPU's memory: link or PCIe leaves (xpu_peer.c) */
		for (off = 0; off < obj->size; off += XPU_PAGE_SIZE) {
			ret = xpu_pt_leaf(ctx, va + off, true, &slot);
			if (ret)
				return ret;
			leaf = xpu_peer_bo_leaf(obj, off);
			xpu_pte_write(xdev, slot, leaf ? leaf | perm : 0);
		}
	} else if (flags & DRM_XPU_BO_HBM) {
		struct list_head *blocks = xpu_hbm_bo_blocks(obj);
		struct gpu_buddy_block *block;

		list_for_each_entry(block, blocks, link) {
			u64 start = gpu_buddy_block_offset(block);
			u64 size = gpu_buddy_block_size(&xdev->buddy, block);
			u64 off;

			for (off = 0; off < size; off += XPU_PAGE_SIZE) {
				ret = xpu_pt_leaf(ctx, va, true, &slot);
				if (ret)
					return ret;
				xpu_pte_write(xdev, slot, (start + off) | perm);
				va += XPU_PAGE_SIZE;
			}
		}
	} else {
		struct sg_table *sgt = xpu_bo_sgt(obj);
		struct sg_dma_page_iter iter;

		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		for_each_sgtable_dma_page(sgt, &iter, 0) {
			dma_addr_t dma = sg_page_iter_dma_address(&iter);
			unsigned int i;

			/* a kernel page may hold several device pages */
			for (i = 0; i < PAGE_SIZE / XPU_PAGE_SIZE; i++) {
				if (va >= vma->va.start + obj->size)
					break;
				ret = xpu_pt_leaf(ctx, va, true, &slot);
				if (ret)
					return ret;
				xpu_pte_write(xdev, slot, ((dma + i * XPU_PAGE_SIZE) &
						       XPU_PTE_ADDR_MASK) |
					  perm | XPU_PTE_HOST);
				va += XPU_PAGE_SIZE;
			}
		}
	}
	return 0;
}

/* Unmap vma and take it off the context; vm_lock held. The caller frees it. */
static void xpu_vma_unmap_locked(struct xpu_ctx *ctx, struct xpu_vma *vma)
{
	int idx;

	lockdep_assert_held(&ctx->vm_lock);
	xpu_dbg(ctx->xdev, MMU, "ctx %u: unmap VA 0x%llx\n", ctx->hw_ctx, vma->va.start);
	/* after removal only the bookkeeping is left to drop */
	if (drm_dev_enter(&ctx->xdev->drm, &idx)) {
		xpu_vma_clear(ctx, vma, vma->obj->size);
		xpu_mmu_invalidate(ctx->xdev, READ_ONCE(ctx->hw_ctx));
		drm_dev_exit(idx);
	}
	list_del(&vma->node);
	drm_mm_remove_node(&vma->va);
}

/**
 * xpu_vma_free_list() - drop unmapped mappings and their buffer references
 * @dead: &struct xpu_vma list, unmapped; no job of the context may use them
 *	any more (see xpu_vm_free_when_idle())
 *
 * Called outside &xpu_ctx.vm_lock: the last reference frees the memory.
 */
void xpu_vma_free_list(struct list_head *dead)
{
	struct xpu_vma *vma, *tmp;

	list_for_each_entry_safe(vma, tmp, dead, node) {
		drm_gem_object_put(vma->obj);
		kfree(vma);
	}
}

/*
 * Unmap the buffers whose handle was closed while a job used them, now that
 * they are idle; vm_lock held. They go to @dead.
 */
static void xpu_vm_reap_locked(struct xpu_ctx *ctx, struct list_head *dead)
{
	struct xpu_vma *vma, *tmp;

	lockdep_assert_held(&ctx->vm_lock);
	list_for_each_entry_safe(vma, tmp, &ctx->vmas, node) {
		if (!vma->closed ||
		    !dma_resv_test_signaled(vma->obj->resv, DMA_RESV_USAGE_BOOKKEEP))
			continue;
		xpu_vma_unmap_locked(ctx, vma);
		list_add_tail(&vma->node, dead);
	}
}

/**
 * xpu_vm_map() - map a buffer in a context's address space (idempotent)
 * @ctx: context
 * @obj: buffer
 * @va: out, its device VA
 *
 * Return: 0, -ENOSPC when the VA range is full, -ENOMEM without HBM for
 * page tables.
 */
int xpu_vm_map(struct xpu_ctx *ctx, struct drm_gem_object *obj, u64 *va)
{
	struct xpu_vma *vma;
	LIST_HEAD(dead);
	int ret, idx;

	if (!drm_dev_enter(&ctx->xdev->drm, &idx))
		return -ENODEV;
	mutex_lock(&ctx->vm_lock);
	xpu_vm_reap_locked(ctx, &dead);
	vma = xpu_vma_find(ctx, obj);
	if (vma) {
		vma->closed = false;	/* a handle again */
		*va = vma->va.start;
		ret = 0;
		goto out_unlock;
	}
	vma = kzalloc(sizeof(*vma), GFP_KERNEL);
	if (!vma) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	drm_gem_object_get(obj);
	vma->obj = obj;
	/* + a guard page */
	ret = drm_mm_insert_node_in_range(&ctx->va_mm, &vma->va,
					  obj->size + XPU_PAGE_SIZE,
					  XPU_PAGE_SIZE, 0, XPU_VA_START,
					  XPU_VA_END, DRM_MM_INSERT_BEST);
	if (ret) {
		drm_gem_object_put(vma->obj);
		kfree(vma);
		ret = -ENOSPC;
		goto out_unlock;
	}
	ret = xpu_vma_fill(ctx, vma, obj);
	if (ret) {
		xpu_vma_clear(ctx, vma, obj->size);
		xpu_mmu_invalidate(ctx->xdev, READ_ONCE(ctx->hw_ctx));
		drm_mm_remove_node(&vma->va);
		drm_gem_object_put(vma->obj);
		kfree(vma);
		goto out_unlock;
	}
	wmb();	/* entries visible before the VA is handed out */
	list_add_tail(&vma->node, &ctx->vmas);
	*va = vma->va.start;
	xpu_dbg(ctx->xdev, MMU, "ctx %u: map %zu bytes at VA 0x%llx%s\n", ctx->hw_ctx,
		obj->size, vma->va.start,
		xpu_bo_flags(obj) & DRM_XPU_BO_DEVICE_RO ? " read-only" : "");
out_unlock:
	mutex_unlock(&ctx->vm_lock);
	drm_dev_exit(idx);
	xpu_vm_free_when_idle(ctx, &dead);
	return ret;
}

/**
 * xpu_vm_unmap() - unmap a buffer from a context's address space now
 * @ctx: context
 * @obj: buffer no job uses; nothing happens if it is not mapped
 */
void xpu_vm_unmap(struct xpu_ctx *ctx, struct drm_gem_object *obj)
{
	struct xpu_vma *vma;
	LIST_HEAD(dead);

	mutex_lock(&ctx->vm_lock);
	vma = xpu_vma_find(ctx, obj);
	if (vma) {
		xpu_vma_unmap_locked(ctx, vma);
		list_add_tail(&vma->node, &dead);
	}
	mutex_unlock(&ctx->vm_lock);
	xpu_vm_free_when_idle(ctx, &dead);
}

/**
 * xpu_vm_close() - the file closed its handle of a buffer: unmap it, never
 * waiting for the jobs that use it
 * @ctx: context
 * @obj: buffer; nothing happens if it is not mapped
 *
 * An idle buffer is unmapped at once. A buffer a job still uses (a fence in
 * its reservation object) stays mapped, and referenced by its mapping, until
 * it is idle: a later map or close in the context unmaps it then, the
 * context's teardown at the latest (which comes after its last job). So a
 * running job never loses its memory, and neither GEM_CLOSE nor the release
 * of the file waits for a job, however long it runs.
 */
void xpu_vm_close(struct xpu_ctx *ctx, struct drm_gem_object *obj)
{
	struct xpu_vma *vma;
	LIST_HEAD(dead);

	mutex_lock(&ctx->vm_lock);
	vma = xpu_vma_find(ctx, obj);
	if (vma) {
		vma->closed = true;
		xpu_dbg(ctx->xdev, MMU, "ctx %u: handle of VA 0x%llx closed%s\n",
			ctx->hw_ctx, vma->va.start,
			dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_BOOKKEEP) ?
			"" : ", busy: unmapped when idle");
	}
	xpu_vm_reap_locked(ctx, &dead);
	mutex_unlock(&ctx->vm_lock);
	xpu_vm_free_when_idle(ctx, &dead);
}

/**
 * xpu_vm_refill() - write a buffer's leaf entries again in every context
 * @xdev: device the buffer belongs to
 * @obj: buffer whose entries changed (a peer buffer whose exporter went
 *	away, xpu_peer_revoke())
 *
 * Takes &xpu_device.ctx_list_lock and each context's &xpu_ctx.vm_lock; the
 * TLB of each context that maps @obj is invalidated.
 */
void xpu_vm_refill(struct xpu_device *xdev, struct drm_gem_object *obj)
{
	struct xpu_ctx *ctx;
	struct xpu_vma *vma;
	int idx;

	if (!drm_dev_enter(&xdev->drm, &idx))
		return;
	mutex_lock(&xdev->ctx_list_lock);
	list_for_each_entry(ctx, &xdev->ctx_list, node) {
		mutex_lock(&ctx->vm_lock);
		vma = xpu_vma_find(ctx, obj);
		if (vma && !xpu_vma_fill(ctx, vma, obj))
			xpu_dbg(xdev, MMU, "ctx %u: entries of VA 0x%llx rewritten\n",
				ctx->hw_ctx, vma->va.start);
		if (vma) {
			wmb();	/* entries land before the invalidation */
			xpu_mmu_invalidate(xdev, READ_ONCE(ctx->hw_ctx));
		}
		mutex_unlock(&ctx->vm_lock);
	}
	mutex_unlock(&xdev->ctx_list_lock);
	drm_dev_exit(idx);
}

/**
 * xpu_vm_init() - a new context's address space: an empty root table
 * @ctx: new context, not bound to a hardware context yet
 *
 * Return: 0, -ENOMEM without HBM, -ENODEV after removal.
 */
int xpu_vm_init(struct xpu_ctx *ctx)
{
	struct xpu_device *xdev = ctx->xdev;
	int ret, idx;

	mutex_init(&ctx->vm_lock);
	INIT_LIST_HEAD(&ctx->vmas);
	INIT_LIST_HEAD(&ctx->pt_blocks);
	drm_mm_init(&ctx->va_mm, XPU_VA_START, XPU_VA_END - XPU_VA_START);
	if (!drm_dev_enter(&xdev->drm, &idx)) {
		drm_mm_takedown(&ctx->va_mm);
		return -ENODEV;
	}
	mutex_lock(&ctx->vm_lock);
	ret = xpu_pt_alloc(ctx, &ctx->pt_root);
	mutex_unlock(&ctx->vm_lock);
	if (ret) {
		drm_mm_takedown(&ctx->va_mm);
		drm_dev_exit(idx);
		return ret;
	}
	/* the root register is written when the context is bound (xpu_ctx.c) */
	drm_dev_exit(idx);
	return 0;
}

/**
 * xpu_vm_fini() - tear a context's address space down
 * @ctx: context no job of which can run any more, unbound from its hardware
 *	context (xpu_ctx_unbind())
 */
void xpu_vm_fini(struct xpu_ctx *ctx)
{
	struct xpu_device *xdev = ctx->xdev;
	struct xpu_vma *vma, *tmp;

	/* no job is left: what waited for the context to be idle goes now */
	xpu_ctx_release_deferred(ctx);
	list_for_each_entry_safe(vma, tmp, &ctx->vmas, node) {
		list_del(&vma->node);
		drm_mm_remove_node(&vma->va);
		drm_gem_object_put(vma->obj);
		kfree(vma);
	}
	drm_mm_takedown(&ctx->va_mm);
	xpu_hbm_free(xdev, &ctx->pt_blocks);
}
