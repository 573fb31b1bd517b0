/* SPDX-License-Identifier: MIT */
/*
 * XPU accel driver uAPI.
 *
 * Rules (Documentation/process/botching-up-ioctls.rst): every struct has a
 * fixed size, 64-bit alignment and explicit padding; padding and reserved
 * fields must be zero (-EINVAL otherwise); user pointers are __u64; ioctl
 * numbers are append-only. A runtime first queries DRM_XPU_PARAM_UAPI_VERSION
 * and refuses to run against an older major.
 */
#ifndef _UAPI_DRM_XPU_ACCEL_H
#define _UAPI_DRM_XPU_ACCEL_H

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* uAPI version: major changes only on an incompatible change (never so far) */
#define DRM_XPU_UAPI_VERSION_MAJOR	1
#define DRM_XPU_UAPI_VERSION_MINOR	0

#define DRM_XPU_GET_PARAM		0x00

#define DRM_IOCTL_XPU_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_XPU_GET_PARAM, struct drm_xpu_get_param)

/**
 * enum drm_xpu_param - parameters for &struct drm_xpu_get_param
 *
 * @DRM_XPU_PARAM_UAPI_VERSION: major << 16 | minor of this header the driver
 *	implements
 * @DRM_XPU_PARAM_DEVICE_ID: PCI vendor << 16 | device
 * @DRM_XPU_PARAM_HW_VERSION: hardware version register (major << 16 | minor)
 * @DRM_XPU_PARAM_CAPS: hardware capability bits (XPU_CAP_* in xpu_hw.h)
 * @DRM_XPU_PARAM_ARRAY_ROWS: systolic array rows
 * @DRM_XPU_PARAM_ARRAY_COLS: systolic array columns
 * @DRM_XPU_PARAM_HBM_SIZE: HBM bytes
 * @DRM_XPU_PARAM_NUM_QUEUES: hardware queues
 * @DRM_XPU_PARAM_CLOCK_MHZ: modeled core clock in MHz
 * @DRM_XPU_PARAM_SPAD_SIZE: scratchpad SRAM bytes per tile
 * @DRM_XPU_PARAM_ACC_SIZE: accumulator SRAM bytes per tile
 * @DRM_XPU_PARAM_HBM_BANDWIDTH: modeled HBM bandwidth in GB/s
 * @DRM_XPU_PARAM_NUM_CONTEXTS: hardware address-space contexts
 */
enum drm_xpu_param {
	DRM_XPU_PARAM_UAPI_VERSION = 0,
	DRM_XPU_PARAM_DEVICE_ID = 1,
	DRM_XPU_PARAM_HW_VERSION = 2,
	DRM_XPU_PARAM_CAPS = 3,
	DRM_XPU_PARAM_ARRAY_ROWS = 4,
	DRM_XPU_PARAM_ARRAY_COLS = 5,
	DRM_XPU_PARAM_HBM_SIZE = 6,
	DRM_XPU_PARAM_NUM_QUEUES = 7,
	DRM_XPU_PARAM_CLOCK_MHZ = 8,
	DRM_XPU_PARAM_SPAD_SIZE = 9,
	DRM_XPU_PARAM_ACC_SIZE = 10,
	DRM_XPU_PARAM_HBM_BANDWIDTH = 11,
	DRM_XPU_PARAM_NUM_CONTEXTS = 12,
};

/**
 * struct drm_xpu_get_param - query a device parameter
 * @param: in, one of &enum drm_xpu_param; unknown values give -EINVAL
 * @pad: must be zero (-EINVAL)
 * @value: out, the parameter's value
 */
struct drm_xpu_get_param {
	__u32 param;
	__u32 pad;
	__u64 value;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_XPU_ACCEL_H */
