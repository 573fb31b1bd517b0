#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seed corpus of the ONNX importer's fuzzer (argv[1]): the front end's test
models (tests/graph/models/front_models.py, valid and broken ones) that are
small enough, plus single-operator models of every op family."""
import os
import runpy
import sys

import numpy as np
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
sys.argv = [sys.argv[0], out]
runpy.run_path(os.path.join(here, "..", "graph", "models", "front_models.py"))
for f in os.listdir(out):
    if os.path.getsize(os.path.join(out, f)) > 60000:
        os.remove(os.path.join(out, f))


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    with open(os.path.join(out, "op_" + name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def vi(name, shape, t=TP.FLOAT):
    return h.make_tensor_value_info(name, t, shape)


def c(name, a):
    return nh.from_array(np.asarray(a), name)


x4 = vi("x", ["n", 3, 8, 8])
save("conv", [h.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2])],
     [x4], [vi("y", None)], [c("w", np.ones((4, 3, 3, 3), np.float32)), c("b", np.zeros(4, np.float32))])
save("maxpool", [h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], ceil_mode=1)], [x4], [vi("y", None)])
save("avgpool", [h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], auto_pad="SAME_UPPER")],
     [x4], [vi("y", None)])
save("gap", [h.make_node("GlobalAveragePool", ["x"], ["y"])], [x4], [vi("y", None)])
save("slice", [h.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])], [x4], [vi("y", None)],
     [c("s", np.array([1, -1], np.int64)), c("e", np.array([7, -9], np.int64)),
      c("a", np.array([2, 3], np.int64)), c("st", np.array([2, -1], np.int64))])
save("split", [h.make_node("Split", ["x"], ["a", "b"], axis=1, split=[1, 2])], [x4],
     [vi("a", None), vi("b", None)], opset=11)
save("flatten_softmax", [h.make_node("Flatten", ["x"], ["f"], axis=1),
                         h.make_node("Softmax", ["f"], ["y"], axis=1)], [x4], [vi("y", None)])
save("squeeze", [h.make_node("ReduceSum", ["x", "ax"], ["r"], keepdims=1),
                 h.make_node("Squeeze", ["r", "ax"], ["y"])], [x4], [vi("y", None)],
     [c("ax", np.array([1], np.int64))])
save("qdq", [h.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             h.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])], [x4], [vi("y", None)],
     [c("s", np.array(0.1, np.float32)), c("z", np.array(3, np.int8))])
save("expand_where", [h.make_node("ConstantOfShape", ["sh"], ["z"], value=h.make_tensor("v", TP.FLOAT, [1], [1.0])),
                      h.make_node("Equal", ["x", "z"], ["m"]),
                      h.make_node("Where", ["m", "x", "z"], ["y"]),
                      h.make_node("Expand", ["y", "sh"], ["e"])], [vi("x", [1, 3, 8, 8])], [vi("e", None)],
     [c("sh", np.array([2, 3, 8, 8], np.int64))])
save("range_gather", [h.make_node("Range", ["a", "b", "d"], ["r"]),
                      h.make_node("Gather", ["x", "r"], ["y"], axis=2)], [x4], [vi("y", None)],
     [c("a", np.array(0, np.int64)), c("b", np.array(8, np.int64)), c("d", np.array(3, np.int64))])
save("layernorm", [h.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=1e-5)],
     [x4], [vi("y", None)], [c("g", np.ones(8, np.float32)), c("b", np.zeros(8, np.float32))], opset=17)
save("misc", [h.make_node("Sigmoid", ["x"], ["a"]), h.make_node("Tanh", ["a"], ["b"]),
              h.make_node("Max", ["a", "b", "x"], ["m"]), h.make_node("Min", ["m", "b"], ["n"]),
              h.make_node("Abs", ["n"], ["o"]), h.make_node("Exp", ["o"], ["p"]),
              h.make_node("Neg", ["p"], ["q"]), h.make_node("ReduceMax", ["q"], ["y"], axes=[3]),
              h.make_node("Cast", ["y"], ["z"], to=TP.INT32), h.make_node("Identity", ["z"], ["w"])],
     [x4], [vi("w", None)])
