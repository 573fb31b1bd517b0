/* SPDX-License-Identifier: MIT */
/*
 * DMA copy batches (dma_batch.c), used by dma.c and mmu.c: a large DMA
 * translates ahead and collects the pieces it moves between plain pointers
 * (HBM, SRAM, host memory mapped with xpu_mem.host_map), then moves them
 * together, over the engine's thread pool when that cannot change a byte.
 * Not a public API.
 */
#ifndef XPU_DMA_BATCH_H
#define XPU_DMA_BATCH_H

#include "engine_int.h"

struct xpu_dma_seg {
	uint8_t *dst;
	const uint8_t *src;
	uint64_t len;
	uint64_t end;		/* bytes of the batch up to this piece's end */
	int mapped;		/* XPU_DMA_SEG_*: what to give back with host_unmap */
};

#define XPU_DMA_SEG_DST_MAPPED	1
#define XPU_DMA_SEG_SRC_MAPPED	2

struct xpu_dma_flight;		/* dma_batch.c: a batch the pool is copying */

struct xpu_dma_batch {
	struct xpu_tile *t;
	struct xpu_dma_seg *seg;	/* NULL: batching off, pieces move at once */
	struct xpu_dma_flight *fly;	/* NULL: every batch moves when it is full */
	uint32_t n, cap;
	uint64_t bytes;
	uintptr_t dlo, dhi, slo, shi;	/* bounds of the destinations, sources */
	int dst_ascending;		/* each destination after the previous one */
	int stream;			/* copy with non-temporal stores */
};

/* Sizes (dma_batch.c has the defaults): batch DMAs of min_total bytes or
 * more, in batches of at most max_bytes; use the pool for batches of
 * par_min or more, in parts of grain; non-temporal stores for DMAs of
 * stream_min or more. */
struct xpu_dma_batch_cfg {
	uint64_t min_total, max_bytes, par_min, grain, stream_min;
};
/* Test hook (set while no DMA runs): c = NULL restores the defaults. */
void xpu_dma_batch_set_cfg(const struct xpu_dma_batch_cfg *c);
/* Batches moved so far in this process: split over the pool, independent
 * but on the job's thread alone, piece after piece in order; *overlapped
 * (NULL: not wanted): those of the split ones that the pool's workers began
 * while the job's thread went on translating the next batch. */
void xpu_dma_batch_stats(uint64_t *split, uint64_t *alone, uint64_t *ordered,
			 uint64_t *overlapped);

/* A DMA of total bytes: batching when it is large enough (else, or out of
 * memory, every piece moves when it is added, as without batches). */
void xpu_dma_batch_init(struct xpu_dma_batch *b, struct xpu_tile *t, uint64_t total);
/* Move what is collected (after the batch in flight, if any), then give
 * the host mappings back. */
void xpu_dma_batch_flush(struct xpu_dma_batch *b);
/* Flush and free (every exit of the DMA). */
void xpu_dma_batch_fini(struct xpu_dma_batch *b);
/* A piece between plain pointers, memmove() semantics. */
void xpu_dma_batch_copy(struct xpu_dma_batch *b, uint8_t *dst, const uint8_t *src, uint64_t len);
/*
 * A piece between host memory (hdpa, with XPU_DPA_HOST) and the plain
 * pointer p; write = toward host memory. When batching and the host memory
 * maps, the piece is added (*len shortened to what mapped) and 1 returned.
 * Else 0, with the batch flushed: the caller moves the piece itself.
 */
int xpu_dma_batch_host(struct xpu_dma_batch *b, uint64_t hdpa, uint8_t *p, uint64_t *len,
		       int write);

/* mmu.c: xpu_dma_va_read() (write 0) or xpu_dma_va_write() (write 1)
 * collecting into b (NULL: none) */
int xpu_dma_va_xfer(struct xpu_tile *t, struct xpu_dma_batch *b, uint64_t va, uint8_t *buf,
		    uint64_t len, int write);

#endif /* XPU_DMA_BATCH_H */
