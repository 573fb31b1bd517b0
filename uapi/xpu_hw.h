/* SPDX-License-Identifier: MIT */
/*
 * XPU v1 hardware interface: PCI identity, BAR layout, register map, queue
 * ring and job descriptor formats, completion records, device MMU page-table
 * format and status codes. Shared by the QEMU device model, the kernel driver,
 * the runtime and the tests. The instruction set is in xpu_isa.h.
 *
 * Everything here is little-endian. docs/hardware.md is the prose reference.
 */
#ifndef XPU_HW_H
#define XPU_HW_H

#ifdef __KERNEL__
#include <linux/types.h>
/* fields the device reads or writes in memory are little-endian */
#define XPU_LE32 __le32
#define XPU_LE64 __le64
#else
#include <stdint.h>
#define XPU_LE32 uint32_t
#define XPU_LE64 uint64_t
#endif

/* ---- PCI identity -------------------------------------------------------- */
#define XPU_PCI_VENDOR_ID	0x1234	/* QEMU's test vendor ID */
#define XPU_PCI_DEVICE_ID	0x5850	/* "XP" */
#define XPU_PCI_CLASS		0x1200	/* processing accelerator */
#define XPU_PCI_REVISION	0x01

#define XPU_BAR_REGS		0	/* 64 KiB MMIO registers */
#define XPU_BAR_HBM		2	/* 64-bit prefetchable HBM aperture */
#define XPU_BAR_MSIX		4	/* MSI-X table and PBA */
#define XPU_REGS_SIZE		0x10000

/* ---- Global registers (BAR0), all 32 bit ---------------------------------- */
#define XPU_REG_ID		0x0000	/* RO: XPU_ID_MAGIC */
#define XPU_ID_MAGIC		0x31555058	/* "XPU1" */
#define XPU_REG_VERSION		0x0004	/* RO: major << 16 | minor */
#define XPU_HW_VERSION_MAJOR	1
#define XPU_HW_VERSION_MINOR	1	/* 1.1: chip-to-chip links */
#define XPU_REG_CAPS		0x0008	/* RO: XPU_CAP_* */
#define XPU_CAP_INT8		(1u << 0)
#define XPU_CAP_BF16		(1u << 1)
#define XPU_CAP_MMU		(1u << 2)
#define XPU_CAP_VECTOR		(1u << 3)
#define XPU_CAP_ERR_INJECT	(1u << 4)
#define XPU_CAP_LINK		(1u << 5)	/* chip-to-chip link ports (1.1) */
#define XPU_REG_ARRAY		0x000c	/* RO: rows << 16 | cols */
#define XPU_REG_HBM_SIZE_LO	0x0010	/* RO: HBM bytes */
#define XPU_REG_HBM_SIZE_HI	0x0014
#define XPU_REG_NUM_QUEUES	0x0018	/* RO */
#define XPU_REG_CLOCK_MHZ	0x001c	/* RO: modeled core clock */
#define XPU_REG_SPAD_KIB	0x0020	/* RO: scratchpad SRAM per tile, KiB */
#define XPU_REG_ACC_KIB		0x0024	/* RO: accumulator SRAM per tile, KiB */
#define XPU_REG_HBM_GBPS	0x0028	/* RO: modeled HBM bandwidth, GB/s */
#define XPU_REG_NUM_CTX		0x002c	/* RO: number of MMU contexts */
#define XPU_REG_STATUS		0x0030	/* RO: XPU_STATUS_* */
#define XPU_STATUS_READY	(1u << 0)
#define XPU_STATUS_FATAL	(1u << 1)	/* ECC error: needs reset */
#define XPU_REG_RESET		0x0034	/* WO: write XPU_RESET_MAGIC */
#define XPU_RESET_MAGIC		0x52534554	/* "RSET": function-level reset */
#define XPU_REG_SCRATCH		0x0038	/* RW: no side effect */

/* Error interrupt (the last MSI-X vector, XPU_MSIX_ERR_VEC(num_queues)) */
#define XPU_REG_ERR_STATUS	0x0040	/* RW1C: XPU_ERR_* causes pending */
#define XPU_ERR_MMU_FAULT	(1u << 0)
#define XPU_ERR_DMA		(1u << 1)
#define XPU_ERR_ECC		(1u << 2)
#define XPU_ERR_QUEUE		(1u << 3)	/* bad ring/descriptor */
#define XPU_REG_ERR_QUEUE	0x0044	/* RO: queue of the last error */
#define XPU_REG_ERR_CTX		0x0048	/* RO: context of the last fault */
#define XPU_REG_ERR_ACCESS	0x004c	/* RO: XPU_ACCESS_* of the last fault */
#define XPU_REG_ERR_VA_LO	0x0050	/* RO: faulting device VA */
#define XPU_REG_ERR_VA_HI	0x0054

/* Device MMU */
#define XPU_REG_MMU_INVALIDATE	0x0060	/* WO: context id, or XPU_MMU_INV_ALL */
#define XPU_MMU_INV_ALL		0xffffffffu
/* Debug-only error injection: write XPU_INJECT_* with the queue in bits 8..15 */
#define XPU_REG_INJECT		0x0064
#define XPU_INJECT_NONE		0
#define XPU_INJECT_HANG		1	/* the next job on the queue never ends */
#define XPU_INJECT_ECC		2	/* uncorrectable HBM ECC error */
#define XPU_INJECT_DMA		3	/* the next DMA of the queue fails */
/* links (1.1): the link port in bits 8..15 instead of a queue */
#define XPU_INJECT_LINK_DOWN	4	/* the link goes down at both ends until RETRAIN */
#define XPU_INJECT_LINK_CORRUPT	5	/* the next transfer over the port arrives with a
					 * bad checksum: dropped, the job ends LINK_ERROR
					 */

/* Chip-to-chip links (1.1), all RO; per-port registers at XPU_REG_LINK() */
#define XPU_REG_CHIP_ID		0x0068	/* this chip's fabric id, < XPU_MAX_CHIPS */
#define XPU_REG_NUM_LINKS	0x006c	/* link ports, <= XPU_MAX_LINKS */
#define XPU_REG_LINK_GBPS	0x0070	/* modeled bandwidth per link and direction, GB/s */
#define XPU_REG_LINK_LATENCY	0x0074	/* modeled latency per transfer, cycles */
#define XPU_MAX_CHIPS		32
#define XPU_MAX_LINKS		8

/* Performance counters, 64 bit (LO then HI), summed over all queues */
#define XPU_REG_PERF_BASE	0x0100
#define XPU_PERF_JOBS		0	/* jobs completed */
#define XPU_PERF_CYCLES		1	/* modeled cycles of completed jobs */
#define XPU_PERF_DMA_BUSY	2	/* DMA unit busy cycles */
#define XPU_PERF_MXU_BUSY	3	/* matrix unit busy cycles */
#define XPU_PERF_VPU_BUSY	4	/* vector unit busy cycles */
#define XPU_PERF_DMA_BYTES	5	/* bytes moved by DMA */
#define XPU_PERF_MACS		6	/* multiply-accumulates done */
#define XPU_PERF_LINK_BUSY	7	/* link busy cycles of this chip's jobs, all ports (1.1) */
#define XPU_PERF_LINK_BYTES	8	/* bytes this chip's jobs moved over links (1.1) */
#define XPU_PERF_COUNT		9
#define XPU_REG_PERF(i)		(XPU_REG_PERF_BASE + (i) * 8)

/* Per-context page-table roots: 64-bit device physical address, LO then HI */
#define XPU_REG_CTX_ROOT_BASE	0x1000
#define XPU_REG_CTX_ROOT(c)	(XPU_REG_CTX_ROOT_BASE + (c) * 8)
#define XPU_MAX_CTX		64

/* ---- Hardware queues ------------------------------------------------------ */
#define XPU_REG_QUEUE_BASE	0x2000
#define XPU_QUEUE_STRIDE	0x100
#define XPU_REG_Q(q, r)		(XPU_REG_QUEUE_BASE + (q) * XPU_QUEUE_STRIDE + (r))
#define XPU_MAX_QUEUES		16
#define XPU_Q_RING_LO		0x00	/* RW: ring base, device physical */
#define XPU_Q_RING_HI		0x04
#define XPU_Q_RING_SIZE		0x08	/* RW: entries, power of two, 2..4096 */
#define XPU_Q_HEAD		0x0c	/* RO: next entry the device reads */
#define XPU_Q_TAIL		0x10	/* RW: doorbell, next entry to write */
#define XPU_Q_CONTROL		0x14	/* RW: XPU_QCTL_* */
#define XPU_QCTL_ENABLE		(1u << 0)
#define XPU_QCTL_STOP		(1u << 1)	/* WO: abort running job, disable */
#define XPU_QCTL_RESET		(1u << 2)	/* WO: stop + head = tail = 0 */
#define XPU_Q_STATUS		0x18	/* RO: XPU_QSTS_* */
#define XPU_QSTS_ENABLED	(1u << 0)
#define XPU_QSTS_BUSY		(1u << 1)	/* a job is running */
#define XPU_QSTS_ERROR		(1u << 2)	/* bad ring or descriptor */
#define XPU_Q_FENCE_LO		0x20	/* RW: where the fence is written */
#define XPU_Q_FENCE_HI		0x24
#define XPU_Q_PROGRESS_LO	0x28	/* RO: progress (insns + work units), running job */
#define XPU_Q_PROGRESS_HI	0x2c
#define XPU_Q_DONE_FENCE_LO	0x30	/* RO: last fence value written */
#define XPU_Q_DONE_FENCE_HI	0x34

/*
 * ---- Link ports (1.1) ------------------------------------------------------
 * Port p of this chip is cabled (QEMU's topology) to port q of a peer chip.
 * Both ends of a link count every transfer that crosses it. A job reaches a
 * peer's memory only through a window the peer opened for this chip's id
 * (XPU_REG_WIN below), by a leaf PTE with XPU_PTE_LINK in its own context.
 */
#define XPU_REG_LINK_BASE	0x3000
#define XPU_LINK_STRIDE		0x40
#define XPU_REG_LINK(p, r)	(XPU_REG_LINK_BASE + (p) * XPU_LINK_STRIDE + (r))
#define XPU_LINK_STATUS		0x00	/* RO: XPU_LSTS_* */
#define XPU_LSTS_CONNECTED	(1u << 0)	/* a peer port is cabled to this one */
#define XPU_LSTS_UP		(1u << 1)	/* trained: transfers possible */
#define XPU_LINK_PEER		0x04	/* RO: peer chip id | peer port << 16 */
#define XPU_LINK_NO_PEER	0xffffffffu	/* ... when nothing is cabled */
#define XPU_LINK_CONTROL	0x08	/* WO: XPU_LCTL_* */
#define XPU_LCTL_RETRAIN	(1u << 0)	/* bring a link that went down up again */
#define XPU_LINK_CNT(i)		(0x10 + (i) * 8)	/* RO 64-bit counters, LO then HI */
#define XPU_LINK_CNT_BYTES	0	/* payload bytes that crossed the link */
#define XPU_LINK_CNT_XFERS	1	/* transfers (one per page run) */
#define XPU_LINK_CNT_BUSY	2	/* modeled busy cycles */
#define XPU_LINK_CNT_ERRORS	3	/* transfers dropped: bad checksum or link down */
#define XPU_LINK_CNT_COUNT	4

/*
 * ---- Link windows (1.1): what peers may reach of this chip -----------------
 * Window w lets the chips in XPU_WIN_PEERS read (XPU_WINF_READ) and/or write
 * (XPU_WINF_WRITE) [va, va + size) of MMU context XPU_WIN_CTX of this chip;
 * a peer addresses it by byte offset. Program ctx, va, size and peers, then
 * write flags with XPU_WINF_VALID. Revoke by writing flags 0: when that
 * write completes, no transfer through the window is in progress and none
 * starts later. An access outside a valid window, from a chip not in peers,
 * of a kind not allowed, or that faults in this chip's MMU fails the
 * requesting job with XPU_JOB_STATUS_LINK_ERROR and touches nothing.
 */
#define XPU_REG_WIN_BASE	0x3400
#define XPU_WIN_STRIDE		0x20
#define XPU_MAX_WINDOWS		64
#define XPU_REG_WIN(w, r)	(XPU_REG_WIN_BASE + (w) * XPU_WIN_STRIDE + (r))
#define XPU_WIN_CTX		0x00	/* RW: MMU context */
#define XPU_WIN_FLAGS		0x04	/* RW: XPU_WINF_* */
#define XPU_WINF_VALID		(1u << 0)
#define XPU_WINF_READ		(1u << 1)
#define XPU_WINF_WRITE		(1u << 2)
#define XPU_WIN_VA_LO		0x08	/* RW: page aligned */
#define XPU_WIN_VA_HI		0x0c
#define XPU_WIN_SIZE_LO		0x10	/* RW: bytes, a multiple of the page size */
#define XPU_WIN_SIZE_HI		0x14
#define XPU_WIN_PEERS		0x18	/* RW: bit c set = chip c may use the window */

/* MSI-X: vector q for queue q, then one vector for errors */
#define XPU_MSIX_ERR_VEC(nq)	(nq)

/*
 * Device physical addresses (rings, fences, completion records, page tables):
 * bit 63 clear = offset into HBM; bit 63 set = host bus address in bits 0..62
 * (a DMA address the driver got from the DMA API).
 */
#define XPU_DPA_HOST		(1ull << 63)
/* (1.1) bit 62 set = a peer's memory through a link: XPU_LINK_ADDR() below */
#define XPU_DPA_LINK		(1ull << 62)

/* ---- Job descriptor: one ring entry, 64 bytes ------------------------------ */
#define XPU_JOB_NOP		0	/* completes at once */
#define XPU_JOB_EXEC		1	/* run a program */

struct xpu_job_desc {
	XPU_LE32 op;		/* XPU_JOB_* */
	XPU_LE32 ctx;		/* MMU context, < XPU_REG_NUM_CTX */
	XPU_LE64 fence;		/* written to the queue's fence address at end */
	XPU_LE64 prog_va;	/* program, device VA, 8-byte aligned */
	XPU_LE32 prog_len;	/* bytes, multiple of 8 */
	XPU_LE32 flags;		/* XPU_JOB_F_*; other bits must be 0 */
	XPU_LE64 args_va;	/* argument block, device VA (r1 at start) */
	XPU_LE32 args_len;	/* bytes (r2 at start) */
	XPU_LE32 rsvd0;
	XPU_LE64 record;	/* completion record, device physical; 0 = none */
	XPU_LE64 cookie;	/* opaque, copied to the record */
};

/*
 * Descriptor flags. CLEAR_SRAM: zero the tile's scratchpad and accumulators
 * before the job runs (the device also does so whenever the context id
 * changes); the driver sets it on the first job of a new owner of a context
 * id, so that SRAM never passes from one process to the next.
 */
#define XPU_JOB_F_CLEAR_SRAM	(1u << 0)
/*
 * UNIT_TIMES (1.1): the completion record is 128 bytes: struct
 * xpu_job_record followed by struct xpu_job_record_units (the job's busy
 * time per unit, from the timing model). Without it the device writes only
 * the first 64 bytes, as 1.0 did.
 */
#define XPU_JOB_F_UNIT_TIMES	(1u << 1)
#define XPU_JOB_F_ALL		(XPU_JOB_F_CLEAR_SRAM | XPU_JOB_F_UNIT_TIMES)

/* ---- Completion record, written by the device, 64 bytes -------------------- */
struct xpu_job_record {
	XPU_LE32 status;	/* XPU_JOB_STATUS_* */
	XPU_LE32 fault_access;	/* XPU_ACCESS_* when status is MMU_FAULT */
	XPU_LE64 cycles;	/* modeled cycles */
	XPU_LE64 fault_va;	/* faulting device VA */
	XPU_LE64 retired;	/* instructions retired */
	XPU_LE64 dma_bytes;
	XPU_LE64 macs;
	XPU_LE64 cookie;
	XPU_LE64 rsvd;
};

/* The second half of a UNIT_TIMES record, 64 bytes: modeled busy cycles */
struct xpu_job_record_units {
	XPU_LE64 dma_busy;
	XPU_LE64 mxu_busy;
	XPU_LE64 vpu_busy;
	XPU_LE64 link_busy;	/* all link ports */
	XPU_LE64 link_bytes;
	XPU_LE64 rsvd[3];
};

/*
 * Job status codes: the one list, X(name, code, meaning). The device writes
 * XPU_JOB_STATUS_<name> in the completion record; the kernel driver reports
 * the same code as DRM_XPU_JOB_<name> (uapi/drm/xpu_accel.h repeats the values,
 * as a uAPI header cannot include this one, and the driver checks every pair
 * at compile time). Hardware codes stay below XPU_JOB_STATUS_DRIVER_FIRST;
 * the codes from there on are the driver's own (hung, cancelled).
 */
#define XPU_JOB_STATUS_LIST(X) \
	X(OK,		0, "completed") \
	X(MMU_FAULT,	1, "unmapped VA or permission") \
	X(BAD_INSN,	2, "undefined opcode or operand") \
	X(SRAM_RANGE,	3, "scratchpad/acc out of range") \
	X(DMA_ERROR,	4, "host memory not reachable") \
	X(ABORTED,	5, "queue stopped or reset") \
	X(BAD_DESC,	6, "bad descriptor field") \
	X(ECC,		7, "uncorrectable memory error") \
	X(BAD_CTX,	8, "context has no page table") \
	X(LINK_ERROR,	9, "link down, window refused or corrupted transfer")

#define XPU_JOB_STATUS_ENUM_(name, code, meaning) XPU_JOB_STATUS_##name = code,
enum xpu_job_status {
	XPU_JOB_STATUS_LIST(XPU_JOB_STATUS_ENUM_)
	XPU_JOB_STATUS_DRIVER_FIRST = 16	/* first code that is not the device's */
};

#undef XPU_JOB_STATUS_ENUM_

/* Access kinds reported on a fault */
#define XPU_ACCESS_READ		1
#define XPU_ACCESS_WRITE	2
#define XPU_ACCESS_EXEC		3

/* ---- Device MMU: 4-level radix tree, 4 KiB pages, 48-bit VA ----------------- */
#define XPU_PAGE_SHIFT		12
#define XPU_PAGE_SIZE		(1ull << XPU_PAGE_SHIFT)
#define XPU_VA_BITS		48
#define XPU_PT_LEVELS		4
#define XPU_PT_ENTRIES		512	/* 9 bits per level, 8-byte entries */
#define XPU_PTE_VALID		(1ull << 0)
#define XPU_PTE_READ		(1ull << 1)	/* leaf only */
#define XPU_PTE_WRITE		(1ull << 2)	/* leaf only */
#define XPU_PTE_HOST		(1ull << 3)	/* frame is a host bus address */
#define XPU_PTE_LINK		(1ull << 4)	/* leaf only (1.1): frame is a link address */
#define XPU_PTE_ADDR_MASK	0x000ffffffffff000ull	/* bits 12..51 */
/*
 * A link address (the address bits of an XPU_PTE_LINK leaf): link port in
 * bits 48..51, the peer's window in bits 40..47, the byte offset into the
 * window in bits 0..39. A leaf with both HOST and LINK set faults. Page
 * tables themselves cannot live behind a link (a table frame is never one).
 */
#define XPU_LINK_ADDR(port, win, off) \
	(((uint64_t)(port) << 48) | ((uint64_t)(win) << 40) | (uint64_t)(off))
#define XPU_LINK_ADDR_PORT(a)	(((a) >> 48) & 0xf)
#define XPU_LINK_ADDR_WIN(a)	(((a) >> 40) & 0xff)
#define XPU_LINK_ADDR_OFF(a)	((a) & ((1ull << 40) - 1))
#define XPU_LINK_WIN_MAX	(1ull << 40)	/* largest window, bytes */
/* Index into the table of level l (3 = root ... 0 = leaf) for va */
#define XPU_PT_INDEX(va, l)	(((va) >> (XPU_PAGE_SHIFT + 9 * (l))) & 511)

#endif /* XPU_HW_H */
