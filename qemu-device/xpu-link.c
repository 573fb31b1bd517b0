/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * XPU chip-to-chip links (hardware 1.1, uapi/xpu_hw.h "Link ports" and
 * "Link windows"; docs/hardware.md "Links").
 *
 * Cabling: links=x1:-:x3 names the peer device (by -device id) of each port,
 * "-" for an empty port; "x1@2" names the peer's port too. Peers are
 * resolved once the machine is complete (machine-init-done: a peer may be
 * realized after this device). Port p of A is connected when the peer B
 * names A on one of its ports: A's "B@q" pairs with B's port q if that
 * names A (as "A" or "A@p"); a plain "B" pairs with a port of B saying
 * "A@p", else the k-th plain "B" of A with the k-th plain "A" of B (ports
 * in order when two chips share several links). Anything else (an unknown
 * id, not an xpu, a one-sided entry, itself) leaves the port unconnected,
 * with a warning.
 *
 * Transfers run on the requesting chip's queue worker threads, without the
 * BQL: port -> peer chip, link state and injected corruption, then the
 * peer's window lock held while the engine's xpu_link_serve() checks the
 * window and the peer's page tables and copies (HBM directly, host leaves
 * through the peer's bus-master DMA, direct RAM access only: anything that
 * would be dispatched, e.g. a write to a ROM, takes the BQL, and the BQL is
 * taken before a window lock, so it is refused). A write that clears a
 * window's VALID takes the same lock, so it returns only once no transfer
 * through that window is in progress. Counters are qatomic at both ends.
 * Lock order: BQL, then a window lock; a transfer holds only the window lock.
 *
 * Peers come and go (hot plug, unplug: a guest can eject a slot): the
 * fabric lock guards every change of a port's peer pointer and the count of
 * transfers using a chip as the peer (link_users). A transfer takes its
 * reference under it before touching the peer; unplug unhooks the chip from
 * every port, then waits (BQL dropped, as for its queue workers) until no
 * transfer uses it before its window locks and memory go away.
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "hw/qdev-core.h"
#include "xpu.h"
#include "trace.h"

/* chips by id, for unique automatic ids (BQL) */
static XpuState *xpu_chips[XPU_MAX_CHIPS];

/* ports[].peer changes and XpuState.link_users (set up by the first realize) */
static QemuMutex xpu_fabric_lock;
static QemuCond xpu_fabric_cond;        /* a chip's link_users dropped to 0 */
static bool xpu_fabric_ready;           /* BQL */

/* the peer on port p of s, referenced (NULL: none); xpu_link_put() it */
static XpuState *xpu_link_get(XpuState *s, uint32_t p)
{
    XpuState *peer;

    if (p >= s->num_links) {
        return NULL;
    }
    qemu_mutex_lock(&xpu_fabric_lock);
    peer = s->ports[p].peer;
    if (peer) {
        peer->link_users++;
    }
    qemu_mutex_unlock(&xpu_fabric_lock);
    return peer;
}

static void xpu_link_put(XpuState *peer)
{
    qemu_mutex_lock(&xpu_fabric_lock);
    if (--peer->link_users == 0) {
        qemu_cond_broadcast(&xpu_fabric_cond);
    }
    qemu_mutex_unlock(&xpu_fabric_lock);
}

static const char *xpu_link_id(XpuState *s)
{
    const char *id = DEVICE(s)->id;

    return id ? id : "(no id)";
}

/* ---- this chip's memory as a peer reaches it ---------------------- */

static int xpu_link_host_read(void *opaque, uint64_t addr, void *buf,
                              uint64_t len)
{
    return xpu_dma_copy(opaque, addr, buf, len, DMA_DIRECTION_TO_DEVICE,
                        true) == MEMTX_OK ? 0 : -1;
}

static int xpu_link_host_write(void *opaque, uint64_t addr, const void *buf,
                               uint64_t len)
{
    return xpu_dma_copy(opaque, addr, (void *)buf, len,
                        DMA_DIRECTION_FROM_DEVICE, true) == MEMTX_OK ? 0 : -1;
}

/* ---- cabling -------------------------------------------------------- */

static XpuState *xpu_link_lookup(const char *id, bool *exists)
{
    Object *per = container_get(qdev_get_machine(), "/peripheral");
    Object *o = object_resolve_path_component(per, id);

    *exists = o != NULL;
    return o ? (XpuState *)object_dynamic_cast(o, TYPE_XPU) : NULL;
}

/* port i of s names id without a port ("id"), or names id at all */
static bool xpu_link_names(XpuState *s, uint32_t i, const char *id,
                           bool plain)
{
    XpuLinkPort *lp = &s->ports[i];

    return lp->peer_name && !strcmp(lp->peer_name, id) &&
           (!plain || lp->want_port < 0);
}

/* the port of peer that port p of s pairs with, or -1 */
static int xpu_link_pair(XpuState *s, uint32_t p, XpuState *peer)
{
    const char *me = DEVICE(s)->id;
    XpuLinkPort *lp = &s->ports[p];
    int nth = 0, k = 0;

    if (lp->want_port >= 0) {
        uint32_t q = lp->want_port;

        if (q < peer->num_links && xpu_link_names(peer, q, me, false) &&
            (peer->ports[q].want_port < 0 ||
             peer->ports[q].want_port == (int32_t)p)) {
            return q;
        }
        return -1;
    }
    for (uint32_t q = 0; q < peer->num_links; q++) {
        if (xpu_link_names(peer, q, me, false) &&
            peer->ports[q].want_port == (int32_t)p) {
            return q;
        }
    }
    for (uint32_t i = 0; i < p; i++) {
        nth += xpu_link_names(s, i, lp->peer_name, true);
    }
    for (uint32_t q = 0; q < peer->num_links; q++) {
        if (xpu_link_names(peer, q, me, true) && k++ == nth) {
            return q;
        }
    }
    return -1;
}

static void xpu_link_resolve(XpuState *s)
{
    const char *me = DEVICE(s)->id;

    for (uint32_t p = 0; p < s->num_links; p++) {
        XpuLinkPort *lp = &s->ports[p];
        XpuState *peer;
        bool exists;
        int q;

        if (!lp->peer_name || qatomic_read(&lp->peer)) {
            continue;
        }
        peer = xpu_link_lookup(lp->peer_name, &exists);
        if (peer && peer->link_gone) {
            continue;   /* being unplugged */
        }
        if (!peer || peer == s || !me) {
            warn_report("xpu %s: link port %u: peer '%s' is %s: not connected",
                        xpu_link_id(s), p, lp->peer_name,
                        !me ? "unreachable (this device has no id)" :
                        peer == s ? "this device" :
                        exists ? "not an xpu device" : "no device");
            continue;
        }
        q = xpu_link_pair(s, p, peer);
        if (q < 0) {
            warn_report("xpu %s: link port %u: peer '%s' does not list '%s' "
                        "on a matching port: not connected", xpu_link_id(s),
                        p, lp->peer_name, me);
            continue;
        }
        qemu_mutex_lock(&xpu_fabric_lock);
        lp->peer_port = q;
        qatomic_store_release(&lp->peer, peer);
        trace_xpu_link_connect(s->chip_id, p, peer->chip_id, q);
        /* a peer resolved before this device existed (hot-plug): its end */
        if (!qatomic_read(&peer->ports[q].peer)) {
            peer->ports[q].peer_port = p;
            qatomic_store_release(&peer->ports[q].peer, s);
            trace_xpu_link_connect(peer->chip_id, q, s->chip_id, p);
        }
        qemu_mutex_unlock(&xpu_fabric_lock);
    }
}

static void xpu_link_init_done(Notifier *n, void *data)
{
    XpuState *s = container_of(n, XpuState, link_init_done);

    xpu_link_resolve(s);
}

static bool xpu_link_parse(XpuState *s, Error **errp)
{
    g_auto(GStrv) ent = NULL;
    uint32_t n = 0;

    if (s->links && *s->links) {
        ent = g_strsplit(s->links, ":", -1);
        n = g_strv_length(ent);
    }
    if (n > XPU_MAX_LINKS) {
        error_setg(errp, "xpu: links='%s' names %u ports, at most %d",
                   s->links, n, XPU_MAX_LINKS);
        return false;
    }
    if (s->num_links == UINT32_MAX) {
        s->num_links = n;
    }
    if (s->num_links > XPU_MAX_LINKS || s->num_links < n) {
        error_setg(errp, "xpu: ports=%u must be %u..%d (links='%s')",
                   s->num_links, n, XPU_MAX_LINKS, s->links ? s->links : "");
        return false;
    }
    for (uint32_t p = 0; p < n; p++) {
        if (!*ent[p]) {
            error_setg(errp, "xpu: links='%s': port %u is empty (use '-')",
                       s->links, p);
            return false;
        }
        s->ports[p].want_port = -1;
        if (strcmp(ent[p], "-")) {
            char *at = strchr(ent[p], '@'), *end = NULL;

            if (at) {
                unsigned long q = 0;

                if (at == ent[p] ||
                    qemu_strtoul(at + 1, (const char **)&end, 10, &q) ||
                    *end || q >= XPU_MAX_LINKS) {
                    error_setg(errp, "xpu: links='%s': port %u: '%s' is not "
                               "ID or ID@PORT (PORT below %d)", s->links, p,
                               ent[p], XPU_MAX_LINKS);
                    return false;
                }
                *at = 0;
                s->ports[p].want_port = q;
            }
            s->ports[p].peer_name = g_strdup(ent[p]);
        }
    }
    return true;
}

bool xpu_link_realize(XpuState *s, Error **errp)
{
    if (s->link_gbps < 1 || s->link_gbps > 1000000 ||
        s->link_latency > 100000000) {
        error_setg(errp, "xpu: link-gbps must be 1..1000000 and link-latency "
                   "at most 100000000 cycles");
        return false;
    }
    if (!xpu_link_parse(s, errp)) {
        return false;
    }
    if (s->chip_id == UINT32_MAX) {
        for (uint32_t c = 0; c < XPU_MAX_CHIPS && s->chip_id == UINT32_MAX;
             c++) {
            if (!xpu_chips[c]) {
                s->chip_id = c;
            }
        }
        if (s->chip_id == UINT32_MAX) {
            error_setg(errp, "xpu: more than %d xpu devices: no chip id left",
                       XPU_MAX_CHIPS);
            return false;
        }
    } else if (s->chip_id >= XPU_MAX_CHIPS) {
        error_setg(errp, "xpu: chip-id %u must be below %d", s->chip_id,
                   XPU_MAX_CHIPS);
        return false;
    } else if (xpu_chips[s->chip_id]) {
        error_setg(errp, "xpu: chip-id %u is already used by xpu '%s'",
                   s->chip_id, xpu_link_id(xpu_chips[s->chip_id]));
        return false;
    }
    if (!xpu_fabric_ready) {
        qemu_mutex_init(&xpu_fabric_lock);
        qemu_cond_init(&xpu_fabric_cond);
        xpu_fabric_ready = true;
    }
    xpu_chips[s->chip_id] = s;
    s->chip_registered = true;
    s->link_users = 0;
    s->link_gone = false;

    for (uint32_t w = 0; w < XPU_MAX_WINDOWS; w++) {
        qemu_mutex_init(&s->win[w].lock);
    }
    xpu_mem_setup(s, &s->link_mem, xpu_link_host_read, xpu_link_host_write,
                  s);
    s->link_init_done.notify = xpu_link_init_done;
    qemu_add_machine_init_done_notifier(&s->link_init_done);
    return true;
}

/*
 * Unplug's first step (BQL held; again from xpu_link_unrealize(), then a
 * no-op): no peer reaches this chip any more, and no transfer of a peer is
 * in flight through its windows. Its queues, registers and window locks
 * are still valid while the BQL is dropped here.
 */
void xpu_link_detach(XpuState *s)
{
    if (!s->chip_registered || s->link_gone) {
        return;
    }
    s->link_gone = true;
    /* peers forget this chip: no transfer starts using it from now on */
    qemu_mutex_lock(&xpu_fabric_lock);
    for (uint32_t c = 0; c < XPU_MAX_CHIPS; c++) {
        XpuState *o = xpu_chips[c];

        for (uint32_t p = 0; o && p < o->num_links; p++) {
            if (qatomic_read(&o->ports[p].peer) == s) {
                qatomic_set(&o->ports[p].peer, NULL);
            }
        }
    }
    for (uint32_t p = 0; p < s->num_links; p++) {
        qatomic_set(&s->ports[p].peer, NULL);
    }
    if (s->link_users) {
        /*
         * peers' transfers in flight still read or write this chip's
         * memory under its window locks: wait for them. Their host accesses
         * are RAM only but may reach a ram_device region, which takes the
         * BQL: dropped meanwhile (as xpu_queues_join() does), this chip's
         * registers and window locks stay valid until the end.
         */
        bool bql = qemu_mutex_iothread_locked();

        qemu_mutex_unlock(&xpu_fabric_lock);
        if (bql) {
            qemu_mutex_unlock_iothread();
        }
        qemu_mutex_lock(&xpu_fabric_lock);
        while (s->link_users) {
            qemu_cond_wait(&xpu_fabric_cond, &xpu_fabric_lock);
        }
        qemu_mutex_unlock(&xpu_fabric_lock);
        if (bql) {
            qemu_mutex_lock_iothread();
        }
    } else {
        qemu_mutex_unlock(&xpu_fabric_lock);
    }
}

/* free what xpu_link_realize() and the properties' parsing set up */
void xpu_link_unrealize(XpuState *s)
{
    for (uint32_t p = 0; p < XPU_MAX_LINKS; p++) {
        g_free(s->ports[p].peer_name);
        s->ports[p].peer_name = NULL;
    }
    if (!s->chip_registered) {
        return;
    }
    qemu_remove_machine_init_done_notifier(&s->link_init_done);
    xpu_link_detach(s);
    for (uint32_t w = 0; w < XPU_MAX_WINDOWS; w++) {
        qemu_mutex_destroy(&s->win[w].lock);
    }
    xpu_chips[s->chip_id] = NULL;
    s->chip_registered = false;
}

/*
 * Windows and counters cleared (waiting for transfers in progress); links
 * up again; the cabling stays.
 */
void xpu_link_reset(XpuState *s)
{
    if (!s->chip_registered) {
        return;
    }
    for (uint32_t w = 0; w < XPU_MAX_WINDOWS; w++) {
        qemu_mutex_lock(&s->win[w].lock);
        memset(&s->win[w].w, 0, sizeof(s->win[w].w));
        qemu_mutex_unlock(&s->win[w].lock);
    }
    for (uint32_t p = 0; p < s->num_links; p++) {
        XpuLinkPort *lp = &s->ports[p];
        XpuState *peer = qatomic_read(&lp->peer);

        for (int i = 0; i < XPU_LINK_CNT_COUNT; i++) {
            qatomic_set(&lp->cnt[i], 0);
        }
        qatomic_set(&lp->corrupt_next, false);
        qatomic_set(&lp->down, false);
        if (peer) {
            qatomic_set(&peer->ports[lp->peer_port].down, false);
        }
    }
}

/* ---- registers (BQL held) ------------------------------------------- */

static uint32_t xpu_link_status(XpuState *s, uint32_t p)
{
    XpuLinkPort *lp = &s->ports[p];

    if (!qatomic_read(&lp->peer)) {
        return 0;
    }
    return XPU_LSTS_CONNECTED | (qatomic_read(&lp->down) ? 0 : XPU_LSTS_UP);
}

static void xpu_link_set_down(XpuState *s, uint32_t p, bool down)
{
    XpuLinkPort *lp = &s->ports[p];
    XpuState *peer = qatomic_read(&lp->peer);

    qatomic_set(&lp->down, down);
    if (peer) {
        qatomic_set(&peer->ports[lp->peer_port].down, down);
    }
    trace_xpu_link_state(s->chip_id, p, down ? "down" : "up (retrained)");
}

bool xpu_link_reg_read(XpuState *s, hwaddr addr, uint32_t *val)
{
    switch (addr) {
    case XPU_REG_CHIP_ID:
        *val = s->chip_id;
        return true;
    case XPU_REG_NUM_LINKS:
        *val = s->num_links;
        return true;
    case XPU_REG_LINK_GBPS:
        *val = s->link_gbps;
        return true;
    case XPU_REG_LINK_LATENCY:
        *val = s->link_latency;
        return true;
    }
    if (addr >= XPU_REG_LINK_BASE && addr < XPU_REG_LINK(s->num_links, 0)) {
        uint32_t p = (addr - XPU_REG_LINK_BASE) / XPU_LINK_STRIDE;
        uint32_t r = (addr - XPU_REG_LINK_BASE) % XPU_LINK_STRIDE;
        XpuLinkPort *lp = &s->ports[p];
        XpuState *peer = qatomic_read(&lp->peer);

        if (r == XPU_LINK_STATUS) {
            *val = xpu_link_status(s, p);
            return true;
        }
        if (r == XPU_LINK_PEER) {
            *val = peer ? peer->chip_id | (lp->peer_port << 16)
                        : XPU_LINK_NO_PEER;
            return true;
        }
        if (r >= XPU_LINK_CNT(0) && r < XPU_LINK_CNT(XPU_LINK_CNT_COUNT)) {
            uint64_t v = qatomic_read(&lp->cnt[(r - XPU_LINK_CNT(0)) / 8]);

            *val = (r & 4) ? v >> 32 : (uint32_t)v;
            return true;
        }
        return false;
    }
    if (addr >= XPU_REG_WIN_BASE &&
        addr < XPU_REG_WIN(XPU_MAX_WINDOWS, 0)) {
        XpuLinkWin *lw = &s->win[(addr - XPU_REG_WIN_BASE) / XPU_WIN_STRIDE];
        uint32_t r = (addr - XPU_REG_WIN_BASE) % XPU_WIN_STRIDE;
        bool ok = true;

        qemu_mutex_lock(&lw->lock);
        switch (r) {
        case XPU_WIN_CTX:
            *val = lw->w.ctx;
            break;
        case XPU_WIN_FLAGS:
            *val = lw->w.flags;
            break;
        case XPU_WIN_VA_LO:
            *val = (uint32_t)lw->w.va;
            break;
        case XPU_WIN_VA_HI:
            *val = lw->w.va >> 32;
            break;
        case XPU_WIN_SIZE_LO:
            *val = (uint32_t)lw->w.size;
            break;
        case XPU_WIN_SIZE_HI:
            *val = lw->w.size >> 32;
            break;
        case XPU_WIN_PEERS:
            *val = lw->w.peers;
            break;
        default:
            ok = false;
        }
        qemu_mutex_unlock(&lw->lock);
        return ok;
    }
    return false;
}

bool xpu_link_reg_write(XpuState *s, hwaddr addr, uint32_t val)
{
    if (addr >= XPU_REG_LINK_BASE && addr < XPU_REG_LINK(s->num_links, 0)) {
        uint32_t p = (addr - XPU_REG_LINK_BASE) / XPU_LINK_STRIDE;
        uint32_t r = (addr - XPU_REG_LINK_BASE) % XPU_LINK_STRIDE;

        if (r != XPU_LINK_CONTROL) {
            return false;
        }
        if (val & ~XPU_LCTL_RETRAIN) {
            XPU_GUEST_ERR(xpu_err_link_control, "link port %u: CONTROL 0x%x "
                          "has unknown bits", p, val);
        }
        if (val & XPU_LCTL_RETRAIN) {
            xpu_link_set_down(s, p, false);
        }
        return true;
    }
    if (addr >= XPU_REG_WIN_BASE &&
        addr < XPU_REG_WIN(XPU_MAX_WINDOWS, 0)) {
        uint32_t w = (addr - XPU_REG_WIN_BASE) / XPU_WIN_STRIDE;
        uint32_t r = (addr - XPU_REG_WIN_BASE) % XPU_WIN_STRIDE;
        XpuLinkWin *lw = &s->win[w];
        bool ok = true;

        /* waits for the transfers through the window in progress */
        qemu_mutex_lock(&lw->lock);
        switch (r) {
        case XPU_WIN_CTX:
            lw->w.ctx = val;
            break;
        case XPU_WIN_FLAGS:
            lw->w.flags = val & (XPU_WINF_VALID | XPU_WINF_READ |
                                 XPU_WINF_WRITE);
            break;
        case XPU_WIN_VA_LO:
            lw->w.va = deposit64(lw->w.va, 0, 32, val);
            break;
        case XPU_WIN_VA_HI:
            lw->w.va = deposit64(lw->w.va, 32, 32, val);
            break;
        case XPU_WIN_SIZE_LO:
            lw->w.size = deposit64(lw->w.size, 0, 32, val);
            break;
        case XPU_WIN_SIZE_HI:
            lw->w.size = deposit64(lw->w.size, 32, 32, val);
            break;
        case XPU_WIN_PEERS:
            lw->w.peers = val;
            break;
        default:
            ok = false;
        }
        if (ok && r == XPU_WIN_FLAGS) {
            trace_xpu_link_window(s->chip_id, w, lw->w.flags, lw->w.ctx,
                                  lw->w.va, lw->w.size, lw->w.peers);
            if ((val & XPU_WINF_VALID) &&
                (lw->w.ctx >= s->num_ctx || lw->w.size > XPU_LINK_WIN_MAX ||
                 ((lw->w.va | lw->w.size) & (XPU_PAGE_SIZE - 1)))) {
                XPU_GUEST_ERR(xpu_err_link_window, "window %u made valid "
                              "with context %u va 0x%" PRIx64 " size 0x%"
                              PRIx64 ": every transfer will be refused", w,
                              lw->w.ctx, lw->w.va, lw->w.size);
            }
        }
        qemu_mutex_unlock(&lw->lock);
        return ok;
    }
    return false;
}

bool xpu_link_inject(XpuState *s, uint32_t what, uint32_t port)
{
    if (what != XPU_INJECT_LINK_DOWN && what != XPU_INJECT_LINK_CORRUPT) {
        return false;
    }
    if (port >= s->num_links) {
        XPU_GUEST_ERR(xpu_err_inject, "unknown injection %u or queue %u out "
                      "of range", what, port);
        return true;
    }
    trace_xpu_inject(what, port);
    if (what == XPU_INJECT_LINK_DOWN) {
        xpu_link_set_down(s, port, true);
    } else {
        qatomic_set(&s->ports[port].corrupt_next, true);
    }
    return true;
}

/* ---- transfers (queue worker threads, no BQL) ----------------------- */

static void xpu_link_count(XpuLinkPort *a, XpuLinkPort *b, int cnt,
                           uint64_t v)
{
    qatomic_add(&a->cnt[cnt], v);
    qatomic_add(&b->cnt[cnt], v);
}

/*
 * The payload crosses a damaged wire: the checksum the receiver computes
 * over what arrived differs from the sender's, and the receiver drops it.
 * A read's payload is fetched from the peer into a buffer of its own first,
 * so a dropped read leaves the requester's memory untouched too.
 */
static int xpu_link_corrupt(XpuState *peer, const uint64_t *roots,
                            const struct xpu_link_window *w, uint32_t req,
                            uint64_t off, void *buf, uint64_t len, int write)
{
    g_autofree uint8_t *wire = g_malloc(len);
    uint32_t sent;
    int rc;

    if (write) {
        memcpy(wire, buf, len);
    } else {
        rc = xpu_link_serve(&peer->link_mem, roots, peer->num_ctx, w, req,
                            off, wire, len, 0);
        if (rc) {
            return rc;
        }
    }
    sent = xpu_link_checksum(wire, len);
    wire[len / 2] ^= 0x10;
    return xpu_link_checksum(wire, len) != sent ? XPU_JOB_STATUS_LINK_ERROR : 0;
}

/* a transfer over port p to peer (referenced by the caller) */
static int xpu_link_xfer_peer(XpuState *s, XpuState *peer, uint32_t p,
                              uint64_t la, void *buf, uint64_t len, int write)
{
    uint32_t wi = XPU_LINK_ADDR_WIN(la);
    uint64_t off = XPU_LINK_ADDR_OFF(la), roots[XPU_MAX_CTX];
    XpuLinkPort *lp = &s->ports[p];
    XpuLinkPort *pp = &peer->ports[lp->peer_port];
    XpuLinkWin *lw;
    bool corrupt;
    int rc;

    if (qatomic_read(&lp->down) || qatomic_read(&pp->down)) {
        xpu_link_count(lp, pp, XPU_LINK_CNT_ERRORS, 1);
        trace_xpu_link_error(s->chip_id, p, wi, "link down");
        return XPU_JOB_STATUS_LINK_ERROR;
    }
    if (wi >= XPU_MAX_WINDOWS) {
        trace_xpu_link_error(s->chip_id, p, wi, "no such window");
        return XPU_JOB_STATUS_LINK_ERROR;
    }
    corrupt = qatomic_xchg(&lp->corrupt_next, false);
    corrupt |= qatomic_xchg(&pp->corrupt_next, false);

    lw = &peer->win[wi];
    qemu_mutex_lock(&lw->lock);
    for (uint32_t c = 0; c < peer->num_ctx; c++) {
        roots[c] = qatomic_read(&peer->ctx_root[c]);
    }
    if (lw->w.ctx < peer->num_ctx && !roots[lw->w.ctx]) {
        /* a root of 0: the context has no page table (jobs: BAD_CTX) */
        rc = XPU_JOB_STATUS_LINK_ERROR;
    } else if (corrupt && len) {
        rc = xpu_link_corrupt(peer, roots, &lw->w, s->chip_id, off, buf, len,
                              write);
        if (rc == 0) {  /* cannot happen: CRC-32C sees every 1-bit error */
            rc = XPU_JOB_STATUS_LINK_ERROR;
        }
    } else {
        rc = xpu_link_serve(&peer->link_mem, roots, peer->num_ctx, &lw->w,
                            s->chip_id, off, buf, len, write);
    }
    qemu_mutex_unlock(&lw->lock);

    trace_xpu_link_xfer(s->chip_id, p, peer->chip_id, wi, off, len, write, rc);
    if (corrupt) {
        xpu_link_count(lp, pp, XPU_LINK_CNT_ERRORS, 1);
        trace_xpu_link_error(s->chip_id, p, wi, "bad checksum: dropped");
        return XPU_JOB_STATUS_LINK_ERROR;
    }
    if (rc) {
        trace_xpu_link_error(s->chip_id, p, wi, "refused by the peer");
        return rc;
    }
    xpu_link_count(lp, pp, XPU_LINK_CNT_BYTES, len);
    xpu_link_count(lp, pp, XPU_LINK_CNT_XFERS, 1);
    {
        struct xpu_engine_config cfg = {
            .clock_mhz = s->clock_mhz, .link_gbps = s->link_gbps,
            .link_latency_cycles = s->link_latency,
        };

        xpu_link_count(lp, pp, XPU_LINK_CNT_BUSY,
                       xpu_timing_link_cycles(&cfg, len));
    }
    return 0;
}

int xpu_link_xfer(XpuState *s, uint64_t la, void *buf, uint64_t len,
                  int write)
{
    uint32_t p = XPU_LINK_ADDR_PORT(la), wi = XPU_LINK_ADDR_WIN(la);
    XpuState *peer;
    int rc;

    peer = xpu_link_get(s, p);
    if (!peer) {
        trace_xpu_link_error(s->chip_id, p, wi, "port not connected");
        return XPU_JOB_STATUS_LINK_ERROR;
    }
    rc = xpu_link_xfer_peer(s, peer, p, la, buf, len, write);
    xpu_link_put(peer);
    return rc;
}
