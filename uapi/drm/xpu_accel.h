/* SPDX-License-Identifier: MIT */
/*
 * XPU accel driver uAPI.
 *
 * Rules (Documentation/process/botching-up-ioctls.rst): every struct has a
 * fixed size, 64-bit alignment and explicit padding; padding and reserved
 * fields must be zero (-EINVAL otherwise); user pointers are __u64; ioctl
 * numbers are append-only. A runtime first queries DRM_XPU_PARAM_UAPI_VERSION
 * and refuses to run against an older major.
 */
#ifndef _UAPI_DRM_XPU_ACCEL_H
#define _UAPI_DRM_XPU_ACCEL_H

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * uAPI version: major changes only on an incompatible change (never so far),
 * minor when something is added.
 *
 * 1.0: the first version.
 * 1.1: &struct drm_xpu_submit grows @bos and @syncs (strided arrays of
 *	&struct drm_xpu_submit_bo and &struct drm_xpu_sync_op: several
 *	syncobjs signalled by one job, binary and timeline, waits and signals
 *	in one array); DRM_XPU_PARAM_MAX_SYNC_OPS; job status
 *	DRM_XPU_JOB_BAD_CTX. A 1.0 program runs unchanged: it passes the
 *	1.0-sized struct, whose missing tail reads as zero.
 * 1.2: DRM_IOCTL_XPU_BO_USERPTR (a buffer of the caller's own pinned
 *	pages, &struct drm_xpu_bo_userptr), the DRM_XPU_BO_USER_PAGES bit of
 *	&struct drm_xpu_bo_info.flags, DRM_XPU_PARAM_MAX_USERPTR_SIZE.
 * 1.3: chip-to-chip links and peer buffers: DRM_XPU_PARAM_CHIP_ID,
 *	DRM_XPU_PARAM_NUM_LINKS, DRM_XPU_PARAM_LINK_GBPS,
 *	DRM_XPU_PARAM_LINK_LATENCY, DRM_XPU_PARAM_LINK_PEER(port); an HBM
 *	buffer exported with DRM_IOCTL_PRIME_HANDLE_TO_FD can be imported by
 *	another XPU with DRM_IOCTL_PRIME_FD_TO_HANDLE (the DRM_XPU_BO_PEER_*
 *	bits of &struct drm_xpu_bo_info.flags say how it is reached); job
 *	status DRM_XPU_JOB_LINK_ERROR; &struct drm_xpu_wait_job grows the job's
 *	per-unit busy times (@dma_busy, @mxu_busy, @vpu_busy, @link_busy).
 */
#define DRM_XPU_UAPI_VERSION_MAJOR	1
#define DRM_XPU_UAPI_VERSION_MINOR	3

#define DRM_XPU_GET_PARAM		0x00
#define DRM_XPU_BO_CREATE		0x01
#define DRM_XPU_BO_INFO			0x02
#define DRM_XPU_BO_WAIT			0x03
#define DRM_XPU_SUBMIT			0x04
#define DRM_XPU_WAIT_JOB		0x05
#define DRM_XPU_BO_USERPTR		0x06

#define DRM_IOCTL_XPU_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XPU_GET_PARAM, struct drm_xpu_get_param)
#define DRM_IOCTL_XPU_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XPU_BO_CREATE, struct drm_xpu_bo_create)
#define DRM_IOCTL_XPU_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XPU_BO_INFO, struct drm_xpu_bo_info)
#define DRM_IOCTL_XPU_BO_WAIT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_XPU_BO_WAIT, struct drm_xpu_bo_wait)
#define DRM_IOCTL_XPU_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XPU_SUBMIT, struct drm_xpu_submit)
#define DRM_IOCTL_XPU_WAIT_JOB \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XPU_WAIT_JOB, struct drm_xpu_wait_job)
#define DRM_IOCTL_XPU_BO_USERPTR \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XPU_BO_USERPTR, struct drm_xpu_bo_userptr)

/**
 * enum drm_xpu_param - parameters for &struct drm_xpu_get_param
 *
 * @DRM_XPU_PARAM_UAPI_VERSION: major << 16 | minor of this header the driver
 *	implements
 * @DRM_XPU_PARAM_DEVICE_ID: PCI vendor << 16 | device
 * @DRM_XPU_PARAM_HW_VERSION: hardware version register (major << 16 | minor)
 * @DRM_XPU_PARAM_CAPS: hardware capability bits (XPU_CAP_* in xpu_hw.h)
 * @DRM_XPU_PARAM_ARRAY_ROWS: systolic array rows
 * @DRM_XPU_PARAM_ARRAY_COLS: systolic array columns
 * @DRM_XPU_PARAM_HBM_SIZE: HBM bytes
 * @DRM_XPU_PARAM_NUM_QUEUES: hardware queues
 * @DRM_XPU_PARAM_CLOCK_MHZ: modeled core clock in MHz
 * @DRM_XPU_PARAM_SPAD_SIZE: scratchpad SRAM bytes per tile
 * @DRM_XPU_PARAM_ACC_SIZE: accumulator SRAM bytes per tile
 * @DRM_XPU_PARAM_HBM_BANDWIDTH: modeled HBM bandwidth in GB/s
 * @DRM_XPU_PARAM_NUM_CONTEXTS: hardware address-space contexts
 * @DRM_XPU_PARAM_MAX_BO_SIZE: largest buffer DRM_IOCTL_XPU_BO_CREATE accepts
 * @DRM_XPU_PARAM_VA_START: first device VA the driver assigns
 * @DRM_XPU_PARAM_VA_SIZE: size of the device VA range the driver assigns
 * @DRM_XPU_PARAM_MAX_SUBMIT_BOS: most buffers one submit may list
 * @DRM_XPU_PARAM_CTX_STATE: this file's context: DRM_XPU_CTX_* bits
 * @DRM_XPU_PARAM_CTX_RESETS: jobs of this file's context killed by a hang
 *	or fault so far
 * @DRM_XPU_PARAM_MAX_SYNC_OPS: most sync operations one submit may list
 *	(uAPI 1.1)
 * @DRM_XPU_PARAM_MAX_USERPTR_SIZE: largest buffer DRM_IOCTL_XPU_BO_USERPTR
 *	accepts (uAPI 1.2)
 * @DRM_XPU_PARAM_CHIP_ID: this device's chip id in the link fabric (1.3)
 * @DRM_XPU_PARAM_NUM_LINKS: link ports, 0 without links (1.3)
 * @DRM_XPU_PARAM_LINK_GBPS: modeled bandwidth per link and direction (1.3)
 * @DRM_XPU_PARAM_LINK_LATENCY: modeled latency per link transfer, cycles (1.3)
 * @DRM_XPU_PARAM_LINK_PEER_BASE: DRM_XPU_PARAM_LINK_PEER(port), port below
 *	NUM_LINKS (-EINVAL otherwise): DRM_XPU_LINK_PEER_NONE when nothing is
 *	cabled to the port, else the peer's chip id in bits 0..15, its port in
 *	bits 16..23 and DRM_XPU_LINK_UP when the link is up (1.3)
 */
enum drm_xpu_param {
	DRM_XPU_PARAM_UAPI_VERSION = 0,
	DRM_XPU_PARAM_DEVICE_ID = 1,
	DRM_XPU_PARAM_HW_VERSION = 2,
	DRM_XPU_PARAM_CAPS = 3,
	DRM_XPU_PARAM_ARRAY_ROWS = 4,
	DRM_XPU_PARAM_ARRAY_COLS = 5,
	DRM_XPU_PARAM_HBM_SIZE = 6,
	DRM_XPU_PARAM_NUM_QUEUES = 7,
	DRM_XPU_PARAM_CLOCK_MHZ = 8,
	DRM_XPU_PARAM_SPAD_SIZE = 9,
	DRM_XPU_PARAM_ACC_SIZE = 10,
	DRM_XPU_PARAM_HBM_BANDWIDTH = 11,
	DRM_XPU_PARAM_NUM_CONTEXTS = 12,
	DRM_XPU_PARAM_MAX_BO_SIZE = 13,
	DRM_XPU_PARAM_VA_START = 14,
	DRM_XPU_PARAM_VA_SIZE = 15,
	DRM_XPU_PARAM_MAX_SUBMIT_BOS = 16,
	DRM_XPU_PARAM_CTX_STATE = 17,
	DRM_XPU_PARAM_CTX_RESETS = 18,
	DRM_XPU_PARAM_MAX_SYNC_OPS = 19,
	DRM_XPU_PARAM_MAX_USERPTR_SIZE = 20,
	DRM_XPU_PARAM_CHIP_ID = 21,
	DRM_XPU_PARAM_NUM_LINKS = 22,
	DRM_XPU_PARAM_LINK_GBPS = 23,
	DRM_XPU_PARAM_LINK_LATENCY = 24,
	DRM_XPU_PARAM_LINK_PEER_BASE = 0x100,
};

#define DRM_XPU_PARAM_LINK_PEER(port)	(DRM_XPU_PARAM_LINK_PEER_BASE + (port))
#define DRM_XPU_LINK_PEER_NONE		(~0ull)
#define DRM_XPU_LINK_UP			(1ull << 63)

/* DRM_XPU_PARAM_CTX_STATE bits */
#define DRM_XPU_CTX_FAULTED	(1 << 0)	/* a job of this context faulted */
#define DRM_XPU_CTX_HUNG	(1 << 1)	/* a job of this context hung */
#define DRM_XPU_CTX_BANNED	(1 << 2)	/* further submits fail with -ECANCELED */

/**
 * struct drm_xpu_get_param - query a device parameter
 * @param: in, one of &enum drm_xpu_param; unknown values give -EINVAL
 * @pad: must be zero (-EINVAL)
 * @value: out, the parameter's value
 */
struct drm_xpu_get_param {
	__u32 param;
	__u32 pad;
	__u64 value;
};

/* Buffer placement, &struct drm_xpu_bo_create.flags */
#define DRM_XPU_BO_HBM		(1 << 0)	/* device HBM, CPU-mapped write-combined */
#define DRM_XPU_BO_HOST		(1 << 1)	/* system memory, CPU-mapped cached */
#define DRM_XPU_BO_DEVICE_RO	(1 << 2)	/* the device may only read it */
/*
 * Output only, in &struct drm_xpu_bo_info.flags (uAPI 1.2): a buffer of
 * pinned user pages from DRM_IOCTL_XPU_BO_USERPTR (reported together with
 * DRM_XPU_BO_HOST). DRM_IOCTL_XPU_BO_CREATE rejects it (-EINVAL).
 */
#define DRM_XPU_BO_USER_PAGES	(1 << 3)

/**
 * struct drm_xpu_bo_create - create a buffer and map it in the file's
 * device address space
 * @size: in, bytes; rounded up to 4 KiB; 0 or > MAX_BO_SIZE gives -EINVAL,
 *	no room gives -ENOMEM (HBM) or -ENOSPC (address space)
 * @flags: in, exactly one of DRM_XPU_BO_HBM / DRM_XPU_BO_HOST, optionally
 *	DRM_XPU_BO_DEVICE_RO; other bits give -EINVAL
 * @handle: out, GEM handle (close with DRM_IOCTL_GEM_CLOSE)
 * @va: out, device virtual address, valid for this file only
 */
struct drm_xpu_bo_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
	__u64 va;
};

/**
 * struct drm_xpu_bo_info - look up a buffer
 * @handle: in; unknown gives -ENOENT
 * @flags: out, creation flags, and DRM_XPU_BO_USER_PAGES, DRM_XPU_BO_PEER_LINK
 *	or DRM_XPU_BO_PEER_PCIE
 * @size: out, bytes
 * @va: out, device VA in this file's address space
 * @mmap_offset: out, offset to mmap() on the accel fd
 */
struct drm_xpu_bo_info {
	__u32 handle;
	__u32 flags;
	__u64 size;
	__u64 va;
	__u64 mmap_offset;
};

/*
 * Output only, in &struct drm_xpu_bo_info.flags (uAPI 1.3): a buffer
 * imported (DRM_IOCTL_PRIME_FD_TO_HANDLE) from another XPU's HBM. Jobs of
 * this device reach it at @va: over a link when an up link joins the two
 * chips (the exporter opens a window for this chip only), else by PCIe
 * peer-to-peer. The import fails with -ENOLINK when neither works (the
 * xpu module parameter pcie_p2p=0 turns PCIe off), -ENODEV when the
 * exporter is being removed, -ENOSPC when the exporter's chip has no free
 * window (64). The buffer cannot be mmap()ed through the importer's fd
 * (the exporter's maps it); exported again it is the exporter's dma-buf.
 * Its BO_INFO flags are DRM_XPU_BO_PEER_LINK or DRM_XPU_BO_PEER_PCIE, with
 * DRM_XPU_BO_DEVICE_RO when the exported buffer has it (neither HBM nor
 * HOST: the memory is the peer's). When the exporting device goes away
 * what it exported is revoked (its windows closed, the PCIe mappings
 * replaced by an address no chip answers): jobs that touch the buffer then
 * end with DRM_XPU_JOB_LINK_ERROR, by either path. An HBM buffer's dma-buf can be imported only
 * by XPU devices; other importers' attach fails with -EOPNOTSUPP.
 */
#define DRM_XPU_BO_PEER_LINK	(1 << 4)
#define DRM_XPU_BO_PEER_PCIE	(1 << 5)

/* &struct drm_xpu_bo_userptr.flags */
#define DRM_XPU_USERPTR_DEVICE_RO	(1 << 0)	/* the device may only read it */

/**
 * struct drm_xpu_bo_userptr - make a buffer of the caller's own memory and
 * map it in the file's device address space (uAPI 1.2)
 * @userptr: in, start of the memory in the calling process; page aligned
 *	(-EINVAL otherwise)
 * @size: in, bytes; a multiple of the page size, > 0 and at most
 *	DRM_XPU_PARAM_MAX_USERPTR_SIZE (-EINVAL otherwise)
 * @flags: in, 0 or DRM_XPU_USERPTR_DEVICE_RO; other bits give -EINVAL
 * @handle: out, GEM handle (close with DRM_IOCTL_GEM_CLOSE); must be zero
 *	on input (-EINVAL)
 * @va: out, device virtual address, valid for this file only; must be zero
 *	on input (-EINVAL)
 * @rsvd: must be zero (-EINVAL)
 *
 * The pages are pinned (long term) until the buffer is freed: after
 * GEM_CLOSE of its handle and the end of the last job that uses it. They
 * are the caller's anonymous or shmem memory: device and CPU see the same
 * bytes, a device write is visible to the CPU once the job has completed.
 * Without DRM_XPU_USERPTR_DEVICE_RO the pages must be writable by the
 * caller. The pinned pages count against RLIMIT_MEMLOCK (unless the caller
 * has CAP_IPC_LOCK). The buffer cannot be mmap()ed through the accel fd
 * (-EINVAL: the caller has its own mapping) nor exported (-EOPNOTSUPP).
 *
 * Errors: -EINVAL bad field; -EFAULT a page of the range is not mapped, is
 * read-only without DRM_XPU_USERPTR_DEVICE_RO, or cannot be pinned (I/O or
 * PFN mappings such as a buffer's own BAR mapping, file mappings that the
 * kernel does not pin long term); -ENOMEM over RLIMIT_MEMLOCK or out of
 * memory; -ENOSPC no room in the address space; -ENODEV device gone.
 */
struct drm_xpu_bo_userptr {
	__u64 userptr;
	__u64 size;
	__u32 flags;
	__u32 handle;
	__u64 va;
	__u64 rsvd;
};

/**
 * struct drm_xpu_bo_wait - wait until no job uses a buffer
 * @handle: in
 * @pad: must be zero
 * @timeout_ns: absolute CLOCK_MONOTONIC deadline; -ETIME when it passes
 */
struct drm_xpu_bo_wait {
	__u32 handle;
	__u32 pad;
	__s64 timeout_ns;
};

/**
 * struct drm_xpu_sync - one syncobj to wait for
 * @handle: syncobj handle
 * @pad: must be zero
 * @point: timeline point, 0 for a binary syncobj
 */
struct drm_xpu_sync {
	__u32 handle;
	__u32 pad;
	__u64 point;
};

/**
 * struct drm_xpu_obj_array - a user array whose elements can grow (uAPI 1.1)
 * @stride: in, bytes per element as userspace built it (the sizeof() of
 *	the element struct in its copy of this header). The kernel accepts a
 *	smaller stride down to the element's first version (the fields it
 *	lacks read as zero) and a larger one (the tail it does not know must
 *	be zero, -E2BIG otherwise); a stride below the first version or above
 *	4096 gives -EINVAL
 * @count: in, number of elements; 0 = none
 * @array: in, user pointer to the first element
 *
 * As panthor's drm_panthor_obj_array: an array element can gain fields at
 * its end without a new ioctl, and old and new userspace both work.
 */
struct drm_xpu_obj_array {
	__u32 stride;
	__u32 count;
	__u64 array;
};

/**
 * struct drm_xpu_submit_bo - one buffer a job uses (uAPI 1.1)
 * @handle: in, GEM handle; unknown gives -ENOENT
 * @flags: in, reserved, must be zero (-EINVAL)
 *
 * First version: 4 bytes (@handle), so a plain __u32 handle array with
 * stride 4 is a valid buffer array.
 */
struct drm_xpu_submit_bo {
	__u32 handle;
	__u32 flags;
};

/* &struct drm_xpu_sync_op.flags: exactly one of WAIT and SIGNAL */
#define DRM_XPU_SYNC_OP_WAIT		(1 << 0)	/* wait before the job runs */
#define DRM_XPU_SYNC_OP_SIGNAL		(1 << 1)	/* signalled when the job ends */
#define DRM_XPU_SYNC_OP_TIMELINE	(1 << 2)	/* @point of a timeline syncobj */

/**
 * struct drm_xpu_sync_op - wait for or signal one syncobj (uAPI 1.1)
 * @flags: in, DRM_XPU_SYNC_OP_WAIT or DRM_XPU_SYNC_OP_SIGNAL, optionally
 *	with DRM_XPU_SYNC_OP_TIMELINE; anything else gives -EINVAL
 * @handle: in, syncobj handle; unknown gives -ENOENT. A WAIT on a syncobj
 *	that has no fence (yet) gives -ENOENT
 * @point: in, with DRM_XPU_SYNC_OP_TIMELINE the timeline point (> 0) to
 *	wait for or to add; without it must be 0 (binary syncobj; a SIGNAL
 *	replaces its fence). -EINVAL otherwise
 *
 * First version: 8 bytes (@flags, @handle): a binary wait or signal.
 */
struct drm_xpu_sync_op {
	__u32 flags;
	__u32 handle;
	__u64 point;
};

/**
 * struct drm_xpu_submit - run one program on a hardware queue
 * @prog_va: in, device VA of the program (8-byte aligned)
 * @args_va: in, device VA of the argument block (r1 at start), or 0
 * @prog_len: in, program bytes (multiple of 8, > 0)
 * @args_len: in, argument block bytes (r2 at start)
 * @bo_handles: in, user pointer to @bo_count __u32 GEM handles the job
 *	uses; the job waits for their earlier users (implicit sync) and they
 *	stay alive until it ends
 * @bo_count: in, at most DRM_XPU_PARAM_MAX_SUBMIT_BOS (-EINVAL beyond)
 * @queue: in, hardware queue index (< NUM_QUEUES)
 * @in_syncs: in, user pointer to @in_sync_count &struct drm_xpu_sync
 * @in_sync_count: in, syncobjs to wait for before the job runs
 * @flags: in, must be zero
 * @out_syncobj: in, syncobj to signal when the job ends (0 = none)
 * @pad: must be zero
 * @out_point: in, timeline point for @out_syncobj, 0 = binary
 * @job_id: out, per-file job id for DRM_IOCTL_XPU_WAIT_JOB; must be zero
 *	on input
 * @bos: in (1.1), the buffers the job uses, an array of &struct
 *	drm_xpu_submit_bo: the strided form of @bo_handles. At most
 *	DRM_XPU_PARAM_MAX_SUBMIT_BOS (-EINVAL beyond); a submit uses either
 *	@bo_handles or @bos (-EINVAL if both have a count)
 * @syncs: in (1.1), an array of &struct drm_xpu_sync_op: the syncobjs to
 *	wait for and to signal, in one list. At most
 *	DRM_XPU_PARAM_MAX_SYNC_OPS (-EINVAL beyond); a submit uses either
 *	@in_syncs / @out_syncobj or @syncs (-EINVAL if both are set)
 *
 * Zero in @bos and @syncs (what a 1.0 program passes) keeps the 1.0
 * behaviour. Errors: -EINVAL bad field, -E2BIG unknown non-zero tail of an
 * array element, -ENOENT bad handle, -EFAULT bad pointer, -ECANCELED context
 * banned, -ENODEV device gone.
 */
struct drm_xpu_submit {
	__u64 prog_va;
	__u64 args_va;
	__u32 prog_len;
	__u32 args_len;
	__u64 bo_handles;
	__u32 bo_count;
	__u32 queue;
	__u64 in_syncs;
	__u32 in_sync_count;
	__u32 flags;
	__u32 out_syncobj;
	__u32 pad;
	__u64 out_point;
	__u64 job_id;
	struct drm_xpu_obj_array bos;
	struct drm_xpu_obj_array syncs;
};

/*
 * &struct drm_xpu_wait_job.status. Codes below 16 are the device's: the same
 * names and values as XPU_JOB_STATUS_* in xpu_hw.h (the driver checks every
 * pair at compile time and reports them unchanged, so a code a newer device
 * adds shows up as its own number); 16 and up are the driver's. Every code
 * names one cause: none is folded into another.
 */
#define DRM_XPU_JOB_OK		0	/* completed */
#define DRM_XPU_JOB_MMU_FAULT	1	/* touched an unmapped or read-only VA */
#define DRM_XPU_JOB_BAD_INSN	2	/* invalid instruction */
#define DRM_XPU_JOB_SRAM_RANGE	3	/* SRAM operand out of range */
#define DRM_XPU_JOB_DMA_ERROR	4	/* host memory not reachable */
#define DRM_XPU_JOB_ABORTED	5	/* stopped by a reset it did not cause */
#define DRM_XPU_JOB_BAD_DESC	6	/* the device rejected a descriptor field */
#define DRM_XPU_JOB_ECC		7	/* uncorrectable memory error */
/*
 * uAPI 1.1: the job's hardware context had no page table (a driver bug, or
 * the debugfs "inject badctx" test knob); reported as BAD_DESC before 1.1.
 */
#define DRM_XPU_JOB_BAD_CTX	8
/*
 * uAPI 1.3: a link transfer failed (link down, window revoked or refused,
 * corrupted transfer); not the context's fault: it is not banned
 */
#define DRM_XPU_JOB_LINK_ERROR	9
#define DRM_XPU_JOB_HUNG	16	/* stopped making progress; killed */
#define DRM_XPU_JOB_CANCELED	17	/* never ran: context banned or dependency failed */

/**
 * struct drm_xpu_wait_job - wait for a job and read its result
 * @job_id: in, from &struct drm_xpu_submit; unknown or too old gives -ENOENT
 * @timeout_ns: in, absolute CLOCK_MONOTONIC deadline; -ETIME when it passes,
 *	a deadline in the past polls
 * @status: out, DRM_XPU_JOB_*
 * @fault_access: out, XPU_ACCESS_* of a fault
 * @fault_va: out, faulting device VA
 * @cycles: out, modeled device cycles
 * @submit_ns: out, CLOCK_MONOTONIC time of the submit ioctl
 * @start_ns: out, time the job was handed to the hardware
 * @end_ns: out, time its completion interrupt was handled
 * @rsvd: must be zero
 * @dma_busy: out (1.3), modeled cycles the job kept the DMA unit busy
 * @mxu_busy: out (1.3), the same for the matrix unit
 * @vpu_busy: out (1.3), the same for the vector unit
 * @link_busy: out (1.3), the same for the link ports, summed
 *
 * The busy times come from the device's timing model (the completion
 * record's UNIT_TIMES half); they are 0 for a job that never ran. A 1.2
 * caller passes the struct without them and gets the rest.
 */
struct drm_xpu_wait_job {
	__u64 job_id;
	__s64 timeout_ns;
	__u32 status;
	__u32 fault_access;
	__u64 fault_va;
	__u64 cycles;
	__u64 submit_ns;
	__u64 start_ns;
	__u64 end_ns;
	__u64 rsvd[2];
	__u64 dma_busy;
	__u64 mxu_busy;
	__u64 vpu_busy;
	__u64 link_busy;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_XPU_ACCEL_H */
