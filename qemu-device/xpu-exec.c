/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * XPU: runs EXEC jobs on a queue's compute tile. The tile reaches HBM
 * through a direct pointer (zero copy) and host memory through the PCI
 * bus-master address space, so every host access honours bus mastering and
 * can only reach guest RAM: a DMA aimed at MMIO or a hole fails (DMA_ERROR
 * for the job) instead of dispatching to a device, which would need the BQL.
 */

#include "qemu/osdep.h"
#include "sysemu/dma.h"
#include "xpu.h"
#include "xpu-exec.h"
#include "trace.h"

struct XpuExec {
    XpuState *s;
    uint32_t queue;
    struct xpu_tile *tile;
    struct xpu_mem mem;
    bool fail_next_dma; /* qatomic: error injection */
    bool reset_pending; /* qatomic: tile reset before the next job */
    uint32_t last_ctx;  /* worker thread only */
};

/*
 * Host memory by bus-master DMA, RAM only (xpu_dma_rw()): runs on the
 * queue's worker thread, which is an RCU reader (see xpu-queue.c).
 */
static int xpu_exec_host_rw(XpuExec *e, uint64_t addr, void *buf,
                            uint64_t len, DMADirection dir)
{
    MemTxResult r;

    if (qatomic_xchg(&e->fail_next_dma, false)) {
        return -1;
    }
    r = xpu_dma_rw(e->s, addr, buf, len, dir);
    if (r != MEMTX_OK) {
        XPU_GUEST_ERR(xpu_err_dma, "queue %u: DMA %s of %" PRIu64 " bytes at "
                      "bus address 0x%" PRIx64 " failed (0x%x: not RAM, or "
                      "bus mastering off): DMA error", e->queue,
                      dir == DMA_DIRECTION_TO_DEVICE ? "read" : "write", len,
                      addr, r);
        return -1;
    }
    return 0;
}

static int xpu_exec_host_read(void *opaque, uint64_t addr, void *buf,
                              uint64_t len)
{
    return xpu_exec_host_rw(opaque, addr, buf, len, DMA_DIRECTION_TO_DEVICE);
}

static int xpu_exec_host_write(void *opaque, uint64_t addr, const void *buf,
                               uint64_t len)
{
    return xpu_exec_host_rw(opaque, addr, (void *)buf, len,
                            DMA_DIRECTION_FROM_DEVICE);
}

XpuExec *xpu_exec_new(XpuState *s, uint32_t queue)
{
    XpuExec *e = g_new0(XpuExec, 1);
    struct xpu_engine_config cfg = {
        .rows = s->rows,
        .cols = s->cols,
        .spad_bytes = s->spad_kib * 1024,
        .acc_bytes = s->acc_kib * 1024,
        .clock_mhz = s->clock_mhz,
        .hbm_gbps = s->hbm_gbps,
        .dma_latency_cycles = 500,
    };

    e->s = s;
    e->queue = queue;
    e->last_ctx = UINT32_MAX;
    e->mem.hbm = s->hbm_ptr;
    e->mem.hbm_size = s->hbm_size;
    e->mem.host_read = xpu_exec_host_read;
    e->mem.host_write = xpu_exec_host_write;
    e->mem.opaque = e;
    e->mem.tlb_gen = &s->tlb_gen;
    e->tile = xpu_tile_new(&cfg, &e->mem);
    if (!e->tile) {
        g_free(e);
        return NULL;
    }
    return e;
}

void xpu_exec_free(XpuExec *e)
{
    if (!e) {
        return;
    }
    xpu_tile_free(e->tile);
    g_free(e);
}

/* The worker may be running a job: the tile is reset before its next one. */
void xpu_exec_reset(XpuExec *e)
{
    qatomic_set(&e->fail_next_dma, false);
    qatomic_set(&e->reset_pending, true);
}

void xpu_exec_inject_dma_error(XpuExec *e)
{
    qatomic_set(&e->fail_next_dma, true);
}

void xpu_exec_run(XpuExec *e, uint64_t pt_root, const struct xpu_job_desc *d,
                  XpuRunCtl *ctl, struct xpu_job_record *rec,
                  struct xpu_job_stats *st)
{
    /*
     * SRAM contents never pass from one context to another, nor from one
     * owner of a context id to the next (the driver asks with CLEAR_SRAM).
     */
    if (qatomic_xchg(&e->reset_pending, false) || d->ctx != e->last_ctx ||
        (d->flags & XPU_JOB_F_CLEAR_SRAM)) {
        xpu_tile_reset(e->tile);
        e->last_ctx = d->ctx;
    }
    xpu_tile_run(e->tile, pt_root, d, ctl, rec, st);
}
