// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: DRM_IOCTL_XPU_SUBMIT, in phases.
 *
 * As ivpu_submit_ioctl() (create the job, prepare its buffers, submit) and
 * panthor's struct panthor_submit_ctx, everything one submission holds lives
 * in a &struct xpu_submit_ctx and each phase adds to it:
 *
 * 1. xpu_submit_copy_args() - check the scalar fields and copy the buffer
 *    and sync-op arrays into one kernel form, whether userspace passed the
 *    1.0 fields (bo_handles, in_syncs, out_syncobj) or the 1.1 strided
 *    arrays (bos, syncs);
 * 2. xpu_submit_create_job() - the job, its result and its scheduler job;
 * 3. xpu_submit_lookup_bos() and xpu_submit_lookup_syncs() - handles to
 *    buffers (mapped in the context) and syncobjs, waits as dependencies;
 * 4. xpu_submit_lock_bos() - reservations and implicit dependencies;
 * 5. xpu_submit_push() - job id, arm, fences on buffers and syncobjs, push;
 *    or, when the job waits for nothing and its queue is idle, straight to
 *    the hardware without the scheduler (xpu_job_run_direct()). Fences
 *    already signalled are not added as dependencies, so that a job whose
 *    buffers' last users are done counts as waiting for nothing.
 *
 * xpu_submit_ctx_cleanup() undoes whatever the phases did when one fails;
 * after the push the scheduler owns the job (a direct job: the hardware and
 * SUBMIT, until SUBMIT drops its reference). Strided arrays are copied by
 * xpu_get_uobj_array(), as panthor's PANTHOR_UOBJ_GET_ARRAY(): an element
 * shorter than the kernel's struct (older userspace) is zero-extended, a
 * longer one (newer userspace) is accepted when the tail is zero.
 */

#include <linux/dma-fence-chain.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>

#include "xpu_drv.h"
#include "xpu_submit.h"
#include "drm/xpu_accel.h"

#define XPU_UOBJ_MAX_STRIDE	4096

#define XPU_SYNC_OP_KNOWN	(DRM_XPU_SYNC_OP_WAIT | DRM_XPU_SYNC_OP_SIGNAL | \
				 DRM_XPU_SYNC_OP_TIMELINE)

/**
 * struct xpu_submit_signal - a syncobj a job signals
 * @syncobj: the syncobj (referenced)
 * @chain: preallocated chain node of a timeline point, or NULL (binary)
 * @point: timeline point
 */
struct xpu_submit_signal {
	struct drm_syncobj *syncobj;
	struct dma_fence_chain *chain;
	u64 point;
};

/**
 * struct xpu_submit_ctx - everything one submission holds
 * @file: the submitting file
 * @ctx: its context
 * @args: the ioctl arguments (kernel copy; @args->job_id is set on success)
 * @bos: the buffer array, kernel form
 * @bo_count: entries in @bos
 * @syncs: the sync operations, kernel form
 * @sync_count: entries in @syncs
 * @signals: the syncobjs to signal, looked up
 * @signal_count: entries in @signals
 * @job: the job, until it is pushed
 * @sched_inited: drm_sched_job_init() was called on @job
 * @locked: the reservations of the job's buffers are held
 * @ticket: their ww acquire context
 * @waits: dependencies added to the job that were not signalled yet
 */
struct xpu_submit_ctx {
	struct drm_file *file;
	struct xpu_ctx *ctx;
	struct drm_xpu_submit *args;
	struct drm_xpu_submit_bo *bos;
	u32 bo_count;
	struct drm_xpu_sync_op *syncs;
	u32 sync_count;
	struct xpu_submit_signal *signals;
	u32 signal_count;
	struct xpu_job *job;
	bool sched_inited;
	bool locked;
	struct ww_acquire_ctx ticket;
	u32 waits;
};

/*
 * Copy a strided user array into a kernel array of obj_size elements: a
 * smaller stride (down to min_stride, an element's first version) is
 * zero-extended, a larger one must have a zero tail (-E2BIG otherwise).
 */
static int xpu_get_uobj_array(const struct drm_xpu_obj_array *in, u32 max_count,
			      u32 min_stride, u32 obj_size, void **out)
{
	void __user *uptr = u64_to_user_ptr(in->array);
	u8 *kptr;
	int ret = 0;
	u32 i;

	*out = NULL;
	if (!in->count)
		return 0;
	if (in->count > max_count || in->stride < min_stride ||
	    in->stride > XPU_UOBJ_MAX_STRIDE)
		return -EINVAL;
	kptr = kvmalloc_array(in->count, obj_size, GFP_KERNEL);
	if (!kptr)
		return -ENOMEM;
	if (in->stride == obj_size) {
		/* same header version: one copy */
		if (copy_from_user(kptr, uptr, (size_t)obj_size * in->count))
			ret = -EFAULT;
	} else {
		for (i = 0; i < in->count && !ret; i++)
			ret = copy_struct_from_user(kptr + (size_t)i * obj_size, obj_size,
						    uptr + (size_t)i * in->stride,
						    in->stride);
	}
	if (ret) {
		kvfree(kptr);
		return ret;
	}
	*out = kptr;
	return 0;
}

/* The first version of an element: the smallest stride accepted. */
#define XPU_SUBMIT_BO_V1_SIZE	offsetofend(struct drm_xpu_submit_bo, handle)
#define XPU_SYNC_OP_V1_SIZE	offsetofend(struct drm_xpu_sync_op, handle)

static int xpu_get_bo_array(const struct drm_xpu_obj_array *in,
			    struct drm_xpu_submit_bo **out)
{
	return xpu_get_uobj_array(in, XPU_MAX_SUBMIT_BOS, XPU_SUBMIT_BO_V1_SIZE,
				  sizeof(**out), (void **)out);
}

static int xpu_get_sync_op_array(const struct drm_xpu_obj_array *in,
				 struct drm_xpu_sync_op **out)
{
	return xpu_get_uobj_array(in, XPU_MAX_SYNC_OPS, XPU_SYNC_OP_V1_SIZE,
				  sizeof(**out), (void **)out);
}

/* The 1.0 wait and signal fields as sync operations. */
static int xpu_submit_copy_old_syncs(struct xpu_submit_ctx *sc)
{
	struct drm_xpu_submit *args = sc->args;
	struct drm_xpu_sync __user *in = u64_to_user_ptr(args->in_syncs);
	u32 n = args->in_sync_count + !!args->out_syncobj, i;

	if (!n)
		return 0;
	sc->syncs = kvcalloc(n, sizeof(*sc->syncs), GFP_KERNEL);
	if (!sc->syncs)
		return -ENOMEM;
	for (i = 0; i < args->in_sync_count; i++) {
		struct drm_xpu_sync s;

		if (copy_from_user(&s, &in[i], sizeof(s)))
			return -EFAULT;
		if (s.pad)
			return -EINVAL;
		sc->syncs[i].flags = DRM_XPU_SYNC_OP_WAIT |
				     (s.point ? DRM_XPU_SYNC_OP_TIMELINE : 0);
		sc->syncs[i].handle = s.handle;
		sc->syncs[i].point = s.point;
	}
	if (args->out_syncobj) {
		sc->syncs[i].flags = DRM_XPU_SYNC_OP_SIGNAL |
				     (args->out_point ? DRM_XPU_SYNC_OP_TIMELINE : 0);
		sc->syncs[i].handle = args->out_syncobj;
		sc->syncs[i].point = args->out_point;
	}
	sc->sync_count = n;
	return 0;
}

/* Phase 1: check the arguments and copy the arrays, whichever form. */
static int xpu_submit_copy_args(struct xpu_submit_ctx *sc)
{
	struct xpu_device *xdev = sc->ctx->xdev;
	struct drm_xpu_submit *args = sc->args;
	u32 i;
	int ret;

	if (args->flags || args->pad || args->job_id)
		return -EINVAL;
	if (args->queue >= xdev->num_queues || !args->prog_len ||
	    args->prog_len % 8 || args->prog_len > XPU_MAX_PROG_LEN ||
	    args->prog_va % 8 || args->bo_count > XPU_MAX_SUBMIT_BOS ||
	    args->in_sync_count > XPU_MAX_IN_SYNCS)
		return -EINVAL;
	/* one form per kind: the 1.0 fields or the 1.1 arrays */
	if (args->bo_count && args->bos.count)
		return -EINVAL;
	if ((args->in_sync_count || args->out_syncobj || args->out_point) &&
	    args->syncs.count)
		return -EINVAL;
	if (atomic_read(&sc->ctx->state) & DRM_XPU_CTX_BANNED)
		return -ECANCELED;

	if (args->bo_count) {
		/* a __u32 handle array is a buffer array of stride 4 */
		struct drm_xpu_obj_array old = {
			.stride = sizeof(u32), .count = args->bo_count,
			.array = args->bo_handles,
		};

		ret = xpu_get_bo_array(&old, &sc->bos);
		if (ret)
			return ret;
		sc->bo_count = args->bo_count;
	} else {
		ret = xpu_get_bo_array(&args->bos, &sc->bos);
		if (ret)
			return ret;
		sc->bo_count = args->bos.count;
	}
	for (i = 0; i < sc->bo_count; i++)
		if (sc->bos[i].flags)
			return -EINVAL;

	if (!args->syncs.count)
		return xpu_submit_copy_old_syncs(sc);
	ret = xpu_get_sync_op_array(&args->syncs, &sc->syncs);
	if (ret)
		return ret;
	sc->sync_count = args->syncs.count;
	for (i = 0; i < sc->sync_count; i++) {
		const struct drm_xpu_sync_op *op = &sc->syncs[i];
		u32 kind = op->flags & (DRM_XPU_SYNC_OP_WAIT | DRM_XPU_SYNC_OP_SIGNAL);

		if ((op->flags & ~XPU_SYNC_OP_KNOWN) ||
		    (kind != DRM_XPU_SYNC_OP_WAIT && kind != DRM_XPU_SYNC_OP_SIGNAL) ||
		    !(op->flags & DRM_XPU_SYNC_OP_TIMELINE) != !op->point)
			return -EINVAL;
	}
	return 0;
}

/* Phase 2: the job and its scheduler job. */
static int xpu_submit_create_job(struct xpu_submit_ctx *sc)
{
	struct drm_xpu_submit *args = sc->args;
	struct xpu_job *job;
	int ret;

	job = xpu_job_alloc(sc->ctx, args->queue);
	if (!job)
		return -ENOMEM;
	job->prog_va = args->prog_va;
	job->prog_len = args->prog_len;
	job->args_va = args->args_va;
	job->args_len = args->args_len;
	sc->job = job;
	ret = drm_sched_job_init(&job->base, &sc->ctx->entities[args->queue], 1,
				 sc->ctx, sc->file->client_id);
	if (ret)
		return ret;
	sc->sched_inited = true;
	return 0;
}

/* Phase 3a: the buffers, without duplicates, mapped in the context. */
static int xpu_submit_lookup_bos(struct xpu_submit_ctx *sc)
{
	struct xpu_job *job = sc->job;
	u32 i, j;
	int ret;

	if (!sc->bo_count)
		return 0;
	job->bos = kvcalloc(sc->bo_count, sizeof(*job->bos), GFP_KERNEL);
	if (!job->bos)
		return -ENOMEM;
	for (i = 0; i < sc->bo_count; i++) {
		struct drm_gem_object *obj = drm_gem_object_lookup(sc->file,
								   sc->bos[i].handle);

		if (!obj)
			return -ENOENT;
		/* a buffer listed twice would lock its reservation twice */
		for (j = 0; j < job->bo_count; j++)
			if (job->bos[j] == obj)
				break;
		if (j < job->bo_count)
			drm_gem_object_put(obj);
		else
			job->bos[job->bo_count++] = obj;
	}
	for (i = 0; i < job->bo_count; i++) {
		u64 va;

		ret = xpu_vm_map(sc->ctx, job->bos[i], &va);
		if (ret)
			return ret;
	}
	return 0;
}

/* A fence to wait for, unless it is signalled already; takes the reference. */
static int xpu_submit_add_dependency(struct xpu_submit_ctx *sc, struct dma_fence *fence)
{
	if (dma_fence_is_signaled(fence)) {
		dma_fence_put(fence);
		return 0;
	}
	sc->waits++;
	/* takes the fence reference, also on failure */
	return drm_sched_job_add_dependency(&sc->job->base, fence);
}

/* Phase 3b: syncobjs to signal (with their chain nodes), fences to wait for. */
static int xpu_submit_lookup_syncs(struct xpu_submit_ctx *sc)
{
	u32 i, nsignal = 0;
	int ret;

	for (i = 0; i < sc->sync_count; i++)
		if (sc->syncs[i].flags & DRM_XPU_SYNC_OP_SIGNAL)
			nsignal++;
	if (nsignal) {
		sc->signals = kvcalloc(nsignal, sizeof(*sc->signals), GFP_KERNEL);
		if (!sc->signals)
			return -ENOMEM;
	}
	for (i = 0; i < sc->sync_count; i++) {
		const struct drm_xpu_sync_op *op = &sc->syncs[i];
		struct xpu_submit_signal *sig;
		struct dma_fence *fence;

		if (op->flags & DRM_XPU_SYNC_OP_WAIT) {
			ret = drm_syncobj_find_fence(sc->file, op->handle, op->point, 0,
						     &fence);
			if (ret)
				return ret == -EINVAL ? -ENOENT : ret;
			ret = xpu_submit_add_dependency(sc, fence);
			if (ret)
				return ret;
			continue;
		}
		sig = &sc->signals[sc->signal_count];
		sig->syncobj = drm_syncobj_find(sc->file, op->handle);
		if (!sig->syncobj)
			return -ENOENT;
		sc->signal_count++;
		sig->point = op->point;
		if (op->flags & DRM_XPU_SYNC_OP_TIMELINE) {
			sig->chain = dma_fence_chain_alloc();
			if (!sig->chain)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Phase 4: reserve a fence slot on every buffer, wait for earlier users. */
static int xpu_submit_lock_bos(struct xpu_submit_ctx *sc)
{
	struct xpu_job *job = sc->job;
	u32 i;
	int ret;

	ret = drm_gem_lock_reservations(job->bos, job->bo_count, &sc->ticket);
	if (ret)
		return ret;
	sc->locked = true;
	for (i = 0; i < job->bo_count; i++) {
		struct dma_resv_iter cursor;
		struct dma_fence *fence;

		ret = dma_resv_reserve_fences(job->bos[i]->resv, 1);
		if (ret)
			return ret;
		/*
		 * As drm_sched_job_add_implicit_dependencies(.., true): every
		 * earlier reader and writer, but the signalled ones.
		 */
		dma_resv_for_each_fence(&cursor, job->bos[i]->resv, dma_resv_usage_rw(true),
					fence) {
			ret = xpu_submit_add_dependency(sc, dma_fence_get(fence));
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* The job's end fence on its buffers and syncobjs; reservations held. */
static void xpu_submit_attach_fence(struct xpu_submit_ctx *sc, struct dma_fence *done)
{
	struct xpu_job *job = sc->job;
	u32 i;

	for (i = 0; i < job->bo_count; i++) {
		dma_resv_assert_held(job->bos[i]->resv);
		dma_resv_add_fence(job->bos[i]->resv, done, DMA_RESV_USAGE_WRITE);
	}
	for (i = 0; i < sc->signal_count; i++) {
		struct xpu_submit_signal *sig = &sc->signals[i];

		if (sig->chain) {
			drm_syncobj_add_point(sig->syncobj, sig->chain, done, sig->point);
			sig->chain = NULL;	/* the syncobj owns it now */
		} else {
			drm_syncobj_replace_fence(sig->syncobj, done);
		}
	}
}

/* Phase 5, under the context's submit lock: id, arm, fences, push. */
static int xpu_submit_push_locked(struct xpu_submit_ctx *sc)
{
	struct xpu_ctx *ctx = sc->ctx;
	struct xpu_job *job = sc->job;
	struct xpu_result *res = job->result;
	u64 id;
	int ret;

	lockdep_assert_held(&ctx->submit_lock);
	/* reserved: WAIT_JOB sees the id only once res->done is set */
	ret = xa_reserve(&ctx->results, ctx->next_job_id + 1, GFP_KERNEL);
	if (ret)
		return ret;
	id = ++ctx->next_job_id;
	if (id > XPU_RESULTS_KEPT)
		xpu_result_put(xa_erase(&ctx->results, id - XPU_RESULTS_KEPT));
	sc->args->job_id = id;
	job->job_id = id;

	if (!sc->waits && xpu_job_run_direct(job)) {
		/* on the hardware already, never a scheduler job */
		drm_sched_job_cleanup(&job->base);
		sc->sched_inited = false;
		res->done = dma_fence_get(job->hw_fence);
	} else {
		drm_sched_job_arm(&job->base);
		res->done = dma_fence_get(&job->base.s_fence->finished);
	}
	kref_get(&res->ref);	/* the xarray's */
	xa_store(&ctx->results, id, res, GFP_KERNEL);
	xpu_submit_attach_fence(sc, res->done);
	xpu_dbg(ctx->xdev, JOB, "ctx %u queue %u job %llu: submitted, %u buffers, %u sync ops\n",
		ctx->hw_ctx, job->queue, id, job->bo_count, sc->sync_count);
	drm_gem_unlock_reservations(job->bos, job->bo_count, &sc->ticket);
	sc->locked = false;
	sc->job = NULL;
	if (job->direct) {
		xpu_job_put_direct(job);	/* SUBMIT's reference */
		return 0;
	}
	/* the job may run and be freed as soon as it is pushed */
	job->queued = true;
	atomic_inc(&ctx->sched_queued[job->queue]);
	drm_sched_entity_push_job(&job->base);
	return 0;
}

static int xpu_submit_push(struct xpu_submit_ctx *sc)
{
	int ret;

	mutex_lock(&sc->ctx->submit_lock);
	ret = xpu_submit_push_locked(sc);
	mutex_unlock(&sc->ctx->submit_lock);
	return ret;
}

static void xpu_submit_ctx_cleanup(struct xpu_submit_ctx *sc)
{
	struct xpu_job *job = sc->job;
	u32 i;

	if (sc->locked)
		drm_gem_unlock_reservations(job->bos, job->bo_count, &sc->ticket);
	for (i = 0; i < sc->signal_count; i++) {
		dma_fence_chain_free(sc->signals[i].chain);
		drm_syncobj_put(sc->signals[i].syncobj);
	}
	kvfree(sc->signals);
	kvfree(sc->syncs);
	kvfree(sc->bos);
	if (job) {
		if (sc->sched_inited)
			drm_sched_job_cleanup(&job->base);
		xpu_job_free(job);
	}
}

/**
 * xpu_ioctl_submit() - DRM_IOCTL_XPU_SUBMIT
 * @drm: device
 * @data: &struct drm_xpu_submit
 * @file: the submitting file
 *
 * Return: 0 with the job id in &drm_xpu_submit.job_id, or a negative errno
 * (the table is in uapi/drm/xpu_accel.h).
 */
int xpu_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct xpu_submit_ctx sc = {
		.file = file, .ctx = file->driver_priv, .args = data,
	};
	int ret;

	ret = xpu_submit_copy_args(&sc);
	if (!ret)
		ret = xpu_submit_create_job(&sc);
	if (!ret)
		ret = xpu_submit_lookup_bos(&sc);
	if (!ret)
		ret = xpu_submit_lookup_syncs(&sc);
	if (!ret)
		ret = xpu_submit_lock_bos(&sc);
	if (!ret)
		ret = xpu_submit_push(&sc);
	if (ret)
		xpu_dbg(to_xpu_device(drm), JOB, "ctx %u queue %u: submit failed: %d\n",
			sc.ctx->hw_ctx, sc.args->queue, ret);
	xpu_submit_ctx_cleanup(&sc);
	return ret;
}
