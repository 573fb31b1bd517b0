// SPDX-License-Identifier: MIT
/*
 * Engine thread pool (matrix unit, DMA copy batches): plain pthreads, no
 * QEMU state. One pool per process, created lazily by the first MATMUL or
 * DMA large enough to split, with (threads - 1) workers: the job's own
 * thread is the remaining one. Workers only compute or copy between
 * pointers their caller handed them (in QEMU: memory already mapped by the
 * job's thread, which also unmaps it after the wait).
 *
 * Sharing: several tiles (device queues, runtime streams) may run MATMULs
 * and DMAs at once. A job takes the whole pool with a non-blocking test of
 * 'busy' and gives it back when its workers have returned; a job that
 * finds the pool busy runs on its own thread only. Nobody waits for the
 * pool, so there is no lock order and no deadlock; workers never wait for
 * anything but new work. A caller whose work ran out before a worker even
 * started (a loaded host) retracts the launch instead of waiting for that
 * worker to be scheduled. A destructor (exit or dlclose) stops and joins
 * the workers; a forked child starts with no pool (workers do not survive
 * fork) and builds its own on demand.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>
#include "mxu_pool.h"

#define POOL_MAX	64

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_work;	/* workers: a new generation */
static pthread_cond_t pool_done;	/* caller: running reached 0 */
static pthread_t pool_tid[POOL_MAX];
static unsigned long pool_seen0[POOL_MAX];	/* generation at creation */
static int pool_created;		/* workers started (indexes 1..created) */
static int pool_reserved;		/* workers taking part in this launch */
static int pool_running;		/* launched workers not yet returned */
static int pool_started;		/* workers that entered fn in this launch */
static int pool_retracted;		/* this launch is closed to the others */
static int pool_busy;
static int pool_quit;
static int pool_target;			/* threads wanted, 0 = not computed */
static unsigned long pool_gen;
static void (*pool_fn)(void *, int);
static void *pool_arg;

static void pool_conds_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool_work, NULL);
	pthread_cond_init(&pool_done, &ca);
	pthread_condattr_destroy(&ca);
}

static void pool_atfork_child(void)
{
	pthread_mutex_init(&pool_lock, NULL);
	pool_conds_init();
	pool_created = pool_reserved = pool_running = pool_busy = pool_quit = 0;
}

static void pool_init(void)
{
	pool_conds_init();
	pthread_atfork(NULL, NULL, pool_atfork_child);
}

static void *pool_worker(void *opaque)
{
	int index = (int)(intptr_t)opaque;
	unsigned long seen;

	pthread_mutex_lock(&pool_lock);
	seen = pool_seen0[index - 1];
	for (;;) {
		void (*fn)(void *, int);
		void *arg;

		while (pool_gen == seen && !pool_quit)
			pthread_cond_wait(&pool_work, &pool_lock);
		if (pool_quit) {
			/* a launch this worker will not run: the caller waiting
			 * in xpu_pool_wait() must not wait for it */
			if (pool_gen != seen && index <= pool_reserved &&
			    !pool_retracted && --pool_running == 0)
				pthread_cond_broadcast(&pool_done);
			break;
		}
		seen = pool_gen;
		if (index > pool_reserved || pool_retracted)
			continue;	/* not ours, or retracted: already uncounted */
		pool_started++;
		fn = pool_fn;
		arg = pool_arg;
		pthread_mutex_unlock(&pool_lock);
		fn(arg, index);
		pthread_mutex_lock(&pool_lock);
		if (--pool_running == 0)
			pthread_cond_broadcast(&pool_done);
	}
	pthread_mutex_unlock(&pool_lock);
	return NULL;
}

static int pool_default_threads(void)
{
	const char *s = getenv("XPU_ENGINE_THREADS");
	cpu_set_t set;
	int n = 0;

	if (s && *s) {
		char *end;
		long v = strtol(s, &end, 10);

		if (*end == 0 && v >= 1)
			n = v > POOL_MAX ? POOL_MAX : (int)v;
	}
	if (!n && sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return n > POOL_MAX ? POOL_MAX : n;
}

int xpu_pool_threads(void)
{
	int n;

	pthread_mutex_lock(&pool_lock);
	if (!pool_target)
		pool_target = pool_default_threads();
	n = pool_target;
	pthread_mutex_unlock(&pool_lock);
	return n;
}

void xpu_pool_set_threads(int n)
{
	pthread_mutex_lock(&pool_lock);
	pool_target = n > 0 ? (n > POOL_MAX ? POOL_MAX : n) : 0;
	pthread_mutex_unlock(&pool_lock);
}

int xpu_pool_acquire(int want)
{
	int n;

	pthread_once(&pool_once, pool_init);
	pthread_mutex_lock(&pool_lock);
	if (pool_busy || pool_quit) {
		pthread_mutex_unlock(&pool_lock);
		return 0;
	}
	if (!pool_target)
		pool_target = pool_default_threads();
	if (want > pool_target - 1)
		want = pool_target - 1;
	while (pool_created < want) {
		pthread_attr_t at;
		int rc;

		pool_seen0[pool_created] = pool_gen;
		pthread_attr_init(&at);
		pthread_attr_setstacksize(&at, 256 << 10);
		rc = pthread_create(&pool_tid[pool_created], &at, pool_worker,
				    (void *)(intptr_t)(pool_created + 1));
		pthread_attr_destroy(&at);
		if (rc)
			break;		/* run with the workers we have */
		pool_created++;
	}
	n = want < pool_created ? want : pool_created;
	if (n > 0) {
		pool_busy = 1;
		pool_reserved = n;
	}
	pthread_mutex_unlock(&pool_lock);
	return n > 0 ? n : 0;
}

void xpu_pool_launch(void (*fn)(void *arg, int index), void *arg)
{
	pthread_mutex_lock(&pool_lock);
	pool_fn = fn;
	pool_arg = arg;
	pool_running = pool_reserved;
	pool_started = 0;
	pool_retracted = 0;
	pool_gen++;
	pthread_cond_broadcast(&pool_work);
	pthread_mutex_unlock(&pool_lock);
}

int xpu_pool_wait(unsigned timeout_us)
{
	struct timespec ts;
	int done;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)(timeout_us % 1000000) * 1000;
	ts.tv_sec += timeout_us / 1000000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_mutex_lock(&pool_lock);
	while (pool_running > 0)
		if (pthread_cond_timedwait(&pool_done, &pool_lock, &ts) == ETIMEDOUT)
			break;
	done = pool_running == 0;
	pthread_mutex_unlock(&pool_lock);
	return done;
}

void xpu_pool_retract(void)
{
	pthread_mutex_lock(&pool_lock);
	if (!pool_retracted) {
		pool_retracted = 1;
		/* those not started will skip the launch: count only the others */
		pool_running -= pool_reserved - pool_started;
		if (pool_running <= 0) {
			pool_running = 0;
			pthread_cond_broadcast(&pool_done);
		}
	}
	pthread_mutex_unlock(&pool_lock);
}

void xpu_pool_release(void)
{
	pthread_mutex_lock(&pool_lock);
	pool_busy = 0;
	pool_reserved = 0;
	pthread_mutex_unlock(&pool_lock);
}

int xpu_pool_quitting(void)
{
	return __atomic_load_n(&pool_quit, __ATOMIC_RELAXED);
}

__attribute__((destructor)) static void pool_fini(void)
{
	int i, n;

	pthread_mutex_lock(&pool_lock);
	__atomic_store_n(&pool_quit, 1, __ATOMIC_RELAXED);
	n = pool_created;
	if (n)
		pthread_cond_broadcast(&pool_work);
	pthread_mutex_unlock(&pool_lock);
	for (i = 0; i < n; i++)
		pthread_join(pool_tid[i], NULL);
	pthread_mutex_lock(&pool_lock);
	pool_created = 0;
	pool_running = 0;	/* no worker is left to run a launch */
	pthread_cond_broadcast(&pool_done);
	pthread_mutex_unlock(&pool_lock);
}
