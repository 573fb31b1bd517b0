/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the runtime tests (#included once per test binary).
 *
 * Built twice: for the host (host backend, a small configuration so tiling
 * and SRAM limits are exercised quickly) and with -DXPU_TEST_DRM for the VM
 * (the first /dev/accel device, which must be there).
 */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "xpu/xpu.h"
#include "xpu/xpu_compiler.h"
#include "xpu/xpu_elf.h"
#include "xpu_hw.h"
#include "xpu_isa.h"

/* The host test device: small SRAMs and a 16x8 array so that modest shapes
 * already need many tiles. */
static inline struct xpu_host_config rt_host_config(void)
{
	struct xpu_host_config c = {
		.rows = 16, .cols = 8,
		.spad_size = 64 << 10, .acc_size = 16 << 10,
		.hbm_size = 64ull << 20, .num_queues = 2,
	};
	return c;
}

/*
 * Open the test device. Returns 0, or 1 with *why set when the test must be
 * skipped (no device, or a driver that does not support buffers yet), or -1.
 */
static inline int rt_open(xpu_device **dev, const char **why)
{
#ifdef XPU_TEST_DRM
	/* in the VM the device and its driver must be there: no skipping */
	*why = "";
	return xpu_device_open(0, dev) ? -1 : 0;
#else
	struct xpu_host_config c = rt_host_config();

	*why = "";
	return xpu_device_open_host(&c, dev) ? -1 : 0;
#endif
}

#define RT_OPEN(dev) do { \
	const char *why_ = ""; \
	int rc_ = rt_open(&(dev), &why_); \
	if (rc_ == 1) \
		SKIP(return, "%s", why_); \
	ASSERT_EQ(0, rc_) TH_LOG("open: %s", xpu_last_error()); \
} while (0)

/* ASSERT a call succeeds, logging the runtime's detail otherwise */
#define XOK(call) ASSERT_EQ(XPU_SUCCESS, (call)) TH_LOG("%s: %s", #call, xpu_last_error())
#define XERR(st, call) ASSERT_EQ((st), (call)) TH_LOG("%s: %s", #call, xpu_last_error())

/* deterministic PRNG */
static inline uint32_t rt_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static inline xpu_buffer *rt_buf(xpu_device *dev, size_t size, const void *init)
{
	xpu_buffer *b = NULL;

	if (xpu_buffer_alloc(dev, size, XPU_MEM_DEVICE, &b))
		return NULL;
	if (init && xpu_buffer_write(b, 0, init, size)) {
		xpu_buffer_free(b);
		return NULL;
	}
	return b;
}

/* Assemble source and load it as a module. */
static inline xpu_status rt_load_asm(xpu_device *dev, const char *src, xpu_module **mod)
{
	void *img;
	size_t size;
	xpu_status st = xpu_assemble(src, "test.s", &img, &size);

	if (st)
		return st;
	st = xpu_module_load(dev, img, size, mod);
	free(img);
	return st;
}

/*
 * FIXTURE(name): a device (RT_OPEN) and a module assembled from the
 * source string src (rt_load_asm) as self->dev and self->mod, both
 * released at teardown.
 */
#define RT_MODULE_FIXTURE(name, src)						\
	FIXTURE(name) {								\
		xpu_device *dev;						\
		xpu_module *mod;						\
	};									\
	FIXTURE_SETUP(name)							\
	{									\
		self->mod = NULL;						\
		RT_OPEN(self->dev);						\
		XOK(rt_load_asm(self->dev, src, &self->mod));			\
	}									\
	FIXTURE_TEARDOWN(name)							\
	{									\
		if (self->mod)							\
			xpu_module_unload(self->mod);				\
		if (self->dev)							\
			xpu_device_close(self->dev);				\
	}

#endif
