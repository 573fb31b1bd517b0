// SPDX-License-Identifier: MIT
/*
 * Fusion and dead-node elimination.
 *
 *   Gelu            x * 0.5 * (1 + Erf(x / sqrt(2)))  (the orders PyTorch and
 *                   hand-written graphs use; x*(1/sqrt2) too), act GELU_ERF
 *   FusedLayerNorm  ReduceMean/Sub/Pow 2/ReduceMean/Add eps/Sqrt/Div over the
 *                   last axis, then Mul gamma, Add beta (ones/zeros if absent)
 *   FusedMatMul     MatMul + Add(bias of N elements) + Relu/Gelu/Sigmoid/Tanh,
 *                   and Gemm alpha=1 beta=1 transA=0 (B transposed at compile
 *                   time when transB=1 and B is a constant)
 *   matvec          MatMul(A, Transpose(X)) with the Transpose swapping only
 *                   the last two axes and A's rows M == 1 (attention's q x K^T
 *                   in a decode step): the MatMul reads X itself (in[1] = X)
 *                   and gets attribute "b_transposed_matvec" = 1, meaning
 *                   out'[..., T, 1] = X[..., T, D] x A'[..., D, 1] with A' the
 *                   bytes of A; out' has the bytes of the wanted [..., 1, T],
 *                   so no transpose of X is made (xg_mm_describe swaps the
 *                   operands; see math_common.h for the numerics)
 * A chain is fused only when each intermediate tensor is read by the chain
 * alone and is no graph output; the fused node takes the place (index) of
 * the chain's last node, which keeps the node list topologically ordered.
 * Use counts are computed once per pass and only ever over-estimate after a
 * rewrite (dead readers still count), so a pass may miss a fusion the next
 * round of the pipeline's loop makes, never make a wrong one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "internal.h"

struct fuse {
	struct xg_graph *g;
	int *nuse;			/* reads of each tensor by live nodes */
	int *ustart, *users;		/* CSR: readers of each tensor */
};

static int build_users(struct fuse *f)
{
	struct xg_graph *g = f->g;
	int64_t total = 0;
	int *pos;

	f->nuse = calloc(g->nt + 1, sizeof(int));
	f->ustart = calloc(g->nt + 1, sizeof(int));
	if (!f->nuse || !f->ustart)
		return -1;
	for (int i = 0; i < g->nn; i++)
		for (int j = 0; !g->n[i].dead && j < g->n[i].nin; j++)
			if (g->n[i].in[j] >= 0) {
				f->nuse[g->n[i].in[j]]++;
				total++;
			}
	f->users = malloc((total + 1) * sizeof(int));
	pos = calloc(g->nt + 1, sizeof(int));
	if (!f->users || !pos) {
		free(pos);
		return -1;
	}
	for (int t = 0, s = 0; t < g->nt; t++) {
		f->ustart[t] = s;
		s += f->nuse[t];
	}
	for (int i = 0; i < g->nn; i++)
		for (int j = 0; !g->n[i].dead && j < g->n[i].nin; j++) {
			int t = g->n[i].in[j];

			if (t >= 0)
				f->users[f->ustart[t] + pos[t]++] = i;
		}
	free(pos);
	return 0;
}

/* The one live reader of t if t is an intermediate only it reads; else -1. */
static int only_user(struct fuse *f, int t)
{
	if (t < 0 || f->g->t[t].is_output || f->g->t[t].kind != XG_VALUE || f->nuse[t] != 1)
		return -1;
	return f->g->n[f->users[f->ustart[t]]].dead ? -1 : f->users[f->ustart[t]];
}

static int producer(struct fuse *f, int t, enum xg_op op)
{
	int p = t >= 0 ? f->g->t[t].producer : -1;

	return p >= 0 && !f->g->n[p].dead && f->g->n[p].op == op ? p : -1;
}

static int is_op(struct fuse *f, int node, enum xg_op op)
{
	return node >= 0 && !f->g->n[node].dead && f->g->n[node].op == op;
}

/* the input of a binary node that is not t (-1 if both are t) */
static int other(const struct xg_node *n, int t)
{
	if (n->nin != 2)
		return -1;
	return n->in[0] == t ? n->in[1] : n->in[1] == t ? n->in[0] : -1;
}

/* t is a float constant scalar (any rank, one element) close to v */
static int is_scalar(struct fuse *f, int t, double v, double tol)
{
	const struct xg_tensor *x = t >= 0 ? &f->g->t[t] : NULL;

	return x && x->kind == XG_CONST && x->dtype == XPU_DT_F32 && xg_numel(x) == 1 &&
	       fabs(xg_const_f32(x, 0) - v) <= tol;
}

static void clear_attrs(struct xg_node *n)
{
	while (n->nattrs)
		xg_del_attr(n, n->attrs[0].name);
}

/* Turn node `at` into op with inputs in[] (its outputs stay); kill chain[]. */
static int rewrite(struct fuse *f, int at, enum xg_op op, const int *in, int nin,
		   const int *chain, int nchain)
{
	struct xg_node *n = &f->g->n[at];
	int *p = realloc(n->in, (nin ? nin : 1) * sizeof(int));

	if (!p)
		return -1;
	n->in = p;
	memcpy(n->in, in, nin * sizeof(int));
	n->nin = nin;
	n->op = op;
	n->act = XG_ACT_NONE;
	clear_attrs(n);
	for (int i = 0; i < nchain; i++)
		if (chain[i] != at)
			xg_kill_node(f->g, chain[i]);
	return 0;
}

/* ---- Gelu ---- */
static int fuse_gelu(struct fuse *f, int e)
{
	struct xg_graph *g = f->g;
	int d, x, a, m1, o1, fin, chain[5], nc = 0;

	d = g->n[e].in[0];
	if (only_user(f, d) != e)
		return 0;
	if ((d = g->t[d].producer) < 0 || g->n[d].dead || g->n[d].nin != 2)
		return 0;
	x = g->n[d].in[0];
	if (!((g->n[d].op == XG_OP_Div && is_scalar(f, g->n[d].in[1], M_SQRT2, 1e-4)) ||
	      (g->n[d].op == XG_OP_Mul && is_scalar(f, g->n[d].in[1], M_SQRT1_2, 1e-4))))
		return 0;
	a = only_user(f, g->n[e].out[0]);
	if (!is_op(f, a, XG_OP_Add) || !is_scalar(f, other(&g->n[a], g->n[e].out[0]), 1.0, 0))
		return 0;
	m1 = only_user(f, g->n[a].out[0]);
	if (!is_op(f, m1, XG_OP_Mul))
		return 0;
	o1 = other(&g->n[m1], g->n[a].out[0]);
	chain[nc++] = d;
	chain[nc++] = e;
	chain[nc++] = a;
	chain[nc++] = m1;
	if (o1 == x) {				/* (x * (1 + erf)) * 0.5 */
		int m2 = only_user(f, g->n[m1].out[0]);

		if (!is_op(f, m2, XG_OP_Mul) || !is_scalar(f, other(&g->n[m2], g->n[m1].out[0]), 0.5, 0))
			return 0;
		fin = chain[nc++] = m2;
	} else if (is_scalar(f, o1, 0.5, 0)) {	/* x * ((1 + erf) * 0.5) */
		int m2 = only_user(f, g->n[m1].out[0]);

		if (!is_op(f, m2, XG_OP_Mul) || other(&g->n[m2], g->n[m1].out[0]) != x)
			return 0;
		fin = chain[nc++] = m2;
	} else {				/* (x * 0.5) * (1 + erf) */
		int h = producer(f, o1, XG_OP_Mul);

		if (h < 0 || only_user(f, o1) != m1 || other(&g->n[h], x) < 0 ||
		    !is_scalar(f, other(&g->n[h], x), 0.5, 0))
			return 0;
		chain[nc++] = h;
		fin = m1;
	}
	if (g->t[x].dtype != XPU_DT_F32)
		return 0;
	if (rewrite(f, fin, XG_OP_Gelu, &x, 1, chain, nc))
		return -1;
	g->n[fin].act = XG_ACT_GELU_ERF;
	return 1;
}

/* ---- LayerNorm ---- */
static int reduces_last(struct xg_graph *g, int node)
{
	const struct xg_node *n = &g->n[node];
	const struct xg_attr *a = xg_attr(n, "axes");
	const struct xg_tensor *x = &g->t[n->in[0]];

	return a && a->type == XG_ATTR_INTS && a->n == 1 && x->ndim >= 1 &&
	       a->ints[0] == x->ndim - 1 && xg_attr_int(n, "keepdims", 1);
}

/* a constant of C elements along the last axis only */
static int is_channel_const(struct xg_graph *g, int t, int64_t c)
{
	const struct xg_tensor *x = t >= 0 ? &g->t[t] : NULL;

	if (!x || x->kind != XG_CONST || x->dtype != XPU_DT_F32 || x->ndim < 1 ||
	    x->dims[x->ndim - 1] != c || xg_numel(x) != (uint64_t)c)
		return 0;
	return 1;
}

static int fuse_layernorm(struct fuse *f, int m1)
{
	struct xg_graph *g = f->g;
	int x = g->n[m1].in[0], s, p = -1, dv = -1, m2, ad, sq, mu, ba, fin, st;
	int chain[9], nc = 0, in[3];
	int64_t c;
	float eps;

	if (!reduces_last(g, m1) || g->t[x].dtype != XPU_DT_F32)
		return 0;
	c = g->t[x].dims[g->t[x].ndim - 1];
	s = only_user(f, g->n[m1].out[0]);
	if (!is_op(f, s, XG_OP_Sub) || g->n[s].in[0] != x || g->n[s].in[1] != g->n[m1].out[0])
		return 0;
	st = g->n[s].out[0];
	if (g->t[st].is_output || f->nuse[st] != 2)
		return 0;
	for (int k = 0; k < 2; k++) {
		int u = f->users[f->ustart[st] + k];

		if (is_op(f, u, XG_OP_Pow) && g->n[u].in[0] == st)
			p = u;
		else if (is_op(f, u, XG_OP_Div) && g->n[u].in[0] == st)
			dv = u;
	}
	if (p < 0 || dv < 0 || !is_scalar(f, g->n[p].in[1], 2.0, 0))
		return 0;
	m2 = only_user(f, g->n[p].out[0]);
	if (!is_op(f, m2, XG_OP_ReduceMean) || !reduces_last(g, m2))
		return 0;
	ad = only_user(f, g->n[m2].out[0]);
	if (!is_op(f, ad, XG_OP_Add))
		return 0;
	{
		int e = other(&g->n[ad], g->n[m2].out[0]);

		if (e < 0 || !is_scalar(f, e, 0, 1.0))
			return 0;
		eps = xg_const_f32(&g->t[e], 0);
		if (!(eps >= 0))
			return 0;
	}
	sq = only_user(f, g->n[ad].out[0]);
	if (!is_op(f, sq, XG_OP_Sqrt) || only_user(f, g->n[sq].out[0]) != dv ||
	    g->n[dv].in[1] != g->n[sq].out[0])
		return 0;
	chain[nc++] = m1;
	chain[nc++] = s;
	chain[nc++] = p;
	chain[nc++] = m2;
	chain[nc++] = ad;
	chain[nc++] = sq;
	chain[nc++] = dv;
	fin = dv;
	in[0] = x;
	in[1] = in[2] = -1;
	mu = only_user(f, g->n[dv].out[0]);
	if (is_op(f, mu, XG_OP_Mul) && is_channel_const(g, other(&g->n[mu], g->n[dv].out[0]), c)) {
		in[1] = other(&g->n[mu], g->n[dv].out[0]);
		fin = chain[nc++] = mu;
		ba = only_user(f, g->n[mu].out[0]);
		if (is_op(f, ba, XG_OP_Add) && is_channel_const(g, other(&g->n[ba], g->n[mu].out[0]), c)) {
			in[2] = other(&g->n[ba], g->n[mu].out[0]);
			fin = chain[nc++] = ba;
		}
	}
	if (in[1] < 0 || in[2] < 0) {
		float *v = malloc(c * sizeof(float));

		if (!v)
			return -1;
		for (int64_t i = 0; i < c; i++)
			v[i] = in[1] < 0 ? 1.0f : 0.0f;
		st = xg_new_const(g, in[1] < 0 ? "ln_gamma" : "ln_beta", XPU_DT_F32, 1, &c, v);
		if (st < 0)
			return -1;
		if (in[1] < 0) {
			in[1] = st;
			v = calloc(c, sizeof(float));
			if (!v)
				return -1;
			st = xg_new_const(g, "ln_beta", XPU_DT_F32, 1, &c, v);
			if (st < 0)
				return -1;
		}
		in[2] = st;
	}
	if (rewrite(f, fin, XG_OP_FusedLayerNorm, in, 3, chain, nc) ||
	    xg_set_attr_float(&g->n[fin], "epsilon", eps) ||
	    xg_set_attr_int(&g->n[fin], "axis", g->t[x].ndim - 1))
		return -1;
	return 1;
}

/* ---- matmul epilogues ---- */
static int bias_of(struct fuse *f, int mm, int add)
{
	struct xg_graph *g = f->g;
	int b = other(&g->n[add], g->n[mm].out[0]);
	const struct xg_tensor *bt, *bm = &g->t[g->n[mm].in[1]], *o = &g->t[g->n[mm].out[0]];
	int64_t nn = bm->dims[bm->ndim - 1];

	if (b < 0)
		return -1;
	bt = &g->t[b];
	if (bt->kind != XG_CONST || bt->dtype != o->dtype || bt->ndim < 1 || bt->ndim > o->ndim ||
	    bt->dims[bt->ndim - 1] != nn || xg_numel(bt) != (uint64_t)nn)
		return -1;
	return b;
}

static enum xg_act act_of(struct xg_graph *g, int node)
{
	switch (g->n[node].op) {
	case XG_OP_Relu: return XG_ACT_RELU;
	case XG_OP_Gelu: return g->n[node].act == XG_ACT_GELU_TANH ? XG_ACT_GELU_TANH : XG_ACT_GELU_ERF;
	case XG_OP_Sigmoid: return XG_ACT_SIGMOID;
	case XG_OP_Tanh: return XG_ACT_TANH;
	default: return XG_ACT_NONE;
	}
}

static int fuse_matmul(struct fuse *f, int mm)
{
	struct xg_graph *g = f->g;
	struct xg_node *n = &g->n[mm];
	int u, in[3], nin = n->nin;
	enum xg_act act;

	if (g->t[n->in[1]].ndim != 2 || g->t[n->out[0]].dtype != XPU_DT_F32 || n->act ||
	    xg_attr_int(n, "b_transposed_matvec", 0))
		return 0;
	memcpy(in, n->in, nin * sizeof(int));
	u = only_user(f, n->out[0]);
	if (u < 0 || g->n[u].dead)
		return 0;
	if (n->op == XG_OP_MatMul && g->n[u].op == XG_OP_Add) {
		int b = bias_of(f, mm, u);

		if (b < 0)
			return 0;
		in[2] = b;
		if (rewrite(f, u, XG_OP_FusedMatMul, in, 3, &mm, 1))
			return -1;
		return 1;
	}
	act = act_of(g, u);
	if (!act)
		return 0;
	if (rewrite(f, u, XG_OP_FusedMatMul, in, nin, &mm, 1))
		return -1;
	g->n[u].act = act;
	return 1;
}

static int fuse_gemm(struct fuse *f, int gi)
{
	struct xg_graph *g = f->g;
	struct xg_node *n = &g->n[gi];
	int b = n->in[1], c = n->nin > 2 ? n->in[2] : -1, in[3], nin = 2;
	int tb = xg_attr_int(n, "transB", 0) != 0;
	const struct xg_tensor *bt = &g->t[b];
	int64_t nn = bt->dims[tb ? 0 : 1];

	if (xg_attr_float(n, "alpha", 1.0f) != 1.0f || xg_attr_int(n, "transA", 0) ||
	    (c >= 0 && xg_attr_float(n, "beta", 1.0f) != 1.0f) || g->t[n->out[0]].dtype != XPU_DT_F32)
		return 0;
	if (tb && (bt->kind != XG_CONST || bt->dtype != XPU_DT_F32))
		return 0;
	if (c >= 0) {
		const struct xg_tensor *ct = &g->t[c];

		if (ct->kind != XG_CONST || ct->dtype != XPU_DT_F32 || xg_numel(ct) != (uint64_t)nn ||
		    ct->dims[ct->ndim - 1] != nn)
			return 0;
	}
	in[0] = n->in[0];
	in[1] = b;
	if (tb) {
		int64_t k = bt->dims[1], dims[2] = { k, nn };
		float *d = malloc(xg_bytes(bt) ? xg_bytes(bt) : 1);
		const float *s = bt->data;

		if (!d)
			return -1;
		for (int64_t i = 0; i < nn; i++)
			for (int64_t j = 0; j < k; j++)
				d[j * nn + i] = s[i * k + j];
		in[1] = xg_new_const(g, bt->name, XPU_DT_F32, 2, dims, d);
		if (in[1] < 0)
			return -1;
	}
	if (c >= 0)
		in[nin++] = c;
	if (rewrite(f, gi, XG_OP_FusedMatMul, in, nin, &gi, 1))
		return -1;
	return 1;
}

/* ---- matvec against a transposed operand ---- */

/* t is Transpose(X) with a perm that swaps only the last two axes: X, else -1 */
static int last_two_swap(struct fuse *f, int t)
{
	int p = producer(f, t, XG_OP_Transpose), x, r;
	const struct xg_attr *pa;

	if (p < 0)
		return -1;
	x = f->g->n[p].in[0];
	r = f->g->t[x].ndim;
	pa = xg_attr(&f->g->n[p], "perm");
	if (r < 2 || (pa && (pa->type != XG_ATTR_INTS || pa->n != r)) || (!pa && r != 2))
		return -1;
	for (int d = 0; pa && d < r; d++) {
		int64_t v = pa->ints[d] < 0 ? pa->ints[d] + r : pa->ints[d];
		int64_t want = d < r - 2 ? d : d == r - 2 ? r - 1 : r - 2;

		if (v != want)
			return -1;
	}
	return x;
}

static int fuse_matvec(struct fuse *f, int mm)
{
	struct xg_graph *g = f->g;
	struct xg_node *n = &g->n[mm];
	const struct xg_tensor *a;
	int x, tp;

	if (n->op != XG_OP_MatMul || n->nin != 2 || n->act || n->in[0] < 0 || n->in[1] < 0 ||
	    xg_attr_int(n, "b_transposed_matvec", 0))
		return 0;
	a = &g->t[n->in[0]];
	if (a->dtype != XPU_DT_F32 || a->ndim < 2 || a->dims[a->ndim - 2] != 1 ||
	    g->t[n->out[0]].dtype != XPU_DT_F32)
		return 0;
	x = last_two_swap(f, n->in[1]);
	if (x < 0 || g->t[x].dtype != XPU_DT_F32 || only_user(f, n->in[1]) != mm)
		return 0;
	tp = g->t[n->in[1]].producer;
	if (xg_set_attr_int(n, "b_transposed_matvec", 1))
		return -1;
	n->in[1] = x;
	xg_kill_node(g, tp);
	return 1;
}

/* ---- dead nodes: nothing reads their outputs and none is a graph output ---- */
static int eliminate_dead(struct xg_graph *g)
{
	char *need = calloc(g->nt + 1, 1);
	int removed = 0;

	if (!need)
		return -1;
	for (int i = 0; i < g->noutputs; i++)
		need[g->outputs[i]] = 1;
	for (int i = g->nn - 1; i >= 0; i--) {
		struct xg_node *n = &g->n[i];
		int live = 0;

		if (n->dead)
			continue;
		for (int j = 0; j < n->nout; j++)
			live |= n->out[j] >= 0 && need[n->out[j]];
		if (!live) {
			xg_kill_node(g, i);
			removed++;
			continue;
		}
		for (int j = 0; j < n->nin; j++)
			if (n->in[j] >= 0)
				need[n->in[j]] = 1;
	}
	free(need);
	return removed;
}

xpu_status xg_pass_fuse(struct xg_graph *g, int *progress)
{
	struct fuse f = { .g = g };
	int r = 0;

	*progress = 0;
	r = eliminate_dead(g);
	if (r < 0)
		goto oom;
	*progress |= r > 0;
	if (build_users(&f))
		goto oom;
	for (int pass = 0; pass < 3; pass++) {
		for (int i = 0; i < g->nn; i++) {
			struct xg_node *n = &g->n[i];

			if (n->dead)
				continue;
			r = 0;
			if (pass == 0 && n->op == XG_OP_Erf)
				r = fuse_gelu(&f, i);
			else if (pass == 0 && n->op == XG_OP_ReduceMean)
				r = fuse_layernorm(&f, i);
			else if (pass == 0 && n->op == XG_OP_MatMul)
				r = fuse_matvec(&f, i);
			else if (pass == 1 && n->op == XG_OP_Gemm)
				r = fuse_gemm(&f, i);
			else if (pass >= 1 && (n->op == XG_OP_MatMul || n->op == XG_OP_FusedMatMul))
				r = fuse_matmul(&f, i);
			if (r < 0)
				goto oom;
			*progress |= r;
		}
		/* the next kind of fusion sees the new nodes' users */
		free(f.nuse);
		free(f.ustart);
		free(f.users);
		f.nuse = f.ustart = f.users = NULL;
		if (build_users(&f))
			goto oom;
	}
	r = eliminate_dead(g);
	if (r < 0)
		goto oom;
	*progress |= r > 0;
	free(f.nuse);
	free(f.ustart);
	free(f.users);
	return XPU_SUCCESS;
oom:
	free(f.nuse);
	free(f.ustart);
	free(f.users);
	return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "fusion: out of memory");
}
