// SPDX-License-Identifier: MIT
/*
 * libxpu: modules (a loaded kernel binary whose text lives in a device
 * read-only buffer), kernel objects with typed arguments, and launches.
 * Arguments are 8-byte slots in an argument block the stream allocates per
 * launch; the device starts the job with r1 = its VA, r2 = its length.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

xpu_status xpu_module_from_image(xpu_device *dev, struct xpu_image *img, xpu_module **out)
{
	xpu_module *mod;
	xpu_status st;

	for (uint32_t i = 0; i < img->num_kernels; i++) {
		const struct xpu_image_kernel *k = &img->kernels[i];

		if (k->spad_size > dev->props.spad_size || k->acc_size > dev->props.acc_size) {
			st = xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					   "kernel '%s' needs %u bytes of scratchpad and %u of "
					   "accumulator, the device has %u and %u (recompile for it)",
					   k->name, k->spad_size, k->acc_size, dev->props.spad_size,
					   dev->props.acc_size);
			xpu_image_free(img);
			return st;
		}
	}
	mod = calloc(1, sizeof(*mod));
	if (!mod) {
		xpu_image_free(img);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	}
	mod->dev = dev;
	mod->img = *img;
	mod->refs = 1;
	memset(img, 0, sizeof(*img));
	/* device read-only text, written through the CPU mapping (the device
	 * cannot DMA into a read-only buffer, and programs are small) */
	st = xpu_buffer_alloc(dev, mod->img.text_size, XPU_MEM_READ_ONLY, &mod->text);
	if (!st)
		st = xpu_buffer_write(mod->text, 0, mod->img.text, mod->img.text_size);
	if (st) {
		if (mod->text)
			xpu_buffer_free(mod->text);
		xpu_image_free(&mod->img);
		free(mod);
		return st;
	}
	*out = mod;
	return XPU_SUCCESS;
}

static void module_put(xpu_module *mod)
{
	if (__atomic_sub_fetch(&mod->refs, 1, __ATOMIC_ACQ_REL))
		return;
	xpu_buffer_free(mod->text);
	xpu_image_free(&mod->img);
	free(mod);
}


/* Read the regular file path (at most max_size bytes) into a malloc'ed
 * *data of *size bytes; errors as xpu_file_error, IO for a file that is not
 * regular, INVALID_BINARY for one too large. */
static xpu_status read_file(const char *path, uint64_t max_size, uint8_t **data, size_t *size)
{
	struct stat sb;
	uint8_t *buf;
	ssize_t n;
	size_t got = 0;
	xpu_status st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xpu_file_error(errno, "open", path);	/* NOT_FOUND, PERMISSION, IO */
	if (fstat(fd, &sb)) {
		st = xpu_file_error(errno, "fstat", path);
		close(fd);
		return st;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return xpu_set_error(XPU_ERROR_IO, "%s: not a regular file", path);
	}
	if ((uint64_t)sb.st_size > max_size) {
		close(fd);
		return xpu_set_error(XPU_ERROR_INVALID_BINARY, "%s: larger than %llu GiB", path,
				     (unsigned long long)(max_size >> 30));
	}
	buf = malloc(sb.st_size ? sb.st_size : 1);
	if (!buf) {
		close(fd);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "malloc");
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = xpu_file_error(errno, "read", path);
			free(buf);
			close(fd);
			return st;
		}
		if (n == 0)
			break;		/* shrank meanwhile: the parser reports truncation */
		got += n;
	}
	close(fd);
	*data = buf;
	*size = got;
	return XPU_SUCCESS;
}

xpu_status xpu_load_file(xpu_device *dev, const char *path, uint64_t max_size, xpu_load_fn load,
			void *out)
{
	uint8_t *buf = NULL;
	size_t size = 0;
	xpu_status st;

	st = read_file(path, max_size, &buf, &size);
	if (st)
		return st;
	st = load(dev, buf, size, out);
	free(buf);
	if (st) {
		/* name the file in the message */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", xpu_last_error());
		return xpu_set_error(st, "%s: %s", path, msg);
	}
	return XPU_SUCCESS;
}

/* xpu_module_load, xpu_module_load_file */
XPU_DEFINE_LOADERS(xpu_module, xpu_module_load, xpu_module_load_file, xpu_module_from_image,
		   1ull << 31)

XPU_EXPORT xpu_status xpu_module_unload(xpu_module *mod)
{
	if (!mod)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "module is NULL");
	module_put(mod);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_module_kernel_count(xpu_module *mod, uint32_t *count)
{
	if (!mod || !count)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	*count = mod->img.num_kernels;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_module_kernel_name(xpu_module *mod, uint32_t index, const char **name)
{
	if (!mod || !name)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (index >= mod->img.num_kernels)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "kernel index %u, the module has %u",
				     index, mod->img.num_kernels);
	*name = mod->img.kernels[index].name;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_kernel_create(xpu_module *mod, const char *name, xpu_kernel **out)
{
	xpu_kernel *k;

	if (!mod || !name || !out)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	*out = NULL;
	for (uint32_t i = 0; i < mod->img.num_kernels; i++) {
		if (strcmp(mod->img.kernels[i].name, name))
			continue;
		k = calloc(1, sizeof(*k));
		if (!k)
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
		k->mod = mod;
		k->k = &mod->img.kernels[i];
		pthread_mutex_init(&k->lock, NULL);
		__atomic_add_fetch(&mod->refs, 1, __ATOMIC_ACQ_REL);
		*out = k;
		return xpu_ok(XPU_SUCCESS);
	}
	return xpu_set_error(XPU_ERROR_NOT_FOUND, "no kernel named '%s' in the module (%u kernels)",
			     name, mod->img.num_kernels);
}

XPU_EXPORT xpu_status xpu_kernel_destroy(xpu_kernel *k)
{
	if (!k)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "kernel is NULL");
	pthread_mutex_destroy(&k->lock);
	module_put(k->mod);
	free(k);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_kernel_get_info(xpu_kernel *k, struct xpu_kernel_info *info)
{
	if (!k || !info)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", k->k->name);
	info->num_args = k->k->num_args;
	info->text_size = k->k->text_size;
	info->spad_size = k->k->spad_size;
	info->acc_size = k->k->acc_size;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_kernel_get_arg_info(xpu_kernel *k, uint32_t index, struct xpu_arg_info *info)
{
	if (!k || !info)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (index >= k->k->num_args)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "kernel '%s' has %u arguments, not %u",
				     k->k->name, k->k->num_args, index + 1);
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", k->k->args[index].name);
	info->type = k->k->args[index].type;
	return xpu_ok(XPU_SUCCESS);
}

static size_t type_size(uint32_t type)
{
	const struct xpu_dtype_desc *d = xpu_dtype_desc(xpu_arg_dtype(type));

	if (d)
		return d->bytes;	/* I32, F32, I64: the data-type table */
	switch (type) {
	case XPU_ARG_BUFFER: return sizeof(xpu_buffer *);
	case XPU_ARG_U64: return 8;
	default: return 4;
	}
}

XPU_EXPORT xpu_status xpu_kernel_set_arg(xpu_kernel *k, uint32_t index, enum xpu_arg_type type,
					 const void *value, size_t size)
{
	uint64_t slot = 0;
	xpu_buffer *buf = NULL;
	uint32_t want;

	if (!k || !value)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (index >= k->k->num_args)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "kernel '%s' has %u arguments, not %u",
				     k->k->name, k->k->num_args, index + 1);
	want = k->k->args[index].type;
	if ((uint32_t)type != want)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "kernel '%s' argument %u ('%s') is %s, not %s", k->k->name, index,
				     k->k->args[index].name, xpu_arg_type_name(want),
				     xpu_arg_type_name(type));
	if (size != type_size(want))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "kernel '%s' argument %u ('%s'): %zu bytes given, %s takes %zu",
				     k->k->name, index, k->k->args[index].name, size,
				     xpu_arg_type_name(want), type_size(want));
	switch (want) {
	case XPU_ARG_BUFFER:
		memcpy(&buf, value, sizeof(buf));
		if (!buf)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "argument %u: NULL buffer", index);
		if (buf->dev != k->mod->dev)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "argument %u: buffer of another device", index);
		slot = buf->bo.va;
		break;
	case XPU_ARG_U64:
	case XPU_ARG_I64:
		memcpy(&slot, value, 8);
		break;
	case XPU_ARG_U32:
	case XPU_ARG_F32: {
		uint32_t v;

		memcpy(&v, value, 4);
		slot = v;
		break;
	}
	case XPU_ARG_I32: {
		int32_t v;

		memcpy(&v, value, 4);
		slot = (uint64_t)(int64_t)v;
		break;
	}
	}
	pthread_mutex_lock(&k->lock);
	k->values[index] = slot;
	k->bufs[index] = buf;
	k->set |= 1ull << index;
	pthread_mutex_unlock(&k->lock);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_kernel_set_arg_buffer(xpu_kernel *k, uint32_t index, xpu_buffer *buf,
						size_t offset)
{
	xpu_status st;

	if (buf && offset > buf->size)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "argument %u: offset %zu beyond the %llu-byte buffer", index,
				     offset, (unsigned long long)buf->size);
	st = xpu_kernel_set_arg(k, index, XPU_ARG_BUFFER, &buf, sizeof(buf));
	if (!st) {
		pthread_mutex_lock(&k->lock);
		k->values[index] += offset;
		pthread_mutex_unlock(&k->lock);
	}
	return st;
}

XPU_EXPORT xpu_status xpu_kernel_set_arg_u64(xpu_kernel *k, uint32_t index, uint64_t v)
{
	return xpu_kernel_set_arg(k, index, XPU_ARG_U64, &v, sizeof(v));
}

XPU_EXPORT xpu_status xpu_kernel_set_arg_i64(xpu_kernel *k, uint32_t index, int64_t v)
{
	return xpu_kernel_set_arg(k, index, XPU_ARG_I64, &v, sizeof(v));
}

XPU_EXPORT xpu_status xpu_kernel_set_arg_u32(xpu_kernel *k, uint32_t index, uint32_t v)
{
	return xpu_kernel_set_arg(k, index, XPU_ARG_U32, &v, sizeof(v));
}

XPU_EXPORT xpu_status xpu_kernel_set_arg_i32(xpu_kernel *k, uint32_t index, int32_t v)
{
	return xpu_kernel_set_arg(k, index, XPU_ARG_I32, &v, sizeof(v));
}

XPU_EXPORT xpu_status xpu_kernel_set_arg_f32(xpu_kernel *k, uint32_t index, float v)
{
	return xpu_kernel_set_arg(k, index, XPU_ARG_F32, &v, sizeof(v));
}

XPU_EXPORT xpu_status xpu_launch(xpu_stream *s, xpu_kernel *k)
{
	uint64_t slots[XPU_META_MAX_ARGS];
	xpu_buffer *bufs[XPU_META_MAX_ARGS];
	uint32_t n;
	char what[96];
	xpu_status st;

	if (!s || !k)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (k->mod->dev != s->dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "kernel and stream of different devices");
	n = k->k->num_args;
	pthread_mutex_lock(&k->lock);
	for (uint32_t i = 0; i < n; i++) {
		if (!(k->set >> i & 1)) {
			pthread_mutex_unlock(&k->lock);
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "kernel '%s' argument %u ('%s') is not set", k->k->name,
					     i, k->k->args[i].name);
		}
	}
	/* the bytes each buffer argument's kernel touches (xpu_elf.h min_size) */
	for (uint32_t i = 0; i < n; i++) {
		const struct xpu_image_arg *a = &k->k->args[i];
		const xpu_buffer *b = k->bufs[i];
		uint64_t off;

		if (a->type != XPU_ARG_BUFFER || !a->min_size || !b)
			continue;
		off = k->values[i] - b->bo.va;
		if (off > b->size || b->size - off < a->min_size) {
			pthread_mutex_unlock(&k->lock);
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "kernel '%s' argument %u ('%s'): needs %llu bytes, the "
					     "buffer has %llu (%llu-byte buffer at offset %llu)",
					     k->k->name, i, a->name, (unsigned long long)a->min_size,
					     (unsigned long long)(off > b->size ? 0 : b->size - off),
					     (unsigned long long)b->size, (unsigned long long)off);
		}
	}
	memcpy(slots, k->values, n * sizeof(slots[0]));
	memcpy(bufs, k->bufs, n * sizeof(bufs[0]));
	pthread_mutex_unlock(&k->lock);
	snprintf(what, sizeof(what), "kernel '%s'", k->k->name);
	pthread_mutex_lock(&s->lock);
	st = xpu_stream_launch_locked(s, k->mod, k->k, slots, n, bufs, n, NULL, 0, NULL, what);
	pthread_mutex_unlock(&s->lock);
	return xpu_ok(st);
}
