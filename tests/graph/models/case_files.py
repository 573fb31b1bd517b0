# SPDX-License-Identifier: MIT
"""What the lowering tests' model scripts (lower_*_models.py) share: one test
case written as files. A case is an ONNX model NAME_<case>.onnx of one graph
with its inputs <case>.in<K>.bin and the outputs numpy computes
<case>.out<K>.bin (raw little-endian, dense row-major, K = position in the
model's input/output list). A library, not a model script (graph.mk runs
every other .py here).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NP2ONNX = {np.float32: TensorProto.FLOAT, np.int32: TensorProto.INT32,
           np.int64: TensorProto.INT64, np.int8: TensorProto.INT8, np.bool_: TensorProto.BOOL,
           np.uint8: TensorProto.UINT8}


def vi(name, arr):
    return helper.make_tensor_value_info(name, NP2ONNX[arr.dtype.type], list(arr.shape))


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def write_case(out, prefix, case, nodes, inputs, outputs, inits=(), opset=13):
    """Check and write prefix_<case>.onnx and its .bin files into out.
    inputs: [(name, array)], outputs: [(name, expected array)]"""
    g = helper.make_graph(nodes, case, [vi(n, a) for n, a in inputs],
                          [vi(n, a) for n, a in outputs], initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name=prefix + "_models")
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, "%s_%s.onnx" % (prefix, case)))
    for k, (_, a) in enumerate(inputs):
        np.ascontiguousarray(a).tofile(os.path.join(out, "%s.in%d.bin" % (case, k)))
    for k, (_, a) in enumerate(outputs):
        np.ascontiguousarray(a).tofile(os.path.join(out, "%s.out%d.bin" % (case, k)))
