// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: chip-to-chip link ports and the windows peers reach
 * this chip's memory through (hardware 1.1).
 *
 * Topology is read from the port registers (XPU_REG_LINK(p, *)) whenever it
 * is asked for: a link may go down or be retrained at any time, so nothing
 * is cached but the port count.
 *
 * Exporting over a link: a buffer a peer imports is mapped in the export
 * context, a kernel context that is bound for good to the last hardware
 * context id (no file ever gets it, see xpu_slots_reserve()), at a VA of
 * its own; a window (XPU_REG_WIN) opens [va, va + size) of that context to
 * the importing chip only. Closing a window clears its VALID flag first
 * (when that write completes no transfer through it is in flight), then the
 * buffer is unmapped from the export context once no window uses it.
 *
 * Window ids come from a table per chip id that belongs to the module, not
 * to the device: an importer's page-table entries name (its port, window),
 * and a window that was revoked with the device (unbind) stays taken until
 * the importer frees its buffer, so a device bound again never opens that
 * window id for another buffer while stale entries still name it.
 */

#include <linux/idr.h>
#include <linux/seq_file.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>

#include "xpu_drv.h"
#include "drm/xpu_accel.h"

/**
 * struct xpu_link_window - one open window of an exporting device
 * @node: in &xpu_device.windows, under &xpu_device.link_lock
 * @obj: the exported buffer, mapped in the export context
 * @win: window id
 * @va: start of the buffer in the export context
 * @peers: XPU_WIN_PEERS: the importing chip's bit
 * @flags: XPU_WINF_* written when it opened (VALID included)
 */
struct xpu_link_window {
	struct list_head node;
	struct drm_gem_object *obj;
	u32 win;
	u64 va;
	u32 peers;
	u32 flags;
};

/* window ids in use, per chip id of the exporter (see the comment at the top) */
static struct ida xpu_win_ids[XPU_MAX_CHIPS];

/**
 * xpu_link_module_init() - the module's window id tables
 */
void xpu_link_module_init(void)
{
	u32 i;

	for (i = 0; i < XPU_MAX_CHIPS; i++)
		ida_init(&xpu_win_ids[i]);
}

/**
 * xpu_link_module_exit() - free the window id tables (every device is gone)
 */
void xpu_link_module_exit(void)
{
	u32 i;

	for (i = 0; i < XPU_MAX_CHIPS; i++)
		ida_destroy(&xpu_win_ids[i]);
}

static void xpu_link_fini(struct drm_device *drm, void *arg)
{
	struct xpu_device *xdev = to_xpu_device(drm);
	struct xpu_ctx *ctx = xdev->export_ctx;

	/* the last reference: every dma-buf, so every window, is gone */
	drm_WARN_ON(drm, !list_empty(&xdev->windows));
	drm_WARN_ON(drm, !list_empty(&xdev->peer_imports));
	if (!ctx)
		return;
	xpu_slots_unreserve(xdev, ctx);
	xpu_vm_fini(ctx);
	kfree(ctx);
	xdev->export_ctx = NULL;
}

/* The export context: a kernel context on the last hardware context id. */
static int xpu_link_export_ctx_init(struct xpu_device *xdev)
{
	struct xpu_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	int ret;

	if (!ctx)
		return -ENOMEM;
	kref_init(&ctx->ref);
	ctx->xdev = xdev;
	mutex_init(&ctx->submit_lock);
	xa_init(&ctx->results);
	xpu_ctx_slot_init(ctx);
	ret = xpu_vm_init(ctx);
	if (ret) {
		kfree(ctx);
		return ret;
	}
	ret = xpu_slots_reserve(xdev, ctx);
	if (ret) {
		xpu_vm_fini(ctx);
		kfree(ctx);
		return ret;
	}
	xdev->export_ctx = ctx;
	xdev->export_hw_ctx = ctx->hw_ctx;
	return 0;
}

/**
 * xpu_link_init() - read the link configuration, make the export context
 * @xdev: device with its HBM allocator and hardware contexts set up
 *
 * A device without XPU_CAP_LINK (every 1.0 device) has no link ports. A
 * device whose link registers are out of range, or that has too few
 * hardware contexts to reserve one for exports, works without links.
 *
 * Return: 0 or -ENOMEM.
 */
int xpu_link_init(struct xpu_device *xdev)
{
	struct device *dev = &xdev->pdev->dev;
	u32 w;
	int ret;

	mutex_init(&xdev->link_lock);
	INIT_LIST_HEAD(&xdev->windows);
	INIT_LIST_HEAD(&xdev->peer_imports);
	ret = drmm_add_action_or_reset(&xdev->drm, xpu_link_fini, NULL);
	if (ret)
		return ret;
	if (!(xdev->caps & XPU_CAP_LINK) || (xdev->hw_version & 0xffff) < 1)
		return 0;

	xdev->chip_id = xpu_read(xdev, XPU_REG_CHIP_ID);
	xdev->num_links = xpu_read(xdev, XPU_REG_NUM_LINKS);
	xdev->link_gbps = xpu_read(xdev, XPU_REG_LINK_GBPS);
	xdev->link_latency = xpu_read(xdev, XPU_REG_LINK_LATENCY);
	if (xdev->chip_id >= XPU_MAX_CHIPS || xdev->num_links > XPU_MAX_LINKS) {
		dev_err(dev, "bad chip id %u or link count %u: links disabled\n",
			xdev->chip_id, xdev->num_links);
		xdev->chip_id = 0;
		xdev->num_links = 0;
		return 0;
	}
	if (!xdev->num_links)
		return 0;
	/* no window of an earlier driver instance stays open */
	for (w = 0; w < XPU_MAX_WINDOWS; w++)
		xpu_write(xdev, XPU_REG_WIN(w, XPU_WIN_FLAGS), 0);
	ret = xpu_link_export_ctx_init(xdev);
	if (ret == -EBUSY) {
		dev_warn(dev, "%u hardware contexts: none to spare for link exports\n",
			 xdev->num_ctx);
		return 0;
	}
	if (ret)
		return ret;
	dev_info(dev, "chip %u: %u link ports, %u GB/s, %u cycles; exports in hw ctx %u\n",
		 xdev->chip_id, xdev->num_links, xdev->link_gbps, xdev->link_latency,
		 xdev->export_hw_ctx);
	return 0;
}

/**
 * xpu_link_peer() - what is cabled to a port
 * @xdev: device
 * @port: port below &xpu_device.num_links
 *
 * Return: DRM_XPU_LINK_PEER_NONE when nothing is (or the device is gone),
 * else the peer's chip id | its port << 16 | DRM_XPU_LINK_UP when up.
 */
u64 xpu_link_peer(struct xpu_device *xdev, u32 port)
{
	u32 status, peer;
	int idx;

	if (port >= xdev->num_links || !drm_dev_enter(&xdev->drm, &idx))
		return DRM_XPU_LINK_PEER_NONE;
	status = xpu_read(xdev, XPU_REG_LINK(port, XPU_LINK_STATUS));
	peer = xpu_read(xdev, XPU_REG_LINK(port, XPU_LINK_PEER));
	drm_dev_exit(idx);
	if (!(status & XPU_LSTS_CONNECTED) || peer == XPU_LINK_NO_PEER)
		return DRM_XPU_LINK_PEER_NONE;
	return (peer & 0xffff) | (u64)((peer >> 16) & 0xff) << 16 |
	       (status & XPU_LSTS_UP ? DRM_XPU_LINK_UP : 0);
}

/**
 * xpu_link_port_to() - a port whose link to a chip is up
 * @xdev: the importing device
 * @chip: the exporter's chip id
 *
 * Return: the lowest such port, or -ENOLINK.
 */
int xpu_link_port_to(struct xpu_device *xdev, u32 chip)
{
	u32 p;

	for (p = 0; p < xdev->num_links; p++) {
		u64 peer = xpu_link_peer(xdev, p);

		if (peer != DRM_XPU_LINK_PEER_NONE && (peer & DRM_XPU_LINK_UP) &&
		    (peer & 0xffff) == chip)
			return p;
	}
	return -ENOLINK;
}

/**
 * xpu_link_counter() - a port's 64-bit counter
 * @xdev: device
 * @port: port below &xpu_device.num_links
 * @idx: XPU_LINK_CNT_*
 *
 * Return: its value, 0 when the device is gone.
 */
u64 xpu_link_counter(struct xpu_device *xdev, u32 port, u32 idx)
{
	u32 reg = XPU_REG_LINK(port, XPU_LINK_CNT(idx));
	u32 lo, hi, hi2;
	int i;

	if (!drm_dev_enter(&xdev->drm, &i))
		return 0;
	/* a carry between the two reads is seen as a change of HI */
	do {
		hi = xpu_read(xdev, reg + 4);
		lo = xpu_read(xdev, reg);
		hi2 = xpu_read(xdev, reg + 4);
	} while (hi != hi2);
	drm_dev_exit(i);
	return (u64)hi << 32 | lo;
}

/* Program window w and open it (VALID last); link_lock held, inside drm_dev_enter(). */
static void xpu_link_window_write(struct xpu_device *xdev, struct xpu_link_window *w)
{
	lockdep_assert_held(&xdev->link_lock);
	xpu_write(xdev, XPU_REG_WIN(w->win, XPU_WIN_FLAGS), 0);
	xpu_write(xdev, XPU_REG_WIN(w->win, XPU_WIN_CTX), xdev->export_hw_ctx);
	xpu_write(xdev, XPU_REG_WIN(w->win, XPU_WIN_VA_LO), lower_32_bits(w->va));
	xpu_write(xdev, XPU_REG_WIN(w->win, XPU_WIN_VA_HI), upper_32_bits(w->va));
	xpu_write(xdev, XPU_REG_WIN(w->win, XPU_WIN_SIZE_LO), lower_32_bits(w->obj->size));
	xpu_write(xdev, XPU_REG_WIN(w->win, XPU_WIN_SIZE_HI), upper_32_bits(w->obj->size));
	xpu_write(xdev, XPU_REG_WIN(w->win, XPU_WIN_PEERS), w->peers);
	xpu_write(xdev, XPU_REG_WIN(w->win, XPU_WIN_FLAGS), w->flags);
}

/*
 * Close window w in the hardware: when the flags write has completed (the
 * read back), no transfer through it is in flight. link_lock held, inside
 * drm_dev_enter().
 */
static void xpu_link_window_revoke_hw(struct xpu_device *xdev, u32 win)
{
	lockdep_assert_held(&xdev->link_lock);
	xpu_write(xdev, XPU_REG_WIN(win, XPU_WIN_FLAGS), 0);
	xpu_read(xdev, XPU_REG_WIN(win, XPU_WIN_FLAGS));
}

/**
 * xpu_link_window_open() - let a peer chip reach a buffer of this device
 * @xdev: the exporting device
 * @obj: its HBM buffer
 * @peer_chip: the importing chip, the only one the window lets in
 * @read_only: the peer may only read (a DRM_XPU_BO_DEVICE_RO buffer)
 * @win: out, the window id
 *
 * Maps @obj in the export context (once for all its windows) and opens a
 * window over it.
 *
 * Return: 0, -ENOLINK without links or export context, -ENODEV when the
 * device is being removed, -ENOSPC when every window id of the chip is
 * taken, -ENOMEM.
 */
int xpu_link_window_open(struct xpu_device *xdev, struct drm_gem_object *obj,
			 u32 peer_chip, bool read_only, u32 *win)
{
	struct xpu_link_window *w;
	int ret, idx;

	if (!xdev->export_ctx || peer_chip >= XPU_MAX_CHIPS)
		return -ENOLINK;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	mutex_lock(&xdev->link_lock);
	if (xdev->links_revoked || !drm_dev_enter(&xdev->drm, &idx)) {
		ret = -ENODEV;
		goto err_unlock;
	}
	ret = ida_alloc_max(&xpu_win_ids[xdev->chip_id], XPU_MAX_WINDOWS - 1, GFP_KERNEL);
	if (ret < 0) {
		ret = ret == -ENOMEM ? -ENOMEM : -ENOSPC;
		goto err_exit;
	}
	w->win = ret;
	ret = xpu_vm_map(xdev->export_ctx, obj, &w->va);
	if (ret)
		goto err_ida;
	w->obj = obj;
	w->peers = BIT(peer_chip);
	w->flags = XPU_WINF_VALID | XPU_WINF_READ | (read_only ? 0 : XPU_WINF_WRITE);
	xpu_link_window_write(xdev, w);
	list_add_tail(&w->node, &xdev->windows);
	*win = w->win;
	xpu_dbg(xdev, MMU, "window %u: export VA 0x%llx, %zu bytes, to chip %u%s\n",
		w->win, w->va, obj->size, peer_chip, read_only ? " read-only" : "");
	drm_dev_exit(idx);
	mutex_unlock(&xdev->link_lock);
	return 0;

err_ida:
	ida_free(&xpu_win_ids[xdev->chip_id], w->win);
err_exit:
	drm_dev_exit(idx);
err_unlock:
	mutex_unlock(&xdev->link_lock);
	kfree(w);
	return ret;
}

/**
 * xpu_link_window_close() - close a window of xpu_link_window_open()
 * @xdev: the exporting device (gone or not)
 * @win: the window id; the importer's entries naming it are gone and none
 *	of its jobs can use them any more
 *
 * Unmaps the buffer from the export context when no other window uses it.
 */
void xpu_link_window_close(struct xpu_device *xdev, u32 win)
{
	struct xpu_link_window *w, *found = NULL;
	bool used = false;
	int idx;

	mutex_lock(&xdev->link_lock);
	list_for_each_entry(w, &xdev->windows, node)
		if (w->win == win)
			found = w;
	if (drm_WARN_ON(&xdev->drm, !found)) {
		mutex_unlock(&xdev->link_lock);
		return;
	}
	list_del(&found->node);
	if (drm_dev_enter(&xdev->drm, &idx)) {
		xpu_link_window_revoke_hw(xdev, win);
		drm_dev_exit(idx);
	}
	list_for_each_entry(w, &xdev->windows, node)
		if (w->obj == found->obj)
			used = true;
	if (!used)
		xpu_vm_unmap(xdev->export_ctx, found->obj);
	ida_free(&xpu_win_ids[xdev->chip_id], win);
	mutex_unlock(&xdev->link_lock);
	xpu_dbg(xdev, MMU, "window %u: closed\n", win);
	kfree(found);
}

/**
 * xpu_link_windows_show() - debugfs "windows": the open windows
 * @m: seq file
 * @xdev: device
 *
 * One line per window: id, peers mask, export VA, size, flags, and
 * "revoked" once the device is being removed.
 */
void xpu_link_windows_show(struct seq_file *m, struct xpu_device *xdev)
{
	struct xpu_link_window *w;

	mutex_lock(&xdev->link_lock);
	seq_printf(m, "chip %u links %u export_ctx %u%s\n", xdev->chip_id, xdev->num_links,
		   xdev->export_hw_ctx, xdev->links_revoked ? " revoked" : "");
	list_for_each_entry(w, &xdev->windows, node)
		seq_printf(m, "window %u peers 0x%08x va 0x%llx size %zu flags 0x%x\n",
			   w->win, w->peers, w->va, w->obj->size, w->flags);
	mutex_unlock(&xdev->link_lock);
}

/**
 * xpu_link_restore() - open the windows again after a device reset
 * @xdev: device just reset (every window register reads 0), under
 *	&xpu_device.reset_lock
 */
void xpu_link_restore(struct xpu_device *xdev)
{
	struct xpu_link_window *w;

	lockdep_assert_held(&xdev->reset_lock);
	mutex_lock(&xdev->link_lock);
	if (!xdev->links_revoked)
		list_for_each_entry(w, &xdev->windows, node)
			xpu_link_window_write(xdev, w);
	mutex_unlock(&xdev->link_lock);
}

/**
 * xpu_link_revoke() - the device is being removed: close every window
 * @xdev: device, still accessible (called before drm_dev_unplug())
 *
 * Importers' jobs that use a window afterwards end with
 * DRM_XPU_JOB_LINK_ERROR; the window ids stay taken until the importers
 * free their buffers. PCIe imports are revoked too (xpu_peer_revoke()).
 */
void xpu_link_revoke(struct xpu_device *xdev)
{
	struct xpu_link_window *w;
	int idx;

	mutex_lock(&xdev->link_lock);
	xdev->links_revoked = true;
	if (drm_dev_enter(&xdev->drm, &idx)) {
		list_for_each_entry(w, &xdev->windows, node) {
			xpu_link_window_revoke_hw(xdev, w->win);
			xpu_dbg(xdev, MMU, "window %u: revoked (device removed)\n", w->win);
		}
		drm_dev_exit(idx);
	}
	mutex_unlock(&xdev->link_lock);
	xpu_peer_revoke(xdev);
}
