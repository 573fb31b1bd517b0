// SPDX-License-Identifier: MIT
/*
 * CPU reference of the data-movement operators (see lower_data.c for the
 * kernels). Plain index arithmetic on host buffers, written independently
 * of the copy descriptions the kernels are generated from (only the ONNX
 * Slice parameter rules, xg_slice_plan, are shared). Data movement is exact,
 * so device and reference agree bit for bit by construction; what can
 * differ is which element goes where, and that is what the tests check.
 * Gather: an index outside [-axis_len, axis_len) is an error naming the
 * index and its position (the device's kernel faults the job on it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lower.h"
#include "reference.h"

static uint64_t prod(const int64_t *d, int from, int to)
{
	uint64_t p = 1;

	for (int i = from; i < to; i++)
		p *= (uint64_t)d[i];
	return p;
}

/* element strides of a dense row-major shape */
static void elem_strides(int r, const int64_t *dims, int64_t *st)
{
	int64_t s = 1;

	for (int i = r - 1; i >= 0; i--) {
		st[i] = s;
		s *= dims[i];
	}
}

/* out[idx] = in[base + sum(idx[i] * sstr[i])] over the output's index space */
static void gather_strided(uint8_t *out, const uint8_t *in, int r, const int64_t *odims,
			   const int64_t *sstr, int64_t base, size_t esz)
{
	int64_t idx[XG_MAX_DIMS] = { 0 };
	uint64_t total = prod(odims, 0, r);

	for (uint64_t o = 0; o < total; o++) {
		int64_t s = base;

		for (int i = 0; i < r; i++)
			s += idx[i] * sstr[i];
		memcpy(out + o * esz, in + s * (int64_t)esz, esz);
		for (int i = r - 1; i >= 0; i--) {
			if (++idx[i] < odims[i])
				break;
			idx[i] = 0;
		}
	}
}

/*
 * Concat (join = 1: the parts into whole) or Split (join = 0: whole into the
 * parts): the tensors parts[0..nparts) (-1: absent) follow each other along
 * n's axis of whole, elements of esz bytes.
 */
static xpu_status concat_split(struct xg_ref *R, const struct xg_node *n,
			       const struct xg_tensor *whole, uint8_t *wp, const int *parts,
			       int nparts, int join, size_t esz)
{
	int64_t axis = xg_attr_int(n, "axis", 0);
	uint64_t outer, inner, at = 0, len;

	if (axis < 0)
		axis += whole->ndim;
	if (axis < 0 || axis >= whole->ndim)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "bad axis");
	outer = prod(whole->dims, 0, (int)axis);
	inner = prod(whole->dims, (int)axis + 1, whole->ndim) * esz;
	len = (uint64_t)whole->dims[axis];
	for (int k = 0; k < nparts; k++) {
		const struct xg_tensor *tk;
		uint8_t *pp;
		uint64_t blk;

		if (parts[k] < 0)
			continue;
		tk = &R->g->t[parts[k]];
		pp = R->val[parts[k]];
		blk = (uint64_t)tk->dims[axis] * inner;
		if (at + (uint64_t)tk->dims[axis] > len || (!pp && blk))
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "bad %s %d",
					join ? "input" : "output", k);
		for (uint64_t o = 0; o < outer; o++) {
			uint8_t *w = wp + (o * len + at) * inner;

			if (join)
				memcpy(w, pp + o * blk, blk);
			else
				memcpy(pp + o * blk, w, blk);
		}
		at += (uint64_t)tk->dims[axis];
	}
	return XPU_SUCCESS;
}

xpu_status xg_ref_data(struct xg_ref *R, int node)
{
	const struct xg_graph *g = R->g;
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *ti, *to;
	const uint8_t *in;
	uint8_t *out;
	size_t esz;
	int64_t is[XG_MAX_DIMS], sstr[XG_MAX_DIMS];

	if (n->nin < 1 || n->in[0] < 0 || n->nout < 1 || n->out[0] < 0)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "missing input or output");
	ti = &g->t[n->in[0]];
	to = &g->t[n->out[0]];
	in = R->val[n->in[0]];
	out = R->val[n->out[0]];
	esz = xg_dtype_size(ti->dtype);
	if (!esz || !in || !out)
		return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n,
				"input without a value or of unknown dtype");
	elem_strides(ti->ndim, ti->dims, is);
	switch (n->op) {
	case XG_OP_Reshape: case XG_OP_Flatten: case XG_OP_Squeeze: case XG_OP_Unsqueeze:
	case XG_OP_Identity:
		if (xg_bytes(ti) != xg_bytes(to))
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "sizes differ");
		memcpy(out, in, xg_bytes(ti));
		return XPU_SUCCESS;
	case XG_OP_Trilu: {
		int upper = xg_attr_int(n, "upper", 1) != 0;
		int64_t k = n->nin > 1 && n->in[1] >= 0 ? xg_const_i64(&g->t[n->in[1]], 0) : 0;
		int64_t rows, cols;

		if (ti->ndim < 2)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "rank < 2");
		if (!xg_numel(ti))
			return XPU_SUCCESS;
		rows = ti->dims[ti->ndim - 2];
		cols = ti->dims[ti->ndim - 1];
		for (uint64_t i = 0; i < xg_numel(ti); i++) {
			int64_t c = (int64_t)(i % (uint64_t)cols);
			int64_t r = (int64_t)(i / (uint64_t)cols % (uint64_t)rows);
			int keep = upper ? c - r >= k : c - r <= k;

			if (keep)
				memcpy(out + i * esz, in + i * esz, esz);
			else
				memset(out + i * esz, 0, esz);
		}
		return XPU_SUCCESS;
	}
	case XG_OP_Transpose: {
		const struct xg_attr *pa = xg_attr(n, "perm");

		if (to->ndim != ti->ndim || (pa && pa->n != ti->ndim))
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "bad perm");
		for (int i = 0; i < to->ndim; i++) {
			int64_t p = pa ? pa->ints[i] : ti->ndim - 1 - i;

			if (p < 0)
				p += ti->ndim;
			if (p < 0 || p >= ti->ndim || ti->dims[p] != to->dims[i])
				return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "bad perm");
			sstr[i] = is[p];
		}
		gather_strided(out, in, to->ndim, to->dims, sstr, 0, esz);
		return XPU_SUCCESS;
	}
	case XG_OP_Slice: {
		int64_t start[XG_MAX_DIMS], step[XG_MAX_DIMS], count[XG_MAX_DIMS], base = 0;
		xpu_status st = xg_slice_plan(g, node, start, step, count);

		if (st)
			return st;
		for (int i = 0; i < ti->ndim; i++) {
			if (count[i] != to->dims[i])
				return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "shape mismatch");
			sstr[i] = is[i] * step[i];
			if (count[i])
				base += start[i] * is[i];
		}
		gather_strided(out, in, to->ndim, to->dims, sstr, base, esz);
		return XPU_SUCCESS;
	}
	case XG_OP_Expand: {
		int lead = to->ndim - ti->ndim;

		if (lead < 0)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "rank grows down");
		for (int i = 0; i < to->ndim; i++) {
			int64_t d = i < lead ? 1 : ti->dims[i - lead];

			if (d != 1 && d != to->dims[i])
				return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "no broadcast");
			sstr[i] = d == 1 ? 0 : is[i - lead];
		}
		gather_strided(out, in, to->ndim, to->dims, sstr, 0, esz);
		return XPU_SUCCESS;
	}
	case XG_OP_Concat:
		return concat_split(R, n, to, out, n->in, n->nin, 1, esz);
	case XG_OP_Split:
		return concat_split(R, n, ti, (uint8_t *)in, n->out, n->nout, 0, esz);
	case XG_OP_Gather: {
		int64_t axis = xg_attr_int(n, "axis", 0), alen;
		const struct xg_tensor *tx;
		const uint8_t *ix;
		uint64_t outer, inner, nidx;

		if (n->nin < 2 || n->in[1] < 0 || !R->val[n->in[1]])
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "no indices");
		tx = &g->t[n->in[1]];
		ix = R->val[n->in[1]];
		if (axis < 0)
			axis += ti->ndim;
		if (axis < 0 || axis >= ti->ndim)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "bad axis");
		if (tx->dtype != XPU_DT_I64 && tx->dtype != XPU_DT_I32)
			return NODE_ERR(XPU_ERROR_NOT_SUPPORTED, n, "indices of type %s",
					xg_dtype_name(tx->dtype));
		outer = prod(ti->dims, 0, (int)axis);
		inner = prod(ti->dims, (int)axis + 1, ti->ndim) * esz;
		alen = ti->dims[axis];
		nidx = xg_numel(tx);
		if (xg_bytes(to) != outer * nidx * inner)
			return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n, "output size");
		for (uint64_t j = 0; j < nidx; j++) {
			int64_t v, w;

			if (tx->dtype == XPU_DT_I64) {
				memcpy(&v, ix + 8 * j, 8);
			} else {
				int32_t v32;

				memcpy(&v32, ix + 4 * j, 4);
				v = v32;
			}
			w = v < 0 ? v + alen : v;
			if (w < 0 || w >= alen)
				return NODE_ERR(XPU_ERROR_INVALID_ARGUMENT, n,
						"index %lld at position %llu outside [-%lld, %lld)",
						(long long)v, (unsigned long long)j,
						(long long)alen, (long long)alen);
			for (uint64_t o = 0; o < outer; o++)
				memcpy(out + (o * nidx + j) * inner, in + (o * alen + w) * inner, inner);
		}
		return XPU_SUCCESS;
	}
	default:
		return NODE_ERR(XPU_ERROR_NOT_SUPPORTED, n, "not a data-movement operator");
	}
}
