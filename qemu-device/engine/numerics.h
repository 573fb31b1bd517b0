/* SPDX-License-Identifier: MIT */
/*
 * XPU numerics: bf16, rounding, saturation and the deterministic
 * transcendental functions of the vector unit. Everything here uses only
 * IEEE-754 basic operations (+ - * / sqrt) in a fixed order, so results are
 * bit-identical on every host with IEEE binary32/binary64 arithmetic in the
 * default rounding mode (round to nearest even, no flush-to-zero).
 * docs/isa.md documents the algorithms.
 */
#ifndef XPU_NUMERICS_H
#define XPU_NUMERICS_H

#include <stdint.h>
#include <string.h>

#define XPU_F32_CANON_NAN	0x7fc00000u
#define XPU_BF16_CANON_NAN	0x7fc0u

static inline uint32_t xpu_f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static inline float xpu_u2f(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static inline int xpu_f32_isnan(float f)
{
	return (xpu_f2u(f) & 0x7fffffffu) > 0x7f800000u;
}

/* NaN -> canonical quiet NaN 0x7fc00000, everything else unchanged */
static inline float xpu_canon(float f)
{
	return xpu_f32_isnan(f) ? xpu_u2f(XPU_F32_CANON_NAN) : f;
}

static inline float xpu_bf16_to_f32(uint16_t h)
{
	return xpu_u2f((uint32_t)h << 16);
}

/* round to nearest even; NaN -> 0x7fc0; overflow -> inf; denormals kept */
static inline uint16_t xpu_f32_to_bf16(float f)
{
	uint32_t u = xpu_f2u(f);

	if ((u & 0x7fffffffu) > 0x7f800000u)
		return XPU_BF16_CANON_NAN;
	u += 0x7fffu + ((u >> 16) & 1);
	return (uint16_t)(u >> 16);
}

int64_t xpu_rne_f64(double v);		/* |v| <= 2^62, round half to even */
int32_t xpu_f32_to_i32(float f);	/* RNE, saturating, NaN -> 0 */
int8_t xpu_requant(double v, int32_t zp);	/* sat8(rne(v) + zp), NaN -> sat8(zp) */
float xpu_exp_f32(float x);
float xpu_gelu_f32(float x);
float xpu_recip_f32(float x);
float xpu_rsqrt_f32(float x);
float xpu_div_f32(float a, float b);	/* IEEE a / b, NaN canonical */
float xpu_sqrt_f32(float x);		/* correctly rounded; x < 0 or NaN -> canonical NaN */
float xpu_tanh_f32(float x);
float xpu_sigmoid_f32(float x);
float xpu_erf_f32(float x);
float xpu_gelu_erf_f32(float x);	/* x * 0.5 * (1 + erf(x / sqrt(2))) */

#endif /* XPU_NUMERICS_H */
