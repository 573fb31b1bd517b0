// SPDX-License-Identifier: MIT
/*
 * Kernel compiler: matrix multiply (int8 and bf16) and the shared tiled
 * GEMM generator conv2d reuses. GEMMs with a dense A (xpu_cc_matmul,
 * xcc_gemm) are planned and emitted by the pipelined schedule of
 * gemm_pipe.c; the tiled loop below is conv2d's, and the fallback.
 *
 * The output is computed in mt x nt tiles, each accumulated over K in kt
 * steps: A and B tiles are DMA'd (2-D) into the scratchpad, MATMUL
 * accumulates into an accumulator tile, then the vector unit applies bias,
 * activation and the output conversion and a 2-D DMA writes the tile out.
 * Scratchpad and accumulator regions are double-buffered, so the DMA unit
 * loads the next tile while the MXU works on this one and the epilogue of
 * one tile overlaps the next tile's matmuls (the engine's scoreboard orders
 * them). Tile sizes come from a small search over multiples of the array
 * size, ranked by a cost model built on the engine's own timing functions
 * (xpu_timing_*(), qemu-device/engine/timing.c; docs/isa.md section 7): the
 * per-unit busy times are the engine's, and the way they are combined into a
 * job time (the unit that ends last, with pipeline fill and drain, plus a
 * DMA/MXU interference share) is the planner's approximation of the engine's
 * scoreboard, which it does not run.
 * Element sizes and ISA type codes come from the data-type table
 * (uapi/xpu_dtype.h).
 *
 * The model compiler's xcc_gemm (cc_graph.h) reuses the same tiled loop for
 * a batch of products at per-batch operand offsets (attention's batched
 * matmuls, conv as W x col per image), with the bias per column or per row
 * and one more vector-unit activation in the epilogue. Across K tiles the
 * MXU keeps accumulating into the same fp32 accumulator in ascending k, so
 * a result never depends on the tiling.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_internal.h"
#include "cc_graph.h"

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

uint64_t gemm_mxu_total(const struct xpu_engine_config *t, uint64_t M, uint64_t K, uint64_t N,
			uint64_t mt, uint64_t kt, uint64_t nt)
{
	uint64_t ms[2] = { mt, M % mt }, mc[2] = { M / mt, M % mt != 0 };
	uint64_t ks[2] = { kt, K % kt }, kc[2] = { K / kt, K % kt != 0 };
	uint64_t ns[2] = { nt, N % nt }, nc[2] = { N / nt, N % nt != 0 };
	uint64_t sum = 0;

	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			for (int c = 0; c < 2; c++)
				sum += mc[a] * kc[b] * nc[c] *
				       xpu_timing_matmul_cycles(t->rows, t->cols, ms[a], ks[b], ns[c]);
	return sum;
}

/* The engine's vector-unit cycles of nops ops on every mt x nt output tile. */
static uint64_t vpu_total(const struct xpu_engine_config *t, uint64_t M, uint64_t N,
			  uint64_t mt, uint64_t nt, uint64_t nops)
{
	uint64_t ms[2] = { mt, M % mt }, mc[2] = { M / mt, M % mt != 0 };
	uint64_t ns[2] = { nt, N % nt }, nc[2] = { N / nt, N % nt != 0 };
	uint64_t sum = 0;

	for (int a = 0; a < 2; a++)
		for (int c = 0; c < 2; c++)
			if (ms[a] && ns[c])
				sum += mc[a] * nc[c] * xpu_timing_vector_cycles(t, ms[a] * ns[c]);
	return sum * nops;
}

/* one DMA of bytes from device memory */
static uint64_t dma1(const struct xpu_engine_config *t, uint64_t bytes)
{
	return xpu_timing_dma_cycles(t, bytes, 0);
}

/*
 * DMA and vector cycles of loading one mi x ki A tile: the tile's loads are
 * generated (by g->load_a, as gemm_emit will) into a scratch builder that
 * only counts, so loaders that issue many DMAs (conv2d's im2col: one per
 * output row, kernel row and edge column) are costed exactly, for the first
 * tile of the matrix.
 */
static void a_tile_cost(const xpu_cc *cc, const struct gemm *g, uint64_t mi, uint64_t ki,
			uint64_t *dma, uint64_t *vpu)
{
	struct kb k;

	kb_init(&k);
	kb_account(&k, cc);
	g->load_a(&k, g, 0, mi, 0, ki, 0, 0);
	kb_free(&k);
	*dma = k.est.dma_busy;
	*vpu = k.est.vpu_busy;
}

int gemm_plan(const xpu_cc *cc, struct gemm *g)
{
	const struct xpu_cc_target *t = &cc->t;
	const struct xpu_engine_config *tc = &cc->tc;
	uint64_t cn[48], ck[48], best = UINT64_MAX;
	int nn, nk;
	const uint64_t M = g->M, K = g->K, N = g->N, esz = g->esz;
	/* epilogue vector ops per output tile, as epilogue() emits them */
	const uint64_t nvec = !!g->has_bias + !!g->act + !!g->epi_vun + !!g->stage_osz;

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
			uint64_t a_step = 0, a_mtile = 0, a_vpu, b_step, bias, out, fill, drain, store;

			fixed = 2 * ALIGN(kt * nt * esz) + 64 * 8 +
				(g->has_bias ? 2 * (g->bias_col ? 64 : ALIGN(nt * 4)) : 0);
			per_row = 2 * (kt * esz + nt * g->stage_osz) + (extra ? 2 * extra : 0) +
				  (g->has_bias && g->bias_col ? 2 * 4 : 0);
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
			mxu = gemm_mxu_total(tc, M, K, N, mt, kt, nt);
			/* the DMA unit is in order: every op pays the latency */
			if (tk > 1)
				a_tile_cost(cc, g, mt, kt, &a_step, &a_vpu);
			else
				a_tile_cost(cc, g, mt, K, &a_mtile, &a_vpu);
			b_step = dma1(tc, kt * nt * esz);
			bias = g->has_bias ? dma1(tc, (g->bias_col ? mt : nt) * 4) : 0;
			out = dma1(tc, mt * nt * g->osz) + bias;
			dma = tm * tn * (tk * (a_step + b_step) + out) + tm * a_mtile;
			vpu = vpu_total(tc, M, N, mt, nt, nvec) + a_vpu * (tk > 1 ? tm * tn * tk : tm);
			/*
			 * The units overlap; the job ends when the last of them does.
			 * The DMA unit starts at once and ends with the last store;
			 * the MXU waits for the first tile's loads (fill) and is
			 * followed by the last tile's epilogue and store (drain); the
			 * vector unit waits for the fill and is followed by the store.
			 * With more than one tile, in-order DMA and the MXU hold each
			 * other up: a quarter of the smaller of the two.
			 */
			fill = (tk == 1 ? a_mtile : a_step) + b_step + bias;
			store = dma1(tc, mt * nt * g->osz);
			drain = store + vpu_total(tc, mt, nt, mt, nt, nvec);
			cost = max64(dma, max64(fill + mxu + drain, fill + vpu + store));
			if (tm * tn * tk > 1)
				cost += min64(dma, mxu) / 4;
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
	g->est_cycles = best;
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
	g->bias_la[1] = g->bias_la[0] +
			(g->has_bias ? ALIGN((g->bias_col ? g->mt : g->nt) * 4) : 0);
	g->out_la[0] = g->bias_la[1] +
		       (g->has_bias ? ALIGN((g->bias_col ? g->mt : g->nt) * 4) : 0);
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
	struct gemm_x x = { k, NULL, k->tc, g };

	gemm_epi_rows(&x, g->c_base, g->c_la[slot], g->out_la[slot], g->bias_la[slot], 0, mi, m0, n0,
		 ni);
}

/* A tile of a plain matmul: rows m0.., columns k0.. of the M x K matrix */
static void load_a_dense(struct kb *k, const struct gemm *g, uint64_t m0, uint64_t mi, uint64_t k0,
			 uint64_t ki, uint64_t la, int slot)
{
	(void)slot;
	kb_dma(k, XPU_DMA_VA_TO_LA, 0, la, g->r_a, g->a_base + (m0 * g->K + k0) * g->esz, mi,
	       ki * g->esz,
	       g->K * g->esz, ki * g->esz);
}

static void gemm_emit_one(struct kb *k, const struct gemm *g)
{
	uint64_t M = g->M, K = g->K, N = g->N, esz = g->esz;
	uint32_t mmf = g->mm_type;
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

			if (g->has_bias && g->bias_col)
				kb_dma(k, XPU_DMA_VA_TO_LA, 0, g->bias_la[cslot], g->r_bias,
				       g->bias_base + m0 * 4, 1,
				       mi * 4, 0, 0);
			else if (g->has_bias)
				kb_dma(k, XPU_DMA_VA_TO_LA, 0, g->bias_la[cslot], g->r_bias,
				       g->bias_base + n0 * 4, 1,
				       ni * 4, 0, 0);
			for (uint64_t k0 = 0; k0 < K; k0 += g->kt) {
				uint64_t ki = min64(g->kt, K - k0);

				if (tk > 1)
					g->load_a(k, g, m0, mi, k0, ki, g->a_la[aslot], aslot);
				kb_dma(k, XPU_DMA_VA_TO_LA, 0, g->b_la[bslot], g->r_b,
				       g->b_base + (k0 * N + n0) * esz, ki, ni * esz, N * esz, ni * esz);
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
				kb_matmul(k, mmf | (k0 ? XPU_MM_ACC : 0), 3, 4, 9, mi, ki, ni);
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

/* every batch in turn, each a whole tiled GEMM at its operands' offsets */
void gemm_emit(struct kb *k, const struct gemm *g)
{
	uint64_t nb = g->nbatch ? g->nbatch : 1;

	if (g->pipe) {
		gemm_emit_pipe(k, g);
		return;
	}
	for (uint64_t b = 0; b < nb; b++) {
		struct gemm gb = *g;

		gb.a_base = g->a_boff ? g->a_boff[b] : 0;
		gb.b_base = g->b_boff ? g->b_boff[b] : 0;
		gb.c_base = g->c_boff ? g->c_boff[b] : 0;
		gb.bias_base = g->bias_boff ? g->bias_boff[b] : 0;
		gemm_emit_one(k, &gb);
	}
}

int gemm_types(struct gemm *g, uint32_t in_type, uint32_t out_type, uint32_t act,
	       const char *name, const char *what)
{
	const struct xpu_dtype_desc *in = cc_dtype(in_type), *out = cc_dtype(out_type), *acc;

	memset(g, 0, sizeof(*g));
	if (!in || in->mm < 0) {
		xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "%s '%s': input type %u (%s) is not a matrix "
			      "unit type (I8 or BF16)", what, name, in_type,
			      in ? in->name : "invalid");
		return -1;
	}
	acc = cc_dtype(in->acc);
	/* raw accumulator, or converted to the input type (int8: requantised) */
	if (out_type != in->acc && out_type != in_type) {
		xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "%s '%s': %s inputs give %s or %s outputs, "
			      "not %s", what, name, in->name, acc->name, in->name,
			      out ? out->name : "an invalid type");
		return -1;
	}
	if (act == XPU_ACT_GELU && acc->vt != XPU_VT_F32) {
		xpu_set_error(XPU_ERROR_NOT_SUPPORTED, "%s '%s': GELU needs fp32 accumulation "
			      "(bf16 inputs), not %s", what, name, acc->name);
		return -1;
	}
	g->esz = in->bytes;
	g->mm_type = (uint32_t)in->mm;
	g->acc_vt = (uint32_t)acc->vt;
	g->out_type = out_type;
	g->osz = out->bytes;
	g->stage_osz = out_type != in->acc ? out->bytes : 0;	/* converted in the scratchpad */
	return 0;
}

static const char *const gemm_args[3] = { "a", "b", "c" };

xpu_status gemm_build(xpu_cc *cc, const char *name, struct gemm *g, const char *const args[3],
		      uint32_t *r_a, uint64_t est_cycles)
{
	struct kb k;

	kb_init(&k);
	kb_account(&k, cc);
	k.est.cycles = est_cycles;
	*r_a = kb_arg(&k, args[0], XPU_ARG_BUFFER);
	g->r_b = kb_arg(&k, args[1], XPU_ARG_BUFFER);
	g->r_c = kb_arg(&k, args[2], XPU_ARG_BUFFER);
	if (g->has_bias)
		g->r_bias = kb_arg(&k, "bias", XPU_ARG_BUFFER);
	kb_load_args(&k);
	gemm_emit(&k, g);
	return xpu_ok(kb_finish(cc, &k, name));
}

/* The kernel of nbatch products m x k x n with A dense in memory, tiled to
 * fit the target ("what 'name'" names the kernel in the error). */
static xpu_status dense_gemm(xpu_cc *cc, struct gemm *g, uint64_t m, uint64_t k, uint64_t n,
			     uint64_t nbatch, const char *what, const char *name)
{
	g->M = m;
	g->K = k;
	g->N = n;
	g->load_a = load_a_dense;
	if (gemm_plan_pipe(cc, g) && gemm_plan(cc, g))
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "%s '%s': no tiling fits %u bytes of scratchpad and %u of "
				     "accumulator", what, name, cc->t.spad_size, cc->t.acc_size);
	return gemm_build(cc, name, g, gemm_args, &g->r_a, g->est_cycles * nbatch);
}

XPU_EXPORT xpu_status xpu_cc_matmul(xpu_cc *cc, const char *name, const struct xpu_cc_matmul *d)
{
	struct gemm g;
	xpu_status st = cc_check_name(cc, name);

	if (st)
		return st;
	if (!d)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "desc is NULL");
	if (!d->m || !d->k || !d->n || d->m > (1u << 24) || d->k > (1u << 24) || d->n > (1u << 24))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "matmul '%s': shape %ux%ux%u (each 1..2^24)", name, d->m, d->k, d->n);
	if (gemm_types(&g, d->in_type, d->out_type, d->act, name, "matmul"))
		return XPU_ERROR_NOT_SUPPORTED;
	/* a zero or non-finite requantisation scale silently gives 0 or 127s */
	if (d->out_type == XPU_DT_I8 && (!isfinite(d->scale) || d->scale == 0.0f))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "matmul '%s': scale = %g (int8 output needs a finite, "
				     "non-zero scale)", name, (double)d->scale);
	if (d->act > XPU_ACT_GELU)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "matmul '%s': bad activation %u",
				     name, d->act);
	g.has_bias = d->has_bias;
	g.act = d->act;
	g.scale = d->scale;
	g.zero_point = d->zero_point;
	st = dense_gemm(cc, &g, d->m, d->k, d->n, 1, "matmul", name);
	if (!st) {
		/* the extents the kernel touches, checked by xpu_launch: dense
		 * A (m x k), B (k x n), C (m x n), bias (n 32-bit values) */
		struct xpu_image_arg *a = cc->img.kernels[cc->img.num_kernels - 1].args;

		a[0].min_size = (uint64_t)d->m * d->k * cc_dtype(d->in_type)->bytes;
		a[1].min_size = (uint64_t)d->k * d->n * cc_dtype(d->in_type)->bytes;
		a[2].min_size = (uint64_t)d->m * d->n * cc_dtype(d->out_type)->bytes;
		if (d->has_bias)
			a[3].min_size = (uint64_t)d->n * 4;
	}
	return st;
}

/*
 * The model compiler's GEMM (cc_graph.h): nbatch products C_b = A_b x B_b
 * (each m x k x n, dense) at per-batch offsets, bias per column or per row,
 * one activation of the vector unit in the epilogue.
 */
xpu_status xcc_gemm(xpu_cc *cc, const char *name, const struct xcc_gemm *d)
{
	struct gemm g;
	xpu_status st = cc_check_name(cc, name);

	if (st)
		return st;
	if (!d->m || !d->k || !d->n || d->m > (1u << 24) || d->k > (1u << 24) ||
	    d->n > (1u << 24) || !d->nbatch || d->nbatch > (1u << 20))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "gemm '%s': shape %llu x %llux%llux%llu", name,
				     (unsigned long long)d->nbatch, (unsigned long long)d->m,
				     (unsigned long long)d->k, (unsigned long long)d->n);
	if (gemm_types(&g, d->in_type, d->out_type, XPU_ACT_NONE, name, "gemm"))
		return XPU_ERROR_NOT_SUPPORTED;
	g.has_bias = !!d->has_bias;
	g.bias_col = !!d->bias_col;
	g.epi_vun = d->act_vun >= 0 ? d->act_vun + 1 : 0;
	g.nbatch = d->nbatch;
	g.a_boff = d->a_off;
	g.b_boff = d->b_off;
	g.c_boff = d->c_off;
	g.bias_boff = d->bias_off;
	g.scale = d->scale;
	g.zero_point = d->zero_point;
	st = dense_gemm(cc, &g, d->m, d->k, d->n, d->nbatch, "gemm", name);
	if (!st) {
		/* extents (checked by xpu_launch): the furthest product's dense
		 * A, B, C and bias past its offset */
		struct xpu_image_arg *a = cc->img.kernels[cc->img.num_kernels - 1].args;
		const uint64_t *off[4] = { d->a_off, d->b_off, d->c_off, d->bias_off };
		uint64_t ext[4] = { d->m * d->k * g.esz, d->k * d->n * g.esz,
				    d->m * d->n * cc_dtype(d->out_type)->bytes,
				    (d->bias_col ? d->m : d->n) * 4 };

		for (int i = 0; i < (d->has_bias ? 4 : 3); i++) {
			uint64_t o = 0;

			for (uint64_t b = 0; off[i] && b < d->nbatch; b++)
				o = max64(o, off[i][b]);
			a[i].min_size = o + ext[i];
		}
	}
	return st;
}
