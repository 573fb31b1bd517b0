// SPDX-License-Identifier: MIT
/*
 * The decisions the math lowering (lower_math.c) and its CPU reference
 * (reference_math.c) share, so that both compute the same thing: matmul
 * pass lists and operand descriptions (incl. the QDQ int8 path), ONNX
 * broadcasting as R x C row offsets, the vector program of every
 * elementwise op, conv/pool windows, reduction and normalisation shapes.
 * Declarations and the numerics they imply: math_common.h. Every
 * unsupported case is XPU_ERROR_NOT_SUPPORTED naming the node, its op type
 * and the attribute or type it cannot do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math_common.h"

void xg_mm_passes(uint32_t precision, int *np, uint8_t *a, uint8_t *b)
{
	static const uint8_t hA[] = { XCC_TERM_HI, XCC_TERM_MID, XCC_TERM_HI };
	static const uint8_t hB[] = { XCC_TERM_MID, XCC_TERM_HI, XCC_TERM_HI };
	static const uint8_t xA[] = { XCC_TERM_MID, XCC_TERM_HI, XCC_TERM_LO, XCC_TERM_HI,
				      XCC_TERM_MID, XCC_TERM_HI };
	static const uint8_t xB[] = { XCC_TERM_MID, XCC_TERM_LO, XCC_TERM_HI, XCC_TERM_MID,
				      XCC_TERM_HI, XCC_TERM_HI };

	switch (precision & XPU_GRAPH_F_PREC_MASK) {
	case XPU_GRAPH_F_PREC_HIGH:
		*np = 3;
		memcpy(a, hA, 3);
		memcpy(b, hB, 3);
		break;
	case XPU_GRAPH_F_PREC_HIGHEST:
		*np = 6;
		memcpy(a, xA, 6);
		memcpy(b, xB, 6);
		break;
	default:
		*np = 1;
		a[0] = b[0] = XCC_TERM_HI;
		break;
	}
}

int xg_act_vun(enum xg_act act)
{
	switch (act) {
	case XG_ACT_RELU: return XPU_VUN_RELU;
	case XG_ACT_GELU_ERF: return XPU_VUN_GELU_ERF;
	case XG_ACT_GELU_TANH: return XPU_VUN_GELU;
	case XG_ACT_SIGMOID: return XPU_VUN_SIGMOID;
	case XG_ACT_TANH: return XPU_VUN_TANH;
	default: return -1;
	}
}

void xg_bc_free(struct xg_bc *bc)
{
	for (int i = 0; i < XCC_MAX_IN; i++) {
		free(bc->row_off[i]);
		bc->row_off[i] = NULL;
	}
}

xpu_status xg_bc_plan(const struct xg_graph *g, int node, int out, int nin, const int *in,
		      const int *in_axis, struct xg_bc *bc)
{
	const struct xg_tensor *to = &g->t[out];
	int64_t dims[XG_MAX_DIMS], st[XCC_MAX_IN][XG_MAX_DIMS];
	int nd = to->ndim, md = 0;

	memset(bc, 0, sizeof(*bc));
	bc->nin = nin;
	/* element strides of each input along the output's dims (0: broadcast) */
	for (int i = 0; i < nin; i++) {
		const struct xg_tensor *ti = &g->t[in[i]];
		int64_t s = 1;

		if (ti->ndim > nd && !(in_axis && in_axis[i] >= 0))
			return xg_unsup(g, node, "input '%s' has more dimensions than the output",
					ti->name);
		if (in_axis && in_axis[i] >= 0 && (in_axis[i] >= nd ||
		    (int64_t)xg_numel(ti) != to->dims[in_axis[i]]))
			return xg_unsup(g, node, "input '%s' does not run along axis %d", ti->name,
					in_axis[i]);
		for (int d = nd - 1; d >= 0; d--) {
			int di = d - (nd - ti->ndim);
			int64_t n = di >= 0 ? ti->dims[di] : 1;

			if (in_axis && in_axis[i] >= 0)
				n = d == in_axis[i] ? (int64_t)xg_numel(ti) : 1;

			if (n != 1 && n != to->dims[d])
				return xg_unsup(g, node,
						"input '%s' does not broadcast to the output",
						ti->name);
			st[i][d] = n == 1 ? 0 : s;
			s *= n;
		}
	}
	/* merge adjacent dims where every input is contiguous across them */
	for (int d = 0; d < nd; d++) {
		if (to->dims[d] == 1)
			continue;
		if (md > 0) {
			int ok = 1;

			for (int i = 0; i < nin; i++)
				if (st[i][md - 1] != st[i][d] * to->dims[d])
					ok = 0;
			if (ok) {
				dims[md - 1] *= to->dims[d];
				for (int i = 0; i < nin; i++)
					st[i][md - 1] = st[i][d];
				continue;
			}
		}
		dims[md] = to->dims[d];
		for (int i = 0; i < nin; i++)
			st[i][md] = st[i][d];
		md++;
	}
	if (!md) {
		dims[0] = 1;
		for (int i = 0; i < nin; i++)
			st[i][0] = 0;
		md = 1;
	}
	bc->C = (uint64_t)dims[md - 1];
	bc->R = 1;
	for (int d = 0; d < md - 1; d++)
		bc->R *= (uint64_t)dims[d];
	if (bc->R > (1u << 24))
		return xg_unsup(g, node, "%llu rows of broadcasting (at most 2^24)",
				(unsigned long long)bc->R);
	for (int i = 0; i < nin; i++) {
		uint64_t *o = malloc(bc->R * sizeof(*o));

		if (!o) {
			xg_bc_free(bc);
			return xg_lower_oom();
		}
		bc->row_off[i] = o;
		bc->inner[i] = st[i][md - 1] != 0 || bc->C == 1;
		for (uint64_t r = 0; r < bc->R; r++) {
			uint64_t rem = r, off = 0;

			for (int d = md - 2; d >= 0; d--) {
				off += (rem % (uint64_t)dims[d]) * (uint64_t)st[i][d];
				rem /= (uint64_t)dims[d];
			}
			o[r] = off;
		}
	}
	return XPU_SUCCESS;
}

struct xcc_ew_step xg_step(int kind, int func, int vt, int dst, int a, int b, int c)
{
	struct xcc_ew_step s;

	memset(&s, 0, sizeof(s));
	s.kind = (uint8_t)kind;
	s.func = (uint8_t)func;
	s.vt = (uint8_t)vt;
	s.dst = (int8_t)dst;
	s.a = (int8_t)a;
	s.b = (int8_t)b;
	s.c = (int8_t)c;
	return s;
}

/* a constant scalar input (one element); 0 if it is not one */
static int const_scalar(const struct xg_graph *g, int t, float *v)
{
	if (t < 0 || g->t[t].kind != XG_CONST || xg_numel(&g->t[t]) != 1)
		return 0;
	*v = xg_const_f32(&g->t[t], 0);
	return 1;
}

static int vt_of(uint32_t dt)
{
	return dt == XPU_DT_F32 ? XPU_VT_F32 : dt == XPU_DT_I32 ? XPU_VT_I32 : -1;
}

/* steps: slot dst = src widened to int32 (int8: sign extension; uint8: sign
 * extension, then + 256 where negative: 256 * min(-min(v, 0), 1), with slot
 * tmp; int32: a copy) */
static void widen(struct xcc_ew *p, uint32_t dt, int dst, int src, int tmp)
{
	struct xcc_ew_step *st = p->step;

	if (dt == XPU_DT_I32) {
		st[p->nsteps++] = xg_step(XCC_VUN, XPU_VUN_COPY, XPU_VT_I32, dst, src, 0, 0);
		return;
	}
	st[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I8_I32, 0, dst, src, 0, 0);
	if (dt != XPU_DT_U8)
		return;
	st[p->nsteps] = xg_step(XCC_VBIN, XPU_VBIN_MIN, XPU_VT_I32, tmp, dst, -1, 0);
	st[p->nsteps++].imm = 0;
	st[p->nsteps++] = xg_step(XCC_VUN, XPU_VUN_NEG, XPU_VT_I32, tmp, tmp, 0, 0);
	st[p->nsteps] = xg_step(XCC_VBIN, XPU_VBIN_MIN, XPU_VT_I32, tmp, tmp, -1, 0);
	st[p->nsteps++].imm = 1;
	st[p->nsteps] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_I32, tmp, tmp, -1, 0);
	st[p->nsteps++].imm = 256;
	st[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_ADD, XPU_VT_I32, dst, dst, tmp, 0);
}

/* a 1-D per-axis vector of the node's input 0 (QDQ scale / zero point);
 * its axis in *axis; 0 if t is not one */
static int axis_vec(const struct xg_graph *g, int node, int t, int *axis)
{
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *x = &g->t[n->in[0]];
	int64_t a = xg_attr_int(n, "axis", 1);

	if (t < 0 || g->t[t].ndim != 1 || xg_numel(&g->t[t]) < 2)
		return 0;
	if (a < 0)
		a += x->ndim;
	if (a < 0 || a >= x->ndim || x->dims[a] != g->t[t].dims[0])
		return 0;
	*axis = (int)a;
	return 1;
}

static int const_axis_vec(const struct xg_graph *g, int node, int t, int *axis)
{
	return t >= 0 && g->t[t].kind == XG_CONST && axis_vec(g, node, t, axis);
}

xpu_status xg_ew_program(const struct xg_graph *g, int node, struct xcc_ew *p, int *in_t,
			 int *in_axis)
{
	const struct xg_node *n = &g->n[node];
	uint32_t dt0 = n->nin > 0 && n->in[0] >= 0 ? g->t[n->in[0]].dtype : 0;
	uint32_t dto = g->t[n->out[0]].dtype;
	int vt = vt_of(dt0);
	float v;

	memset(p, 0, sizeof(*p));
	for (int i = 0; i < XCC_MAX_IN; i++)
		in_axis[i] = -1;
	p->out_esz = xg_dtype_size(dto);
	switch (n->op) {
	case XG_OP_Add: case XG_OP_Sub: case XG_OP_Mul: case XG_OP_Div: case XG_OP_Max:
	case XG_OP_Min: {
		static const uint8_t f[] = { [XG_OP_Add] = XPU_VBIN_ADD, [XG_OP_Sub] = XPU_VBIN_SUB,
			[XG_OP_Mul] = XPU_VBIN_MUL, [XG_OP_Div] = XPU_VBIN_DIV,
			[XG_OP_Max] = XPU_VBIN_MAX, [XG_OP_Min] = XPU_VBIN_MIN };

		int variadic = n->op == XG_OP_Max || n->op == XG_OP_Min;

		if (variadic ? n->nin < 1 || n->nin > XCC_MAX_IN : n->nin != 2)
			return xg_unsup(g, node, "%d inputs (%s supported)", n->nin,
					variadic ? "1 to 3" : "2");
		for (int i = 0; i < n->nin; i++)
			if (vt < 0 || n->in[i] < 0 || g->t[n->in[i]].dtype != dt0)
				return xg_unsup(g, node, "%s operands (float32 or int32 supported)",
						xg_dtype_name(dt0));
		if (n->op == XG_OP_Div && vt != XPU_VT_F32)
			return xg_unsup(g, node, "integer division");
		p->nin = n->nin;
		for (int i = 0; i < n->nin; i++) {
			in_t[i] = n->in[i];
			p->in[i].esz = 4;
		}
		p->nslots = n->nin + 1;
		p->out = n->nin;
		if (n->nin == 1)	/* Max/Min of one input: itself */
			p->step[p->nsteps++] = xg_step(XCC_VUN, XPU_VUN_COPY, vt, 1, 0, 0, 0);
		for (int i = 1; i < n->nin; i++)	/* left to right */
			p->step[p->nsteps++] = xg_step(XCC_VBIN, f[n->op], vt, p->out,
						    i == 1 ? 0 : p->out, i, 0);
		return XPU_SUCCESS;
	}
	case XG_OP_Pow:
		if (dt0 != XPU_DT_F32)
			return xg_unsup(g, node, "%s base (float32 supported)", xg_dtype_name(dt0));
		if (!const_scalar(g, n->in[1], &v) || (v != 2.0f && v != 1.0f && v != 0.5f))
			return xg_unsup(g, node, "exponent must be a constant 2, 1 or 0.5");
		p->nin = 1;
		in_t[0] = n->in[0];
		p->in[0].esz = 4;
		p->nslots = 2;
		if (v == 2.0f)
			p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_F32, 1, 0, 0, 0);
		else
			p->step[p->nsteps++] = xg_step(XCC_VUN, v == 1.0f ? XPU_VUN_COPY : XPU_VUN_SQRT,
						    XPU_VT_F32, 1, 0, 0, 0);
		p->out = 1;
		return XPU_SUCCESS;
	case XG_OP_Sqrt: case XG_OP_Relu: case XG_OP_Sigmoid: case XG_OP_Tanh: case XG_OP_Erf:
	case XG_OP_Gelu: case XG_OP_Neg: case XG_OP_Abs: case XG_OP_Exp: {
		int f;

		switch (n->op) {
		case XG_OP_Sqrt: f = XPU_VUN_SQRT; break;
		case XG_OP_Relu: f = XPU_VUN_RELU; break;
		case XG_OP_Sigmoid: f = XPU_VUN_SIGMOID; break;
		case XG_OP_Tanh: f = XPU_VUN_TANH; break;
		case XG_OP_Erf: f = XPU_VUN_ERF; break;
		case XG_OP_Neg: f = XPU_VUN_NEG; break;
		case XG_OP_Abs: f = XPU_VUN_ABS; break;
		case XG_OP_Exp: f = XPU_VUN_EXP; break;
		default: {	/* Gelu */
			const struct xg_attr *a = xg_attr(n, "approximate");

			f = XPU_VUN_GELU_ERF;
			if (n->act == XG_ACT_GELU_TANH || (a && a->s && !strcmp(a->s, "tanh")))
				f = XPU_VUN_GELU;
			break;
		}
		}
		if (vt < 0 || (vt == XPU_VT_I32 && f != XPU_VUN_RELU && f != XPU_VUN_NEG &&
			       f != XPU_VUN_ABS))
			return xg_unsup(g, node, "%s input", xg_dtype_name(dt0));
		p->nin = 1;
		in_t[0] = n->in[0];
		p->in[0].esz = 4;
		p->nslots = 2;
		p->step[p->nsteps++] = xg_step(XCC_VUN, f, vt, 1, 0, 0, 0);
		p->out = 1;
		return XPU_SUCCESS;
	}
	case XG_OP_Where: {
		uint32_t dx = g->t[n->in[1]].dtype;

		if (n->nin != 3 || g->t[n->in[0]].dtype != XPU_DT_BOOL)
			return xg_unsup(g, node, "condition must be bool");
		if (xg_dtype_size(dx) != 4 || g->t[n->in[2]].dtype != dx)
			return xg_unsup(g, node, "%s values (32-bit types supported)",
					xg_dtype_name(dx));
		p->nin = 3;
		for (int i = 0; i < 3; i++)
			in_t[i] = n->in[i];
		p->in[0].esz = 1;
		p->in[1].esz = p->in[2].esz = 4;
		p->nslots = 4;
		p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I8_I32, 0, 3, 0, 0, 0);
		p->step[p->nsteps++] = xg_step(XCC_VSEL, 0, 0, 3, 3, 1, 2);
		p->out = 3;
		return XPU_SUCCESS;
	}
	case XG_OP_Equal:
		if (n->nin != 2 || g->t[n->in[1]].dtype != dt0 ||
		    (dt0 != XPU_DT_I32 && dt0 != XPU_DT_BOOL && dt0 != XPU_DT_I8))
			return xg_unsup(g, node, "%s operands (int32, int8 and bool supported)",
					xg_dtype_name(dt0));
		p->nin = 2;
		in_t[0] = n->in[0];
		in_t[1] = n->in[1];
		p->in[0].esz = p->in[1].esz = xg_dtype_size(dt0);
		p->nslots = 5;
		if (dt0 == XPU_DT_I32) {
			p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_SUB, XPU_VT_I32, 2, 0, 1, 0);
		} else {	/* bytes: sign-extend both, then subtract */
			p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I8_I32, 0, 2, 0, 0, 0);
			p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I8_I32, 0, 3, 1, 0, 0);
			p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_SUB, XPU_VT_I32, 2, 2, 3, 0);
		}
		/* 3 = 0, 4 = 1; out = d != 0 ? 0 : 1, as bytes */
		p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_I32, 3, 2, -1, 0);
		p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_ADD, XPU_VT_I32, 4, 3, -1, 0);
		p->step[p->nsteps - 1].imm = 1;
		p->step[p->nsteps++] = xg_step(XCC_VSEL, 0, 0, 2, 2, 3, 4);
		p->step[p->nsteps++] = xg_step(XCC_VQNT, 0, XPU_VT_I32, 3, 2, 0, 0);
		p->step[p->nsteps - 1].imm2 = xpu_f2u(1.0f);
		p->out = 3;
		return XPU_SUCCESS;
	case XG_OP_Cast: {
		p->nin = 1;
		in_t[0] = n->in[0];
		p->in[0].esz = xg_dtype_size(dt0);
		p->nslots = 2;
		p->out = 1;
		if (dt0 == dto && p->in[0].esz == 4) {
			p->step[p->nsteps++] = xg_step(XCC_VUN, XPU_VUN_COPY, XPU_VT_I32, 1, 0, 0, 0);
		} else if (dt0 == XPU_DT_I32 && dto == XPU_DT_F32) {
			p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I32_F32, 0, 1, 0, 0, 0);
		} else if (dt0 == XPU_DT_F32 && dto == XPU_DT_BF16) {
			p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_F32_BF16, 0, 1, 0, 0, 0);
		} else if (dt0 == XPU_DT_BF16 && dto == XPU_DT_F32) {
			p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_BF16_F32, 0, 1, 0, 0, 0);
		} else if ((dt0 == XPU_DT_I8 || dt0 == XPU_DT_BOOL) &&
			   (dto == XPU_DT_I32 || dto == XPU_DT_F32)) {
			/* bool is 0/1: sign extension is exact */
			p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I8_I32, 0, 1, 0, 0, 0);
			if (dto == XPU_DT_F32)
				p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I32_F32, 0, 1, 1, 0, 0);
		} else {
			return xg_unsup(g, node, "cast from %s to %s", xg_dtype_name(dt0),
					xg_dtype_name(dto));
		}
		return XPU_SUCCESS;
	}
	case XG_OP_QuantizeLinear: {
		float s;
		int zp = 0;

		int ax;

		if (dt0 != XPU_DT_F32)
			return xg_unsup(g, node, "%s input (float32 supported)",
					xg_dtype_name(dt0));
		if (dto != XPU_DT_I8)
			return xg_unsup(g, node, "%s output (int8 supported)", xg_dtype_name(dto));
		if (n->nin > 2 && n->in[2] >= 0) {
			const struct xg_tensor *z = &g->t[n->in[2]];

			if (const_scalar(g, n->in[2], &v)) {
				zp = (int)v;
			} else {	/* a per-axis vector: only all zeros */
				for (uint64_t i = 0; z->kind == XG_CONST && i < xg_numel(z); i++)
					if (xg_const_f32(z, i) != 0.0f)
						zp = 1;
				if (z->kind != XG_CONST || zp)
					return xg_unsup(g, node, "y_zero_point must be a constant "
							"scalar (or a per-axis vector of zeros)");
			}
		}
		if (const_axis_vec(g, node, n->in[1], &ax)) {
			/* per-axis scales (zero point 0): divide by the scale of the axis */
			const struct xg_tensor *ts = &g->t[n->in[1]];

			for (uint64_t i = 0; i < xg_numel(ts); i++)
				if (!(xg_const_f32(ts, i) > 0.0f) || ts->dtype != XPU_DT_F32)
					return xg_unsup(g, node,
							"y_scale must be positive float32");
			p->nin = 2;
			in_t[0] = n->in[0];
			in_t[1] = n->in[1];
			in_axis[1] = ax;
			p->in[0].esz = p->in[1].esz = 4;
			p->nslots = 3;
			p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_DIV, XPU_VT_F32, 2, 0, 1, 0);
			p->step[p->nsteps] = xg_step(XCC_VQNT, 0, XPU_VT_F32, 2, 2, 0, 0);
			p->step[p->nsteps].imm = (uint32_t)zp;
			p->step[p->nsteps++].imm2 = xpu_f2u(1.0f);
			p->out = 2;
			return XPU_SUCCESS;
		}
		if (!const_scalar(g, n->in[1], &s) || !(s > 0.0f))
			return xg_unsup(g, node, "y_scale must be a positive constant scalar or a "
					"constant vector along axis");
		p->nin = 1;
		in_t[0] = n->in[0];
		p->in[0].esz = 4;
		p->nslots = 2;
		p->step[p->nsteps] = xg_step(XCC_VBIN, XPU_VBIN_DIV, XPU_VT_F32, 1, 0, -1, 0);
		p->step[p->nsteps++].imm = xpu_f2u(s);
		p->step[p->nsteps] = xg_step(XCC_VQNT, 0, XPU_VT_F32, 1, 1, 0, 0);
		p->step[p->nsteps].imm = (uint32_t)zp;
		p->step[p->nsteps++].imm2 = xpu_f2u(1.0f);
		p->out = 1;
		return XPU_SUCCESS;
	}
	case XG_OP_DequantizeLinear: {
		/* (x - zp) * scale: x widened to int32 in slot 3 (slot 4 scratch),
		 * the zero point subtracted (an immediate if constant, else input
		 * slot 2 widened into slot 5), converted (RNE, exact below 2^24),
		 * scaled (an immediate if constant, else input slot 1); run-time
		 * or per-axis operands broadcast (one value, or one per axis entry) */
		int st_ = n->in[1], zt = n->nin > 2 ? n->in[2] : -1, ax = -1, zax = -1;
		float s = 0.0f;
		int zp = 0;

		if (dt0 != XPU_DT_I8 && dt0 != XPU_DT_U8 && dt0 != XPU_DT_I32)
			return xg_unsup(g, node, "%s input (int8, uint8 and int32 supported)",
					xg_dtype_name(dt0));
		if (g->t[st_].dtype != XPU_DT_F32 ||
		    (!const_scalar(g, st_, &s) && xg_numel(&g->t[st_]) != 1 &&
		     !axis_vec(g, node, st_, &ax)))
			return xg_unsup(g, node, "x_scale must be float32, one value or one "
					"per entry of axis");
		if (zt >= 0 && (g->t[zt].dtype != dt0 ||
				(xg_numel(&g->t[zt]) != 1 && !axis_vec(g, node, zt, &zax)) ||
				(ax >= 0 && zax >= 0 && zax != ax)))
			return xg_unsup(g, node, "x_zero_point must be of x's type, one value "
					"or one per entry of axis");
		if (zt >= 0 && const_scalar(g, zt, &v)) {
			zp = (int)v;
			zt = -1;
		}
		p->nin = zt >= 0 ? 3 : 2;
		in_t[0] = n->in[0];
		in_t[1] = st_;
		in_t[2] = zt;
		in_axis[1] = ax;
		in_axis[2] = zax;
		p->in[0].esz = xg_dtype_size(dt0);
		p->in[1].esz = 4;
		p->in[2].esz = xg_dtype_size(dt0);
		p->nslots = 6;
		p->out = 3;
		widen(p, dt0, 3, 0, 4);
		if (zt >= 0) {
			widen(p, dt0, 5, 2, 4);
			p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_SUB, XPU_VT_I32, 3, 3, 5, 0);
		} else if (zp) {
			p->step[p->nsteps] = xg_step(XCC_VBIN, XPU_VBIN_SUB, XPU_VT_I32, 3, 3, -1, 0);
			p->step[p->nsteps++].imm = (uint32_t)zp;
		}
		p->step[p->nsteps++] = xg_step(XCC_VCVT, XPU_CVT_I32_F32, 0, 3, 3, 0, 0);
		if (g->t[st_].kind == XG_CONST && xg_numel(&g->t[st_]) == 1) {
			/* the scale is an immediate (slot 1 is only loaded if a run-time
			 * zero point in slot 2 needs the inputs numbered up to it) */
			p->nin = zt >= 0 ? 3 : 1;
			p->step[p->nsteps] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_F32, 3, 3, -1, 0);
			p->step[p->nsteps++].imm = xpu_f2u(s);
		} else {
			p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_F32, 3, 3, 1, 0);
		}
		return XPU_SUCCESS;
	}
	default:
		return xg_unsup(g, node, "not an elementwise operator");
	}
}

xpu_status xg_window(const struct xg_graph *g, int node, const int64_t *kernel, int nk,
		     struct xg_win *w)
{
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *x = &g->t[n->in[0]], *y = &g->t[n->out[0]];
	const struct xg_attr *a;
	int64_t v[4], ekh, ekw;

	memset(w, 0, sizeof(*w));
	if ((x->ndim != 3 && x->ndim != 4) || nk != x->ndim - 2 || y->ndim != x->ndim)
		return xg_unsup(g, node,
				"%d-D input with a %d-D kernel (1-D and 2-D NCHW supported)",
				x->ndim, nk);
	w->N = x->dims[0];
	w->C = x->dims[1];
	/* 1-D is 2-D with H = 1 */
	w->H = nk == 2 ? x->dims[2] : 1;
	w->W = x->dims[x->ndim - 1];
	w->KH = nk == 2 ? kernel[0] : 1;
	w->KW = kernel[nk - 1];
	if (w->KH < 1 || w->KW < 1 || w->KH > 65536 || w->KW > 65536)
		return xg_unsup(g, node, "kernel %lld x %lld (1..65536 each)", (long long)w->KH,
				(long long)w->KW);
	w->sh = w->sw = 1;
	a = xg_attr(n, "auto_pad");
	if (a && a->s && strcmp(a->s, "NOTSET") && strcmp(a->s, "VALID"))
		return xg_unsup(g, node, "attribute auto_pad=%s (resolved into pads by shape "
				"inference, else NOTSET and VALID supported)", a->s);
	if ((a = xg_attr(n, "strides"))) {
		if (a->n != nk || a->ints[0] < 1 || a->ints[nk - 1] < 1)
			return xg_unsup(g, node, "attribute strides (%d positive values)", nk);
		w->sh = nk == 2 ? a->ints[0] : 1;
		w->sw = a->ints[nk - 1];
	}
	if ((a = xg_attr(n, "pads"))) {
		if (a->n != 2 * nk)
			return xg_unsup(g, node, "attribute pads (%d values)", 2 * nk);
		/* ONNX order: begins of each axis, then ends */
		v[0] = nk == 2 ? a->ints[0] : 0;
		v[1] = a->ints[nk - 1];
		v[2] = nk == 2 ? a->ints[2] : 0;
		v[3] = a->ints[2 * nk - 1];
		for (int i = 0; i < 4; i++)
			if (v[i] < 0 || v[i] > 65536)
				return xg_unsup(g, node, "attribute pads (each 0..65536)");
		w->pt = v[0];
		w->pl = v[1];
		w->pb = v[2];
		w->pr = v[3];
	}
	w->dh = w->dw = 1;
	if ((a = xg_attr(n, "dilations"))) {
		if (a->n != nk || a->ints[0] < 1 || a->ints[nk - 1] < 1 || a->ints[0] > 65536 ||
		    a->ints[nk - 1] > 65536)
			return xg_unsup(g, node, "attribute dilations (%d values, 1..65536)", nk);
		w->dh = nk == 2 ? a->ints[0] : 1;
		w->dw = a->ints[nk - 1];
	}
	if (xg_attr_int(n, "storage_order", 0))
		return xg_unsup(g, node, "attribute storage_order=1 (0 supported)");
	ekh = (w->KH - 1) * w->dh + 1;
	ekw = (w->KW - 1) * w->dw + 1;
	if (w->pt >= ekh || w->pb >= ekh || w->pl >= ekw || w->pr >= ekw)
		return xg_unsup(g, node, "attribute pads (each smaller than the dilated kernel)");
	if (w->H + w->pt + w->pb < ekh || w->W + w->pl + w->pr < ekw)
		return xg_unsup(g, node, "kernel larger than the padded input");
	w->OH = (w->H + w->pt + w->pb - ekh) / w->sh + 1;
	w->OW = (w->W + w->pl + w->pr - ekw) / w->sw + 1;
	if (xg_attr_int(n, "ceil_mode", 0)) {
		/* one more window where one starts inside the input or the
		 * begin padding: shape inference decided; windows hanging
		 * over the end see only the input (and the end padding) */
		int64_t oh = nk == 2 ? y->dims[2] : 1, ow = y->dims[y->ndim - 1];

		if (oh < w->OH || oh > w->OH + 1 || ow < w->OW || ow > w->OW + 1 ||
		    (oh - 1) * w->sh >= w->H + w->pt || (ow - 1) * w->sw >= w->W + w->pl)
			return xg_unsup(g, node, "attribute ceil_mode=1: output %lld x %lld",
					(long long)oh,
					(long long)ow);
		w->OH = oh;
		w->OW = ow;
	}
	return XPU_SUCCESS;
}

xpu_status xg_reduce_shape(const struct xg_graph *g, int node, uint64_t *A, uint64_t *R,
			   uint64_t *B)
{
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *x = &g->t[n->in[0]];
	const struct xg_attr *a = xg_attr(n, "axes");
	int mask[XG_MAX_DIMS] = { 0 }, naxes = 0, first = -1, last = -1;

	if (a) {
		for (int i = 0; i < a->n; i++) {
			int64_t ax = a->ints[i] < 0 ? a->ints[i] + x->ndim : a->ints[i];

			if (ax < 0 || ax >= x->ndim)
				return xg_unsup(g, node, "attribute axes: %lld out of range",
						(long long)a->ints[i]);
			mask[ax] = 1;
			naxes++;
		}
	} else if (n->nin > 1 && n->in[1] >= 0) {
		const struct xg_tensor *t = &g->t[n->in[1]];

		if (t->kind != XG_CONST)
			return xg_unsup(g, node, "axes must be a constant");
		for (uint64_t i = 0; i < xg_numel(t); i++) {
			int64_t v = xg_const_i64(t, i), ax = v < 0 ? v + x->ndim : v;

			if (ax < 0 || ax >= x->ndim)
				return xg_unsup(g, node, "axes: %lld out of range", (long long)v);
			mask[ax] = 1;
			naxes++;
		}
	}
	if (!naxes) {
		if (xg_attr_int(n, "noop_with_empty_axes", 0))
			return xg_unsup(g, node, "attribute noop_with_empty_axes=1");
		for (int d = 0; d < x->ndim; d++)
			mask[d] = 1;
	}
	/* size-1 axes do not matter: reduced or not */
	for (int d = 0; d < x->ndim; d++) {
		if (!mask[d] || x->dims[d] == 1)
			continue;
		if (first < 0)
			first = d;
		last = d;
	}
	for (int d = first + 1; first >= 0 && d < last; d++)
		if (!mask[d] && x->dims[d] != 1)
			return xg_unsup(g, node, "axes: reduces axes %d and %d but not axis "
					"%d between them (one contiguous block of axes "
					"supported)", first, last, d);
	*A = *R = *B = 1;
	for (int d = 0; d < x->ndim; d++) {
		uint64_t v = (uint64_t)x->dims[d];

		if (first >= 0 && d >= first && d <= last)
			*R *= v;
		else if (first < 0 || d < first)
			*A *= v;
		else
			*B *= v;
	}
	return XPU_SUCCESS;
}

xpu_status xg_norm_shape(const struct xg_graph *g, int node, uint64_t *rows, uint64_t *cols)
{
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *x = &g->t[n->in[0]];
	int64_t axis = xg_attr_int(n, "axis", n->op == XG_OP_Softmax && g->opset < 13 ? 1 : -1);
	int64_t a = axis < 0 ? axis + x->ndim : axis;

	if (x->ndim < 1 || a < 0 || a >= x->ndim)
		return xg_unsup(g, node, "attribute axis=%lld out of range", (long long)axis);
	/* Softmax before opset 13 and LayerNormalization: axis.. are one
	 * flattened row; Softmax from opset 13: the one axis, so it must be the
	 * last (or all after it of size 1) */
	if (n->op == XG_OP_Softmax && g->opset >= 13)
		for (int d = (int)a + 1; d < x->ndim; d++)
			if (x->dims[d] != 1)
				return xg_unsup(g, node, "attribute axis=%lld (softmax over "
						"the last axis supported)", (long long)axis);
	*rows = 1;
	*cols = 1;
	for (int d = 0; d < x->ndim; d++) {
		if (d < a)
			*rows *= (uint64_t)x->dims[d];
		else
			*cols *= (uint64_t)x->dims[d];
	}
	if (!*cols)
		return xg_unsup(g, node, "empty rows");
	return XPU_SUCCESS;
}

xpu_status xg_mm_describe(const struct xg_graph *g, int node, struct xg_mm *m)
{
	const struct xg_node *n = &g->n[node];
	const struct xg_tensor *ta, *tb;
	int na, nb_, no, mv;
	int64_t K2;

	memset(m, 0, sizeof(*m));
	mv = n->op == XG_OP_MatMul && xg_attr_int(n, "b_transposed_matvec", 0);
	m->A = mv ? n->in[1] : n->in[0];
	m->B = mv ? n->in[0] : n->in[1];
	m->Y = n->out[0];
	m->bias = m->C = -1;
	m->alpha = m->beta = 1.0f;
	m->act = xg_act_vun(n->act);
	ta = &g->t[m->A];
	tb = &g->t[m->B];
	if (ta->dtype != XPU_DT_F32 || tb->dtype != XPU_DT_F32)
		return xg_unsup(g, node, "%s x %s operands (float32 supported)",
				xg_dtype_name(ta->dtype), xg_dtype_name(tb->dtype));
	if (n->op == XG_OP_FusedMatMul && n->nin > 2 && n->in[2] >= 0)
		m->bias = n->in[2];
	if (n->op == XG_OP_Gemm) {
		m->transA = (int)xg_attr_int(n, "transA", 0);
		m->transB = (int)xg_attr_int(n, "transB", 0);
		m->alpha = xg_attr_float(n, "alpha", 1.0f);
		m->beta = xg_attr_float(n, "beta", 1.0f);
		if (ta->ndim != 2 || tb->ndim != 2)
			return xg_unsup(g, node, "Gemm operands must be 2-D");
		if (n->nin > 2 && n->in[2] >= 0) {
			const struct xg_tensor *c = &g->t[n->in[2]];

			if (c->dtype != XPU_DT_F32)
				return xg_unsup(g, node, "%s C (float32 supported)",
						xg_dtype_name(c->dtype));
			m->C = n->in[2];
		}
		m->post = m->alpha != 1.0f || (m->C >= 0 && m->beta != 1.0f);
	}
	if (ta->ndim < 1 || tb->ndim < 1)
		return xg_unsup(g, node, "scalar operands");
	if (m->transA) {
		m->M = ta->dims[1];
		m->K = ta->dims[0];
	} else {
		m->M = ta->ndim == 1 ? 1 : ta->dims[ta->ndim - 2];
		m->K = ta->dims[ta->ndim - 1];
	}
	if (mv) {
		/* B is the [..., 1, K] row read as the column [..., K, 1] */
		if (tb->ndim < 2 || tb->dims[tb->ndim - 2] != 1)
			return xg_unsup(g, node, "b_transposed_matvec needs a first operand with "
					"one row");
		K2 = tb->dims[tb->ndim - 1];
		m->N = 1;
	} else if (m->transB) {
		K2 = tb->dims[1];
		m->N = tb->dims[0];
	} else {
		K2 = tb->ndim == 1 ? tb->dims[0] : tb->dims[tb->ndim - 2];
		m->N = tb->ndim == 1 ? 1 : tb->dims[tb->ndim - 1];
	}
	if (m->K != K2 || m->M < 1 || m->N < 1 || m->K < 1)
		return xg_unsup(g, node, "operand shapes do not match (K %lld vs %lld)",
				(long long)m->K, (long long)K2);
	if (m->C >= 0 && !m->post) {
		const struct xg_tensor *c = &g->t[m->C];

		/* a row of N broadcast over the rows: the epilogue's bias */
		if ((c->ndim == 1 || (c->ndim == 2 && c->dims[0] == 1)) &&
		    c->dims[c->ndim - 1] == m->N && m->N > 1)
			m->bias = m->C;
		else
			m->post = 1;
	}
	if (m->post && m->act >= 0)
		return xg_unsup(g, node, "an activation after the C addend");
	if (m->bias >= 0 && (g->t[m->bias].dtype != XPU_DT_F32 ||
			     (int64_t)xg_numel(&g->t[m->bias]) != m->N))
		return xg_unsup(g, node, "bias must be float32 with N = %lld elements",
				(long long)m->N);
	na = ta->ndim > 2 ? ta->ndim - 2 : 0;
	nb_ = tb->ndim > 2 ? tb->ndim - 2 : 0;
	no = na > nb_ ? na : nb_;
	m->nbd = no;
	m->nbA = m->nbB = m->nb = 1;
	for (int i = 0; i < no; i++) {
		int ia = i - (no - na), ib = i - (no - nb_);

		m->ab[i] = ia >= 0 ? ta->dims[ia] : 1;
		m->bb[i] = ib >= 0 ? tb->dims[ib] : 1;
		if (m->ab[i] != m->bb[i] && m->ab[i] != 1 && m->bb[i] != 1)
			return xg_unsup(g, node, "batch dimensions do not broadcast");
		m->ob[i] = m->ab[i] > m->bb[i] ? m->ab[i] : m->bb[i];
		m->nbA *= (uint64_t)m->ab[i];
		m->nbB *= (uint64_t)m->bb[i];
		m->nb *= (uint64_t)m->ob[i];
	}
	return XPU_SUCCESS;
}

void xg_mm_batch(const struct xg_mm *m, uint64_t b, uint64_t *ia, uint64_t *ib)
{
	uint64_t rem = b, sa = 1, sb = 1;

	*ia = *ib = 0;
	for (int i = m->nbd - 1; i >= 0; i--) {
		uint64_t idx = rem % (uint64_t)m->ob[i];

		rem /= (uint64_t)m->ob[i];
		*ia += (m->ab[i] == 1 ? 0 : idx) * sa;
		*ib += (m->bb[i] == 1 ? 0 : idx) * sb;
		sa *= (uint64_t)m->ab[i];
		sb *= (uint64_t)m->bb[i];
	}
}

void xg_mm_post(const struct xg_mm *m, struct xcc_ew *p, int *in_t)
{
	int y = 0;

	memset(p, 0, sizeof(*p));
	p->nin = m->C >= 0 ? 2 : 1;
	in_t[0] = m->Y;
	in_t[1] = m->C;
	p->in[0].esz = p->in[1].esz = 4;
	p->nslots = 4;
	p->out_esz = 4;
	if (m->alpha != 1.0f) {
		p->step[p->nsteps] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_F32, 2, 0, -1, 0);
		p->step[p->nsteps++].imm = xpu_f2u(m->alpha);
		y = 2;
	}
	if (m->C >= 0) {
		int c = 1;

		if (m->beta != 1.0f) {
			p->step[p->nsteps] = xg_step(XCC_VBIN, XPU_VBIN_MUL, XPU_VT_F32, 3, 1, -1, 0);
			p->step[p->nsteps++].imm = xpu_f2u(m->beta);
			c = 3;
		}
		p->step[p->nsteps++] = xg_step(XCC_VBIN, XPU_VBIN_ADD, XPU_VT_F32, 2, y, c, 0);
		y = 2;
	}
	p->out = y;
}

/* the int8 tensor and scale behind a DequantizeLinear output t (zero point
 * 0); with vec, also a per-channel scale along the tensor's last axis in
 * *vec; 0 if none */
static int dq_source(const struct xg_graph *g, int t, int *q, float *scale, const float **vec)
{
	int p = t >= 0 ? g->t[t].producer : -1, ax;
	const struct xg_node *n;
	const struct xg_tensor *x;

	if (p < 0 || p >= g->nn)
		return 0;
	n = &g->n[p];
	if (n->dead || n->op != XG_OP_DequantizeLinear || n->nin < 2 || n->in[0] < 0 ||
	    g->t[n->in[0]].dtype != XPU_DT_I8)
		return 0;
	x = &g->t[n->in[0]];
	if (const_scalar(g, n->in[1], scale)) {
		if (!(*scale > 0.0f))
			return 0;
	} else if (vec && const_axis_vec(g, p, n->in[1], &ax) && ax == x->ndim - 1 &&
		   g->t[n->in[1]].dtype == XPU_DT_F32) {
		*vec = g->t[n->in[1]].data;
		*scale = 0.0f;
	} else {
		return 0;
	}
	if (n->nin > 2 && n->in[2] >= 0) {
		const struct xg_tensor *z = &g->t[n->in[2]];

		if (z->kind != XG_CONST)
			return 0;
		for (uint64_t i = 0; i < xg_numel(z); i++)
			if (xg_const_f32(z, i) != 0.0f)
				return 0;
	}
	*q = n->in[0];
	return 1;
}

int xg_mm_int8(const struct xg_graph *g, int node, struct xg_qmm *q)
{
	const struct xg_node *n = &g->n[node];
	float sa, sb;

	memset(q, 0, sizeof(*q));
	if ((n->op != XG_OP_MatMul && n->op != XG_OP_FusedMatMul) || n->nin < 2 ||
	    xg_attr_int(n, "b_transposed_matvec", 0) ||
	    !dq_source(g, n->in[0], &q->qa, &sa, NULL) ||
	    !dq_source(g, n->in[1], &q->qb, &sb, &q->sb) ||
	    g->t[q->qa].ndim != g->t[n->in[0]].ndim || g->t[q->qb].ndim != g->t[n->in[1]].ndim ||
	    g->t[n->in[0]].ndim < 1 || g->t[n->in[0]].dims[g->t[n->in[0]].ndim - 1] > 65536)
		return 0;
	q->sa = sa;
	q->scale = q->sb ? 0.0f : sa * sb;
	return 1;
}

int xg_only_int8_users(const struct xg_graph *g, int t)
{
	struct xg_qmm q;
	int users = 0;

	if (g->t[t].is_output)
		return 0;
	for (int i = 0; i < g->nn; i++) {
		const struct xg_node *n = &g->n[i];

		if (n->dead)
			continue;
		for (int k = 0; k < n->nin; k++) {
			if (n->in[k] != t)
				continue;
			if (k > 1 || !xg_mm_int8(g, i, &q))
				return 0;
			users++;
		}
	}
	return users > 0;
}
