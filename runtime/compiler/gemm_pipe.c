// SPDX-License-Identifier: MIT
/*
 * Kernel compiler: the pipelined schedule of dense GEMMs (xpu_cc_matmul and
 * the model compiler's xcc_gemm; conv2d keeps matmul.c's tiled loop), and
 * the GEMM epilogue both use.
 *
 * The planner does not estimate: it emits every candidate tiling into a
 * scratch builder and replays it on the documented timing model (docs/isa.md
 * section 7) with the engine's own unit durations (xpu_timing_*(),
 * qemu-device/engine/timing.c), then keeps the fastest. The replay is exact
 * for buffers in device memory (the engine's cycles to within the argument
 * loads), so the kernel's estimate is the replayed figure. docs/performance.md
 * ("Compiled GEMM schedules") has the measured effect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_internal.h"

/* ---- the documented timing model, replayed by the pipelined planner ---- */

/* a local operand: [la, la + len) of the scratchpad or the accumulator */
struct ext {
	uint64_t la, len;
};

/*
 * docs/isa.md section 7: the units (DMA, MXU, VPU) are in order and overlap;
 * an op starts at max(issue, unit free, RAW/WAR/WAW on 4 KiB SRAM blocks)
 * and lasts the engine's xpu_timing_*() of it; the scalar core issues one
 * instruction a cycle. Kernels here take buffers in device memory (HBM).
 */
struct cc_tsim {
	uint64_t nspad, nb;		/* scoreboard blocks: scratchpad, all */
	uint64_t *w, *r;		/* last write / read finish per block */
	uint64_t unit[3], end;
};

enum { U_DMA, U_MXU, U_VPU };
#define SB_SHIFT	12		/* the engine's scoreboard granule */
#define SB_ALIGN(x)	(((x) + (1ull << SB_SHIFT) - 1) & ~((1ull << SB_SHIFT) - 1))

static int tsim_init(struct cc_tsim *s, const xpu_cc *cc)
{
	memset(s, 0, sizeof(*s));
	s->nspad = ((uint64_t)cc->t.spad_size >> SB_SHIFT) + 1;
	s->nb = s->nspad + ((uint64_t)cc->t.acc_size >> SB_SHIFT) + 1;
	s->w = calloc(2 * s->nb, sizeof(*s->w));
	s->r = s->w ? s->w + s->nb : NULL;
	return s->w ? 0 : -1;
}

static int tsim_blocks(const struct cc_tsim *s, struct ext e, uint64_t *lo, uint64_t *hi)
{
	uint64_t base = 0;

	if (!e.len)
		return 0;
	if (e.la >= XPU_LA_ACC) {
		e.la -= XPU_LA_ACC;
		base = s->nspad;
	}
	*lo = base + (e.la >> SB_SHIFT);
	*hi = min64(base + ((e.la + e.len - 1) >> SB_SHIFT), s->nb - 1);
	return *lo <= *hi;
}

static void tsim_op(struct cc_tsim *s, int unit, uint64_t issue, uint64_t dur, const struct ext *in,
		    int nin, const struct ext *out)
{
	uint64_t start = max64(issue, s->unit[unit]), fin, lo, hi;

	for (int i = 0; i < nin; i++)
		if (tsim_blocks(s, in[i], &lo, &hi))
			for (uint64_t b = lo; b <= hi; b++)
				start = max64(start, s->w[b]);
	if (tsim_blocks(s, *out, &lo, &hi))
		for (uint64_t b = lo; b <= hi; b++)
			start = max64(start, max64(s->w[b], s->r[b]));
	fin = start + dur;
	s->unit[unit] = fin;
	s->end = max64(s->end, fin);
	for (int i = 0; i < nin; i++)
		if (tsim_blocks(s, in[i], &lo, &hi))
			for (uint64_t b = lo; b <= hi; b++)
				s->r[b] = max64(s->r[b], fin);
	if (tsim_blocks(s, *out, &lo, &hi))
		for (uint64_t b = lo; b <= hi; b++)
			s->w[b] = max64(s->w[b], fin);
}

static void gx_rec(struct gemm_x *x, int unit, uint64_t dur, const struct ext *in, int nin,
		   struct ext out)
{
	if (x->s)
		tsim_op(x->s, unit, x->k->n, dur, in, nin, &out);
}

/* a vector op on the last kb_vcfg shape: dst <- src (, src2) */
static void gx_vec(struct gemm_x *x, uint64_t insn, struct ext dst, struct ext src, struct ext src2)
{
	struct ext in[2] = { src, src2 };

	kb_emit(x->k, insn);
	if (x->s)
		gx_rec(x, U_VPU, xpu_timing_vector_cycles(x->tc, x->k->vrows * x->k->vcols), in,
		       src2.len ? 2 : 1, dst);
}

/* the store of rows [r0, r0 + pr) of an output tile of ni columns, staged
 * at src (output rows m0.., columns n0..) */
static void gemm_store_rows(struct gemm_x *x, uint64_t cbase, struct ext src, uint64_t r0,
			    uint64_t pr, uint64_t m0, uint64_t n0, uint64_t ni)
{
	const struct gemm *g = x->g;
	struct ext none = { 0, 0 };

	kb_dma(x->k, XPU_DMA_LA_TO_VA, g->r_c, cbase + ((m0 + r0) * g->N + n0) * g->osz, 0, src.la,
	       pr, ni * g->osz, ni * g->osz, g->N * g->osz);
	if (x->s)
		gx_rec(x, U_DMA, xpu_timing_dma_cycles(x->tc, pr * ni * g->osz, 0), &src, 1, none);
}

/*
 * Bias, activation, conversion and store of rows [r0, r0 + pr) of an
 * accumulator tile of ni columns at c (output rows m0.., columns n0..;
 * the tile's bias at bias, its converted copy staged at out).
 */
void gemm_epi_rows(struct gemm_x *x, uint64_t cbase, uint64_t c, uint64_t out, uint64_t bias,
		   uint64_t r0, uint64_t pr, uint64_t m0, uint64_t n0, uint64_t ni)
{
	const struct gemm *g = x->g;
	struct kb *k = x->k;
	uint32_t vt = g->acc_vt;
	uint64_t n = pr * ni;
	struct ext ce = { c + r0 * ni * 4, n * 4 }, none = { 0, 0 };

	c = ce.la;
	if (g->has_bias || g->act || g->epi_vun || g->stage_osz)
		kb_vcfg(k, pr, ni);
	kb_li(k, 3, c);
	if (g->has_bias) {
		struct ext be = { bias + (g->bias_col ? r0 * 4 : 0), (g->bias_col ? pr : ni) * 4 };

		kb_li(k, 4, be.la);
		gx_vec(x, xpu_vbin(XPU_VBIN_ADD, vt | (g->bias_col ? XPU_VB_COL : XPU_VB_ROW),
				   3, 3, 4), ce, ce, be);
	}
	if (g->act == XPU_ACT_RELU)
		gx_vec(x, xpu_vun(XPU_VUN_RELU, vt, 3, 3), ce, ce, none);
	else if (g->act == XPU_ACT_GELU)	/* F32: checked by the caller */
		gx_vec(x, xpu_vun(XPU_VUN_GELU, vt, 3, 3), ce, ce, none);
	if (g->epi_vun)
		gx_vec(x, xpu_vun((uint32_t)g->epi_vun - 1, vt, 3, 3), ce, ce, none);
	if (g->out_type == XPU_DT_I8 || g->out_type == XPU_DT_BF16) {
		struct ext oe = { out + r0 * ni * g->stage_osz, n * g->stage_osz };

		kb_li(k, 4, oe.la);
		if (g->out_type == XPU_DT_I8)
			gx_vec(x, xpu_vqnt(vt, 4, 3, R_SCALE, g->zero_point), oe, ce, none);
		else
			gx_vec(x, xpu_vcvt(XPU_CVT_F32_BF16, 4, 3), oe, ce, none);
		ce = oe;
	}
	gemm_store_rows(x, cbase, ce, r0, pr, m0, n0, ni);
}

/* ---- the pipelined schedule of dense GEMMs ------------------------------- */
/*
 * Steps (batch, m tile, n tile, k step) in that order; the short K chunk
 * may come first (the first loads, which nothing overlaps, are then the
 * smallest; the fold count is the same and k still ascends, so results do
 * not change), or last (a longer last step for the hand-over below). The
 * loads of step s+1 are issued before the MATMUL of step s (B, and A unless
 * resident, alternate between two slots), so the in-order DMA unit fetches
 * a step ahead of the MXU. A resident A (the m tile's K chunks, each a
 * dense mi x kt block) is loaded with the first N tile and reused by the
 * others: A crosses the DMA unit once. Every region is whole 4 KiB
 * scoreboard blocks: two regions sharing one would serialise the units.
 *
 * Tiles alternate between two accumulator offsets, the bottom and the top
 * of the accumulator. When two tiles do not fit side by side (an M as tall
 * as the accumulator allows saves the 2R + C - 2 cycles every extra M tile
 * costs per fold) they overlap, and the tile's last MATMUL is split in two
 * row ranges, the rows the next tile overwrites first: their epilogue and
 * store run while the MXU finishes the other rows. Or (acc_same) all tiles
 * share one offset and the first and last steps of a tile are split in
 * halves, each half waiting only for its own half of the previous tile's
 * store. Row splits fall on scoreboard block boundaries. Every epilogue is
 * issued right after its MATMUL, behind the next step's loads, so stores
 * never hold up the loads that feed the MXU.
 */
struct gstep {
	uint64_t b, im, in, ik, tile;
	uint64_t m0, mi, n0, ni, k0, ki;
};

static uint64_t pipe_nsteps(const struct gemm *g)
{
	return (g->nbatch ? g->nbatch : 1) * cdiv(g->M, g->mt) * cdiv(g->N, g->nt) *
	       cdiv(g->K, g->kt);
}

static void gstep_at(const struct gemm *g, uint64_t s, struct gstep *p)
{
	uint64_t tk = cdiv(g->K, g->kt), tn = cdiv(g->N, g->nt), tm = cdiv(g->M, g->mt);

	p->ik = s % tk;
	p->tile = s / tk;
	p->in = p->tile % tn;
	p->im = p->tile / tn % tm;
	p->b = p->tile / tn / tm;
	p->m0 = p->im * g->mt;
	p->mi = min64(g->mt, g->M - p->m0);
	p->n0 = p->in * g->nt;
	p->ni = min64(g->nt, g->N - p->n0);
	if (g->k_short_first) {
		p->ki = p->ik || !(g->K % g->kt) ? g->kt : g->K % g->kt;
		p->k0 = p->ik ? g->K - (tk - p->ik) * g->kt : 0;
	} else {
		p->k0 = p->ik * g->kt;
		p->ki = min64(g->kt, g->K - p->k0);
	}
}

static uint64_t boff(const uint64_t *t, uint64_t b)
{
	return t ? t[b] : 0;
}

static uint64_t pipe_a_la(const struct gemm *g, const struct gstep *p, uint64_t s)
{
	if (g->a_res)
		return g->a_la[(p->b * cdiv(g->M, g->mt) + p->im) % 2] + p->ik * g->a_chunk;
	return g->a_la[s % 2];
}

/* the accumulator offset of step p's tile: even tiles at the bottom; odd
 * ones at acc_off[1], or, when tiles overlap, ending at the top (a narrow
 * last tile then leaves more rows free) */
static uint64_t tile_acc(const struct gemm *g, const struct gstep *p)
{
	if (!(p->tile % 2) || !g->acc_top)
		return g->acc_off[p->tile % 2];
	return (g->acc_top - p->mi * p->ni * 4) & ~((1ull << SB_SHIFT) - 1);
}

/* rows x bytes from VA (reg + off, rows sstride apart) to the dense local la */
static void gx_load(struct gemm_x *x, uint64_t la, uint32_t reg, uint64_t off, uint64_t rows,
		    uint64_t bytes, uint64_t sstride)
{
	struct ext out = { la, rows * bytes };

	kb_dma(x->k, XPU_DMA_VA_TO_LA, 0, la, reg, off, rows, bytes, sstride, bytes);
	if (x->s)
		gx_rec(x, U_DMA, xpu_timing_dma_cycles(x->tc, rows * bytes, 0), NULL, 0, out);
}

static void pipe_loads(struct gemm_x *x, uint64_t s)
{
	const struct gemm *g = x->g;
	uint64_t esz = g->esz;
	struct gstep p;

	gstep_at(g, s, &p);
	if (!g->a_res || p.in == 0)
		gx_load(x, pipe_a_la(g, &p, s), g->r_a,
			boff(g->a_boff, p.b) + (p.m0 * g->K + p.k0) * esz, p.mi, p.ki * esz,
			g->K * esz);
	gx_load(x, g->b_la[s % 2], g->r_b, boff(g->b_boff, p.b) + (p.k0 * g->N + p.n0) * esz,
		p.ki, p.ni * esz, g->N * esz);
	if (p.ik == 0 && g->has_bias)
		gx_load(x, g->bias_la[p.tile % 2], g->r_bias, boff(g->bias_boff, p.b) +
			(g->bias_col ? p.m0 : p.n0) * 4, 1, (g->bias_col ? p.mi : p.ni) * 4, 0);
}

/* the MATMUL of rows [r0, r0 + pr) of step s */
static void pipe_mm(struct gemm_x *x, uint64_t s, const struct gstep *p, uint64_t r0, uint64_t pr)
{
	const struct gemm *g = x->g;
	struct kb *k = x->k;
	uint64_t esz = g->esz;
	struct ext in[3] = {
		{ pipe_a_la(g, p, s) + r0 * p->ki * esz, pr * p->ki * esz },
		{ g->b_la[s % 2], p->ki * p->ni * esz },
		{ XPU_LA_ACC + tile_acc(g, p) + r0 * p->ni * 4, pr * p->ni * 4 },
	};

	kb_li(k, 5, pr);
	kb_li(k, 6, p->ki);
	kb_li(k, 7, p->ni);
	kb_emit(k, xpu_mcfg(XPU_MCFG_SHAPE, 5, 6, 7));
	kb_li(k, 3, in[2].la);
	kb_li(k, 4, in[0].la);
	kb_li(k, 9, in[1].la);
	kb_matmul(k, g->mm_type | (p->ik ? XPU_MM_ACC : 0), 3, 4, 9, pr, p->ki, p->ni);
	if (x->s)
		gx_rec(x, U_MXU, xpu_timing_matmul_cycles(x->tc->rows, x->tc->cols, pr, p->ki, p->ni),
		       in, p->ik ? 3 : 2, in[2]);
}

/* rows [*lo, *hi) of an mi x ni tile at accumulator offset o whose 4 KiB
 * blocks [oq, oq + lq) also covers (none: *lo = *hi = 0) */
static void overlap_rows(uint64_t o, uint64_t mi, uint64_t ni, uint64_t oq, uint64_t lq,
			 uint64_t *lo, uint64_t *hi)
{
	uint64_t q0 = oq >> SB_SHIFT, q1 = (oq + lq - 1) >> SB_SHIFT, rb = ni * 4;

	*lo = mi;
	*hi = 0;
	for (uint64_t r = 0; r < mi; r++) {
		uint64_t b0 = (o + r * rb) >> SB_SHIFT, b1 = (o + (r + 1) * rb - 1) >> SB_SHIFT;

		if (b1 >= q0 && b0 <= q1) {
			*lo = min64(*lo, r);
			*hi = r + 1;
		}
	}
	if (*lo >= *hi)
		*lo = *hi = 0;
}

/* the row count between rows of an ni-column tile that start a scoreboard
 * block: a split there leaves no block shared by the two parts */
static uint64_t clean_rows(uint64_t ni)
{
	uint64_t rb = ni * 4, blk = 1ull << SB_SHIFT;

	while (rb % 2 == 0 && blk > 1) {
		rb /= 2;
		blk /= 2;
	}
	return blk;
}

/* rows [r0, r0 + pr) of an int32 accumulator tile of ni columns at c
 * copied by the VPU to the scratchpad at out, then stored from there */
static void pipe_copy_out(struct gemm_x *x, uint64_t cbase, uint64_t c, uint64_t out,
			  uint64_t r0, uint64_t pr, uint64_t m0, uint64_t n0, uint64_t ni)
{
	const struct gemm *g = x->g;
	struct kb *k = x->k;
	struct ext ce = { c + r0 * ni * 4, pr * ni * 4 }, oe = { out + r0 * ni * 4, pr * ni * 4 };
	struct ext none = { 0, 0 };

	kb_vcfg(k, pr, ni);
	kb_li(k, 3, ce.la);
	kb_li(k, 4, oe.la);
	gx_vec(x, xpu_vun(XPU_VUN_COPY, g->acc_vt, 4, 3), oe, ce, none);
	gemm_store_rows(x, cbase, oe, r0, pr, m0, n0, ni);
}

/*
 * Of n rows of ni int32 columns, the rows the VPU copies out while the DMA
 * unit stores the others: the fewest with which the later of the two ends
 * soonest. The copy grows and the store shrinks (in steps) with the VPU's
 * share, so the best is at the first share w whose copy takes at least the
 * store of the rest, or at the first share of the store's step before it.
 */
static uint64_t drain_vpu_rows(const struct xpu_engine_config *tc, uint64_t n, uint64_t ni)
{
	uint64_t lo = 0, hi = n, w, t;

	while (lo < hi) {
		w = (lo + hi) / 2;
		if (xpu_timing_vector_cycles(tc, w * ni) >= xpu_timing_dma_cycles(tc, (n - w) * ni * 4, 0))
			hi = w;
		else
			lo = w + 1;
	}
	w = lo;
	if (!w)
		return 0;
	t = xpu_timing_dma_cycles(tc, (n - w + 1) * ni * 4, 0);
	if (t > xpu_timing_vector_cycles(tc, w * ni))
		return w;
	for (lo = 0, hi = w - 1; lo < hi;) {
		uint64_t a = (lo + hi) / 2;

		if (xpu_timing_dma_cycles(tc, (n - a) * ni * 4, 0) <= t)
			hi = a;
		else
			lo = a + 1;
	}
	return lo;
}

/*
 * The store of step s's tile when the next tile's first step is split
 * (g->drain): the rows the next tile covers go first, by DMA, and with
 * g->drain == 2 partly by a VPU copy to the scratchpad (the two units
 * drain them side by side; the split balances their finish times); then
 * the other rows.
 */
static void pipe_drain(struct gemm_x *x, uint64_t s, const struct gstep *p)
{
	const struct gemm *g = x->g;
	const uint64_t t = p->tile % 2, cb = boff(g->c_boff, p->b), o = tile_acc(g, p);
	const uint64_t c = XPU_LA_ACC + o, rb = p->ni * 4;
	uint64_t lo = 0, hi = 0, v = 0, d;
	struct gstep q;

	if (s + 1 < pipe_nsteps(g)) {
		gstep_at(g, s + 1, &q);
		overlap_rows(o, p->mi, p->ni, tile_acc(g, &q), q.mi * q.ni * 4, &lo, &hi);
	}
	if (hi > lo) {
		/* widened to every row sharing a scoreboard block with them:
		 * the later store of the other rows must not hold up the next
		 * tile (the DMA / VPU split inside needs no such care: both
		 * only read) */
		uint64_t b0 = ((o + lo * rb) >> SB_SHIFT) << SB_SHIFT;
		uint64_t b1 = (((o + hi * rb - 1) >> SB_SHIFT) + 1) << SB_SHIFT;

		lo = (b0 - o) / rb;
		hi = min64(cdiv(b1 - o, rb), p->mi);
	}
	if (g->drain == 2)
		v = drain_vpu_rows(x->tc, hi - lo, p->ni);
	d = hi - lo - v;
	if (d)
		gemm_epi_rows(x, cb, c, 0, 0, lo, d, p->m0, p->n0, p->ni);
	if (v)
		pipe_copy_out(x, cb, c, g->out_la[t], lo + d, v, p->m0, p->n0, p->ni);
	if (lo)
		gemm_epi_rows(x, cb, c, 0, 0, 0, lo, p->m0, p->n0, p->ni);
	if (hi < p->mi)
		gemm_epi_rows(x, cb, c, 0, 0, hi, p->mi - hi, p->m0, p->n0, p->ni);
}

/* the epilogue of rows [r0, r0 + pr) of step s's tile (pr = 0: all) */
static void pipe_epi(struct gemm_x *x, uint64_t s, uint64_t r0, uint64_t pr)
{
	const struct gemm *g = x->g;
	struct gstep p;

	gstep_at(g, s, &p);
	gemm_epi_rows(x, boff(g->c_boff, p.b), XPU_LA_ACC + tile_acc(g, &p), g->out_la[p.tile % 2],
		      g->bias_la[p.tile % 2], r0, pr ? pr : p.mi, p.m0, p.n0, p.ni);
}

static void pipe_emit(struct gemm_x *x)
{
	const struct gemm *g = x->g;
	struct kb *k = x->k;
	uint64_t ns = pipe_nsteps(g), tk = cdiv(g->K, g->kt), late = UINT64_MAX;
	struct gstep p, q;

	if (g->out_type == XPU_DT_I8)
		kb_li(k, R_SCALE, f32_bits(g->scale));
	kb_emit(k, xpu_mcfg(XPU_MCFG_STRIDE, 0, 0, 0));	/* dense tiles */
	pipe_loads(x, 0);
	for (uint64_t s = 0; s < ns; s++) {
		uint64_t part[2][2], np = 1, lo = 0, hi = 0;

		gstep_at(g, s, &p);
		if (s + 1 < ns)
			pipe_loads(x, s + 1);
		if (late != UINT64_MAX) {
			/* g->late_store: the previous tile's store behind
			 * the loads that feed this step's successor */
			pipe_epi(x, late, 0, 0);
			late = UINT64_MAX;
		}
		part[0][0] = 0;
		part[0][1] = p.mi;
		if (g->acc_same) {
			/* one accumulator tile: halves at the tile's first and
			 * last steps, each waiting only for its own half */
			uint64_t cr = clean_rows(p.ni), h = (p.mi / 2 + cr / 2) / cr * cr;

			if (h && h < p.mi &&
			    ((p.ik + 1 == tk && s + 1 < ns) || (p.ik == 0 && p.tile))) {
				part[0][1] = h;
				part[1][0] = h;
				part[1][1] = p.mi - h;
				np = 2;
			}
		} else if (g->drain) {
			/* the first step of a tile: first the rows the
			 * previous tile does not cover (the two parts may
			 * share a block: the MXU runs them in order anyway) */
			if (p.ik == 0 && s > 0) {
				gstep_at(g, s - 1, &q);
				overlap_rows(tile_acc(g, &p), p.mi, p.ni, tile_acc(g, &q),
					     q.mi * q.ni * 4, &lo, &hi);
			}
			if (hi > lo && hi - lo < p.mi && (lo == 0 || hi == p.mi)) {
				part[0][0] = lo ? 0 : hi;
				part[0][1] = p.mi - (hi - lo);
				part[1][0] = lo;
				part[1][1] = hi - lo;
				np = 2;
			}
		} else if (p.ik + 1 == tk && s + 1 < ns) {
			/* the rows the next tile overwrites first */
			gstep_at(g, s + 1, &q);
			uint64_t cr = clean_rows(p.ni);

			overlap_rows(tile_acc(g, &p), p.mi, p.ni, tile_acc(g, &q),
				     q.mi * q.ni * 4, &lo, &hi);
			lo = lo / cr * cr;		/* widened to clean rows */
			hi = hi < p.mi ? min64(cdiv(hi, cr) * cr, p.mi) : hi;
			if (hi > lo && hi - lo < p.mi && (lo == 0 || hi == p.mi)) {
				part[0][0] = lo;
				part[0][1] = hi - lo;
				part[1][0] = lo ? 0 : hi;
				part[1][1] = p.mi - (hi - lo);
				np = 2;
			}
		}
		for (uint64_t i = 0; i < np; i++)
			pipe_mm(x, s, &p, part[i][0], part[i][1]);
		if (p.ik + 1 < tk)
			continue;
		if (g->drain) {
			pipe_drain(x, s, &p);
			continue;
		}
		if (g->late_store && s + 1 < ns) {
			late = s;
			continue;
		}
		for (uint64_t i = 0; i < np; i++)
			pipe_epi(x, s, part[i][0], part[i][1]);
	}
	kb_use(k, g->spad_end, g->acc_end);
}

void gemm_emit_pipe(struct kb *k, const struct gemm *g)
{
	struct gemm_x x = { k, NULL, k->tc, g };

	pipe_emit(&x);
}

/* the local layout of the pipelined plan in g; -1 if it does not fit */
static int pipe_layout(const xpu_cc *cc, struct gemm *g)
{
	/* every region in whole scoreboard blocks: no false hazards between them */
	const uint64_t esz = g->esz, tm = cdiv(g->M, g->mt), tk = cdiv(g->K, g->kt);
	const uint64_t a_tile = SB_ALIGN(g->mt * g->kt * esz), tile = g->mt * g->nt * 4;
	const uint64_t bsz = SB_ALIGN(g->kt * g->nt * esz);
	const uint64_t osz = SB_ALIGN(g->mt * g->nt * (g->drain == 2 ? 4 : g->stage_osz));
	const uint64_t bias = g->has_bias ? SB_ALIGN((g->bias_col ? g->mt : g->nt) * 4) : 0;
	const uint64_t blk = 1ull << SB_SHIFT, acc = cc->t.acc_size;
	uint64_t a_reg = g->a_res ? tk * a_tile : a_tile, na, pos;

	if (tile > acc)
		return -1;
	/* a second resident A (the next m tile's) only if it fits */
	na = 2;
	if (g->a_res && (tm * (g->nbatch ? g->nbatch : 1) == 1 ||
			 2 * a_reg + 2 * (bsz + bias + osz) > cc->t.spad_size))
		na = 1;
	/* one A region: the next m tile's first load must not overwrite the
	 * chunk the MATMUL issued after it still reads */
	if (na == 1 && tk == 1 && tm * (g->nbatch ? g->nbatch : 1) > 1)
		return -1;
	g->a_chunk = a_tile;
	g->a_la[0] = 0;
	g->a_la[1] = na == 2 ? a_reg : 0;
	pos = na * a_reg;
	g->b_la[0] = pos;
	g->b_la[1] = pos + bsz;
	pos += 2 * bsz;
	g->bias_la[0] = pos;
	g->bias_la[1] = pos + bias;
	pos += 2 * bias;
	g->out_la[0] = pos;
	g->out_la[1] = pos + osz;
	pos += 2 * osz;
	g->spad_end = pos;
	g->acc_off[0] = 0;
	if (g->acc_same)
		g->acc_off[1] = 0;
	else if (2 * SB_ALIGN(tile) <= acc)
		g->acc_off[1] = SB_ALIGN(tile);			/* side by side */
	else
		g->acc_off[1] = (acc - tile) & ~(blk - 1);	/* overlapping */
	g->acc_top = !g->acc_same && 2 * SB_ALIGN(tile) > acc ? acc : 0;
	/* a narrower odd tile ends nearer the top (tile_acc) */
	g->acc_end = g->acc_top ? g->acc_top : g->acc_off[1] + tile;
	if (g->acc_same && 2 * SB_ALIGN(tile) <= acc)
		return -1;	/* two tiles fit: never better */
	/* a late store: tiles side by side (its store holds up no MATMUL),
	 * and the loads it waits behind do not overwrite the tile's bias */
	if (g->late_store && (g->acc_same || g->acc_top || g->drain ||
			      (g->has_bias && tk == 1)))
		return -1;
	/* the drains: for overlapping tiles whose epilogue is the store alone */
	if (g->drain && (g->acc_same || 2 * SB_ALIGN(tile) <= acc || g->has_bias || g->act ||
			 g->epi_vun || g->stage_osz))
		return -1;
	return g->spad_end <= cc->t.spad_size ? 0 : -1;
}

/* the modeled cycles of one batch of the pipelined plan in g */
static uint64_t pipe_sim(const xpu_cc *cc, const struct gemm *g)
{
	struct gemm one = *g;
	struct cc_tsim s;
	struct kb k;
	struct gemm_x x = { &k, &s, &cc->tc, &one };
	uint64_t cycles;

	one.nbatch = 1;
	if (tsim_init(&s, cc))
		return UINT64_MAX;
	kb_init(&k);
	pipe_emit(&x);
	cycles = k.oom ? UINT64_MAX : max64(s.end, k.n + 1);
	kb_free(&k);
	free(s.w);
	return cycles;
}

#define PIPE_MAX_STEPS	4096	/* per batch: bounds the planner's time and the code */

/*
 * Variant v (0 to 31) of the tiling in g, kept in *b if it beats *best.
 * Its bits 0-2 (tried from 7 down): A resident, one accumulator offset
 * (halves), the short K chunk first; bits 3-4 (tried from 0 up, so a tie
 * keeps the plainer plan), the hand-over of overlapping or side-by-side
 * tiles: the last step split, the next tile's first step split with the
 * stores by DMA, the same with part of them by the VPU, the store late.
 */
static void pipe_try(const xpu_cc *cc, struct gemm *g, int v, uint64_t *best, struct gemm *b)
{
	const struct xpu_engine_config *tc = &cc->tc;
	int low = 7 - (v & 7), mode = v >> 3;
	uint64_t c;

	g->a_res = low & 1;
	g->acc_same = (low >> 1) & 1;
	g->k_short_first = low >> 2;
	g->drain = mode < 3 ? mode : 0;
	g->late_store = mode == 3;
	if (g->k_short_first && !(g->K % g->kt))
		return;		/* no short chunk */
	g->pipe = 1;
	if (pipe_layout(cc, g) || pipe_nsteps(g) / (g->nbatch ? g->nbatch : 1) > PIPE_MAX_STEPS)
		return;
	/* the MXU alone: a floor of the job */
	if (gemm_mxu_total(tc, g->M, g->K, g->N, g->mt, g->kt, g->nt) >= *best)
		return;
	c = pipe_sim(cc, g);
	if (c < *best) {
		*best = c;
		*b = *g;
	}
}

int gemm_plan_pipe(const xpu_cc *cc, struct gemm *g)
{
	const struct xpu_engine_config *tc = &cc->tc;
	const uint64_t M = g->M, K = g->K, N = g->N;
	uint64_t nts[72], kts[24], best = UINT64_MAX;
	struct gemm b = *g;
	int nn = 0, nk = 0;

	/*
	 * N tiles of C, 2C, 4C, ... columns, and for each the same number of
	 * tiles balanced (as wide as each other, in multiples of 8 columns or
	 * to the column): the folds are as many, and narrower tiles leave
	 * more of the accumulator free for the next tile's rows.
	 */
	for (uint64_t v = tc->cols; nn + 3 <= 72; v *= 2) {
		uint64_t tn = cdiv(N, min64(v, N)), w = cdiv(N, tn), w8 = (w + 7) / 8 * 8;

		nts[nn++] = min64(v, N);
		if (w8 < min64(v, N) && (tn - 1) * w8 < N)
			nts[nn++] = w8;
		if (w != w8 && w < min64(v, N))
			nts[nn++] = w;
		if (v >= N)
			break;
	}
	for (uint64_t v = tc->rows; nk < 24; v *= 2) {
		kts[nk++] = min64(v, K);
		if (v >= K)
			break;
	}
	for (uint64_t tm = 1; tm <= 8 && tm <= M; tm++) {
		uint64_t mt = cdiv(M, tm);

		if (tm > 1 && cdiv(M, tm - 1) == mt)
			continue;
		for (int i = 0; i < nn; i++)
			for (int j = 0; j < nk; j++)
				for (int v = 0; v < 32; v++) {
					g->mt = mt;
					g->nt = nts[i];
					g->kt = kts[j];
					pipe_try(cc, g, v, &best, &b);
				}
	}
	if (best == UINT64_MAX) {
		g->pipe = 0;
		return -1;
	}
	*g = b;
	g->est_cycles = best;
	if (getenv("XPU_CC_DEBUG"))
		fprintf(stderr, "xpu-cc: gemm %llux%llux%llu on %ux%u: pipelined tiles %llu x %llu "
			"x %llu, A %s, %s accumulator tiles, %s, estimated %llu cycles\n",
			(unsigned long long)M, (unsigned long long)K, (unsigned long long)N,
			tc->rows, tc->cols, (unsigned long long)g->mt, (unsigned long long)g->kt,
			(unsigned long long)g->nt, g->a_res ? "resident" : "streamed",
			g->acc_same ? "halved" : g->acc_top ? "overlapping" : "side-by-side",
			g->drain == 2 ? "next tile split, stores by DMA and VPU" :
			g->drain ? "next tile split, stores by DMA" :
			g->late_store ? "stores behind the next loads" : "stores after their MATMUL",
			(unsigned long long)best);
	return 0;
}
