# SPDX-License-Identifier: MIT
"""Whole models: compile an ONNX model, load it on a device as a Graph, run
one inference per call with numpy arrays in and out, and compute the CPU
reference that a device run must equal bit for bit.

Design: Graph owns one xpu_graph; its inputs/outputs are read once into
TensorSpec tuples (name, XPU dtype, shape, nbytes, numpy dtype). run() checks
every feed against its spec (names, shape, dtype: a float64 array for a
float32 input is converted only if the values are unchanged by the cast),
then set_input / xpu_graph_run / synchronize / get_output. Python-side
mistakes raise the same XpuError classes as libxpu's (INVALID_ARGUMENT,
NOT_FOUND) with the tensor named. A Graph is not for concurrent runs from
several threads (its arena is shared): load one per thread.
"""

import collections
import ctypes
import os

import numpy as np

from . import _lib
from ._handle import Image
from ._lib import LIB, cstr
from .device import Device, Target
from .dtypes import dtype as xdtype
from .errors import Status, bad_argument, check, error

TensorSpec = collections.namedtuple("TensorSpec", "name dtype shape nbytes numpy_dtype")


def _spec(ti):
    dt = xdtype(ti.dtype)
    return TensorSpec(ti.name.decode(), dt.name, tuple(ti.dims[i] for i in range(ti.ndim)),
                      ti.size, dt.numpy)


def _model_bytes(model):
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise error(Status.NOT_FOUND, "%s: no such file" % path) from None
        except OSError as e:
            raise error(Status.IO, "%s: %s" % (path, e.strerror)) from None
    if hasattr(model, "SerializeToString"):          # an onnx.ModelProto
        return model.SerializeToString()
    raise bad_argument("a model is bytes, a path or an onnx.ModelProto, not %s"
                       % type(model).__name__)


def _target(target):
    if isinstance(target, Device):
        return target.target
    if isinstance(target, Target):
        return target
    raise bad_argument("target must be an xpu.Device or xpu.Target, not %r" % (target,))


def _options(precision, dims):
    if precision not in _lib.PRECISIONS:
        raise bad_argument("precision must be one of %s, not %r"
                           % (", ".join(_lib.PRECISIONS), precision))
    o = _lib.ModelOptions()
    o.size = ctypes.sizeof(o)
    o.precision = _lib.PRECISIONS[precision]
    dims = dict(dims or {})
    strs = [cstr("%s=%d" % (k, int(v))) for k, v in dims.items()]
    arr = (ctypes.c_char_p * max(1, len(strs)))(*strs)
    o.dims = ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p))
    o.num_dims = len(strs)
    return o, (arr, strs)


def compile_onnx(model, target, precision="bf16", dims=None):
    """Compile an ONNX model (path, bytes or ModelProto) for target (a Device
    or Target) into graph bytes for Device.load_graph()."""
    data = _model_bytes(model)
    t = _target(target)._c()
    opt, keep = _options(precision, dims)
    img, size = ctypes.c_void_p(), ctypes.c_size_t()
    check(LIB.xpu_model_compile_onnx(data, len(data), ctypes.byref(t), ctypes.byref(opt),
                                     ctypes.byref(img), ctypes.byref(size)))
    del keep
    return _lib.take_malloced(img, size)


def supported_ops():
    """The ONNX operator types the compiler imports."""
    p = LIB.xpu_model_supported_ops()
    out, i = [], 0
    while p[i]:
        out.append(p[i].decode())
        i += 1
    return out


def _feed(spec, value):
    a = np.asarray(value)
    if a.dtype != spec.numpy_dtype:
        if not np.can_cast(a.dtype, spec.numpy_dtype, casting="same_kind"):
            raise bad_argument("input %r is %s; got a %s array"
                               % (spec.name, spec.dtype, a.dtype))
        b = a.astype(spec.numpy_dtype)
        if not np.array_equal(b.astype(a.dtype), a, equal_nan=a.dtype.kind == "f"):
            raise bad_argument("input %r is %s; the %s values change in the cast"
                               % (spec.name, spec.dtype, a.dtype))
        a = b
    if a.shape != spec.shape:
        raise bad_argument("input %r has shape %s; got %s"
                           % (spec.name, list(spec.shape), list(a.shape)))
    return np.ascontiguousarray(a)


def _check_feeds(specs, feeds):
    if not isinstance(feeds, dict):
        raise bad_argument("inputs are a dict {name: array}, not %s" % type(feeds).__name__)
    names = {s.name for s in specs}
    extra = [k for k in feeds if k not in names]
    if extra:
        raise error(Status.NOT_FOUND, "the model has no input %s (inputs: %s)"
                    % (", ".join(map(repr, extra)), ", ".join(sorted(names))))
    missing = [s.name for s in specs if s.name not in feeds]
    if missing:
        raise bad_argument("missing input %s" % ", ".join(map(repr, missing)))
    return {s.name: _feed(s, feeds[s.name]) for s in specs}


class Graph(Image):
    _kind = "graph"
    _close_rank = 1
    _loaders = ("xpu_graph_load_file", "xpu_graph_load")

    def __init__(self, device, image_or_path):
        super().__init__(device, image_or_path)
        gi = _lib.GraphInfo()
        check(LIB.xpu_graph_get_info(self._h, ctypes.byref(gi)))
        self.info = {"name": gi.name.decode(), "num_launches": gi.num_launches,
                     "precision": {v: k for k, v in _lib.PRECISIONS.items()}.get(
                         gi.precision, gi.precision),
                     "const_size": gi.const_size, "arena_size": gi.arena_size,
                     "modeled_cycles": gi.modeled_cycles}
        self.inputs = self._specs(LIB.xpu_graph_input_info, gi.num_inputs)
        self.outputs = self._specs(LIB.xpu_graph_output_info, gi.num_outputs)

    def _specs(self, fn, n):
        out = []
        for i in range(n):
            ti = _lib.TensorInfo()
            check(fn(self._h, i, ctypes.byref(ti)))
            out.append(_spec(ti))
        return out

    def _release(self, h):
        check(LIB.xpu_graph_destroy(h))

    def __repr__(self):
        return "<xpu.Graph %r inputs=%s outputs=%s>" % (
            self.info["name"], [(s.name, s.dtype, s.shape) for s in self.inputs],
            [(s.name, s.dtype, s.shape) for s in self.outputs])

    def bind_input(self, name, buf, offset=0):
        """Run from a device buffer (zero copy); buf None unbinds."""
        check(LIB.xpu_graph_bind_input(self.handle, cstr(name),
                                       buf.handle if buf is not None else None, offset))

    def bind_output(self, name, buf, offset=0):
        check(LIB.xpu_graph_bind_output(self.handle, cstr(name),
                                        buf.handle if buf is not None else None, offset))

    def run(self, inputs, stream=None):
        """One inference: {input name: array} -> {output name: array}. Waits
        for the run (on stream, or the device's default stream)."""
        feeds = _check_feeds(self.inputs, inputs)
        h = self.handle
        for name, a in feeds.items():
            check(LIB.xpu_graph_set_input(h, cstr(name), a.ctypes.data_as(ctypes.c_void_p),
                                          a.nbytes))
        stream = stream or self.device.default_stream
        check(LIB.xpu_graph_run(h, stream.handle))
        stream.synchronize()
        out = {}
        for s in self.outputs:
            a = np.empty(s.shape, s.numpy_dtype)
            check(LIB.xpu_graph_get_output(h, cstr(s.name), a.ctypes.data_as(ctypes.c_void_p),
                                           a.nbytes))
            out[s.name] = a
        return out

    __call__ = run


def reference_onnx(model, inputs, target, precision="bf16", dims=None, graph=None):
    """The CPU reference of compile_onnx's numerics: {name: array} in,
    {name: array} out, equal bit for bit to a device run of the same model,
    target and precision. The tensors' specs come from graph (a loaded Graph
    of this model) or else from compiling the model and loading it on a
    temporary host-backend device of the target's shape."""
    data = _model_bytes(model)
    tgt = _target(target)
    if graph is None:
        image = compile_onnx(data, tgt, precision, dims)
        with Device.host(rows=tgt.rows, cols=tgt.cols, spad_size=tgt.spad_size,
                         acc_size=tgt.acc_size) as d:
            g = d.load_graph(image)
            ins, outs = g.inputs, g.outputs
    else:
        ins, outs = graph.inputs, graph.outputs
    feeds = _check_feeds(ins, inputs)
    cin = (_lib.HostTensor * max(1, len(ins)))()
    names = []
    for i, s in enumerate(ins):
        names.append(cstr(s.name))
        a = feeds[s.name]
        cin[i] = _lib.HostTensor(names[-1], a.ctypes.data, a.nbytes)
    result = {s.name: np.empty(s.shape, s.numpy_dtype) for s in outs}
    cout = (_lib.HostTensor * max(1, len(outs)))()
    for i, s in enumerate(outs):
        names.append(cstr(s.name))
        a = result[s.name]
        cout[i] = _lib.HostTensor(names[-1], a.ctypes.data, a.nbytes)
    t = tgt._c()
    opt, keep = _options(precision, dims)
    check(LIB.xpu_model_reference_onnx(data, len(data), ctypes.byref(t), ctypes.byref(opt),
                                       cin, len(ins), cout, len(outs)))
    del keep, feeds
    return result
