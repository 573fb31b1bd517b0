// SPDX-License-Identifier: MIT
/*
 * Matrix unit host driver: runs one MATMUL on the fastest kernel level the
 * host supports (mxu_kern.h), split over the engine's thread pool.
 *
 * Split: C is cut into a grid of tasks of level->mc rows x level->nc
 * columns (smaller when that gives the threads too few tasks). Threads
 * take tasks in index order from an atomic counter; a task computes its
 * whole C tile, k block after k block in ascending k, so each output is
 * computed by exactly one thread in the documented order and the result
 * does not depend on the thread count or on who ran what (workers also
 * run with the caller's MXCSR). Only MATMULs of at least 4M MACs use the
 * pool. Sharing: one process-wide pool (mxu_pool.c) of (threads - 1)
 * workers; a job takes all of it when it is free, else runs on its own
 * thread alone; nobody ever waits for the pool.
 *
 * Levels: portable C, AVX2+FMA, AVX-512 (F/BW/VL/VNNI), AMX (int8; bf16
 * then uses the AVX-512 kernel), detected with __builtin_cpu_supports (and
 * for AMX the kernel's permission), capped by XPU_ENGINE_ISA.
 *
 * Abort and progress: kernels poll between strips (at most 16M MACs:
 * tens of microseconds on the SIMD levels, 1M MACs and about a millisecond
 * on the portable one). The job's own thread checks
 * the run_ctl abort flag there and raises 'stop', which the workers see at
 * their next poll; while waiting for workers it wakes every millisecond to
 * poll too. It also publishes progress (ctl->work) in proportion to the
 * MACs done, in the same number of units the reference blocked kernel
 * used (one per 64-column x 256-k panel and per 4096 rows of one), so the
 * PROGRESS register reads the same as before for every shape.
 */
#include <pthread.h>
#include <stdlib.h>
#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "engine_int.h"
#include "numerics.h"
#include "mxu_kern.h"
#include "mxu_pool.h"

#define MM_THREAD_MIN_MACS	(1ull << 22)	/* smaller: caller thread only */
#define MM_WAIT_POLL_US		1000

/* ---- level selection ---- */

static const struct xpu_mxu_level *const levels[XPU_MXU_NLEVELS] = {
	[XPU_MXU_PORTABLE] = &xpu_mxu_portable,
#if defined(__x86_64__) && defined(__GNUC__)
	[XPU_MXU_AVX2] = &xpu_mxu_avx2,
	[XPU_MXU_AVX512] = &xpu_mxu_avx512,
	[XPU_MXU_AMX] = &xpu_mxu_amx,
#endif
};

/* Linux: ask once for the AMX tile data state (process-wide permission) */
static int amx_permitted(void)
{
#if defined(__x86_64__) && defined(__linux__) && defined(SYS_arch_prctl)
	static int state;	/* 0 unknown, 1 granted, -1 refused */
	int s = __atomic_load_n(&state, __ATOMIC_RELAXED);

	if (!s) {
		/* ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA */
		s = syscall(SYS_arch_prctl, 0x1023, 18) == 0 ? 1 : -1;
		__atomic_store_n(&state, s, __ATOMIC_RELAXED);
	}
	return s == 1;
#else
	return 0;
#endif
}

static int level_forced = -1;
static int level_auto = -1;

static int host_supports(int level)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	switch (level) {
	case XPU_MXU_PORTABLE:
		return 1;
	case XPU_MXU_AVX2:
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	case XPU_MXU_AVX512:
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
		       __builtin_cpu_supports("fma");
	case XPU_MXU_AMX:
		return host_supports(XPU_MXU_AVX512) && __builtin_cpu_supports("amx-tile") &&
		       __builtin_cpu_supports("amx-int8") && amx_permitted();
	}
	return 0;
#else
	return level == XPU_MXU_PORTABLE;
#endif
}

const char *xpu_mxu_level_name(int level)
{
	static const char *const names[XPU_MXU_NLEVELS] = { "portable", "avx2", "avx512", "amx" };

	return level >= 0 && level < XPU_MXU_NLEVELS ? names[level] : "?";
}

int xpu_mxu_level(void)
{
	int l = __atomic_load_n(&level_forced, __ATOMIC_RELAXED);

	if (l >= 0)
		return l;
	l = __atomic_load_n(&level_auto, __ATOMIC_RELAXED);
	if (l < 0) {
		const char *env = getenv("XPU_ENGINE_ISA");
		int want = XPU_MXU_NLEVELS - 1;

		for (int i = 0; env && i < XPU_MXU_NLEVELS; i++)
			if (!strcmp(env, xpu_mxu_level_name(i)))
				want = i;
		for (l = want; l > 0 && !(levels[l] && host_supports(l)); l--)
			;
		__atomic_store_n(&level_auto, l, __ATOMIC_RELAXED);
	}
	return l;
}

int xpu_mxu_force_level(int level)
{
	if (level >= XPU_MXU_NLEVELS || (level >= 0 && !(levels[level] && host_supports(level))))
		return -1;
	__atomic_store_n(&level_forced, level, __ATOMIC_RELAXED);
	return 0;
}

void xpu_mxu_set_threads(int n)
{
	xpu_pool_set_threads(n);
}

/* ---- per-thread scratch (freed when the thread exits) ---- */

struct scratch {
	size_t size;
	void *buf;
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_free(void *v)
{
	struct scratch *s = v;

	free(s->buf);
	free(s);
}

static void scratch_init(void)
{
	scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* At exit or dlclose: free this thread's scratch and delete the key, so
 * that no thread exiting later calls scratch_free() in unmapped code
 * (other threads' scratch is then leaked, not freed from a dead library). */
__attribute__((destructor)) static void scratch_fini(void)
{
	struct scratch *s;

	if (!scratch_key_ok)
		return;
	scratch_key_ok = 0;
	s = pthread_getspecific(scratch_key);
	if (s) {
		pthread_setspecific(scratch_key, NULL);
		scratch_free(s);
	}
	pthread_key_delete(scratch_key);
}

static void *scratch_get(size_t n)
{
	struct scratch *s;

	pthread_once(&scratch_once, scratch_init);
	if (!scratch_key_ok)
		return NULL;
	s = pthread_getspecific(scratch_key);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s || pthread_setspecific(scratch_key, s)) {
			free(s);
			return NULL;
		}
	}
	if (s->size < n) {
		void *b = NULL;

		if (posix_memalign(&b, 64, n))
			return NULL;
		free(s->buf);
		s->buf = b;
		s->size = n;
	}
	return s->buf;
}

/* ---- the job ---- */

struct gemm_job {
	struct xpu_tile *t;
	const struct xpu_mm *p;
	const struct xpu_mxu_level *lv;
	int (*block)(const struct xpu_mm_block *b);
	int bf16;
	uint64_t mc, nc, nt, ntasks;
	uint64_t next;			/* atomic: next task index */
	int stop;			/* atomic: non-zero = abort status */
	uint64_t macs_done;		/* atomic */
	uint64_t macs_total;
	uint64_t units_total, units_done;	/* progress (caller only) */
	unsigned int mxcsr;		/* the caller's SSE rounding / denormal mode */
};

struct job_poll {
	struct xpu_mm_poll pl;
	struct gemm_job *j;
};

static int worker_poll(struct xpu_mm_poll *pl, uint64_t macs)
{
	struct gemm_job *j = ((struct job_poll *)pl)->j;

	__atomic_add_fetch(&j->macs_done, macs, __ATOMIC_RELAXED);
	if (xpu_pool_quitting())
		return XPU_JOB_STATUS_ABORTED;
	return __atomic_load_n(&j->stop, __ATOMIC_RELAXED);
}

/* the job's thread: publish progress, check the run_ctl */
static int caller_check(struct gemm_job *j)
{
	struct xpu_tile *t = j->t;
	int rc;

	if (!t->ctl) {
		if (xpu_pool_quitting())	/* the process is exiting */
			__atomic_store_n(&j->stop, XPU_JOB_STATUS_ABORTED, __ATOMIC_RELAXED);
		return __atomic_load_n(&j->stop, __ATOMIC_RELAXED);
	}
	if (j->macs_total) {
		uint64_t done = __atomic_load_n(&j->macs_done, __ATOMIC_RELAXED);
		uint64_t due = (uint64_t)((unsigned __int128)j->units_total * done / j->macs_total);

		if (due > j->units_total)
			due = j->units_total;
		if (due > j->units_done) {
			t->work += due - j->units_done;
			j->units_done = due;
			__atomic_store_n(&t->ctl->work, t->work, __ATOMIC_RELEASE);
		}
	}
	if (__atomic_load_n(&t->ctl->abort, __ATOMIC_ACQUIRE) || xpu_pool_quitting())
		__atomic_store_n(&j->stop, XPU_JOB_STATUS_ABORTED, __ATOMIC_RELAXED);
	rc = __atomic_load_n(&j->stop, __ATOMIC_RELAXED);
	return rc;
}

static int caller_poll(struct xpu_mm_poll *pl, uint64_t macs)
{
	struct gemm_job *j = ((struct job_poll *)pl)->j;

	__atomic_add_fetch(&j->macs_done, macs, __ATOMIC_RELAXED);
	return caller_check(j);
}

static void canon_tile(const struct xpu_mm *p, uint64_t m0, uint64_t m1, uint64_t n0, uint64_t n1)
{
	for (uint64_t m = m0; m < m1; m++) {
		uint8_t *crow = p->c + m * p->ldc;

		for (uint64_t n = n0; n < n1; n++)
			if (xpu_f32_isnan(xpu_u2f(xpu_ld32(crow + n * 4))))
				xpu_st32(crow + n * 4, XPU_F32_CANON_NAN);
	}
}

static int run_task(struct gemm_job *j, uint64_t idx, void *scratch, struct xpu_mm_poll *pl)
{
	const struct xpu_mm *p = j->p;
	struct xpu_mm_block b = { .p = p, .scratch = scratch, .poll = pl };
	uint64_t kc = j->lv->kc;
	int rc;

	b.m0 = (idx / j->nt) * j->mc;
	b.n0 = (idx % j->nt) * j->nc;
	b.m1 = p->m - b.m0 < j->mc ? p->m : b.m0 + j->mc;
	b.n1 = p->n - b.n0 < j->nc ? p->n : b.n0 + j->nc;
	for (b.k0 = 0; b.k0 < p->k; b.k0 = b.k1) {
		b.k1 = p->k - b.k0 < kc ? p->k : b.k0 + kc;
		b.first = b.k0 == 0 && !p->acc;
		b.last = b.k1 == p->k;
		if ((rc = j->block(&b)))
			return rc;
	}
	if (j->bf16 && (!j->lv->bf16_canon || p->k == 0))
		canon_tile(p, b.m0, b.m1, b.n0, b.n1);
	return 0;
}

static void run_tasks(struct gemm_job *j, void *scratch, struct xpu_mm_poll *pl)
{
	for (;;) {
		uint64_t idx;
		int rc;

		if (pl->fn(pl, 0))
			return;
		idx = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		if (idx >= j->ntasks)
			return;
		if ((rc = run_task(j, idx, scratch, pl))) {
			__atomic_store_n(&j->stop, rc, __ATOMIC_RELAXED);
			return;
		}
	}
}

static void worker_main(void *arg, int index)
{
	struct gemm_job *j = arg;
	struct job_poll jp = { { worker_poll }, j };
	void *scratch = scratch_get(j->lv->scratch_bytes);
#if defined(__x86_64__) && defined(__GNUC__)
	/* compute exactly as the job's own thread would */
	unsigned int saved = __builtin_ia32_stmxcsr();

	__builtin_ia32_ldmxcsr(j->mxcsr);
#endif
	(void)index;
	if (scratch)
		run_tasks(j, scratch, &jp.pl);
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_ia32_ldmxcsr(saved);
#endif
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

int xpu_mxu_gemm(struct xpu_tile *t, const struct xpu_mm *p, int bf16)
{
	struct gemm_job j = { .t = t, .p = p, .bf16 = bf16 };
	struct job_poll jp = { { caller_poll }, &j };
	void *scratch;
	int workers = 0, threads, rc;

	for (int l = xpu_mxu_level(); l >= 0; l--) {
		j.lv = levels[l];
		if (j.lv && (bf16 ? j.lv->bf16 : j.lv->int8))
			break;
	}
	scratch = scratch_get(j.lv->scratch_bytes);
	if (!scratch) {
		/* out of memory: the portable kernel in the tile's own buffer */
		j.lv = &xpu_mxu_portable;
		scratch = bf16 ? (void *)t->mm_f : (void *)t->mm_i;
	}
	j.block = bf16 ? j.lv->bf16 : j.lv->int8;
	j.mc = j.lv->mc;
	j.nc = j.lv->nc;
	j.macs_total = p->m * p->k * p->n;
	j.units_total = ceil_div(p->n, XPU_MM_NB) * ceil_div(p->k, XPU_MM_KB) * (1 + p->m / 4096);
	threads = j.macs_total >= MM_THREAD_MIN_MACS ? xpu_pool_threads() : 1;
	/* enough tasks for the threads to balance (4 each), not too thin */
	while (threads > 1 && ceil_div(p->m, j.mc) * ceil_div(p->n, j.nc) < 4u * threads &&
	       j.mc >= 96)
		j.mc /= 2;
	j.nt = ceil_div(p->n, j.nc);
	j.ntasks = ceil_div(p->m, j.mc) * j.nt;
	if (threads > 1 && j.ntasks > 1)
		workers = xpu_pool_acquire((int)(j.ntasks - 1 < (uint64_t)threads - 1 ?
						 j.ntasks - 1 : (uint64_t)threads - 1));
#if defined(__x86_64__) && defined(__GNUC__)
	j.mxcsr = __builtin_ia32_stmxcsr();
#endif
	if (workers)
		xpu_pool_launch(worker_main, &j);
	run_tasks(&j, scratch, &jp.pl);
	if (workers) {
		while (!xpu_pool_wait(MM_WAIT_POLL_US))
			caller_check(&j);
		xpu_pool_release();
	}
	rc = caller_check(&j);
	if (rc)
		return rc;
	if (t->ctl && j.units_done < j.units_total) {
		t->work += j.units_total - j.units_done;
		__atomic_store_n(&t->ctl->work, t->work, __ATOMIC_RELEASE);
	}
	return 0;
}
