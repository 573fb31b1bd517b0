// SPDX-License-Identifier: MIT
/*
 * Lowering of the data-movement operators: Reshape, Flatten, Squeeze,
 * Unsqueeze, Identity, Transpose, Concat, Slice, Split, Gather, Expand.
 *
 * Every op is described as a strided copy (runtime/compiler/copy.c: nested
 * dimensions of count / source stride / destination stride over contiguous
 * blocks; element size = the tensor's dtype size):
 *   - Reshape & co. are no kernel at all: the output aliases the input
 *     (xg_alias), unless the input is a graph input or the output a graph
 *     output (they live in their own buffers): then a contiguous copy.
 *   - Slice and Split alias too when the part they take is one contiguous
 *     run of the input (e.g. a split along the first non-1 axis); Gather with
 *     constant indices that are one ascending run over axis 0 likewise.
 *   - Transpose: output axis i reads input axis perm[i]; a 2-D DMA per row
 *     (element-wise rows when the innermost axis moves).
 *   - Slice: start offset + stride * step per axis (negative steps are
 *     negative strides: DMA addresses wrap mod 2^64).
 *   - Concat / Split: one 2-D DMA pattern per part (rows = the product of
 *     the dims before the axis).
 *   - Expand: stride 0 along broadcast axes.
 *   - Gather: constant indices become a list of 2-D DMAs (runs of
 *     consecutive indices merged); run-time indices (int64/int32) a scalar
 *     loop that loads, bounds-checks and copies each one. Out-of-range
 *     indices: a compile-time error for constants; at run time the job
 *     faults (MMU fault at CC_GATHER_FAULT_VA + the index's position), and
 *     the reference interpreter reports the same index as an error. No
 *     clamping: ONNX calls an out-of-range index an error.
 * Copy kernels of equal shape are generated once and shared by launches
 * (L->kcache; transformer layers repeat the same copies).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "../compiler/cc_internal.h"

/* a graph input / output lives in its own buffer: never aliased */
static int is_io(const struct xg_graph *g, int t)
{
	return g->t[t].kind == XG_INPUT || g->t[t].is_output;
}

/* byte strides of a dense row-major tensor */
static void byte_strides(const struct xg_tensor *t, uint64_t esz, int64_t *st)
{
	int64_t s = (int64_t)esz;

	for (int i = t->ndim - 1; i >= 0; i--) {
		st[i] = s;
		s *= t->dims[i];
	}
}

/* A copy keeping the rank: the byte strides of its input and its output */
static xpu_status same_rank_strides(const struct xg_node *n, const struct xg_tensor *ti,
				    const struct xg_tensor *to, uint64_t esz, int64_t *is,
				    int64_t *os)
{
	if (to->ndim != ti->ndim)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "output rank %d, input rank %d",
				to->ndim, ti->ndim);
	byte_strides(ti, esz, is);
	byte_strides(to, esz, os);
	return XPU_SUCCESS;
}

static uint64_t prod(const int64_t *d, int from, int to)
{
	uint64_t p = 1;

	for (int i = from; i < to; i++)
		p *= (uint64_t)d[i];
	return p;
}

/* The kernel of a strided copy (shared when one of the same shape exists). */
static xpu_status copy_kernel(struct xg_lowered *L, int node, const char *what, int ndim,
			      const struct cc_copy_dim *dims, uint64_t bytes, char kname[64])
{
	struct cc_copy_dim d[CC_COPY_MAX_DIMS];
	char key[sizeof(((struct xg_kcache *)0)->key)];
	size_t len;
	int n;

	memcpy(d, dims, ndim * sizeof(*d));
	n = cc_copy_simplify(ndim, d, &bytes);
	len = (size_t)snprintf(key, sizeof(key), "copy:%llu",
			       (unsigned long long)(n < 0 ? 0 : bytes));
	for (int i = 0; i < n && len < sizeof(key); i++)	/* <= 63 chars per dim */
		len += (size_t)snprintf(key + len, sizeof(key) - len, ":%llu,%lld,%lld",
					(unsigned long long)d[i].count, (long long)d[i].sstride,
					(long long)d[i].dstride);
	if (xg_kcache_get(L, key, node, what, kname))
		return XPU_SUCCESS;
	/* n < 0: nothing to copy (an empty kernel) */
	return xg_kcache_put(L, key, kname,
			     cc_copy_strided(L->cc, kname, n < 0 ? 0 : n, d, n < 0 ? 0 : bytes));
}

/* Launch a copy src(+soff) -> dst(+doff) */
static xpu_status copy_launch(struct xg_lowered *L, int node, const char *what, int src,
			      uint64_t soff, int dst, uint64_t doff, int ndim,
			      const struct cc_copy_dim *dims, uint64_t bytes)
{
	struct xpu_graph_arg a[2];
	char kname[64];
	xpu_status st;

	if (!xg_bytes(&L->g->t[dst]))
		return XPU_SUCCESS;		/* empty tensor: nothing to do */
	st = copy_kernel(L, node, what, ndim, dims, bytes, kname);
	if (st)
		return st;
	a[0] = xg_arg_tensor(src, soff);
	a[1] = xg_arg_tensor(dst, doff);
	return xg_add_launch(L, node, kname, a, 2);
}

/* Reshape, Flatten, Squeeze, Unsqueeze, Identity: same bytes, new shape */
static xpu_status lower_view(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	int in = n->in[0], out = n->out[0];
	struct cc_copy_dim d = { 1, 0, 0 };

	if (xg_bytes(&g->t[in]) != xg_bytes(&g->t[out]) || g->t[in].dtype != g->t[out].dtype)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "output has %llu bytes of %s, input "
				"%llu of %s", (unsigned long long)xg_bytes(&g->t[out]),
				xg_dtype_name(g->t[out].dtype),
				(unsigned long long)xg_bytes(&g->t[in]),
				xg_dtype_name(g->t[in].dtype));
	if (!is_io(g, in) && !is_io(g, out)) {
		xg_alias(L, out, in, 0);
		return XPU_SUCCESS;
	}
	return copy_launch(L, node, "copy", in, 0, out, 0, 1, &d, xg_bytes(&g->t[in]));
}

static xpu_status lower_transpose(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *ti = &g->t[n->in[0]], *to = &g->t[n->out[0]];
	const struct xg_attr *pa = xg_attr(n, "perm");
	int64_t perm[XG_MAX_DIMS], is[XG_MAX_DIMS], os[XG_MAX_DIMS];
	struct cc_copy_dim d[XG_MAX_DIMS];
	uint64_t esz = xg_dtype_size(ti->dtype);
	int r = ti->ndim, seen = 0;
	xpu_status st;

	if (pa && pa->n != r)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "perm has %d entries for a rank-%d "
				"input", pa->n, r);
	for (int i = 0; i < r; i++) {
		perm[i] = pa ? pa->ints[i] : r - 1 - i;
		if (perm[i] < 0)
			perm[i] += r;
		if (perm[i] < 0 || perm[i] >= r || (seen & (1 << perm[i])))
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "perm is not a permutation "
					"of 0..%d", r - 1);
		seen |= 1 << perm[i];
	}
	st = same_rank_strides(n, ti, to, esz, is, os);
	if (st)
		return st;
	for (int i = 0; i < r; i++) {
		if (to->dims[i] != ti->dims[perm[i]])
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "output dim %d is %lld, input "
					"dim %lld is %lld", i, (long long)to->dims[i],
					(long long)perm[i], (long long)ti->dims[perm[i]]);
		d[i].count = (uint64_t)to->dims[i];
		d[i].sstride = is[perm[i]];
		d[i].dstride = os[i];
	}
	return copy_launch(L, node, "transpose", n->in[0], 0, n->out[0], 0, r, d, esz);
}

static xpu_status lower_concat(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *to = &g->t[n->out[0]];
	int64_t axis = xg_attr_int(n, "axis", 0);
	uint64_t esz = xg_dtype_size(to->dtype), inner, outer, at = 0;

	if (axis < 0)
		axis += to->ndim;
	if (axis < 0 || axis >= to->ndim)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "axis %lld outside rank %d",
				(long long)xg_attr_int(n, "axis", 0), to->ndim);
	outer = prod(to->dims, 0, (int)axis);
	inner = prod(to->dims, (int)axis + 1, to->ndim) * esz;
	for (int i = 0; i < n->nin; i++) {
		const struct xg_tensor *ti;
		struct cc_copy_dim d;
		uint64_t blk;
		xpu_status st;

		if (n->in[i] < 0)
			continue;
		ti = &g->t[n->in[i]];
		if (ti->ndim != to->ndim || ti->dtype != to->dtype)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "input %d has rank %d / %s, "
					"the output %d / %s", i, ti->ndim, xg_dtype_name(ti->dtype),
					to->ndim, xg_dtype_name(to->dtype));
		blk = (uint64_t)ti->dims[axis] * inner;
		if (at + (uint64_t)ti->dims[axis] > (uint64_t)to->dims[axis])
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "inputs exceed the output "
					"along axis %lld", (long long)axis);
		d.count = outer;
		d.sstride = (int64_t)blk;
		d.dstride = (int64_t)((uint64_t)to->dims[axis] * inner);
		if (blk && outer) {
			st = copy_launch(L, node, "concat", n->in[i], 0, n->out[0], at * inner, 1, &d,
					 blk);
			if (st)
				return st;
		}
		to = &g->t[n->out[0]];
		at += (uint64_t)ti->dims[axis];
	}
	if (at != (uint64_t)to->dims[axis])
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "inputs give %llu along axis %lld, "
				"the output has %lld", (unsigned long long)at, (long long)axis,
				(long long)to->dims[axis]);
	return XPU_SUCCESS;
}

/* Slice parameters: constant inputs (opset >= 10) or attributes (opset < 10,
 * and the form pass_shape normalises to: attributes with in[1..4] = -1) */
static int slice_param(const struct xg_graph *g, const struct xg_node *n, int idx,
		       const char *attr, int64_t *v, int max)
{
	const struct xg_attr *a = xg_attr(n, attr);

	if (n->nin > 1 && n->in[1] >= 0) {
		const struct xg_tensor *t;
		uint64_t cnt;

		if (idx >= n->nin || n->in[idx] < 0)
			return -1;		/* omitted */
		t = &g->t[n->in[idx]];
		if (t->kind != XG_CONST || !t->data)
			return -2;
		cnt = xg_numel(t);
		if (cnt > (uint64_t)max)
			return -3;
		for (uint64_t i = 0; i < cnt; i++)
			v[i] = xg_const_i64(t, i);
		return (int)cnt;
	}
	if (!a)
		return -1;
	if (a->n > max)
		return -3;
	for (int i = 0; i < a->n; i++)
		v[i] = a->ints[i];
	return a->n;
}

/* ONNX Slice: per-axis start, step and count of the input. Shared with the
 * reference (reference_data.c) through xg_slice_plan(). After pass_shape
 * the parameters are attributes already resolved (starts in [0, dim - 1],
 * ends clamped, -1 meaning "before the first element" for negative steps):
 * those are not wrapped again. */
xpu_status xg_slice_plan(const struct xg_graph *g, int node, int64_t *start, int64_t *step,
			 int64_t *count)
{
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *ti = &g->t[n->in[0]];
	int64_t st[XG_MAX_DIMS], en[XG_MAX_DIMS], ax[XG_MAX_DIMS], sp[XG_MAX_DIMS];
	int ns, ne, na, np, r = ti->ndim;
	int resolved = n->nin > 1 && n->in[1] < 0;

	for (int i = 0; i < r; i++) {
		start[i] = 0;
		step[i] = 1;
		count[i] = ti->dims[i];
	}
	ns = slice_param(g, n, 1, "starts", st, XG_MAX_DIMS);
	ne = slice_param(g, n, 2, "ends", en, XG_MAX_DIMS);
	na = slice_param(g, n, 3, "axes", ax, XG_MAX_DIMS);
	np = slice_param(g, n, 4, "steps", sp, XG_MAX_DIMS);
	if (ns == -2 || ne == -2 || na == -2 || np == -2)
		return NODE_ERR(XPU_ERROR_NOT_SUPPORTED, n, "starts/ends/axes/steps must be "
				"constants");
	if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (np >= 0 && np != ns))
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "starts/ends/axes/steps missing or "
				"of different lengths (%d/%d/%d/%d)", ns, ne, na, np);
	for (int k = 0; k < ns; k++) {
		int64_t a = na >= 0 ? ax[k] : k, s = st[k], e = en[k], p = np >= 0 ? sp[k] : 1;
		int64_t dim;

		if (a < 0)
			a += r;
		if (a < 0 || a >= r)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "axis %lld outside rank %d",
					(long long)(na >= 0 ? ax[k] : k), r);
		if (!p || p == INT64_MIN)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "step %lld on axis %lld",
					(long long)p, (long long)a);
		dim = ti->dims[a];
		if (!resolved && s < 0)
			s += dim;
		if (!resolved && e < 0)
			e += dim;
		if (p > 0) {
			s = s < 0 ? 0 : s > dim ? dim : s;
			e = e < 0 ? 0 : e > dim ? dim : e;
			count[a] = e > s ? (e - s - 1) / p + 1 : 0;
		} else {
			s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
			e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
			count[a] = s > e ? (s - e - 1) / (-p) + 1 : 0;
		}
		start[a] = s < 0 ? 0 : s;
		step[a] = p;
	}
	return XPU_SUCCESS;
}

static xpu_status lower_slice(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *ti = &g->t[n->in[0]], *to = &g->t[n->out[0]];
	int64_t start[XG_MAX_DIMS], step[XG_MAX_DIMS], count[XG_MAX_DIMS];
	int64_t is[XG_MAX_DIMS], os[XG_MAX_DIMS];
	struct cc_copy_dim d[XG_MAX_DIMS], s[XG_MAX_DIMS];
	uint64_t esz = xg_dtype_size(ti->dtype), soff = 0, bytes;
	int r = ti->ndim, ns;
	xpu_status st = xg_slice_plan(g, node, start, step, count);

	if (st)
		return st;
	st = same_rank_strides(n, ti, to, esz, is, os);
	if (st)
		return st;
	for (int i = 0; i < r; i++) {
		if (count[i] != to->dims[i])
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "axis %d takes %lld elements, "
					"the output has %lld", i, (long long)count[i],
					(long long)to->dims[i]);
		if (count[i])
			soff += (uint64_t)(start[i] * is[i]);
		d[i].count = (uint64_t)count[i];
		d[i].sstride = is[i] * step[i];
		d[i].dstride = os[i];
	}
	if (!xg_bytes(to))
		return XPU_SUCCESS;
	/* one contiguous run of the input: an alias */
	memcpy(s, d, sizeof(d));
	bytes = esz;
	ns = cc_copy_simplify(r, s, &bytes);
	if (ns == 0 && !is_io(g, n->in[0]) && !is_io(g, n->out[0])) {
		xg_alias(L, n->out[0], n->in[0], soff);
		return XPU_SUCCESS;
	}
	return copy_launch(L, node, "slice", n->in[0], soff, n->out[0], 0, r, d, esz);
}

static xpu_status lower_split(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *ti = &g->t[n->in[0]];
	int64_t axis = xg_attr_int(n, "axis", 0);
	uint64_t esz = xg_dtype_size(ti->dtype), inner, outer, at = 0;
	int r = ti->ndim;

	if (axis < 0)
		axis += r;
	if (axis < 0 || axis >= r)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "axis %lld outside rank %d",
				(long long)xg_attr_int(n, "axis", 0), r);
	outer = prod(ti->dims, 0, (int)axis);
	inner = prod(ti->dims, (int)axis + 1, r) * esz;
	for (int o = 0; o < n->nout; o++) {
		const struct xg_tensor *to;
		struct cc_copy_dim d;
		uint64_t part, blk;
		xpu_status st;

		if (n->out[o] < 0)
			continue;
		to = &g->t[n->out[o]];
		if (to->ndim != r || to->dtype != ti->dtype)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "output %d has rank %d, the "
					"input %d", o, to->ndim, r);
		part = (uint64_t)to->dims[axis];
		if (at + part > (uint64_t)ti->dims[axis])
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "outputs exceed the input "
					"along axis %lld", (long long)axis);
		blk = part * inner;
		if (blk && outer) {
			if (outer == 1 && !is_io(g, n->in[0]) && !is_io(g, n->out[o])) {
				xg_alias(L, n->out[o], n->in[0], at * inner);
			} else {
				d.count = outer;
				d.sstride = (int64_t)((uint64_t)ti->dims[axis] * inner);
				d.dstride = (int64_t)blk;
				st = copy_launch(L, node, "split", n->in[0], at * inner, n->out[o], 0,
						 1, &d, blk);
				if (st)
					return st;
			}
		}
		ti = &g->t[n->in[0]];
		at += part;
	}
	if (at != (uint64_t)ti->dims[axis])
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "outputs take %llu of the %lld "
				"elements along axis %lld", (unsigned long long)at,
				(long long)ti->dims[axis], (long long)axis);
	return XPU_SUCCESS;
}

static xpu_status lower_expand(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *ti = &g->t[n->in[0]], *to = &g->t[n->out[0]];
	int64_t is[XG_MAX_DIMS], os[XG_MAX_DIMS];
	struct cc_copy_dim d[XG_MAX_DIMS];
	uint64_t esz = xg_dtype_size(to->dtype);
	int r = to->ndim, lead = to->ndim - ti->ndim;

	if (lead < 0 || ti->dtype != to->dtype)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "input rank %d above output rank %d "
				"or dtypes differ", ti->ndim, to->ndim);
	byte_strides(ti, esz, is);
	byte_strides(to, esz, os);
	for (int i = 0; i < r; i++) {
		int64_t id = i < lead ? 1 : ti->dims[i - lead];

		if (id != to->dims[i] && id != 1)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "input dim %d (%lld) does not "
					"broadcast to %lld", i - lead, (long long)id,
					(long long)to->dims[i]);
		d[i].count = (uint64_t)to->dims[i];
		d[i].sstride = id == 1 ? 0 : is[i - lead];
		d[i].dstride = os[i];
	}
	if (xg_bytes(ti) == xg_bytes(to))	/* nothing broadcast: a view */
		return lower_view(L, node);
	return copy_launch(L, node, "expand", n->in[0], 0, n->out[0], 0, r, d, esz);
}

/* The block lists of a cc_copy_blocks kernel */
struct blocks {
	uint64_t *soff, *doff, *bytes;
};

/* Room for count blocks; -1 (nothing allocated) on OOM. */
static int blocks_alloc(struct blocks *b, uint64_t count)
{
	b->soff = calloc(count, sizeof(*b->soff));
	b->doff = calloc(count, sizeof(*b->doff));
	b->bytes = calloc(count, sizeof(*b->bytes));
	if (b->soff && b->doff && b->bytes)
		return 0;
	free(b->soff);
	free(b->doff);
	free(b->bytes);
	return -1;
}

static void blocks_free(struct blocks *b)
{
	free(b->soff);
	free(b->doff);
	free(b->bytes);
}

/* The first nblk blocks of b as one kernel (from the node's input 0 to its
 * output 0: rows x the blocks, source / destination strides) and its launch */
static xpu_status blocks_launch(struct xg_lowered *L, int node, const char *what,
				const struct blocks *b, uint32_t nblk, uint64_t rows,
				uint64_t sstride, uint64_t dstride)
{
	const struct xg_node *n = &L->g->n[node];
	char kname[64];
	xpu_status st;

	xg_kernel_name(L, node, what, kname);
	st = cc_copy_blocks(L->cc, kname, nblk, b->soff, b->doff, b->bytes, rows, sstride,
			    dstride);
	if (st)
		return st;
	return xg_launch_tensors(L, node, kname, (const int[]){ n->in[0], n->out[0] }, 2);
}

/* Gather: out = data[:axis] + indices.shape + data[axis+1:] */
static xpu_status lower_gather(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *td = &g->t[n->in[0]], *tx = &g->t[n->in[1]], *to = &g->t[n->out[0]];
	int64_t axis = xg_attr_int(n, "axis", 0);
	uint64_t esz = xg_dtype_size(td->dtype), outer, inner, nidx, alen;
	char kname[64], key[sizeof(((struct xg_kcache *)0)->key)];
	xpu_status st;

	if (axis < 0)
		axis += td->ndim;
	if (axis < 0 || axis >= td->ndim)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "axis %lld outside rank %d",
				(long long)xg_attr_int(n, "axis", 0), td->ndim);
	if (tx->dtype != XPU_DT_I64 && tx->dtype != XPU_DT_I32)
		return NODE_ERR(XPU_ERROR_NOT_SUPPORTED, n, "indices of type %s (int64 or int32 "
				"only)", xg_dtype_name(tx->dtype));
	outer = prod(td->dims, 0, (int)axis);
	inner = prod(td->dims, (int)axis + 1, td->ndim) * esz;
	alen = (uint64_t)td->dims[axis];
	nidx = xg_numel(tx);
	if (xg_bytes(to) != outer * nidx * inner || to->dtype != td->dtype)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "output of %llu bytes, expected %llu",
				(unsigned long long)xg_bytes(to),
				(unsigned long long)(outer * nidx * inner));
	if (!xg_bytes(to))
		return XPU_SUCCESS;
	if (tx->kind == XG_CONST && tx->data) {
		struct blocks b;
		uint64_t *soff, *doff, *bytes;
		uint32_t nb = 0;

		if (blocks_alloc(&b, nidx))
			return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "lowering: out of memory");
		soff = b.soff;
		doff = b.doff;
		bytes = b.bytes;
		for (uint64_t j = 0; j < nidx; j++) {
			int64_t v = xg_const_i64(tx, j), w = v < 0 ? v + (int64_t)alen : v;

			if (w < 0 || (uint64_t)w >= alen) {
				blocks_free(&b);
				return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "index %lld (position "
						"%llu) outside [-%llu, %llu)", (long long)v,
						(unsigned long long)j, (unsigned long long)alen,
						(unsigned long long)alen);
			}
			if (nb && soff[nb - 1] + bytes[nb - 1] == (uint64_t)w * inner) {
				bytes[nb - 1] += inner;	/* continues the run */
				continue;
			}
			soff[nb] = (uint64_t)w * inner;
			doff[nb] = j * inner;
			bytes[nb++] = inner;
		}
		if (nb == 1 && outer == 1 && !is_io(g, n->in[0]) && !is_io(g, n->out[0])) {
			xg_alias(L, n->out[0], n->in[0], soff[0]);
			st = XPU_SUCCESS;
		} else {
			st = blocks_launch(L, node, "gather", &b, nb, outer, alen * inner,
					   nidx * inner);
		}
		blocks_free(&b);
		return st;
	}
	snprintf(key, sizeof(key), "gather:%u:%llu:%llu:%llu:%llu", tx->dtype,
		 (unsigned long long)nidx, (unsigned long long)outer, (unsigned long long)alen,
		 (unsigned long long)inner);
	if (!xg_kcache_get(L, key, node, "gather", kname)) {
		struct cc_gather gd = { nidx, outer, alen, inner, tx->dtype };

		st = xg_kcache_put(L, key, kname, cc_gather(L->cc, kname, &gd));
		if (st)
			return st;
	}
	return xg_launch_tensors(L, node, kname, (const int[]){ n->in[0], n->in[1], n->out[0] }, 3);
}

/*
 * Trilu with a run-time input and a constant k: the output is zero-filled
 * from a zero constant of one matrix (stride 0 over the batch), then one
 * 2-D DMA per matrix row copies the kept columns (rows of the DMA = the
 * batch): one kernel of R + 1 blocks in all.
 */
static xpu_status lower_trilu(struct xg_lowered *L, int node)
{
	struct xg_graph *g = L->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *ti = &g->t[n->in[0]], *kt;
	int upper = xg_attr_int(n, "upper", 1) != 0;
	int64_t k = 0, rows, cols, zdims[1];
	uint64_t esz = xg_dtype_size(ti->dtype), mat, batch;
	uint64_t *soff, *doff, *bytes;
	uint32_t nblk = 0;
	struct cc_copy_dim d;
	struct blocks b;
	xpu_status st;
	int zero;

	if (n->nin > 1 && n->in[1] >= 0) {
		kt = &g->t[n->in[1]];
		if (kt->kind != XG_CONST || xg_numel(kt) != 1)
			return NODE_ERR(XPU_ERROR_NOT_SUPPORTED, n, "k must be a compile-time constant "
					"scalar");
		k = xg_const_i64(kt, 0);
	}
	if (ti->ndim < 2)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "input must have rank >= 2");
	rows = ti->dims[ti->ndim - 2];
	cols = ti->dims[ti->ndim - 1];
	mat = (uint64_t)rows * (uint64_t)cols * esz;
	batch = prod(ti->dims, 0, ti->ndim - 2);
	if (!mat || !batch)
		return XPU_SUCCESS;
	/* zero-fill */
	zdims[0] = rows * cols * (int64_t)esz;
	zero = xg_add_const(L, "trilu_zero", XPU_DT_U8, 1, zdims, calloc(1, mat));
	if (zero < 0)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "trilu zero constant");
	d.count = batch;
	d.sstride = 0;
	d.dstride = (int64_t)mat;
	st = copy_launch(L, node, "trilu_zero", zero, 0, n->out[0], 0, 1, &d, mat);
	if (st)
		return st;
	if (blocks_alloc(&b, (uint64_t)rows))
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "trilu blocks");
	soff = b.soff;
	doff = b.doff;
	bytes = b.bytes;
	for (int64_t r = 0; r < rows; r++) {
		/* kept columns: lower c <= r + k, upper c >= r + k */
		int64_t c0 = upper ? r + k : 0, c1 = upper ? cols : r + k + 1;

		if (c0 < 0)
			c0 = 0;
		if (c1 > cols)
			c1 = cols;
		if (c1 <= c0)
			continue;
		soff[nblk] = doff[nblk] = ((uint64_t)r * (uint64_t)cols + (uint64_t)c0) * esz;
		bytes[nblk] = (uint64_t)(c1 - c0) * esz;
		nblk++;
	}
	st = XPU_SUCCESS;
	if (nblk)
		st = blocks_launch(L, node, "trilu", &b, nblk, batch, mat, mat);
	blocks_free(&b);
	return st;
}

xpu_status xg_lower_data(struct xg_lowered *L, int node)
{
	const struct xg_node *n = &L->g->n[node];

	if (n->nin < 1 || n->in[0] < 0 || n->nout < 1 || n->out[0] < 0)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "missing input or output");
	if (!xg_dtype_size(L->g->t[n->in[0]].dtype))
		return NODE_ERR(XPU_ERROR_NOT_SUPPORTED, n, "input of unknown dtype %u",
				L->g->t[n->in[0]].dtype);
	switch (n->op) {
	case XG_OP_Reshape: case XG_OP_Flatten: case XG_OP_Squeeze: case XG_OP_Unsqueeze:
	case XG_OP_Identity:
		return lower_view(L, node);
	case XG_OP_Transpose:
		return lower_transpose(L, node);
	case XG_OP_Concat:
		return lower_concat(L, node);
	case XG_OP_Slice:
		return lower_slice(L, node);
	case XG_OP_Split:
		return lower_split(L, node);
	case XG_OP_Expand:
		return lower_expand(L, node);
	case XG_OP_Trilu:
		return lower_trilu(L, node);
	case XG_OP_Gather:
		if (n->nin < 2 || n->in[1] < 0)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "no indices input");
		return lower_gather(L, node);
	default:
		return NODE_ERR(XPU_ERROR_NOT_SUPPORTED, n, "not a data-movement operator");
	}
}
