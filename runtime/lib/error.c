// SPDX-License-Identifier: MIT
/* libxpu: status strings and the per-thread error detail. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static __thread char last_error[512];

XPU_EXPORT const char *xpu_status_string(xpu_status status)
{
	switch (status) {
	case XPU_SUCCESS: return "XPU_SUCCESS";
	case XPU_ERROR_INVALID_ARGUMENT: return "XPU_ERROR_INVALID_ARGUMENT";
	case XPU_ERROR_NO_DEVICE: return "XPU_ERROR_NO_DEVICE";
	case XPU_ERROR_PERMISSION: return "XPU_ERROR_PERMISSION";
	case XPU_ERROR_VERSION_MISMATCH: return "XPU_ERROR_VERSION_MISMATCH";
	case XPU_ERROR_OUT_OF_MEMORY: return "XPU_ERROR_OUT_OF_MEMORY";
	case XPU_ERROR_NOT_READY: return "XPU_ERROR_NOT_READY";
	case XPU_ERROR_TIMEOUT: return "XPU_ERROR_TIMEOUT";
	case XPU_ERROR_DEVICE_LOST: return "XPU_ERROR_DEVICE_LOST";
	case XPU_ERROR_OS: return "XPU_ERROR_OS";
	}
	return "XPU_ERROR_UNKNOWN";
}

XPU_EXPORT const char *xpu_last_error(void)
{
	return last_error;
}

void xpu_clear_error(void)
{
	last_error[0] = '\0';
}

xpu_status xpu_set_error(xpu_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return status;
}

xpu_status xpu_errno_error(int err, const char *what)
{
	xpu_status st;

	switch (err) {
	case EINVAL:
	case EFAULT:
	case ENOENT:
		st = XPU_ERROR_INVALID_ARGUMENT;
		break;
	case ENOMEM:
	case ENOSPC:
		st = XPU_ERROR_OUT_OF_MEMORY;
		break;
	case ETIME:
	case ETIMEDOUT:
		st = XPU_ERROR_TIMEOUT;
		break;
	case EBUSY:
	case EAGAIN:
		st = XPU_ERROR_NOT_READY;
		break;
	case ENODEV:
	case EIO:
		st = XPU_ERROR_DEVICE_LOST;
		break;
	case EACCES:
	case EPERM:
		st = XPU_ERROR_PERMISSION;
		break;
	default:
		st = XPU_ERROR_OS;
	}
	return xpu_set_error(st, "%s: %s (errno %d)", what, strerror(err), err);
}
