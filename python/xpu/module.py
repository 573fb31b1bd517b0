# SPDX-License-Identifier: MIT
"""Modules (loaded kernel binaries) and kernels (a kernel plus its argument
values), launched on streams with typed arguments.

Design: the binary's own signature (xpu_kernel_get_arg_info) decides how a
Python value is passed: a BUFFER argument takes a Buffer or (Buffer, offset),
integer kinds take ints (range-checked), F32 takes a float. Arguments are
positional or by name. A kernel holds references to the buffers it was given
so they cannot be freed while it may run. A Kernel object is not for sharing
across threads (as in C: one kernel object per thread).
"""

import ctypes

from . import _lib
from ._handle import Handle, Image
from ._lib import LIB, cstr
from .errors import Status, bad_argument, check, error

ARG_TYPES = {_lib.ARG_BUFFER: "buffer", _lib.ARG_U64: "u64", _lib.ARG_I64: "i64",
             _lib.ARG_U32: "u32", _lib.ARG_I32: "i32", _lib.ARG_F32: "f32"}
_RANGES = {_lib.ARG_U64: (0, 2**64 - 1), _lib.ARG_I64: (-2**63, 2**63 - 1),
           _lib.ARG_U32: (0, 2**32 - 1), _lib.ARG_I32: (-2**31, 2**31 - 1)}


class Module(Image):
    _kind = "module"
    _close_rank = 3
    _loaders = ("xpu_module_load_file", "xpu_module_load")

    def _release(self, h):
        check(LIB.xpu_module_unload(h))

    @property
    def kernel_names(self):
        n = ctypes.c_uint32()
        check(LIB.xpu_module_kernel_count(self.handle, ctypes.byref(n)))
        names = []
        for i in range(n.value):
            s = ctypes.c_char_p()
            check(LIB.xpu_module_kernel_name(self.handle, i, ctypes.byref(s)))
            names.append(s.value.decode())
        return names

    def kernel(self, name):
        return Kernel(self, name)

    def __getitem__(self, name):
        return Kernel(self, name)

    def __repr__(self):
        return "<xpu.Module %s>" % ("closed" if self.closed else self.kernel_names)


class Kernel(Handle):
    _kind = "kernel"
    _close_rank = 2

    def __init__(self, module, name):
        h = _lib.H()
        check(LIB.xpu_kernel_create(module.handle, cstr(name), ctypes.byref(h)))
        super().__init__(h.value, module.device)
        self.module = module
        self.device = module.device
        info = _lib.KernelInfo()
        check(LIB.xpu_kernel_get_info(self._h, ctypes.byref(info)))
        self.name = info.name.decode()
        self.text_size, self.spad_size, self.acc_size = info.text_size, info.spad_size, \
            info.acc_size
        self.args = []                       # [(name, type name)]
        self._types = []
        for i in range(info.num_args):
            a = _lib.ArgInfo()
            check(LIB.xpu_kernel_get_arg_info(self._h, i, ctypes.byref(a)))
            self.args.append((a.name.decode(), ARG_TYPES.get(a.type, str(a.type))))
            self._types.append(a.type)
        self._values = [None] * info.num_args

    def _release(self, h):
        self._values = []
        check(LIB.xpu_kernel_destroy(h))

    def __repr__(self):
        return "<xpu.Kernel %s(%s)>" % (self.name, ", ".join("%s: %s" % a for a in self.args))

    def _index(self, key):
        if isinstance(key, str):
            for i, (n, _) in enumerate(self.args):
                if n == key:
                    return i
            raise error(Status.NOT_FOUND, "kernel %s has no argument %r (it has %s)"
                        % (self.name, key, ", ".join(n for n, _ in self.args)))
        if not isinstance(key, int) or not 0 <= key < len(self.args):
            raise bad_argument("kernel %s has %d arguments; no argument %r"
                               % (self.name, len(self.args), key))
        return key

    def set_arg(self, key, value):
        """Set one argument (index or name) from a Python value."""
        from .memory import Buffer
        i = self._index(key)
        t = self._types[i]
        name = self.args[i][0]
        h = self.handle
        if t == _lib.ARG_BUFFER:
            off = 0
            if isinstance(value, tuple) and len(value) == 2:
                value, off = value
            if not isinstance(value, Buffer):
                raise bad_argument("argument %d (%s) of %s is a buffer, not %s"
                                   % (i, name, self.name, type(value).__name__))
            if not isinstance(off, int) or not 0 <= off < value.nbytes:
                raise bad_argument("argument %d (%s): offset %r outside the %d-byte buffer"
                                   % (i, name, off, value.nbytes))
            check(LIB.xpu_kernel_set_arg_buffer(h, i, value.handle, off))
        elif t == _lib.ARG_F32:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise bad_argument("argument %d (%s) of %s is f32, not %r"
                                       % (i, name, self.name, value)) from None
            check(LIB.xpu_kernel_set_arg_f32(h, i, float(value)))
        elif t in _RANGES:
            try:
                v = int(value)
                if v != value:
                    raise ValueError
            except (TypeError, ValueError):
                raise bad_argument("argument %d (%s) of %s is %s, not %r"
                                   % (i, name, self.name, ARG_TYPES[t], value)) from None
            lo, hi = _RANGES[t]
            if not lo <= v <= hi:
                raise bad_argument("argument %d (%s) of %s: %d is out of %s range"
                                   % (i, name, self.name, v, ARG_TYPES[t]))
            fn = {_lib.ARG_U64: LIB.xpu_kernel_set_arg_u64,
                  _lib.ARG_I64: LIB.xpu_kernel_set_arg_i64,
                  _lib.ARG_U32: LIB.xpu_kernel_set_arg_u32,
                  _lib.ARG_I32: LIB.xpu_kernel_set_arg_i32}[t]
            check(fn(h, i, v))
        else:
            raise error(Status.NOT_SUPPORTED, "argument %d (%s) of %s has type %d unknown "
                        "to this package" % (i, name, self.name, t))
        self._values[i] = value

    def set_args(self, *args, **kwargs):
        if args and len(args) != len(self.args):
            raise bad_argument("kernel %s takes %d arguments (%s), got %d"
                               % (self.name, len(self.args),
                                  ", ".join(n for n, _ in self.args), len(args)))
        for i, v in enumerate(args):
            self.set_arg(i, v)
        for k, v in kwargs.items():
            self.set_arg(k, v)

    def launch(self, *args, stream=None, **kwargs):
        """Set the given arguments (all positionally, or some by name), then
        enqueue one run on stream (the device's default stream if None).
        Returns the stream; synchronize it to wait."""
        self.set_args(*args, **kwargs)
        stream = stream or self.device.default_stream
        check(LIB.xpu_launch(stream.handle, self.handle))
        return stream

    def __call__(self, *args, stream=None, **kwargs):
        """launch() and wait for it."""
        s = self.launch(*args, stream=stream, **kwargs)
        s.synchronize()
