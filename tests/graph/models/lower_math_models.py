#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Test models of the arithmetic operators (tests/graph/lower_math_test.c).

Writes into DIR (argv[1]): lower_math_<case>.onnx, its inputs <case>.in<K>.bin
and the outputs numpy computes (float64, rounded to the output type)
<case>.out<K>.bin (raw little-endian, dense row-major), and
lower_math_manifest.txt with one line per case:
  "<case> <num_inputs> <num_outputs> <precision> <rtol> <atol> <expect>"
precision: bf16 | high | highest (the compile option); the device must equal
the CPU reference bit for bit, and the reference must be within
|ref - numpy| <= atol + rtol * |numpy| of numpy. expect: "ok", or the text (no spaces)
the compile error must contain (an unsupported attribute). Random data from
a fixed seed.
"""
import math
import os
import sys

import numpy as np
from onnx import TensorProto, helper

from case_files import const, write_case

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
rng = np.random.default_rng(20261201)
manifest = []
seen = set()

def save(case, nodes, inputs, outputs, inits=(), prec="bf16", rtol=1e-6, atol=1e-6,
         expect="ok", opset=13):
    """inputs: [(name, array)], outputs: [(name, expected array)]"""
    assert case not in seen, "duplicate case " + case
    seen.add(case)
    write_case(OUT, "lower_math", case, nodes, inputs, outputs, inits, opset)
    manifest.append("%s %d %d %s %g %g %s" % (case, len(inputs), len(outputs), prec, rtol, atol,
                                               expect))


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# matmul tolerances per precision for unit-normal data: relative, and
# absolute growing as sqrt(K) (random rounding errors of K products)
TOLK = {"bf16": (2e-2, 1e-2), "high": (1e-4, 2e-5), "highest": (1e-5, 5e-7)}


def tol(prec, k):
    return TOLK[prec][0], TOLK[prec][1] * math.sqrt(k)


def mm(a, b):
    return np.matmul(a.astype(np.float64), b.astype(np.float64))


# ---- matmul family, every precision ----
for prec in ("bf16", "high", "highest"):
    a, w = f32(5, 300), f32(300, 24)
    save("matmul2d_" + prec, [helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")],
         [("a", a)], [("y", mm(a, w).astype(np.float32))], [const("w", w)], prec, *tol(prec, 300))
    rt, at = tol(prec, 33)
    # attention: both operands at run time, batched [B,H,T,D] x [B,H,D,T]
    q, kt = f32(2, 3, 8, 16), f32(2, 3, 16, 8)
    save("matmul_attn_" + prec, [helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk")],
         [("q", q), ("kt", kt)], [("s", mm(q, kt).astype(np.float32))], (), prec, rt, at)
    # batch broadcasting [3,8,16] x [2,1,16,8]
    a, b = f32(3, 8, 16), f32(2, 1, 16, 8)
    save("matmul_bcast_" + prec, [helper.make_node("MatMul", ["a", "b"], ["y"], name="mmb")],
         [("a", a), ("b", b)], [("y", mm(a, b).astype(np.float32))], (), prec, rt, at)
    # MatMul + bias + Relu (fused into the epilogue)
    x, w, bias = f32(2, 7, 33), f32(33, 20), f32(20)
    ref = np.maximum(mm(x, w) + bias, 0).astype(np.float32)
    save("linear_relu_" + prec,
         [helper.make_node("MatMul", ["x", "w"], ["t"], name="fc"),
          helper.make_node("Add", ["t", "bias"], ["u"], name="fc_bias"),
          helper.make_node("Relu", ["u"], ["y"], name="fc_relu")],
         [("x", x)], [("y", ref)], [const("w", w), const("bias", bias)], prec, rt, at)



def bf16(x):
    """fp32 -> the nearest bf16 (ties to even), as fp32 (finite normal data)"""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def mm_bf16(a, b):
    """a x b as the MXU does at precision bf16: bf16 operands, exact products,
    fp32 sums k ascending from +0"""
    a, b = bf16(a), bf16(b)
    acc = np.zeros(np.broadcast_shapes(a.shape[:-1] + (1,), b.shape[:-2] + (1, b.shape[-1])),
                   np.float32)
    for k in range(a.shape[-1]):
        acc = (acc + a[..., k:k + 1] * b[..., k:k + 1, :]).astype(np.float32)
    return acc


# q x K^T of a decode step (pass_fuse's matvec: one query row, the Transpose
# swaps the last two axes, the MatMul reads K itself): at bf16 the result is
# bit for bit the plain q x K^T (tolerance 0 against the exact bf16-operand,
# fp32-sum model), at high/highest within the usual tolerance of numpy
for prec in ("bf16", "high", "highest"):
    q, k = f32(2, 3, 1, 40), f32(3, 24, 40)
    kt = np.swapaxes(k, -1, -2)
    exp, rt, at = (mm_bf16(q, kt), 0, 0) if prec == "bf16" else \
        (mm(q, kt).astype(np.float32),) + tol(prec, 40)
    save("matvec_kt_" + prec,
         [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1], name="kt"),
          helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk")],
         [("q", q), ("k", k)], [("s", exp)], (), prec, rt, at)
# 2-D, the Transpose without perm (reverses = swaps both axes)
q, k = f32(1, 16), f32(10, 16)
save("matvec_kt_2d", [helper.make_node("Transpose", ["k"], ["kt"], name="kt2"),
                      helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk2")],
     [("q", q), ("k", k)], [("s", mm_bf16(q, k.T))], (), "bf16", 0, 0)

# GELU (erf form as PyTorch exports it) after a linear layer
x, w, bias = f32(6, 16), f32(16, 24), f32(24)
t = mm(x, w) + bias
ref = (t * 0.5 * (1 + np.vectorize(math.erf)(t / math.sqrt(2)))).astype(np.float32)
save("linear_gelu",
     [helper.make_node("MatMul", ["x", "w"], ["t"], name="fc1"),
      helper.make_node("Add", ["t", "bias"], ["u"], name="fc1_bias"),
      helper.make_node("Div", ["u", "sqrt2"], ["v"], name="gelu_div"),
      helper.make_node("Erf", ["v"], ["e"], name="gelu_erf"),
      helper.make_node("Add", ["e", "one"], ["e1"], name="gelu_add"),
      helper.make_node("Mul", ["u", "e1"], ["m"], name="gelu_mul"),
      helper.make_node("Mul", ["m", "half"], ["y"], name="gelu_half")],
     [("x", x)], [("y", ref)],
     [const("w", w), const("bias", bias), const("sqrt2", np.float32(math.sqrt(2))),
      const("one", np.float32(1)), const("half", np.float32(0.5))], "highest", 1e-5, 1e-5)

# Gemm: transB with a bias row; a full C addend
a, wt, c = f32(4, 12), f32(10, 12), f32(10)
save("gemm_transb", [helper.make_node("Gemm", ["a", "wt", "c"], ["y"], transB=1, name="gemm")],
     [("a", a)], [("y", (mm(a, wt.T) + c).astype(np.float32))], [const("wt", wt), const("c", c)],
     "highest", *tol("highest", 12))
a, b, c = f32(4, 12), f32(12, 10), f32(4, 10)
save("gemm_fullc", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="gemmc")],
     [("a", a), ("b", b), ("c", c)], [("y", (mm(a, b) + c).astype(np.float32))], (),
     "highest", *tol("highest", 12))
# every Gemm attribute, operands at run time: transposed on the device
at_, bt_, c1 = f32(12, 4), f32(10, 12), f32(1, 10)
save("gemm_all", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], alpha=0.25, beta=0.5,
                                   transA=1, transB=1, name="gemm2")],
     [("a", at_), ("b", bt_), ("c", c1)],
     [("y", (0.25 * mm(at_.T, bt_.T) + 0.5 * c1).astype(np.float32))], (),
     "highest", *tol("highest", 12))
save("pow3_after_matmul", [helper.make_node("MatMul", ["a", "b"], ["t"], name="mmx"),
                              helper.make_node("Pow", ["t", "e"], ["y"], name="powx")],
     [("a", a), ("b", b)], [("y", mm(a, b).astype(np.float32))], [const("e", np.float32(3))],
     expect="exponent")


# ---- convolution and pooling (NCHW) ----
def conv_ref(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    co, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, co, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.tensordot(win, w.astype(np.float64), axes=([1, 2, 3], [1, 2, 3]))
    return y + b.reshape(1, co, 1, 1)


for prec, (stride, pad) in (("bf16", (1, 1)), ("highest", (1, 1)), ("highest", (2, 0))):
    rt, at = tol(prec, 27)
    x, w, b = f32(2, 3, 9, 9), f32(4, 3, 3, 3), f32(4)
    save("conv_s%dp%d_%s" % (stride, pad, prec),
         [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[pad] * 4, strides=[stride] * 2,
                           kernel_shape=[3, 3], name="conv")],
         [("x", x)], [("y", conv_ref(x, w, b, stride, pad).astype(np.float32))],
         [const("w", w), const("b", b)], prec, rt, at)
x, w, b = f32(1, 3, 7, 6), f32(5, 3, 2, 3), f32(5)
save("conv_runtime_w", [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 0, 0, 1],
                                         name="convw")],
     [("x", x), ("w", w), ("b", b)],
     [("y", conv_ref(np.pad(x, ((0, 0), (0, 0), (1, 0), (0, 1))), w, b, 1, 0).astype(np.float32))],
     (), "highest", *tol("highest", 18))
# many output channels and pixels (tiles in M and N on the small target), then Relu
x, w, b = f32(2, 8, 10, 10), f32(40, 8, 3, 3), f32(40)
save("conv_wide_relu", [helper.make_node("Conv", ["x", "w", "b"], ["t"], pads=[1, 1, 1, 1],
                                         name="convr"),
                        helper.make_node("Relu", ["t"], ["y"], name="convr_relu")],
     [("x", x)], [("y", np.maximum(conv_ref(x, w, b, 1, 1), 0).astype(np.float32))],
     [const("w", w), const("b", b)], "high", *tol("high", 72))
# grouped (2 groups) and depthwise convolutions, bias per output channel
x, w, b = f32(2, 4, 6, 6), f32(6, 2, 3, 3), f32(6)
yg = np.concatenate([conv_ref(x[:, 0:2], w[0:3], b[0:3], 1, 1),
                     conv_ref(x[:, 2:4], w[3:6], b[3:6], 1, 1)], axis=1)
save("conv_group", [helper.make_node("Conv", ["x", "w", "b"], ["y"], group=2, pads=[1, 1, 1, 1],
                                     name="gconv")],
     [("x", x)], [("y", yg.astype(np.float32))], [const("w", w), const("b", b)],
     "highest", *tol("highest", 18))
wd, bd = f32(4, 1, 3, 3), f32(4)
ydw = np.concatenate([conv_ref(x[:, i:i + 1], wd[i:i + 1], bd[i:i + 1], 2, 0) for i in range(4)],
                     axis=1)
save("conv_depthwise", [helper.make_node("Conv", ["x", "w", "b"], ["y"], group=4, strides=[2, 2],
                                         name="dwconv")],
     [("x", x)], [("y", ydw.astype(np.float32))], [const("w", wd), const("b", bd)], "bf16",
     *tol("bf16", 9))
save("conv_badgroup", [helper.make_node("Conv", ["x", "w"], ["y"], group=3, name="bgconv")],
     [("x", f32(1, 6, 5, 5))], [("y", np.zeros((1, 4, 3, 3), np.float32))],
     [const("w", f32(4, 2, 3, 3))], expect="group")


def pool_ref(x, k, s, p, mode, include=0):
    n, c, h, w = x.shape
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    y = np.zeros((n, c, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s - p, j * s - p
            hs, ws = slice(max(h0, 0), min(h0 + k, h)), slice(max(w0, 0), min(w0 + k, w))
            win = x[:, :, hs, ws].astype(np.float64)
            if mode == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                cnt = k * k if include else win.shape[2] * win.shape[3]
                y[:, :, i, j] = win.sum(axis=(2, 3)) / cnt
    return y.astype(np.float32)


x = f32(2, 3, 8, 8)
save("maxpool", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                                  name="mp")], [("x", x)], [("y", pool_ref(x, 2, 2, 0, "max"))])
save("maxpool_pad", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3],
                                      strides=[2, 2], pads=[1, 1, 1, 1], name="mpp")],
     [("x", x)], [("y", pool_ref(x, 3, 2, 1, "max"))])
save("avgpool_pad", [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                      pads=[1, 1, 1, 1], name="ap")],
     [("x", x)], [("y", pool_ref(x, 3, 1, 1, "avg"))], rtol=1e-6, atol=1e-6)
save("avgpool_incl", [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                       pads=[1, 1, 1, 1], count_include_pad=1, name="api")],
     [("x", x)], [("y", pool_ref(x, 3, 1, 1, "avg", 1))], rtol=1e-6, atol=1e-6)
save("gap", [helper.make_node("GlobalAveragePool", ["x"], ["y"], name="gap")], [("x", x)],
     [("y", x.astype(np.float64).mean(axis=(2, 3), keepdims=True).astype(np.float32))],
     rtol=1e-6, atol=1e-6)


def pool_ceil_ref(x, k, s, mode):
    """ceil_mode, no pads: the last window hangs over the end (only the input counts)"""
    n, c, h, w = x.shape
    oh, ow = -(-(h - k) // s) + 1, -(-(w - k) // s) + 1
    y = np.zeros((n, c, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, i * s:min(i * s + k, h), j * s:min(j * s + k, w)].astype(np.float64)
            y[:, :, i, j] = win.max(axis=(2, 3)) if mode == "max" else win.mean(axis=(2, 3))
    return y.astype(np.float32)


save("maxpool_ceil", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3],
                                       strides=[2, 2], ceil_mode=1, name="mpc")],
     [("x", x)], [("y", pool_ceil_ref(x, 3, 2, "max"))])
save("avgpool_ceil", [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                       strides=[2, 2], ceil_mode=1, name="apc")],
     [("x", x)], [("y", pool_ceil_ref(x, 3, 2, "avg"))], rtol=1e-6, atol=1e-6)
x1 = f32(2, 3, 11)
save("maxpool_1d", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3], strides=[2],
                                     pads=[1, 1], name="mp1")],
     [("x", x1)], [("y", pool_ref(x1.reshape(2, 3, 1, 11).repeat(3, axis=2), 3, 2, 1,
                                  "max")[:, :, 1, :])])
dil = np.maximum(np.maximum(x[:, :, :6, :6], x[:, :, :6, 2:]), np.maximum(x[:, :, 2:, :6], x[:, :, 2:, 2:]))
save("maxpool_dil", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2],
                                      dilations=[2, 2], name="mpd")], [("x", x)], [("y", dil)])
# dilated convolution = a convolution with a kernel spread out by zeros
xd2, wd2 = f32(1, 2, 9, 9), f32(3, 2, 3, 3)
wz = np.zeros((3, 2, 5, 5), np.float32)
wz[:, :, ::2, ::2] = wd2
save("conv_dil", [helper.make_node("Conv", ["x", "w"], ["y"], dilations=[2, 2], pads=[1, 1, 1, 1],
                                   name="convdil")],
     [("x", xd2)], [("y", conv_ref(xd2, wz, np.zeros(3, np.float32), 1, 1).astype(np.float32))],
     [const("w", wd2)], "highest", *tol("highest", 18))
# 1-D convolution, and auto_pad SAME_UPPER (resolved by shape inference)
w1, b1 = f32(4, 3, 3), f32(4)
ref1 = conv_ref(x1.reshape(2, 3, 1, 11), w1.reshape(4, 3, 1, 3), b1, 1, 0)
save("conv_1d", [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv1d")],
     [("x", x1)], [("y", ref1[:, :, 0, :].astype(np.float32))], [const("w", w1), const("b", b1)],
     "highest", *tol("highest", 9))
xs, ws = f32(1, 2, 7, 7), f32(3, 2, 4, 4)
xsp = np.pad(xs, ((0, 0), (0, 0), (1, 2), (1, 2)))
save("conv_same_upper", [helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER",
                                          name="convsame")],
     [("x", xs)], [("y", conv_ref(xsp, ws, np.zeros(3, np.float32), 1, 0).astype(np.float32))],
     [const("w", ws)], "highest", *tol("highest", 32))

# ---- elementwise with broadcasting ----
BIN = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
       "Max": np.maximum, "Min": np.minimum}
shapes = [((2, 3, 4), (4,)), ((2, 3, 4), (2, 1, 4)), ((2, 3, 4), (2, 3, 1)), ((1,), (2, 3, 4)),
          ((3, 1), (2, 1, 5)), ((2, 3, 4), (2, 3, 4))]
for op, fn in BIN.items():
    for i, (sa, sb) in enumerate(shapes):
        a, b = f32(*sa), f32(*sb)
        if op == "Div":
            b = (np.abs(b) + 0.5).astype(np.float32)
        save("%s_%d" % (op.lower(), i), [helper.make_node(op, ["a", "b"], ["y"], name=op.lower())],
             [("a", a), ("b", b)], [("y", fn(a, b).astype(np.float32))])
a, b, c = f32(2, 3, 4), f32(3, 1), f32(4)
save("max_of3", [helper.make_node("Max", ["a", "b", "c"], ["y"], name="max3")],
     [("a", a), ("b", b), ("c", c)], [("y", np.maximum(np.maximum(a, b), c))])
save("min_of1", [helper.make_node("Min", ["a"], ["y"], name="min1")], [("a", a)], [("y", a)])
a, b = rng.integers(-100, 100, (3, 4)).astype(np.int32), rng.integers(-100, 100, (4,)).astype(np.int32)
save("add_i32", [helper.make_node("Add", ["a", "b"], ["y"], name="addi")],
     [("a", a), ("b", b)], [("y", a + b)])
save("equal_i32", [helper.make_node("Equal", ["a", "b"], ["y"], name="eq")],
     [("a", a), ("b", np.array([a[0, 0], 5, a[1, 2], -7], np.int32))],
     [("y", a == np.array([a[0, 0], 5, a[1, 2], -7], np.int32))])

UN = {"Sqrt": np.sqrt, "Relu": lambda v: np.maximum(v, 0), "Sigmoid": lambda v: 1 / (1 + np.exp(-v)),
      "Tanh": np.tanh, "Erf": np.vectorize(math.erf), "Neg": np.negative, "Abs": np.abs,
      "Exp": np.exp}
for op, fn in UN.items():
    x = f32(3, 5, 7) * 2
    if op == "Sqrt":
        x = np.abs(x)
    save(op.lower(), [helper.make_node(op, ["x"], ["y"], name=op.lower())], [("x", x)],
         [("y", fn(x.astype(np.float64)).astype(np.float32))], rtol=2e-6, atol=1e-6)
x = np.abs(f32(4, 6)) + 0.1
for e, fn in ((2.0, lambda v: v * v), (0.5, np.sqrt), (1.0, lambda v: v)):
    save("pow_%g" % e, [helper.make_node("Pow", ["x", "e"], ["y"], name="pow")], [("x", x)],
         [("y", fn(x.astype(np.float64)).astype(np.float32))], [const("e", np.float32(e))],
         rtol=1e-6, atol=1e-7)
save("pow_3", [helper.make_node("Pow", ["x", "e"], ["y"], name="pow3")], [("x", x)],
     [("y", x ** 3)], [const("e", np.float32(3))], expect="exponent")

cond = rng.integers(0, 2, (3, 4)).astype(np.bool_)
xa, ya = f32(2, 3, 4), f32(4)
save("where", [helper.make_node("Where", ["c", "x", "y"], ["z"], name="where")],
     [("c", cond), ("x", xa), ("y", ya)], [("z", np.where(cond, xa, ya).astype(np.float32))])
ai = rng.integers(-1000, 1000, (5, 6)).astype(np.int32)
save("cast_i32_f32", [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT, name="cast")],
     [("x", ai)], [("y", ai.astype(np.float32))])
save("cast_bool_f32", [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT, name="castb")],
     [("x", cond)], [("y", cond.astype(np.float32))])
save("cast_f32_i32", [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.INT32, name="casti")],
     [("x", xa)], [("y", xa.astype(np.int32))], expect="cast")

# ---- rows: softmax, layernorm, reductions ----
x = f32(2, 5, 33) * 3
e = np.exp(x.astype(np.float64) - x.max(axis=-1, keepdims=True))
save("softmax", [helper.make_node("Softmax", ["x"], ["y"], axis=-1, name="sm")], [("x", x)],
     [("y", (e / e.sum(axis=-1, keepdims=True)).astype(np.float32))], rtol=1e-5, atol=1e-7)
save("softmax_axis0", [helper.make_node("Softmax", ["x"], ["y"], axis=0, name="sm0")], [("x", x)],
     [("y", x)], expect="axis")
g_, b_ = f32(33), f32(33)
xd = x.astype(np.float64)
mu, var = xd.mean(axis=-1, keepdims=True), xd.var(axis=-1, keepdims=True)
ln = ((xd - mu) / np.sqrt(var + 1e-5) * g_ + b_).astype(np.float32)
save("layernorm", [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1,
                                    epsilon=1e-5, name="ln")],
     [("x", x)], [("y", ln)], [const("g", g_), const("b", b_)], rtol=1e-4, atol=1e-5, opset=17)
# normalised over axes 1.. (flattened), with the Mean and InvStdDev outputs
g2, b2 = f32(5, 33), f32(5, 33)
mu2 = xd.reshape(2, -1).mean(axis=1).reshape(2, 1, 1)
var2 = ((xd - mu2) ** 2).reshape(2, -1).mean(axis=1).reshape(2, 1, 1)
save("layernorm_axis1_stats",
     [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y", "mean", "invstd"], axis=1,
                       epsilon=1e-3, name="ln1")],
     [("x", x)], [("y", ((xd - mu2) / np.sqrt(var2 + 1e-3) * g2 + b2).astype(np.float32)),
                  ("mean", mu2.astype(np.float32)),
                  ("invstd", (1 / np.sqrt(var2 + 1e-3)).astype(np.float32))],
     [const("g", g2), const("b", b2)], rtol=1e-4, atol=1e-5, opset=17)
save("reducemean", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[-1], keepdims=1, name="rm")],
     [("x", x)], [("y", xd.mean(axis=-1, keepdims=True).astype(np.float32))], rtol=1e-5, atol=1e-6)
save("reducesum", [helper.make_node("ReduceSum", ["x", "ax"], ["y"], keepdims=0, name="rs")],
     [("x", x)], [("y", xd.sum(axis=(1, 2)).astype(np.float32))],
     [const("ax", np.array([1, 2], np.int64))], rtol=1e-5, atol=1e-5)
save("reducemax", [helper.make_node("ReduceMax", ["x"], ["y"], axes=[2], keepdims=1, name="rx")],
     [("x", x)], [("y", x.max(axis=2, keepdims=True))])
save("reducemean_axis0", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[0], name="rm0")],
     [("x", x)], [("y", xd.mean(axis=0, keepdims=True).astype(np.float32))], rtol=1e-6, atol=1e-6)
save("reducesum_axis1", [helper.make_node("ReduceSum", ["x", "ax"], ["y"], keepdims=0, name="rs1")],
     [("x", x)], [("y", xd.sum(axis=1).astype(np.float32))],
     [const("ax", np.array([1], np.int64))], rtol=1e-5, atol=1e-5)
save("reducemax_axis1", [helper.make_node("ReduceMax", ["x"], ["y"], axes=[-2], name="rx1")],
     [("x", x)], [("y", x.max(axis=1, keepdims=True))])
save("reducemean_axes02", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[0, 2], name="rm02")],
     [("x", x)], [("y", xd.mean(axis=(0, 2), keepdims=True).astype(np.float32))],
     expect="contiguous")

# ---- quantisation ----
x = f32(4, 9) * 4
q = np.clip(np.round(x / np.float32(0.05)) + 3, -128, 127).astype(np.int8)
save("quantize", [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="q")],
     [("x", x)], [("y", q)], [const("s", np.float32(0.05)), const("z", np.int8(3))], rtol=0, atol=0)
save("dequantize", [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], name="dq")],
     [("x", q)], [("y", ((q.astype(np.int32) - 3) * np.float32(0.05)).astype(np.float32))],
     [const("s", np.float32(0.05)), const("z", np.int8(3))], rtol=1e-7, atol=0)

# QDQ: DequantizeLinear(int8) x DequantizeLinear(int8 weights) -> int8 matmul
qa = rng.integers(-128, 128, (2, 5, 40)).astype(np.int8)
qw = rng.integers(-128, 128, (40, 12)).astype(np.int8)
bias = f32(12)
sa, sw = np.float32(0.02), np.float32(0.005)
deq = mm(qa.astype(np.float64) * sa, qw.astype(np.float64) * sw)
save("qdq_linear_relu",
     [helper.make_node("DequantizeLinear", ["qa", "sa"], ["a"], name="dqa"),
      helper.make_node("DequantizeLinear", ["qw", "sw", "zw"], ["w"], name="dqw"),
      helper.make_node("MatMul", ["a", "w"], ["t"], name="qfc"),
      helper.make_node("Add", ["t", "bias"], ["u"], name="qfc_bias"),
      helper.make_node("Relu", ["u"], ["y"], name="qfc_relu")],
     [("qa", qa)], [("y", np.maximum(deq + bias, 0).astype(np.float32))],
     [const("qw", qw), const("sa", sa), const("sw", sw), const("zw", np.int8(0)),
      const("bias", bias)], rtol=1e-5, atol=1e-5)
# batched, both at run time; a zero point != 0 keeps the fp32 path (still exact here)
qb = rng.integers(-128, 128, (2, 40, 7)).astype(np.int8)
save("qdq_batched",
     [helper.make_node("DequantizeLinear", ["qa", "sa"], ["a"], name="dqa2"),
      helper.make_node("DequantizeLinear", ["qb", "sb"], ["b"], name="dqb2"),
      helper.make_node("MatMul", ["a", "b"], ["y"], name="qmm")],
     [("qa", qa), ("qb", qb)],
     [("y", mm(qa.astype(np.float64) * sa, qb.astype(np.float64) * sw).astype(np.float32))],
     [const("sa", sa), const("sb", sw)], rtol=1e-5, atol=1e-5)
save("qdq_zero_point",
     [helper.make_node("DequantizeLinear", ["qa", "sa", "za"], ["a"], name="dqa3"),
      helper.make_node("DequantizeLinear", ["qw", "sw"], ["w"], name="dqw3"),
      helper.make_node("MatMul", ["a", "w"], ["y"], name="qmmz")],
     [("qa", qa)],
     [("y", mm((qa.astype(np.float64) - 3) * sa, qw.astype(np.float64) * sw).astype(np.float32))],
     [const("qw", qw), const("sa", sa), const("sw", sw), const("za", np.int8(3))], "highest",
     *tol("highest", 40))

# per-channel weight scales (axis 1 of [K, N]): still the int8 path
swv = (np.abs(f32(12)) * 0.01 + 0.001).astype(np.float32)
deq = mm(qa.astype(np.float64) * sa, qw.astype(np.float64) * swv)
save("qdq_per_channel",
     [helper.make_node("DequantizeLinear", ["qa", "sa"], ["a"], name="dqa4"),
      helper.make_node("DequantizeLinear", ["qw", "sw"], ["w"], axis=1, name="dqw4"),
      helper.make_node("MatMul", ["a", "w"], ["y"], name="qmmc")],
     [("qa", qa)], [("y", deq.astype(np.float32))],
     [const("qw", qw), const("sa", sa), const("sw", swv)], rtol=1e-5, atol=1e-5)
# per-axis Dequantize (with zero points) and Quantize (zero point 0), axis 1 of 3-D
xq = f32(3, 4, 5) * 3
s4 = np.array([0.05, 0.02, 0.1, 0.03], np.float32)
q4 = np.clip(np.round(xq / s4.reshape(1, 4, 1)), -128, 127).astype(np.int8)
save("quantize_axis", [helper.make_node("QuantizeLinear", ["x", "s", "z0"], ["y"], axis=1,
                                        name="qax")],
     [("x", xq)], [("y", q4)], [const("s", s4), const("z0", np.zeros(4, np.int8))], rtol=0, atol=0)
z4 = np.array([1, -2, 0, 5], np.int8)
save("dequantize_axis", [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1,
                                          name="dqax")],
     [("x", q4)], [("y", ((q4.astype(np.int32) - z4.reshape(1, 4, 1)) *
                          s4.reshape(1, 4, 1)).astype(np.float32))],
     [const("s", s4), const("z", z4)], rtol=1e-7, atol=0)

# uint8 (the full 0..255 range), per tensor and per axis
xu = np.arange(0, 256, dtype=np.uint8).reshape(4, 64)
save("dequantize_u8", [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], name="dqu8")],
     [("x", xu)], [("y", ((xu.astype(np.int32) - 200) * np.float32(0.5)).astype(np.float32))],
     [const("s", np.float32(0.5)), const("z", np.uint8(200))], rtol=0, atol=0)
zu = np.array([0, 128, 255, 7], np.uint8)
su = np.array([0.5, 0.25, 2.0, 1.5], np.float32)
save("dequantize_u8_axis", [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=0,
                                             name="dqu8a")],
     [("x", xu)], [("y", ((xu.astype(np.int32) - zu.reshape(4, 1).astype(np.int32)) *
                          su.reshape(4, 1)).astype(np.float32))],
     [const("s", su), const("z", zu)], rtol=0, atol=0)

# scale and zero point given at run time (one value each)
save("dequantize_runtime", [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"],
                                             name="dqrt")],
     [("x", xu), ("s", np.array(0.125, np.float32)), ("z", np.array(77, np.uint8))],
     [("y", ((xu.astype(np.int32) - 77) * np.float32(0.125)).astype(np.float32))],
     rtol=0, atol=0)

with open(os.path.join(OUT, "lower_math_manifest.txt"), "w") as f:
    f.write("\n".join(manifest) + "\n")
