// SPDX-License-Identifier: MIT
/*
 * engine-bench: host speed of the device engine's matrix unit.
 *
 * 1. gemm_int8_vs_sgemm / gemm_bf16_vs_sgemm: one N x N x N MATMUL job
 *    (N = 2048, 256 with --smoke) run through xpu_tile_run(), the entry the
 *    runtime's host backend and the QEMU device use, against OpenBLAS
 *    cblas_sgemm of the same size on the same cores, measured alternately in
 *    the same run (best of several). Ops = 2 N^3 for both.
 * 2. A check line: the engine against the plain reference loops
 *    (tests/engine/ref) on 384^3, results must be identical (bf16 with
 *    many underflowing products: the multiply-then-add fallback).
 * Prints the ISA level and thread count the engine used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>

#include "xpu_engine.h"
#include "xpu_isa.h"
#include "xpu_ref.h"
#include "mxu_kern.h"
#include "mxu_pool.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint8_t hbm[1 << 16];

/* one MATMUL job C = A(spad 0) x B(spad n*n*es) -> acc, through xpu_tile_run */
static int run_job(struct xpu_tile *t, uint64_t n, int bf, double *secs)
{
	uint64_t es = bf ? 2 : 1;
	uint64_t prog[] = {
		xpu_li(3, (int32_t)n), xpu_mcfg(XPU_MCFG_SHAPE, 3, 3, 3),
		xpu_li(4, 0), xpu_li(5, (int32_t)(n * n * es)), xpu_liu(6, XPU_LA_ACC),
		xpu_matmul(bf ? XPU_MM_BF16 : XPU_MM_INT8, 6, 4, 5), xpu_halt(),
	};
	uint64_t *pt = (uint64_t *)hbm;
	struct xpu_job_desc d = { .op = XPU_JOB_EXEC, .prog_va = 0x1000,
				  .prog_len = sizeof(prog) };
	struct xpu_job_record rec;
	double t0;

	/* page table at 0 mapping the program page at VA 0x1000 */
	memset(hbm, 0, 6 * 4096);
	pt[0] = 0x2000 | XPU_PTE_VALID;
	((uint64_t *)(hbm + 0x2000))[0] = 0x3000 | XPU_PTE_VALID;
	((uint64_t *)(hbm + 0x3000))[0] = 0x4000 | XPU_PTE_VALID;
	((uint64_t *)(hbm + 0x4000))[1] = 0x5000 | XPU_PTE_VALID | XPU_PTE_READ;
	memcpy(hbm + 0x5000, prog, sizeof(prog));
	t0 = now();
	xpu_tile_run(t, 0, &d, NULL, &rec, NULL);
	*secs = now() - t0;
	if (rec.status) {
		fprintf(stderr, "engine-bench: job status %u\n", rec.status);
		return -1;
	}
	return 0;
}

static struct xpu_tile *tile_for(uint64_t n)
{
	struct xpu_engine_config cfg = {
		.spad_bytes = (uint32_t)(4 * n * n), .acc_bytes = (uint32_t)(4 * n * n),
	};
	struct xpu_mem mem = { .hbm = hbm, .hbm_size = sizeof(hbm) };

	return xpu_tile_new(&cfg, &mem);
}

/* random int8, or bf16 of either kind: 'wide' exponents (many products
 * underflow: the exact-product check fails and the kernels fall back to
 * multiply-then-add) or model-like values in (-2, 2) */
static void fill(struct xpu_tile *t, uint64_t n, int bf, int wide)
{
	uint64_t es = bf ? 2 : 1;
	uint8_t *ab = xpu_tile_sram(t, 0, 2 * n * n * es);

	srand(1);
	for (uint64_t i = 0; i < 2 * n * n * es; i++) {
		ab[i] = (uint8_t)rand();
		if (bf && wide && (i & 1))
			ab[i] &= 0xbf;	/* exponents below 0: finite values */
		if (bf && !wide && (i & 1)) {
			float f = (float)rand() / RAND_MAX * 4.0f - 2.0f;
			uint32_t u;

			memcpy(&u, &f, 4);
			ab[i - 1] = (uint8_t)(u >> 16);
			ab[i] = (uint8_t)(u >> 24);
		}
	}
}

/* --smoke: small sizes, still real measurements */
int main(int argc, char **argv)
{
	int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	uint64_t n = smoke ? 256 : 2048;
	int reps = smoke ? 3 : 6;
	struct xpu_tile *t = tile_for(n);
	float *fa = malloc(n * n * 4), *fb = malloc(n * n * 4), *fc = malloc(n * n * 4);
	double ops = 2.0 * n * n * n;

	if (!t || !fa || !fb || !fc) {
		fprintf(stderr, "engine-bench: out of memory\n");
		return 1;
	}
	for (uint64_t i = 0; i < n * n; i++) {
		fa[i] = (float)(rand() % 255 - 127);
		fb[i] = (float)(rand() % 255 - 127);
	}
	printf("engine-bench: %ux%ux%u, engine level %s, %d threads; openblas %d threads\n",
	       (unsigned)n, (unsigned)n, (unsigned)n, xpu_mxu_level_name(xpu_mxu_level()),
	       xpu_pool_threads(), openblas_get_num_threads());
	for (int bf = 0; bf < 2; bf++) {
		double te = 1e30, ts = 1e30, s;

		fill(t, n, bf, 0);
		if (run_job(t, n, bf, &s))	/* warm-up: pool, scratch, pages */
			return 1;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n,
			    1.0f, fa, (int)n, fb, (int)n, 0.0f, fc, (int)n);
		for (int r = 0; r < reps; r++) {
			double t0;

			if (run_job(t, n, bf, &s))
				return 1;
			te = s < te ? s : te;
			t0 = now();
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n,
				    (int)n, 1.0f, fa, (int)n, fb, (int)n, 0.0f, fc, (int)n);
			s = now() - t0;
			ts = s < ts ? s : ts;
		}
		printf("bench: gemm_%s_vs_sgemm = %.2fx (goal >= %s) [%.1f %s %s engine job; %.1f GFLOP/s cblas_sgemm]\n",
		       bf ? "bf16" : "int8", ts / te, bf ? "0.8" : "2.0", ops / te * 1e-9,
		       bf ? "GFLOP/s" : "Gop/s", bf ? "bf16" : "int8", ops / ts * 1e-9);
	}
	xpu_tile_free(t);
	free(fa);
	free(fb);
	free(fc);

	/* the same engine against the plain reference loops, results compared */
	{
		enum { N = 384 };
		struct xpu_tile *tr = tile_for(N);
		uint32_t *ref = malloc((size_t)N * N * 4);

		if (!tr || !ref)
			return 1;
		for (int bf = 0; bf < 2; bf++) {
			uint64_t es = bf ? 2 : 1;
			uint8_t *a = xpu_tile_sram(tr, 0, N * N * es);
			uint8_t *b = xpu_tile_sram(tr, N * N * es, N * N * es);
			uint32_t *c = (uint32_t *)xpu_tile_sram(tr, XPU_LA_ACC, (size_t)N * N * 4);
			double te, tref, t0;

			fill(tr, N, bf, 1);
			if (run_job(tr, N, bf, &te))
				return 1;
			memset(ref, 0, (size_t)N * N * 4);
			t0 = now();
			if (bf)
				xref_matmul_bf16(N, N, N, (uint16_t *)a, N, (uint16_t *)b, N, ref, N, 0);
			else
				xref_matmul_i8(N, N, N, (int8_t *)a, N, (int8_t *)b, N, ref, N, 0);
			tref = now() - t0;
			printf("%s %dx%dx%d matmul: engine %.4f s, plain reference %.3f s, speed-up %.0fx%s\n",
			       bf ? "bf16" : "int8", N, N, N, te, tref, tref / te,
			       memcmp(ref, c, (size_t)N * N * 4) ? " RESULTS DIFFER" : ", results identical");
			if (memcmp(ref, c, (size_t)N * N * 4))
				return 1;
		}
		xpu_tile_free(tr);
		free(ref);
	}
	return 0;
}
