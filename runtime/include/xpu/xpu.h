/* SPDX-License-Identifier: MIT */
/*
 * libxpu: the XPU runtime.
 *
 * Every call returns an xpu_status. On failure, xpu_last_error() gives a
 * per-thread message with the detail (the ioctl or file that failed, errno).
 * Handles are opaque. All calls are thread-safe.
 */
#ifndef XPU_XPU_H
#define XPU_XPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum xpu_status {
	XPU_SUCCESS = 0,
	XPU_ERROR_INVALID_ARGUMENT,	/* a bad argument from the caller */
	XPU_ERROR_NO_DEVICE,		/* no such XPU device */
	XPU_ERROR_PERMISSION,		/* cannot open the device node */
	XPU_ERROR_VERSION_MISMATCH,	/* the driver's uAPI is too old */
	XPU_ERROR_OUT_OF_MEMORY,	/* host or device memory exhausted */
	XPU_ERROR_NOT_READY,		/* work still pending (query calls) */
	XPU_ERROR_TIMEOUT,		/* a wait ran out of time */
	XPU_ERROR_DEVICE_LOST,		/* device removed or reset lost work */
	XPU_ERROR_OS,			/* an unexpected system call failure */
} xpu_status;

/* A fixed English name for a status ("XPU_ERROR_TIMEOUT: ..."). */
const char *xpu_status_string(xpu_status status);
/* Detail of the calling thread's last failure; "" if none. */
const char *xpu_last_error(void);

typedef struct xpu_device xpu_device;

#define XPU_NAME_MAX 64

struct xpu_device_props {
	char node[XPU_NAME_MAX];	/* /dev/accel/accelN */
	char pci_address[XPU_NAME_MAX];	/* dddd:bb:dd.f */
	uint32_t uapi_version;		/* driver uAPI, major << 16 | minor */
	uint32_t hw_version;		/* hardware, major << 16 | minor */
	uint32_t vendor_id, device_id;
	uint32_t caps;			/* XPU_CAP_* */
	uint32_t array_rows, array_cols;
	uint64_t hbm_size;		/* bytes */
	uint32_t num_queues;
	uint32_t num_contexts;
	uint32_t clock_mhz;
	uint32_t hbm_gbps;
	uint32_t spad_size, acc_size;	/* bytes per tile */
};

/* Number of XPU devices bound to the xpu driver. */
xpu_status xpu_device_count(int *count);
/* Open the index-th device (0 <= index < count). */
xpu_status xpu_device_open(int index, xpu_device **dev);
void xpu_device_close(xpu_device *dev);
xpu_status xpu_device_get_props(xpu_device *dev, struct xpu_device_props *props);

#ifdef __cplusplus
}
#endif

#endif /* XPU_XPU_H */
