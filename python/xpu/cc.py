# SPDX-License-Identifier: MIT
"""The kernel compiler (xpu_compiler.h) per operation.

Design: Compiler wraps one xpu_cc builder: each method adds a kernel with
fixed shapes and types, emit() returns the kernel binary (bytes) and
load(device) makes it a Module. The module-level functions (matmul, binary,
unary, softmax, layernorm, ...) are the one-kernel shortcut: they build for a
device and return the loaded Module, whose kernel has the op's name.
Operators and activations are given by name ("add", "relu"); dtypes by any
spelling xpu.dtype() accepts.
"""

import ctypes

from . import _lib
from ._handle import Handle
from ._lib import LIB, cstr
from .device import Device, Target
from .dtypes import dtype as xdtype
from .errors import bad_argument, check

ACTS = {"none": 0, "relu": 1, "gelu": 2}
BINOPS = {"add": 0, "sub": 1, "mul": 2, "max": 3, "min": 4, "div": 5}
UNOPS = {"relu": 0, "copy": 1, "exp": 2, "gelu": 3, "recip": 4, "rsqrt": 5, "neg": 6,
         "tanh": 7, "sigmoid": 8, "erf": 9, "sqrt": 10, "abs": 11, "gelu_erf": 12}


def _pick(table, what, v):
    if isinstance(v, str) and v.lower() in table:
        return table[v.lower()]
    if v is None and "none" in table:
        return 0
    raise bad_argument("unknown %s %r (one of: %s)" % (what, v, ", ".join(table)))


def _u32(name, v, positive=True):
    if not isinstance(v, int) or isinstance(v, bool) or v < (1 if positive else 0) \
            or v > 0xFFFFFFFF:
        raise bad_argument("%s must be a %s 32-bit int, not %r"
                           % (name, "positive" if positive else "non-negative", v))
    return v


class Compiler(Handle):
    """A kernel builder for a Device (its timing too) or a Target."""

    _kind = "compiler"

    def __init__(self, target):
        h = _lib.H()
        if isinstance(target, Device):
            check(LIB.xpu_cc_create_for_device(ctypes.byref(target._cprops), ctypes.byref(h)))
        elif isinstance(target, Target):
            t = target._c()
            check(LIB.xpu_cc_create(ctypes.byref(t), ctypes.byref(h)))
        else:
            raise bad_argument("Compiler needs an xpu.Device or xpu.Target, not %r" % (target,))
        super().__init__(h.value)
        self.names = []

    def _release(self, h):
        check(LIB.xpu_cc_destroy(h))

    def _added(self, name):
        self.names.append(name)
        return name

    def matmul(self, name, m, k, n, in_type="int8", out_type=None, bias=False, act="none",
               scale=1.0, zero_point=0):
        """C = out(act(A @ B + bias)); arguments a, b, c[, bias]. out_type
        defaults to int32 for int8 inputs and float32 for bfloat16."""
        d = _lib.CcMatmul()
        d.m, d.k, d.n = _u32("m", m), _u32("k", k), _u32("n", n)
        it = xdtype(in_type)
        d.in_type = it.value
        if out_type is None:
            out_type = "int32" if it.name == "int8" else "float32"
        d.out_type = xdtype(out_type).value
        d.has_bias = 1 if bias else 0
        d.act = _pick(ACTS, "activation", act)
        d.scale = float(scale)
        d.zero_point = int(zero_point)
        check(LIB.xpu_cc_matmul(self.handle, cstr(name), ctypes.byref(d)))
        return self._added(name)

    def binary(self, name, op, dtype, n):
        """c = a op b over n elements; arguments a, b, c."""
        check(LIB.xpu_cc_binary(self.handle, cstr(name), _pick(BINOPS, "binary op", op),
                                xdtype(dtype).value, _u32("n", n)))
        return self._added(name)

    def unary(self, name, op, dtype, n):
        """y = op(x) over n elements; arguments x, y."""
        check(LIB.xpu_cc_unary(self.handle, cstr(name), _pick(UNOPS, "unary op", op),
                               xdtype(dtype).value, _u32("n", n)))
        return self._added(name)

    def select(self, name, n):
        check(LIB.xpu_cc_select(self.handle, cstr(name), _u32("n", n)))
        return self._added(name)

    def requant(self, name, in_type, n, scale, zero_point=0):
        check(LIB.xpu_cc_requant(self.handle, cstr(name), xdtype(in_type).value, _u32("n", n),
                                 float(scale), int(zero_point)))
        return self._added(name)

    def softmax(self, name, rows, cols):
        check(LIB.xpu_cc_softmax(self.handle, cstr(name), _u32("rows", rows),
                                 _u32("cols", cols)))
        return self._added(name)

    def layernorm(self, name, rows, cols, eps=1e-5):
        check(LIB.xpu_cc_layernorm(self.handle, cstr(name), _u32("rows", rows),
                                   _u32("cols", cols), float(eps)))
        return self._added(name)

    def conv2d(self, name, batch, h, w, cin, cout, kh, kw, stride=1, pad=0,
               out_type="int32", bias=False, act="none", scale=1.0, zero_point=0):
        d = _lib.CcConv2d()
        for f, v in (("batch", batch), ("h", h), ("w", w), ("cin", cin), ("cout", cout),
                     ("kh", kh), ("kw", kw), ("stride", stride)):
            setattr(d, f, _u32(f, v))
        d.pad = _u32("pad", pad, positive=False)
        d.out_type = xdtype(out_type).value
        d.has_bias = 1 if bias else 0
        d.act = _pick(ACTS, "activation", act)
        d.scale, d.zero_point = float(scale), int(zero_point)
        check(LIB.xpu_cc_conv2d(self.handle, cstr(name), ctypes.byref(d)))
        return self._added(name)

    def estimate(self, name):
        """The cost model's figures for kernel name, as a dict."""
        e = _lib.CcEstimate()
        e.size = ctypes.sizeof(e)
        check(LIB.xpu_cc_get_estimate(self.handle, cstr(name), ctypes.byref(e)))
        return {f: getattr(e, f) for f, _ in _lib.CcEstimate._fields_
                if f not in ("size", "rsvd")}

    def emit(self):
        """The kernel binary (ELF bytes) of every kernel added so far."""
        img, size = ctypes.c_void_p(), ctypes.c_size_t()
        check(LIB.xpu_cc_emit(self.handle, ctypes.byref(img), ctypes.byref(size)))
        return _lib.take_malloced(img, size)

    def load(self, device):
        """emit() loaded on device, as a Module."""
        return device.load_module(self.emit())


def _one(device, name, add):
    if not isinstance(device, Device):
        raise bad_argument("first argument must be an xpu.Device, not %r" % (device,))
    with Compiler(device) as c:
        add(c)
        return c.load(device)


def matmul(device, m, k, n, name="matmul", **kw):
    """A Module with one matmul kernel (see Compiler.matmul)."""
    return _one(device, name, lambda c: c.matmul(name, m, k, n, **kw))


def binary(device, op, dtype, n, name=None):
    name = name or op
    return _one(device, name, lambda c: c.binary(name, op, dtype, n))


def unary(device, op, dtype, n, name=None):
    name = name or op
    return _one(device, name, lambda c: c.unary(name, op, dtype, n))


def softmax(device, rows, cols, name="softmax"):
    return _one(device, name, lambda c: c.softmax(name, rows, cols))


def layernorm(device, rows, cols, eps=1e-5, name="layernorm"):
    return _one(device, name, lambda c: c.layernorm(name, rows, cols, eps))


def conv2d(device, name="conv2d", **kw):
    return _one(device, name, lambda c: c.conv2d(name, **kw))
