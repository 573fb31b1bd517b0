// SPDX-License-Identifier: MIT
/*
 * Synchronous copies between host memory and device buffers
 * (xpu_buffer_write/read) on every path memory.c chooses: CPU copies
 * through the mapping (small, host buffers, the host backend, memory the
 * kernel cannot pin) and, on the DRM backend, copies split between DMA
 * jobs from and to the caller's pinned pages (chunks of at most
 * XPU_PIN_CHUNK) and the CPU. Sizes straddle the
 * thresholds (64 KiB, 4 MiB chunks), offsets and lengths are unaligned,
 * sources are unaligned heap blocks, read-only pages, .rodata and other
 * buffers' mappings, and two threads copy at once. The device's job
 * counter shows which path ran.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "rt_test.h"

#define MiB (1u << 20)
#define BUF_SIZE (12u * MiB)

/* file-backed, read-only: the executable's .rodata */
static const uint8_t rodata_src[300000] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint64_t s = seed;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rt_rand(&s);
}

static uint64_t jobs_done(xpu_device *dev)
{
	struct xpu_device_usage u = { .size = sizeof(u) };

	if (xpu_device_get_usage(dev, &u))
		return UINT64_MAX;
	return u.jobs;
}

static int is_drm(xpu_device *dev)
{
	struct xpu_device_props p;

	if (xpu_device_get_props(dev, &p))
		return -1;
	return p.backend == XPU_BACKEND_DRM;
}

FIXTURE(copy) {
	xpu_device *dev;
	xpu_buffer *b;
	uint8_t *shadow;		/* what the buffer holds */
};

FIXTURE_SETUP(copy)
{
	RT_OPEN(self->dev);
	XOK(xpu_buffer_alloc(self->dev, BUF_SIZE, XPU_MEM_DEVICE, &self->b));
	self->shadow = malloc(BUF_SIZE);
	ASSERT_NE(NULL, self->shadow);
	pattern(self->shadow, BUF_SIZE, 99);
	XOK(xpu_buffer_write(self->b, 0, self->shadow, BUF_SIZE));
}

FIXTURE_TEARDOWN(copy)
{
	free(self->shadow);
	xpu_buffer_free(self->b);
	xpu_device_close(self->dev);
}

/* The whole buffer equals the shadow. */
static int buffer_matches(xpu_buffer *b, const uint8_t *shadow)
{
	uint8_t *all = malloc(BUF_SIZE);
	int ok;

	if (!all || xpu_buffer_read(b, 0, all, BUF_SIZE)) {
		free(all);
		return 0;
	}
	ok = !memcmp(all, shadow, BUF_SIZE);
	free(all);
	return ok;
}

/*
 * Sizes around the CPU/DMA threshold and the pinning chunk, at unaligned
 * buffer offsets, from and to heap blocks at unaligned addresses: what is
 * read back is what was written and nothing around it changed (in the
 * buffer or in the host memory around the destination).
 */
TEST_F(copy, sizes_offsets_and_alignment)
{
	static const size_t sizes[] = {
		1, 7, 4095, 4096, 4097, 65535, 65536, 65537, 100000, MiB + 123,
		4 * MiB - 1, 4 * MiB, 4 * MiB + 4097, 9 * MiB + 5,
	};
	static const size_t offs[] = { 0, 3, 4096 + 7 };
	static const size_t host_offs[] = { 0, 1, 4095 };
	const size_t guard = 64;
	uint8_t *src = malloc(10 * MiB + 8192), *dst = malloc(10 * MiB + 8192 + 2 * guard);
	int k = 0;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], off = offs[i % 3], ho = host_offs[(i / 3 + i) % 3];
		uint8_t *s = src + ho, *d = dst + guard + host_offs[i % 3];

		pattern(s, n, 1000 + k++);
		XOK(xpu_buffer_write(self->b, off, s, n));
		memcpy(self->shadow + off, s, n);
		memset(dst, 0xcd, 10 * MiB + 8192 + 2 * guard);
		XOK(xpu_buffer_read(self->b, off, d, n));
		ASSERT_EQ(0, memcmp(d, s, n)) TH_LOG("size %zu at offset %zu", n, off);
		for (size_t g = 1; g <= guard; g++) {
			ASSERT_EQ(0xcd, d[-(ptrdiff_t)g]) TH_LOG("byte before, size %zu", n);
			ASSERT_EQ(0xcd, d[n + g - 1]) TH_LOG("byte after, size %zu", n);
		}
	}
	/* the tail of the buffer, up to its last byte */
	pattern(src + 5, 5 * MiB + 11, 7);
	XOK(xpu_buffer_write(self->b, BUF_SIZE - (5 * MiB + 11), src + 5, 5 * MiB + 11));
	memcpy(self->shadow + BUF_SIZE - (5 * MiB + 11), src + 5, 5 * MiB + 11);
	ASSERT_TRUE(buffer_matches(self->b, self->shadow)) TH_LOG("bytes around the copies changed");
	free(src);
	free(dst);
}

/* Read-only sources: mprotect()ed anonymous pages and the program's .rodata. */
TEST_F(copy, read_only_sources)
{
	const size_t n = 3 * MiB + 17;
	uint8_t *p = mmap(NULL, n + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	uint8_t *back = malloc(n);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(NULL, back);
	pattern(p, n + 4096, 5);
	ASSERT_EQ(0, mprotect(p, n + 4096, PROT_READ));
	XOK(xpu_buffer_write(self->b, 11, (const void *)(p + 9), n));
	memcpy(self->shadow + 11, p + 9, n);
	XOK(xpu_buffer_read(self->b, 11, back, n));
	ASSERT_EQ(0, memcmp(back, p + 9, n));

	XOK(xpu_buffer_write(self->b, 4 * MiB + 1, rodata_src + 3, sizeof(rodata_src) - 3));
	memcpy(self->shadow + 4 * MiB + 1, rodata_src + 3, sizeof(rodata_src) - 3);
	ASSERT_TRUE(buffer_matches(self->b, self->shadow));
	munmap(p, n + 4096);
	free(back);
}

/*
 * Another buffer's mapping as the source and the destination (device or
 * I/O memory the kernel cannot pin): copied by the CPU, no job.
 */
TEST_F(copy, other_buffer_mappings)
{
	const size_t n = 2 * MiB + 3;
	xpu_buffer *o = NULL, *h = NULL;
	uint8_t *om, *hm;
	uint64_t j0;
	int drm = is_drm(self->dev);

	ASSERT_GE(drm, 0);
	XOK(xpu_buffer_alloc(self->dev, n + 100, XPU_MEM_DEVICE, &o));
	XOK(xpu_buffer_alloc(self->dev, n + 100, XPU_MEM_HOST, &h));
	XOK(xpu_buffer_map(o, (void **)&om));
	XOK(xpu_buffer_map(h, (void **)&hm));
	pattern(om, n + 100, 31);
	j0 = jobs_done(self->dev);
	XOK(xpu_buffer_write(self->b, 5, om + 1, n));
	memcpy(self->shadow + 5, om + 1, n);
	if (drm && j0 != UINT64_MAX)
		EXPECT_EQ(j0, jobs_done(self->dev)) TH_LOG("a BAR mapping is not pinnable: a CPU copy");
	XOK(xpu_buffer_read(self->b, 5, hm + 7, n));
	ASSERT_EQ(0, memcmp(hm + 7, om + 1, n));
	XOK(xpu_buffer_read(self->b, 5, om + 2, n - 1));
	ASSERT_EQ(0, memcmp(om + 2, self->shadow + 5, n - 1));
	ASSERT_TRUE(buffer_matches(self->b, self->shadow));
	xpu_buffer_unmap(o);
	xpu_buffer_unmap(h);
	xpu_buffer_free(o);
	xpu_buffer_free(h);
}

/*
 * The path each size takes: on the DRM backend copies above 4 MiB are
 * (partly) device jobs, copies up to 4 MiB are not; on the host backend
 * every copy is a CPU copy.
 */
TEST_F(copy, path_by_size)
{
	uint8_t *p = malloc(9 * MiB);
	uint64_t j0, j1, j2;
	int drm = is_drm(self->dev);

	ASSERT_NE(NULL, p);
	ASSERT_GE(drm, 0);
	pattern(p, 9 * MiB, 3);
	j0 = jobs_done(self->dev);
	if (j0 == UINT64_MAX)
		SKIP(return, "no usage counters: %s", xpu_last_error());
	XOK(xpu_buffer_write(self->b, 0, p, 64 << 10));
	XOK(xpu_buffer_read(self->b, 0, p, 64 << 10));
	XOK(xpu_buffer_write(self->b, 3, p + 1, 4 * MiB));
	XOK(xpu_buffer_read(self->b, 3, p + 1, 4 * MiB));
	j1 = jobs_done(self->dev);
	EXPECT_EQ(j0, j1) TH_LOG("up to 4 MiB: CPU copies");
	XOK(xpu_buffer_write(self->b, 1, p, 9 * MiB));
	XOK(xpu_buffer_read(self->b, 1, p, 9 * MiB));
	j2 = jobs_done(self->dev);
	if (drm) {
		/* at least one chunk each way; each at least 1 MiB and half of what is left */
		EXPECT_GE(j2 - j1, 2);
		EXPECT_LE(j2 - j1, 18);
	} else {
		EXPECT_EQ(j1, j2) TH_LOG("host backend: CPU copies");
	}
	free(p);
}

struct writer {
	xpu_buffer *b;
	size_t off, n;
	uint32_t seed;
	int rounds, bad;
	char err[200];
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t *src = malloc(w->n + 1), *back = malloc(w->n);

	if (!src || !back) {
		w->bad = 1;
		return NULL;
	}
	for (int r = 0; r < w->rounds && !w->bad; r++) {
		pattern(src + 1, w->n, w->seed + r);
		if (xpu_buffer_write(w->b, w->off, src + 1, w->n) ||
		    xpu_buffer_read(w->b, w->off, back, w->n)) {
			snprintf(w->err, sizeof(w->err), "%s", xpu_last_error());
			w->bad = 1;
		} else if (memcmp(back, src + 1, w->n)) {
			snprintf(w->err, sizeof(w->err), "round %d: data differs", r);
			w->bad = 1;
		}
	}
	free(src);
	free(back);
	return NULL;
}

/* Two threads copy into and out of two halves of one buffer at once. */
TEST_F(copy, concurrent_writers)
{
	struct writer w[2] = {
		{ .b = self->b, .off = 3, .n = 5 * MiB + 1, .seed = 100, .rounds = 4 },
		{ .b = self->b, .off = 6 * MiB + 1, .n = 4 * MiB + 4099, .seed = 200, .rounds = 4 },
	};
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, writer_main, &w[i]));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(0, w[i].bad) TH_LOG("thread %d: %s", i, w[i].err);
	}
}

TEST_HARNESS_MAIN
