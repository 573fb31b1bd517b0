/* SPDX-License-Identifier: MIT */
/*
 * XPU device page-table writer: the one userspace writer of the format the
 * device MMU walks (uapi/xpu_hw.h, docs/hardware.md section 12.2). It lives
 * next to the walker (mmu.c) so that both read the same constants; libxpu's
 * host backend builds its address space with it and the engine tests build
 * their contexts with it (tests/engine/mmu_test.c checks it against the
 * walker and against the documented bit layout). The Linux driver keeps its
 * own writer (kernel code, driver/xpu_mmu.c); the VM suites check it against
 * the same walker through the device.
 *
 * Tables live in an HBM image in host memory and are allocated from a pool of
 * pages inside it; all tables of one struct xpu_pt are in HBM (the walker
 * also accepts host-memory tables, this writer never creates them). Entries
 * are stored little-endian with release stores, so a tile walking the table
 * concurrently sees either the old or the new entry. Not thread-safe: one
 * writer at a time (the caller's lock).
 */
#ifndef XPU_PT_H
#define XPU_PT_H

#include <stdint.h>
#include "xpu_hw.h"

struct xpu_pt {
	uint8_t *hbm;			/* the HBM image the tables live in */
	uint64_t hbm_size;
	uint64_t pool_next, pool_end;	/* free table pages: [pool_next, pool_end) */
	uint64_t root;			/* DPA of the root table */
};

/*
 * Use HBM [pool_start, pool_end) (page aligned, inside hbm_size) for tables
 * and allocate the zeroed root from it. Returns 0, -EINVAL (bad pool) or
 * -ENOSPC (pool smaller than a page).
 */
int xpu_pt_init(struct xpu_pt *pt, uint8_t *hbm, uint64_t hbm_size,
		uint64_t pool_start, uint64_t pool_end);
/*
 * Map [va, va+len) to consecutive frames from dpa on (dpa with XPU_DPA_HOST
 * set = host bus address: leaf entries get XPU_PTE_HOST). perm is
 * XPU_PTE_READ and/or XPU_PTE_WRITE. va, dpa and len page aligned, the range
 * inside the 48-bit VA space, frames below 2^52. Replaces existing mappings.
 * Returns 0, -EINVAL (bad argument) or -ENOSPC (table pool exhausted; the
 * leaf entries written by this call are cleared again). The caller
 * invalidates the TLBs if it replaced live entries.
 */
int xpu_pt_map(struct xpu_pt *pt, uint64_t va, uint64_t dpa, uint64_t len, uint64_t perm);
/* Clear the leaf entries of [va, va+len) (tables are kept). Returns 0 or
 * -EINVAL (misaligned, outside the VA space). The caller invalidates. */
int xpu_pt_unmap(struct xpu_pt *pt, uint64_t va, uint64_t len);
/* Write a raw leaf entry for va, creating tables (tests write malformed
 * entries with it). Returns 0, -EINVAL or -ENOSPC. */
int xpu_pt_set_leaf(struct xpu_pt *pt, uint64_t va, uint64_t pte);
/* The leaf entry of va (0 when a table on the way is missing). */
uint64_t xpu_pt_leaf(const struct xpu_pt *pt, uint64_t va);
/* Address of the raw (little-endian) entry of level l (3 = root .. 0 = leaf)
 * for va, or NULL if a table on the way is missing. */
uint64_t *xpu_pt_entry(struct xpu_pt *pt, uint64_t va, int level);

#endif /* XPU_PT_H */
