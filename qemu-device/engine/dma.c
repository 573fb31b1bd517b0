// SPDX-License-Identifier: MIT
/*
 * XPU DMA unit: 1D/2D strided copies between device VA (through the MMU)
 * and local SRAM, VA to VA, and SRAM to SRAM. Rows are copied in ascending
 * order; a row that faults ends the job (earlier rows stay written).
 */
#include "engine_int.h"

#define ROW_POLL	1024

/* *pages counts across the rows of one instruction: the poll (and progress)
 * period stays 256 pages however short the rows are */
static int va_to_va(struct xpu_tile *t, uint64_t dst, uint64_t src, uint64_t len,
		    uint64_t *pages)
{
	uint64_t done = 0;
	int rc;

	t->fetch_tag = 0;
	while (done < len) {
		uint64_t s = src + done, d = dst + done, sd, dd;
		uint64_t chunk = XPU_PAGE_SIZE - (s & (XPU_PAGE_SIZE - 1));
		uint64_t c2 = XPU_PAGE_SIZE - (d & (XPU_PAGE_SIZE - 1));

		if (chunk > c2)
			chunk = c2;
		if (chunk > len - done)
			chunk = len - done;
		if ((++*pages & 255) == 0 && (rc = xpu_poll_abort(t)))
			return rc;
		if ((rc = xpu_mmu_translate(t, s, XPU_ACCESS_READ, &sd)))
			return rc;
		if ((rc = xpu_mmu_translate(t, d, XPU_ACCESS_WRITE, &dd)))
			return rc;
		if (!((sd | dd) & XPU_DPA_HOST)) {
			/* both frames were bounds checked by the MMU */
			memmove(t->mem.hbm + dd, t->mem.hbm + sd, chunk);
		} else {
			t->dma_host = 1;
			if ((rc = xpu_dpa_read(t, sd, t->bounce, chunk)))
				return rc;
			if ((rc = xpu_dpa_write(t, dd, t->bounce, chunk)))
				return rc;
		}
		done += chunk;
	}
	return 0;
}

int xpu_exec_dma(struct xpu_tile *t, uint64_t insn)
{
	uint32_t f = XPU_INSN_FUNC(insn), dir = f & XPU_DMA_DIR_MASK;
	uint64_t dst = t->regs[XPU_INSN_RD(insn)], src = t->regs[XPU_INSN_RS1(insn)];
	uint64_t bytes = t->regs[XPU_INSN_RS2(insn)];
	uint64_t rows = 1, ss = 0, ds = 0, total, sext = 0, dext = 0, r, pages = 0;
	uint8_t *sp = NULL, *dp = NULL;
	struct xpu_opnd in = { 0, 0 }, out = { 0, 0 };
	int rc;

	if (f & ~(uint32_t)(XPU_DMA_DIR_MASK | XPU_DMA_2D))
		return XPU_JOB_STATUS_BAD_INSN;
	if (f & XPU_DMA_2D) {
		rows = t->d_rows;
		ss = t->d_sstride;
		ds = t->d_dstride;
	}
	if (!rows || !bytes)
		return 0;			/* nothing to move */
	if (__builtin_mul_overflow(rows, bytes, &total))
		total = UINT64_MAX;

	/* local operands are checked as a whole before anything moves */
	if (dir == XPU_DMA_LA_TO_VA || dir == XPU_DMA_LA_TO_LA) {
		if (xpu_extent(rows, ss, bytes, &sext) || !(sp = xpu_la_ptr(t, src, sext)))
			return XPU_JOB_STATUS_SRAM_RANGE;
		in.la = src;
		in.len = sext;
	}
	if (dir == XPU_DMA_VA_TO_LA || dir == XPU_DMA_LA_TO_LA) {
		if (xpu_extent(rows, ds, bytes, &dext) || !(dp = xpu_la_ptr(t, dst, dext)))
			return XPU_JOB_STATUS_SRAM_RANGE;
		out.la = dst;
		out.len = dext;
	}
	if ((rc = xpu_poll_abort(t)))
		return rc;

	t->dma_host = 0;
	for (r = 0; r < rows; r++) {
		if (r && (r % ROW_POLL) == 0 && (rc = xpu_poll_abort(t)))
			return rc;
		switch (dir) {
		case XPU_DMA_VA_TO_LA:
			rc = xpu_va_read(t, src + r * ss, dp + r * ds, bytes);
			break;
		case XPU_DMA_LA_TO_VA:
			rc = xpu_va_write(t, dst + r * ds, sp + r * ss, bytes);
			break;
		case XPU_DMA_VA_TO_VA:
			rc = va_to_va(t, dst + r * ds, src + r * ss, bytes, &pages);
			break;
		default:
			memmove(dp + r * ds, sp + r * ss, bytes);
			rc = 0;
			break;
		}
		if (rc)
			return rc;
	}
	xpu_sched(t, &t->dma_free, &t->dma_busy, xpu_timing_dma_cycles(&t->cfg, total, t->dma_host),
		  &in, in.len ? 1 : 0, &out, out.len ? 1 : 0);
	t->dma_bytes += total;
	if (t->dma_bytes < total)
		t->dma_bytes = UINT64_MAX;
	return 0;
}
