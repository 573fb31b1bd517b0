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
#include "sysemu/dma.h"
#include "hw/pci/pci.h"
#include "sysemu/sysemu.h"
#include "xpu_hw.h"
#include "xpu_engine.h"

#define TYPE_XPU "xpu"
OBJECT_DECLARE_SIMPLE_TYPE(XpuState, XPU)

typedef struct XpuQueue XpuQueue;

/* One link port (xpu-link.c). peer/peer_port are set once when the machine
 * is complete (machine-init-done) and read by any thread afterwards. */
typedef struct XpuLinkPort {
    char *peer_name;            /* device id from links=, NULL = empty port */
    int32_t want_port;          /* links= "id@q": the peer's port q; -1 any */
    XpuState *peer;             /* NULL = not connected */
    uint32_t peer_port;
    bool down;                  /* qatomic: taken down by injection */
    bool corrupt_next;          /* qatomic: the next transfer is corrupted */
    uint64_t cnt[XPU_LINK_CNT_COUNT];   /* qatomic, both ends count */
} XpuLinkPort;

/* One window of this chip: transfers serving through it hold lock */
typedef struct XpuLinkWin {
    QemuMutex lock;
    struct xpu_link_window w;   /* under lock */
} XpuLinkWin;

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
    uint32_t chip_id;           /* UINT32_MAX = automatic until realized */
    char *links;                /* "x1:-:x3": peer device id per port */
    uint32_t num_links;         /* ports; UINT32_MAX = entries in links */
    uint32_t link_gbps, link_latency;

    /* global registers, accessed under the BQL */
    uint32_t scratch;
    uint32_t err_status, err_queue, err_ctx, err_access;
    uint64_t err_va;
    uint64_t ctx_root[XPU_MAX_CTX];

    /*
     * The device's DMA goes through an IOMMU (QEMU's intel-iommu). Set at
     * realize, read-only after. A translation that faults there reports the
     * fault with an interrupt raised from the caller's thread, which needs
     * the BQL (under TCG an interrupt without it aborts QEMU): a worker's
     * DMA then runs under the BQL (xpu_dma_lock()).
     */
    bool behind_iommu;

    /* shared with queue workers: qatomic accesses only */
    uint32_t tlb_gen;
    bool fatal;
    uint64_t perf[XPU_PERF_COUNT];

    XpuQueue *queues;
    uint32_t num_queues_live;   /* queues with a worker thread */

    /* links (xpu-link.c) */
    bool chip_registered;
    uint32_t link_users;        /* peers' transfers using it (fabric lock) */
    bool link_gone;             /* detached: being unplugged (BQL) */
    XpuLinkPort ports[XPU_MAX_LINKS];
    XpuLinkWin win[XPU_MAX_WINDOWS];
    struct xpu_mem link_mem;    /* this chip's memory as a peer reaches it */
    Notifier link_init_done;
};

/*
 * Bus-master DMA of the device (queue workers, any thread): RAM only. The
 * memory core refuses an access that reaches MMIO or a hole with
 * MEMTX_ACCESS_ERROR before dispatching it, so a worker never needs the BQL
 * (which unplug, reset and every MMIO handler hold) and never re-enters a
 * device. The caller is an RCU reader: address_space_rw() takes the RCU read
 * lock itself, and the worker threads are registered with RCU.
 */
/*
 * Behind an IOMMU, take the BQL for a DMA unless the thread holds it (an
 * MMIO handler): the IOMMU's fault report needs it. Returns whether it was
 * taken, for xpu_dma_unlock(). Never called with a queue or window lock
 * held: nothing that holds the BQL waits for those while a worker DMAs.
 */
static inline bool xpu_dma_lock(XpuState *s)
{
    if (!s->behind_iommu || qemu_mutex_iothread_locked()) {
        return false;
    }
    qemu_mutex_lock_iothread();
    return true;
}

static inline void xpu_dma_unlock(bool locked)
{
    if (locked) {
        qemu_mutex_unlock_iothread();
    }
}

static inline MemTxResult xpu_dma_rw(XpuState *s, uint64_t addr, void *buf,
                                     uint64_t len, DMADirection dir)
{
    MemTxAttrs attrs = { .memory = 1 };
    bool locked = xpu_dma_lock(s);
    MemTxResult r = pci_dma_rw(PCI_DEVICE(s), addr, buf, len, dir, attrs);

    xpu_dma_unlock(locked);
    return r;
}

void xpu_raise_error(XpuState *s, uint32_t cause, uint32_t queue,
                     uint32_t ctx, uint32_t access, uint64_t va);
void xpu_reset_all(XpuState *s);

/* Bus-master copy of any length, RAM by direct map (xpu-exec.c); with
 * direct_only nothing else (never the BQL) */
MemTxResult xpu_dma_copy(XpuState *s, uint64_t addr, uint8_t *buf,
                         uint64_t len, DMADirection dir, bool direct_only);

/* The engine's memory for this device's queues (xpu-exec.c) and its link
 * serving side (xpu-link.c): HBM directly, host memory in runs through rd
 * and wr; the caller adds the optional hooks */
static inline void xpu_mem_setup(XpuState *s, struct xpu_mem *m,
                                 int (*rd)(void *, uint64_t, void *, uint64_t),
                                 int (*wr)(void *, uint64_t, const void *,
                                           uint64_t),
                                 void *opaque)
{
    m->hbm = s->hbm_ptr;
    m->hbm_size = s->hbm_size;
    m->host_read = rd;
    m->host_write = wr;
    m->host_runs = 1;
    m->opaque = opaque;
}

/* xpu-link.c */
bool xpu_link_realize(XpuState *s, Error **errp);
void xpu_link_detach(XpuState *s);
void xpu_link_unrealize(XpuState *s);
void xpu_link_reset(XpuState *s);
bool xpu_link_reg_read(XpuState *s, hwaddr addr, uint32_t *val);
bool xpu_link_reg_write(XpuState *s, hwaddr addr, uint32_t val);
bool xpu_link_inject(XpuState *s, uint32_t what, uint32_t port);
int xpu_link_xfer(XpuState *s, uint64_t link_addr, void *buf, uint64_t len,
                  int write);

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
