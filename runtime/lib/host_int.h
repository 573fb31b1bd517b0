/* SPDX-License-Identifier: MIT */
/*
 * libxpu host backend internals, shared by the backend (backend_host.c) and
 * the in-process link fabric (fabric_host.c).
 *
 * In-process bus addresses (what HOST page-table leaves hold, resolved by
 * host_read/host_write):
 *   [BUS_BASE, BUS_BASE + BUS_SIZE)   the device's own host-memory buffers;
 *   [P2P_BASE + c * P2P_STRIDE, + hbm size)   PCIe peer-to-peer: HBM of chip
 *       c of the same fabric at that offset, reachable only inside a range
 *       chip c exported to the requesting chip (a revoked range fails as a
 *       bus error, DMA_ERROR, like a BAR page the exporter unmapped).
 */
#ifndef XPU_HOST_INT_H
#define XPU_HOST_INT_H

#include "internal.h"
#include "xpu_engine.h"
#include "xpu_pt.h"

/* The driver's VA range (driver/xpu_drv.h, DRM_XPU_PARAM_VA_START/SIZE) */
#define XPU_VA_START	0x100000ull
#define XPU_VA_END	(1ull << 47)
#define GUARD		XPU_PAGE_SIZE		/* unmapped page after each buffer */
#define BUS_BASE	0x10000000000ull	/* fake host bus addresses */
#define BUS_SIZE	(1ull << 40)
#define P2P_BASE	(1ull << 44)		/* peers' HBM, PCIe peer-to-peer */
#define P2P_SHIFT	37			/* 128 GiB per chip (HBM <= 64 GiB) */
#define P2P_STRIDE	(1ull << P2P_SHIFT)
#define PAGE		XPU_PAGE_SIZE
/* MMU contexts of a host device: 0 its address space, 1 its export context
 * (the buffers it exported to peers, at their own VAs; windows point there) */
#define HOST_CTX_EXPORT	1

struct host_bo {
	uint64_t bus, size;
	uint8_t *ptr;
};

struct host_job {
	struct host_job *next;
	struct xpu_job_desc desc;
	struct xpu_sync waits[XPU_MAX_WAITS + 1];
	uint32_t num_waits;
	struct xpu_sync signal;
	int done;
	struct xpu_job_result res;
};

struct host_queue {
	struct host_be *be;
	struct xpu_tile *tile;
	pthread_mutex_t tile_lock;	/* sync mode: one submitter at a time */
	pthread_t thread;
	int started;
	struct host_job *head, *tail;	/* pending, under be->lock */
};

struct fabric_chip;

struct host_be {
	struct xpu_host_config cfg;
	struct xpu_engine_config ec;	/* the tiles' configuration */
	uint8_t *hbm;
	uint64_t hbm_size;
	struct xpu_mem mem;
	uint32_t tlb_gen;
	/* memory management */
	pthread_rwlock_t mm_lock;
	struct xpu_ranges hbm_free, va_free, bus_free;
	struct xpu_pt pt;		/* the address space, under mm_lock */
	struct host_bo *hbos;
	uint32_t num_hbos, cap_hbos;
	/* links: the fabric chip this device is (NULL: none), the export
	 * context (created at the first export, under mm_lock) */
	struct fabric_chip *chip;
	struct xpu_pt xpt;
	uint64_t xpt_pool, xpt_pool_size;
	uint64_t roots[2];		/* context roots: [0] pt, [1] xpt (0 = none) */
	/* jobs and timelines */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* any job done / timeline moved / new job */
	uint64_t *tl;			/* timeline values; handle = index + 1 */
	uint8_t *tl_used;
	uint32_t num_tl;
	int stop;
	int banned;			/* a job faulted: as the driver, cancel and refuse jobs */
	struct host_queue *q;
	struct xpu_device_usage usage;	/* the device's perf counters (__atomic adds) */
};

/* ---- fabric_host.c ---- */
/* The chip's id, its link ports and link timing for the tiles' config. */
uint32_t xpu_fabric_chip_id(const struct fabric_chip *c);
uint32_t xpu_fabric_num_links(const struct fabric_chip *c);
void xpu_fabric_engine_config(const struct fabric_chip *c, struct xpu_engine_config *ec);
/* xpu_mem.link_xfer of a chip's tiles (opaque = its struct host_be) */
int xpu_fabric_link_xfer(void *opaque, uint64_t link_addr, void *buf, uint64_t len, int write);
/* host_read/host_write of a P2P bus address (>= P2P_BASE) for chip req */
int xpu_fabric_p2p_copy(const struct fabric_chip *req, uint64_t bus, uint8_t *buf, uint64_t len,
			int write);
/* the attachment generation of chip c (changes at each attach) */
uint64_t xpu_fabric_chip_gen(const struct fabric_chip *c);
/* a job of chip req waits until point of timeline tl of the device attached
 * to chip `chip` in generation gen, or until that device is detached
 * (closed: all its jobs done) */
void xpu_fabric_wait(const struct fabric_chip *req, uint32_t chip, uint64_t gen, uint64_t tl,
		     uint64_t point);
/* attach the device (open) to / detach it from its chip */
void xpu_fabric_attach(struct fabric_chip *c, xpu_device *dev);
void xpu_host_chip_detach(void *chip, xpu_device *dev);
/* links and peers of host devices (the backend's ops) */
xpu_status xpu_fabric_link_info(const struct fabric_chip *c, uint32_t port,
				struct xpu_link_info *info);
/* both chips of one fabric */
int xpu_fabric_same(const struct fabric_chip *a, const struct fabric_chip *b);
/* the port of c joined by an up link to chip peer; -1 if none */
int xpu_fabric_port_to(const struct fabric_chip *c, uint32_t peer);
/* a window of exporter chip c (its export context, [va, va + size)) for
 * chip peer; revoke waits for transfers through it in flight */
xpu_status xpu_fabric_window_open(struct fabric_chip *c, uint64_t va, uint64_t size,
				  uint32_t flags, uint32_t peer, uint32_t *win);
/* returns whether another valid window still covers va */
int xpu_fabric_window_revoke(struct fabric_chip *c, uint32_t win);
/* P2P: HBM [off, off + size) of chip c reachable by chip peer, and revoked */
xpu_status xpu_fabric_p2p_export(struct fabric_chip *c, uint64_t off, uint64_t size,
				 uint32_t peer);
void xpu_fabric_p2p_revoke(struct fabric_chip *c, uint64_t off, uint64_t size, uint32_t peer);

#endif
