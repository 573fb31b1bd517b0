/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * XPU accel driver: device, queue, context and job structures.
 */
#ifndef __XPU_DRV_H__
#define __XPU_DRV_H__

#include <linux/bits.h>
#include <linux/gpu_buddy.h>
#include <linux/io.h>
#include <linux/llist.h>
#include <linux/refcount.h>
#include <linux/sizes.h>
#include <linux/pci.h>
#include <linux/xarray.h>
#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_mm.h>
#include <drm/drm_print.h>
#include <drm/gpu_scheduler.h>

#include "xpu_hw.h"

#define DRIVER_NAME	"xpu"
#define DRIVER_DESC	"XPU AI inference accelerator"
#define DRIVER_DATE	"20261123"

#define XPU_RING_SIZE		64	/* descriptors per hardware queue */
#define XPU_VA_START		0x100000ull
#define XPU_VA_END		BIT_ULL(47)
#define XPU_MAX_BO_SIZE		SZ_1G
#define XPU_MAX_SUBMIT_BOS	256
#define XPU_MAX_IN_SYNCS	64	/* 1.0 in_syncs */
#define XPU_MAX_SYNC_OPS	64	/* 1.1 sync-op array */
#define XPU_MAX_PROG_LEN	(16u << 20)
#define XPU_RESULTS_KEPT	4096	/* per file, for DRM_IOCTL_XPU_WAIT_JOB */

/**
 * DOC: Locking
 *
 * The lock order, outermost first. A lock is only taken while holding
 * locks that come before it in the same chain; functions that need a lock
 * held assert it (lockdep_assert_held(), dma_resv_assert_held()), so a
 * lockdep kernel checks every rule written here.
 *
 * Recovery chain:
 *
 * 1. &xpu_device.reset_lock (mutex): one recovery at a time: the hang
 *    handler, a device reset, the abort of a closing context.
 * 2. &xpu_queue.stop_lock (mutex): one STOP ... ENABLE of a queue at a time.
 * 3. &xpu_queue.lock (spinlock, irqsave): the queue's in-flight list, ring
 *    tail and seqno; also the lock of its hardware fences.
 *
 * Memory chain:
 *
 * 1. &xpu_device.ctx_list_lock (mutex): the list of open contexts (for
 *    debugfs; the roots a device reset restores are the bound ones, under
 *    &xpu_device.slot_lock).
 * 2. &xpu_ctx.vm_lock (mutex): a context's page tables, VA allocator and
 *    mappings.
 * 3. the dma_resv lock of a buffer (shmem pages are pinned under vm_lock).
 * 4. &xpu_ctx.submit_lock (mutex): the arm + push order of a context's
 *    jobs, taken with the reservations of the job's buffers held. Under
 *    it, SUBMIT's direct submission (xpu_job_run_direct()) only *tries*
 *    &xpu_device.reset_lock (recovery chain 1) and, holding it, takes
 *    &xpu_device.slot_lock and &xpu_queue.lock; it never waits for a
 *    recovery (it leaves the job to the scheduler instead).
 * 5. &xpu_device.hbm_lock (mutex): the HBM buddy allocator; a leaf.
 *
 * &xpu_device.dma_lock (mutex): the list of DMA-mapped system-memory
 * buffers (&xpu_device.dma_bos). Taken under &xpu_ctx.vm_lock (a shmem
 * buffer's pages are DMA-mapped under it) and with no reservation held;
 * the dma_resv lock of a listed buffer is taken under it (xpu_dma_unmap_all()
 * at removal, drm_gem_shmem_get_pages_sgt()). A buffer takes itself off the
 * list under dma_lock before it is freed, so one on the list is alive while
 * dma_lock is held; nothing drops a buffer reference with a reservation held.
 *
 * Hardware context binding (xpu_ctx.c):
 *
 * &xpu_device.slot_lock (spinlock, irqsave): which file owns which hardware
 * context id (&xpu_device.slot_owner, &xpu_ctx.hw_ctx, the LRU list), the
 * bind count of each context (&xpu_ctx.slot_pins, &xpu_job.bound), the
 * deferred frees of each context (&xpu_ctx.deferred) and the slot-wait
 * fence (it is that fence's lock). Taken under &xpu_queue.lock (a job
 * leaves the hardware in xpu_job_complete()) and under &xpu_device.reset_lock
 * (a device reset restores the roots); never under &xpu_ctx.vm_lock. It takes
 * no other lock: only MMIO writes of context roots and the invalidation, the
 * signalling of the slot-wait fence and queue_work() happen under it.
 *
 * Leaves, taken under any of the above: &xpu_device.fault_lock (spinlock,
 * irqsave) and the xarray lock of &xpu_ctx.results.
 *
 * Peer buffers between two devices (xpu_link.c, xpu_peer.c): the importer
 * never holds one of its own locks while it takes the exporter's, and the
 * exporter never holds one of its own locks while it takes the importer's:
 *
 * 1. &xpu_device.link_lock of the exporter (mutex): its open windows, its
 *    peer imports and &xpu_device.links_revoked; taken by an importer's
 *    import and free with none of the importer's locks held.
 * 2. &xpu_ctx.vm_lock of the exporter's export context (memory chain 2 and
 *    what follows it): the exported buffers' mappings.
 *
 * A device reset (under &xpu_device.reset_lock) takes the device's own
 * link_lock to open its windows again: reset_lock comes before link_lock.
 *
 * The revocation of PCIe imports at the exporter's removal collects them
 * (each referenced) under the exporter's link_lock, drops it, and only then
 * takes the importer's &xpu_device.ctx_list_lock and &xpu_ctx.vm_lock to
 * rewrite the importer's page-table entries. The exporter's &struct
 * xpu_device stays allocated while a peer buffer exists (its dma-buf holds
 * a reference to the exporter's DRM device); its hardware is touched only
 * inside drm_dev_enter() on the exporter.
 */

/**
 * DOC: Debug categories
 *
 * xpu_dbg(xdev, CATEGORY, fmt, ...) prints a KERN_DEBUG message prefixed
 * with "[CATEGORY]" when the category's bit is set in the dbg_mask module
 * parameter (writable at /sys/module/xpu/parameters/dbg_mask). Messages
 * name the context (ctx = hardware context id), queue and seqno they are
 * about, so one job can be followed from submit to completion:
 *
 * - %XPU_DBG_JOB: submit, hand-over to the hardware, completion;
 * - %XPU_DBG_MMU: buffer map and unmap, MMU faults;
 * - %XPU_DBG_IRQ: completion and error interrupts;
 * - %XPU_DBG_RESET: hang checks, STOP, queue and device resets, bans.
 */
#define XPU_DBG_JOB	BIT(0)
#define XPU_DBG_MMU	BIT(1)
#define XPU_DBG_IRQ	BIT(2)
#define XPU_DBG_RESET	BIT(3)

extern unsigned int xpu_dbg_mask;

/* not dev_dbg(): the mask alone turns a category on, without dyndbg */
#define xpu_dbg(xdev, type, fmt, ...) do {					\
	if (unlikely(xpu_dbg_mask & XPU_DBG_##type))				\
		drm_dev_printk((xdev)->drm.dev, KERN_DEBUG, "[%s] " fmt, #type,	\
			       ##__VA_ARGS__);					\
} while (0)

struct xpu_device;
struct xpu_ctx;
struct seq_file;

/**
 * struct xpu_slot_record - the completion record of one ring slot
 * @rec: what every device writes
 * @units: the job's modeled busy cycles per unit, which a 1.1 device writes
 *	when the descriptor carries XPU_JOB_F_UNIT_TIMES (zero otherwise: the
 *	slot is cleared before each job)
 */
struct xpu_slot_record {
	struct xpu_job_record rec;
	struct xpu_job_record_units units;
};

/**
 * struct xpu_queue - one hardware queue and its scheduler
 * @xdev: device
 * @idx: queue index
 * @name: scheduler name, "xpu-<pci name>-q<idx>"
 * @sched: the DRM scheduler feeding this queue
 * @lock: protects @inflight, @tail and @seqno; the lock of the hardware
 *	fences
 * @stop_lock: serializes STOP ... ENABLE sequences on the queue (taken
 *	under &xpu_device.reset_lock)
 * @inflight: jobs handed to the hardware, in submission order
 * @ring: descriptor ring (coherent DMA memory)
 * @records: completion records, one per ring slot
 * @fence_word: where the device writes the last completed seqno
 * @dma: bus address of the block holding @ring, @records and @fence_word
 * @tail: next ring slot
 * @seqno: last seqno handed out
 * @fence_ctx: dma_fence context of the hardware fences
 * @hang_work: the queue's hang check (xpu_job.c), every hang_check_ms
 *	while the queue holds jobs
 * @hang_seqno: seqno of the job seen by the last hang check
 * @hang_progress: its progress counter then
 * @jobs_done: jobs completed, for debugfs
 * @jobs_direct: jobs SUBMIT put on the idle queue itself, for debugfs
 * @fence_seen: the fence word as the last completion pass read it (written
 *	under @lock, read locklessly by WAIT_JOB's poll: a fence word that
 *	differs means completions to process)
 * @busy_end_ns: completion time of the queue's last completed job, under
 *	@lock: where the next job's run on the tile starts (xpu_fdinfo.c)
 */
struct xpu_queue {
	struct xpu_device *xdev;
	u32 idx;
	char name[32];
	struct drm_gpu_scheduler sched;
	spinlock_t lock;		/* @inflight, ring tail, seqno */
	struct mutex stop_lock;		/* one STOP ... ENABLE at a time */
	struct list_head inflight;
	struct xpu_job_desc *ring;
	struct xpu_slot_record *records;
	__le64 *fence_word;
	dma_addr_t dma;
	u32 tail;
	u64 seqno;
	u64 fence_ctx;
	struct delayed_work hang_work;
	u64 hang_seqno;
	u64 hang_progress;
	atomic64_t jobs_done;
	atomic64_t jobs_direct;
	u64 fence_seen;
	u64 busy_end_ns;
};

/**
 * struct xpu_device - one XPU PCIe function
 * @drm: the DRM device (accel node)
 * @pdev: the PCI function
 * @regs: BAR0, the registers
 * @hbm: BAR2, the HBM aperture, mapped write-combined
 * @hbm_base: bus address of BAR2
 * @hbm_size: HBM bytes
 * @hw_version: version register (major << 16 | minor)
 * @caps: XPU_CAP_* bits
 * @rows: systolic array rows
 * @cols: systolic array columns
 * @num_queues: hardware queues
 * @num_ctx: hardware address-space contexts (0 is never used)
 * @clock_mhz: modeled core clock
 * @spad_size: scratchpad bytes per tile
 * @acc_size: accumulator bytes per tile
 * @hbm_gbps: modeled HBM bandwidth
 * @hbm_lock: protects @buddy and @hbm_used
 * @buddy: HBM allocator
 * @hbm_used: HBM bytes allocated
 * @hbm_reserved: the block of HBM page 0, never handed out: the device
 *	reads a page-table root of 0 as "no page table"
 * @slot_lock: protects @slot_owner, @slot_last, @slot_lru, @slot_wait,
 *	@slot_seqno and the binding state of every context
 *	(see xpu_ctx.c)
 * @slot_owner: the context bound to each hardware context id, or NULL
 *	(@num_ctx entries; id 0 is never used)
 * @slot_last: &xpu_ctx.serial of the last context bound to each id: an id
 *	that passes to another context gets its SRAM scrubbed
 * @slot_lru: bound contexts, least recently bound first (&xpu_ctx.slot_node)
 * @slot_wait: signalled when a hardware context may have become free; NULL
 *	while nobody waits
 * @slot_fence_ctx: dma_fence context of @slot_wait
 * @slot_seqno: last seqno of @slot_wait
 * @ctx_serial: last &xpu_ctx.serial handed out
 * @ctx_list_lock: protects @ctx_list
 * @ctx_list: open contexts (&xpu_ctx.node)
 * @queues: @num_queues hardware queues
 * @submit_wq: the schedulers' run_job/free_job workqueue: per CPU and high
 *	priority, so run_job runs on the submitting CPU right after the push
 * @reset_lock: one recovery (hang handling, device reset, context abort)
 *	at a time
 * @reap_list: completed jobs that SUBMIT ran directly (&xpu_job.reap_node),
 *	to be freed by @reap_work
 * @reap_work: frees @reap_list in process context, a tick after a
 *	completion, so that the completion path wakes no worker per job
 * @resets: device resets so far
 * @inject_bad_ctx: test knob (debugfs "inject badctx Q"): bit Q set makes
 *	the next job on queue Q run with hardware context 0, which has no
 *	page table
 * @inject_stop_delay_ms: test knob (debugfs "inject stopdelay MS"): the
 *	driver sleeps this long between deciding to STOP a running job and
 *	writing the STOP (the job may end meanwhile); 0 normally
 * @fault_lock: protects @fault_log and @fault_next
 * @fault_log: the last hangs, faults and ECC errors, for debugfs
 * @fault_next: count of entries written to @fault_log
 * @chip_id: this chip's id in the link fabric (0 without XPU_CAP_LINK)
 * @num_links: link ports (0 on a 1.0 device or without XPU_CAP_LINK)
 * @link_gbps: modeled bandwidth per link and direction
 * @link_latency: modeled latency per link transfer, cycles
 * @link_lock: protects @windows, @peer_imports and @links_revoked
 *	(see DOC: Locking)
 * @export_ctx: kernel context whose address space holds the buffers
 *	exported over links (NULL without links); bound for good to hardware
 *	context @export_hw_ctx, which no file ever gets
 * @export_hw_ctx: the hardware context id of @export_ctx, 0 when none
 * @windows: open link windows of this device (&struct xpu_link_window)
 * @peer_imports: PCIe imports of this device's buffers by other XPUs
 *	(&struct xpu_peer_bo.export_node)
 * @links_revoked: the device is being removed: no window opens any more
 * @dma_lock: protects @dma_bos and @dma_unmapped (see DOC: Locking)
 * @dma_bos: system-memory buffers DMA-mapped for this device
 *	(&struct xpu_dma_node.node)
 * @dma_unmapped: the device is removed and every mapping in @dma_bos is
 *	undone: no buffer is DMA-mapped for it any more
 */
struct xpu_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;
	void __iomem *hbm;		/* BAR2, write-combined */
	resource_size_t hbm_base;
	u64 hbm_size;
	u32 hw_version;
	u32 caps;
	u32 rows;
	u32 cols;
	u32 num_queues;
	u32 num_ctx;
	u32 clock_mhz;
	u32 spad_size;
	u32 acc_size;
	u32 hbm_gbps;

	struct mutex hbm_lock;		/* protects @buddy */
	struct gpu_buddy buddy;
	u64 hbm_used;
	struct list_head hbm_reserved;

	spinlock_t slot_lock;		/* hardware context binding */
	struct xpu_ctx **slot_owner;
	u64 *slot_last;
	struct list_head slot_lru;
	struct dma_fence *slot_wait;
	u64 slot_fence_ctx;
	u64 slot_seqno;
	atomic64_t ctx_serial;

	struct mutex ctx_list_lock;	/* protects @ctx_list */
	struct list_head ctx_list;

	struct xpu_queue *queues;
	struct workqueue_struct *submit_wq;
	struct mutex reset_lock;	/* one recovery at a time */
	struct llist_head reap_list;
	struct delayed_work reap_work;
	atomic_t resets;
	atomic_t inject_bad_ctx;
	unsigned int inject_stop_delay_ms;

	spinlock_t fault_lock;		/* protects the fault log */
	char fault_log[16][96];
	unsigned int fault_next;

	u32 chip_id;
	u32 num_links;
	u32 link_gbps;
	u32 link_latency;
	struct mutex link_lock;		/* windows, peer imports, revocation */
	struct xpu_ctx *export_ctx;
	u32 export_hw_ctx;
	struct list_head windows;
	struct list_head peer_imports;
	bool links_revoked;

	struct mutex dma_lock;		/* protects @dma_bos, @dma_unmapped */
	struct list_head dma_bos;
	bool dma_unmapped;
};

/**
 * struct xpu_dma_node - a buffer's entry in &xpu_device.dma_bos
 * @node: in &xpu_device.dma_bos under &xpu_device.dma_lock; empty (self
 *	linked) when the buffer is not on the list
 * @obj: the buffer
 *
 * A buffer is on the list from the DMA mapping of its pages for the device
 * until its free (which takes it off first) or the device's removal (which
 * undoes the mapping, see xpu_dma_unmap_all()).
 */
struct xpu_dma_node {
	struct list_head node;
	struct drm_gem_object *obj;
};

#define to_xpu_device(d) container_of(d, struct xpu_device, drm)

/**
 * struct xpu_vma - a buffer mapped in a context's address space
 * @node: in &xpu_ctx.vmas, under &xpu_ctx.vm_lock
 * @obj: the buffer, referenced while mapped
 * @va: its VA range, including the guard page behind it
 * @closed: the file closed its handle while a job used the buffer: the
 *	mapping stays until the buffer is idle (see xpu_vm_close())
 */
struct xpu_vma {
	struct list_head node;		/* in xpu_ctx.vmas */
	struct drm_gem_object *obj;	/* referenced while mapped */
	struct drm_mm_node va;
	bool closed;
};

/**
 * struct xpu_ctx - one open file: address space, scheduler entities, state
 * @ref: references: the file and each of its jobs
 * @xdev: device
 * @hw_ctx: hardware context id it is bound to (1 .. num_ctx - 1), 0 when
 *	unbound; written under &xpu_device.slot_lock, stable while
 *	@slot_pins is not 0
 * @serial: unique number of the context (never reused, unlike ids)
 * @slot_node: in &xpu_device.slot_lru while bound
 * @slot_pins: jobs bound to @hw_ctx that have not left the hardware: the
 *	context is not evicted, and its deferred frees wait, while not 0
 * @deferred: unmapped buffers (&struct xpu_vma) whose memory is released
 *	once the context is idle (@slot_pins 0), under &xpu_device.slot_lock
 * @deferred_queued: @deferred_work is queued (and holds a reference)
 * @deferred_work: releases @deferred once the context is idle
 * @node: in &xpu_device.ctx_list
 * @pid: process that opened the file
 * @vm_lock: protects the page tables, @va_mm, @vmas and @pt_blocks
 * @va_mm: VA allocator
 * @vmas: mapped buffers (&struct xpu_vma)
 * @pt_root: HBM offset of the root page table
 * @pt_blocks: HBM blocks of every page table
 * @submit_lock: keeps the arm + push order of the context's jobs and
 *	protects @next_job_id
 * @entities: scheduler entities, one per queue
 * @sched_queued: per queue, the context's jobs pushed to the scheduler that
 *	have not reached run_job (or free_job) yet: SUBMIT runs a job
 *	directly only when none is, so the context's jobs keep their order
 * @state: DRM_XPU_CTX_* bits
 * @closing: set on the last close: the context's jobs are cancelled
 * @scrub_queues: bit Q set: the next job on queue Q asks the device to clear
 *	the tile's SRAM first (set for every queue when the file opens: its
 *	hardware context id may have belonged to another file)
 * @resets: jobs of the context killed by a hang or fault
 * @hangs: jobs of the context killed by hang detection
 * @results: job id -> &struct xpu_result, the last XPU_RESULTS_KEPT jobs
 * @next_job_id: last job id handed out
 * @free_work: the final free, run off the schedulers' workqueues
 * @cycles: modeled cycles of completed jobs
 * @engine_ns: time its jobs were on the hardware
 */
struct xpu_ctx {
	struct kref ref;
	struct xpu_device *xdev;
	u32 hw_ctx;			/* hardware context id, 0: unbound */
	u64 serial;
	struct list_head slot_node;	/* in xpu_device.slot_lru */
	unsigned int slot_pins;
	struct list_head deferred;	/* struct xpu_vma, freed when idle */
	bool deferred_queued;
	struct work_struct deferred_work;
	struct list_head node;		/* in xpu_device.ctx_list */
	pid_t pid;

	struct mutex vm_lock;		/* page tables, @va_mm, @vmas */
	struct drm_mm va_mm;
	struct list_head vmas;
	u64 pt_root;			/* HBM offset of the root table */
	struct list_head pt_blocks;	/* every page-table block */

	struct mutex submit_lock;	/* arm + push order */
	struct drm_sched_entity *entities;	/* one per queue */
	atomic_t sched_queued[XPU_MAX_QUEUES];
	atomic_t state;			/* DRM_XPU_CTX_* bits */
	bool closing;			/* last close: cancel everything */
	unsigned long scrub_queues;
	atomic_t resets;		/* jobs killed by hang or fault */
	atomic_t hangs;

	struct xarray results;		/* job id -> struct xpu_result */
	u64 next_job_id;
	struct work_struct free_work;	/* the final put, off the schedulers */
	atomic64_t cycles;		/* modeled cycles of completed jobs */
	atomic64_t engine_ns;		/* time its jobs were on the hardware */
};

/**
 * struct xpu_result - what DRM_IOCTL_XPU_WAIT_JOB reports
 * @ref: references: the job and the context's result table
 * @done: the scheduler's finished fence of the job
 * @status: DRM_XPU_JOB_*
 * @fault_access: XPU_ACCESS_* of an MMU fault
 * @fault_va: faulting device VA
 * @cycles: modeled cycles
 * @submit_ns: time of the submit ioctl
 * @start_ns: time the job was handed to the hardware
 * @end_ns: time its completion was handled
 * @queue: the hardware queue of the job (WAIT_JOB polls it)
 * @dma_busy: modeled cycles the DMA unit was busy (1.1 device, else 0)
 * @mxu_busy: the same for the matrix unit
 * @vpu_busy: the same for the vector unit
 * @link_busy: the same for the link ports, summed
 */
struct xpu_result {
	struct kref ref;
	struct dma_fence *done;		/* scheduler finished fence */
	u32 status;
	u32 queue;
	u32 fault_access;
	u64 fault_va;
	u64 cycles;
	u64 submit_ns;
	u64 start_ns;
	u64 end_ns;
	u64 dma_busy;
	u64 mxu_busy;
	u64 vpu_busy;
	u64 link_busy;
};

/**
 * struct xpu_job - one submitted program
 * @base: the scheduler job
 * @ctx: the submitting context (referenced)
 * @queue: hardware queue index
 * @job_id: per-context id, as returned by SUBMIT
 * @seqno: hardware seqno on the queue (0 until run)
 * @hw_fence: the hardware fence, signalled on completion
 * @node: in &xpu_queue.inflight, under &xpu_queue.lock
 * @bos: the buffers the job uses (referenced)
 * @bo_count: entries in @bos
 * @prog_va: device VA of the program
 * @args_va: device VA of the argument block
 * @prog_len: program bytes
 * @args_len: argument block bytes
 * @result: what WAIT_JOB reports (referenced)
 * @hung: set when hang detection killed the job
 * @scrub: its descriptor carries XPU_JOB_F_CLEAR_SRAM
 * @slot: ring slot of its descriptor
 * @bound: the job holds a pin of its context's hardware context id
 *	(&xpu_ctx.slot_pins), from prepare_job until it leaves the hardware;
 *	under &xpu_device.slot_lock
 * @hw_ctx: the hardware context id it runs with (valid while @bound)
 * @queued: counted in &xpu_ctx.sched_queued (pushed, not yet at run_job)
 * @direct: SUBMIT put it on the idle queue itself (xpu_job_run_direct()):
 *	not a scheduler job; freed by &xpu_device.reap_work
 * @direct_refs: of a direct job: SUBMIT's and the hardware's references
 * @reap_node: of a direct job: in &xpu_device.reap_list
 */
struct xpu_job {
	struct drm_sched_job base;
	struct xpu_ctx *ctx;
	u32 queue;
	u64 job_id;
	u64 seqno;
	struct dma_fence *hw_fence;
	struct list_head node;		/* in xpu_queue.inflight */
	struct drm_gem_object **bos;
	u32 bo_count;
	u64 prog_va;
	u64 args_va;
	u32 prog_len;
	u32 args_len;
	struct xpu_result *result;
	bool hung;
	bool scrub;
	u32 slot;
	bool bound;
	u32 hw_ctx;
	bool queued;
	bool direct;
	refcount_t direct_refs;
	struct llist_node reap_node;
};

static inline u32 xpu_read(struct xpu_device *xdev, u32 reg)
{
	return readl(xdev->regs + reg);
}

static inline void xpu_write(struct xpu_device *xdev, u32 reg, u32 val)
{
	writel(val, xdev->regs + reg);
}

/* xpu_hw.c */
int xpu_hw_init(struct xpu_device *xdev);

/* xpu_irq.c */
int xpu_irq_init(struct xpu_device *xdev);

/* xpu_gem.c */
int xpu_hbm_init(struct xpu_device *xdev);
void xpu_hbm_fini(struct xpu_device *xdev);
int xpu_hbm_alloc(struct xpu_device *xdev, u64 size, struct list_head *blocks);
void xpu_hbm_free(struct xpu_device *xdev, struct list_head *blocks);
int xpu_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file);
int xpu_ioctl_bo_info(struct drm_device *drm, void *data, struct drm_file *file);
int xpu_ioctl_bo_wait(struct drm_device *drm, void *data, struct drm_file *file);
int xpu_ioctl_bo_userptr(struct drm_device *drm, void *data, struct drm_file *file);
struct drm_gem_object *xpu_gem_create_object(struct drm_device *drm, size_t size);
void xpu_gem_close(struct drm_gem_object *obj, struct drm_file *file);
u32 xpu_bo_flags(struct drm_gem_object *obj);
struct list_head *xpu_hbm_bo_blocks(struct drm_gem_object *obj);
struct sg_table *xpu_bo_sgt(struct drm_gem_object *obj);
bool xpu_dma_track(struct xpu_device *xdev, struct xpu_dma_node *dn,
		   struct drm_gem_object *obj);
void xpu_dma_untrack(struct xpu_device *xdev, struct xpu_dma_node *dn);
void xpu_dma_unmap_all(struct xpu_device *xdev);

/* xpu_mmu.c */
int xpu_vm_init(struct xpu_ctx *ctx);
void xpu_vm_fini(struct xpu_ctx *ctx);
int xpu_vm_map(struct xpu_ctx *ctx, struct drm_gem_object *obj, u64 *va);
void xpu_vm_unmap(struct xpu_ctx *ctx, struct drm_gem_object *obj);
void xpu_vm_close(struct xpu_ctx *ctx, struct drm_gem_object *obj);
void xpu_vm_free_when_idle(struct xpu_ctx *ctx, struct list_head *vmas);
void xpu_vma_free_list(struct list_head *dead);
void xpu_mmu_invalidate(struct xpu_device *xdev, u32 hw_ctx);
void xpu_vm_refill(struct xpu_device *xdev, struct drm_gem_object *obj);

/* xpu_job.c */
int xpu_queues_init(struct xpu_device *xdev);
void xpu_queues_fini(struct xpu_device *xdev);
void xpu_queue_irq(struct xpu_queue *q);
void xpu_ctx_abort(struct xpu_ctx *ctx);
int xpu_ctx_entities_init(struct xpu_ctx *ctx);
void xpu_ctx_entities_fini(struct xpu_ctx *ctx);
struct xpu_job *xpu_job_alloc(struct xpu_ctx *ctx, u32 queue);
void xpu_job_free(struct xpu_job *job);
bool xpu_job_run_direct(struct xpu_job *job);
long xpu_fences_live_count(void);
void xpu_job_put_direct(struct xpu_job *job);
int xpu_ioctl_wait_job(struct drm_device *drm, void *data, struct drm_file *file);
void xpu_result_put(struct xpu_result *res);
int xpu_device_reset(struct xpu_device *xdev, const char *why);
void xpu_log_fault(struct xpu_device *xdev, const char *fmt, ...) __printf(2, 3);

/* xpu_ctx.c */
int xpu_slots_init(struct xpu_device *xdev);
void xpu_ctx_slot_init(struct xpu_ctx *ctx);
void xpu_ctx_bind_idle(struct xpu_ctx *ctx);
void xpu_ctx_unbind(struct xpu_ctx *ctx);
struct dma_fence *xpu_ctx_bind_job(struct xpu_job *job);
bool xpu_ctx_try_bind_job(struct xpu_job *job);
void xpu_ctx_unbind_job(struct xpu_job *job);
void xpu_ctx_release_deferred(struct xpu_ctx *ctx);
void xpu_slots_restore(struct xpu_device *xdev);
void xpu_slots_wake(struct xpu_device *xdev);
int xpu_slots_reserve(struct xpu_device *xdev, struct xpu_ctx *ctx);
void xpu_slots_unreserve(struct xpu_device *xdev, struct xpu_ctx *ctx);

/* xpu_drv.c */
extern struct workqueue_struct *xpu_wq;
bool xpu_is_xpu_dev(struct device *dev);
void xpu_ctx_put(struct xpu_ctx *ctx);
static inline struct xpu_ctx *xpu_ctx_get(struct xpu_ctx *ctx)
{
	kref_get(&ctx->ref);
	return ctx;
}

/* xpu_link.c */
int xpu_link_init(struct xpu_device *xdev);
void xpu_link_revoke(struct xpu_device *xdev);
u64 xpu_link_peer(struct xpu_device *xdev, u32 port);
int xpu_link_port_to(struct xpu_device *xdev, u32 chip);
int xpu_link_window_open(struct xpu_device *xdev, struct drm_gem_object *obj,
			 u32 peer_chip, bool read_only, u32 *win);
void xpu_link_window_close(struct xpu_device *xdev, u32 win);
void xpu_link_restore(struct xpu_device *xdev);
void xpu_link_windows_show(struct seq_file *m, struct xpu_device *xdev);
void xpu_link_module_init(void);
void xpu_link_module_exit(void);
u64 xpu_link_counter(struct xpu_device *xdev, u32 port, u32 idx);

/* xpu_peer.c */
struct dma_buf *xpu_hbm_bo_export(struct drm_gem_object *obj, int flags);
struct drm_gem_object *xpu_gem_prime_import(struct drm_device *drm,
					    struct dma_buf *dma_buf);
bool xpu_is_peer_bo(struct drm_gem_object *obj);
u32 xpu_peer_bo_flags(struct drm_gem_object *obj);
u64 xpu_peer_bo_leaf(struct drm_gem_object *obj, u64 off);
void xpu_peer_bo_dma_unmap_locked(struct drm_gem_object *obj);
void xpu_peer_revoke(struct xpu_device *xdev);

/* xpu_sysfs.c */
extern const struct attribute_group *xpu_dev_groups[];

/* xpu_debugfs.c */
void xpu_debugfs_init(struct xpu_device *xdev);

/* xpu_fdinfo.c */
void xpu_fdinfo_job_done(struct xpu_queue *q, struct xpu_job *job);
void xpu_show_fdinfo(struct drm_printer *p, struct drm_file *file);

#endif /* __XPU_DRV_H__ */
