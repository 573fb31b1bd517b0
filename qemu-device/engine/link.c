// SPDX-License-Identifier: MIT
/*
 * XPU chip-to-chip links, the exporter's side (xpu_engine.h): serve one
 * peer transfer through a window of this chip's window table, and the link
 * layer's payload checksum.
 *
 * A transfer is checked as a whole before a byte moves: the window (valid,
 * requester in peers, the access allowed, the range inside it) and then
 * every page of the range through the exporter's MMU context (the same walk
 * the tiles use, mmu.c's xpu_mmu_walk(), without a TLB: the exporter's
 * invalidations need no link-side flush). Frames found in the check are
 * kept, so page tables changing meanwhile cannot make the copy fault half
 * way. HBM frames are copied directly, host frames through the exporter's
 * host callbacks (a bus error there is the one failure that may leave part
 * of the range moved). A LINK leaf in the exporter's context is refused:
 * transfers do not hop from chip to chip.
 */
#include <pthread.h>
#include <stdlib.h>
#include "engine_int.h"

#define LINK_STACK_PAGES	(XPU_DMA_CHUNK / XPU_PAGE_SIZE + 1)

static int window_ok(const struct xpu_link_window *w, uint32_t requester, uint64_t off,
		     uint64_t len, int write)
{
	uint32_t need = write ? XPU_WINF_WRITE : XPU_WINF_READ;

	if (!(w->flags & XPU_WINF_VALID) || !(w->flags & need))
		return 0;
	if (requester >= XPU_MAX_CHIPS || !(w->peers & (1u << requester)))
		return 0;
	if (w->size > XPU_LINK_WIN_MAX || ((w->va | w->size) & (XPU_PAGE_SIZE - 1)))
		return 0;
	if (w->va >> XPU_VA_BITS || w->size > (1ull << XPU_VA_BITS) - w->va)
		return 0;
	return off <= w->size && len <= w->size - off;
}

int xpu_link_serve(const struct xpu_mem *mem, const uint64_t *roots, uint32_t nroots,
		   const struct xpu_link_window *w, uint32_t requester,
		   uint64_t off, void *buf, uint64_t len, int write)
{
	uint64_t stack_frames[LINK_STACK_PAGES], *frames = stack_frames;
	uint64_t va, first, npages, i, done;
	uint64_t need = write ? XPU_PTE_WRITE : XPU_PTE_READ;
	uint8_t *b = buf;
	int rc = XPU_JOB_STATUS_LINK_ERROR;

	if (!mem || !w || !window_ok(w, requester, off, len, write) || (len && !buf))
		return XPU_JOB_STATUS_LINK_ERROR;
	if (!roots || w->ctx >= nroots)
		return XPU_JOB_STATUS_LINK_ERROR;
	if (!len)
		return 0;
	va = w->va + off;
	first = va & ~(uint64_t)(XPU_PAGE_SIZE - 1);
	npages = (va + len - first + XPU_PAGE_SIZE - 1) >> XPU_PAGE_SHIFT;
	if (npages > LINK_STACK_PAGES) {
		frames = malloc(npages * sizeof(*frames));
		if (!frames)
			return XPU_JOB_STATUS_LINK_ERROR;
	}

	/* check: every page mapped in the exporter's context, access allowed */
	for (i = 0; i < npages; i++) {
		uint64_t pte, frame;

		if (xpu_mmu_walk(mem, roots[w->ctx], XPU_PT_LEVELS - 1,
				 first + (i << XPU_PAGE_SHIFT), 0, &pte, &frame, NULL))
			goto out;
		if (!(pte & need) || (frame & XPU_DPA_LINK))
			goto out;
		frames[i] = frame;
	}

	/* copy: runs of frames contiguous in DPA, HBM directly */
	for (i = 0, done = 0; i < npages;) {
		uint64_t pg_off = i ? 0 : va - first;
		uint64_t dpa = frames[i] + pg_off, n = XPU_PAGE_SIZE - pg_off, j = i + 1;

		while (j < npages && frames[j] == frames[j - 1] + XPU_PAGE_SIZE &&
		       (!(dpa & XPU_DPA_HOST) || mem->host_runs) && n < XPU_DMA_CHUNK) {
			n += XPU_PAGE_SIZE;
			j++;
		}
		if (n > len - done)
			n = len - done;
		if (write)
			rc = xpu_mem_write(mem, dpa, b + done, n);
		else
			rc = xpu_mem_read(mem, dpa, b + done, n);
		if (rc) {
			rc = XPU_JOB_STATUS_LINK_ERROR;
			goto out;
		}
		done += n;
		i = j;
	}
	rc = 0;
out:
	if (frames != stack_frames)
		free(frames);
	return rc;
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), table driven; the
 * table is built once */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
		crc_table[i] = c;
	}
}

uint32_t xpu_link_checksum(const void *buf, uint64_t len)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;

	pthread_once(&crc_once, crc_init);
	if (!p)
		len = 0;
	for (uint64_t i = 0; i < len; i++)
		c = (c >> 8) ^ crc_table[(c ^ p[i]) & 0xff];
	return c ^ 0xffffffffu;
}
