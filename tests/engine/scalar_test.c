// SPDX-License-Identifier: MIT
/* Scalar core: ALU, immediates, loads/stores, branches, jumps, job setup,
 * malformed programs, abort and progress. */
#include <pthread.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "xpu_test_util.h"
#include "xpu_isa_examples.h"

FIXTURE(sc) { struct tenv *e; };
FIXTURE_SETUP(sc) { self->e = tenv_new(NULL); ASSERT_NE(NULL, self->e); }
FIXTURE_TEARDOWN(sc) { tenv_free(self->e); }

#define OUT (T_DATA_VA + 0x1000)

/* store register r to OUT + 8*slot */
static void store(struct tenv *e, uint32_t r, int slot)
{
	LI64(e, 30, OUT);
	E(e, xpu_st(XPU_MEM_W64, r, 30, slot * 8));
}

static uint64_t out(struct tenv *e, int slot)
{
	uint64_t v;

	memcpy(&v, tva(e, OUT) + slot * 8, 8);
	return v;
}

static uint64_t ref_alu(uint32_t f, uint64_t a, uint64_t b)
{
	unsigned s = b & 63;

	switch (f) {
	case XPU_ALU_ADD: return a + b;
	case XPU_ALU_SUB: return a - b;
	case XPU_ALU_MUL: return a * b;
	case XPU_ALU_AND: return a & b;
	case XPU_ALU_OR: return a | b;
	case XPU_ALU_XOR: return a ^ b;
	case XPU_ALU_SHL: return a << s;
	case XPU_ALU_SHR: return a >> s;
	case XPU_ALU_SRA: return (uint64_t)((int64_t)a >> s);
	case XPU_ALU_SLT: return (int64_t)a < (int64_t)b;
	case XPU_ALU_SLTU: return a < b;
	case XPU_ALU_DIVU: return b ? a / b : ~0ull;
	case XPU_ALU_REMU: return b ? a % b : a;
	case XPU_ALU_MIN: return (int64_t)a < (int64_t)b ? a : b;
	default: return (int64_t)a > (int64_t)b ? a : b;
	}
}

TEST_F(sc, alu_all_ops)
{
	static const uint64_t vals[] = { 0, 1, 7, 63, 64, 0x8000000000000000ull, ~0ull,
					 0x123456789abcdef0ull, (uint64_t)-5 };
	struct tenv *e = self->e;
	int nv = sizeof(vals) / sizeof(vals[0]), slot, i, j;
	uint32_t f;

	for (f = 0; f <= XPU_ALU_MAX; f++) {
		tenv_clear(e);
		slot = 0;
		for (i = 0; i < nv; i++)
			for (j = 0; j < nv; j++) {
				LI64(e, 3, vals[i]);
				LI64(e, 4, vals[j]);
				E(e, xpu_alu(f, 5, 3, 4));
				store(e, 5, slot++);
			}
		E(e, xpu_halt());
		ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
		slot = 0;
		for (i = 0; i < nv; i++)
			for (j = 0; j < nv; j++)
				ASSERT_EQ(ref_alu(f, vals[i], vals[j]), out(e, slot++)) {
					TH_LOG("f=%u a=%llx b=%llx", f, (unsigned long long)vals[i],
					       (unsigned long long)vals[j]);
				}
	}
}

TEST_F(sc, alui_and_immediates)
{
	struct tenv *e = self->e;

	E(e, xpu_li(3, -2));				/* sext */
	E(e, xpu_liu(4, 0xfffffffeu));			/* zext */
	E(e, xpu_liu(5, 0x89abcdefu));
	E(e, xpu_lih(5, 0x01234567u));
	E(e, xpu_alui(XPU_ALU_ADD, 6, 3, -10));
	E(e, xpu_alui(XPU_ALU_SHL, 7, 4, 4));
	E(e, xpu_alui(XPU_ALU_SLTU, 8, 3, -1));		/* ~0-1 < ~0 */
	E(e, xpu_li(0, 1234));				/* r0 stays 0 */
	E(e, xpu_addi(9, 0, 0));
	E(e, xpu_addi(10, 1, 0));			/* args_va */
	E(e, xpu_addi(11, 2, 0));			/* args_len */
	for (int r = 3; r <= 11; r++)
		store(e, r, r - 3);
	E(e, xpu_halt());
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	EXPECT_EQ((uint64_t)-2, out(e, 0));
	EXPECT_EQ(0xfffffffeull, out(e, 1));
	EXPECT_EQ(0x0123456789abcdefull, out(e, 2));
	EXPECT_EQ((uint64_t)-12, out(e, 3));
	EXPECT_EQ(0xfffffffe0ull, out(e, 4));
	EXPECT_EQ(1, out(e, 5));
	EXPECT_EQ(0, out(e, 6));
	EXPECT_EQ(T_DATA_VA, out(e, 7));
	EXPECT_EQ(64, out(e, 8));
	EXPECT_EQ(0xc0ffee, e->rec.cookie);
	EXPECT_EQ(e->n, e->rec.retired);
	EXPECT_EQ(e->n, e->st.retired);
}

TEST_F(sc, loads_stores)
{
	struct tenv *e = self->e;
	uint64_t v = 0x1122334455667788ull;

	memcpy(tva(e, T_DATA_VA), &v, 8);
	/* unaligned 64-bit load across a page boundary */
	memcpy(tva(e, T_DATA_VA + 0x2ffc), &v, 8);
	E(e, xpu_ld(XPU_MEM_W64, 3, 1, 0));
	E(e, xpu_ld(XPU_MEM_W32, 4, 1, 4));		/* zero-extends */
	LI64(e, 5, T_DATA_VA + 0x3000);
	E(e, xpu_ld(XPU_MEM_W64, 6, 5, -4));
	E(e, xpu_st(XPU_MEM_W32, 3, 5, 8));		/* low 32 bits */
	/* local SRAM */
	LI64(e, 7, ACC + 16);
	E(e, xpu_st(XPU_MEM_W64 | XPU_MEM_LOCAL, 3, 7, 0));
	E(e, xpu_ld(XPU_MEM_W32 | XPU_MEM_LOCAL, 8, 7, 4));
	E(e, xpu_ld(XPU_MEM_W64, 0, 1, 0));		/* load to r0 is discarded */
	store(e, 3, 0);
	store(e, 4, 1);
	store(e, 6, 2);
	store(e, 8, 3);
	store(e, 0, 4);
	E(e, xpu_halt());
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	EXPECT_EQ(v, out(e, 0));
	EXPECT_EQ(0x11223344ull, out(e, 1));
	EXPECT_EQ(v, out(e, 2));
	EXPECT_EQ(0x55667788u, *(uint32_t *)tva(e, T_DATA_VA + 0x3008));
	EXPECT_EQ(0, *(uint32_t *)tva(e, T_DATA_VA + 0x300c));
	EXPECT_EQ(0x11223344ull, out(e, 3));
	EXPECT_EQ(0, out(e, 4));
	EXPECT_EQ(0, memcmp(tla(e, ACC + 16, 8), &v, 8));

	/* local out of range */
	tenv_clear(e);
	LI64(e, 7, ACC + (1u << 20) - 4);
	E(e, xpu_ld(XPU_MEM_W64 | XPU_MEM_LOCAL, 8, 7, 0));
	E(e, xpu_halt());
	EXPECT_EQ(XPU_JOB_STATUS_SRAM_RANGE, tenv_run(e));
	EXPECT_EQ(e->n - 2, e->rec.retired);
}

TEST_F(sc, branches_and_jumps)
{
	static const uint64_t vals[] = { 0, 1, (uint64_t)-1, 0x8000000000000000ull, 5 };
	struct tenv *e = self->e;
	int nv = 5, slot = 0, i, j;
	uint32_t c;

	for (c = 0; c <= XPU_BR_GEU; c++)
		for (i = 0; i < nv; i++)
			for (j = 0; j < nv; j++) {
				LI64(e, 3, vals[i]);
				LI64(e, 4, vals[j]);
				E(e, xpu_li(5, 0));
				E(e, xpu_br(c, 3, 4, 2));	/* skip the next */
				E(e, xpu_li(5, 1));		/* not taken */
				store(e, 5, slot++);
			}
	/* loop: sum 1..10 with a backward branch */
	E(e, xpu_li(6, 0));
	E(e, xpu_li(7, 10));
	E(e, xpu_alu(XPU_ALU_ADD, 6, 6, 7));
	E(e, xpu_addi(7, 7, -1));
	E(e, xpu_br(XPU_BR_NE, 7, 0, -2));
	store(e, 6, slot++);
	/* call / return: jal to a subroutine that sets r8, jalr back */
	E(e, xpu_jal(31, 4));
	store(e, 8, slot++);
	E(e, xpu_halt());
	E(e, xpu_li(8, 77));
	E(e, xpu_jalr(0, 31, 0));
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	slot = 0;
	for (c = 0; c <= XPU_BR_GEU; c++)
		for (i = 0; i < nv; i++)
			for (j = 0; j < nv; j++) {
				uint64_t a = vals[i], b = vals[j];
				int taken = c == XPU_BR_EQ ? a == b : c == XPU_BR_NE ? a != b :
					    c == XPU_BR_LT ? (int64_t)a < (int64_t)b :
					    c == XPU_BR_GE ? (int64_t)a >= (int64_t)b :
					    c == XPU_BR_LTU ? a < b : a >= b;

				ASSERT_EQ((uint64_t)!taken, out(e, slot++));
			}
	EXPECT_EQ(55, out(e, slot++));
	EXPECT_EQ(77, out(e, slot++));
}

TEST_F(sc, job_descriptor_checks)
{
	struct tenv *e = self->e;
	struct xpu_job_desc j = { 0 };
	struct xpu_job_record rec;

	E(e, xpu_halt());
	ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
	EXPECT_EQ(1, e->rec.retired);
	EXPECT_EQ(XPU_JOB_STATUS_BAD_DESC, tenv_run_len(e, 12));	/* not multiple of 8 */
	j.op = XPU_JOB_NOP;
	j.cookie = 42;
	EXPECT_EQ(XPU_JOB_STATUS_OK, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	EXPECT_EQ(42, rec.cookie);
	EXPECT_EQ(0, rec.cycles);
	j.op = 7;
	EXPECT_EQ(XPU_JOB_STATUS_BAD_DESC, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	j.op = XPU_JOB_EXEC;
	j.prog_va = T_PROG_VA + 4;
	j.prog_len = 8;
	EXPECT_EQ(XPU_JOB_STATUS_BAD_DESC, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	j.prog_va = T_PROG_VA;
	j.flags = XPU_JOB_F_UNIT_TIMES;	/* 1.1: known (the device writes the record) */
	EXPECT_EQ(XPU_JOB_STATUS_OK, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	j.flags = (XPU_JOB_F_ALL << 1) & ~XPU_JOB_F_ALL;	/* the first unknown bit */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_DESC, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	j.flags = 0;
	EXPECT_EQ(XPU_JOB_STATUS_OK, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
	j.prog_len = 0;		/* pc 0 is already past the end */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, xpu_tile_run(e->t, e->pt.root, &j, NULL, &rec, NULL));
}

static uint32_t run1(struct tenv *e, uint64_t insn)
{
	tenv_clear(e);
	E(e, insn);
	E(e, xpu_halt());
	return tenv_run(e);
}

TEST_F(sc, malformed_programs)
{
	struct tenv *e = self->e;
	static const uint8_t defined[] = { 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x20, 0x21, 0x30,
		0x31, 0x40, 0x41, 0x42, 0x50, 0x51, 0x60, 0x61, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75,
		0x76 };
	uint64_t fields[] = { 0x1full << XPU_F_RD_SHIFT, 0x1full << XPU_F_RS1_SHIFT,
			      0x1full << XPU_F_RS2_SHIFT, 0x1full << XPU_F_RS3_SHIFT,
			      0xfull << XPU_F_FUNC_SHIFT, 0xffffffffull };
	unsigned op, i, f;

	/* undefined opcodes */
	for (op = 0; op < 256; op++) {
		int is_def = 0;

		for (i = 0; i < sizeof(defined); i++)
			is_def |= defined[i] == op;
		if (!is_def)
			ASSERT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, (uint64_t)op << 56)) {
				TH_LOG("op %#x", op);
			}
	}
	/* nonzero reserved fields: HALT/NOP/FENCE have none */
	for (f = 0; f < 6; f++) {
		EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_halt() | fields[f]));
		EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_nop() | fields[f]));
		EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_fence() | fields[f]));
	}
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_li(3, 1) | fields[1]));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_li(3, 1) | fields[4]));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_alu(0, 3, 1, 2) | 1));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_alu(0, 3, 1, 2) | fields[3]));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_alu(15, 3, 1, 2)));	/* reserved func */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_alui(15, 3, 1, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_ld(4, 3, 1, 0)));	/* func bit 2 */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_st(8, 3, 1, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_ld(0, 3, 1, 0) | fields[2]));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_br(6, 0, 0, 1)));	/* bad cond */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_jal(0, 1) | fields[1]));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_dcfg(1, 2, 3) | fields[4]));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_dma(8, 0, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_mcfg(2, 0, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_matmul(4, 0, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vcfg(1, 2) | 1));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vbin(5, 0, 0, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vbin(0, 8, 0, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vun(XPU_VUN_EXP, XPU_VT_I32, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vun(13, XPU_VT_F32, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vun(0, 2, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vred(2, 0, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vcvt(6, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vqnt(2, 0, 0, 0, 0)));
	/* ISA additions: DIV is fp32 only, the new unary ops (but ABS) too, VSEL has
	 * no func4 or imm */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN,
		  run1(e, xpu_vbin(XPU_VBIN_DIV, XPU_VT_I32 | XPU_VB_ROW, 0, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vbin(6, XPU_VT_F32, 0, 0, 0)));
	for (f = XPU_VUN_TANH; f <= XPU_VUN_GELU_ERF; f++)
		EXPECT_EQ(f == XPU_VUN_ABS ? XPU_JOB_STATUS_OK : XPU_JOB_STATUS_BAD_INSN,
			  run1(e, xpu_vun(f, XPU_VT_I32, 0, 0)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vsel(1, 2, 3, 4) | fields[4]));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_vsel(1, 2, 3, 4) | 1));
	EXPECT_EQ(XPU_JOB_STATUS_OK, run1(e, xpu_vsel(1, 2, 3, 4)));
	EXPECT_EQ(XPU_JOB_STATUS_OK, run1(e, xpu_vbin(XPU_VBIN_DIV, XPU_VT_F32 | XPU_VB_COL, 0, 0, 0)));
	for (f = XPU_VUN_TANH; f <= XPU_VUN_GELU_ERF; f++)
		EXPECT_EQ(XPU_JOB_STATUS_OK, run1(e, xpu_vun(f, XPU_VT_F32, 0, 0)));
	/* sanity: the same instructions without the extra bits are fine */
	EXPECT_EQ(XPU_JOB_STATUS_OK, run1(e, xpu_alu(0, 3, 1, 2)));
	EXPECT_EQ(XPU_JOB_STATUS_OK, run1(e, xpu_vbin(0, 0, 0, 0, 0)));

	/* branch / jump targets outside the program */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_br(XPU_BR_EQ, 0, 0, 2)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_br(XPU_BR_NE, 0, 0, -1)));	/* not taken: still checked */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_jal(0, 0x7fffffff)));
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, xpu_jalr(0, 0, -1)));
	EXPECT_EQ(XPU_JOB_STATUS_OK, run1(e, xpu_br(XPU_BR_EQ, 0, 0, 1)));
	EXPECT_EQ(XPU_JOB_STATUS_OK, run1(e, xpu_jalr(0, 0, 1)));
	/* running off the end */
	tenv_clear(e);
	E(e, xpu_nop());
	E(e, xpu_nop());
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, tenv_run(e));
	EXPECT_EQ(2, e->rec.retired);
	/* the all-zero word is not an instruction */
	EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, 0));
}

/* random garbage programs never crash and end with a defined status */
TEST_F(sc, fuzz_random_programs)
{
	struct tenv *e = self->e;
	uint64_t seed = 1;
	int it, i;

	for (it = 0; it < 3000; it++) {
		tenv_clear(e);
		for (i = 0; i < 16; i++) {
			uint64_t w = ((uint64_t)trand(&seed) << 32) | trand(&seed);
			static const uint8_t ops[] = { 0x01, 0x10, 0x20, 0x21, 0x30, 0x31, 0x40,
				0x41, 0x42, 0x50, 0x51, 0x60, 0x61, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75 };

			/* mostly defined opcodes with few operand bits so they get far */
			if (trand(&seed) & 1) {
				w &= 0x00ffff0f000000ffull;
				w |= (uint64_t)ops[trand(&seed) % sizeof(ops)] << 56;
			}
			E(e, w);
		}
		uint32_t st = tenv_run(e);
		ASSERT_TRUE(st <= XPU_JOB_STATUS_ABORTED);
	}
}

static void *aborter(void *arg)
{
	struct tenv *e = arg;

	/* wait for progress, then abort */
	while (__atomic_load_n(&e->ctl.retired, __ATOMIC_ACQUIRE) < 100000)
		usleep(1000);
	__atomic_store_n(&e->ctl.abort, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F(sc, abort_stops_infinite_loop)
{
	struct tenv *e = self->e;
	pthread_t th;

	E(e, xpu_addi(3, 3, 1));
	E(e, xpu_jal(0, -1));
	ASSERT_EQ(0, pthread_create(&th, NULL, aborter, e));
	EXPECT_EQ(XPU_JOB_STATUS_ABORTED, tenv_run(e));
	pthread_join(th, NULL);
	EXPECT_GE(e->rec.retired, 100000);
	EXPECT_EQ(e->rec.retired, __atomic_load_n(&e->ctl.retired, __ATOMIC_ACQUIRE));
	/* abort already set: the job does not start */
	EXPECT_EQ(XPU_JOB_STATUS_ABORTED, tenv_run(e));
	EXPECT_EQ(0, e->rec.retired);
	e->ctl.abort = 0;
	tenv_clear(e);
	E(e, xpu_halt());
	EXPECT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
}

/* the fields (XPU_U_*) the header's table derives for opcode op */
static uint32_t op_fields(uint32_t op)
{
#define OP_FIELDS_(name, code, pre, suf, syn, imm, fn)			\
	case code: return XPU_OP_FIELDS(syn, imm, fn);
	switch (op) {
	XPU_OPCODES(OP_FIELDS_)
	}
#undef OP_FIELDS_
	return 0;
}

/* "D123FI" in xpu_isa_examples.h's parser is the XPU_U_* bit order */
_Static_assert(XPU_U_RD == 1 && XPU_U_RS1 == 2 && XPU_U_RS2 == 4 && XPU_U_RS3 == 8 &&
	       XPU_U_FN == 16 && XPU_U_IMM == 32, "XPU_U_* bit order");

/*
 * The fields each opcode uses, as the header derives them from the table's
 * syntax, imm and func4 columns, are the ones docs/isa.md's opcode tables
 * state by hand; every opcode has a row there and every row an opcode.
 */
TEST(opcode_fields_match_isa_md)
{
	static const struct { uint8_t code; const char *name; } ops[] = {
#define OP_NAME_(name, code, ...) { code, #name },
		XPU_OPCODES(OP_NAME_)
#undef OP_NAME_
	};
	const char *doc = xpu_isa_md_path();
	uint8_t fields[256];
	int n, bad = 0;

	n = xpu_isa_doc_fields(doc, fields, &bad);
	ASSERT_NE(-1, n) TH_LOG("cannot read %s", doc);
	ASSERT_NE(-2, n) TH_LOG("%s:%d: an opcode table row does not parse", doc, bad);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		uint32_t code = ops[i].code;

		ASSERT_TRUE(fields[code] & XPU_ISA_DOC_ROW) {
			TH_LOG("%s (%#x) has no row in %s", ops[i].name, code, doc);
		}
		EXPECT_EQ(fields[code] & ~XPU_ISA_DOC_ROW, op_fields(code)) {
			TH_LOG("%s: %s says fields %#x, the header derives %#x", ops[i].name,
			       doc, fields[code] & ~XPU_ISA_DOC_ROW, op_fields(code));
		}
	}
	EXPECT_EQ((int)(sizeof(ops) / sizeof(ops[0])), n) {
		TH_LOG("%s has %d opcode rows, the header %zu opcodes", doc, n,
		       sizeof(ops) / sizeof(ops[0]));
	}
}

/*
 * The encodings pinned in docs/isa.md ("Encoding examples"): the engine's
 * decoder accepts each literal word, rejects it with any bit of a field the
 * opcode does not use, and executes li / ld with the registers and immediate
 * the document gives (tests/runtime/asm_test.c checks the helpers and the
 * assembler against the same words).
 */
TEST_F(sc, decoder_accepts_pinned_encodings)
{
	static const struct { uint32_t u; uint64_t mask; } field[] = {
		{ XPU_U_RD, 0x1full << XPU_F_RD_SHIFT }, { XPU_U_RS1, 0x1full << XPU_F_RS1_SHIFT },
		{ XPU_U_RS2, 0x1full << XPU_F_RS2_SHIFT }, { XPU_U_RS3, 0x1full << XPU_F_RS3_SHIFT },
		{ XPU_U_FN, 0xfull << XPU_F_FUNC_SHIFT }, { XPU_U_IMM, 0xffffffffull },
	};
	struct xpu_isa_example ex[XPU_ISA_EX_MAX];
	const char *doc = xpu_isa_md_path();
	struct tenv *e = self->e;
	int n, bad = 0, li = 0, ld = 0;

	n = xpu_isa_examples(doc, ex, XPU_ISA_EX_MAX, &bad);
	ASSERT_NE(-1, n) TH_LOG("cannot read %s", doc);
	ASSERT_NE(-2, n) TH_LOG("%s:%d: a row of the encoding examples does not parse", doc, bad);
	ASSERT_GE(n, 6) TH_LOG("%s: the encoding examples table is missing or short", doc);
	for (int i = 0; i < n; i++) {
		uint32_t u = op_fields(ex[i].word >> 56);

		EXPECT_NE(XPU_JOB_STATUS_BAD_INSN, run1(e, ex[i].word)) {
			TH_LOG("'%s' = %#llx rejected", ex[i].text, (unsigned long long)ex[i].word);
		}
		for (int f = 0; f < 6; f++) {
			if (u & field[f].u)
				continue;
			EXPECT_EQ(XPU_JOB_STATUS_BAD_INSN, run1(e, ex[i].word | field[f].mask)) {
				TH_LOG("'%s' with unused field %d set accepted", ex[i].text, f);
			}
		}
		/* li r3, -1: r3 = all ones */
		if (!strcmp(ex[i].text, "li r3, -1")) {
			li = 1;
			tenv_clear(e);
			E(e, ex[i].word);
			store(e, 3, 0);
			E(e, xpu_halt());
			ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
			EXPECT_EQ(~0ull, out(e, 0));
		}
		/* ld r3, 16(r1): r1 = args at job start, r3 = its third word */
		if (!strcmp(ex[i].text, "ld r3, 16(r1)")) {
			uint64_t v = 0x0123456789abcdefull;

			ld = 1;
			memcpy(tva(e, T_DATA_VA) + 16, &v, 8);
			tenv_clear(e);
			E(e, ex[i].word);
			store(e, 3, 0);
			E(e, xpu_halt());
			ASSERT_EQ(XPU_JOB_STATUS_OK, tenv_run(e));
			EXPECT_EQ(v, out(e, 0));
		}
	}
	EXPECT_TRUE(li && ld) TH_LOG("the li and ld rows are missing from %s", doc);
}

TEST_HARNESS_MAIN
