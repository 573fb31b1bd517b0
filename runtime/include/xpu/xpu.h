/* SPDX-License-Identifier: MIT */
/*
 * libxpu: the XPU runtime.
 *
 * Every call returns an xpu_status. On failure, xpu_last_error() gives a
 * per-thread message with the detail (the ioctl or file that failed, errno,
 * the job status and faulting VA). Handles are opaque. All calls are
 * thread-safe; the only mutable global state is the per-thread error.
 *
 * Two backends implement the same API:
 *   - DRM: a real XPU through /dev/accel/accelN and the xpu driver;
 *   - HOST: the device engine running in-process on an HBM image owned by
 *     libxpu (xpu_device_open_host(), or XPU_BACKEND=host).
 * docs/runtime.md is the guide.
 */
#ifndef XPU_XPU_H
#define XPU_XPU_H

#include <stddef.h>
#include <stdint.h>

#include "xpu_dtype.h"		/* enum xpu_dtype, from uapi/ */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum xpu_status {
	XPU_SUCCESS = 0,
	XPU_ERROR_INVALID_ARGUMENT,	/* a bad argument from the caller */
	XPU_ERROR_NO_DEVICE,		/* no such XPU device */
	XPU_ERROR_PERMISSION,		/* cannot open the device node */
	XPU_ERROR_VERSION_MISMATCH,	/* the driver's uAPI is too old */
	XPU_ERROR_OUT_OF_MEMORY,	/* host or device memory exhausted */
	XPU_ERROR_NOT_READY,		/* work still pending (query calls) */
	XPU_ERROR_TIMEOUT,		/* a wait ran out of time */
	XPU_ERROR_DEVICE_LOST,		/* device removed, hung or reset lost work */
	XPU_ERROR_OS,			/* an unexpected system call failure */
	XPU_ERROR_INVALID_BINARY,	/* a malformed kernel binary (ELF) */
	XPU_ERROR_NOT_FOUND,		/* no kernel of that name */
	XPU_ERROR_NOT_SUPPORTED,	/* the device/driver cannot do this */
	XPU_ERROR_JOB_FAULT,		/* a job faulted (MMU fault, bad insn, ...) */
	XPU_ERROR_INVALID_SOURCE,	/* assembler syntax error */
	XPU_ERROR_IO,			/* reading or writing a file failed */
	/* new statuses go here, at the end: the values are ABI */
} xpu_status;

/* A fixed English name for a status ("XPU_ERROR_TIMEOUT"). */
const char *xpu_status_string(xpu_status status);
/* Detail of the calling thread's last failure; "" if the last call succeeded. */
const char *xpu_last_error(void);

/* ---- Devices ------------------------------------------------------------- */
typedef struct xpu_device xpu_device;

#define XPU_NAME_MAX 64

enum xpu_backend {
	XPU_BACKEND_DRM = 0,		/* /dev/accel + xpu.ko */
	XPU_BACKEND_HOST = 1,		/* in-process engine */
};

/*
 * Data types: enum xpu_dtype (XPU_DT_*) and its table of properties are in
 * uapi/xpu_dtype.h. xpu_device_props.dtypes has bit XPU_DTYPE_BIT_<name> set
 * for each type the device computes with; the names below are the original
 * spellings of those bits, kept for compatibility.
 */
#define XPU_DTYPE_INT8		((uint32_t)XPU_DTYPE_BIT_I8)	/* int8 x int8 -> int32 matmul */
#define XPU_DTYPE_BF16		((uint32_t)XPU_DTYPE_BIT_BF16)	/* bf16 x bf16 -> fp32 matmul */
#define XPU_DTYPE_INT32		((uint32_t)XPU_DTYPE_BIT_I32)	/* vector unit */
#define XPU_DTYPE_FP32		((uint32_t)XPU_DTYPE_BIT_F32)	/* vector unit */

/* Bytes per element of a data type; 0 if type is not an XPU_DT_* value. */
size_t xpu_dtype_size(enum xpu_dtype type);
/* The canonical name ("int8", "bfloat16", ...); NULL if type is invalid. */
const char *xpu_dtype_name(enum xpu_dtype type);
/* The type of a canonical or short name ("bfloat16" or "bf16"); 0 if none. */
enum xpu_dtype xpu_dtype_from_name(const char *name);

struct xpu_device_props {
	char node[XPU_NAME_MAX];	/* /dev/accel/accelN, or "host" */
	char pci_address[XPU_NAME_MAX];	/* dddd:bb:dd.f ("" on the host backend) */
	uint32_t uapi_version;		/* driver uAPI, major << 16 | minor */
	uint32_t hw_version;		/* hardware, major << 16 | minor */
	uint32_t vendor_id, device_id;
	uint32_t caps;			/* XPU_CAP_* (xpu_hw.h) */
	uint32_t array_rows, array_cols;
	uint64_t hbm_size;		/* bytes */
	uint32_t num_queues;
	uint32_t num_contexts;
	uint32_t clock_mhz;
	uint32_t hbm_gbps;
	uint32_t spad_size, acc_size;	/* bytes per tile */
	/* added by the runtime API */
	uint32_t backend;		/* enum xpu_backend */
	uint32_t dtypes;		/* XPU_DTYPE_* */
	uint32_t isa_version;		/* major << 16 | minor */
	uint32_t rsvd;
	uint64_t max_buffer_size;	/* largest single buffer, bytes */
	/* ---- since libxpu 0.2: filled by xpu_device_query_props() only ---- */
	uint32_t size;			/* [in] sizeof(struct xpu_device_props) */
	uint32_t rsvd2;
	/* new fields are added here */
};
/* Bytes of the first version (everything before size): what
 * xpu_device_get_props() fills. */
#define XPU_DEVICE_PROPS_SIZE_V0	216

/*
 * Number of devices. With XPU_BACKEND=host in the environment this is 1 (the
 * host backend with its default configuration); otherwise the XPU accel nodes
 * bound to the xpu driver.
 */
xpu_status xpu_device_count(int *count);
/* Open the index-th device (0 <= index < count). */
xpu_status xpu_device_open(int index, xpu_device **dev);
xpu_status xpu_device_close(xpu_device *dev);
/*
 * Growing structs (docs/runtime.md, "ABI"): a struct that can grow has a
 * uint32_t size the caller sets to sizeof() as compiled; libxpu fills (or
 * reads) only that many bytes, and zeroes output fields it does not know.
 * xpu_device_get_props() is the original call: it fills the first
 * XPU_DEVICE_PROPS_SIZE_V0 bytes and never reads or writes size or later
 * fields. xpu_device_query_props() fills props->size bytes (at least
 * XPU_DEVICE_PROPS_SIZE_V0 + 8).
 */
xpu_status xpu_device_get_props(xpu_device *dev, struct xpu_device_props *props);
xpu_status xpu_device_query_props(xpu_device *dev, struct xpu_device_props *props);

/*
 * Utilisation counters of the whole device (every context and queue), summed
 * since the device was reset (DRM: the driver's sysfs perf/ directory) or the
 * host-backend device was opened. Cycles are modeled device cycles.
 */
struct xpu_device_usage {
	uint32_t size;			/* [in] sizeof(struct xpu_device_usage) */
	uint32_t rsvd;
	uint64_t jobs;			/* [out] jobs completed */
	uint64_t cycles;		/* [out] device cycles of those jobs */
	uint64_t dma_busy_cycles;	/* [out] per-unit busy cycles */
	uint64_t mxu_busy_cycles;
	uint64_t vpu_busy_cycles;
	uint64_t dma_bytes;		/* [out] bytes moved by DMA */
	uint64_t macs;			/* [out] multiply-accumulates */
	/* new fields are added here; older callers pass a smaller size */
};
#define XPU_DEVICE_USAGE_SIZE_V1	64	/* sizeof the first version */
/* NOT_SUPPORTED if the driver has no telemetry (the message names the file). */
xpu_status xpu_device_get_usage(xpu_device *dev, struct xpu_device_usage *usage);

/*
 * The processes that have the device open, with what each uses, from the
 * driver's per-file statistics (/proc/PID/fdinfo/FD, the keys of Linux's
 * Documentation/gpu/drm-usage-stats.rst). One entry per process, its open
 * files on this device summed; a file shared by several processes (fork,
 * SCM_RIGHTS) counts once, for the lowest pid. Only processes whose
 * /proc/PID/fd the caller may read are seen (all of them for root, else the
 * caller's own). Entries are sorted by pid.
 *
 * procs is an array of max entries whose first entry's size field the caller
 * sets to sizeof(struct xpu_process_usage) (the array's stride; see
 * "Growing structs"); *count receives the number of processes found, which
 * may exceed max (then the first max are filled). procs may be NULL if max
 * is 0. NOT_SUPPORTED on the host backend (a private in-process device).
 */
struct xpu_process_usage {
	uint32_t size;			/* [in] sizeof(struct xpu_process_usage), entry 0 */
	int32_t pid;			/* [out] */
	char name[XPU_NAME_MAX];	/* [out] /proc/PID/comm */
	uint32_t files;			/* [out] its open files (DRM clients) on the device */
	uint32_t rsvd;
	uint64_t engine_ns;		/* [out] time its jobs ran on the device's tiles */
	uint64_t cycles;		/* [out] modeled device cycles of those jobs */
	uint64_t hbm_bytes;		/* [out] its buffers in device HBM */
	uint64_t host_bytes;		/* [out] its buffers in system memory */
	/* new fields are added here */
};
#define XPU_PROCESS_USAGE_SIZE_V1	112	/* sizeof the first version */
xpu_status xpu_device_get_processes(xpu_device *dev, struct xpu_process_usage *procs,
				    uint32_t max, uint32_t *count);

/* Host backend configuration; a zero field means the default (in brackets). */
struct xpu_host_config {
	uint32_t rows, cols;		/* systolic array [128 x 128] */
	uint32_t spad_size;		/* scratchpad bytes per tile [4 MiB] */
	uint32_t acc_size;		/* accumulator bytes per tile [1 MiB] */
	uint32_t clock_mhz;		/* [1000] */
	uint32_t hbm_gbps;		/* [1600] */
	uint32_t num_queues;		/* tiles, one worker thread each [2] */
	uint32_t flags;			/* XPU_HOST_* */
	uint64_t hbm_size;		/* bytes [256 MiB], allocated lazily */
	/* ---- since libxpu 0.2: read only with XPU_HOST_SIZED in flags ---- */
	uint32_t size;			/* sizeof(struct xpu_host_config) */
	uint32_t rsvd;
	/* new fields are added here */
};
#define XPU_HOST_SYNC	(1u << 0)	/* run jobs in the submitting thread */
/*
 * size is valid: libxpu reads size bytes (fields it does not know must be 0).
 * Without it libxpu reads only the first XPU_HOST_CONFIG_SIZE_V0 bytes, as
 * callers built before size existed expect.
 */
#define XPU_HOST_SIZED	(1u << 31)
#define XPU_HOST_CONFIG_SIZE_V0	40

/* Open a host-backend device (cfg may be NULL: all defaults). */
xpu_status xpu_device_open_host(const struct xpu_host_config *cfg, xpu_device **dev);

/* ---- Memory -------------------------------------------------------------- */
typedef struct xpu_buffer xpu_buffer;

/* xpu_buffer_alloc flags */
#define XPU_MEM_DEVICE		0u		/* device HBM (default) */
#define XPU_MEM_HOST		(1u << 0)	/* system memory the device reaches over PCIe */
#define XPU_MEM_READ_ONLY	(1u << 1)	/* the device may only read it */

struct xpu_buffer_info {
	uint64_t size;			/* bytes, as allocated (the device maps whole 4 KiB pages) */
	uint64_t va;			/* device virtual address */
	uint32_t flags;			/* XPU_MEM_* */
	uint32_t rsvd;
};

xpu_status xpu_buffer_alloc(xpu_device *dev, size_t size, uint32_t flags, xpu_buffer **buf);
/* The caller makes sure no pending work uses the buffer, on its device or on
 * devices that reach it as a peer (their mappings are revoked at once). */
xpu_status xpu_buffer_free(xpu_buffer *buf);
xpu_status xpu_buffer_get_info(xpu_buffer *buf, struct xpu_buffer_info *info);
/* CPU pointer to the whole buffer; maps nest, each map needs an unmap. */
xpu_status xpu_buffer_map(xpu_buffer *buf, void **ptr);
xpu_status xpu_buffer_unmap(xpu_buffer *buf);

/*
 * Synchronous copies between host memory and buffers, and between buffers.
 * Large ones move (partly) by DMA jobs on the device, straight from or to
 * the caller's memory (docs/runtime.md, "Copies"); they are ordered after
 * earlier synchronous copies only (synchronize your streams first when they
 * use the buffer).
 */
xpu_status xpu_buffer_write(xpu_buffer *dst, size_t offset, const void *src, size_t size);
xpu_status xpu_buffer_read(xpu_buffer *src, size_t offset, void *dst, size_t size);
xpu_status xpu_buffer_copy(xpu_buffer *dst, size_t dst_offset, xpu_buffer *src,
			   size_t src_offset, size_t size);

/* ---- Streams and events -------------------------------------------------- */
typedef struct xpu_stream xpu_stream;
typedef struct xpu_event xpu_event;

#define XPU_QUEUE_ANY		0xffffffffu	/* xpu_stream_create: round robin */
#define XPU_WAIT_FOREVER	UINT64_MAX	/* timeouts, in nanoseconds */

/*
 * An in-order stream of device work on one hardware queue. A job that fails
 * puts the stream into an error state: every later call on it returns that
 * error (XPU_ERROR_JOB_FAULT with the job, status and faulting VA in the
 * message, or XPU_ERROR_DEVICE_LOST).
 */
xpu_status xpu_stream_create(xpu_device *dev, uint32_t queue, xpu_stream **stream);
/* Waits for the stream's work, then frees it. */
xpu_status xpu_stream_destroy(xpu_stream *stream);
/* SUCCESS when all work is done, XPU_ERROR_TIMEOUT after timeout_ns. */
xpu_status xpu_stream_synchronize(xpu_stream *stream, uint64_t timeout_ns);
/* SUCCESS when all work is done, else XPU_ERROR_NOT_READY (never blocks). */
xpu_status xpu_stream_query(xpu_stream *stream);
/* Later work on stream waits until the event's work is done (device side). */
xpu_status xpu_stream_wait_event(xpu_stream *stream, xpu_event *event);

/*
 * Asynchronous copies, in stream order. write_async copies src before it
 * returns (src may be reused at once); read_async fills dst by the time the
 * stream (or a later event) is synchronized. Both use DMA jobs through
 * host-memory staging buffers.
 */
xpu_status xpu_write_async(xpu_stream *stream, xpu_buffer *dst, size_t offset,
			   const void *src, size_t size);
xpu_status xpu_read_async(xpu_stream *stream, xpu_buffer *src, size_t offset,
			  void *dst, size_t size);
xpu_status xpu_copy_async(xpu_stream *stream, xpu_buffer *dst, size_t dst_offset,
			  xpu_buffer *src, size_t src_offset, size_t size);

xpu_status xpu_event_create(xpu_device *dev, xpu_event **event);
xpu_status xpu_event_destroy(xpu_event *event);
/* Capture the stream's work so far. */
xpu_status xpu_event_record(xpu_event *event, xpu_stream *stream);
/* SUCCESS if the captured work is done, XPU_ERROR_NOT_READY if not. */
xpu_status xpu_event_query(xpu_event *event);
xpu_status xpu_event_synchronize(xpu_event *event, uint64_t timeout_ns);
/*
 * Modeled device time between two completed events of the same stream:
 * the sum of the device cycles of the jobs in between, and that in
 * microseconds at the device clock. Either output may be NULL.
 */
xpu_status xpu_event_elapsed(xpu_event *start, xpu_event *end, uint64_t *cycles,
			     double *microseconds);

/* ---- Several devices: links and peer access ------------------------------ */
/*
 * Devices are joined by chip-to-chip links (docs/hardware.md, "Links"): port
 * p of one chip is cabled to a port of another. A device reaches a peer's
 * buffer over a link when an up link joins them, else by PCIe peer-to-peer.
 * The host backend builds the same fabric in the process: XPU_BACKEND=host
 * with XPU_HOST_DEVICES=N (default 1) and XPU_HOST_TOPOLOGY=ring|torus2d|mesh
 * (default ring; torus2d needs N = a x b, both >= 2) makes xpu_device_count()
 * say N and xpu_device_open(i) return chip i of one fabric shared by the
 * process; xpu_host_fabric_open() builds one explicitly.
 */
struct xpu_link_info {
	uint32_t port;
	uint32_t state;			/* XPU_LINK_STATE_* */
	int32_t peer_index;		/* xpu_device_open() index of the peer, -1: none or not seen */
	uint32_t peer_chip;		/* the peer's chip id (valid when state != NONE) */
	uint32_t peer_port;
	uint32_t gbps;			/* modeled bandwidth per direction */
	uint32_t latency_cycles;	/* modeled latency per transfer */
	uint32_t rsvd;
	uint64_t bytes, transfers, busy_cycles, errors;	/* counters since reset */
};
#define XPU_LINK_STATE_NONE	0	/* nothing cabled to the port */
#define XPU_LINK_STATE_DOWN	1	/* cabled, not up */
#define XPU_LINK_STATE_UP	2

enum xpu_peer_path {
	XPU_PEER_NONE = 0,		/* the device cannot reach the peer's memory */
	XPU_PEER_LINK = 1,		/* over a chip-to-chip link */
	XPU_PEER_PCIE = 2,		/* PCIe peer-to-peer */
	XPU_PEER_SELF = 3,		/* the same device */
};

/* This device's chip id in the link fabric. */
xpu_status xpu_device_get_chip_id(xpu_device *dev, uint32_t *chip);
/* Link ports (0 without links). */
xpu_status xpu_device_get_link_count(xpu_device *dev, uint32_t *count);
xpu_status xpu_device_get_link_info(xpu_device *dev, uint32_t port, struct xpu_link_info *info);
/* How dev's jobs would reach peer's memory. */
xpu_status xpu_device_can_access_peer(xpu_device *dev, xpu_device *peer,
				      enum xpu_peer_path *path);
/*
 * Let dev's jobs reach buffers of peer (idempotent). NOT_SUPPORTED when
 * there is no path; afterwards xpu_copy_peer_async() and the collectives
 * may use peer's buffers from dev's streams.
 */
xpu_status xpu_device_enable_peer_access(xpu_device *dev, xpu_device *peer);
/*
 * Copy size bytes between buffers of two devices (or one) on stream, whose
 * device must own dst or src and have peer access to the other. Ordered with
 * the stream's other work; the other device's streams are not waited for
 * (record an event there and xpu_stream_wait_event() it: events of one
 * device may be waited for by streams of another).
 */
xpu_status xpu_copy_peer_async(xpu_stream *stream, xpu_buffer *dst, size_t dst_offset,
			       xpu_buffer *src, size_t src_offset, size_t size);

/* Host backend: a fabric of n chips (1..XPU_HOST_MAX_CHIPS) in this process. */
#define XPU_HOST_MAX_CHIPS	32
enum xpu_topology {
	XPU_TOPO_NONE = 0,		/* no links (PCIe peer-to-peer only) */
	XPU_TOPO_RING = 1,		/* chip i port 0 -> chip i+1 port 1 */
	XPU_TOPO_TORUS2D = 2,		/* a x b torus: ports 0/1 along x, 2/3 along y */
	XPU_TOPO_MESH = 3,		/* every pair joined: port j of i -> chip j (skip self) */
};
struct xpu_host_fabric_config {
	uint32_t size;			/* sizeof(struct xpu_host_fabric_config) */
	uint32_t num_chips;
	enum xpu_topology topology;
	uint32_t torus_x;		/* TORUS2D: chips along x (num_chips % torus_x == 0) */
	uint32_t link_gbps;		/* [100] */
	uint32_t link_latency_cycles;	/* [1000] */
	const struct xpu_host_config *chip;	/* per chip, may be NULL (defaults) */
};
/* Open num_chips host devices joined by the topology: devs[i] is chip i. */
xpu_status xpu_host_fabric_open(const struct xpu_host_fabric_config *cfg, xpu_device **devs);

/* ---- Collectives ----------------------------------------------------------- */
/*
 * NCCL-shaped collectives over a communicator of n devices (rank i is
 * devs[i]). Each call is one group call for all ranks: bufs[i] and
 * streams[i] belong to rank i; the work is queued on the streams (ordered
 * with their other work) and the call returns without waiting. Buffers are
 * used from offset 0; send == recv is in place (as in NCCL, an in-place
 * reduce-scatter leaves rank i's result at recv[i] + i * count elements and
 * an in-place all-gather reads rank i's part from there). Reductions are
 * deterministic: the order in which contributions are added is fixed by the
 * algorithm, the rank count and the size (docs/collectives.md), so results
 * are bit-identical run to run and equal a CPU sum in that same order.
 */
typedef struct xpu_comm xpu_comm;

enum xpu_redop { XPU_RED_SUM = 0 };
enum xpu_coll_algo {
	XPU_COLL_AUTO = 0,		/* ring, or 2-D on a torus */
	XPU_COLL_RING = 1,
	XPU_COLL_TREE = 2,		/* binary tree: reduce to rank 0, broadcast */
	XPU_COLL_2D = 3,		/* rows then columns of a torus */
};
struct xpu_coll_stats {			/* the communicator's last collective */
	uint64_t modeled_cycles;	/* critical path, device cycles */
	double modeled_us;		/* the same at the device clock */
	uint64_t link_bytes;		/* bytes over links, all ranks */
	uint32_t steps;
	enum xpu_coll_algo algo;	/* the algorithm that ran */
};

xpu_status xpu_comm_create(xpu_device *const *devs, int n, xpu_comm **comm);
xpu_status xpu_comm_destroy(xpu_comm *comm);
xpu_status xpu_comm_set_algorithm(xpu_comm *comm, enum xpu_coll_algo algo);
/* Statistics of the last collective: valid once its streams are synchronized. */
xpu_status xpu_comm_get_stats(xpu_comm *comm, struct xpu_coll_stats *stats);

/* recv[i] = sum over ranks of send[r], count elements */
xpu_status xpu_all_reduce(xpu_comm *comm, xpu_buffer *const *send, xpu_buffer *const *recv,
			  size_t count, enum xpu_dtype dtype, enum xpu_redop op,
			  xpu_stream *const *streams);
/* recv[i][r * count ...] = send[r][0 .. count) */
xpu_status xpu_all_gather(xpu_comm *comm, xpu_buffer *const *send, xpu_buffer *const *recv,
			  size_t count, enum xpu_dtype dtype, xpu_stream *const *streams);
/* recv[i][0 .. count) = sum over ranks of send[r][i * count ...] */
xpu_status xpu_reduce_scatter(xpu_comm *comm, xpu_buffer *const *send,
			      xpu_buffer *const *recv, size_t count, enum xpu_dtype dtype,
			      enum xpu_redop op, xpu_stream *const *streams);
/* bufs[i] = bufs[root] for every rank */
xpu_status xpu_broadcast(xpu_comm *comm, xpu_buffer *const *bufs, size_t count,
			 enum xpu_dtype dtype, int root, xpu_stream *const *streams);

/* ---- Modules and kernels ------------------------------------------------- */
typedef struct xpu_module xpu_module;
typedef struct xpu_kernel xpu_kernel;

enum xpu_arg_type {
	XPU_ARG_BUFFER = 1,		/* device VA of a buffer (+ offset), 8 bytes */
	XPU_ARG_U64 = 2,
	XPU_ARG_I64 = 3,
	XPU_ARG_U32 = 4,		/* zero-extended to 8 bytes */
	XPU_ARG_I32 = 5,		/* sign-extended to 8 bytes */
	XPU_ARG_F32 = 6,		/* fp32 bits in the low 4 bytes */
};

struct xpu_kernel_info {
	char name[XPU_NAME_MAX];
	uint32_t num_args;
	uint32_t text_size;		/* bytes */
	uint32_t spad_size, acc_size;	/* SRAM the kernel needs */
};

struct xpu_arg_info {
	char name[XPU_NAME_MAX];
	uint32_t type;			/* enum xpu_arg_type */
};

/* Load a compiled kernel binary (ELF, docs/runtime.md) and upload its text. */
xpu_status xpu_module_load(xpu_device *dev, const void *image, size_t size, xpu_module **mod);
xpu_status xpu_module_load_file(xpu_device *dev, const char *path, xpu_module **mod);
/* The module lives on until its last kernel object is destroyed. */
xpu_status xpu_module_unload(xpu_module *mod);
xpu_status xpu_module_kernel_count(xpu_module *mod, uint32_t *count);
xpu_status xpu_module_kernel_name(xpu_module *mod, uint32_t index, const char **name);

/*
 * A kernel object: the kernel plus its argument values. Each thread that sets
 * arguments should use its own kernel object (one xpu_kernel_create each).
 */
xpu_status xpu_kernel_create(xpu_module *mod, const char *name, xpu_kernel **kernel);
xpu_status xpu_kernel_destroy(xpu_kernel *kernel);
xpu_status xpu_kernel_get_info(xpu_kernel *kernel, struct xpu_kernel_info *info);
xpu_status xpu_kernel_get_arg_info(xpu_kernel *kernel, uint32_t index, struct xpu_arg_info *info);
/* Set argument index; type must match the binary's signature. */
xpu_status xpu_kernel_set_arg(xpu_kernel *kernel, uint32_t index, enum xpu_arg_type type,
			      const void *value, size_t size);
xpu_status xpu_kernel_set_arg_buffer(xpu_kernel *kernel, uint32_t index, xpu_buffer *buf,
				     size_t offset);
xpu_status xpu_kernel_set_arg_u64(xpu_kernel *kernel, uint32_t index, uint64_t value);
xpu_status xpu_kernel_set_arg_i64(xpu_kernel *kernel, uint32_t index, int64_t value);
xpu_status xpu_kernel_set_arg_u32(xpu_kernel *kernel, uint32_t index, uint32_t value);
xpu_status xpu_kernel_set_arg_i32(xpu_kernel *kernel, uint32_t index, int32_t value);
xpu_status xpu_kernel_set_arg_f32(xpu_kernel *kernel, uint32_t index, float value);

/* Enqueue one run of the kernel with its current arguments (all must be set). */
xpu_status xpu_launch(xpu_stream *stream, xpu_kernel *kernel);

/* ---- Assembler and disassembler (tools/xpu-as, tools/xpu-dis) ------------ */
/*
 * Assemble source text into a kernel binary (malloc'ed, free() it). Syntax
 * errors give XPU_ERROR_INVALID_SOURCE with "file:line: message".
 */
xpu_status xpu_assemble(const char *source, const char *filename, void **image, size_t *size);
/* Disassemble a kernel binary into source text (malloc'ed) that assembles back
 * to the same binary. */
xpu_status xpu_disassemble(const void *image, size_t size, char **source);
/* Check a binary without a device; fills the kernel count (may be NULL). */
xpu_status xpu_binary_validate(const void *image, size_t size, uint32_t *num_kernels);

#ifdef __cplusplus
}
#endif

#endif /* XPU_XPU_H */
