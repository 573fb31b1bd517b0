/* SPDX-License-Identifier: MIT */
/*
 * xpu-gpt-tp's CPU reference of Megatron's split: every stage graph (the
 * same ONNX the ranks run) interpreted by xpu_model_reference_onnx() with
 * the device's arithmetic, and every all-reduce summed on the CPU in the
 * ring algorithm's documented order (docs/collectives.md, "The reduction
 * order": an element of part c is x(c+1) + x(c+2) + ... + x(c+n), left to
 * right, ranks mod n, parts as collective_sched.c cuts them). The ranks'
 * logits and KV caches must equal it bit for bit: the all-reduce split is
 * deterministic and exactly what its documented order says, even though it
 * is not the single-device graph's order. Included by gpt-tp.c only.
 */
#ifndef XPU_EXAMPLES_GPT_TP_REF_H
#define XPU_EXAMPLES_GPT_TP_REF_H

#include <math.h>

struct tp_ref {
	float *x0, *sum, *logits;
	float *part[NR], *xres[NR];
	float *x1[MAXL][NR], *sum2[MAXL];
	float *k[2][MAXL][NR], *v[2][MAXL][NR];
};

static float *ref_alloc(size_t bytes)
{
	float *p = calloc(1, bytes);

	if (!p) {
		fprintf(stderr, EX_PROG ": out of memory for the CPU reference\n");
		exit(1);
	}
	return p;
}

static struct tp_ref *ref_new(const struct tp *t)
{
	struct tp_ref *rf = calloc(1, sizeof(*rf));
	size_t xb = t->m[MEGA_PREFILL].x_bytes;

	if (!rf)
		exit(1);
	rf->x0 = ref_alloc(xb);
	rf->sum = ref_alloc(xb);
	rf->logits = ref_alloc(sizeof(float) * t->ctx * t->V);
	for (int r = 0; r < NR; r++) {
		rf->part[r] = ref_alloc(xb);
		rf->xres[r] = ref_alloc(xb);
	}
	for (uint32_t l = 0; l < t->L; l++) {
		rf->sum2[l] = ref_alloc(xb);
		for (int r = 0; r < NR; r++) {
			rf->x1[l][r] = ref_alloc(xb);
			for (int i = 0; i < 2; i++) {
				rf->k[i][l][r] = ref_alloc(t->cache_bytes);
				rf->v[i][l][r] = ref_alloc(t->cache_bytes);
			}
		}
	}
	return rf;
}

static void ref_free(const struct tp *t, struct tp_ref *rf)
{
	free(rf->x0);
	free(rf->sum);
	free(rf->logits);
	for (int r = 0; r < NR; r++) {
		free(rf->part[r]);
		free(rf->xres[r]);
	}
	for (uint32_t l = 0; l < t->L; l++) {
		free(rf->sum2[l]);
		for (int r = 0; r < NR; r++) {
			free(rf->x1[l][r]);
			for (int i = 0; i < 2; i++) {
				free(rf->k[i][l][r]);
				free(rf->v[i][l][r]);
			}
		}
	}
	free(rf);
}

/* The all-reduce (sum, fp32, ring) of NR arrays of count floats. */
static void ref_ring_sum(float *const *x, float *out, size_t count)
{
	for (int c = 0; c < NR; c++) {
		size_t base = count / NR, rem = count % NR;
		size_t off = c * base + ((size_t)c < rem ? (size_t)c : rem);
		size_t len = base + ((size_t)c < rem ? 1 : 0);

		for (size_t e = off; e < off + len; e++) {
			float acc = x[(c + 1) % NR][e];

			for (int j = 2; j <= NR; j++)
				acc = acc + x[(c + j) % NR][e];
			if (isnan(acc)) {
				uint32_t qnan = 0x7fc00000u;

				memcpy(&acc, &qnan, sizeof(acc));
			}
			out[e] = acc;
		}
	}
}

static void ref_stage(const struct tp *t, const struct blob *b, struct xpu_host_tensor *in,
		      uint32_t nin, struct xpu_host_tensor *out, uint32_t nout)
{
	struct xpu_model_options opt = { .size = sizeof(opt), .precision = t->precision };
	struct xpu_cc_target tg;

	CHECK(xpu_cc_target_from_props(&t->props, &tg));
	CHECK(xpu_model_reference_onnx(b->p, b->n, &tg, &opt, in, nin, out, nout));
}

/*
 * One run of Megatron's split on the CPU: prefill (ids) or a decode step
 * (token at pos, caches read from pair cur, written to the other). The
 * logits land in rf->logits.
 */
static void ref_run(const struct tp *t, struct tp_ref *rf, int md, const int64_t *ids,
		    int64_t tok, int64_t pos, const float *mask, const float *onehot, int cur)
{
	const struct mode *m = &t->m[md];
	int dec = md == MEGA_DECODE, w = dec ? !cur : 0;
	size_t xb = m->x_bytes, cb = t->cache_bytes, count = xb / sizeof(float);
	struct xpu_host_tensor in[6], out[4];
	uint32_t n;

	if (dec) {
		in[0] = (struct xpu_host_tensor){ "token", &tok, sizeof(tok) };
		in[1] = (struct xpu_host_tensor){ "pos", &pos, sizeof(pos) };
		n = 2;
	} else {
		in[0] = (struct xpu_host_tensor){ "ids", (void *)ids, sizeof(*ids) * t->ctx };
		n = 1;
	}
	out[0] = (struct xpu_host_tensor){ "x", rf->x0, xb };
	ref_stage(t, &m->src_embed, in, n, out, 1);
	for (uint32_t l = 0; l < t->L; l++) {
		for (int r = 0; r < NR; r++) {
			if (l == 0) {
				in[0] = (struct xpu_host_tensor){ "x", rf->x0, xb };
				n = 1;
			} else {
				in[0] = (struct xpu_host_tensor){ "x1", rf->x1[l - 1][r], xb };
				in[1] = (struct xpu_host_tensor){ "s", rf->sum2[l - 1], xb };
				n = 2;
			}
			if (dec) {
				in[n++] = (struct xpu_host_tensor){ "past_k", rf->k[cur][l][r], cb };
				in[n++] = (struct xpu_host_tensor){ "past_v", rf->v[cur][l][r], cb };
				in[n++] = (struct xpu_host_tensor){ "mask", (void *)mask,
								    sizeof(float) * t->ctx };
				in[n++] = (struct xpu_host_tensor){ "onehot", (void *)onehot,
								    sizeof(float) * t->ctx };
			}
			out[0] = (struct xpu_host_tensor){ "part", rf->part[r], xb };
			out[1] = (struct xpu_host_tensor){ "xres", rf->xres[r], xb };
			out[2] = (struct xpu_host_tensor){ "present_k", rf->k[w][l][r], cb };
			out[3] = (struct xpu_host_tensor){ "present_v", rf->v[w][l][r], cb };
			ref_stage(t, &m->src_attn[l][r], in, n, out, 4);
		}
		ref_ring_sum(rf->part, rf->sum, count);
		for (int r = 0; r < NR; r++) {
			in[0] = (struct xpu_host_tensor){ "xres", rf->xres[r], xb };
			in[1] = (struct xpu_host_tensor){ "s", rf->sum, xb };
			out[0] = (struct xpu_host_tensor){ "x1", rf->x1[l][r], xb };
			out[1] = (struct xpu_host_tensor){ "part", rf->part[r], xb };
			ref_stage(t, &m->src_mlp[l][r], in, 2, out, 2);
		}
		ref_ring_sum(rf->part, rf->sum2[l], count);
	}
	in[0] = (struct xpu_host_tensor){ "x1", rf->x1[t->L - 1][0], xb };
	in[1] = (struct xpu_host_tensor){ "s", rf->sum2[t->L - 1], xb };
	out[0] = (struct xpu_host_tensor){ "logits", rf->logits,
					   sizeof(float) * (dec ? 1 : t->ctx) * t->V };
	ref_stage(t, &m->src_head, in, 2, out, 1);
}

/* The ranks' caches of pair cur against the reference's: 0 if identical. */
static int ref_caches_differ(struct tp *t, const struct tp_ref *rf, int cur)
{
	char *buf = malloc(t->cache_bytes);
	int bad = 0;

	if (!buf)
		exit(1);
	for (uint32_t l = 0; l < t->L; l++) {
		for (int r = 0; r < NR; r++) {
			CHECK(xpu_buffer_read(t->k[cur][l][r], 0, buf, t->cache_bytes));
			bad += memcmp(buf, rf->k[cur][l][r], t->cache_bytes) != 0;
			CHECK(xpu_buffer_read(t->v[cur][l][r], 0, buf, t->cache_bytes));
			bad += memcmp(buf, rf->v[cur][l][r], t->cache_bytes) != 0;
		}
	}
	free(buf);
	return bad;
}

#endif
