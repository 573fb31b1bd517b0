// SPDX-License-Identifier: MIT
/*
 * XPU device page-table writer (see xpu_pt.h): tables in an HBM image, pages
 * from a bump pool, entries in the format mmu.c walks. Table pages are never
 * returned to the pool: VA ranges are reused by the allocators above, so
 * their tables are too.
 */
#include <errno.h>
#include "engine_int.h"
#include "xpu_pt.h"

#define PT_PAGE		XPU_PAGE_SIZE
#define PT_VA_LIMIT	(1ull << XPU_VA_BITS)
#define PT_ADDR_LIMIT	(XPU_PTE_ADDR_MASK + PT_PAGE)	/* 2^52 */

static void pte_store(uint64_t *e, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	__atomic_store_n(e, v, __ATOMIC_RELEASE);
}

static uint64_t pte_load(const uint64_t *e)
{
	uint64_t v = __atomic_load_n(e, __ATOMIC_RELAXED);

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static int alloc_table(struct xpu_pt *pt, uint64_t *out)
{
	uint64_t a = pt->pool_next;

	if (a >= pt->pool_end || pt->pool_end - a < PT_PAGE)
		return -ENOSPC;
	pt->pool_next += PT_PAGE;
	memset(pt->hbm + a, 0, PT_PAGE);
	*out = a;
	return 0;
}

int xpu_pt_init(struct xpu_pt *pt, uint8_t *hbm, uint64_t hbm_size,
		uint64_t pool_start, uint64_t pool_end)
{
	if (!pt || !hbm || ((pool_start | pool_end) & (PT_PAGE - 1)) ||
	    pool_end > hbm_size || pool_start >= pool_end)
		return -EINVAL;
	pt->hbm = hbm;
	pt->hbm_size = hbm_size;
	pt->pool_next = pool_start;
	pt->pool_end = pool_end;
	return alloc_table(pt, &pt->root);
}

/* The entry of va at level, creating missing tables if pt is non-NULL
 * (then rc tells why NULL came back). */
static uint64_t *walk(const struct xpu_pt *cpt, struct xpu_pt *pt, uint64_t va, int level,
		      int *rc)
{
	uint64_t table = cpt->root;

	*rc = -EINVAL;
	if (va >= PT_VA_LIMIT || level < 0 || level >= XPU_PT_LEVELS)
		return NULL;
	for (int l = XPU_PT_LEVELS - 1; l > level; l--) {
		uint64_t *e = (uint64_t *)(cpt->hbm + table) + XPU_PT_INDEX(va, l);
		uint64_t v = pte_load(e);

		if (!(v & XPU_PTE_VALID)) {
			uint64_t nt;

			if (!pt)
				return NULL;
			*rc = alloc_table(pt, &nt);
			if (*rc)
				return NULL;
			v = nt | XPU_PTE_VALID;
			pte_store(e, v);
		}
		if (v & XPU_PTE_HOST)
			return NULL;		/* a host-memory table: not this writer's */
		table = v & XPU_PTE_ADDR_MASK;
		if (table >= cpt->hbm_size || cpt->hbm_size - table < PT_PAGE)
			return NULL;		/* a table outside HBM (tests corrupt entries) */
	}
	*rc = 0;
	return (uint64_t *)(cpt->hbm + table) + XPU_PT_INDEX(va, level);
}

uint64_t *xpu_pt_entry(struct xpu_pt *pt, uint64_t va, int level)
{
	int rc;

	return walk(pt, NULL, va, level, &rc);
}

uint64_t xpu_pt_leaf(const struct xpu_pt *pt, uint64_t va)
{
	int rc;
	const uint64_t *e = walk(pt, NULL, va, 0, &rc);

	return e ? pte_load(e) : 0;
}

int xpu_pt_set_leaf(struct xpu_pt *pt, uint64_t va, uint64_t pte)
{
	int rc;
	uint64_t *e = walk(pt, pt, va, 0, &rc);

	if (!e)
		return rc ? rc : -EINVAL;
	pte_store(e, pte);
	return 0;
}

static int range_ok(uint64_t va, uint64_t len)
{
	return !((va | len) & (PT_PAGE - 1)) && va < PT_VA_LIMIT && len <= PT_VA_LIMIT - va;
}

int xpu_pt_unmap(struct xpu_pt *pt, uint64_t va, uint64_t len)
{
	if (!range_ok(va, len))
		return -EINVAL;
	for (uint64_t off = 0; off < len; off += PT_PAGE) {
		uint64_t *e = xpu_pt_entry(pt, va + off, 0);

		if (e)
			pte_store(e, 0);
	}
	return 0;
}

int xpu_pt_map(struct xpu_pt *pt, uint64_t va, uint64_t dpa, uint64_t len, uint64_t perm)
{
	uint64_t host = (dpa & XPU_DPA_HOST) ? XPU_PTE_HOST : 0;
	int rc;

	dpa &= ~XPU_DPA_HOST;
	if (!range_ok(va, len) || (dpa & (PT_PAGE - 1)) || dpa >= PT_ADDR_LIMIT ||
	    len > PT_ADDR_LIMIT - dpa || (perm & ~(XPU_PTE_READ | XPU_PTE_WRITE)))
		return -EINVAL;
	for (uint64_t off = 0; off < len; off += PT_PAGE) {
		rc = xpu_pt_set_leaf(pt, va + off, (dpa + off) | host | perm | XPU_PTE_VALID);
		if (rc) {
			xpu_pt_unmap(pt, va, off);
			return rc;
		}
	}
	return 0;
}
