/* SPDX-License-Identifier: MIT */
/*
 * Matrix unit: the body of the register-blocked SIMD levels (mxu_avx2.c,
 * mxu_avx512.c), written once. Each of those files defines its block
 * sizes, packs and vector operations, then includes this file at its end,
 * so that this code is compiled with that file's `#pragma GCC target` and
 * its operations (all always_inline) become that ISA's instructions.
 *
 * A block: B's k block is packed once into NR-column panels, then for each
 * strip of MR rows A is packed and the MR x NR micro kernel runs on every
 * panel (two vectors of VL 32-bit lanes per row); the poll after each
 * strip reports its MACs. int8 sums are exact mod 2^32; bf16 runs
 * c = c + a*b in ascending k, with a fused multiply-add only where every
 * product of the strip and panel is exact (xpu_mm_exact), and stores
 * canonical NaNs in the block that ends k.
 *
 * The includer defines:
 *   MR NR MC NC KC     register block rows / columns, task rows / columns,
 *                      k per block (NR == 2 * VL)
 *   VL, VW             32-bit lanes per vector, its width in bits (256, 512)
 *   MK_CASES(X)        X(1) ... X(MR)
 *   MXU_LEVEL, MXU_LEVEL_NAME   the level's symbol and name
 *   int8: I8_KG (k per group of the packs) and i8_t (their element);
 *     pack_b_i8(p, k0, kb, n0, nb, i8_t *dst): panels of [kg][NR][I8_KG],
 *       panel stride kg * I8_KG * NR (kg = kb / I8_KG rounded up);
 *     pack_a_i8(p, m, mr, k0, kb, i8_t *dst, int32_t *corr): [MR][KC],
 *       zero padded to whole groups, rows >= mr zero; corr[i] for vi_fix;
 *     vi (type), vi_dot(c, a, b) (c + the group's products),
 *       vi_fix(c, corr, i) (row i's correction), vi_loadm, vi_storem
 *       (masked, C row); vi_zero, vi_load (aligned, from a pack),
 *       vi_bcast (one group of A) and vi_add are defined here from VW.
 *   bf16 (fp32 packs, [kb][NR] panels and [MR][KC] strips, with the
 *     exponent statistics of mxu_kern.h; the packs are written here):
 *     struct bexpo, expo_init(x), expo_acc(vi h, x) and expo_finish(x,
 *     struct xpu_mm_expo *st) (the statistics of NR bf16 lanes);
 *     load_bf16(src, w) (NR bf16 lanes, those past w zero) and
 *     store_f32(float *d, vi h) (NR lanes widened to fp32, d 64-byte aligned);
 *     vf (type), vf_canon (NaN -> the canonical NaN), vf_loadm,
 *     vf_storem; vf_zero, vf_load, vf_bcast, vf_fmadd(a, b, c),
 *     vf_mul and vf_add are defined here from VW.
 *   vmask (type) and vmask_of(n): the first n lanes of a vector.
 * Not a public API.
 */
#ifndef XPU_MXU_SIMD_TMPL_H
#define XPU_MXU_SIMD_TMPL_H

/*
 * The vector operations that differ between the levels only in the width
 * of their intrinsic (_mm256_* or _mm512_*): written once, for VW bits.
 * Loads are of aligned pack data, so a dereference is the aligned load.
 */
#define MM_CAT(w, op)	_mm##w##_##op
#define MM(w, op)	MM_CAT(w, op)

static AI vi vi_zero(void)
{
	return (vi){ 0 };
}

static AI vi vi_load(const i8_t *p)
{
	return *(const vi *)p;
}

static AI vi vi_bcast(const i8_t *p)
{
	return MM(VW, set1_epi32)(*(const i32_any *)p);
}

static AI vi vi_add(vi a, vi b)
{
	return MM(VW, add_epi32)(a, b);
}

static AI vf vf_zero(void)
{
	return (vf){ 0 };
}

static AI vf vf_load(const float *p)
{
	return *(const vf *)p;
}

static AI vf vf_bcast(const float *p)
{
	return MM(VW, set1_ps)(*p);
}

static AI vf vf_fmadd(vf a, vf b, vf c)
{
	return MM(VW, fmadd_ps)(a, b, c);
}

static AI vf vf_mul(vf a, vf b)
{
	return MM(VW, mul_ps)(a, b);
}

static AI vf vf_add(vf a, vf b)
{
	return MM(VW, add_ps)(a, b);
}

/* ---- bf16 packs: NR bf16 lanes (one vi) at a time ---- */

_Static_assert(KC % NR == 0, "a strip's last group of zeros stays inside its row");

/* B rows k0..k0+kb, columns n0..n0+nb widened to fp32 as NR-column panels
 * of [kb][NR] (panel stride kb * NR), read row by row; st[panel] gets each
 * panel's exponent statistics */
static void pack_b_bf16(const struct xpu_mm *p, uint64_t k0, uint64_t kb, uint64_t n0, uint64_t nb,
			float *dst, struct xpu_mm_expo *st)
{
	uint64_t np = (nb + NR - 1) / NR;
	struct bexpo x[NC / NR];

	for (uint64_t pan = 0; pan < np; pan++)
		expo_init(&x[pan]);
	for (uint64_t k = 0; k < kb; k++) {
		const uint8_t *row = p->b + (k0 + k) * p->ldb + n0 * 2;

		for (uint64_t pan = 0; pan < np; pan++) {
			vi h = load_bf16(row + pan * NR * 2, nb - pan * NR);

			expo_acc(h, &x[pan]);
			store_f32(dst + pan * kb * NR + k * NR, h);
		}
	}
	for (uint64_t pan = 0; pan < np; pan++)
		expo_finish(&x[pan], &st[pan]);
}

/* rows m..m+mr of A, k0..k0+kb, widened to fp32 as [MR][KC] (row i of
 * the strip at dst + i * KC; rows >= mr zero) */
static void pack_a_bf16(const struct xpu_mm *p, uint64_t m, int mr, uint64_t k0, uint64_t kb,
			float *dst, struct xpu_mm_expo *st)
{
	struct bexpo x;

	expo_init(&x);
	for (int i = 0; i < MR; i++) {
		const uint8_t *row = p->a + (m + i) * p->lda + k0 * 2;
		float *d = dst + i * KC;

		for (uint64_t k = 0; k < kb; k += NR) {
			vi h = i < mr ? load_bf16(row + 2 * k, kb - k) : vi_zero();

			expo_acc(h, &x);
			store_f32(d + k, h);
		}
	}
	expo_finish(&x, st);
}

#define B_BYTES	((size_t)KC * NC * 4)		/* fp32 panels; int8 uses less */
#define A_BYTES	((size_t)KC * MR * 4)
#define S_BYTES	((size_t)(NC / NR) * sizeof(struct xpu_mm_expo))

/* ---- micro kernels: MR x NR outputs of C at c (row stride ldc) ---- */

static AI void mk_i8(const int mr, const i8_t *ap, const i8_t *bp, uint64_t kg, uint8_t *c,
		     uint64_t ldc, int nr, int first, const int32_t *corr)
{
	vi c0[MR], c1[MR];
	vmask m0 = vmask_of(nr), m1 = vmask_of(nr - VL);

	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++)
		c0[i] = c1[i] = vi_zero();
	for (uint64_t g = 0; g < kg; g++) {
		vi b0 = vi_load(bp), b1 = vi_load(bp + VL * I8_KG);

		#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			vi a = vi_bcast(ap + i * KC);

			c0[i] = vi_dot(c0[i], a, b0);
			c1[i] = vi_dot(c1[i], a, b1);
		}
		ap += I8_KG;
		bp += I8_KG * NR;
	}
	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		int32_t *row = (int32_t *)(c + i * ldc);
		vi v0 = vi_fix(c0[i], corr, i), v1 = vi_fix(c1[i], corr, i);

		if (!first) {
			v0 = vi_add(v0, vi_loadm(row, m0));
			v1 = vi_add(v1, vi_loadm(row + VL, m1));
		}
		vi_storem(row, m0, v0);
		vi_storem(row + VL, m1, v1);
	}
}

static AI void mk_bf16(const int mr, const int fused, const float *ap, const float *bp,
		       uint64_t kb, uint8_t *c, uint64_t ldc, int nr, int first, int last)
{
	vf c0[MR], c1[MR];
	vmask m0 = vmask_of(nr), m1 = vmask_of(nr - VL);

	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		float *row = (float *)(c + i * ldc);

		if (first) {
			c0[i] = c1[i] = vf_zero();
		} else {
			c0[i] = vf_loadm(row, m0);
			c1[i] = vf_loadm(row + VL, m1);
		}
	}
	for (uint64_t k = 0; k < kb; k++) {
		vf b0 = vf_load(bp), b1 = vf_load(bp + VL);

		#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			vf a = vf_bcast(ap + i * KC);

			if (fused) {
				c0[i] = vf_fmadd(a, b0, c0[i]);
				c1[i] = vf_fmadd(a, b1, c1[i]);
			} else {
				c0[i] = vf_add(c0[i], vf_mul(a, b0));
				c1[i] = vf_add(c1[i], vf_mul(a, b1));
			}
		}
		ap++;
		bp += NR;
	}
	if (last) {
		#pragma GCC unroll 12
		for (int i = 0; i < mr; i++) {
			c0[i] = vf_canon(c0[i]);
			c1[i] = vf_canon(c1[i]);
		}
	}
	#pragma GCC unroll 12
	for (int i = 0; i < mr; i++) {
		float *row = (float *)(c + i * ldc);

		vf_storem(row, m0, c0[i]);
		vf_storem(row + VL, m1, c1[i]);
	}
}

/* one switch per kernel: the row count (and 'fused') become constants */
static void micro_i8(int mr, const i8_t *ap, const i8_t *bp, uint64_t kg, uint8_t *c,
		     uint64_t ldc, int nr, int first, const int32_t *corr)
{
	switch (mr) {
#define X(r) case r: mk_i8(r, ap, bp, kg, c, ldc, nr, first, corr); break;
	MK_CASES(X)
#undef X
	}
}

static void micro_bf16(int mr, int fused, const float *ap, const float *bp, uint64_t kb,
		       uint8_t *c, uint64_t ldc, int nr, int first, int last)
{
	if (fused) {
		switch (mr) {
#define X(r) case r: mk_bf16(r, 1, ap, bp, kb, c, ldc, nr, first, last); break;
		MK_CASES(X)
#undef X
		}
	} else {
		switch (mr) {
#define X(r) case r: mk_bf16(r, 0, ap, bp, kb, c, ldc, nr, first, last); break;
		MK_CASES(X)
#undef X
		}
	}
}

/* ---- the block: scratch = B panels, A strip, B panels' statistics ---- */

static AI int blk_run(const struct xpu_mm_block *blk, const int bf16)
{
	const struct xpu_mm *p = blk->p;
	uint64_t kb = blk->k1 - blk->k0, kg = (kb + I8_KG - 1) / I8_KG, nb = blk->n1 - blk->n0;
	uint64_t np = (nb + NR - 1) / NR, pan, m;
	uint8_t *bpk = blk->scratch, *apk = bpk + B_BYTES;
	struct xpu_mm_expo *bst = (struct xpu_mm_expo *)(apk + A_BYTES);
	struct xpu_mm_expo ast;
	int32_t corr[MR];
	int rc;

	if (bf16)
		pack_b_bf16(p, blk->k0, kb, blk->n0, nb, (float *)bpk, bst);
	else
		pack_b_i8(p, blk->k0, kb, blk->n0, nb, (i8_t *)bpk);
	for (m = blk->m0; m < blk->m1; m += MR) {
		int mr = blk->m1 - m < MR ? (int)(blk->m1 - m) : MR;

		if (bf16)
			pack_a_bf16(p, m, mr, blk->k0, kb, (float *)apk, &ast);
		else
			pack_a_i8(p, m, mr, blk->k0, kb, (i8_t *)apk, corr);
		for (pan = 0; pan < np; pan++) {
			uint64_t n = blk->n0 + pan * NR;
			uint8_t *c = p->c + m * p->ldc + n * 4;
			int nr = (int)(blk->n1 - n < NR ? blk->n1 - n : NR);

			if (bf16)
				micro_bf16(mr, xpu_mm_exact(&ast, &bst[pan]), (float *)apk,
					   (float *)bpk + pan * kb * NR, kb, c, p->ldc, nr,
					   blk->first, blk->last);
			else
				micro_i8(mr, (i8_t *)apk, (i8_t *)bpk + pan * kg * I8_KG * NR, kg, c,
					 p->ldc, nr, blk->first, corr);
		}
		if ((rc = blk->poll->fn(blk->poll, mr * nb * kb)))
			return rc;
	}
	return 0;
}

static int blk_int8(const struct xpu_mm_block *blk)
{
	return blk_run(blk, 0);
}

static int blk_bf16(const struct xpu_mm_block *blk)
{
	return blk_run(blk, 1);
}

const struct xpu_mxu_level MXU_LEVEL = {
	.name = MXU_LEVEL_NAME,
	.mc = MC, .nc = NC, .kc = KC,
	.scratch_bytes = B_BYTES + A_BYTES + S_BYTES,
	.int8 = blk_int8,
	.bf16 = blk_bf16,
	.bf16_canon = 1,
};

#endif /* XPU_MXU_SIMD_TMPL_H */
