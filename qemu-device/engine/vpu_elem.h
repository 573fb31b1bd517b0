/* SPDX-License-Identifier: MIT */
/*
 * One element of the vector unit's VBIN, VUN and VCVT: the single
 * definition the engine (vpu.c) applies over its operands and the model
 * compiler's CPU reference (runtime/graph/reference_math.c) applies
 * element by element. Values travel as raw bits (fp32, int32, or a bf16 /
 * int8 in the low bits). The element type is XPU_VT_I32 or XPU_VT_F32: the
 * decoder rejects every other one before the engine gets here.
 */
#ifndef XPU_VPU_ELEM_H
#define XPU_VPU_ELEM_H

#include <stdint.h>

#include "numerics.h"
#include "xpu_isa.h"

static inline uint32_t xpu_vbin_i32(uint32_t f, uint32_t a, uint32_t b)
{
	switch (f) {
	case XPU_VBIN_ADD: return a + b;
	case XPU_VBIN_SUB: return a - b;
	case XPU_VBIN_MUL: return a * b;
	case XPU_VBIN_MAX: return (int32_t)b > (int32_t)a ? b : a;
	default: return (int32_t)b < (int32_t)a ? b : a;	/* MIN */
	}
}

static inline uint32_t xpu_vbin_f32(uint32_t f, uint32_t ua, uint32_t ub)
{
	float a = xpu_u2f(ua), b = xpu_u2f(ub), r;

	switch (f) {
	case XPU_VBIN_ADD: r = a + b; break;
	case XPU_VBIN_SUB: r = a - b; break;
	case XPU_VBIN_MUL: r = a * b; break;
	case XPU_VBIN_DIV: r = xpu_div_f32(a, b); break;
	case XPU_VBIN_MAX:
		r = (xpu_f32_isnan(a) || xpu_f32_isnan(b)) ? xpu_u2f(XPU_F32_CANON_NAN)
							     : (b > a ? b : a);
		break;
	default:
		r = (xpu_f32_isnan(a) || xpu_f32_isnan(b)) ? xpu_u2f(XPU_F32_CANON_NAN)
							     : (b < a ? b : a);
		break;
	}
	return xpu_f2u(xpu_canon(r));
}

static inline uint32_t xpu_vbin_elem(uint32_t f, uint32_t type, uint32_t a, uint32_t b)
{
	return type == XPU_VT_F32 ? xpu_vbin_f32(f, a, b) : xpu_vbin_i32(f, a, b);
}

static inline uint32_t xpu_vun_elem(uint32_t f, uint32_t type, uint32_t u)
{
	float x = xpu_u2f(u);

	if (type == XPU_VT_I32) {
		switch (f) {
		case XPU_VUN_RELU: return (int32_t)u > 0 ? u : 0;
		case XPU_VUN_NEG: return 0u - u;
		case XPU_VUN_ABS: return (int32_t)u < 0 ? 0u - u : u;	/* INT32_MIN stays */
		default: return u;	/* COPY */
		}
	}
	switch (f) {
	case XPU_VUN_RELU: return xpu_f2u(xpu_f32_isnan(x) ? xpu_canon(x) : (x > 0.0f ? x : 0.0f));
	case XPU_VUN_COPY: return u;
	case XPU_VUN_EXP: return xpu_f2u(xpu_exp_f32(x));
	case XPU_VUN_GELU: return xpu_f2u(xpu_gelu_f32(x));
	case XPU_VUN_RECIP: return xpu_f2u(xpu_recip_f32(x));
	case XPU_VUN_RSQRT: return xpu_f2u(xpu_rsqrt_f32(x));
	case XPU_VUN_TANH: return xpu_f2u(xpu_tanh_f32(x));
	case XPU_VUN_SIGMOID: return xpu_f2u(xpu_sigmoid_f32(x));
	case XPU_VUN_ERF: return xpu_f2u(xpu_erf_f32(x));
	case XPU_VUN_SQRT: return xpu_f2u(xpu_sqrt_f32(x));
	case XPU_VUN_ABS: return xpu_f2u(xpu_canon(xpu_u2f(u & 0x7fffffffu)));
	case XPU_VUN_GELU_ERF: return xpu_f2u(xpu_gelu_erf_f32(x));
	default: return xpu_f2u(xpu_canon(xpu_u2f(u ^ 0x80000000u)));	/* NEG */
	}
}

/* VCVT of one element: the source in the low bits of v, the result likewise */
static inline uint32_t xpu_vcvt_elem(uint32_t f, uint32_t v)
{
	switch (f) {
	case XPU_CVT_I32_F32: return xpu_f2u((float)(int32_t)v);
	case XPU_CVT_F32_I32: return (uint32_t)xpu_f32_to_i32(xpu_u2f(v));
	case XPU_CVT_F32_BF16: return xpu_f32_to_bf16(xpu_u2f(v));
	case XPU_CVT_BF16_F32: return xpu_f2u(xpu_canon(xpu_bf16_to_f32((uint16_t)v)));
	case XPU_CVT_I8_I32: return (uint32_t)(int32_t)(int8_t)(uint8_t)v;
	default: return xpu_f32_to_bf16((float)(int8_t)(uint8_t)v);	/* I8_BF16: exact */
	}
}

#endif /* XPU_VPU_ELEM_H */
