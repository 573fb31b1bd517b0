// SPDX-License-Identifier: MIT
/*
 * xpu_device_get_processes(): argument checks everywhere; on the host backend
 * NOT_SUPPORTED; in the VM (through the driver's fdinfo) the calling process
 * and a child that opened the device, with their buffers and engine time,
 * sorted by pid, truncated to max, with a larger caller stride zero-filled,
 * and the child gone once it exits.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "rt_test.h"

TEST(bad_arguments)
{
	struct xpu_process_usage p[2] = { { .size = sizeof(p[0]) } };
	xpu_device *dev;
	uint32_t n = 0;

	RT_OPEN(dev);
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_processes(NULL, p, 2, &n));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_processes(dev, p, 2, NULL));
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_processes(dev, NULL, 2, &n));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "procs is NULL"));
	p[0].size = 8;
	XERR(XPU_ERROR_INVALID_ARGUMENT, xpu_device_get_processes(dev, p, 2, &n));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "struct xpu_process_usage"));
	xpu_device_close(dev);
}

#ifndef XPU_TEST_DRM
TEST(host_backend_not_supported)
{
	xpu_device *dev;
	uint32_t n = 7;

	RT_OPEN(dev);
	XERR(XPU_ERROR_NOT_SUPPORTED, xpu_device_get_processes(dev, NULL, 0, &n));
	EXPECT_NE(NULL, strstr(xpu_last_error(), "host backend"));
	EXPECT_EQ(7, n);
	xpu_device_close(dev);
}
#else

static const char *spin_src =
	".kernel spin\n.arg n u64\n"
	"	ld r3, 0(r1)\n	li r4, 0\n"
	"loop:	addi r4, r4, 1\n	blt r4, r3, loop\n	halt\n"
	".end\n";

/* Child: open the device, 2 MiB of HBM, one spin job; report, wait, exit. */
static int child_main(int ready_fd, int go_fd)
{
	xpu_device *dev;
	xpu_module *mod;
	xpu_kernel *k;
	xpu_stream *s;
	xpu_buffer *b;
	char c = 'r';

	if (xpu_device_open(0, &dev) || xpu_buffer_alloc(dev, 2 << 20, XPU_MEM_DEVICE, &b) ||
	    rt_load_asm(dev, spin_src, &mod) || xpu_kernel_create(mod, "spin", &k) ||
	    xpu_stream_create(dev, 0, &s) || xpu_kernel_set_arg_u64(k, 0, 200000) ||
	    xpu_launch(s, k) || xpu_stream_synchronize(s, 60000000000ull)) {
		fprintf(stderr, "child: %s\n", xpu_last_error());
		return 1;
	}
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		return 1;
	return 0;
}

static const struct xpu_process_usage *find(const struct xpu_process_usage *p, uint32_t n,
					    int pid)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i].pid == pid)
			return &p[i];
	return NULL;
}

TEST(self_and_child)
{
	struct xpu_process_usage p[64] = { { .size = sizeof(p[0]) } };
	const struct xpu_process_usage *me, *kid;
	int ready[2], go[2], status;
	xpu_device *dev;
	xpu_buffer *b;
	uint32_t n = 0;
	pid_t pid;
	char c;

	RT_OPEN(dev);
	XOK(xpu_buffer_alloc(dev, 1 << 20, XPU_MEM_DEVICE, &b));
	XOK(xpu_device_get_processes(dev, p, 64, &n));
	me = find(p, n, getpid());
	ASSERT_NE(NULL, me) TH_LOG("%u processes, none is pid %d", n, getpid());
	EXPECT_GE(me->files, 1);
	EXPECT_GE(me->hbm_bytes, 1 << 20);
	EXPECT_STREQ("runtime-procs", me->name);

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(child_main(ready[1], go[0]));
	ASSERT_EQ(1, read(ready[0], &c, 1));

	memset(p, 0, sizeof(p));
	p[0].size = sizeof(p[0]);
	XOK(xpu_device_get_processes(dev, p, 64, &n));
	ASSERT_GE(n, 2);
	for (uint32_t i = 1; i < n && i < 64; i++)
		EXPECT_LT(p[i - 1].pid, p[i].pid);
	kid = find(p, n, pid);
	ASSERT_NE(NULL, kid);
	EXPECT_EQ(1, kid->files);
	EXPECT_GE(kid->hbm_bytes, 2 << 20);
	EXPECT_GT(kid->engine_ns, 0);
	EXPECT_GE(kid->cycles, 200000);
	EXPECT_EQ(sizeof(p[0]), kid->size);

	/* max 1: the count is still every process, one entry filled */
	{
		struct xpu_process_usage one[2] = { { .size = sizeof(one[0]) } };
		uint32_t m = 0;

		XOK(xpu_device_get_processes(dev, one, 1, &m));
		EXPECT_EQ(n, m);
		EXPECT_EQ(p[0].pid, one[0].pid);
		EXPECT_EQ(0, one[1].pid);
	}
	/* a caller's larger struct: the stride is its size, unknown bytes zero */
	{
		struct big { struct xpu_process_usage u; uint64_t more[3]; } big[4];
		uint32_t m = 0;

		memset(big, 0xa5, sizeof(big));
		big[0].u.size = sizeof(big[0]);
		XOK(xpu_device_get_processes(dev, &big[0].u, 4, &m));
		ASSERT_GE(m, 2);
		EXPECT_EQ(p[1].pid, big[1].u.pid);
		EXPECT_EQ(sizeof(big[0]), big[1].u.size);
		EXPECT_EQ(0, big[1].more[2]);
	}

	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	XOK(xpu_device_get_processes(dev, p, 64, &n));
	EXPECT_EQ(NULL, find(p, n, pid));
	xpu_buffer_free(b);
	xpu_device_close(dev);
}
#endif

TEST_HARNESS_MAIN
