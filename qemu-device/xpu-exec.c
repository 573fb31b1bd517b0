/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * XPU: runs EXEC jobs on a queue's compute tile. The tile reaches HBM
 * through a direct pointer (zero copy) and host memory through the PCI
 * bus-master address space, so every host access honours bus mastering and
 * can only reach guest RAM: a DMA aimed at MMIO or a hole fails (DMA_ERROR
 * for the job) instead of dispatching to a device, which would need the BQL.
 * A peer XPU's BAR2 (its HBM, a RAM region) is RAM to this path: PCIe
 * peer-to-peer DMA works like a host access. Link DPAs go to xpu-link.c.
 */

#include "qemu/osdep.h"
#include "qemu/rcu.h"
#include "sysemu/dma.h"
#include "xpu.h"
#include "xpu-exec.h"
#include "trace.h"

#define XPU_EXEC_WINDOWS 8

struct XpuExec {
    XpuState *s;
    uint32_t queue;
    struct xpu_tile *tile;
    struct xpu_mem mem;
    bool fail_next_dma; /* qatomic: error injection */
    bool reset_pending; /* qatomic: tile reset before the next job */
    uint32_t last_ctx;  /* worker thread only */
    struct XpuWindow {  /* host_map's read windows (worker thread only) */
        uint8_t *p;
        hwaddr addr;
        dma_addr_t len;
        unsigned users;
    } win[XPU_EXEC_WINDOWS];
};

/*
 * Host memory for the engine (xpu_mem.host_runs: len may span many pages
 * that are contiguous in bus addresses). Plain guest RAM is mapped with
 * dma_memory_map() and copied directly between it and the engine's buffer
 * (HBM or SRAM): no bounce buffer, one map per RAM region crossed, at
 * memcpy speed. Anything else (MMIO, a hole, a ram_device region, bus
 * mastering off, a map that comes back short or unmapped) goes through
 * xpu_dma_rw() one page at a time, which refuses non-RAM. The first failing
 * page ends the access: every page before it has moved, none after it.
 * direct_only (a peer's transfer served under a window lock, xpu-link.c):
 * that page fails instead, as xpu_dma_rw() may take the BQL (a write to a
 * ROM or a ram_device region is dispatched like MMIO) and the BQL is taken
 * before a window lock by the window registers.
 *
 * Mapping is checked first (address_space_translate(): direct RAM access
 * only), so address_space_map() never takes its bounce-buffer path, which
 * would dispatch MMIO without the BQL; should the memory map change in
 * between and a bounce buffer come back anyway, it is unmapped unused.
 * Runs on the queue's worker thread, a registered RCU reader (xpu-queue.c):
 * each map, and its unmap, is inside an RCU read-side section, and the
 * region stays referenced by the map in between (the copy). A large DMA
 * maps whole runs (host_map) and copies later, possibly on the engine's
 * pool threads (plain memcpy between mapped pointers), then unmaps here.
 *
 * xpu_dma_map_ram(): [addr, addr + *plen) of plain RAM mapped for direct
 * access (*plen shortened to what maps, one RAM region), or NULL: not RAM,
 * a hole, bus mastering off, or a map that came back short, unmapped or as
 * a bounce buffer.
 */
static void *xpu_dma_map_ram(XpuState *s, uint64_t addr, dma_addr_t *plen,
                             DMADirection dir)
{
    AddressSpace *as = pci_get_address_space(PCI_DEVICE(s));
    MemTxAttrs attrs = { .memory = 1 };
    bool is_write = dir == DMA_DIRECTION_FROM_DEVICE;
    hwaddr xlat, l = *plen;
    ram_addr_t off;
    MemoryRegion *mr;
    void *p = NULL;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(as, addr, &xlat, &l, is_write, attrs);
    if (memory_access_is_direct(mr, is_write)) {
        p = dma_memory_map(as, addr, plen, dir, attrs);
    }
    if (p && (!*plen || !memory_region_from_host(p, &off))) {
        dma_memory_unmap(as, p, *plen, dir, 0);
        p = NULL;
    }
    return p;
}

static void xpu_dma_unmap_ram(XpuState *s, void *p, dma_addr_t len,
                              DMADirection dir)
{
    RCU_READ_LOCK_GUARD();
    dma_memory_unmap(pci_get_address_space(PCI_DEVICE(s)), p, len, dir, len);
}

MemTxResult xpu_dma_copy(XpuState *s, uint64_t addr, uint8_t *buf,
                         uint64_t len, DMADirection dir, bool direct_only)
{
    bool is_write = dir == DMA_DIRECTION_FROM_DEVICE;

    /*
     * Behind an IOMMU a translation may fault, and reporting that needs the
     * BQL (xpu_dma_lock()), which a window lock holder must not take.
     */
    if (direct_only && s->behind_iommu) {
        return MEMTX_ACCESS_ERROR;
    }
    smp_mb(); /* as dma_memory_rw(): order against earlier guest accesses */
    while (len) {
        uint64_t page = XPU_PAGE_SIZE - (addr & (XPU_PAGE_SIZE - 1));
        dma_addr_t plen = len;
        bool locked = xpu_dma_lock(s);
        void *p;
        MemTxResult r;

        p = xpu_dma_map_ram(s, addr, &plen, dir);
        if (p) {
            if (is_write) {
                memcpy(p, buf, plen);
            } else {
                memcpy(buf, p, plen);
            }
            xpu_dma_unmap_ram(s, p, plen, dir);
        }
        xpu_dma_unlock(locked);
        if (p) {
            addr += plen;
            buf += plen;
            len -= plen;
            continue;
        }
        /* not plain RAM: this page as before, refused if not RAM */
        if (direct_only) {
            return MEMTX_ACCESS_ERROR;
        }
        if (page > len) {
            page = len;
        }
        r = xpu_dma_rw(s, addr, buf, page, dir);
        if (r != MEMTX_OK) {
            return r;
        }
        addr += page;
        buf += page;
        len -= page;
    }
    return MEMTX_OK;
}

/* The engine's host_read/host_write: xpu_dma_copy() */
static int xpu_exec_host_rw(XpuExec *e, uint64_t addr, void *buf,
                            uint64_t len, DMADirection dir)
{
    MemTxResult r;

    if (qatomic_xchg(&e->fail_next_dma, false)) {
        return -1;
    }
    r = xpu_dma_copy(e->s, addr, buf, len, dir, false);
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

/*
 * Read windows: a large DMA from scattered guest pages (shmem buffers come
 * as single 4 KiB pages more often than not) would map and unmap each page,
 * which cost about as much as copying it. A read of plain RAM instead maps
 * a window of RAM around it (xpu_dma_map_ram(): address_space_map() stops
 * where the RAM does) and later reads inside that window get pointers into
 * it, no QEMU call, while any is in use: the engine gives a batch's pieces
 * back together, after the copy. The window starts at the lowest address
 * from which the RAM reaches the read (a binary search of maps, after any
 * window below it) and ends at the next window's start or where the RAM
 * ends: windows never overlap, so a pointer belongs to one window. With
 * every slot taken, or no RAM there, the read is not mapped at all (the
 * engine then moves the piece with host_read()), so every read mapping is
 * a window's and host_unmap() finds it by pointer. Usually one window holds
 * the whole buffer. A window lives while pieces use it: with batches
 * overlapped (the next one mapped before the one in flight is given back)
 * that can be the whole DMA, so the DMA's reads use the memory map as it
 * was when their window opened (the map is referenced meanwhile: memory
 * safe). Reads only: unmapping a write marks dirty (code invalidation,
 * migration) everything from the start of the mapping, so writes into
 * guest RAM keep one mapping per piece. Not behind an IOMMU, which needs
 * the BQL (xpu_dma_lock()) and whose bus addresses need not be contiguous
 * RAM.
 */

/* RAM mapped from start reaches addr (start <= addr < end): the mapping */
static uint8_t *xpu_exec_window_map(XpuExec *e, uint64_t start, uint64_t addr,
                                    uint64_t end, dma_addr_t *plen)
{
    uint8_t *p;

    *plen = end - start;
    p = xpu_dma_map_ram(e->s, start, plen, DMA_DIRECTION_TO_DEVICE);
    if (p && *plen <= addr - start) {
        xpu_dma_unmap_ram(e->s, p, *plen, DMA_DIRECTION_TO_DEVICE);
        p = NULL;
    }
    return p;
}

static bool xpu_exec_window_reaches(XpuExec *e, uint64_t start, uint64_t addr,
                                    uint64_t end)
{
    dma_addr_t l;
    uint8_t *p = xpu_exec_window_map(e, start, addr, end, &l);

    if (p) {
        xpu_dma_unmap_ram(e->s, p, l, DMA_DIRECTION_TO_DEVICE);
    }
    return p;
}

static uint8_t *xpu_exec_window(XpuExec *e, uint64_t addr, uint64_t *len)
{
    struct XpuWindow *w = NULL, *lo = NULL; /* a free slot, addr's window */
    uint64_t floor = 0, end = UINT64_MAX, at, bad, good, mid;
    int i;

    for (i = 0; i < XPU_EXEC_WINDOWS; i++) {
        struct XpuWindow *c = &e->win[i];

        if (!c->users) {
            w = w ? w : c;
        } else if (addr >= c->addr && addr - c->addr < c->len) {
            lo = c;     /* windows do not overlap: the only one */
        } else if (c->addr > addr) {
            end = MIN(end, c->addr);    /* a new one ends where this starts */
        } else {
            floor = MAX(floor, c->addr + c->len);   /* and starts after this */
        }
    }
    if (!lo && w) {
        /*
         * The lowest start in [floor, addr] from which the RAM reaches
         * addr: the starts that do form an interval ending at addr, so a
         * binary search over page boundaries (and floor) finds it.
         */
        good = MAX(QEMU_ALIGN_DOWN(addr, XPU_PAGE_SIZE), floor);
        bad = floor;
        if (good > floor && xpu_exec_window_reaches(e, floor, addr, end)) {
            good = floor;
        }
        while (good - bad > XPU_PAGE_SIZE) {
            mid = QEMU_ALIGN_DOWN(bad + (good - bad) / 2, XPU_PAGE_SIZE);
            if (mid <= bad) {
                mid = QEMU_ALIGN_UP(bad + 1, XPU_PAGE_SIZE);
            }
            if (mid >= good) {
                break;
            }
            if (xpu_exec_window_reaches(e, mid, addr, end)) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        w->p = xpu_exec_window_map(e, good, addr, end, &w->len);
        if (w->p) {
            w->addr = good;
            lo = w;
        }
    }
    if (!lo) {
        return NULL;
    }
    at = addr - lo->addr;
    *len = MIN(*len, lo->len - at);
    lo->users++;
    return lo->p + at;
}

/*
 * The engine's host_map/host_unmap (a large DMA's copy batch, which may
 * copy through the pointer on the engine's pool threads: plain memory, no
 * QEMU call there): plain RAM only, mapped and given back on this worker
 * thread like xpu_dma_copy() does. Anything else, and a pending injected
 * DMA error, goes through host_read/host_write.
 */
static void *xpu_exec_host_map(void *opaque, uint64_t addr, uint64_t *len,
                               int write)
{
    XpuExec *e = opaque;
    dma_addr_t plen = *len;
    bool locked;
    void *p;

    if (qatomic_read(&e->fail_next_dma)) {
        return NULL;
    }
    smp_mb(); /* as xpu_dma_copy() */
    if (!write && !e->s->behind_iommu) {
        return xpu_exec_window(e, addr, len);
    }
    locked = xpu_dma_lock(e->s);
    p = xpu_dma_map_ram(e->s, addr, &plen,
                        write ? DMA_DIRECTION_FROM_DEVICE
                              : DMA_DIRECTION_TO_DEVICE);
    xpu_dma_unlock(locked);
    if (p) {
        *len = plen;
    }
    return p;
}

static void xpu_exec_host_unmap(void *opaque, void *p, uint64_t len,
                                int write)
{
    XpuExec *e = opaque;
    bool locked;

    for (int i = 0; !write && i < XPU_EXEC_WINDOWS; i++) {
        struct XpuWindow *w = &e->win[i];

        if (w->users && (uint8_t *)p >= w->p && (uint8_t *)p - w->p < w->len) {
            if (--w->users == 0) {
                xpu_dma_unmap_ram(e->s, w->p, w->len, DMA_DIRECTION_TO_DEVICE);
                w->p = NULL;
            }
            return;
        }
    }
    locked = xpu_dma_lock(e->s);
    xpu_dma_unmap_ram(e->s, p, len, write ? DMA_DIRECTION_FROM_DEVICE
                                          : DMA_DIRECTION_TO_DEVICE);
    xpu_dma_unlock(locked);
}

/* The engine's link_xfer: the device's link layer (xpu-link.c) */
static int xpu_exec_link_xfer(void *opaque, uint64_t link_addr, void *buf,
                              uint64_t len, int write)
{
    XpuExec *e = opaque;

    return xpu_link_xfer(e->s, link_addr, buf, len, write);
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
        .link_gbps = s->link_gbps,
        .link_latency_cycles = s->link_latency,
    };

    e->s = s;
    e->queue = queue;
    e->last_ctx = UINT32_MAX;
    xpu_mem_setup(s, &e->mem, xpu_exec_host_read, xpu_exec_host_write, e);
    e->mem.host_map = xpu_exec_host_map;
    e->mem.host_unmap = xpu_exec_host_unmap;
    e->mem.tlb_gen = &s->tlb_gen;
    e->mem.link_xfer = xpu_exec_link_xfer;
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
