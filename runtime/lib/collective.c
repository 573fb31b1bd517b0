// SPDX-License-Identifier: MIT
/*
 * libxpu collectives: communicators, schedules and their execution
 * (docs/collectives.md is the guide).
 *
 * A collective is first built as a schedule (collective_sched.c: numbered
 * steps of REDUCE and COPY operations on ranges of the ranks' buffers),
 * then run here: REDUCE is the kernel of collective_kernels.c, COPY one
 * DMA job, each on its rank's stream.
 *
 * Execution queues every step on every rank's stream at once and returns:
 * before step k, rank r's stream waits (device side, xpu_stream_wait_event
 * on events of other devices) for the end of step k-1 of every rank it reads
 * from at step k (the data is there) and of every rank that read from it at
 * step k-1 (nobody still reads what it overwrites); step 0 waits for the
 * collective's start on every rank it exchanges with (earlier work on their
 * streams), and the ranks' next work waits for the last readers of their
 * buffers. A wait applies to the stream's next job: they are collected per
 * (rank, peer) and issued just before the rank's next job, so a rank idle
 * for some steps still honours them, one wait per peer.
 *
 * Modeled time: an event per rank after every step gives each rank's job
 * cycles of the step; the collective's modeled time is the sum over steps
 * of the slowest rank's step (a step-synchronous critical path).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coll_internal.h"

struct xpu_comm {
	int n;
	xpu_device **devs;
	struct coll_kernels *kern;	/* per rank */
	enum xpu_peer_path *path;	/* [r * n + p]: how rank r reaches rank p */
	int grid_x;			/* torus: ranks per row (rank = y * grid_x + x); 0 none */
	pthread_mutex_t lock;		/* one collective at a time; the fields below */
	enum xpu_coll_algo algo;	/* requested */
	xpu_event **ev;			/* [r * ev_cap + k]: rank r before step k (k = 0: start) */
	uint32_t ev_cap;
	xpu_buffer **scratch;		/* per rank: out-of-place reduce-scatter partials */
	/* the last collective */
	uint32_t last_steps;
	enum xpu_coll_algo last_algo;
	uint64_t last_link_bytes;
	int last_valid;
};
/* ---- execution --------------------------------------------------------------- */
static xpu_status ensure_events(xpu_comm *c, uint32_t per_rank)
{
	xpu_event **ev;

	if (per_rank <= c->ev_cap)
		return XPU_SUCCESS;
	ev = calloc((size_t)c->n * per_rank, sizeof(*ev));
	if (!ev)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	for (int r = 0; r < c->n; r++) {
		for (uint32_t k = 0; k < per_rank; k++) {
			xpu_status st;

			if (k < c->ev_cap) {
				ev[r * per_rank + k] = c->ev[r * c->ev_cap + k];
				continue;
			}
			st = xpu_event_create(c->devs[r], &ev[r * per_rank + k]);
			if (st) {
				for (int q = 0; q <= r; q++)
					for (uint32_t i = c->ev_cap; i < per_rank; i++)
						if (ev[q * per_rank + i])
							xpu_event_destroy(ev[q * per_rank + i]);
				free(ev);
				return st;
			}
		}
	}
	free(c->ev);
	c->ev = ev;
	c->ev_cap = per_rank;
	c->last_valid = 0;
	return XPU_SUCCESS;
}

static xpu_event *event_at(xpu_comm *c, int r, uint32_t k)
{
	return c->ev[r * c->ev_cap + k];
}

/* One operation on its rank's stream. */
static xpu_status queue_op(xpu_comm *c, const struct coll_op *o, xpu_stream *s, int rtype)
{
	xpu_device *dev = c->devs[o->rank];
	xpu_buffer *bufs[3];
	uint32_t nb = 0;
	uint64_t src;
	char what[96];
	xpu_status st = xpu_buffer_peer_va(o->src.buf, dev, &src);

	if (st)
		return xpu_set_error(st, "rank %d cannot reach rank %d's buffer: %s", o->rank,
				     o->peer, xpu_last_error());
	src += o->src.off;
	bufs[nb++] = o->dst.buf;
	if (o->own.buf && o->own.buf != o->dst.buf)
		bufs[nb++] = o->own.buf;
	if (o->src.buf->dev == dev && o->src.buf != o->dst.buf && o->src.buf != o->own.buf)
		bufs[nb++] = o->src.buf;
	snprintf(what, sizeof(what), "collective step %u on rank %d (%s from rank %d)", o->step,
		 o->rank, o->kind == OP_REDUCE ? "reduce" : "copy", o->peer);
	if (o->kind == OP_REDUCE)
		return coll_queue_reduce(s, &c->kern[o->rank], rtype, o->dst.buf->bo.va + o->dst.off,
					 o->own.buf->bo.va + o->own.off, src, o->bytes, bufs, nb,
					 what);
	return coll_queue_copy(s, o->dst.buf->bo.va + o->dst.off, src, o->bytes, bufs, nb, what);
}

/*
 * Waits are collected per (rank, peer) as the newest event index needed and
 * issued just before the rank's next job (or at the end): a wait applies to
 * the stream's next job anyway, and one wait per peer and job keeps within
 * a stream's wait slots however long a rank stays idle.
 */
static xpu_status flush_waits(xpu_comm *c, xpu_stream *const *streams, uint32_t *need,
			      uint32_t *done, int r)
{
	for (int p = 0; p < c->n; p++) {
		uint32_t k = need[r * c->n + p];
		xpu_status st;

		if (k <= done[r * c->n + p])
			continue;
		done[r * c->n + p] = k;
		st = xpu_stream_wait_event(streams[r], event_at(c, p, k - 1));
		if (st)
			return st;
	}
	return XPU_SUCCESS;
}

static void need_wait(xpu_comm *c, xpu_stream *const *streams, uint32_t *need, int r,
		      uint64_t mask, uint32_t ev_index)
{
	for (int p = 0; p < c->n; p++)
		if ((mask >> p & 1) && streams[p] != streams[r] && need[r * c->n + p] < ev_index + 1)
			need[r * c->n + p] = ev_index + 1;
}

static xpu_status run_sched(xpu_comm *c, struct coll_sched *s, xpu_stream *const *streams,
			    int rtype)
{
	int n = c->n;
	uint32_t steps = s->steps, *need = NULL, *done = NULL;
	uint64_t *reads = NULL, *readby = NULL, any_read[COLL_MAX_RANKS] = { 0 };
	uint64_t link = 0;
	xpu_status st;

	c->last_valid = 0;
	if (s->oom)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "collective schedule");
	st = ensure_events(c, steps + 1);
	if (st)
		return st;
	reads = calloc((size_t)steps * n + 1, sizeof(*reads));
	readby = calloc((size_t)steps * n + 1, sizeof(*readby));
	need = calloc((size_t)n * n, sizeof(*need));
	done = calloc((size_t)n * n, sizeof(*done));
	if (!reads || !readby || !need || !done) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
		goto out;
	}
	for (uint32_t i = 0; i < s->nops; i++) {
		const struct coll_op *o = &s->ops[i];

		if (o->peer == o->rank)
			continue;
		reads[o->step * n + o->rank] |= 1ull << o->peer;
		readby[o->step * n + o->peer] |= 1ull << o->rank;
		any_read[o->rank] |= 1ull << o->peer;
		any_read[o->peer] |= 1ull << o->rank;
		if (c->path[o->rank * n + o->peer] == XPU_PEER_LINK)
			link += o->bytes;
	}
	for (int r = 0; r < n; r++) {
		st = xpu_event_record(event_at(c, r, 0), streams[r]);
		if (st)
			goto out;
	}
	for (uint32_t k = 0, i = 0; k < steps; k++) {
		for (int r = 0; r < n; r++)
			need_wait(c, streams, need, r, k ? reads[k * n + r] | readby[(k - 1) * n + r] :
							   any_read[r], k);
		/* ops are sorted by step; within a step, in rank order per stream */
		for (; i < s->nops && s->ops[i].step == k; i++) {
			st = flush_waits(c, streams, need, done, s->ops[i].rank);
			if (!st)
				st = queue_op(c, &s->ops[i], streams[s->ops[i].rank], rtype);
			if (st)
				goto out;
		}
		for (int r = 0; r < n; r++) {
			st = xpu_event_record(event_at(c, r, k + 1), streams[r]);
			if (st)
				goto out;
		}
	}
	/* what a rank does next waits for the ranks that read its buffers */
	for (int r = 0; r < n && steps; r++) {
		need_wait(c, streams, need, r, any_read[r], steps);
		st = flush_waits(c, streams, need, done, r);
		if (st)
			goto out;
	}
	c->last_steps = steps;
	c->last_algo = s->algo;
	c->last_link_bytes = link;
	c->last_valid = 1;
out:
	free(reads);
	free(readby);
	free(need);
	free(done);
	return st;
}
/* ---- argument checks --------------------------------------------------------- */
static xpu_status check_common(xpu_comm *c, xpu_stream *const *streams, const char *fn)
{
	if (!c)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s: comm is NULL", fn);
	if (!streams)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s: streams is NULL", fn);
	for (int r = 0; r < c->n; r++) {
		if (!streams[r])
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s: streams[%d] is NULL",
					     fn, r);
		if (streams[r]->dev != c->devs[r])
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "%s: streams[%d] belongs to another device than rank %d "
					     "of the communicator", fn, r, r);
	}
	return XPU_SUCCESS;
}

static xpu_status check_bufs(xpu_comm *c, xpu_buffer *const *bufs, const char *what,
			     uint64_t need, uint64_t count, size_t esz, const char *fn)
{
	if (!bufs)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", fn, what);
	for (int r = 0; r < c->n; r++) {
		if (!bufs[r])
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s: %s[%d] is NULL", fn,
					     what, r);
		if (bufs[r]->dev != c->devs[r])
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "%s: %s[%d] is a buffer of another device than rank %d",
					     fn, what, r, r);
		if (need > bufs[r]->size)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "%s: %s[%d] has %llu bytes, %llu needed (count %llu x "
					     "%zu bytes%s)", fn, what, r,
					     (unsigned long long)bufs[r]->size,
					     (unsigned long long)need, (unsigned long long)count, esz,
					     need != count * esz ? " per rank" : "");
	}
	return XPU_SUCCESS;
}

/*
 * The two sides of reduce-scatter and all-gather: whole[r] holds the n parts
 * (bytes), part[r] one part (count elements), except in place (part[r] ==
 * whole[r]), where the rank's part lies inside whole[r].
 */
static xpu_status check_whole_and_part(xpu_comm *c, xpu_buffer *const *whole,
				       const char *wname, uint64_t bytes,
				       xpu_buffer *const *part, const char *pname,
				       size_t count, size_t esz, const char *fn)
{
	xpu_status st = check_bufs(c, whole, wname, bytes, count, esz, fn);

	if (!st)
		st = check_bufs(c, part, pname, 0, count, esz, fn);
	for (int r = 0; !st && r < c->n; r++)
		if (part[r] != whole[r] && count * esz > part[r]->size)
			st = check_bufs(c, part, pname, count * esz, count, esz, fn);
	return st;
}

/* bytes of count elements of dtype (times mul); INVALID_ARGUMENT on overflow */
static xpu_status elem_bytes(enum xpu_dtype dtype, int reduce, size_t count, uint64_t mul,
			     size_t *esz, uint64_t *bytes, const char *fn)
{
	uint64_t b;

	*esz = xpu_dtype_size(dtype);
	if (!*esz)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s: dtype %d is not a data type",
				     fn, (int)dtype);
	if (reduce && coll_rtype(dtype) < 0)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "%s: dtype %s: reductions add int32, float32 and bfloat16",
				     fn, xpu_dtype_name(dtype));
	if (__builtin_mul_overflow((uint64_t)count, (uint64_t)*esz, &b) ||
	    __builtin_mul_overflow(b, mul, &b))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s: count %zu overflows", fn,
				     count);
	*bytes = b;
	return XPU_SUCCESS;
}

static xpu_status check_op(enum xpu_redop op, const char *fn)
{
	if (op != XPU_RED_SUM)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "%s: reduction op %d: only XPU_RED_SUM exists", fn, (int)op);
	return XPU_SUCCESS;
}

/*
 * The checks every collective starts with, in this order: the communicator
 * and its streams, the reduction op (op NULL: not a reduction), the data
 * type, and the bytes of count elements (*esz each), times the number of
 * ranks if per_rank.
 */
static xpu_status check_call(xpu_comm *c, xpu_stream *const *streams, const enum xpu_redop *op,
			     enum xpu_dtype dtype, size_t count, int per_rank, size_t *esz,
			     uint64_t *bytes, const char *fn)
{
	xpu_status st = check_common(c, streams, fn);

	if (!st && op)
		st = check_op(*op, fn);
	if (!st)
		st = elem_bytes(dtype, op != NULL, count, per_rank ? (uint64_t)c->n : 1, esz,
				bytes, fn);
	return st;
}

/* the grid of a 2-D collective: the torus found at create, else a x b with
 * a the smallest divisor of n such that a * a >= n */
static xpu_status grid_of(xpu_comm *c, int *a, int *b)
{
	int x = c->grid_x;

	if (!x)
		for (int d = 2; d < c->n; d++)
			if (c->n % d == 0 && d * d >= c->n) {
				x = d;
				break;
			}
	if (!x || c->n / x < 2)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "2-D collectives need n = a x b ranks with a, b >= 2 (n = %d)",
				     c->n);
	*a = x;
	*b = c->n / x;
	return XPU_SUCCESS;
}

/* ---- communicators ------------------------------------------------------------ */
/*
 * The torus width a if the ranks form an a x b torus in row-major order
 * (rank y*a + x), else 0. Rows run along one port pair and columns along the
 * other: every rank has port px cabled to the chip of (x+1, y) and port py
 * to the chip of (x, y+1), with (px, py) = (0, 2) for all ranks (as
 * XPU_TOPO_TORUS2D and xpu-vm --links torus2d:AxB cable chips in rank order)
 * or (2, 0) for all ranks (the same torus with the ranks numbered along its
 * other dimension). The smallest such a >= 2 with b = n / a >= 2 wins.
 * Peers are compared by chip id, so ranks that share a device work too (8
 * ranks over the 4 chips of a 2x2 torus, rank r on chip r mod 4: a 2 x 4
 * grid). docs/collectives.md "Algorithms" states this rule; the 2-D
 * reduction order is a function of (a, b) alone.
 */
static int torus_fits(xpu_comm *c, const uint32_t *chip, int a, uint32_t px, uint32_t py)
{
	int b = c->n / a;

	for (int r = 0; r < c->n; r++) {
		int x = r % a, y = r / a;
		struct xpu_link_info lx, ly;

		if (xpu_device_get_link_info(c->devs[r], px, &lx) ||
		    xpu_device_get_link_info(c->devs[r], py, &ly) ||
		    lx.state == XPU_LINK_STATE_NONE || ly.state == XPU_LINK_STATE_NONE ||
		    lx.peer_chip != chip[y * a + (x + 1) % a] ||
		    ly.peer_chip != chip[((y + 1) % b) * a + x])
			return 0;
	}
	return 1;
}

static int find_torus(xpu_comm *c)
{
	uint32_t chip[COLL_MAX_RANKS], nl;
	int a;

	for (int r = 0; r < c->n; r++) {
		if (xpu_device_get_chip_id(c->devs[r], &chip[r]) ||
		    xpu_device_get_link_count(c->devs[r], &nl) || nl < 4)
			return 0;
	}
	for (a = 2; a <= c->n / 2; a++)
		if (c->n % a == 0 && (torus_fits(c, chip, a, 0, 2) || torus_fits(c, chip, a, 2, 0)))
			return a;
	return 0;
}

XPU_EXPORT xpu_status xpu_comm_destroy(xpu_comm *c)
{
	if (!c)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "comm is NULL");
	/* queued collective jobs may still use the scratch buffers: wait for
	 * everything the communicator's events captured */
	for (int r = 0; r < c->n; r++)
		for (uint32_t k = 0; k < c->ev_cap; k++)
			xpu_event_synchronize(event_at(c, r, k), XPU_WAIT_FOREVER);
	for (int r = 0; r < c->n; r++) {
		if (c->kern)
			coll_kernels_unload(&c->kern[r]);
		if (c->scratch && c->scratch[r])
			xpu_buffer_free(c->scratch[r]);
		for (uint32_t k = 0; k < c->ev_cap; k++)
			xpu_event_destroy(event_at(c, r, k));
	}
	free(c->ev);
	free(c->scratch);
	free(c->kern);
	free(c->path);
	free(c->devs);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_comm_create(xpu_device *const *devs, int n, xpu_comm **out)
{
	xpu_comm *c;
	xpu_status st = XPU_SUCCESS;

	if (!out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "xpu_comm_create: comm is NULL");
	*out = NULL;
	if (n < 1 || n > COLL_MAX_RANKS)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_comm_create: n = %d, a communicator has 1 to %d ranks", n,
				     COLL_MAX_RANKS);
	if (!devs)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "xpu_comm_create: devs is NULL");
	for (int r = 0; r < n; r++)
		if (!devs[r])
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "xpu_comm_create: devs[%d] is NULL", r);
	c = calloc(1, sizeof(*c));
	if (!c)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	pthread_mutex_init(&c->lock, NULL);
	c->n = n;
	c->devs = calloc(n, sizeof(*c->devs));
	c->kern = calloc(n, sizeof(*c->kern));
	c->path = calloc((size_t)n * n, sizeof(*c->path));
	c->scratch = calloc(n, sizeof(*c->scratch));
	if (!c->devs || !c->kern || !c->path || !c->scratch) {
		xpu_comm_destroy(c);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	}
	memcpy(c->devs, devs, n * sizeof(*devs));
	for (int r = 0; r < n && !st; r++) {
		for (int p = 0; p < n && !st; p++) {
			enum xpu_peer_path *path = &c->path[r * n + p];

			if (devs[r] == devs[p]) {
				*path = XPU_PEER_SELF;
				continue;
			}
			st = xpu_device_enable_peer_access(devs[r], devs[p]);
			if (st) {
				st = xpu_set_error(st, "xpu_comm_create: rank %d cannot reach rank "
						   "%d: %s", r, p, xpu_last_error());
				break;
			}
			st = xpu_device_can_access_peer(devs[r], devs[p], path);
		}
	}
	for (int r = 0; r < n && !st; r++)
		st = coll_kernels_load(devs[r], &c->kern[r]);
	if (st) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", xpu_last_error());
		xpu_comm_destroy(c);
		return xpu_set_error(st, "%s", msg);
	}
	c->grid_x = find_torus(c);
	*out = c;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_comm_set_algorithm(xpu_comm *c, enum xpu_coll_algo algo)
{
	if (!c)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "comm is NULL");
	if (algo < XPU_COLL_AUTO || algo > XPU_COLL_2D)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "algorithm %d: XPU_COLL_AUTO, RING, TREE or 2D", (int)algo);
	if (algo == XPU_COLL_2D) {
		int a, b;
		xpu_status st = grid_of(c, &a, &b);

		if (st)
			return st;
	}
	pthread_mutex_lock(&c->lock);
	c->algo = algo;
	pthread_mutex_unlock(&c->lock);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_comm_get_stats(xpu_comm *c, struct xpu_coll_stats *stats)
{
	xpu_status st = XPU_SUCCESS;
	uint64_t total = 0;

	if (!c || !stats)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	pthread_mutex_lock(&c->lock);
	if (!c->last_valid) {
		pthread_mutex_unlock(&c->lock);
		return xpu_set_error(XPU_ERROR_NOT_READY, "no collective has run on the communicator");
	}
	for (uint32_t k = 0; k < c->last_steps && !st; k++) {
		uint64_t worst = 0;

		for (int r = 0; r < c->n && !st; r++) {
			uint64_t cy = 0;

			st = xpu_event_query(event_at(c, r, k + 1));
			if (st == XPU_ERROR_NOT_READY)
				st = xpu_set_error(st, "the last collective is still running on rank "
						   "%d (synchronize its streams first)", r);
			if (!st)
				st = xpu_event_query(event_at(c, r, k));
			if (!st)
				st = xpu_event_elapsed(event_at(c, r, k), event_at(c, r, k + 1), &cy,
						       NULL);
			if (cy > worst)
				worst = cy;
		}
		total += worst;
	}
	if (!st) {
		memset(stats, 0, sizeof(*stats));
		stats->modeled_cycles = total;
		stats->modeled_us = (double)total / (c->devs[0]->props.clock_mhz ?
						     c->devs[0]->props.clock_mhz : 1);
		stats->link_bytes = c->last_link_bytes;
		stats->steps = c->last_steps;
		stats->algo = c->last_algo;
	}
	pthread_mutex_unlock(&c->lock);
	return xpu_ok(st);
}

/* Scratch of at least bytes on every rank that reduce-scatters out of place. */
static xpu_status ensure_scratch(xpu_comm *c, xpu_buffer *const *send, xpu_buffer *const *recv,
				 uint64_t bytes)
{
	for (int r = 0; r < c->n; r++) {
		xpu_buffer *b;
		xpu_status st;

		if (send[r] == recv[r] || (c->scratch[r] && c->scratch[r]->size >= bytes))
			continue;
		if (c->scratch[r]) {
			/* earlier collectives may still use it: let them finish */
			for (int q = 0; q < c->n; q++)
				for (uint32_t k = 0; k < c->ev_cap; k++)
					xpu_event_synchronize(event_at(c, q, k), XPU_WAIT_FOREVER);
			xpu_buffer_free(c->scratch[r]);
			c->scratch[r] = NULL;
		}
		st = xpu_buffer_alloc(c->devs[r], bytes, XPU_MEM_DEVICE, &b);
		if (st)
			return xpu_set_error(st, "xpu_reduce_scatter: scratch of %llu bytes on rank "
					     "%d: %s", (unsigned long long)bytes, r, xpu_last_error());
		c->scratch[r] = b;
	}
	return XPU_SUCCESS;
}

static xpu_status finish(xpu_comm *c, struct coll_sched *s, xpu_stream *const *streams,
			 int rtype)
{
	xpu_status st;

	coll_sched_sort(s);
	st = run_sched(c, s, streams, rtype);
	free(s->ops);
	pthread_mutex_unlock(&c->lock);
	return xpu_ok(st);
}

XPU_EXPORT xpu_status xpu_all_reduce(xpu_comm *c, xpu_buffer *const *send,
				     xpu_buffer *const *recv, size_t count, enum xpu_dtype dtype,
				     enum xpu_redop op, xpu_stream *const *streams)
{
	static const char fn[] = "xpu_all_reduce";
	struct coll_sched s = { 0 };
	enum xpu_coll_algo algo;
	uint64_t bytes = 0;
	size_t esz = 0;
	xpu_status st = check_call(c, streams, &op, dtype, count, 0, &esz, &bytes, fn);

	if (!st)
		st = check_bufs(c, send, "send", bytes, count, esz, fn);
	if (!st)
		st = check_bufs(c, recv, "recv", bytes, count, esz, fn);
	if (st)
		return st;
	pthread_mutex_lock(&c->lock);
	algo = c->algo;
	if (algo == XPU_COLL_AUTO)
		algo = c->grid_x ? XPU_COLL_2D : XPU_COLL_RING;
	s.algo = algo;
	if (c->n == 1) {
		coll_sched_single_copy(&s, recv[0], 0, send[0], 0, bytes);
	} else if (algo == XPU_COLL_TREE) {
		coll_sched_allreduce_tree(&s, c->n, send, recv, count, esz);
	} else if (algo == XPU_COLL_2D) {
		int a, b;

		st = grid_of(c, &a, &b);
		if (st) {
			pthread_mutex_unlock(&c->lock);
			return st;
		}
		coll_sched_allreduce_2d(&s, a, b, send, recv, count, esz);
	} else {
		coll_sched_allreduce_ring(&s, c->n, send, recv, count, esz);
	}
	return finish(c, &s, streams, coll_rtype(dtype));
}

XPU_EXPORT xpu_status xpu_reduce_scatter(xpu_comm *c, xpu_buffer *const *send,
					 xpu_buffer *const *recv, size_t count,
					 enum xpu_dtype dtype, enum xpu_redop op,
					 xpu_stream *const *streams)
{
	static const char fn[] = "xpu_reduce_scatter";
	struct coll_sched s = { 0 };
	uint64_t bytes = 0;
	size_t esz = 0;
	xpu_status st = check_call(c, streams, &op, dtype, count, 1, &esz, &bytes, fn);

	/* in place (send == recv) the result is the rank's own part of send */
	if (!st)
		st = check_whole_and_part(c, send, "send", bytes, recv, "recv", count, esz, fn);
	if (st)
		return st;
	pthread_mutex_lock(&c->lock);
	if (c->n > 2) {
		st = ensure_scratch(c, send, recv, 2 * count * esz);
		if (st) {
			pthread_mutex_unlock(&c->lock);
			return st;
		}
	}
	s.algo = XPU_COLL_RING;
	coll_sched_reduce_scatter(&s, c->n, send, recv, c->scratch, count, esz);
	return finish(c, &s, streams, coll_rtype(dtype));
}

XPU_EXPORT xpu_status xpu_all_gather(xpu_comm *c, xpu_buffer *const *send,
				     xpu_buffer *const *recv, size_t count, enum xpu_dtype dtype,
				     xpu_stream *const *streams)
{
	static const char fn[] = "xpu_all_gather";
	struct coll_sched s = { 0 };
	uint64_t bytes = 0;
	size_t esz = 0;
	xpu_status st = check_call(c, streams, NULL, dtype, count, 1, &esz, &bytes, fn);

	if (!st)
		st = check_whole_and_part(c, recv, "recv", bytes, send, "send", count, esz, fn);
	if (st)
		return st;
	pthread_mutex_lock(&c->lock);
	s.algo = XPU_COLL_RING;
	coll_sched_all_gather(&s, c->n, send, recv, count, esz);
	return finish(c, &s, streams, -1);
}

XPU_EXPORT xpu_status xpu_broadcast(xpu_comm *c, xpu_buffer *const *bufs, size_t count,
				    enum xpu_dtype dtype, int root, xpu_stream *const *streams)
{
	static const char fn[] = "xpu_broadcast";
	struct coll_sched s = { 0 };
	uint64_t bytes = 0;
	size_t esz = 0;
	xpu_status st = check_call(c, streams, NULL, dtype, count, 0, &esz, &bytes, fn);

	if (!st && (root < 0 || root >= c->n))
		st = xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s: root %d, the ranks are 0..%d",
				   fn, root, c->n - 1);
	if (!st)
		st = check_bufs(c, bufs, "bufs", bytes, count, esz, fn);
	if (st)
		return st;
	pthread_mutex_lock(&c->lock);
	s.algo = c->algo == XPU_COLL_TREE ? XPU_COLL_TREE : XPU_COLL_RING;
	if (s.algo == XPU_COLL_TREE)
		coll_sched_bcast_tree(&s, c->n, bufs, root, count, esz);
	else
		coll_sched_bcast_ring(&s, c->n, bufs, root, count, esz);
	return finish(c, &s, streams, -1);
}

