/* SPDX-License-Identifier: MIT */
/* libxpu internals: objects, the backend interface, helpers. */
#ifndef XPU_INTERNAL_H
#define XPU_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "xpu/xpu.h"
#include "xpu/xpu_elf.h"
#include "xpu_hw.h"
#include "xpu_isa.h"

#define XPU_EXPORT __attribute__((visibility("default")))

/* ---- errors (error.c) ---- */
/* Record the calling thread's error detail and return status. */
xpu_status xpu_set_error(xpu_status status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Map an errno from an ioctl to a status, recording "what: strerror". */
xpu_status xpu_errno_error(int err, const char *what);
void xpu_clear_error(void);
/* Return st, clearing the error on success (the end of every public call). */
static inline xpu_status xpu_ok(xpu_status st)
{
	if (st == XPU_SUCCESS)
		xpu_clear_error();
	return st;
}
/*
 * Structs that grow start with (or, for the first-version structs that had
 * none, contain) a uint32_t size the caller sets to sizeof() as compiled:
 * xpu_check_size() rejects sizes below the first version's, and
 * xpu_copy_sized() fills min(size, what the library knows) bytes of an
 * output struct, keeping the caller's size field.
 */
xpu_status xpu_check_size(uint32_t size, size_t min, const char *what);
void xpu_copy_sized(void *dst, uint32_t dst_size, const void *src, size_t src_size);
/* A failed open/read of a file: NOT_FOUND (ENOENT, ENOTDIR), PERMISSION
 * (EACCES, EPERM) or IO, recording "what path: strerror (errno N)". */
xpu_status xpu_file_error(int err, const char *what, const char *path);
/* Read the regular file path (at most max_size bytes: INVALID_BINARY if
 * larger; IO if not a regular file; open/read errors as xpu_file_error) and
 * pass its bytes to load(dev, data, size, out); a load error's detail is
 * prefixed with the path (module.c). */
typedef xpu_status (*xpu_load_fn)(xpu_device *dev, const void *data, size_t size, void *out);
xpu_status xpu_load_file(xpu_device *dev, const char *path, uint64_t max_size, xpu_load_fn load,
			void *out);
/*
 * Defines the two exported loaders of an object made from an image:
 *   xpu_status load(xpu_device *dev, const void *image, size_t size, type **out)
 *   xpu_status load_file(xpu_device *dev, const char *path, type **out)
 * NULL arguments refused, *out NULL on failure; the image is parsed
 * (xpu_image_parse) and handed to from_image(dev, &img, out), which owns it
 * from then on; a file is read by xpu_load_file (at most max_size bytes).
 * Modules (module.c) and graphs (graph_exec.c) are loaded this way.
 */
#define XPU_DEFINE_LOADERS(type, load, load_file, from_image, max_size)		\
	XPU_EXPORT xpu_status load(xpu_device *dev, const void *image, size_t size,	\
				   type **out)						\
	{										\
		struct xpu_image img;							\
		xpu_status st;								\
											\
		if (!dev || !image || !out)						\
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");	\
		*out = NULL;								\
		st = xpu_image_parse(image, size, &img);				\
		if (st)									\
			return st;							\
		return xpu_ok(from_image(dev, &img, out));				\
	}										\
	static xpu_status load_file##_bytes(xpu_device *dev, const void *data,		\
					    size_t size, void *out)			\
	{										\
		return load(dev, data, size, (type **)out);				\
	}										\
	XPU_EXPORT xpu_status load_file(xpu_device *dev, const char *path, type **out)	\
	{										\
		if (!dev || !path || !out)						\
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");	\
		*out = NULL;								\
		return xpu_load_file(dev, path, max_size, load_file##_bytes, out);	\
	}
/* A printable job status name. */
const char *xpu_job_status_name(uint32_t status);

/* ---- data types (dtype.c): the rows of XPU_DTYPE_TABLE ---- */
struct xpu_dtype_desc {
	uint32_t bytes;
	const char *name;		/* canonical ("bfloat16") */
	const char *abbr;		/* short ("bf16") */
	int vt;				/* XPU_VT_* or -1 */
	int mm;				/* XPU_MM_* input type or -1 */
	uint32_t acc;			/* XPU_DT_* the matrix unit accumulates into, or 0 */
	uint32_t arg;			/* XPU_ARG_* for one scalar, or 0 */
	int bit;			/* bit in props.dtypes, or -1 */
	uint32_t cap;			/* XPU_CAP_* the device needs */
};
/* The row of an XPU_DT_* value; NULL if it is not one. */
const struct xpu_dtype_desc *xpu_dtype_desc(uint32_t type);
/* The XPU_DT_* an argument kind (XPU_ARG_*) carries one of; 0 if none. */
uint32_t xpu_arg_dtype(uint32_t arg);
/* props.dtypes of a device with these XPU_CAP_* bits */
uint32_t xpu_dtype_bits(uint32_t caps);

/* ---- time ---- */
int64_t xpu_now_ns(void);				/* CLOCK_MONOTONIC */
int64_t xpu_deadline(uint64_t timeout_ns);		/* absolute; INT64_MAX = never */

/* ---- parsed kernel binary (elf.c) ---- */
struct xpu_image_arg {
	char name[XPU_META_NAME_MAX + 1];
	uint32_t type;
	uint64_t min_size;		/* buffer: bytes touched (xpu_elf.h), 0 unknown */
};

struct xpu_image_kernel {
	char name[XPU_META_NAME_MAX + 1];
	uint32_t text_offset, text_size;
	uint32_t spad_size, acc_size;
	uint32_t num_args;
	struct xpu_image_arg *args;
};

struct xpu_image {
	uint32_t isa_version;
	uint8_t *text;
	uint32_t text_size;
	uint32_t num_kernels;
	struct xpu_image_kernel *kernels;
	/* compiled models (xpu_elf.h): .xpu.graph and .xpu.const, owned; NULL/0 if absent */
	void *graph;
	uint64_t graph_size;
	void *consts;
	uint64_t const_size;
};

xpu_status xpu_image_parse(const void *data, size_t size, struct xpu_image *img);
/* Serialise to a malloc'ed ELF file image. */
xpu_status xpu_image_write(const struct xpu_image *img, void **data, size_t *size);
/* Structural checks shared by the parser and the writer. */
xpu_status xpu_image_check(const struct xpu_image *img);
void xpu_image_free(struct xpu_image *img);
int xpu_arg_type_valid(uint32_t type);
const char *xpu_arg_type_name(uint32_t type);
int xpu_arg_type_parse(const char *s, uint32_t *type);
int xpu_ident_valid(const char *s);

/* ---- backend interface ---- */
struct xpu_bo {
	uint32_t handle;		/* backend handle (GEM handle on DRM) */
	uint32_t flags;			/* XPU_MEM_* */
	uint64_t size, va;
	void *cpu;			/* CPU mapping once mapped */
	uint64_t priv;			/* backend data */
};

struct xpu_sync {
	uint64_t tl;			/* timeline handle; 0 = none */
	uint64_t point;
	/* host backend: a timeline of this other device of the fabric (the
	 * worker waits for it before the job runs); NULL = the own device */
	xpu_device *dev;
	/* a timeline made for this one wait (an imported fence, DRM): destroyed
	 * with timeline_destroy once the job that waits for it is submitted */
	int owned;
	/* host backend, with dev: dev's chip of the fabric and the generation
	 * of its attachment there. The wait goes through the fabric, never
	 * through dev itself, which may be closed before the job runs (then
	 * every job of it is done: the wait is over). */
	uint32_t peer_chip;
	uint64_t peer_gen;
};

#define XPU_MAX_WAITS 8

struct xpu_submit {
	uint32_t queue;
	uint64_t prog_va;
	uint32_t prog_len;
	uint64_t args_va;
	uint32_t args_len;
	const uint32_t *bos;
	uint32_t num_bos;
	const struct xpu_sync *waits;
	uint32_t num_waits;
	struct xpu_sync signal;
};

/* A buffer of one device mapped for another's jobs (peer.c) */
struct xpu_peer_map {
	struct xpu_peer_map *next;
	xpu_buffer *buf;		/* the owner's buffer */
	xpu_device *dev;		/* the device whose jobs reach it */
	uint64_t va;			/* ... at this VA of dev */
	uint32_t handle;		/* dev's handle of it (DRM: imported GEM handle) */
	uint32_t path;			/* enum xpu_peer_path */
	uint64_t priv[2];		/* backend data */
};

/* Job status values are DRM_XPU_JOB_* (a superset of XPU_JOB_STATUS_*). */
struct xpu_job_result {
	uint32_t status;
	uint32_t fault_access;
	uint64_t fault_va;
	uint64_t cycles;
	/* per-unit busy cycles of this job, if the backend knows them (host) */
	int has_units;
	uint64_t dma_busy, mxu_busy, vpu_busy;
};

struct xpu_backend_ops {
	xpu_status (*bo_create)(xpu_device *dev, uint64_t size, uint32_t flags, struct xpu_bo *bo);
	void (*bo_destroy)(xpu_device *dev, struct xpu_bo *bo);
	xpu_status (*bo_map)(xpu_device *dev, struct xpu_bo *bo);
	/* A buffer of the caller's memory [ptr, ptr + size) (host-page aligned),
	 * pinned for the device; flags XPU_MEM_READ_ONLY: the device only reads
	 * it. Never CPU-mapped (bo->cpu stays NULL); freed by bo_destroy. NULL
	 * if the backend has none (memory.c: see max_userptr). */
	xpu_status (*bo_userptr)(xpu_device *dev, void *ptr, uint64_t size, uint32_t flags,
				 struct xpu_bo *bo);
	xpu_status (*timeline_create)(xpu_device *dev, uint64_t *tl);
	void (*timeline_destroy)(xpu_device *dev, uint64_t tl);
	/* Wait until the timeline reaches point; XPU_ERROR_TIMEOUT at deadline. */
	xpu_status (*timeline_wait)(xpu_device *dev, uint64_t tl, uint64_t point, int64_t deadline);
	xpu_status (*submit)(xpu_device *dev, const struct xpu_submit *s, uint64_t *job);
	/* Wait for a job; XPU_ERROR_TIMEOUT at deadline (then it may be waited
	 * for again); on success the job is consumed (wait once). */
	xpu_status (*wait_job)(xpu_device *dev, uint64_t job, int64_t deadline,
			       struct xpu_job_result *res);
	/* Fill u (all fields of this library's version) with the device's counters. */
	xpu_status (*get_usage)(xpu_device *dev, struct xpu_device_usage *u);
	void (*close)(xpu_device *dev);
	/* ---- links and peers (peer.c); dev and peer share the backend ---- */
	/* chip id and link port count */
	xpu_status (*link_query)(xpu_device *dev, uint32_t *chip, uint32_t *num_links);
	/* port < num_links: everything of info but peer_index */
	xpu_status (*link_info)(xpu_device *dev, uint32_t port, struct xpu_link_info *info);
	/* how dev's jobs reach peer's HBM (dev != peer) */
	enum xpu_peer_path (*peer_path)(xpu_device *dev, xpu_device *peer);
	/* map m->buf (of another device) for m->dev: fill va, handle, path, priv */
	xpu_status (*peer_map)(struct xpu_peer_map *m);
	void (*peer_unmap)(struct xpu_peer_map *m);
	/* a wait for point of timeline tl of device src, usable in dev's submits */
	xpu_status (*import_wait)(xpu_device *dev, xpu_device *src, uint64_t tl, uint64_t point,
				  struct xpu_sync *out);
};

struct xpu_device {
	int fd;				/* DRM backend, else -1 */
	struct xpu_device_props props;
	const struct xpu_backend_ops *ops;
	void *be;			/* backend private */
	pthread_mutex_t lock;		/* internal objects below */
	struct xpu_stream *internal;	/* synchronous copies and uploads */
	/* one synchronous copy at a time on the internal stream, from its first
	 * job to its sync: an error is reported to the copy whose job failed */
	pthread_mutex_t sync_lock;
	struct xpu_module *builtin;	/* the copy kernel */
	uint32_t next_queue;		/* round robin, atomic */
	int prof_id;			/* XPU_PROFILE device number, 0 = not profiled */
	uint64_t max_userptr;		/* largest bo_userptr; 0 = none (copies by CPU) */
	/* peer access (peer.c), under lock */
	xpu_device *peers[XPU_HOST_MAX_CHIPS];	/* enabled by xpu_device_enable_peer_access */
	uint32_t num_peers;
	int32_t chip_index[XPU_MAX_CHIPS];	/* DRM: xpu_device_open index of chip c, -1 */
	int chip_index_ready;
	void *chip;			/* host backend: struct fabric_chip, or NULL */
};

/* ---- profiling (profile.c): XPU_PROFILE=FILE ---- */
struct xpu_entry;
/* At open: start recording the device's jobs if XPU_PROFILE is set. */
void xpu_profile_open(xpu_device *dev);
/* At retire: record one finished job (dev->prof_id != 0). */
void xpu_profile_job(xpu_device *dev, uint32_t queue, const struct xpu_entry *e,
		     const struct xpu_job_result *r);
/* At close: write the trace file. */
void xpu_profile_close(xpu_device *dev);

/* chip: the fabric chip the device is (fabric_host.c), NULL for a lone device */
xpu_status xpu_host_open(const struct xpu_host_config *cfg, void *chip, xpu_device *dev);
xpu_status xpu_drm_init(xpu_device *dev);
/* device.c: a caller's host config as this library's struct (XPU_HOST_SIZED) */
xpu_status xpu_host_config_in(const struct xpu_host_config *cfg, struct xpu_host_config *c);
/* device.c: a host device that is chip of a fabric (already config_in'ed) */
xpu_status xpu_host_device_new(const struct xpu_host_config *c, void *chip, xpu_device **out);
/* device.c: minors of the accel nodes driven by xpu, sorted; the count */
int xpu_list_minors(int *minors, int max);

/* ---- host fabric (fabric_host.c) ---- */
/* XPU_HOST_DEVICES (1 when unset; the error names a bad value) */
xpu_status xpu_host_env_devices(int *n);
/* chip index of the process-wide fabric of XPU_HOST_DEVICES/XPU_HOST_TOPOLOGY */
xpu_status xpu_host_env_open(int index, xpu_device **out);
/* xpu_device_close: drop one reference of a fabric chip's device; returns
 * the references left (0: close it now; also for devices of no fabric) */
int xpu_host_chip_unref(xpu_device *dev);

/* ---- memory ---- */
struct xpu_buffer {
	xpu_device *dev;
	struct xpu_bo bo;
	uint64_t size;			/* as requested (bo.size is page-rounded) */
	int map_count;			/* atomic */
};

/* ---- modules ---- */
struct xpu_module {
	xpu_device *dev;
	struct xpu_image img;
	xpu_buffer *text;		/* program text, device read-only */
	int refs;			/* atomic: the module + each kernel object */
};

struct xpu_kernel {
	xpu_module *mod;
	const struct xpu_image_kernel *k;
	pthread_mutex_t lock;
	uint64_t values[XPU_META_MAX_ARGS];
	xpu_buffer *bufs[XPU_META_MAX_ARGS];
	uint64_t set;			/* bit i: argument i is set */
};

xpu_status xpu_module_from_image(xpu_device *dev, struct xpu_image *img, xpu_module **out);
/* The builtin module: kernel 0 copies (dst_va, src_va, bytes) by DMA. */
xpu_status xpu_builtin_module(xpu_device *dev, xpu_module **mod);

/* ---- streams ---- */
enum { XPU_ENTRY_JOB, XPU_ENTRY_HOST_COPY, XPU_ENTRY_MARKER };

struct xpu_entry {
	struct xpu_entry *next;
	int kind;
	uint64_t seq;
	uint64_t job;			/* backend job */
	char what[96];			/* for error messages */
	int64_t submit_ns;		/* host clock at submit (profile.c) */
	uint32_t arena_bytes;		/* arena bytes released at retire */
	struct xpu_bo tmp;		/* staging buffer to free at retire */
	int has_tmp;
	void *dst;			/* host copy */
	const void *src;
	size_t n;
	struct xpu_event *ev;		/* marker */
	uint64_t ev_gen;
};

struct xpu_stream {
	xpu_device *dev;
	uint32_t queue;
	int refs;			/* atomic: owner + events recorded on it */
	pthread_mutex_t lock;
	uint64_t tl, tl_point;		/* timeline and its last submitted point */
	struct xpu_sync waits[XPU_MAX_WAITS];	/* for the next job */
	uint32_t num_waits;
	struct xpu_entry *head, *tail;	/* in-flight, oldest first */
	uint64_t seq, retired_seq;
	uint64_t cycles;		/* device cycles of retired jobs */
	xpu_status err;			/* sticky job error */
	uint64_t err_seq;
	char errmsg[400];
	struct xpu_bo arena;		/* argument blocks and small staging */
	uint32_t arena_head, arena_used;
	uint32_t arena_pending;		/* allocated for the next entry */
};

struct xpu_event {
	xpu_device *dev;
	pthread_mutex_t lock;
	int refs;			/* atomic: owner + pending markers */
	xpu_stream *stream;		/* last recorded on (a reference) */
	uint64_t seq, gen, tl_point;
	int done;
	uint64_t cycles;		/* stream cycles when it completed */
};

#define XPU_ARENA_SIZE		(256u << 10)
#define XPU_SMALL_COPY		(64u << 10)	/* CPU copies up to this size */
/* synchronous copies by device and CPU together (memory.c) */
#define XPU_SPLIT_MIN		(4u << 20)	/* CPU alone up to this size */
#define XPU_PIN_CHUNK		(4u << 20)	/* user pages pinned per copy job */
#define XPU_PIN_MIN_CHUNK	(1u << 20)	/* smaller ones are the CPU's */
#define XPU_PIN_INFLIGHT	2		/* such jobs in flight at most */
#define XPU_CPU_SLICE		(512u << 10)	/* CPU share of a split copy, per step */

xpu_status xpu_stream_new(xpu_device *dev, uint32_t queue, xpu_stream **out);
void xpu_stream_put(xpu_stream *s);
/* Enqueue a job of kernel k with the given argument slots (locked stream).
 * extra_bos: more buffers the job uses; tmp: staging BO to free at retire. */
xpu_status xpu_stream_launch_locked(xpu_stream *s, const xpu_module *mod,
				    const struct xpu_image_kernel *k, const uint64_t *slots,
				    uint32_t nslots, xpu_buffer *const *bufs, uint32_t nbufs,
				    const struct xpu_bo *extra, uint32_t nextra,
				    const struct xpu_bo *tmp, const char *what);
/* The internal stream of dev (created on first use). */
xpu_status xpu_internal_stream(xpu_device *dev, xpu_stream **s);
/* Synchronize the internal stream and clear its error so it stays usable. */
xpu_status xpu_internal_sync(xpu_stream *s);
xpu_status xpu_retire(xpu_stream *s, uint64_t upto, int64_t deadline);
/* Arena space for the next entry (locked stream); -1 if it cannot fit. */
int xpu_arena_alloc(xpu_stream *s, uint32_t n, uint32_t *off);
/* Append a host copy (dst <- src, n bytes) run when the stream gets there. */
xpu_status xpu_stream_host_copy_locked(xpu_stream *s, void *dst, const void *src, size_t n,
				      const struct xpu_bo *tmp);
/* The sticky error of a locked stream as the calling thread's error. */
xpu_status xpu_stream_error(xpu_stream *s);

/* ---- peer access (peer.c) ---- */
/* The buffer is being freed / the device closed: unmap its peer mappings. */
void xpu_peer_buffer_gone(xpu_buffer *buf);
void xpu_peer_device_gone(xpu_device *dev);
/* One DMA job dst_va <- src_va on a locked stream (memory.c). */
xpu_status xpu_copy_job_locked(xpu_stream *s, uint64_t dst_va, uint64_t src_va, uint64_t n,
			       xpu_buffer *const *bufs, uint32_t nbufs, const struct xpu_bo *extra,
			       const char *what);
/* The device VA at which dev's jobs reach buf (a buffer of another device, or of dev itself), mapping it on first use over a link or PCIe P2P; NOT_SUPPORTED when unreachable. Thread-safe. */
xpu_status xpu_buffer_peer_va(xpu_buffer *buf, xpu_device *dev, uint64_t *va);

/* ---- misc ---- */
struct xpu_range {
	uint64_t start, len;
};
struct xpu_ranges {			/* first-fit free-range allocator */
	struct xpu_range *r;
	uint32_t n, cap;
};
int xpu_ranges_init(struct xpu_ranges *rs, uint64_t start, uint64_t len);
void xpu_ranges_fini(struct xpu_ranges *rs);
/* align is a power of two; returns 0 or -1 */
int xpu_ranges_alloc(struct xpu_ranges *rs, uint64_t len, uint64_t align, uint64_t *out);
void xpu_ranges_free(struct xpu_ranges *rs, uint64_t start, uint64_t len);

#endif
