/* SPDX-License-Identifier: MIT */
/*
 * Matrix unit host kernels: the interface between the blocked driver
 * (mxu_gemm.c: task split, thread pool, abort polling, progress) and the
 * per-ISA block kernels (mxu_portable.c, mxu_avx2.c, mxu_avx512.c,
 * mxu_amx.c). The AVX2 and AVX-512 levels share their micro kernels and
 * block driver (mxu_simd_tmpl.h), the AVX-512 and AMX levels their int8 B
 * pack (mxu_pack512.h).
 *
 * A block kernel computes C[m0,m1) x [n0,n1) over k in [k0,k1): it packs
 * what it needs into caller-provided scratch and, for every output, adds
 * the products in ascending k onto C (or onto +0 when 'first' is set, i.e.
 * k0 == 0 and the MATMUL does not accumulate). Every level gives the same
 * bits: int8 sums are exact mod 2^32; bf16 keeps c = c + a*b (two
 * roundings) in ascending k, using a fused multiply-add only where every
 * product of the block is exact in fp32 (then both are the same value).
 * Not a public API.
 */
#ifndef XPU_MXU_KERN_H
#define XPU_MXU_KERN_H

#include <stdint.h>
#include <stddef.h>

struct xpu_mm {
	const uint8_t *a, *b;
	uint8_t *c;
	uint64_t m, k, n, lda, ldb, ldc;	/* strides in bytes */
	int acc;
};

/* ISA levels, lowest first */
enum {
	XPU_MXU_PORTABLE,
	XPU_MXU_AVX2,
	XPU_MXU_AVX512,
	XPU_MXU_AMX,		/* int8 on AMX tiles; bf16 on the AVX-512 kernel */
	XPU_MXU_NLEVELS
};

/* polled between strips of a block; non-zero = stop (the block returns it) */
struct xpu_mm_poll {
	int (*fn)(struct xpu_mm_poll *pl, uint64_t macs_done);
};

struct xpu_mm_block {
	const struct xpu_mm *p;
	uint64_t m0, m1, n0, n1, k0, k1;
	int first;			/* C starts at +0 instead of its old value */
	int last;			/* k1 == k: the outputs are final */
	void *scratch;			/* level->scratch_bytes, 64-byte aligned */
	struct xpu_mm_poll *poll;
};

struct xpu_mxu_level {
	const char *name;
	uint32_t mc, nc, kc;		/* task rows / columns, k per block */
	size_t scratch_bytes;
	int (*int8)(const struct xpu_mm_block *b);
	int (*bf16)(const struct xpu_mm_block *b);	/* NULL: the level below's */
	int bf16_canon;			/* bf16 stores canonical NaNs when 'last' */
};

extern const struct xpu_mxu_level xpu_mxu_portable;
#if defined(__x86_64__) && defined(__GNUC__)
extern const struct xpu_mxu_level xpu_mxu_avx2;
extern const struct xpu_mxu_level xpu_mxu_avx512;
extern const struct xpu_mxu_level xpu_mxu_amx;
#endif

/* mxu_gemm.c */
struct xpu_tile;
/* C = (acc ? C : 0) + A*B with p->k > 0 or (bf16 and acc): canonical NaNs
 * in bf16. 0 or XPU_JOB_STATUS_ABORTED. */
int xpu_mxu_gemm(struct xpu_tile *t, const struct xpu_mm *p, int bf16);
/* The level in use (detected once from cpuid, or XPU_ENGINE_ISA=portable|
 * avx2|avx512|amx: the best the host supports up to that one). */
int xpu_mxu_level(void);
/* Force a level for this process (tests, benchmarks); -1 = automatic.
 * Returns -1 if the host cannot run it, else 0. */
int xpu_mxu_force_level(int level);
const char *xpu_mxu_level_name(int level);
/* Threads one MATMUL may use (1 = the caller only); n <= 0 = default
 * (XPU_ENGINE_THREADS or the CPUs this process may run on). Test hook. */
void xpu_mxu_set_threads(int n);

/* bf16 exponent statistics of a packed block: the range of the biased
 * exponent of its finite nonzero normal values and whether any value is
 * subnormal. Products of two blocks are all exact in fp32 when
 * xpu_mm_exact() holds (see mxu_gemm.c). */
struct xpu_mm_expo {
	uint32_t emin, emax, sub;
};

static inline void xpu_mm_expo_init(struct xpu_mm_expo *s)
{
	s->emin = 255;
	s->emax = 0;
	s->sub = 0;
}

static inline void xpu_mm_expo_add(struct xpu_mm_expo *s, uint16_t h)
{
	uint32_t e = (h >> 7) & 0xff;

	if (e == 0)
		s->sub |= (h & 0x7f) != 0;
	else if (e != 255) {
		s->emin = e < s->emin ? e : s->emin;
		s->emax = e > s->emax ? e : s->emax;
	}
}

/* the statistics of a SIMD pack: per-lane exponent minima lo[] and maxima
 * hi[] of its normal values, and whether any lane saw a subnormal */
static inline void xpu_mm_expo_fold(struct xpu_mm_expo *s, const uint16_t *lo,
				    const uint16_t *hi, int lanes, int sub)
{
	xpu_mm_expo_init(s);
	for (int j = 0; j < lanes; j++) {
		s->emin = lo[j] < s->emin ? lo[j] : s->emin;
		s->emax = hi[j] > s->emax ? hi[j] : s->emax;
	}
	s->sub = sub != 0;
}

/*
 * Every product a*b of a value of block A by one of block B is exact in
 * fp32 (so fma(a, b, c) == c + a*b bit for bit): zeros, infinities and NaNs
 * give exact (or NaN) products; two normals with biased exponents ea, eb
 * have a 16-bit significand product in [2^(ea+eb-254), 2^(ea+eb-252)),
 * a normal fp32 when ea+eb >= 128 and finite when ea+eb <= 380.
 * Subnormal inputs are not analysed (the block falls back).
 */
static inline int xpu_mm_exact(const struct xpu_mm_expo *a, const struct xpu_mm_expo *b)
{
	return !a->sub && !b->sub && a->emin + b->emin >= 128 && a->emax + b->emax <= 380;
}

#endif /* XPU_MXU_KERN_H */
