/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * XPU device model: state shared by the PCIe glue (xpu.c) and the hardware
 * queues (xpu-queue.c).
 */
#ifndef HW_MISC_XPU_H
#define HW_MISC_XPU_H

#include "hw/pci/pci.h"
#include "qemu/log.h"
#include "qemu/thread.h"
#include "qom/object.h"
#include "xpu_hw.h"

#define TYPE_XPU "xpu"
OBJECT_DECLARE_SIMPLE_TYPE(XpuState, XPU)

typedef struct XpuQueue XpuQueue;

/*
 * Bad guest programming the device detects (register, descriptor, ring):
 * the trace point xpu_err_* (-trace 'xpu_err_*') and one LOG_GUEST_ERROR
 * line (-d guest_errors), as hw/nvme's NVME_GUEST_ERR. The device never
 * crashes on it; what it does instead is in docs/hardware.md.
 */
#define XPU_GUEST_ERR(trace, fmt, ...) \
    do { \
        (trace_##trace)(__VA_ARGS__); \
        qemu_log_mask(LOG_GUEST_ERROR, #trace " in %s: " fmt "\n", \
                      __func__, ## __VA_ARGS__); \
    } while (0)

struct XpuState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    MemoryRegion hbm;
    uint8_t *hbm_ptr;

    /* properties */
    uint64_t hbm_size;
    uint32_t rows, cols;
    uint32_t num_queues;
    uint32_t num_ctx;
    uint32_t clock_mhz;
    uint32_t hbm_gbps;
    uint32_t spad_kib, acc_kib;

    /* global registers, accessed under the BQL */
    uint32_t scratch;
    uint32_t err_status, err_queue, err_ctx, err_access;
    uint64_t err_va;
    uint64_t ctx_root[XPU_MAX_CTX];

    /* shared with queue workers: qatomic accesses only */
    uint32_t tlb_gen;
    bool fatal;
    uint64_t perf[XPU_PERF_COUNT];

    XpuQueue *queues;
    uint32_t num_queues_live;   /* queues with a worker thread */
};

/*
 * Bus-master DMA of the device (queue workers, any thread): RAM only. The
 * memory core refuses an access that reaches MMIO or a hole with
 * MEMTX_ACCESS_ERROR before dispatching it, so a worker never needs the BQL
 * (which unplug, reset and every MMIO handler hold) and never re-enters a
 * device. The caller is an RCU reader: address_space_rw() takes the RCU read
 * lock itself, and the worker threads are registered with RCU.
 */
static inline MemTxResult xpu_dma_rw(XpuState *s, uint64_t addr, void *buf,
                                     uint64_t len, DMADirection dir)
{
    MemTxAttrs attrs = { .memory = 1 };

    return pci_dma_rw(PCI_DEVICE(s), addr, buf, len, dir, attrs);
}

void xpu_raise_error(XpuState *s, uint32_t cause, uint32_t queue,
                     uint32_t ctx, uint32_t access, uint64_t va);
void xpu_reset_all(XpuState *s);

/* xpu-queue.c */
bool xpu_queues_realize(XpuState *s, Error **errp);
void xpu_queues_unrealize(XpuState *s);
void xpu_queues_reset(XpuState *s);
uint32_t xpu_queue_reg_read(XpuState *s, uint32_t q, uint32_t reg);
void xpu_queue_reg_write(XpuState *s, uint32_t q, uint32_t reg, uint32_t val);
void xpu_mmu_invalidate(XpuState *s, uint32_t ctx);
void xpu_inject(XpuState *s, uint32_t what, uint32_t queue);
uint64_t xpu_perf_read(XpuState *s, uint32_t idx);

#endif
