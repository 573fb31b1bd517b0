// SPDX-License-Identifier: MIT
/*
 * Driver policy, checked the same way on both backends: the Linux driver's
 * behaviour is the reference (docs/driver.md, docs/runtime.md "Host backend
 * policy") and the host backend follows it. Built for the host backend
 * (runtime-host-tests) and with -DXPU_TEST_DRM for the VM, where the jobs go
 * through the driver's page tables and the device's MMU walker:
 *
 *   - VA layout: every buffer, HBM or host memory, gets a page-aligned VA in
 *     [XPU_VA_START, XPU_VA_END) = [1 MiB, 2^47) (DRM_XPU_PARAM_VA_START/SIZE);
 *   - one unmapped guard page after each buffer: a job touching the first
 *     byte past a (page-sized) buffer faults there, the last byte works;
 *   - an MMU fault bans the context: the faulting job reports MMU_FAULT with
 *     VA and access, jobs that had not started end CANCELED, later submits
 *     fail with JOB_FAULT "banned"; buffers stay usable from the CPU and
 *     another context (device handle) is untouched.
 */
#include "rt_test.h"

#define RT_VA_START	0x100000ull	/* driver/xpu_drv.h XPU_VA_START */
#define RT_VA_END	(1ull << 47)	/* driver/xpu_drv.h XPU_VA_END */
#define PAGE		4096ull

/* poke: one byte (value) into dst + off; peek: dst[0] = src[off] */
static const char *policy_src =
	".kernel poke\n"
	".arg dst buffer\n.arg off u64\n.arg value u64\n"
	"	ld r3, 0(r1)\n	ld r4, 8(r1)\n	ld r5, 16(r1)\n	add r3, r3, r4\n"
	"	li r8, 0\n	stl r5, 0(r8)\n	li r7, 1\n	dma.l2v r3, r8, r7\n	halt\n"
	".end\n"
	".kernel peek\n"
	".arg src buffer\n.arg off u64\n.arg dst buffer\n"
	"	ld r3, 0(r1)\n	ld r4, 8(r1)\n	ld r5, 16(r1)\n	add r3, r3, r4\n"
	"	li r8, 0\n	li r7, 1\n	dma.v2l r8, r3, r7\n	dma.l2v r5, r8, r7\n	halt\n"
	".end\n"
	".kernel spin\n"
	".arg n u64\n"
	"	ld r3, 0(r1)\n	li r4, 0\n"
	"loop:	addi r4, r4, 1\n	blt r4, r3, loop\n	halt\n"
	".end\n";

RT_MODULE_FIXTURE(policy, policy_src)

static uint64_t page_up(uint64_t n)
{
	return (n + PAGE - 1) & ~(PAGE - 1);
}

static xpu_status poke(xpu_stream *s, xpu_kernel *k, xpu_buffer *b, uint64_t off, uint8_t v)
{
	xpu_status st;

	if ((st = xpu_kernel_set_arg_buffer(k, 0, b, 0)) || (st = xpu_kernel_set_arg_u64(k, 1, off)) ||
	    (st = xpu_kernel_set_arg_u64(k, 2, v)))
		return st;
	return xpu_launch(s, k);
}

static xpu_status peek(xpu_stream *s, xpu_kernel *k, xpu_buffer *b, uint64_t off, xpu_buffer *out)
{
	xpu_status st;

	if ((st = xpu_kernel_set_arg_buffer(k, 0, b, 0)) || (st = xpu_kernel_set_arg_u64(k, 1, off)) ||
	    (st = xpu_kernel_set_arg_buffer(k, 2, out, 0)))
		return st;
	return xpu_launch(s, k);
}

TEST_F(policy, va_layout_matches_the_driver)
{
	static const size_t sizes[] = { 1, 4096, 4097, 65536 + 5, 1 << 20, 100, 3 * 4096 };
	static const uint32_t kinds[] = { XPU_MEM_DEVICE, XPU_MEM_HOST, XPU_MEM_READ_ONLY,
					  XPU_MEM_HOST | XPU_MEM_READ_ONLY };
	enum { N = 7 * 4 };
	xpu_buffer *b[N];
	uint64_t va[N], end[N];
	int n = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++) {
			struct xpu_buffer_info info;

			XOK(xpu_buffer_alloc(self->dev, sizes[i], kinds[j], &b[n]));
			XOK(xpu_buffer_get_info(b[n], &info));
			va[n] = info.va;
			end[n] = info.va + page_up(sizes[i]);
			EXPECT_EQ(0, va[n] % PAGE) TH_LOG("VA 0x%llx", (unsigned long long)va[n]);
			EXPECT_LE(RT_VA_START, va[n]) TH_LOG("VA 0x%llx below the driver's VA_START",
							     (unsigned long long)va[n]);
			/* the buffer and its guard page inside the range */
			EXPECT_GE(RT_VA_END, end[n] + PAGE);
			n++;
		}
	}
	/* no two buffers closer than one page: each has its guard page */
	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			int apart = va[j] >= end[i] + PAGE || va[i] >= end[j] + PAGE;

			EXPECT_TRUE(apart) TH_LOG("buffers at 0x%llx and 0x%llx without a guard page",
						  (unsigned long long)va[i], (unsigned long long)va[j]);
		}
	}
	for (int i = 0; i < n; i++)
		XOK(xpu_buffer_free(b[i]));
}

/* A job touching the last byte of a 2-page buffer works, the next byte faults. */
static void guard_page(struct __test_metadata *_metadata, xpu_device *dev, xpu_module *mod,
		       uint32_t kind, int write)
{
	xpu_kernel *k;
	xpu_stream *s;
	xpu_buffer *b, *out;
	struct xpu_buffer_info info;
	uint8_t pattern[2 * PAGE], got[2 * PAGE], v = 0;
	char needle[96];

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 13 + 7);
	XOK(xpu_buffer_alloc(dev, 2 * PAGE, kind, &b));
	XOK(xpu_buffer_alloc(dev, PAGE, XPU_MEM_DEVICE, &out));
	XOK(xpu_buffer_write(b, 0, pattern, sizeof(pattern)));
	XOK(xpu_buffer_get_info(b, &info));
	XOK(xpu_kernel_create(mod, write ? "poke" : "peek", &k));
	XOK(xpu_stream_create(dev, XPU_QUEUE_ANY, &s));

	/* the last byte */
	XOK(write ? poke(s, k, b, 2 * PAGE - 1, 0xee) : peek(s, k, b, 2 * PAGE - 1, out));
	XOK(xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	if (write) {
		XOK(xpu_buffer_read(b, 2 * PAGE - 1, &v, 1));
		EXPECT_EQ(0xee, v);
		pattern[2 * PAGE - 1] = 0xee;
	} else {
		XOK(xpu_buffer_read(out, 0, &v, 1));
		EXPECT_EQ(pattern[2 * PAGE - 1], v);
	}
	/* one byte past it: the guard page */
	XOK(write ? poke(s, k, b, 2 * PAGE, 0xee) : peek(s, k, b, 2 * PAGE, out));
	XERR(XPU_ERROR_JOB_FAULT, xpu_stream_synchronize(s, XPU_WAIT_FOREVER));
	snprintf(needle, sizeof(needle), "MMU_FAULT: %s at device VA 0x%llx",
		 write ? "write" : "read", (unsigned long long)info.va + 2 * PAGE);
	EXPECT_NE(NULL, strstr(xpu_last_error(), needle))
		TH_LOG("want '%s', got '%s'", needle, xpu_last_error());
	/* the buffer is intact */
	XOK(xpu_buffer_read(b, 0, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(pattern, got, sizeof(got)));
	xpu_stream_destroy(s);
	xpu_kernel_destroy(k);
	xpu_buffer_free(out);
	xpu_buffer_free(b);
}

TEST_F(policy, guard_page_after_device_buffer_write)
{
	guard_page(_metadata, self->dev, self->mod, XPU_MEM_DEVICE, 1);
}

TEST_F(policy, guard_page_after_device_buffer_read)
{
	guard_page(_metadata, self->dev, self->mod, XPU_MEM_DEVICE, 0);
}

TEST_F(policy, guard_page_after_host_buffer_write)
{
	guard_page(_metadata, self->dev, self->mod, XPU_MEM_HOST, 1);
}

TEST_F(policy, guard_page_after_host_buffer_read)
{
	guard_page(_metadata, self->dev, self->mod, XPU_MEM_HOST, 0);
}

TEST_F(policy, fault_bans_the_context)
{
	struct xpu_device_props p;
	xpu_kernel *kp, *ks;
	xpu_stream *s1, *s2, *s3;
	xpu_event *ev;
	xpu_buffer *b;
	xpu_device *dev2;
	xpu_module *mod2;
	uint8_t v[3] = { 0 };
	char needle[96];
	struct xpu_buffer_info info;

	XOK(xpu_device_get_props(self->dev, &p));
	XOK(xpu_buffer_alloc(self->dev, PAGE, XPU_MEM_DEVICE, &b));
	XOK(xpu_buffer_get_info(b, &info));
	XOK(xpu_kernel_create(self->mod, "poke", &kp));
	XOK(xpu_kernel_create(self->mod, "spin", &ks));
	XOK(xpu_stream_create(self->dev, 0, &s1));
	XOK(xpu_stream_create(self->dev, p.num_queues > 1 ? 1 : 0, &s2));
	XOK(xpu_event_create(self->dev, &ev));

	/* a good job first */
	XOK(poke(s1, kp, b, 0, 0x11));
	XOK(xpu_stream_synchronize(s1, XPU_WAIT_FOREVER));
	/* a long job, the faulting job behind it, and on another queue a job
	 * that waits for the faulting one: it can only start after the fault */
	XOK(xpu_kernel_set_arg_u64(ks, 0, 3000000));
	XOK(xpu_launch(s1, ks));
	XOK(poke(s1, kp, b, PAGE, 0x22));
	XOK(xpu_event_record(ev, s1));
	XOK(xpu_stream_wait_event(s2, ev));
	XOK(poke(s2, kp, b, 1, 0x33));

	XERR(XPU_ERROR_JOB_FAULT, xpu_stream_synchronize(s1, XPU_WAIT_FOREVER));
	snprintf(needle, sizeof(needle), "MMU_FAULT: write at device VA 0x%llx",
		 (unsigned long long)info.va + PAGE);
	EXPECT_NE(NULL, strstr(xpu_last_error(), needle)) TH_LOG("%s", xpu_last_error());
	/* the waiting job never ran */
	XERR(XPU_ERROR_JOB_FAULT, xpu_stream_synchronize(s2, XPU_WAIT_FOREVER));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "CANCELED")) TH_LOG("%s", xpu_last_error());
	XOK(xpu_buffer_read(b, 0, v, 3));
	EXPECT_EQ(0x11, v[0]);
	EXPECT_EQ(0, v[1]) TH_LOG("a job queued behind the fault ran");
	/* every later submit is refused, on any stream */
	XOK(xpu_stream_create(self->dev, 0, &s3));
	XERR(XPU_ERROR_JOB_FAULT, poke(s3, kp, b, 2, 0x44));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "banned")) TH_LOG("%s", xpu_last_error());
	/* buffers stay usable from the CPU */
	v[2] = 0x55;
	XOK(xpu_buffer_write(b, 2, &v[2], 1));
	v[2] = 0;
	XOK(xpu_buffer_read(b, 2, &v[2], 1));
	EXPECT_EQ(0x55, v[2]);

	/* another context is untouched */
	{
		const char *why = "";
		xpu_stream *s4;
		xpu_buffer *b2;
		xpu_kernel *k2;
		uint8_t w = 0;

		ASSERT_EQ(0, rt_open(&dev2, &why)) TH_LOG("%s", xpu_last_error());
		XOK(rt_load_asm(dev2, policy_src, &mod2));
		XOK(xpu_kernel_create(mod2, "poke", &k2));
		XOK(xpu_buffer_alloc(dev2, PAGE, XPU_MEM_DEVICE, &b2));
		XOK(xpu_stream_create(dev2, 0, &s4));
		XOK(poke(s4, k2, b2, 7, 0x66));
		XOK(xpu_stream_synchronize(s4, XPU_WAIT_FOREVER));
		XOK(xpu_buffer_read(b2, 7, &w, 1));
		EXPECT_EQ(0x66, w);
		xpu_stream_destroy(s4);
		xpu_kernel_destroy(k2);
		xpu_buffer_free(b2);
		xpu_module_unload(mod2);
		xpu_device_close(dev2);
	}
	xpu_stream_destroy(s3);
	xpu_stream_destroy(s2);
	xpu_stream_destroy(s1);
	xpu_event_destroy(ev);
	xpu_kernel_destroy(ks);
	xpu_kernel_destroy(kp);
	xpu_buffer_free(b);
}

TEST_HARNESS_MAIN
