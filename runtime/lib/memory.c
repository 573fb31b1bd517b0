// SPDX-License-Identifier: MIT
/*
 * libxpu: buffers, CPU mappings and copies.
 *
 * Copies larger than XPU_SMALL_COPY are DMA jobs (the builtin copy kernel,
 * one DMA VA->VA instruction) through host-memory staging buffers, so the CPU
 * never streams large data through the HBM BAR. Small ones are plain CPU
 * copies through the mapping (synchronous calls) or staged in the stream's
 * arena (asynchronous calls, which must keep stream order).
 */
#include <stdlib.h>
#include <string.h>

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

XPU_EXPORT xpu_status xpu_buffer_write(xpu_buffer *b, size_t off, const void *src, size_t n)
{
	xpu_stream *s;
	xpu_status st;

	if (!b || (!src && n))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = check_range(b, off, n, "xpu_buffer_write");
	if (st || !n)
		return xpu_ok(st);
	/* small, host memory, or not device-writable: through the mapping */
	if (n <= XPU_SMALL_COPY || (b->bo.flags & (XPU_MEM_HOST | XPU_MEM_READ_ONLY))) {
		st = b->dev->ops->bo_map(b->dev, &b->bo);
		if (!st)
			memcpy((uint8_t *)b->bo.cpu + off, src, n);
		return xpu_ok(st);
	}
	st = xpu_internal_stream(b->dev, &s);
	if (st)
		return st;
	pthread_mutex_lock(&s->lock);
	st = write_locked(s, b, off, src, n);
	pthread_mutex_unlock(&s->lock);
	if (!st)
		st = xpu_internal_sync(s);
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
	if (n <= XPU_SMALL_COPY || (b->bo.flags & XPU_MEM_HOST)) {
		st = b->dev->ops->bo_map(b->dev, &b->bo);
		if (!st)
			memcpy(dst, (uint8_t *)b->bo.cpu + off, n);
		return xpu_ok(st);
	}
	st = xpu_internal_stream(b->dev, &s);
	if (st)
		return st;
	pthread_mutex_lock(&s->lock);
	st = read_locked(s, b, off, dst, n);
	pthread_mutex_unlock(&s->lock);
	if (!st)
		st = xpu_internal_sync(s);
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
	st = xpu_copy_async(s, dst, doff, src, soff, n);
	if (!st)
		st = xpu_internal_sync(s);
	return xpu_ok(st);
}
