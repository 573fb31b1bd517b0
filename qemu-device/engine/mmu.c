// SPDX-License-Identifier: MIT
/*
 * XPU device MMU: 4-level page walk (uapi/xpu_hw.h), per-tile direct-mapped
 * TLB, and VA/DPA accessors. The device never touches memory outside the
 * context's mappings: every HBM access is bounds checked against hbm_size.
 */
#include "engine_int.h"

void xpu_tlb_flush(struct xpu_tile *t)
{
	memset(t->tlb, 0, sizeof(t->tlb));
	t->fetch_tag = 0;
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

int xpu_mmu_translate(struct xpu_tile *t, uint64_t va, uint32_t access, uint64_t *dpa)
{
	uint64_t vpn = va >> XPU_PAGE_SHIFT;
	struct xpu_tlb_ent *e = &t->tlb[vpn % XPU_TLB_ENTRIES];
	uint32_t need = access == XPU_ACCESS_WRITE ? XPU_PTE_WRITE : XPU_PTE_READ;
	uint64_t table, pte = 0;
	int l, rc;

	if (va >> XPU_VA_BITS)
		return fault(t, va, access);
	check_gen(t);
	if (e->tag != vpn + 1) {
		table = t->pt_root;
		if (table & (XPU_PAGE_SIZE - 1))
			return fault(t, va, access);
		for (l = XPU_PT_LEVELS - 1; l >= 0; l--) {
			uint8_t raw[8];

			if (!frame_ok(t, table))
				return fault(t, va, access);
			rc = xpu_dpa_read(t, table + XPU_PT_INDEX(va, l) * 8, raw, 8);
			if (rc == XPU_JOB_STATUS_MMU_FAULT)
				return fault(t, va, access);
			if (rc)
				return rc;
			pte = xpu_ld64(raw);
			if (!(pte & XPU_PTE_VALID))
				return fault(t, va, access);
			table = (pte & XPU_PTE_ADDR_MASK) | ((pte & XPU_PTE_HOST) ? XPU_DPA_HOST : 0);
		}
		if (!frame_ok(t, table))
			return fault(t, va, access);
		e->tag = vpn + 1;
		e->frame = table;
		e->perm = (uint32_t)(pte & (XPU_PTE_READ | XPU_PTE_WRITE));
	}
	if (!(e->perm & need))
		return fault(t, va, access);
	*dpa = e->frame | (va & (XPU_PAGE_SIZE - 1));
	return 0;
}

static int va_xfer(struct xpu_tile *t, uint64_t va, uint8_t *buf, uint64_t len, int write)
{
	uint32_t access = write ? XPU_ACCESS_WRITE : XPU_ACCESS_READ;
	uint64_t done = 0, pages = 0;
	int rc;

	while (done < len) {
		uint64_t cur = va + done, dpa;
		uint64_t chunk = XPU_PAGE_SIZE - (cur & (XPU_PAGE_SIZE - 1));

		if (chunk > len - done)
			chunk = len - done;
		if ((++pages & 255) == 0 && (rc = xpu_poll_abort(t)))
			return rc;
		rc = xpu_mmu_translate(t, cur, access, &dpa);
		if (rc)
			return rc;
		if (dpa & XPU_DPA_HOST)
			t->dma_host = 1;
		rc = write ? xpu_dpa_write(t, dpa, buf + done, chunk)
			   : xpu_dpa_read(t, dpa, buf + done, chunk);
		if (rc == XPU_JOB_STATUS_MMU_FAULT)	/* cannot happen: frame checked */
			return fault(t, cur, access);
		if (rc)
			return rc;
		done += chunk;
	}
	return 0;
}

int xpu_va_read(struct xpu_tile *t, uint64_t va, void *buf, uint64_t len)
{
	return va_xfer(t, va, buf, len, 0);
}

int xpu_va_write(struct xpu_tile *t, uint64_t va, const void *buf, uint64_t len)
{
	if (len)
		t->fetch_tag = 0;	/* the fetch buffer may hold a copy */
	return va_xfer(t, va, (uint8_t *)buf, len, 1);
}
