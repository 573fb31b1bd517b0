# SPDX-License-Identifier: MIT
"""xpu: Python bindings of libxpu (ctypes; numpy in and out).

    import numpy as np, xpu
    dev = xpu.Device(0)                        # or xpu.Device.host()
    mod = xpu.cc.matmul(dev, 4, 8, 3)          # int8 x int8 -> int32
    a, b = dev.from_numpy(A), dev.from_numpy(B)
    c = dev.alloc(4 * 3 * 4)
    mod["matmul"](a, b, c)                     # launch and wait
    C = c.to_numpy("int32", (4, 3))

docs/python.md lists the API. Every failure raises xpu.XpuError (.status,
.detail). The library is found via $XPU_LIB, $XPU_BUILD/lib, the build trees
next to this package, then the system.
"""

from . import cc
from ._lib import LIB as _LIB
from .device import Device, DeviceProps, ProcessUsage, Target, device_count, devices
from .dtypes import DTYPES, DType, dtype, from_bf16, to_bf16
from .errors import (DeviceLostError, InvalidArgumentError, InvalidBinaryError,
                     InvalidSourceError, IOFailedError, JobFaultError, NoDeviceError,
                     NotFoundError, NotReadyError, NotSupportedError, OutOfMemoryError,
                     PermissionDeniedError, Status, TimeoutExpiredError, XpuError)
from .graph import Graph, TensorSpec, compile_onnx, reference_onnx, supported_ops
from .memory import MEM_DEVICE, MEM_HOST, MEM_READ_ONLY, Buffer
from .module import Kernel, Module
from .stream import Event, Stream, elapsed

library_path = _LIB._xpu_path

__all__ = [
    "Buffer", "DType", "DTYPES", "Device", "DeviceLostError", "DeviceProps", "Event",
    "Graph", "IOFailedError", "InvalidArgumentError", "InvalidBinaryError",
    "InvalidSourceError", "JobFaultError", "Kernel", "MEM_DEVICE", "MEM_HOST",
    "MEM_READ_ONLY", "Module", "NoDeviceError", "NotFoundError", "NotReadyError",
    "NotSupportedError", "OutOfMemoryError", "PermissionDeniedError", "ProcessUsage", "Status",
    "Stream",
    "Target", "TensorSpec", "TimeoutExpiredError", "XpuError", "cc", "compile_onnx",
    "device_count", "devices", "dtype", "elapsed", "from_bf16", "library_path",
    "reference_onnx", "supported_ops", "to_bf16",
]
