// SPDX-License-Identifier: MIT
/*
 * Kernel compiler: matrix multiply (int8 and bf16) and the shared tiled
 * GEMM generator conv2d reuses.
 *
 * The output is computed in mt x nt tiles, each accumulated over K in kt
 * steps: A and B tiles are DMA'd (2-D) into the scratchpad, MATMUL
 * accumulates into an accumulator tile, then the vector unit applies bias,
 * activation and the output conversion and a 2-D DMA writes the tile out.
 * Scratchpad and accumulator regions are double-buffered, so the DMA unit
 * loads the next tile while the MXU works on this one and the epilogue of
 * one tile overlaps the next tile's matmuls (the engine's scoreboard orders
 * them). Tile sizes come from a small search over multiples of the array
 * size with a cost model of the engine's timing (docs/isa.md section 7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_internal.h"

#define ALIGN(x) (((x) + 63) & ~63ull)

static void cands(uint64_t *v, int *n, uint64_t base, uint64_t lim)
{
	*n = 0;
	for (uint64_t x = base; x < lim && *n < 24; x *= 2)
		v[(*n)++] = x;
	v[(*n)++] = lim;
	for (uint64_t x = base / 2; x >= 1 && x < lim && *n < 40; x /= 2)
		v[(*n)++] = x;
}

static uint64_t mm_cycles(const struct xpu_cc_target *t, uint64_t m, uint64_t k, uint64_t n)
{
	if (!m || !k || !n)
		return 0;
	return cdiv(k, t->rows) * cdiv(n, t->cols) * (2ull * t->rows + t->cols + m - 2);
}

/* Sum of mm_cycles over all tiles of an (M, K, N) split by (mt, kt, nt). */
static uint64_t mxu_total(const struct xpu_cc_target *t, uint64_t M, uint64_t K, uint64_t N,
			  uint64_t mt, uint64_t kt, uint64_t nt)
{
	uint64_t ms[2] = { mt, M % mt }, mc[2] = { M / mt, M % mt != 0 };
	uint64_t ks[2] = { kt, K % kt }, kc[2] = { K / kt, K % kt != 0 };
	uint64_t ns[2] = { nt, N % nt }, nc[2] = { N / nt, N % nt != 0 };
	uint64_t sum = 0;

	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			for (int c = 0; c < 2; c++)
				sum += mc[a] * kc[b] * nc[c] * mm_cycles(t, ms[a], ks[b], ns[c]);
	return sum;
}

int gemm_plan(const struct xpu_cc_target *t, struct gemm *g)
{
	uint64_t cn[48], ck[48], best = UINT64_MAX;
	int nn, nk;
	const uint64_t M = g->M, K = g->K, N = g->N, esz = g->esz;

	cands(cn, &nn, t->cols, N);
	if (g->full_k) {
		ck[0] = K;
		nk = 1;
	} else {
		cands(ck, &nk, t->rows, K);
	}
	for (int i = 0; i < nn; i++) {
		for (int j = 0; j < nk; j++) {
			uint64_t nt = cn[i], kt = ck[j], fixed, per_row, mt, mt_a, tm, tn, tk;
			uint64_t mxu, dma, vpu, cost, extra = g->a_extra;
			uint64_t a_step, a_mtile, b_step, out;

			fixed = 2 * ALIGN(kt * nt * esz) + (g->has_bias ? 2 * ALIGN(nt * 4) : 0) + 64 * 8;
			per_row = 2 * (kt * esz + nt * g->stage_osz) + (extra ? 2 * extra : 0);
			if (fixed >= t->spad_size)
				continue;
			mt = (t->spad_size - fixed) / per_row;
			mt_a = t->acc_size / (2 * nt * 4);
			mt = min64(min64(mt, mt_a), M);
			if (g->m_align && mt > g->m_align)
				mt -= mt % g->m_align;	/* whole output rows (conv) */
			if (!mt)
				continue;
			tm = cdiv(M, mt);
			mt = cdiv(M, tm);		/* balance the tiles */
			if (g->m_align && mt % g->m_align && mt > g->m_align)
				mt += g->m_align - mt % g->m_align;
			tm = cdiv(M, mt);
			tn = cdiv(N, nt);
			tk = cdiv(K, kt);
			mxu = mxu_total(t, M, K, N, mt, kt, nt);
			/* the DMA unit is in order: every op pays the latency */
			a_step = tk > 1 ? g->a_dma_ops * 500 + mt * kt * esz / 1600 : 0;
			a_mtile = tk == 1 ? g->a_dma_ops * 500 + mt * K * esz / 1600 : 0;
			b_step = 500 + kt * nt * esz / 1600;
			out = 500 + mt * nt * 4 / 1600 + (g->has_bias ? 500 : 0);
			dma = tm * tn * (tk * (a_step + b_step) + out) + tm * a_mtile;
			vpu = tm * tn * 3 * 8 + 3 * M * N / t->cols;
			cost = mxu > dma ? mxu : dma;
			cost = cost > vpu ? cost : vpu;
			/* pipeline fill and drain, and a share of the DMA time for the
			 * stalls in-order DMA causes when it is nearly saturated */
			cost += (tk == 1 ? a_mtile : a_step) + b_step + out + dma / 4;
			if (tm * tn * tk > 1u << 16)
				cost += tm * tn * tk * 64;	/* code size */
			if (cost < best) {
				best = cost;
				g->mt = mt;
				g->kt = kt;
				g->nt = nt;
			}
		}
	}
	if (best == UINT64_MAX)
		return -1;
	if (getenv("XPU_CC_DEBUG"))
		fprintf(stderr, "xpu-cc: gemm %llux%llux%llu on %ux%u: tiles %llu x %llu x %llu, "
			"estimated %llu cycles\n", (unsigned long long)M, (unsigned long long)K,
			(unsigned long long)N, t->rows, t->cols, (unsigned long long)g->mt,
			(unsigned long long)g->kt, (unsigned long long)g->nt, (unsigned long long)best);
	/* scratchpad layout: A0 A1 B0 B1 BIAS0 BIAS1 OUT0 OUT1 EXTRA0 EXTRA1 */
	g->a_la[0] = 0;
	g->a_la[1] = ALIGN(g->mt * g->kt * esz);
	g->b_la[0] = g->a_la[1] + ALIGN(g->mt * g->kt * esz);
	g->b_la[1] = g->b_la[0] + ALIGN(g->kt * g->nt * esz);
	g->bias_la[0] = g->b_la[1] + ALIGN(g->kt * g->nt * esz);
	g->bias_la[1] = g->bias_la[0] + (g->has_bias ? ALIGN(g->nt * 4) : 0);
	g->out_la[0] = g->bias_la[1] + (g->has_bias ? ALIGN(g->nt * 4) : 0);
	g->out_la[1] = g->out_la[0] + ALIGN(g->mt * g->nt * g->stage_osz);
	g->extra_la[0] = g->out_la[1] + ALIGN(g->mt * g->nt * g->stage_osz);
	g->extra_la[1] = g->extra_la[0] + ALIGN(g->mt * g->a_extra);
	g->spad_end = g->extra_la[1] + ALIGN(g->mt * g->a_extra);
	g->c_la[0] = XPU_LA_ACC;
	g->c_la[1] = XPU_LA_ACC + g->mt * g->nt * 4;
	g->acc_end = 2 * g->mt * g->nt * 4;
	return g->spad_end <= t->spad_size && g->acc_end <= t->acc_size ? 0 : -1;
}

static void la_reg(struct kb *k, uint32_t r, uint64_t la)
{
	kb_li(k, r, la);
}

/* bias, activation, conversion and store of one mt x nt accumulator tile */
static void epilogue(struct kb *k, const struct gemm *g, int slot, uint64_t m0, uint64_t mi,
		     uint64_t n0, uint64_t ni)
{
	uint32_t vt = g->acc_f32 ? XPU_VT_F32 : XPU_VT_I32;
	uint64_t c = g->c_la[slot];

	if (g->has_bias || g->act || g->out_type == XPU_DT_I8 || g->out_type == XPU_DT_BF16)
		kb_vcfg(k, mi, ni);
	la_reg(k, 3, c);
	if (g->has_bias) {
		la_reg(k, 4, g->bias_la[slot]);
		kb_emit(k, xpu_vbin(XPU_VBIN_ADD, vt | XPU_VB_ROW, 3, 3, 4));
	}
	if (g->act == XPU_ACT_RELU)
		kb_emit(k, xpu_vun(XPU_VUN_RELU, vt, 3, 3));
	else if (g->act == XPU_ACT_GELU)
		kb_emit(k, xpu_vun(XPU_VUN_GELU, XPU_VT_F32, 3, 3));
	if (g->out_type == XPU_DT_I8) {
		la_reg(k, 4, g->out_la[slot]);
		kb_emit(k, xpu_vqnt(vt, 4, 3, R_SCALE, g->zero_point));
		c = g->out_la[slot];
	} else if (g->out_type == XPU_DT_BF16) {
		la_reg(k, 4, g->out_la[slot]);
		kb_emit(k, xpu_vcvt(XPU_CVT_F32_BF16, 4, 3));
		c = g->out_la[slot];
	}
	kb_dma(k, XPU_DMA_LA_TO_VA, g->r_c, (m0 * g->N + n0) * g->osz, 0, c, mi, ni * g->osz,
	       ni * g->osz, g->N * g->osz);
}

/* A tile of a plain matmul: rows m0.., columns k0.. of the M x K matrix */
static void load_a_dense(struct kb *k, const struct gemm *g, uint64_t m0, uint64_t mi, uint64_t k0,
			 uint64_t ki, uint64_t la, int slot)
{
	(void)slot;
	kb_dma(k, XPU_DMA_VA_TO_LA, 0, la, g->r_a, (m0 * g->K + k0) * g->esz, mi, ki * g->esz,
	       g->K * g->esz, ki * g->esz);
}

void gemm_emit(struct kb *k, const struct gemm *g)
{
	uint64_t M = g->M, K = g->K, N = g->N, esz = g->esz;
	uint32_t mmf = g->acc_f32 ? XPU_MM_BF16 : XPU_MM_INT8;
	int aslot = 0, bslot = 0, cslot = 0, pending = 0;
	uint64_t tk = cdiv(K, g->kt), pm0 = 0, pmi = 0, pn0 = 0, pni = 0;
	int pslot = 0;

	if (g->out_type == XPU_DT_I8)
		kb_li(k, R_SCALE, f32_bits(g->scale));
	kb_emit(k, xpu_mcfg(XPU_MCFG_STRIDE, 0, 0, 0));	/* dense tiles */
	for (uint64_t m0 = 0; m0 < M; m0 += g->mt) {
		uint64_t mi = min64(g->mt, M - m0);

		if (tk == 1)
			g->load_a(k, g, m0, mi, 0, K, g->a_la[aslot], aslot);
		for (uint64_t n0 = 0; n0 < N; n0 += g->nt) {
			uint64_t ni = min64(g->nt, N - n0);

			if (g->has_bias)
				kb_dma(k, XPU_DMA_VA_TO_LA, 0, g->bias_la[cslot], g->r_bias, n0 * 4, 1,
				       ni * 4, 0, 0);
			for (uint64_t k0 = 0; k0 < K; k0 += g->kt) {
				uint64_t ki = min64(g->kt, K - k0);

				if (tk > 1)
					g->load_a(k, g, m0, mi, k0, ki, g->a_la[aslot], aslot);
				kb_dma(k, XPU_DMA_VA_TO_LA, 0, g->b_la[bslot], g->r_b,
				       (k0 * N + n0) * esz, ki, ni * esz, N * esz, ni * esz);
				/*
				 * The previous tile's epilogue goes after this tile's first
				 * loads: the DMA unit is in order, so its store (which waits
				 * for the last matmul) must not hold up the loads that keep
				 * the MXU busy.
				 */
				if (pending) {
					epilogue(k, g, pslot, pm0, pmi, pn0, pni);
					pending = 0;
				}
				kb_li(k, 5, mi);
				kb_li(k, 6, ki);
				kb_li(k, 7, ni);
				kb_emit(k, xpu_mcfg(XPU_MCFG_SHAPE, 5, 6, 7));
				la_reg(k, 3, g->c_la[cslot]);
				la_reg(k, 4, g->a_la[aslot]);
				la_reg(k, 9, g->b_la[bslot]);
				kb_emit(k, xpu_matmul(mmf | (k0 ? XPU_MM_ACC : 0), 3, 4, 9));
				bslot ^= 1;
				if (tk > 1)
					aslot ^= 1;
			}
			pending = 1;
			pslot = cslot;
			pm0 = m0;
			pmi = mi;
			pn0 = n0;
			pni = ni;
			cslot ^= 1;
		}
		if (tk == 1)
			aslot ^= 1;
	}
	if (pending)
		epilogue(k, g, pslot, pm0, pmi, pn0, pni);
	kb_use(k, g->spad_end, g->acc_end);
}

XPU_EXPORT xpu_status xpu_cc_matmul(xpu_cc *cc, const char *name, const struct xpu_cc_matmul *d)
{
	struct gemm g;
	struct kb k;
	xpu_status st = cc_check_name(cc, name);

	if (st)
		return st;
	if (!d)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "desc is NULL");
	if (!d->m || !d->k || !d->n || d->m > (1u << 24) || d->k > (1u << 24) || d->n > (1u << 24))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "matmul '%s': shape %ux%ux%u (each 1..2^24)", name, d->m, d->k, d->n);
	memset(&g, 0, sizeof(g));
	if (d->in_type == XPU_DT_I8) {
		if (d->out_type != XPU_DT_I32 && d->out_type != XPU_DT_I8)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					     "matmul '%s': int8 inputs give I32 or I8 outputs", name);
		if (d->act == XPU_ACT_GELU)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					     "matmul '%s': GELU needs fp32 (use bf16 inputs)", name);
		g.esz = 1;
	} else if (d->in_type == XPU_DT_BF16) {
		if (d->out_type != XPU_DT_F32 && d->out_type != XPU_DT_BF16)
			return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
					     "matmul '%s': bf16 inputs give F32 or BF16 outputs", name);
		g.esz = 2;
		g.acc_f32 = 1;
	} else {
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "matmul '%s': inputs are I8 or BF16", name);
	}
	if (d->act > XPU_ACT_GELU)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "matmul '%s': bad activation %u",
				     name, d->act);
	g.M = d->m;
	g.K = d->k;
	g.N = d->n;
	g.out_type = d->out_type;
	g.osz = d->out_type == XPU_DT_I8 ? 1 : d->out_type == XPU_DT_BF16 ? 2 : 4;
	g.stage_osz = d->out_type == XPU_DT_I8 || d->out_type == XPU_DT_BF16 ? g.osz : 0;
	g.has_bias = d->has_bias;
	g.act = d->act;
	g.scale = d->scale;
	g.zero_point = d->zero_point;
	g.a_dma_ops = 1;
	g.load_a = load_a_dense;
	if (gemm_plan(&cc->t, &g))
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "matmul '%s': no tiling fits %u bytes of scratchpad and %u of "
				     "accumulator", name, cc->t.spad_size, cc->t.acc_size);
	kb_init(&k);
	g.r_a = kb_arg(&k, "a", XPU_ARG_BUFFER);
	g.r_b = kb_arg(&k, "b", XPU_ARG_BUFFER);
	g.r_c = kb_arg(&k, "c", XPU_ARG_BUFFER);
	if (d->has_bias)
		g.r_bias = kb_arg(&k, "bias", XPU_ARG_BUFFER);
	kb_load_args(&k);
	gemm_emit(&k, &g);
	return xpu_ok(kb_finish(cc, &k, name));
}
