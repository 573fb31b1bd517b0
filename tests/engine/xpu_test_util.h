/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the engine tests (#included by each *_test.c): an HBM
 * image with page tables, a host-memory buffer behind host_read/host_write,
 * a tile, and a small program builder.
 */
#ifndef XPU_TEST_UTIL_H
#define XPU_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xpu_engine.h"
#include "xpu_pt.h"
#include "xpu_ref.h"

#define T_HBM_SIZE	(48ull << 20)
#define T_PT_END	(1ull << 20)		/* page tables in [0, 1 MiB) */
#define T_PROG_DPA	(1ull << 20)		/* program: 1 MiB, read-only */
#define T_PROG_VA	0x10000000ull
#define T_DATA_DPA	(2ull << 20)		/* data: rest of HBM, read-write */
#define T_DATA_VA	0x40000000ull
#define T_DATA_SIZE	(T_HBM_SIZE - T_DATA_DPA)
#define T_HOST_BUS	0x100000000ull		/* bus address of the host buffer */
#define T_HOST_SIZE	(1ull << 20)
#define T_MAX_INSNS	(1u << 16)
#define SPAD		0ull			/* local addresses */
#define ACC		XPU_LA_ACC

struct tenv {
	uint8_t *hbm;
	struct xpu_pt pt;
	struct xpu_mem mem;
	struct xpu_tile *t;
	uint32_t tlb_gen;
	uint8_t *host;
	int host_fail;
	uint64_t host_calls;
	uint64_t prog[T_MAX_INSNS];
	uint32_t n;
	struct xpu_run_ctl ctl;
	struct xpu_job_desc job;
	struct xpu_job_record rec;
	struct xpu_job_stats st;
};

static inline int t_host_read(void *opaque, uint64_t bus, void *buf, uint64_t len)
{
	struct tenv *e = opaque;

	__atomic_add_fetch(&e->host_calls, 1, __ATOMIC_RELAXED);
	if (e->host_fail || bus < T_HOST_BUS || bus - T_HOST_BUS > T_HOST_SIZE ||
	    len > T_HOST_SIZE - (bus - T_HOST_BUS))
		return -1;
	memcpy(buf, e->host + (bus - T_HOST_BUS), len);
	return 0;
}

static inline int t_host_write(void *opaque, uint64_t bus, const void *buf, uint64_t len)
{
	struct tenv *e = opaque;

	__atomic_add_fetch(&e->host_calls, 1, __ATOMIC_RELAXED);
	if (e->host_fail || bus < T_HOST_BUS || bus - T_HOST_BUS > T_HOST_SIZE ||
	    len > T_HOST_SIZE - (bus - T_HOST_BUS))
		return -1;
	memcpy(e->host + (bus - T_HOST_BUS), buf, len);
	return 0;
}

static inline struct tenv *tenv_new(const struct xpu_engine_config *cfg)
{
	struct tenv *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->hbm = calloc(1, T_HBM_SIZE);
	e->host = calloc(1, T_HOST_SIZE);
	if (!e->hbm || !e->host || xpu_pt_init(&e->pt, e->hbm, T_HBM_SIZE, 0, T_PT_END) ||
	    xpu_pt_map(&e->pt, T_PROG_VA, T_PROG_DPA, 1ull << 20, XPU_PTE_READ) ||
	    xpu_pt_map(&e->pt, T_DATA_VA, T_DATA_DPA, T_DATA_SIZE, XPU_PTE_READ | XPU_PTE_WRITE))
		goto fail;
	e->mem.hbm = e->hbm;
	e->mem.hbm_size = T_HBM_SIZE;
	e->mem.host_read = t_host_read;
	e->mem.host_write = t_host_write;
	e->mem.opaque = e;
	e->mem.tlb_gen = &e->tlb_gen;
	e->t = xpu_tile_new(cfg, &e->mem);
	if (!e->t)
		goto fail;
	return e;
fail:
	free(e->hbm);
	free(e->host);
	free(e);
	return NULL;
}

static inline void tenv_free(struct tenv *e)
{
	if (!e)
		return;
	xpu_tile_free(e->t);
	free(e->hbm);
	free(e->host);
	free(e);
}

/* data VA -> host pointer into the HBM image */
static inline uint8_t *tva(struct tenv *e, uint64_t va)
{
	return e->hbm + T_DATA_DPA + (va - T_DATA_VA);
}

static inline uint8_t *tla(struct tenv *e, uint64_t la, uint64_t len)
{
	return xpu_tile_sram(e->t, la, len);
}

static inline void E(struct tenv *e, uint64_t insn)
{
	if (e->n < T_MAX_INSNS)
		e->prog[e->n++] = insn;
}

/* load any 64-bit constant (1 or 2 instructions) */
static inline void LI64(struct tenv *e, uint32_t rd, uint64_t v)
{
	if ((uint64_t)(int64_t)(int32_t)v == v) {
		E(e, xpu_li(rd, (int32_t)v));
	} else {
		E(e, xpu_liu(rd, (uint32_t)v));
		E(e, xpu_lih(rd, (uint32_t)(v >> 32)));
	}
}

/* run the program built so far (prog_len = n * 8 unless len_override) */
static inline uint32_t tenv_run_len(struct tenv *e, uint32_t prog_len)
{
	memcpy(e->hbm + T_PROG_DPA, e->prog, (uint64_t)e->n * 8);
	memset(&e->job, 0, sizeof(e->job));
	e->job.op = XPU_JOB_EXEC;
	e->job.prog_va = T_PROG_VA;
	e->job.prog_len = prog_len;
	e->job.args_va = T_DATA_VA;
	e->job.args_len = 64;
	e->job.cookie = 0xc0ffee;
	return xpu_tile_run(e->t, e->pt.root, &e->job, &e->ctl, &e->rec, &e->st);
}

static inline uint32_t tenv_run(struct tenv *e)
{
	return tenv_run_len(e, e->n * 8);
}

static inline void tenv_clear(struct tenv *e)
{
	e->n = 0;
}

/* run one DMA program: dst, src, bytes, 2D rows and strides (0 = 1D) */
static inline uint32_t tdma(struct tenv *e, uint32_t f, uint64_t dst, uint64_t src,
			    uint64_t bytes, uint64_t rows, uint64_t ss, uint64_t ds)
{
	tenv_clear(e);
	LI64(e, 3, dst);
	LI64(e, 4, src);
	LI64(e, 5, bytes);
	LI64(e, 6, rows);
	LI64(e, 7, ss);
	LI64(e, 8, ds);
	E(e, xpu_dcfg(6, 7, 8));
	E(e, xpu_dma(f, 3, 4, 5));
	E(e, xpu_halt());
	return tenv_run(e);
}

/* one MATMUL's operands: shape, strides (0 = dense), local addresses, flags */
struct tmm {
	uint64_t m, k, n, lda, ldb, ldc;
	uint64_t la_a, la_b, la_c;
	uint32_t f;
};

/* run a program of one MATMUL described by c */
static inline uint32_t tenv_matmul(struct tenv *e, const struct tmm *c)
{
	tenv_clear(e);
	LI64(e, 3, c->m);
	LI64(e, 4, c->k);
	LI64(e, 5, c->n);
	E(e, xpu_mcfg(XPU_MCFG_SHAPE, 3, 4, 5));
	LI64(e, 3, c->lda);
	LI64(e, 4, c->ldb);
	LI64(e, 5, c->ldc);
	E(e, xpu_mcfg(XPU_MCFG_STRIDE, 3, 4, 5));
	LI64(e, 6, c->la_a);
	LI64(e, 7, c->la_b);
	LI64(e, 8, c->la_c);
	E(e, xpu_matmul(c->f, 8, 6, 7));
	E(e, xpu_halt());
	return tenv_run(e);
}

/* deterministic pseudo-random numbers */
static inline uint32_t trand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* random bf16 of moderate magnitude */
static inline uint16_t trand_bf16(uint64_t *s)
{
	uint32_t r = trand(s);
	float f = ((float)(r & 0xffff) - 32768.0f) / 8192.0f;

	return xref_f32_to_bf16(f);
}

#endif /* XPU_TEST_UTIL_H */
