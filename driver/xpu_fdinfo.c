// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: per-file usage in /proc/PID/fdinfo/FD, the keys of
 * Documentation/gpu/drm-usage-stats.rst. drm_show_fdinfo() prints
 * drm-driver, drm-client-id and drm-pdev; xpu_show_fdinfo() adds:
 *
 *   drm-engine-xpu            ns the file's jobs ran on a tile, the
 *                             running ones' time so far included
 *   drm-engine-capacity-xpu   number of queues: the tiles are identical
 *                             and each queue runs its jobs on its own tile
 *   drm-cycles-xpu            modeled cycles of those jobs (completion
 *                             records)
 *   drm-maxfreq-xpu           the modeled clock (no drm-total-cycles: the
 *                             spec allows one of the two)
 *   drm-{total,shared,active,resident}-hbm     buffers in device HBM
 *   drm-{total,shared,active,resident}-memory  buffers in system memory
 *                             (host buffers and PRIME imports; "memory" is
 *                             the spec's name for system memory)
 *
 * Engine time. The device records no start time, but a queue runs its ring
 * strictly in order, one job at a time. So a job starts on the tile when its
 * descriptor is written or, if the queue was busy then, when the previous
 * job of the queue completed, whichever is later; it ends when its
 * completion is handled. Time a job waits in the ring behind other jobs is
 * not counted. Completions handled in one pass (one interrupt or one
 * WAIT_JOB poll) split the time since the first of them started by their
 * modeled cycles (xpu_queue_irq()), so each file gets its own jobs' share.
 * xpu_fdinfo_job_done() is called once per completed job, under the queue
 * lock, from xpu_job_complete().
 */

#include <linux/dma-resv.h>
#include <linux/idr.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_print.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

/**
 * xpu_fdinfo_job_done() - account a completed job to its file
 * @q: the queue that ran it (&xpu_queue.lock held)
 * @job: the job; its result holds the hand-over, end time and cycles
 *
 * Adds the job's time on the tile and its modeled cycles to its context and
 * moves the queue's busy mark to the job's end.
 */
void xpu_fdinfo_job_done(struct xpu_queue *q, struct xpu_job *job)
{
	struct xpu_result *res = job->result;
	u64 start = max(res->start_ns, q->busy_end_ns);

	lockdep_assert_held(&q->lock);
	atomic64_add(res->cycles, &job->ctx->cycles);
	if (res->end_ns > start)
		atomic64_add(res->end_ns - start, &job->ctx->engine_ns);
	q->busy_end_ns = max(q->busy_end_ns, res->end_ns);
}

/*
 * Time the context's running jobs have spent on their tiles so far: the
 * first job in a queue's in-flight list is the one the tile runs. Counted
 * by the reader only, so that a long job shows up before it completes; its
 * completion then accounts at least as much.
 */
static u64 xpu_fdinfo_running_ns(struct xpu_ctx *ctx)
{
	struct xpu_device *xdev = ctx->xdev;
	u64 ns = 0;
	u32 i;

	for (i = 0; i < xdev->num_queues; i++) {
		struct xpu_queue *q = &xdev->queues[i];
		struct xpu_job *job;
		unsigned long flags;

		spin_lock_irqsave(&q->lock, flags);
		job = list_first_entry_or_null(&q->inflight, struct xpu_job, node);
		if (job && job->ctx == ctx) {
			u64 start = max(job->result->start_ns, q->busy_end_ns);
			u64 now = ktime_get_ns();

			if (now > start)
				ns += now - start;
		}
		spin_unlock_irqrestore(&q->lock, flags);
	}
	return ns;
}

enum xpu_region { XPU_REGION_HBM, XPU_REGION_SYSTEM, XPU_REGIONS };

/* Backing store present: HBM buffers always, shmem ones once populated. */
static bool xpu_bo_resident(struct drm_gem_object *obj)
{
	struct drm_gem_shmem_object *shmem;

	/* HBM, and user pages (pinned from creation: not a shmem object) */
	if (xpu_bo_flags(obj) & (DRM_XPU_BO_HBM | DRM_XPU_BO_USER_PAGES))
		return true;
	shmem = to_drm_gem_shmem_obj(obj);
	return READ_ONCE(shmem->pages) || READ_ONCE(shmem->sgt);
}

/*
 * The file's buffers by region, counted as drm_show_memory_stats() counts
 * them (which knows one region only).
 */
static void xpu_fdinfo_memory(struct drm_printer *p, struct drm_file *file)
{
	struct drm_memory_stats st[XPU_REGIONS] = {};
	struct drm_gem_object *obj;
	int id;

	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, obj, id) {
		struct drm_memory_stats *s;

		/* another XPU's memory: counted by its owner */
		if (xpu_is_peer_bo(obj))
			continue;
		s = &st[xpu_bo_flags(obj) & DRM_XPU_BO_HBM ? XPU_REGION_HBM : XPU_REGION_SYSTEM];
		if (drm_gem_object_is_shared_for_memory_stats(obj))
			s->shared += obj->size;
		else
			s->private += obj->size;
		if (xpu_bo_resident(obj))
			s->resident += obj->size;
		if (!dma_resv_test_signaled(obj->resv, dma_resv_usage_rw(true)))
			s->active += obj->size;
	}
	spin_unlock(&file->table_lock);
	drm_print_memory_stats(p, &st[XPU_REGION_HBM], DRM_GEM_OBJECT_RESIDENT, "hbm");
	drm_print_memory_stats(p, &st[XPU_REGION_SYSTEM], DRM_GEM_OBJECT_RESIDENT, "memory");
}

/**
 * xpu_show_fdinfo() - drm_driver.show_fdinfo: engine and memory usage
 * @p: printer
 * @file: the file
 */
void xpu_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct xpu_ctx *ctx = file->driver_priv;
	struct xpu_device *xdev = ctx->xdev;

	u64 ns = atomic64_read(&ctx->engine_ns) + xpu_fdinfo_running_ns(ctx);

	drm_printf(p, "drm-engine-xpu:\t%llu ns\n", ns);
	drm_printf(p, "drm-engine-capacity-xpu:\t%u\n", xdev->num_queues);
	drm_printf(p, "drm-cycles-xpu:\t%llu\n",
		   (unsigned long long)atomic64_read(&ctx->cycles));
	drm_printf(p, "drm-maxfreq-xpu:\t%u MHz\n", xdev->clock_mhz);
	xpu_fdinfo_memory(p, file);
}
