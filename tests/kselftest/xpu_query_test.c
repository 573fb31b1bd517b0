// SPDX-License-Identifier: GPL-2.0-only
/*
 * XPU accel driver: device identification and the GET_PARAM query ioctl.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "xpu_test_util.h"

FIXTURE(dev) {
	int fd;
	int minor;
	volatile uint32_t *regs;
};

FIXTURE_SETUP(dev)
{
	self->fd = xpu_open_nth(0, &self->minor);
	ASSERT_GE(self->fd, 0) TH_LOG("no /dev/accel node driven by xpu");
	self->regs = xpu_map_regs(self->minor);
	ASSERT_NE(NULL, self->regs) TH_LOG("cannot map BAR0 through sysfs");
}

FIXTURE_TEARDOWN(dev)
{
	if (self->regs)
		munmap((void *)self->regs, XPU_REGS_SIZE);
	close(self->fd);
}

TEST_F(dev, driver_name_and_version)
{
	char name[32] = "";
	struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_VERSION, &v));
	EXPECT_STREQ("xpu", name);
	EXPECT_EQ(DRM_XPU_UAPI_VERSION_MAJOR, v.version_major);
	EXPECT_EQ(DRM_XPU_UAPI_VERSION_MINOR, v.version_minor);
}

TEST_F(dev, uapi_version)
{
	uint64_t v = 0;

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_UAPI_VERSION, &v));
	EXPECT_EQ((DRM_XPU_UAPI_VERSION_MAJOR << 16) | DRM_XPU_UAPI_VERSION_MINOR, v);
}

/* Every parameter equals what the hardware registers say. */
TEST_F(dev, params_match_registers)
{
	volatile uint32_t *r = self->regs;
	uint64_t hbm = xpu_reg(r, XPU_REG_HBM_SIZE_LO) |
		       (uint64_t)xpu_reg(r, XPU_REG_HBM_SIZE_HI) << 32;
	struct { uint32_t param; uint64_t want; } t[] = {
		{ DRM_XPU_PARAM_HW_VERSION, xpu_reg(r, XPU_REG_VERSION) },
		{ DRM_XPU_PARAM_CAPS, xpu_reg(r, XPU_REG_CAPS) },
		{ DRM_XPU_PARAM_ARRAY_ROWS, xpu_reg(r, XPU_REG_ARRAY) >> 16 },
		{ DRM_XPU_PARAM_ARRAY_COLS, xpu_reg(r, XPU_REG_ARRAY) & 0xffff },
		{ DRM_XPU_PARAM_HBM_SIZE, hbm },
		{ DRM_XPU_PARAM_NUM_QUEUES, xpu_reg(r, XPU_REG_NUM_QUEUES) },
		{ DRM_XPU_PARAM_CLOCK_MHZ, xpu_reg(r, XPU_REG_CLOCK_MHZ) },
		{ DRM_XPU_PARAM_SPAD_SIZE, xpu_reg(r, XPU_REG_SPAD_KIB) * 1024ull },
		{ DRM_XPU_PARAM_ACC_SIZE, xpu_reg(r, XPU_REG_ACC_KIB) * 1024ull },
		{ DRM_XPU_PARAM_HBM_BANDWIDTH, xpu_reg(r, XPU_REG_HBM_GBPS) },
		{ DRM_XPU_PARAM_NUM_CONTEXTS, xpu_reg(r, XPU_REG_NUM_CTX) },
		{ DRM_XPU_PARAM_DEVICE_ID, XPU_PCI_VENDOR_ID << 16 | XPU_PCI_DEVICE_ID },
	};

	ASSERT_EQ(XPU_ID_MAGIC, xpu_reg(r, XPU_REG_ID));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = ~0ull;

		ASSERT_EQ(0, xpu_get_param(self->fd, t[i].param, &v));
		EXPECT_EQ(t[i].want, v) TH_LOG("param %u", t[i].param);
	}
}

/* The values the VM launcher configured the device with (-device xpu,...). */
TEST_F(dev, params_match_device_properties)
{
	struct { uint32_t param; const char *env; } t[] = {
		{ DRM_XPU_PARAM_ARRAY_ROWS, "XPU_EXPECT_ROWS" },
		{ DRM_XPU_PARAM_ARRAY_COLS, "XPU_EXPECT_COLS" },
		{ DRM_XPU_PARAM_HBM_SIZE, "XPU_EXPECT_HBM_SIZE" },
		{ DRM_XPU_PARAM_NUM_QUEUES, "XPU_EXPECT_QUEUES" },
		{ DRM_XPU_PARAM_CLOCK_MHZ, "XPU_EXPECT_CLOCK_MHZ" },
	};
	int checked = 0;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long long want = xpu_expect(t[i].env);
		uint64_t v = 0;

		if (want < 0)
			continue;
		ASSERT_EQ(0, xpu_get_param(self->fd, t[i].param, &v));
		EXPECT_EQ((uint64_t)want, v) TH_LOG("%s", t[i].env);
		checked++;
	}
	if (!checked)
		SKIP(return, "no XPU_EXPECT_* in the environment");
}

TEST_F(dev, hbm_bar_covers_hbm)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], line[256];
	unsigned long long start, end, flags;
	uint64_t hbm = 0;
	FILE *f;
	int i;

	ASSERT_EQ(0, xpu_get_param(self->fd, DRM_XPU_PARAM_HBM_SIZE, &hbm));
	ASSERT_EQ(0, xpu_pci_dir(self->minor, dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/resource", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	for (i = 0; i <= XPU_BAR_HBM; i++)
		ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	ASSERT_EQ(3, sscanf(line, "%llx %llx %llx", &start, &end, &flags));
	EXPECT_EQ(hbm, end - start + 1);
	EXPECT_NE(0, flags & 0x2000) TH_LOG("HBM BAR not prefetchable"); /* IORESOURCE_PREFETCH */
	EXPECT_NE(0, flags & 0x00100000) TH_LOG("HBM BAR not 64-bit"); /* IORESOURCE_MEM_64 */
}

TEST_F(dev, unknown_param_is_einval)
{
	struct drm_xpu_get_param p = { .param = 0xdead };

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_GET_PARAM, &p));
	EXPECT_EQ(EINVAL, errno);
	p.param = 0x10000;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_GET_PARAM, &p));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, nonzero_pad_is_einval)
{
	struct drm_xpu_get_param p = { .param = DRM_XPU_PARAM_ARRAY_ROWS, .pad = 1 };

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_GET_PARAM, &p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, p.value);
}

TEST_F(dev, bad_pointer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_GET_PARAM, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_XPU_GET_PARAM, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, unknown_ioctl_is_einval)
{
	uint64_t buf[4] = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOWR(DRM_COMMAND_BASE + 0x3f, uint64_t[4]), buf));
	EXPECT_EQ(EINVAL, errno);
}

TEST(all_devices_enumerate)
{
	long long want = xpu_expect("XPU_EXPECT_DEVICES");
	int n = 0, fd;

	while ((fd = xpu_open_nth(n, NULL)) >= 0) {
		close(fd);
		n++;
	}
	ASSERT_GE(n, 1);
	if (want >= 0)
		EXPECT_EQ(want, n);
}

TEST_HARNESS_MAIN
