# SPDX-License-Identifier: MIT
"""A small numpy interpreter of ONNX graphs (fp32, the ops our example models
use), independent of both PyTorch and the XPU compiler: export.py scripts use
it to check that an exported graph computes what the PyTorch model does.
An op it does not know is an error naming the node."""
import math

import numpy as np
from onnx import numpy_helper

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _attrs(node):
    out = {}
    for a in node.attribute:
        if a.type == a.INT:
            out[a.name] = a.i
        elif a.type == a.FLOAT:
            out[a.name] = a.f
        elif a.type == a.INTS:
            out[a.name] = list(a.ints)
        elif a.type == a.TENSOR:
            out[a.name] = numpy_helper.to_array(a.t)
        elif a.type == a.STRING:
            out[a.name] = a.s.decode()
    return out


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    oc, ic, kh, kw = w.shape
    p = a.get("pads", [0, 0, 0, 0])
    s = a.get("strides", [1, 1])
    if a.get("group", 1) != 1 or a.get("dilations", [1, 1]) != [1, 1]:
        raise NotImplementedError("Conv with groups/dilations")
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])))
    oh = (h + p[0] + p[2] - kh) // s[0] + 1
    ow = (wd + p[1] + p[3] - kw) // s[1] + 1
    y = np.zeros((n, oc, oh, ow), np.float32)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def _maxpool(x, a):
    k, s = a["kernel_shape"], a.get("strides", a["kernel_shape"])
    p = a.get("pads", [0, 0, 0, 0])
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])), constant_values=-np.inf)
    oh = (xp.shape[2] - k[0]) // s[0] + 1
    ow = (xp.shape[3] - k[1]) // s[1] + 1
    y = np.full(x.shape[:2] + (oh, ow), -np.inf, np.float32)
    for i in range(k[0]):
        for j in range(k[1]):
            y = np.maximum(y, xp[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]])
    return y


def _op(node, x, a):
    t = node.op_type
    if t == "Constant":
        return [a["value"]]
    if t in ("Identity", "Dropout"):
        return [x[0]]
    if t == "Add":
        return [x[0] + x[1]]
    if t == "Sub":
        return [x[0] - x[1]]
    if t == "Mul":
        return [x[0] * x[1]]
    if t == "Div":
        return [x[0] / x[1]]
    if t == "Pow":
        return [np.power(x[0], x[1]).astype(x[0].dtype)]
    if t == "Sqrt":
        return [np.sqrt(x[0])]
    if t == "Erf":
        return [_erf(x[0]).astype(x[0].dtype)]
    if t == "Relu":
        return [np.maximum(x[0], 0)]
    if t == "MatMul":
        return [np.matmul(x[0], x[1])]
    if t == "Gemm":
        A = x[0].T if a.get("transA", 0) else x[0]
        B = x[1].T if a.get("transB", 0) else x[1]
        y = a.get("alpha", 1.0) * (A @ B)
        if len(x) > 2:
            y = y + a.get("beta", 1.0) * x[2]
        return [y.astype(np.float32)]
    if t == "Gather":
        return [np.take(x[0], x[1], axis=a.get("axis", 0))]
    if t == "Reshape":
        shape = [d if d != 0 else x[0].shape[i] for i, d in enumerate(x[1])]
        return [x[0].reshape(shape)]
    if t == "Flatten":
        ax = a.get("axis", 1)
        return [x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)]
    if t == "Transpose":
        return [np.transpose(x[0], a.get("perm"))]
    if t == "Unsqueeze":
        return [np.expand_dims(x[0], tuple(int(v) for v in x[1]))]
    if t == "Squeeze":
        return [np.squeeze(x[0], tuple(int(v) for v in x[1])) if len(x) > 1 else np.squeeze(x[0])]
    if t == "Concat":
        return [np.concatenate(x, axis=a["axis"])]
    if t == "Slice":
        axes = x[3] if len(x) > 3 else range(len(x[1]))
        steps = x[4] if len(x) > 4 else [1] * len(x[1])
        sl = [slice(None)] * x[0].ndim
        for st, en, ax, sp in zip(x[1], x[2], axes, steps):
            sl[int(ax)] = slice(int(st), int(en), int(sp))
        return [x[0][tuple(sl)]]
    if t == "Cast":
        return [x[0].astype(np.float32 if a["to"] == 1 else np.int64)]
    if t == "Shape":
        return [np.array(x[0].shape, np.int64)]
    if t == "Softmax":
        ax = a.get("axis", -1)
        e = np.exp(x[0] - x[0].max(axis=ax, keepdims=True))
        return [e / e.sum(axis=ax, keepdims=True)]
    if t == "ReduceMean":
        return [x[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))]
    if t == "LayerNormalization":
        ax = a.get("axis", -1)
        axes = tuple(range(ax % x[0].ndim, x[0].ndim))
        mu = x[0].mean(axis=axes, keepdims=True)
        var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
        y = (x[0] - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * x[1]
        return [y + x[2] if len(x) > 2 else y]
    if t == "Conv":
        return [_conv(x[0], x[1], x[2] if len(x) > 2 else None, a)]
    if t == "MaxPool":
        return [_maxpool(x[0], a)]
    if t == "GlobalAveragePool":
        return [x[0].mean(axis=(2, 3), keepdims=True)]
    raise NotImplementedError(f"onnx_numpy: node '{node.name}' ({t}) is not supported")


def run(model, feeds):
    """Run model (an onnx.ModelProto) on feeds {name: array}; returns the
    graph outputs in order."""
    g = model.graph
    env = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    env.update(feeds)
    for node in g.node:
        ins = [env[n] if n else None for n in node.input]
        ins = [v for v in ins if v is not None]
        outs = _op(node, ins, _attrs(node))
        for name, v in zip(node.output, outs):
            env[name] = v
    return [env[o.name] for o in g.output]
