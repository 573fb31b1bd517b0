/* SPDX-License-Identifier: MIT */
/*
 * Tiny builder for XPU device page tables (uapi/xpu_hw.h format) inside an
 * HBM image in host memory. Tables are allocated from a page pool inside the
 * image; the root is at pt->root (a DPA). For tests and host backends.
 */
#ifndef XPU_PT_H
#define XPU_PT_H

#include <stdint.h>
#include "xpu_hw.h"

struct xpu_pt {
	uint8_t *hbm;
	uint64_t hbm_size;
	uint64_t pool_next, pool_end;	/* free table pages: [pool_next, pool_end) */
	uint64_t root;			/* DPA of the root table */
};

/* Use HBM [pool_start, pool_end) (page aligned) for tables and allocate the
 * root. Returns 0 or -1. */
int xpu_pt_init(struct xpu_pt *pt, uint8_t *hbm, uint64_t hbm_size,
		uint64_t pool_start, uint64_t pool_end);
/* Map [va, va+len) to frames from dpa on (dpa with XPU_DPA_HOST set = host bus
 * address), perm = XPU_PTE_READ | XPU_PTE_WRITE. va, dpa, len page aligned.
 * Replaces existing mappings. Returns 0 or -1 (misaligned, pool exhausted). */
int xpu_pt_map(struct xpu_pt *pt, uint64_t va, uint64_t dpa, uint64_t len, uint64_t perm);
/* Clear the leaf entries of [va, va+len). Returns 0 or -1. */
int xpu_pt_unmap(struct xpu_pt *pt, uint64_t va, uint64_t len);
/* Write a raw leaf entry for va (creating tables). Returns 0 or -1. */
int xpu_pt_set_leaf(struct xpu_pt *pt, uint64_t va, uint64_t pte);
/* Address of the raw entry of level l (3 = root .. 0 = leaf) for va, or NULL
 * if a table on the way is missing. */
uint64_t *xpu_pt_entry(struct xpu_pt *pt, uint64_t va, int level);

#endif /* XPU_PT_H */
