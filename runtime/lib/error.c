// SPDX-License-Identifier: MIT
/* libxpu: status strings and the per-thread error detail. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
	case XPU_ERROR_INVALID_BINARY: return "XPU_ERROR_INVALID_BINARY";
	case XPU_ERROR_NOT_FOUND: return "XPU_ERROR_NOT_FOUND";
	case XPU_ERROR_NOT_SUPPORTED: return "XPU_ERROR_NOT_SUPPORTED";
	case XPU_ERROR_JOB_FAULT: return "XPU_ERROR_JOB_FAULT";
	case XPU_ERROR_INVALID_SOURCE: return "XPU_ERROR_INVALID_SOURCE";
	case XPU_ERROR_IO: return "XPU_ERROR_IO";
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

xpu_status xpu_check_size(uint32_t size, size_t min, const char *what)
{
	if (size < min)
		return xpu_set_error(XPU_ERROR_INVALID_ARGUMENT,
				     "%s: size field is %u, set it to sizeof(%s) (at least %zu)",
				     what, size, what, min);
	return XPU_SUCCESS;
}

void xpu_copy_sized(void *dst, uint32_t dst_size, const void *src, size_t src_size)
{
	size_t n = dst_size < src_size ? dst_size : src_size;

	memcpy(dst, src, n);
	/* a caller newer than this library: fields it does not know read 0 */
	if (dst_size > n)
		memset((char *)dst + n, 0, dst_size - n);
}

xpu_status xpu_file_error(int err, const char *what, const char *path)
{
	xpu_status st;

	switch (err) {
	case ENOENT:
	case ENOTDIR:
		st = XPU_ERROR_NOT_FOUND;
		break;
	case EACCES:
	case EPERM:
		st = XPU_ERROR_PERMISSION;
		break;
	case ENOMEM:
		st = XPU_ERROR_OUT_OF_MEMORY;
		break;
	default:
		st = XPU_ERROR_IO;
		break;
	}
	return xpu_set_error(st, "%s %s: %s (errno %d)", what, path, strerror(err), err);
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
	case ENOTTY:
	case EOPNOTSUPP:
		st = XPU_ERROR_NOT_SUPPORTED;
		break;
	case ECANCELED:
		st = XPU_ERROR_JOB_FAULT;
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

const char *xpu_job_status_name(uint32_t status)
{
	/* DRM_XPU_JOB_* values; 0..9 equal XPU_JOB_STATUS_* */
	static const char *const names[] = {
		"OK", "MMU_FAULT", "BAD_INSN", "SRAM_RANGE", "DMA_ERROR",
		"ABORTED", "BAD_DESC", "ECC", "BAD_CTX", "LINK_ERROR",
	};

	if (status < sizeof(names) / sizeof(names[0]))
		return names[status];
	if (status == 16)
		return "HUNG";
	if (status == 17)
		return "CANCELED";
	return "UNKNOWN";
}

int64_t xpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t xpu_deadline(uint64_t timeout_ns)
{
	int64_t now = xpu_now_ns();

	if (timeout_ns >= (uint64_t)(INT64_MAX - now))
		return INT64_MAX;
	return now + (int64_t)timeout_ns;
}
