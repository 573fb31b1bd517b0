# SPDX-License-Identifier: MIT
"""ctypes declarations of libxpu (runtime/include/xpu/*.h).

Design: one place mirrors the C ABI -- the structs, the prototypes of every
entry point the package calls, and how the library is found. Everything else
in the package calls `LIB.xpu_*` through `check()` (errors.py), so a status
that is not XPU_SUCCESS can never be ignored. The library is located by, in
order: $XPU_LIB (a path to libxpu.so*), $XPU_BUILD/lib (a build tree), the
build trees next to this package (<repo>/build*/lib, newest first), then the
system loader ("libxpu.so.0"). Structs that grow (props, usage, host config,
estimate, model options) carry the size field the C side reads.
"""

import ctypes
import ctypes.util
import glob
import os

c_u32 = ctypes.c_uint32
c_u64 = ctypes.c_uint64
c_i32 = ctypes.c_int32
c_i64 = ctypes.c_int64
c_size = ctypes.c_size_t
c_vp = ctypes.c_void_p
c_cp = ctypes.c_char_p
P = ctypes.POINTER

XPU_NAME_MAX = 64
XPU_GRAPH_MAX_RANK = 8
XPU_WAIT_FOREVER = (1 << 64) - 1
XPU_QUEUE_ANY = 0xFFFFFFFF
XPU_HOST_SYNC = 1 << 0
XPU_HOST_SIZED = 1 << 31

XPU_MEM_DEVICE = 0
XPU_MEM_HOST = 1 << 0
XPU_MEM_READ_ONLY = 1 << 1

# enum xpu_arg_type
ARG_BUFFER, ARG_U64, ARG_I64, ARG_U32, ARG_I32, ARG_F32 = 1, 2, 3, 4, 5, 6

# XPU_GRAPH_F_PREC_* (xpu_elf.h)
PRECISIONS = {"bf16": 0, "high": 1, "highest": 2}


class DeviceProps(ctypes.Structure):
    _fields_ = [
        ("node", ctypes.c_char * XPU_NAME_MAX),
        ("pci_address", ctypes.c_char * XPU_NAME_MAX),
        ("uapi_version", c_u32), ("hw_version", c_u32),
        ("vendor_id", c_u32), ("device_id", c_u32),
        ("caps", c_u32), ("array_rows", c_u32), ("array_cols", c_u32),
        ("hbm_size", c_u64),
        ("num_queues", c_u32), ("num_contexts", c_u32),
        ("clock_mhz", c_u32), ("hbm_gbps", c_u32),
        ("spad_size", c_u32), ("acc_size", c_u32),
        ("backend", c_u32), ("dtypes", c_u32), ("isa_version", c_u32), ("rsvd", c_u32),
        ("max_buffer_size", c_u64),
        ("size", c_u32), ("rsvd2", c_u32),
    ]


class DeviceUsage(ctypes.Structure):
    _fields_ = [("size", c_u32), ("rsvd", c_u32), ("jobs", c_u64), ("cycles", c_u64),
                ("dma_busy_cycles", c_u64), ("mxu_busy_cycles", c_u64),
                ("vpu_busy_cycles", c_u64), ("dma_bytes", c_u64), ("macs", c_u64)]


class LinkInfo(ctypes.Structure):
    _fields_ = [("port", c_u32), ("state", c_u32), ("peer_index", c_i32), ("peer_chip", c_u32),
                ("peer_port", c_u32), ("gbps", c_u32), ("latency_cycles", c_u32),
                ("rsvd", c_u32), ("bytes", c_u64), ("transfers", c_u64),
                ("busy_cycles", c_u64), ("errors", c_u64)]


class ProcessUsage(ctypes.Structure):
    _fields_ = [("size", c_u32), ("pid", ctypes.c_int32), ("name", ctypes.c_char * XPU_NAME_MAX),
                ("files", c_u32), ("rsvd", c_u32), ("engine_ns", c_u64), ("cycles", c_u64),
                ("hbm_bytes", c_u64), ("host_bytes", c_u64)]


class HostConfig(ctypes.Structure):
    _fields_ = [("rows", c_u32), ("cols", c_u32), ("spad_size", c_u32), ("acc_size", c_u32),
                ("clock_mhz", c_u32), ("hbm_gbps", c_u32), ("num_queues", c_u32),
                ("flags", c_u32), ("hbm_size", c_u64), ("size", c_u32), ("rsvd", c_u32)]


class BufferInfo(ctypes.Structure):
    _fields_ = [("size", c_u64), ("va", c_u64), ("flags", c_u32), ("rsvd", c_u32)]


class KernelInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * XPU_NAME_MAX), ("num_args", c_u32),
                ("text_size", c_u32), ("spad_size", c_u32), ("acc_size", c_u32)]


class ArgInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * XPU_NAME_MAX), ("type", c_u32)]


class CcTarget(ctypes.Structure):
    _fields_ = [("rows", c_u32), ("cols", c_u32), ("spad_size", c_u32), ("acc_size", c_u32)]


class CcEstimate(ctypes.Structure):
    _fields_ = [("size", c_u32), ("rsvd", c_u32), ("cycles", c_u64),
                ("dma_busy_cycles", c_u64), ("mxu_busy_cycles", c_u64),
                ("vpu_busy_cycles", c_u64), ("dma_bytes", c_u64), ("macs", c_u64)]


class CcMatmul(ctypes.Structure):
    _fields_ = [("m", c_u32), ("k", c_u32), ("n", c_u32), ("in_type", c_u32),
                ("out_type", c_u32), ("has_bias", c_u32), ("act", c_u32),
                ("scale", ctypes.c_float), ("zero_point", c_i32)]


class CcConv2d(ctypes.Structure):
    _fields_ = [(f, c_u32) for f in ("batch", "h", "w", "cin", "cout", "kh", "kw",
                                      "stride", "pad", "out_type", "has_bias", "act")] + \
               [("scale", ctypes.c_float), ("zero_point", c_i32)]


class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 256), ("dtype", c_u32), ("ndim", c_u32),
                ("dims", c_u64 * XPU_GRAPH_MAX_RANK), ("size", c_u64)]


class GraphInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 256), ("num_inputs", c_u32), ("num_outputs", c_u32),
                ("num_launches", c_u32), ("precision", c_u32), ("const_size", c_u64),
                ("arena_size", c_u64), ("modeled_cycles", c_u64)]


class ModelOptions(ctypes.Structure):
    _fields_ = [("size", c_u32), ("precision", c_u32), ("dims", P(c_cp)),
                ("num_dims", c_u32), ("flags", c_u32)]


class HostTensor(ctypes.Structure):
    _fields_ = [("name", c_cp), ("data", c_vp), ("size", c_size)]


def _sizes_match():
    # the C headers fix these sizes (XPU_*_SIZE_V*): a mismatch is a bug here
    expect = {DeviceProps: 224, DeviceUsage: 64, HostConfig: 48, CcEstimate: 56,
              BufferInfo: 24, KernelInfo: 80, TensorInfo: 336, ProcessUsage: 112,
              LinkInfo: 64}
    for s, n in expect.items():
        if ctypes.sizeof(s) != n:
            raise ImportError("xpu: ctypes struct %s is %d bytes, libxpu's is %d"
                              % (s.__name__, ctypes.sizeof(s), n))


_sizes_match()

H = c_vp   # every opaque handle
_PROTOS = {
    "xpu_status_string": (c_cp, [ctypes.c_int]),
    "xpu_last_error": (c_cp, []),
    "xpu_dtype_size": (c_size, [ctypes.c_int]),
    "xpu_dtype_name": (c_cp, [ctypes.c_int]),
    "xpu_dtype_from_name": (ctypes.c_int, [c_cp]),
    "xpu_device_count": (ctypes.c_int, [P(ctypes.c_int)]),
    "xpu_device_open": (ctypes.c_int, [ctypes.c_int, P(H)]),
    "xpu_device_open_host": (ctypes.c_int, [P(HostConfig), P(H)]),
    "xpu_device_close": (ctypes.c_int, [H]),
    "xpu_device_query_props": (ctypes.c_int, [H, P(DeviceProps)]),
    "xpu_device_get_usage": (ctypes.c_int, [H, P(DeviceUsage)]),
    "xpu_device_get_processes": (ctypes.c_int, [H, P(ProcessUsage), c_u32, P(c_u32)]),
    "xpu_device_get_chip_id": (ctypes.c_int, [H, P(c_u32)]),
    "xpu_device_get_link_count": (ctypes.c_int, [H, P(c_u32)]),
    "xpu_device_get_link_info": (ctypes.c_int, [H, c_u32, P(LinkInfo)]),
    "xpu_device_can_access_peer": (ctypes.c_int, [H, H, P(ctypes.c_int)]),
    "xpu_device_enable_peer_access": (ctypes.c_int, [H, H]),
    "xpu_copy_peer_async": (ctypes.c_int, [H, H, c_size, H, c_size, c_size]),
    "xpu_buffer_alloc": (ctypes.c_int, [H, c_size, c_u32, P(H)]),
    "xpu_buffer_free": (ctypes.c_int, [H]),
    "xpu_buffer_get_info": (ctypes.c_int, [H, P(BufferInfo)]),
    "xpu_buffer_write": (ctypes.c_int, [H, c_size, c_vp, c_size]),
    "xpu_buffer_read": (ctypes.c_int, [H, c_size, c_vp, c_size]),
    "xpu_buffer_copy": (ctypes.c_int, [H, c_size, H, c_size, c_size]),
    "xpu_stream_create": (ctypes.c_int, [H, c_u32, P(H)]),
    "xpu_stream_destroy": (ctypes.c_int, [H]),
    "xpu_stream_synchronize": (ctypes.c_int, [H, c_u64]),
    "xpu_stream_query": (ctypes.c_int, [H]),
    "xpu_stream_wait_event": (ctypes.c_int, [H, H]),
    "xpu_write_async": (ctypes.c_int, [H, H, c_size, c_vp, c_size]),
    "xpu_read_async": (ctypes.c_int, [H, H, c_size, c_vp, c_size]),
    "xpu_copy_async": (ctypes.c_int, [H, H, c_size, H, c_size, c_size]),
    "xpu_event_create": (ctypes.c_int, [H, P(H)]),
    "xpu_event_destroy": (ctypes.c_int, [H]),
    "xpu_event_record": (ctypes.c_int, [H, H]),
    "xpu_event_query": (ctypes.c_int, [H]),
    "xpu_event_synchronize": (ctypes.c_int, [H, c_u64]),
    "xpu_event_elapsed": (ctypes.c_int, [H, H, P(c_u64), P(ctypes.c_double)]),
    "xpu_module_load": (ctypes.c_int, [H, c_vp, c_size, P(H)]),
    "xpu_module_load_file": (ctypes.c_int, [H, c_cp, P(H)]),
    "xpu_module_unload": (ctypes.c_int, [H]),
    "xpu_module_kernel_count": (ctypes.c_int, [H, P(c_u32)]),
    "xpu_module_kernel_name": (ctypes.c_int, [H, c_u32, P(c_cp)]),
    "xpu_kernel_create": (ctypes.c_int, [H, c_cp, P(H)]),
    "xpu_kernel_destroy": (ctypes.c_int, [H]),
    "xpu_kernel_get_info": (ctypes.c_int, [H, P(KernelInfo)]),
    "xpu_kernel_get_arg_info": (ctypes.c_int, [H, c_u32, P(ArgInfo)]),
    "xpu_kernel_set_arg_buffer": (ctypes.c_int, [H, c_u32, H, c_size]),
    "xpu_kernel_set_arg_u64": (ctypes.c_int, [H, c_u32, c_u64]),
    "xpu_kernel_set_arg_i64": (ctypes.c_int, [H, c_u32, c_i64]),
    "xpu_kernel_set_arg_u32": (ctypes.c_int, [H, c_u32, c_u32]),
    "xpu_kernel_set_arg_i32": (ctypes.c_int, [H, c_u32, c_i32]),
    "xpu_kernel_set_arg_f32": (ctypes.c_int, [H, c_u32, ctypes.c_float]),
    "xpu_launch": (ctypes.c_int, [H, H]),
    "xpu_binary_validate": (ctypes.c_int, [c_vp, c_size, P(c_u32)]),
    "xpu_cc_target_from_props": (ctypes.c_int, [P(DeviceProps), P(CcTarget)]),
    "xpu_cc_create": (ctypes.c_int, [P(CcTarget), P(H)]),
    "xpu_cc_create_for_device": (ctypes.c_int, [P(DeviceProps), P(H)]),
    "xpu_cc_destroy": (ctypes.c_int, [H]),
    "xpu_cc_emit": (ctypes.c_int, [H, P(c_vp), P(c_size)]),
    "xpu_cc_get_estimate": (ctypes.c_int, [H, c_cp, P(CcEstimate)]),
    "xpu_cc_matmul": (ctypes.c_int, [H, c_cp, P(CcMatmul)]),
    "xpu_cc_binary": (ctypes.c_int, [H, c_cp, ctypes.c_int, c_u32, c_u64]),
    "xpu_cc_unary": (ctypes.c_int, [H, c_cp, ctypes.c_int, c_u32, c_u64]),
    "xpu_cc_select": (ctypes.c_int, [H, c_cp, c_u64]),
    "xpu_cc_requant": (ctypes.c_int, [H, c_cp, c_u32, c_u64, ctypes.c_float, c_i32]),
    "xpu_cc_softmax": (ctypes.c_int, [H, c_cp, c_u32, c_u32]),
    "xpu_cc_layernorm": (ctypes.c_int, [H, c_cp, c_u32, c_u32, ctypes.c_float]),
    "xpu_cc_conv2d": (ctypes.c_int, [H, c_cp, P(CcConv2d)]),
    "xpu_graph_load": (ctypes.c_int, [H, c_vp, c_size, P(H)]),
    "xpu_graph_load_file": (ctypes.c_int, [H, c_cp, P(H)]),
    "xpu_graph_destroy": (ctypes.c_int, [H]),
    "xpu_graph_get_info": (ctypes.c_int, [H, P(GraphInfo)]),
    "xpu_graph_input_info": (ctypes.c_int, [H, c_u32, P(TensorInfo)]),
    "xpu_graph_output_info": (ctypes.c_int, [H, c_u32, P(TensorInfo)]),
    "xpu_graph_set_input": (ctypes.c_int, [H, c_cp, c_vp, c_size]),
    "xpu_graph_get_output": (ctypes.c_int, [H, c_cp, c_vp, c_size]),
    "xpu_graph_run": (ctypes.c_int, [H, H]),
    "xpu_model_compile_onnx": (ctypes.c_int, [c_vp, c_size, P(CcTarget), P(ModelOptions),
                                              P(c_vp), P(c_size)]),
    "xpu_model_reference_onnx": (ctypes.c_int, [c_vp, c_size, P(CcTarget), P(ModelOptions),
                                                P(HostTensor), c_u32, P(HostTensor), c_u32]),
    "xpu_model_supported_ops": (P(c_cp), []),
}


def _candidates():
    env = os.environ.get("XPU_LIB")
    if env:
        return [env]          # explicit: no fallback that would hide a typo
    out = []
    build = os.environ.get("XPU_BUILD")
    if build:
        out.append(os.path.join(build, "lib", "libxpu.so.0"))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    trees = glob.glob(os.path.join(repo, "build*", "lib", "libxpu.so.0"))
    trees.sort(key=lambda p: os.path.getmtime(p), reverse=True)
    default = os.path.join(repo, "build", "lib", "libxpu.so.0")
    if default in trees:      # the default build tree first
        trees.remove(default)
        trees.insert(0, default)
    out += trees
    out.append(ctypes.util.find_library("xpu") or "libxpu.so.0")
    return out


def _load():
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append("%s: no such file" % path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
            continue
        for name, (res, args) in _PROTOS.items():
            try:
                fn = getattr(lib, name)
            except AttributeError:
                raise ImportError("xpu: %s has no %s: a libxpu older than this package "
                                  "(rebuild it, or set XPU_LIB)" % (path, name)) from None
            fn.restype = res
            fn.argtypes = args
        lib._xpu_path = path
        return lib
    raise ImportError("xpu: cannot load libxpu (set XPU_LIB to libxpu.so): " + "; ".join(errors))


LIB = _load()
LIBC = ctypes.CDLL(None)
LIBC.free.argtypes = [c_vp]
LIBC.free.restype = None


def take_malloced(ptr, size):
    """Copy a malloc'ed image from libxpu into bytes and free() it."""
    try:
        return ctypes.string_at(ptr.value, size.value)
    finally:
        LIBC.free(ptr)


def cstr(s):
    if isinstance(s, bytes):
        return s
    return str(s).encode()
