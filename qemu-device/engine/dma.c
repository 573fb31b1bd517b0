// SPDX-License-Identifier: MIT
/*
 * XPU DMA unit: 1D/2D strided copies between device VA (through the MMU)
 * and local SRAM, VA to VA, and SRAM to SRAM. Rows are copied in ascending
 * order; a row that faults ends the job (earlier rows stay written).
 *
 * Speed: a row moves in runs of pages that are contiguous in device-physical
 * memory (xpu_mmu_translate_run()), up to XPU_DMA_CHUNK bytes per memmove or
 * host call, HBM directly (no bounce buffer unless both sides are host
 * memory). The result is the one of the page-by-page definition: a run is
 * cut where a page faults (it faults when reached), and a forward
 * overlapping HBM copy keeps its page-sized pieces. Abort is polled by work
 * done (xpu_dma_charge()) and every 1024 rows. A DMA of a MiB or more
 * collects its runs between plain pointers (HBM, SRAM, host memory the
 * host callbacks map) in a batch and moves each batch at once, over the
 * thread pool when no run writes what another one touches (dma_batch.c);
 * the batch is moved before any other access and at every exit.
 *
 * Links: a run whose frames are a peer's (XPU_DPA_LINK) goes through
 * mem.link_xfer like host memory through the host callbacks. Its bytes are
 * charged to the port's timeline, not to the DMA unit's; a failed transfer
 * ends the job with its status and the requester's VA as the fault address.
 */
#include "dma_batch.h"

#define ROW_POLL	1024
#define FAR		(XPU_DPA_HOST | XPU_DPA_LINK)	/* not in this chip's HBM */

/* the page-by-page piece at s -> d: up to the nearer page end */
static uint64_t page_piece(uint64_t s, uint64_t d, uint64_t len)
{
	uint64_t c = XPU_PAGE_SIZE - (s & (XPU_PAGE_SIZE - 1));
	uint64_t c2 = XPU_PAGE_SIZE - (d & (XPU_PAGE_SIZE - 1));

	if (c > c2)
		c = c2;
	return c < len ? c : len;
}

static int va_to_va(struct xpu_tile *t, struct xpu_dma_batch *b, uint64_t dst, uint64_t src,
		    uint64_t len)
{
	uint64_t done = 0;
	int rc;

	t->fetch_tag = 0;
	while (done < len) {
		uint64_t s = src + done, d = dst + done, sd, dd, sn, dn;
		uint64_t chunk = len - done;

		if (chunk > XPU_DMA_CHUNK)
			chunk = XPU_DMA_CHUNK;
		if ((rc = xpu_dma_charge(t, chunk + XPU_DMA_RUN_COST)))
			return rc;
		if ((rc = xpu_mmu_translate_run(t, s, XPU_ACCESS_READ, chunk, &sd, &sn)))
			return rc;
		if ((rc = xpu_mmu_translate_run(t, d, XPU_ACCESS_WRITE, chunk, &dd, &dn)))
			return rc;
		chunk = sn < dn ? sn : dn;
		if ((sd | dd) & XPU_DPA_HOST)
			t->dma_host = 1;
		if (!((sd | dd) & FAR)) {
			/* both runs were bounds checked by the MMU. Copied page by
			 * page, a destination ahead of an overlapping source sees the
			 * pieces already written: keep the pieces then */
			if (dd > sd && dd - sd < chunk)
				chunk = page_piece(s, d, chunk);
			xpu_dma_batch_copy(b, t->mem.hbm + dd, t->mem.hbm + sd, chunk);
		} else if (!(dd & FAR)) {		/* host or link -> HBM */
			if (!xpu_dma_batch_host(b, sd, t->mem.hbm + dd, &chunk, 0) &&
			    (rc = xpu_dpa_read(t, sd, t->mem.hbm + dd, chunk)))
				return xpu_link_fail(t, rc, s, XPU_ACCESS_READ);
		} else if (!(sd & FAR)) {		/* HBM -> host or link */
			if (!xpu_dma_batch_host(b, dd, t->mem.hbm + sd, &chunk, 1) &&
			    (rc = xpu_dpa_write(t, dd, t->mem.hbm + sd, chunk)))
				return xpu_link_fail(t, rc, d, XPU_ACCESS_WRITE);
		} else {				/* neither in HBM: page pieces */
			xpu_dma_batch_flush(b);
			chunk = page_piece(s, d, chunk);
			if ((rc = xpu_dpa_read(t, sd, t->bounce, chunk)))
				return xpu_link_fail(t, rc, s, XPU_ACCESS_READ);
			if ((rc = xpu_dpa_write(t, dd, t->bounce, chunk)))
				return xpu_link_fail(t, rc, d, XPU_ACCESS_WRITE);
		}
		done += chunk;
	}
	return 0;
}

/* local SRAM to local SRAM: one memmove, in chunks between abort polls,
 * backwards when the destination overlaps the source from above */
static int la_to_la(struct xpu_tile *t, uint8_t *d, const uint8_t *s, uint64_t len)
{
	int back = d > s && d < s + len;
	uint64_t done = 0;
	int rc;

	while (done < len) {
		uint64_t c = len - done < XPU_DMA_CHUNK ? len - done : XPU_DMA_CHUNK;
		uint64_t off = back ? len - done - c : done;

		if ((rc = xpu_dma_charge(t, c + XPU_DMA_RUN_COST)))
			return rc;
		memmove(d + off, s + off, c);
		done += c;
	}
	return 0;
}

int xpu_exec_dma(struct xpu_tile *t, uint64_t insn)
{
	uint32_t f = XPU_INSN_FUNC(insn), dir = f & XPU_DMA_DIR_MASK;
	uint64_t dst = t->regs[XPU_INSN_RD(insn)], src = t->regs[XPU_INSN_RS1(insn)];
	uint64_t bytes = t->regs[XPU_INSN_RS2(insn)];
	uint64_t rows = 1, ss = 0, ds = 0, total, sext = 0, dext = 0, r, link = 0;
	uint8_t *sp = NULL, *dp = NULL;
	struct xpu_opnd in = { 0, 0 }, out = { 0, 0 };
	struct xpu_dma_batch b;
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
	t->poll_work = 0;
	memset(t->link_pending, 0, sizeof(t->link_pending));
	xpu_mmu_runs_forget(t);
	xpu_dma_batch_init(&b, t, dir == XPU_DMA_LA_TO_LA ? 0 : total);
	for (r = 0; r < rows && !rc; r++) {
		if (r && (r % ROW_POLL) == 0) {
			t->poll_work = 0;
			if ((rc = xpu_poll_abort(t)))
				break;
		} else if ((rc = xpu_dma_charge(t, XPU_DMA_RUN_COST))) {
			break;
		}
		switch (dir) {
		case XPU_DMA_VA_TO_LA:
			rc = xpu_dma_va_xfer(t, &b, src + r * ss, dp + r * ds, bytes, 0);
			break;
		case XPU_DMA_LA_TO_VA:
			rc = xpu_dma_va_xfer(t, &b, dst + r * ds, sp + r * ss, bytes, 1);
			break;
		case XPU_DMA_VA_TO_VA:
			rc = va_to_va(t, &b, dst + r * ds, src + r * ss, bytes);
			break;
		default:
			rc = la_to_la(t, dp + r * ds, sp + r * ss, bytes);
			break;
		}
	}
	xpu_dma_batch_fini(&b);		/* what was translated before an exit moves */
	if (rc)
		return rc;
	/* bytes that crossed a link are the ports' work (xpu_link_sched()),
	 * concurrent with the DMA unit, which moves the rest */
	for (r = 0; r < XPU_MAX_LINKS; r++)
		link += t->link_pending[r];
	if (link < total)
		xpu_sched(t, &t->dma_free, &t->dma_busy,
			  xpu_timing_dma_cycles(&t->cfg, total - link, t->dma_host),
			  &in, in.len ? 1 : 0, &out, out.len ? 1 : 0);
	xpu_link_sched(t, &in, in.len ? 1 : 0, &out, out.len ? 1 : 0);
	t->dma_bytes += total;
	if (t->dma_bytes < total)
		t->dma_bytes = UINT64_MAX;
	return 0;
}
