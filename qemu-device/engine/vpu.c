// SPDX-License-Identifier: MIT
/*
 * XPU vector unit. Operands are dense row-major rows x cols tensors (VCFG)
 * anywhere in local SRAM. Every op behaves as if elements were processed one
 * at a time in row-major order, each reading its sources then writing its
 * result, so overlapping operands have one defined result. Undefined func4
 * values, element types and imm bits never get here: the decoder generated
 * from the xpu_isa.h table (engine.c) rejects them.
 *
 * Speed: VBIN, the simple VUN ops, VSEL and the reductions run on blocks of
 * VB elements copied into local arrays, loops the compiler vectorises (SSE2
 * baseline; AVX2 / AVX-512 clones picked at run time on x86-64 by
 * target_clones). A block reads its sources before it writes, which is the
 * one-element-at-a-time result whenever every source is disjoint from the
 * destination or is the destination itself with the same indexing; other
 * overlaps take the element-by-element loops. Each element is computed by
 * the same IEEE operations as xpu_vbin_elem() / xpu_vun_elem() (no
 * contraction), and an fp32 reduction keeps each row's order (rows are
 * reduced side by side, not split; int32 sums and maxima are associative),
 * so results are bit-identical. Abort is polled
 * every VPU_POLL elements (and every row of a reduction over long rows).
 */
#pragma GCC optimize("fp-contract=off", "vect-cost-model=dynamic")

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

#define VB		256		/* elements per block */
#define VPU_POLL	16384		/* elements between abort polls */
#define RB		8		/* rows reduced side by side */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
	!defined(XPU_VPU_NO_CLONES)
#define VPU_KERNEL __attribute__((target_clones("default", "avx2", "avx512f"), noinline))
#else
#define VPU_KERNEL __attribute__((noinline))
#endif

static inline uint32_t canon_u(uint32_t u)
{
	return (u & 0x7fffffffu) > 0x7f800000u ? XPU_F32_CANON_NAN : u;
}

static inline int nan_u(uint32_t u)
{
	return (u & 0x7fffffffu) > 0x7f800000u;
}

static void ld_block(uint32_t *dst, const uint8_t *src, uint32_t n)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (uint32_t i = 0; i < n; i++)
		dst[i] = xpu_ld32(src + i * 4);
#else
	memcpy(dst, src, (size_t)n * 4);
#endif
}

static void st_block(uint8_t *dst, const uint32_t *src, uint32_t n)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (uint32_t i = 0; i < n; i++)
		xpu_st32(dst + i * 4, src[i]);
#else
	memcpy(dst, src, (size_t)n * 4);
#endif
}

/* one block of VBIN: o = a (op) b, as xpu_vbin_elem() */
VPU_KERNEL static void bin_block(uint32_t f, uint32_t type, uint32_t *o, const uint32_t *a,
				 const uint32_t *b)
{
	float fa[VB], fb[VB], fr[VB];
	int i;

	if (type != XPU_VT_F32) {
		switch (f) {
		case XPU_VBIN_ADD: for (i = 0; i < VB; i++) o[i] = a[i] + b[i]; break;
		case XPU_VBIN_SUB: for (i = 0; i < VB; i++) o[i] = a[i] - b[i]; break;
		case XPU_VBIN_MUL: for (i = 0; i < VB; i++) o[i] = a[i] * b[i]; break;
		case XPU_VBIN_MAX:
			for (i = 0; i < VB; i++)
				o[i] = (int32_t)b[i] > (int32_t)a[i] ? b[i] : a[i];
			break;
		default:
			for (i = 0; i < VB; i++)
				o[i] = (int32_t)b[i] < (int32_t)a[i] ? b[i] : a[i];
			break;
		}
		return;
	}
	memcpy(fa, a, sizeof(fa));
	memcpy(fb, b, sizeof(fb));
	switch (f) {
	case XPU_VBIN_ADD: for (i = 0; i < VB; i++) fr[i] = fa[i] + fb[i]; break;
	case XPU_VBIN_SUB: for (i = 0; i < VB; i++) fr[i] = fa[i] - fb[i]; break;
	case XPU_VBIN_MUL: for (i = 0; i < VB; i++) fr[i] = fa[i] * fb[i]; break;
	case XPU_VBIN_DIV: for (i = 0; i < VB; i++) fr[i] = fa[i] / fb[i]; break;
	case XPU_VBIN_MAX:
		for (i = 0; i < VB; i++)
			fr[i] = fb[i] > fa[i] ? fb[i] : fa[i];
		break;
	default:
		for (i = 0; i < VB; i++)
			fr[i] = fb[i] < fa[i] ? fb[i] : fa[i];
		break;
	}
	memcpy(o, fr, sizeof(fr));
	if (f == XPU_VBIN_MAX || f == XPU_VBIN_MIN) {
		for (i = 0; i < VB; i++)
			o[i] = (nan_u(a[i]) | nan_u(b[i])) ? XPU_F32_CANON_NAN : o[i];
	} else {
		for (i = 0; i < VB; i++)
			o[i] = canon_u(o[i]);
	}
}

/* the VUN ops done here (others: xpu_vun_elem() per element) */
static int fast_un(uint32_t f, uint32_t type)
{
	if (type == XPU_VT_I32)
		return 1;
	return f == XPU_VUN_RELU || f == XPU_VUN_COPY || f == XPU_VUN_ABS ||
	       f == XPU_VUN_NEG || f == XPU_VUN_RECIP;
}

VPU_KERNEL static void un_block(uint32_t f, uint32_t type, uint32_t *o, const uint32_t *a)
{
	float fa[VB], fr[VB];
	int i;

	if (type == XPU_VT_I32) {
		switch (f) {
		case XPU_VUN_RELU:
			for (i = 0; i < VB; i++) o[i] = (int32_t)a[i] > 0 ? a[i] : 0;
			break;
		case XPU_VUN_NEG: for (i = 0; i < VB; i++) o[i] = 0u - a[i]; break;
		case XPU_VUN_ABS:
			for (i = 0; i < VB; i++) o[i] = (int32_t)a[i] < 0 ? 0u - a[i] : a[i];
			break;
		default: for (i = 0; i < VB; i++) o[i] = a[i]; break;
		}
		return;
	}
	switch (f) {
	case XPU_VUN_RELU:	/* NaN -> canonical, x > 0 ? x : +0 */
		memcpy(fa, a, sizeof(fa));
		for (i = 0; i < VB; i++)
			fr[i] = fa[i] > 0.0f ? fa[i] : 0.0f;
		memcpy(o, fr, sizeof(fr));
		for (i = 0; i < VB; i++)
			o[i] = nan_u(a[i]) ? XPU_F32_CANON_NAN : o[i];
		break;
	case XPU_VUN_COPY: for (i = 0; i < VB; i++) o[i] = a[i]; break;
	case XPU_VUN_ABS: for (i = 0; i < VB; i++) o[i] = canon_u(a[i] & 0x7fffffffu); break;
	case XPU_VUN_NEG: for (i = 0; i < VB; i++) o[i] = canon_u(a[i] ^ 0x80000000u); break;
	default:		/* RECIP */
		memcpy(fa, a, sizeof(fa));
		for (i = 0; i < VB; i++)
			fr[i] = 1.0f / fa[i];
		memcpy(o, fr, sizeof(fr));
		for (i = 0; i < VB; i++)
			o[i] = canon_u(o[i]);
		break;
	}
}

VPU_KERNEL static void sel_block(uint32_t *o, const uint32_t *m, const uint32_t *a,
				 const uint32_t *b)
{
	for (int i = 0; i < VB; i++)
		o[i] = m[i] ? a[i] : b[i];
}

/*
 * fp32 reductions of RB rows side by side: a_j takes row j's elements in
 * ascending column order, exactly the one-row loop's sequence. The adds of
 * one row depend on each other; RB independent chains overlap in the
 * pipeline (gathering the rows into vector lanes measured slower).
 */
__attribute__((noinline))
static void red_rows_f32(uint32_t f, const uint8_t *s, uint64_t cols, uint32_t *res)
{
	const uint8_t *r0 = s, *r1 = r0 + cols * 4, *r2 = r1 + cols * 4, *r3 = r2 + cols * 4;
	const uint8_t *r4 = r3 + cols * 4, *r5 = r4 + cols * 4, *r6 = r5 + cols * 4;
	const uint8_t *r7 = r6 + cols * 4;
	float a0, a1, a2, a3, a4, a5, a6, a7;
	uint32_t nan = 0;	/* bit j: row j saw a NaN */
	uint64_t c;

	if (f == XPU_VRED_SUM) {
		a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0f;
		for (c = 0; c < cols * 4; c += 4) {
			a0 = a0 + xpu_u2f(xpu_ld32(r0 + c));
			a1 = a1 + xpu_u2f(xpu_ld32(r1 + c));
			a2 = a2 + xpu_u2f(xpu_ld32(r2 + c));
			a3 = a3 + xpu_u2f(xpu_ld32(r3 + c));
			a4 = a4 + xpu_u2f(xpu_ld32(r4 + c));
			a5 = a5 + xpu_u2f(xpu_ld32(r5 + c));
			a6 = a6 + xpu_u2f(xpu_ld32(r6 + c));
			a7 = a7 + xpu_u2f(xpu_ld32(r7 + c));
		}
	} else {
		a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = xpu_u2f(0xff800000u);
		/* a NaN only sets the flag (x > acc is false for it) */
#define MAX1(j) do {							\
			uint32_t x = xpu_ld32(r##j + c);		\
			nan |= (uint32_t)nan_u(x) << j;			\
			a##j = xpu_u2f(x) > a##j ? xpu_u2f(x) : a##j;	\
		} while (0)
		for (c = 0; c < cols * 4; c += 4) {
			MAX1(0); MAX1(1); MAX1(2); MAX1(3);
			MAX1(4); MAX1(5); MAX1(6); MAX1(7);
		}
#undef MAX1
	}
	res[0] = xpu_f2u(a0);
	res[1] = xpu_f2u(a1);
	res[2] = xpu_f2u(a2);
	res[3] = xpu_f2u(a3);
	res[4] = xpu_f2u(a4);
	res[5] = xpu_f2u(a5);
	res[6] = xpu_f2u(a6);
	res[7] = xpu_f2u(a7);
	for (int j = 0; j < RB; j++)
		res[j] = (nan >> j) & 1 ? XPU_F32_CANON_NAN : canon_u(res[j]);
}

/* one int32 row: the ops are associative (wrapping sum, max), so vector
 * lanes may split the row */
VPU_KERNEL static uint32_t red_row_i32(uint32_t f, const uint8_t *row, uint64_t cols)
{
	uint32_t acc = f == XPU_VRED_SUM ? 0 : 0x80000000u, b[VB];
	uint64_t c = 0;

	for (; c + VB <= cols; c += VB) {
		ld_block(b, row + c * 4, VB);
		if (f == XPU_VRED_SUM)
			for (int i = 0; i < VB; i++)
				acc += b[i];
		else
			for (int i = 0; i < VB; i++)
				acc = (int32_t)b[i] > (int32_t)acc ? b[i] : acc;
	}
	for (; c < cols; c++) {
		uint32_t x = xpu_ld32(row + c * 4);

		if (f == XPU_VRED_SUM)
			acc += x;
		else if ((int32_t)x > (int32_t)acc)
			acc = x;
	}
	return acc;
}

static int disjoint(const uint8_t *a, uint64_t alen, const uint8_t *b, uint64_t blen)
{
	return a + alen <= b || b + blen <= a;
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

/* poll abort every VPU_POLL elements: *since counts elements since the last */
static int vpoll(struct xpu_tile *t, uint64_t *since, uint64_t elems)
{
	*since += elems;
	if (*since < VPU_POLL)
		return 0;
	*since = 0;
	return xpu_poll_abort(t);
}

/* VBIN, VUN, VSEL on blocks (see the top of the file for when) */
static int blocks(struct xpu_tile *t, uint32_t op, uint32_t f, uint32_t type, uint32_t bc,
		  uint64_t rows, uint64_t cols, uint8_t *d, const uint8_t *s, const uint8_t *s2,
		  const uint8_t *s3, uint32_t v2)
{
	uint32_t a[VB], b[VB], m[VB], o[VB];
	uint64_t r, c, since = 0, i = 0;
	int rc;

	if (op != XPU_OP_VBIN || bc == XPU_VB_FULL || bc == XPU_VB_SCALAR) {
		cols *= rows;			/* no row structure */
		rows = 1;
	}
	for (r = 0; r < rows; r++) {
		for (c = 0; c < cols; c += VB, i += VB) {
			uint32_t k = cols - c < VB ? (uint32_t)(cols - c) : VB;

			if ((rc = vpoll(t, &since, k)))
				return rc;
			if (k < VB) {		/* the tail: defined lanes */
				memset(a, 0, sizeof(a));
				memset(b, 0, sizeof(b));
				memset(m, 0, sizeof(m));
			}
			ld_block(a, s + i * 4, k);
			if (op == XPU_OP_VBIN) {
				if (bc == XPU_VB_FULL) {
					ld_block(b, s2 + i * 4, k);
				} else if (bc == XPU_VB_ROW) {
					ld_block(b, s2 + c * 4, k);
				} else {
					uint32_t bv = bc == XPU_VB_COL ? xpu_ld32(s2 + r * 4) : v2;

					for (uint32_t j = 0; j < VB; j++)
						b[j] = bv;
				}
				bin_block(f, type, o, a, b);
			} else if (op == XPU_OP_VUN) {
				un_block(f, type, o, a);
			} else {
				memcpy(m, a, sizeof(m));
				ld_block(a, s2 + i * 4, k);
				ld_block(b, s3 + i * 4, k);
				sel_block(o, m, a, b);
			}
			st_block(d + i * 4, o, k);
		}
		i -= (cols + VB - 1) / VB * VB - cols;	/* blocks overshoot a row */
	}
	return 0;
}

static int red(struct xpu_tile *t, uint32_t f, uint32_t type, uint64_t rows, uint64_t cols,
	       uint8_t *d, const uint8_t *s, int fast)
{
	uint64_t r = 0, since = 0;
	int rc;

	if (fast && type == XPU_VT_F32) {
		uint32_t res[RB];

		for (; r + RB <= rows; r += RB) {
			if ((rc = vpoll(t, &since, RB * cols)))
				return rc;
			red_rows_f32(f, s + r * cols * 4, cols, res);
			for (int j = 0; j < RB; j++)
				xpu_st32(d + (r + j) * 4, res[j]);
		}
	}
	for (; r < rows; r++) {
		const uint8_t *row = s + r * cols * 4;
		uint32_t res;
		uint64_t c;

		if ((rc = vpoll(t, &since, cols)))
			return rc;
		if (type == XPU_VT_I32 && fast) {
			/* pieces between polls; sum and max combine exactly */
			res = f == XPU_VRED_SUM ? 0 : 0x80000000u;
			for (c = 0; c < cols; c += 16 * VPU_POLL) {
				uint64_t k = cols - c < 16 * VPU_POLL ? cols - c : 16 * VPU_POLL;
				uint32_t part = red_row_i32(f, row + c * 4, k);

				if (c && (rc = xpu_poll_abort(t)))
					return rc;
				if (f == XPU_VRED_SUM)
					res += part;
				else if ((int32_t)part > (int32_t)res)
					res = part;
			}
		} else if (type == XPU_VT_I32) {
			uint32_t acc = f == XPU_VRED_SUM ? 0 : 0x80000000u;

			for (c = 0; c < cols; c++) {
				uint32_t x = xpu_ld32(row + c * 4);

				if (c && (c & (VPU_POLL - 1)) == 0 && (rc = xpu_poll_abort(t)))
					return rc;

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

				if (c && (c & (VPU_POLL - 1)) == 0 && (rc = xpu_poll_abort(t)))
					return rc;
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
	return 0;
}

/* compute, as if one element at a time in row-major order */
static int compute(struct xpu_tile *t, uint32_t op, uint32_t f, uint32_t type, uint32_t bc,
		   uint64_t rows, uint64_t cols, uint64_t n, uint8_t *d, uint8_t *s, uint8_t *s2,
		   uint8_t *s3, uint64_t v2, uint32_t imm, uint64_t ss, uint64_t ds)
{
	uint64_t r, c, i, since = 0, dl = n * ds;
	int rc;

	switch (op) {
	case XPU_OP_VBIN: {
		uint64_t n2 = bc == XPU_VB_FULL ? n : bc == XPU_VB_ROW ? cols : rows;

		if ((d == s || disjoint(d, dl, s, n * 4)) &&
		    (bc == XPU_VB_SCALAR || (bc == XPU_VB_FULL && d == s2) ||
		     disjoint(d, dl, s2, n2 * 4)))
			return blocks(t, op, f, type, bc, rows, cols, d, s, s2, s3, (uint32_t)v2);
		for (r = 0, i = 0; r < rows; r++) {
			for (c = 0; c < cols; c++, i++) {
				uint32_t a = xpu_ld32(s + i * 4), b;

				if ((i & (VPU_POLL - 1)) == 0 && i && (rc = xpu_poll_abort(t)))
					return rc;
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
	}
	case XPU_OP_VUN:
		if (fast_un(f, type) && (d == s || disjoint(d, dl, s, n * 4)))
			return blocks(t, op, f, type, 0, rows, cols, d, s, NULL, NULL, 0);
		for (i = 0; i < n; i++) {
			if ((rc = vpoll(t, &since, 1)))
				return rc;
			xpu_st32(d + i * 4, xpu_vun_elem(f, type, xpu_ld32(s + i * 4)));
		}
		break;
	case XPU_OP_VRED:
		/* the destination (rows words) must not feed later rows */
		return red(t, f, type, rows, cols, d, s, disjoint(d, rows * 4, s, n * 4));
	case XPU_OP_VCVT:
		for (i = 0; i < n; i++) {
			if ((rc = vpoll(t, &since, 1)))
				return rc;
			cvt(f, s + i * ss, d + i * ds, ss, ds);
		}
		break;
	case XPU_OP_VSEL:
		if ((d == s || disjoint(d, dl, s, n * 4)) && (d == s2 || disjoint(d, dl, s2, n * 4)) &&
		    (d == s3 || disjoint(d, dl, s3, n * 4)))
			return blocks(t, op, 0, 0, 0, rows, cols, d, s, s2, s3, 0);
		for (i = 0; i < n; i++) {
			uint32_t m = xpu_ld32(s + i * 4), a = xpu_ld32(s2 + i * 4);
			uint32_t b = xpu_ld32(s3 + i * 4);

			if ((rc = vpoll(t, &since, 1)))
				return rc;
			xpu_st32(d + i * 4, m ? a : b);
		}
		break;
	default: {	/* VQNT */
		double scale = (double)xpu_u2f((uint32_t)v2);
		int32_t zp = (int32_t)imm;

		for (i = 0; i < n; i++) {
			uint32_t x = xpu_ld32(s + i * 4);
			double v = type == XPU_VT_I32 ? (double)(int32_t)x : (double)xpu_u2f(x);

			if ((rc = vpoll(t, &since, 1)))
				return rc;
			d[i] = (uint8_t)xpu_requant(v * scale, zp);
		}
		break;
	}
	}
	return 0;
}

int xpu_exec_vpu(struct xpu_tile *t, uint64_t insn)
{
	uint32_t op = XPU_INSN_OP(insn), f = XPU_INSN_FUNC(insn), imm = XPU_INSN_IMM(insn);
	uint64_t rows = t->v_rows, cols = t->v_cols, n;
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

	if ((rc = compute(t, op, f, type, bc, rows, cols, n, d, s, s2, s3, v2, imm, ss, ds)))
		return rc;

	xpu_sched(t, &t->vpu_free, &t->vpu_busy, xpu_timing_vector_cycles(&t->cfg, n),
		  in, nin, &out, 1);
	return 0;
}
