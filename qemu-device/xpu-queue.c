/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * XPU hardware queues. Each queue is a ring of struct xpu_job_desc in device
 * physical memory with a head register (device) and a tail doorbell (driver).
 * Every queue has its own worker thread and compute tile: MMIO handlers only
 * record state and wake the worker, so a long job never holds the BQL or
 * blocks other queues. A worker raises the queue's MSI-X vector itself,
 * under the BQL, as soon as the completion is written: a bottom half would
 * add a wake-up of the main loop to every job's latency (docs/performance.md).
 *
 * QEMU 7.2 rules for the workers (docs/devel/rcu.txt): they call the memory
 * API, so they are registered RCU readers (rcu_register_thread()); every DMA
 * goes through address_space_rw(), which holds the RCU read lock for the
 * access, and is RAM only (xpu_dma_rw()), so a worker takes the BQL only to
 * raise an interrupt, or for a DMA when the device sits behind an IOMMU
 * (whose fault report raises an interrupt: xpu_dma_lock()), never with
 * q->lock held (MMIO handlers hold the BQL and take q->lock). Unplug drops
 * the BQL while it joins them.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/processor.h"
#include "qemu/rcu.h"
#include "qemu/timer.h"
#include "hw/pci/msix.h"
#include "sysemu/dma.h"
#include "xpu.h"
#include "xpu-exec.h"
#include "trace.h"

struct XpuQueue {
    XpuState *s;
    uint32_t idx;
    QemuThread thread;
    QemuMutex lock;
    QemuCond cond;
    QEMUBH *err_bh;

    /* registers and state, under lock */
    uint64_t ring_base;
    uint32_t ring_size;
    uint32_t head, tail;
    bool enabled, busy, error, exit;
    uint64_t fence_addr;
    uint64_t done_fence;
    /*
     * bumped by a queue or device reset: a running job that sees a new
     * generation when it ends must not post its completion
     */
    uint32_t gen;
    bool inject_hang;

    /* error to report from the worker, under lock */
    uint32_t pend_err_cause, pend_err_ctx, pend_err_access;
    uint64_t pend_err_va;

    XpuExec *exec;
    XpuRunCtl ctl; /* abort flag and progress, qatomic */
};

/* ---- device physical memory access (any thread) --------------------------- */

/* Rings, records and fences: HBM directly, host memory by bus-master DMA. */
static bool xpu_phys_read(XpuState *s, uint64_t dpa, void *buf, uint64_t len)
{
    if (dpa & XPU_DPA_HOST) {
        dma_addr_t a = dpa & ~XPU_DPA_HOST;

        return xpu_dma_rw(s, a, buf, len, DMA_DIRECTION_TO_DEVICE) ==
               MEMTX_OK;
    }
    if (dpa > s->hbm_size || len > s->hbm_size - dpa) {
        return false;
    }
    memcpy(buf, s->hbm_ptr + dpa, len);
    return true;
}

static bool xpu_phys_write(XpuState *s, uint64_t dpa, const void *buf,
                           uint64_t len)
{
    if (dpa & XPU_DPA_HOST) {
        dma_addr_t a = dpa & ~XPU_DPA_HOST;

        return xpu_dma_rw(s, a, (void *)buf, len,
                          DMA_DIRECTION_FROM_DEVICE) == MEMTX_OK;
    }
    if (dpa > s->hbm_size || len > s->hbm_size - dpa) {
        return false;
    }
    memcpy(s->hbm_ptr + dpa, buf, len);
    return true;
}

/* ---- interrupts (BQL held) ------------------------------------------------- */

static void xpu_queue_raise_irq(XpuQueue *q)
{
    if (msix_enabled(PCI_DEVICE(q->s))) {
        trace_xpu_msix(q->idx);
        msix_notify(PCI_DEVICE(q->s), q->idx);
    } else {
        trace_xpu_msix_disabled(q->idx);
    }
}

static void xpu_queue_err_bh(void *opaque)
{
    XpuQueue *q = opaque;
    uint32_t cause, ctx, access;
    uint64_t va;

    qemu_mutex_lock(&q->lock);
    cause = q->pend_err_cause;
    ctx = q->pend_err_ctx;
    access = q->pend_err_access;
    va = q->pend_err_va;
    q->pend_err_cause = 0;
    qemu_mutex_unlock(&q->lock);
    if (cause) {
        xpu_raise_error(q->s, cause, q->idx, ctx, access, va);
    }
}

/* Called with q->lock held. */
static void xpu_queue_post_error(XpuQueue *q, uint32_t cause, uint32_t ctx,
                                 uint32_t access, uint64_t va)
{
    q->pend_err_cause |= cause;
    q->pend_err_ctx = ctx;
    q->pend_err_access = access;
    q->pend_err_va = va;
    qemu_bh_schedule(q->err_bh);
}

/* ---- the worker ------------------------------------------------------------ */

static bool xpu_queue_runnable(XpuQueue *q)
{
    return q->enabled && !q->error && q->head != q->tail;
}

/*
 * Run one job outside the lock; fills rec. A descriptor the device rejects
 * is a guest error: the job completes with BAD_DESC or BAD_CTX.
 */
static void xpu_queue_run_job(XpuQueue *q, uint32_t slot,
                              const struct xpu_job_desc *d,
                              struct xpu_job_record *rec,
                              struct xpu_job_stats *st, bool hang)
{
    XpuState *s = q->s;
    const char *bad = NULL;
    uint64_t root;

    memset(rec, 0, sizeof(*rec));
    memset(st, 0, sizeof(*st));
    rec->cookie = d->cookie;
    if (hang) {
        /* Injected hang: never ends, never progresses, until aborted. */
        qemu_mutex_lock(&q->lock);
        while (!qatomic_read(&q->ctl.abort) && !q->exit) {
            qemu_cond_wait(&q->cond, &q->lock);
        }
        qemu_mutex_unlock(&q->lock);
        rec->status = XPU_JOB_STATUS_ABORTED;
        return;
    }
    if (qatomic_read(&s->fatal)) {
        rec->status = XPU_JOB_STATUS_ECC;
        return;
    }
    if ((d->flags & ~XPU_JOB_F_ALL) || d->rsvd0) {
        rec->status = XPU_JOB_STATUS_BAD_DESC;
        bad = "unknown flags or rsvd0 not zero";
    } else if (d->op == XPU_JOB_NOP) {
        rec->status = XPU_JOB_STATUS_OK;
    } else if (d->op != XPU_JOB_EXEC) {
        rec->status = XPU_JOB_STATUS_BAD_DESC;
        bad = "unknown op";
    } else if (d->ctx >= s->num_ctx) {
        rec->status = XPU_JOB_STATUS_BAD_DESC;
        bad = "ctx out of range";
    } else {
        /*
         * The root is read once: a reset may clear it at any time, and the
         * job runs with the value that was checked. A zero root means the
         * context has no page table.
         */
        root = qatomic_read(&s->ctx_root[d->ctx]);
        if (!root) {
            rec->status = XPU_JOB_STATUS_BAD_CTX;
            bad = "context root is 0";
        } else {
            xpu_exec_run(q->exec, root, d, &q->ctl, rec, st);
            if (rec->status == XPU_JOB_STATUS_BAD_DESC) {
                bad = "prog_len, args_len or alignment";
            }
        }
    }
    if (bad) {
        XPU_GUEST_ERR(xpu_err_desc, "queue %u slot %u: bad descriptor (%s): "
                      "op %u ctx %u flags 0x%x", q->idx, slot, bad, d->op,
                      d->ctx, d->flags);
    }
}

static void xpu_desc_to_cpu(struct xpu_job_desc *d)
{
    d->op = le32_to_cpu(d->op);
    d->ctx = le32_to_cpu(d->ctx);
    d->fence = le64_to_cpu(d->fence);
    d->prog_va = le64_to_cpu(d->prog_va);
    d->prog_len = le32_to_cpu(d->prog_len);
    d->flags = le32_to_cpu(d->flags);
    d->args_va = le64_to_cpu(d->args_va);
    d->args_len = le32_to_cpu(d->args_len);
    d->rsvd0 = le32_to_cpu(d->rsvd0);
    d->record = le64_to_cpu(d->record);
    d->cookie = le64_to_cpu(d->cookie);
}

/* Write the completion record and the fence. Called without q->lock. */
static void xpu_queue_post_completion(XpuQueue *q, const struct xpu_job_desc *d,
                                      const struct xpu_job_record *rec,
                                      const struct xpu_job_stats *st,
                                      uint64_t fence_addr)
{
    XpuState *s = q->s;
    bool rec_ok = true, fence_ok = true;

    /* the second half first: the first half (the status) completes it */
    if (d->record && (d->flags & XPU_JOB_F_UNIT_TIMES)) {
        struct xpu_job_record_units u = {
            .dma_busy = cpu_to_le64(st->dma_busy),
            .mxu_busy = cpu_to_le64(st->mxu_busy),
            .vpu_busy = cpu_to_le64(st->vpu_busy),
            .link_busy = cpu_to_le64(st->link_busy),
            .link_bytes = cpu_to_le64(st->link_bytes),
        };

        rec_ok = xpu_phys_write(s, d->record + sizeof(*rec), &u, sizeof(u));
    }

    if (d->record) {
        struct xpu_job_record le = {
            .status = cpu_to_le32(rec->status),
            .fault_access = cpu_to_le32(rec->fault_access),
            .cycles = cpu_to_le64(rec->cycles),
            .fault_va = cpu_to_le64(rec->fault_va),
            .retired = cpu_to_le64(rec->retired),
            .dma_bytes = cpu_to_le64(rec->dma_bytes),
            .macs = cpu_to_le64(rec->macs),
            .cookie = cpu_to_le64(rec->cookie),
        };
        rec_ok = rec_ok && xpu_phys_write(s, d->record, &le, sizeof(le));
    }
    if (fence_addr) {
        uint64_t f = cpu_to_le64(d->fence);

        fence_ok = xpu_phys_write(s, fence_addr, &f, sizeof(f));
    }
    if (!rec_ok || !fence_ok) {
        uint64_t dpa = rec_ok ? fence_addr : d->record;

        XPU_GUEST_ERR(xpu_err_completion, "queue %u: completion record or "
                      "fence write to DPA 0x%" PRIx64 " failed: queue error",
                      q->idx, dpa);
        qemu_mutex_lock(&q->lock);
        xpu_queue_post_error(q, XPU_ERR_QUEUE, d->ctx, XPU_ACCESS_WRITE,
                             rec_ok ? fence_addr : d->record);
        qemu_mutex_unlock(&q->lock);
    }
}

/*
 * After a completion the worker polls for the next doorbell this long
 * before it sleeps, as QEMU's IOThreads poll adaptively: a driver that
 * submits its next job right after the last one completed finds the worker
 * awake, without a host thread wake-up (tens of microseconds on a loaded
 * host: docs/performance.md). An idle queue sleeps.
 */
#define XPU_WORKER_POLL_NS (100 * 1000)

/*
 * Poll until @until (get_clock()) for a doorbell, a reset or exit. Called
 * and returns with q->lock held; polls without it (the MMIO handlers take
 * it to ring the doorbell).
 */
static void xpu_queue_poll(XpuQueue *q, int64_t until)
{
    uint32_t head = q->head, gen = q->gen;

    qemu_mutex_unlock(&q->lock);
    while (get_clock() < until && qatomic_read(&q->tail) == head &&
           qatomic_read(&q->gen) == gen && !qatomic_read(&q->exit)) {
        cpu_relax();
    }
    qemu_mutex_lock(&q->lock);
}

/*
 * The worker never holds q->lock across a memory access: a DMA to a
 * non-RAM address takes the BQL, and MMIO handlers (BQL held) take q->lock.
 * BUSY stays set until the completion is written, so a driver that stopped
 * or reset the queue waits for BUSY == 0 before reusing the memory.
 */
static void *xpu_queue_thread(void *opaque)
{
    XpuQueue *q = opaque;
    XpuState *s = q->s;
    int64_t poll_until = 0;

    rcu_register_thread();
    qemu_mutex_lock(&q->lock);
    while (!q->exit) {
        struct xpu_job_desc d;
        struct xpu_job_record rec;
        struct xpu_job_stats st;
        uint64_t slot, fence_addr;
        uint32_t gen, head;
        bool hang, ok;

        if (!xpu_queue_runnable(q)) {
            if (poll_until) {
                xpu_queue_poll(q, poll_until);
                poll_until = 0;
                continue;
            }
            qemu_cond_wait(&q->cond, &q->lock);
            continue;
        }
        head = q->head;
        slot = q->ring_base + (uint64_t)head * sizeof(d);
        gen = q->gen;
        fence_addr = q->fence_addr;
        hang = q->inject_hang;
        q->inject_hang = false;
        q->busy = true;
        qatomic_set(&q->ctl.abort, 0);
        qatomic_set(&q->ctl.retired, 0);
        qatomic_set(&q->ctl.work, 0);
        qemu_mutex_unlock(&q->lock);

        ok = xpu_phys_read(s, slot, &d, sizeof(d));
        if (ok) {
            xpu_desc_to_cpu(&d);
            trace_xpu_job_start(q->idx, head, d.op, d.ctx, d.fence, d.prog_va,
                                d.prog_len);
            xpu_queue_run_job(q, head, &d, &rec, &st, hang);
            qemu_mutex_lock(&q->lock);
            ok = gen == q->gen;     /* not reset while running */
            qemu_mutex_unlock(&q->lock);
            if (ok) {
                trace_xpu_job_end(q->idx, d.ctx, d.fence, rec.status,
                                  rec.cycles, rec.retired);
                xpu_queue_post_completion(q, &d, &rec, &st, fence_addr);
            } else {
                trace_xpu_job_dropped(q->idx, d.fence);
            }
        } else {
            XPU_GUEST_ERR(xpu_err_desc_read, "queue %u: descriptor at DPA 0x%"
                          PRIx64 " unreadable: queue error", q->idx, slot);
        }

        qemu_mutex_lock(&q->lock);
        q->busy = false;
        if (gen != q->gen) {
            /* reset while running: the job is gone without a trace */
            qemu_cond_broadcast(&q->cond);
            continue;
        }
        if (!ok) {
            /* the descriptor read failed (a dropped job has gen != q->gen) */
            q->error = true;
            xpu_queue_post_error(q, XPU_ERR_QUEUE, 0, XPU_ACCESS_READ, slot);
            continue;
        }
        /* counted only if no reset came in between */
        qatomic_add(&s->perf[XPU_PERF_JOBS], 1);
        qatomic_add(&s->perf[XPU_PERF_CYCLES], rec.cycles);
        qatomic_add(&s->perf[XPU_PERF_DMA_BUSY], st.dma_busy);
        qatomic_add(&s->perf[XPU_PERF_MXU_BUSY], st.mxu_busy);
        qatomic_add(&s->perf[XPU_PERF_VPU_BUSY], st.vpu_busy);
        qatomic_add(&s->perf[XPU_PERF_DMA_BYTES], st.dma_bytes);
        qatomic_add(&s->perf[XPU_PERF_MACS], st.macs);
        qatomic_add(&s->perf[XPU_PERF_LINK_BUSY], st.link_busy);
        qatomic_add(&s->perf[XPU_PERF_LINK_BYTES], st.link_bytes);
        if (rec.status == XPU_JOB_STATUS_MMU_FAULT) {
            trace_xpu_mmu_fault(q->idx, d.ctx, rec.fault_va, rec.fault_access);
            xpu_queue_post_error(q, XPU_ERR_MMU_FAULT, d.ctx,
                                 rec.fault_access, rec.fault_va);
        } else if (rec.status == XPU_JOB_STATUS_DMA_ERROR) {
            trace_xpu_dma_error(q->idx, d.ctx);
            xpu_queue_post_error(q, XPU_ERR_DMA, d.ctx, 0, 0);
        }
        q->done_fence = d.fence;
        q->head = (q->head + 1) & (q->ring_size - 1);
        if (rec.status == XPU_JOB_STATUS_ABORTED) {
            /* a stopped queue stays stopped until the driver enables it */
            q->enabled = false;
        }
        /* the interrupt, from here: BQL after q->lock, never under it */
        qemu_mutex_unlock(&q->lock);
        qemu_mutex_lock_iothread();
        if (!qatomic_read(&q->exit)) {
            xpu_queue_raise_irq(q);
        }
        qemu_mutex_unlock_iothread();
        qemu_mutex_lock(&q->lock);
        poll_until = get_clock() + XPU_WORKER_POLL_NS;
    }
    qemu_mutex_unlock(&q->lock);
    rcu_unregister_thread();
    return NULL;
}

/* ---- registers (BQL held) -------------------------------------------------- */

/* Abort the running job. Called with q->lock held. */
static void xpu_queue_abort(XpuQueue *q)
{
    qatomic_set(&q->ctl.abort, 1);
    qemu_cond_broadcast(&q->cond);
}

static void xpu_queue_reset_locked(XpuQueue *q)
{
    xpu_queue_abort(q);
    qatomic_inc(&q->gen);  /* read by a polling worker */
    q->enabled = false;
    q->error = false;
    q->head = q->tail = 0;
    q->ring_base = 0;
    q->ring_size = 0;
    q->fence_addr = 0;
    q->done_fence = 0;
    q->inject_hang = false;
    q->pend_err_cause = 0;
}

static bool xpu_ring_valid(XpuQueue *q)
{
    uint64_t bytes = (uint64_t)q->ring_size * sizeof(struct xpu_job_desc);

    if (q->ring_size < 2 || q->ring_size > 4096 ||
        !is_power_of_2(q->ring_size) || (q->ring_base & 63) ||
        q->head >= q->ring_size || q->tail >= q->ring_size) {
        return false;
    }
    if (!(q->ring_base & XPU_DPA_HOST)) {
        return q->ring_base < q->s->hbm_size &&
               bytes <= q->s->hbm_size - q->ring_base;
    }
    /* a host ring must not wrap out of the host half of the DPA space */
    return (q->ring_base & ~XPU_DPA_HOST) <= XPU_DPA_HOST - bytes;
}

uint32_t xpu_queue_reg_read(XpuState *s, uint32_t qi, uint32_t reg)
{
    XpuQueue *q = &s->queues[qi];
    uint32_t v = 0;

    qemu_mutex_lock(&q->lock);
    switch (reg) {
    case XPU_Q_RING_LO:
        v = q->ring_base;
        break;
    case XPU_Q_RING_HI:
        v = q->ring_base >> 32;
        break;
    case XPU_Q_RING_SIZE:
        v = q->ring_size;
        break;
    case XPU_Q_HEAD:
        v = q->head;
        break;
    case XPU_Q_TAIL:
        v = q->tail;
        break;
    case XPU_Q_CONTROL:
        v = q->enabled ? XPU_QCTL_ENABLE : 0;
        break;
    case XPU_Q_STATUS:
        v = (q->enabled ? XPU_QSTS_ENABLED : 0) |
            (q->busy ? XPU_QSTS_BUSY : 0) |
            (q->error ? XPU_QSTS_ERROR : 0);
        break;
    case XPU_Q_FENCE_LO:
        v = q->fence_addr;
        break;
    case XPU_Q_FENCE_HI:
        v = q->fence_addr >> 32;
        break;
    case XPU_Q_PROGRESS_LO:
        v = xpu_run_progress(&q->ctl);
        break;
    case XPU_Q_PROGRESS_HI:
        v = xpu_run_progress(&q->ctl) >> 32;
        break;
    case XPU_Q_DONE_FENCE_LO:
        v = q->done_fence;
        break;
    case XPU_Q_DONE_FENCE_HI:
        v = q->done_fence >> 32;
        break;
    default:
        XPU_GUEST_ERR(xpu_err_queue_reg_read, "queue %u: read of unknown "
                      "register 0x%x", qi, reg);
    }
    qemu_mutex_unlock(&q->lock);
    return v;
}

void xpu_queue_reg_write(XpuState *s, uint32_t qi, uint32_t reg, uint32_t val)
{
    XpuQueue *q = &s->queues[qi];
    bool doorbell = false;

    qemu_mutex_lock(&q->lock);
    switch (reg) {
    case XPU_Q_RING_LO:
    case XPU_Q_RING_HI:
    case XPU_Q_RING_SIZE:
    case XPU_Q_FENCE_LO:
    case XPU_Q_FENCE_HI:
        if (q->enabled || q->busy) {
            XPU_GUEST_ERR(xpu_err_queue_busy, "queue %u: ring or fence "
                          "register 0x%x = 0x%x written while enabled or "
                          "busy (ignored)", qi, reg, val);
            break;
        }
        if (reg == XPU_Q_RING_LO) {
            q->ring_base = deposit64(q->ring_base, 0, 32, val);
        } else if (reg == XPU_Q_RING_HI) {
            q->ring_base = deposit64(q->ring_base, 32, 32, val);
        } else if (reg == XPU_Q_RING_SIZE) {
            q->ring_size = val;
        } else if (reg == XPU_Q_FENCE_LO) {
            q->fence_addr = deposit64(q->fence_addr, 0, 32, val & ~7u);
        } else {
            q->fence_addr = deposit64(q->fence_addr, 32, 32, val);
        }
        break;
    case XPU_Q_TAIL:
        if (!q->ring_size || val >= q->ring_size) {
            XPU_GUEST_ERR(xpu_err_tail, "queue %u: tail %u out of range "
                          "(ring size %u): queue error", qi, val,
                          q->ring_size);
            q->error = true;
            xpu_raise_error(s, XPU_ERR_QUEUE, qi, 0, 0, 0);
            break;
        }
        trace_xpu_doorbell(qi, val, q->head);
        qatomic_set(&q->tail, val);  /* read by a polling worker */
        doorbell = true;
        break;
    case XPU_Q_CONTROL:
        if (val & ~(XPU_QCTL_ENABLE | XPU_QCTL_STOP | XPU_QCTL_RESET)) {
            XPU_GUEST_ERR(xpu_err_control, "queue %u: CONTROL 0x%x has "
                          "unknown bits", qi, val);
        }
        if (val & XPU_QCTL_RESET) {
            trace_xpu_queue_reset(qi, q->busy);
            xpu_queue_reset_locked(q);
            break;
        }
        if (val & XPU_QCTL_STOP) {
            trace_xpu_queue_stop(qi, q->busy);
            xpu_queue_abort(q);
            q->enabled = false;
            break;
        }
        if ((val & XPU_QCTL_ENABLE) && !q->enabled) {
            if (!xpu_ring_valid(q)) {
                XPU_GUEST_ERR(xpu_err_ring, "queue %u: bad ring base 0x%"
                              PRIx64 " or size %u at enable: queue error",
                              qi, q->ring_base, q->ring_size);
                q->error = true;
                xpu_raise_error(s, XPU_ERR_QUEUE, qi, 0, 0, q->ring_base);
                break;
            }
            trace_xpu_queue_enable(qi, q->ring_base, q->ring_size,
                                   q->fence_addr);
            q->error = false;
            q->enabled = true;
            qemu_cond_broadcast(&q->cond);
        } else if (!(val & XPU_QCTL_ENABLE) && q->enabled) {
            trace_xpu_queue_disable(qi);
            q->enabled = false;
        }
        break;
    default:
        XPU_GUEST_ERR(xpu_err_queue_reg_write, "queue %u: write of unknown "
                      "register 0x%x = 0x%x", qi, reg, val);
    }
    qemu_mutex_unlock(&q->lock);
    if (doorbell) {
        /*
         * Woken after the unlock: a worker woken under the lock would
         * first block on it again (one more host wake-up per job).
         */
        qemu_cond_broadcast(&q->cond);
    }
}

/* ---- global operations ----------------------------------------------------- */

void xpu_mmu_invalidate(XpuState *s, uint32_t ctx)
{
    /* The TLBs are small: any invalidation drops every context's entries. */
    qatomic_inc(&s->tlb_gen);
}

void xpu_inject(XpuState *s, uint32_t what, uint32_t qi)
{
    XpuQueue *q;

    if (qi >= s->num_queues) {
        XPU_GUEST_ERR(xpu_err_inject, "unknown injection %u or queue %u out "
                      "of range", what, qi);
        return;
    }
    trace_xpu_inject(what, qi);
    q = &s->queues[qi];
    switch (what) {
    case XPU_INJECT_HANG:
        qemu_mutex_lock(&q->lock);
        q->inject_hang = true;
        qemu_mutex_unlock(&q->lock);
        break;
    case XPU_INJECT_ECC:
        qatomic_set(&s->fatal, true);
        xpu_raise_error(s, XPU_ERR_ECC, qi, 0, 0, 0);
        break;
    case XPU_INJECT_DMA:
        xpu_exec_inject_dma_error(q->exec);
        break;
    default:
        XPU_GUEST_ERR(xpu_err_inject, "unknown injection %u or queue %u out "
                      "of range", what, qi);
    }
}

uint64_t xpu_perf_read(XpuState *s, uint32_t idx)
{
    return qatomic_read(&s->perf[idx]);
}

void xpu_queues_reset(XpuState *s)
{
    for (uint32_t i = 0; i < s->num_queues; i++) {
        XpuQueue *q = &s->queues[i];

        qemu_mutex_lock(&q->lock);
        xpu_queue_reset_locked(q);
        xpu_exec_reset(q->exec);
        qemu_mutex_unlock(&q->lock);
    }
    for (uint32_t i = 0; i < XPU_PERF_COUNT; i++) {
        qatomic_set(&s->perf[i], 0);
    }
}

bool xpu_queues_realize(XpuState *s, Error **errp)
{
    s->queues = g_new0(XpuQueue, s->num_queues);
    for (uint32_t i = 0; i < s->num_queues; i++) {
        XpuQueue *q = &s->queues[i];
        g_autofree char *name = g_strdup_printf("xpu-q%u", i);

        q->s = s;
        q->idx = i;
        qemu_mutex_init(&q->lock);
        qemu_cond_init(&q->cond);
        q->err_bh = qemu_bh_new_guarded(xpu_queue_err_bh, q,
                                        &DEVICE(s)->mem_reentrancy_guard);
        q->exec = xpu_exec_new(s, i);
        if (!q->exec) {
            error_setg(errp, "xpu: cannot allocate the SRAMs of queue %u", i);
            s->num_queues_live = i;
            xpu_queues_unrealize(s);
            return false;
        }
        qemu_thread_create(&q->thread, name, xpu_queue_thread, q,
                           QEMU_THREAD_JOINABLE);
    }
    s->num_queues_live = s->num_queues;
    return true;
}

/*
 * Stop and join every worker. Called with the BQL held (unrealize, or a
 * failed realize): a worker may be waiting for it (a DMA that reached a
 * device despite xpu_dma_rw(), e.g. a ram_device region), so it is dropped
 * around the joins. MMIO handlers that run meanwhile only see queues whose
 * locks and state are still valid; nothing is freed until it is taken back.
 */
static void xpu_queues_join(XpuState *s)
{
    bool bql = qemu_mutex_iothread_locked();

    for (uint32_t i = 0; i < s->num_queues_live; i++) {
        XpuQueue *q = &s->queues[i];

        qemu_mutex_lock(&q->lock);
        qatomic_set(&q->exit, true);
        xpu_queue_abort(q);
        qemu_mutex_unlock(&q->lock);
    }
    if (bql) {
        qemu_mutex_unlock_iothread();
    }
    for (uint32_t i = 0; i < s->num_queues_live; i++) {
        XpuQueue *q = &s->queues[i];

        /* never the current thread: a worker does not unplug its device */
        if (!qemu_thread_is_self(&q->thread)) {
            qemu_thread_join(&q->thread);
        }
    }
    if (bql) {
        qemu_mutex_lock_iothread();
    }
}

void xpu_queues_unrealize(XpuState *s)
{
    xpu_queues_join(s);
    for (uint32_t i = 0; i < s->num_queues_live; i++) {
        XpuQueue *q = &s->queues[i];

        qemu_bh_delete(q->err_bh);
        xpu_exec_free(q->exec);
        qemu_cond_destroy(&q->cond);
        qemu_mutex_destroy(&q->lock);
    }
    if (s->queues && s->num_queues_live < s->num_queues) {
        /* the queue whose exec failed: its lock, cond and BH exist */
        XpuQueue *q = &s->queues[s->num_queues_live];

        qemu_bh_delete(q->err_bh);
        qemu_cond_destroy(&q->cond);
        qemu_mutex_destroy(&q->lock);
    }
    s->num_queues_live = 0;
    g_free(s->queues);
    s->queues = NULL;
}
