/* SPDX-License-Identifier: MIT */
/* libxpu internals. */
#ifndef XPU_INTERNAL_H
#define XPU_INTERNAL_H

#include "xpu/xpu.h"

#define XPU_EXPORT __attribute__((visibility("default")))

/* Record the calling thread's error detail and return status. */
xpu_status xpu_set_error(xpu_status status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Map an errno from an ioctl to a status, recording "what: strerror". */
xpu_status xpu_errno_error(int err, const char *what);
void xpu_clear_error(void);

struct xpu_device {
	int fd;
	struct xpu_device_props props;
};

#endif
