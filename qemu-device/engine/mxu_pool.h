/* SPDX-License-Identifier: MIT */
/*
 * One process-wide pool of worker threads for the matrix unit and the DMA
 * unit's large copies (see mxu_pool.c). A MATMUL or a DMA copy batch takes
 * the whole pool when it is free and otherwise runs on its caller's thread
 * alone: never blocks on another job, never deadlocks. Not a public API.
 */
#ifndef XPU_MXU_POOL_H
#define XPU_MXU_POOL_H

/* Try to take the pool: the number of workers now reserved for the caller
 * (0: pool busy, disabled or single CPU). want = the most workers useful. */
int xpu_pool_acquire(int want);
/* Each reserved worker runs fn(arg, index 1..n) once. */
void xpu_pool_launch(void (*fn)(void *arg, int index), void *arg);
/* Wait up to timeout_us for every launched worker to return: 1 = all done. */
int xpu_pool_wait(unsigned timeout_us);
/* The caller has run out of work for the launch: a worker that has not
 * started fn yet (not scheduled on a loaded host) never will, and
 * xpu_pool_wait() no longer waits for it, only for those inside fn. For
 * work that threads take from a shared counter. */
void xpu_pool_retract(void);
/* Give the pool back (after xpu_pool_wait returned 1). */
void xpu_pool_release(void);
/* Non-zero once the process is exiting: workers drop their work. */
int xpu_pool_quitting(void);
/* Threads the pool targets: XPU_ENGINE_THREADS, else the CPUs this process
 * may run on (>= 1, <= 64). n > 0 overrides it (test hook; the workers
 * already started are kept, only fewer are reserved). */
int xpu_pool_threads(void);
void xpu_pool_set_threads(int n);

#endif /* XPU_MXU_POOL_H */
