// SPDX-License-Identifier: MIT
/*
 * xpu-gpt: text generation with the tiny GPT of examples/gpt on the XPU,
 * through libxpu's model graphs (xpu_graph.h).
 *
 * Two graphs compiled at build time by xpu-cc from PyTorch's ONNX export:
 * prefill-<prec>.xpu runs the padded prompt once and fills the KV cache;
 * decode-<prec>.xpu runs one new token against the cache. The cache lives in
 * two pairs of device buffers used ping-pong (the step reads pair `cur` and
 * writes pair `!cur`, both bound with xpu_graph_bind_input/output), so it
 * never travels to the host; each new token is one decode run. Only the
 * logits (V floats) come back for the greedy argmax.
 *
 * Reported: the text, tokens/s (wall clock, host side included), modeled
 * tokens/s at the device clock (the jobs' modeled cycles from
 * xpu_event_elapsed) and the array utilisation = model MACs / (modeled
 * cycles * rows * cols), for prefill and decode.
 *
 * --check (TAP): per precision (bf16, highest) the device's logits, caches
 * and tokens must equal xpu_model_reference_onnx() bit for bit, and the
 * next-token top-1 on the held-out positions of eval.bin (gpt-eval.h) must
 * agree with PyTorch fp32 on >= 99% (bf16) / 100% (highest).
 *
 * The .xpu files are compiled for the default device configuration; on
 * another one the graphs are compiled from the .onnx files (model-load.h).
 *
 * usage: xpu-gpt [--host | --array RxC] [--data DIR] [--precision bf16|highest]
 *                [--prompt TEXT] [--tokens N] [--check]
 * --array: the host backend with a ROWSxCOLS array (as make check's VM).
 * DIR defaults to /usr/share/xpu/gpt, or ../share/xpu/gpt next to the program.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xpu/xpu.h"
#include "xpu/xpu_elf.h"
#include "xpu/xpu_graph.h"
#define EX_PROG "xpu-gpt"
#include "../common/example.h"
#include "gpt-eval.h"
#include "gpt-vocab.h"
#include "model-load.h"

#define DEFAULT_PROMPT "The best way to"
#define REF_STEPS 8		/* decode steps compared with the reference */

struct gpt {
	xpu_device *dev;
	struct xpu_device_props props;
	xpu_stream *s;
	xpu_event *e0, *e1;
	xpu_graph *pre, *dec;
	void *pre_onnx, *dec_onnx;	/* for the reference (check mode) */
	size_t pre_onnx_size, dec_onnx_size;
	uint32_t precision;
	uint32_t L, H, ctx, D, V;
	size_t cache_bytes;
	xpu_buffer *k[2], *v[2];	/* ping-pong KV cache */
	int cur;
	uint64_t macs_prefill, macs_decode;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void expect_io(xpu_graph *g, int input, const char *name, uint32_t dtype, uint32_t ndim,
		      const uint64_t *dims, struct xpu_tensor_info *out)
{
	struct xpu_tensor_info ti;
	uint32_t idx;
	int ok;

	CHECK(input ? xpu_graph_find_input(g, name, &idx) : xpu_graph_find_output(g, name, &idx));
	CHECK(input ? xpu_graph_input_info(g, idx, &ti) : xpu_graph_output_info(g, idx, &ti));
	ok = ti.dtype == dtype && ti.ndim == ndim;
	for (uint32_t i = 0; ok && dims && i < ndim; i++)
		ok = ti.dims[i] == dims[i];
	if (!ok) {
		fprintf(stderr, "xpu-gpt: %s '%s' of the model has an unexpected type or shape\n",
			input ? "input" : "output", name);
		exit(1);
	}
	if (out)
		*out = ti;
}

static void gpt_load(struct gpt *g, const char *dir, const char *prec)
{
	uint32_t precision = strcmp(prec, "highest") ? XPU_GRAPH_F_PREC_BF16 : XPU_GRAPH_F_PREC_HIGHEST;
	struct xpu_tensor_info ti;
	struct xpu_graph_info gi;
	char name[PATH_MAX];
	uint64_t d[4];
	uint64_t C;
	int compiled;

	if (!g->pre_onnx) {
		g->pre_onnx = ex_read_data_or_exit(dir, "prefill.onnx", &g->pre_onnx_size);
		g->dec_onnx = ex_read_data_or_exit(dir, "decode.onnx", &g->dec_onnx_size);
	}
	snprintf(name, sizeof(name), "%s/prefill-%s.xpu", dir, prec);
	CHECK(model_load(g->dev, name, g->pre_onnx, g->pre_onnx_size, precision, &g->pre,
			 &compiled));
	snprintf(name, sizeof(name), "%s/decode-%s.xpu", dir, prec);
	CHECK(model_load(g->dev, name, g->dec_onnx, g->dec_onnx_size, precision, &g->dec,
			 &compiled));
	if (compiled)
		printf("# this device's array (%ux%u) is not the build's default: %s graphs compiled "
		       "from the .onnx files for it\n", g->props.array_rows, g->props.array_cols,
		       prec);
	CHECK(xpu_graph_get_info(g->dec, &gi));
	g->precision = gi.precision & XPU_GRAPH_F_PREC_MASK;

	/* the shapes come from the decode graph; the rest must agree */
	expect_io(g->dec, 1, "past_k", XPU_DT_F32, 4, NULL, &ti);
	g->L = ti.dims[0];
	g->H = ti.dims[1];
	g->ctx = ti.dims[2];
	g->D = ti.dims[3];
	g->cache_bytes = ti.size;
	expect_io(g->dec, 0, "logits", XPU_DT_F32, 2, NULL, &ti);
	g->V = ti.dims[1];
	if (g->V != 96 || g->ctx < 2 || g->ctx > 4096) {
		fprintf(stderr, "xpu-gpt: the model's vocabulary (%u) or context (%u) is not the example's\n",
			g->V, g->ctx);
		exit(1);
	}
	d[0] = g->L; d[1] = g->H; d[2] = g->ctx; d[3] = g->D;
	expect_io(g->dec, 1, "past_v", XPU_DT_F32, 4, d, NULL);
	expect_io(g->dec, 0, "present_k", XPU_DT_F32, 4, d, NULL);
	expect_io(g->dec, 0, "present_v", XPU_DT_F32, 4, d, NULL);
	expect_io(g->pre, 0, "present_k", XPU_DT_F32, 4, d, NULL);
	expect_io(g->pre, 0, "present_v", XPU_DT_F32, 4, d, NULL);
	d[0] = 1; d[1] = 1;
	expect_io(g->dec, 1, "token", XPU_DT_I64, 2, d, NULL);
	d[0] = 1;
	expect_io(g->dec, 1, "pos", XPU_DT_I64, 1, d, NULL);
	d[0] = 1; d[1] = g->ctx;
	expect_io(g->dec, 1, "mask", XPU_DT_F32, 2, d, NULL);
	expect_io(g->pre, 1, "ids", XPU_DT_I64, 2, d, NULL);
	d[0] = g->ctx; d[1] = 1;
	expect_io(g->dec, 1, "onehot", XPU_DT_F32, 2, d, NULL);
	d[0] = 1; d[1] = g->ctx; d[2] = g->V;
	expect_io(g->pre, 0, "logits", XPU_DT_F32, 3, d, NULL);

	for (int i = 0; i < 2; i++) {
		CHECK(xpu_buffer_alloc(g->dev, g->cache_bytes, XPU_MEM_DEVICE, &g->k[i]));
		CHECK(xpu_buffer_alloc(g->dev, g->cache_bytes, XPU_MEM_DEVICE, &g->v[i]));
	}
	/*
	 * Model MACs (the useful work): per layer the q/k/v/output projections
	 * (4 C^2) and the MLP (C x 4C and back: 8 C^2) per position, attention
	 * scores and weighted sum over the whole (masked) context; then the
	 * tied-embedding logits.
	 */
	C = (uint64_t)g->H * g->D;
	g->macs_prefill = g->L * (12 * g->ctx * C * C + 2ull * g->H * g->ctx * g->ctx * g->D) +
			  (uint64_t)g->ctx * C * g->V;
	g->macs_decode = g->L * (12 * C * C + 2ull * g->H * g->ctx * g->D) + C * g->V;
}

static void gpt_unload(struct gpt *g)
{
	for (int i = 0; i < 2; i++) {
		xpu_buffer_free(g->k[i]);
		xpu_buffer_free(g->v[i]);
	}
	xpu_graph_destroy(g->pre);
	xpu_graph_destroy(g->dec);
	g->pre = g->dec = NULL;
}

/* Run the graph on the stream between two events; returns modeled cycles. */
static uint64_t run_timed(struct gpt *g, xpu_graph *graph)
{
	uint64_t cycles = 0;

	CHECK(xpu_event_record(g->e0, g->s));
	CHECK(xpu_graph_run(graph, g->s));
	CHECK(xpu_event_record(g->e1, g->s));
	CHECK(xpu_event_synchronize(g->e1, XPU_WAIT_FOREVER));
	CHECK(xpu_event_elapsed(g->e0, g->e1, &cycles, NULL));
	return cycles;
}

static void prefill_inputs(const struct gpt *g, const int *tok, int len, int64_t *ids)
{
	for (uint32_t i = 0; i < g->ctx; i++)
		ids[i] = (int)i < len ? tok[i] : 0;
}

/* The padded prompt tok[0..len) -> logits [ctx][V]; cache pair 0 filled. */
static uint64_t gpt_prefill(struct gpt *g, const int *tok, int len, float *logits)
{
	int64_t ids[g->ctx];
	uint64_t cycles;

	prefill_inputs(g, tok, len, ids);
	CHECK(xpu_graph_set_input(g->pre, "ids", ids, sizeof(ids)));
	CHECK(xpu_graph_bind_output(g->pre, "present_k", g->k[0], 0));
	CHECK(xpu_graph_bind_output(g->pre, "present_v", g->v[0], 0));
	cycles = run_timed(g, g->pre);
	CHECK(xpu_graph_get_output(g->pre, "logits", logits, sizeof(float) * g->ctx * g->V));
	g->cur = 0;
	return cycles;
}

static void decode_inputs(const struct gpt *g, int pos, float *mask, float *onehot)
{
	for (uint32_t i = 0; i < g->ctx; i++) {
		mask[i] = (int)i <= pos ? 0.0f : -1e9f;
		onehot[i] = (int)i == pos ? 1.0f : 0.0f;
	}
}

/* Token tok at position pos -> logits [V]; the cache moves to the other pair. */
static uint64_t gpt_decode(struct gpt *g, int tok, int pos, float *logits)
{
	int64_t t = tok, p = pos;
	float mask[g->ctx], onehot[g->ctx];
	uint64_t cycles;

	decode_inputs(g, pos, mask, onehot);
	CHECK(xpu_graph_set_input(g->dec, "token", &t, sizeof(t)));
	CHECK(xpu_graph_set_input(g->dec, "pos", &p, sizeof(p)));
	CHECK(xpu_graph_set_input(g->dec, "mask", mask, sizeof(mask)));
	CHECK(xpu_graph_set_input(g->dec, "onehot", onehot, sizeof(onehot)));
	CHECK(xpu_graph_bind_input(g->dec, "past_k", g->k[g->cur], 0));
	CHECK(xpu_graph_bind_input(g->dec, "past_v", g->v[g->cur], 0));
	CHECK(xpu_graph_bind_output(g->dec, "present_k", g->k[!g->cur], 0));
	CHECK(xpu_graph_bind_output(g->dec, "present_v", g->v[!g->cur], 0));
	cycles = run_timed(g, g->dec);
	CHECK(xpu_graph_get_output(g->dec, "logits", logits, sizeof(float) * g->V));
	g->cur = !g->cur;
	return cycles;
}

/* ---- the CPU reference of the same numerics ----------------------------- */
static xpu_status ref_run(struct gpt *g, int decode, struct xpu_host_tensor *in, uint32_t nin,
			 struct xpu_host_tensor *out, uint32_t nout)
{
	struct xpu_model_options opt = { .size = sizeof(opt), .precision = g->precision };
	struct xpu_cc_target t;

	CHECK(xpu_cc_target_from_props(&g->props, &t));
	return xpu_model_reference_onnx(decode ? g->dec_onnx : g->pre_onnx,
					decode ? g->dec_onnx_size : g->pre_onnx_size, &t, &opt,
					in, nin, out, nout);
}

static void ref_prefill(struct gpt *g, const int *tok, int len, float *logits, float *k, float *v)
{
	int64_t ids[g->ctx];
	struct xpu_host_tensor in = { "ids", ids, sizeof(ids) };
	struct xpu_host_tensor out[3] = {
		{ "logits", logits, sizeof(float) * g->ctx * g->V },
		{ "present_k", k, g->cache_bytes }, { "present_v", v, g->cache_bytes },
	};

	prefill_inputs(g, tok, len, ids);
	CHECK(ref_run(g, 0, &in, 1, out, 3));
}

static void ref_decode(struct gpt *g, int tok, int pos, const float *pk, const float *pv,
		       float *logits, float *k, float *v)
{
	int64_t t = tok, p = pos;
	float mask[g->ctx], onehot[g->ctx];
	struct xpu_host_tensor in[6] = {
		{ "token", &t, sizeof(t) }, { "pos", &p, sizeof(p) },
		{ "mask", mask, sizeof(mask) }, { "onehot", onehot, sizeof(onehot) },
		{ "past_k", (void *)pk, g->cache_bytes }, { "past_v", (void *)pv, g->cache_bytes },
	};
	struct xpu_host_tensor out[3] = {
		{ "logits", logits, sizeof(float) * g->V },
		{ "present_k", k, g->cache_bytes }, { "present_v", v, g->cache_bytes },
	};

	decode_inputs(g, pos, mask, onehot);
	CHECK(ref_run(g, 1, in, 6, out, 3));
}

/* ---- generation ---------------------------------------------------------- */
static int encode_prompt(const struct gpt *g, const char *prompt, int *tok)
{
	int n = 0;

	for (const char *c = prompt; *c; c++) {
		int id = encode_char(*c);

		if (id < 0) {
			fprintf(stderr, "xpu-gpt: the prompt has a character outside the vocabulary "
				"(printable ASCII and newline): 0x%02x\n", (unsigned char)*c);
			exit(2);
		}
		if (n >= (int)g->ctx - 1) {
			fprintf(stderr, "xpu-gpt: the prompt is longer than %u characters\n",
				g->ctx - 1);
			exit(2);
		}
		tok[n++] = id;
	}
	if (!n) {
		fprintf(stderr, "xpu-gpt: empty prompt\n");
		exit(2);
	}
	return n;
}

static int generate(struct gpt *g, const char *prompt, int ntok)
{
	int tok[g->ctx], len = encode_prompt(g, prompt, tok), steps;
	float *logits = malloc(sizeof(float) * g->ctx * g->V);
	uint64_t pc, dc = 0;
	double t0, tp, td;
	double hz = g->props.clock_mhz * 1e6, cells = (double)g->props.array_rows * g->props.array_cols;

	if (ntok <= 0 || len + ntok > (int)g->ctx)
		ntok = g->ctx - len;
	t0 = now();
	pc = gpt_prefill(g, tok, len, logits);
	tok[len] = ex_argmax(logits + (size_t)(len - 1) * g->V, g->V);
	tp = now() - t0;
	t0 = now();
	for (int p = len; p < len + ntok - 1; p++) {
		dc += gpt_decode(g, tok[p], p, logits);
		tok[p + 1] = ex_argmax(logits, g->V);
	}
	td = now() - t0;
	steps = ntok - 1;

	printf("prompt: \"%s\", %d generated characters:\n  | ", prompt, ntok);
	for (int i = 0; i < len + ntok; i++) {
		putchar(decode_id(tok[i]));
		if (tok[i] == 0)
			printf("  | ");
	}
	printf("\n");
	printf("prefill: %d-token prompt padded to %u: %.2f ms wall, %llu modeled cycles "
	       "(%.1f us at %u MHz), array utilisation %.1f%%\n",
	       len, g->ctx, tp * 1e3, (unsigned long long)pc, pc / hz * 1e6,
	       g->props.clock_mhz, pc ? 100.0 * g->macs_prefill / (pc * cells) : 0.0);
	if (steps > 0 && dc)
		printf("decode:  %d tokens, one decode run each: %.1f tokens/s wall, "
		       "%.0f tokens/s modeled at %u MHz (%llu cycles/token), array utilisation %.2f%%\n",
		       steps, steps / td, steps * hz / dc, g->props.clock_mhz,
		       (unsigned long long)(dc / steps), 100.0 * g->macs_decode * steps / (dc * cells));
	free(logits);
	return 0;
}

/* ---- check mode ---------------------------------------------------------- */
static int tap_n;
static int failures;

static void tap(int ok, const char *name, const char *prec, const char *note)
{
	printf("%sok %d gpt.%s.%s%s%s\n", ok ? "" : "not ", ++tap_n, prec, name,
	       note && *note ? " # " : "", note ? note : "");
	if (!ok)
		failures++;
}

/* Device vs reference: the demo prompt, prefill then REF_STEPS decode steps. */
static void check_reference(struct gpt *g, const char *prec, const char *prompt)
{
	int tok[g->ctx], rtok[g->ctx], len = encode_prompt(g, prompt, tok);
	size_t lsize = sizeof(float) * g->ctx * g->V;
	float *dl = malloc(lsize), *rl = malloc(lsize);
	float *dk = malloc(g->cache_bytes), *dv = malloc(g->cache_bytes);
	float *rk[2] = { malloc(g->cache_bytes), malloc(g->cache_bytes) };
	float *rv[2] = { malloc(g->cache_bytes), malloc(g->cache_bytes) };
	int ok_pre, ok_dec = 1, steps = 0, rc = 0;
	char note[128];

	memcpy(rtok, tok, sizeof(int) * len);
	gpt_prefill(g, tok, len, dl);
	CHECK(xpu_buffer_read(g->k[0], 0, dk, g->cache_bytes));
	CHECK(xpu_buffer_read(g->v[0], 0, dv, g->cache_bytes));
	ref_prefill(g, rtok, len, rl, rk[0], rv[0]);
	ok_pre = !memcmp(dl, rl, lsize) && !memcmp(dk, rk[0], g->cache_bytes) &&
		 !memcmp(dv, rv[0], g->cache_bytes);
	tok[len] = ex_argmax(dl + (size_t)(len - 1) * g->V, g->V);
	rtok[len] = ex_argmax(rl + (size_t)(len - 1) * g->V, g->V);
	snprintf(note, sizeof(note), "logits [%u x %u] and KV cache of a %d-token prompt",
		 g->ctx, g->V, len);
	tap(ok_pre, "prefill_equals_cpu_reference", prec, note);

	for (int p = len; p < (int)g->ctx - 1 && steps < REF_STEPS; p++, steps++) {
		gpt_decode(g, tok[p], p, dl);
		ref_decode(g, rtok[p], p, rk[rc], rv[rc], rl, rk[!rc], rv[!rc]);
		rc = !rc;
		tok[p + 1] = ex_argmax(dl, g->V);
		rtok[p + 1] = ex_argmax(rl, g->V);
		if (memcmp(dl, rl, sizeof(float) * g->V) || tok[p + 1] != rtok[p + 1])
			ok_dec = 0;
	}
	CHECK(xpu_buffer_read(g->k[g->cur], 0, dk, g->cache_bytes));
	CHECK(xpu_buffer_read(g->v[g->cur], 0, dv, g->cache_bytes));
	if (memcmp(dk, rk[rc], g->cache_bytes) || memcmp(dv, rv[rc], g->cache_bytes))
		ok_dec = 0;
	snprintf(note, sizeof(note), "%d greedy decode steps: logits, tokens, KV cache", steps);
	tap(ok_dec, "decode_equals_cpu_reference", prec, note);
	free(dl);
	free(rl);
	free(dk);
	free(dv);
	for (int i = 0; i < 2; i++) {
		free(rk[i]);
		free(rv[i]);
	}
}

/* Top-1 agreement with PyTorch fp32 over every position of eval.bin. */
static double check_agreement(struct gpt *g, const struct gpt_eval_hdr *h, const char *prec,
			      double need)
{
	const int32_t *toks = (const int32_t *)(h + 1);
	const float *ref = (const float *)(toks + (size_t)h->windows * h->ctx);
	float *lg = malloc(sizeof(float) * g->ctx * g->V);
	int agree = 0, total = 0;
	double worst = 0;
	char note[160];

	for (uint32_t w = 0; w < h->windows; w++) {
		const int32_t *t = toks + (size_t)w * h->ctx;
		int tok[g->ctx];

		for (uint32_t i = 0; i < g->ctx; i++)
			tok[i] = t[i];
		gpt_prefill(g, tok, h->split, lg);
		for (uint32_t p = 0; p < h->ctx; p++) {
			const float *r = ref + ((size_t)w * h->ctx + p) * h->vocab;
			const float *d = lg + (p < h->split ? (size_t)p * g->V : 0);

			if (p >= h->split)
				gpt_decode(g, tok[p], p, lg);
			agree += ex_argmax(d, g->V) == ex_argmax(r, g->V);
			total++;
			for (uint32_t i = 0; i < g->V; i++)
				worst = fmax(worst, fabs((double)d[i] - r[i]));
		}
	}
	snprintf(note, sizeof(note),
		 "%d/%d held-out positions = %.2f%% (need %.0f%%), max |logit - torch| %.3g",
		 agree, total, 100.0 * agree / total, need, worst);
	tap(100.0 * agree >= need * total, "top1_agrees_with_pytorch_fp32", prec, note);
	free(lg);
	return 100.0 * agree / total;
}

int main(int argc, char **argv)
{
	static const char *const precs[] = { "bf16", "highest" };
	static const double need[] = { 99.0, 100.0 };
	const char *data = NULL, *prompt = DEFAULT_PROMPT, *prec = "bf16";
	int host = 0, check = 0, ntok = 0;
	struct xpu_host_config hc = { 0 };
	struct gpt g = { 0 };
	double rate[2];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host"))
			host = 1;
		else if (!strcmp(argv[i], "--check"))
			check = 1;
		else if (!strcmp(argv[i], "--array") && i + 1 < argc &&
			 sscanf(argv[i + 1], "%ux%u", &hc.rows, &hc.cols) == 2 && hc.rows && hc.cols)
			host = 1, i++;
		else if (!strcmp(argv[i], "--data") && i + 1 < argc)
			data = argv[++i];
		else if (!strcmp(argv[i], "--prompt") && i + 1 < argc)
			prompt = argv[++i];
		else if (!strcmp(argv[i], "--tokens") && i + 1 < argc)
			ntok = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--precision") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "bf16") || !strcmp(argv[i + 1], "highest")))
			prec = argv[++i];
		else {
			fprintf(stderr, "usage: xpu-gpt [--host | --array RxC] [--data DIR] [--precision bf16|highest]\n"
				"               [--prompt TEXT] [--tokens N] [--check]\n");
			return 2;
		}
	}
	data = ex_find_data(data, "gpt", "decode-bf16.xpu");
	if (host)
		CHECK(xpu_device_open_host(&hc, &g.dev));
	else
		CHECK(xpu_device_open(0, &g.dev));
	CHECK(xpu_device_get_props(g.dev, &g.props));
	CHECK(xpu_stream_create(g.dev, XPU_QUEUE_ANY, &g.s));
	CHECK(xpu_event_create(g.dev, &g.e0));
	CHECK(xpu_event_create(g.dev, &g.e1));

	if (!check) {
		struct xpu_graph_info pi, di;

		printf("xpu-gpt: %s device %s (%ux%u array, %u MHz)\n",
		       g.props.backend == XPU_BACKEND_HOST ? "host-backend" : "DRM", g.props.node,
		       g.props.array_rows, g.props.array_cols, g.props.clock_mhz);
		gpt_load(&g, data, prec);
		CHECK(xpu_graph_get_info(g.pre, &pi));
		CHECK(xpu_graph_get_info(g.dec, &di));
		printf("model: character-level GPT trained at build time on fortune cookies: %u layers, "
		       "d=%u, %u heads, context %u, vocabulary %u; %s matmuls\n",
		       g.L, g.H * g.D, g.H, g.ctx, g.V, prec);
		printf("graphs: prefill %u kernels, decode %u kernels, %.0f KiB of weights each\n",
		       pi.num_launches, di.num_launches, di.const_size / 1024.0);
		generate(&g, prompt, ntok);
		gpt_unload(&g);
	} else {
		size_t esize;
		struct gpt_eval_hdr *h = ex_read_data_or_exit(data, "eval.bin", &esize);

		printf("TAP version 13\n1..6\n");
		for (int i = 0; i < 2; i++) {
			gpt_load(&g, data, precs[i]);
			if (i == 0 && (esize < sizeof(*h) || h->magic != GPT_EVAL_MAGIC ||
				       h->ctx != g.ctx || h->vocab != g.V || h->split < 1 ||
				       h->split >= h->ctx || h->windows > 4096 ||
				       esize != sizeof(*h) + (size_t)h->windows * h->ctx *
							     (4 + 4 * (size_t)h->vocab))) {
				fprintf(stderr, "xpu-gpt: %s/eval.bin is not a valid evaluation set\n",
					data);
				return 1;
			}
			check_reference(&g, precs[i], prompt);
			rate[i] = check_agreement(&g, h, precs[i], need[i]);
			gpt_unload(&g);
		}
		printf("# next-token top-1 agreement with PyTorch fp32: bf16 %.2f%%, highest %.2f%%\n",
		       rate[0], rate[1]);
		free(h);
	}
	free(g.pre_onnx);
	free(g.dec_onnx);
	xpu_event_destroy(g.e0);
	xpu_event_destroy(g.e1);
	xpu_stream_destroy(g.s);
	xpu_device_close(g.dev);
	return failures ? 1 : 0;
}
