// SPDX-License-Identifier: MIT
/*
 * libxpu host backend: the link fabric. Several host devices of one process
 * are chips of a fabric: each has its own HBM, tiles and chip id, and its
 * link ports are cabled by the topology as xpu.h documents it (ring: chip i
 * port 0 -> chip i+1 port 1; mesh: port j of chip i -> chip j, self
 * skipped; torus2d a x b: ports 0/1 along x as a ring, 2/3 along y). Every
 * chip has the window table of XPU_REG_WIN (what peers may reach of its
 * export context), per-port counters, and the list of HBM ranges it
 * exported for PCIe peer-to-peer.
 *
 * A tile's link access (xpu_mem.link_xfer) goes to the chip cabled to the
 * port, whose xpu_link_serve() checks the window and copies, requester =
 * the tile's chip id. Serving holds the exporter's lock for reading;
 * opening and revoking windows hold it for writing, so a revoke returns
 * once no transfer through the window is in flight, as the hardware's
 * window-flags write does.
 *
 * XPU_BACKEND=host with XPU_HOST_DEVICES=N (N > 1) and XPU_HOST_TOPOLOGY
 * makes one process-wide fabric whose chip i xpu_device_open(i) returns
 * (the same handle while it is open, counted); xpu_host_fabric_open() makes
 * a private one. A fabric lives while one of its chips is open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"
#include "xpu_host_copy.h"

struct p2p_range {
	uint64_t off, size;
	uint32_t peer;
};

struct fabric_port {
	int32_t peer_chip, peer_port;	/* -1: nothing cabled */
	uint32_t state;			/* XPU_LINK_STATE_* */
	uint64_t cnt[XPU_LINK_CNT_COUNT];	/* __atomic */
};

struct host_fabric;

struct fabric_chip {
	struct host_fabric *f;
	uint32_t id, nports;
	struct fabric_port port[XPU_MAX_LINKS];
	/* dev, win and p2p: read while serving a peer, written to change */
	pthread_rwlock_t lock;
	xpu_device *dev;		/* attached (open) device, or NULL */
	uint64_t gen;			/* attachments so far: tells devices apart */
	struct xpu_link_window win[XPU_MAX_WINDOWS];
	struct p2p_range *p2p;
	uint32_t num_p2p, cap_p2p;
	/* under g_lock */
	xpu_device *handle;		/* what xpu_device_open(id) returns while open */
	int refs;
};

struct host_fabric {
	uint32_t n;
	enum xpu_topology topo;
	uint32_t torus_x;
	uint32_t gbps, latency;
	int attached;			/* chips with a device, under g_lock */
	int env;			/* the process-wide fabric */
	struct fabric_chip chip[];
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_fabric *g_env;	/* XPU_HOST_DEVICES > 1, under g_lock */

static void connect(struct host_fabric *f, uint32_t a, uint32_t pa, uint32_t b, uint32_t pb)
{
	f->chip[a].port[pa].peer_chip = (int32_t)b;
	f->chip[a].port[pa].peer_port = (int32_t)pb;
	f->chip[a].port[pa].state = XPU_LINK_STATE_UP;
	f->chip[b].port[pb].peer_chip = (int32_t)a;
	f->chip[b].port[pb].peer_port = (int32_t)pa;
	f->chip[b].port[pb].state = XPU_LINK_STATE_UP;
}

/* Cable the ports per the topology (checked by the caller). */
static void cable(struct host_fabric *f)
{
	uint32_t n = f->n, np = 0;

	if (f->topo == XPU_TOPO_RING && n >= 2)
		np = 2;
	else if (f->topo == XPU_TOPO_MESH)
		np = n - 1;
	else if (f->topo == XPU_TOPO_TORUS2D)
		np = 4;
	for (uint32_t i = 0; i < n; i++) {
		struct fabric_chip *c = &f->chip[i];

		c->f = f;
		c->id = i;
		c->nports = np;
		for (uint32_t p = 0; p < XPU_MAX_LINKS; p++) {
			c->port[p].peer_chip = -1;
			c->port[p].peer_port = -1;
			c->port[p].state = XPU_LINK_STATE_NONE;
		}
	}
	if (!np)
		return;
	if (f->topo == XPU_TOPO_RING) {
		for (uint32_t i = 0; i < n; i++)
			connect(f, i, 0, (i + 1) % n, 1);
	} else if (f->topo == XPU_TOPO_MESH) {
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = i + 1; j < n; j++)
				connect(f, i, j - 1, j, i);
	} else {
		uint32_t a = f->torus_x, b = n / a;

		for (uint32_t y = 0; y < b; y++) {
			for (uint32_t x = 0; x < a; x++) {
				connect(f, y * a + x, 0, y * a + (x + 1) % a, 1);
				connect(f, y * a + x, 2, ((y + 1) % b) * a + x, 3);
			}
		}
	}
}

static xpu_status fabric_new(uint32_t n, enum xpu_topology topo, uint32_t torus_x, uint32_t gbps,
			     uint32_t latency, struct host_fabric **out)
{
	struct host_fabric *f;

	if (n < 1 || n > XPU_HOST_MAX_CHIPS)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "host fabric of %u chips: 1..%d", n, XPU_HOST_MAX_CHIPS);
	if (topo != XPU_TOPO_NONE && topo != XPU_TOPO_RING && topo != XPU_TOPO_TORUS2D &&
	    topo != XPU_TOPO_MESH)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "unknown topology %d", (int)topo);
	if (topo == XPU_TOPO_MESH && n - 1 > XPU_MAX_LINKS)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "mesh of %u chips needs %u ports per chip, a chip has at most %d",
				     n, n - 1, XPU_MAX_LINKS);
	if (topo == XPU_TOPO_TORUS2D &&
	    (torus_x < 2 || n % torus_x || n / torus_x < 2))
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "torus2d of %u chips with %u along x: needs %u = a x b, a >= 2 and b >= 2",
				     n, torus_x, n);
	f = calloc(1, sizeof(*f) + n * sizeof(f->chip[0]));
	if (!f)
		return xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "calloc");
	f->n = n;
	f->topo = topo;
	f->torus_x = torus_x;
	f->gbps = gbps ? gbps : XPU_ENG_DEF_LINK_GBPS;
	f->latency = latency ? latency : XPU_ENG_DEF_LINK_LAT;
	{
		pthread_rwlockattr_t ra;

		/* a revoke must not starve behind a stream of transfers */
		pthread_rwlockattr_init(&ra);
		pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		for (uint32_t i = 0; i < n; i++)
			pthread_rwlock_init(&f->chip[i].lock, &ra);
		pthread_rwlockattr_destroy(&ra);
	}
	cable(f);
	*out = f;
	return XPU_SUCCESS;
}

static void fabric_free(struct host_fabric *f)
{
	for (uint32_t i = 0; i < f->n; i++) {
		pthread_rwlock_destroy(&f->chip[i].lock);
		free(f->chip[i].p2p);
	}
	free(f);
}

/* ---- chips and their devices ------------------------------------------------ */
uint32_t xpu_fabric_chip_id(const struct fabric_chip *c)
{
	return c->id;
}

uint32_t xpu_fabric_num_links(const struct fabric_chip *c)
{
	return c->nports;
}

int xpu_fabric_same(const struct fabric_chip *a, const struct fabric_chip *b)
{
	return a && b && a->f == b->f;
}

void xpu_fabric_engine_config(const struct fabric_chip *c, struct xpu_engine_config *ec)
{
	ec->link_gbps = c->f->gbps;
	ec->link_latency_cycles = c->f->latency;
}

/* The caller holds g_lock (the device is being created for the chip). */
void xpu_fabric_attach(struct fabric_chip *c, xpu_device *dev)
{
	pthread_rwlock_wrlock(&c->lock);
	c->dev = dev;
	c->gen++;
	pthread_rwlock_unlock(&c->lock);
	c->handle = dev;
	c->refs = 1;
	c->f->attached++;
}

void xpu_host_chip_detach(void *chip, xpu_device *dev)
{
	struct fabric_chip *c = chip;
	struct host_fabric *f = c->f;

	/* no transfer is served from it any more, nothing stays exported */
	pthread_rwlock_wrlock(&c->lock);
	if (c->dev == dev) {
		c->dev = NULL;
		memset(c->win, 0, sizeof(c->win));
		c->num_p2p = 0;
	}
	pthread_rwlock_unlock(&c->lock);
	pthread_mutex_lock(&g_lock);
	if (c->handle == dev) {
		c->handle = NULL;
		c->refs = 0;
	}
	if (--f->attached == 0) {
		if (g_env == f)
			g_env = NULL;
		fabric_free(f);
	}
	pthread_mutex_unlock(&g_lock);
}

int xpu_host_chip_unref(xpu_device *dev)
{
	struct fabric_chip *c = dev->chip;
	int left;

	if (!c)
		return 0;
	pthread_mutex_lock(&g_lock);
	left = c->handle == dev && c->refs > 0 ? --c->refs : 0;
	if (!left && c->handle == dev)
		c->handle = NULL;	/* closing: a later open makes a new device */
	pthread_mutex_unlock(&g_lock);
	return left;
}

/* ---- opening fabrics ------------------------------------------------------- */
/* Open chip i of f as a device (g_lock held). */
static xpu_status chip_open(struct host_fabric *f, uint32_t i, const struct xpu_host_config *cfg,
			    xpu_device **out)
{
	struct xpu_host_config c;
	xpu_status st = xpu_host_config_in(cfg, &c);

	if (st)
		return st;
	return xpu_host_device_new(&c, &f->chip[i], out);
}

XPU_EXPORT xpu_status xpu_host_fabric_open(const struct xpu_host_fabric_config *cfg,
					   xpu_device **devs)
{
	struct host_fabric *f;
	xpu_status st;
	uint32_t i;

	if (!cfg || !devs)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT, "NULL argument");
	st = xpu_check_size(cfg->size, sizeof(*cfg), "struct xpu_host_fabric_config");
	if (st)
		return st;
	if (cfg->num_chips >= 1 && cfg->num_chips <= XPU_HOST_MAX_CHIPS)
		memset(devs, 0, cfg->num_chips * sizeof(*devs));
	st = fabric_new(cfg->num_chips, cfg->topology, cfg->torus_x, cfg->link_gbps,
			cfg->link_latency_cycles, &f);
	if (st)
		return st;
	pthread_mutex_lock(&g_lock);
	for (i = 0; i < f->n; i++) {
		st = chip_open(f, i, cfg->chip ? &cfg->chip[i] : NULL, &devs[i]);
		if (st)
			break;
	}
	pthread_mutex_unlock(&g_lock);
	if (st) {
		uint32_t bad = i;
		char msg[400];

		snprintf(msg, sizeof(msg), "%s", xpu_last_error());
		if (!i)
			fabric_free(f);		/* nothing attached to it */
		while (i--) {
			xpu_device_close(devs[i]);	/* the last one frees the fabric */
			devs[i] = NULL;
		}
		return xpu_set_error(st, "host fabric chip %u: %s", bad, msg);
	}
	return xpu_ok(XPU_SUCCESS);
}

xpu_status xpu_host_env_devices(int *n)
{
	const char *s = getenv("XPU_HOST_DEVICES");
	char *end;
	long v;

	*n = 1;
	if (!s || !*s)
		return XPU_SUCCESS;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > XPU_HOST_MAX_CHIPS)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "XPU_HOST_DEVICES=%s: expected a number of chips, 1..%d", s,
				     XPU_HOST_MAX_CHIPS);
	*n = (int)v;
	return XPU_SUCCESS;
}

/* XPU_HOST_TOPOLOGY: ring (default), torus2d, mesh or none */
static xpu_status env_topology(uint32_t n, enum xpu_topology *t, uint32_t *torus_x)
{
	const char *s = getenv("XPU_HOST_TOPOLOGY");

	*torus_x = 0;
	if (!s || !*s || !strcmp(s, "ring")) {
		*t = XPU_TOPO_RING;
	} else if (!strcmp(s, "mesh")) {
		*t = XPU_TOPO_MESH;
	} else if (!strcmp(s, "none")) {
		*t = XPU_TOPO_NONE;
	} else if (!strcmp(s, "torus2d")) {
		/* a x b with a the largest divisor not above sqrt(n): 4 = 2x2, 8 = 2x4 */
		*t = XPU_TOPO_TORUS2D;
		for (uint32_t a = 2; a * a <= n; a++)
			if (n % a == 0)
				*torus_x = a;
		if (!*torus_x)
			return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
					     "XPU_HOST_TOPOLOGY=torus2d: %u chips (XPU_HOST_DEVICES) "
					     "are not a x b with a, b >= 2", n);
	} else {
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "XPU_HOST_TOPOLOGY=%s: expected ring, torus2d, mesh or none", s);
	}
	return XPU_SUCCESS;
}

xpu_status xpu_host_env_open(int index, xpu_device **out)
{
	enum xpu_topology topo;
	uint32_t tx;
	int n;
	xpu_status st = xpu_host_env_devices(&n);
	struct fabric_chip *c;

	if (st)
		return st;
	if (index < 0 || index >= n)
		return xpu_set_error(XPU_ERROR_NO_DEVICE,
				     "device %d requested, XPU_BACKEND=host has %d devices "
				     "(XPU_HOST_DEVICES)", index, n);
	st = env_topology((uint32_t)n, &topo, &tx);
	if (st)
		return st;
	pthread_mutex_lock(&g_lock);
	if (g_env && g_env->n != (uint32_t)n) {
		pthread_mutex_unlock(&g_lock);
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "XPU_HOST_DEVICES changed to %d while the fabric of %u chips is open",
				     n, g_env->n);
	}
	if (!g_env) {
		st = fabric_new((uint32_t)n, topo, tx, 0, 0, &g_env);
		if (st) {
			pthread_mutex_unlock(&g_lock);
			return st;
		}
		g_env->env = 1;
	}
	c = &g_env->chip[index];
	if (c->handle) {
		c->refs++;
		*out = c->handle;
	} else {
		st = chip_open(g_env, (uint32_t)index, NULL, out);
		if (st && !g_env->attached) {
			fabric_free(g_env);
			g_env = NULL;
		}
	}
	pthread_mutex_unlock(&g_lock);
	return st;
}

uint64_t xpu_fabric_chip_gen(const struct fabric_chip *c)
{
	uint64_t gen;

	pthread_rwlock_rdlock((pthread_rwlock_t *)&c->lock);
	gen = c->gen;
	pthread_rwlock_unlock((pthread_rwlock_t *)&c->lock);
	return gen;
}

/*
 * Cross-device waits of jobs. The other device is reached through its chip
 * only while it is attached in the same generation, and its read lock is
 * held across each slice of the wait (1 ms), so its close (which detaches
 * after its last job is done, then frees it) waits at most that long.
 */
#define FABRIC_WAIT_SLICE_NS	1000000
void xpu_fabric_wait(const struct fabric_chip *req, uint32_t chip, uint64_t gen, uint64_t tl,
		     uint64_t point)
{
	struct fabric_chip *c;

	if (!req || chip >= req->f->n)
		return;
	c = &req->f->chip[chip];
	for (;;) {
		xpu_status st = XPU_SUCCESS;
		int gone;

		pthread_rwlock_rdlock(&c->lock);
		gone = !c->dev || c->gen != gen;
		if (!gone)
			st = c->dev->ops->timeline_wait(c->dev, tl, point,
							xpu_now_ns() + FABRIC_WAIT_SLICE_NS);
		pthread_rwlock_unlock(&c->lock);
		if (gone || st != XPU_ERROR_TIMEOUT)
			return;
	}
}

/* ---- link queries -------------------------------------------------------- */
xpu_status xpu_fabric_link_info(const struct fabric_chip *c, uint32_t port,
				struct xpu_link_info *info)
{
	const struct fabric_port *p = &c->port[port];

	info->port = port;
	info->state = p->state;
	info->peer_index = p->peer_chip;	/* chip i is device i of the fabric */
	info->peer_chip = p->peer_chip < 0 ? 0 : (uint32_t)p->peer_chip;
	info->peer_port = p->peer_port < 0 ? 0 : (uint32_t)p->peer_port;
	info->gbps = c->f->gbps;
	info->latency_cycles = c->f->latency;
	info->bytes = __atomic_load_n(&p->cnt[XPU_LINK_CNT_BYTES], __ATOMIC_RELAXED);
	info->transfers = __atomic_load_n(&p->cnt[XPU_LINK_CNT_XFERS], __ATOMIC_RELAXED);
	info->busy_cycles = __atomic_load_n(&p->cnt[XPU_LINK_CNT_BUSY], __ATOMIC_RELAXED);
	info->errors = __atomic_load_n(&p->cnt[XPU_LINK_CNT_ERRORS], __ATOMIC_RELAXED);
	return XPU_SUCCESS;
}

int xpu_fabric_port_to(const struct fabric_chip *c, uint32_t peer)
{
	for (uint32_t p = 0; p < c->nports; p++)
		if (c->port[p].state == XPU_LINK_STATE_UP && c->port[p].peer_chip == (int32_t)peer)
			return (int)p;
	return -1;
}

/* ---- the link path ----------------------------------------------------------- */
static void count(struct fabric_port *p, uint64_t bytes, uint64_t cycles, int ok)
{
	if (!ok) {
		__atomic_add_fetch(&p->cnt[XPU_LINK_CNT_ERRORS], 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&p->cnt[XPU_LINK_CNT_BYTES], bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->cnt[XPU_LINK_CNT_XFERS], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->cnt[XPU_LINK_CNT_BUSY], cycles, __ATOMIC_RELAXED);
}

int xpu_fabric_link_xfer(void *opaque, uint64_t link_addr, void *buf, uint64_t len, int write)
{
	struct host_be *be = opaque;
	struct fabric_chip *c = be->chip, *peer;
	uint32_t port = XPU_LINK_ADDR_PORT(link_addr), win = XPU_LINK_ADDR_WIN(link_addr);
	struct fabric_port *p, *pp;
	int rc = XPU_JOB_STATUS_LINK_ERROR;

	if (!c || port >= c->nports)
		return XPU_JOB_STATUS_LINK_ERROR;
	p = &c->port[port];
	if (p->state != XPU_LINK_STATE_UP) {
		count(p, 0, 0, 0);
		return XPU_JOB_STATUS_LINK_ERROR;
	}
	peer = &c->f->chip[p->peer_chip];
	pp = &peer->port[p->peer_port];
	pthread_rwlock_rdlock(&peer->lock);
	if (peer->dev && win < XPU_MAX_WINDOWS) {
		struct host_be *pb = peer->dev->be;

		rc = xpu_link_serve(&pb->mem, pb->roots, 2, &peer->win[win], c->id,
				    XPU_LINK_ADDR_OFF(link_addr), buf, len, write);
	}
	pthread_rwlock_unlock(&peer->lock);
	/* both ends count every transfer that crosses the link */
	count(p, len, xpu_timing_link_cycles(&be->ec, len), rc == 0);
	count(pp, len, xpu_timing_link_cycles(&be->ec, len), rc == 0);
	return rc ? XPU_JOB_STATUS_LINK_ERROR : 0;
}

xpu_status xpu_fabric_window_open(struct fabric_chip *c, uint64_t va, uint64_t size,
				  uint32_t flags, uint32_t peer, uint32_t *win)
{
	xpu_status st = XPU_SUCCESS;
	uint32_t w;

	pthread_rwlock_wrlock(&c->lock);
	for (w = 0; w < XPU_MAX_WINDOWS && (c->win[w].flags & XPU_WINF_VALID); w++)
		;
	if (w == XPU_MAX_WINDOWS) {
		st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY,
				   "chip %u: all %d link windows are open (free exported buffers)",
				   c->id, XPU_MAX_WINDOWS);
	} else {
		c->win[w].ctx = HOST_CTX_EXPORT;
		c->win[w].va = va;
		c->win[w].size = size;
		c->win[w].peers = 1u << peer;
		c->win[w].flags = XPU_WINF_VALID | flags;
		*win = w;
	}
	pthread_rwlock_unlock(&c->lock);
	return st;
}

int xpu_fabric_window_revoke(struct fabric_chip *c, uint32_t win)
{
	uint64_t va;
	int others = 0;

	/* the write lock: no transfer through the window is in flight */
	pthread_rwlock_wrlock(&c->lock);
	va = c->win[win].va;
	memset(&c->win[win], 0, sizeof(c->win[win]));
	for (uint32_t w = 0; w < XPU_MAX_WINDOWS; w++)
		if ((c->win[w].flags & XPU_WINF_VALID) && c->win[w].va == va)
			others = 1;
	pthread_rwlock_unlock(&c->lock);
	return others;
}

/* ---- PCIe peer-to-peer ------------------------------------------------------ */
xpu_status xpu_fabric_p2p_export(struct fabric_chip *c, uint64_t off, uint64_t size, uint32_t peer)
{
	xpu_status st = XPU_SUCCESS;

	pthread_rwlock_wrlock(&c->lock);
	if (c->num_p2p == c->cap_p2p) {
		uint32_t cap = c->cap_p2p ? 2 * c->cap_p2p : 16;
		struct p2p_range *r = realloc(c->p2p, cap * sizeof(*r));

		if (!r) {
			st = xpu_set_error(XPU_ERROR_OUT_OF_MEMORY, "realloc");
			goto out;
		}
		c->p2p = r;
		c->cap_p2p = cap;
	}
	c->p2p[c->num_p2p].off = off;
	c->p2p[c->num_p2p].size = size;
	c->p2p[c->num_p2p].peer = peer;
	c->num_p2p++;
out:
	pthread_rwlock_unlock(&c->lock);
	return st;
}

void xpu_fabric_p2p_revoke(struct fabric_chip *c, uint64_t off, uint64_t size, uint32_t peer)
{
	pthread_rwlock_wrlock(&c->lock);
	for (uint32_t i = 0; i < c->num_p2p; i++) {
		struct p2p_range *r = &c->p2p[i];

		if (r->off == off && r->size == size && r->peer == peer) {
			*r = c->p2p[--c->num_p2p];
			break;
		}
	}
	pthread_rwlock_unlock(&c->lock);
}

/* a peer-to-peer read or write of chip c's HBM by chip req */
struct p2p_walk {
	struct fabric_chip *c;
	uint32_t req;
};

/* the range of c's HBM exported to req holding offset off: its bytes from
 * there, up to len; NULL when c is closed or the range revoked or never
 * exported (a bus error) */
static uint8_t *p2p_piece(void *opaque, uint64_t off, uint64_t len, uint64_t *n)
{
	const struct p2p_walk *w = opaque;
	const struct fabric_chip *c = w->c;
	const struct p2p_range *r = NULL;
	struct host_be *be;

	if (!c->dev)
		return NULL;
	be = c->dev->be;
	for (uint32_t i = 0; i < c->num_p2p && !r; i++)
		if (c->p2p[i].peer == w->req && off >= c->p2p[i].off &&
		    off - c->p2p[i].off < c->p2p[i].size)
			r = &c->p2p[i];
	if (!r || off + 1 > be->hbm_size)
		return NULL;
	*n = r->off + r->size - off < len ? r->off + r->size - off : len;
	return be->hbm + off;
}

int xpu_fabric_p2p_copy(const struct fabric_chip *req, uint64_t bus, uint8_t *buf, uint64_t len,
			int write)
{
	uint64_t rel = bus - P2P_BASE, off = rel & (P2P_STRIDE - 1);
	uint32_t id = (uint32_t)(rel >> P2P_SHIFT);
	struct p2p_walk w;
	int rc;

	if (!req || id >= req->f->n)
		return -1;
	w.c = &req->f->chip[id];
	w.req = req->id;
	pthread_rwlock_rdlock(&w.c->lock);
	rc = xpu_host_copy(p2p_piece, &w, off, buf, len, write);
	pthread_rwlock_unlock(&w.c->lock);
	return rc;
}
