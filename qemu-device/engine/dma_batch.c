// SPDX-License-Identifier: MIT
/*
 * DMA copy batches: a DMA of at least min_total bytes does not move each
 * piece (a run of pages contiguous on both sides, dma.c and mmu.c) when it
 * has translated it. It collects the pieces between plain pointers (HBM,
 * SRAM, host memory mapped by xpu_mem.host_map in the job's thread) in
 * order, up to max_bytes, and moves them together (sizes: cfg_default):
 *
 *  - in parallel when no piece writes bytes that another piece reads or
 *    writes (the destinations apart from each other, in any order, and
 *    from the sources): the batch is cut into parts (grain) that the
 *    job's thread and the pool's workers (mxu_pool.c: taken only if free,
 *    never waited for) take from a shared counter. Each byte is then
 *    written once from bytes nobody writes, so the order does not matter.
 *    A DMA of stream_min bytes or more copies with non-temporal stores:
 *    not reading the destination first made 64 MiB out of guest RAM about
 *    1.4 times as fast, while a copy whose data stays cached gets slower;
 *  - else one piece after another in the DMA's order (memmove), exactly as
 *    without batching.
 *
 * Overlap: a batch that fills up while the DMA goes on is handed to the
 * pool's workers alone (when it is independent and the pool is free), and
 * the job's thread goes on translating and mapping the next one; before
 * that one moves, or anything else happens (every flush), the job's thread
 * takes the parts of the batch in flight that no worker has taken and waits
 * for the workers. So batches still move one after another, each whole
 * before the next begins: only the translation of batch i + 1 overlaps the
 * copy of batch i (on 2 host cores the translation and mapping of guest
 * pages was about a third of the job thread's time in a 64 MiB upload,
 * with the worker idle).
 *
 * The batch is moved before anything that is not a plain copy (a host
 * access through host_read/host_write for data, a link transfer, a
 * host-to-host bounce; page-table reads in host memory are not data: a
 * DMA may use the translations it made before its own writes to the page
 * tables, as docs/isa.md allows until MMU_INVALIDATE), and at every exit of the DMA, also on a fault, an error or an
 * abort: what the DMA has moved at any exit is what it moved without
 * batching (the pieces before the fault, error or abort poll, not one
 * byte after). What changes: the translations of a batch's pages are made
 * before its bytes move, as the run lookahead already did within a run, so
 * a DMA that rewrites its own page tables without an MMU invalidation may
 * use the old entries (docs/isa.md allows that). Abort: a batch is at most
 * max_bytes (8 MiB: a few ms at worst at memory speed), and polls stay where
 * they were (by work charged: xpu_dma_charge()). Host mappings are given
 * back (host_unmap) in the job's thread after the copy; pool workers only
 * copy between pointers.
 */
#include <stdlib.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include "dma_batch.h"
#include "mxu_kern.h"
#include "mxu_pool.h"

#define BATCH_SEGS	2048u

static const struct xpu_dma_batch_cfg cfg_default = {
	.min_total = 1ull << 20,	/* smaller DMAs: no batching */
	.max_bytes = 8ull << 20,
	.par_min = 1ull << 20,		/* smaller batches: the job's thread */
	.grain = 256ull << 10,
	.stream_min = 48ull << 20,
};
static struct xpu_dma_batch_cfg cfg = cfg_default;
static uint64_t stat_split, stat_alone, stat_ordered, stat_overlapped;	/* __atomic */

void xpu_dma_batch_stats(uint64_t *split, uint64_t *alone, uint64_t *ordered,
			 uint64_t *overlapped)
{
	*split = __atomic_load_n(&stat_split, __ATOMIC_RELAXED);
	*alone = __atomic_load_n(&stat_alone, __ATOMIC_RELAXED);
	*ordered = __atomic_load_n(&stat_ordered, __ATOMIC_RELAXED);
	if (overlapped)
		*overlapped = __atomic_load_n(&stat_overlapped, __ATOMIC_RELAXED);
}

void xpu_dma_batch_set_cfg(const struct xpu_dma_batch_cfg *c)
{
	cfg = c ? *c : cfg_default;
	if (!cfg.grain)
		cfg.grain = 1;
	if (!cfg.max_bytes)
		cfg.max_bytes = 1;
}

/*
 * A copy that does not stay in the cache: non-temporal stores skip reading
 * the destination lines first (x86-64 with AVX-512 or AVX2; elsewhere
 * memcpy). The same bytes as memcpy; stream_fence() orders the stores.
 */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static void stream_avx512(uint8_t *d, const uint8_t *s,
							     uint64_t n, const uint8_t *nx,
							     uint64_t pf)
{
	uint64_t i = 0;

	for (; i < n - pf; i += 128) {
		__m512i a = _mm512_loadu_si512(s + i), c = _mm512_loadu_si512(s + i + 64);

		_mm512_stream_si512((void *)(d + i), a);
		_mm512_stream_si512((void *)(d + i + 64), c);
	}
	for (uint64_t j = 0; i < n; i += 128, j += 128) {	/* the last pf bytes */
		__m512i a = _mm512_loadu_si512(s + i), c = _mm512_loadu_si512(s + i + 64);

		_mm_prefetch((const char *)nx + j, _MM_HINT_T0);
		_mm_prefetch((const char *)nx + j + 64, _MM_HINT_T0);
		_mm512_stream_si512((void *)(d + i), a);
		_mm512_stream_si512((void *)(d + i + 64), c);
	}
}

__attribute__((target("avx2"))) static void stream_avx2(uint8_t *d, const uint8_t *s, uint64_t n,
							 const uint8_t *nx, uint64_t pf)
{
	uint64_t i = 0;

	for (; i < n - pf; i += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(s + i));
		__m256i c = _mm256_loadu_si256((const __m256i *)(s + i + 32));

		_mm256_stream_si256((__m256i *)(d + i), a);
		_mm256_stream_si256((__m256i *)(d + i + 32), c);
	}
	for (uint64_t j = 0; i < n; i += 64, j += 64) {	/* the last pf bytes */
		__m256i a = _mm256_loadu_si256((const __m256i *)(s + i));
		__m256i c = _mm256_loadu_si256((const __m256i *)(s + i + 32));

		_mm_prefetch((const char *)nx + j, _MM_HINT_T0);
		_mm256_stream_si256((__m256i *)(d + i), a);
		_mm256_stream_si256((__m256i *)(d + i + 32), c);
	}
}

/*
 * The engine's ISA level (mxu_gemm.c: the host's best, capped by
 * XPU_ENGINE_ISA or xpu_mxu_force_level) picks the stores: 0 memcpy, 1 AVX2,
 * 2 AVX-512 (the AMX level has AVX-512). nx, nn: the next piece's source
 * (NULL: none), whose first page is prefetched while the last page of this
 * one is copied: a DMA from scattered 4 KiB guest pages otherwise starts
 * every page cold (the hardware prefetchers stop at page boundaries); in
 * an engine-only loop over shuffled pages that took a single thread from
 * about 8.4 to 13 GB/s.
 */
static void copy_stream(uint8_t *d, const uint8_t *s, uint64_t n, const uint8_t *nx,
			uint64_t nn)
{
	int lv = xpu_mxu_level();
	int l = lv >= XPU_MXU_AVX512 ? 2 : lv == XPU_MXU_AVX2 ? 1 : 0;
	uint64_t head = (64 - ((uintptr_t)d & 63)) & 63, body, pf;

	if (!l || n < head + 1024) {
		memcpy(d, s, n);
		return;
	}
	memcpy(d, s, head);
	body = (n - head) & ~(uint64_t)127;
	/* prefetch the next piece (up to a page) over this one's last bytes */
	pf = nx ? (nn < XPU_PAGE_SIZE ? nn : XPU_PAGE_SIZE) & ~(uint64_t)127 : 0;
	pf = pf < body ? pf : body;
	if (l == 2)
		stream_avx512(d + head, s + head, body, nx, pf);
	else
		stream_avx2(d + head, s + head, body, nx, pf);
	memcpy(d + head + body, s + head + body, n - head - body);
}

/* after a part's copy_stream()s: their stores ordered before what follows
 * (one fence per part, not per piece: a DMA from scattered guest pages has
 * a piece per 4 KiB page) */
static void stream_fence(void)
{
	_mm_sfence();
}
#else
static void copy_stream(uint8_t *d, const uint8_t *s, uint64_t n, const uint8_t *nx,
			uint64_t nn)
{
	(void)nx;
	(void)nn;
	memcpy(d, s, n);
}

static void stream_fence(void)
{
}
#endif

/* the parallel copy: parts of cfg.grain bytes of the batch, taken in order */
struct par_copy {
	const struct xpu_dma_seg *seg;
	uint32_t n;
	int stream;
	uint64_t bytes, parts, grain;
	uint64_t next;			/* __atomic: the next part to take */
};

/* the batch in flight: its pieces (the array swapped with the batch's) and
 * the copy the pool's workers run */
struct xpu_dma_flight {
	struct par_copy pc;
	struct xpu_dma_seg *seg;
	uint32_t n;
	int active;
};

void xpu_dma_batch_init(struct xpu_dma_batch *b, struct xpu_tile *t, uint64_t total)
{
	memset(b, 0, sizeof(*b));
	b->t = t;
	if (total >= cfg.min_total) {
		b->seg = malloc(BATCH_SEGS * sizeof(*b->seg));
		b->cap = b->seg ? BATCH_SEGS : 0;
	}
	if (b->cap && total > cfg.max_bytes) {	/* more than one batch: overlap them */
		b->fly = calloc(1, sizeof(*b->fly));
		if (b->fly && !(b->fly->seg = malloc(BATCH_SEGS * sizeof(*b->seg)))) {
			free(b->fly);
			b->fly = NULL;
		}
	}
	b->stream = total >= cfg.stream_min;
	b->dst_ascending = 1;
}

static void copy_part(const struct par_copy *pc, uint64_t lo, uint64_t hi)
{
	uint32_t a = 0, z = pc->n - 1;

	while (a < z) {			/* the first piece ending after lo */
		uint32_t m = a + (z - a) / 2;

		if (pc->seg[m].end > lo)
			z = m;
		else
			a = m + 1;
	}
	for (; lo < hi; a++) {
		const struct xpu_dma_seg *s = &pc->seg[a];
		uint64_t off = lo - (s->end - s->len);
		uint64_t c = (hi < s->end ? hi : s->end) - lo;

		if (pc->stream) {
			int more = lo + c < hi && a + 1 < pc->n;

			copy_stream(s->dst + off, s->src + off, c, more ? s[1].src : NULL,
				    more ? s[1].len : 0);
		}
		else
			memcpy(s->dst + off, s->src + off, c);
		lo += c;
	}
	if (pc->stream)
		stream_fence();
}

static void par_run(struct par_copy *pc)
{
	uint64_t p;

	while ((p = __atomic_fetch_add(&pc->next, 1, __ATOMIC_RELAXED)) < pc->parts)
		copy_part(pc, p * pc->grain,
			  (p + 1) * pc->grain < pc->bytes ? (p + 1) * pc->grain : pc->bytes);
}

static void par_worker(void *arg, int index)
{
	(void)index;
	par_run(arg);
}

struct span {
	uintptr_t lo, hi;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Apart: no piece writes what another one reads or writes. The sources'
 * and the destinations' bounding boxes are apart, and the destinations do
 * not overlap each other: ascending in DMA order (the common upload), or,
 * sorted, each after the previous one (a download into scattered pages).
 */
static int independent(const struct xpu_dma_batch *b)
{
	struct span *sp;
	int ok = 1;

	if (!(b->dhi <= b->slo || b->shi <= b->dlo))
		return 0;
	if (b->dst_ascending)
		return 1;
	sp = malloc(b->n * sizeof(*sp));
	if (!sp)
		return 0;		/* in order: always right */
	for (uint32_t i = 0; i < b->n; i++)
		sp[i] = (struct span){ (uintptr_t)b->seg[i].dst,
				       (uintptr_t)b->seg[i].dst + b->seg[i].len };
	qsort(sp, b->n, sizeof(*sp), span_cmp);
	for (uint32_t i = 1; i < b->n && ok; i++)
		ok = sp[i].lo >= sp[i - 1].hi;
	free(sp);
	return ok;
}

/* independent pieces: over the pool when it is free and the batch large */
static void par_copy(struct xpu_dma_batch *b)
{
	struct par_copy pc = {
		.seg = b->seg, .n = b->n, .stream = b->stream, .bytes = b->bytes,
		.parts = (b->bytes + cfg.grain - 1) / cfg.grain, .grain = cfg.grain,
	};
	int threads = b->bytes >= cfg.par_min ? xpu_pool_threads() : 1, workers = 0;

	if (threads > 1 && pc.parts > 1)
		workers = xpu_pool_acquire(pc.parts - 1 < (uint64_t)threads - 1 ? (int)pc.parts - 1
										: threads - 1);
	__atomic_add_fetch(workers ? &stat_split : &stat_alone, 1, __ATOMIC_RELAXED);
	if (workers)
		xpu_pool_launch(par_worker, &pc);
	par_run(&pc);
	if (workers) {
		/* all parts taken: a worker not yet running has nothing to do */
		xpu_pool_retract();
		while (!xpu_pool_wait(1000))
			;
		xpu_pool_release();
	}
}

static void unmap_pieces(const struct xpu_mem *m, const struct xpu_dma_seg *seg, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (seg[i].mapped & XPU_DMA_SEG_DST_MAPPED)
			m->host_unmap(m->opaque, seg[i].dst, seg[i].len, 1);
		if (seg[i].mapped & XPU_DMA_SEG_SRC_MAPPED)
			m->host_unmap(m->opaque, (void *)seg[i].src, seg[i].len, 0);
	}
}

static void reset(struct xpu_dma_batch *b)
{
	b->n = 0;
	b->bytes = 0;
	b->dlo = b->slo = UINTPTR_MAX;
	b->dhi = b->shi = 0;
	b->dst_ascending = 1;
}

/* the batch in flight, if any, ends: the job's thread takes the parts no
 * worker has taken, waits for the workers, gives the mappings back */
static void land(struct xpu_dma_batch *b)
{
	struct xpu_dma_flight *f = b->fly;

	if (!f || !f->active)
		return;
	par_run(&f->pc);
	xpu_pool_retract();
	while (!xpu_pool_wait(1000))
		;
	xpu_pool_release();
	unmap_pieces(&b->t->mem, f->seg, f->n);
	f->active = 0;
}

/* what is collected moves now, on this thread (and the pool if free) */
static void move_now(struct xpu_dma_batch *b, int indep)
{
	if (indep) {
		par_copy(b);
	} else {
		__atomic_add_fetch(&stat_ordered, 1, __ATOMIC_RELAXED);
		for (uint32_t i = 0; i < b->n; i++)
			memmove(b->seg[i].dst, b->seg[i].src, b->seg[i].len);
	}
	unmap_pieces(&b->t->mem, b->seg, b->n);
	reset(b);
}

void xpu_dma_batch_flush(struct xpu_dma_batch *b)
{
	land(b);
	if (b->n)
		move_now(b, independent(b));
}

/*
 * A full batch while the DMA goes on: after the one in flight, to the
 * pool's workers alone when it is independent and the pool is free (the
 * job's thread returns to translate the next batch), else moved now.
 */
static void launch(struct xpu_dma_batch *b)
{
	struct xpu_dma_flight *f = b->fly;
	struct xpu_dma_seg *seg;
	uint64_t parts = (b->bytes + cfg.grain - 1) / cfg.grain;
	int indep, threads, workers = 0;

	land(b);
	if (!b->n)
		return;
	indep = independent(b);
	if (f && indep && b->bytes >= cfg.par_min && (threads = xpu_pool_threads()) > 1)
		workers = xpu_pool_acquire(parts < (uint64_t)threads - 1 ? (int)parts : threads - 1);
	if (!workers) {
		move_now(b, indep);
		return;
	}
	seg = f->seg;
	f->seg = b->seg;
	f->n = b->n;
	b->seg = seg;
	f->pc = (struct par_copy){
		.seg = f->seg, .n = f->n, .stream = b->stream, .bytes = b->bytes,
		.parts = parts, .grain = cfg.grain,
	};
	f->active = 1;
	__atomic_add_fetch(&stat_split, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&stat_overlapped, 1, __ATOMIC_RELAXED);
	xpu_pool_launch(par_worker, &f->pc);
	reset(b);
}

void xpu_dma_batch_fini(struct xpu_dma_batch *b)
{
	xpu_dma_batch_flush(b);
	free(b->seg);
	b->seg = NULL;
	b->cap = 0;
	if (b->fly) {
		free(b->fly->seg);
		free(b->fly);
		b->fly = NULL;
	}
}

static void add(struct xpu_dma_batch *b, uint8_t *dst, const uint8_t *src, uint64_t len,
		int mapped)
{
	struct xpu_dma_seg *s;
	uintptr_t d = (uintptr_t)dst, sr = (uintptr_t)src;

	if (b->n == b->cap || b->bytes + len > cfg.max_bytes)
		launch(b);
	if (!b->n) {
		b->dlo = b->slo = UINTPTR_MAX;
		b->dhi = b->shi = 0;
	} else if (d < (uintptr_t)b->seg[b->n - 1].dst + b->seg[b->n - 1].len) {
		b->dst_ascending = 0;
	}
	s = &b->seg[b->n++];
	s->dst = dst;
	s->src = src;
	s->len = len;
	s->mapped = mapped;
	b->bytes += len;
	s->end = b->bytes;
	b->dlo = d < b->dlo ? d : b->dlo;
	b->dhi = d + len > b->dhi ? d + len : b->dhi;
	b->slo = sr < b->slo ? sr : b->slo;
	b->shi = sr + len > b->shi ? sr + len : b->shi;
}

void xpu_dma_batch_copy(struct xpu_dma_batch *b, uint8_t *dst, const uint8_t *src, uint64_t len)
{
	if (!b->cap) {
		memmove(dst, src, len);
		return;
	}
	add(b, dst, src, len, 0);
}

int xpu_dma_batch_host(struct xpu_dma_batch *b, uint64_t hdpa, uint8_t *p, uint64_t *len,
		       int write)
{
	const struct xpu_mem *m = &b->t->mem;
	uint64_t l = *len;
	uint8_t *h;

	if (!b->cap || !m->host_map || !m->host_unmap || (hdpa & XPU_DPA_LINK))
		goto direct;
	h = m->host_map(m->opaque, hdpa & ~XPU_DPA_HOST, &l, write);
	if (!h)
		goto direct;
	if (!l || l > *len) {		/* a broken callback: give it back */
		m->host_unmap(m->opaque, h, l, write);
		goto direct;
	}
	*len = l;
	if (write)
		add(b, h, p, l, XPU_DMA_SEG_DST_MAPPED);
	else
		add(b, p, h, l, XPU_DMA_SEG_SRC_MAPPED);
	return 1;
direct:
	xpu_dma_batch_flush(b);
	return 0;
}
