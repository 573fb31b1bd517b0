#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""xpu-quantize: post-training int8 quantisation of a float ONNX model into
the QDQ form that xpu-cc compiles to int8 matmuls on the XPU.

usage: xpu-quantize MODEL.onnx --calib INPUTS.npz [--calib ...] -o OUT.onnx

Design:
  1. Gemm nodes with a constant B and a constant (or no) C, transA = 0, are
     rewritten as MatMul(A, alpha * B or B^T) [+ Add(beta * C)]: the
     compiler's int8 path (runtime/graph/math_common.h, xg_mm_int8) takes
     MatMul / FusedMatMul only, and its fusion pass turns MatMul + Add +
     activation back into one FusedMatMul with the bias in the epilogue.
  2. Calibration: the float model runs on every sample of the --calib files
     in a small numpy interpreter of ONNX (fp32; the ops in OPS below: python3-
     onnx 1.12 has no onnx.reference), recording max|x| of every activation
     that feeds a quantised MatMul. An op outside OPS is an error naming the
     node.
  3. Each MatMul whose B is a constant float weight becomes
        A -> QuantizeLinear(s_a, zp 0) -> DequantizeLinear(s_a, 0) -+
        int8 W_q -> DequantizeLinear(s_w[n], 0, axis = last) -------+-> MatMul
     activations symmetric per tensor, s_a = max|x| / 127 over the
     calibration set; weights symmetric per output channel (the last axis
     of B), s_w[n] = max_k |W[k, n]| / 127, W_q = round-half-even(W / s_w)
     in [-127, 127]. Both zero points are 0: exactly the pattern the
     compiler runs as int8 x int8 -> int32 on the MXU with an fp32 epilogue.
     Opsets below 13 (no per-axis DequantizeLinear) get per-tensor weight
     scales.
  Left in float: Conv (the int8 path covers matmuls only), MatMuls whose B
  is not a constant (e.g. attention's Q x K^T) and Gemms of other forms;
  the summary names them.
  4. The result is checked with onnx.checker, and the quantised graph runs
     on the calibration samples in the same interpreter: the largest output
     difference from the float model is printed.

Calibration files are numpy .npz archives with one array per model input,
named like the input: either one sample (the input's shape) or a stack of
samples (an extra leading axis). Every file must give every input, and no
other array. Exit status: 0 written, 1 an error (the message names the
problem), 2 usage.
"""
import argparse
import math
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PROG = "xpu-quantize"


class QuantError(Exception):
    pass


# ---- a numpy interpreter of ONNX (fp32) -------------------------------------

def _attrs(node):
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, TensorProto):
            v = numpy_helper.to_array(v)
        elif isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        out[a.name] = v
    return out


_erf = np.vectorize(math.erf, otypes=[np.float64])

_NP_TYPES = {TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64,
             TensorProto.INT64: np.int64, TensorProto.INT32: np.int32,
             TensorProto.INT8: np.int8, TensorProto.UINT8: np.uint8,
             TensorProto.BOOL: np.bool_, TensorProto.FLOAT16: np.float16,
             TensorProto.INT16: np.int16}


def _f32(x):
    return np.asarray(x).astype(np.float32) if np.asarray(x).dtype == np.float64 else np.asarray(x)


def _div(a, b):
    if np.issubdtype(a.dtype, np.integer):
        return (np.abs(a) // np.abs(b) * np.sign(a) * np.sign(b)).astype(a.dtype)
    return a / b


def _axes(x, a, idx=1, name="axes"):
    """axes from an input (newer opsets) or an attribute (older ones)"""
    if len(x) > idx and x[idx] is not None:
        return [int(v) for v in np.asarray(x[idx]).reshape(-1)]
    return a.get(name)


def _window(x, a, kind):
    """MaxPool / AveragePool over the trailing 1 or 2 axes"""
    nsp = x.ndim - 2
    if nsp not in (1, 2):
        raise NotImplementedError(f"{nsp}-D pooling")
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise NotImplementedError(f"auto_pad={a['auto_pad']}")
    if a.get("ceil_mode", 0):
        raise NotImplementedError("ceil_mode=1")
    k = list(a["kernel_shape"])
    s = list(a.get("strides", [1] * nsp))
    d = list(a.get("dilations", [1] * nsp))
    p = list(a.get("pads", [0] * 2 * nsp))
    if nsp == 1:
        x, k, s, d, p = x[:, :, None, :], [1] + k, [1] + s, [1] + d, [0, p[0], 0, p[1]]
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])), constant_values=fill)
    ones = np.pad(np.ones(x.shape[2:], np.float32), ((p[0], p[2]), (p[1], p[3])))
    oh = (xp.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    y = np.full(x.shape[:2] + (oh, ow), fill, np.float32)
    cnt = np.zeros((oh, ow), np.float32)
    for i in range(k[0]):
        for j in range(k[1]):
            r, c = i * d[0], j * d[1]
            win = xp[:, :, r:r + s[0] * (oh - 1) + 1:s[0], c:c + s[1] * (ow - 1) + 1:s[1]]
            if kind == "max":
                y = np.maximum(y, win)
            else:
                y = y + win
                cnt += ones[r:r + s[0] * (oh - 1) + 1:s[0], c:c + s[1] * (ow - 1) + 1:s[1]]
    if kind == "avg":
        y = y / (np.float32(k[0] * k[1]) if a.get("count_include_pad", 0) else cnt)
    y = y.astype(np.float32)
    return y[:, :, 0, :] if nsp == 1 else y


def _conv(x, w, b, a):
    nsp = x.ndim - 2
    if nsp not in (1, 2):
        raise NotImplementedError(f"{nsp}-D convolution")
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise NotImplementedError(f"auto_pad={a['auto_pad']}")
    s = list(a.get("strides", [1] * nsp))
    d = list(a.get("dilations", [1] * nsp))
    p = list(a.get("pads", [0] * 2 * nsp))
    g = a.get("group", 1)
    if nsp == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
        s, d, p = [1] + s, [1] + d, [0, p[0], 0, p[1]]
    n, c, h, wd = x.shape
    oc, icg, kh, kw = w.shape
    if c != icg * g or oc % g:
        raise NotImplementedError(f"channels {c} / weights {w.shape} / group {g} do not fit")
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])))
    oh = (h + p[0] + p[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (wd + p[1] + p[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    y = np.zeros((n, oc, oh, ow), np.float32)
    ocg = oc // g
    for gi in range(g):
        xg = xp[:, gi * icg:(gi + 1) * icg]
        for i in range(kh):
            for j in range(kw):
                r, cc = i * d[0], j * d[1]
                patch = xg[:, :, r:r + s[0] * (oh - 1) + 1:s[0], cc:cc + s[1] * (ow - 1) + 1:s[1]]
                y[:, gi * ocg:(gi + 1) * ocg] += np.einsum(
                    "nchw,oc->nohw", patch, w[gi * ocg:(gi + 1) * ocg, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y[:, :, 0, :] if nsp == 1 else y


def _reduce(x, a, fn, axes_from_input):
    axes = _axes(x, a) if axes_from_input else a.get("axes")
    keep = bool(a.get("keepdims", 1))
    if not axes:
        if a.get("noop_with_empty_axes", 0):
            return x[0]
        axes = list(range(x[0].ndim))
    return fn(x[0], axis=tuple(int(v) % x[0].ndim for v in axes), keepdims=keep).astype(x[0].dtype)


def _qparams(x, a):
    s = x[1]
    z = x[2] if len(x) > 2 and x[2] is not None else np.zeros((), np.uint8)
    if s.ndim == 1 and s.size > 1:
        shape = [1] * x[0].ndim
        shape[a.get("axis", 1) % x[0].ndim] = s.size
        s, z = s.reshape(shape), z.reshape(shape)
    return s, z


def _quantize(x, a):
    s, z = _qparams(x, a)
    info = np.iinfo(z.dtype)
    q = np.round(x[0].astype(np.float32) / s.astype(np.float32)) + z.astype(np.float32)
    return np.clip(q, info.min, info.max).astype(z.dtype)


def _dequantize(x, a):
    s, z = _qparams(x, a)
    return ((x[0].astype(np.int32) - z.astype(np.int32)).astype(np.float32) * s).astype(np.float32)


def _softmax(x, a, opset):
    ax = a.get("axis", -1 if opset >= 13 else 1)
    v = x[0]
    if opset < 13:
        ax %= v.ndim
        shape = v.shape
        v = v.reshape(int(np.prod(shape[:ax])), -1)
        e = np.exp(v - v.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).reshape(shape)
    e = np.exp(v - v.max(axis=ax, keepdims=True))
    return e / e.sum(axis=ax, keepdims=True)


def _layernorm(x, a):
    ax = a.get("axis", -1) % x[0].ndim
    axes = tuple(range(ax, x[0].ndim))
    mu = x[0].mean(axis=axes, keepdims=True)
    var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
    y = (x[0] - mu) / np.sqrt(var + np.float32(a.get("epsilon", 1e-5))) * x[1]
    return (y + x[2] if len(x) > 2 and x[2] is not None else y).astype(np.float32)


def _slice(x, a):
    if len(x) > 1:
        starts, ends = x[1], x[2]
        axes = x[3] if len(x) > 3 and x[3] is not None else range(len(starts))
        steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
    else:
        starts, ends = a["starts"], a["ends"]
        axes = a.get("axes", range(len(starts)))
        steps = [1] * len(starts)
    sl = [slice(None)] * x[0].ndim
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        sl[int(ax)] = slice(int(st), int(en), int(sp))
    return x[0][tuple(sl)]


def _split(x, a, nout):
    ax = a.get("axis", 0)
    sizes = [int(v) for v in x[1]] if len(x) > 1 and x[1] is not None else a.get("split")
    if not sizes:
        n = x[0].shape[ax]
        sizes = [n // nout] * nout
    return np.split(x[0], np.cumsum(sizes)[:-1], axis=ax)


def _reshape(x, a):
    shape = [int(v) for v in x[1]]
    if not a.get("allowzero", 0):
        shape = [x[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return x[0].reshape(shape)


def _trilu(x, a):
    k = int(x[1]) if len(x) > 1 and x[1] is not None else 0
    return np.triu(x[0], k) if a.get("upper", 1) else np.tril(x[0], k)


def _const(a):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in a:
            v = np.asarray(a[key])
            return v.astype(np.float32) if key.startswith("value_float") else \
                (v.astype(np.int64) if key.startswith("value_int") else v)
    raise NotImplementedError("Constant without a value/value_float(s)/value_int(s)")


def _batchnorm(x, a):
    shape = [1, -1] + [1] * (x[0].ndim - 2)
    sc, b, m, v = (t.reshape(shape) for t in x[1:5])
    return ((x[0] - m) / np.sqrt(v + np.float32(a.get("epsilon", 1e-5))) * sc + b).astype(np.float32)


def _gemm(x, a):
    A = x[0].T if a.get("transA", 0) else x[0]
    B = x[1].T if a.get("transB", 0) else x[1]
    y = np.float32(a.get("alpha", 1.0)) * (A @ B)
    if len(x) > 2 and x[2] is not None:
        y = y + np.float32(a.get("beta", 1.0)) * x[2]
    return y.astype(np.float32)


# op -> f(inputs, attributes, opset, number of outputs) -> list of outputs
OPS = {
    "Constant": lambda x, a, o, n: [_const(a)],
    "Identity": lambda x, a, o, n: [x[0]],
    "Dropout": lambda x, a, o, n: [x[0], np.ones(x[0].shape, np.bool_)][:n],
    "Add": lambda x, a, o, n: [x[0] + x[1]],
    "Sub": lambda x, a, o, n: [x[0] - x[1]],
    "Mul": lambda x, a, o, n: [x[0] * x[1]],
    "Div": lambda x, a, o, n: [_div(x[0], x[1])],
    "Pow": lambda x, a, o, n: [np.power(x[0], x[1]).astype(x[0].dtype)],
    "Sqrt": lambda x, a, o, n: [np.sqrt(x[0])],
    "Exp": lambda x, a, o, n: [np.exp(x[0])],
    "Log": lambda x, a, o, n: [np.log(x[0])],
    "Neg": lambda x, a, o, n: [-x[0]],
    "Abs": lambda x, a, o, n: [np.abs(x[0])],
    "Reciprocal": lambda x, a, o, n: [np.float32(1) / x[0]],
    "Erf": lambda x, a, o, n: [_erf(x[0]).astype(x[0].dtype)],
    "Relu": lambda x, a, o, n: [np.maximum(x[0], 0).astype(x[0].dtype)],
    "LeakyRelu": lambda x, a, o, n: [np.where(x[0] >= 0, x[0],
                                              x[0] * np.float32(a.get("alpha", 0.01)))],
    "Sigmoid": lambda x, a, o, n: [(1 / (1 + np.exp(-x[0]))).astype(x[0].dtype)],
    "Tanh": lambda x, a, o, n: [np.tanh(x[0])],
    "Max": lambda x, a, o, n: [np.maximum.reduce(np.broadcast_arrays(*x))],
    "Min": lambda x, a, o, n: [np.minimum.reduce(np.broadcast_arrays(*x))],
    "Equal": lambda x, a, o, n: [np.equal(x[0], x[1])],
    "Less": lambda x, a, o, n: [np.less(x[0], x[1])],
    "Greater": lambda x, a, o, n: [np.greater(x[0], x[1])],
    "Not": lambda x, a, o, n: [np.logical_not(x[0])],
    "Where": lambda x, a, o, n: [np.where(x[0], x[1], x[2])],
    "MatMul": lambda x, a, o, n: [np.matmul(x[0], x[1]).astype(np.float32)],
    "Gemm": lambda x, a, o, n: [_gemm(x, a)],
    "Conv": lambda x, a, o, n: [_conv(x[0], x[1], x[2] if len(x) > 2 else None, a)],
    "MaxPool": lambda x, a, o, n: [_window(x[0], a, "max")],
    "AveragePool": lambda x, a, o, n: [_window(x[0], a, "avg")],
    "GlobalAveragePool": lambda x, a, o, n: [x[0].mean(axis=tuple(range(2, x[0].ndim)),
                                                       keepdims=True)],
    "GlobalMaxPool": lambda x, a, o, n: [x[0].max(axis=tuple(range(2, x[0].ndim)),
                                                  keepdims=True)],
    "BatchNormalization": lambda x, a, o, n: [_batchnorm(x, a)],
    "Flatten": lambda x, a, o, n: [x[0].reshape(int(np.prod(x[0].shape[:a.get("axis", 1)])),
                                                -1)],
    "Reshape": lambda x, a, o, n: [_reshape(x, a)],
    "Transpose": lambda x, a, o, n: [np.transpose(x[0], a.get("perm"))],
    "Squeeze": lambda x, a, o, n: [np.squeeze(x[0], axis=tuple(_axes(x, a)))
                                   if _axes(x, a) else np.squeeze(x[0])],
    "Unsqueeze": lambda x, a, o, n: [np.expand_dims(x[0], tuple(
        int(v) % (x[0].ndim + len(_axes(x, a))) for v in _axes(x, a)))],
    "Concat": lambda x, a, o, n: [np.concatenate(x, axis=a["axis"])],
    "Slice": lambda x, a, o, n: [_slice(x, a)],
    "Split": lambda x, a, o, n: _split(x, a, n),
    "Gather": lambda x, a, o, n: [np.take(x[0], x[1].astype(np.int64), axis=a.get("axis", 0))],
    "Shape": lambda x, a, o, n: [np.array(x[0].shape, np.int64)[a.get("start", 0):a.get("end")]],
    "Cast": lambda x, a, o, n: [x[0].astype(_NP_TYPES[a["to"]])],
    "Expand": lambda x, a, o, n: [x[0] * np.ones([int(v) for v in x[1]], x[0].dtype)],
    "ConstantOfShape": lambda x, a, o, n: [np.full([int(v) for v in x[0]],
                                                   a.get("value", np.zeros(1, np.float32))[0])],
    "Range": lambda x, a, o, n: [np.arange(x[0], x[1], x[2]).astype(x[0].dtype)],
    "Trilu": lambda x, a, o, n: [_trilu(x, a)],
    "Softmax": lambda x, a, o, n: [_softmax(x, a, o)],
    "ReduceMean": lambda x, a, o, n: [_reduce(x, a, np.mean, o >= 18)],
    "ReduceSum": lambda x, a, o, n: [_reduce(x, a, np.sum, o >= 13)],
    "ReduceMax": lambda x, a, o, n: [_reduce(x, a, np.max, o >= 18)],
    "LayerNormalization": lambda x, a, o, n: [_layernorm(x, a)],
    "QuantizeLinear": lambda x, a, o, n: [_quantize(x, a)],
    "DequantizeLinear": lambda x, a, o, n: [_dequantize(x, a)],
}


def _node_str(node):
    return f"node '{node.name}' ({node.op_type})"


def opset_of(model):
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return 1


def check_supported(model):
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in OPS:
            raise QuantError(f"{_node_str(node)}: the calibration interpreter does not support "
                             f"this op{' (domain ' + node.domain + ')' if node.domain else ''}; "
                             f"supported: {' '.join(sorted(OPS))}")


def evaluate(model, feeds):
    """Run the graph on feeds {name: array}; returns every tensor's value
    by name."""
    g, opset = model.graph, opset_of(model)
    env = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    env.update(feeds)
    for node in g.node:
        ins = []
        for name in node.input:
            if not name:
                ins.append(None)
            elif name not in env:
                raise QuantError(f"{_node_str(node)}: input '{name}' has no value "
                                 f"(graph not in topological order?)")
            else:
                ins.append(env[name])
        while ins and ins[-1] is None:
            ins.pop()
        try:
            outs = OPS[node.op_type](ins, _attrs(node), opset, len(node.output))
        except QuantError:
            raise
        except Exception as e:  # numpy shape errors, unsupported attributes
            raise QuantError(f"{_node_str(node)}: cannot evaluate: {e}") from None
        for name, v in zip(node.output, outs):
            if name:
                env[name] = _f32(v)
    return env


# ---- calibration data --------------------------------------------------------

def graph_inputs(model):
    inits = {i.name for i in model.graph.initializer}
    out = []
    for i in model.graph.input:
        if i.name in inits:
            continue
        tt = i.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        out.append((i.name, _NP_TYPES.get(tt.elem_type, np.float32), dims))
    return out


def _fits(shape, dims):
    return len(shape) == len(dims) and all(d is None or d == s for s, d in zip(shape, dims))


def load_calibration(model, paths):
    """the samples: a list of {input name: array}"""
    if not paths:
        raise QuantError("no calibration data: give at least one --calib INPUTS.npz "
                         "(one array per model input, named like the input)")
    inputs = graph_inputs(model)
    names = [n for n, _, _ in inputs]
    samples = []
    for path in paths:
        try:
            if not zipfile.is_zipfile(path):
                raise QuantError(f"calibration file {path} is not a numpy .npz archive "
                                 f"(numpy.savez writes one)")
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except QuantError:
            raise
        except Exception as e:
            raise QuantError(f"cannot read calibration file {path}: {e}") from None
        extra = sorted(set(arrays) - set(names))
        missing = [n for n in names if n not in arrays]
        if extra or missing:
            raise QuantError(f"calibration file {path}: its arrays "
                             f"({', '.join(sorted(arrays)) or 'none'}) do not match the "
                             f"model's inputs ({', '.join(names)})"
                             + (f"; missing: {', '.join(missing)}" if missing else "")
                             + (f"; not an input: {', '.join(extra)}" if extra else ""))
        count = None
        per_input = {}
        for name, dt, dims in inputs:
            arr = arrays[name]
            if _fits(arr.shape, dims):
                stack = arr[None]
            elif arr.ndim == len(dims) + 1 and _fits(arr.shape[1:], dims):
                stack = arr
            else:
                want = "x".join("?" if d is None else str(d) for d in dims)
                raise QuantError(f"calibration file {path}: array '{name}' has shape "
                                 f"{list(arr.shape)}; input '{name}' is [{want}] "
                                 f"(give one sample of that shape or a stack [S, {want}])")
            if np.issubdtype(arr.dtype, np.floating) != np.issubdtype(dt, np.floating) and \
                    not (np.issubdtype(dt, np.floating) and np.issubdtype(arr.dtype, np.integer)):
                raise QuantError(f"calibration file {path}: array '{name}' is {arr.dtype}, "
                                 f"input '{name}' is {np.dtype(dt)}")
            if count is not None and len(stack) != count:
                raise QuantError(f"calibration file {path}: arrays hold different numbers of "
                                 f"samples ({count} and {len(stack)} for '{name}')")
            count = len(stack)
            per_input[name] = stack.astype(dt)
        if not count:
            raise QuantError(f"calibration file {path} holds no samples")
        for s in range(count):
            samples.append({n: per_input[n][s] for n in names})
    return samples


# ---- the rewrite ---------------------------------------------------------------

class Namer:
    def __init__(self, model):
        g = model.graph
        self.used = {n.name for n in g.node} | {t.name for t in g.initializer}
        for n in g.node:
            self.used.update(n.input)
            self.used.update(n.output)
        self.used.update(i.name for i in g.input)
        self.used.update(o.name for o in g.output)

    def __call__(self, base):
        name, k = base, 1
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


def constants(model):
    c = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            try:
                c[node.output[0]] = _const(_attrs(node))
            except NotImplementedError:
                pass
    return c


def plan(model):
    """(quantisable matmuls, nodes left in float): each matmul is
    (node index, A name, float weight [.., K, N], bias or None)"""
    consts = constants(model)
    todo, left = [], []
    for i, node in enumerate(model.graph.node):
        if node.domain not in ("", "ai.onnx"):
            continue
        t = node.op_type
        if t == "MatMul":
            a, b = node.input[0], node.input[1]
            w = consts.get(b)
            if a in consts:
                continue  # constant x constant: the compiler folds it
            if w is None or w.dtype != np.float32 or w.ndim < 2:
                left.append((node, "B is not a constant float weight of rank >= 2"))
                continue
            todo.append((i, a, w, None))
        elif t == "Gemm":
            at = _attrs(node)
            w = consts.get(node.input[1])
            c = consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            has_c = len(node.input) > 2 and bool(node.input[2])
            if at.get("transA", 0) or w is None or w.dtype != np.float32 or w.ndim != 2 or \
                    (has_c and (c is None or c.dtype != np.float32)):
                left.append((node, "only Gemm with transA=0, a constant B and a constant or "
                                   "no C is rewritten"))
                continue
            w = (w.T if at.get("transB", 0) else w) * np.float32(at.get("alpha", 1.0))
            bias = c * np.float32(at.get("beta", 1.0)) if has_c else None
            todo.append((i, node.input[0], np.ascontiguousarray(w, np.float32),
                         None if bias is None else bias.astype(np.float32)))
        elif t == "Conv":
            left.append((node, "the compiler's int8 path covers matmuls only"))
    return todo, left


def weight_scales(w, per_channel):
    if per_channel:
        amax = np.abs(w).reshape(-1, w.shape[-1]).max(axis=0)
    else:
        amax = np.array([np.abs(w).max()])
    s = (amax / np.float32(127)).astype(np.float32)
    s[~(s > 0)] = 1.0  # an all-zero column quantises to 0 with any scale
    if not np.all(np.isfinite(s)):
        raise QuantError("a weight holds inf/NaN")
    q = np.clip(np.round(w / (s if per_channel else s[0])), -127, 127).astype(np.int8)
    return q, s


def _copy(msg, cls):
    c = cls()
    c.CopyFrom(msg)
    return c


def _replace(field, items, cls):
    items = [_copy(x, cls) for x in items]
    del field[:]
    field.extend(items)


def quantize(model, todo, amax, per_channel):
    g = model.graph
    new = Namer(model)
    nodes, inits, report = [], [], []
    qdq = {}   # activation name -> its DequantizeLinear output
    by_index = {t[0]: t for t in todo}
    replaced = set()
    for i, node in enumerate(g.node):
        if i not in by_index:
            nodes.append(_copy(node, onnx.NodeProto))
            continue
        _, a, w, bias = by_index[i]
        base = node.name or f"{node.op_type}_{i}"
        m = amax[a]
        if not math.isfinite(m):
            raise QuantError(f"{_node_str(node)}: its input '{a}' is not finite on the "
                             f"calibration data")
        sa = np.float32(m / 127.0) if m > 0 else np.float32(1.0)
        if a not in qdq:
            s_name, z_name = new(f"{a}_scale"), new(f"{a}_zero_point")
            q_out, dq_out = new(f"{a}_quantized"), new(f"{a}_dequantized")
            inits += [numpy_helper.from_array(np.array(sa, np.float32), s_name),
                      numpy_helper.from_array(np.array(0, np.int8), z_name)]
            nodes += [helper.make_node("QuantizeLinear", [a, s_name, z_name], [q_out],
                                       name=new(f"{a}_QuantizeLinear")),
                      helper.make_node("DequantizeLinear", [q_out, s_name, z_name], [dq_out],
                                       name=new(f"{a}_DequantizeLinear"))]
            qdq[a] = (dq_out, sa)
        dq_a, sa = qdq[a]
        pc = per_channel and w.shape[-1] > 1
        q, sw = weight_scales(w, pc)
        wq, ws, wz = new(f"{base}.weight_quantized"), new(f"{base}.weight_scale"), \
            new(f"{base}.weight_zero_point")
        wdq = new(f"{base}.weight_dequantized")
        inits += [numpy_helper.from_array(q, wq),
                  numpy_helper.from_array(sw if pc else np.array(sw[0], np.float32), ws),
                  numpy_helper.from_array(np.zeros(len(sw), np.int8) if pc
                                          else np.array(0, np.int8), wz)]
        kw = {"axis": w.ndim - 1} if pc else {}
        nodes.append(helper.make_node("DequantizeLinear", [wq, ws, wz], [wdq],
                                      name=new(f"{base}.weight_DequantizeLinear"), **kw))
        out = node.output[0]
        if bias is None:
            nodes.append(helper.make_node("MatMul", [dq_a, wdq], [out], name=new(f"{base}_int8")))
        else:
            mm_out, b_name = new(f"{base}.matmul_out"), new(f"{base}.bias")
            inits.append(numpy_helper.from_array(bias, b_name))
            nodes += [helper.make_node("MatMul", [dq_a, wdq], [mm_out], name=new(f"{base}_int8")),
                      helper.make_node("Add", [mm_out, b_name], [out], name=new(f"{base}_bias"))]
        replaced.update(node.input[1:])
        report.append(f"  {_node_str(node)}: K={w.shape[-2]} N={w.shape[-1]}, input '{a}' "
                      f"max|x| {m:.4g} -> scale {sa:.4g}, weight scales "
                      f"{sw.min():.3g}..{sw.max():.3g}"
                      f"{' per output channel' if pc else ' per tensor'}")
    _replace(g.node, nodes, onnx.NodeProto)
    g.initializer.extend(inits)
    # drop the float weights nothing reads any more
    read = {n for node in g.node for n in node.input} | {o.name for o in g.output}
    keep = [t for t in g.initializer if t.name in read or t.name not in replaced]
    _replace(g.initializer, keep, onnx.TensorProto)
    live = {t.name for t in g.initializer}
    inits_all = {t.name for t in keep} | replaced
    keep_in = [i for i in g.input if i.name not in inits_all or i.name in live]
    _replace(g.input, keep_in, onnx.ValueInfoProto)
    # Constant nodes whose outputs nothing reads any more
    alive = [n for n in g.node if not (n.op_type == "Constant" and n.output[0] not in read)]
    _replace(g.node, alive, onnx.NodeProto)
    return report


def main():
    ap = argparse.ArgumentParser(prog=PROG, description="Post-training int8 (QDQ) quantisation "
                                 "of an ONNX model for the XPU (int8 matmuls).")
    ap.add_argument("model", help="the float ONNX model")
    ap.add_argument("--calib", action="append", default=[], metavar="INPUTS.npz",
                    help="calibration samples: one array per model input (repeatable)")
    ap.add_argument("-o", "--output", required=True, metavar="OUT.onnx")
    ap.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    args = ap.parse_args()
    try:
        try:
            model = onnx.load(args.model)
        except Exception as e:
            raise QuantError(f"cannot load {args.model}: {e}") from None
        opset = opset_of(model)
        if opset < 10:
            raise QuantError(f"{args.model}: opset {opset} has no QuantizeLinear/"
                             f"DequantizeLinear (10 or later needed)")
        samples = load_calibration(model, args.calib)
        check_supported(model)
        todo, left = plan(model)
        if not todo:
            raise QuantError(f"{args.model}: no MatMul/Gemm with a constant weight to quantise")
        want = {t[1] for t in todo}
        amax = {a: 0.0 for a in want}
        ref_out = []
        outs = [o.name for o in model.graph.output]
        for s in samples:
            env = evaluate(model, s)
            for a in want:
                amax[a] = max(amax[a], float(np.max(np.abs(env[a]))) if env[a].size else 0.0)
            ref_out.append([env[o] for o in outs])
        report = quantize(model, todo, amax, opset >= 13)
        try:
            onnx.checker.check_model(model)
        except Exception as e:
            raise QuantError(f"internal error: the quantised model does not check: {e}") from None
        worst = {}
        for s, ref in zip(samples, ref_out):
            env = evaluate(model, s)
            for o, r in zip(outs, ref):
                d = float(np.max(np.abs(env[o].astype(np.float64) - r))) if r.size else 0.0
                m = float(np.max(np.abs(r))) if r.size else 0.0
                w = worst.get(o, (0.0, 0.0))
                worst[o] = (max(w[0], d), max(w[1], m))
        try:
            onnx.save(model, args.output)
        except Exception as e:
            raise QuantError(f"cannot write {args.output}: {e}") from None
    except QuantError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{PROG}: {args.model}: {len(todo)} MatMul/Gemm node(s) to int8, calibrated on "
              f"{len(samples)} sample(s)")
        print("\n".join(report))
        for node, why in left:
            print(f"  left in float: {_node_str(node)}: {why}")
        for o, (d, m) in worst.items():
            print(f"  output '{o}': max |int8 - float| {d:.4g} on the calibration samples "
                  f"(max |float| {m:.4g})")
        print(f"{PROG}: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
