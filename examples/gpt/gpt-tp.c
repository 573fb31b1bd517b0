// SPDX-License-Identifier: MIT
/*
 * xpu-gpt-tp: the tiny GPT of examples/gpt split over 4 XPUs (tensor
 * parallelism), checked bit for bit against the same model on one XPU.
 *
 * The split (examples/gpt/export_tp.py writes one ONNX graph per stage and
 * rank): every layer runs as four stages, each rank computing whole output
 * columns with the full K, so its outputs are exactly the single-device
 * graph's same columns:
 *   attn   rank r's heads (LN1, q/k/v columns, attention; rank r keeps the KV
 *          cache of its heads: the cache is sharded, never moved)
 *   proj   x + proj(attention), rank r's D/4 columns
 *   fc     gelu(fc(LN2(x))), rank r's 4D/4 columns
 *   fcout  x + fc_out(hidden), rank r's D/4 columns
 * with an all-gather (xpu_all_gather over the chip-to-chip links) after
 * each stage: four per layer. The embedding runs on every rank, the final
 * LayerNorm and logits on rank 0.
 *
 * The program prefills a prompt and generates greedily, on the 4 XPUs and
 * on XPU 0 alone (prefill.onnx / decode.onnx), and requires the logits of
 * every step, and every rank's KV cache after the prefill and after the
 * last step, to be bit-identical.
 *
 * Then the same tokens go through Megatron's split (mega-*.onnx): attention
 * by head as above, but proj and fc_out row-parallel, each rank's partial
 * sum over its slice of K all-reduced (xpu_all_reduce): two collectives per
 * layer instead of four (the ring algorithm). A floating-point sum over
 * devices rounds in another order than one device's accumulation, so its
 * logits drift from one XPU's (bf16: by up to a bf16 step of an activation).
 * It must equal its CPU reference bit for bit (gpt-tp-ref.h: the same stage
 * graphs, the all-reduces in the ring's documented order), and its drift
 * from one XPU must stay within a bound (1e-4 in the highest precision, 0.05
 * in bf16, top-1 agreement where one XPU's margin is clear).
 *
 * Both print the modeled times: one device's graph, and the split's critical
 * path = for every stage the slowest rank's cycles + every collective's
 * modeled cycles (xpu_comm_get_stats), and the modeled speed-up.
 *
 * usage: xpu-gpt-tp [--host] [--data DIR] [--precision bf16|highest|both]
 *                   [--prompt TEXT] [--tokens N] [--verbose]
 * --host: a host-backend fabric of 4 chips in a ring; otherwise the first
 * 4 devices. The graphs are compiled for the device at start. --verbose:
 * every stage's kernels (rank 0's graph) and cycles, every collective's.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#include "xpu/xpu_elf.h"
#include "xpu/xpu_graph.h"
#define EX_PROG "xpu-gpt-tp"
#include "../common/example.h"
#include "gpt-vocab.h"

#define NR 4		/* ranks: the export's tp4 */
#define MAXL 8
#define MAXCTX 4096	/* ids of the prompt, padded to the model's context */
#define DEFAULT_PROMPT "The best way to"

/* the exact split's two graphs sets, then Megatron's */
enum { PREFILL, DECODE, MEGA_PREFILL, MEGA_DECODE };
static const char *const mode_name[4] = { "prefill", "decode", "mega-prefill", "mega-decode" };

struct blob {
	void *p;
	size_t n;
};

struct mode {
	xpu_graph *embed[NR], *head;	/* head: rank 0 */
	xpu_graph *attn[MAXL][NR], *proj[MAXL][NR], *fc[MAXL][NR], *fcout[MAXL][NR];
	/* per layer and rank; xg[l] is layer l's input, gathered */
	xpu_buffer *xg[MAXL + 1][NR], *o[MAXL][NR], *og[MAXL][NR], *x1[MAXL][NR];
	xpu_buffer *x1g[MAXL][NR], *u[MAXL][NR], *ug[MAXL][NR];
	size_t col_bytes, hid_bytes;	/* one rank's o/x1/x2 and u */
	/* Megatron: embed -> xg[0] (x); attn: part (proj rows), xres; mlp: x1m, part2 */
	xpu_graph *mlp[MAXL][NR];
	xpu_buffer *part[MAXL][NR], *sum[MAXL][NR], *xres[MAXL][NR], *x1m[MAXL][NR];
	xpu_buffer *part2[MAXL][NR], *sum2[MAXL][NR];
	size_t x_bytes;			/* one full activation [T, D] */
	struct blob src_embed, src_attn[MAXL][NR], src_mlp[MAXL][NR], src_head;	/* ONNX */
	uint64_t stage_cy, coll_cy;	/* modeled critical path so far */
	uint32_t stages, colls;
};

struct tp {
	const char *dir;
	uint32_t precision;
	xpu_device *dev[NR];
	xpu_stream *s[NR];
	xpu_event *e0[NR], *e1[NR];
	xpu_comm *comm;
	struct xpu_device_props props;
	uint32_t L, ctx, V, hr;		/* layers, context, vocabulary, heads per rank */
	struct mode m[4];
	size_t cache_bytes;		/* one rank's cache of one layer */
	xpu_buffer *k[2][MAXL][NR], *v[2][MAXL][NR];	/* ping-pong, as xpu-gpt */
	int cur;
	/* the single device (XPU 0) */
	xpu_graph *pre, *dec;
	xpu_buffer *sk[2], *sv[2];
	uint64_t single_cy[2];
};

/* Compile DIR/name for the devices' configuration (all alike); the ONNX
 * bytes are kept in *keep if it is not NULL (for the CPU reference). */
static void *compile(struct tp *t, const char *name, size_t *size, struct blob *keep)
{
	struct xpu_model_options opt = { .size = sizeof(opt), .precision = t->precision };
	struct xpu_cc_target tg;
	size_t osize;
	void *onnx = ex_read_data_or_exit(t->dir, name, &osize), *img;
	xpu_status st;

	CHECK(xpu_cc_target_from_props(&t->props, &tg));
	st = xpu_model_compile_onnx(onnx, osize, &tg, &opt, &img, size);
	if (st) {
		fprintf(stderr, EX_PROG ": %s/%s: %s: %s\n", t->dir, name, xpu_status_string(st),
			xpu_last_error());
		exit(1);
	}
	if (keep) {
		keep->p = onnx;
		keep->n = osize;
	} else {
		free(onnx);
	}
	return img;
}

static xpu_graph *load(struct tp *t, int rank, struct blob *keep, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static xpu_graph *load(struct tp *t, int rank, struct blob *keep, const char *fmt, ...)
{
	char name[PATH_MAX];
	xpu_graph *g;
	va_list ap;
	size_t size;
	void *img;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	img = compile(t, name, &size, keep);
	CHECK(xpu_graph_load(t->dev[rank], img, size, &g));
	free(img);
	return g;
}

static size_t tensor_size(xpu_graph *g, int input, const char *name)
{
	struct xpu_tensor_info ti;
	uint32_t idx;

	CHECK(input ? xpu_graph_find_input(g, name, &idx) : xpu_graph_find_output(g, name, &idx));
	CHECK(input ? xpu_graph_input_info(g, idx, &ti) : xpu_graph_output_info(g, idx, &ti));
	return ti.size;
}

static xpu_buffer *alloc(struct tp *t, int rank, size_t size)
{
	xpu_buffer *b;

	CHECK(xpu_buffer_alloc(t->dev[rank], size, XPU_MEM_DEVICE, &b));
	return b;
}

/* Load mode's stage graphs on every rank and bind them to their buffers. */
static void load_mode(struct tp *t, int md)
{
	struct mode *m = &t->m[md];
	const char *mn = mode_name[md];
	size_t xg_bytes;

	for (int r = 0; r < NR; r++) {
		m->embed[r] = load(t, r, NULL, "tp%d/%s-embed.onnx", NR, mn);
		if (!r)
			xg_bytes = tensor_size(m->embed[0], 0, "xg");
		m->xg[0][r] = alloc(t, r, xg_bytes);
		CHECK(xpu_graph_bind_output(m->embed[r], "xg", m->xg[0][r], 0));
		for (uint32_t l = 0; l < t->L; l++) {
			m->attn[l][r] = load(t, r, NULL, "tp%d/%s-attn%u-r%d.onnx", NR, mn, l, r);
			m->proj[l][r] = load(t, r, NULL, "tp%d/%s-proj%u-r%d.onnx", NR, mn, l, r);
			m->fc[l][r] = load(t, r, NULL, "tp%d/%s-fc%u-r%d.onnx", NR, mn, l, r);
			m->fcout[l][r] = load(t, r, NULL, "tp%d/%s-fcout%u-r%d.onnx", NR, mn, l, r);
			m->col_bytes = tensor_size(m->attn[l][r], 0, "o");
			m->hid_bytes = tensor_size(m->fc[l][r], 0, "u");
			if (m->col_bytes * NR != xg_bytes ||
			    tensor_size(m->proj[l][r], 0, "x1") != m->col_bytes ||
			    tensor_size(m->fcout[l][r], 0, "x2") != m->col_bytes ||
			    tensor_size(m->fcout[l][r], 1, "ug") != m->hid_bytes * NR) {
				fprintf(stderr, EX_PROG ": the %s stage graphs of layer %u do not fit "
					"together (not an export for %d ranks?)\n", mn, l, NR);
				exit(1);
			}
			m->o[l][r] = alloc(t, r, m->col_bytes);
			m->og[l][r] = alloc(t, r, xg_bytes);
			m->x1[l][r] = alloc(t, r, m->col_bytes);
			m->x1g[l][r] = alloc(t, r, xg_bytes);
			m->u[l][r] = alloc(t, r, m->hid_bytes);
			m->ug[l][r] = alloc(t, r, m->hid_bytes * NR);
			m->xg[l + 1][r] = alloc(t, r, xg_bytes);
			CHECK(xpu_graph_bind_input(m->attn[l][r], "xg", m->xg[l][r], 0));
			CHECK(xpu_graph_bind_output(m->attn[l][r], "o", m->o[l][r], 0));
			CHECK(xpu_graph_bind_input(m->proj[l][r], "og", m->og[l][r], 0));
			CHECK(xpu_graph_bind_input(m->proj[l][r], "xg", m->xg[l][r], 0));
			CHECK(xpu_graph_bind_output(m->proj[l][r], "x1", m->x1[l][r], 0));
			CHECK(xpu_graph_bind_input(m->fc[l][r], "x1g", m->x1g[l][r], 0));
			CHECK(xpu_graph_bind_output(m->fc[l][r], "u", m->u[l][r], 0));
			CHECK(xpu_graph_bind_input(m->fcout[l][r], "ug", m->ug[l][r], 0));
			CHECK(xpu_graph_bind_input(m->fcout[l][r], "x1g", m->x1g[l][r], 0));
			/* x2 goes out through the gather into the next layer's xg */
			CHECK(xpu_graph_bind_output(m->fcout[l][r], "x2", m->o[l][r], 0));
			if (md == PREFILL) {
				CHECK(xpu_graph_bind_output(m->attn[l][r], "present_k",
							    t->k[0][l][r], 0));
				CHECK(xpu_graph_bind_output(m->attn[l][r], "present_v",
							    t->v[0][l][r], 0));
			}
		}
	}
	m->head = load(t, 0, NULL, "tp%d/%s-head.onnx", NR, mn);
	CHECK(xpu_graph_bind_input(m->head, "xg", m->xg[t->L][0], 0));
}

static int verbose;

/* Megatron's graphs: the same stages with row-parallel proj and fc_out. */
static void load_mega(struct tp *t, int md)
{
	struct mode *m = &t->m[md];
	const char *mn = mode_name[md];

	for (int r = 0; r < NR; r++) {
		m->embed[r] = load(t, r, r ? NULL : &m->src_embed, "tp%d/%s-embed.onnx", NR, mn);
		m->x_bytes = tensor_size(m->embed[r], 0, "x");
		m->xg[0][r] = alloc(t, r, m->x_bytes);
		CHECK(xpu_graph_bind_output(m->embed[r], "x", m->xg[0][r], 0));
		for (uint32_t l = 0; l < t->L; l++) {
			xpu_graph *a, *p;

			a = m->attn[l][r] = load(t, r, &m->src_attn[l][r], "tp%d/%s-attn%u-r%d.onnx",
						 NR, mn, l, r);
			p = m->mlp[l][r] = load(t, r, &m->src_mlp[l][r], "tp%d/%s-mlp%u-r%d.onnx", NR,
						mn, l, r);
			if (tensor_size(a, 0, "part") != m->x_bytes ||
			    tensor_size(p, 0, "part") != m->x_bytes) {
				fprintf(stderr, EX_PROG ": the %s graphs of layer %u do not fit "
					"together\n", mn, l);
				exit(1);
			}
			m->part[l][r] = alloc(t, r, m->x_bytes);
			m->sum[l][r] = alloc(t, r, m->x_bytes);
			m->xres[l][r] = alloc(t, r, m->x_bytes);
			m->x1m[l][r] = alloc(t, r, m->x_bytes);
			m->part2[l][r] = alloc(t, r, m->x_bytes);
			m->sum2[l][r] = alloc(t, r, m->x_bytes);
			if (l == 0) {
				CHECK(xpu_graph_bind_input(a, "x", m->xg[0][r], 0));
			} else {
				CHECK(xpu_graph_bind_input(a, "x1", m->x1m[l - 1][r], 0));
				CHECK(xpu_graph_bind_input(a, "s", m->sum2[l - 1][r], 0));
			}
			CHECK(xpu_graph_bind_output(a, "part", m->part[l][r], 0));
			CHECK(xpu_graph_bind_output(a, "xres", m->xres[l][r], 0));
			CHECK(xpu_graph_bind_input(p, "xres", m->xres[l][r], 0));
			CHECK(xpu_graph_bind_input(p, "s", m->sum[l][r], 0));
			CHECK(xpu_graph_bind_output(p, "x1", m->x1m[l][r], 0));
			CHECK(xpu_graph_bind_output(p, "part", m->part2[l][r], 0));
			if (md == MEGA_PREFILL) {
				CHECK(xpu_graph_bind_output(a, "present_k", t->k[0][l][r], 0));
				CHECK(xpu_graph_bind_output(a, "present_v", t->v[0][l][r], 0));
			}
		}
	}
	m->head = load(t, 0, &m->src_head, "tp%d/%s-head.onnx", NR, mn);
	CHECK(xpu_graph_bind_input(m->head, "x1", m->x1m[t->L - 1][0], 0));
	CHECK(xpu_graph_bind_input(m->head, "s", m->sum2[t->L - 1][0], 0));
}

/* Run one stage's graph on the given ranks; add the slowest to the path. */
static void stage(struct tp *t, struct mode *m, xpu_graph *const *g, int ranks)
{
	uint64_t worst = 0, cy;

	for (int r = 0; r < ranks; r++) {
		CHECK(xpu_event_record(t->e0[r], t->s[r]));
		CHECK(xpu_graph_run(g[r], t->s[r]));
		CHECK(xpu_event_record(t->e1[r], t->s[r]));
	}
	for (int r = 0; r < ranks; r++) {
		CHECK(xpu_event_synchronize(t->e1[r], XPU_WAIT_FOREVER));
		CHECK(xpu_event_elapsed(t->e0[r], t->e1[r], &cy, NULL));
		if (cy > worst)
			worst = cy;
	}
	m->stage_cy += worst;
	m->stages++;
	if (verbose) {
		struct xpu_graph_info gi;

		CHECK(xpu_graph_get_info(g[0], &gi));
		printf("#   stage %u: %u kernels, slowest rank %llu cycles\n", m->stages,
		       gi.num_launches, (unsigned long long)worst);
	}
}

/* An fp32 all-gather (reduce 0) or all-reduce (sum) over the 4 ranks. */
static void collective(struct tp *t, struct mode *m, int reduce, xpu_buffer *const *send,
		       xpu_buffer *const *recv, size_t bytes)
{
	struct xpu_coll_stats st;

	if (reduce)
		CHECK(xpu_all_reduce(t->comm, send, recv, bytes / 4, XPU_DT_F32, XPU_RED_SUM,
				     t->s));
	else
		CHECK(xpu_all_gather(t->comm, send, recv, bytes / 4, XPU_DT_F32, t->s));
	for (int r = 0; r < NR; r++)
		CHECK(xpu_stream_synchronize(t->s[r], XPU_WAIT_FOREVER));
	CHECK(xpu_comm_get_stats(t->comm, &st));
	m->coll_cy += st.modeled_cycles;
	m->colls++;
	if (verbose)
		printf("#   %s of %zu bytes per rank: %llu cycles (%u steps)\n",
		       reduce ? "all-reduce" : "all-gather", bytes,
		       (unsigned long long)st.modeled_cycles, st.steps);
}

/* The whole model once on the 4 ranks (inputs already set). */
static void tp_forward(struct tp *t, int md)
{
	struct mode *m = &t->m[md];

	stage(t, m, m->embed, NR);
	if (md >= MEGA_PREFILL) {
		for (uint32_t l = 0; l < t->L; l++) {
			stage(t, m, m->attn[l], NR);
			collective(t, m, 1, m->part[l], m->sum[l], m->x_bytes);
			stage(t, m, m->mlp[l], NR);
			collective(t, m, 1, m->part2[l], m->sum2[l], m->x_bytes);
		}
		stage(t, m, &m->head, 1);
		return;
	}
	for (uint32_t l = 0; l < t->L; l++) {
		stage(t, m, m->attn[l], NR);
		collective(t, m, 0, m->o[l], m->og[l], m->col_bytes);
		stage(t, m, m->proj[l], NR);
		collective(t, m, 0, m->x1[l], m->x1g[l], m->col_bytes);
		stage(t, m, m->fc[l], NR);
		collective(t, m, 0, m->u[l], m->ug[l], m->hid_bytes);
		stage(t, m, m->fcout[l], NR);
		collective(t, m, 0, m->o[l], m->xg[l + 1], m->col_bytes);
	}
	stage(t, m, &m->head, 1);
}

static void decode_inputs(const struct tp *t, int pos, float *mask, float *onehot)
{
	for (uint32_t i = 0; i < t->ctx; i++) {
		mask[i] = (int)i <= pos ? 0.0f : -1e9f;
		onehot[i] = (int)i == pos ? 1.0f : 0.0f;
	}
}

static void tp_prefill(struct tp *t, int md, const int64_t *ids, float *logits)
{
	for (int r = 0; r < NR; r++)
		CHECK(xpu_graph_set_input(t->m[md].embed[r], "ids", ids, sizeof(*ids) * t->ctx));
	tp_forward(t, md);
	CHECK(xpu_graph_get_output(t->m[md].head, "logits", logits,
				   sizeof(float) * t->ctx * t->V));
	t->cur = 0;
}

static void tp_decode(struct tp *t, int md, int tok, int pos, float *logits)
{
	struct mode *m = &t->m[md];
	int64_t tk = tok, p = pos;
	float mask[t->ctx], onehot[t->ctx];

	decode_inputs(t, pos, mask, onehot);
	for (int r = 0; r < NR; r++) {
		CHECK(xpu_graph_set_input(m->embed[r], "token", &tk, sizeof(tk)));
		CHECK(xpu_graph_set_input(m->embed[r], "pos", &p, sizeof(p)));
		for (uint32_t l = 0; l < t->L; l++) {
			xpu_graph *g = m->attn[l][r];

			CHECK(xpu_graph_set_input(g, "mask", mask, sizeof(mask)));
			CHECK(xpu_graph_set_input(g, "onehot", onehot, sizeof(onehot)));
			CHECK(xpu_graph_bind_input(g, "past_k", t->k[t->cur][l][r], 0));
			CHECK(xpu_graph_bind_input(g, "past_v", t->v[t->cur][l][r], 0));
			CHECK(xpu_graph_bind_output(g, "present_k", t->k[!t->cur][l][r], 0));
			CHECK(xpu_graph_bind_output(g, "present_v", t->v[!t->cur][l][r], 0));
		}
	}
	tp_forward(t, md);
	CHECK(xpu_graph_get_output(m->head, "logits", logits, sizeof(float) * t->V));
	t->cur = !t->cur;
}

/* ---- the single device ---------------------------------------------------- */
static uint64_t single_run(struct tp *t, xpu_graph *g)
{
	uint64_t cy;

	CHECK(xpu_event_record(t->e0[0], t->s[0]));
	CHECK(xpu_graph_run(g, t->s[0]));
	CHECK(xpu_event_record(t->e1[0], t->s[0]));
	CHECK(xpu_event_synchronize(t->e1[0], XPU_WAIT_FOREVER));
	CHECK(xpu_event_elapsed(t->e0[0], t->e1[0], &cy, NULL));
	return cy;
}

static void single_prefill(struct tp *t, const int64_t *ids, float *logits)
{
	CHECK(xpu_graph_set_input(t->pre, "ids", ids, sizeof(*ids) * t->ctx));
	CHECK(xpu_graph_bind_output(t->pre, "present_k", t->sk[0], 0));
	CHECK(xpu_graph_bind_output(t->pre, "present_v", t->sv[0], 0));
	t->single_cy[PREFILL] += single_run(t, t->pre);
	CHECK(xpu_graph_get_output(t->pre, "logits", logits, sizeof(float) * t->ctx * t->V));
}

static void single_decode(struct tp *t, int cur, int tok, int pos, float *logits)
{
	int64_t tk = tok, p = pos;
	float mask[t->ctx], onehot[t->ctx];

	decode_inputs(t, pos, mask, onehot);
	CHECK(xpu_graph_set_input(t->dec, "token", &tk, sizeof(tk)));
	CHECK(xpu_graph_set_input(t->dec, "pos", &p, sizeof(p)));
	CHECK(xpu_graph_set_input(t->dec, "mask", mask, sizeof(mask)));
	CHECK(xpu_graph_set_input(t->dec, "onehot", onehot, sizeof(onehot)));
	CHECK(xpu_graph_bind_input(t->dec, "past_k", t->sk[cur], 0));
	CHECK(xpu_graph_bind_input(t->dec, "past_v", t->sv[cur], 0));
	CHECK(xpu_graph_bind_output(t->dec, "present_k", t->sk[!cur], 0));
	CHECK(xpu_graph_bind_output(t->dec, "present_v", t->sv[!cur], 0));
	t->single_cy[DECODE] += single_run(t, t->dec);
	CHECK(xpu_graph_get_output(t->dec, "logits", logits, sizeof(float) * t->V));
}

/* Every rank's cache of every layer equals its heads' rows of XPU 0's. */
static int caches_differ(struct tp *t, int cur)
{
	size_t whole = t->cache_bytes * NR * t->L;
	char *sk = malloc(whole), *sv = malloc(whole), *k = malloc(t->cache_bytes);
	char *v = malloc(t->cache_bytes);
	int bad = 0;

	if (!sk || !sv || !k || !v)
		exit(1);
	CHECK(xpu_buffer_read(t->sk[cur], 0, sk, whole));
	CHECK(xpu_buffer_read(t->sv[cur], 0, sv, whole));
	for (uint32_t l = 0; l < t->L; l++) {
		for (int r = 0; r < NR; r++) {
			size_t at = ((size_t)l * NR + r) * t->cache_bytes;

			CHECK(xpu_buffer_read(t->k[cur][l][r], 0, k, t->cache_bytes));
			CHECK(xpu_buffer_read(t->v[cur][l][r], 0, v, t->cache_bytes));
			bad += memcmp(k, sk + at, t->cache_bytes) != 0;
			bad += memcmp(v, sv + at, t->cache_bytes) != 0;
		}
	}
	free(sk);
	free(sv);
	free(k);
	free(v);
	return bad;
}

static void setup(struct tp *t)
{
	struct xpu_tensor_info ti;
	uint32_t idx;
	size_t size;
	void *img;

	/* the single-device graphs give the shapes */
	img = compile(t, "prefill.onnx", &size, NULL);
	CHECK(xpu_graph_load(t->dev[0], img, size, &t->pre));
	free(img);
	img = compile(t, "decode.onnx", &size, NULL);
	CHECK(xpu_graph_load(t->dev[0], img, size, &t->dec));
	free(img);
	CHECK(xpu_graph_find_input(t->dec, "past_k", &idx));
	CHECK(xpu_graph_input_info(t->dec, idx, &ti));
	if (ti.ndim != 4 || !ti.dims[0] || ti.dims[0] > MAXL || !ti.dims[1] || ti.dims[1] % NR ||
	    ti.dims[2] < 2 || ti.dims[2] > MAXCTX) {
		fprintf(stderr, EX_PROG ": the model's cache is not [layers 1..%d, heads a multiple "
			"of %d, context 2..%d, head size]\n", MAXL, NR, MAXCTX);
		exit(1);
	}
	t->L = ti.dims[0];
	t->hr = ti.dims[1] / NR;
	t->ctx = ti.dims[2];
	t->cache_bytes = ti.size / t->L / NR;
	CHECK(xpu_graph_find_output(t->dec, "logits", &idx));
	CHECK(xpu_graph_output_info(t->dec, idx, &ti));
	t->V = ti.dims[1];
	for (int i = 0; i < 2; i++) {
		t->sk[i] = alloc(t, 0, t->cache_bytes * NR * t->L);
		t->sv[i] = alloc(t, 0, t->cache_bytes * NR * t->L);
		for (uint32_t l = 0; l < t->L; l++) {
			for (int r = 0; r < NR; r++) {
				t->k[i][l][r] = alloc(t, r, t->cache_bytes);
				t->v[i][l][r] = alloc(t, r, t->cache_bytes);
			}
		}
	}
	load_mode(t, PREFILL);
	load_mode(t, DECODE);
	load_mega(t, MEGA_PREFILL);
	load_mega(t, MEGA_DECODE);
}

static void teardown(struct tp *t)
{
	for (int md = 0; md < 4; md++) {
		struct mode *m = &t->m[md];

		xpu_graph_destroy(m->head);	/* NULL: an error, no harm */
		free(m->src_embed.p);
		free(m->src_head.p);
		for (int r = 0; r < NR; r++) {
			xpu_graph_destroy(m->embed[r]);
			xpu_buffer_free(m->xg[0][r]);
			for (uint32_t l = 0; l < t->L; l++) {
				free(m->src_attn[l][r].p);
				free(m->src_mlp[l][r].p);
				xpu_graph_destroy(m->mlp[l][r]);
				xpu_buffer_free(m->part[l][r]);
				xpu_buffer_free(m->sum[l][r]);
				xpu_buffer_free(m->xres[l][r]);
				xpu_buffer_free(m->x1m[l][r]);
				xpu_buffer_free(m->part2[l][r]);
				xpu_buffer_free(m->sum2[l][r]);
				xpu_graph_destroy(m->attn[l][r]);
				xpu_graph_destroy(m->proj[l][r]);
				xpu_graph_destroy(m->fc[l][r]);
				xpu_graph_destroy(m->fcout[l][r]);
				xpu_buffer_free(m->o[l][r]);
				xpu_buffer_free(m->og[l][r]);
				xpu_buffer_free(m->x1[l][r]);
				xpu_buffer_free(m->x1g[l][r]);
				xpu_buffer_free(m->u[l][r]);
				xpu_buffer_free(m->ug[l][r]);
				xpu_buffer_free(m->xg[l + 1][r]);
			}
		}
		memset(m, 0, sizeof(*m));
	}
	for (int i = 0; i < 2; i++) {
		xpu_buffer_free(t->sk[i]);
		xpu_buffer_free(t->sv[i]);
		for (uint32_t l = 0; l < t->L; l++) {
			for (int r = 0; r < NR; r++) {
				xpu_buffer_free(t->k[i][l][r]);
				xpu_buffer_free(t->v[i][l][r]);
			}
		}
	}
	xpu_graph_destroy(t->pre);
	xpu_graph_destroy(t->dec);
	t->single_cy[0] = t->single_cy[1] = 0;
}

static void report(struct tp *t, int md, int runs, const char *what)
{
	struct mode *m = &t->m[md];
	double mhz = t->props.clock_mhz;
	uint64_t split = m->stage_cy + m->coll_cy, one = t->single_cy[md & 1];

	printf("  %s (%s): one XPU %llu cycles = %.1f us; %d XPUs %llu cycles = %.1f us (stages "
	       "%llu, %u %s %llu): modeled speed-up %.2fx\n", mode_name[md & 1], what,
	       (unsigned long long)(one / runs), one / runs / mhz, NR,
	       (unsigned long long)(split / runs), split / runs / mhz,
	       (unsigned long long)(m->stage_cy / runs), m->colls / runs,
	       md >= MEGA_PREFILL ? "all-reduces" : "all-gathers",
	       (unsigned long long)(m->coll_cy / runs), (double)one / (double)split);
}

static void report_both(struct tp *t, int split, int steps)
{
	char what[64];

	report(t, split + PREFILL, 1, "the padded prompt");
	if (steps) {
		snprintf(what, sizeof(what), "per token, mean of %d", steps);
		report(t, split + DECODE, steps, what);
	}
}

#include "gpt-tp-ref.h"

/*
 * Megatron's logits against one XPU's: how far, and the same argmax where
 * one XPU's top two logits are further apart than the bound (a nearer tie
 * may flip within the allowed drift).
 */
struct drift {
	size_t n, differ;
	double max_diff, max_abs;
	int rows, decidable, agree;
};

static void drift_add(struct drift *d, const float *a, const float *b, uint32_t V, int rows,
		      double bound)
{
	for (int r = 0; r < rows; r++, a += V, b += V) {
		int top = ex_argmax(b, V);
		double second = -INFINITY;

		for (uint32_t i = 0; i < V; i++) {
			double diff = fabs((double)a[i] - b[i]);

			d->differ += memcmp(&a[i], &b[i], sizeof(float)) != 0;
			if (diff > d->max_diff || diff != diff)
				d->max_diff = diff;
			if (fabs(b[i]) > d->max_abs)
				d->max_abs = fabs(b[i]);
			if ((int)i != top && b[i] > second)
				second = b[i];
		}
		d->n += V;
		d->rows++;
		if (b[top] - second > 2 * bound) {
			d->decidable++;
			d->agree += ex_argmax(a, V) == top;
		}
	}
}

/*
 * Prefill the prompt and decode ntok tokens: the exact split against one
 * XPU (each step's logits, and every rank's KV cache after the prefill and
 * after the last step, must be bit-identical), then Megatron's split fed
 * the same tokens, against its CPU reference (bit for bit: gpt-tp-ref.h)
 * and against one XPU (the drift, bounded). Returns the number of failures.
 */
static int run(struct tp *t, const char *prompt, const int64_t *ids, int len, int ntok)
{
	int bad = 0, mbad = 0, steps = 0, dbad;
	int tok[t->ctx + 1];
	size_t lbytes = sizeof(float) * t->ctx * t->V;
	float *lt = malloc(lbytes), *pre = malloc(lbytes), *dec = malloc(lbytes);
	float mask[t->ctx], onehot[t->ctx];
	/* the drift allowed: fp32-like in highest, a few bf16 steps in bf16 */
	double bound = t->precision == XPU_GRAPH_F_PREC_HIGHEST ? 1e-4 : 0.05;
	struct drift d = { 0 };
	struct tp_ref *rf;
	char text[t->ctx + 1];

	if (!lt || !pre || !dec) {
		fprintf(stderr, EX_PROG ": out of memory\n");
		exit(1);
	}
	/* exact split: every step checked bit for bit; one XPU's logits kept */
	tp_prefill(t, PREFILL, ids, lt);
	single_prefill(t, ids, pre);
	bad += memcmp(lt, pre, lbytes) != 0;
	bad += caches_differ(t, 0);
	tok[0] = ex_argmax(lt + (size_t)(len - 1) * t->V, t->V);
	for (int pos = len; pos < (int)t->ctx && steps < ntok; pos++, steps++) {
		float *one = dec + (size_t)steps * t->V;
		int cur = t->cur;

		tp_decode(t, DECODE, tok[steps], pos, lt);
		single_decode(t, cur, tok[steps], pos, one);
		bad += memcmp(lt, one, sizeof(float) * t->V) != 0;
		tok[steps + 1] = ex_argmax(lt, t->V);
	}
	bad += caches_differ(t, t->cur);
	for (int i = 0; i < steps; i++)
		text[i] = decode_id(tok[i]);
	text[steps] = '\0';
	printf("prompt \"%s\" -> \"%s\"\n", prompt, text);
	printf("exact split (column-parallel, all-gathers):\n");
	report_both(t, PREFILL, steps);
	printf("check: logits of the prefill and of %d decode step(s), and every rank's KV cache "
	       "after both, %d XPUs vs one: %s\n", steps, NR, bad ? "DIFFERENT" : "bit-identical");

	/* Megatron's split, the same tokens in; its CPU reference beside it */
	rf = ref_new(t);
	tp_prefill(t, MEGA_PREFILL, ids, lt);
	ref_run(t, rf, MEGA_PREFILL, ids, 0, 0, NULL, NULL, 0);
	mbad += memcmp(lt, rf->logits, lbytes) != 0;
	mbad += ref_caches_differ(t, rf, 0);
	drift_add(&d, lt, pre, t->V, len, bound);
	for (int i = 0; i < steps; i++) {
		int cur = t->cur;

		decode_inputs(t, len + i, mask, onehot);
		tp_decode(t, MEGA_DECODE, tok[i], len + i, lt);
		ref_run(t, rf, MEGA_DECODE, NULL, tok[i], len + i, mask, onehot, cur);
		mbad += memcmp(lt, rf->logits, sizeof(float) * t->V) != 0;
		drift_add(&d, lt, dec + (size_t)i * t->V, t->V, 1, bound);
	}
	mbad += ref_caches_differ(t, rf, t->cur);
	ref_free(t, rf);
	printf("Megatron split (row-parallel proj and fc_out, partial sums all-reduced, ring), the "
	       "same tokens in:\n");
	report_both(t, MEGA_PREFILL, steps);
	printf("check: Megatron's logits and KV caches vs its CPU reference (the stage graphs, "
	       "all-reduces in the ring's documented order): %s\n",
	       mbad ? "DIFFERENT" : "bit-identical");
	dbad = !(d.max_diff <= bound) || d.agree != d.decidable;
	printf("drift: Megatron vs one XPU: %zu of %zu logits differ, max |diff| %.3g (bound %g; "
	       "largest |logit| %.3g), top-1 agreement %d/%d where one XPU's margin > 2 x bound "
	       "(%d rows)%s\n", d.differ, d.n, d.max_diff, bound, d.max_abs, d.agree, d.decidable,
	       d.rows, dbad ? ": OUT OF BOUNDS" : "");
	free(lt);
	free(pre);
	free(dec);
	return bad + mbad + dbad;
}

int main(int argc, char **argv)
{
	struct tp t = { 0 };
	const char *prompt = DEFAULT_PROMPT, *prec = "bf16";
	int host = 0, ntok = 32, bad = 0, len;
	int64_t ids[MAXCTX] = { 0 };
	char *end;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host"))
			host = 1;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else if (!strcmp(argv[i], "--data") && i + 1 < argc)
			t.dir = argv[++i];
		else if (!strcmp(argv[i], "--prompt") && i + 1 < argc)
			prompt = argv[++i];
		else if (!strcmp(argv[i], "--tokens") && i + 1 < argc &&
			 (ntok = (int)strtol(argv[i + 1], &end, 10), ntok >= 0) &&
			 *argv[i + 1] && !*end && ntok <= MAXCTX && ++i)
			;
		else if (!strcmp(argv[i], "--precision") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "bf16") || !strcmp(argv[i + 1], "highest") ||
			  !strcmp(argv[i + 1], "both")))
			prec = argv[++i];
		else {
			fprintf(stderr, "usage: xpu-gpt-tp [--host] [--data DIR] "
				"[--precision bf16|highest|both] [--prompt TEXT] [--tokens N] [--verbose]\n");
			return 2;
		}
	}
	len = (int)strlen(prompt);
	if (len < 1 || len >= MAXCTX) {
		fprintf(stderr, EX_PROG ": the prompt needs 1 to %d characters\n", MAXCTX - 1);
		return 2;
	}
	for (int i = 0; i < len; i++) {
		ids[i] = encode_char(prompt[i]);
		if (ids[i] < 0) {
			fprintf(stderr, EX_PROG ": the prompt has a character outside the "
				"vocabulary (printable ASCII and newline)\n");
			return 2;
		}
	}
	t.dir = ex_find_data(t.dir, "gpt", "tp4/decode-head.onnx");
	if (host) {
		struct xpu_host_fabric_config fc = {
			.size = sizeof(fc), .num_chips = NR, .topology = XPU_TOPO_RING,
		};

		CHECK(xpu_host_fabric_open(&fc, t.dev));
	} else {
		int count = 0;

		CHECK(xpu_device_count(&count));
		if (count < NR) {
			fprintf(stderr, EX_PROG ": %d devices needed, %d found (try --host)\n", NR,
				count);
			return 1;
		}
		for (int i = 0; i < NR; i++)
			CHECK(xpu_device_open(i, &t.dev[i]));
	}
	for (int i = 0; i < NR; i++) {
		CHECK(xpu_stream_create(t.dev[i], XPU_QUEUE_ANY, &t.s[i]));
		CHECK(xpu_event_create(t.dev[i], &t.e0[i]));
		CHECK(xpu_event_create(t.dev[i], &t.e1[i]));
	}
	CHECK(xpu_comm_create(t.dev, NR, &t.comm));
	/* the ring: the order gpt-tp-ref.h's all-reduce reproduces */
	CHECK(xpu_comm_set_algorithm(t.comm, XPU_COLL_RING));
	CHECK(xpu_device_get_props(t.dev[0], &t.props));
	for (int p = 0; p < 2; p++) {
		const char *pn = p ? "highest" : "bf16";

		if (strcmp(prec, "both") && strcmp(prec, pn))
			continue;
		t.precision = p ? XPU_GRAPH_F_PREC_HIGHEST : XPU_GRAPH_F_PREC_BF16;
		setup(&t);
		printf("tiny GPT (%u layers, %u heads), precision %s, tensor-parallel over %d XPUs "
		       "(%s, %ux%u array, %u MHz), %u head(s) per rank\n", t.L, t.hr * NR, pn,
		       NR, t.props.node, t.props.array_rows, t.props.array_cols,
		       (unsigned)t.props.clock_mhz, t.hr);
		if (len >= (int)t.ctx) {
			fprintf(stderr, EX_PROG ": the prompt needs 1 to %u characters\n", t.ctx - 1);
			return 2;
		}
		bad += run(&t, prompt, ids, len, ntok);
		teardown(&t);
	}
	xpu_comm_destroy(t.comm);
	for (int i = 0; i < NR; i++) {
		xpu_event_destroy(t.e0[i]);
		xpu_event_destroy(t.e1[i]);
		xpu_stream_destroy(t.s[i]);
		xpu_device_close(t.dev[i]);
	}
	return bad != 0;
}
