// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU hardware contexts are virtualised, and memory outlives the jobs that
 * may use it (issue 10, items 8 and 2):
 *
 * - 1024 files open on one device at once (the device has 63 usable
 *   hardware contexts), each submits a copy job before any is waited for,
 *   and every job completes with the right data;
 * - one file more than there are hardware contexts: a context id passes
 *   back and forth by eviction between two files, and the one that gets it
 *   never reads the scratchpad the other left on the same tile with the
 *   same id (every scratchpad read in the test must be zeros);
 * - GEM_CLOSE of an HBM buffer no job lists, while a job of the same file
 *   runs: its HBM is not handed to anyone else until the job has ended
 *   (another file that filled HBM still gets ENOMEM), then it is.
 *
 * None needs root. On the driver without virtual contexts the first two
 * fail at the 64th open (EBUSY), the third because the closed buffer's
 * HBM is reused at once while the job runs.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

#define MANY_FILES 1024

struct file_bufs {
	int fd;
	struct xpu_bo prog, args, src, dst;
	uint32_t len;
	int64_t id;
};

/* Raise the open-file limit to at least n + 64; 0 or -errno. */
static int want_files(unsigned int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= n + 64)
		return 0;
	if (rl.rlim_max < n + 64)
		return -EMFILE;
	rl.rlim_cur = n + 64;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/* accel node of the first XPU, found once; then opened directly (errno kept) */
static int open_xpu(void)
{
	static int minor = -1;
	char path[64];

	if (minor < 0) {
		int fd = xpu_open_nth(0, &minor);

		if (fd < 0)
			return -1;
		close(fd);
	}
	snprintf(path, sizeof(path), "/dev/accel/accel%d", minor);
	return open(path, O_RDWR | O_CLOEXEC);
}

static void bufs_free(struct file_bufs *f)
{
	if (f->fd < 0)
		return;
	xpu_copy_bufs_free(f->fd, &f->prog, &f->args, &f->src, &f->dst);
	close(f->fd);
	f->fd = -1;
}

FIXTURE(many) {
};

FIXTURE_SETUP(many)
{
}

FIXTURE_TEARDOWN(many)
{
}

/*
 * 1024 files, each with a 4 KiB copy (host -> HBM) of its own pattern, all
 * submitted before any is waited for; every result checked. A few seconds
 * here; minutes on make check-debug's KASAN kernel under TCG (the harness's
 * default limit is 30 s).
 */
TEST_F_TIMEOUT(many, many_files_each_run_a_job, 600)
{
	static struct file_bufs f[MANY_FILES];
	uint64_t nq = 0;
	int i, opened = 0, bad = 0;

	ASSERT_EQ(0, want_files(MANY_FILES)) TH_LOG("RLIMIT_NOFILE too low for %d files",
						     MANY_FILES);
	for (i = 0; i < MANY_FILES; i++)
		f[i].fd = -1;
	for (i = 0; i < MANY_FILES; i++) {
		uint64_t *a;

		f[i].fd = open_xpu();
		if (f[i].fd < 0) {
			TH_LOG("open #%d: %s", i + 1, strerror(errno));
			break;
		}
		opened++;
		ASSERT_EQ(0, xpu_bo_new(f[i].fd, 4096, DRM_XPU_BO_HOST, &f[i].prog));
		ASSERT_EQ(0, xpu_bo_new(f[i].fd, 4096, DRM_XPU_BO_HOST, &f[i].args));
		ASSERT_EQ(0, xpu_bo_new(f[i].fd, 4096, DRM_XPU_BO_HOST, &f[i].src));
		ASSERT_EQ(0, xpu_bo_new(f[i].fd, 4096, DRM_XPU_BO_HBM, &f[i].dst));
		f[i].len = xpu_prog_copy(f[i].prog.map);
		a = f[i].args.map;
		a[0] = f[i].src.va;
		a[1] = f[i].dst.va;
		a[2] = 4096;
		for (int b = 0; b < 4096; b += 4)
			*(uint32_t *)((char *)f[i].src.map + b) = (uint32_t)i << 16 | b;
	}
	ASSERT_EQ(MANY_FILES, opened);
	ASSERT_EQ(0, xpu_get_param(f[0].fd, DRM_XPU_PARAM_NUM_QUEUES, &nq));
	ASSERT_GT(nq, 0);
	for (i = 0; i < MANY_FILES; i++) {
		uint32_t bos[] = { f[i].prog.handle, f[i].args.handle, f[i].src.handle,
				   f[i].dst.handle };

		f[i].id = xpu_submit(f[i].fd, i % nq, &f[i].prog, f[i].len, &f[i].args, 24,
				     bos, 4, NULL, 0, 0, 0);
		ASSERT_GT(f[i].id, 0) TH_LOG("submit of file %d: %s", i,
					     strerror((int)-f[i].id));
	}
	for (i = 0; i < MANY_FILES; i++) {
		struct drm_xpu_wait_job w = { 0 };

		ASSERT_EQ(0, xpu_wait(f[i].fd, f[i].id, 60000, &w)) TH_LOG("file %d", i);
		EXPECT_EQ(DRM_XPU_JOB_OK, w.status) TH_LOG("file %d", i);
		if (memcmp(f[i].src.map, f[i].dst.map, 4096) && bad++ < 5)
			TH_LOG("file %d: wrong data", i);
	}
	EXPECT_EQ(0, bad);
	for (i = 0; i < MANY_FILES; i++)
		bufs_free(&f[i]);
}

struct spad_file {
	int fd;
	struct xpu_bo wprog, rprog, args, buf;
	uint32_t wlen, rlen;
};

/* Two programs: scratchpad[0..4096) <- VA args[0], and VA args[0] <- it. */
static int spad_file_new(struct spad_file *s)
{
	uint64_t *p;
	uint32_t n;

	s->fd = open_xpu();
	if (s->fd < 0)
		return -errno;
	if (xpu_bo_new(s->fd, 4096, DRM_XPU_BO_HOST, &s->wprog) ||
	    xpu_bo_new(s->fd, 4096, DRM_XPU_BO_HOST, &s->rprog) ||
	    xpu_bo_new(s->fd, 4096, DRM_XPU_BO_HOST, &s->args) ||
	    xpu_bo_new(s->fd, 4096, DRM_XPU_BO_HOST, &s->buf))
		return -ENOMEM;
	for (int w = 0; w < 2; w++) {
		p = w ? s->wprog.map : s->rprog.map;
		n = 0;
		p[n++] = xpu_ld(XPU_MEM_W64, 3, 1, 0);	/* VA */
		p[n++] = xpu_ld(XPU_MEM_W64, 5, 1, 8);	/* bytes */
		p[n++] = xpu_li(4, 0);			/* local address 0 */
		p[n++] = w ? xpu_dma(XPU_DMA_VA_TO_LA, 4, 3, 5) :
			     xpu_dma(XPU_DMA_LA_TO_VA, 3, 4, 5);
		p[n++] = xpu_halt();
		*(w ? &s->wlen : &s->rlen) = n * 8;
	}
	((uint64_t *)s->args.map)[0] = s->buf.va;
	((uint64_t *)s->args.map)[1] = 4096;
	return 0;
}

/*
 * Write fill into the scratchpad of queue q's tile (write) or read it back
 * into buf (!write); 0 or -errno.
 */
static int spad_job(struct spad_file *s, uint32_t q, int write, uint8_t fill)
{
	struct xpu_bo *prog = write ? &s->wprog : &s->rprog;
	uint32_t bos[] = { prog->handle, s->args.handle, s->buf.handle };
	struct drm_xpu_wait_job w = { 0 };
	int64_t id;
	int ret;

	memset(s->buf.map, write ? fill : 0xee, 4096);
	id = xpu_submit(s->fd, q, prog, write ? s->wlen : s->rlen, &s->args, 16, bos, 3,
			NULL, 0, 0, 0);
	if (id < 0)
		return (int)id;
	ret = xpu_wait(s->fd, id, 30000, &w);
	if (!ret && w.status != DRM_XPU_JOB_OK)
		ret = -EIO;
	return ret;
}

/* Bytes of buf that are not zero. */
static int nonzero(const struct spad_file *s)
{
	const uint8_t *b = s->buf.map;
	int n = 0;

	for (int i = 0; i < 4096; i++)
		n += b[i] != 0;
	return n;
}

/*
 * One file more than hardware contexts. Each round, file a writes a secret
 * into tile 0's scratchpad; every other file but b then runs a job on
 * another queue, so a becomes the least recently used context; b (unbound)
 * then runs on tile 0, takes a's id by eviction and reads the scratchpad:
 * the tile last ran that id, so only the driver's scrub keeps a's secret
 * from b. The next round swaps a and b.
 */
TEST(evicted_ctx_id_never_leaks_sram)
{
	static struct spad_file s[64];
	uint64_t nctx = 0, nq = 0;
	int nfiles, a, b, i, round;

	s[0].fd = xpu_open_nth(0, NULL);
	ASSERT_GE(s[0].fd, 0);
	ASSERT_EQ(0, xpu_get_param(s[0].fd, DRM_XPU_PARAM_NUM_CONTEXTS, &nctx));
	ASSERT_EQ(0, xpu_get_param(s[0].fd, DRM_XPU_PARAM_NUM_QUEUES, &nq));
	close(s[0].fd);
	ASSERT_GE(nctx, 2);
	ASSERT_LE(nctx, 64);
	nfiles = nctx;	/* ids 1 .. nctx - 1, plus one file */
	ASSERT_EQ(0, want_files(nfiles));
	for (i = 0; i < nfiles; i++) {
		int ret = spad_file_new(&s[i]);

		ASSERT_EQ(0, ret) TH_LOG("file %d of %d: %s", i + 1, nfiles, strerror(-ret));
	}
	a = 0;
	b = nfiles - 1;	/* opened when every id was taken: unbound */
	for (round = 0; round < 4; round++) {
		uint32_t other_q = nq > 1 ? 1 : 0;
		int t;

		ASSERT_EQ(0, spad_job(&s[a], 0, 1, 0x40 + round));
		for (i = 0; i < nfiles; i++) {
			if (i == a || i == b)
				continue;
			ASSERT_EQ(0, spad_job(&s[i], other_q, 0, 0)) TH_LOG("file %d", i);
			EXPECT_EQ(0, nonzero(&s[i])) TH_LOG("file %d read another's data", i);
		}
		ASSERT_EQ(0, spad_job(&s[b], 0, 0, 0));
		EXPECT_EQ(0, nonzero(&s[b]))
			TH_LOG("round %d: file %d read %d bytes of file %d's secret 0x%02x",
			       round, b, nonzero(&s[b]), a, ((uint8_t *)s[b].buf.map)[0]);
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < nfiles; i++) {
		xpu_bo_free(s[i].fd, &s[i].wprog);
		xpu_bo_free(s[i].fd, &s[i].rprog);
		xpu_bo_free(s[i].fd, &s[i].args);
		xpu_bo_free(s[i].fd, &s[i].buf);
		close(s[i].fd);
	}
}

/* HBM buffers of fd until even 4 KiB does not fit; count or -errno. */
static int fill_hbm(int fd, uint32_t *handles, int max)
{
	uint64_t size = 16 << 20;
	int n = 0;

	while (n < max) {
		int ret = xpu_hbm_handle_new(fd, size, &handles[n]);

		if (!ret) {
			n++;
			continue;
		}
		if (ret != -ENOMEM)
			return ret;
		if (size == 4096)
			return n;
		size /= 4;
	}
	return -E2BIG;
}

/*
 * File A runs a job that spins until a flag in its argument block is set
 * and closes (GEM_CLOSE) a 2 MiB HBM buffer the job does not list, which a
 * job may still reach through a stale TLB entry. File B has filled HBM: it
 * must not get those 2 MiB while the job runs, and gets them after.
 */
TEST(unmapped_hbm_not_reused_while_ctx_busy)
{
	enum { MAXH = 4096 };
	static uint32_t handles[MAXH];
	struct xpu_bo prog, args, x;
	struct drm_gem_close cl = { 0 };
	struct drm_xpu_wait_job w = { 0 };
	int fa, fb, n, ret = -ENOMEM;
	uint32_t bos[2], len = 0, h = 0;
	uint64_t *p;
	int64_t id;

	fa = xpu_open_nth(0, NULL);
	fb = xpu_open_nth(0, NULL);
	ASSERT_GE(fa, 0);
	ASSERT_GE(fb, 0);
	ASSERT_EQ(0, xpu_bo_new(fa, 4096, DRM_XPU_BO_HOST, &prog));
	ASSERT_EQ(0, xpu_bo_new(fa, 4096, DRM_XPU_BO_HOST, &args));
	ASSERT_EQ(0, xpu_bo_new(fa, 2 << 20, DRM_XPU_BO_HBM, &x));
	p = prog.map;
	p[len++] = xpu_li(3, 0);
	p[len++] = xpu_ld(XPU_MEM_W64, 4, 1, 0);	/* the flag */
	p[len++] = xpu_br(XPU_BR_EQ, 4, 3, -1);		/* until it is set */
	p[len++] = xpu_halt();
	((volatile uint64_t *)args.map)[0] = 0;
	bos[0] = prog.handle;
	bos[1] = args.handle;
	id = xpu_submit(fa, 0, &prog, len * 8, &args, 8, bos, 2, NULL, 0, 0, 0);
	ASSERT_GT(id, 0);
	usleep(100000);
	ASSERT_EQ(-ETIME, xpu_wait(fa, id, 1, NULL)) TH_LOG("the spinning job ended early");

	n = fill_hbm(fb, handles, MAXH);
	ASSERT_GT(n, 0) TH_LOG("filling HBM: %s", strerror(-n));
	munmap(x.map, x.size);
	cl.handle = x.handle;
	ASSERT_EQ(0, ioctl(fa, DRM_IOCTL_GEM_CLOSE, &cl));
	usleep(50000);
	ret = xpu_hbm_handle_new(fb, 1 << 20, &h);
	EXPECT_EQ(-ENOMEM, ret) TH_LOG("another file got the closed buffer's HBM while the job ran");
	ASSERT_EQ(-ETIME, xpu_wait(fa, id, 1, NULL)) TH_LOG("the job ended before the check");

	((volatile uint64_t *)args.map)[0] = 1;	/* let the job end */
	ASSERT_EQ(0, xpu_wait(fa, id, 20000, &w));
	EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
	/* released by a work item right after the job's completion */
	for (int t = 0; t < 200 && ret; t++) {
		usleep(10000);
		ret = xpu_hbm_handle_new(fb, 1 << 20, &h);
	}
	EXPECT_EQ(0, ret) TH_LOG("the closed buffer's HBM never came back: %s", strerror(-ret));
	xpu_bo_free(fa, &prog);
	xpu_bo_free(fa, &args);
	close(fa);
	close(fb);
}

TEST_HARNESS_MAIN
