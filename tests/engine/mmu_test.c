// SPDX-License-Identifier: MIT
/*
 * Device MMU: faults, permissions, bounds, TLB invalidation, host memory; and
 * the page-table writer (qemu-device/engine/pt.c, the one libxpu's host
 * backend uses) against the documented format (docs/hardware.md 12.2) and
 * against the walker.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

FIXTURE(mmu) { struct tenv *e; };
FIXTURE_SETUP(mmu) { self->e = tenv_new(NULL); ASSERT_NE(NULL, self->e); }
FIXTURE_TEARDOWN(mmu) { tenv_free(self->e); }

/* ld or st of 8 bytes at va */
static uint32_t access1(struct tenv *e, uint64_t va, int store)
{
	tenv_clear(e);
	LI64(e, 3, va);
	E(e, store ? xpu_st(XPU_MEM_W64, 0, 3, 0) : xpu_ld(XPU_MEM_W64, 4, 3, 0));
	E(e, xpu_halt());
	return tenv_run(e);
}

TEST_F(mmu, unmapped_and_permissions)
{
	struct tenv *e = self->e;

	EXPECT_EQ(XPU_JOB_STATUS_OK, access1(e, T_DATA_VA + 8, 0));
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, 0x7000, 0));
	EXPECT_EQ(0x7000, e->rec.fault_va);
	EXPECT_EQ(XPU_ACCESS_READ, e->rec.fault_access);
	/* end of the mapped data region */
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, T_DATA_VA + T_DATA_SIZE, 1));
	EXPECT_EQ(T_DATA_VA + T_DATA_SIZE, e->rec.fault_va);
	EXPECT_EQ(XPU_ACCESS_WRITE, e->rec.fault_access);
	/* a store straddling into the unmapped page faults at the first unmapped byte */
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, T_DATA_VA + T_DATA_SIZE - 4, 1));
	EXPECT_EQ(T_DATA_VA + T_DATA_SIZE, e->rec.fault_va);
	/* the program region is read-only */
	EXPECT_EQ(XPU_JOB_STATUS_OK, access1(e, T_PROG_VA, 0));
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, T_PROG_VA + 8, 1));
	EXPECT_EQ(T_PROG_VA + 8, e->rec.fault_va);
	EXPECT_EQ(XPU_ACCESS_WRITE, e->rec.fault_access);
	/* VA beyond 48 bits, even if the low bits are mapped */
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, (1ull << 48) | T_DATA_VA, 0));
	EXPECT_EQ((1ull << 48) | T_DATA_VA, e->rec.fault_va);
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, ~0ull - 3, 0));
	/* write-only page (no READ) cannot be read */
	ASSERT_EQ(0, xpu_pt_map(&e->pt, 0x5000, T_DATA_DPA, 4096, XPU_PTE_WRITE));
	EXPECT_EQ(XPU_JOB_STATUS_OK, access1(e, 0x5000, 1));
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, 0x5000, 0));
}

TEST_F(mmu, entries_outside_hbm)
{
	struct tenv *e = self->e;
	uint64_t *pte;

	/* leaf frame beyond HBM */
	ASSERT_EQ(0, xpu_pt_set_leaf(&e->pt, 0x6000, T_HBM_SIZE | XPU_PTE_VALID | XPU_PTE_READ));
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, 0x6000, 0));
	EXPECT_EQ(0x6000, e->rec.fault_va);
	/* leaf frame straddling the end is impossible (page aligned); last page is fine */
	ASSERT_EQ(0, xpu_pt_set_leaf(&e->pt, 0x6000, (T_HBM_SIZE - 4096) | XPU_PTE_VALID | XPU_PTE_READ));
	EXPECT_EQ(XPU_JOB_STATUS_OK, access1(e, 0x6ff8, 0));
	/* intermediate table pointer beyond HBM */
	ASSERT_EQ(0, xpu_pt_set_leaf(&e->pt, 1ull << 39, T_DATA_DPA | XPU_PTE_VALID | XPU_PTE_READ));
	pte = xpu_pt_entry(&e->pt, 1ull << 39, 3);
	ASSERT_NE(NULL, pte);
	*pte = (0xfffffffff000ull & XPU_PTE_ADDR_MASK) | XPU_PTE_VALID;
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, 1ull << 39, 0));
	/* a mid-level entry without VALID */
	*pte = 0;
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, 1ull << 39, 0));
	/* root outside HBM / misaligned */
	struct xpu_job_desc j = { .op = XPU_JOB_EXEC, .prog_va = T_PROG_VA, .prog_len = 8 };
	struct xpu_job_record rec;

	e->prog[0] = xpu_halt();
	memcpy(e->hbm + T_PROG_DPA, e->prog, 8);
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, xpu_tile_run(e->t, T_HBM_SIZE, &j, NULL, &rec, NULL));
	EXPECT_EQ(T_PROG_VA, rec.fault_va);
	EXPECT_EQ(XPU_ACCESS_EXEC, rec.fault_access);
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, xpu_tile_run(e->t, 8, &j, NULL, &rec, NULL));
	EXPECT_EQ(XPU_JOB_STATUS_OK, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
}

TEST_F(mmu, exec_fault)
{
	struct tenv *e = self->e;
	struct xpu_job_desc j = { .op = XPU_JOB_EXEC, .prog_va = 0x9000, .prog_len = 64 };
	struct xpu_job_record rec;

	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	EXPECT_EQ(0x9000, rec.fault_va);
	EXPECT_EQ(XPU_ACCESS_EXEC, rec.fault_access);
	/* program running into an unmapped page: fault at the page start */
	ASSERT_EQ(0, xpu_pt_map(&e->pt, 0x9000, T_PROG_DPA, 4096, XPU_PTE_READ));
	for (int i = 0; i < 512; i++)
		e->prog[i] = xpu_nop();
	memcpy(e->hbm + T_PROG_DPA, e->prog, 4096);
	j.prog_len = 4096 + 8;
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	EXPECT_EQ(0xa000, rec.fault_va);
	EXPECT_EQ(512, rec.retired);
	/* write-only code page: exec needs READ */
	ASSERT_EQ(0, xpu_pt_map(&e->pt, 0x9000, T_PROG_DPA, 4096, XPU_PTE_WRITE));
	e->tlb_gen++;
	j.prog_len = 8;
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	EXPECT_EQ(XPU_ACCESS_EXEC, rec.fault_access);
}

TEST_F(mmu, tlb_invalidation)
{
	struct tenv *e = self->e;
	uint64_t a = 0x1111, b = 0x2222;
	uint64_t va = 0x20000;

	memcpy(tva(e, T_DATA_VA), &a, 8);
	memcpy(tva(e, T_DATA_VA + 4096), &b, 8);
	ASSERT_EQ(0, xpu_pt_map(&e->pt, va, T_DATA_DPA, 4096, XPU_PTE_READ));
	/* job: r4 = [va]; [T_DATA_VA + 0x100] = r4 */
	tenv_clear(e);
	LI64(e, 3, va);
	E(e, xpu_ld(XPU_MEM_W64, 4, 3, 0));
	E(e, xpu_st(XPU_MEM_W64, 4, 1, 0x100));
	E(e, xpu_halt());
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	EXPECT_EQ(a, *(uint64_t *)tva(e, T_DATA_VA + 0x100));
	/* remap without invalidation: the TLB still holds the old translation */
	ASSERT_EQ(0, xpu_pt_map(&e->pt, va, T_DATA_DPA + 4096, 4096, XPU_PTE_READ));
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	EXPECT_EQ(a, *(uint64_t *)tva(e, T_DATA_VA + 0x100));
	/* bump the generation: new translation */
	__atomic_add_fetch(&e->tlb_gen, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	EXPECT_EQ(b, *(uint64_t *)tva(e, T_DATA_VA + 0x100));
	/* unmap + invalidate: fault */
	ASSERT_EQ(0, xpu_pt_unmap(&e->pt, va, 4096));
	__atomic_add_fetch(&e->tlb_gen, 1, __ATOMIC_RELEASE);
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, tenv_run(e));
	EXPECT_EQ(va, e->rec.fault_va);
}

TEST_F(mmu, context_switch_flushes_tlb)
{
	struct tenv *e = self->e;
	struct xpu_pt pt2;
	uint64_t v = 0xabcdef;

	/* second context: same program and args VAs, data VA maps elsewhere */
	ASSERT_EQ(0, xpu_pt_init(&pt2, e->hbm, T_HBM_SIZE, T_PT_END / 2, T_PT_END));
	e->pt.pool_end = T_PT_END / 2;
	ASSERT_EQ(0, xpu_pt_map(&pt2, T_PROG_VA, T_PROG_DPA, 4096, XPU_PTE_READ));
	ASSERT_EQ(0, xpu_pt_map(&pt2, T_DATA_VA, T_DATA_DPA + 0x10000, 4096,
				XPU_PTE_READ | XPU_PTE_WRITE));
	memcpy(tva(e, T_DATA_VA + 0x10000), &v, 8);
	tenv_clear(e);
	E(e, xpu_ld(XPU_MEM_W64, 4, 1, 0));
	E(e, xpu_st(XPU_MEM_W64, 4, 1, 8));
	E(e, xpu_halt());
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	EXPECT_EQ(0, *(uint64_t *)tva(e, T_DATA_VA + 8));
	memcpy(e->hbm + T_PROG_DPA, e->prog, e->n * 8);
	ASSERT_EQ(XPU_JOB_STATUS_OK, xpu_tile_run(e->t, pt2.root, &e->job, NULL, &e->rec, NULL));
	EXPECT_EQ(v, *(uint64_t *)tva(e, T_DATA_VA + 0x10008));
}

TEST_F(mmu, host_memory)
{
	struct tenv *e = self->e;
	uint64_t host_va = 0x300000, i;
	uint8_t *pat = e->host + 4096;

	/* host pages 1..3 of the host buffer at VA host_va (3 pages) */
	ASSERT_EQ(0, xpu_pt_map(&e->pt, host_va, XPU_DPA_HOST | (T_HOST_BUS + 4096), 3 * 4096,
				XPU_PTE_READ | XPU_PTE_WRITE));
	for (i = 0; i < 3 * 4096; i++)
		pat[i] = (uint8_t)(i * 7 + 3);
	/* host -> spad (crossing pages), spad -> HBM, HBM -> host (VA to VA) */
	tenv_clear(e);
	LI64(e, 3, host_va + 100);
	LI64(e, 4, SPAD + 64);
	LI64(e, 5, 8000);
	E(e, xpu_dma(XPU_DMA_VA_TO_LA, 4, 3, 5));
	LI64(e, 6, T_DATA_VA + 0x8000);
	E(e, xpu_dma(XPU_DMA_LA_TO_VA, 6, 4, 5));
	LI64(e, 7, host_va + 2 * 4096 + 5);
	LI64(e, 8, 300);
	E(e, xpu_dma(XPU_DMA_VA_TO_VA, 7, 6, 8));
	/* a scalar store into host memory */
	LI64(e, 9, 0x5555aaaa);
	E(e, xpu_st(XPU_MEM_W32, 9, 3, 0));
	E(e, xpu_halt());
	uint8_t expect[8000];

	memcpy(expect, pat + 100, 8000);
	e->host_calls = 0;
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	EXPECT_EQ(0, memcmp(tla(e, SPAD + 64, 8000), expect, 8000));
	EXPECT_EQ(0, memcmp(tva(e, T_DATA_VA + 0x8000), expect, 8000));
	EXPECT_EQ(0, memcmp(pat + 2 * 4096 + 5, expect, 300));
	EXPECT_EQ(0x5555aaaau, *(uint32_t *)(pat + 100));
	EXPECT_EQ(4, e->host_calls);	/* 2 pages read, 2 writes */
	EXPECT_EQ(8000 + 8000 + 300, e->rec.dma_bytes);
	/* failing host bus: DMA_ERROR */
	e->host_fail = 1;
	EXPECT_EQ(XPU_JOB_STATUS_DMA_ERROR, tenv_run(e));
	e->host_fail = 0;
	/* no host callbacks at all: DMA_ERROR, no crash */
	struct xpu_mem m = e->mem;

	m.host_read = NULL;
	m.host_write = NULL;
	struct xpu_tile *t2 = xpu_tile_new(NULL, &m);

	ASSERT_NE(NULL, t2);
	EXPECT_EQ(XPU_JOB_STATUS_DMA_ERROR, xpu_tile_run(t2, e->pt.root, &e->job, NULL, &e->rec, NULL));
	xpu_tile_free(t2);
}

TEST_F(mmu, program_and_tables_in_host_memory)
{
	struct tenv *e = self->e;
	uint64_t *root = (uint64_t *)e->host, *l2 = root + 512, *l1 = root + 1024, *l0 = root + 1536;
	uint64_t prog_va = 0x1000;	/* indices 0,0,0,1 */
	uint64_t bus = T_HOST_BUS;
	struct xpu_job_desc j = { .op = XPU_JOB_EXEC, .prog_va = prog_va, .prog_len = 24 };
	struct xpu_job_record rec;

	memset(e->host, 0, 5 * 4096);
	root[0] = (bus + 4096) | XPU_PTE_HOST | XPU_PTE_VALID;
	l2[0] = (bus + 8192) | XPU_PTE_HOST | XPU_PTE_VALID;
	l1[0] = (bus + 12288) | XPU_PTE_HOST | XPU_PTE_VALID;
	l0[1] = (bus + 16384) | XPU_PTE_HOST | XPU_PTE_VALID | XPU_PTE_READ | XPU_PTE_WRITE;
	l0[2] = T_DATA_DPA | XPU_PTE_VALID | XPU_PTE_READ | XPU_PTE_WRITE;	/* HBM */
	uint64_t *code = (uint64_t *)(e->host + 16384);

	code[0] = xpu_li(3, 99);
	code[1] = xpu_st(XPU_MEM_W64, 3, 0, 0x2010);
	code[2] = xpu_halt();
	EXPECT_EQ(XPU_JOB_STATUS_OK, xpu_tile_run(e->t, XPU_DPA_HOST | bus, &j, NULL, &rec, NULL));
	EXPECT_EQ(99, *(uint64_t *)(e->hbm + T_DATA_DPA + 0x10));
	e->host_fail = 1;
	e->tlb_gen++;
	EXPECT_EQ(XPU_JOB_STATUS_DMA_ERROR, xpu_tile_run(e->t, XPU_DPA_HOST | bus, &j, NULL, &rec, NULL));
}

/* little-endian 64-bit value from bytes, independent of the engine's helpers */
static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Walk by the bit layout of docs/hardware.md 12.2 written out by hand:
 * returns the leaf entry and checks every non-leaf entry on the way. */
static uint64_t doc_walk(struct __test_metadata *_metadata, const uint8_t *hbm,
			 uint64_t hbm_size, uint64_t root, uint64_t va)
{
	static const int shift[4] = { 12, 21, 30, 39 };	/* leaf .. root */
	uint64_t table = root, e = 0;

	for (int l = 3; l >= 0; l--) {
		uint64_t idx = (va >> shift[l]) & 0x1ff;

		EXPECT_EQ(0, table & 0xfff);
		EXPECT_GE(hbm_size - 4096, table);
		if (table & 0xfff || table > hbm_size - 4096)
			return 0;
		e = le64_at(hbm + table + idx * 8);
		if (l == 0)
			break;
		/* non-leaf: VALID, an HBM table, nothing else set */
		EXPECT_EQ(1, e & 1);
		EXPECT_EQ(0, e & 0xffe) TH_LOG("level %d entry 0x%llx", l, (unsigned long long)e);
		EXPECT_EQ(0, e >> 52);
		if (!(e & 1))
			return 0;
		table = e & 0x000ffffffffff000ull;
	}
	return e;
}

TEST_F(mmu, writer_follows_documented_format)
{
	struct tenv *e = self->e;
	/* indices 5, 7, 9, 11 at levels 3..0 */
	uint64_t va = (5ull << 39) | (7ull << 30) | (9ull << 21) | (11ull << 12);
	uint64_t frame = T_DATA_DPA + 0x100000;
	uint64_t v = 0x0123456789abcdefull, got;

	ASSERT_EQ(0, xpu_pt_map(&e->pt, va, frame, 4096, XPU_PTE_READ | XPU_PTE_WRITE));
	ASSERT_EQ(0, xpu_pt_map(&e->pt, va + 4096, XPU_DPA_HOST | T_HOST_BUS, 4096,
				XPU_PTE_READ));
	/* leaf entries: frame | VALID | READ | WRITE, and bus | HOST | VALID | READ */
	EXPECT_EQ(frame | 0x7, doc_walk(_metadata, e->hbm, T_HBM_SIZE, e->pt.root, va));
	EXPECT_EQ(T_HOST_BUS | 0x8 | 0x3,
		  doc_walk(_metadata, e->hbm, T_HBM_SIZE, e->pt.root, va + 4096));
	EXPECT_EQ(frame | 0x7, xpu_pt_leaf(&e->pt, va));
	/* the guard page after them: no leaf */
	EXPECT_EQ(0, doc_walk(_metadata, e->hbm, T_HBM_SIZE, e->pt.root, va + 8192));
	EXPECT_EQ(0, xpu_pt_leaf(&e->pt, va + 8192));

	/* the walker agrees: read through the HBM page, then the host page */
	memcpy(e->hbm + frame + 8, &v, 8);
	memcpy(e->host + 16, &v, 8);
	tenv_clear(e);
	LI64(e, 3, va);
	E(e, xpu_ld(XPU_MEM_W64, 4, 3, 8));
	E(e, xpu_st(XPU_MEM_W64, 4, 1, 0));
	LI64(e, 3, va + 4096);
	E(e, xpu_ld(XPU_MEM_W64, 4, 3, 16));
	E(e, xpu_st(XPU_MEM_W64, 4, 1, 8));
	E(e, xpu_halt());
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	memcpy(&got, tva(e, T_DATA_VA), 8);
	EXPECT_EQ(v, got);
	memcpy(&got, tva(e, T_DATA_VA + 8), 8);
	EXPECT_EQ(v, got);
	/* the host page is read-only; the guard page faults */
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, va + 4096, 1));
	EXPECT_EQ(va + 4096, e->rec.fault_va);
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, va + 8192, 0));
	EXPECT_EQ(va + 8192, e->rec.fault_va);

	/* unmap clears the leaf entries only; after invalidation the walker faults */
	ASSERT_EQ(0, xpu_pt_unmap(&e->pt, va, 8192));
	EXPECT_EQ(0, doc_walk(_metadata, e->hbm, T_HBM_SIZE, e->pt.root, va));
	EXPECT_EQ(0, doc_walk(_metadata, e->hbm, T_HBM_SIZE, e->pt.root, va + 4096));
	__atomic_add_fetch(&e->tlb_gen, 1, __ATOMIC_RELEASE);
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, va, 0));
	EXPECT_EQ(va, e->rec.fault_va);
}

/* Random pages all over the 48-bit space, HBM and host, every permission:
 * the walker allows exactly what the writer wrote and finds the right frame. */
TEST_F(mmu, writer_and_walker_agree_on_random_mappings)
{
	enum { N = 40 };
	struct tenv *e = self->e;
	static const uint64_t perms[3] = { XPU_PTE_READ, XPU_PTE_WRITE,
					   XPU_PTE_READ | XPU_PTE_WRITE };
	uint64_t seed = 12345, va[N], dpa[N], perm[N];

	for (int i = 0; i < N; i++) {
		do {
			va[i] = ((uint64_t)trand(&seed) << 16 ^ trand(&seed)) << 12 &
				((1ull << 48) - 1);
		} while (va[i] < (1ull << 32) || xpu_pt_leaf(&e->pt, va[i]) ||
			 xpu_pt_leaf(&e->pt, va[i] - 4096) || xpu_pt_leaf(&e->pt, va[i] + 4096));
		perm[i] = perms[trand(&seed) % 3];
		if (i % 4 == 3)		/* host page i/4 of the host buffer */
			dpa[i] = XPU_DPA_HOST | (T_HOST_BUS + (uint64_t)(i / 4) * 4096);
		else
			dpa[i] = T_DATA_DPA + 0x100000 + (uint64_t)i * 4096;
		ASSERT_EQ(0, xpu_pt_map(&e->pt, va[i], dpa[i], 4096, perm[i]));
		ASSERT_EQ((dpa[i] & ~XPU_DPA_HOST) | perm[i] | XPU_PTE_VALID |
			  ((dpa[i] & XPU_DPA_HOST) ? XPU_PTE_HOST : 0),
			  doc_walk(_metadata, e->hbm, T_HBM_SIZE, e->pt.root, va[i]));
	}
	for (int i = 0; i < N; i++) {
		uint64_t tag = 0xa5a5000000000000ull | (uint64_t)i << 8, got = 0;
		uint8_t *p = (dpa[i] & XPU_DPA_HOST) ?
			e->host + ((dpa[i] & ~XPU_DPA_HOST) - T_HOST_BUS) : e->hbm + dpa[i];

		memcpy(p + 0x40, &tag, 8);
		/* load: OK iff READ, and the value of the frame */
		tenv_clear(e);
		LI64(e, 3, va[i]);
		E(e, xpu_ld(XPU_MEM_W64, 4, 3, 0x40));
		E(e, xpu_st(XPU_MEM_W64, 4, 1, 0));
		E(e, xpu_halt());
		if (perm[i] & XPU_PTE_READ) {
			EXPECT_EQ(XPU_JOB_STATUS_OK, tenv_run(e)) TH_LOG("page %d", i);
			memcpy(&got, tva(e, T_DATA_VA), 8);
			EXPECT_EQ(tag, got) TH_LOG("page %d", i);
		} else {
			EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, tenv_run(e)) TH_LOG("page %d", i);
			EXPECT_EQ(va[i] + 0x40, e->rec.fault_va);
		}
		/* store: OK iff WRITE; the next page is never mapped */
		EXPECT_EQ(perm[i] & XPU_PTE_WRITE ? XPU_JOB_STATUS_OK : XPU_JOB_STATUS_MMU_FAULT,
			  access1(e, va[i] + 8, 1)) TH_LOG("page %d", i);
		EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, access1(e, va[i] + 4096, 1));
		EXPECT_EQ(va[i] + 4096, e->rec.fault_va);
	}
}

TEST_F(mmu, writer_rejects_bad_arguments_and_rolls_back)
{
	struct tenv *e = self->e;
	uint64_t rw = XPU_PTE_READ | XPU_PTE_WRITE;
	struct xpu_pt small;

	EXPECT_EQ(-EINVAL, xpu_pt_map(&e->pt, 0x5001, T_DATA_DPA, 4096, rw));
	EXPECT_EQ(-EINVAL, xpu_pt_map(&e->pt, 0x5000, T_DATA_DPA + 8, 4096, rw));
	EXPECT_EQ(-EINVAL, xpu_pt_map(&e->pt, 0x5000, T_DATA_DPA, 100, rw));
	EXPECT_EQ(-EINVAL, xpu_pt_map(&e->pt, 1ull << 48, T_DATA_DPA, 4096, rw));
	EXPECT_EQ(-EINVAL, xpu_pt_map(&e->pt, (1ull << 48) - 4096, T_DATA_DPA, 8192, rw));
	EXPECT_EQ(-EINVAL, xpu_pt_map(&e->pt, 0x5000, 1ull << 52, 4096, rw));
	EXPECT_EQ(-EINVAL, xpu_pt_map(&e->pt, 0x5000, T_DATA_DPA, 4096, XPU_PTE_HOST));
	EXPECT_EQ(-EINVAL, xpu_pt_unmap(&e->pt, 0x5800, 4096));
	EXPECT_EQ(0, xpu_pt_leaf(&e->pt, 0x5000));
	EXPECT_EQ(-EINVAL, xpu_pt_init(&small, e->hbm, T_HBM_SIZE, 100, 8192));
	EXPECT_EQ(-EINVAL, xpu_pt_init(&small, e->hbm, T_HBM_SIZE, 0, T_HBM_SIZE + 4096));

	/* a pool of 4 pages: root + one table per level maps one 2 MiB block;
	 * a range crossing into the next block needs a 5th page */
	ASSERT_EQ(0, xpu_pt_init(&small, e->hbm, T_HBM_SIZE, T_DATA_DPA, T_DATA_DPA + 4 * 4096));
	ASSERT_EQ(0, xpu_pt_map(&small, 0x1ff000, T_DATA_DPA + 0x100000, 4096, rw));
	EXPECT_EQ(-ENOSPC, xpu_pt_map(&small, 0x1fe000, T_DATA_DPA + 0x100000, 3 * 4096, rw));
	/* the entries this call wrote are gone (also the one it replaced) */
	EXPECT_EQ(0, xpu_pt_leaf(&small, 0x1fe000));
	EXPECT_EQ(0, xpu_pt_leaf(&small, 0x1ff000));
	EXPECT_EQ(0, xpu_pt_leaf(&small, 0x200000));
	EXPECT_EQ(0, doc_walk(_metadata, e->hbm, T_HBM_SIZE, small.root, 0x1fe000));
}

TEST_HARNESS_MAIN
