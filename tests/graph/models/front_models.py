#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Test models of the model compiler's front end (import, fold, shape, fuse,
plan), written with onnx.helper into the directory given as argv[1].

Valid models go through onnx.checker; the broken ones (importer error tests)
are built by hand from the protobuf classes, each with one defect."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(1)


def model(nodes, inputs, outputs, inits=(), opset=13, name="g", check=True):
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)], producer_name="xpu-tests")
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m)
    return m


def save(m, name):
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def vi(name, shape, t=TP.FLOAT):
    return h.make_tensor_value_info(name, t, shape)


def const(name, arr):
    return nh.from_array(np.asarray(arr), name)


def w(name, *shape, scale=0.1):
    return const(name, (rng.standard_normal(shape) * scale).astype(np.float32))


# ---- a small valid model (also the base of the truncation tests) ----
save(model([h.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
            h.make_node("Add", ["mm", "b"], ["y"], name="bias")],
           [vi("x", [2, 8])], [vi("y", [2, 4])], [w("w", 8, 4), w("b", 4)]), "small")

# an empty initializer without data (found by the fuzzer: memcpy from NULL)
save(model([h.make_node("Concat", ["x", "empty"], ["y"], name="cat", axis=0)],
           [vi("x", [2], TP.INT64)], [vi("y", [2], TP.INT64)],
           [onnx.TensorProto(name="empty", data_type=TP.INT64, dims=[0])]), "empty_init")

# no nodes at all: the output is the input (found by the fuzzer: memcpy to NULL)
save(model([], [vi("x", [2])], [vi("x", [2])]), "no_nodes")

# ---- folding: Shape -> Gather -> Unsqueeze -> Concat -> Reshape, symbolic batch ----
save(model([h.make_node("Shape", ["x"], ["s"], name="shape"),
            h.make_node("Gather", ["s", "zero"], ["b"], name="gather", axis=0),
            h.make_node("Unsqueeze", ["b", "ax0"], ["bu"], name="unsq"),
            h.make_node("Concat", ["bu", "minus1"], ["newshape"], name="concat", axis=0),
            h.make_node("Reshape", ["x", "newshape"], ["y"], name="reshape")],
           [vi("x", ["batch", 4, 6])], [vi("y", ["batch", 24])],
           [const("zero", np.array(0, np.int64)), const("ax0", np.array([0], np.int64)),
            const("minus1", np.array([-1], np.int64))]), "fold_chain")

# ---- shape inference: broadcasting, and one that does not broadcast ----
save(model([h.make_node("Add", ["a", "b"], ["y"], name="add")],
           [vi("a", [2, 1, 4]), vi("b", [3, 1])], [vi("y", [2, 3, 4])]), "broadcast")
save(model([h.make_node("Add", ["a", "b"], ["y"], name="badd")],
           [vi("a", [2, 3]), vi("b", [4])], [vi("y", None)], check=False), "broadcast_bad")

# ---- fusions ----
def gelu_nodes(x, y, p):
    return [h.make_node("Div", [x, p + "sqrt2"], [p + "d"], name=p + "div"),
            h.make_node("Erf", [p + "d"], [p + "e"], name=p + "erf"),
            h.make_node("Add", [p + "e", p + "one"], [p + "a"], name=p + "add1"),
            h.make_node("Mul", [x, p + "a"], [p + "m"], name=p + "mulx"),
            h.make_node("Mul", [p + "m", p + "half"], [y], name=p + "mulhalf")]


def gelu_consts(p):
    return [const(p + "sqrt2", np.array(1.4142135381698608, np.float32)),
            const(p + "one", np.array(1.0, np.float32)),
            const(p + "half", np.array(0.5, np.float32))]


save(model(gelu_nodes("x", "y", "g_"), [vi("x", [3, 5])], [vi("y", [3, 5])], gelu_consts("g_")),
     "fuse_gelu")
# the Erf output is also read by a second node: no fusion
save(model(gelu_nodes("x", "y", "g_") + [h.make_node("Neg", ["g_e"], ["z"], name="other")],
           [vi("x", [3, 5])], [vi("y", [3, 5]), vi("z", [3, 5])], gelu_consts("g_")),
     "fuse_gelu_shared")


def ln_nodes(x, y, p):
    return [h.make_node("ReduceMean", [x], [p + "mean"], name=p + "mean", axes=[-1]),
            h.make_node("Sub", [x, p + "mean"], [p + "d"], name=p + "sub"),
            h.make_node("Pow", [p + "d", p + "two"], [p + "sq"], name=p + "pow"),
            h.make_node("ReduceMean", [p + "sq"], [p + "var"], name=p + "var", axes=[-1]),
            h.make_node("Add", [p + "var", p + "eps"], [p + "ve"], name=p + "addeps"),
            h.make_node("Sqrt", [p + "ve"], [p + "std"], name=p + "sqrt"),
            h.make_node("Div", [p + "d", p + "std"], [p + "n"], name=p + "div"),
            h.make_node("Mul", [p + "n", p + "gamma"], [p + "g"], name=p + "gamma"),
            h.make_node("Add", [p + "g", p + "beta"], [y], name=p + "beta")]


def ln_consts(p, c):
    return [const(p + "two", np.array(2.0, np.float32)),
            const(p + "eps", np.array(1e-5, np.float32)),
            w(p + "gamma", c), w(p + "beta", c)]


save(model(ln_nodes("x", "y", "ln_"), [vi("x", [2, 3, 8])], [vi("y", [2, 3, 8])],
           ln_consts("ln_", 8)), "fuse_layernorm")
# the variance is a graph output too: no fusion
save(model(ln_nodes("x", "y", "ln_"), [vi("x", [2, 3, 8])],
           [vi("y", [2, 3, 8]), vi("ln_var", [2, 3, 1])], ln_consts("ln_", 8)),
     "fuse_layernorm_shared")

save(model([h.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
            h.make_node("Add", ["mm", "b"], ["pre"], name="bias"),
            h.make_node("Relu", ["pre"], ["y"], name="relu")],
           [vi("x", [2, 3, 8])], [vi("y", [2, 3, 4])], [w("w", 8, 4), w("b", 4)]),
     "fuse_matmul")
# the matmul result is read twice: MatMul stays, Add+Relu stay
save(model([h.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
            h.make_node("Add", ["mm", "b"], ["pre"], name="bias"),
            h.make_node("Relu", ["pre"], ["y"], name="relu"),
            h.make_node("Neg", ["mm"], ["z"], name="other")],
           [vi("x", [2, 8])], [vi("y", [2, 4]), vi("z", [2, 4])], [w("w", 8, 4), w("b", 4)]),
     "fuse_matmul_shared")
save(model([h.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
            h.make_node("Add", ["mm", "b"], ["pre"], name="bias"),
            h.make_node("Relu", ["pre"], ["y"], name="relu")],
           [vi("x", [2, 8])], [vi("y", [2, 4]), vi("pre", [2, 4])], [w("w", 8, 4), w("b", 4)]),
     "fuse_matmul_output")
save(model([h.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm", transB=1)],
           [vi("x", [2, 8])], [vi("y", [2, 4])], [w("w", 4, 8), w("b", 4)]), "fuse_gemm")
save(model([h.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm", transB=1, alpha=2.0)],
           [vi("x", [2, 8])], [vi("y", [2, 4])], [w("w", 4, 8), w("b", 4)]), "fuse_gemm_alpha")

# q x K^T of one decode step (M = 1, the perm swaps the last two axes): the
# MatMul reads k itself (b_transposed_matvec), the Transpose goes
save(model([h.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 2, 1]),
            h.make_node("MatMul", ["q", "kt"], ["y"], name="qk")],
           [vi("q", [2, 4, 1, 8]), vi("k", [4, 6, 8])], [vi("y", [2, 4, 1, 6])]), "fuse_matvec")
# three query rows (M = 3): not a matvec
save(model([h.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 2, 1]),
            h.make_node("MatMul", ["q", "kt"], ["y"], name="qk")],
           [vi("q", [4, 3, 8]), vi("k", [4, 6, 8])], [vi("y", [4, 3, 6])]), "fuse_matvec_rows")
# the transposed tensor has another reader: it must be made anyway
save(model([h.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 2, 1]),
            h.make_node("MatMul", ["q", "kt"], ["y"], name="qk"),
            h.make_node("Neg", ["kt"], ["z"], name="other")],
           [vi("q", [4, 1, 8]), vi("k", [4, 6, 8])], [vi("y", [4, 1, 6]), vi("z", [4, 8, 6])]),
     "fuse_matvec_shared")
# the perm moves a batch axis too ([D, H, T] -> [H, D, T]): no matvec
save(model([h.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[1, 0, 2]),
            h.make_node("MatMul", ["q", "kt"], ["y"], name="qk")],
           [vi("q", [4, 1, 8]), vi("k", [8, 4, 6])], [vi("y", [4, 1, 6])]), "fuse_matvec_perm")
# the transposed tensor is a graph output: no matvec
save(model([h.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 2, 1]),
            h.make_node("MatMul", ["q", "kt"], ["y"], name="qk")],
           [vi("q", [4, 1, 8]), vi("k", [4, 6, 8])], [vi("y", [4, 1, 6]), vi("kt", [4, 8, 6])]),
     "fuse_matvec_output")


# ---- a GPT-like decoder (what torch.onnx.export gives for a 2-layer GPT) ----
def gpt(T=16, D=32, H=4, V=40, L=2):
    nodes, inits = [], []
    dh = D // H
    inits += [w("wte", V, D), w("wpe", T, D), const("pos", np.arange(T, dtype=np.int64)[None]),
              const("c_two", np.array(2.0, np.float32)),
              const("c_eps", np.array(1e-5, np.float32)),
              const("c_scale", np.array(np.sqrt(dh), np.float32)),
              const("c_zero", np.array(0, np.int64)), const("c_one_i", np.array(1, np.int64)),
              const("ax0", np.array([0], np.int64)),
              const("c_H", np.array([H], np.int64)), const("c_dh", np.array([dh], np.int64)),
              const("c_D", np.array([D], np.int64)),
              const("ones_TT", np.ones((T, T), np.float32)),
              const("neg_inf", np.array(-1e9, np.float32))]
    nodes += [h.make_node("Gather", ["wte", "idx"], ["tok"], name="wte"),
              h.make_node("Gather", ["wpe", "pos"], ["pe"], name="wpe"),
              h.make_node("Add", ["tok", "pe"], ["h0"], name="embed"),
              # causal mask: Trilu of ones -> Equal 0 -> Where
              h.make_node("Trilu", ["ones_TT"], ["tril"], name="tril", upper=0),
              h.make_node("Cast", ["tril"], ["tril_b"], name="mask_cast", to=TP.BOOL),
              # dynamic shapes the exporter emits: batch and time from Shape
              h.make_node("Shape", ["idx"], ["ishape"], name="ishape"),
              h.make_node("Gather", ["ishape", "c_zero"], ["B"], name="getB", axis=0),
              h.make_node("Gather", ["ishape", "c_one_i"], ["Tn"], name="getT", axis=0),
              h.make_node("Unsqueeze", ["B", "ax0"], ["Bu"], name="Bu"),
              h.make_node("Unsqueeze", ["Tn", "ax0"], ["Tu"], name="Tu"),
              h.make_node("Concat", ["Bu", "Tu", "c_H", "c_dh"], ["heads_shape"], name="hs", axis=0),
              h.make_node("Concat", ["Bu", "Tu", "c_D"], ["merge_shape"], name="ms", axis=0)]
    x = "h0"
    for l in range(L):
        p = "l%d_" % l
        inits += ln_consts(p + "ln1_", D)[2:] + ln_consts(p + "ln2_", D)[2:]
        for q in ("ln1_", "ln2_"):
            inits += [const(p + q + "two", np.array(2.0, np.float32)),
                      const(p + q + "eps", np.array(1e-5, np.float32))]
        inits += [w(p + "wqkv", D, 3 * D), w(p + "bqkv", 3 * D), w(p + "wo", D, D), w(p + "bo", D),
                  w(p + "w1", D, 4 * D), w(p + "b1", 4 * D), w(p + "w2", 4 * D, D), w(p + "b2", D),
                  const(p + "split", np.array([D, D, D], np.int64))]
        inits += gelu_consts(p + "gelu_")
        nodes += ln_nodes(x, p + "a_in", p + "ln1_")
        nodes += [h.make_node("MatMul", [p + "a_in", p + "wqkv"], [p + "qkv0"], name=p + "qkv"),
                  h.make_node("Add", [p + "qkv0", p + "bqkv"], [p + "qkv"], name=p + "qkv_b"),
                  h.make_node("Split", [p + "qkv", p + "split"], [p + "q", p + "k", p + "v"],
                              name=p + "split", axis=2)]
        for t in "qkv":
            nodes += [h.make_node("Reshape", [p + t, "heads_shape"], [p + t + "4"], name=p + t + "_r"),
                      h.make_node("Transpose", [p + t + "4"], [p + t + "h"], name=p + t + "_t",
                                  perm=[0, 2, 3, 1] if t == "k" else [0, 2, 1, 3])]
        nodes += [h.make_node("MatMul", [p + "qh", p + "kh"], [p + "att0"], name=p + "qk"),
                  h.make_node("Div", [p + "att0", "c_scale"], [p + "att1"], name=p + "scale"),
                  h.make_node("Where", ["tril_b", p + "att1", "neg_inf"], [p + "att2"], name=p + "mask"),
                  h.make_node("Softmax", [p + "att2"], [p + "att"], name=p + "softmax", axis=-1),
                  h.make_node("MatMul", [p + "att", p + "vh"], [p + "y0"], name=p + "av"),
                  h.make_node("Transpose", [p + "y0"], [p + "y1"], name=p + "y_t", perm=[0, 2, 1, 3]),
                  h.make_node("Reshape", [p + "y1", "merge_shape"], [p + "y2"], name=p + "y_r"),
                  h.make_node("MatMul", [p + "y2", p + "wo"], [p + "o0"], name=p + "proj"),
                  h.make_node("Add", [p + "o0", p + "bo"], [p + "o1"], name=p + "proj_b"),
                  h.make_node("Add", [x, p + "o1"], [p + "r1"], name=p + "res1")]
        nodes += ln_nodes(p + "r1", p + "m_in", p + "ln2_")
        nodes += [h.make_node("MatMul", [p + "m_in", p + "w1"], [p + "f0"], name=p + "fc1"),
                  h.make_node("Add", [p + "f0", p + "b1"], [p + "f1"], name=p + "fc1_b")]
        nodes += gelu_nodes(p + "f1", p + "f2", p + "gelu_")
        nodes += [h.make_node("MatMul", [p + "f2", p + "w2"], [p + "f3"], name=p + "fc2"),
                  h.make_node("Add", [p + "f3", p + "b2"], [p + "f4"], name=p + "fc2_b"),
                  h.make_node("Add", [p + "r1", p + "f4"], [p + "r2"], name=p + "res2"),
                  h.make_node("Dropout", [p + "r2"], [p + "out"], name=p + "drop")]
        x = p + "out"
    inits += ln_consts("lnf_", D)
    nodes += ln_nodes(x, "hf", "lnf_")
    nodes += [h.make_node("Transpose", ["wte"], ["wteT"], name="tie", perm=[1, 0]),
              h.make_node("MatMul", ["hf", "wteT"], ["logits"], name="lm_head")]
    return model(nodes, [vi("idx", ["batch", T], TP.INT64)], [vi("logits", ["batch", T, V])],
                 inits, opset=14, name="gpt")


save(gpt(), "gpt")

# ---- broken models for the importer's error paths ----
def raw_model(g, opset=13):
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def one_node(op="Relu", inputs=("x",), outputs=("y",), inits=(), name="n0", **attrs):
    return h.make_graph([h.make_node(op, list(inputs), list(outputs), name=name, **attrs)], "g",
                        [vi("x", [2, 3])], [vi(outputs[0], [2, 3])], initializer=list(inits))


save(raw_model(one_node("FancyOp", name="fancy")), "unsupported_op")
# one node more than the importer's limit (XG_MAX_NODES = 65536): a chain of Relus
save(raw_model(h.make_graph([h.make_node("Relu", [f"t{i}"], [f"t{i + 1}"], name=f"r{i}")
                             for i in range(65537)], "long", [vi("t0", [1])],
                            [vi("t65537", [1])])), "too_many_nodes")
save(raw_model(one_node("Cast", name="tofloat64", to=TP.DOUBLE)), "unsupported_cast")
m = raw_model(one_node("Relu"))
m.graph.node[0].domain = "com.microsoft"
save(m, "bad_domain")
save(raw_model(one_node("Add", inputs=("x", ""), name="addmissing")), "missing_input")
save(raw_model(one_node("Add", inputs=("x", "nowhere"), name="addnowhere")), "unknown_input")
# a cycle: a -> b -> a
g = h.make_graph([h.make_node("Add", ["x", "b"], ["a"], name="cyc_a"),
                  h.make_node("Relu", ["a"], ["b"], name="cyc_b")], "g",
                 [vi("x", [2, 3])], [vi("b", [2, 3])])
save(raw_model(g), "cycle")
g = h.make_graph([h.make_node("Relu", ["x"], ["y"], name="r1"),
                  h.make_node("Neg", ["x"], ["y"], name="r2")], "g",
                 [vi("x", [2, 3])], [vi("y", [2, 3])])
save(raw_model(g), "dup_output")
# initializers: absurd dims, short raw data, unknown type, external data, float16
t = onnx.TensorProto(name="huge", data_type=TP.FLOAT, dims=[1 << 40, 1 << 40])
t.raw_data = b"\0" * 16
save(raw_model(one_node("Add", inputs=("x", "huge"), inits=[t])), "absurd_dims")
t = onnx.TensorProto(name="big", data_type=TP.FLOAT, dims=[1 << 20, 1 << 20])
t.raw_data = b"\0" * 16
save(raw_model(one_node("Add", inputs=("x", "big"), inits=[t])), "big_dims")
t = onnx.TensorProto(name="short", data_type=TP.FLOAT, dims=[2, 3])
t.raw_data = b"\0" * 20
save(raw_model(one_node("Add", inputs=("x", "short"), inits=[t])), "short_raw")
t = onnx.TensorProto(name="weird", data_type=99, dims=[2, 3])
t.raw_data = b"\0" * 24
save(raw_model(one_node("Add", inputs=("x", "weird"), inits=[t])), "unknown_dtype")
t = onnx.TensorProto(name="ext", data_type=TP.FLOAT, dims=[2, 3])
t.data_location = TP.EXTERNAL
e = t.external_data.add()
e.key, e.value = "location", "weights.bin"
save(raw_model(one_node("Add", inputs=("x", "ext"), inits=[t])), "external_data")
t = onnx.TensorProto(name="half", data_type=TP.FLOAT16, dims=[2, 3])
t.raw_data = b"\0" * 12
save(raw_model(one_node("Add", inputs=("x", "half"), inits=[t])), "float16_init")
# more attributes on one node than any operator has
save(raw_model(one_node("Relu", name="attrs", **{"a%d" % i: i for i in range(1100)})),
     "too_many_attrs")
# a rank beyond the IR's 8 dimensions
save(raw_model(h.make_graph([h.make_node("Relu", ["x"], ["y"], name="r")], "g",
                            [vi("x", [1] * 9)], [vi("y", [1] * 9)])), "rank9")
# a model whose symbolic dimension the caller must bind
save(model([h.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", ["seq", 3])],
           [vi("y", ["seq", 3])]), "symbolic")
