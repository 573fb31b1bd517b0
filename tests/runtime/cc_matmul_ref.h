/* SPDX-License-Identifier: MIT */
/*
 * CPU reference of an xpu_cc_matmul (the kernel compiler's matmul, int8 or
 * bf16 in, bias, ReLU/GELU, int8/bf16/f32/int32 out): the ISA reference ops
 * (tests/engine/ref) in the order the compiler emits them, on any row range.
 * Shared by the compiler test (tests/runtime/compiler_test.c) and the
 * compiled-GEMM schedule measurement (tests/runtime/gemm_sched.h).
 */
#ifndef CC_MATMUL_REF_H
#define CC_MATMUL_REF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu_compiler.h"
#include "xpu_isa.h"
#include "xpu_ref.h"

/* reference of rows [r0, r0 + nr) of d's output, the ISA ops in the compiler's order */
static inline void cc_matmul_ref_rows(const struct xpu_cc_matmul *d, const void *a, const void *b,
				      const void *bias, uint64_t r0, uint64_t nr, void *out)
{
	uint64_t K = d->k, N = d->n;
	uint32_t *acc = calloc(nr * N, 4);
	int f32 = d->in_type == XPU_DT_BF16;
	uint32_t vt = f32 ? XPU_VT_F32 : XPU_VT_I32;

	if (!acc)
		return;
	if (f32)
		xref_matmul_bf16(nr, K, N, (const uint16_t *)a + r0 * K, K, b, N, acc, N, 0);
	else
		xref_matmul_i8(nr, K, N, (const int8_t *)a + r0 * K, K, b, N, acc, N, 0);
	if (d->has_bias)
		xref_vbin(XPU_VBIN_ADD, vt, XPU_VB_ROW, nr, N, acc, acc, bias, 0);
	if (d->act == XPU_ACT_RELU)
		xref_vun(XPU_VUN_RELU, vt, nr * N, acc, acc);
	else if (d->act == XPU_ACT_GELU)
		xref_vun(XPU_VUN_GELU, XPU_VT_F32, nr * N, acc, acc);
	if (d->out_type == XPU_DT_I8) {
		uint32_t sb;

		memcpy(&sb, &d->scale, 4);
		xref_vqnt(vt, nr * N, out, acc, sb, d->zero_point);
	} else if (d->out_type == XPU_DT_BF16) {
		xref_vcvt(XPU_CVT_F32_BF16, nr * N, out, acc);
	} else {
		memcpy(out, acc, nr * N * 4);
	}
	free(acc);
}

#endif /* CC_MATMUL_REF_H */
