// SPDX-License-Identifier: MIT
/*
 * engine-bench: host speed of the device engine's blocked matrix unit
 * against the plain reference loops (tests/engine/ref) on the same data in
 * the same run, int8 and bf16.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xpu_engine.h"
#include "xpu_isa.h"
#include "xpu_ref.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
	enum { N = 384 };
	struct xpu_engine_config cfg = { .acc_bytes = 4u << 20 };
	static uint8_t hbm[1 << 20];
	struct xpu_mem mem = { .hbm = hbm, .hbm_size = sizeof(hbm) };
	struct xpu_tile *t = xpu_tile_new(&cfg, &mem);
	uint32_t *ref = malloc((size_t)N * N * 4);

	if (!t || !ref)
		return 1;
	for (int bf = 0; bf < 2; bf++) {
		size_t es = bf ? 2 : 1;
		uint8_t *a = xpu_tile_sram(t, 0, (size_t)N * N * es);
		uint8_t *b = xpu_tile_sram(t, (size_t)N * N * es, (size_t)N * N * es);
		uint32_t *c = (uint32_t *)xpu_tile_sram(t, XPU_LA_ACC, (size_t)N * N * 4);
		double t0, te, tr;

		for (size_t i = 0; i < (size_t)N * N * es; i++) {
			a[i] = rand();
			b[i] = rand();
			if (bf && (i & 1)) {
				a[i] &= 0xbf;
				b[i] &= 0xbf;
			}
		}
		/* engine: one MATMUL through the public API (a tiny program) */
		{
			uint64_t prog[] = {
				xpu_li(3, N), xpu_mcfg(XPU_MCFG_SHAPE, 3, 3, 3),
				xpu_li(4, 0), xpu_li(5, N * N * es), xpu_liu(6, XPU_LA_ACC),
				xpu_matmul(bf ? XPU_MM_BF16 : XPU_MM_INT8, 6, 4, 5), xpu_halt(),
			};
			/* identity page table: root at 0, program at VA 0x1000 */
			uint64_t *pt = (uint64_t *)hbm;
			struct xpu_job_desc d = { .op = XPU_JOB_EXEC, .prog_va = 0x1000,
						  .prog_len = sizeof(prog) };
			struct xpu_job_record rec;

			memset(hbm, 0, 5 * 4096);
			pt[0] = 0x2000 | XPU_PTE_VALID;	/* L3 -> L2 at 0x2000 */
			((uint64_t *)(hbm + 0x2000))[0] = 0x3000 | XPU_PTE_VALID;
			((uint64_t *)(hbm + 0x3000))[0] = 0x4000 | XPU_PTE_VALID;
			((uint64_t *)(hbm + 0x4000))[1] = 0x5000 | XPU_PTE_VALID | XPU_PTE_READ;
			memcpy(hbm + 0x5000, prog, sizeof(prog));
			t0 = now();
			xpu_tile_run(t, 0, &d, NULL, &rec, NULL);
			te = now() - t0;
			if (rec.status) {
				fprintf(stderr, "engine-bench: job status %u\n", rec.status);
				return 1;
			}
		}
		memset(ref, 0, (size_t)N * N * 4);
		t0 = now();
		if (bf)
			xref_matmul_bf16(N, N, N, (uint16_t *)a, N, (uint16_t *)b, N, ref, N, 0);
		else
			xref_matmul_i8(N, N, N, (int8_t *)a, N, (int8_t *)b, N, ref, N, 0);
		tr = now() - t0;
		printf("%s %dx%dx%d matmul: engine %.3f s, plain reference %.3f s, speed-up %.1fx%s\n",
		       bf ? "bf16" : "int8", N, N, N, te, tr, tr / te,
		       memcmp(ref, c, (size_t)N * N * 4) ? " RESULTS DIFFER" : ", results identical");
	}
	xpu_tile_free(t);
	free(ref);
	return 0;
}
