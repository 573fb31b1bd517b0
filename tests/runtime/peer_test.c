// SPDX-License-Identifier: MIT
/*
 * Several devices: link topology queries, peer access, device-to-device
 * copies over a link and by PCIe peer-to-peer, link counters, isolation,
 * revocation of exported buffers and cross-device event ordering.
 *
 * Host build: fabrics of host devices (xpu_host_fabric_open, and
 * XPU_HOST_DEVICES/XPU_HOST_TOPOLOGY) in every documented topology, the
 * cabling checked port by port against xpu.h's rules written out here.
 * VM build (XPU_TEST_DRM): the XPUs of the VM (tools/xpu-vm --xpus N
 * --links ...); the cabling is whatever QEMU was given, so it is checked
 * for consistency (each port's peer points back) instead.
 */
#include <pthread.h>

#include "rt_test.h"

#define MAXD 8

struct fab {
	xpu_device *dev[MAXD];
	int n;
};

#ifndef XPU_TEST_DRM
static struct xpu_host_config chip_cfg[MAXD];
#endif

/*
 * Open n devices: a host fabric of the topology, or the VM's first n XPUs.
 * Returns 0, 1 when the VM has fewer than n devices, -1 on error.
 */
static int fab_open(struct fab *f, int n, enum xpu_topology topo, uint32_t torus_x)
{
	memset(f, 0, sizeof(*f));
#ifdef XPU_TEST_DRM
	int count = 0;

	(void)topo;
	(void)torus_x;
	if (xpu_device_count(&count) || count < n)
		return 1;
	for (int i = 0; i < n; i++) {
		if (xpu_device_open(i, &f->dev[i]))
			return -1;
		f->n++;
	}
	return 0;
#else
	struct xpu_host_fabric_config c = {
		.size = sizeof(c), .num_chips = (uint32_t)n, .topology = topo, .torus_x = torus_x,
		.chip = chip_cfg,
	};

	for (int i = 0; i < MAXD; i++) {
		chip_cfg[i] = rt_host_config();
		chip_cfg[i].hbm_size = 32ull << 20;
	}
	if (xpu_host_fabric_open(&c, f->dev))
		return -1;
	f->n = n;
	return 0;
#endif
}

static void fab_close(struct fab *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->dev[i])
			xpu_device_close(f->dev[i]);
	f->n = 0;
}

#define FAB_OPEN(f, n, topo, tx) do { \
	int rc_ = fab_open(&(f), (n), (topo), (tx)); \
	if (rc_ == 1) \
		SKIP(return, "fewer than %d XPUs", (n)); \
	ASSERT_EQ(0, rc_) TH_LOG("open %d devices: %s", (n), xpu_last_error()); \
} while (0)

/* Two devices of f whose path is want (a before b); 0, or -1 if none. */
static int find_pair(struct fab *f, enum xpu_peer_path want, int *a, int *b)
{
	for (int i = 0; i < f->n; i++) {
		for (int j = 0; j < f->n; j++) {
			enum xpu_peer_path p;

			if (i == j || xpu_device_can_access_peer(f->dev[i], f->dev[j], &p))
				continue;
			if (p == want) {
				*a = i;
				*b = j;
				return 0;
			}
		}
	}
	return -1;
}

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint64_t s = seed;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rt_rand(&s);
}

/* bytes, transfers of port p of dev */
static int port_counters(xpu_device *dev, uint32_t p, uint64_t *bytes, uint64_t *xfers)
{
	struct xpu_link_info li;

	if (xpu_device_get_link_info(dev, p, &li))
		return -1;
	*bytes = li.bytes;
	*xfers = li.transfers;
	return 0;
}

/* bytes, transfers of the first up port of dev that joins it to chip peer;
 * the port, its far end's port in *pport */
static int link_counters(xpu_device *dev, uint32_t peer, uint64_t *bytes, uint64_t *xfers,
			 uint32_t *pport)
{
	uint32_t n;

	if (xpu_device_get_link_count(dev, &n))
		return -1;
	for (uint32_t p = 0; p < n; p++) {
		struct xpu_link_info li;

		if (xpu_device_get_link_info(dev, p, &li))
			return -1;
		if (li.state == XPU_LINK_STATE_UP && li.peer_chip == peer) {
			*bytes = li.bytes;
			*xfers = li.transfers;
			*pport = li.peer_port;
			return (int)p;
		}
	}
	return -1;
}

/* ---- topology ---------------------------------------------------------------- */
#ifndef XPU_TEST_DRM
/* xpu.h's cabling: the peer chip and port of (chip, port), or -1 */
static void expect_peer(enum xpu_topology t, int n, int tx, int chip, int port, int *peer,
			int *pport)
{
	*peer = -1;
	*pport = -1;
	if (t == XPU_TOPO_RING && n >= 2) {
		*peer = port == 0 ? (chip + 1) % n : (chip + n - 1) % n;
		*pport = port == 0 ? 1 : 0;
	} else if (t == XPU_TOPO_MESH) {
		*peer = port < chip ? port : port + 1;		/* port j -> chip j, self skipped */
		*pport = chip < *peer ? chip : chip - 1;
	} else if (t == XPU_TOPO_TORUS2D) {
		int x = chip % tx, y = chip / tx, b = n / tx;

		if (port == 0)
			*peer = y * tx + (x + 1) % tx;
		else if (port == 1)
			*peer = y * tx + (x + tx - 1) % tx;
		else if (port == 2)
			*peer = ((y + 1) % b) * tx + x;
		else
			*peer = ((y + b - 1) % b) * tx + x;
		*pport = port ^ 1;
	}
}

static int expect_ports(enum xpu_topology t, int n)
{
	return t == XPU_TOPO_RING ? (n >= 2 ? 2 : 0) : t == XPU_TOPO_MESH ? n - 1 :
	       t == XPU_TOPO_TORUS2D ? 4 : 0;
}

TEST(topologies_cabled_as_documented)
{
	static const struct { enum xpu_topology t; int n, tx; } cases[] = {
		{ XPU_TOPO_RING, 2, 0 }, { XPU_TOPO_RING, 3, 0 }, { XPU_TOPO_RING, 4, 0 },
		{ XPU_TOPO_RING, 8, 0 }, { XPU_TOPO_MESH, 2, 0 }, { XPU_TOPO_MESH, 3, 0 },
		{ XPU_TOPO_MESH, 4, 0 }, { XPU_TOPO_MESH, 8, 0 }, { XPU_TOPO_TORUS2D, 4, 2 },
		{ XPU_TOPO_TORUS2D, 8, 2 }, { XPU_TOPO_TORUS2D, 8, 4 }, { XPU_TOPO_NONE, 3, 0 },
		{ XPU_TOPO_RING, 1, 0 },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		enum xpu_topology t = cases[k].t;
		int n = cases[k].n, tx = cases[k].tx;
		struct fab f;

		ASSERT_EQ(0, fab_open(&f, n, t, (uint32_t)tx)) TH_LOG("%s", xpu_last_error());
		for (int i = 0; i < n; i++) {
			struct xpu_device_props props;
			uint32_t chip, np;
			int linked[MAXD] = { 0 };

			XOK(xpu_device_get_chip_id(f.dev[i], &chip));
			ASSERT_EQ((uint32_t)i, chip);
			XOK(xpu_device_get_link_count(f.dev[i], &np));
			ASSERT_EQ((uint32_t)expect_ports(t, n), np) TH_LOG("topology %d, %d chips", t, n);
			XOK(xpu_device_get_props(f.dev[i], &props));
			ASSERT_EQ(np ? XPU_CAP_LINK : 0u, props.caps & XPU_CAP_LINK);
			for (uint32_t p = 0; p < np; p++) {
				struct xpu_link_info li, back;
				int peer, pport;

				expect_peer(t, n, tx, i, (int)p, &peer, &pport);
				XOK(xpu_device_get_link_info(f.dev[i], p, &li));
				ASSERT_EQ(p, li.port);
				ASSERT_EQ(XPU_LINK_STATE_UP, li.state)
					TH_LOG("topology %d, %d chips: chip %d port %u", t, n, i, p);
				ASSERT_EQ((uint32_t)peer, li.peer_chip)
					TH_LOG("topology %d, %d chips: chip %d port %u", t, n, i, p);
				ASSERT_EQ((uint32_t)pport, li.peer_port)
					TH_LOG("topology %d, %d chips: chip %d port %u", t, n, i, p);
				ASSERT_EQ(peer, li.peer_index);
				ASSERT_EQ(100u, li.gbps);
				ASSERT_EQ(1000u, li.latency_cycles);
				ASSERT_EQ(0u, li.bytes);
				/* the other end of the cable points back */
				XOK(xpu_device_get_link_info(f.dev[peer], li.peer_port, &back));
				ASSERT_EQ((uint32_t)i, back.peer_chip);
				ASSERT_EQ(p, back.peer_port);
				linked[peer] = 1;
			}
			{
				struct xpu_link_info li;

				XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_link_info(f.dev[i], np, &li));
				ASSERT_NE(NULL, strstr(xpu_last_error(), "link port"));
			}
			for (int j = 0; j < n; j++) {
				enum xpu_peer_path path;

				XOK(xpu_device_can_access_peer(f.dev[i], f.dev[j], &path));
				ASSERT_EQ(i == j ? XPU_PEER_SELF : linked[j] ? XPU_PEER_LINK : XPU_PEER_PCIE,
					  path) TH_LOG("topology %d, %d chips: %d -> %d", t, n, i, j);
			}
		}
		fab_close(&f);
	}
}

TEST(fabric_config_errors)
{
	struct xpu_host_fabric_config c = { .size = sizeof(c), .num_chips = 6,
					    .topology = XPU_TOPO_TORUS2D, .torus_x = 4 };
	xpu_device *devs[XPU_HOST_MAX_CHIPS + 1];

	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(&c, devs));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "torus2d"));
	c.torus_x = 6;		/* 6 x 1: b < 2 */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(&c, devs));
	c.topology = XPU_TOPO_MESH;
	c.num_chips = 10;	/* 9 ports > XPU_MAX_LINKS */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(&c, devs));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "mesh"));
	c.num_chips = 0;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(&c, devs));
	c.num_chips = XPU_HOST_MAX_CHIPS + 1;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(&c, devs));
	c.num_chips = 2;
	c.topology = (enum xpu_topology)7;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(&c, devs));
	c.topology = XPU_TOPO_RING;
	c.size = 4;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(&c, devs));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "size"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(NULL, devs));
	/* a bad chip config: the chips opened before it are closed again */
	{
		struct xpu_host_config chips[3] = { rt_host_config(), rt_host_config(),
						    rt_host_config() };

		chips[1].rows = 70000;
		c.size = sizeof(c);
		c.num_chips = 3;
		c.chip = chips;
		XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_host_fabric_open(&c, devs));
		ASSERT_NE(NULL, strstr(xpu_last_error(), "host fabric chip 1"));
		ASSERT_EQ(NULL, devs[0]);
		chips[1].rows = 0;
		XOK(xpu_host_fabric_open(&c, devs));
		for (int i = 0; i < 3; i++)
			XOK(xpu_device_close(devs[i]));
	}
}

/* XPU_HOST_DEVICES / XPU_HOST_TOPOLOGY: one process-wide fabric (each test
 * runs in its own process, so the environment is the test's own) */
TEST(env_fabric)
{
	xpu_device *d[8], *again;
	struct xpu_link_info li;
	uint32_t np, chip;
	int count;

	setenv("XPU_BACKEND", "host", 1);
	unsetenv("XPU_HOST_DEVICES");
	XOK(xpu_device_count(&count));
	ASSERT_EQ(1, count);
	XOK(xpu_device_open(0, &d[0]));
	XOK(xpu_device_get_link_count(d[0], &np));
	ASSERT_EQ(0u, np);		/* unset: today's single device */
	XOK(xpu_device_close(d[0]));

	setenv("XPU_HOST_DEVICES", "8", 1);
	setenv("XPU_HOST_TOPOLOGY", "torus2d", 1);
	XOK(xpu_device_count(&count));
	ASSERT_EQ(8, count);
	for (int i = 0; i < 8; i++) {
		XOK(xpu_device_open(i, &d[i]));
		XOK(xpu_device_get_chip_id(d[i], &chip));
		ASSERT_EQ((uint32_t)i, chip);
	}
	/* 8 = 2 x 4: x has 2 chips */
	XOK(xpu_device_get_link_count(d[5], &np));
	ASSERT_EQ(4u, np);
	XOK(xpu_device_get_link_info(d[5], 0, &li));
	ASSERT_EQ(4u, li.peer_chip);
	XOK(xpu_device_get_link_info(d[5], 2, &li));
	ASSERT_EQ(7u, li.peer_chip);
	XOK(xpu_device_get_link_info(d[5], 3, &li));
	ASSERT_EQ(3u, li.peer_chip);
	/* the same chip again: the same device, counted */
	XOK(xpu_device_open(3, &again));
	ASSERT_EQ(d[3], again);
	XOK(xpu_device_close(again));
	XOK(xpu_device_get_chip_id(d[3], &chip));
	XERR(XPU_ERROR_NO_DEVICE, xpu_device_open(8, &again));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "XPU_HOST_DEVICES"));
	for (int i = 0; i < 8; i++)
		XOK(xpu_device_close(d[i]));

	setenv("XPU_HOST_DEVICES", "3", 1);
	setenv("XPU_HOST_TOPOLOGY", "mesh", 1);
	XOK(xpu_device_open(2, &d[2]));
	XOK(xpu_device_get_link_info(d[2], 1, &li));
	ASSERT_EQ(1u, li.peer_chip);
	ASSERT_EQ(XPU_LINK_STATE_UP, li.state);
	XOK(xpu_device_close(d[2]));

	setenv("XPU_HOST_TOPOLOGY", "torus2d", 1);	/* 3 chips: no a x b */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_open(0, &d[0]));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "torus2d"));
	setenv("XPU_HOST_TOPOLOGY", "star", 1);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_open(0, &d[0]));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "XPU_HOST_TOPOLOGY=star"));
	setenv("XPU_HOST_DEVICES", "lots", 1);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_count(&count));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "XPU_HOST_DEVICES=lots"));
}

/* devices of no common fabric cannot reach each other */
TEST(separate_host_devices_have_no_path)
{
	struct xpu_host_config c = rt_host_config();
	xpu_device *a, *b;
	enum xpu_peer_path path;

	XOK(xpu_device_open_host(&c, &a));
	XOK(xpu_device_open_host(&c, &b));
	XOK(xpu_device_can_access_peer(a, b, &path));
	ASSERT_EQ(XPU_PEER_NONE, path);
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_device_enable_peer_access(a, b));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "cannot reach"));
	xpu_device_close(a);
	xpu_device_close(b);
}
#else
/* The VM's cabling is QEMU's: every port's peer points back. */
TEST(topology_consistent)
{
	struct fab f;
	uint32_t chips[MAXD];
	int count = 0;

	XOK(xpu_device_count(&count));
	if (count > MAXD)
		count = MAXD;
	FAB_OPEN(f, count, XPU_TOPO_RING, 0);
	for (int i = 0; i < f.n; i++)
		XOK(xpu_device_get_chip_id(f.dev[i], &chips[i]));
	for (int i = 0; i < f.n; i++) {
		uint32_t np, nj;

		XOK(xpu_device_get_link_count(f.dev[i], &np));
		/* chips with links have distinct ids (without links QEMU's are all 0) */
		for (int j = 0; j < i && np; j++) {
			XOK(xpu_device_get_link_count(f.dev[j], &nj));
			if (nj)
				ASSERT_NE(chips[i], chips[j]) TH_LOG("two devices with chip id %u", chips[i]);
		}
		for (uint32_t p = 0; p < np; p++) {
			struct xpu_link_info li, back;
			enum xpu_peer_path path;

			XOK(xpu_device_get_link_info(f.dev[i], p, &li));
			if (li.state == XPU_LINK_STATE_NONE) {
				ASSERT_EQ(-1, li.peer_index);
				continue;
			}
			ASSERT_GE(li.peer_index, 0);
			ASSERT_LT(li.peer_index, f.n);
			ASSERT_EQ(chips[li.peer_index], li.peer_chip);
			XOK(xpu_device_get_link_info(f.dev[li.peer_index], li.peer_port, &back));
			ASSERT_EQ(chips[i], back.peer_chip);
			ASSERT_EQ(p, back.peer_port);
			XOK(xpu_device_can_access_peer(f.dev[i], f.dev[li.peer_index], &path));
			if (li.state == XPU_LINK_STATE_UP)
				ASSERT_EQ(XPU_PEER_LINK, path);
		}
	}
	fab_close(&f);
}
#endif

/* ---- copies ------------------------------------------------------------------ */
FIXTURE(peer) {
	struct fab f;
};

/* host: a ring of 4 (chips 0-1 linked, 0-2 not); VM: up to 4 of its XPUs */
FIXTURE_SETUP(peer)
{
	int n = 4;
#ifdef XPU_TEST_DRM
	ASSERT_EQ(XPU_SUCCESS, xpu_device_count(&n));
	if (n > 4)
		n = 4;
	if (n < 2)
		n = 2;		/* skipped: fewer than 2 XPUs */
#endif
	FAB_OPEN(self->f, n, XPU_TOPO_RING, 0);
}

FIXTURE_TEARDOWN(peer)
{
	fab_close(&self->f);
}

/*
 * Copies between devices a and b on a stream of a, pulling (src on b) and
 * pushing (dst on b), at odd sizes and offsets; the bytes around the
 * destination range stay.
 */
static void copy_both_ways(struct __test_metadata *_metadata, xpu_device *a, xpu_device *b,
			   uint64_t *moved)
{
	static const size_t sizes[] = { 1, 7, 4097, 123457, (3u << 20) + 13 };
	const size_t bsize = 4u << 20;
	uint8_t *want = malloc(bsize), *got = malloc(bsize), *init = malloc(bsize);
	xpu_buffer *ba, *bb;
	xpu_stream *s;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	ASSERT_NE(NULL, init);
	XOK(xpu_device_enable_peer_access(a, b));
	XOK(xpu_device_enable_peer_access(a, b));	/* idempotent */
	XOK(xpu_buffer_alloc(a, bsize, XPU_MEM_DEVICE, &ba));
	XOK(xpu_buffer_alloc(b, bsize, XPU_MEM_DEVICE, &bb));
	XOK(xpu_stream_create(a, XPU_QUEUE_ANY, &s));
	*moved = 0;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k], soff = (k * 977) % 4096 + 1, doff = (k * 131) % 4096 + 3;
		int push = k & 1;
		xpu_buffer *src = push ? ba : bb, *dst = push ? bb : ba;

		pattern(init, bsize, 1000 + (uint32_t)k);
		pattern(want, bsize, 2000 + (uint32_t)k);
		XOK(xpu_buffer_write(dst, 0, init, bsize));
		XOK(xpu_buffer_write(src, 0, want, bsize));
		XOK(xpu_copy_peer_async(s, dst, doff, src, soff, n));
		XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
		XOK(xpu_buffer_read(dst, 0, got, bsize));
		ASSERT_EQ(0, memcmp(got, init, doff));
		ASSERT_EQ(0, memcmp(got + doff, want + soff, n))
			TH_LOG("%s %zu bytes", push ? "push" : "pull", n);
		ASSERT_EQ(0, memcmp(got + doff + n, init + doff + n, bsize - doff - n));
		*moved += n;
	}
	xpu_stream_destroy(s);
	xpu_buffer_free(ba);
	xpu_buffer_free(bb);
	free(want);
	free(got);
	free(init);
}

/* copies between linked devices a and b of f; the counters of the link
 * move by the bytes copied at both ends */
static void link_copy(struct __test_metadata *_metadata, struct fab *f, int a, int b)
{
	uint64_t b0, x0, pb0, px0, b1, x1, pb1, px1, moved;
	uint32_t cb, pport, pp;
	int port;

	XOK(xpu_device_get_chip_id(f->dev[b], &cb));
	/* the first up port towards b carries the copies (a 2-chip ring or a
	 * 2-wide torus joins the two twice); its far end is b's pport */
	port = link_counters(f->dev[a], cb, &b0, &x0, &pport);
	ASSERT_GE(port, 0) TH_LOG("%s", xpu_last_error());
	ASSERT_EQ(0, port_counters(f->dev[b], pport, &pb0, &px0)) TH_LOG("%s", xpu_last_error());
	copy_both_ways(_metadata, f->dev[a], f->dev[b], &moved);
	ASSERT_EQ(port, link_counters(f->dev[a], cb, &b1, &x1, &pp));
	ASSERT_EQ(0, port_counters(f->dev[b], pport, &pb1, &px1));
	/* both ends count exactly the payload, in at least one transfer each */
	ASSERT_EQ(moved, b1 - b0);
	ASSERT_EQ(moved, pb1 - pb0);
	ASSERT_GE(x1 - x0, 5u);
	ASSERT_EQ(x1 - x0, px1 - px0);
}

TEST_F(peer, copy_over_link_moves_the_link_counters)
{
	int a, b;

	if (find_pair(&self->f, XPU_PEER_LINK, &a, &b))
		SKIP(return, "no two XPUs joined by an up link");
	link_copy(_metadata, &self->f, a, b);
}

#ifdef XPU_TEST_DRM
/*
 * Root (debugfs): a transfer corrupted on the link (XPU_INJECT_LINK_CORRUPT
 * through the driver's inject file) fails the copy's job with LINK_ERROR,
 * named in the stream's error, and counts as an error of the port.
 */
TEST_F(peer, link_error_is_reported)
{
	struct xpu_device_props props;
	struct xpu_link_info before, after;
	char path[256], cmd[32];
	uint32_t cb, pport;
	uint64_t bytes, xfers;
	xpu_buffer *mine, *theirs;
	xpu_stream *s;
	xpu_status st;
	int a, b, port;
	FILE *f;

	if (find_pair(&self->f, XPU_PEER_LINK, &a, &b))
		SKIP(return, "no two XPUs joined by an up link");
	XOK(xpu_device_get_chip_id(self->f.dev[b], &cb));
	port = link_counters(self->f.dev[a], cb, &bytes, &xfers, &pport);
	ASSERT_GE(port, 0);
	XOK(xpu_device_get_props(self->f.dev[a], &props));
	XOK(xpu_device_enable_peer_access(self->f.dev[a], self->f.dev[b]));
	XOK(xpu_buffer_alloc(self->f.dev[a], 8192, XPU_MEM_DEVICE, &mine));
	XOK(xpu_buffer_alloc(self->f.dev[b], 8192, XPU_MEM_DEVICE, &theirs));
	XOK(xpu_stream_create(self->f.dev[a], XPU_QUEUE_ANY, &s));
	/* mapped and working first */
	XOK(xpu_copy_peer_async(s, mine, 0, theirs, 0, 8192));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	XOK(xpu_device_get_link_info(self->f.dev[a], (uint32_t)port, &before));
	snprintf(path, sizeof(path), "/sys/kernel/debug/accel/%s/inject", props.pci_address);
	snprintf(cmd, sizeof(cmd), "linkcorrupt %d", port);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f) TH_LOG("%s: run as root", path);
	ASSERT_EQ(0, fputs(cmd, f) < 0);
	ASSERT_EQ(0, fclose(f));
	XOK(xpu_copy_peer_async(s, mine, 0, theirs, 0, 4096));
	st = xpu_stream_synchronize(s, XPU_WAIT_FOREVER);
	ASSERT_EQ(XPU_ERROR_JOB_FAULT, st);
	ASSERT_NE(NULL, strstr(xpu_last_error(), "LINK_ERROR")) TH_LOG("%s", xpu_last_error());
	ASSERT_NE(NULL, strstr(xpu_last_error(), "peer copy")) TH_LOG("%s", xpu_last_error());
	XOK(xpu_device_get_link_info(self->f.dev[a], (uint32_t)port, &after));
	ASSERT_GT(after.errors, before.errors);
	xpu_stream_destroy(s);
	xpu_buffer_free(mine);
	xpu_buffer_free(theirs);
}
#else
/* two chips joined twice (a ring of 2, a 2 x 2 torus): the far end of the
 * port used is counted, not the other cable's */
TEST(copy_over_double_links)
{
	struct fab f;

	ASSERT_EQ(0, fab_open(&f, 2, XPU_TOPO_RING, 0));
	link_copy(_metadata, &f, 0, 1);
	link_copy(_metadata, &f, 1, 0);
	fab_close(&f);
	ASSERT_EQ(0, fab_open(&f, 4, XPU_TOPO_TORUS2D, 2));
	link_copy(_metadata, &f, 3, 2);
	link_copy(_metadata, &f, 1, 3);
	fab_close(&f);
}
#endif

TEST_F(peer, copy_by_p2p_without_a_link)
{
	uint64_t before[MAXD][XPU_MAX_LINKS], moved;
	int a, b;

	if (find_pair(&self->f, XPU_PEER_PCIE, &a, &b))
		SKIP(return, "every pair of XPUs is joined by a link");
	for (int i = 0; i < self->f.n; i++) {
		uint32_t np;

		XOK(xpu_device_get_link_count(self->f.dev[i], &np));
		for (uint32_t p = 0; p < np; p++) {
			struct xpu_link_info li;

			XOK(xpu_device_get_link_info(self->f.dev[i], p, &li));
			before[i][p] = li.bytes;
		}
	}
	copy_both_ways(_metadata, self->f.dev[a], self->f.dev[b], &moved);
	/* nothing crossed a link of either chip */
	for (int i = 0; i < self->f.n; i++) {
		uint32_t np;

		if (i != a && i != b)
			continue;
		XOK(xpu_device_get_link_count(self->f.dev[i], &np));
		for (uint32_t p = 0; p < np; p++) {
			struct xpu_link_info li;

			XOK(xpu_device_get_link_info(self->f.dev[i], p, &li));
			ASSERT_EQ(before[i][p], li.bytes);
		}
	}
}

/* a copy the stream's device has no peer access for, bad ranges, bad owners */
TEST_F(peer, refused_copies_say_why)
{
	xpu_device *d0 = self->f.dev[0], *d1 = self->f.dev[1];
	xpu_buffer *b0, *b1, *b2;
	xpu_stream *s, *s1;

	XOK(xpu_buffer_alloc(d0, 8192, XPU_MEM_DEVICE, &b0));
	XOK(xpu_buffer_alloc(d1, 8192, XPU_MEM_DEVICE, &b1));
	XOK(xpu_buffer_alloc(d1, 8192, XPU_MEM_DEVICE, &b2));
	XOK(xpu_stream_create(d0, XPU_QUEUE_ANY, &s));
	XOK(xpu_stream_create(d1, XPU_QUEUE_ANY, &s1));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_copy_peer_async(s, b0, 0, b1, 0, 64));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "xpu_device_enable_peer_access"));
	XOK(xpu_device_enable_peer_access(d0, d1));
	/* enabling 0 -> 1 says nothing about 1 -> 0 */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_copy_peer_async(s1, b1, 0, b0, 0, 64));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "no peer access"));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "source"));
	/* neither buffer is the stream's device's */
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_copy_peer_async(s, b1, 0, b2, 0, 64));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "owns neither"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_copy_peer_async(s, b0, 8000, b1, 0, 500));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "destination range [8000, +500)"));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "8192-byte"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_copy_peer_async(s, b0, 0, b1, 8193, 0));
	ASSERT_NE(NULL, strstr(xpu_last_error(), "source range"));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_copy_peer_async(s, NULL, 0, b1, 0, 1));
	XOK(xpu_copy_peer_async(s, b0, 0, b1, 0, 8192));
	XOK(xpu_copy_peer_async(s, b0, 0, b0, 4096, 4096));	/* both its own */
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	xpu_stream_destroy(s);
	xpu_stream_destroy(s1);
	xpu_buffer_free(b0);
	xpu_buffer_free(b1);
	xpu_buffer_free(b2);
}

/*
 * Freeing an exported buffer revokes what the peer was given: far more
 * buffers than a chip has link windows (XPU_MAX_WINDOWS) are exported,
 * used and freed in turn; each new one is reached with its own data.
 */
TEST_F(peer, freeing_revokes_the_export)
{
	int a, b;
	xpu_buffer *mine;
	xpu_stream *s;

	if (find_pair(&self->f, XPU_PEER_LINK, &a, &b) && find_pair(&self->f, XPU_PEER_PCIE, &a, &b))
		SKIP(return, "no two XPUs that reach each other");
	XOK(xpu_device_enable_peer_access(self->f.dev[a], self->f.dev[b]));
	XOK(xpu_buffer_alloc(self->f.dev[a], 4096, XPU_MEM_DEVICE, &mine));
	XOK(xpu_stream_create(self->f.dev[a], XPU_QUEUE_ANY, &s));
	for (uint32_t i = 0; i < XPU_MAX_WINDOWS + 36; i++) {
		uint32_t v[64], got[64];
		xpu_buffer *theirs;

		for (int k = 0; k < 64; k++)
			v[k] = i * 1000 + (uint32_t)k;
		XOK(xpu_buffer_alloc(self->f.dev[b], 4096 * (1 + i % 3), XPU_MEM_DEVICE, &theirs));
		XOK(xpu_buffer_write(theirs, 100, v, sizeof(v)));
		XOK(xpu_copy_peer_async(s, mine, 0, theirs, 100, sizeof(v)));
		XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
		XOK(xpu_buffer_read(mine, 0, got, sizeof(got)));
		ASSERT_EQ(0, memcmp(v, got, sizeof(v))) TH_LOG("buffer %u", i);
		XOK(xpu_buffer_free(theirs));
	}
	xpu_stream_destroy(s);
	xpu_buffer_free(mine);
}

/*
 * Threads at once, one per device: each maps, copies from and frees
 * buffers of its neighbour, whose own thread is doing the same to the next
 * device; every copy carries its own data.
 */
struct mover {
	struct fab *f;
	int id;
	int errors;
	char msg[300];
};

static void *mover_run(void *arg)
{
	struct mover *m = arg;
	xpu_device *me = m->f->dev[m->id], *next = m->f->dev[(m->id + 1) % m->f->n];
	xpu_buffer *mine = NULL;
	xpu_stream *s = NULL;

	if (xpu_stream_create(me, XPU_QUEUE_ANY, &s) ||
	    xpu_buffer_alloc(me, 65536, XPU_MEM_DEVICE, &mine)) {
		snprintf(m->msg, sizeof(m->msg), "setup: %s", xpu_last_error());
		m->errors++;
		goto out;
	}
	for (uint32_t i = 0; i < 40 && !m->errors; i++) {
		uint32_t v[1000], got[1000];
		size_t n = sizeof(v) - 4 * (i % 7);
		xpu_buffer *theirs;

		for (int k = 0; k < 1000; k++)
			v[k] = (uint32_t)m->id << 24 | i << 12 | (uint32_t)k;
		if (xpu_buffer_alloc(next, 65536, XPU_MEM_DEVICE, &theirs)) {
			snprintf(m->msg, sizeof(m->msg), "alloc: %s", xpu_last_error());
			m->errors++;
			break;
		}
		if (xpu_buffer_write(theirs, 4096 * (i % 5), v, n) ||
		    xpu_copy_peer_async(s, mine, 8 * i, theirs, 4096 * (i % 5), n) ||
		    xpu_stream_synchronize(s, XPU_WAIT_FOREVER) ||
		    xpu_buffer_read(mine, 8 * i, got, n)) {
			snprintf(m->msg, sizeof(m->msg), "copy %u: %s", i, xpu_last_error());
			m->errors++;
		} else if (memcmp(v, got, n)) {
			snprintf(m->msg, sizeof(m->msg), "copy %u: wrong data", i);
			m->errors++;
		}
		xpu_buffer_free(theirs);
	}
out:
	if (s)
		xpu_stream_destroy(s);
	if (mine)
		xpu_buffer_free(mine);
	return NULL;
}

TEST_F(peer, concurrent_copies_and_frees)
{
	struct mover m[MAXD];
	pthread_t t[MAXD];

	for (int i = 0; i < self->f.n; i++)
		XOK(xpu_device_enable_peer_access(self->f.dev[i],
						  self->f.dev[(i + 1) % self->f.n]));
	for (int i = 0; i < self->f.n; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].f = &self->f;
		m[i].id = i;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, mover_run, &m[i]));
	}
	for (int i = 0; i < self->f.n; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < self->f.n; i++) {
		struct mover *r = &m[i];

		ASSERT_EQ(0, r->errors) TH_LOG("device %d: %s", r->id, r->msg);
	}
}

#ifndef XPU_TEST_DRM
/*
 * Host (white box): a job that reads a peer's buffer through the VA its
 * device maps it at works until the buffer is freed, and then faults: the
 * mapping is gone with the export. The VA is found from the host backend's
 * first-fit allocator (the mapping lands right after the probe buffer
 * allocated before it, checked by where the next buffer lands).
 */
TEST(job_on_freed_peer_va_faults)
{
	static const char *src =
		".kernel load8\n.arg dst buffer\n.arg src u64\n"
		"	ld r3, 0(r1)\n	ld r4, 8(r1)\n	ld r5, 0(r4)\n	st r5, 0(r3)\n	halt\n"
		".end\n";
	struct xpu_buffer_info pi, qi;
	struct fab f;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	xpu_buffer *theirs, *p, *q, *warm;
	uint64_t v = 0x0123456789abcdefull, got = 0, peer_va;
	xpu_status st;

	ASSERT_EQ(0, fab_open(&f, 4, XPU_TOPO_RING, 0));
	XOK(xpu_device_enable_peer_access(f.dev[0], f.dev[1]));
	XOK(rt_load_asm(f.dev[0], src, &mod));
	XOK(xpu_kernel_create(mod, "load8", &k));
	XOK(xpu_stream_create(f.dev[0], XPU_QUEUE_ANY, &s));
	/* the builtin copy kernel's text is allocated by the first copy */
	XOK(xpu_buffer_alloc(f.dev[0], 4096, XPU_MEM_DEVICE, &warm));
	XOK(xpu_copy_async(s, warm, 0, warm, 8, 8));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	XOK(xpu_buffer_alloc(f.dev[1], 8192, XPU_MEM_DEVICE, &theirs));
	XOK(xpu_buffer_write(theirs, 0, &v, 8));
	XOK(xpu_buffer_alloc(f.dev[0], 4096, XPU_MEM_DEVICE, &p));
	XOK(xpu_copy_peer_async(s, p, 0, theirs, 0, 8));	/* maps theirs for chip 0 */
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	XOK(xpu_buffer_read(p, 0, &got, 8));
	ASSERT_EQ(v, got);
	XOK(xpu_buffer_alloc(f.dev[0], 4096, XPU_MEM_DEVICE, &q));
	XOK(xpu_buffer_get_info(p, &pi));
	XOK(xpu_buffer_get_info(q, &qi));
	peer_va = pi.va + 4096 + 4096;			/* after p and its guard page */
	ASSERT_EQ(peer_va + 8192 + 4096, qi.va)
		TH_LOG("the peer mapping is not where first fit puts it: cannot find its VA");
	/* a job through that VA reads the peer's buffer (over the link) */
	XOK(xpu_kernel_set_arg_buffer(k, 0, q, 0));
	XOK(xpu_kernel_set_arg_u64(k, 1, peer_va));
	XOK(xpu_launch(s, k));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	got = 0;
	XOK(xpu_buffer_read(q, 0, &got, 8));
	ASSERT_EQ(v, got);
	/* freed: revoked on chip 1, unmapped on chip 0; the same job faults */
	XOK(xpu_buffer_free(theirs));
	XOK(xpu_launch(s, k));
	st = xpu_stream_synchronize(s, XPU_WAIT_FOREVER);
	ASSERT_EQ(XPU_ERROR_JOB_FAULT, st);
	/* unmapped (MMU_FAULT), or through a revoked window (LINK_ERROR) */
	ASSERT_TRUE(strstr(xpu_last_error(), "MMU_FAULT") || strstr(xpu_last_error(), "LINK_ERROR"))
		TH_LOG("%s", xpu_last_error());
	xpu_stream_destroy(s);
	xpu_kernel_destroy(k);
	xpu_module_unload(mod);
	xpu_buffer_free(p);
	xpu_buffer_free(q);
	xpu_buffer_free(warm);
	fab_close(&f);
}
#endif

/* ---- cross-device events ---------------------------------------------------- */
static const char *spin_src =
	".kernel spinstore\n"
	".arg dst buffer\n.arg n u64\n.arg value u64\n"
	"	ld r3, 0(r1)\n	ld r5, 8(r1)\n	ld r6, 16(r1)\n	li r4, 0\n"
	"loop:	addi r4, r4, 1\n	blt r4, r5, loop\n	st r6, 0(r3)\n	halt\n"
	".end\n";

/* a job on dev that spins n iterations, then stores value at buf */
static xpu_status spin_store(xpu_stream *s, xpu_kernel *k, xpu_buffer *buf, uint64_t n,
			     uint64_t value)
{
	xpu_status st = xpu_kernel_set_arg_buffer(k, 0, buf, 0);

	if (!st)
		st = xpu_kernel_set_arg_u64(k, 1, n);
	if (!st)
		st = xpu_kernel_set_arg_u64(k, 2, value);
	return st ? st : xpu_launch(s, k);
}

/*
 * A stream of chip b waits for an event of chip a's stream, whose job spins
 * before it stores: the peer copy after the wait sees the stored value,
 * in a chain a -> b -> c and back.
 */
TEST_F(peer, cross_device_event_orders_streams)
{
	/* 3 devices (a chain 0 -> 1 -> 2 -> 0), or 2 (0 -> 1 -> 0 -> 0) */
	xpu_device *d[3] = { self->f.dev[0], self->f.dev[1],
			     self->f.dev[self->f.n > 2 ? 2 : 0] };
	xpu_module *mod[3];
	xpu_kernel *k[3];
	xpu_stream *s[3];
	xpu_buffer *buf[3];
	xpu_event *ev[3];

	for (int i = 0; i < 3; i++) {
		XOK(rt_load_asm(d[i], spin_src, &mod[i]));	/* a device twice: two modules */
		XOK(xpu_kernel_create(mod[i], "spinstore", &k[i]));
		XOK(xpu_stream_create(d[i], XPU_QUEUE_ANY, &s[i]));
		XOK(xpu_buffer_alloc(d[i], 4096, XPU_MEM_DEVICE, &buf[i]));
		XOK(xpu_event_create(d[i], &ev[i]));
	}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			XOK(xpu_device_enable_peer_access(d[i], d[j]));	/* self: a no-op */
	for (int round = 0; round < 3; round++) {
		uint64_t v = 0x1234567800ull + (uint64_t)round, got[3];

		/* chip 0 spins, then stores v in buf[0] */
		XOK(spin_store(s[0], k[0], buf[0], 400000, v));
		XOK(xpu_event_record(ev[0], s[0]));
		/* chip 1 waits for it, pulls buf[0] into buf[1], adds its own store later */
		XOK(xpu_stream_wait_event(s[1], ev[0]));
		XOK(xpu_copy_peer_async(s[1], buf[1], 0, buf[0], 0, 8));
		XOK(xpu_event_record(ev[1], s[1]));
		/* chip 2 waits for chip 1, pulls buf[1]; chip 0 then pulls buf[2] */
		XOK(xpu_stream_wait_event(s[2], ev[1]));
		XOK(xpu_copy_peer_async(s[2], buf[2], 0, buf[1], 0, 8));
		XOK(xpu_event_record(ev[2], s[2]));
		XOK(xpu_stream_wait_event(s[0], ev[2]));
		XOK(xpu_copy_peer_async(s[0], buf[0], 8, buf[2], 0, 8));
		XOK(xpu_event_synchronize(ev[2], XPU_WAIT_FOREVER));
		XOK(xpu_stream_synchronize(s[0], XPU_WAIT_FOREVER));
		XOK(xpu_buffer_read(buf[1], 0, &got[1], 8));
		XOK(xpu_buffer_read(buf[2], 0, &got[2], 8));
		XOK(xpu_buffer_read(buf[0], 8, &got[0], 8));
		ASSERT_EQ(v, got[1]) TH_LOG("round %d", round);
		ASSERT_EQ(v, got[2]) TH_LOG("round %d", round);
		ASSERT_EQ(v, got[0]) TH_LOG("round %d", round);
	}
	for (int i = 0; i < 3; i++) {
		xpu_event_destroy(ev[i]);
		xpu_stream_destroy(s[i]);
		xpu_buffer_free(buf[i]);
		xpu_kernel_destroy(k[i]);
		xpu_module_unload(mod[i]);
	}
}

/*
 * A stream of chip 1 waits for an event of chip 0, then chip 0 is closed
 * (its jobs done) before the waiting stream's next job is even launched:
 * that job runs and nothing touches the closed device. Before, the host
 * backend's worker called the closed device's timeline wait (freed memory).
 */
TEST_F(peer, cross_device_wait_outlives_the_other_device)
{
	xpu_device *d0 = self->f.dev[0], *d1 = self->f.dev[1];
	xpu_module *mod[2];
	xpu_kernel *k[2];
	xpu_stream *s[2];
	xpu_buffer *buf[2];
	xpu_event *ev;
	uint64_t got = 0;

	XOK(rt_load_asm(d0, spin_src, &mod[0]));
	XOK(rt_load_asm(d1, spin_src, &mod[1]));
	for (int i = 0; i < 2; i++) {
		XOK(xpu_kernel_create(mod[i], "spinstore", &k[i]));
		XOK(xpu_stream_create(self->f.dev[i], XPU_QUEUE_ANY, &s[i]));
		XOK(xpu_buffer_alloc(self->f.dev[i], 4096, XPU_MEM_DEVICE, &buf[i]));
	}
	XOK(xpu_event_create(d0, &ev));
	XOK(spin_store(s[0], k[0], buf[0], 1000, 7));
	XOK(xpu_event_record(ev, s[0]));
	XOK(xpu_stream_wait_event(s[1], ev));
	/* chip 0 goes away entirely */
	XOK(xpu_stream_synchronize(s[0], XPU_WAIT_FOREVER));
	xpu_event_destroy(ev);
	xpu_stream_destroy(s[0]);
	xpu_buffer_free(buf[0]);
	xpu_kernel_destroy(k[0]);
	xpu_module_unload(mod[0]);
	XOK(xpu_device_close(d0));
	self->f.dev[0] = NULL;
	/* chip 1's next job carries the wait */
	XOK(spin_store(s[1], k[1], buf[1], 1000, 0x5eed));
	XOK(xpu_stream_synchronize(s[1], XPU_WAIT_FOREVER));
	XOK(xpu_buffer_read(buf[1], 0, &got, 8));
	ASSERT_EQ(0x5eedull, got);
	xpu_stream_destroy(s[1]);
	xpu_buffer_free(buf[1]);
	xpu_kernel_destroy(k[1]);
	xpu_module_unload(mod[1]);
}

TEST_F(peer, cross_device_wait_for_unrecorded_event_is_a_no_op)
{
	xpu_stream *s;
	xpu_event *ev;

	XOK(xpu_stream_create(self->f.dev[1], XPU_QUEUE_ANY, &s));
	XOK(xpu_event_create(self->f.dev[0], &ev));
	XOK(xpu_stream_wait_event(s, ev));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	xpu_event_destroy(ev);
	xpu_stream_destroy(s);
}

TEST_HARNESS_MAIN
