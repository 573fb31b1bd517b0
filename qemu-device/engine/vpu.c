// SPDX-License-Identifier: MIT
/*
 * XPU vector unit. Operands are dense row-major rows x cols tensors (VCFG)
 * anywhere in local SRAM. Every op behaves as if elements were processed one
 * at a time in row-major order, each reading its sources then writing its
 * result, so overlapping operands have one defined result. Undefined func4
 * values, element types and imm bits never get here: the decoder generated
 * from the xpu_isa.h table (engine.c) rejects them.
 */
#pragma GCC optimize("fp-contract=off")

#include "engine_int.h"
#include "numerics.h"
#include "vpu_elem.h"

/* element sizes of a VCVT: source, destination */
static int cvt_sizes(uint32_t f, uint64_t *ss, uint64_t *ds)
{
	static const uint8_t sz[][2] = {
		[XPU_CVT_I32_F32] = { 4, 4 }, [XPU_CVT_F32_I32] = { 4, 4 },
		[XPU_CVT_F32_BF16] = { 4, 2 }, [XPU_CVT_BF16_F32] = { 2, 4 },
		[XPU_CVT_I8_I32] = { 1, 4 }, [XPU_CVT_I8_BF16] = { 1, 2 },
	};

	if (f > XPU_CVT_I8_BF16)
		return -1;
	*ss = sz[f][0];
	*ds = sz[f][1];
	return 0;
}

/* one VCVT element: ss source and ds destination bytes */
static void cvt(uint32_t f, const uint8_t *s, uint8_t *d, uint64_t ss, uint64_t ds)
{
	uint32_t v = ss == 4 ? xpu_ld32(s) : ss == 2 ? xpu_ld16(s) : s[0];

	v = xpu_vcvt_elem(f, v);
	if (ds == 4)
		xpu_st32(d, v);
	else
		xpu_st16(d, (uint16_t)v);
}

static int check(struct xpu_tile *t, uint64_t la, uint64_t n, uint64_t es, uint8_t **p,
		 struct xpu_opnd *o)
{
	uint64_t len;

	if (__builtin_mul_overflow(n, es, &len))
		return XPU_JOB_STATUS_SRAM_RANGE;
	if (!len) {			/* empty operands are never checked */
		*p = t->spad;
		la = 0;
	} else if (!(*p = xpu_la_ptr(t, la, len))) {
		return XPU_JOB_STATUS_SRAM_RANGE;
	}
	o->la = la;
	o->len = len;
	return 0;
}

int xpu_exec_vpu(struct xpu_tile *t, uint64_t insn)
{
	uint32_t op = XPU_INSN_OP(insn), f = XPU_INSN_FUNC(insn), imm = XPU_INSN_IMM(insn);
	uint64_t rows = t->v_rows, cols = t->v_cols, n, r, c, i;
	uint64_t la_d = t->regs[XPU_INSN_RD(insn)], la_s = t->regs[XPU_INSN_RS1(insn)];
	uint64_t v2 = t->regs[XPU_INSN_RS2(insn)], ss = 4, ds = 4, dn;
	uint8_t *d, *s, *s2 = NULL, *s3 = NULL;
	struct xpu_opnd in[3], out;
	uint32_t bc = 0, type = 0;
	int nin = 1, rc;

	/* decode; the decoder (engine.c, from the xpu_isa.h table) has already
	 * rejected undefined func4 values, types and imm bits */
	switch (op) {
	case XPU_OP_VBIN:
		type = imm & XPU_VB_TYPE_MASK;
		bc = imm & XPU_VB_BCAST_MASK;
		break;
	case XPU_OP_VUN:
	case XPU_OP_VRED:
		type = imm;
		break;
	case XPU_OP_VCVT:
		if (cvt_sizes(f, &ss, &ds))
			return XPU_JOB_STATUS_BAD_INSN;
		break;
	case XPU_OP_VQNT:
		type = f;
		ds = 1;
		break;
	case XPU_OP_VSEL:
		break;
	default:
		return XPU_JOB_STATUS_BAD_INSN;
	}
	if (__builtin_mul_overflow(rows, cols, &n))
		return XPU_JOB_STATUS_SRAM_RANGE;
	dn = op == XPU_OP_VRED ? rows : n;
	if (!dn)
		return 0;			/* empty: nothing happens */

	/* operands */
	if ((rc = check(t, la_d, dn, ds, &d, &out)))
		return rc;
	if ((rc = check(t, la_s, n, ss, &s, &in[0])))
		return rc;
	if (op == XPU_OP_VBIN && bc != XPU_VB_SCALAR) {
		uint64_t n2 = bc == XPU_VB_FULL ? n : bc == XPU_VB_ROW ? cols : rows;

		if ((rc = check(t, v2, n2, 4, &s2, &in[1])))
			return rc;
		nin = 2;
	}
	if (op == XPU_OP_VSEL) {
		if ((rc = check(t, v2, n, 4, &s2, &in[1])))
			return rc;
		if ((rc = check(t, t->regs[XPU_INSN_RS3(insn)], n, 4, &s3, &in[2])))
			return rc;
		nin = 3;
	}
	if (!in[0].len)
		in[0] = in[nin - 1], nin--;
	if ((rc = xpu_poll_abort(t)))
		return rc;

	/* compute, one element at a time in row-major order */
	switch (op) {
	case XPU_OP_VBIN:
		for (r = 0, i = 0; r < rows; r++) {
			for (c = 0; c < cols; c++, i++) {
				uint32_t a = xpu_ld32(s + i * 4), b;

				if (bc == XPU_VB_FULL)
					b = xpu_ld32(s2 + i * 4);
				else if (bc == XPU_VB_ROW)
					b = xpu_ld32(s2 + c * 4);
				else if (bc == XPU_VB_COL)
					b = xpu_ld32(s2 + r * 4);
				else
					b = (uint32_t)v2;
				xpu_st32(d + i * 4, xpu_vbin_elem(f, type, a, b));
			}
		}
		break;
	case XPU_OP_VUN:
		for (i = 0; i < n; i++)
			xpu_st32(d + i * 4, xpu_vun_elem(f, type, xpu_ld32(s + i * 4)));
		break;
	case XPU_OP_VRED:
		for (r = 0; r < rows; r++) {
			const uint8_t *row = s + r * cols * 4;
			uint32_t res;

			if (type == XPU_VT_I32) {
				uint32_t acc = f == XPU_VRED_SUM ? 0 : 0x80000000u;

				for (c = 0; c < cols; c++) {
					uint32_t x = xpu_ld32(row + c * 4);

					if (f == XPU_VRED_SUM)
						acc += x;
					else if ((int32_t)x > (int32_t)acc)
						acc = x;
				}
				res = acc;
			} else {
				float acc = f == XPU_VRED_SUM ? 0.0f : xpu_u2f(0xff800000u);
				int nan = 0;

				for (c = 0; c < cols; c++) {
					float x = xpu_u2f(xpu_ld32(row + c * 4));

					if (f == XPU_VRED_SUM) {
						acc = acc + x;
					} else if (xpu_f32_isnan(x)) {
						nan = 1;
					} else if (x > acc) {
						acc = x;
					}
				}
				res = nan ? XPU_F32_CANON_NAN : xpu_f2u(xpu_canon(acc));
			}
			xpu_st32(d + r * 4, res);
		}
		break;
	case XPU_OP_VCVT:
		for (i = 0; i < n; i++)
			cvt(f, s + i * ss, d + i * ds, ss, ds);
		break;
	case XPU_OP_VSEL:
		for (i = 0; i < n; i++) {
			uint32_t m = xpu_ld32(s + i * 4), a = xpu_ld32(s2 + i * 4);
			uint32_t b = xpu_ld32(s3 + i * 4);

			xpu_st32(d + i * 4, m ? a : b);
		}
		break;
	default: {	/* VQNT */
		double scale = (double)xpu_u2f((uint32_t)v2);
		int32_t zp = (int32_t)imm;

		for (i = 0; i < n; i++) {
			uint32_t x = xpu_ld32(s + i * 4);
			double v = type == XPU_VT_I32 ? (double)(int32_t)x : (double)xpu_u2f(x);

			d[i] = (uint8_t)xpu_requant(v * scale, zp);
		}
		break;
	}
	}

	xpu_sched(t, &t->vpu_free, &t->vpu_busy, xpu_timing_vector_cycles(&t->cfg, n),
		  in, nin, &out, 1);
	return 0;
}
