// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: job submission, completion and recovery.
 *
 * One drm_sched scheduler per hardware queue and one entity per open file
 * and queue. run_job() writes a descriptor into the queue's ring (coherent
 * host memory) and rings the doorbell; the device writes the job's
 * completion record and the queue's fence word, then raises the queue's
 * MSI-X vector, whose handler signals the hardware fences in order.
 *
 * Direct submission: when a job's queue is idle, it waits for no fence and
 * its context has no job queued in the scheduler, SUBMIT writes its
 * descriptor and rings the doorbell itself (xpu_job_run_direct()), as
 * ivpu submits every job: the job never becomes a scheduler job, its
 * hardware fence is the fence userspace sees, and it is freed a tick after
 * it completes (xpu_reap_work()). This takes the run_job and free_job work
 * items, and the CPU switches to them, off an idle queue's round trip.
 * At most one direct job is on a ring (the queue was idle), so the
 * schedulers' credit limit keeps a slot for it.
 *
 * Hang detection is progress-aware: every hang_check_ms while a queue holds
 * jobs, the driver's own check (xpu_hang_check(); the schedulers have no
 * timeout) compares the queue's progress counter (work done by the running
 * job) with the previous check. A job that keeps retiring
 * instructions is left alone however long it runs; one that stopped is
 * aborted with the queue's STOP control, its fence gets -ETIMEDOUT, the cause
 * is captured with devcoredump and announced with a uevent, and the queue is
 * re-enabled, so the innocent jobs behind it run unchanged. A context that
 * hangs xpu_ban_after times is banned: its queued jobs are cancelled and
 * further submits fail with -ECANCELED. An MMU fault kills the faulting job
 * and bans its context. A device reset (xpu_device_reset()) completes the
 * job running on each queue with an error and runs the ones behind it: no
 * job runs twice, and the scheduler only ever sees hardware fences signal.
 */

#include <linux/math64.h>
#include <linux/delay.h>
#include <linux/devcoredump.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/vmalloc.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/drm_utils.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

/* A uint module parameter in 1 .. 3600000 (ms): 0 would disable hang checks. */
static int xpu_param_set_ms(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (!v || v > 3600000) {
		pr_err("xpu: %s=%u: must be 1 .. 3600000 ms\n", kp->name, v);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops xpu_param_ms_ops = {
	.set = xpu_param_set_ms,
	.get = param_get_uint,
};

static unsigned int xpu_hang_check_ms = 500;
module_param_cb(hang_check_ms, &xpu_param_ms_ops, &xpu_hang_check_ms, 0444);
MODULE_PARM_DESC(hang_check_ms, "Interval of the progress check of running jobs (ms, 1 .. 3600000)");

/*
 * A job's run-time cap: however well it progresses, a job cannot hold its
 * queue (and the jobs of every other process behind it) for longer. 60 s,
 * the compute job timeout of amdgpu; an administrator may raise it, or
 * write 0 for no limit.
 */
static unsigned int xpu_max_job_ms = 60000;
module_param_named(max_job_ms, xpu_max_job_ms, uint, 0644);
MODULE_PARM_DESC(max_job_ms, "Kill a job running longer than this even if it progresses (ms, 0 = no limit; default 60000)");

/*
 * WAIT_JOB polls for this long before it sleeps: while it polls, it
 * processes the queue's completions itself as soon as the device has
 * written the fence word (as blk-mq's polled I/O), so a short job's waiter
 * needs neither the interrupt nor a wake-up (under TCG, a wake-up across
 * vCPUs costs far more than the job). 0 disables polling.
 */
static unsigned int xpu_wait_poll_us = 100;
module_param_named(wait_poll_us, xpu_wait_poll_us, uint, 0644);
MODULE_PARM_DESC(wait_poll_us, "WAIT_JOB polls the job's completion this long before sleeping (us, 0 = never, max 10000; default 100)");

/*
 * SUBMIT puts a job on its queue itself, without the scheduler's run_job
 * work item, when nothing can come before it: the queue is idle, the job
 * waits for no fence and the context has no job queued in the scheduler
 * (xpu_job_run_direct()). 0 sends every job through the scheduler.
 */
static bool xpu_direct_submit = true;
module_param_named(direct_submit, xpu_direct_submit, bool, 0644);
MODULE_PARM_DESC(direct_submit, "SUBMIT runs a job on an idle queue itself when it waits for nothing (default 1)");

static unsigned int xpu_ban_after = 2;
module_param_named(ban_after, xpu_ban_after, uint, 0644);
MODULE_PARM_DESC(ban_after, "Ban a context after this many hung jobs");

struct xpu_fence {
	struct dma_fence base;
	struct xpu_queue *q;
};

static const char *xpu_fence_driver_name(struct dma_fence *f)
{
	return DRIVER_NAME;
}

/*
 * A signalled fence may outlive its queue (a direct job's fence sits in
 * syncobjs and reservations; the device's queues are freed with it, after
 * every fence of theirs has signalled): its name then names no queue.
 */
static const char *xpu_fence_timeline_name(struct dma_fence *f)
{
	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &f->flags))
		return "signaled";
	return container_of(f, struct xpu_fence, base)->q->sched.name;
}

/* hardware fences not yet released, all devices (debugfs "queues") */
static atomic_long_t xpu_fences_live = ATOMIC_LONG_INIT(0);

static void xpu_fence_release(struct dma_fence *f)
{
	atomic_long_dec(&xpu_fences_live);
	dma_fence_free(f);
}

/**
 * xpu_fences_live_count() - hardware fences allocated and not yet released
 *
 * Return: the count over every device (a leak test's figure).
 */
long xpu_fences_live_count(void)
{
	return atomic_long_read(&xpu_fences_live);
}

static const struct dma_fence_ops xpu_fence_ops = {
	.get_driver_name = xpu_fence_driver_name,
	.get_timeline_name = xpu_fence_timeline_name,
	.release = xpu_fence_release,
};

static struct xpu_job *to_xpu_job(struct drm_sched_job *job)
{
	return container_of(job, struct xpu_job, base);
}

/**
 * xpu_log_fault() - add a line to the fault log (debugfs "faults")
 * @xdev: device
 * @fmt: printf format
 * @...: its arguments
 *
 * Any context, including interrupts: takes &xpu_device.fault_lock.
 */
void xpu_log_fault(struct xpu_device *xdev, const char *fmt, ...)
{
	unsigned long flags;
	va_list ap;

	spin_lock_irqsave(&xdev->fault_lock, flags);
	va_start(ap, fmt);
	vsnprintf(xdev->fault_log[xdev->fault_next % ARRAY_SIZE(xdev->fault_log)],
		  sizeof(xdev->fault_log[0]), fmt, ap);
	va_end(ap);
	xdev->fault_next++;
	spin_unlock_irqrestore(&xdev->fault_lock, flags);
}

/* ---- results ------------------------------------------------------------- */

static void xpu_result_release(struct kref *ref)
{
	struct xpu_result *res = container_of(ref, struct xpu_result, ref);

	dma_fence_put(res->done);
	kfree(res);
}

/**
 * xpu_result_put() - drop a result reference
 * @res: result, or NULL
 */
void xpu_result_put(struct xpu_result *res)
{
	if (res)
		kref_put(&res->ref, xpu_result_release);
}

/* ---- hardware queue ------------------------------------------------------- */

#define XPU_QUEUE_MEM (XPU_RING_SIZE * (sizeof(struct xpu_job_desc) + \
		       sizeof(struct xpu_slot_record)) + 64)

static u64 xpu_queue_dpa(struct xpu_queue *q, const void *p)
{
	return (q->dma + ((const char *)p - (const char *)q->ring)) | XPU_DPA_HOST;
}

/*
 * Reset a queue and wait until the job it aborted has left the tile. Sleeps
 * (up to 500 ms if the device does not answer); called without q->lock, so
 * interrupts stay on while the device finishes. Returns 0, or -ETIMEDOUT
 * if the queue is still busy: it then ignores its ring registers.
 */
static int xpu_queue_hw_reset(struct xpu_queue *q)
{
	struct xpu_device *xdev = q->xdev;
	u32 status;

	might_sleep();
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_CONTROL), XPU_QCTL_RESET);
	if (readl_poll_timeout(xdev->regs + XPU_REG_Q(q->idx, XPU_Q_STATUS), status,
			       !(status & XPU_QSTS_BUSY), 100, 500000)) {
		dev_err(&xdev->pdev->dev, "queue %u: still busy after reset\n", q->idx);
		return -ETIMEDOUT;
	}
	return 0;
}

static void xpu_device_reset_locked(struct xpu_device *xdev, const char *why);

/*
 * Program a reset, idle queue with an empty ring whose fence word reads
 * @done (the last sequence number the queue completed); q->lock held.
 */
static void xpu_queue_hw_program_locked(struct xpu_queue *q, u64 done)
{
	struct xpu_device *xdev = q->xdev;
	u64 ring = xpu_queue_dpa(q, q->ring);
	u64 fence = xpu_queue_dpa(q, q->fence_word);

	lockdep_assert_held(&q->lock);
	q->tail = 0;
	WRITE_ONCE(*q->fence_word, cpu_to_le64(done));
	WRITE_ONCE(q->fence_seen, done);
	q->hang_seqno = 0;
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_RING_LO), lower_32_bits(ring));
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_RING_HI), upper_32_bits(ring));
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_RING_SIZE), XPU_RING_SIZE);
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_FENCE_LO), lower_32_bits(fence));
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_FENCE_HI), upper_32_bits(fence));
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_CONTROL), XPU_QCTL_ENABLE);
}

/* (Re)program an empty queue: reset, wait for idle, program. Sleeps. */
static void xpu_queue_hw_setup(struct xpu_queue *q)
{
	unsigned long flags;

	xpu_queue_hw_reset(q);
	spin_lock_irqsave(&q->lock, flags);
	drm_WARN_ON(&q->xdev->drm, !list_empty(&q->inflight));
	xpu_queue_hw_program_locked(q, q->seqno);
	spin_unlock_irqrestore(&q->lock, flags);
}

/*
 * The device's job statuses (the one list, in xpu_hw.h) and their uAPI
 * statuses, by name: the build fails unless each pair has the same value,
 * below the driver's own codes (the array is that long).
 */
struct xpu_status_info {
	u32 uapi;
	const char *meaning;
};

#define XPU_STATUS_ENTRY(name, code, meaning)					\
	[XPU_JOB_STATUS_##name] = {						\
		DRM_XPU_JOB_##name + BUILD_BUG_ON_ZERO(DRM_XPU_JOB_##name != (code)), \
		meaning },

static const struct xpu_status_info xpu_job_statuses[XPU_JOB_STATUS_DRIVER_FIRST] = {
	XPU_JOB_STATUS_LIST(XPU_STATUS_ENTRY)
};

static_assert(DRM_XPU_JOB_HUNG >= XPU_JOB_STATUS_DRIVER_FIRST);
static_assert(DRM_XPU_JOB_CANCELED >= XPU_JOB_STATUS_DRIVER_FIRST);

/* The uAPI status of a completion record's status. */
static u32 xpu_status_to_uapi(struct xpu_queue *q, u32 hw)
{
	if (hw < ARRAY_SIZE(xpu_job_statuses) && xpu_job_statuses[hw].meaning)
		return xpu_job_statuses[hw].uapi;
	/* a newer device: pass its code on unchanged, it cannot be a driver code */
	dev_warn_ratelimited(q->xdev->drm.dev, "queue %u: unknown job status %u\n",
			     q->idx, hw);
	return hw < XPU_JOB_STATUS_DRIVER_FIRST ? hw : DRM_XPU_JOB_BAD_DESC;
}

/* What a uAPI status means, for the log. */
static const char *xpu_status_meaning(u32 status)
{
	if (status < ARRAY_SIZE(xpu_job_statuses) && xpu_job_statuses[status].meaning)
		return xpu_job_statuses[status].meaning;
	if (status == DRM_XPU_JOB_HUNG)
		return "hung";
	if (status == DRM_XPU_JOB_CANCELED)
		return "cancelled";
	return "unknown";
}

static int xpu_status_to_errno(u32 status)
{
	switch (status) {
	case DRM_XPU_JOB_OK:
		return 0;
	case DRM_XPU_JOB_MMU_FAULT:
		return -EFAULT;
	case DRM_XPU_JOB_HUNG:
		return -ETIMEDOUT;
	case DRM_XPU_JOB_CANCELED:
	case DRM_XPU_JOB_ABORTED:
		return -ECANCELED;
	case DRM_XPU_JOB_LINK_ERROR:
		return -ENOLINK;
	default:
		return -EIO;
	}
}

/* Complete @job with @status, ended at @end_ns; q->lock held. */
static void xpu_job_complete_at(struct xpu_queue *q, struct xpu_job *job,
				const struct xpu_slot_record *sr, u32 status, u64 end_ns)
{
	const struct xpu_job_record *rec = sr ? &sr->rec : NULL;
	struct xpu_result *res = job->result;
	struct xpu_ctx *ctx = job->ctx;
	bool direct = job->direct;
	int err;

	lockdep_assert_held(&q->lock);
	/* only a job on the hardware completes, once */
	if (drm_WARN_ON(&q->xdev->drm, list_empty(&job->node)))
		return;
	res->status = status;
	res->end_ns = end_ns;
	if (rec) {
		res->cycles = le64_to_cpu(rec->cycles);
		res->fault_va = le64_to_cpu(rec->fault_va);
		res->fault_access = le32_to_cpu(rec->fault_access);
		res->dma_busy = le64_to_cpu(sr->units.dma_busy);
		res->mxu_busy = le64_to_cpu(sr->units.mxu_busy);
		res->vpu_busy = le64_to_cpu(sr->units.vpu_busy);
		res->link_busy = le64_to_cpu(sr->units.link_busy);
	}
	xpu_fdinfo_job_done(q, job);
	if (status == DRM_XPU_JOB_MMU_FAULT) {
		atomic_or(DRM_XPU_CTX_FAULTED | DRM_XPU_CTX_BANNED, &ctx->state);
		atomic_inc(&ctx->resets);
		dev_err_ratelimited(&q->xdev->pdev->dev,
				    "pid %d ctx %u: MMU fault at VA 0x%llx (%s); context banned\n",
				    ctx->pid, ctx->hw_ctx, res->fault_va,
				    res->fault_access == XPU_ACCESS_WRITE ? "write" :
				    res->fault_access == XPU_ACCESS_EXEC ? "exec" : "read");
		xpu_log_fault(q->xdev, "pid %d ctx %u queue %u: MMU fault VA 0x%llx access %u",
			      ctx->pid, ctx->hw_ctx, q->idx, res->fault_va,
			      res->fault_access);
		xpu_dbg(q->xdev, MMU, "ctx %u queue %u seqno %llu job %llu: fault VA 0x%llx access %u\n",
			ctx->hw_ctx, q->idx, job->seqno, job->job_id, res->fault_va,
			res->fault_access);
	} else if (status == DRM_XPU_JOB_LINK_ERROR) {
		/*
		 * A link that went down, a peer that revoked its window or a
		 * corrupted transfer: not the context's doing, it is not banned.
		 */
		dev_info_ratelimited(&q->xdev->pdev->dev,
				     "pid %d ctx %u: link error (link down, window revoked or corrupted transfer)\n",
				     ctx->pid, ctx->hw_ctx);
		xpu_log_fault(q->xdev, "pid %d ctx %u queue %u: link error",
			      ctx->pid, ctx->hw_ctx, q->idx);
	}
	xpu_dbg(q->xdev, JOB, "ctx %u queue %u seqno %llu job %llu: done, status %u (%s), %llu cycles\n",
		ctx->hw_ctx, q->idx, job->seqno, job->job_id, status,
		xpu_status_meaning(status), res->cycles);
	/* ended before the tile ran it, perhaps: the next job clears SRAM */
	if (job->scrub && (status == DRM_XPU_JOB_ABORTED || status == DRM_XPU_JOB_BAD_DESC ||
			   status == DRM_XPU_JOB_BAD_CTX || status == DRM_XPU_JOB_ECC))
		set_bit(q->idx, &ctx->scrub_queues);
	err = xpu_status_to_errno(status);
	if (err)
		dma_fence_set_error(job->hw_fence, err);
	list_del_init(&job->node);
	/* off the hardware: its context may be evicted, its frees released */
	xpu_ctx_unbind_job(job);
	atomic64_inc(&q->jobs_done);
	/*
	 * Last: once its fence signals, drm_sched's free_job work (perhaps
	 * on another CPU) may free the job; nothing here touches it after,
	 * but a direct job, which only its two references keep.
	 */
	dma_fence_signal_locked(job->hw_fence);
	if (direct)
		xpu_job_put_direct(job);
}

/* Complete @job with @status now; q->lock held. */
static void xpu_job_complete(struct xpu_queue *q, struct xpu_job *job,
			     const struct xpu_slot_record *sr, u32 status)
{
	xpu_job_complete_at(q, job, sr, status, ktime_get_ns());
}

/**
 * xpu_queue_irq() - completion interrupt of a queue
 * @q: queue
 *
 * Completes every job up to the seqno in the queue's fence word, in order,
 * with the status of its completion record. Takes &xpu_queue.lock.
 */
void xpu_queue_irq(struct xpu_queue *q)
{
	struct xpu_job *job, *tmp;
	unsigned long flags;
	u64 done, now, from, total = 0, cum = 0;

	spin_lock_irqsave(&q->lock, flags);
	done = le64_to_cpu(READ_ONCE(*q->fence_word));
	/*
	 * the records the fence word covers are read after it (this pass
	 * also runs from WAIT_JOB's poll, without the MSI's ordering)
	 */
	dma_rmb();
	WRITE_ONCE(q->fence_seen, done);
	xpu_dbg(q->xdev, IRQ, "queue %u: completion interrupt, fence word %llu\n", q->idx, done);
	/*
	 * Several completions handled in one pass ran one after the other
	 * since the first of them started: split that time among them by
	 * their modeled cycles (+1 each), so that a job's end time (WAIT_JOB,
	 * fdinfo) is not the time of the pass for all of them.
	 */
	now = ktime_get_ns();
	list_for_each_entry(job, &q->inflight, node) {
		if (job->seqno > done)
			break;
		total += le64_to_cpu(READ_ONCE(q->records[job->slot].rec.cycles)) + 1;
	}
	job = list_first_entry_or_null(&q->inflight, struct xpu_job, node);
	from = job ? min(max(job->result->start_ns, q->busy_end_ns), now) : now;
	list_for_each_entry_safe(job, tmp, &q->inflight, node) {
		const struct xpu_slot_record *sr = &q->records[job->slot];
		u32 status;

		if (job->seqno > done)
			break;
		status = xpu_status_to_uapi(q, le32_to_cpu(READ_ONCE(sr->rec.status)));
		if (READ_ONCE(job->hung))
			status = DRM_XPU_JOB_HUNG;
		cum += le64_to_cpu(READ_ONCE(sr->rec.cycles)) + 1;
		xpu_job_complete_at(q, job, sr, status,
				    from + mul_u64_u64_div_u64(now - from, cum, total));
	}
	spin_unlock_irqrestore(&q->lock, flags);
}

/* Fail every job the hardware holds (device reset or removal). */
static void xpu_queue_fail_all(struct xpu_queue *q, u32 status)
{
	struct xpu_job *job, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	list_for_each_entry_safe(job, tmp, &q->inflight, node)
		xpu_job_complete(q, job, NULL, status);
	spin_unlock_irqrestore(&q->lock, flags);
}

/*
 * Write @job's descriptor into the next ring entry (not yet visible to the
 * device: the caller rings the doorbell) and clear its completion record.
 * Returns the descriptor. q->lock held.
 */
static struct xpu_job_desc *xpu_queue_write_desc_locked(struct xpu_queue *q,
							struct xpu_job *job)
{
	struct xpu_job_desc *d;

	lockdep_assert_held(&q->lock);
	job->slot = q->tail;
	q->tail = (q->tail + 1) % XPU_RING_SIZE;
	d = &q->ring[job->slot];
	memset(&q->records[job->slot], 0, sizeof(q->records[0]));
	d->op = cpu_to_le32(XPU_JOB_EXEC);
	d->ctx = cpu_to_le32(job->hw_ctx);	/* bound in prepare_job */
	d->fence = cpu_to_le64(job->seqno);
	d->prog_va = cpu_to_le64(job->prog_va);
	d->prog_len = cpu_to_le32(job->prog_len);
	/* a 1.1 device reports the job's busy time per unit */
	d->flags = cpu_to_le32((job->scrub ? XPU_JOB_F_CLEAR_SRAM : 0) |
			       ((q->xdev->hw_version & 0xffff) >= 1 ?
				XPU_JOB_F_UNIT_TIMES : 0));
	d->args_va = cpu_to_le64(job->args_va);
	d->args_len = cpu_to_le32(job->args_len);
	d->rsvd0 = 0;
	d->record = cpu_to_le64(xpu_queue_dpa(q, &q->records[job->slot]));
	d->cookie = cpu_to_le64(job->seqno);
	return d;
}

/*
 * After a reset of the queue's hardware (the queue is idle: nothing runs or
 * writes any more), settle every job it held and start it again:
 *
 * - jobs whose completion the device wrote (fence word) complete with it;
 * - the job with seqno @running, the one the device was running when it was
 *   reset (0: none ran), if it has not completed: it completes with an
 *   error, HUNG if its seqno is @hung (or it was marked hung),
 *   else ABORTED, and its context, which lost work it did not cause to
 *   fail, learns of it: a reset counted and the context banned (so its
 *   submits fail with -ECANCELED), as Documentation/gpu/drm-uapi.rst asks
 *   ("after a reset, KMD should reject new command submissions for affected
 *   contexts"); a job that ended just before the reset is not confused
 *   with the next one, which never started;
 * - the other jobs never started (the device runs a queue's jobs one at
 *   a time, in order): they are written again to the fresh ring, with the
 *   same sequence numbers and hardware fences, and run once; those of a
 *   banned or closing context complete with CANCELED instead.
 *
 * No job runs twice and none is handed back to the scheduler. q->lock held.
 */
static void xpu_queue_recover_locked(struct xpu_queue *q, u64 running, u64 hung)
{
	struct xpu_device *xdev = q->xdev;
	u64 done = le64_to_cpu(READ_ONCE(*q->fence_word));
	struct xpu_job *job, *tmp;
	u32 replayed = 0;

	lockdep_assert_held(&q->lock);
	list_for_each_entry_safe(job, tmp, &q->inflight, node) {
		struct xpu_ctx *ctx = job->ctx;

		if (job->seqno <= done) {
			const struct xpu_slot_record *sr = &q->records[job->slot];
			u32 st = xpu_status_to_uapi(q, le32_to_cpu(READ_ONCE(sr->rec.status)));

			xpu_job_complete(q, job, sr, READ_ONCE(job->hung) ?
					 DRM_XPU_JOB_HUNG : st);
		} else if (running && job->seqno == running) {
			if ((hung && job->seqno == hung) || READ_ONCE(job->hung)) {
				xpu_job_complete(q, job, NULL, DRM_XPU_JOB_HUNG);
				continue;
			}
			atomic_inc(&ctx->resets);
			atomic_or(DRM_XPU_CTX_BANNED, &ctx->state);
			xpu_dbg(xdev, RESET, "ctx %u queue %u seqno %llu job %llu: lost to the reset, context banned\n",
				ctx->hw_ctx, q->idx, job->seqno, job->job_id);
			xpu_job_complete(q, job, NULL, DRM_XPU_JOB_ABORTED);
		} else if ((atomic_read(&ctx->state) & DRM_XPU_CTX_BANNED) ||
			   READ_ONCE(ctx->closing)) {
			xpu_job_complete(q, job, NULL, DRM_XPU_JOB_CANCELED);
		}
	}
	/* what is left never started: the fresh ring runs it, in order */
	job = list_first_entry_or_null(&q->inflight, struct xpu_job, node);
	xpu_queue_hw_program_locked(q, job ? job->seqno - 1 : q->seqno);
	list_for_each_entry(job, &q->inflight, node) {
		xpu_queue_write_desc_locked(q, job);
		xpu_dbg(xdev, RESET, "ctx %u queue %u seqno %llu job %llu: not started, queued again in slot %u\n",
			job->ctx->hw_ctx, q->idx, job->seqno, job->job_id, job->slot);
		replayed++;
	}
	if (replayed) {
		wmb();	/* descriptors before doorbell */
		xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_TAIL), q->tail);
	}
}

/* Run the hang check of @q in hang_check_ms (unless it is already due). */
static void xpu_hang_check_arm(struct xpu_queue *q)
{
	queue_delayed_work(system_wq, &q->hang_work,
			   msecs_to_jiffies(READ_ONCE(xpu_hang_check_ms)));
}

/* ---- scheduler backend ---------------------------------------------------- */

/* A hardware context id for the job's context, or a fence to wait for one. */
static struct dma_fence *xpu_prepare_job(struct drm_sched_job *sched_job,
					 struct drm_sched_entity *entity)
{
	return xpu_ctx_bind_job(to_xpu_job(sched_job));
}

/*
 * Hand @job to the hardware: its seqno and hardware fence @f (allocated by
 * the caller), its descriptor, the doorbell. q->lock held, the job bound.
 * Return: true if the queue was idle (the caller arms the hang check).
 */
static bool xpu_queue_push_locked(struct xpu_queue *q, struct xpu_job *job,
				  struct xpu_fence *f)
{
	struct xpu_device *xdev = q->xdev;
	struct xpu_job_desc *d;
	bool arm;

	lockdep_assert_held(&q->lock);
	f->q = q;
	job->seqno = ++q->seqno;
	dma_fence_init(&f->base, &xpu_fence_ops, &q->lock, q->fence_ctx, job->seqno);
	atomic_long_inc(&xpu_fences_live);
	job->hw_fence = dma_fence_get(&f->base);
	job->scrub = test_and_clear_bit(q->idx, &job->ctx->scrub_queues);
	d = xpu_queue_write_desc_locked(q, job);
	if (atomic_fetch_andnot(BIT(q->idx), &xdev->inject_bad_ctx) & BIT(q->idx))
		d->ctx = 0;	/* test knob: a context without page table */
	arm = list_empty(&q->inflight);
	list_add_tail(&job->node, &q->inflight);
	job->result->start_ns = ktime_get_ns();
	wmb();	/* descriptor before doorbell */
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_TAIL), q->tail);
	xpu_dbg(xdev, JOB, "ctx %u queue %u seqno %llu job %llu: run, slot %u%s\n",
		le32_to_cpu(d->ctx), q->idx, job->seqno, job->job_id, job->slot,
		job->direct ? ", direct" : "");
	return arm;
}

/* The job left the entity's queue: it no longer holds up direct submission. */
static void xpu_job_dequeued(struct xpu_job *job)
{
	if (job->queued) {
		job->queued = false;
		atomic_dec(&job->ctx->sched_queued[job->queue]);
	}
}

/* run_job of a job of a banned or closing file: cancelled, never run */
static struct dma_fence *xpu_run_job_cancel(struct xpu_job *job, int idx)
{
	xpu_job_dequeued(job);
	job->result->status = DRM_XPU_JOB_CANCELED;
	xpu_dbg(job->ctx->xdev, JOB, "ctx %u queue %u job %llu: cancelled before it ran\n",
		job->ctx->hw_ctx, job->queue, job->job_id);
	drm_dev_exit(idx);
	return ERR_PTR(-ECANCELED);
}

static struct dma_fence *xpu_run_job(struct drm_sched_job *sched_job)
{
	struct xpu_job *job = to_xpu_job(sched_job);
	struct xpu_device *xdev = job->ctx->xdev;
	struct xpu_queue *q = &xdev->queues[job->queue];
	struct xpu_job *first;
	struct xpu_fence *f;
	unsigned long flags;
	bool arm;
	int idx;

	/*
	 * The job leaves &xpu_ctx.sched_queued only once it is on the ring
	 * (under q->lock, where direct submission looks) or will never be:
	 * a direct job of the same file cannot overtake it in between.
	 */
	if (!drm_dev_enter(&xdev->drm, &idx)) {
		xpu_job_dequeued(job);
		job->result->status = DRM_XPU_JOB_ABORTED;
		return ERR_PTR(-ENODEV);
	}
	if (unlikely(sched_job->s_fence->finished.error) ||
	    (atomic_read(&job->ctx->state) & DRM_XPU_CTX_BANNED) ||
	    READ_ONCE(job->ctx->closing))
		return xpu_run_job_cancel(job, idx);
	/* prepare_job bound the context, unless it was out of memory */
	f = job->bound ? kzalloc(sizeof(*f), GFP_KERNEL) : NULL;
	if (!f) {
		xpu_job_dequeued(job);
		drm_dev_exit(idx);
		return ERR_PTR(-ENOMEM);
	}

	spin_lock_irqsave(&q->lock, flags);
	/*
	 * Again under q->lock: xpu_ctx_abort() sets closing, then scans the
	 * rings under q->lock. Seen here, the job is cancelled; not seen, the
	 * job is on the ring before that scan, which then stops it.
	 */
	if (unlikely(READ_ONCE(job->ctx->closing) ||
		     (atomic_read(&job->ctx->state) & DRM_XPU_CTX_BANNED))) {
		spin_unlock_irqrestore(&q->lock, flags);
		kfree(f);
		return xpu_run_job_cancel(job, idx);
	}
	/*
	 * The credit limit keeps one slot free (the oldest job is never
	 * overwritten) and one for a direct job.
	 */
	first = list_first_entry_or_null(&q->inflight, struct xpu_job, node);
	if (drm_WARN_ON_ONCE(&xdev->drm, first && first->slot == q->tail)) {
		xpu_job_dequeued(job);
		spin_unlock_irqrestore(&q->lock, flags);
		kfree(f);
		drm_dev_exit(idx);
		return ERR_PTR(-EBUSY);
	}
	arm = xpu_queue_push_locked(q, job, f);
	xpu_job_dequeued(job);
	spin_unlock_irqrestore(&q->lock, flags);
	if (arm)
		xpu_hang_check_arm(q);
	drm_dev_exit(idx);
	return &f->base;
}

/**
 * xpu_job_run_direct() - SUBMIT puts a job on its idle queue itself
 * @job: job whose dependencies are all signalled (the caller, holding
 *	&xpu_ctx.submit_lock, checked); not armed
 *
 * Nothing may come before it: the queue is idle (no job in flight) and the
 * job's file has no job queued in the scheduler on that queue (both looked
 * at under q->lock, where run_job takes a job off &xpu_ctx.sched_queued as
 * it puts it on the ring), so the job goes straight to the hardware. It
 * never waits: with direct_submit off, the device unplugged, a recovery
 * holding &xpu_device.reset_lock, no memory, no hardware context id for
 * the file without evicting another file's, the file closing or banned, or
 * the queue busy, the job is left to the scheduler (unbound again). On
 * success the job is the hardware's and the caller's (two references,
 * &xpu_job.direct_refs): the caller publishes its fence, then drops its
 * reference with xpu_job_put_direct(). The job may run before its fence is
 * on its buffers and syncobjs; SUBMIT publishes it before it returns, so
 * only a lockless reader racing the SUBMIT (BO_WAIT, a dma-buf poll) can
 * see the buffers idle meanwhile, as if it had looked just before it.
 *
 * Return: true if the job is on the ring (@job->hw_fence is its fence).
 */
bool xpu_job_run_direct(struct xpu_job *job)
{
	struct xpu_ctx *ctx = job->ctx;
	struct xpu_device *xdev = ctx->xdev;
	struct xpu_queue *q = &xdev->queues[job->queue];
	struct xpu_fence *f;
	unsigned long flags;
	bool ok = false;
	int idx;

	lockdep_assert_held(&ctx->submit_lock);
	/* cheap first looks, before the allocation and the locks */
	if (!READ_ONCE(xpu_direct_submit) || !list_empty_careful(&q->inflight) ||
	    atomic_read(&ctx->sched_queued[job->queue]))
		return false;
	if (!drm_dev_enter(&xdev->drm, &idx))
		return false;
	/* allocated first: a recovery needs reset_lock */
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	/* no direct job while a recovery rewrites the rings */
	if (!f || !mutex_trylock(&xdev->reset_lock))
		goto out_exit;
	if (!xpu_ctx_try_bind_job(job))
		goto out_unlock;
	spin_lock_irqsave(&q->lock, flags);
	/* closing or banned: as run_job, under q->lock (xpu_ctx_abort()) */
	if (list_empty(&q->inflight) && !atomic_read(&ctx->sched_queued[job->queue]) &&
	    !READ_ONCE(ctx->closing) && !(atomic_read(&ctx->state) & DRM_XPU_CTX_BANNED)) {
		job->direct = true;
		refcount_set(&job->direct_refs, 2);
		xpu_queue_push_locked(q, job, f);
		ok = true;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (ok) {
		/*
		 * The reference run_job would hand to the scheduler: no one
		 * takes it here (job->hw_fence holds its own). Kept, it leaked
		 * every direct job's fence (kmemleak in make check-debug).
		 */
		dma_fence_put(&f->base);
		f = NULL;
		atomic64_inc(&q->jobs_direct);
		xpu_hang_check_arm(q);
	} else {
		/* no pin while it waits in the scheduler: prepare_job binds */
		xpu_ctx_unbind_job(job);
	}
out_unlock:
	mutex_unlock(&xdev->reset_lock);
out_exit:
	kfree(f);
	drm_dev_exit(idx);
	return ok;
}

/*
 * Frees the direct jobs that completed since it last ran. Each time it is
 * queued it holds a reference to the DRM device and to the module, so that
 * neither goes away before it has run; it drops them last. It runs on the
 * module's workqueue, which module exit drains, so no code of the module
 * runs after the exit.
 */
static void xpu_reap_work(struct work_struct *work)
{
	struct xpu_device *xdev = container_of(to_delayed_work(work), struct xpu_device,
					       reap_work);
	struct llist_node *list = llist_del_all(&xdev->reap_list);
	struct xpu_job *job, *tmp;

	llist_for_each_entry_safe(job, tmp, list, reap_node)
		xpu_job_free(job);
	drm_dev_put(&xdev->drm);
	module_put(THIS_MODULE);	/* last: see xpu_job_alloc() */
}

/**
 * xpu_job_put_direct() - drop a reference to a direct job
 * @job: a job xpu_job_run_direct() put on the hardware
 *
 * SUBMIT drops its reference once it no longer touches the job, the
 * completion path its own once the job's fence is signalled. The last one
 * hands the job to &xpu_device.reap_work, which frees it a tick later.
 * Any context, also under &xpu_queue.lock with interrupts off.
 */
void xpu_job_put_direct(struct xpu_job *job)
{
	struct xpu_device *xdev = job->ctx->xdev;

	if (!refcount_dec_and_test(&job->direct_refs))
		return;
	llist_add(&job->reap_node, &xdev->reap_list);
	/* the job on the list holds the device: neither put is the last */
	drm_dev_get(&xdev->drm);
	__module_get(THIS_MODULE);
	if (!queue_delayed_work(xpu_wq, &xdev->reap_work, 1)) {
		drm_dev_put(&xdev->drm);
		module_put(THIS_MODULE);
	}
}

/*
 * Is the job with @seqno and hardware fence @fence the one the hardware runs
 * now? Every earlier job has completed (the fence word the device writes
 * says so) and this one has not. q->lock held.
 */
static bool xpu_job_is_running(struct xpu_queue *q, u64 seqno, struct dma_fence *fence)
{
	u64 done = le64_to_cpu(READ_ONCE(*q->fence_word));
	struct xpu_job *job;

	lockdep_assert_held(&q->lock);
	if (!fence || seqno <= done || dma_fence_is_signaled(fence))
		return false;
	/*
	 * The running job is the first one on the ring the device has not
	 * completed. Not done + 1: recovery completes jobs of banned or
	 * closing contexts in the middle of the ring, which leaves gaps.
	 */
	list_for_each_entry(job, &q->inflight, node)
		if (job->seqno > done)
			return job->seqno == seqno;
	return false;
}

/*
 * Abort the job with @seqno, ring slot @slot and hardware fence @fence if it
 * is the one running on q, and only that job: the device completes it with
 * status ABORTED, then the queue is enabled again and runs the jobs behind
 * it. Caller holds xdev->reset_lock and a reference to @fence; with @hung,
 * the job is marked as killed by hang detection (and its context charged
 * with a hang). Returns true if a STOP was sent.
 *
 * STOP aborts whatever runs when the device sees it, and the device moves
 * on to the next job on its own: the job may end, and the next one start,
 * between the driver's look and its STOP. So the queue is disabled first
 * (the running job goes on, no new one starts), and only then is the job
 * checked to be the running one: still not completed (fence word), at the
 * device's head (Q_HEAD is its slot; the head moves on only when a job's
 * completion is written) and BUSY. From then on the job can only end, and
 * a STOP that comes after its end finds the queue idle and disabled:
 * nothing to abort (the device clears the request when it starts a job).
 * If the device does not answer the STOP, the queue is reset and settled
 * (xpu_queue_recover_locked()).
 */
static bool xpu_queue_stop_job(struct xpu_queue *q, u64 seqno, u32 slot,
			       struct dma_fence *fence, bool hung)
{
	struct xpu_device *xdev = q->xdev;
	unsigned int delay_ms;
	unsigned long flags;
	bool running;
	u32 head, sts;

	lockdep_assert_held(&xdev->reset_lock);
	mutex_lock(&q->stop_lock);
	spin_lock_irqsave(&q->lock, flags);
	running = xpu_job_is_running(q, seqno, fence);
	if (running)
		xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_CONTROL), 0);	/* disable */
	spin_unlock_irqrestore(&q->lock, flags);
	if (!running) {
		mutex_unlock(&q->stop_lock);
		return false;
	}
	/* head first: it moves on (and BUSY clears) only when a job ends */
	head = xpu_read(xdev, XPU_REG_Q(q->idx, XPU_Q_HEAD));
	sts = xpu_read(xdev, XPU_REG_Q(q->idx, XPU_Q_STATUS));
	spin_lock_irqsave(&q->lock, flags);
	running = xpu_job_is_running(q, seqno, fence) && head == slot &&
		  (sts & XPU_QSTS_BUSY);
	if (running && hung) {
		/* visible before the waiter of its fence wakes up */
		struct xpu_job *job;

		list_for_each_entry(job, &q->inflight, node) {
			struct xpu_ctx *ctx = job->ctx;
			int hangs;

			if (job->seqno != seqno)
				continue;
			hangs = atomic_inc_return(&ctx->hangs);
			WRITE_ONCE(job->hung, true);
			atomic_inc(&ctx->resets);
			atomic_or(DRM_XPU_CTX_HUNG |
				  (hangs >= xpu_ban_after ? DRM_XPU_CTX_BANNED : 0),
				  &ctx->state);
			break;
		}
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (!running) {
		/* it ended, or has not started: let the queue go on */
		xpu_dbg(xdev, RESET, "queue %u seqno %llu: not running (head %u slot %u status 0x%x), no STOP\n",
			q->idx, seqno, head, slot, sts);
		xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_CONTROL), XPU_QCTL_ENABLE);
		mutex_unlock(&q->stop_lock);
		return false;
	}
	/* test knob (debugfs "inject stopdelay MS"): the job may end meanwhile */
	delay_ms = READ_ONCE(xdev->inject_stop_delay_ms);
	if (delay_ms)
		msleep(delay_ms);
	xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_CONTROL), XPU_QCTL_STOP);
	xpu_dbg(xdev, RESET, "queue %u seqno %llu: STOP%s\n", q->idx, seqno,
		hung ? " (hung)" : "");
	if (dma_fence_wait_timeout(fence, false, msecs_to_jiffies(2000)) <= 0) {
		xpu_dbg(xdev, RESET, "queue %u seqno %llu: no answer to STOP, queue reset\n",
			q->idx, seqno);
		dev_err(&xdev->pdev->dev,
			"queue %u: stop did not complete; resetting the queue\n", q->idx);
		/*
		 * Reset the hardware first and wait (interrupts on) until it
		 * is idle: nothing may still run the jobs when they complete.
		 */
		if (xpu_queue_hw_reset(q)) {
			/* still busy: its ring cannot be written, reset all */
			xpu_device_reset_locked(xdev, "a queue stayed busy after its reset");
		} else {
			spin_lock_irqsave(&q->lock, flags);
			/* the queue was disabled: nothing after the job started */
			xpu_queue_recover_locked(q, seqno, hung ? seqno : 0);
			spin_unlock_irqrestore(&q->lock, flags);
		}
	} else {
		/*
		 * A stopped queue stays disabled until enabled again. The
		 * fence is written before BUSY clears, and an ABORTED
		 * completion disables the queue at that point, undoing an
		 * earlier ENABLE (docs/hardware.md 14.1): enable once idle.
		 */
		u32 status;

		if (readl_poll_timeout(xdev->regs + XPU_REG_Q(q->idx, XPU_Q_STATUS), status,
				       !(status & XPU_QSTS_BUSY), 100, 500000))
			dev_err(&xdev->pdev->dev, "queue %u: still busy after its job's completion\n",
				q->idx);
		xpu_write(xdev, XPU_REG_Q(q->idx, XPU_Q_CONTROL), XPU_QCTL_ENABLE);
	}
	mutex_unlock(&q->stop_lock);
	return true;
}

/**
 * xpu_ctx_abort() - stop every job of a context that is being closed
 * @ctx: context
 *
 * Called on the last close of the file (also when its process is killed):
 * jobs not yet on the hardware are cancelled by run_job(), jobs on it are
 * aborted one by one as they reach the head of their queue, so the buffers
 * they use become idle and the close does not wait for long jobs.
 */
void xpu_ctx_abort(struct xpu_ctx *ctx)
{
	struct xpu_device *xdev = ctx->xdev;
	unsigned long deadline = jiffies + 30 * HZ;
	u32 i;
	int idx;

	WRITE_ONCE(ctx->closing, true);
	if (!drm_dev_enter(&xdev->drm, &idx))
		return;
	for (i = 0; i < xdev->num_queues; i++) {
		struct xpu_queue *q = &xdev->queues[i];

		while (time_before(jiffies, deadline)) {
			struct dma_fence *fence = NULL;
			struct xpu_job *job, *first;
			unsigned long flags;
			bool any = false;
			u64 seqno = 0;
			u32 slot = 0;

			spin_lock_irqsave(&q->lock, flags);
			list_for_each_entry(job, &q->inflight, node)
				if (job->ctx == ctx) {
					any = true;
					break;
				}
			first = list_first_entry_or_null(&q->inflight, struct xpu_job, node);
			if (first && first->ctx == ctx) {
				seqno = first->seqno;
				slot = first->slot;
				fence = dma_fence_get(first->hw_fence);
			}
			spin_unlock_irqrestore(&q->lock, flags);
			if (!any)
				break;
			if (fence) {
				bool stopped;

				mutex_lock(&xdev->reset_lock);
				stopped = xpu_queue_stop_job(q, seqno, slot, fence, false);
				mutex_unlock(&xdev->reset_lock);
				dma_fence_put(fence);
				if (!stopped)
					usleep_range(1000, 2000);
			} else {
				/* another context's job runs first */
				usleep_range(5000, 10000);
			}
		}
	}
	drm_dev_exit(idx);
}

/*
 * What the hang check knows of the job it looks at, copied under q->lock:
 * the job itself may complete and be freed meanwhile.
 */
struct xpu_hang_info {
	struct xpu_ctx *ctx;		/* referenced */
	struct dma_fence *fence;	/* referenced */
	u64 seqno;
	u64 job_id;
	u64 prog_va;
	u64 args_va;
	u64 start_ns;
	u64 progress;
	u32 queue;
	u32 slot;
	u32 prog_len;
};

static void xpu_coredump(struct xpu_device *xdev, const struct xpu_hang_info *hi)
{
	size_t len = 1024;
	char *buf = vmalloc(len);	/* devcoredump vfree()s it */
	int n;

	if (!buf)
		return;
	n = scnprintf(buf, len,
		      "xpu hang report\nqueue: %u\npid: %d\nhw_ctx: %u\nseqno: %llu\n"
		      "prog_va: 0x%llx\nprog_len: %u\nargs_va: 0x%llx\nprogress: %llu\n"
		      "queue_status: 0x%x\nhead: %u\ntail: %u\nerr_status: 0x%x\n",
		      hi->queue, hi->ctx->pid, hi->ctx->hw_ctx, hi->seqno,
		      hi->prog_va, hi->prog_len, hi->args_va, hi->progress,
		      xpu_read(xdev, XPU_REG_Q(hi->queue, XPU_Q_STATUS)),
		      xpu_read(xdev, XPU_REG_Q(hi->queue, XPU_Q_HEAD)),
		      xpu_read(xdev, XPU_REG_Q(hi->queue, XPU_Q_TAIL)),
		      xpu_read(xdev, XPU_REG_ERR_STATUS));
	dev_coredumpv(&xdev->pdev->dev, buf, n, GFP_KERNEL);
}

static void xpu_hang_uevent(struct xpu_device *xdev, const struct xpu_hang_info *hi)
{
	char ev_queue[24], ev_pid[24];
	char *envp[4];

	snprintf(ev_queue, sizeof(ev_queue), "XPU_QUEUE=%u", hi->queue);
	snprintf(ev_pid, sizeof(ev_pid), "XPU_PID=%d", hi->ctx->pid);
	envp[0] = "XPU_EVENT=HANG";
	envp[1] = ev_queue;
	envp[2] = ev_pid;
	envp[3] = NULL;
	kobject_uevent_env(&xdev->drm.accel->kdev->kobj, KOBJ_CHANGE, envp);
}

/*
 * The hang check of a queue, every hang_check_ms while the queue holds jobs
 * (armed by run_job or a direct submission when the queue was empty,
 * re-armed here). This is the
 * driver's own delayed work, not the scheduler's timeout (the schedulers
 * run with MAX_SCHEDULE_TIMEOUT): in 6.12 a timedout_job() that finds the
 * job still progressing has no documented way to hand it back (the
 * scheduler took it off its pending list), and drm_sched_stop() +
 * drm_sched_start() without the deprecated drm_sched_resubmit_jobs()
 * cancel every job in flight. So the scheduler only sees hardware fences
 * complete, with an error for a killed job.
 *
 * A running job whose progress counter did not move since the last check
 * (or that ran longer than max_job_ms) is aborted with a STOP aimed at it
 * (xpu_queue_stop_job()): status HUNG, fence error -ETIMEDOUT, devcoredump
 * and uevent; the jobs behind it run.
 */
static void xpu_hang_check(struct work_struct *work)
{
	struct xpu_queue *q = container_of(to_delayed_work(work), struct xpu_queue, hang_work);
	struct xpu_device *xdev = q->xdev;
	struct xpu_hang_info hi = {};
	struct xpu_job *job;
	unsigned long flags;
	unsigned int max_ms;
	bool over_cap, more;
	u64 done;
	int idx;

	if (!drm_dev_enter(&xdev->drm, &idx))
		return;	/* removal fails the jobs */
	mutex_lock(&xdev->reset_lock);
	spin_lock_irqsave(&q->lock, flags);
	done = le64_to_cpu(READ_ONCE(*q->fence_word));
	list_for_each_entry(job, &q->inflight, node) {
		if (job->seqno <= done)
			continue;	/* completed, not yet processed */
		hi.ctx = xpu_ctx_get(job->ctx);
		hi.fence = dma_fence_get(job->hw_fence);
		hi.seqno = job->seqno;
		hi.job_id = job->job_id;
		hi.prog_va = job->prog_va;
		hi.args_va = job->args_va;
		hi.prog_len = job->prog_len;
		/*
		 * on the tile since the previous job of the queue completed
		 * (or since its doorbell): the time queued behind other jobs
		 * does not count against max_job_ms
		 */
		hi.start_ns = max(job->result->start_ns, q->busy_end_ns);
		hi.queue = q->idx;
		hi.slot = job->slot;
		break;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (!hi.fence)
		goto rearm;
	hi.progress = xpu_read(xdev, XPU_REG_Q(q->idx, XPU_Q_PROGRESS_LO)) |
		      (u64)xpu_read(xdev, XPU_REG_Q(q->idx, XPU_Q_PROGRESS_HI)) << 32;
	max_ms = READ_ONCE(xpu_max_job_ms);
	over_cap = max_ms && hi.start_ns &&
		   ktime_get_ns() - hi.start_ns > (u64)max_ms * NSEC_PER_MSEC;
	if ((hi.seqno != q->hang_seqno || hi.progress != q->hang_progress) && !over_cap) {
		/* still making progress (or not started): not a hung job */
		xpu_dbg(xdev, RESET, "ctx %u queue %u seqno %llu job %llu: progress %llu, not hung\n",
			hi.ctx->hw_ctx, q->idx, hi.seqno, hi.job_id, hi.progress);
		q->hang_seqno = hi.seqno;
		q->hang_progress = hi.progress;
	} else if (xpu_queue_stop_job(q, hi.seqno, hi.slot, hi.fence, true)) {
		/* it was running and made no progress: it is aborted now */
		if (over_cap)
			dev_warn(&xdev->pdev->dev,
				 "queue %u: job %llu of pid %d ran longer than max_job_ms=%u: aborted\n",
				 q->idx, hi.seqno, hi.ctx->pid, max_ms);
		else
			dev_warn(&xdev->pdev->dev,
				 "queue %u: job %llu of pid %d made no progress in %u ms: aborted\n",
				 q->idx, hi.seqno, hi.ctx->pid, xpu_hang_check_ms);
		xpu_log_fault(xdev, "pid %d ctx %u queue %u: hang at progress %llu",
			      hi.ctx->pid, hi.ctx->hw_ctx, q->idx, hi.progress);
		xpu_dbg(xdev, RESET, "ctx %u queue %u seqno %llu job %llu: hung, state 0x%x\n",
			hi.ctx->hw_ctx, q->idx, hi.seqno, hi.job_id,
			atomic_read(&hi.ctx->state));
		xpu_coredump(xdev, &hi);
		xpu_hang_uevent(xdev, &hi);
		q->hang_seqno = 0;
	}
rearm:
	spin_lock_irqsave(&q->lock, flags);
	more = !list_empty(&q->inflight);
	spin_unlock_irqrestore(&q->lock, flags);
	if (more)
		xpu_hang_check_arm(q);
	mutex_unlock(&xdev->reset_lock);
	drm_dev_exit(idx);
	dma_fence_put(hi.fence);
	if (hi.ctx)
		xpu_ctx_put(hi.ctx);
}

/**
 * xpu_job_alloc() - allocate a job and its result
 * @ctx: the submitting context; the job takes a reference
 * @queue: hardware queue index
 *
 * Return: the job, or NULL without memory.
 */
struct xpu_job *xpu_job_alloc(struct xpu_ctx *ctx, u32 queue)
{
	struct xpu_job *job = kzalloc(sizeof(*job), GFP_KERNEL);
	struct xpu_result *res = kzalloc(sizeof(*res), GFP_KERNEL);

	if (!job || !res) {
		kfree(job);
		kfree(res);
		return NULL;
	}
	/*
	 * Every job pins the module: the scheduler may free it from a work
	 * item (an entity killed on close waits for the job's dependencies)
	 * after the last file is closed, so rmmod must wait for that.
	 */
	__module_get(THIS_MODULE);
	kref_init(&res->ref);
	res->submit_ns = ktime_get_ns();
	res->queue = queue;
	job->result = res;
	job->ctx = xpu_ctx_get(ctx);
	job->queue = queue;
	INIT_LIST_HEAD(&job->node);
	return job;
}

/**
 * xpu_job_free() - release a job that is not (or no longer) on the hardware
 * @job: job from xpu_job_alloc()
 *
 * Drops the references of its buffers, fence, result, context and module.
 */
void xpu_job_free(struct xpu_job *job)
{
	u32 i;

	for (i = 0; i < job->bo_count; i++)
		drm_gem_object_put(job->bos[i]);
	kvfree(job->bos);
	dma_fence_put(job->hw_fence);
	xpu_result_put(job->result);
	xpu_ctx_unbind_job(job);	/* if it never reached the hardware */
	xpu_ctx_put(job->ctx);
	kfree(job);
	module_put(THIS_MODULE);	/* last: see xpu_job_alloc() */
}

static void xpu_free_job(struct drm_sched_job *sched_job)
{
	struct xpu_job *job = to_xpu_job(sched_job);

	xpu_job_dequeued(job);	/* a killed entity's job never ran */
	drm_sched_job_cleanup(sched_job);
	xpu_job_free(job);
}

static const struct drm_sched_backend_ops xpu_sched_ops = {
	.prepare_job = xpu_prepare_job,
	.run_job = xpu_run_job,
	.free_job = xpu_free_job,
};

static void xpu_submit_wq_release(struct drm_device *drm, void *wq)
{
	destroy_workqueue(wq);
}

/**
 * xpu_queues_init() - rings, hardware set-up and schedulers of every queue
 * @xdev: device
 *
 * Return: 0 or a negative errno.
 */
int xpu_queues_init(struct xpu_device *xdev)
{
	u32 i;
	int ret;

	/* the schedulers live as long as the DRM device, not the PCI binding */
	xdev->queues = drmm_kcalloc(&xdev->drm, xdev->num_queues,
				    sizeof(*xdev->queues), GFP_KERNEL);
	if (!xdev->queues)
		return -ENOMEM;
	/*
	 * Not the scheduler's default (one ordered, unbound workqueue per
	 * scheduler): a per-CPU, high-priority one runs run_job on the CPU
	 * that pushed the job, right away, instead of waking a worker that
	 * may sit on another CPU. run_job and free_job may then run at the
	 * same time, as with panthor's and nouveau's workqueues: neither
	 * callback relies on the other being idle. Destroyed after the
	 * schedulers (drmm actions run in reverse order).
	 */
	xdev->submit_wq = alloc_workqueue("xpu-submit-%s", WQ_HIGHPRI | WQ_MEM_RECLAIM, 0,
					  pci_name(xdev->pdev));
	if (!xdev->submit_wq)
		return -ENOMEM;
	ret = drmm_add_action_or_reset(&xdev->drm, xpu_submit_wq_release, xdev->submit_wq);
	if (ret)
		return ret;
	init_llist_head(&xdev->reap_list);
	INIT_DELAYED_WORK(&xdev->reap_work, xpu_reap_work);
	for (i = 0; i < xdev->num_queues; i++) {
		struct xpu_queue *q = &xdev->queues[i];
		struct drm_sched_init_args args = {
			.ops = &xpu_sched_ops,
			.submit_wq = xdev->submit_wq,
			.num_rqs = DRM_SCHED_PRIORITY_COUNT,
			/* one slot always free, one for a direct job */
			.credit_limit = XPU_RING_SIZE - 2,
			/* no scheduler timeout: xpu_hang_check() watches the jobs */
			.timeout = MAX_SCHEDULE_TIMEOUT,
			.name = xdev->queues[i].name,
			.dev = &xdev->pdev->dev,
		};
		void *mem;

		q->xdev = xdev;
		q->idx = i;
		snprintf(q->name, sizeof(q->name), "xpu-%s-q%u", pci_name(xdev->pdev), i);
		spin_lock_init(&q->lock);
		mutex_init(&q->stop_lock);
		INIT_LIST_HEAD(&q->inflight);
		INIT_DELAYED_WORK(&q->hang_work, xpu_hang_check);
		mem = dmam_alloc_coherent(&xdev->pdev->dev, XPU_QUEUE_MEM, &q->dma,
					  GFP_KERNEL);
		if (!mem) {
			ret = -ENOMEM;
			goto err_fini;
		}
		q->ring = mem;
		q->records = (struct xpu_slot_record *)(q->ring + XPU_RING_SIZE);
		q->fence_word = (__le64 *)(q->records + XPU_RING_SIZE);
		q->fence_ctx = dma_fence_context_alloc(1);
		xpu_queue_hw_setup(q);
		ret = drm_sched_init(&q->sched, &args);
		if (ret)
			goto err_fini;
	}
	return 0;

err_fini:
	/* the schedulers of the queues before i (the probe fails: no job yet) */
	while (i--)
		drm_sched_fini(&xdev->queues[i].sched);
	return ret;
}

/**
 * xpu_queues_fini() - stop the hardware queues on removal
 * @xdev: device, unplugged
 */
void xpu_queues_fini(struct xpu_device *xdev)
{
	u32 i;

	/*
	 * Called on removal, after drm_dev_unplug(): the hardware is stopped
	 * and whatever it held fails. The schedulers keep running so that
	 * queued jobs fail in run_job() and every job is freed; they are torn
	 * down with the DRM device, when the last file is closed.
	 */
	for (i = 0; i < xdev->num_queues; i++)
		xpu_write(xdev, XPU_REG_Q(i, XPU_Q_CONTROL), XPU_QCTL_RESET);
	/*
	 * Memory goes back only once the device cannot touch it: wait for
	 * each queue's BUSY to clear (hardware.md 14) before failing its jobs
	 * (which releases their buffers and deferred frees). A device that is
	 * gone (surprise removal) reads all ones: no wait then.
	 */
	for (i = 0; i < xdev->num_queues; i++) {
		u32 status;

		if (readl_poll_timeout(xdev->regs + XPU_REG_Q(i, XPU_Q_STATUS), status,
				       status == U32_MAX || !(status & XPU_QSTS_BUSY), 100, 500000))
			dev_err(&xdev->pdev->dev, "queue %u: still busy at removal\n", i);
	}
	for (i = 0; i < xdev->num_queues; i++)
		xpu_queue_fail_all(&xdev->queues[i], DRM_XPU_JOB_ABORTED);
	/* the direct jobs among them are freed now, not a tick later */
	flush_delayed_work(&xdev->reap_work);
	/* unplugged: the checks end without re-arming */
	for (i = 0; i < xdev->num_queues; i++)
		cancel_delayed_work_sync(&xdev->queues[i].hang_work);
}

/*
 * The seqno of the job a disabled queue runs now: BUSY, and the job in the
 * slot at the device's head has not completed. 0 when the queue is idle;
 * the first job not completed when BUSY names no such job (the old guess).
 */
static u64 xpu_queue_running_seqno(struct xpu_queue *q)
{
	struct xpu_device *xdev = q->xdev;
	u32 head = xpu_read(xdev, XPU_REG_Q(q->idx, XPU_Q_HEAD));
	u32 sts = xpu_read(xdev, XPU_REG_Q(q->idx, XPU_Q_STATUS));
	struct xpu_job *job, *first = NULL;
	unsigned long flags;
	u64 done, seqno = 0;

	if (!(sts & XPU_QSTS_BUSY))
		return 0;
	spin_lock_irqsave(&q->lock, flags);
	done = le64_to_cpu(READ_ONCE(*q->fence_word));
	list_for_each_entry(job, &q->inflight, node) {
		if (job->seqno <= done)
			continue;
		if (!first)
			first = job;
		if (job->slot == head) {
			seqno = job->seqno;
			break;
		}
	}
	if (!seqno && first)
		seqno = first->seqno;
	spin_unlock_irqrestore(&q->lock, flags);
	return seqno;
}

/**
 * xpu_device_reset() - reset the whole device
 * @xdev: device
 * @why: for the log
 *
 * Every scheduler's submission is parked with drm_sched_wqueue_stop() (no
 * run_job or free_job meanwhile), the queues are disabled and the job each
 * one runs is noted (Q_HEAD, BUSY), the device is reset and
 * every queue waited for until idle, the context roots are restored, and
 * each queue's jobs are settled by xpu_queue_recover_locked(): the job that
 * was running on a queue, if it did not complete meanwhile, completes with
 * DRM_XPU_JOB_ABORTED (fence error -ECANCELED) and its context is banned,
 * the jobs behind it, which never started, run on the fresh ring. The
 * scheduler learns of each completion through the job's hardware fence, as
 * always; drm_sched_wqueue_start() then lets it go on, and the jobs that
 * had not reached the hardware run as usual.
 *
 * Return: 0.
 */
int xpu_device_reset(struct xpu_device *xdev, const char *why)
{
	mutex_lock(&xdev->reset_lock);
	xpu_device_reset_locked(xdev, why);
	mutex_unlock(&xdev->reset_lock);
	return 0;
}

/* xpu_device_reset() with xdev->reset_lock held (also from a STOP). */
static void xpu_device_reset_locked(struct xpu_device *xdev, const char *why)
{
	u64 running[XPU_MAX_QUEUES];
	unsigned long flags;
	u32 i;

	lockdep_assert_held(&xdev->reset_lock);
	dev_warn(&xdev->pdev->dev, "device reset: %s\n", why);
	xpu_dbg(xdev, RESET, "device reset %d: %s\n", atomic_read(&xdev->resets) + 1, why);
	for (i = 0; i < xdev->num_queues; i++)
		drm_sched_wqueue_stop(&xdev->queues[i].sched);
	/* which job runs (if any): disabled, the queues start no other one */
	for (i = 0; i < xdev->num_queues; i++) {
		struct xpu_queue *q = &xdev->queues[i];

		xpu_write(xdev, XPU_REG_Q(i, XPU_Q_CONTROL), 0);
		running[i] = xpu_queue_running_seqno(q);
	}
	xpu_write(xdev, XPU_REG_RESET, XPU_RESET_MAGIC);
	/* idle: nothing runs or writes any more (sleeps, interrupts on) */
	for (i = 0; i < xdev->num_queues; i++)
		xpu_queue_hw_reset(&xdev->queues[i]);
	/* context roots and link windows are gone with the reset: restore them */
	xpu_slots_restore(xdev);
	xpu_link_restore(xdev);
	for (i = 0; i < xdev->num_queues; i++) {
		struct xpu_queue *q = &xdev->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		xpu_queue_recover_locked(q, running[i], 0);
		spin_unlock_irqrestore(&q->lock, flags);
	}
	for (i = 0; i < xdev->num_queues; i++)
		drm_sched_wqueue_start(&xdev->queues[i].sched);
	atomic_inc(&xdev->resets);
}

/* ---- per-file entities ---------------------------------------------------- */

/**
 * xpu_ctx_entities_init() - one scheduler entity per queue for a context
 * @ctx: new context
 *
 * Return: 0 or a negative errno.
 */
int xpu_ctx_entities_init(struct xpu_ctx *ctx)
{
	struct xpu_device *xdev = ctx->xdev;
	u32 i;
	int ret;

	ctx->entities = kcalloc(xdev->num_queues, sizeof(*ctx->entities), GFP_KERNEL);
	if (!ctx->entities)
		return -ENOMEM;
	for (i = 0; i < xdev->num_queues; i++) {
		struct drm_gpu_scheduler *sched = &xdev->queues[i].sched;

		ret = drm_sched_entity_init(&ctx->entities[i], DRM_SCHED_PRIORITY_NORMAL,
					    &sched, 1, NULL);
		if (ret) {
			while (i--)
				drm_sched_entity_destroy(&ctx->entities[i]);
			kfree(ctx->entities);
			ctx->entities = NULL;
			return ret;
		}
	}
	return 0;
}

/**
 * xpu_ctx_entities_fini() - destroy a context's entities (waits for them)
 * @ctx: context
 */
void xpu_ctx_entities_fini(struct xpu_ctx *ctx)
{
	u32 i;

	if (!ctx->entities)
		return;
	for (i = 0; i < ctx->xdev->num_queues; i++)
		drm_sched_entity_destroy(&ctx->entities[i]);
	kfree(ctx->entities);
	ctx->entities = NULL;
}

/* ---- ioctls (SUBMIT is in xpu_submit.c) ---------------------------------- */

/*
 * Poll @res's job for up to xpu_wait_poll_us (bounded by @deadline_ns):
 * whenever the queue's fence word moved, run the completion pass here
 * instead of waiting for the interrupt, which may go to another CPU.
 * Yields when the CPU is wanted; stops early for a pending signal, and
 * does not poll at all when the deadline comes first.
 *
 * Return: true if the job's fence is signalled.
 */
static bool xpu_wait_poll(struct xpu_device *xdev, struct xpu_result *res, s64 deadline_ns)
{
	unsigned int us = min(READ_ONCE(xpu_wait_poll_us), 10000U);
	struct xpu_queue *q = &xdev->queues[res->queue];
	u64 start, budget;
	bool done;
	int idx;

	if (dma_fence_is_signaled(res->done))
		return true;
	/* a deadline inside the polling budget: sleep until it instead */
	if (!us || deadline_ns < (s64)ktime_get_ns() + (s64)us * NSEC_PER_USEC ||
	    !drm_dev_enter(&xdev->drm, &idx))
		return false;
	/*
	 * local_clock(), not ktime_get_ns(): the guest's clocksource may be
	 * a port (acpi_pm under TCG), one exit to the hypervisor per read.
	 */
	start = local_clock();
	budget = (u64)us * NSEC_PER_USEC;
	for (;;) {
		done = dma_fence_is_signaled(res->done);
		if (done)
			break;
		if (le64_to_cpu(READ_ONCE(*q->fence_word)) != READ_ONCE(q->fence_seen))
			xpu_queue_irq(q);
		if (local_clock() - start >= budget || signal_pending(current))
			break;
		/* the CPU is wanted (run_job or free_job work): yield, go on */
		cond_resched();
		cpu_relax();
	}
	drm_dev_exit(idx);
	return done;
}

/**
 * xpu_ioctl_wait_job() - DRM_IOCTL_XPU_WAIT_JOB
 * @drm: device
 * @data: &struct drm_xpu_wait_job
 * @file: the calling file
 *
 * Return: 0 with the job's result, -ETIME at the deadline, -ENOENT for an
 * unknown job, or a negative errno.
 */
int xpu_ioctl_wait_job(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct xpu_ctx *ctx = file->driver_priv;
	struct drm_xpu_wait_job *args = data;
	struct xpu_result *res;
	long ret;

	if (args->rsvd[0] || args->rsvd[1])
		return -EINVAL;
	xa_lock(&ctx->results);
	res = xa_load(&ctx->results, args->job_id);
	if (res)
		kref_get(&res->ref);
	xa_unlock(&ctx->results);
	if (!res)
		return -ENOENT;

	if (xpu_wait_poll(ctx->xdev, res, args->timeout_ns))
		ret = 1;
	else
		ret = dma_fence_wait_timeout(res->done, true,
					     drm_timeout_abs_to_jiffies(args->timeout_ns));
	if (ret == 0) {
		ret = -ETIME;
	} else if (ret > 0) {
		ret = 0;
		args->status = res->status;
		if (res->done->error && args->status == DRM_XPU_JOB_OK)
			args->status = DRM_XPU_JOB_CANCELED;
		args->fault_access = res->fault_access;
		args->fault_va = res->fault_va;
		args->cycles = res->cycles;
		args->submit_ns = res->submit_ns;
		args->start_ns = res->start_ns;
		args->end_ns = res->end_ns;
		args->dma_busy = res->dma_busy;
		args->mxu_busy = res->mxu_busy;
		args->vpu_busy = res->vpu_busy;
		args->link_busy = res->link_busy;
	}
	xpu_result_put(res);
	return ret;
}
