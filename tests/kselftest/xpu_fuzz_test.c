// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: random arguments to every ioctl, random programs and
 * random buffer lists. Every call must fail cleanly or succeed; the kernel
 * must not oops or WARN (tools/xpu-vm fails the run if it does), and the
 * device must work normally afterwards.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	return xpu_xorshift(&rnd_state);
}

/* Mostly small or interesting values, sometimes anything. */
static uint64_t pick(const uint64_t *good, int n)
{
	switch (rnd() % 4) {
	case 0:
		return rnd();
	case 1:
		return rnd() % 8;
	default:
		return good[rnd() % n];
	}
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/*
 * 3000 random ioctls: a few seconds here; minutes on make check-debug's
 * KASAN kernel under TCG (the harness's default limit is 30 s).
 */
TEST_F_TIMEOUT(fuzz, random_ioctls_then_device_works, 600)
{
	struct xpu_bo prog, data, args;
	int fd = xpu_open_nth(0, NULL);
	uint64_t *p;
	int ok = 0, fail = 0;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &prog));
	ASSERT_EQ(0, xpu_bo_new(fd, 1 << 20, DRM_XPU_BO_HOST, &data));
	ASSERT_EQ(0, xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &args));
	p = prog.map;

	for (int it = 0; it < 3000; it++) {
		uint64_t good[] = { prog.handle, data.handle, args.handle, prog.va, data.va,
				    args.va, data.va + 4096, 0, 8, 4096, ~0ull,
				    (uintptr_t)&data.handle, 1ull << 47 };
		int n = sizeof(good) / sizeof(good[0]);
		uint32_t handles[4] = { prog.handle, data.handle, (uint32_t)pick(good, n),
					args.handle };
		struct drm_xpu_sync sync = { .handle = (uint32_t)pick(good, n),
					     .point = pick(good, n) };
		int ret = 0;

		switch (rnd() % 7) {
		case 0: {
			struct drm_xpu_get_param a = { .param = pick(good, n) % 32,
						       .pad = rnd() % 8 == 0 };

			ret = ioctl(fd, DRM_IOCTL_XPU_GET_PARAM, &a);
			break;
		}
		case 1: {
			struct drm_xpu_bo_create a = { .size = pick(good, n) % (64 << 20),
						       .flags = pick(good, n) % 16 };

			ret = ioctl(fd, DRM_IOCTL_XPU_BO_CREATE, &a);
			if (!ret) {
				struct drm_gem_close c = { .handle = a.handle };

				ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
			}
			break;
		}
		case 2: {
			struct drm_xpu_bo_info a = { .handle = pick(good, n) };

			ret = ioctl(fd, DRM_IOCTL_XPU_BO_INFO, &a);
			break;
		}
		case 3: {
			struct drm_xpu_bo_wait a = { .handle = pick(good, n),
						     .timeout_ns = xpu_now_ns() };

			ret = ioctl(fd, DRM_IOCTL_XPU_BO_WAIT, &a);
			break;
		}
		case 4:
		case 5: {
			/* a program of random words, or random valid opcodes */
			for (int i = 0; i < 64; i++)
				p[i] = rnd() % 3 ? rnd() : (rnd() & ~(0xffull << 56)) |
					(uint64_t)(0x10 + rnd() % 0x66) << 56;
			p[63] = xpu_halt();
			for (int i = 0; i < 16; i++)
				((uint64_t *)args.map)[i] = pick(good, n);
			struct drm_xpu_submit a = {
				.prog_va = rnd() % 4 ? prog.va : pick(good, n),
				.prog_len = rnd() % 4 ? 512 : pick(good, n) % 100000,
				.args_va = rnd() % 2 ? args.va : pick(good, n),
				.args_len = pick(good, n),
				.bo_handles = rnd() % 8 ? (uintptr_t)handles : pick(good, n),
				.bo_count = rnd() % 8 ? 4 : pick(good, n) % 1000,
				.queue = rnd() % 8 ? rnd() % 2 : pick(good, n),
				.in_syncs = (uintptr_t)&sync,
				.in_sync_count = rnd() % 8 == 0,
			};

			ret = ioctl(fd, DRM_IOCTL_XPU_SUBMIT, &a);
			if (!ret)
				xpu_wait(fd, a.job_id, 20000, NULL);
			break;
		}
		default: {
			struct drm_xpu_wait_job a = { .job_id = pick(good, n),
						      .timeout_ns = xpu_now_ns() };

			ret = ioctl(fd, DRM_IOCTL_XPU_WAIT_JOB, &a);
			break;
		}
		}
		if (ret)
			fail++;
		else
			ok++;
	}
	TH_LOG("%d calls succeeded, %d failed cleanly", ok, fail);
	EXPECT_GT(ok, 100);
	EXPECT_GT(fail, 100);
	close(fd);

	/* a fresh context works normally (this one may be banned by now) */
	fd = xpu_open_nth(0, NULL);
	ASSERT_GE(fd, 0);
	{
		struct xpu_bo pr, ar, src, dst;
		uint32_t len;
		int64_t id;
		struct drm_xpu_wait_job w;

		ASSERT_EQ(0, xpu_bo_new(fd, 4096, DRM_XPU_BO_HBM, &pr));
		ASSERT_EQ(0, xpu_bo_new(fd, 4096, DRM_XPU_BO_HOST, &ar));
		ASSERT_EQ(0, xpu_bo_new(fd, 8192, DRM_XPU_BO_HOST, &src));
		ASSERT_EQ(0, xpu_bo_new(fd, 8192, DRM_XPU_BO_HBM, &dst));
		len = xpu_prog_copy(pr.map);
		memset(src.map, 0x5c, 8192);
		((uint64_t *)ar.map)[0] = src.va;
		((uint64_t *)ar.map)[1] = dst.va;
		((uint64_t *)ar.map)[2] = 8192;
		uint32_t bos[] = { pr.handle, ar.handle, src.handle, dst.handle };

		id = xpu_submit(fd, 0, &pr, len, &ar, 24, bos, 4, NULL, 0, 0, 0);
		ASSERT_GT(id, 0);
		ASSERT_EQ(0, xpu_wait(fd, id, 10000, &w));
		EXPECT_EQ(DRM_XPU_JOB_OK, w.status);
		EXPECT_EQ(0, memcmp(src.map, dst.map, 8192));
	}
	close(fd);
}

TEST_HARNESS_MAIN
