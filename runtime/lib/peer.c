// SPDX-License-Identifier: MIT
/*
 * libxpu: several devices. Link queries, peer access and device-to-device
 * copies, on top of the backends' link and peer operations.
 *
 * A buffer of one device is mapped for another device's jobs on first use
 * (xpu_buffer_peer_va): the host backend opens a link window or a P2P range
 * (backend_host.c), the DRM backend exports the buffer as a dma-buf on the
 * owner's fd and imports it on the other's (DRM_IOCTL_PRIME_*), which the
 * driver maps over a link or PCIe P2P. Mappings are cached per (buffer,
 * device) in one list under one lock and released when the buffer is freed
 * or either device is closed; the owner's side is revoked first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* device-to-device copies: one DMA job per chunk, so no job runs long */
#define PEER_COPY_CHUNK	(16ull << 20)

static pthread_mutex_t peer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xpu_peer_map *peer_maps;	/* under peer_lock */
/* devices that enabled peer access to others, under peer_lock: a device
 * that goes is dropped from their peers[] */
static xpu_device **enablers;
static uint32_t num_enablers, cap_enablers;

/* the device's chip id for messages; 0 on a device without links */
static uint32_t chip_of(xpu_device *dev)
{
	uint32_t chip = 0, n;

	if (!dev->ops->link_query || dev->ops->link_query(dev, &chip, &n))
		return 0;
	return chip;
}

/* ---- queries ----------------------------------------------------------------- */
XPU_EXPORT xpu_status xpu_device_get_chip_id(xpu_device *dev, uint32_t *chip)
{
	uint32_t n;

	if (!dev || !chip)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	return xpu_ok(dev->ops->link_query(dev, chip, &n));
}

XPU_EXPORT xpu_status xpu_device_get_link_count(xpu_device *dev, uint32_t *count)
{
	uint32_t chip;

	if (!dev || !count)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	return xpu_ok(dev->ops->link_query(dev, &chip, count));
}

XPU_EXPORT xpu_status xpu_device_get_link_info(xpu_device *dev, uint32_t port,
					       struct xpu_link_info *info)
{
	struct xpu_link_info li;
	uint32_t chip, n;
	xpu_status st;

	if (!dev || !info)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = dev->ops->link_query(dev, &chip, &n);
	if (st)
		return st;
	if (port >= n)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "link port %u: chip %u has %u link port(s)", port, chip, n);
	memset(&li, 0, sizeof(li));
	li.peer_index = -1;
	st = dev->ops->link_info(dev, port, &li);
	if (st)
		return st;
	if (li.state == XPU_LINK_STATE_NONE)
		li.peer_index = -1;
	*info = li;
	return xpu_ok(XPU_SUCCESS);
}

static enum xpu_peer_path peer_path(xpu_device *dev, xpu_device *peer)
{
	if (dev == peer)
		return XPU_PEER_SELF;
	if (dev->ops != peer->ops || !dev->ops->peer_path)
		return XPU_PEER_NONE;	/* a host device and a DRM device */
	return dev->ops->peer_path(dev, peer);
}

XPU_EXPORT xpu_status xpu_device_can_access_peer(xpu_device *dev, xpu_device *peer,
						 enum xpu_peer_path *path)
{
	if (!dev || !peer || !path)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	*path = peer_path(dev, peer);
	return xpu_ok(XPU_SUCCESS);
}

static int peer_enabled(xpu_device *dev, xpu_device *peer)
{
	int on = dev == peer;

	pthread_mutex_lock(&dev->lock);
	for (uint32_t i = 0; i < dev->num_peers && !on; i++)
		on = dev->peers[i] == peer;
	pthread_mutex_unlock(&dev->lock);
	return on;
}

XPU_EXPORT xpu_status xpu_device_enable_peer_access(xpu_device *dev, xpu_device *peer)
{
	enum xpu_peer_path path;
	xpu_status st = XPU_SUCCESS;

	if (!dev || !peer)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	path = peer_path(dev, peer);
	if (path == XPU_PEER_NONE)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "chip %u cannot reach the memory of chip %u: no link joins them "
				     "and no PCIe peer-to-peer path (devices of one fabric or driver?)",
				     chip_of(dev), chip_of(peer));
	if (path == XPU_PEER_SELF || peer_enabled(dev, peer))
		return xpu_ok(XPU_SUCCESS);
	pthread_mutex_lock(&peer_lock);
	{
		uint32_t i;

		for (i = 0; i < num_enablers && enablers[i] != dev; i++)
			;
		if (i == num_enablers) {
			if (num_enablers == cap_enablers) {
				uint32_t cap = cap_enablers ? 2 * cap_enablers : 16;
				xpu_device **e = realloc(enablers, cap * sizeof(*e));

				if (!e) {
					pthread_mutex_unlock(&peer_lock);
					return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
				}
				enablers = e;
				cap_enablers = cap;
			}
			enablers[num_enablers++] = dev;
		}
	}
	pthread_mutex_unlock(&peer_lock);
	pthread_mutex_lock(&dev->lock);
	for (uint32_t i = 0; i < dev->num_peers; i++)
		if (dev->peers[i] == peer)
			goto out;
	if (dev->num_peers == XPU_HOST_MAX_CHIPS)
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "peer access enabled to %d devices already",
				   XPU_HOST_MAX_CHIPS);
	else
		dev->peers[dev->num_peers++] = peer;
out:
	pthread_mutex_unlock(&dev->lock);
	return xpu_ok(st);
}

/* ---- peer mappings ---------------------------------------------------------- */
/* The mapping of buf for dev, made if needed (peer_lock held). */
static xpu_status peer_map_locked(xpu_buffer *buf, xpu_device *dev, struct xpu_peer_map **out)
{
	struct xpu_peer_map *m;
	enum xpu_peer_path path;
	xpu_status st;

	for (m = peer_maps; m; m = m->next) {
		if (m->buf == buf && m->dev == dev) {
			*out = m;
			return XPU_SUCCESS;
		}
	}
	path = peer_path(dev, buf->dev);
	if (path == XPU_PEER_NONE || !dev->ops->peer_map)
		return xpu_set_error(XPU_ERROR_NOT_SUPPORTED,
				     "chip %u cannot reach a buffer of chip %u: no link joins them and "
				     "no PCIe peer-to-peer path", chip_of(dev), chip_of(buf->dev));
	m = calloc(1, sizeof(*m));
	if (!m)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	m->buf = buf;
	m->dev = dev;
	st = dev->ops->peer_map(m);
	if (st) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s", xpu_last_error());
		free(m);
		return xpu_set_error(st, "mapping a %llu-byte buffer of chip %u for chip %u: %s",
				     (unsigned long long)buf->size, chip_of(buf->dev), chip_of(dev),
				     msg);
	}
	m->next = peer_maps;
	peer_maps = m;
	*out = m;
	return XPU_SUCCESS;
}

xpu_status xpu_buffer_peer_va(xpu_buffer *buf, xpu_device *dev, uint64_t *va)
{
	struct xpu_peer_map *m;
	xpu_status st;

	if (!buf || !dev || !va)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (buf->dev == dev) {
		*va = buf->bo.va;
		return XPU_SUCCESS;
	}
	pthread_mutex_lock(&peer_lock);
	st = peer_map_locked(buf, dev, &m);
	if (!st)
		*va = m->va;
	pthread_mutex_unlock(&peer_lock);
	return st;
}

/* Unlink and release every mapping for which gone(m, arg) holds. */
static void peer_release(int (*gone)(const struct xpu_peer_map *m, const void *arg),
			 const void *arg)
{
	struct xpu_peer_map **pm, *m, *list = NULL;

	pthread_mutex_lock(&peer_lock);
	for (pm = &peer_maps; (m = *pm);) {
		if (gone(m, arg)) {
			*pm = m->next;
			m->next = list;
			list = m;
		} else {
			pm = &m->next;
		}
	}
	/* still under the lock: a new mapping of the same buffer waits */
	while ((m = list)) {
		list = m->next;
		m->dev->ops->peer_unmap(m);
		free(m);
	}
	pthread_mutex_unlock(&peer_lock);
}

static int of_buffer(const struct xpu_peer_map *m, const void *buf)
{
	return m->buf == buf;
}

static int of_device(const struct xpu_peer_map *m, const void *dev)
{
	return m->dev == dev || m->buf->dev == dev;
}

void xpu_peer_buffer_gone(xpu_buffer *buf)
{
	peer_release(of_buffer, buf);
}

void xpu_peer_device_gone(xpu_device *dev)
{
	peer_release(of_device, dev);
	/* nobody keeps peer access to it (a later device may get its address) */
	pthread_mutex_lock(&peer_lock);
	for (uint32_t i = 0; i < num_enablers;) {
		xpu_device *e = enablers[i];

		if (e == dev) {
			enablers[i] = enablers[--num_enablers];
			continue;
		}
		pthread_mutex_lock(&e->lock);
		for (uint32_t j = 0; j < e->num_peers;) {
			if (e->peers[j] == dev)
				e->peers[j] = e->peers[--e->num_peers];
			else
				j++;
		}
		pthread_mutex_unlock(&e->lock);
		i++;
	}
	pthread_mutex_unlock(&peer_lock);
}

/* ---- copies ------------------------------------------------------------------ */
XPU_EXPORT xpu_status xpu_copy_peer_async(xpu_stream *s, xpu_buffer *dst, size_t doff,
					  xpu_buffer *src, size_t soff, size_t n)
{
	xpu_buffer *own[2];
	xpu_buffer *other = NULL;
	struct xpu_bo peer_bo;
	struct xpu_peer_map *m = NULL;
	uint64_t dva, sva;
	uint32_t nown = 0;
	xpu_status st;

	if (!s || !dst || !src)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	if (dst->dev != s->dev && src->dev != s->dev)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_copy_peer_async: the stream's device (chip %u) owns neither "
				     "the destination (chip %u) nor the source (chip %u)",
				     chip_of(s->dev), chip_of(dst->dev), chip_of(src->dev));
	if (dst->bo.flags & XPU_MEM_READ_ONLY)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_copy_peer_async: the destination is device-read-only");
	if (doff > dst->size || n > dst->size - doff)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_copy_peer_async: destination range [%zu, +%zu) outside the "
				     "%llu-byte buffer of chip %u", doff, n,
				     (unsigned long long)dst->size, chip_of(dst->dev));
	if (soff > src->size || n > src->size - soff)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_copy_peer_async: source range [%zu, +%zu) outside the "
				     "%llu-byte buffer of chip %u", soff, n,
				     (unsigned long long)src->size, chip_of(src->dev));
	if (dst->dev == s->dev)
		own[nown++] = dst;
	else
		other = dst;
	if (src->dev == s->dev)
		own[nown++] = src;
	else
		other = src;
	if (other && !peer_enabled(s->dev, other->dev))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "xpu_copy_peer_async: chip %u has no peer access to chip %u (the "
				     "%s's device): call xpu_device_enable_peer_access first",
				     chip_of(s->dev), chip_of(other->dev),
				     other == dst ? "destination" : "source");
	if (!n)
		return xpu_ok(XPU_SUCCESS);
	memset(&peer_bo, 0, sizeof(peer_bo));
	if (other) {
		pthread_mutex_lock(&peer_lock);
		st = peer_map_locked(other, s->dev, &m);
		if (!st) {
			peer_bo.handle = m->handle;
			peer_bo.va = m->va;
			peer_bo.size = other->bo.size;
		}
		pthread_mutex_unlock(&peer_lock);
		if (st)
			return st;
	}
	dva = dst == other ? peer_bo.va : dst->bo.va;
	sva = src == other ? peer_bo.va : src->bo.va;
	pthread_mutex_lock(&s->lock);
	st = s->err ? xpu_stream_error(s) : XPU_SUCCESS;
	for (uint64_t done = 0; !st && done < n;) {
		uint64_t c = n - done < PEER_COPY_CHUNK ? n - done : PEER_COPY_CHUNK;
		char what[96];

		snprintf(what, sizeof(what), "peer copy chip %u -> chip %u (%llu bytes at +%llu)",
			 chip_of(src->dev), chip_of(dst->dev), (unsigned long long)c,
			 (unsigned long long)done);
		st = xpu_copy_job_locked(s, dva + doff + done, sva + soff + done, c, own, nown,
					 other ? &peer_bo : NULL, what);
		done += c;
	}
	pthread_mutex_unlock(&s->lock);
	return xpu_ok(st);
}
