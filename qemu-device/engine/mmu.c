// SPDX-License-Identifier: MIT
/*
 * XPU device MMU: 4-level page walk (uapi/xpu_hw.h), per-tile direct-mapped
 * TLB, and VA/DPA accessors. The device never touches memory outside the
 * context's mappings: every HBM access is bounds checked against hbm_size.
 */
#include "engine_int.h"

void xpu_mmu_runs_forget(struct xpu_tile *t)
{
	memset(t->run_cache, 0, sizeof(t->run_cache));
	t->walk_leaf_tag = 0;
}

void xpu_tlb_flush(struct xpu_tile *t)
{
	memset(t->tlb, 0, sizeof(t->tlb));
	t->fetch_tag = 0;
	xpu_mmu_runs_forget(t);
}

int xpu_dpa_read(struct xpu_tile *t, uint64_t dpa, void *buf, uint64_t len)
{
	if (dpa & XPU_DPA_HOST) {
		if (!t->mem.host_read ||
		    t->mem.host_read(t->mem.opaque, dpa & ~XPU_DPA_HOST, buf, len) != 0)
			return XPU_JOB_STATUS_DMA_ERROR;
		return 0;
	}
	if (dpa > t->mem.hbm_size || len > t->mem.hbm_size - dpa)
		return XPU_JOB_STATUS_MMU_FAULT;
	memcpy(buf, t->mem.hbm + dpa, len);
	return 0;
}

int xpu_dpa_write(struct xpu_tile *t, uint64_t dpa, const void *buf, uint64_t len)
{
	if (dpa & XPU_DPA_HOST) {
		if (!t->mem.host_write ||
		    t->mem.host_write(t->mem.opaque, dpa & ~XPU_DPA_HOST, buf, len) != 0)
			return XPU_JOB_STATUS_DMA_ERROR;
		return 0;
	}
	if (dpa > t->mem.hbm_size || len > t->mem.hbm_size - dpa)
		return XPU_JOB_STATUS_MMU_FAULT;
	memmove(t->mem.hbm + dpa, buf, len);
	return 0;
}

static int fault(struct xpu_tile *t, uint64_t va, uint32_t access)
{
	t->fault_va = va;
	t->fault_access = access;
	return XPU_JOB_STATUS_MMU_FAULT;
}

/* a page-sized object (table or frame) at DPA addr must be reachable */
static int frame_ok(struct xpu_tile *t, uint64_t addr)
{
	if (addr & XPU_DPA_HOST)
		return 1;
	return addr <= t->mem.hbm_size && XPU_PAGE_SIZE <= t->mem.hbm_size - addr;
}

static void check_gen(struct xpu_tile *t)
{
	if (t->mem.tlb_gen) {
		uint32_t g = __atomic_load_n(t->mem.tlb_gen, __ATOMIC_ACQUIRE);

		if (g != t->tlb_gen_seen) {
			t->tlb_gen_seen = g;
			xpu_tlb_flush(t);
		}
	}
}

/*
 * One page. quiet (the lookahead of xpu_mmu_translate_run()): return -1
 * instead of recording a fault, and before reading a table in host memory
 * (a host read may fail or have side effects: it happens when the DMA gets
 * to that page, as without the lookahead). The lookahead also starts its
 * walk at the leaf table of the previous walk when va is in the same 2 MiB
 * (a walk cache, dropped with the TLB and at every DMA's start).
 */
static int translate(struct xpu_tile *t, uint64_t va, uint32_t access, uint64_t *dpa, int quiet)
{
	uint64_t vpn = va >> XPU_PAGE_SHIFT;
	struct xpu_tlb_ent *e = &t->tlb[vpn % XPU_TLB_ENTRIES];
	uint32_t need = access == XPU_ACCESS_WRITE ? XPU_PTE_WRITE : XPU_PTE_READ;
	uint64_t table, pte = 0;
	int l, rc;

	if (va >> XPU_VA_BITS)
		goto fail;
	check_gen(t);
	if (e->tag != vpn + 1) {
		table = t->pt_root;
		l = XPU_PT_LEVELS - 1;
		if (quiet && t->walk_leaf_tag == (va >> (XPU_PAGE_SHIFT + 9)) + 1) {
			table = t->walk_leaf;
			l = 0;
		}
		if (table & (XPU_PAGE_SIZE - 1))
			goto fail;
		for (; l >= 0; l--) {
			uint8_t raw[8];

			if (!frame_ok(t, table))
				goto fail;
			if (quiet && (table & XPU_DPA_HOST))
				return -1;
			rc = xpu_dpa_read(t, table + XPU_PT_INDEX(va, l) * 8, raw, 8);
			if (rc == XPU_JOB_STATUS_MMU_FAULT)
				goto fail;
			if (rc)
				return quiet ? -1 : rc;
			if (l == 0 && !(table & XPU_DPA_HOST)) {
				t->walk_leaf_tag = (va >> (XPU_PAGE_SHIFT + 9)) + 1;
				t->walk_leaf = table;
			}
			pte = xpu_ld64(raw);
			if (!(pte & XPU_PTE_VALID))
				goto fail;
			table = (pte & XPU_PTE_ADDR_MASK) | ((pte & XPU_PTE_HOST) ? XPU_DPA_HOST : 0);
		}
		if (!frame_ok(t, table))
			goto fail;
		e->tag = vpn + 1;
		e->frame = table;
		e->perm = (uint32_t)(pte & (XPU_PTE_READ | XPU_PTE_WRITE));
	}
	if (!(e->perm & need))
		goto fail;
	*dpa = e->frame | (va & (XPU_PAGE_SIZE - 1));
	return 0;
fail:
	return quiet ? -1 : fault(t, va, access);
}

int xpu_mmu_translate(struct xpu_tile *t, uint64_t va, uint32_t access, uint64_t *dpa)
{
	return translate(t, va, access, dpa, 0);
}

int xpu_mmu_translate_run(struct xpu_tile *t, uint64_t va, uint32_t access, uint64_t max,
			  uint64_t *dpa, uint64_t *run)
{
	uint64_t n = XPU_PAGE_SIZE - (va & (XPU_PAGE_SIZE - 1)), next;
	int w = access == XPU_ACCESS_WRITE, rc;

	if (access == XPU_ACCESS_READ || w) {
		check_gen(t);		/* an invalidation drops the runs */
		if (va >= t->run_cache[w].lo && va < t->run_cache[w].hi) {
			n = t->run_cache[w].hi - va;
			*dpa = t->run_cache[w].dpa + (va - t->run_cache[w].lo);
			*run = n < max ? n : max;
			return 0;
		}
	}
	if ((rc = translate(t, va, access, dpa, 0)))
		return rc;
	if (!(*dpa & XPU_DPA_HOST) || t->mem.host_runs) {
		while (n < max && translate(t, va + n, access, &next, 1) == 0 &&
		       next == *dpa + n)
			n += XPU_PAGE_SIZE;
	}
	if (access == XPU_ACCESS_READ || w) {
		t->run_cache[w].lo = va;
		t->run_cache[w].hi = va + n;
		t->run_cache[w].dpa = *dpa;
	}
	*run = n < max ? n : max;
	return 0;
}

/* dma: a DMA's transfer (runs of up to XPU_DMA_CHUNK, abort polls by work);
 * else a scalar load or store */
static int va_xfer(struct xpu_tile *t, uint64_t va, uint8_t *buf, uint64_t len, int write,
		   int dma)
{
	uint32_t access = write ? XPU_ACCESS_WRITE : XPU_ACCESS_READ;
	uint64_t done = 0;
	int rc;

	while (done < len) {
		uint64_t cur = va + done, dpa, chunk = len - done;

		if (chunk > XPU_DMA_CHUNK)
			chunk = XPU_DMA_CHUNK;
		if (dma && (rc = xpu_dma_charge(t, chunk + XPU_DMA_RUN_COST)))
			return rc;
		if (dma) {
			rc = xpu_mmu_translate_run(t, cur, access, chunk, &dpa, &chunk);
		} else {			/* one page at a time */
			if (chunk > XPU_PAGE_SIZE - (cur & (XPU_PAGE_SIZE - 1)))
				chunk = XPU_PAGE_SIZE - (cur & (XPU_PAGE_SIZE - 1));
			rc = xpu_mmu_translate(t, cur, access, &dpa);
		}
		if (rc)
			return rc;
		if (dpa & XPU_DPA_HOST)
			t->dma_host = 1;
		rc = write ? xpu_dpa_write(t, dpa, buf + done, chunk)
			   : xpu_dpa_read(t, dpa, buf + done, chunk);
		if (rc == XPU_JOB_STATUS_MMU_FAULT)	/* cannot happen: frames checked */
			return fault(t, cur, access);
		if (rc)
			return rc;
		done += chunk;
	}
	return 0;
}

int xpu_va_read(struct xpu_tile *t, uint64_t va, void *buf, uint64_t len)
{
	return va_xfer(t, va, buf, len, 0, 0);
}

int xpu_va_write(struct xpu_tile *t, uint64_t va, const void *buf, uint64_t len)
{
	if (len)
		t->fetch_tag = 0;	/* the fetch buffer may hold a copy */
	return va_xfer(t, va, (uint8_t *)buf, len, 1, 0);
}

int xpu_dma_va_read(struct xpu_tile *t, uint64_t va, void *buf, uint64_t len)
{
	return va_xfer(t, va, buf, len, 0, 1);
}

int xpu_dma_va_write(struct xpu_tile *t, uint64_t va, const void *buf, uint64_t len)
{
	if (len)
		t->fetch_tag = 0;
	return va_xfer(t, va, (uint8_t *)buf, len, 1, 1);
}
