// SPDX-License-Identifier: MIT
/*
 * libxpu collectives: the schedules. A schedule is numbered steps of
 * operations "rank r: dst = own + (a range of rank p's buffer)" (REDUCE) or
 * "rank r: dst = (a range of rank p's buffer)" (COPY); collective.c runs
 * it. The builders here make the ring (reduce-scatter then all-gather), the
 * binary tree (reduce to rank 0, then down), the 2-D torus algorithm (rows,
 * columns, rows) and the pipelined ring and tree broadcasts. Each element
 * of a result is one chain of two-operand adds whose order the builder
 * alone fixes (docs/collectives.md, "The reduction order").
 */
#include <stdlib.h>

#include "coll_internal.h"

#define COLL_BCAST_PIECE	(2ull << 20)	/* pipelined broadcast piece */
#define COLL_BCAST_MAX_PIECES	16

/* ---- helpers --------------------------------------------------------------- */
static int mod(int a, int n)
{
	return ((a % n) + n) % n;
}

/* element offset and length of part c of count split into parts */
static uint64_t part_off(uint64_t count, uint64_t parts, uint64_t c)
{
	uint64_t base = count / parts, rem = count % parts;

	return c * base + (c < rem ? c : rem);
}

static uint64_t part_len(uint64_t count, uint64_t parts, uint64_t c)
{
	return count / parts + (c < count % parts ? 1 : 0);
}

static void add_op(struct coll_sched *s, uint32_t step, int rank, int kind, struct coll_ref dst,
		   struct coll_ref own, int peer, struct coll_ref src, uint64_t bytes)
{
	if (step + 1 > s->steps)
		s->steps = step + 1;
	if (!bytes)
		return;
	if (s->nops == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 64;
		struct coll_op *ops = realloc(s->ops, cap * sizeof(*ops));

		if (!ops) {
			s->oom = 1;
			return;
		}
		s->ops = ops;
		s->cap = cap;
	}
	s->ops[s->nops++] = (struct coll_op){
		.step = step, .rank = rank, .kind = kind, .peer = peer,
		.dst = dst, .own = own, .src = src, .bytes = bytes,
	};
}

static struct coll_ref ref(xpu_buffer *b, uint64_t off)
{
	struct coll_ref r = { b, off };

	return r;
}

/* ---- schedules --------------------------------------------------------------
 * Ring reduce-scatter over the m ranks members[] (a ring: position i reads
 * from position i-1), elements [el0, el0 + cnt) split into m parts. At step
 * s, position i adds part c = (i - s - 2) mod m: dst[i] = own[i] + (s == 0 ?
 * first[i-1] : dst[i-1]). Part c starts at position c+1 and ends, complete,
 * at position c after m-1 steps: its sum is x(c+1) + x(c+2) + ... + x(c+m)
 * (positions mod m), added left to right.
 */
static void ring_rs(struct coll_sched *s, uint32_t k0, const int *members, int m, uint64_t el0,
		    uint64_t cnt, uint64_t esz, xpu_buffer *const *own, xpu_buffer *const *dst,
		    xpu_buffer *const *first)
{
	for (int st = 0; st < m - 1; st++) {
		for (int i = 0; i < m; i++) {
			int c = mod(i - st - 2, m), r = members[i], p = members[mod(i - 1, m)];
			uint64_t off = (el0 + part_off(cnt, m, c)) * esz;

			add_op(s, k0 + st, r, OP_REDUCE, ref(dst[r], off), ref(own[r], off), p,
			       ref(st ? dst[p] : first[p], off), part_len(cnt, m, c) * esz);
		}
	}
}

/* Ring all-gather of the parts ring_rs leaves (part c complete at position
 * c): at step t, position i copies part (i - 1 - t) mod m from position i-1. */
static void ring_ag(struct coll_sched *s, uint32_t k0, const int *members, int m, uint64_t el0,
		    uint64_t cnt, uint64_t esz, xpu_buffer *const *bufs)
{
	for (int t = 0; t < m - 1; t++) {
		for (int i = 0; i < m; i++) {
			int c = mod(i - 1 - t, m), r = members[i], p = members[mod(i - 1, m)];
			uint64_t off = (el0 + part_off(cnt, m, c)) * esz;

			add_op(s, k0 + t, r, OP_COPY, ref(bufs[r], off), ref(NULL, 0), p,
			       ref(bufs[p], off), part_len(cnt, m, c) * esz);
		}
	}
}

static void identity(int *members, int n)
{
	for (int i = 0; i < n; i++)
		members[i] = i;
}

/* n == 1: recv = send (unless in place) */
void coll_sched_single_copy(struct coll_sched *s, xpu_buffer *dst, uint64_t doff, xpu_buffer *src,
			uint64_t soff, uint64_t bytes)
{
	if (dst != src || doff != soff)
		add_op(s, 0, 0, OP_COPY, ref(dst, doff), ref(NULL, 0), 0, ref(src, soff), bytes);
}

void coll_sched_allreduce_ring(struct coll_sched *s, int n, xpu_buffer *const *send,
				 xpu_buffer *const *recv, uint64_t count, uint64_t esz)
{
	int members[COLL_MAX_RANKS];

	identity(members, n);
	ring_rs(s, 0, members, n, 0, count, esz, send, recv, send);
	ring_ag(s, n - 1, members, n, 0, count, esz, recv);
}

/*
 * Binary tree rooted at rank 0 (heap numbering: the children of v are 2v+1
 * and 2v+2). Reduce, deepest level first: v's total is
 * T(v) = (x(v) + T(2v+1)) + T(2v+2), two steps per level (first child, then
 * second); then the total is copied down, one level per step.
 */
static int tree_level(int v)
{
	int l = 0;

	for (v += 1; v > 1; v >>= 1)
		l++;
	return l;
}

void coll_sched_allreduce_tree(struct coll_sched *s, int n, xpu_buffer *const *send,
				 xpu_buffer *const *recv, uint64_t count, uint64_t esz)
{
	int depth = tree_level(n - 1);
	uint64_t bytes = count * esz;

	for (int l = depth - 1; l >= 0; l--) {
		uint32_t k = 2 * (uint32_t)(depth - 1 - l);

		for (int v = 0; v < n; v++) {
			if (tree_level(v) != l)
				continue;
			for (int ch = 0; ch < 2; ch++) {
				int c = 2 * v + 1 + ch;
				xpu_buffer *part;

				if (c >= n)
					continue;
				part = 2 * c + 1 < n ? recv[c] : send[c];	/* a leaf: its input */
				add_op(s, k + ch, v, OP_REDUCE, ref(recv[v], 0),
				       ref(ch ? recv[v] : send[v], 0), c, ref(part, 0), bytes);
			}
		}
	}
	for (int v = 1; v < n; v++)
		add_op(s, 2 * depth + tree_level(v) - 1, v, OP_COPY, ref(recv[v], 0), ref(NULL, 0),
		       (v - 1) / 2, ref(recv[(v - 1) / 2], 0), bytes);
}

/*
 * 2-D on an a x b grid (rank = y * a + x): reduce-scatter along each row
 * (ring_rs over the a ranks of row y; row part x ends at (x, y)); then an
 * all-reduce of row part x along column x (ring_rs + ring_ag over its b
 * ranks, on recv in place); then an all-gather along the rows.
 */
void coll_sched_allreduce_2d(struct coll_sched *s, int a, int b, xpu_buffer *const *send,
			       xpu_buffer *const *recv, uint64_t count, uint64_t esz)
{
	int members[COLL_MAX_RANKS];

	for (int y = 0; y < b; y++) {
		for (int x = 0; x < a; x++)
			members[x] = y * a + x;
		ring_rs(s, 0, members, a, 0, count, esz, send, recv, send);
	}
	for (int x = 0; x < a; x++) {
		uint64_t el0 = part_off(count, a, x), cnt = part_len(count, a, x);

		for (int y = 0; y < b; y++)
			members[y] = y * a + x;
		ring_rs(s, a - 1, members, b, el0, cnt, esz, recv, recv, recv);
		ring_ag(s, a - 1 + b - 1, members, b, el0, cnt, esz, recv);
	}
	for (int y = 0; y < b; y++) {
		for (int x = 0; x < a; x++)
			members[x] = y * a + x;
		ring_ag(s, a - 1 + 2 * (b - 1), members, a, 0, count, esz, recv);
	}
	/* a step count even when count is 0 */
	if (s->steps < (uint32_t)(2 * (a - 1) + 2 * (b - 1)))
		s->steps = 2 * (a - 1) + 2 * (b - 1);
}

/*
 * Reduce-scatter, ring: part i of every send buffer ends summed on rank i
 * (same order as the all-reduce's reduce-scatter). Partials live where the
 * rank can keep them: in place (send == recv) at the part's own offset, the
 * final one out of place in recv, the others in the communicator's scratch
 * buffer of the rank (two slots, alternating by step: the next rank reads
 * slot s at step s+1 before this rank overwrites it at step s+2).
 */
static struct coll_ref rs_loc(int n, xpu_buffer *const *send, xpu_buffer *const *recv,
			      xpu_buffer *const *scratch, int j, int st, int part, uint64_t pbytes)
{
	if (send[j] == recv[j])
		return ref(recv[j], part * pbytes);
	if (st == n - 2)
		return ref(recv[j], 0);
	return ref(scratch[j], (uint64_t)(st % 2) * pbytes);
}

void coll_sched_reduce_scatter(struct coll_sched *s, int n, xpu_buffer *const *send,
			       xpu_buffer *const *recv, xpu_buffer *const *scratch, uint64_t count,
			       uint64_t esz)
{
	uint64_t pb = count * esz;

	if (n == 1) {
		coll_sched_single_copy(s, recv[0], 0, send[0], 0, pb);
		return;
	}
	for (int st = 0; st < n - 1; st++) {
		for (int j = 0; j < n; j++) {
			int part = mod(j - st - 2, n), p = mod(j - 1, n);
			struct coll_ref src = st ? rs_loc(n, send, recv, scratch, p, st - 1, part, pb) :
						   ref(send[p], part * pb);

			add_op(s, st, j, OP_REDUCE, rs_loc(n, send, recv, scratch, j, st, part, pb),
			       ref(send[j], part * pb), p, src, pb);
		}
	}
}

/* All-gather, ring: rank j's part sits at recv[j] + j * count (copied there
 * first unless in place); at step t rank j copies part (j - 1 - t) mod n
 * from rank j-1 (rank j-1's own part straight from its send buffer). */
void coll_sched_all_gather(struct coll_sched *s, int n, xpu_buffer *const *send,
			   xpu_buffer *const *recv, uint64_t count, uint64_t esz)
{
	uint64_t pb = count * esz;

	for (int j = 0; j < n; j++)
		if (send[j] != recv[j])
			add_op(s, 0, j, OP_COPY, ref(recv[j], j * pb), ref(NULL, 0), j,
			       ref(send[j], 0), pb);
	for (int t = 0; t < n - 1; t++) {
		for (int j = 0; j < n; j++) {
			int part = mod(j - 1 - t, n), p = mod(j - 1, n);
			struct coll_ref src = ref(recv[p], part * pb);

			if (!t && send[p] != recv[p])
				src = ref(send[p], 0);
			add_op(s, t, j, OP_COPY, ref(recv[j], part * pb), ref(NULL, 0), p, src, pb);
		}
	}
}

/* Broadcast, ring pipeline: position i = (rank - root) mod n copies piece q
 * from position i-1 at step q + i - 1. */
void coll_sched_bcast_ring(struct coll_sched *s, int n, xpu_buffer *const *bufs, int root,
			     uint64_t count, uint64_t esz)
{
	uint64_t pieces = count * esz / COLL_BCAST_PIECE;

	if (pieces < 1)
		pieces = 1;
	if (pieces > COLL_BCAST_MAX_PIECES)
		pieces = COLL_BCAST_MAX_PIECES;
	if (pieces > count)
		pieces = count ? count : 1;
	for (int i = 1; i < n; i++) {
		int r = (root + i) % n, p = (root + i - 1) % n;

		for (uint64_t q = 0; q < pieces; q++) {
			uint64_t off = part_off(count, pieces, q) * esz;

			add_op(s, (uint32_t)(q + i - 1), r, OP_COPY, ref(bufs[r], off), ref(NULL, 0),
			       p, ref(bufs[p], off), part_len(count, pieces, q) * esz);
		}
	}
}

/* Broadcast, binary tree over positions (rank - root) mod n: level l copies
 * from its parent at step l - 1. */
void coll_sched_bcast_tree(struct coll_sched *s, int n, xpu_buffer *const *bufs, int root,
			     uint64_t count, uint64_t esz)
{
	for (int v = 1; v < n; v++) {
		int r = (root + v) % n, p = (root + (v - 1) / 2) % n;

		add_op(s, tree_level(v) - 1, r, OP_COPY, ref(bufs[r], 0), ref(NULL, 0), p,
		       ref(bufs[p], 0), count * esz);
	}
}

/* Stable counting sort by step: a step's operations keep their order. */
void coll_sched_sort(struct coll_sched *s)
{
	uint32_t *at = calloc((size_t)s->steps + 1, sizeof(*at));
	struct coll_op *ops = malloc((size_t)(s->nops ? s->nops : 1) * sizeof(*ops));

	if (!at || !ops) {
		s->oom = 1;
		free(at);
		free(ops);
		return;
	}
	for (uint32_t i = 0; i < s->nops; i++)
		at[s->ops[i].step + 1]++;
	for (uint32_t k = 0; k < s->steps; k++)
		at[k + 1] += at[k];
	for (uint32_t i = 0; i < s->nops; i++)
		ops[at[s->ops[i].step]++] = s->ops[i];
	free(at);
	free(s->ops);
	s->ops = ops;
	s->cap = s->nops ? s->nops : 1;
}
