/* SPDX-License-Identifier: MIT */
/*
 * XPU compute engine: one tile (scalar core, DMA, systolic MXU, VPU, scratchpad
 * and accumulator SRAM) per hardware queue. Plain C11, no QEMU dependency, no
 * global mutable state: distinct tiles may run concurrently on distinct
 * threads; one tile is used by one thread at a time.
 *
 * The instruction set is in uapi/xpu_isa.h, semantics in docs/isa.md.
 */
#ifndef XPU_ENGINE_H
#define XPU_ENGINE_H

#include <stdint.h>
#include "xpu_hw.h"
#include "xpu_isa.h"

/* A zero field means "use the default". */
struct xpu_engine_config {
	uint32_t rows, cols;		/* systolic array, default 128x128 */
	uint32_t spad_bytes;		/* scratchpad SRAM per tile, default 4 MiB, max 2 GiB */
	uint32_t acc_bytes;		/* accumulator SRAM per tile, default 1 MiB, max 2 GiB */
	uint32_t clock_mhz;		/* default 1000 */
	uint32_t hbm_gbps;		/* default 1600; bytes per cycle = gbps*1000/clock_mhz */
	uint32_t dma_latency_cycles;	/* default 500 */
	uint32_t host_gbps;		/* host-memory DMA bandwidth, default 32 */
	uint32_t link_gbps;		/* per link and direction, default 100 */
	uint32_t link_latency_cycles;	/* per link transfer, default 1000 */
};

#define XPU_ENG_DEF_ROWS	128
#define XPU_ENG_DEF_COLS	128
#define XPU_ENG_DEF_SPAD	(4u << 20)
#define XPU_ENG_DEF_ACC		(1u << 20)
#define XPU_ENG_DEF_CLOCK_MHZ	1000
#define XPU_ENG_DEF_HBM_GBPS	1600
#define XPU_ENG_DEF_DMA_LAT	500
#define XPU_ENG_DEF_HOST_GBPS	32
#define XPU_ENG_DEF_LINK_GBPS	100
#define XPU_ENG_DEF_LINK_LAT	1000
#define XPU_ENG_VPU_LATENCY	8	/* fixed cycles per vector op */

struct xpu_mem {			/* how a tile reaches device-physical memory */
	uint8_t *hbm;			/* HBM is directly addressable: zero copy */
	uint64_t hbm_size;
	/* host memory (DPA with XPU_DPA_HOST set): return 0 on success, -1 on a
	 * bus error. Called from the tile's worker thread. May be NULL (= error). */
	int (*host_read)(void *opaque, uint64_t bus_addr, void *buf, uint64_t len);
	int (*host_write)(void *opaque, uint64_t bus_addr, const void *buf, uint64_t len);
	void *opaque;
	/* non-zero: host_read/host_write take any length (a run of pages that is
	 * contiguous in bus addresses, at most 1 MiB per call) and, when they
	 * fail, have moved every page before the first failing one and nothing
	 * after it. Zero: the engine calls them within one page at a time. */
	int host_runs;
	/*
	 * Optional (NULL: host_read/host_write only), for a large DMA's bulk
	 * copies: host_map returns a pointer to plain memory holding the bus
	 * bytes [bus_addr, bus_addr + *len), shortening *len to what it maps
	 * (possibly less than a page at a region's end), or NULL when the first
	 * bytes cannot be mapped (the engine then uses host_read/host_write,
	 * which report the error). The engine may copy through the pointer on
	 * other threads until it calls host_unmap with the same pointer,
	 * length and direction; both calls come from the tile's worker thread.
	 */
	void *(*host_map)(void *opaque, uint64_t bus_addr, uint64_t *len, int write);
	void (*host_unmap)(void *opaque, void *ptr, uint64_t len, int write);
	/* bumped (with __atomic) by MMU invalidation; a tile drops its TLB when it
	 * changes. May be NULL. */
	const uint32_t *tlb_gen;
	/*
	 * A peer's memory behind a link (a DPA with XPU_DPA_LINK set; link_addr
	 * is XPU_LINK_ADDR(port, window, offset)): move len bytes (within one
	 * window, at most 1 MiB) from (write == 0) or to the peer. Returns 0, or
	 * XPU_JOB_STATUS_LINK_ERROR having moved nothing. Called from the
	 * tile's worker thread. May be NULL (= every link access fails).
	 */
	int (*link_xfer)(void *opaque, uint64_t link_addr, void *buf, uint64_t len, int write);
};

struct xpu_run_ctl {			/* shared with other threads: __atomic builtins only */
	uint32_t abort;			/* non-zero: the job ends with XPU_JOB_STATUS_ABORTED */
	uint64_t retired;		/* instructions retired so far, updated every <= 4096 */
	/* progress inside long operations: +1 at every abort poll point within
	 * an instruction (start of a DMA, MATMUL or vector op, every 1024 DMA
	 * rows and every MiB a DMA moves, every chunk of a vector op, MXU
	 * panel, ...), published at once */
	uint64_t work;
};

/* A job's progress count (the queue's PROGRESS register): it moves while
 * the job retires instructions or works inside a long one. */
static inline uint64_t xpu_run_progress(const struct xpu_run_ctl *ctl)
{
	return __atomic_load_n(&ctl->retired, __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&ctl->work, __ATOMIC_ACQUIRE);
}

struct xpu_job_stats {
	uint64_t cycles, dma_busy, mxu_busy, vpu_busy, dma_bytes, macs, retired;
	uint64_t link_busy, link_bytes;		/* all ports */
	uint64_t port_busy[XPU_MAX_LINKS], port_bytes[XPU_MAX_LINKS];
};

struct xpu_tile;

/* NULL on a bad config (rows/cols > 65535, SRAM > 2 GiB) or out of memory.
 * cfg may be NULL (all defaults). mem is copied. */
struct xpu_tile *xpu_tile_new(const struct xpu_engine_config *cfg, const struct xpu_mem *mem);
void xpu_tile_free(struct xpu_tile *t);
/* Clear SRAMs, TLB and all state. */
void xpu_tile_reset(struct xpu_tile *t);
/* The effective configuration (defaults filled in). */
void xpu_tile_get_config(const struct xpu_tile *t, struct xpu_engine_config *cfg);
/* Direct access to the SRAMs (tests, debugging): NULL if out of range. */
uint8_t *xpu_tile_sram(struct xpu_tile *t, uint64_t local_addr, uint64_t len);

/*
 * Run one job in the context whose page-table root is pt_root (a DPA). Fills
 * rec (status, cycles, fault_va, fault_access, retired, dma_bytes, macs,
 * cookie) and stats (either may be NULL; ctl may be NULL). Returns rec->status.
 * Never crashes on any input.
 */
uint32_t xpu_tile_run(struct xpu_tile *t, uint64_t pt_root, const struct xpu_job_desc *job,
		      struct xpu_run_ctl *ctl, struct xpu_job_record *rec,
		      struct xpu_job_stats *stats);

/* Timing helpers exposed for tests and the runtime */
uint64_t xpu_timing_matmul_cycles(uint32_t rows, uint32_t cols, uint64_t m, uint64_t k, uint64_t n);
uint64_t xpu_timing_dma_cycles(const struct xpu_engine_config *cfg, uint64_t bytes, int host);
uint64_t xpu_timing_vector_cycles(const struct xpu_engine_config *cfg, uint64_t elements);
/* one link transfer of bytes: latency + bytes / link bandwidth */
uint64_t xpu_timing_link_cycles(const struct xpu_engine_config *cfg, uint64_t bytes);

/*
 * ---- Links: the exporter's side (engine/link.c) -----------------------------
 * Shared by the QEMU device and the runtime's host backend: a chip's window
 * table as XPU_REG_WIN describes it, and the check-translate-copy that serves
 * one peer transfer through a window.
 */
struct xpu_link_window {
	uint32_t ctx, flags, peers;	/* XPU_WIN_CTX, XPU_WINF_*, XPU_WIN_PEERS */
	uint64_t va, size;
};

/*
 * Serve one transfer of a peer chip (requester = its chip id) through window
 * w of the chip whose memory is mem and whose context roots are roots[]
 * (nroots entries): check the window (valid, peer allowed, access allowed,
 * [off, off + len) inside it), translate through that context's page tables
 * (HBM or host leaves; a LINK leaf is refused) and copy. Returns 0, or
 * XPU_JOB_STATUS_LINK_ERROR having touched nothing of the exporter's memory
 * on a refused check or a fault anywhere in the range.
 */
int xpu_link_serve(const struct xpu_mem *mem, const uint64_t *roots, uint32_t nroots,
		   const struct xpu_link_window *w, uint32_t requester,
		   uint64_t off, void *buf, uint64_t len, int write);
/* The link layer's checksum of a transfer's payload (CRC-32C). */
uint32_t xpu_link_checksum(const void *buf, uint64_t len);

#endif /* XPU_ENGINE_H */
