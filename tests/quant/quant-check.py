#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helpers of tests/quant/quant-test.sh (python3-onnx, python3-numpy).

  quant-check.py interp TOOL SHARE   the quantiser's fp32 numpy interpreter
      (imported from TOOL) reproduces PyTorch's logits stored in test.bin
      for the digits MLP and the CNN (max |diff| <= 1e-4): the calibration
      ranges come from the right values. Exit status 1 if not.
  quant-check.py models OUTDIR       small graphs for the quantiser's other
      paths, each with calibration data NAME.npz:
        syn17.onnx   MatMul with a Constant-node weight (quantised) and a
                     MatMul of two run-time operands (left in float)
        syn11.onnx   opset 11 Gemm alpha 0.5 beta 2 transB 1 (per-tensor
                     weight scales: per-axis DequantizeLinear needs 13)
        hardmax.onnx an op the interpreter does not know
"""
import importlib.machinery
import importlib.util
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def interp(tool, share):
    loader = importlib.machinery.SourceFileLoader("xpu_quantize", tool)
    spec = importlib.util.spec_from_loader("xpu_quantize", loader)
    q = importlib.util.module_from_spec(spec)
    loader.exec_module(q)
    bad = 0
    for m, shape in (("digits-onnx", (1, 64)), ("cnn", (1, 1, 8, 8))):
        d = os.path.join(share, m)
        model = onnx.load(os.path.join(d, "model.onnx"))
        with open(os.path.join(d, "test.bin"), "rb") as f:
            _, _, n, nin, ncls, _ = struct.unpack("<6I", f.read(24))
            x = np.frombuffer(f.read(n * nin * 4), "<f4").reshape(n, nin)
            f.read((n + 3) & ~3)
            ref = np.frombuffer(f.read(n * ncls * 4), "<f4").reshape(n, ncls)
        out = model.graph.output[0].name
        worst = max(float(np.abs(q.evaluate(model, {"input": x[i].reshape(shape)})[out] -
                                 ref[i]).max()) for i in range(n))
        print(f"# {m}: interpreter vs PyTorch fp32 logits, max |diff| {worst:.2e} over {n} images")
        bad |= worst > 1e-4
    return int(bad)


def models(w):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((16, 8)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Constant", [], ["W"], name="wconst", value=numpy_helper.from_array(W)),
         helper.make_node("MatMul", ["x", "W"], ["h"], name="mm_weight"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("Transpose", ["r"], ["rt"], name="tr", perm=[0, 2, 1]),
         helper.make_node("MatMul", ["r", "rt"], ["y"], name="mm_act")],
        "syn17", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 3])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              os.path.join(w, "syn17.onnx"))
    np.savez(os.path.join(w, "syn17.npz"), x=rng.standard_normal((4, 2, 3, 16)).astype(np.float32))

    B = rng.standard_normal((8, 16)).astype(np.float32)
    C = rng.standard_normal(8).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "B", "C"], ["y"], name="gemm", alpha=0.5, beta=2.0,
                          transB=1)],
        "syn11", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])],
        [numpy_helper.from_array(B, "B"), numpy_helper.from_array(C, "C")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]),
              os.path.join(w, "syn11.onnx"))
    np.savez(os.path.join(w, "syn11.npz"), x=rng.standard_normal((3, 4, 16)).astype(np.float32))

    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
         helper.make_node("Hardmax", ["h"], ["y"], name="odd_one")],
        "unsupported", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(np.ones((4, 3), np.float32), "W")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              os.path.join(w, "hardmax.onnx"))
    np.savez(os.path.join(w, "hardmax.npz"), x=np.ones((2, 1, 4), np.float32))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "interp":
        sys.exit(interp(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 3 and sys.argv[1] == "models":
        sys.exit(models(sys.argv[2]))
    sys.exit("usage: quant-check.py interp TOOL SHARE | models OUTDIR")
