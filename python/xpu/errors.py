# SPDX-License-Identifier: MIT
"""Errors: one exception type, XpuError, for every failure.

Design: libxpu reports failures as an xpu_status plus a per-thread detail
string (xpu_last_error()). check() turns every status other than
XPU_SUCCESS into an XpuError subclass chosen by the status, carrying
`.status` (a Status IntEnum: `.name` and int value) and `.detail`. Argument
errors found on the Python side (wrong dtype, shape, unknown name) raise the
same classes with status INVALID_ARGUMENT / NOT_FOUND, so callers handle
one type. Subclasses also derive from the closest builtin (ValueError,
FileNotFoundError, TimeoutError, MemoryError) where one fits.
"""

import enum

from ._lib import LIB


class Status(enum.IntEnum):
    SUCCESS = 0
    INVALID_ARGUMENT = 1
    NO_DEVICE = 2
    PERMISSION = 3
    VERSION_MISMATCH = 4
    OUT_OF_MEMORY = 5
    NOT_READY = 6
    TIMEOUT = 7
    DEVICE_LOST = 8
    OS = 9
    INVALID_BINARY = 10
    NOT_FOUND = 11
    NOT_SUPPORTED = 12
    JOB_FAULT = 13
    INVALID_SOURCE = 14
    IO = 15


class XpuError(Exception):
    """A libxpu call failed: .status (Status), .detail (xpu_last_error())."""

    def __init__(self, status, detail=""):
        try:
            status = Status(status)
        except ValueError:
            pass          # a status newer than this package: keep the number
        self.status = status
        self.detail = detail
        if isinstance(status, Status):
            head = "XPU_ERROR_%s (%d)" % (status.name, status)
        else:
            head = "xpu status %d" % status
        super().__init__("%s: %s" % (head, detail) if detail else head)

    @property
    def status_string(self):
        """libxpu's own name of the status ("XPU_ERROR_TIMEOUT")."""
        return LIB.xpu_status_string(int(self.status)).decode()


class InvalidArgumentError(XpuError, ValueError):
    pass


class NoDeviceError(XpuError):
    pass


class PermissionDeniedError(XpuError, PermissionError):
    pass


class OutOfMemoryError(XpuError, MemoryError):
    pass


class NotReadyError(XpuError):
    pass


class TimeoutExpiredError(XpuError, TimeoutError):
    pass


class DeviceLostError(XpuError):
    pass


class InvalidBinaryError(XpuError, ValueError):
    pass


class NotFoundError(XpuError, LookupError):
    pass


class NotSupportedError(XpuError):
    pass


class JobFaultError(XpuError):
    pass


class InvalidSourceError(XpuError, ValueError):
    pass


class IOFailedError(XpuError, OSError):
    pass


_BY_STATUS = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.NO_DEVICE: NoDeviceError,
    Status.PERMISSION: PermissionDeniedError,
    Status.OUT_OF_MEMORY: OutOfMemoryError,
    Status.NOT_READY: NotReadyError,
    Status.TIMEOUT: TimeoutExpiredError,
    Status.DEVICE_LOST: DeviceLostError,
    Status.INVALID_BINARY: InvalidBinaryError,
    Status.NOT_FOUND: NotFoundError,
    Status.NOT_SUPPORTED: NotSupportedError,
    Status.JOB_FAULT: JobFaultError,
    Status.INVALID_SOURCE: InvalidSourceError,
    Status.IO: IOFailedError,
}


def error(status, detail=""):
    """The exception object for status (use: raise error(...))."""
    return _BY_STATUS.get(status, XpuError)(status, detail)


def check(status):
    """Raise the XpuError of a libxpu status; return None on success."""
    if status != 0:
        raise error(status, LIB.xpu_last_error().decode(errors="replace"))


def bad_argument(msg):
    return error(Status.INVALID_ARGUMENT, msg)
