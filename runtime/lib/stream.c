// SPDX-License-Identifier: MIT
/*
 * libxpu: streams and events.
 *
 * A stream submits its jobs at once, each waiting (device side) for the
 * stream's previous job through the stream's timeline, and keeps them in a
 * FIFO of in-flight entries. Entries are retired in order: the job's result
 * is read (cycles, status), a failed job becomes the stream's sticky error,
 * host-side steps (copying read-back data out of staging) run, markers
 * complete events, staging memory is released. Retiring happens whenever
 * somebody waits or queries, and opportunistically on submit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "drm/xpu_accel.h"

static void event_put(xpu_event *ev);

/* Destroy the timelines made for waits of the next job (imported fences). */
static void drop_owned_waits(xpu_stream *s)
{
	for (uint32_t i = 0; i < s->num_waits; i++)
		if (s->waits[i].owned)
			s->dev->ops->timeline_destroy(s->dev, s->waits[i].tl);
}

/* ---- stream objects -------------------------------------------------------- */
xpu_status xpu_stream_new(xpu_device *dev, uint32_t queue, xpu_stream **out)
{
	xpu_stream *s;
	xpu_status st;

	if (queue == XPU_QUEUE_ANY)
		queue = __atomic_fetch_add(&dev->next_queue, 1, __ATOMIC_RELAXED) %
			dev->props.num_queues;
	else if (queue >= dev->props.num_queues)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "queue %u, the device has %u",
				     queue, dev->props.num_queues);
	s = calloc(1, sizeof(*s));
	if (!s)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	s->dev = dev;
	s->queue = queue;
	s->refs = 1;
	pthread_mutex_init(&s->lock, NULL);
	st = dev->ops->timeline_create(dev, &s->tl);
	if (st)
		goto fail;
	st = dev->ops->bo_create(dev, XPU_ARENA_SIZE, XPU_MEM_HOST, &s->arena);
	if (st) {
		dev->ops->timeline_destroy(dev, s->tl);
		goto fail;
	}
	st = dev->ops->bo_map(dev, &s->arena);
	if (st) {
		dev->ops->bo_destroy(dev, &s->arena);
		dev->ops->timeline_destroy(dev, s->tl);
		goto fail;
	}
	*out = s;
	return XPU_SUCCESS;
fail:
	pthread_mutex_destroy(&s->lock);
	free(s);
	return st;
}

void xpu_stream_put(xpu_stream *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* nothing is in flight: the owner synchronized before dropping it */
	drop_owned_waits(s);
	while (s->head) {
		struct xpu_entry *e = s->head;

		s->head = e->next;
		if (e->has_tmp)
			s->dev->ops->bo_destroy(s->dev, &e->tmp);
		if (e->ev)
			event_put(e->ev);
		free(e);
	}
	s->dev->ops->bo_destroy(s->dev, &s->arena);
	s->dev->ops->timeline_destroy(s->dev, s->tl);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

xpu_status xpu_stream_error(xpu_stream *s)
{
	return xpu_set_error(s->err, "%s", s->errmsg);
}

static void set_sticky(xpu_stream *s, xpu_status st, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_sticky(xpu_stream *s, xpu_status st, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (s->err)
		return;		/* the first failure is the one that matters */
	s->err = st;
	s->err_seq = seq;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
}

static const char *access_name(uint32_t a)
{
	return a == XPU_ACCESS_READ ? "read" : a == XPU_ACCESS_WRITE ? "write" :
	       a == XPU_ACCESS_EXEC ? "instruction fetch" : "access";
}

static void job_failed(xpu_stream *s, struct xpu_entry *e, const struct xpu_job_result *r)
{
	xpu_status st = XPU_ERROR_JOB_FAULT;

	if (r->status == DRM_XPU_JOB_ABORTED || r->status == DRM_XPU_JOB_ECC ||
	    r->status == DRM_XPU_JOB_HUNG)
		st = XPU_ERROR_DEVICE_LOST;
	if (r->status == DRM_XPU_JOB_MMU_FAULT)
		set_sticky(s, st, e->seq, "%s on queue %u: job status MMU_FAULT: %s at device VA 0x%llx",
			   e->what, s->queue, access_name(r->fault_access),
			   (unsigned long long)r->fault_va);
	else
		set_sticky(s, st, e->seq, "%s on queue %u: job status %s (%u)", e->what, s->queue,
			   xpu_job_status_name(r->status), r->status);
}

xpu_status xpu_retire(xpu_stream *s, uint64_t upto, int64_t deadline)
{
	xpu_device *dev = s->dev;

	while (s->head && s->head->seq <= upto) {
		struct xpu_entry *e = s->head;

		if (e->kind == XPU_ENTRY_JOB) {
			struct xpu_job_result r = { 0 };
			xpu_status st = dev->ops->wait_job(dev, e->job, deadline, &r);

			if (st == XPU_ERROR_TIMEOUT)
				return st;
			if (st) {
				set_sticky(s, st, e->seq, "%s: %s", e->what, xpu_last_error());
			} else {
				s->cycles += r.cycles;
				if (dev->prof_id)
					xpu_profile_job(dev, s->queue, e, &r);
				if (r.status != DRM_XPU_JOB_OK)
					job_failed(s, e, &r);
			}
		} else if (e->kind == XPU_ENTRY_HOST_COPY) {
			if (!s->err)
				memcpy(e->dst, e->src, e->n);
		} else if (e->ev) {
			xpu_event *ev = e->ev;

			pthread_mutex_lock(&ev->lock);
			if (ev->gen == e->ev_gen) {
				ev->done = 1;
				ev->cycles = s->cycles;
			}
			pthread_mutex_unlock(&ev->lock);
			event_put(ev);
		}
		if (e->has_tmp)
			dev->ops->bo_destroy(dev, &e->tmp);
		s->arena_used -= e->arena_bytes;
		if (!s->arena_used && !s->arena_pending)
			s->arena_head = 0;
		s->head = e->next;
		if (!s->head)
			s->tail = NULL;
		s->retired_seq = e->seq;
		free(e);
	}
	return XPU_SUCCESS;
}

int xpu_arena_alloc(xpu_stream *s, uint32_t n, uint32_t *off)
{
	n = (n + 63) & ~63u;
	if (n > XPU_ARENA_SIZE)
		return -1;
	for (;;) {
		uint32_t head = s->arena_head, need, start;

		if (head + n <= XPU_ARENA_SIZE) {
			start = head;
			need = n;
		} else {
			start = 0;
			need = XPU_ARENA_SIZE - head + n;
		}
		if (s->arena_used + need <= XPU_ARENA_SIZE) {
			s->arena_head = start + n;
			s->arena_used += need;
			s->arena_pending += need;
			*off = start;
			return 0;
		}
		if (!s->head)
			return -1;
		/* the oldest entry frees its space when it retires */
		xpu_retire(s, s->head->seq, INT64_MAX);
	}
}

static struct xpu_entry *entry_new(xpu_stream *s, int kind)
{
	struct xpu_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->kind = kind;
	e->seq = ++s->seq;
	e->arena_bytes = s->arena_pending;
	s->arena_pending = 0;
	return e;
}

static void entry_append(xpu_stream *s, struct xpu_entry *e)
{
	if (s->tail)
		s->tail->next = e;
	else
		s->head = e;
	s->tail = e;
}

xpu_status xpu_stream_launch_locked(xpu_stream *s, const xpu_module *mod,
				    const struct xpu_image_kernel *k, const uint64_t *slots,
				    uint32_t nslots, xpu_buffer *const *bufs, uint32_t nbufs,
				    const struct xpu_bo *extra, uint32_t nextra,
				    const struct xpu_bo *tmp, const char *what)
{
	xpu_device *dev = s->dev;
	uint32_t bos[XPU_META_MAX_ARGS + 8], nbos = 0, off;
	struct xpu_sync waits[XPU_MAX_WAITS + 1];
	struct xpu_submit sub;
	struct xpu_entry *e;
	xpu_status st;

	if (s->err)
		return xpu_stream_error(s);
	if (xpu_arena_alloc(s, nslots ? nslots * XPU_ARG_SLOT_BYTES : 8, &off))
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "argument arena full");
	memcpy((uint8_t *)s->arena.cpu + off, slots, nslots * XPU_ARG_SLOT_BYTES);
	bos[nbos++] = s->arena.handle;
	bos[nbos++] = mod->text->bo.handle;
	for (uint32_t i = 0; i < nbufs && nbos < sizeof(bos) / sizeof(bos[0]); i++)
		if (bufs[i])
			bos[nbos++] = bufs[i]->bo.handle;
	for (uint32_t i = 0; i < nextra && nbos < sizeof(bos) / sizeof(bos[0]); i++)
		bos[nbos++] = extra[i].handle;
	memcpy(waits, s->waits, s->num_waits * sizeof(waits[0]));
	waits[s->num_waits].tl = s->tl;
	waits[s->num_waits].point = s->tl_point;
	waits[s->num_waits].dev = NULL;
	waits[s->num_waits].owned = 0;

	memset(&sub, 0, sizeof(sub));
	sub.queue = s->queue;
	sub.prog_va = mod->text->bo.va + k->text_offset;
	sub.prog_len = k->text_size;
	sub.args_va = s->arena.va + off;
	sub.args_len = nslots * XPU_ARG_SLOT_BYTES;
	sub.bos = bos;
	sub.num_bos = nbos;
	sub.waits = waits;
	sub.num_waits = s->num_waits + (s->tl_point ? 1 : 0);
	sub.signal.tl = s->tl;
	sub.signal.point = s->tl_point + 1;

	e = entry_new(s, XPU_ENTRY_JOB);
	if (!e)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	if (tmp) {
		e->tmp = *tmp;
		e->has_tmp = 1;
	}
	snprintf(e->what, sizeof(e->what), "%s", what);
	if (dev->prof_id)
		e->submit_ns = xpu_now_ns();
	st = dev->ops->submit(dev, &sub, &e->job);
	if (st) {
		/* keep the entry as a no-op so its staging is released in order */
		e->kind = XPU_ENTRY_MARKER;
		entry_append(s, e);
		return st;
	}
	s->tl_point++;
	/* the job holds the fences it waits for: imported ones can go */
	drop_owned_waits(s);
	s->num_waits = 0;
	entry_append(s, e);
	/* retire what is already done to keep the FIFO short */
	xpu_retire(s, s->seq, 0);
	return XPU_SUCCESS;
}

xpu_status xpu_stream_host_copy_locked(xpu_stream *s, void *dst, const void *src, size_t n,
				      const struct xpu_bo *tmp)
{
	struct xpu_entry *e = entry_new(s, XPU_ENTRY_HOST_COPY);

	if (!e)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	e->dst = dst;
	e->src = src;
	e->n = n;
	if (tmp) {
		e->tmp = *tmp;
		e->has_tmp = 1;
	}
	entry_append(s, e);
	return XPU_SUCCESS;
}

xpu_status xpu_internal_stream(xpu_device *dev, xpu_stream **out)
{
	xpu_status st = XPU_SUCCESS;

	pthread_mutex_lock(&dev->lock);
	if (!dev->internal)
		st = xpu_stream_new(dev, 0, &dev->internal);
	*out = dev->internal;
	pthread_mutex_unlock(&dev->lock);
	return st;
}

xpu_status xpu_internal_sync(xpu_stream *s)
{
	xpu_status st;

	pthread_mutex_lock(&s->lock);
	st = xpu_retire(s, s->seq, INT64_MAX);
	if (!st && s->err) {
		st = xpu_stream_error(s);
		s->err = XPU_SUCCESS;	/* one failed copy must not poison the device */
	}
	pthread_mutex_unlock(&s->lock);
	return st;
}

/* ---- public stream API ----------------------------------------------------- */
XPU_EXPORT xpu_status xpu_stream_create(xpu_device *dev, uint32_t queue, xpu_stream **stream)
{
	if (!dev || !stream)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	*stream = NULL;
	return xpu_ok(xpu_stream_new(dev, queue, stream));
}

XPU_EXPORT xpu_status xpu_stream_destroy(xpu_stream *s)
{
	xpu_status st;

	if (!s)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "stream is NULL");
	pthread_mutex_lock(&s->lock);
	st = xpu_retire(s, s->seq, INT64_MAX);
	pthread_mutex_unlock(&s->lock);
	xpu_stream_put(s);
	(void)st;
	xpu_clear_error();
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_stream_synchronize(xpu_stream *s, uint64_t timeout_ns)
{
	xpu_status st;

	if (!s)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "stream is NULL");
	pthread_mutex_lock(&s->lock);
	st = xpu_retire(s, s->seq, xpu_deadline(timeout_ns));
	if (st == XPU_ERROR_TIMEOUT)
		st = xpu_set_error(XPU_ERROR_TIMEOUT, "stream on queue %u: %llu of %llu entries "
				   "not done after %llu ns", s->queue,
				   (unsigned long long)(s->seq - s->retired_seq),
				   (unsigned long long)s->seq, (unsigned long long)timeout_ns);
	else if (!st && s->err)
		st = xpu_stream_error(s);
	pthread_mutex_unlock(&s->lock);
	return xpu_ok(st);
}

XPU_EXPORT xpu_status xpu_stream_query(xpu_stream *s)
{
	xpu_status st;

	if (!s)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "stream is NULL");
	pthread_mutex_lock(&s->lock);
	st = xpu_retire(s, s->seq, 0);
	if (st == XPU_ERROR_TIMEOUT)
		st = xpu_set_error(XPU_ERROR_NOT_READY, "stream on queue %u: %llu entries pending",
				   s->queue, (unsigned long long)(s->seq - s->retired_seq));
	else if (!st && s->err)
		st = xpu_stream_error(s);
	pthread_mutex_unlock(&s->lock);
	return xpu_ok(st);
}

/*
 * s waits for point of es's timeline, es of another device (same backend):
 * the backend makes a wait s's device can use (host: the other device's
 * timeline, waited for by the worker; DRM: the fence exported as a sync
 * file and imported into a syncobj of s's fd).
 */
static xpu_status wait_foreign(xpu_stream *s, xpu_stream *es, uint64_t point)
{
	struct xpu_sync w;
	xpu_status st;

	memset(&w, 0, sizeof(w));
	pthread_mutex_lock(&s->lock);
	if (s->err) {
		st = xpu_stream_error(s);
	} else if (s->num_waits < XPU_MAX_WAITS) {
		st = s->dev->ops->import_wait(s->dev, es->dev, es->tl, point, &w);
		if (!st)
			s->waits[s->num_waits++] = w;
	} else {
		/* out of wait slots: wait on the host instead */
		st = es->dev->ops->timeline_wait(es->dev, es->tl, point, INT64_MAX);
	}
	pthread_mutex_unlock(&s->lock);
	return st;
}

XPU_EXPORT xpu_status xpu_stream_wait_event(xpu_stream *s, xpu_event *ev)
{
	xpu_stream *es;
	uint64_t point;
	xpu_status st = XPU_SUCCESS;

	if (!s || !ev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (ev->dev != s->dev && (ev->dev->ops != s->dev->ops || !s->dev->ops->import_wait))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "event of a device of another backend: cannot be waited for");
	pthread_mutex_lock(&ev->lock);
	es = ev->stream;
	point = ev->tl_point;
	if (es)
		__atomic_add_fetch(&es->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&ev->lock);
	if (!es || es == s || !point) {
		if (es)
			xpu_stream_put(es);
		return xpu_ok(XPU_SUCCESS);	/* in order anyway, or nothing to wait for */
	}
	if (es->dev != s->dev) {
		st = wait_foreign(s, es, point);
		xpu_stream_put(es);
		return xpu_ok(st);
	}
	pthread_mutex_lock(&s->lock);
	if (s->err) {
		st = xpu_stream_error(s);
	} else {
		for (uint32_t i = 0; i < s->num_waits; i++) {
			if (!s->waits[i].dev && !s->waits[i].owned && s->waits[i].tl == es->tl) {
				if (s->waits[i].point < point)
					s->waits[i].point = point;
				point = 0;
			}
		}
		if (point && s->num_waits < XPU_MAX_WAITS) {
			memset(&s->waits[s->num_waits], 0, sizeof(s->waits[0]));
			s->waits[s->num_waits].tl = es->tl;
			s->waits[s->num_waits].point = point;
			s->num_waits++;
		} else if (point) {
			/* out of wait slots: wait on the host instead */
			st = s->dev->ops->timeline_wait(s->dev, es->tl, point, INT64_MAX);
		}
	}
	pthread_mutex_unlock(&s->lock);
	xpu_stream_put(es);
	return xpu_ok(st);
}

/* ---- events ---------------------------------------------------------------- */
static void event_put(xpu_event *ev)
{
	if (__atomic_sub_fetch(&ev->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (ev->stream)
		xpu_stream_put(ev->stream);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

XPU_EXPORT xpu_status xpu_event_create(xpu_device *dev, xpu_event **out)
{
	xpu_event *ev;

	if (!dev || !out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	ev->dev = dev;
	ev->refs = 1;
	pthread_mutex_init(&ev->lock, NULL);
	*out = ev;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_event_destroy(xpu_event *ev)
{
	if (!ev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "event is NULL");
	event_put(ev);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_event_record(xpu_event *ev, xpu_stream *s)
{
	struct xpu_entry *e;
	xpu_stream *old;

	if (!ev || !s)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (ev->dev != s->dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "event of another device");
	pthread_mutex_lock(&s->lock);
	if (s->err) {
		xpu_status st = xpu_stream_error(s);

		pthread_mutex_unlock(&s->lock);
		return st;
	}
	e = entry_new(s, XPU_ENTRY_MARKER);
	if (!e) {
		pthread_mutex_unlock(&s->lock);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	}
	__atomic_add_fetch(&ev->refs, 1, __ATOMIC_ACQ_REL);
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
	e->ev = ev;
	pthread_mutex_lock(&ev->lock);
	old = ev->stream;
	ev->stream = s;
	ev->seq = e->seq;
	ev->gen++;
	e->ev_gen = ev->gen;
	ev->done = 0;
	ev->tl_point = s->tl_point;
	pthread_mutex_unlock(&ev->lock);
	entry_append(s, e);
	xpu_retire(s, s->seq, 0);
	pthread_mutex_unlock(&s->lock);
	if (old)
		xpu_stream_put(old);
	return xpu_ok(XPU_SUCCESS);
}

/* Wait (deadline) for the event; NOT_READY/TIMEOUT as asked. */
static xpu_status event_wait(xpu_event *ev, int64_t deadline, xpu_status late)
{
	xpu_stream *s;
	uint64_t seq, point;
	int done;
	xpu_status st;

	pthread_mutex_lock(&ev->lock);
	s = ev->stream;
	seq = ev->seq;
	point = ev->tl_point;
	done = ev->done;
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&ev->lock);
	if (!s)
		return XPU_SUCCESS;	/* never recorded: nothing to wait for */
	/* the device-side wait first, without holding the stream lock */
	if (!done && point && deadline > 0) {
		st = s->dev->ops->timeline_wait(s->dev, s->tl, point, deadline);
		if (st == XPU_ERROR_TIMEOUT) {
			xpu_stream_put(s);
			return xpu_set_error(late, "event not reached (job %llu of the stream)",
					     (unsigned long long)point);
		}
	}
	pthread_mutex_lock(&s->lock);
	st = xpu_retire(s, seq, deadline);
	if (st == XPU_ERROR_TIMEOUT)
		st = xpu_set_error(late, "event not reached: %llu stream entries before it pending",
				   (unsigned long long)(seq - s->retired_seq));
	else if (!st && s->err && s->err_seq <= seq)
		st = xpu_stream_error(s);
	pthread_mutex_unlock(&s->lock);
	xpu_stream_put(s);
	return st;
}

XPU_EXPORT xpu_status xpu_event_query(xpu_event *ev)
{
	if (!ev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "event is NULL");
	return xpu_ok(event_wait(ev, 0, XPU_ERROR_NOT_READY));
}

XPU_EXPORT xpu_status xpu_event_synchronize(xpu_event *ev, uint64_t timeout_ns)
{
	if (!ev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "event is NULL");
	return xpu_ok(event_wait(ev, xpu_deadline(timeout_ns), XPU_ERROR_TIMEOUT));
}

XPU_EXPORT xpu_status xpu_event_elapsed(xpu_event *a, xpu_event *b, uint64_t *cycles,
					double *us)
{
	uint64_t ca, cb;
	xpu_stream *sa, *sb;
	int da, db;

	if (!a || !b)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL event");
	pthread_mutex_lock(&a->lock);
	sa = a->stream;
	da = a->done;
	ca = a->cycles;
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_lock(&b->lock);
	sb = b->stream;
	db = b->done;
	cb = b->cycles;
	pthread_mutex_unlock(&b->lock);
	if (!sa || !sb)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "event never recorded");
	if (sa != sb)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "events recorded on different streams: device time is per queue");
	if (!da || !db)
		return xpu_set_error(XPU_ERROR_NOT_READY, "event not completed (query or synchronize it)");
	if (cb < ca)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "end event recorded before start event");
	if (cycles)
		*cycles = cb - ca;
	if (us)
		*us = (double)(cb - ca) / sa->dev->props.clock_mhz;
	return xpu_ok(XPU_SUCCESS);
}
