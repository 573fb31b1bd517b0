// SPDX-License-Identifier: MIT
/*
 * XPU device MMU: 4-level page walk (uapi/xpu_hw.h), per-tile direct-mapped
 * TLB, and VA/DPA accessors. The device never touches memory outside the
 * context's mappings: every HBM access is bounds checked against hbm_size.
 * The walk itself (xpu_mmu_walk()) needs no tile: link.c walks an exporter's
 * context with it. A LINK leaf's frame is XPU_DPA_LINK | link address; DPA
 * accessors send those to mem.link_xfer. A large DMA's runs between HBM or
 * mappable host memory and SRAM go into its copy batch (dma_batch.c).
 */
#include "dma_batch.h"

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

int xpu_mem_read(const struct xpu_mem *m, uint64_t dpa, void *buf, uint64_t len)
{
	if (dpa & XPU_DPA_LINK)
		return XPU_JOB_STATUS_MMU_FAULT;	/* never a table or local memory */
	if (dpa & XPU_DPA_HOST) {
		if (!m->host_read || m->host_read(m->opaque, dpa & ~XPU_DPA_HOST, buf, len) != 0)
			return XPU_JOB_STATUS_DMA_ERROR;
		return 0;
	}
	if (dpa > m->hbm_size || len > m->hbm_size - dpa)
		return XPU_JOB_STATUS_MMU_FAULT;
	memcpy(buf, m->hbm + dpa, len);
	return 0;
}

int xpu_mem_write(const struct xpu_mem *m, uint64_t dpa, const void *buf, uint64_t len)
{
	if (dpa & XPU_DPA_LINK)
		return XPU_JOB_STATUS_MMU_FAULT;
	if (dpa & XPU_DPA_HOST) {
		if (!m->host_write || m->host_write(m->opaque, dpa & ~XPU_DPA_HOST, buf, len) != 0)
			return XPU_JOB_STATUS_DMA_ERROR;
		return 0;
	}
	if (dpa > m->hbm_size || len > m->hbm_size - dpa)
		return XPU_JOB_STATUS_MMU_FAULT;
	memmove(m->hbm + dpa, buf, len);
	return 0;
}

/* a link DPA: the peer's memory through mem.link_xfer, bytes counted for
 * the port's timeline (xpu_link_sched()) */
static int link_io(struct xpu_tile *t, uint64_t dpa, void *buf, uint64_t len, int write)
{
	uint64_t la = dpa & ~XPU_DPA_LINK;
	uint32_t port = (uint32_t)XPU_LINK_ADDR_PORT(la);
	int rc;

	if (port >= XPU_MAX_LINKS || !t->mem.link_xfer || (dpa & XPU_DPA_HOST))
		return XPU_JOB_STATUS_LINK_ERROR;
	rc = t->mem.link_xfer(t->mem.opaque, la, buf, len, write);
	if (rc)
		return rc;
	t->link_pending[port] += len;
	return 0;
}

int xpu_dpa_read(struct xpu_tile *t, uint64_t dpa, void *buf, uint64_t len)
{
	if (dpa & XPU_DPA_LINK)
		return link_io(t, dpa, buf, len, 0);
	return xpu_mem_read(&t->mem, dpa, buf, len);
}

int xpu_dpa_write(struct xpu_tile *t, uint64_t dpa, const void *buf, uint64_t len)
{
	if (dpa & XPU_DPA_LINK)
		return link_io(t, dpa, (void *)buf, len, 1);
	return xpu_mem_write(&t->mem, dpa, buf, len);
}

int xpu_link_fail(struct xpu_tile *t, int rc, uint64_t va, uint32_t access)
{
	if (rc == XPU_JOB_STATUS_LINK_ERROR) {
		t->fault_va = va;
		t->fault_access = access;
	}
	return rc;
}

static int fault(struct xpu_tile *t, uint64_t va, uint32_t access)
{
	t->fault_va = va;
	t->fault_access = access;
	return XPU_JOB_STATUS_MMU_FAULT;
}

/* a page-sized object (table or frame) at DPA addr must be reachable */
static int frame_ok(const struct xpu_mem *m, uint64_t addr)
{
	if (addr & (XPU_DPA_HOST | XPU_DPA_LINK))
		return 1;
	return addr <= m->hbm_size && XPU_PAGE_SIZE <= m->hbm_size - addr;
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

int xpu_mmu_walk(const struct xpu_mem *m, uint64_t table, int level, uint64_t va, int quiet,
		 uint64_t *pte_out, uint64_t *frame, uint64_t *leaf_table)
{
	uint64_t pte = 0;
	int l, rc;

	if (va >> XPU_VA_BITS || (table & (XPU_PAGE_SIZE - 1)) || (table & XPU_DPA_LINK))
		return XPU_WALK_FAULT;
	for (l = level; l >= 0; l--) {
		uint8_t raw[8];

		if (!frame_ok(m, table))
			return XPU_WALK_FAULT;
		if (quiet && (table & XPU_DPA_HOST))
			return XPU_WALK_QUIET;
		rc = xpu_mem_read(m, table + XPU_PT_INDEX(va, l) * 8, raw, 8);
		if (rc == XPU_JOB_STATUS_MMU_FAULT)
			return XPU_WALK_FAULT;
		if (rc)
			return rc;
		if (l == 0 && !(table & XPU_DPA_HOST) && leaf_table)
			*leaf_table = table;
		pte = xpu_ld64(raw);
		if (!(pte & XPU_PTE_VALID))
			return XPU_WALK_FAULT;
		if (pte & XPU_PTE_LINK) {
			/* a link leaf: never a table, never host memory too */
			if (l || (pte & XPU_PTE_HOST))
				return XPU_WALK_FAULT;
			table = (pte & XPU_PTE_ADDR_MASK) | XPU_DPA_LINK;
		} else {
			table = (pte & XPU_PTE_ADDR_MASK) | ((pte & XPU_PTE_HOST) ? XPU_DPA_HOST : 0);
		}
	}
	if (!frame_ok(m, table))
		return XPU_WALK_FAULT;
	*pte_out = pte;
	*frame = table;
	return 0;
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
	uint64_t table, pte = 0, frame = 0, leaf = ~0ull;
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
		rc = xpu_mmu_walk(&t->mem, table, l, va, quiet, &pte, &frame, &leaf);
		if (leaf != ~0ull) {
			t->walk_leaf_tag = (va >> (XPU_PAGE_SHIFT + 9)) + 1;
			t->walk_leaf = leaf;
		}
		if (rc == XPU_WALK_FAULT)
			goto fail;
		if (rc)
			return quiet ? -1 : rc;
		e->tag = vpn + 1;
		e->frame = frame;
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
		/* a link run stays within one port and window (bits 40 and up) */
		while (n < max && translate(t, va + n, access, &next, 1) == 0 &&
		       next == *dpa + n && (!(next & XPU_DPA_LINK) || !((next ^ *dpa) >> 40)))
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

/* dma: a DMA's transfer (runs of up to XPU_DMA_CHUNK, abort polls by work;
 * b: its copy batch, or NULL); else a scalar load or store */
static int va_xfer(struct xpu_tile *t, uint64_t va, uint8_t *buf, uint64_t len, int write,
		   int dma, struct xpu_dma_batch *b)
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
		if (b && !(dpa & (XPU_DPA_HOST | XPU_DPA_LINK))) {
			/* an HBM run, inside HBM (every frame checked) */
			if (write)
				xpu_dma_batch_copy(b, t->mem.hbm + dpa, buf + done, chunk);
			else
				xpu_dma_batch_copy(b, buf + done, t->mem.hbm + dpa, chunk);
			done += chunk;
			continue;
		}
		if (b && xpu_dma_batch_host(b, dpa, buf + done, &chunk, write)) {
			done += chunk;
			continue;
		}
		rc = write ? xpu_dpa_write(t, dpa, buf + done, chunk)
			   : xpu_dpa_read(t, dpa, buf + done, chunk);
		if (rc == XPU_JOB_STATUS_MMU_FAULT)	/* cannot happen: frames checked */
			return fault(t, cur, access);
		if (rc)
			return xpu_link_fail(t, rc, cur, access);
		done += chunk;
	}
	return 0;
}

int xpu_va_read(struct xpu_tile *t, uint64_t va, void *buf, uint64_t len)
{
	return va_xfer(t, va, buf, len, 0, 0, NULL);
}

int xpu_va_write(struct xpu_tile *t, uint64_t va, const void *buf, uint64_t len)
{
	if (len)
		t->fetch_tag = 0;	/* the fetch buffer may hold a copy */
	return va_xfer(t, va, (uint8_t *)buf, len, 1, 0, NULL);
}

int xpu_dma_va_xfer(struct xpu_tile *t, struct xpu_dma_batch *b, uint64_t va, uint8_t *buf,
		    uint64_t len, int write)
{
	if (write && len)
		t->fetch_tag = 0;
	return va_xfer(t, va, buf, len, write, 1, b);
}

int xpu_dma_va_read(struct xpu_tile *t, uint64_t va, void *buf, uint64_t len)
{
	return xpu_dma_va_xfer(t, NULL, va, buf, len, 0);
}

int xpu_dma_va_write(struct xpu_tile *t, uint64_t va, const void *buf, uint64_t len)
{
	return xpu_dma_va_xfer(t, NULL, va, (uint8_t *)buf, len, 1);
}
