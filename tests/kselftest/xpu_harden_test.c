// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver hardening (issue 10): no process can hang in the driver
 * or reach another process's state through it.
 *
 * - GEM_CLOSE of a buffer a running job uses returns at once (the job's
 *   references keep the buffer and its mapping alive until it ends);
 * - a process with an endless (but progressing) job is killed promptly by
 *   SIGKILL, even while it closes that job's buffer, and its queue is free
 *   again afterwards;
 * - HBM page 0 never becomes a page-table root (the device reads root 0 as
 *   "no page table"), even when HBM is full;
 * - a process that gets the hardware context id of a process that exited
 *   finds the scratchpad zeroed, not that process's data.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

#define FOREVER_ITERS (1ull << 62)

static int gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c) ? -errno : 0;
}

/* Submit the endless counting loop on queue 0, listing prog and args. */
static int64_t submit_forever(int fd, struct xpu_bo *prog, struct xpu_bo *args)
{
	uint32_t bos[2], len;

	if (xpu_loop_bufs_new(fd, prog, args, &len))
		return -ENOMEM;
	((uint64_t *)args->map)[0] = FOREVER_ITERS;
	bos[0] = prog->handle;
	bos[1] = args->handle;
	return xpu_submit(fd, 0, prog, len, args, 8, bos, 2, NULL, 0, 0, 0);
}

/* A short copy job on queue 0 of a new file completes with status OK. */
static int queue0_works(void)
{
	struct xpu_bo prog, args, src, dst;
	struct drm_xpu_wait_job w = { 0 };
	uint32_t len;
	int64_t id;
	int fd = xpu_open_nth(0, NULL), ret;

	if (fd < 0)
		return -ENODEV;
	ret = xpu_copy_bufs_new(fd, &prog, &args, &src, &dst, &len);
	if (ret)
		goto out;
	memset(src.map, 0x5a, 4096);
	id = xpu_copy_submit(fd, &prog, &args, &src, &dst, len, 4096);
	ret = id < 0 ? (int)id : xpu_wait(fd, id, 20000, &w);
	if (!ret && w.status != DRM_XPU_JOB_OK)
		ret = -EIO;
	if (!ret && ((uint8_t *)dst.map)[4095] != 0x5a)
		ret = -EIO;
	xpu_copy_bufs_free(fd, &prog, &args, &src, &dst);
out:
	close(fd);
	return ret;
}

/*
 * GEM_CLOSE of the buffers of a running endless job returns at once; the
 * job keeps running on them (no fault: they stay mapped while it runs), and
 * closing the file aborts it and frees the queue.
 */
TEST(gem_close_busy_bo_returns_at_once)
{
	struct xpu_bo prog, args;
	struct drm_xpu_wait_job w;
	int fd = xpu_open_nth(0, NULL);
	int64_t id, t0, dt;

	ASSERT_GE(fd, 0);
	id = submit_forever(fd, &prog, &args);
	ASSERT_GT(id, 0);
	usleep(200000);	/* running */
	/* CPU mappings hold the file open: only the handles keep the buffers */
	munmap(prog.map, prog.size);
	munmap(args.map, args.size);
	t0 = xpu_now_ns();
	EXPECT_EQ(0, gem_close(fd, args.handle));
	EXPECT_EQ(0, gem_close(fd, prog.handle));
	dt = xpu_now_ns() - t0;
	TH_LOG("GEM_CLOSE of two busy buffers took %lld us", (long long)(dt / 1000));
	EXPECT_LT(dt, 500000000ll);
	/* still running, not faulted: the job's mappings outlived the handles */
	EXPECT_EQ(-ETIME, xpu_wait(fd, id, 300, &w));
	/* the same handle is gone for this file */
	EXPECT_EQ(-EINVAL, gem_close(fd, args.handle));
	t0 = xpu_now_ns();
	close(fd);	/* aborts the endless job */
	dt = xpu_now_ns() - t0;
	TH_LOG("close() with an endless job took %lld ms", (long long)(dt / 1000000));
	EXPECT_LT(dt, 5000000000ll);
	t0 = xpu_now_ns();
	EXPECT_EQ(0, queue0_works());
	TH_LOG("next job on the queue done in %lld ms",
	       (long long)((xpu_now_ns() - t0) / 1000000));
}

/*
 * A process whose endless job lists a buffer, killed by SIGKILL while it
 * closes that buffer, is gone within a few seconds and its queue runs the
 * next job.
 */
TEST(kill_9_during_gem_close_of_busy_bo)
{
	int pfd[2], status = 0;
	int64_t t0, dt = 0;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct xpu_bo prog, args;
		int fd = xpu_open_nth(0, NULL);
		int64_t id;

		close(pfd[0]);
		if (fd < 0)
			_exit(2);
		id = submit_forever(fd, &prog, &args);
		if (id <= 0)
			_exit(3);
		c = 'r';
		if (write(pfd[1], &c, 1) != 1)
			_exit(4);
		usleep(100000);
		gem_close(fd, args.handle);	/* the buffer the endless job uses */
		c = 'c';
		if (write(pfd[1], &c, 1) != 1)
			_exit(4);
		pause();
		_exit(5);
	}
	close(pfd[1]);
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	ASSERT_EQ('r', c);
	usleep(500000);	/* the job runs; the child is in or past GEM_CLOSE */
	{
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		if (poll(&p, 1, 0) == 1 && read(pfd[0], &c, 1) == 1)
			TH_LOG("child returned from GEM_CLOSE of its busy buffer");
		else
			TH_LOG("child still in GEM_CLOSE after 400 ms");
	}
	t0 = xpu_now_ns();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	while (waitpid(pid, &status, WNOHANG) == 0) {
		dt = xpu_now_ns() - t0;
		if (dt > 5000000000ll)
			break;
		usleep(10000);
	}
	dt = xpu_now_ns() - t0;
	close(pfd[0]);
	TH_LOG("SIGKILL to reaped: %lld ms", (long long)(dt / 1000000));
	ASSERT_LT(dt, 5000000000ll) {
		TH_LOG("the killed process did not exit: unkillable in the driver");
	}
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	EXPECT_EQ(0, queue0_works());
}

/* pt_root of every context of minor in debugfs "contexts"; returns the count. */
static int ctx_roots(int minor, uint64_t *roots, int max)
{
	static char buf[1 << 16];
	char *p = buf;
	int n = 0;

	if (xpu_debugfs_read(minor, "contexts", buf, sizeof(buf)))
		return -1;
	while (n < max && (p = strstr(p, "pt_root 0x"))) {
		roots[n++] = strtoull(p + 10, NULL, 16);
		p += 10;
	}
	return n;
}

/*
 * Where the buddy allocator puts things: a large buffer takes the lowest
 * large block (page 0 included), a single page the highest free page. So:
 * fill HBM with buffers of halving sizes (the first, half of HBM, holds page
 * 0), free the first, allocate it again a few dozen pages short (taken
 * from the top of the freed block down, so the bottom pages stay free), and
 * open files until HBM or contexts run out: each root takes the highest free
 * page, the last one page 0. No root may be page 0.
 */
TEST(hbm_page0_never_a_pt_root)
{
	uint64_t hbm = 0, size, roots[128];
	int fd, minor, files[60], nf = 0, nh = 0, n, i;
	uint32_t handles[64], h;
	char path[64];

	fd = xpu_open_nth(0, &minor);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, xpu_get_param(fd, DRM_XPU_PARAM_HBM_SIZE, &hbm));
	for (size = hbm / 2; size >= 4096; size /= 2)
		while (nh < 64 && !xpu_hbm_handle_new(fd, size, &handles[nh]))
			nh++;
	ASSERT_GT(nh, 0);
	TH_LOG("%d buffers; HBM used %llu of %llu", nh,
	       (unsigned long long)xpu_hbm_used(minor), (unsigned long long)hbm);
	ASSERT_EQ(0, gem_close(fd, handles[0]));
	/* 10 pages short, and room for the page tables of its mapping */
	size = hbm / 2 - (10 + hbm / 2 / (2 << 20) + 3) * 4096;
	ASSERT_EQ(0, xpu_hbm_handle_new(fd, size, &h));
	snprintf(path, sizeof(path), "/dev/accel/accel%d", minor);
	for (i = 0; i < 60; i++) {
		files[nf] = open(path, O_RDWR);
		if (files[nf] < 0)
			break;
		nf++;
	}
	n = ctx_roots(minor, roots, 128);
	TH_LOG("%d more files opened (then: %s), HBM used %llu, %d contexts", nf,
	       nf < 60 ? strerror(errno) : "-", (unsigned long long)xpu_hbm_used(minor), n);
	ASSERT_GT(n, 0);
	TH_LOG("lowest roots: 0x%llx 0x%llx", (unsigned long long)roots[n - 1],
	       (unsigned long long)roots[n > 1 ? n - 2 : 0]);
	for (i = 0; i < n; i++) {
		if (!roots[i])
			TH_LOG("context %d of %d has page-table root 0 (\"no page table\")",
			       i + 1, n);
		EXPECT_NE(0ull, roots[i]);
	}
	while (nf)
		close(files[--nf]);
	close(fd);
}

/* hardware context id of this process's newest file, from debugfs, or -1 */
static int my_hw_ctx(int minor)
{
	static char buf[1 << 16];
	char needle[32], *p, *line = NULL;

	if (xpu_debugfs_read(minor, "contexts", buf, sizeof(buf)))
		return -1;
	snprintf(needle, sizeof(needle), ": pid %d ", getpid());
	for (p = buf; (p = strstr(p, needle)); p++)
		line = p;
	if (!line)
		return -1;
	while (line > buf && line[-1] != '\n')
		line--;
	return strncmp(line, "ctx ", 4) ? -1 : atoi(line + 4);
}

/*
 * Run "dma dir: local address 0 <-> VA args[0], args[1] bytes" on every
 * queue of a new file of device minor; returns the file's hardware context
 * id, or -errno. With fill, the buffer (and so the scratchpad) holds it.
 */
static int spad_dma_all_queues(int minor, uint32_t dir, uint8_t fill, int keep_open,
			       uint8_t *seen)
{
	struct xpu_bo prog, args, buf;
	uint64_t nq = 0, *p, *a;
	int fd = xpu_open_nth(0, NULL), ctx, ret = 0;
	uint32_t n = 0;

	if (fd < 0)
		return -ENODEV;
	ctx = my_hw_ctx(minor);
	if (xpu_get_param(fd, DRM_XPU_PARAM_NUM_QUEUES, &nq) ||
	    xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog) ||
	    xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &args) ||
	    xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &buf)) {
		close(fd);
		return -ENOMEM;
	}
	p = prog.map;
	p[n++] = xpu_ld(XPU_MEM_W64, 3, 1, 0);	/* VA */
	p[n++] = xpu_ld(XPU_MEM_W64, 5, 1, 8);	/* bytes */
	p[n++] = xpu_li(4, 0);			/* local address 0: scratchpad */
	if (dir == XPU_DMA_VA_TO_LA)
		p[n++] = xpu_dma(dir, 4, 3, 5);
	else
		p[n++] = xpu_dma(dir, 3, 4, 5);
	p[n++] = xpu_halt();
	a = args.map;
	a[0] = buf.va;
	a[1] = 4096;
	for (uint64_t q = 0; q < nq && !ret; q++) {
		uint32_t bos[] = { prog.handle, args.handle, buf.handle };
		struct drm_xpu_wait_job w = { 0 };
		int64_t id;

		memset(buf.map, dir == XPU_DMA_VA_TO_LA ? fill : 0xee, 4096);
		id = xpu_submit(fd, q, &prog, n * 8, &args, 16, bos, 3, NULL, 0, 0, 0);
		ret = id < 0 ? (int)id : xpu_wait(fd, id, 20000, &w);
		if (!ret && w.status != DRM_XPU_JOB_OK)
			ret = -EIO;
		if (!ret && seen)
			seen[q] = ((uint8_t *)buf.map)[100];
	}
	if (!keep_open)
		close(fd);
	return ret ? ret : ctx;
}

/*
 * Process A leaves a secret in the scratchpad of every queue's tile and
 * exits; process B, given A's hardware context id, reads the scratchpad
 * back (dma.l2v) on every queue and sees zeros, not the secret.
 */
TEST(sram_scrubbed_for_next_owner_of_ctx_id)
{
	uint8_t seen[16];
	int minor, fd, status, ctx_a = -1, ctx_b, fds[2];
	uint64_t nq = 0;
	unsigned int qi;
	pid_t pid;

	fd = xpu_open_nth(0, &minor);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, xpu_get_param(fd, DRM_XPU_PARAM_NUM_QUEUES, &nq));
	close(fd);
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int c = spad_dma_all_queues(minor, XPU_DMA_VA_TO_LA, 0xa5, 1, NULL);

		_exit(write(fds[1], &c, sizeof(c)) == sizeof(c) ? 0 : 1);
	}
	ASSERT_EQ(sizeof(ctx_a), read(fds[0], &ctx_a, sizeof(ctx_a)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(fds[0]);
	close(fds[1]);
	ASSERT_GT(ctx_a, 0) TH_LOG("process A failed: %d", ctx_a);
	memset(seen, 0x11, sizeof(seen));
	ctx_b = spad_dma_all_queues(minor, XPU_DMA_LA_TO_VA, 0, 0, seen);
	ASSERT_GT(ctx_b, 0);
	TH_LOG("A had hardware context %d, B got %d", ctx_a, ctx_b);
	ASSERT_EQ(ctx_a, ctx_b);	/* ids are reused lowest first */
	for (qi = 0; qi < nq && qi < 16; qi++) {
		if (seen[qi])
			TH_LOG("queue %u: B read 0x%02x from the scratchpad A left",
			       qi, seen[qi]);
		EXPECT_EQ(0, seen[qi]);
	}
}

TEST_HARNESS_MAIN
