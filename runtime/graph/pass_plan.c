// SPDX-License-Identifier: MIT
/*
 * Static buffer plan, after lowering.
 *
 * Every tensor a live node (or, when compile.c has recorded them, a kernel
 * launch) touches gets a place: graph inputs and outputs their own buffers
 * (LOC_INPUT/LOC_OUTPUT + io_index), constants an offset in the const blob
 * (LOC_CONST, in tensor order), everything else an offset in one activation
 * arena (LOC_ARENA). Aliases (alias_of, set by lowering for Reshape & co.)
 * take their root's place plus alias_offset and extend its lifetime.
 *
 * Lifetimes are node-index intervals [first write or read, last read]; a
 * scratch tensor (temp_of) lives during its node only. Arena offsets: greedy
 * by size, largest first, each tensor into the best-fitting gap (smallest
 * that fits) among the already-placed tensors whose lifetimes overlap its
 * own, else above them. All offsets and sizes are multiples of 64 bytes.
 * g->arena_no_reuse records what the arena would be with no sharing.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "internal.h"

#define ALIGN_UP(x) (((x) + XG_ALIGN - 1) & ~(uint64_t)(XG_ALIGN - 1))

struct span {
	int t;
	int first, last;
	uint64_t size;
};

static int root_of(const struct xg_graph *g, int t)
{
	for (int hops = 0; g->t[t].alias_of >= 0 && hops < g->nt; hops++)
		t = g->t[t].alias_of;
	return t;
}

static int by_size(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->first - y->first;
}

static int by_offset(const void *a, const void *b)
{
	const struct span *x = *(const struct span *const *)a, *y = *(const struct span *const *)b;
	uint64_t ox = x->size, oy = y->size;	/* size holds the offset here: see below */

	return ox < oy ? -1 : ox > oy;
}

static void touch(int *first, int *last, int t, int node)
{
	if (first[t] < 0 || node < first[t])
		first[t] = node;
	if (node > last[t])
		last[t] = node;
}

xpu_status xg_pass_plan(struct xg_graph *g)
{
	struct xg_scratch sc = { 0 };
	int *first = xg_scratch_alloc(&sc, g->nt, sizeof(int));
	int *last = xg_scratch_alloc(&sc, g->nt, sizeof(int));
	struct span *sp, **placed, *tmp;
	uint64_t cofs = 0, arena = 0, no_reuse = 0;
	xpu_status st = XPU_SUCCESS;
	int ns = 0;

	if (sc.failed)
		goto out;
	for (int t = 0; t < g->nt; t++)
		first[t] = last[t] = -1;
	for (int i = 0; i < g->nn; i++) {
		const struct xg_node *n = &g->n[i];

		if (n->dead)
			continue;
		for (int j = 0; j < n->nin; j++)
			if (n->in[j] >= 0 && (!g->launch_info || g->t[n->in[j]].kind != XG_CONST))
				touch(first, last, n->in[j], i);
		for (int j = 0; j < n->nout; j++)
			if (n->out[j] >= 0)
				touch(first, last, n->out[j], i);
	}
	for (int t = 0; t < g->nt; t++) {
		const struct xg_tensor *x = &g->t[t];

		if (x->temp_of >= 0 && x->temp_of < g->nn)
			touch(first, last, t, x->temp_of);
		if (g->launch_info && x->launch_first >= 0) {
			touch(first, last, t, x->launch_first);
			touch(first, last, t, x->launch_last);
		}
	}
	/* aliases extend their root's lifetime */
	for (int t = 0; t < g->nt; t++) {
		int r;

		if (g->t[t].alias_of < 0 || first[t] < 0)
			continue;
		r = root_of(g, t);
		if (g->t[r].alias_of >= 0) {
			st = xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					   "plan: tensor '%s' is an alias of itself (a cycle)",
					   g->t[t].name);
			goto out;
		}
		touch(first, last, r, first[t]);
		touch(first, last, r, last[t]);
	}
	/* places of the roots */
	sp = xg_scratch_alloc(&sc, g->nt, sizeof(*sp));
	if (!sp)
		goto out;
	for (int t = 0; t < g->nt; t++) {
		struct xg_tensor *x = &g->t[t];
		uint64_t bytes;

		x->location = 0;
		x->offset = 0;
		if (x->alias_of >= 0)
			continue;
		if (x->kind == XG_INPUT) {
			if (x->is_output) {
				st = xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
						   "plan: graph output '%s' is a graph input", x->name);
				goto out;
			}
			x->location = XPU_GRAPH_LOC_INPUT;
			continue;
		}
		if (x->is_output) {
			x->location = XPU_GRAPH_LOC_OUTPUT;
			continue;
		}
		if (first[t] < 0)
			continue;	/* not used: no place */
		bytes = xg_bytes(x);
		if (bytes == UINT64_MAX || bytes > (1ull << 46)) {
			st = xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					   "plan: tensor '%s' has no static size", x->name);
			goto out;
		}
		if (x->kind == XG_CONST) {
			x->location = XPU_GRAPH_LOC_CONST;
			x->offset = cofs;
			cofs += ALIGN_UP(bytes);
			continue;
		}
		x->location = XPU_GRAPH_LOC_ARENA;
		sp[ns].t = t;
		sp[ns].first = first[t];
		sp[ns].last = last[t];
		sp[ns].size = ALIGN_UP(bytes ? bytes : 1);
		no_reuse += sp[ns].size;
		ns++;
	}
	/* io_index: position in the model's lists */
	for (int i = 0; i < g->ninputs; i++)
		g->t[g->inputs[i]].io_index = i;
	for (int i = 0; i < g->noutputs; i++)
		g->t[g->outputs[i]].io_index = i;
	/* arena: greedy by size, best fit among lifetime-overlapping tensors */
	qsort(sp, ns, sizeof(*sp), by_size);
	placed = xg_scratch_alloc(&sc, ns, sizeof(*placed));
	tmp = xg_scratch_alloc(&sc, ns, sizeof(*tmp));
	if (sc.failed)
		goto out;
	for (int i = 0; i < ns; i++) {
		int no = 0;
		uint64_t best = UINT64_MAX, best_gap = UINT64_MAX, cur = 0;

		/* the earlier (larger) tensors that are alive at the same time:
		 * copy them with their offset in .size to sort by offset */
		for (int j = 0; j < i; j++) {
			if (sp[j].last < sp[i].first || sp[j].first > sp[i].last)
				continue;
			tmp[no] = sp[j];
			tmp[no].size = g->t[sp[j].t].offset;
			tmp[no].first = (int)j;
			placed[no] = &tmp[no];
			no++;
		}
		qsort(placed, no, sizeof(*placed), by_offset);
		for (int k = 0; k < no; k++) {
			uint64_t off = placed[k]->size, end = off + sp[placed[k]->first].size;

			if (off > cur && off - cur >= sp[i].size && off - cur < best_gap) {
				best = cur;
				best_gap = off - cur;
			}
			if (end > cur)
				cur = end;
		}
		if (best == UINT64_MAX)
			best = cur;
		g->t[sp[i].t].offset = best;
		if (best + sp[i].size > arena)
			arena = best + sp[i].size;
	}
	/* aliases: root's place + offset */
	for (int t = 0; t < g->nt; t++) {
		struct xg_tensor *x = &g->t[t];
		const struct xg_tensor *r;

		if (x->alias_of < 0 || first[t] < 0)
			continue;
		r = &g->t[root_of(g, t)];
		if (r->location == XPU_GRAPH_LOC_INPUT || r->location == XPU_GRAPH_LOC_OUTPUT) {
			st = xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					   "plan: tensor '%s' aliases graph input/output '%s' (copy instead)",
					   x->name, r->name);
			goto out;
		}
		if (x->is_output) {
			st = xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					   "plan: graph output '%s' is an alias of '%s' (copy instead)",
					   x->name, r->name);
			goto out;
		}
		x->location = r->location;
		x->offset = r->offset;
		for (int a = t, hops = 0; g->t[a].alias_of >= 0 && hops < g->nt; hops++) {
			x->offset += g->t[a].alias_offset;
			a = g->t[a].alias_of;
		}
	}
	g->arena_size = arena;
	g->arena_no_reuse = no_reuse;
	g->const_size = cofs;
out:
	return xg_scratch_end(&sc, "plan", st);
}
