// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: chip-to-chip links and peer buffers (uAPI 1.3).
 * GET_PARAM's topology agrees with the port registers and with sysfs
 * (link<P>/ for each port, none beyond NUM_LINKS); an HBM buffer exported by
 * one XPU and imported by another is reached by the importer's jobs over
 * the link (or PCIe), both ways, and the link counters count it; a bad fd,
 * and an import with no path, fail with the documented errno; importing and
 * closing again and again never runs out of windows; the exporter's unbind
 * makes the importer's jobs on the buffer end LINK_ERROR without banning
 * the importer or crashing anything, and the exporter binds again.
 *
 * Tests that need two linked XPUs SKIP with the reason when the VM has
 * fewer (make check boots two in a ring).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

#define PG 4096ul
#define BUF_SIZE (64ul << 10)

struct xdev {
	int fd, minor;
	uint64_t chip, links;
	char pci[PATH_MAX];
};

static int xdev_open(int n, struct xdev *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = xpu_open_nth(n, &d->minor);
	if (d->fd < 0)
		return -1;
	if (xpu_get_param(d->fd, DRM_XPU_PARAM_CHIP_ID, &d->chip) ||
	    xpu_get_param(d->fd, DRM_XPU_PARAM_NUM_LINKS, &d->links) ||
	    xpu_pci_dir(d->minor, d->pci, sizeof(d->pci)))
		return -1;
	return 0;
}

/* A sysfs file of the device as a number; LLONG_MIN when unreadable. */
static long long sysfs_num(const struct xdev *d, const char *file)
{
	char path[PATH_MAX + 64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d->pci, file);
	f = fopen(path, "r");
	if (!f)
		return LLONG_MIN;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtoll(buf, NULL, 10) : LLONG_MIN;
}

/* What port's counters (and the device's link perf counter) say now. */
struct link_count {
	long long bytes, xfers, perf;
};

static void link_count_read(const struct xdev *d, int port, struct link_count *n)
{
	char file[64];

	snprintf(file, sizeof(file), "link%d/bytes", port);
	n->bytes = sysfs_num(d, file);
	snprintf(file, sizeof(file), "link%d/transfers", port);
	n->xfers = sysfs_num(d, file);
	n->perf = sysfs_num(d, "perf/link_bytes");
}

static int sysfs_str(const struct xdev *d, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d->pci, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The port of a with an up link to b's chip, or -1. */
static int port_to(const struct xdev *a, const struct xdev *b)
{
	for (uint32_t p = 0; p < a->links; p++) {
		uint64_t v;

		if (xpu_get_param(a->fd, DRM_XPU_PARAM_LINK_PEER(p), &v))
			return -1;
		if (v != DRM_XPU_LINK_PEER_NONE && (v & DRM_XPU_LINK_UP) &&
		    (v & 0xffff) == b->chip)
			return p;
	}
	return -1;
}

static int prime_export(int fd, uint32_t handle, int *dmabuf)
{
	struct drm_prime_handle p = { .handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR };

	if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
		return -errno;
	*dmabuf = p.fd;
	return 0;
}

static int prime_import(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf };

	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p))
		return -errno;
	*handle = p.handle;
	return 0;
}

static int bo_info(int fd, uint32_t handle, struct drm_xpu_bo_info *i)
{
	memset(i, 0, sizeof(*i));
	i->handle = handle;
	return ioctl(fd, DRM_IOCTL_XPU_BO_INFO, i) ? -errno : 0;
}

static void gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/* The copy program and its argument block on one device. */
struct copier {
	struct xpu_bo prog, args;
	uint32_t len;
};

static int copier_new(int fd, struct copier *c)
{
	int ret = xpu_bo_new(fd, PG, DRM_XPU_BO_HBM | DRM_XPU_BO_DEVICE_RO, &c->prog);

	if (!ret)
		ret = xpu_bo_new(fd, PG, DRM_XPU_BO_HBM, &c->args);
	if (!ret)
		c->len = xpu_prog_copy(c->prog.map);
	return ret;
}

static void copier_free(int fd, struct copier *c)
{
	xpu_bo_free(fd, &c->prog);
	xpu_bo_free(fd, &c->args);
}

/* Copy bytes from VA src to VA dst on fd (buffers h1, h2); the job status or -errno. */
static int copy_job(int fd, struct copier *c, uint64_t src, uint64_t dst, uint64_t bytes,
		    uint32_t h1, uint32_t h2)
{
	uint32_t bos[4] = { c->prog.handle, c->args.handle, h1, h2 };
	uint64_t *a = c->args.map;
	struct drm_xpu_wait_job w;
	int64_t id;
	int ret;

	a[0] = src;
	a[1] = dst;
	a[2] = bytes;
	id = xpu_submit(fd, 0, &c->prog, c->len, &c->args, 24, bos, 4, NULL, 0, 0, 0);
	if (id < 0)
		return (int)id;
	ret = xpu_wait(fd, id, 60000, &w);
	return ret ? ret : (int)w.status;
}

static void fill(void *p, uint64_t n, uint64_t seed)
{
	uint64_t *q = p, s = seed | 1;

	for (uint64_t i = 0; i < n / 8; i++)
		q[i] = xpu_xorshift(&s);
}

static int check(const void *p, uint64_t n, uint64_t seed)
{
	const volatile uint64_t *q = p;
	uint64_t s = seed | 1;

	for (uint64_t i = 0; i < n / 8; i++)
		if (q[i] != xpu_xorshift(&s))
			return (int)i;
	return -1;
}

/*
 * Two devices joined by an up link, in both directions: the first such pair
 * in device order (after an unbind and bind a device may come back under
 * another minor, so the first two XPUs need not be neighbours), or a SKIP
 * reason with neither device open (both fds -1).
 */
static const char *linked_pair(struct xdev *d0, struct xdev *d1)
{
	const char *why = "fewer than two XPUs";

	d0->fd = -1;
	d1->fd = -1;
	for (int i = 0; i < 64; i++) {
		if (xdev_open(i, d0)) {
			if (d0->fd < 0)
				break;
			close(d0->fd);
			continue;
		}
		for (int j = i + 1; j < 64; j++) {
			if (xdev_open(j, d1)) {
				if (d1->fd < 0)
					break;
				close(d1->fd);
				continue;
			}
			if (!d0->links || !d1->links)
				why = "no link ports (a device without XPU_CAP_LINK)";
			else if (port_to(d1, d0) < 0 || port_to(d0, d1) < 0)
				why = "no two XPUs joined by an up link";
			else
				return NULL;
			close(d1->fd);
		}
		close(d0->fd);
	}
	d0->fd = -1;
	d1->fd = -1;
	return why;
}

/*
 * The devices with chip ids c0 and c1, joined by an up link both ways, or a
 * reason. After an unbind and bind a device may come back under another
 * minor (its old one is held until its last file closes), so the first two
 * XPUs are not necessarily the pair any more.
 */
static const char *pair_by_chip(struct xdev *d0, struct xdev *d1, uint64_t c0, uint64_t c1)
{
	struct xdev d;

	d0->fd = -1;
	d1->fd = -1;
	for (int n = 0; n < 64; n++) {
		if (xdev_open(n, &d)) {
			if (d.fd < 0)
				break;
			close(d.fd);
			continue;
		}
		if (d.chip == c0 && d0->fd < 0)
			*d0 = d;
		else if (d.chip == c1 && d1->fd < 0)
			*d1 = d;
		else
			close(d.fd);
	}
	if (d0->fd < 0 || d1->fd < 0)
		return "a chip of the pair is missing";
	if (port_to(d1, d0) < 0 || port_to(d0, d1) < 0)
		return "no up link between the pair";
	return NULL;
}

static void pair_close(struct xdev *d0, struct xdev *d1)
{
	if (d0->fd >= 0)
		close(d0->fd);
	if (d1->fd >= 0)
		close(d1->fd);
}

/*
 * What the import tests share: a BUF_SIZE buffer of d0 (src_flags, filled
 * from seed) exported and imported by d1 (handle h, info), a BUF_SIZE
 * buffer of d1's own (dst_flags) and d1's copier. Each step is asserted; a
 * failed one ends the test.
 */
struct peer_import {
	struct xpu_bo src, dst;
	struct copier c;
	struct drm_xpu_bo_info info;
	uint32_t h;
	int dmabuf;
};

static void peer_import_new(struct __test_metadata *_metadata, const struct xdev *d0,
			    const struct xdev *d1, uint32_t src_flags, uint64_t seed,
			    uint32_t dst_flags, struct peer_import *im)
{
	im->h = 0;
	im->dmabuf = -1;
	ASSERT_EQ(0, xpu_bo_new(d0->fd, BUF_SIZE, src_flags, &im->src));
	ASSERT_EQ(0, xpu_bo_new(d1->fd, BUF_SIZE, dst_flags, &im->dst));
	ASSERT_EQ(0, copier_new(d1->fd, &im->c));
	fill(im->src.map, BUF_SIZE, seed);
	ASSERT_EQ(0, prime_export(d0->fd, im->src.handle, &im->dmabuf));
	ASSERT_EQ(0, prime_import(d1->fd, im->dmabuf, &im->h));
	ASSERT_EQ(0, bo_info(d1->fd, im->h, &im->info));
}

/* A job of d1 copies the import into dst: the job status or -errno. */
static int peer_read(const struct xdev *d1, struct peer_import *im)
{
	return copy_job(d1->fd, &im->c, im->info.va, im->dst.va, BUF_SIZE, im->h,
			im->dst.handle);
}

/* A job of d1 copies d1's buffer from into the import: the job status or -errno. */
static int peer_write(const struct xdev *d1, struct peer_import *im, const struct xpu_bo *from)
{
	return copy_job(d1->fd, &im->c, from->va, im->info.va, BUF_SIZE, from->handle, im->h);
}

/* The import closed first, then the dma-buf, d1's buffers and the exported one. */
static void peer_import_free(const struct xdev *d0, const struct xdev *d1,
			     struct peer_import *im)
{
	gem_close(d1->fd, im->h);
	close(im->dmabuf);
	copier_free(d1->fd, &im->c);
	xpu_bo_free(d1->fd, &im->dst);
	xpu_bo_free(d0->fd, &im->src);
}

/* GET_PARAM's topology agrees with sysfs, and with the expected topology. */
TEST(topology_params_and_sysfs)
{
	uint64_t v;
	int n;

	for (n = 0; n < 32; n++) {
		struct xdev d;
		char file[64], state[16];

		if (xdev_open(n, &d)) {
			if (d.fd >= 0)
				close(d.fd);
			break;
		}
		ASSERT_EQ(0, xpu_get_param(d.fd, DRM_XPU_PARAM_UAPI_VERSION, &v));
		ASSERT_GE(v & 0xffff, 3) TH_LOG("uAPI 1.3 brings links");
		ASSERT_LE(d.links, XPU_MAX_LINKS);
		ASSERT_LT(d.chip, XPU_MAX_CHIPS);
		ASSERT_EQ(0, xpu_get_param(d.fd, DRM_XPU_PARAM_CAPS, &v));
		if (!(v & XPU_CAP_LINK))
			EXPECT_EQ(0, d.links) TH_LOG("device %d: links without XPU_CAP_LINK", n);
		/* the port just past the last one does not exist */
		errno = 0;
		EXPECT_NE(0, xpu_get_param(d.fd, DRM_XPU_PARAM_LINK_PEER(d.links), &v));
		EXPECT_EQ(EINVAL, errno);
		snprintf(file, sizeof(file), "link%llu/state", (unsigned long long)d.links);
		EXPECT_NE(0, sysfs_str(&d, file, state, sizeof(state)))
			TH_LOG("device %d: %s exists beyond NUM_LINKS", n, file);
		EXPECT_LE(0, sysfs_num(&d, "perf/link_bytes"));
		EXPECT_LE(0, sysfs_num(&d, "perf/link_busy_cycles"));
		for (uint32_t p = 0; p < d.links; p++) {
			long long chip, port;

			ASSERT_EQ(0, xpu_get_param(d.fd, DRM_XPU_PARAM_LINK_PEER(p), &v));
			snprintf(file, sizeof(file), "link%u/state", p);
			ASSERT_EQ(0, sysfs_str(&d, file, state, sizeof(state)));
			snprintf(file, sizeof(file), "link%u/peer_chip", p);
			chip = sysfs_num(&d, file);
			snprintf(file, sizeof(file), "link%u/peer_port", p);
			port = sysfs_num(&d, file);
			if (v == DRM_XPU_LINK_PEER_NONE) {
				EXPECT_STREQ("none", state);
				EXPECT_EQ(-1, chip);
				EXPECT_EQ(-1, port);
			} else {
				EXPECT_STREQ(v & DRM_XPU_LINK_UP ? "up" : "down", state);
				EXPECT_EQ((long long)(v & 0xffff), chip);
				EXPECT_EQ((long long)((v >> 16) & 0xff), port);
			}
			for (const char *f = "bytes\0transfers\0busy_cycles\0errors\0"; *f;
			     f += strlen(f) + 1) {
				snprintf(file, sizeof(file), "link%u/%s", p, f);
				EXPECT_LE(0, sysfs_num(&d, file)) TH_LOG("%s", file);
			}
		}
		close(d.fd);
	}
	ASSERT_GE(n, 1);
}

/* Every cable is seen from both ends: port p of a -> (b, q) iff q of b -> (a, p). */
TEST(topology_symmetric_and_ring_of_two)
{
	struct xdev d[32];
	const char *topo = getenv("XPU_EXPECT_LINKS");
	int n, linked = 0;

	for (n = 0; n < 32 && !xdev_open(n, &d[n]); n++)
		linked += d[n].links > 0;
	if (n < 32 && d[n].fd >= 0)
		close(d[n].fd);
	if (linked < 2) {
		for (int i = 0; i < n; i++)
			close(d[i].fd);
		SKIP(return, "fewer than two XPUs with link ports");
	}
	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			EXPECT_NE(d[i].chip, d[j].chip) TH_LOG("devices %d and %d", i, j);
		}
		for (uint32_t p = 0; p < d[i].links; p++) {
			uint64_t v, back;
			int j;

			ASSERT_EQ(0, xpu_get_param(d[i].fd, DRM_XPU_PARAM_LINK_PEER(p), &v));
			if (v == DRM_XPU_LINK_PEER_NONE)
				continue;
			for (j = 0; j < n && d[j].chip != (v & 0xffff); j++)
				;
			ASSERT_LT(j, n) TH_LOG("device %d port %u: no chip %llu", i, p,
					       (unsigned long long)(v & 0xffff));
			ASSERT_EQ(0, xpu_get_param(d[j].fd,
						   DRM_XPU_PARAM_LINK_PEER((v >> 16) & 0xff), &back));
			EXPECT_EQ(d[i].chip, back & 0xffff);
			EXPECT_EQ(p, (back >> 16) & 0xff);
			EXPECT_EQ(v & DRM_XPU_LINK_UP, back & DRM_XPU_LINK_UP);
		}
	}
	/* make check boots two XPUs in a ring: every port up, to the other chip */
	if (topo && !strcmp(topo, "ring") && n == 2) {
		for (int i = 0; i < 2; i++)
			for (uint32_t p = 0; p < d[i].links; p++) {
				uint64_t v;

				ASSERT_EQ(0, xpu_get_param(d[i].fd, DRM_XPU_PARAM_LINK_PEER(p), &v));
				EXPECT_NE(DRM_XPU_LINK_PEER_NONE, v);
				EXPECT_TRUE(v & DRM_XPU_LINK_UP);
				EXPECT_EQ(d[1 - i].chip, v & 0xffff);
			}
	}
	for (int i = 0; i < n; i++)
		close(d[i].fd);
}

/* An XPU's own HBM buffer comes back as the same handle. */
TEST(self_import_is_the_same_buffer)
{
	struct xpu_bo bo;
	uint32_t h = 0;
	int fd = xpu_open_nth(0, NULL), dmabuf = -1;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, xpu_bo_new(fd, BUF_SIZE, DRM_XPU_BO_HBM, &bo));
	ASSERT_EQ(0, prime_export(fd, bo.handle, &dmabuf));
	ASSERT_EQ(0, prime_import(fd, dmabuf, &h));
	EXPECT_EQ(bo.handle, h);
	close(dmabuf);
	xpu_bo_free(fd, &bo);
	close(fd);
}

/* An fd that is no dma-buf is refused; a peer buffer re-exports the original. */
TEST(bad_imports_fail)
{
	struct xdev d0, d1;
	const char *why = linked_pair(&d0, &d1);
	struct drm_prime_handle p = { 0 };
	int mfd = (int)syscall(SYS_memfd_create, "notdmabuf", 0);
	struct xpu_bo bo;
	uint32_t h = 0;
	int dmabuf = -1, again = -1;

	ASSERT_GE(mfd, 0);
	ASSERT_GE(d0.fd, 0);
	p.fd = mfd;
	EXPECT_NE(0, ioctl(d0.fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
	EXPECT_EQ(EINVAL, errno);
	close(mfd);
	if (d1.fd < 0) {
		pair_close(&d0, &d1);
		SKIP(return, "fewer than two XPUs");
	}
	/* a peer buffer exported again is the exporter's own dma-buf */
	ASSERT_EQ(0, xpu_bo_new(d0.fd, BUF_SIZE, DRM_XPU_BO_HBM, &bo));
	ASSERT_EQ(0, prime_export(d0.fd, bo.handle, &dmabuf));
	h = 0;
	if (!prime_import(d1.fd, dmabuf, &h)) {
		struct stat s1, s2;

		ASSERT_EQ(0, prime_export(d1.fd, h, &again));
		ASSERT_EQ(0, fstat(dmabuf, &s1));
		ASSERT_EQ(0, fstat(again, &s2));
		EXPECT_EQ(s1.st_ino, s2.st_ino);
		close(again);
		gem_close(d1.fd, h);
	} else {
		TH_LOG("no path between the devices (%s)", why ? why : "?");
	}
	close(dmabuf);
	xpu_bo_free(d0.fd, &bo);
	pair_close(&d0, &d1);
}

/*
 * dev1 reads dev0's buffer over the link into its own, and writes its own
 * into dev0's; both data checked; the counters of dev1's port grew.
 */
TEST(link_import_copy_both_ways)
{
	struct xdev d0, d1;
	const char *why = linked_pair(&d0, &d1);
	struct peer_import im;
	struct xpu_bo back;
	struct link_count n0, n1;
	long long pbytes0;
	char pfile[64];
	uint64_t peer;
	int port, bad;

	if (why)
		SKIP(return, "%s", why);
	port = port_to(&d1, &d0);
	ASSERT_EQ(0, xpu_bo_new(d1.fd, BUF_SIZE, DRM_XPU_BO_HOST, &back));
	fill(back.map, BUF_SIZE, 0x5678);
	peer_import_new(_metadata, &d0, &d1, DRM_XPU_BO_HBM, 0x1234, DRM_XPU_BO_HBM, &im);
	EXPECT_EQ(DRM_XPU_BO_PEER_LINK, im.info.flags);
	EXPECT_EQ(BUF_SIZE, im.info.size);
	EXPECT_NE(0, im.info.va);
	/* no CPU mapping of another device's memory through this fd */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, d1.fd,
				   im.info.mmap_offset));

	/* the exporter's end of the same cable */
	ASSERT_EQ(0, xpu_get_param(d1.fd, DRM_XPU_PARAM_LINK_PEER(port), &peer));
	snprintf(pfile, sizeof(pfile), "link%d/bytes", (int)((peer >> 16) & 0xff));
	pbytes0 = sysfs_num(&d0, pfile);
	link_count_read(&d1, port, &n0);

	EXPECT_EQ(DRM_XPU_JOB_OK, peer_read(&d1, &im));
	bad = check(im.dst.map, BUF_SIZE, 0x1234);
	EXPECT_EQ(-1, bad) TH_LOG("read over the link: word %d differs", bad);
	EXPECT_EQ(DRM_XPU_JOB_OK, peer_write(&d1, &im, &back));
	bad = check(im.src.map, BUF_SIZE, 0x5678);
	EXPECT_EQ(-1, bad) TH_LOG("written over the link: word %d differs", bad);

	link_count_read(&d1, port, &n1);
	EXPECT_GE(n1.bytes - n0.bytes, 2 * (long long)BUF_SIZE);
	EXPECT_GT(n1.xfers, n0.xfers);
	EXPECT_GE(n1.perf - n0.perf, 2 * (long long)BUF_SIZE);
	/* both ends of a link count what crosses it */
	EXPECT_EQ(n1.bytes - n0.bytes, sysfs_num(&d0, pfile) - pbytes0);

	xpu_bo_free(d1.fd, &back);
	peer_import_free(&d0, &d1, &im);
	pair_close(&d0, &d1);
}

/* A read-only buffer is imported read-only: a write to it faults. */
TEST(link_import_read_only)
{
	struct xdev d0, d1;
	const char *why = linked_pair(&d0, &d1);
	struct peer_import im;

	if (why)
		SKIP(return, "%s", why);
	peer_import_new(_metadata, &d0, &d1, DRM_XPU_BO_HBM | DRM_XPU_BO_DEVICE_RO, 0x99,
			DRM_XPU_BO_HOST, &im);
	EXPECT_EQ(DRM_XPU_BO_PEER_LINK | DRM_XPU_BO_DEVICE_RO, im.info.flags);
	EXPECT_EQ(DRM_XPU_JOB_OK, peer_read(&d1, &im));
	EXPECT_EQ(-1, check(im.dst.map, BUF_SIZE, 0x99));
	EXPECT_EQ(DRM_XPU_JOB_MMU_FAULT, peer_write(&d1, &im, &im.dst));
	EXPECT_EQ(-1, check(im.src.map, BUF_SIZE, 0x99)) TH_LOG("a read-only buffer changed");
	peer_import_free(&d0, &d1, &im);
	pair_close(&d0, &d1);
}

/*
 * More imports than the exporter has windows (64), each closed before the
 * next: closing the importer's buffer gives its window back, and each
 * import reaches its own buffer.
 */
TEST(import_close_reuse_no_window_leak)
{
	struct xdev d0, d1;
	const char *why = linked_pair(&d0, &d1);
	struct xpu_bo src, dst;
	struct copier c;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, xpu_bo_new(d1.fd, PG, DRM_XPU_BO_HOST, &dst));
	ASSERT_EQ(0, copier_new(d1.fd, &c));
	for (int i = 0; i < XPU_MAX_WINDOWS + 8; i++) {
		struct drm_xpu_bo_info info;
		uint32_t h = 0;
		int dmabuf = -1, ret;

		ASSERT_EQ(0, xpu_bo_new(d0.fd, PG, DRM_XPU_BO_HBM, &src));
		fill(src.map, PG, 0x1000 + i);
		ASSERT_EQ(0, prime_export(d0.fd, src.handle, &dmabuf));
		/*
		 * a closed import's window is given back when its last job is
		 * freed (the scheduler's free_job, a moment after the wait):
		 * -ENOSPC for up to 2 s is that moment, not a leak
		 */
		for (int t = 0; t < 200 && (ret = prime_import(d1.fd, dmabuf, &h)) == -ENOSPC; t++)
			usleep(10000);
		ASSERT_EQ(0, ret) TH_LOG("import %d", i);
		/* the dma-buf fd and the exporter's handle may go: the import holds it */
		close(dmabuf);
		xpu_bo_free(d0.fd, &src);
		ASSERT_EQ(0, bo_info(d1.fd, h, &info));
		ASSERT_EQ(DRM_XPU_JOB_OK, copy_job(d1.fd, &c, info.va, dst.va, PG, h,
						   dst.handle)) TH_LOG("import %d", i);
		ASSERT_EQ(-1, check(dst.map, PG, 0x1000 + i)) TH_LOG("import %d", i);
		gem_close(d1.fd, h);
	}
	copier_free(d1.fd, &c);
	xpu_bo_free(d1.fd, &dst);
	pair_close(&d0, &d1);
}

/* Root: module parameter pcie_p2p, debugfs link injection. */
static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * With every link of the importer down and PCIe peer-to-peer off, there is
 * no path: -ENOLINK. After the retrain the import works again.
 */
TEST(no_path_enolink)
{
	struct xdev d0, d1;
	const char *why = linked_pair(&d0, &d1);
	const char *param = "/sys/module/xpu/parameters/pcie_p2p";
	struct xpu_bo src;
	char cmd[32];
	uint32_t h = 0;
	int dmabuf = -1;

	if (d0.fd < 0 || d1.fd < 0) {
		pair_close(&d0, &d1);
		SKIP(return, "fewer than two XPUs");
	}
	ASSERT_EQ(0, write_file(param, "0"));
	for (uint32_t p = 0; p < d1.links; p++) {
		snprintf(cmd, sizeof(cmd), "linkdown %u", p);
		EXPECT_EQ(0, xpu_debugfs_write(d1.minor, "inject", cmd));
	}
	ASSERT_EQ(0, xpu_bo_new(d0.fd, PG, DRM_XPU_BO_HBM, &src));
	ASSERT_EQ(0, prime_export(d0.fd, src.handle, &dmabuf));
	EXPECT_EQ(-ENOLINK, prime_import(d1.fd, dmabuf, &h));
	ASSERT_EQ(0, write_file(param, "1"));
	for (uint32_t p = 0; p < d1.links; p++) {
		snprintf(cmd, sizeof(cmd), "retrain %u", p);
		EXPECT_EQ(0, xpu_debugfs_write(d1.minor, "inject", cmd));
	}
	if (!why) {
		struct drm_xpu_bo_info info;

		/* a retrained link carries imports again */
		for (int i = 0; i < 100 && port_to(&d1, &d0) < 0; i++)
			usleep(10000);
		ASSERT_EQ(0, prime_import(d1.fd, dmabuf, &h));
		ASSERT_EQ(0, bo_info(d1.fd, h, &info));
		EXPECT_EQ(DRM_XPU_BO_PEER_LINK, info.flags);
		gem_close(d1.fd, h);
	}
	close(dmabuf);
	xpu_bo_free(d0.fd, &src);
	pair_close(&d0, &d1);
}

/* Root: take every link of dev down (debugfs), or retrain them. */
static int links_set(const struct xdev *d, int up)
{
	char cmd[32];
	int ret = 0;

	for (uint32_t p = 0; p < d->links && !ret; p++) {
		snprintf(cmd, sizeof(cmd), "%s %u", up ? "retrain" : "linkdown", p);
		ret = xpu_debugfs_write(d->minor, "inject", cmd);
	}
	if (up && !ret) {
		for (int i = 0; i < 100; i++) {
			uint64_t v;
			int all = 1;

			for (uint32_t p = 0; p < d->links; p++)
				if (xpu_get_param(d->fd, DRM_XPU_PARAM_LINK_PEER(p), &v) ||
				    (v != DRM_XPU_LINK_PEER_NONE && !(v & DRM_XPU_LINK_UP)))
					all = 0;
			if (all)
				break;
			usleep(10000);
		}
	}
	return ret;
}

/*
 * Root: with the importer's links down, the import goes by PCIe
 * peer-to-peer (HOST leaves at the exporter's BAR): both ways, data
 * checked, and no link counter moves.
 */
TEST(pcie_import_when_links_down)
{
	struct xdev d0, d1;
	struct peer_import im;
	long long perf0;

	d1.fd = -1;
	if (xdev_open(0, &d0) || xdev_open(1, &d1)) {
		pair_close(&d0, &d1);
		SKIP(return, "fewer than two XPUs");
	}
	ASSERT_EQ(0, write_file("/sys/module/xpu/parameters/pcie_p2p", "1"));
	ASSERT_EQ(0, links_set(&d1, 0));
	peer_import_new(_metadata, &d0, &d1, DRM_XPU_BO_HBM, 0x4242, DRM_XPU_BO_HOST, &im);
	EXPECT_EQ(DRM_XPU_BO_PEER_PCIE, im.info.flags);
	perf0 = sysfs_num(&d1, "perf/link_bytes");
	EXPECT_EQ(DRM_XPU_JOB_OK, peer_read(&d1, &im));
	EXPECT_EQ(-1, check(im.dst.map, BUF_SIZE, 0x4242));
	fill(im.dst.map, BUF_SIZE, 0x4343);
	EXPECT_EQ(DRM_XPU_JOB_OK, peer_write(&d1, &im, &im.dst));
	EXPECT_EQ(-1, check(im.src.map, BUF_SIZE, 0x4343));
	EXPECT_EQ(perf0, sysfs_num(&d1, "perf/link_bytes"));
	peer_import_free(&d0, &d1, &im);
	EXPECT_EQ(0, links_set(&d1, 1));
	pair_close(&d0, &d1);
}

/*
 * The accel node of PCI device bdf once it is bound again, given the owner
 * and mode the old node had (the suite's unprivileged user reaches the
 * devices through them: run-tests.sh applies the mdev rule at start only).
 * 0 or -errno.
 */
static int node_restore(const char *bdf, const struct stat *old)
{
	char dir[PATH_MAX], node[PATH_MAX + 64];
	struct dirent *e;
	DIR *d = NULL;
	int ret = -ENOENT;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/accel", bdf);
	for (int i = 0; i < 200 && !(d = opendir(dir)); i++)
		usleep(10000);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "accel", 5))
			continue;
		snprintf(node, sizeof(node), "/dev/accel/%s", e->d_name);
		for (int i = 0; i < 200 && access(node, F_OK); i++)
			usleep(10000);
		ret = chown(node, old->st_uid, old->st_gid) ||
		      chmod(node, old->st_mode & 07777) ? -errno : 0;
	}
	closedir(d);
	return ret;
}

/* Root: open windows of a device (debugfs "windows"), or -1. */
static int windows_open(const struct xdev *d)
{
	char buf[8192], *l;
	int n = 0;

	if (xpu_debugfs_read(d->minor, "windows", buf, sizeof(buf)) < 0)
		return -1;
	for (l = buf; (l = strstr(l, "window ")); l++)
		n++;
	return n;
}

/* Kernel log lines that mean a crash or a driver bug, or -1. */
static int klog_bad_lines(void)
{
	FILE *f = popen("dmesg 2>/dev/null | grep -cE 'WARNING:|BUG:|Oops|general protection|use-after-free|refcount_t'", "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

/*
 * Root: the importer's unbind, with the import still open, then the close
 * of its file, gives the exporter's window back; the exporter's buffer is
 * untouched and the importer, bound again, imports it again.
 */
TEST(importer_unbind_releases_window)
{
	struct xdev d0, d1;
	const char *why = linked_pair(&d0, &d1);
	struct peer_import im;
	char bdf[64], path[PATH_MAX + 32];
	struct stat node;
	int base, n = -1;
	uint64_t c0, c1;

	if (why)
		SKIP(return, "%s", why);
	c0 = d0.chip;
	c1 = d1.chip;
	base = windows_open(&d0);
	ASSERT_GE(base, 0);
	snprintf(bdf, sizeof(bdf), "%s", strrchr(d1.pci, '/') + 1);
	snprintf(path, sizeof(path), "/dev/accel/accel%d", d1.minor);
	ASSERT_EQ(0, stat(path, &node));
	peer_import_new(_metadata, &d0, &d1, DRM_XPU_BO_HBM, 0xabc, DRM_XPU_BO_HBM, &im);
	EXPECT_EQ(base + 1, windows_open(&d0));
	EXPECT_EQ(DRM_XPU_JOB_OK, peer_read(&d1, &im));

	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers/xpu/unbind", bdf));
	/* the import lives as long as the importer's file */
	EXPECT_EQ(base + 1, windows_open(&d0));
	munmap(im.dst.map, im.dst.size);
	munmap(im.c.prog.map, im.c.prog.size);
	munmap(im.c.args.map, im.c.args.size);
	close(d1.fd);
	d1.fd = -1;
	for (int i = 0; i < 200 && (n = windows_open(&d0)) != base; i++)
		usleep(10000);
	EXPECT_EQ(base, n) TH_LOG("the importer's window stayed open");
	EXPECT_EQ(-1, check(im.src.map, BUF_SIZE, 0xabc));

	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers/xpu/bind", bdf));
	ASSERT_EQ(0, node_restore(bdf, &node));
	close(d0.fd);
	why = pair_by_chip(&d0, &d1, c0, c1);
	ASSERT_EQ(NULL, why) TH_LOG("after bind: %s", why);
	ASSERT_EQ(0, prime_import(d1.fd, im.dmabuf, &im.h));
	ASSERT_EQ(0, bo_info(d1.fd, im.h, &im.info));
	EXPECT_EQ(DRM_XPU_BO_PEER_LINK, im.info.flags);
	gem_close(d1.fd, im.h);
	close(im.dmabuf);
	pair_close(&d0, &d1);
}

/*
 * Root, last (they unbind a device): the exporter's unbind revokes what it
 * exported: the importer's job on the buffer ends LINK_ERROR (a link
 * import: the window is closed; a PCIe import, made with the importer's
 * links down: its leaves now name a port no chip has), the importer is
 * not banned (a job on its own memory still runs), its buffer closes
 * safely, the exporter binds again and works; no warning in the kernel log.
 */
/* The pair the unbind tests need: linked for a link import, any two for PCIe. */
static const char *unbind_pair(struct xdev *d0, struct xdev *d1, int pcie)
{
	const char *why = linked_pair(d0, d1);

	if (pcie && d0->fd >= 0 && d1->fd >= 0)
		return NULL;
	return why;
}

static void unbind_case(struct __test_metadata *_metadata, int pcie)
{
	struct xdev d0, d1;
	const char *why = unbind_pair(&d0, &d1, pcie);
	struct peer_import im;
	struct xpu_bo other;
	char bdf[64], path[PATH_MAX + 32];
	uint32_t want = DRM_XPU_JOB_LINK_ERROR;
	uint64_t state;
	int bad0, bad1;
	struct stat node;

	if (why)
		SKIP(return, "%s", why);
	bad0 = klog_bad_lines();
	snprintf(bdf, sizeof(bdf), "%s", strrchr(d0.pci, '/') + 1);
	snprintf(path, sizeof(path), "/dev/accel/accel%d", d0.minor);
	ASSERT_EQ(0, stat(path, &node));
	if (pcie) {
		ASSERT_EQ(0, write_file("/sys/module/xpu/parameters/pcie_p2p", "1"));
		ASSERT_EQ(0, links_set(&d1, 0));
	}
	ASSERT_EQ(0, xpu_bo_new(d1.fd, BUF_SIZE, DRM_XPU_BO_HOST, &other));
	peer_import_new(_metadata, &d0, &d1, DRM_XPU_BO_HBM, 0x77, DRM_XPU_BO_HBM, &im);
	ASSERT_EQ(pcie ? DRM_XPU_BO_PEER_PCIE : DRM_XPU_BO_PEER_LINK, im.info.flags);
	ASSERT_EQ(DRM_XPU_JOB_OK, peer_read(&d1, &im));
	EXPECT_EQ(-1, check(im.dst.map, BUF_SIZE, 0x77));

	/* the exporter goes while its process still holds the buffer and the dma-buf */
	munmap(im.src.map, im.src.size);
	im.src.map = NULL;
	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers/xpu/unbind", bdf));
	EXPECT_EQ(want, peer_read(&d1, &im));
	EXPECT_EQ(want, peer_write(&d1, &im, &other));
	/* not the importer's fault: it is not banned */
	ASSERT_EQ(0, xpu_get_param(d1.fd, DRM_XPU_PARAM_CTX_STATE, &state));
	EXPECT_EQ(0, state & DRM_XPU_CTX_BANNED);
	EXPECT_EQ(DRM_XPU_JOB_OK, copy_job(d1.fd, &im.c, other.va, im.dst.va, BUF_SIZE,
					   other.handle, im.dst.handle));
	/* the importer closes its buffer after the exporter is gone */
	gem_close(d1.fd, im.h);
	close(im.dmabuf);
	gem_close(d0.fd, im.src.handle);
	close(d0.fd);
	d0.fd = -1;
	if (pcie)
		EXPECT_EQ(0, links_set(&d1, 1));
	copier_free(d1.fd, &im.c);
	xpu_bo_free(d1.fd, &other);
	xpu_bo_free(d1.fd, &im.dst);
	close(d1.fd);
	d1.fd = -1;

	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers/xpu/bind", bdf));
	ASSERT_EQ(0, node_restore(bdf, &node));
	/* the exporter works again: an import of one of its buffers by the other */
	why = unbind_pair(&d0, &d1, pcie);
	ASSERT_EQ(NULL, why) TH_LOG("after bind: %s", why);
	peer_import_new(_metadata, &d0, &d1, DRM_XPU_BO_HBM, 0x31, DRM_XPU_BO_HOST, &im);
	EXPECT_EQ(DRM_XPU_JOB_OK, peer_read(&d1, &im));
	EXPECT_EQ(-1, check(im.dst.map, BUF_SIZE, 0x31));
	peer_import_free(&d0, &d1, &im);
	pair_close(&d0, &d1);
	bad1 = klog_bad_lines();
	EXPECT_EQ(bad0, bad1) TH_LOG("new warnings in the kernel log");
}

TEST(exporter_unbind_revokes_link_error)
{
	unbind_case(_metadata, 0);
}

TEST(exporter_unbind_revokes_pcie_link_error)
{
	unbind_case(_metadata, 1);
}

TEST_HARNESS_MAIN
