/* SPDX-License-Identifier: MIT */
/*
 * Compiled-GEMM schedule measurement, shared by the runtime test
 * (tests/runtime/gemm_sched_test.c) and the host bench
 * (tests/bench/gemm_sched_bench.c): compile one matmul with libxpu's kernel
 * compiler for the device, run it with A, B and C in device memory (HBM),
 * read its modeled cycles (events around the launch) and check the result
 * against the ISA reference (tests/engine/ref), on every row or on sampled
 * rows. What it is compared to: the array's stall-free weight-stationary
 * fold count of the whole product, ceil(K/R) * ceil(N/C) * (2R + C + M - 2)
 * (the reference's own formula, xref_matmul_cycles), and the floor no
 * schedule can beat: the first MATMUL needs one DMA of A and one of B before
 * it (the DMA unit is in order), and the result leaves with one DMA after
 * the last MATMUL, each paying the DMA latency; and when two M x C int32
 * accumulator tiles (the last one N mod C wide) do not fit side by side,
 * each such hand-over between column tiles costs at least
 * min(2R + C - 2, latency): the next tile's MATMUL overwrites rows not yet
 * stored, so it either waits for a store or is split in rows, and every
 * extra row range costs the array's 2R + C - 2 fill cycles once more.
 */
#ifndef GEMM_SCHED_H
#define GEMM_SCHED_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#include "xpu_isa.h"
#include "xpu_ref.h"
#include "cc_matmul_ref.h"
#include "rt_launch.h"

#define GS_DMA_LATENCY	500	/* docs/hardware.md section 4: fixed */

struct gs_result {
	uint64_t cycles;	/* modeled cycles of the job */
	uint64_t folds;		/* stall-free fold count */
	uint64_t floor;		/* folds + the unavoidable first loads and last store */
	uint64_t est;		/* the compiler's estimate */
	uint64_t checked, bad;	/* output elements compared, and differing */
	uint32_t acc_size;	/* the accumulator bytes the kernel declares */
	char err[256];		/* why the run failed */
};

static inline uint32_t gs_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* a shape with every dimension in [lo, hi] */
static inline void gs_shape(uint64_t *seed, uint32_t lo, uint32_t hi, uint32_t *m, uint32_t *n,
			    uint32_t *k)
{
	*m = lo + gs_rand(seed) % (hi - lo + 1);
	*n = lo + gs_rand(seed) % (hi - lo + 1);
	*k = lo + gs_rand(seed) % (hi - lo + 1);
}

static inline uint64_t gs_folds(uint32_t rows, uint32_t cols, uint64_t M, uint64_t N, uint64_t K)
{
	return xref_matmul_cycles(rows, cols, M, K, N);
}

/* the floor described at the top, for the device p */
static inline uint64_t gs_floor(const struct xpu_device_props *p, uint64_t M, uint64_t N,
				uint64_t K)
{
	uint64_t R = p->array_rows, C = p->array_cols, f = gs_folds(R, C, M, N, K);
	uint64_t tn = (N + C - 1) / C, last = N - (tn - 1) * C, fill = 2 * R + C - 2;
	uint64_t h = fill < GS_DMA_LATENCY ? fill : GS_DMA_LATENCY;

	f += 3 * GS_DMA_LATENCY;
	if (tn >= 2 && M * 2 * C * 4 > p->acc_size)
		f += (tn - 2) * h;
	if (tn >= 2 && M * (C + last) * 4 > p->acc_size)
		f += h;
	return f;
}

/* bf16 in [-2, 2] in steps of 1/1000 (exact products, inexact sums) */
static inline uint16_t gs_bf16(uint64_t *seed)
{
	float f = ((int32_t)(gs_rand(seed) % 4001) - 2000) / 1000.0f;

	return xref_f32_to_bf16(f);
}

static inline size_t gs_osz(uint32_t type)
{
	return type == XPU_DT_I8 ? 1 : type == XPU_DT_BF16 ? 2 : 4;
}

/* compile d as kernel "k" for plan's device, load it on dev */
static inline xpu_status gs_kernel(xpu_device *plan, xpu_device *dev,
				   const struct xpu_cc_matmul *d, xpu_module **mod, xpu_kernel **k,
				   uint64_t *est)
{
	struct xpu_device_props p;
	struct xpu_cc_estimate e = { .size = sizeof(e) };
	xpu_cc *cc = NULL;
	void *img = NULL;
	size_t size;
	xpu_status st;

	st = xpu_device_get_props(plan, &p);
	if (!st)
		st = xpu_cc_create_for_device(&p, &cc);
	if (!st)
		st = xpu_cc_matmul(cc, "k", d);
	if (!st)
		st = xpu_cc_get_estimate(cc, "k", &e);
	if (!st)
		st = xpu_cc_emit(cc, &img, &size);
	if (cc)
		xpu_cc_destroy(cc);
	if (!st)
		st = xpu_module_load(dev, img, size, mod);
	free(img);
	if (!st)
		st = xpu_kernel_create(*mod, "k", k);
	*est = e.cycles;
	return st;
}

/*
 * Run d, compiled for plan's device, on dev/s with seeded random inputs;
 * the whole output is compared with the reference when full, else the
 * first, the last and 6 random rows. Returns 0 when the job ran (r->bad
 * tells whether the result matched).
 */
static inline int gs_run_planned(xpu_device *plan, xpu_device *dev, xpu_stream *s,
				 const struct xpu_cc_matmul *d, uint64_t seed, int full,
				 struct gs_result *r)
{
	struct xpu_kernel_info info = { 0 };
	uint64_t M = d->m, K = d->k, N = d->n;
	size_t esz = d->in_type == XPU_DT_BF16 ? 2 : 1, osz = gs_osz(d->out_type);
	size_t sz[4] = { M * K * esz, K * N * esz, M * N * osz, N * 4 };
	struct xpu_device_props p;
	xpu_buffer *buf[4] = { 0 };
	xpu_module *mod = NULL;
	xpu_kernel *k = NULL;
	uint8_t *a = malloc(sz[0]), *b = malloc(sz[1]), *c = malloc(sz[2]);
	uint8_t *want = malloc(N * osz);
	uint32_t *bias = malloc(sz[3]);
	int nbuf = d->has_bias ? 4 : 3, ret = -1;
	xpu_status st = XPU_ERROR_OUT_OF_MEMORY;

	memset(r, 0, sizeof(*r));
	if (!a || !b || !c || !want || !bias)
		goto out;
	for (size_t i = 0; i < M * K; i++)
		if (esz == 1)
			a[i] = (uint8_t)gs_rand(&seed);
		else
			((uint16_t *)a)[i] = gs_bf16(&seed);
	for (size_t i = 0; i < K * N; i++)
		if (esz == 1)
			b[i] = (uint8_t)gs_rand(&seed);
		else
			((uint16_t *)b)[i] = gs_bf16(&seed);
	for (size_t i = 0; i < N; i++)
		bias[i] = esz == 1 ? gs_rand(&seed) % 20001 - 10000 :
			  xref_f2u((int32_t)(gs_rand(&seed) % 2001 - 1000) / 100.0f);
	st = xpu_device_get_props(dev, &p);
	if (!st)
		st = gs_kernel(plan, dev, d, &mod, &k, &r->est);
	if (!st)
		st = xpu_kernel_get_info(k, &info);
	r->acc_size = info.acc_size;
	for (int i = 0; !st && i < nbuf; i++) {
		st = xpu_buffer_alloc(dev, sz[i], XPU_MEM_DEVICE, &buf[i]);
		if (!st && i != 2)
			st = xpu_write_async(s, buf[i], 0, i == 0 ? (void *)a : i == 1 ? (void *)b :
					     (void *)bias, sz[i]);
		if (!st)
			st = xpu_kernel_set_arg_buffer(k, i, buf[i], 0);
	}
	if (!st)
		st = rt_launch_timed(dev, s, k, buf[2], c, sz[2], &r->cycles, r->err,
				     sizeof(r->err));
	if (st)
		goto out;
	r->folds = gs_folds(p.array_rows, p.array_cols, M, N, K);
	r->floor = gs_floor(&p, M, N, K);
	for (uint64_t i = 0; i < (full ? M : 8); i++) {
		uint64_t row = full ? i : i == 0 ? 0 : i == 1 ? M - 1 : gs_rand(&seed) % M;

		cc_matmul_ref_rows(d, a, b, bias, row, 1, want);
		r->checked += N;
		for (uint64_t j = 0; j < N; j++)
			r->bad += memcmp(c + (row * N + j) * osz, want + j * osz, osz) != 0;
	}
	ret = 0;
out:
	if (st && !r->err[0])
		snprintf(r->err, sizeof(r->err), "%s", xpu_last_error());
	for (int i = 0; i < 4; i++)
		if (buf[i])
			xpu_buffer_free(buf[i]);
	if (k)
		xpu_kernel_destroy(k);
	if (mod)
		xpu_module_unload(mod);
	free(a);
	free(b);
	free(c);
	free(want);
	free(bias);
	return ret;
}

/* d compiled for dev itself */
static inline int gs_run(xpu_device *dev, xpu_stream *s, const struct xpu_cc_matmul *d,
			 uint64_t seed, int full, struct gs_result *r)
{
	return gs_run_planned(dev, dev, s, d, seed, full, r);
}

#endif
