// SPDX-License-Identifier: MIT
/*
 * libxpu host backend: the device engine (qemu-device/engine) running
 * in-process. It plays the driver's part: owns an HBM image, builds the
 * device page tables for one address space with the engine's page-table
 * writer (xpu_pt.h), assigns VAs, keeps "host memory" buffers behind bus
 * addresses the engine reaches through host_read/host_write, and runs jobs on
 * one worker thread per queue (tile), or in the submitting thread with
 * XPU_HOST_SYNC. Timelines are counters under one lock, like syncobj
 * timelines.
 *
 * Policy follows the Linux driver, which is the reference (docs/runtime.md
 * "Host backend policy"): VAs from XPU_VA_START to XPU_VA_END for every kind
 * of buffer, one unmapped guard page after each buffer, and an MMU fault bans
 * the context: the faulting job ends with MMU_FAULT, jobs that have not
 * started end with CANCELED, and later submits fail.
 *
 * A device may be a chip of an in-process link fabric (fabric_host.c):
 * its tiles then reach peers over links (xpu_mem.link_xfer) and, by PCIe
 * peer-to-peer, peers' HBM behind bus addresses (host_int.h); buffers are
 * exported to peers as the driver does (see host_peer_map).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host_int.h"
#include "xpu_host_copy.h"
#include "drm/xpu_accel.h"

/* ---- host memory behind bus addresses ------------------------------------- */
static struct host_bo *find_hbo(struct host_be *be, uint64_t bus, uint64_t len)
{
	for (uint32_t i = 0; i < be->num_hbos; i++) {
		struct host_bo *h = &be->hbos[i];

		if (bus >= h->bus && bus - h->bus < h->size && len <= h->size - (bus - h->bus))
			return h;
	}
	return NULL;
}

/* the buffer holding bus address bus: its bytes from there, up to len */
static uint8_t *hbo_piece(void *opaque, uint64_t bus, uint64_t len, uint64_t *n)
{
	struct host_bo *h = find_hbo(opaque, bus, 1);
	uint64_t off;

	if (!h)
		return NULL;
	off = bus - h->bus;
	*n = h->size - off < len ? h->size - off : len;
	return h->ptr + off;
}

/*
 * The engine's host_read/host_write, with xpu_mem.host_runs: a run of pages
 * contiguous in bus space may span several buffers (bus ranges are
 * page-granular); moved piece by piece, and a gap fails with every page
 * before it moved.
 */
static int host_copy(struct host_be *be, uint64_t bus, uint8_t *buf, uint64_t len, int write)
{
	int rc;

	if (bus >= P2P_BASE)	/* a peer chip's HBM, PCIe peer-to-peer */
		return xpu_fabric_p2p_copy(be->chip, bus, buf, len, write);
	pthread_rwlock_rdlock(&be->mm_lock);
	rc = xpu_host_copy(hbo_piece, be, bus, buf, len, write);
	pthread_rwlock_unlock(&be->mm_lock);
	return rc;
}

static int host_read(void *opaque, uint64_t bus, void *buf, uint64_t len)
{
	return host_copy(opaque, bus, buf, len, 0);
}

static int host_write(void *opaque, uint64_t bus, const void *buf, uint64_t len)
{
	return host_copy(opaque, bus, (uint8_t *)buf, len, 1);
}

/* ---- buffers --------------------------------------------------------------- */
static xpu_status host_bo_create(xpu_device *dev, uint64_t size, uint32_t flags,
				 struct xpu_bo *bo)
{
	struct host_be *be = dev->be;
	uint64_t perm = XPU_PTE_READ | (flags & XPU_MEM_READ_ONLY ? 0 : XPU_PTE_WRITE);
	uint64_t va, frame;
	xpu_status st = XPU_SUCCESS;

	size = (size + PAGE - 1) & ~(PAGE - 1);
	pthread_rwlock_wrlock(&be->mm_lock);
	if (xpu_ranges_alloc(&be->va_free, size + GUARD, PAGE, &va)) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "host backend: device VA space exhausted");
		goto out;
	}
	if (flags & XPU_MEM_HOST) {
		struct host_bo *h;
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			xpu_ranges_free(&be->va_free, va, size + GUARD);
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "host backend: mmap %llu bytes",
					   (unsigned long long)size);
			goto out;
		}
		if (be->num_hbos == be->cap_hbos) {
			uint32_t cap = be->cap_hbos ? 2 * be->cap_hbos : 16;
			struct host_bo *n = realloc(be->hbos, cap * sizeof(*n));

			if (!n) {
				munmap(p, size);
				xpu_ranges_free(&be->va_free, va, size + GUARD);
				st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
				goto out;
			}
			be->hbos = n;
			be->cap_hbos = cap;
		}
		if (xpu_ranges_alloc(&be->bus_free, size, PAGE, &frame)) {
			munmap(p, size);
			xpu_ranges_free(&be->va_free, va, size + GUARD);
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "host backend: bus space exhausted");
			goto out;
		}
		h = &be->hbos[be->num_hbos++];
		h->bus = frame;
		h->size = size;
		h->ptr = p;
		bo->cpu = p;
		bo->priv = frame;
		frame |= XPU_DPA_HOST;		/* leaf entries get XPU_PTE_HOST */
	} else {
		if (xpu_ranges_alloc(&be->hbm_free, size, PAGE, &frame)) {
			xpu_ranges_free(&be->va_free, va, size + GUARD);
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
					   "host backend: HBM exhausted allocating %llu bytes",
					   (unsigned long long)size);
			goto out;
		}
		memset(be->hbm + frame, 0, size);
		bo->cpu = be->hbm + frame;
		bo->priv = frame;
	}
	/* the guard page after the buffer stays unmapped: overruns fault */
	if (xpu_pt_map(&be->pt, va, frame, size, perm)) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "host backend: page-table pool exhausted");
		pthread_rwlock_unlock(&be->mm_lock);
		bo->size = size;
		bo->va = va;
		bo->flags = flags;
		dev->ops->bo_destroy(dev, bo);
		return st;
	}
	bo->size = size;
	bo->va = va;
	bo->flags = flags;
	bo->handle = 0;
out:
	pthread_rwlock_unlock(&be->mm_lock);
	return st;
}

static void host_bo_destroy(xpu_device *dev, struct xpu_bo *bo)
{
	struct host_be *be = dev->be;

	pthread_rwlock_wrlock(&be->mm_lock);
	xpu_pt_unmap(&be->pt, bo->va, bo->size);
	__atomic_add_fetch(&be->tlb_gen, 1, __ATOMIC_RELEASE);
	xpu_ranges_free(&be->va_free, bo->va, bo->size + GUARD);
	if (bo->flags & XPU_MEM_HOST) {
		for (uint32_t i = 0; i < be->num_hbos; i++) {
			if (be->hbos[i].bus == bo->priv) {
				be->hbos[i] = be->hbos[--be->num_hbos];
				break;
			}
		}
		xpu_ranges_free(&be->bus_free, bo->priv, bo->size);
		munmap(bo->cpu, bo->size);
	} else {
		xpu_ranges_free(&be->hbm_free, bo->priv, bo->size);
	}
	pthread_rwlock_unlock(&be->mm_lock);
	bo->cpu = NULL;
}

static xpu_status host_bo_map(xpu_device *dev, struct xpu_bo *bo)
{
	(void)dev;
	(void)bo;	/* always mapped */
	return XPU_SUCCESS;
}

/* ---- timelines ------------------------------------------------------------- */
static xpu_status host_tl_create(xpu_device *dev, uint64_t *tl)
{
	struct host_be *be = dev->be;
	uint32_t i;

	pthread_mutex_lock(&be->lock);
	for (i = 0; i < be->num_tl && be->tl_used[i]; i++)
		;
	if (i == be->num_tl) {
		uint32_t n = be->num_tl ? 2 * be->num_tl : 16;
		uint64_t *v = realloc(be->tl, n * sizeof(*v));
		uint8_t *u = v ? realloc(be->tl_used, n) : NULL;

		if (v)
			be->tl = v;
		if (!u) {
			pthread_mutex_unlock(&be->lock);
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
		}
		be->tl_used = u;
		memset(u + be->num_tl, 0, n - be->num_tl);
		be->num_tl = n;
	}
	be->tl_used[i] = 1;
	be->tl[i] = 0;
	pthread_mutex_unlock(&be->lock);
	*tl = i + 1;
	return XPU_SUCCESS;
}

static void host_tl_destroy(xpu_device *dev, uint64_t tl)
{
	struct host_be *be = dev->be;

	pthread_mutex_lock(&be->lock);
	if (tl && tl <= be->num_tl)
		be->tl_used[tl - 1] = 0;
	pthread_mutex_unlock(&be->lock);
}

static uint64_t tl_value(struct host_be *be, uint64_t tl)
{
	return tl && tl <= be->num_tl ? be->tl[tl - 1] : UINT64_MAX;
}

/* cond wait with an absolute CLOCK_MONOTONIC deadline; 0 or ETIMEDOUT */
static int wait_until(struct host_be *be, int64_t deadline)
{
	struct timespec ts;

	if (deadline == INT64_MAX)
		return pthread_cond_wait(&be->cond, &be->lock);
	ts.tv_sec = deadline / 1000000000;
	ts.tv_nsec = deadline % 1000000000;
	return pthread_cond_timedwait(&be->cond, &be->lock, &ts);
}

static xpu_status host_tl_wait(xpu_device *dev, uint64_t tl, uint64_t point, int64_t deadline)
{
	struct host_be *be = dev->be;
	xpu_status st = XPU_SUCCESS;

	pthread_mutex_lock(&be->lock);
	while (tl_value(be, tl) < point) {
		if (xpu_now_ns() >= deadline || wait_until(be, deadline) == ETIMEDOUT) {
			if (tl_value(be, tl) >= point)
				break;
			st = xpu_set_error(XPU_ERROR_TIMEOUT, "timeline %llu point %llu not reached",
					   (unsigned long long)tl, (unsigned long long)point);
			break;
		}
	}
	pthread_mutex_unlock(&be->lock);
	return st;
}

/* ---- jobs ------------------------------------------------------------------ */
static void run_job(struct host_be *be, struct host_queue *q, struct host_job *j)
{
	struct xpu_job_record rec;
	struct xpu_job_stats st = { 0 };
	struct xpu_device_usage *u = &be->usage;

	/* waits for other devices of the fabric: their timelines, here (through
	 * the fabric: the other device may be closed by now) */
	for (uint32_t i = 0; i < j->num_waits; i++)
		if (j->waits[i].dev)
			xpu_fabric_wait(be->chip, j->waits[i].peer_chip, j->waits[i].peer_gen,
					j->waits[i].tl, j->waits[i].point);
	if (__atomic_load_n(&be->banned, __ATOMIC_ACQUIRE)) {
		/* as the driver's run_job: a banned context's jobs never start */
		j->res.status = DRM_XPU_JOB_CANCELED;
		return;
	}
	memset(&rec, 0, sizeof(rec));
	xpu_tile_run(q->tile, be->pt.root, &j->desc, NULL, &rec, &st);
	/* counted like the device's perf registers (qemu-device/xpu-queue.c) */
	__atomic_add_fetch(&u->jobs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&u->cycles, rec.cycles, __ATOMIC_RELAXED);
	__atomic_add_fetch(&u->dma_busy_cycles, st.dma_busy, __ATOMIC_RELAXED);
	__atomic_add_fetch(&u->mxu_busy_cycles, st.mxu_busy, __ATOMIC_RELAXED);
	__atomic_add_fetch(&u->vpu_busy_cycles, st.vpu_busy, __ATOMIC_RELAXED);
	__atomic_add_fetch(&u->dma_bytes, st.dma_bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&u->macs, st.macs, __ATOMIC_RELAXED);
	j->res.status = rec.status;
	j->res.fault_access = rec.fault_access;
	j->res.fault_va = rec.fault_va;
	j->res.cycles = rec.cycles;
	j->res.has_units = 1;
	j->res.dma_busy = st.dma_busy;
	j->res.mxu_busy = st.mxu_busy;
	j->res.vpu_busy = st.vpu_busy;
	if (rec.status == XPU_JOB_STATUS_MMU_FAULT)
		__atomic_store_n(&be->banned, 1, __ATOMIC_RELEASE);
}

static int deps_ready(struct host_be *be, const struct host_job *j)
{
	for (uint32_t i = 0; i < j->num_waits; i++)
		if (!j->waits[i].dev && tl_value(be, j->waits[i].tl) < j->waits[i].point)
			return 0;
	return 1;
}

static void complete(struct host_be *be, struct host_job *j)
{
	/* under be->lock */
	if (j->signal.tl && j->signal.tl <= be->num_tl && be->tl[j->signal.tl - 1] < j->signal.point)
		be->tl[j->signal.tl - 1] = j->signal.point;
	j->done = 1;
	pthread_cond_broadcast(&be->cond);
}

static void *worker(void *arg)
{
	struct host_queue *q = arg;
	struct host_be *be = q->be;

	pthread_mutex_lock(&be->lock);
	for (;;) {
		struct host_job *j = q->head;

		if (be->stop && !j)
			break;
		if (!j || !deps_ready(be, j)) {
			pthread_cond_wait(&be->cond, &be->lock);
			continue;
		}
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
		pthread_mutex_unlock(&be->lock);
		run_job(be, q, j);
		pthread_mutex_lock(&be->lock);
		complete(be, j);
	}
	pthread_mutex_unlock(&be->lock);
	return NULL;
}

static xpu_status host_submit(xpu_device *dev, const struct xpu_submit *s, uint64_t *job)
{
	struct host_be *be = dev->be;
	struct host_queue *q;
	struct host_job *j;

	if (s->queue >= be->cfg.num_queues)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "queue %u >= %u", s->queue,
				     be->cfg.num_queues);
	if (s->num_waits > XPU_MAX_WAITS + 1)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "too many waits");
	if (__atomic_load_n(&be->banned, __ATOMIC_ACQUIRE))
		return xpu_set_error(XPU_ERROR_JOB_FAULT,
				     "submit: context banned after an earlier faulted job");
	j = calloc(1, sizeof(*j));
	if (!j)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	q = &be->q[s->queue];
	j->desc.op = XPU_JOB_EXEC;
	j->desc.prog_va = s->prog_va;
	j->desc.prog_len = s->prog_len;
	j->desc.args_va = s->args_va;
	j->desc.args_len = s->args_len;
	memcpy(j->waits, s->waits, s->num_waits * sizeof(*s->waits));
	j->num_waits = s->num_waits;
	j->signal = s->signal;
	*job = (uint64_t)(uintptr_t)j;

	if (be->cfg.flags & XPU_HOST_SYNC) {
		/* Everything submitted earlier has completed, so the waits hold. */
		pthread_mutex_lock(&q->tile_lock);
		run_job(be, q, j);
		pthread_mutex_unlock(&q->tile_lock);
		pthread_mutex_lock(&be->lock);
		complete(be, j);
		pthread_mutex_unlock(&be->lock);
		return XPU_SUCCESS;
	}
	pthread_mutex_lock(&be->lock);
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	pthread_cond_broadcast(&be->cond);
	pthread_mutex_unlock(&be->lock);
	return XPU_SUCCESS;
}

static xpu_status host_wait_job(xpu_device *dev, uint64_t job, int64_t deadline,
				struct xpu_job_result *res)
{
	struct host_be *be = dev->be;
	struct host_job *j = (struct host_job *)(uintptr_t)job;

	pthread_mutex_lock(&be->lock);
	while (!j->done) {
		if (xpu_now_ns() >= deadline || wait_until(be, deadline) == ETIMEDOUT) {
			if (j->done)
				break;
			pthread_mutex_unlock(&be->lock);
			return xpu_set_error(XPU_ERROR_TIMEOUT, "job still running");
		}
	}
	pthread_mutex_unlock(&be->lock);
	*res = j->res;
	free(j);
	return XPU_SUCCESS;
}

static xpu_status host_get_usage(xpu_device *dev, struct xpu_device_usage *u)
{
	const struct xpu_device_usage *c = &((struct host_be *)dev->be)->usage;

	u->jobs = __atomic_load_n(&c->jobs, __ATOMIC_RELAXED);
	u->cycles = __atomic_load_n(&c->cycles, __ATOMIC_RELAXED);
	u->dma_busy_cycles = __atomic_load_n(&c->dma_busy_cycles, __ATOMIC_RELAXED);
	u->mxu_busy_cycles = __atomic_load_n(&c->mxu_busy_cycles, __ATOMIC_RELAXED);
	u->vpu_busy_cycles = __atomic_load_n(&c->vpu_busy_cycles, __ATOMIC_RELAXED);
	u->dma_bytes = __atomic_load_n(&c->dma_bytes, __ATOMIC_RELAXED);
	u->macs = __atomic_load_n(&c->macs, __ATOMIC_RELAXED);
	return XPU_SUCCESS;
}

static void host_close(xpu_device *dev)
{
	struct host_be *be = dev->be;

	if (!be)
		return;
	pthread_mutex_lock(&be->lock);
	be->stop = 1;
	pthread_cond_broadcast(&be->cond);
	pthread_mutex_unlock(&be->lock);
	for (uint32_t i = 0; i < be->cfg.num_queues && be->q; i++)
		if (be->q[i].started)
			pthread_join(be->q[i].thread, NULL);
	/*
	 * Every job done: now no peer reaches it any more, and a peer's job
	 * waiting for one of its timelines is released. Not earlier: its own
	 * jobs used the fabric (the last detach frees it), and a peer's wait
	 * must not end before the job it waits for.
	 */
	if (be->chip && dev->chip)
		xpu_host_chip_detach(be->chip, dev);
	for (uint32_t i = 0; i < be->cfg.num_queues && be->q; i++) {
		xpu_tile_free(be->q[i].tile);
		pthread_mutex_destroy(&be->q[i].tile_lock);
	}
	for (uint32_t i = 0; i < be->num_hbos; i++)
		munmap(be->hbos[i].ptr, be->hbos[i].size);
	free(be->hbos);
	free(be->q);
	free(be->tl);
	free(be->tl_used);
	xpu_ranges_fini(&be->hbm_free);
	xpu_ranges_fini(&be->va_free);
	xpu_ranges_fini(&be->bus_free);
	if (be->hbm)
		munmap(be->hbm, be->hbm_size);
	pthread_rwlock_destroy(&be->mm_lock);
	pthread_mutex_destroy(&be->lock);
	pthread_cond_destroy(&be->cond);
	free(be);
	dev->be = NULL;
}

/* ---- links and peers ------------------------------------------------------- */
static xpu_status host_link_query(xpu_device *dev, uint32_t *chip, uint32_t *num_links)
{
	struct host_be *be = dev->be;

	*chip = be->chip ? xpu_fabric_chip_id(be->chip) : 0;
	*num_links = be->chip ? xpu_fabric_num_links(be->chip) : 0;
	return XPU_SUCCESS;
}

static xpu_status host_link_info(xpu_device *dev, uint32_t port, struct xpu_link_info *info)
{
	return xpu_fabric_link_info(((struct host_be *)dev->be)->chip, port, info);
}

static enum xpu_peer_path host_peer_path(xpu_device *dev, xpu_device *peer)
{
	struct host_be *a = dev->be, *b = peer->be;

	if (!xpu_fabric_same(a->chip, b->chip))
		return XPU_PEER_NONE;	/* devices of no common fabric share no bus */
	return xpu_fabric_port_to(a->chip, xpu_fabric_chip_id(b->chip)) >= 0 ? XPU_PEER_LINK :
										 XPU_PEER_PCIE;
}

/* Map bo in the exporter's export context (created at the first export). */
static xpu_status export_ctx_map(struct host_be *be, const struct xpu_bo *bo, uint64_t perm)
{
	xpu_status st = XPU_SUCCESS;

	pthread_rwlock_wrlock(&be->mm_lock);
	if (!be->roots[1]) {
		uint64_t size = be->hbm_size / 128 > (1u << 20) ? be->hbm_size / 128 : (1u << 20);

		size &= ~(PAGE - 1);
		if (xpu_ranges_alloc(&be->hbm_free, size, PAGE, &be->xpt_pool)) {
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
					   "host backend: no HBM for the export context's page tables");
			goto out;
		}
		memset(be->hbm + be->xpt_pool, 0, size);
		if (xpu_pt_init(&be->xpt, be->hbm, be->hbm_size, be->xpt_pool, be->xpt_pool + size)) {
			xpu_ranges_free(&be->hbm_free, be->xpt_pool, size);
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "host backend: export context");
			goto out;
		}
		be->xpt_pool_size = size;
		be->roots[1] = be->xpt.root;
	}
	if (xpu_pt_map(&be->xpt, bo->va, bo->priv, bo->size, perm))
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
				   "host backend: export context's page-table pool exhausted");
out:
	pthread_rwlock_unlock(&be->mm_lock);
	return st;
}

/*
 * The driver's policy for a buffer of chip E imported by chip I: over a
 * link, E maps it in its export context at its own VA and opens a window
 * of it for I only; I maps LINK leaves (port towards E, that window, the
 * offset) at a fresh VA of its own. Without a link, E lets I reach the HBM
 * range by P2P and I maps HOST leaves of the P2P bus addresses of it.
 */
static xpu_status host_peer_map(struct xpu_peer_map *m)
{
	const struct xpu_bo *bo = &m->buf->bo;
	struct host_be *eb = m->buf->dev->be, *ib = m->dev->be;
	uint64_t perm = XPU_PTE_READ | (bo->flags & XPU_MEM_READ_ONLY ? 0 : XPU_PTE_WRITE);
	uint32_t eid, iid, win = 0;
	uint64_t va;
	int port, rc = 0;
	xpu_status st;

	if (!xpu_fabric_same(eb->chip, ib->chip))
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "host backend: the devices are not chips of one fabric "
				     "(xpu_host_fabric_open, XPU_HOST_DEVICES)");
	if (bo->flags & XPU_MEM_HOST)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "a buffer in host memory (XPU_MEM_HOST): peers reach HBM buffers only");
	eid = xpu_fabric_chip_id(eb->chip);
	iid = xpu_fabric_chip_id(ib->chip);
	port = xpu_fabric_port_to(ib->chip, eid);
	pthread_rwlock_wrlock(&ib->mm_lock);
	rc = xpu_ranges_alloc(&ib->va_free, bo->size + GUARD, PAGE, &va);
	pthread_rwlock_unlock(&ib->mm_lock);
	if (rc)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "host backend: device VA space exhausted");
	if (port >= 0) {
		st = export_ctx_map(eb, bo, perm);
		if (!st)
			st = xpu_fabric_window_open(eb->chip, bo->va, bo->size,
						    XPU_WINF_READ |
						    (perm & XPU_PTE_WRITE ? XPU_WINF_WRITE : 0),
						    iid, &win);
		if (st)
			goto fail;
		pthread_rwlock_wrlock(&ib->mm_lock);
		for (uint64_t off = 0; off < bo->size && !rc; off += PAGE)
			rc = xpu_pt_set_leaf(&ib->pt, va + off,
					     XPU_PTE_VALID | XPU_PTE_LINK | perm |
					     (XPU_LINK_ADDR(port, win, off) & XPU_PTE_ADDR_MASK));
		if (rc)
			xpu_pt_unmap(&ib->pt, va, bo->size);
		pthread_rwlock_unlock(&ib->mm_lock);
		if (rc) {
			if (!xpu_fabric_window_revoke(eb->chip, win)) {
				pthread_rwlock_wrlock(&eb->mm_lock);
				xpu_pt_unmap(&eb->xpt, bo->va, bo->size);
				pthread_rwlock_unlock(&eb->mm_lock);
			}
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
					   "host backend: page-table pool exhausted");
			goto fail;
		}
		m->path = XPU_PEER_LINK;
	} else {
		st = xpu_fabric_p2p_export(eb->chip, bo->priv, bo->size, iid);
		if (st)
			goto fail;
		pthread_rwlock_wrlock(&ib->mm_lock);
		rc = xpu_pt_map(&ib->pt, va, (P2P_BASE + ((uint64_t)eid << P2P_SHIFT) + bo->priv) |
				XPU_DPA_HOST, bo->size, perm);
		pthread_rwlock_unlock(&ib->mm_lock);
		if (rc) {
			xpu_fabric_p2p_revoke(eb->chip, bo->priv, bo->size, iid);
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
					   "host backend: page-table pool exhausted");
			goto fail;
		}
		m->path = XPU_PEER_PCIE;
	}
	m->va = va;
	m->handle = 0;
	m->priv[0] = win;
	return XPU_SUCCESS;
fail:
	pthread_rwlock_wrlock(&ib->mm_lock);
	xpu_ranges_free(&ib->va_free, va, bo->size + GUARD);
	pthread_rwlock_unlock(&ib->mm_lock);
	return st;
}

static void host_peer_unmap(struct xpu_peer_map *m)
{
	const struct xpu_bo *bo = &m->buf->bo;
	struct host_be *eb = m->buf->dev->be, *ib = m->dev->be;

	/* the exporter first: when this returns, no transfer is in flight */
	if (m->path == XPU_PEER_LINK) {
		if (!xpu_fabric_window_revoke(eb->chip, (uint32_t)m->priv[0])) {
			pthread_rwlock_wrlock(&eb->mm_lock);
			xpu_pt_unmap(&eb->xpt, bo->va, bo->size);
			pthread_rwlock_unlock(&eb->mm_lock);
		}
	} else {
		xpu_fabric_p2p_revoke(eb->chip, bo->priv, bo->size, xpu_fabric_chip_id(ib->chip));
	}
	pthread_rwlock_wrlock(&ib->mm_lock);
	xpu_pt_unmap(&ib->pt, m->va, bo->size);
	__atomic_add_fetch(&ib->tlb_gen, 1, __ATOMIC_RELEASE);
	xpu_ranges_free(&ib->va_free, m->va, bo->size + GUARD);
	pthread_rwlock_unlock(&ib->mm_lock);
}

/* the waiting job's worker waits for src's timeline itself (run_job) */
static xpu_status host_import_wait(xpu_device *dev, xpu_device *src, uint64_t tl, uint64_t point,
				   struct xpu_sync *out)
{
	struct host_be *a = dev->be, *b = src->be;

	memset(out, 0, sizeof(*out));
	if (!xpu_fabric_same(a->chip, b->chip)) {
		/* devices of no common fabric: the caller waits, on the host */
		return host_tl_wait(src, tl, point, INT64_MAX);
	}
	out->tl = tl;
	out->point = point;
	out->dev = src;		/* for the stream; the worker uses chip and gen */
	out->peer_chip = xpu_fabric_chip_id(b->chip);
	out->peer_gen = xpu_fabric_chip_gen(b->chip);
	return XPU_SUCCESS;
}

static const struct xpu_backend_ops host_ops = {
	.bo_create = host_bo_create,
	.bo_destroy = host_bo_destroy,
	.bo_map = host_bo_map,
	.timeline_create = host_tl_create,
	.timeline_destroy = host_tl_destroy,
	.timeline_wait = host_tl_wait,
	.submit = host_submit,
	.wait_job = host_wait_job,
	.get_usage = host_get_usage,
	.close = host_close,
	.link_query = host_link_query,
	.link_info = host_link_info,
	.peer_path = host_peer_path,
	.peer_map = host_peer_map,
	.peer_unmap = host_peer_unmap,
	.import_wait = host_import_wait,
};

static uint32_t def(uint32_t v, uint32_t d)
{
	return v ? v : d;
}

xpu_status xpu_host_open(const struct xpu_host_config *cfg, void *chip, xpu_device *dev)
{
	struct xpu_host_config c = { 0 };
	struct xpu_engine_config ec = { 0 };
	struct xpu_device_props *p = &dev->props;
	pthread_condattr_t ca;
	struct host_be *be;
	uint64_t pool;

	if (cfg)
		c = *cfg;
	c.rows = def(c.rows, XPU_ENG_DEF_ROWS);
	c.cols = def(c.cols, XPU_ENG_DEF_COLS);
	c.spad_size = def(c.spad_size, XPU_ENG_DEF_SPAD);
	c.acc_size = def(c.acc_size, XPU_ENG_DEF_ACC);
	c.clock_mhz = def(c.clock_mhz, XPU_ENG_DEF_CLOCK_MHZ);
	c.hbm_gbps = def(c.hbm_gbps, XPU_ENG_DEF_HBM_GBPS);
	c.num_queues = def(c.num_queues, 2);
	if (!c.hbm_size)
		c.hbm_size = 256ull << 20;
	if (c.flags & ~XPU_HOST_SYNC)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "unknown host config flags 0x%x",
				     c.flags);
	if (c.rows > 65535 || c.cols > 65535 || c.num_queues > XPU_MAX_QUEUES ||
	    c.spad_size > XPU_LA_ACC || c.acc_size > XPU_LA_ACC ||
	    c.hbm_size < (4ull << 20) || c.hbm_size > (64ull << 30) || c.hbm_size % PAGE)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "bad host config (rows/cols <= 65535, queues <= %d, SRAM <= 2 GiB, "
				     "HBM 4 MiB..64 GiB in pages)", XPU_MAX_QUEUES);

	be = calloc(1, sizeof(*be));
	if (!be)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	dev->be = be;
	dev->ops = &host_ops;
	be->cfg = c;
	pthread_rwlock_init(&be->mm_lock, NULL);
	pthread_mutex_init(&be->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&be->cond, &ca);
	pthread_condattr_destroy(&ca);

	/* untouched pages cost nothing: mmap'ed anonymous memory is lazy */
	be->hbm_size = c.hbm_size;
	be->hbm = mmap(NULL, c.hbm_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (be->hbm == MAP_FAILED) {
		be->hbm = NULL;
		goto nomem;
	}
	/* page tables live in the first 1/64 of HBM (at least 1 MiB) */
	pool = c.hbm_size / 64;
	if (pool < (1u << 20))
		pool = 1u << 20;
	pool &= ~(PAGE - 1);
	if (xpu_pt_init(&be->pt, be->hbm, c.hbm_size, 0, pool) ||
	    xpu_ranges_init(&be->hbm_free, pool, c.hbm_size - pool) ||
	    xpu_ranges_init(&be->va_free, XPU_VA_START, XPU_VA_END - XPU_VA_START) ||
	    xpu_ranges_init(&be->bus_free, BUS_BASE, BUS_SIZE))
		goto nomem;
	be->mem.hbm = be->hbm;
	be->mem.hbm_size = c.hbm_size;
	be->mem.host_read = host_read;
	be->mem.host_write = host_write;
	be->mem.host_runs = 1;
	be->mem.opaque = be;
	be->mem.tlb_gen = &be->tlb_gen;
	be->roots[0] = be->pt.root;
	if (chip) {
		be->mem.link_xfer = xpu_fabric_link_xfer;
		xpu_fabric_engine_config(chip, &ec);
	}
	ec.rows = c.rows;
	ec.cols = c.cols;
	ec.spad_bytes = c.spad_size;
	ec.acc_bytes = c.acc_size;
	ec.clock_mhz = c.clock_mhz;
	ec.hbm_gbps = c.hbm_gbps;
	be->ec = ec;
	be->q = calloc(c.num_queues, sizeof(*be->q));
	if (!be->q)
		goto nomem;
	for (uint32_t i = 0; i < c.num_queues; i++) {
		struct host_queue *q = &be->q[i];

		q->be = be;
		pthread_mutex_init(&q->tile_lock, NULL);
		q->tile = xpu_tile_new(&ec, &be->mem);
		if (!q->tile)
			goto nomem;
	}
	for (uint32_t i = 0; !(c.flags & XPU_HOST_SYNC) && i < c.num_queues; i++) {
		if (pthread_create(&be->q[i].thread, NULL, worker, &be->q[i])) {
			host_close(dev);
			return xpu_set_error(XPU_ERROR_OS, "pthread_create failed");
		}
		be->q[i].started = 1;
	}

	snprintf(p->node, sizeof(p->node), "host");
	p->uapi_version = DRM_XPU_UAPI_VERSION_MAJOR << 16 | DRM_XPU_UAPI_VERSION_MINOR;
	p->hw_version = XPU_HW_VERSION_MAJOR << 16 | XPU_HW_VERSION_MINOR;
	p->vendor_id = XPU_PCI_VENDOR_ID;
	p->device_id = XPU_PCI_DEVICE_ID;
	p->caps = XPU_CAP_INT8 | XPU_CAP_BF16 | XPU_CAP_MMU | XPU_CAP_VECTOR;
	p->array_rows = c.rows;
	p->array_cols = c.cols;
	p->hbm_size = c.hbm_size;
	p->num_queues = c.num_queues;
	p->num_contexts = 1;
	p->clock_mhz = c.clock_mhz;
	p->hbm_gbps = c.hbm_gbps;
	p->spad_size = c.spad_size;
	p->acc_size = c.acc_size;
	p->backend = XPU_BACKEND_HOST;
	p->max_buffer_size = c.hbm_size - pool;
	if (chip) {
		/* last: from here on peers reach it */
		if (xpu_fabric_num_links(chip))
			p->caps |= XPU_CAP_LINK;
		be->chip = chip;
		dev->chip = chip;
		xpu_fabric_attach(chip, dev);
	}
	return XPU_SUCCESS;
nomem:
	host_close(dev);
	return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "host backend: cannot allocate %llu bytes of HBM",
			     (unsigned long long)c.hbm_size);
}
