// SPDX-License-Identifier: MIT
/*
 * Vector unit at memory speed (issue 11): the blocked, vectorised paths of
 * VBIN, VUN, VSEL and VRED must give bit-identical results to the defined
 * semantics, elements one at a time in row-major order (each reading its
 * sources, then writing its result), for every op, type and broadcast, row
 * lengths around the block size, special values (NaN payloads, +-0, inf,
 * denormals), in place, disjoint and overlapping operands. The reference is
 * written here on a copy of the scratchpad with the element definitions of
 * vpu_elem.h; reductions in each row's documented ascending order. A long
 * vector op also publishes progress (abort polls) while it runs.
 */
#include "kselftest_harness.h"
#include "xpu_test_util.h"
#include "vpu_elem.h"

#define SP_BYTES	(1u << 20)

FIXTURE(vfast) { struct tenv *e; };
FIXTURE_SETUP(vfast)
{
	struct xpu_engine_config cfg = { .spad_bytes = SP_BYTES, .acc_bytes = 64 << 10 };

	self->e = tenv_new(&cfg);
	ASSERT_NE(NULL, self->e);
}
FIXTURE_TEARDOWN(vfast) { tenv_free(self->e); }

static const uint32_t special[] = {
	0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001,
	0x00000001, 0x80000001, 0x007fffff, 0x3f800000, 0xbf800000, 0x7f7fffff, 0xff7fffff,
	0x80000000, 0x00000000, 0x7fffffff, 0x00000002, 0xfffffffe,
};

static uint32_t rnd_word(uint64_t *seed)
{
	uint32_t r = trand(seed);

	switch (r % 8) {
	case 0: return special[trand(seed) % (sizeof(special) / 4)];
	case 1: return trand(seed);			/* any bits */
	case 2: return trand(seed) % 7;			/* small ints, masks */
	default: return xref_f2u(((float)(int32_t)trand(seed) / 2147483648.0f) * 100.0f);
	}
}

static uint32_t ld(const uint8_t *sp, uint64_t la)
{
	uint32_t v;

	memcpy(&v, sp + la, 4);
	return v;
}

static void st(uint8_t *sp, uint64_t la, uint32_t v)
{
	memcpy(sp + la, &v, 4);
}

struct vop {
	uint32_t op, f, type, bc;
	uint64_t rows, cols, d, s, s2, s3;
	uint32_t v2;
};

/* the definition, one element at a time on sp (a scratchpad copy) */
static void reference(uint8_t *sp, const struct vop *o)
{
	uint64_t i = 0;

	if (o->op == XPU_OP_VRED) {
		for (uint64_t r = 0; r < o->rows; r++) {
			uint32_t iacc = o->f == XPU_VRED_SUM ? 0 : 0x80000000u, res;
			float facc = o->f == XPU_VRED_SUM ? 0.0f : xref_u2f(0xff800000u);
			int nan = 0;

			for (uint64_t c = 0; c < o->cols; c++) {
				uint32_t x = ld(sp, o->s + (r * o->cols + c) * 4);
				float fx = xref_u2f(x);

				if (o->type == XPU_VT_I32)
					iacc = o->f == XPU_VRED_SUM ? iacc + x
						: (int32_t)x > (int32_t)iacc ? x : iacc;
				else if (o->f == XPU_VRED_SUM)
					facc = facc + fx;
				else if ((x & 0x7fffffffu) > 0x7f800000u)
					nan = 1;
				else if (fx > facc)
					facc = fx;
			}
			if (o->type == XPU_VT_I32)
				res = iacc;
			else if (nan || (xref_f2u(facc) & 0x7fffffffu) > 0x7f800000u)
				res = XPU_F32_CANON_NAN;
			else
				res = xref_f2u(facc);
			st(sp, o->d + r * 4, res);
		}
		return;
	}
	for (uint64_t r = 0; r < o->rows; r++) {
		for (uint64_t c = 0; c < o->cols; c++, i++) {
			uint32_t a = ld(sp, o->s + i * 4), b = o->v2, res;

			if (o->op == XPU_OP_VBIN) {
				if (o->bc == XPU_VB_FULL)
					b = ld(sp, o->s2 + i * 4);
				else if (o->bc == XPU_VB_ROW)
					b = ld(sp, o->s2 + c * 4);
				else if (o->bc == XPU_VB_COL)
					b = ld(sp, o->s2 + r * 4);
				res = xpu_vbin_elem(o->f, o->type, a, b);
			} else if (o->op == XPU_OP_VUN) {
				res = xpu_vun_elem(o->f, o->type, a);
			} else {
				res = a ? ld(sp, o->s2 + i * 4) : ld(sp, o->s3 + i * 4);
			}
			st(sp, o->d + i * 4, res);
		}
	}
}

static uint64_t insn(const struct vop *o)
{
	switch (o->op) {
	case XPU_OP_VBIN: return xpu_vbin(o->f, o->type | o->bc, 3, 4, 5);
	case XPU_OP_VUN: return xpu_vun(o->f, o->type, 3, 4);
	case XPU_OP_VRED: return xpu_vred(o->f, o->type, 3, 4);
	default: return xpu_vsel(3, 4, 5, 8);
	}
}

static uint32_t run(struct tenv *e, const struct vop *o)
{
	tenv_clear(e);
	LI64(e, 6, o->rows);
	LI64(e, 7, o->cols);
	E(e, xpu_vcfg(6, 7));
	LI64(e, 3, SPAD + o->d);
	LI64(e, 4, SPAD + o->s);
	LI64(e, 5, o->op == XPU_OP_VBIN && o->bc == XPU_VB_SCALAR ? o->v2 : SPAD + o->s2);
	LI64(e, 8, SPAD + o->s3);
	E(e, insn(o));
	E(e, xpu_halt());
	return tenv_run(e);
}

/* an operand address: 4-aligned or not, disjoint, the same or overlapping */
static uint64_t place(uint64_t *seed, uint64_t base, uint64_t len)
{
	uint64_t room = SP_BYTES - len - 16;

	switch (trand(seed) % 6) {
	case 0: return base;					/* same */
	case 1: return base + (trand(seed) % 64) * 4 + 4;	/* overlap, ahead */
	case 2: return base > 256 ? base - (trand(seed) % 64) * 4 - 4 : base;	/* behind */
	default: return (trand(seed) % room) & ~(uint64_t)(trand(seed) % 2 ? 3 : 0);
	}
}

TEST_F(vfast, bit_identical_to_one_element_at_a_time)
{
	static const uint32_t un_any[] = { XPU_VUN_RELU, XPU_VUN_COPY, XPU_VUN_NEG, XPU_VUN_ABS };
	static const uint32_t un_f32[] = {
		XPU_VUN_RELU, XPU_VUN_COPY, XPU_VUN_NEG, XPU_VUN_ABS, XPU_VUN_RECIP, XPU_VUN_EXP,
		XPU_VUN_SQRT, XPU_VUN_TANH,
	};
	static uint8_t ref[SP_BYTES];
	struct tenv *e = self->e;
	uint8_t *sp = tla(e, SPAD, SP_BYTES);
	uint64_t seed = 42;
	int n_ops[4] = { 0 };

	ASSERT_NE(NULL, sp);
	for (uint64_t i = 0; i < SP_BYTES; i += 4)
		st(sp, i, rnd_word(&seed));
	for (int it = 0; it < 1500; it++) {
		struct vop o = { 0 };
		uint64_t n, len;
		uint32_t k = trand(&seed) % 4;

		o.op = k == 0 ? XPU_OP_VBIN : k == 1 ? XPU_OP_VUN : k == 2 ? XPU_OP_VRED : XPU_OP_VSEL;
		o.type = trand(&seed) % 2 ? XPU_VT_F32 : XPU_VT_I32;
		o.rows = 1 + trand(&seed) % (trand(&seed) % 4 ? 5 : 40);
		o.cols = 1 + trand(&seed) % (trand(&seed) % 3 ? 200 : 700);
		n = o.rows * o.cols;
		len = n * 4;
		switch (o.op) {
		case XPU_OP_VBIN:
			o.f = trand(&seed) % (o.type == XPU_VT_F32 ? 6 : 5);
			o.bc = (trand(&seed) % 4) << XPU_VB_BCAST_SHIFT;
			break;
		case XPU_OP_VUN:
			o.f = o.type == XPU_VT_F32 ? un_f32[trand(&seed) % 8] : un_any[trand(&seed) % 4];
			break;
		case XPU_OP_VRED:
			o.f = trand(&seed) % 2;
			break;
		}
		o.s = (trand(&seed) % (SP_BYTES - len - 16)) & ~(uint64_t)(trand(&seed) % 2 ? 3 : 0);
		o.s2 = place(&seed, o.s, len);
		o.s3 = place(&seed, o.s2, len);
		o.d = place(&seed, trand(&seed) % 2 ? o.s : o.s2, len);
		if (o.op == XPU_OP_VBIN && o.bc == XPU_VB_COL && trand(&seed) % 2)
			o.s2 = o.d + (trand(&seed) % o.rows) * 4;	/* a column inside dst */
		o.v2 = rnd_word(&seed);
		if (o.d + len > SP_BYTES || o.s2 + len > SP_BYTES || o.s3 + len > SP_BYTES)
			continue;
		memcpy(ref, sp, SP_BYTES);
		reference(ref, &o);
		ASSERT_EQ(XPU_JOB_STATUS_OK, run(e, &o)) {
			TH_LOG("op %u f %u", o.op, o.f);
		}
		ASSERT_EQ(0, memcmp(ref, sp, SP_BYTES)) {
			TH_LOG("it %d op %u f %u type %u bc %u %llux%llu d %llx s %llx s2 %llx s3 %llx",
			       it, o.op, o.f, o.type, o.bc, (unsigned long long)o.rows,
			       (unsigned long long)o.cols, (unsigned long long)o.d,
			       (unsigned long long)o.s, (unsigned long long)o.s2,
			       (unsigned long long)o.s3);
		}
		n_ops[k]++;
	}
	for (int k = 0; k < 4; k++)
		EXPECT_GE(n_ops[k], 200);
}

/* max over rows of signed zeros and negatives: the first zero seen wins
 * (x > acc), in each row's order, with rows reduced side by side */
TEST_F(vfast, max_keeps_the_first_zero)
{
	static const uint32_t v[] = { 0x80000000, 0x00000000, 0xbf800000, 0xff800000 };
	static uint8_t ref[SP_BYTES];
	struct tenv *e = self->e;
	uint8_t *sp = tla(e, SPAD, SP_BYTES);
	struct vop o = { .op = XPU_OP_VRED, .f = XPU_VRED_MAX, .type = XPU_VT_F32,
			 .rows = 48, .cols = 70, .d = 1 << 19 };
	uint64_t seed = 3;
	int neg = 0, pos = 0;

	for (uint64_t i = 0; i < o.rows * o.cols; i++)
		st(sp, i * 4, v[trand(&seed) % 4]);
	memcpy(ref, sp, SP_BYTES);
	reference(ref, &o);
	ASSERT_EQ(XPU_JOB_STATUS_OK, run(e, &o));
	ASSERT_EQ(0, memcmp(ref, sp, SP_BYTES));
	for (uint64_t r = 0; r < o.rows; r++) {
		neg += ld(sp, o.d + r * 4) == 0x80000000u;
		pos += ld(sp, o.d + r * 4) == 0;
	}
	EXPECT_GE(neg, 5);		/* both outcomes occur */
	EXPECT_GE(pos, 5);
}

/* a vector op over the whole scratchpad polls abort (and publishes
 * progress) every 16 Ki elements, not once per instruction */
TEST_F(vfast, long_op_polls)
{
	struct tenv *e = self->e;
	struct vop o = { .op = XPU_OP_VUN, .f = XPU_VUN_EXP, .type = XPU_VT_F32,
			 .rows = 256, .cols = 1024 };

	ASSERT_EQ(XPU_JOB_STATUS_OK, run(e, &o));
	EXPECT_GE(e->ctl.work, 256 * 1024 / 16384);
	o.f = XPU_VUN_RELU;
	ASSERT_EQ(XPU_JOB_STATUS_OK, run(e, &o));
	EXPECT_GE(e->ctl.work, 256 * 1024 / 16384);
	o.op = XPU_OP_VRED;
	o.f = XPU_VRED_SUM;
	o.d = 1 << 19;
	o.rows = 64;
	ASSERT_EQ(XPU_JOB_STATUS_OK, run(e, &o));
	EXPECT_GE(e->ctl.work, 64 * 1024 / 16384);
}

TEST_HARNESS_MAIN
