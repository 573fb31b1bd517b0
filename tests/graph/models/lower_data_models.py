#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Test models of the data-movement operators (tests/graph/lower_data_test.c).

Writes into DIR (argv[1]): lower_data_<case>.onnx, its inputs
<case>.in<K>.bin and the outputs numpy computes <case>.out<K>.bin (raw
little-endian, dense row-major, K = position in the model's input/output
list), and lower_data_manifest.txt with one line per case:
"<case> <num_inputs> <num_outputs> <ok|error>" ("error": the run must fail,
e.g. an out-of-range Gather index). Random data from a fixed seed.
"""
import os
import sys

try:
    import numpy as np
    from onnx import helper

    from case_files import const, write_case
except ImportError:
    # Debian's python3-onnx is for /usr/bin/python3; another python3 may come
    # first in PATH (pyenv, venv)
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and \
            os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
rng = np.random.default_rng(20261130)
manifest = []

def save(case, nodes, inputs, outputs, inits=(), status="ok"):
    """inputs: [(name, array)], outputs: [(name, expected array)]"""
    write_case(OUT, "lower_data", case, nodes, inputs, outputs, inits)
    manifest.append("%s %d %d %s" % (case, len(inputs), len(outputs), status))


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# attention head split / merge: Reshape + 4-D transposes
x = f32(2, 8, 64)
h = x.reshape(2, 8, 4, 16).transpose(0, 2, 1, 3)
save("attention",
     [helper.make_node("Reshape", ["x", "s4"], ["xr"], name="split_heads"),
      helper.make_node("Transpose", ["xr"], ["q"], perm=[0, 2, 1, 3], name="to_bhsd"),
      helper.make_node("Transpose", ["q"], ["kt"], perm=[0, 1, 3, 2], name="k_transposed"),
      helper.make_node("Transpose", ["q"], ["m"], perm=[0, 2, 1, 3], name="merge_heads"),
      helper.make_node("Reshape", ["m", "s3"], ["y"], name="merge_reshape")],
     [("x", x)], [("kt", h.transpose(0, 1, 3, 2)), ("y", x)],
     [const("s4", np.array([2, 8, 4, 16], np.int64)), const("s3", np.array([2, 8, 64], np.int64))])

# rank-5 transposes, float and int32
a = f32(2, 3, 4, 5, 6)
b = rng.integers(-1000, 1000, (3, 1, 4, 2, 5)).astype(np.int32)
save("transpose5d",
     [helper.make_node("Transpose", ["a"], ["at"], perm=[4, 1, 3, 0, 2]),
      helper.make_node("Transpose", ["b"], ["bt"], perm=[2, 0, 4, 3, 1]),
      helper.make_node("Transpose", ["a"], ["ar"])],
     [("a", a), ("b", b)],
     [("at", a.transpose(4, 1, 3, 0, 2)), ("bt", b.transpose(2, 0, 4, 3, 1)),
      ("ar", a.transpose())])

# Slice with positive, negative and clamped parameters
x = f32(6, 10, 8)
big = np.iinfo(np.int64).max
save("slice",
     [helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"]),
      helper.make_node("Slice", ["x", "st2", "en2"], ["z"]),
      helper.make_node("Slice", ["x", "st3", "en3", "ax3"], ["w"])],
     [("x", x)],
     [("y", x[1:5:2, 9:0:-2, 0:8:3]), ("z", x[2:big, -3:big, 1:-1]), ("w", x[:, :, 2:5])],
     [const("st", np.array([1, -1, 0], np.int64)), const("en", np.array([5, -10, 8], np.int64)),
      const("ax", np.array([0, 1, 2], np.int64)), const("sp", np.array([2, -2, 3], np.int64)),
      const("st2", np.array([2, -3, 1], np.int64)),
      const("en2", np.array([big, big, -1], np.int64)),
      const("st3", np.array([2], np.int64)), const("en3", np.array([5], np.int64)),
      const("ax3", np.array([-1], np.int64))])

# Concat, Split (sizes from a constant and equal), Expand
p = f32(2, 3, 4)
q = f32(2, 5, 4)
c = np.concatenate([p, q], axis=1)
r = f32(4, 6)
e = f32(3, 1, 5)
save("concat_split_expand",
     [helper.make_node("Concat", ["p", "q"], ["c"], axis=1),
      helper.make_node("Split", ["c", "sizes"], ["c0", "c1"], axis=2),
      helper.make_node("Split", ["r"], ["r0", "r1"], axis=0),
      helper.make_node("Expand", ["e", "eshape"], ["ex"]),
      helper.make_node("Concat", ["c", "c"], ["cc"], axis=-1)],
     [("p", p), ("q", q), ("r", r), ("e", e)],
     [("c0", c[:, :, :1]), ("c1", c[:, :, 1:]), ("r0", r[:2]), ("r1", r[2:]),
      ("ex", np.broadcast_to(e, (2, 3, 4, 5)).copy()), ("cc", np.concatenate([c, c], -1))],
     [const("sizes", np.array([1, 3], np.int64)), const("eshape", np.array([2, 3, 4, 5], np.int64))])

# Gather: embedding lookup (run-time int64 ids, negative ones too), run-time
# int32 indices on axis 1, constant indices on axis 1
emb = f32(50, 16)
ids = np.array([[3, 0, 49, -1, 7, 7, 12], [-50, 1, 2, 3, 4, 5, 48]], np.int64)
d = f32(3, 9, 2)
i32 = np.array([8, -9, 4, 4], np.int32)
x = f32(4, 10, 3)
ci = np.array([9, 0, 3, 4, 5], np.int64)
save("gather",
     [helper.make_node("Gather", ["emb", "ids"], ["tok"], axis=0, name="wte"),
      helper.make_node("Gather", ["d", "i32"], ["g1"], axis=1),
      helper.make_node("Gather", ["x", "ci"], ["g2"], axis=1),
      helper.make_node("Gather", ["x", "c0"], ["g3"], axis=0)],
     [("ids", ids), ("d", d), ("i32", i32), ("x", x)],
     [("tok", emb[ids]), ("g1", np.take(d, i32, axis=1)), ("g2", np.take(x, ci, axis=1)),
      ("g3", x[1])],
     [const("emb", emb), const("ci", ci), const("c0", np.array(1, np.int64))])

# the views: Squeeze / Unsqueeze / Flatten / Identity between graph I/O
x = f32(1, 3, 1, 4)
save("views",
     [helper.make_node("Squeeze", ["x", "sq"], ["s"]),
      helper.make_node("Unsqueeze", ["s", "uq"], ["u"]),
      helper.make_node("Flatten", ["u"], ["f"], axis=1),
      helper.make_node("Transpose", ["f"], ["ft"]),
      helper.make_node("Identity", ["ft"], ["y"])],
     [("x", x)], [("y", x.reshape(3, 4).T.copy())],
     [const("sq", np.array([0, 2], np.int64)), const("uq", np.array([1], np.int64))])

# a KV cache step: new keys split into heads and appended to the past ones
past = f32(1, 4, 5, 8)
new = f32(1, 3, 32)
present = np.concatenate([past, new.reshape(1, 3, 4, 8).transpose(0, 2, 1, 3)], axis=2)
save("kv_cache",
     [helper.make_node("Reshape", ["new", "s4"], ["nr"]),
      helper.make_node("Transpose", ["nr"], ["nt"], perm=[0, 2, 1, 3]),
      helper.make_node("Concat", ["past", "nt"], ["present"], axis=2),
      helper.make_node("Slice", ["present", "st", "en", "ax"], ["window"]),
      helper.make_node("Transpose", ["window"], ["wt"], perm=[0, 1, 3, 2])],
     [("past", past), ("new", new)],
     [("present", present), ("wt", present[:, :, -4:, :].transpose(0, 1, 3, 2))],
     [const("s4", np.array([1, 3, 4, 8], np.int64)), const("st", np.array([-4], np.int64)),
      const("en", np.array([big], np.int64)), const("ax", np.array([2], np.int64))])

# an out-of-range run-time index: the run must fail (ONNX: an error)
bad = np.array([[3, 50]], np.int64)
save("gather_oob",
     [helper.make_node("Gather", ["emb", "ids"], ["tok"], axis=0, name="wte_oob")],
     [("ids", bad)], [("tok", np.zeros((1, 2, 16), np.float32))], [const("emb", emb)],
     status="error")

with open(os.path.join(OUT, "lower_data_manifest.txt"), "w") as f:
    f.write("\n".join(manifest) + "\n")
