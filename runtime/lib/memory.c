// SPDX-License-Identifier: MIT
/*
 * libxpu: buffers, CPU mappings and copies.
 *
 * Synchronous copies (xpu_buffer_write/read) larger than XPU_SPLIT_MIN
 * into or out of device memory are split between the device and the CPU,
 * working from the two ends at once: DMA jobs (the builtin copy kernel, one
 * DMA VA->VA instruction) straight from or to the caller's own pages,
 * pinned as user-page buffers (DRM_IOCTL_XPU_BO_USERPTR) chunk by chunk,
 * and CPU copies through the buffer's mapping, until they meet. Small
 * copies, host and device-read-only buffers, backends without user-page
 * buffers (the host backend, older drivers) and memory the kernel cannot
 * pin (such as another buffer's mapping) are CPU copies through the
 * mapping. Asynchronous copies are DMA jobs through host-memory staging
 * (xpu_write_async must copy the source before it returns), small ones
 * staged in the stream's arena. docs/runtime.md, "Copies", gives the
 * measured speeds behind these choices.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

XPU_EXPORT xpu_status xpu_buffer_alloc(xpu_device *dev, size_t size, uint32_t flags,
				       xpu_buffer **out)
{
	xpu_buffer *b;
	xpu_status st;

	if (!dev || !out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	*out = NULL;
	if (!size)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "buffer size is 0");
	if (flags & ~(XPU_MEM_HOST | XPU_MEM_READ_ONLY))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "unknown buffer flags 0x%x", flags);
	if (size > dev->props.max_buffer_size || size > SIZE_MAX - XPU_PAGE_SIZE)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
				     "buffer of %zu bytes: the device's largest is %llu", size,
				     (unsigned long long)dev->props.max_buffer_size);
	b = calloc(1, sizeof(*b));
	if (!b)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	b->dev = dev;
	b->size = size;
	st = dev->ops->bo_create(dev, size, flags, &b->bo);
	if (st) {
		free(b);
		return st;
	}
	*out = b;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_buffer_free(xpu_buffer *b)
{
	if (!b)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "buffer is NULL");
	xpu_peer_buffer_gone(b);	/* revoke what peers were given of it */
	b->dev->ops->bo_destroy(b->dev, &b->bo);
	free(b);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_buffer_get_info(xpu_buffer *b, struct xpu_buffer_info *info)
{
	if (!b || !info)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	memset(info, 0, sizeof(*info));
	info->size = b->size;
	info->va = b->bo.va;
	info->flags = b->bo.flags;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_buffer_map(xpu_buffer *b, void **ptr)
{
	xpu_status st;

	if (!b || !ptr)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = b->dev->ops->bo_map(b->dev, &b->bo);
	if (st)
		return st;
	__atomic_add_fetch(&b->map_count, 1, __ATOMIC_ACQ_REL);
	*ptr = b->bo.cpu;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_buffer_unmap(xpu_buffer *b)
{
	int c;

	if (!b)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "buffer is NULL");
	c = __atomic_load_n(&b->map_count, __ATOMIC_ACQUIRE);
	do {
		if (c <= 0)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "buffer is not mapped");
	} while (!__atomic_compare_exchange_n(&b->map_count, &c, c - 1, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	/* The mapping itself stays for internal use until the buffer is freed. */
	return xpu_ok(XPU_SUCCESS);
}

static xpu_status check_range(const xpu_buffer *b, size_t off, size_t n, const char *what)
{
	if (off > b->size || n > b->size - off)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "%s: range [%zu, +%zu) outside the %llu-byte buffer", what, off,
				     n, (unsigned long long)b->size);
	return XPU_SUCCESS;
}

/* ---- the builtin copy kernel ---------------------------------------------- */
xpu_status xpu_builtin_module(xpu_device *dev, xpu_module **out)
{
	static const struct xpu_image_arg args[] = {
		{ "dst", XPU_ARG_U64, 0 }, { "src", XPU_ARG_U64, 0 }, { "bytes", XPU_ARG_U64, 0 },
	};
	uint64_t text[] = {
		xpu_ld(XPU_MEM_W64, 3, XPU_GPR_ARGS_VA, 0),
		xpu_ld(XPU_MEM_W64, 4, XPU_GPR_ARGS_VA, 8),
		xpu_ld(XPU_MEM_W64, 5, XPU_GPR_ARGS_VA, 16),
		xpu_dma(XPU_DMA_VA_TO_VA, 3, 4, 5),
		xpu_halt(),
	};
	struct xpu_image img = { 0 };
	xpu_module *mod;
	xpu_status st;

	mod = __atomic_load_n(&dev->builtin, __ATOMIC_ACQUIRE);
	if (mod) {
		*out = mod;
		return XPU_SUCCESS;
	}
	img.isa_version = XPU_ISA_VERSION;
	img.text_size = sizeof(text);
	img.text = malloc(sizeof(text));
	img.num_kernels = 1;
	img.kernels = calloc(1, sizeof(*img.kernels));
	if (img.kernels)
		img.kernels[0].args = malloc(sizeof(args));
	if (!img.text || !img.kernels || !img.kernels[0].args) {
		xpu_image_free(&img);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "malloc");
	}
	memcpy(img.text, text, sizeof(text));
	strcpy(img.kernels[0].name, "xpu_copy");
	img.kernels[0].text_size = sizeof(text);
	img.kernels[0].num_args = 3;
	memcpy(img.kernels[0].args, args, sizeof(args));
	st = xpu_module_from_image(dev, &img, &mod);
	if (st)
		return st;
	pthread_mutex_lock(&dev->lock);
	if (dev->builtin) {
		pthread_mutex_unlock(&dev->lock);
		xpu_module_unload(mod);
		*out = dev->builtin;
		return XPU_SUCCESS;
	}
	__atomic_store_n(&dev->builtin, mod, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&dev->lock);
	*out = mod;
	return XPU_SUCCESS;
}

/* One DMA job dst_va <- src_va on a locked stream. */
static xpu_status copy_job(xpu_stream *s, uint64_t dst_va, uint64_t src_va, uint64_t n,
			   xpu_buffer *const *bufs, uint32_t nbufs, const struct xpu_bo *extra,
			   const struct xpu_bo *tmp, const char *what)
{
	uint64_t slots[3] = { dst_va, src_va, n };
	xpu_module *mod;
	xpu_status st = xpu_builtin_module(s->dev, &mod);

	if (st)
		return st;
	return xpu_stream_launch_locked(s, mod, &mod->img.kernels[0], slots, 3, bufs, nbufs,
					extra, extra ? 1 : 0, tmp, what);
}

static xpu_status staging_new(xpu_device *dev, size_t n, struct xpu_bo *bo)
{
	xpu_status st = dev->ops->bo_create(dev, n, XPU_MEM_HOST, bo);

	if (st)
		return st;
	st = dev->ops->bo_map(dev, bo);
	if (st)
		dev->ops->bo_destroy(dev, bo);
	return st;
}

xpu_status xpu_copy_job_locked(xpu_stream *s, uint64_t dst_va, uint64_t src_va, uint64_t n,
			       xpu_buffer *const *bufs, uint32_t nbufs, const struct xpu_bo *extra,
			       const char *what)
{
	return copy_job(s, dst_va, src_va, n, bufs, nbufs, extra, NULL, what);
}

/* Queue one DMA job between b + boff and host[0, len) through a user-page
 * buffer of the pages it spans; -1 if they cannot be pinned. */
static int pinned_job_locked(xpu_stream *s, xpu_buffer *b, uint64_t boff, uint8_t *host,
			     size_t len, int to_device, xpu_status *st)
{
	xpu_device *dev = s->dev;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), p = (uintptr_t)host;
	uintptr_t start = p & ~(pg - 1), end = (p + len + pg - 1) & ~(pg - 1);
	uint64_t dva = b->bo.va + boff, hva;
	struct xpu_bo ubo;

	if (dev->ops->bo_userptr(dev, (void *)start, end - start,
				 to_device ? XPU_MEM_READ_ONLY : 0, &ubo))
		return -1;
	hva = ubo.va + (p - start);
	*st = copy_job(s, to_device ? dva : hva, to_device ? hva : dva, len, &b, 1, &ubo, &ubo,
		       to_device ? "copy host->device (write, user pages)" :
				   "copy device->host (read, user pages)");
	/* a queued entry owns its user-page buffer (freed at retire) */
	if (*st && (!s->tail || !s->tail->has_tmp || s->tail->tmp.handle != ubo.handle))
		dev->ops->bo_destroy(dev, &ubo);
	return 0;
}

/*
 * A large synchronous copy between b (from offset off) and the caller's
 * memory host, n bytes (to_device: host -> b), on the locked internal
 * stream, by the device and the CPU at once from the two ends: DMA jobs
 * take chunks from the front straight from or to the caller's pinned pages
 * (each at most XPU_PIN_CHUNK and half of what is left, at least
 * XPU_PIN_MIN_CHUNK, at most XPU_PIN_INFLIGHT queued), while the CPU copies
 * XPU_CPU_SLICE slices from the back through the mapping map, until they
 * meet. A fast device takes
 * most of the copy, a busy or slow one little, and memory the kernel
 * cannot pin is all the CPU's. The caller waits for the jobs.
 */
static xpu_status split_copy_locked(xpu_stream *s, xpu_buffer *b, size_t off, uint8_t *host,
				    size_t n, int to_device, uint8_t *map)
{
	size_t front = 0, back = n, pg = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t chunk = s->dev->max_userptr < XPU_PIN_CHUNK ? s->dev->max_userptr :
							       XPU_PIN_CHUNK;
	struct rlimit ml;
	int pinnable;

	/* pinned pages count against RLIMIT_MEMLOCK (unless CAP_IPC_LOCK) until
	 * their buffer is freed, a little after its job: keep the chunks in
	 * flight to a quarter of the limit, so that the rest of the process's
	 * locked memory still fits */
	if (geteuid() != 0 && !getrlimit(RLIMIT_MEMLOCK, &ml) && ml.rlim_cur != RLIM_INFINITY &&
	    chunk > ml.rlim_cur / (4 * XPU_PIN_INFLIGHT))
		chunk = ml.rlim_cur / (4 * XPU_PIN_INFLIGHT) & ~(uint64_t)(pg - 1);
	pinnable = chunk >= 2 * pg;
	xpu_module *mod;
	xpu_status st = xpu_builtin_module(s->dev, &mod);

	while (!st && front < back) {
		while (pinnable && s->seq - s->retired_seq < XPU_PIN_INFLIGHT) {
			size_t len = (back - front) / 2;
			size_t lead = ((uintptr_t)host + front) & (pg - 1);

			if (len < XPU_PIN_MIN_CHUNK)
				break;
			if (len > chunk - lead)
				len = chunk - lead;
			if (s->err)
				return xpu_stream_error(s);
			if (pinned_job_locked(s, b, off + front, host + front, len, to_device, &st))
				pinnable = 0;	/* not pinnable: the CPU copies the rest */
			else if (st)
				return st;
			else
				front += len;
		}
		if (front < back) {
			size_t len = back - front < XPU_CPU_SLICE ? back - front : XPU_CPU_SLICE;

			back -= len;
			if (to_device)
				memcpy(map + off + back, host + back, len);
			else
				memcpy(host + back, map + off + back, len);
			/* without waiting: frees the slots of finished jobs */
			xpu_retire(s, s->seq, 0);
		}
	}
	return st;
}

/* A synchronous copy the CPU does alone through the mapping (see the top). */
static int cpu_copy(const xpu_buffer *b, size_t n, uint32_t cpu_flags)
{
	return n <= XPU_SPLIT_MIN || (b->bo.flags & cpu_flags) || !b->dev->max_userptr ||
	       !b->dev->ops->bo_userptr;
}

static xpu_status write_locked(xpu_stream *s, xpu_buffer *b, size_t off, const void *src, size_t n)
{
	struct xpu_bo tmp;
	uint32_t aoff;
	xpu_status st;

	if (s->err)
		return xpu_stream_error(s);
	if (n <= XPU_SMALL_COPY && !xpu_arena_alloc(s, n, &aoff)) {
		memcpy((uint8_t *)s->arena.cpu + aoff, src, n);
		return copy_job(s, b->bo.va + off, s->arena.va + aoff, n, &b, 1, NULL, NULL,
				"copy host->device (write)");
	}
	st = staging_new(s->dev, n, &tmp);
	if (st)
		return st;
	memcpy(tmp.cpu, src, n);
	return copy_job(s, b->bo.va + off, tmp.va, n, &b, 1, &tmp, &tmp, "copy host->device (write)");
}

static xpu_status read_locked(xpu_stream *s, xpu_buffer *b, size_t off, void *dst, size_t n)
{
	struct xpu_bo tmp;
	xpu_status st;

	if (s->err)
		return xpu_stream_error(s);
	st = staging_new(s->dev, n, &tmp);
	if (st)
		return st;
	st = copy_job(s, tmp.va, b->bo.va + off, n, &b, 1, &tmp, NULL, "copy device->host (read)");
	if (st) {
		s->dev->ops->bo_destroy(s->dev, &tmp);
		return st;
	}
	/* the staging buffer goes with the host step that reads it */
	return xpu_stream_host_copy_locked(s, dst, tmp.cpu, n, &tmp);
}

XPU_EXPORT xpu_status xpu_write_async(xpu_stream *s, xpu_buffer *b, size_t off, const void *src,
				      size_t n)
{
	xpu_status st;

	if (!s || !b || (!src && n))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (b->dev != s->dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "buffer of another device");
	if (b->bo.flags & XPU_MEM_READ_ONLY)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_write_async: the buffer is device-read-only (use xpu_buffer_write)");
	st = check_range(b, off, n, "xpu_write_async");
	if (st || !n)
		return xpu_ok(st);
	pthread_mutex_lock(&s->lock);
	st = write_locked(s, b, off, src, n);
	pthread_mutex_unlock(&s->lock);
	return xpu_ok(st);
}

XPU_EXPORT xpu_status xpu_read_async(xpu_stream *s, xpu_buffer *b, size_t off, void *dst, size_t n)
{
	xpu_status st;

	if (!s || !b || (!dst && n))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (b->dev != s->dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "buffer of another device");
	st = check_range(b, off, n, "xpu_read_async");
	if (st || !n)
		return xpu_ok(st);
	pthread_mutex_lock(&s->lock);
	st = read_locked(s, b, off, dst, n);
	pthread_mutex_unlock(&s->lock);
	return xpu_ok(st);
}

XPU_EXPORT xpu_status xpu_copy_async(xpu_stream *s, xpu_buffer *dst, size_t doff, xpu_buffer *src,
				     size_t soff, size_t n)
{
	xpu_buffer *bufs[2] = { dst, src };
	xpu_status st;

	if (!s || !dst || !src)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (dst->dev != s->dev || src->dev != s->dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "buffer of another device");
	if (dst->bo.flags & XPU_MEM_READ_ONLY)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_copy_async: the destination is device-read-only");
	st = check_range(dst, doff, n, "xpu_copy_async destination");
	if (!st)
		st = check_range(src, soff, n, "xpu_copy_async source");
	if (st || !n)
		return xpu_ok(st);
	pthread_mutex_lock(&s->lock);
	if (s->err)
		st = xpu_stream_error(s);
	else
		st = copy_job(s, dst->bo.va + doff, src->bo.va + soff, n, bufs, 2, NULL, NULL,
			      "copy device->device");
	pthread_mutex_unlock(&s->lock);
	return xpu_ok(st);
}

/* Wait for the copy jobs of a synchronous copy; the first error wins. */
static xpu_status xpu_sync_after(xpu_stream *s, xpu_status st)
{
	xpu_status sync = xpu_internal_sync(s);

	return st ? st : sync;
}

XPU_EXPORT xpu_status xpu_buffer_write(xpu_buffer *b, size_t off, const void *src, size_t n)
{
	xpu_stream *s;
	xpu_status st;

	if (!b || (!src && n))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = check_range(b, off, n, "xpu_buffer_write");
	if (st || !n)
		return xpu_ok(st);
	st = b->dev->ops->bo_map(b->dev, &b->bo);
	if (st)
		return st;
	/* small, host memory or not device-writable: by the CPU alone */
	if (cpu_copy(b, n, XPU_MEM_HOST | XPU_MEM_READ_ONLY)) {
		memcpy((uint8_t *)b->bo.cpu + off, src, n);
		return xpu_ok(XPU_SUCCESS);
	}
	/* large into device memory: the device and the CPU together */
	st = xpu_internal_stream(b->dev, &s);
	if (st)
		return st;
	pthread_mutex_lock(&b->dev->sync_lock);
	pthread_mutex_lock(&s->lock);
	st = s->err ? xpu_stream_error(s) :
		      split_copy_locked(s, b, off, (uint8_t *)src, n, 1, b->bo.cpu);
	pthread_mutex_unlock(&s->lock);
	st = xpu_sync_after(s, st);
	pthread_mutex_unlock(&b->dev->sync_lock);
	return xpu_ok(st);
}

XPU_EXPORT xpu_status xpu_buffer_read(xpu_buffer *b, size_t off, void *dst, size_t n)
{
	xpu_stream *s;
	xpu_status st;

	if (!b || (!dst && n))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = check_range(b, off, n, "xpu_buffer_read");
	if (st || !n)
		return xpu_ok(st);
	st = b->dev->ops->bo_map(b->dev, &b->bo);
	if (st)
		return st;
	if (cpu_copy(b, n, XPU_MEM_HOST)) {
		memcpy(dst, (uint8_t *)b->bo.cpu + off, n);
		return xpu_ok(XPU_SUCCESS);
	}
	st = xpu_internal_stream(b->dev, &s);
	if (st)
		return st;
	pthread_mutex_lock(&b->dev->sync_lock);
	pthread_mutex_lock(&s->lock);
	st = s->err ? xpu_stream_error(s) : split_copy_locked(s, b, off, dst, n, 0, b->bo.cpu);
	pthread_mutex_unlock(&s->lock);
	st = xpu_sync_after(s, st);
	pthread_mutex_unlock(&b->dev->sync_lock);
	return xpu_ok(st);
}

XPU_EXPORT xpu_status xpu_buffer_copy(xpu_buffer *dst, size_t doff, xpu_buffer *src, size_t soff,
				      size_t n)
{
	xpu_stream *s;
	xpu_status st;

	if (!dst || !src)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (dst->dev != src->dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "buffers of different devices");
	st = xpu_internal_stream(dst->dev, &s);
	if (st)
		return st;
	pthread_mutex_lock(&dst->dev->sync_lock);
	st = xpu_copy_async(s, dst, doff, src, soff, n);
	if (!st)
		st = xpu_internal_sync(s);
	pthread_mutex_unlock(&dst->dev->sync_lock);
	return xpu_ok(st);
}
