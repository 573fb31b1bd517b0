// SPDX-License-Identifier: MIT
/*
 * Matrix-unit kernels: every ISA level this host can run (portable, AVX2,
 * AVX-512, AMX; forced with xpu_mxu_force_level, as XPU_ENGINE_ISA does)
 * and several thread counts against the plain reference (tests/engine/ref)
 * on odd shapes, tails, strides (bytes between rows must stay untouched),
 * accumulate mode, int8 extremes, bf16 NaN/Inf/zero/subnormal/overflow/
 * underflow data and subnormal A against small normal B (the
 * fused-multiply-add guard), the thread split, two
 * tiles sharing the pool at once, and abort of a long MATMUL.
 */
#include <pthread.h>
#include <time.h>
#include "kselftest_harness.h"
#include "xpu_test_util.h"
#include "mxu_kern.h"

#define KSPAD	(16u << 20)
#define KACC	(8u << 20)

enum { D_RANDOM, D_I8_EXTREME, D_BF_SPECIAL, D_BF_NORMAL, D_BF_HUGE, D_BF_TINY, D_BF_MIXED,
       D_BF_SUB_A, D_BF_SMALL };

struct kcase {
	uint64_t m, k, n, lda, ldb, ldc;	/* ld 0 = dense */
	int bf, acc, data;
};

static struct tenv *kenv_new(void)
{
	struct xpu_engine_config cfg = { .spad_bytes = KSPAD, .acc_bytes = KACC };

	return tenv_new(&cfg);
}

static uint16_t bf_of(uint64_t *s, int data)
{
	static const uint16_t specials[] = { 0x7f80, 0xff80, 0x7fc1, 0xffff, 0x0001, 0x8001,
					     0x007f, 0x8000, 0x0000, 0x7f7f, 0xff7f, 0x3f80,
					     0x0080, 0x8080, 0x7f00, 0x0100 };
	uint32_t r = trand(s);

	switch (data) {
	case D_BF_SPECIAL:
		return r % 4 ? trand_bf16(s) : specials[(r >> 8) % 16];
	case D_BF_NORMAL:	/* exponents 120..134: every product exact */
		return (uint16_t)(((r & 1) << 15) | ((120 + (r >> 1) % 15) << 7) | ((r >> 8) & 0x7f));
	case D_BF_HUGE:		/* products overflow */
		return (uint16_t)(((r & 1) << 15) | ((200 + (r >> 1) % 54) << 7) | ((r >> 8) & 0x7f));
	case D_BF_TINY:		/* products underflow to subnormal or zero */
		return (uint16_t)(((r & 1) << 15) | ((1 + (r >> 1) % 60) << 7) | ((r >> 8) & 0x7f));
	case D_BF_SUB_A:	/* A: all subnormal; with D_BF_SMALL B, fp32 subnormal products */
		return (uint16_t)(((r & 1) << 15) | (1 + (r >> 1) % 127));
	case D_BF_SMALL:	/* B: exponents 100..120, so emin(A) + emin(B) >= 128 */
		return (uint16_t)(((r & 1) << 15) | ((100 + (r >> 1) % 21) << 7) | ((r >> 8) & 0x7f));
	case D_BF_MIXED:	/* mostly normal, a few tiny ones per block */
		if (r % 97 == 0)
			return (uint16_t)(((r >> 8) % 40 + 1) << 7);
		return trand_bf16(s);
	}
	return trand_bf16(s);
}

static uint8_t i8_of(uint64_t *s, int data)
{
	static const uint8_t ext[] = { 0x80, 0x7f, 0xff, 0x00, 0x01, 0x80, 0x80, 0x7f };
	uint32_t r = trand(s);

	return data == D_I8_EXTREME ? ext[r % 8] : (uint8_t)r;
}

/* n operand elements at p: bf16 (bf) or int8 values of the data kind */
static void fill_operand(uint8_t *p, uint64_t n, int bf, int data, uint64_t *seed)
{
	for (uint64_t i = 0; i < n; i++) {
		if (bf) {
			uint16_t v = bf_of(seed, data);

			memcpy(p + 2 * i, &v, 2);
		} else {
			p[i] = i8_of(seed, data);
		}
	}
}

static uint32_t run_case(struct tenv *e, const struct kcase *c)
{
	struct tmm mm = { c->m, c->k, c->n, c->lda, c->ldb, c->ldc,
			  SPAD + 2, SPAD + (KSPAD / 2) + 1, ACC + 4,
			  (c->bf ? XPU_MM_BF16 : XPU_MM_INT8) | (c->acc ? XPU_MM_ACC : 0) };

	return tenv_matmul(e, &mm);
}

static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static const int thread_counts[] = { 1, 2, 3 };

/*
 * Fill A, B and C (the whole footprint, gaps included), compute the
 * reference once, then run every level x thread count from the same C and
 * compare all of C's footprint. Returns the number of failing runs.
 */
static int check_case(struct __test_metadata *_metadata, struct tenv *e, struct kcase c,
		      uint64_t seed)
{
	uint64_t es = c.bf ? 2 : 1;
	uint64_t lda = c.lda ? c.lda : c.k, ldb = c.ldb ? c.ldb : c.n, ldc = c.ldc ? c.ldc : c.n;
	uint64_t na = c.m * lda, nb = c.k * ldb, nc = c.m * ldc, i;
	uint8_t *a = tla(e, SPAD + 2, na * es), *b = tla(e, SPAD + KSPAD / 2 + 1, nb * es);
	uint8_t *cc = tla(e, ACC + 4, nc * 4);
	uint32_t *ref = malloc(nc * 4 + 4), *init = malloc(nc * 4 + 4);
	int fails = 0;

	if (!a || !b || !cc || !ref || !init) {
		TH_LOG("case does not fit: %llu %llu %llu", (unsigned long long)c.m,
		       (unsigned long long)c.k, (unsigned long long)c.n);
		free(ref);
		free(init);
		return 1;
	}
	fill_operand(a, na, c.bf, c.data, &seed);
	fill_operand(b, nb, c.bf, c.data == D_BF_SUB_A ? D_BF_SMALL : c.data, &seed);
	for (i = 0; i < nc; i++)
		init[i] = c.bf ? xref_f2u(((float)(trand(&seed) % 2001) - 1000.0f) / 7.0f)
			       : trand(&seed);
	if (c.bf && c.data == D_BF_SPECIAL)
		init[0] = 0x7f800000u;		/* +inf accumulator */
	memcpy(ref, init, nc * 4);
	if (c.bf)
		xref_matmul_bf16(c.m, c.k, c.n, (uint16_t *)a, lda, (uint16_t *)b, ldb, ref, ldc,
				 c.acc);
	else
		xref_matmul_i8(c.m, c.k, c.n, (int8_t *)a, lda, (int8_t *)b, ldb, ref, ldc, c.acc);
	for (int lv = 0; lv < XPU_MXU_NLEVELS; lv++) {
		if (xpu_mxu_force_level(lv))
			continue;		/* this host cannot run it */
		for (unsigned ti = 0; ti < sizeof(thread_counts) / sizeof(thread_counts[0]); ti++) {
			uint32_t st;

			xpu_mxu_set_threads(thread_counts[ti]);
			memcpy(cc, init, nc * 4);
			st = run_case(e, &c);
			if (st != XPU_JOB_STATUS_OK || memcmp(cc, ref, nc * 4) ||
			    e->rec.macs != c.m * c.k * c.n) {
				for (i = 0; i < nc && !memcmp(cc + 4 * i, &ref[i], 4); i++)
					;
				TH_LOG("%s %llux%llux%llu ld %llu/%llu/%llu acc %d data %d: level %s, %d threads: status %u, first difference at %llu: %08x, reference %08x",
				       c.bf ? "bf16" : "int8", (unsigned long long)c.m,
				       (unsigned long long)c.k, (unsigned long long)c.n,
				       (unsigned long long)c.lda, (unsigned long long)c.ldb,
				       (unsigned long long)c.ldc, c.acc, c.data, xpu_mxu_level_name(lv),
				       thread_counts[ti], st, (unsigned long long)i,
				       i < nc ? ld32(cc + 4 * i) : 0, i < nc ? ref[i] : 0);
				fails++;
			}
		}
	}
	xpu_mxu_force_level(-1);
	xpu_mxu_set_threads(0);
	free(ref);
	free(init);
	return fails;
}

FIXTURE(mxuk) { struct tenv *e; };
FIXTURE_SETUP(mxuk) { self->e = kenv_new(); ASSERT_NE(NULL, self->e); }
FIXTURE_TEARDOWN(mxuk)
{
	tenv_free(self->e);
	xpu_mxu_force_level(-1);
	xpu_mxu_set_threads(0);
}

static const uint64_t shapes[][3] = {
	{ 1, 1, 1 }, { 1, 5, 1 }, { 12, 4, 32 }, { 13, 7, 33 }, { 11, 3, 31 }, { 25, 9, 65 },
	{ 7, 300, 17 }, { 24, 257, 64 }, { 2, 1000, 3 }, { 61, 129, 97 }, { 300, 2, 5 },
	{ 5, 2, 300 }, { 130, 513, 70 },
	{ 300, 200, 260 },	/* >= 4M MACs: split across threads */
	{ 250, 70, 1100 },	/* wider than one task */
};

TEST_F(mxuk, levels_available)
{
	/* the portable level always runs; the best level is chosen by default */
	EXPECT_EQ(0, xpu_mxu_force_level(XPU_MXU_PORTABLE));
	EXPECT_EQ(XPU_MXU_PORTABLE, xpu_mxu_level());
	EXPECT_EQ(-1, xpu_mxu_force_level(XPU_MXU_NLEVELS));
	EXPECT_EQ(0, xpu_mxu_force_level(-1));
	for (int lv = 0; lv < XPU_MXU_NLEVELS; lv++)
		TH_LOG("level %s: %s", xpu_mxu_level_name(lv),
		       xpu_mxu_force_level(lv) ? "not supported here" : "runs");
	xpu_mxu_force_level(-1);
	TH_LOG("default level: %s", xpu_mxu_level_name(xpu_mxu_level()));
}

TEST_F(mxuk, int8_shapes_all_levels)
{
	for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (int acc = 0; acc < 2; acc++) {
			struct kcase c = { shapes[s][0], shapes[s][1], shapes[s][2], 0, 0, 0,
					   0, acc, D_RANDOM };

			EXPECT_EQ(0, check_case(_metadata, self->e, c, 1000 + s * 2 + acc));
		}
}

TEST_F(mxuk, int8_extremes_and_strides)
{
	struct kcase c[] = {
		{ 37, 515, 45, 0, 0, 0, 0, 0, D_I8_EXTREME },
		{ 37, 515, 45, 0, 0, 0, 0, 1, D_I8_EXTREME },
		{ 20, 70, 33, 100, 40, 50, 0, 1, D_RANDOM },
		{ 29, 261, 35, 263, 37, 36, 0, 0, D_I8_EXTREME },
		{ 260, 300, 70, 301, 77, 71, 0, 1, D_RANDOM },
	};

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		EXPECT_EQ(0, check_case(_metadata, self->e, c[i], 50 + i));
}

TEST_F(mxuk, int8_all_minus_128_wraps)
{
	/* (-128)(-128) K times: 16384 K, wraps mod 2^32 for K >= 2^18 */
	struct kcase c = { 3, 1 << 18, 2, 0, 0, 0, 0, 1, D_I8_EXTREME };
	uint8_t *a = tla(self->e, SPAD + 2, 3u << 18);

	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, check_case(_metadata, self->e, c, 7));
	(void)a;
}

TEST_F(mxuk, bf16_shapes_all_levels)
{
	for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (int acc = 0; acc < 2; acc++) {
			struct kcase c = { shapes[s][0], shapes[s][1], shapes[s][2], 0, 0, 0,
					   1, acc, acc ? D_BF_NORMAL : D_RANDOM };

			EXPECT_EQ(0, check_case(_metadata, self->e, c, 2000 + s * 2 + acc));
		}
}

TEST_F(mxuk, bf16_special_values)
{
	/* D_BF_SUB_A: only the subnormal flag keeps those blocks off the fused
	 * multiply-add (their normals' exponents pass the range check) */
	static const int kinds[] = { D_BF_SPECIAL, D_BF_HUGE, D_BF_TINY, D_BF_MIXED, D_BF_NORMAL,
				     D_BF_SUB_A };

	for (unsigned d = 0; d < sizeof(kinds) / sizeof(kinds[0]); d++)
		for (int acc = 0; acc < 2; acc++) {
			struct kcase c1 = { 29, 300, 67, 0, 0, 0, 1, acc, kinds[d] };
			struct kcase c2 = { 13, 41, 37, 45, 40, 39, 1, acc, kinds[d] };
			struct kcase c3 = { 260, 64, 300, 0, 0, 0, 1, acc, kinds[d] };

			EXPECT_EQ(0, check_case(_metadata, self->e, c1, 300 + d * 2 + acc));
			EXPECT_EQ(0, check_case(_metadata, self->e, c2, 400 + d * 2 + acc));
			EXPECT_EQ(0, check_case(_metadata, self->e, c3, 500 + d * 2 + acc));
		}
}

/* two tiles on two threads at once: one takes the pool, the other runs
 * alone (or waits for nothing); both results exact */
struct conc {
	struct tenv *e;
	struct kcase c;
	uint32_t *ref;
	int ok;
};

static void *conc_run(void *v)
{
	struct conc *x = v;
	uint8_t *cc = tla(x->e, ACC + 4, x->c.m * x->c.n * 4);

	x->ok = 1;
	for (int r = 0; r < 4; r++) {
		memset(cc, 0, x->c.m * x->c.n * 4);
		if (run_case(x->e, &x->c) || memcmp(cc, x->ref, x->c.m * x->c.n * 4))
			x->ok = 0;
	}
	return NULL;
}

TEST_F(mxuk, concurrent_tiles_share_the_pool)
{
	struct conc x[2];
	pthread_t th[2];

	for (int i = 0; i < 2; i++) {
		uint64_t seed = 77 + i;
		struct kcase c = { 256, 192, 320, 0, 0, 0, i, 0, D_RANDOM };
		uint64_t es = i ? 2 : 1;
		uint8_t *a, *b;

		x[i].e = i ? kenv_new() : self->e;
		ASSERT_NE(NULL, x[i].e);
		x[i].c = c;
		a = tla(x[i].e, SPAD + 2, c.m * c.k * es);
		b = tla(x[i].e, SPAD + KSPAD / 2 + 1, c.k * c.n * es);
		for (uint64_t j = 0; j < c.m * c.k * es; j++)
			a[j] = i ? (j & 1 ? 0x3f : (uint8_t)trand(&seed)) : (uint8_t)trand(&seed);
		for (uint64_t j = 0; j < c.k * c.n * es; j++)
			b[j] = i ? (j & 1 ? 0xbf : (uint8_t)trand(&seed)) : (uint8_t)trand(&seed);
		x[i].ref = calloc(c.m * c.n, 4);
		ASSERT_NE(NULL, x[i].ref);
		if (i)
			xref_matmul_bf16(c.m, c.k, c.n, (uint16_t *)a, c.k, (uint16_t *)b, c.n,
					 x[i].ref, c.n, 0);
		else
			xref_matmul_i8(c.m, c.k, c.n, (int8_t *)a, c.k, (int8_t *)b, c.n, x[i].ref,
				       c.n, 0);
	}
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, conc_run, &x[i]));
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	EXPECT_TRUE(x[0].ok);
	EXPECT_TRUE(x[1].ok);
	tenv_free(x[1].e);
	free(x[0].ref);
	free(x[1].ref);
}

/* abort: a long MATMUL (seconds on the portable level) stops soon after
 * the abort flag is raised, on every level and with the pool */
struct aborter {
	struct tenv *e;
	double raised;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *abort_later(void *v)
{
	struct aborter *ab = v;
	struct timespec d = { 0, 20 * 1000 * 1000 };

	nanosleep(&d, NULL);
	ab->raised = mono();
	__atomic_store_n(&ab->e->ctl.abort, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F(mxuk, abort_stops_a_long_matmul)
{
	struct tenv *e = self->e;
	/* 1024 x 4096 x 1024 int8: 4.3 G MACs */
	struct kcase c = { 1024, 4096, 1024, 0, 0, 0, 0, 0, D_RANDOM };

	for (int lv = 0; lv < XPU_MXU_NLEVELS; lv++) {
		for (int threads = 1; threads <= 2; threads++) {
			struct aborter ab = { e, 0 };
			pthread_t th;
			uint32_t st;
			double done, full;

			if (xpu_mxu_force_level(lv))
				continue;
			xpu_mxu_set_threads(threads);
			e->ctl.abort = 0;
			full = mono();
			ASSERT_EQ(0, pthread_create(&th, NULL, abort_later, &ab));
			st = run_case(e, &c);
			done = mono();
			pthread_join(th, NULL);
			e->ctl.abort = 0;
			if (st == XPU_JOB_STATUS_OK) {
				/* finished before the abort: only a fast level may */
				TH_LOG("level %s, %d threads: done in %.3f s before the abort",
				       xpu_mxu_level_name(lv), threads, done - full);
				EXPECT_LT(done - full, 0.5);
				continue;
			}
			EXPECT_EQ((uint32_t)XPU_JOB_STATUS_ABORTED, st);
			TH_LOG("level %s, %d threads: stopped %.1f ms after the abort",
			       xpu_mxu_level_name(lv), threads, (done - ab.raised) * 1e3);
			/* 10 ms is the goal on an idle host; allow a loaded one */
			EXPECT_LT(done - ab.raised, 0.25);
		}
	}
}

TEST_HARNESS_MAIN
