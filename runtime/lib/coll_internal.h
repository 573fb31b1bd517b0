/* SPDX-License-Identifier: MIT */
/*
 * libxpu collectives, internal: the per-step kernels (collective_kernels.c)
 * and the schedules (collective.c) share these declarations.
 */
#ifndef XPU_COLL_INTERNAL_H
#define XPU_COLL_INTERNAL_H

#include "internal.h"

/* The element types a reduction step adds (index into the kernel tables). */
enum coll_rtype { COLL_I32 = 0, COLL_F32 = 1, COLL_BF16 = 2, COLL_NTYPES = 3 };

/*
 * The step kernels of one device, assembled by libxpu (collective_kernels.c):
 *   coll_reduce_<t>(dst, own, peer, bytes, chunk): dst = own + peer, element
 *     wise, streamed through the scratchpad chunk bytes at a time (double
 *     buffered: the next chunk's loads overlap this chunk's add and store);
 *   the builtin copy kernel (dst, src, bytes): one VA -> VA DMA.
 * peer may be a peer VA (xpu_buffer_peer_va): its loads go over the link.
 */
struct coll_kernels {
	xpu_module *mod;			/* the reduce kernels */
	const struct xpu_image_kernel *reduce[COLL_NTYPES];
	uint64_t chunk[COLL_NTYPES];		/* scratchpad bytes per chunk */
};

xpu_status coll_kernels_load(xpu_device *dev, struct coll_kernels *k);
void coll_kernels_unload(struct coll_kernels *k);
/* The reduction type of dtype; -1 if collectives do not add it. */
int coll_rtype(enum xpu_dtype dtype);
/* Scratchpad bytes per chunk for a type on a device with spad bytes. */
uint64_t coll_chunk_bytes(uint32_t spad, int rtype);

/* Queue dst = own + peer (bytes) on stream s (not locked by the caller). */
xpu_status coll_queue_reduce(xpu_stream *s, const struct coll_kernels *k, int rtype,
			     uint64_t dst, uint64_t own, uint64_t peer, uint64_t bytes,
			     xpu_buffer *const *bufs, uint32_t nbufs, const char *what);
/* Queue dst = src (bytes) on stream s. */
xpu_status coll_queue_copy(xpu_stream *s, uint64_t dst, uint64_t src, uint64_t bytes,
			   xpu_buffer *const *bufs, uint32_t nbufs, const char *what);

/* ---- schedules (collective_sched.c) ---- */
#define COLL_MAX_RANKS		64	/* rank masks are uint64_t */

enum { OP_REDUCE, OP_COPY };

struct coll_ref {
	xpu_buffer *buf;
	uint64_t off;			/* bytes */
};

struct coll_op {
	uint32_t step;
	int rank;			/* whose stream runs it */
	int kind;			/* OP_* */
	int peer;			/* the rank whose buffer src is (may be rank) */
	struct coll_ref dst, own, src;	/* own: REDUCE only */
	uint64_t bytes;
};

struct coll_sched {
	struct coll_op *ops;
	uint32_t nops, cap;
	uint32_t steps;
	int oom;
	enum xpu_coll_algo algo;
};

/* Schedules of n ranks over count elements of esz bytes (docs/collectives.md
 * gives each algorithm and its order of additions). */
void coll_sched_single_copy(struct coll_sched *s, xpu_buffer *dst, uint64_t doff,
			    xpu_buffer *src, uint64_t soff, uint64_t bytes);
void coll_sched_allreduce_ring(struct coll_sched *s, int n, xpu_buffer *const *send,
			       xpu_buffer *const *recv, uint64_t count, uint64_t esz);
void coll_sched_allreduce_tree(struct coll_sched *s, int n, xpu_buffer *const *send,
			       xpu_buffer *const *recv, uint64_t count, uint64_t esz);
/* a x b grid, rank = y * a + x */
void coll_sched_allreduce_2d(struct coll_sched *s, int a, int b, xpu_buffer *const *send,
			     xpu_buffer *const *recv, uint64_t count, uint64_t esz);
/* count per rank; scratch[r]: 2 x count elements where rank r is out of place */
void coll_sched_reduce_scatter(struct coll_sched *s, int n, xpu_buffer *const *send,
			       xpu_buffer *const *recv, xpu_buffer *const *scratch, uint64_t count,
			       uint64_t esz);
void coll_sched_all_gather(struct coll_sched *s, int n, xpu_buffer *const *send,
			   xpu_buffer *const *recv, uint64_t count, uint64_t esz);
void coll_sched_bcast_ring(struct coll_sched *s, int n, xpu_buffer *const *bufs, int root,
			   uint64_t count, uint64_t esz);
void coll_sched_bcast_tree(struct coll_sched *s, int n, xpu_buffer *const *bufs, int root,
			   uint64_t count, uint64_t esz);
/* Order the operations by step (stable: a step's operations keep their order). */
void coll_sched_sort(struct coll_sched *s);

#endif
