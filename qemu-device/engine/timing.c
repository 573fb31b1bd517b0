// SPDX-License-Identifier: MIT
/*
 * XPU timing model (docs/isa.md, "Timing"). The functional result never
 * depends on it. Units (DMA, MXU, VPU) are in order and overlap each other;
 * a scoreboard of 4 KiB SRAM blocks (last writer / last reader finish time)
 * enforces RAW, WAR and WAW ordering between them.
 */
#include "engine_int.h"

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

uint64_t xpu_timing_matmul_cycles(uint32_t rows, uint32_t cols, uint64_t m, uint64_t k, uint64_t n)
{
	uint64_t folds, per, r;

	if (!rows || !cols || !m || !k || !n)
		return 0;
	folds = ceil_div(k, rows) * ceil_div(n, cols);	/* < 2^64 for SRAM-sized operands */
	per = 2ull * rows + cols + m - 2;
	if (__builtin_mul_overflow(folds, per, &r))
		return UINT64_MAX;
	return r;
}

static uint64_t bytes_per_cycle(uint32_t gbps, uint32_t mhz)
{
	uint64_t b = (uint64_t)gbps * 1000 / (mhz ? mhz : 1);

	return b ? b : 1;
}

uint64_t xpu_timing_dma_cycles(const struct xpu_engine_config *cfg, uint64_t bytes, int host)
{
	uint64_t bpc = bytes_per_cycle(host ? cfg->host_gbps : cfg->hbm_gbps, cfg->clock_mhz);

	if (!bytes)
		return 0;
	return cfg->dma_latency_cycles + ceil_div(bytes, bpc);
}

/* Every VPU op costs the same per element: the transcendentals (EXP, GELU,
 * TANH, ERF, ...), DIV and SQRT are modeled as pipelined function units of
 * the same throughput as ADD; VSEL, with three inputs, as one pass too. */
uint64_t xpu_timing_vector_cycles(const struct xpu_engine_config *cfg, uint64_t elements)
{
	if (!elements)
		return 0;
	return XPU_ENG_VPU_LATENCY + ceil_div(elements, cfg->cols ? cfg->cols : 1);
}

/* scoreboard block range of a local operand; 0 if empty */
static int sb_range(struct xpu_tile *t, uint64_t la, uint64_t len, uint64_t *lo, uint64_t *hi)
{
	uint64_t base = 0;

	if (!len)
		return 0;
	if (la >= XPU_LA_ACC) {
		la -= XPU_LA_ACC;
		base = ((uint64_t)t->cfg.spad_bytes >> XPU_SB_SHIFT) + 1;
	}
	*lo = base + (la >> XPU_SB_SHIFT);
	*hi = base + ((la + len - 1) >> XPU_SB_SHIFT);
	return *hi < t->sb_nblocks;	/* always true for range-checked operands */
}

uint64_t xpu_sb_ready(struct xpu_tile *t, uint64_t la, uint64_t len, int write)
{
	uint64_t lo, hi, ready = 0, b;

	if (!sb_range(t, la, len, &lo, &hi))
		return 0;
	for (b = lo; b <= hi; b++) {
		ready = xpu_max64(ready, t->sb_w[b]);
		if (write)
			ready = xpu_max64(ready, t->sb_r[b]);
	}
	return ready;
}

uint64_t xpu_sched(struct xpu_tile *t, uint64_t *unit_free, uint64_t *busy, uint64_t dur,
		   const struct xpu_opnd *in, int nin, const struct xpu_opnd *out, int nout)
{
	uint64_t start = xpu_max64(t->now, *unit_free), finish, lo, hi, b;
	int i;

	for (i = 0; i < nin; i++)
		start = xpu_max64(start, xpu_sb_ready(t, in[i].la, in[i].len, 0));
	for (i = 0; i < nout; i++)
		start = xpu_max64(start, xpu_sb_ready(t, out[i].la, out[i].len, 1));
	finish = start + dur;
	if (finish < start)
		finish = UINT64_MAX;
	*unit_free = finish;
	*busy += dur;
	for (i = 0; i < nin; i++)
		if (sb_range(t, in[i].la, in[i].len, &lo, &hi))
			for (b = lo; b <= hi; b++)
				t->sb_r[b] = xpu_max64(t->sb_r[b], finish);
	for (i = 0; i < nout; i++)
		if (sb_range(t, out[i].la, out[i].len, &lo, &hi))
			for (b = lo; b <= hi; b++)
				t->sb_w[b] = xpu_max64(t->sb_w[b], finish);
	return finish;
}

/* A link transfer: the port's latency once, then the payload at the link's
 * bandwidth (per link and direction). */
uint64_t xpu_timing_link_cycles(const struct xpu_engine_config *cfg, uint64_t bytes)
{
	uint32_t gbps = cfg->link_gbps ? cfg->link_gbps : XPU_ENG_DEF_LINK_GBPS;
	uint32_t lat = cfg->link_latency_cycles ? cfg->link_latency_cycles : XPU_ENG_DEF_LINK_LAT;
	uint64_t r;

	if (!bytes)
		return 0;
	r = lat + ceil_div(bytes, bytes_per_cycle(gbps, cfg->clock_mhz));
	return r < lat ? UINT64_MAX : r;
}

/* Each port is a unit of its own (in order, like DMA, MXU and VPU): one
 * DMA's bytes over a port are one transfer on it. */
uint64_t xpu_link_sched(struct xpu_tile *t, const struct xpu_opnd *in, int nin,
			const struct xpu_opnd *out, int nout)
{
	uint64_t last = 0, b, f;

	for (int p = 0; p < XPU_MAX_LINKS; p++) {
		b = t->link_pending[p];
		if (!b)
			continue;
		t->link_pending[p] = 0;
		f = xpu_sched(t, &t->link_free[p], &t->port_busy[p],
			      xpu_timing_link_cycles(&t->cfg, b), in, nin, out, nout);
		t->port_bytes[p] += b;
		last = xpu_max64(last, f);
	}
	return last;
}

uint64_t xpu_link_free(const struct xpu_tile *t)
{
	uint64_t m = 0;

	for (int p = 0; p < XPU_MAX_LINKS; p++)
		m = xpu_max64(m, t->link_free[p]);
	return m;
}
