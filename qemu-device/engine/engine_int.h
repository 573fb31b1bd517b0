/* SPDX-License-Identifier: MIT */
/* XPU engine internals shared by the engine's .c files. Not a public API. */
#ifndef XPU_ENGINE_INT_H
#define XPU_ENGINE_INT_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "xpu_engine.h"

#define XPU_TLB_ENTRIES		256
#define XPU_SB_SHIFT		12	/* scoreboard granule: 4 KiB */
#define XPU_POLL_INSNS		4096	/* abort poll / progress period */
#define XPU_MM_NB		64	/* MXU host kernel: columns per panel */
#define XPU_MM_KB		256	/* MXU host kernel: k per block */

struct xpu_tlb_ent {
	uint64_t tag;		/* vpn + 1, 0 = invalid */
	uint64_t frame;		/* DPA of the frame (XPU_DPA_HOST for host) */
	uint32_t perm;		/* XPU_PTE_READ | XPU_PTE_WRITE */
};

/* One unit's operand for the timing scoreboard: local address range */
struct xpu_opnd {
	uint64_t la, len;
};

struct xpu_tile {
	struct xpu_engine_config cfg;
	struct xpu_mem mem;
	uint8_t *spad, *acc;
	uint64_t sb_nblocks;		/* spad blocks then acc blocks */
	uint64_t *sb_w, *sb_r;		/* last write / read finish per block */

	struct xpu_tlb_ent tlb[XPU_TLB_ENTRIES];
	uint32_t tlb_gen_seen;
	uint64_t tlb_root;		/* root the TLB contents belong to */

	/* job state */
	struct xpu_run_ctl *ctl;
	uint64_t pt_root;
	uint64_t regs[XPU_NUM_REGS];
	uint64_t fault_va;
	uint32_t fault_access;
	uint64_t d_rows, d_sstride, d_dstride;
	uint64_t m_m, m_k, m_n, m_lda, m_ldb, m_ldc;
	uint64_t v_rows, v_cols;
	uint64_t fetch_tag;		/* code page vpn + 1, 0 = none */
	const uint8_t *fetch_ptr;
	int dma_host;			/* the current DMA touched host memory */
	uint64_t poll_work;		/* DMA work since its last abort poll */
	uint64_t walk_leaf_tag;		/* (va >> 21) + 1 of the last HBM leaf table */
	uint64_t walk_leaf;		/* its DPA (the lookahead's walk cache) */
	struct {			/* xpu_mmu_translate_run(): the last run */
		uint64_t lo, hi, dpa;	/* [lo, hi) -> dpa.., empty if lo == hi */
	} run_cache[2];			/* read, write */

	/* timing */
	uint64_t now, dma_free, mxu_free, vpu_free;
	uint64_t dma_busy, mxu_busy, vpu_busy, dma_bytes, macs, retired;
	/* link ports: bytes moved since the last xpu_link_sched(), each port's
	 * timeline, busy cycles and bytes of the job */
	uint64_t link_pending[XPU_MAX_LINKS];
	uint64_t link_free[XPU_MAX_LINKS], port_busy[XPU_MAX_LINKS], port_bytes[XPU_MAX_LINKS];
	uint64_t work;			/* published to ctl->work */

	/* buffers */
	uint8_t fetch_buf[XPU_PAGE_SIZE];
	uint8_t bounce[XPU_PAGE_SIZE];
	float *mm_f;			/* XPU_MM_KB * XPU_MM_NB */
	int16_t *mm_i;			/* XPU_MM_KB * XPU_MM_NB */
};

/* little-endian loads/stores on possibly unaligned memory */
static inline uint64_t xpu_ld64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void xpu_st64(void *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, 8);
}

static inline uint32_t xpu_ld32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline void xpu_st32(void *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(p, &v, 4);
}

static inline uint16_t xpu_ld16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	return v;
}

static inline void xpu_st16(void *p, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	memcpy(p, &v, 2);
}

static inline uint64_t xpu_max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* engine.c */
/* Inside an operation: publish one unit of progress (ctl->work), then
 * XPU_JOB_STATUS_ABORTED if the job is being aborted, else 0. */
int xpu_poll_abort(struct xpu_tile *t);
/* local SRAM: pointer to [la, la+len) or NULL if not wholly inside one SRAM */
uint8_t *xpu_la_ptr(struct xpu_tile *t, uint64_t la, uint64_t len);
/* extent of a 2D operand: (rows-1)*stride + row_bytes; -1 on overflow */
int xpu_extent(uint64_t rows, uint64_t stride, uint64_t row_bytes, uint64_t *out);

/*
 * DMA abort polling by work done (dma.c, mmu.c): a DMA moves at most
 * XPU_DMA_CHUNK bytes per host call or memmove and polls whenever the work
 * charged since its last poll reaches XPU_DMA_CHUNK. Every row and every
 * translated run also costs XPU_DMA_RUN_COST, so tiny rows poll too. At
 * memory speed (>= 2 GB/s) a MiB is well under a millisecond: STOP and reset
 * take effect within a few milliseconds whatever the DMA.
 */
#define XPU_DMA_CHUNK		(1u << 20)
#define XPU_DMA_RUN_COST	512
static inline int xpu_dma_charge(struct xpu_tile *t, uint64_t cost)
{
	t->poll_work += cost;
	if (t->poll_work < XPU_DMA_CHUNK)
		return 0;
	t->poll_work = 0;
	return xpu_poll_abort(t);
}

/* mmu.c: return 0 or an XPU_JOB_STATUS_*; faults fill t->fault_va/access */
void xpu_tlb_flush(struct xpu_tile *t);
/* forget the runs xpu_mmu_translate_run() remembers (also done by a flush) */
void xpu_mmu_runs_forget(struct xpu_tile *t);
int xpu_mmu_translate(struct xpu_tile *t, uint64_t va, uint32_t access, uint64_t *dpa);
/*
 * Translate va like xpu_mmu_translate() (same faults), then extend over the
 * following pages while they map to the next frames with the access allowed:
 * *run gets the bytes [va, va + *run) that are contiguous in DPA, at least
 * the rest of va's page (or max), at most max (>= 1). Host frames extend
 * only when the host callbacks take runs (xpu_mem.host_runs). The lookahead
 * never records a fault and never reads page tables in host memory: a later
 * page that would fault or need that ends the run, and faults when the
 * caller gets to it, exactly as a page-by-page walk. The last run of each
 * access type is remembered (a TLB entry for the run: dropped with the TLB
 * and at the start of every DMA), so a long run next to short ones on the
 * other side is not looked up again page by page.
 */
int xpu_mmu_translate_run(struct xpu_tile *t, uint64_t va, uint32_t access, uint64_t max,
			  uint64_t *dpa, uint64_t *run);
int xpu_va_read(struct xpu_tile *t, uint64_t va, void *buf, uint64_t len);
int xpu_va_write(struct xpu_tile *t, uint64_t va, const void *buf, uint64_t len);
/* the same for a DMA: merged runs, abort polls by work (xpu_dma_charge()) */
int xpu_dma_va_read(struct xpu_tile *t, uint64_t va, void *buf, uint64_t len);
int xpu_dma_va_write(struct xpu_tile *t, uint64_t va, const void *buf, uint64_t len);
/* device-physical access (HBM bounds checked, host callbacks, or a link DPA
 * through mem.link_xfer: its bytes are added to t->link_pending[port]) */
int xpu_dpa_read(struct xpu_tile *t, uint64_t dpa, void *buf, uint64_t len);
int xpu_dpa_write(struct xpu_tile *t, uint64_t dpa, const void *buf, uint64_t len);
/* the same without a tile: HBM or host only (a link DPA is MMU_FAULT) */
int xpu_mem_read(const struct xpu_mem *m, uint64_t dpa, void *buf, uint64_t len);
int xpu_mem_write(const struct xpu_mem *m, uint64_t dpa, const void *buf, uint64_t len);
/* rc unchanged; a LINK_ERROR records va/access as the job's fault address */
int xpu_link_fail(struct xpu_tile *t, int rc, uint64_t va, uint32_t access);
/*
 * The page walk, tile independent (the tile's translate and link.c's
 * exporter side): from the table at DPA table of level (3 = root), for va.
 * Returns 0 with the leaf entry in *pte and its frame's DPA in *frame
 * (XPU_DPA_HOST / XPU_DPA_LINK set for host / link leaves), XPU_WALK_FAULT
 * (not mapped, malformed, a table outside HBM, HOST with LINK), XPU_WALK_QUIET
 * (quiet and a table in host memory: not read), or the XPU_JOB_STATUS_* of a
 * failed host table read. *leaf_table (may be NULL) gets the DPA of the HBM
 * leaf table when the walk read one.
 */
#define XPU_WALK_FAULT		(-1)
#define XPU_WALK_QUIET		(-2)
int xpu_mmu_walk(const struct xpu_mem *m, uint64_t table, int level, uint64_t va, int quiet,
		 uint64_t *pte, uint64_t *frame, uint64_t *leaf_table);

/* dma.c, mxu.c, vpu.c: execute one instruction (already decoded) */
int xpu_exec_dma(struct xpu_tile *t, uint64_t insn);
int xpu_exec_matmul(struct xpu_tile *t, uint64_t insn);
int xpu_exec_vpu(struct xpu_tile *t, uint64_t insn);

/* timing.c */
/* schedule an op on a unit; returns its finish time */
uint64_t xpu_sched(struct xpu_tile *t, uint64_t *unit_free, uint64_t *busy, uint64_t dur,
		   const struct xpu_opnd *in, int nin, const struct xpu_opnd *out, int nout);
/* charge the link bytes moved since the last call (t->link_pending) to their
 * ports' timelines, with the SRAM operands' scoreboard dependencies; returns
 * the latest finish (0 if nothing was pending) */
uint64_t xpu_link_sched(struct xpu_tile *t, const struct xpu_opnd *in, int nin,
			const struct xpu_opnd *out, int nout);
/* the latest finish of all link ports */
uint64_t xpu_link_free(const struct xpu_tile *t);
/* earliest time the scalar core may read (write=0) or write (write=1) [la,la+len) */
uint64_t xpu_sb_ready(struct xpu_tile *t, uint64_t la, uint64_t len, int write);

#endif /* XPU_ENGINE_INT_H */
