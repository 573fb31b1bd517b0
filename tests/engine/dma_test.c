// SPDX-License-Identifier: MIT
/* DMA unit: 1D/2D copies in all directions, range checks, sizes. */
#include "kselftest_harness.h"
#include "xpu_test_util.h"

FIXTURE(dma) { struct tenv *e; };
FIXTURE_SETUP(dma) { self->e = tenv_new(NULL); ASSERT_NE(NULL, self->e); }
FIXTURE_TEARDOWN(dma) { tenv_free(self->e); }

static void fill(uint8_t *p, uint64_t n, uint64_t seed)
{
	for (uint64_t i = 0; i < n; i++)
		p[i] = (uint8_t)trand(&seed);
}

TEST_F(dma, one_d_all_directions)
{
	struct tenv *e = self->e;
	uint8_t *src = tva(e, T_DATA_VA + 0x10000);

	fill(src, 10000, 1);
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA, SPAD + 3, T_DATA_VA + 0x10000 + 5, 9000, 0, 0, 0));
	EXPECT_EQ(0, memcmp(tla(e, SPAD + 3, 9000), src + 5, 9000));
	EXPECT_EQ(9000, e->rec.dma_bytes);
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_LA, ACC + 1, SPAD + 3, 9000, 0, 0, 0));
	EXPECT_EQ(0, memcmp(tla(e, ACC + 1, 9000), src + 5, 9000));
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_VA, T_DATA_VA + 0x30001, ACC + 1, 9000, 0, 0, 0));
	EXPECT_EQ(0, memcmp(tva(e, T_DATA_VA + 0x30001), src + 5, 9000));
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA, T_DATA_VA + 0x50ff0, T_DATA_VA + 0x30001, 9000, 0, 0, 0));
	EXPECT_EQ(0, memcmp(tva(e, T_DATA_VA + 0x50ff0), src + 5, 9000));
	/* overlapping VA to VA behaves like memmove per page chunk: forward overlap by a page */
	fill(tva(e, T_DATA_VA + 0x60000), 100, 9);
	uint8_t save[100];

	memcpy(save, tva(e, T_DATA_VA + 0x60000), 100);
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA, T_DATA_VA + 0x60010, T_DATA_VA + 0x60000, 100, 0, 0, 0));
	EXPECT_EQ(0, memcmp(tva(e, T_DATA_VA + 0x60010), save, 100));
	/* zero bytes: nothing, no range check */
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA, ~0ull, 0, 0, 0, 0, 0));
	EXPECT_EQ(0, e->rec.dma_bytes);
	EXPECT_EQ(0, e->st.dma_busy);
}

TEST_F(dma, two_d_strided)
{
	struct tenv *e = self->e;
	uint64_t rows = 37, bytes = 50, ss = 300, ds = 64, r;
	uint8_t *src = tva(e, T_DATA_VA);

	fill(src, rows * ss, 2);
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA | XPU_DMA_2D, SPAD + 128, T_DATA_VA, bytes, rows, ss, ds));
	for (r = 0; r < rows; r++)
		ASSERT_EQ(0, memcmp(tla(e, SPAD + 128 + r * ds, bytes), src + r * ss, bytes));
	EXPECT_EQ(rows * bytes, e->rec.dma_bytes);
	/* back out with a different stride */
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_VA | XPU_DMA_2D, T_DATA_VA + 0x100000, SPAD + 128, bytes,
			  rows, ds, 51));
	for (r = 0; r < rows; r++)
		ASSERT_EQ(0, memcmp(tva(e, T_DATA_VA + 0x100000 + r * 51), src + r * ss, bytes));
	/* without the 2D flag the config is ignored: one row */
	memset(tla(e, ACC, 4096), 0, 4096);
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_LA, ACC, SPAD + 128, bytes, rows, ds, ds));
	EXPECT_EQ(bytes, e->rec.dma_bytes);
	EXPECT_EQ(0, *tla(e, ACC + ds, 1));
	/* stride 0 on the source broadcasts one row */
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_LA | XPU_DMA_2D, ACC, SPAD + 128, bytes, 4, 0, bytes));
	for (r = 0; r < 4; r++)
		ASSERT_EQ(0, memcmp(tla(e, ACC + r * bytes, bytes), src, bytes));
	/* 2D LA->LA overlapping rows: row by row in ascending order */
	for (r = 0; r < 8; r++)
		*tla(e, SPAD + r, 1) = (uint8_t)r;
	ASSERT_EQ(0, tdma(e, XPU_DMA_LA_TO_LA | XPU_DMA_2D, SPAD + 1, SPAD, 1, 7, 1, 1));
	for (r = 0; r < 8; r++)
		EXPECT_EQ(0, *tla(e, SPAD + r, 1));
}

TEST_F(dma, full_sram_and_range_errors)
{
	struct tenv *e = self->e;
	uint64_t sp = 4u << 20, ac = 1u << 20;

	fill(tva(e, T_DATA_VA), sp, 3);
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA, SPAD, T_DATA_VA, sp, 0, 0, 0));
	EXPECT_EQ(0, memcmp(tla(e, SPAD, sp), tva(e, T_DATA_VA), sp));
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA, ACC, T_DATA_VA, ac, 0, 0, 0));
	EXPECT_EQ(0, memcmp(tla(e, ACC, ac), tva(e, T_DATA_VA), ac));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tdma(e, XPU_DMA_VA_TO_LA, SPAD + 1, T_DATA_VA, sp, 0, 0, 0));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tdma(e, XPU_DMA_VA_TO_LA, ACC + 1, T_DATA_VA, ac, 0, 0, 0));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tdma(e, XPU_DMA_LA_TO_VA, T_DATA_VA, sp - 4, 8, 0, 0, 0));
	/* spanning spad into the gap before the accumulator */
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tdma(e, XPU_DMA_LA_TO_LA, ACC - 8, SPAD, 16, 0, 0, 0));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tdma(e, XPU_DMA_LA_TO_LA, ~0ull - 3, SPAD, 16, 0, 0, 0));
	/* 2D extent overflowing 64 bits */
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE,
		  tdma(e, XPU_DMA_VA_TO_LA | XPU_DMA_2D, SPAD, T_DATA_VA, 16, 1ull << 40, 1ull << 30, 1ull << 30));
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE,
		  tdma(e, XPU_DMA_VA_TO_LA | XPU_DMA_2D, SPAD, T_DATA_VA, 16, 3, 0, ~0ull));
	/* VA side fault in a later row: earlier rows are written */
	memset(tla(e, SPAD, 64), 0, 64);
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT,
		  tdma(e, XPU_DMA_VA_TO_LA | XPU_DMA_2D, SPAD, T_DATA_VA + T_DATA_SIZE - 16, 16, 2, 16, 16));
	EXPECT_EQ(T_DATA_VA + T_DATA_SIZE, e->rec.fault_va);
	EXPECT_EQ(0, memcmp(tla(e, SPAD, 16), tva(e, T_DATA_VA + T_DATA_SIZE - 16), 16));
	/* writing to the read-only program region */
	EXPECT_EQ(XPU_JOB_STATUS_MMU_FAULT, tdma(e, XPU_DMA_LA_TO_VA, T_PROG_VA, SPAD, 8, 0, 0, 0));
	EXPECT_EQ(XPU_ACCESS_WRITE, e->rec.fault_access);
}

TEST_F(dma, dma_into_program_is_seen_by_fetch)
{
	struct tenv *e = self->e;
	uint64_t code_va = 0x70000;

	/* a writable code page: the job overwrites its own next instruction */
	ASSERT_EQ(0, xpu_pt_map(&e->pt, code_va, T_DATA_DPA + 0x200000, 4096,
				XPU_PTE_READ | XPU_PTE_WRITE));
	uint64_t *code = (uint64_t *)tva(e, T_DATA_VA + 0x200000);
	uint64_t patch = xpu_li(5, 42);

	memcpy(tla(e, SPAD, 8), &patch, 8);
	code[0] = xpu_liu(3, (uint32_t)code_va + 5 * 8);
	code[1] = xpu_li(4, 8);
	code[2] = xpu_dma(XPU_DMA_LA_TO_VA, 3, 0, 4);
	code[3] = xpu_nop();
	code[4] = xpu_st(XPU_MEM_W64, 5, 1, 0);
	code[5] = xpu_li(5, 1);			/* replaced by li r5, 42 */
	code[6] = xpu_st(XPU_MEM_W64, 5, 1, 0);
	code[7] = xpu_halt();
	struct xpu_job_desc j = { .op = XPU_JOB_EXEC, .prog_va = code_va, .prog_len = 64,
				  .args_va = T_DATA_VA };
	struct xpu_job_record rec;

	ASSERT_EQ(0, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	EXPECT_EQ(42, *(uint64_t *)tva(e, T_DATA_VA));
}

/*
 * Hang detection (issue 10 item 6): one long DMA instruction must move the
 * job's progress count (xpu_run_progress(), the queue's PROGRESS register)
 * while it runs, not only between instructions. The host-memory callback
 * samples the count at every call, i.e. in the middle of the instruction.
 */
static struct { uint64_t calls, first, last; } probe;

static int probe_read(void *opaque, uint64_t bus, void *buf, uint64_t len)
{
	struct tenv *e = opaque;
	uint64_t p = xpu_run_progress(&e->ctl);

	if (!probe.calls++)
		probe.first = p;
	probe.last = p;
	return t_host_read(opaque, bus, buf, len);
}

TEST_F(dma, long_dma_publishes_progress_mid_instruction)
{
	struct tenv *e = self->e;
	const uint64_t host_va = 0x80000000ull, rows = 8192, row = 64;
	struct xpu_job_record first;
	uint64_t stride = 128;

	/* this tile samples progress at every host access */
	xpu_tile_free(e->t);
	e->mem.host_read = probe_read;
	e->t = xpu_tile_new(NULL, &e->mem);
	ASSERT_NE(NULL, e->t);
	ASSERT_EQ(0, xpu_pt_map(&e->pt, host_va, XPU_DPA_HOST | T_HOST_BUS, T_HOST_SIZE,
				XPU_PTE_READ | XPU_PTE_WRITE));
	fill(e->host, T_HOST_SIZE, 7);

	/* 2-D host -> scratchpad, one host read per row: 8 polls of 1024 rows */
	memset(&probe, 0, sizeof(probe));
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_LA | XPU_DMA_2D, SPAD, host_va, row, rows, stride, row));
	EXPECT_EQ(rows, probe.calls);
	EXPECT_GE(probe.last - probe.first, rows / 1024 - 1);
	EXPECT_EQ(0, e->ctl.retired - e->rec.retired);
	for (uint64_t r = 0; r < rows; r += 999)
		ASSERT_EQ(0, memcmp(tla(e, SPAD + r * row, row), e->host + r * stride, row));
	first = e->rec;

	/* the same job without a run_ctl: bit-identical record and data */
	memset(tla(e, SPAD, rows * row), 0, rows * row);
	ASSERT_EQ(0, xpu_tile_run(e->t, e->pt.root, &e->job, NULL, &e->rec, NULL));
	EXPECT_EQ(first.cycles, e->rec.cycles);
	EXPECT_EQ(first.retired, e->rec.retired);
	EXPECT_EQ(first.dma_bytes, e->rec.dma_bytes);
	EXPECT_EQ(0, memcmp(tla(e, SPAD + (rows - 1) * row, row),
			    e->host + (rows - 1) * stride, row));

	/* VA to VA, 256 rows of one page each: the page poll spans rows */
	memset(&probe, 0, sizeof(probe));
	ASSERT_EQ(0, tdma(e, XPU_DMA_VA_TO_VA | XPU_DMA_2D, T_DATA_VA, host_va, 4096, 256, 4096, 4096));
	EXPECT_EQ(256, probe.calls);
	EXPECT_GE(probe.last - probe.first, 1);
	EXPECT_EQ(0, memcmp(tva(e, T_DATA_VA), e->host, T_HOST_SIZE));
}

TEST_HARNESS_MAIN
