// SPDX-License-Identifier: MIT
/*
 * libxpu: running compiled model graphs (xpu_graph.h).
 *
 * A graph binary is a kernel binary plus .xpu.graph (tensors, launches,
 * launch arguments) and .xpu.const (weights); runtime/include/xpu/xpu_elf.h
 * defines both. Loading validates every record against the kernels and the
 * section sizes (the file is untrusted), uploads the kernels (a module) and
 * the weights once, allocates the activation arena and one buffer per graph
 * input and output. A run turns each launch record into argument slots
 * (tensor VAs resolved against the constant buffer, the arena, or the
 * input/output buffer currently bound) and enqueues the jobs in order on the
 * caller's stream with the stream lock held, so one run is contiguous in
 * the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xpu/xpu_graph.h"

struct graph_io {
	uint32_t tensor;		/* index into tensors */
	xpu_buffer *own;		/* the graph's buffer */
	xpu_buffer *bound;		/* user buffer, or NULL: use own */
	size_t bound_off;
};

struct xpu_graph {
	xpu_device *dev;
	xpu_module *mod;
	struct xpu_graph_hdr hdr;
	struct xpu_graph_tensor *tensors;
	struct xpu_graph_launch *launches;
	struct xpu_graph_arg *args;
	char *strtab;
	struct graph_io *in, *out;
	xpu_buffer *consts, *arena;
	pthread_mutex_t lock;		/* bindings; a run reads them under it */
};

#define BAD(...) xpu_set_error(XPU_ERROR_INVALID_BINARY, __VA_ARGS__)

static const char *gstr(const struct xpu_graph *g, uint32_t off)
{
	if (off >= g->hdr.strtab_size || !memchr(g->strtab + off, 0, g->hdr.strtab_size - off))
		return NULL;
	return g->strtab + off;
}

static const char *tname(const struct xpu_graph *g, uint32_t t)
{
	const char *s = gstr(g, g->tensors[t].name);

	return s ? s : "?";
}

/* Copy the records out of the section and check every one. */
static xpu_status parse_graph(struct xpu_graph *g, const uint8_t *sec, uint64_t size,
			      const struct xpu_image *img, uint64_t const_size)
{
	struct xpu_graph_hdr *h = &g->hdr;
	uint64_t need, off;

	if (!sec || size < sizeof(*h))
		return BAD("no .xpu.graph section, or it is shorter than its %zu-byte header "
			   "(not a compiled model: use xpu_module_load for plain kernels)", sizeof(*h));
	memcpy(h, sec, sizeof(*h));
	if (h->magic != XPU_GRAPH_MAGIC)
		return BAD(".xpu.graph: bad magic 0x%08x", h->magic);
	if (h->version != XPU_GRAPH_VERSION)
		return BAD(".xpu.graph: format version %u, this runtime reads %d", h->version,
			   XPU_GRAPH_VERSION);
	if (h->hdr_size != sizeof(*h) || h->tensor_size != sizeof(struct xpu_graph_tensor) ||
	    h->launch_size != sizeof(struct xpu_graph_launch) ||
	    h->arg_size != sizeof(struct xpu_graph_arg) || h->rsvd0)
		return BAD(".xpu.graph: record sizes %u/%u/%u/%u differ from this runtime's, or a "
			   "reserved field is set", h->hdr_size, h->tensor_size, h->launch_size,
			   h->arg_size);
	if (h->num_tensors > XPU_GRAPH_MAX_TENSORS || h->num_launches > XPU_GRAPH_MAX_LAUNCHES ||
	    h->num_args > XPU_GRAPH_MAX_ARGS)
		return BAD(".xpu.graph: %u tensors, %u launches, %u arguments: too many",
			   h->num_tensors, h->num_launches, h->num_args);
	if (h->num_inputs > h->num_tensors || h->num_outputs > h->num_tensors)
		return BAD(".xpu.graph: %u inputs and %u outputs but %u tensors", h->num_inputs,
			   h->num_outputs, h->num_tensors);
	if (h->flags & ~(uint32_t)XPU_GRAPH_F_PREC_MASK ||
	    (h->flags & XPU_GRAPH_F_PREC_MASK) > XPU_GRAPH_F_PREC_HIGHEST)
		return BAD(".xpu.graph: unknown flags 0x%x", h->flags);
	if (h->const_size != const_size)
		return BAD(".xpu.graph declares %llu constant bytes, .xpu.const has %llu",
			   (unsigned long long)h->const_size, (unsigned long long)const_size);
	if (h->arena_size > (1ull << 40))
		return BAD(".xpu.graph: arena of %llu bytes is absurd",
			   (unsigned long long)h->arena_size);
	need = sizeof(*h) + (uint64_t)h->num_tensors * h->tensor_size +
	       (uint64_t)h->num_launches * h->launch_size + (uint64_t)h->num_args * h->arg_size +
	       h->strtab_size;
	if (need > size)
		return BAD(".xpu.graph truncated: its records need %llu bytes, the section has %llu",
			   (unsigned long long)need, (unsigned long long)size);
	g->tensors = calloc(h->num_tensors + 1, sizeof(*g->tensors));
	g->launches = calloc(h->num_launches + 1, sizeof(*g->launches));
	g->args = calloc(h->num_args + 1, sizeof(*g->args));
	g->strtab = calloc(h->strtab_size + 1, 1);
	g->in = calloc(h->num_inputs + 1, sizeof(*g->in));
	g->out = calloc(h->num_outputs + 1, sizeof(*g->out));
	if (!g->tensors || !g->launches || !g->args || !g->strtab || !g->in || !g->out)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	off = sizeof(*h);
	memcpy(g->tensors, sec + off, (size_t)h->num_tensors * sizeof(*g->tensors));
	off += (uint64_t)h->num_tensors * sizeof(*g->tensors);
	memcpy(g->launches, sec + off, (size_t)h->num_launches * sizeof(*g->launches));
	off += (uint64_t)h->num_launches * sizeof(*g->launches);
	memcpy(g->args, sec + off, (size_t)h->num_args * sizeof(*g->args));
	off += (uint64_t)h->num_args * sizeof(*g->args);
	memcpy(g->strtab, sec + off, h->strtab_size);
	if (h->strtab_size && g->strtab[h->strtab_size - 1])
		return BAD(".xpu.graph: the string table does not end with NUL");
	if (!gstr(g, h->name) && h->strtab_size)
		return BAD(".xpu.graph: model name offset %u outside the string table", h->name);

	for (uint32_t i = 0; i < h->num_inputs; i++)
		g->in[i].tensor = UINT32_MAX;
	for (uint32_t i = 0; i < h->num_outputs; i++)
		g->out[i].tensor = UINT32_MAX;
	for (uint32_t i = 0; i < h->num_tensors; i++) {
		struct xpu_graph_tensor *t = &g->tensors[i];
		uint64_t esz = xpu_dtype_size(t->dtype), n = 1;
		const char *name = gstr(g, t->name);

		if (!name)
			return BAD("tensor %u: name offset %u outside the string table", i, t->name);
		if (!esz)
			return BAD("tensor '%s': unknown dtype %u", name, t->dtype);
		if (t->ndim > XPU_GRAPH_MAX_DIMS || t->rsvd)
			return BAD("tensor '%s': rank %u (at most %d) or a reserved field set", name,
				   t->ndim, XPU_GRAPH_MAX_DIMS);
		for (uint32_t d = 0; d < XPU_GRAPH_MAX_DIMS; d++) {
			if (d >= t->ndim) {
				if (t->dims[d])
					return BAD("tensor '%s': dimension %u beyond its rank is %llu",
						   name, d, (unsigned long long)t->dims[d]);
				continue;
			}
			if (t->dims[d] && n > (1ull << 48) / t->dims[d])
				return BAD("tensor '%s': its dimensions overflow", name);
			n *= t->dims[d];
		}
		if (n > (1ull << 48) / esz || n * esz != t->size)
			return BAD("tensor '%s': size %llu is not its dims times %llu-byte elements",
				   name, (unsigned long long)t->size, (unsigned long long)esz);
		switch (t->location) {
		case XPU_GRAPH_LOC_INPUT:
		case XPU_GRAPH_LOC_OUTPUT: {
			int is_in = t->location == XPU_GRAPH_LOC_INPUT;
			struct graph_io *io = is_in ? g->in : g->out;
			uint32_t count = is_in ? h->num_inputs : h->num_outputs;

			if (t->io_index >= count || io[t->io_index].tensor != UINT32_MAX)
				return BAD("tensor '%s': %s index %u out of range or used twice", name,
					   is_in ? "input" : "output", t->io_index);
			io[t->io_index].tensor = i;
			break;
		}
		case XPU_GRAPH_LOC_CONST:
		case XPU_GRAPH_LOC_ARENA: {
			uint64_t lim = t->location == XPU_GRAPH_LOC_CONST ? h->const_size : h->arena_size;

			if (t->offset % 64 || t->offset > lim || t->size > lim - t->offset)
				return BAD("tensor '%s': [%llu, +%llu) outside its %s of %llu bytes or "
					   "not 64-byte aligned", name, (unsigned long long)t->offset,
					   (unsigned long long)t->size,
					   t->location == XPU_GRAPH_LOC_CONST ? "constants" : "arena",
					   (unsigned long long)lim);
			if (t->io_index)
				return BAD("tensor '%s': io_index set on a non-I/O tensor", name);
			break;
		}
		default:
			return BAD("tensor '%s': unknown location %u", name, t->location);
		}
	}
	for (uint32_t i = 0; i < h->num_inputs; i++)
		if (g->in[i].tensor == UINT32_MAX)
			return BAD(".xpu.graph: no tensor for input %u", i);
	for (uint32_t i = 0; i < h->num_outputs; i++)
		if (g->out[i].tensor == UINT32_MAX)
			return BAD(".xpu.graph: no tensor for output %u", i);
	for (uint32_t i = 0; i < h->num_launches; i++) {
		const struct xpu_graph_launch *l = &g->launches[i];
		const struct xpu_image_kernel *k;

		if (l->kernel >= img->num_kernels)
			return BAD("launch %u: kernel %u of %u", i, l->kernel, img->num_kernels);
		k = &img->kernels[l->kernel];
		if (l->first_arg > h->num_args || l->num_args > h->num_args - l->first_arg ||
		    l->num_args != k->num_args)
			return BAD("launch %u (kernel '%s'): arguments [%u, +%u) outside the %u records "
				   "or not the kernel's %u", i, k->name, l->first_arg, l->num_args,
				   h->num_args, k->num_args);
		if (!gstr(g, l->node))
			return BAD("launch %u: node name offset outside the string table", i);
		for (uint32_t a = 0; a < l->num_args; a++) {
			const struct xpu_graph_arg *r = &g->args[l->first_arg + a];

			if (r->kind == XPU_GRAPH_ARG_TENSOR) {
				if (r->tensor >= h->num_tensors)
					return BAD("launch %u (kernel '%s') argument %u: tensor %u of %u",
						   i, k->name, a, r->tensor, h->num_tensors);
				if (r->value > g->tensors[r->tensor].size)
					return BAD("launch %u (kernel '%s') argument %u: offset %llu past "
						   "tensor '%s'", i, k->name, a,
						   (unsigned long long)r->value, tname(g, r->tensor));
				if (k->args[a].type != XPU_ARG_BUFFER)
					return BAD("launch %u (kernel '%s') argument %u: a tensor for a "
						   "non-buffer argument", i, k->name, a);
			} else if (k->args[a].type == XPU_ARG_BUFFER) {
				return BAD("launch %u (kernel '%s') argument %u: a buffer argument "
					   "must name a tensor, not an immediate", i, k->name, a);
			} else if (r->kind != XPU_GRAPH_ARG_IMM || r->tensor) {
				return BAD("launch %u (kernel '%s') argument %u: unknown kind %u", i,
					   k->name, a, r->kind);
			}
		}
	}
	return XPU_SUCCESS;
}

static void graph_free(struct xpu_graph *g)
{
	char err[512];	/* the error being returned: the frees below would clear it */

	if (!g)
		return;
	snprintf(err, sizeof(err), "%s", xpu_last_error());
	for (uint32_t i = 0; g->in && i < g->hdr.num_inputs; i++)
		if (g->in[i].own)
			xpu_buffer_free(g->in[i].own);
	for (uint32_t i = 0; g->out && i < g->hdr.num_outputs; i++)
		if (g->out[i].own)
			xpu_buffer_free(g->out[i].own);
	if (g->consts)
		xpu_buffer_free(g->consts);
	if (g->arena)
		xpu_buffer_free(g->arena);
	if (g->mod)
		xpu_module_unload(g->mod);
	free(g->tensors);
	free(g->launches);
	free(g->args);
	free(g->strtab);
	free(g->in);
	free(g->out);
	pthread_mutex_destroy(&g->lock);
	free(g);
	if (err[0])
		xpu_set_error(XPU_SUCCESS, "%s", err);
}

static xpu_status alloc_io(struct xpu_graph *g, struct graph_io *io, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t sz = g->tensors[io[i].tensor].size;
		xpu_status st = xpu_buffer_alloc(g->dev, sz ? sz : 1, XPU_MEM_DEVICE, &io[i].own);

		if (st)
			return st;
	}
	return XPU_SUCCESS;
}

/* A graph from a parsed image (consumed: freed on failure too). */
static xpu_status graph_from_image(xpu_device *dev, struct xpu_image *image, xpu_graph **out)
{
	struct xpu_image img = *image;
	struct xpu_graph *g;
	xpu_status st;

	g = calloc(1, sizeof(*g));
	if (!g) {
		xpu_image_free(&img);
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	}
	g->dev = dev;
	pthread_mutex_init(&g->lock, NULL);
	st = parse_graph(g, img.graph, img.graph_size, &img, img.const_size);
	if (!st && img.const_size) {
		/* read-only for the device: a kernel writing a weight faults */
		st = xpu_buffer_alloc(dev, img.const_size, XPU_MEM_DEVICE | XPU_MEM_READ_ONLY,
				      &g->consts);
		if (!st)
			st = xpu_buffer_write(g->consts, 0, img.consts, img.const_size);
	}
	if (!st)
		st = xpu_buffer_alloc(dev, g->hdr.arena_size ? g->hdr.arena_size : 64, XPU_MEM_DEVICE,
				      &g->arena);
	if (!st)
		st = alloc_io(g, g->in, g->hdr.num_inputs);
	if (!st)
		st = alloc_io(g, g->out, g->hdr.num_outputs);
	if (st) {
		xpu_image_free(&img);
		graph_free(g);
		return st;
	}
	/* the graph records are copied and the weights uploaded: the module
	 * keeps only the kernels (no second host copy of the weights) */
	free(img.graph);
	free(img.consts);
	img.graph = img.consts = NULL;
	img.graph_size = img.const_size = 0;
	st = xpu_module_from_image(dev, &img, &g->mod);
	if (st) {
		graph_free(g);
		return st;
	}
	*out = g;
	return XPU_SUCCESS;
}

/* xpu_graph_load, xpu_graph_load_file */
XPU_DEFINE_LOADERS(xpu_graph, xpu_graph_load, xpu_graph_load_file, graph_from_image, 1ull << 32)

XPU_EXPORT xpu_status xpu_graph_destroy(xpu_graph *g)
{
	if (!g)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "graph is NULL");
	graph_free(g);
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_graph_get_info(xpu_graph *g, struct xpu_graph_info *info)
{
	const char *name;

	if (!g || !info)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	memset(info, 0, sizeof(*info));
	name = gstr(g, g->hdr.name);
	snprintf(info->name, sizeof(info->name), "%s", name ? name : "");
	info->num_inputs = g->hdr.num_inputs;
	info->num_outputs = g->hdr.num_outputs;
	info->num_launches = g->hdr.num_launches;
	info->precision = g->hdr.flags & XPU_GRAPH_F_PREC_MASK;
	info->const_size = g->hdr.const_size;
	info->arena_size = g->hdr.arena_size;
	info->modeled_cycles = g->hdr.modeled_cycles;
	return xpu_ok(XPU_SUCCESS);
}

/* the description of input (is_in) or output `index` */
static xpu_status io_info(xpu_graph *g, int is_in, uint32_t index, struct xpu_tensor_info *info)
{
	const struct xpu_graph_tensor *r;
	uint32_t n, t;

	if (!g || !info)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	n = is_in ? g->hdr.num_inputs : g->hdr.num_outputs;
	if (index >= n)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "%s %u: the graph has %u",
				     is_in ? "input" : "output", index, n);
	t = (is_in ? g->in : g->out)[index].tensor;
	r = &g->tensors[t];
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", tname(g, t));
	info->dtype = r->dtype;
	info->ndim = r->ndim;
	memcpy(info->dims, r->dims, sizeof(info->dims));
	info->size = r->size;
	return xpu_ok(XPU_SUCCESS);
}

XPU_EXPORT xpu_status xpu_graph_input_info(xpu_graph *g, uint32_t index,
					   struct xpu_tensor_info *info)
{
	return io_info(g, 1, index, info);
}

XPU_EXPORT xpu_status xpu_graph_output_info(xpu_graph *g, uint32_t index,
					    struct xpu_tensor_info *info)
{
	return io_info(g, 0, index, info);
}

static xpu_status find_io(xpu_graph *g, int is_in, const char *name, uint32_t *index)
{
	struct graph_io *io = is_in ? g->in : g->out;
	uint32_t n = is_in ? g->hdr.num_inputs : g->hdr.num_outputs;

	for (uint32_t i = 0; i < n; i++) {
		if (!strcmp(tname(g, io[i].tensor), name)) {
			*index = i;
			return XPU_SUCCESS;
		}
	}
	return xpu_set_error(XPU_ERROR_NOT_FOUND, "the graph has no %s named '%s'",
			     is_in ? "input" : "output", name);
}

XPU_EXPORT xpu_status xpu_graph_find_input(xpu_graph *g, const char *name, uint32_t *index)
{
	if (!g || !name || !index)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	return xpu_ok(find_io(g, 1, name, index));
}

XPU_EXPORT xpu_status xpu_graph_find_output(xpu_graph *g, const char *name, uint32_t *index)
{
	if (!g || !name || !index)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	return xpu_ok(find_io(g, 0, name, index));
}

static xpu_status bind(xpu_graph *g, int is_in, const char *name, xpu_buffer *buf, size_t off)
{
	struct graph_io *io;
	uint32_t idx;
	uint64_t need;
	xpu_status st;

	if (!g || !name)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = find_io(g, is_in, name, &idx);
	if (st)
		return st;
	io = is_in ? &g->in[idx] : &g->out[idx];
	need = g->tensors[io->tensor].size;
	if (buf) {
		if (buf->dev != g->dev)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "%s '%s': the buffer is of another device",
					     is_in ? "input" : "output", name);
		if (off > buf->size || need > buf->size - off)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "%s '%s' needs %llu bytes, the buffer has %llu after "
					     "offset %zu", is_in ? "input" : "output", name,
					     (unsigned long long)need,
					     (unsigned long long)(off > buf->size ? 0 : buf->size - off),
					     off);
		if (!is_in && (buf->bo.flags & XPU_MEM_READ_ONLY))
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "output '%s': the buffer is read-only", name);
	}
	pthread_mutex_lock(&g->lock);
	io->bound = buf;
	io->bound_off = buf ? off : 0;
	pthread_mutex_unlock(&g->lock);
	return XPU_SUCCESS;
}

XPU_EXPORT xpu_status xpu_graph_bind_input(xpu_graph *g, const char *name, xpu_buffer *buf,
					   size_t offset)
{
	return xpu_ok(bind(g, 1, name, buf, offset));
}

XPU_EXPORT xpu_status xpu_graph_bind_output(xpu_graph *g, const char *name, xpu_buffer *buf,
					    size_t offset)
{
	return xpu_ok(bind(g, 0, name, buf, offset));
}

/* The buffer and offset holding I/O tensor io now. */
static xpu_buffer *io_buffer(xpu_graph *g, struct graph_io *io, size_t *off)
{
	xpu_buffer *b;

	pthread_mutex_lock(&g->lock);
	b = io->bound ? io->bound : io->own;
	*off = io->bound ? io->bound_off : 0;
	pthread_mutex_unlock(&g->lock);
	return b;
}

static xpu_status host_io(xpu_graph *g, int is_in, const char *name, void *data, size_t size)
{
	struct graph_io *io;
	xpu_buffer *b;
	uint32_t idx;
	size_t off;
	xpu_status st;

	if (!g || !name || (!data && size))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = find_io(g, is_in, name, &idx);
	if (st)
		return st;
	io = is_in ? &g->in[idx] : &g->out[idx];
	if (size != g->tensors[io->tensor].size)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "%s '%s' is %llu bytes, %zu given", is_in ? "input" : "output",
				     name, (unsigned long long)g->tensors[io->tensor].size, size);
	if (!size)
		return XPU_SUCCESS;
	b = io_buffer(g, io, &off);
	return is_in ? xpu_buffer_write(b, off, data, size) : xpu_buffer_read(b, off, data, size);
}

XPU_EXPORT xpu_status xpu_graph_set_input(xpu_graph *g, const char *name, const void *data,
					  size_t size)
{
	return xpu_ok(host_io(g, 1, name, (void *)data, size));
}

XPU_EXPORT xpu_status xpu_graph_get_output(xpu_graph *g, const char *name, void *data, size_t size)
{
	return xpu_ok(host_io(g, 0, name, data, size));
}

/* The buffer and base VA of tensor t (under g->lock). */
static xpu_buffer *tensor_storage(xpu_graph *g, uint32_t t, uint64_t *va)
{
	const struct xpu_graph_tensor *r = &g->tensors[t];
	struct graph_io *io;
	xpu_buffer *b;

	switch (r->location) {
	case XPU_GRAPH_LOC_CONST:
		*va = g->consts->bo.va + r->offset;
		return g->consts;
	case XPU_GRAPH_LOC_ARENA:
		*va = g->arena->bo.va + r->offset;
		return g->arena;
	default:
		io = r->location == XPU_GRAPH_LOC_INPUT ? &g->in[r->io_index] : &g->out[r->io_index];
		b = io->bound ? io->bound : io->own;
		*va = b->bo.va + (io->bound ? io->bound_off : 0);
		return b;
	}
}

XPU_EXPORT xpu_status xpu_graph_run(xpu_graph *g, xpu_stream *s)
{
	xpu_status st = XPU_SUCCESS;

	if (!g || !s)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (s->dev != g->dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "graph and stream of different devices");
	pthread_mutex_lock(&g->lock);
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < g->hdr.num_launches && !st; i++) {
		const struct xpu_graph_launch *l = &g->launches[i];
		const struct xpu_image_kernel *k = &g->mod->img.kernels[l->kernel];
		uint64_t slots[XPU_META_MAX_ARGS];
		xpu_buffer *bufs[XPU_META_MAX_ARGS];
		uint32_t nbufs = 0;
		char what[96];

		for (uint32_t a = 0; a < l->num_args; a++) {
			const struct xpu_graph_arg *r = &g->args[l->first_arg + a];
			xpu_buffer *b;
			uint64_t va;
			uint32_t j;

			if (r->kind == XPU_GRAPH_ARG_IMM) {
				slots[a] = r->value;
				continue;
			}
			b = tensor_storage(g, r->tensor, &va);
			slots[a] = va + r->value;
			for (j = 0; j < nbufs && bufs[j] != b; j++)
				;
			if (j == nbufs)
				bufs[nbufs++] = b;
		}
		snprintf(what, sizeof(what), "node '%.36s' kernel '%.36s'", gstr(g, l->node), k->name);
		st = xpu_stream_launch_locked(s, g->mod, k, slots, l->num_args, bufs, nbufs, NULL, 0,
					      NULL, what);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&g->lock);
	return xpu_ok(st);
}
