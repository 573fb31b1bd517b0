// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: hardware contexts, virtualised.
 *
 * The device has NUM_CTX - 1 usable MMU contexts (page-table root slots);
 * any number of files may be open. Each file (&struct xpu_ctx) has its own
 * page tables from open to release and is *bound* to a hardware context id
 * only while it needs one:
 *
 * - A job binds its context in the scheduler's prepare_job callback, just
 *   before run_job: the context keeps its id if it has one, else takes a
 *   free id (lowest first), else evicts the least recently bound context
 *   that has no job bound (&xpu_ctx.slot_pins == 0). (A job that SUBMIT
 *   runs directly binds there, xpu_ctx_try_bind_job(): it keeps or takes a
 *   free id, never evicts, else goes to the scheduler.) The job holds a pin
 *   on the binding until it leaves the hardware (xpu_ctx_unbind_job(), from
 *   the completion path), so a context with a job queued on or running on
 *   the hardware is never evicted and its root register never changes under
 *   a job (hardware.md 12.1).
 * - When every id is pinned, prepare_job returns the slot-wait fence; the
 *   scheduler waits for it and calls prepare_job again. It is signalled when
 *   a context becomes unpinned or a file closes. Jobs wait; SUBMIT and open
 *   never fail for want of a hardware context. Other files' jobs on the
 *   same queue are not held up (the scheduler picks another entity).
 * - An id that passes to another context (by eviction, or after a close)
 *   gets the SRAM scrub: the new owner's first job on each queue carries
 *   XPU_JOB_F_CLEAR_SRAM, so no file reads what the previous owner left in
 *   a tile's scratchpad or accumulator.
 * - A file is bound at open when an id is free (no eviction), and unbound
 *   at its release, which frees the id.
 *
 * Memory lifetime: MMU invalidation has no completion handshake, and a job
 * may touch any VA of its context, so memory unmapped from a context is
 * only released when the context is idle: no job pinned (every job bound
 * since has left the hardware: its fence word was written, or its queue
 * was reset and reported idle). Unmapped buffers wait on &xpu_ctx.deferred;
 * the last unpin queues &xpu_ctx.deferred_work, which releases them.
 */

#include <linux/dma-fence.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

static const char *xpu_slot_fence_driver_name(struct dma_fence *f)
{
	return DRIVER_NAME;
}

static const char *xpu_slot_fence_timeline_name(struct dma_fence *f)
{
	return "xpu-hw-context";
}

static const struct dma_fence_ops xpu_slot_fence_ops = {
	.get_driver_name = xpu_slot_fence_driver_name,
	.get_timeline_name = xpu_slot_fence_timeline_name,
};

/**
 * xpu_slots_init() - the hardware context table of a device
 * @xdev: device with @num_ctx known
 *
 * Return: 0 or -ENOMEM.
 */
int xpu_slots_init(struct xpu_device *xdev)
{
	spin_lock_init(&xdev->slot_lock);
	INIT_LIST_HEAD(&xdev->slot_lru);
	atomic64_set(&xdev->ctx_serial, 0);
	xdev->slot_owner = drmm_kcalloc(&xdev->drm, xdev->num_ctx,
					sizeof(*xdev->slot_owner), GFP_KERNEL);
	xdev->slot_last = drmm_kcalloc(&xdev->drm, xdev->num_ctx,
				       sizeof(*xdev->slot_last), GFP_KERNEL);
	if (!xdev->slot_owner || !xdev->slot_last)
		return -ENOMEM;
	xdev->slot_fence_ctx = dma_fence_context_alloc(1);
	return 0;
}

static void xpu_ctx_deferred_work(struct work_struct *work)
{
	struct xpu_ctx *ctx = container_of(work, struct xpu_ctx, deferred_work);
	unsigned long flags;

	spin_lock_irqsave(&ctx->xdev->slot_lock, flags);
	ctx->deferred_queued = false;
	spin_unlock_irqrestore(&ctx->xdev->slot_lock, flags);
	xpu_ctx_release_deferred(ctx);
	xpu_ctx_put(ctx);
}

/**
 * xpu_ctx_slot_init() - binding state of a new context (unbound)
 * @ctx: new context
 */
void xpu_ctx_slot_init(struct xpu_ctx *ctx)
{
	ctx->serial = atomic64_inc_return(&ctx->xdev->ctx_serial);
	ctx->hw_ctx = 0;
	INIT_LIST_HEAD(&ctx->slot_node);
	INIT_LIST_HEAD(&ctx->deferred);
	INIT_WORK(&ctx->deferred_work, xpu_ctx_deferred_work);
}

/* Wake whoever waits for a hardware context; slot_lock held. */
static void xpu_slot_wake_locked(struct xpu_device *xdev)
{
	lockdep_assert_held(&xdev->slot_lock);
	if (!xdev->slot_wait)
		return;
	dma_fence_signal_locked(xdev->slot_wait);
	dma_fence_put(xdev->slot_wait);
	xdev->slot_wait = NULL;
}

static void xpu_slot_write_root(struct xpu_device *xdev, u32 id, u64 root)
{
	xpu_write(xdev, XPU_REG_CTX_ROOT(id), lower_32_bits(root));
	xpu_write(xdev, XPU_REG_CTX_ROOT(id) + 4, upper_32_bits(root));
}

/*
 * Give ctx a hardware context id, evicting an idle context if none is free
 * (only with @evict). slot_lock held, inside drm_dev_enter(). Returns 0 or
 * -EBUSY when every id is pinned.
 */
static int xpu_ctx_bind_locked(struct xpu_ctx *ctx, bool evict)
{
	struct xpu_device *xdev = ctx->xdev;
	struct xpu_ctx *old;
	u32 id, q;

	lockdep_assert_held(&xdev->slot_lock);
	if (ctx->hw_ctx) {
		list_move_tail(&ctx->slot_node, &xdev->slot_lru);
		return 0;
	}
	for (id = 1; id < xdev->num_ctx; id++)
		if (!xdev->slot_owner[id])
			break;
	if (id == xdev->num_ctx) {
		bool found = false;

		if (!evict)
			return -EBUSY;
		list_for_each_entry(old, &xdev->slot_lru, slot_node)
			if (!old->slot_pins) {
				found = true;
				break;
			}
		if (!found)
			return -EBUSY;
		/* no job of old is queued or running: its root may change */
		id = old->hw_ctx;
		list_del_init(&old->slot_node);
		WRITE_ONCE(old->hw_ctx, 0);
		xpu_dbg(xdev, MMU, "hw ctx %u: evicted (pid %d), now pid %d\n", id,
			old->pid, ctx->pid);
	}
	xdev->slot_owner[id] = ctx;
	WRITE_ONCE(ctx->hw_ctx, id);
	list_add_tail(&ctx->slot_node, &xdev->slot_lru);
	if (xdev->slot_last[id] != ctx->serial) {
		/* the id was another file's: no SRAM contents pass on */
		for (q = 0; q < xdev->num_queues; q++)
			set_bit(q, &ctx->scrub_queues);
		xdev->slot_last[id] = ctx->serial;
	}
	wmb();	/* page-table writes through the WC mapping land first */
	xpu_slot_write_root(xdev, id, ctx->pt_root);
	xpu_mmu_invalidate(xdev, id);
	return 0;
}

/**
 * xpu_ctx_bind_idle() - bind a new context if a hardware context id is free
 * @ctx: context with its root table; not bound
 *
 * Never evicts: an open file takes an id only when one is unused (its first
 * job binds it otherwise).
 */
void xpu_ctx_bind_idle(struct xpu_ctx *ctx)
{
	struct xpu_device *xdev = ctx->xdev;
	unsigned long flags;
	int idx;

	if (!drm_dev_enter(&xdev->drm, &idx))
		return;
	spin_lock_irqsave(&xdev->slot_lock, flags);
	xpu_ctx_bind_locked(ctx, false);
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
	drm_dev_exit(idx);
}

/**
 * xpu_ctx_bind_job() - bind a job's context to a hardware context id
 * @job: job about to run (the scheduler's prepare_job)
 *
 * Return: NULL when the job may run (it holds a pin on the binding, or it
 * is to be cancelled by run_job, which then has no binding to use), or a
 * fence to wait for before trying again: every id is pinned by jobs on the
 * hardware.
 */
struct dma_fence *xpu_ctx_bind_job(struct xpu_job *job)
{
	struct xpu_ctx *ctx = job->ctx;
	struct xpu_device *xdev = ctx->xdev;
	struct dma_fence *wait = NULL, *nf = NULL;
	unsigned long flags;
	int idx, ret;

	if (job->bound || !drm_dev_enter(&xdev->drm, &idx))
		return NULL;
	/* a job that will be cancelled needs no id */
	if (job->base.s_fence->finished.error || READ_ONCE(ctx->closing) ||
	    (atomic_read(&ctx->state) & DRM_XPU_CTX_BANNED))
		goto out;
	for (;;) {
		spin_lock_irqsave(&xdev->slot_lock, flags);
		ret = xpu_ctx_bind_locked(ctx, true);
		if (!ret) {
			ctx->slot_pins++;
			job->bound = true;
			job->hw_ctx = ctx->hw_ctx;
			spin_unlock_irqrestore(&xdev->slot_lock, flags);
			break;
		}
		/*
		 * Under slot_lock: a release sets closing, then wakes the
		 * waiters under slot_lock; a fence made after that wake would
		 * hold the close up until another context unpins.
		 */
		if (READ_ONCE(ctx->closing)) {
			spin_unlock_irqrestore(&xdev->slot_lock, flags);
			break;	/* run_job cancels the job */
		}
		if (!xdev->slot_wait && nf) {
			dma_fence_init(nf, &xpu_slot_fence_ops, &xdev->slot_lock,
				       xdev->slot_fence_ctx, ++xdev->slot_seqno);
			xdev->slot_wait = nf;
			nf = NULL;
		}
		if (xdev->slot_wait) {
			wait = dma_fence_get(xdev->slot_wait);
			spin_unlock_irqrestore(&xdev->slot_lock, flags);
			xpu_dbg(xdev, JOB, "pid %d queue %u job %llu: waits for a hardware context\n",
				ctx->pid, job->queue, job->job_id);
			break;
		}
		spin_unlock_irqrestore(&xdev->slot_lock, flags);
		nf = kzalloc(sizeof(*nf), GFP_KERNEL);
		if (!nf)
			break;	/* run_job fails the job: -ENOMEM */
	}
	kfree(nf);	/* allocated, not initialised: not a fence yet */
out:
	drm_dev_exit(idx);
	return wait;
}

/**
 * xpu_ctx_try_bind_job() - bind a job's context now, without evicting
 * @job: job that SUBMIT is about to put on its queue itself
 *
 * As xpu_ctx_bind_job() when the context has its hardware context id or a
 * free one exists; no eviction and no wait (the scheduler's path does those).
 * The caller is inside drm_dev_enter() (binding writes the context root).
 *
 * Return: true if the job holds a pin of its context's hardware context id.
 */
bool xpu_ctx_try_bind_job(struct xpu_job *job)
{
	struct xpu_ctx *ctx = job->ctx;
	struct xpu_device *xdev = ctx->xdev;
	unsigned long flags;

	spin_lock_irqsave(&xdev->slot_lock, flags);
	if (!job->bound && !READ_ONCE(ctx->closing) &&
	    !(atomic_read(&ctx->state) & DRM_XPU_CTX_BANNED) &&
	    !xpu_ctx_bind_locked(ctx, false)) {
		ctx->slot_pins++;
		job->bound = true;
		job->hw_ctx = ctx->hw_ctx;
	}
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
	return job->bound;
}

/**
 * xpu_ctx_unbind_job() - a job no longer uses the hardware
 * @job: job that completed on the hardware (fence word written), or whose
 *	queue was reset and reported idle, or that never reached it
 *
 * Drops the job's pin. The last pin of a context makes it evictable, wakes
 * the jobs waiting for an id and releases the context's deferred frees.
 * Any context, also under &xpu_queue.lock with interrupts off. Idempotent.
 */
void xpu_ctx_unbind_job(struct xpu_job *job)
{
	struct xpu_ctx *ctx = job->ctx;
	struct xpu_device *xdev = ctx->xdev;
	unsigned long flags;

	spin_lock_irqsave(&xdev->slot_lock, flags);
	if (job->bound) {
		job->bound = false;
		if (!drm_WARN_ON(&xdev->drm, !ctx->slot_pins) && !--ctx->slot_pins) {
			xpu_slot_wake_locked(xdev);
			if (!list_empty(&ctx->deferred) && !ctx->deferred_queued) {
				ctx->deferred_queued = true;
				/* the job's reference keeps ctx alive here */
				xpu_ctx_get(ctx);
				queue_work(xpu_wq, &ctx->deferred_work);
			}
		}
	}
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
}

/**
 * xpu_vm_free_when_idle() - release unmapped buffers once the device cannot
 * use them
 * @ctx: context they were unmapped from (their entries cleared, the TLB
 *	invalidated)
 * @vmas: &struct xpu_vma list; empty afterwards
 *
 * Released now if no job of the context is bound, else when the last one
 * leaves the hardware (xpu_ctx_unbind_job()), or at the context's release.
 */
void xpu_vm_free_when_idle(struct xpu_ctx *ctx, struct list_head *vmas)
{
	struct xpu_device *xdev = ctx->xdev;
	unsigned long flags;
	bool busy;

	if (list_empty(vmas))
		return;
	spin_lock_irqsave(&xdev->slot_lock, flags);
	busy = ctx->slot_pins;
	if (busy)
		list_splice_tail_init(vmas, &ctx->deferred);
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
	if (busy)
		xpu_dbg(xdev, MMU, "ctx %u: unmapped memory freed when its jobs are done\n",
			READ_ONCE(ctx->hw_ctx));
	else
		xpu_vma_free_list(vmas);
}

/**
 * xpu_ctx_release_deferred() - release a context's deferred frees if it is
 * idle
 * @ctx: context
 *
 * Called by the work the last unpin queues; also safe to call from a
 * recovery path once the context's jobs are off the hardware. Sleeps.
 */
void xpu_ctx_release_deferred(struct xpu_ctx *ctx)
{
	struct xpu_device *xdev = ctx->xdev;
	unsigned long flags;
	LIST_HEAD(dead);

	might_sleep();
	spin_lock_irqsave(&xdev->slot_lock, flags);
	if (!ctx->slot_pins)
		list_splice_init(&ctx->deferred, &dead);
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
	xpu_vma_free_list(&dead);
}

/**
 * xpu_ctx_unbind() - give a released context's hardware context id back
 * @ctx: context without jobs (its last reference is being dropped)
 *
 * The root register is cleared, so the id runs nothing until its next
 * owner binds it; the jobs waiting for an id are woken.
 */
void xpu_ctx_unbind(struct xpu_ctx *ctx)
{
	struct xpu_device *xdev = ctx->xdev;
	unsigned long flags;
	int idx;
	bool dev = drm_dev_enter(&xdev->drm, &idx);

	spin_lock_irqsave(&xdev->slot_lock, flags);
	drm_WARN_ON(&xdev->drm, ctx->slot_pins);
	if (ctx->hw_ctx) {
		xdev->slot_owner[ctx->hw_ctx] = NULL;
		list_del_init(&ctx->slot_node);
		if (dev) {
			xpu_slot_write_root(xdev, ctx->hw_ctx, 0);
			xpu_mmu_invalidate(xdev, ctx->hw_ctx);
		}
		WRITE_ONCE(ctx->hw_ctx, 0);
	}
	xpu_slot_wake_locked(xdev);
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
	if (dev)
		drm_dev_exit(idx);
}

/**
 * xpu_slots_wake() - make the jobs waiting for a hardware context look again
 * @xdev: device
 *
 * Called when a file starts closing: its waiting jobs are then cancelled
 * instead of waiting for an id they would not use.
 */
void xpu_slots_wake(struct xpu_device *xdev)
{
	unsigned long flags;

	spin_lock_irqsave(&xdev->slot_lock, flags);
	xpu_slot_wake_locked(xdev);
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
}

/**
 * xpu_slots_restore() - write every bound context's root again
 * @xdev: device just reset (all roots read 0)
 *
 * Called by the device reset, before the queues run again.
 */
void xpu_slots_restore(struct xpu_device *xdev)
{
	unsigned long flags;
	u32 id;

	spin_lock_irqsave(&xdev->slot_lock, flags);
	for (id = 1; id < xdev->num_ctx; id++)
		if (xdev->slot_owner[id])
			xpu_slot_write_root(xdev, id, xdev->slot_owner[id]->pt_root);
	xpu_mmu_invalidate(xdev, XPU_MMU_INV_ALL);
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
}

/**
 * xpu_slots_reserve() - bind a kernel context to the last hardware context
 * id for good
 * @xdev: device, probing: no file is open yet
 * @ctx: the kernel context (its root table made by xpu_vm_init())
 *
 * The id is never handed to a file: the bind loop skips an owned id and
 * only contexts on &xpu_device.slot_lru are evicted, which @ctx never is.
 * A device reset restores its root with the others (xpu_slots_restore()).
 *
 * Return: 0, or -EBUSY when the device has fewer than three contexts (one
 * must stay for the files) or the last id is taken.
 */
int xpu_slots_reserve(struct xpu_device *xdev, struct xpu_ctx *ctx)
{
	u32 id = xdev->num_ctx - 1;
	unsigned long flags;
	int ret = 0;

	if (xdev->num_ctx < 3)
		return -EBUSY;
	spin_lock_irqsave(&xdev->slot_lock, flags);
	if (xdev->slot_owner[id]) {
		ret = -EBUSY;
	} else {
		xdev->slot_owner[id] = ctx;
		xdev->slot_last[id] = ctx->serial;
		WRITE_ONCE(ctx->hw_ctx, id);
		wmb();	/* page-table writes through the WC mapping land first */
		xpu_slot_write_root(xdev, id, ctx->pt_root);
		xpu_mmu_invalidate(xdev, id);
	}
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
	return ret;
}

/**
 * xpu_slots_unreserve() - give the id of xpu_slots_reserve() back
 * @xdev: device at its DRM release (xpu_link_fini())
 * @ctx: the kernel context, without mappings
 *
 * Bookkeeping only, no register write: at the release the device is either
 * unplugged or its probe failed, and then the BARs are already unmapped
 * (their devres actions run before the DRM device's last put), though
 * drm_dev_enter() would succeed on the never registered device. The next
 * probe resets the device.
 */
void xpu_slots_unreserve(struct xpu_device *xdev, struct xpu_ctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&xdev->slot_lock, flags);
	if (ctx->hw_ctx && xdev->slot_owner[ctx->hw_ctx] == ctx) {
		xdev->slot_owner[ctx->hw_ctx] = NULL;
		WRITE_ONCE(ctx->hw_ctx, 0);
	}
	spin_unlock_irqrestore(&xdev->slot_lock, flags);
}
