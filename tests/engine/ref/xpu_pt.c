// SPDX-License-Identifier: MIT
/* XPU device page-table builder, see xpu_pt.h. Assumes a little-endian host. */
#include <string.h>
#include "xpu_pt.h"

static int64_t alloc_table(struct xpu_pt *pt)
{
	uint64_t a = pt->pool_next;

	if (a + XPU_PAGE_SIZE > pt->pool_end)
		return -1;
	pt->pool_next += XPU_PAGE_SIZE;
	memset(pt->hbm + a, 0, XPU_PAGE_SIZE);
	return (int64_t)a;
}

int xpu_pt_init(struct xpu_pt *pt, uint8_t *hbm, uint64_t hbm_size,
		uint64_t pool_start, uint64_t pool_end)
{
	int64_t root;

	if ((pool_start | pool_end) & (XPU_PAGE_SIZE - 1) || pool_end > hbm_size ||
	    pool_start >= pool_end)
		return -1;
	pt->hbm = hbm;
	pt->hbm_size = hbm_size;
	pt->pool_next = pool_start;
	pt->pool_end = pool_end;
	root = alloc_table(pt);
	if (root < 0)
		return -1;
	pt->root = (uint64_t)root;
	return 0;
}

/* walk to the leaf entry of va, creating tables if create */
static uint64_t *walk(struct xpu_pt *pt, uint64_t va, int level, int create)
{
	uint64_t table = pt->root;
	int l;

	if (va >> XPU_VA_BITS)
		return NULL;
	for (l = XPU_PT_LEVELS - 1; l > level; l--) {
		uint64_t *e = (uint64_t *)(pt->hbm + table) + XPU_PT_INDEX(va, l);

		if (!(*e & XPU_PTE_VALID)) {
			int64_t nt;

			if (!create || (nt = alloc_table(pt)) < 0)
				return NULL;
			*e = (uint64_t)nt | XPU_PTE_VALID;
		}
		if (*e & XPU_PTE_HOST)
			return NULL;		/* host tables: not handled here */
		table = *e & XPU_PTE_ADDR_MASK;
		if (table + XPU_PAGE_SIZE > pt->hbm_size)
			return NULL;
	}
	return (uint64_t *)(pt->hbm + table) + XPU_PT_INDEX(va, level);
}

uint64_t *xpu_pt_entry(struct xpu_pt *pt, uint64_t va, int level)
{
	return walk(pt, va, level, 0);
}

int xpu_pt_set_leaf(struct xpu_pt *pt, uint64_t va, uint64_t pte)
{
	uint64_t *e = walk(pt, va, 0, 1);

	if (!e)
		return -1;
	*e = pte;
	return 0;
}

int xpu_pt_map(struct xpu_pt *pt, uint64_t va, uint64_t dpa, uint64_t len, uint64_t perm)
{
	uint64_t off, host = dpa & XPU_DPA_HOST ? XPU_PTE_HOST : 0;

	dpa &= ~XPU_DPA_HOST;
	if ((va | dpa | len) & (XPU_PAGE_SIZE - 1) || (perm & ~(XPU_PTE_READ | XPU_PTE_WRITE)))
		return -1;
	for (off = 0; off < len; off += XPU_PAGE_SIZE)
		if (xpu_pt_set_leaf(pt, va + off, ((dpa + off) & XPU_PTE_ADDR_MASK) | host |
				    perm | XPU_PTE_VALID))
			return -1;
	return 0;
}

int xpu_pt_unmap(struct xpu_pt *pt, uint64_t va, uint64_t len)
{
	uint64_t off;

	if ((va | len) & (XPU_PAGE_SIZE - 1))
		return -1;
	for (off = 0; off < len; off += XPU_PAGE_SIZE) {
		uint64_t *e = walk(pt, va + off, 0, 0);

		if (e)
			*e = 0;
	}
	return 0;
}
