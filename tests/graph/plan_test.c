// SPDX-License-Identifier: MIT
/*
 * The static buffer plan: tensors whose lifetimes do not overlap share
 * arena memory, no two tensors alive at the same time overlap (checked for
 * every pair, with lifetimes recomputed here independently of the pass),
 * offsets are 64-byte aligned, temps live during their node only, aliases
 * take their root's place and extend its life, inputs/outputs/constants get
 * their own locations.
 */
#include <inttypes.h>

#include "graph_test.h"

/* [first, last] node of every tensor: written or read by a live node, a
 * temp's node, aliases extending their root */
static void lifetimes(const struct xg_graph *g, int *first, int *last)
{
	for (int t = 0; t < g->nt; t++)
		first[t] = last[t] = -1;
#define TOUCH(t, i) do { if (first[t] < 0) first[t] = (i); if ((i) > last[t]) last[t] = (i); \
			 if ((i) < first[t]) first[t] = (i); } while (0)
	for (int i = 0; i < g->nn; i++) {
		if (g->n[i].dead)
			continue;
		for (int j = 0; j < g->n[i].nin; j++)
			if (g->n[i].in[j] >= 0)
				TOUCH(g->n[i].in[j], i);
		for (int j = 0; j < g->n[i].nout; j++)
			if (g->n[i].out[j] >= 0)
				TOUCH(g->n[i].out[j], i);
	}
	for (int t = 0; t < g->nt; t++)
		if (g->t[t].temp_of >= 0)
			TOUCH(t, g->t[t].temp_of);
	for (int t = 0; t < g->nt; t++) {
		int r = t;

		if (g->t[t].alias_of < 0 || first[t] < 0)
			continue;
		while (g->t[r].alias_of >= 0)
			r = g->t[r].alias_of;
		TOUCH(r, first[t]);
		TOUCH(r, last[t]);
	}
}

/* 0 if no two arena tensors alive at the same time share a byte */
static int check_plan(struct __test_metadata *_metadata, const struct xg_graph *g)
{
	int *first = malloc(g->nt * sizeof(int)), *last = malloc(g->nt * sizeof(int));
	int bad = 0;

	lifetimes(g, first, last);
	for (int a = 0; a < g->nt; a++) {
		const struct xg_tensor *x = &g->t[a];

		if (x->location != XPU_GRAPH_LOC_ARENA || x->alias_of >= 0 || first[a] < 0)
			continue;
		if (x->offset % 64 || x->offset + xg_bytes(x) > g->arena_size) {
			TH_LOG("'%s' at %" PRIu64 " (+%" PRIu64 ") is misaligned or outside the arena",
			       x->name, x->offset, xg_bytes(x));
			bad++;
		}
		for (int b = a + 1; b < g->nt; b++) {
			const struct xg_tensor *y = &g->t[b];

			if (y->location != XPU_GRAPH_LOC_ARENA || y->alias_of >= 0 || first[b] < 0)
				continue;
			if (last[a] < first[b] || last[b] < first[a])
				continue;	/* never alive together */
			if (x->offset < y->offset + xg_bytes(y) && y->offset < x->offset + xg_bytes(x)) {
				TH_LOG("'%s' [%d,%d] and '%s' [%d,%d] overlap in memory", x->name,
				       first[a], last[a], y->name, first[b], last[b]);
				bad++;
			}
		}
	}
	free(first);
	free(last);
	return bad;
}

TEST(gpt_plan_reuses_memory)
{
	struct xg_dim_binding b = { "batch", 1 };
	struct xg_options opt = { .dims = &b, .ndims = 1 };
	struct xg_graph *g;
	uint64_t sum = 0;
	int arena_tensors = 0;

	ASSERT_EQ(XPU_SUCCESS, gt_front("gpt", &opt, &g)) TH_LOG("%s", xpu_last_error());
	ASSERT_EQ(XPU_SUCCESS, xg_pass_plan(g)) TH_LOG("%s", xpu_last_error());
	for (int t = 0; t < g->nt; t++)
		if (g->t[t].location == XPU_GRAPH_LOC_ARENA) {
			sum += (xg_bytes(&g->t[t]) + 63) & ~63ull;
			arena_tensors++;
		}
	EXPECT_EQ(sum, g->arena_no_reuse);
	EXPECT_LT(g->arena_size, sum);
	EXPECT_EQ(0, check_plan(_metadata, g));
	EXPECT_EQ(XPU_GRAPH_LOC_INPUT, g->t[g->inputs[0]].location);
	EXPECT_EQ(XPU_GRAPH_LOC_OUTPUT, g->t[g->outputs[0]].location);
	EXPECT_EQ(0, g->t[g->outputs[0]].io_index);
	/* every constant a live node reads is in the blob, aligned, inside it */
	for (int t = 0; t < g->nt; t++) {
		const struct xg_tensor *x = &g->t[t];

		if (x->location != XPU_GRAPH_LOC_CONST)
			continue;
		EXPECT_EQ(XG_CONST, x->kind);
		EXPECT_EQ(0, x->offset % 64);
		EXPECT_LE(x->offset + xg_bytes(x), g->const_size);
	}
	printf("# gpt plan: %d arena tensors, arena %" PRIu64 " bytes vs %" PRIu64
	       " without reuse (%.1f%% saved), constants %" PRIu64 " bytes\n", arena_tensors,
	       g->arena_size, sum, 100.0 * (double)(sum - g->arena_size) / (double)sum,
	       g->const_size);
	xg_free(g);
}

/* x -> n0 Relu -> a -> n1 Relu (temp T) -> b -> n2 Add(b, A = alias of a) (temp T2) -> c */
TEST(temps_and_aliases)
{
	struct xg_graph *g = xg_new();
	int64_t d[] = { 16 }, big[] = { 256 };
	int x, n0, n1, n2, a, b, c, A, T, T2, w, unused, in[2];

	g->opset = 17;
	x = gt_input(g, "x", XPU_DT_F32, 1, d);
	w = gt_const_f32(g, "w", 1, d, 0);
	unused = gt_const_f32(g, "unused", 1, d, 0);
	in[0] = x;
	in[1] = w;
	n0 = gt_node(g, "n0", XG_OP_Add, 2, in, 1);
	a = g->n[n0].out[0];
	n1 = gt_node(g, "n1", XG_OP_Relu, 1, &a, 1);
	b = g->n[n1].out[0];
	A = gt_tensor(g, "A", XPU_DT_F32, 1, (int64_t)16);
	g->t[A].alias_of = a;
	g->t[A].alias_offset = 0;
	in[0] = b;
	in[1] = A;
	n2 = gt_node(g, "n2", XG_OP_Add, 2, in, 1);
	c = g->n[n2].out[0];
	gt_output(g, c);
	for (int t = 0; t < g->nt; t++)
		if (g->t[t].ndim < 0)
			xg_set_shape(&g->t[t], XPU_DT_F32, 1, d);
	T = gt_tensor(g, "T", XPU_DT_F32, 1, big[0]);
	g->t[T].temp_of = n1;
	T2 = gt_tensor(g, "T2", XPU_DT_F32, 1, big[0]);
	g->t[T2].temp_of = n2;

	ASSERT_EQ(XPU_SUCCESS, xg_pass_plan(g)) TH_LOG("%s", xpu_last_error());
	EXPECT_EQ(0, check_plan(_metadata, g));
	/* the two temps never live together: one place */
	EXPECT_EQ(XPU_GRAPH_LOC_ARENA, g->t[T].location);
	EXPECT_EQ(g->t[T].offset, g->t[T2].offset);
	/* a lives until n2 through its alias: not shared with b */
	EXPECT_NE(g->t[a].offset, g->t[b].offset);
	EXPECT_EQ(XPU_GRAPH_LOC_ARENA, g->t[A].location);
	EXPECT_EQ(g->t[a].offset, g->t[A].offset);
	/* 1024 (the temps) + 64 (a) + 64 (b) */
	EXPECT_EQ(1152, g->arena_size);
	EXPECT_EQ(2048 + 128, g->arena_no_reuse);
	EXPECT_EQ(XPU_GRAPH_LOC_INPUT, g->t[x].location);
	EXPECT_EQ(XPU_GRAPH_LOC_OUTPUT, g->t[c].location);
	EXPECT_EQ(XPU_GRAPH_LOC_CONST, g->t[w].location);
	EXPECT_EQ(0, g->t[unused].location);	/* no one reads it: not in the blob */
	EXPECT_EQ(64, g->const_size);

	/* after lowering, constants are placed by the launches that read them */
	g->launch_info = 1;
	for (int t = 0; t < g->nt; t++)
		g->t[t].launch_first = g->t[t].launch_last = -1;
	g->t[unused].launch_first = g->t[unused].launch_last = 1;
	ASSERT_EQ(XPU_SUCCESS, xg_pass_plan(g));
	EXPECT_EQ(XPU_GRAPH_LOC_CONST, g->t[unused].location);
	EXPECT_EQ(0, g->t[w].location);
	EXPECT_EQ(64, g->const_size);

	/* an alias of a graph output is refused (outputs get copies) */
	g->t[A].alias_of = c;
	EXPECT_EQ(XPU_ERROR_NOT_SUPPORTED, xg_pass_plan(g));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "'A' aliases graph input/output 'n2.out0'"))
		TH_LOG("%s", xpu_last_error());
	xg_free(g);
}

TEST_HARNESS_MAIN
