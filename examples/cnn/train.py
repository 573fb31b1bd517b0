# SPDX-License-Identifier: MIT
"""Train two digit classifiers with PyTorch on sklearn's handwritten digits
(8x8 images, the data examples/digits uses) and export them to ONNX for
xpu-cc:

  cnn/model.onnx     Conv(1->16,3x3) Relu MaxPool(2) Conv(16->32,3x3) Relu
                     GlobalAveragePool Flatten Gemm(32->10); input [1,1,8,8]
  digits-onnx/model.onnx  the MLP of examples/digits (64-32-10, ReLU), trained
                     here in float with PyTorch (examples/digits trains its
                     own copy in C and quantises it to int8); input [1,64]

Each directory also gets test.bin: the held-out split with PyTorch's fp32
logits (format: examples/cnn/classify.h). Inputs are pixels / 16 in fp32.
Deterministic: fixed seed, one thread; an 80/20 split by a seeded shuffle.
The exported graphs are checked with onnx.checker and run by the numpy
interpreter of examples/gpt/onnx_numpy.py against PyTorch.

usage: train.py digits.csv[.gz] OUTDIR
"""
import os

# one BLAS/OpenMP thread: on a small shared machine, 2-thread barriers stall
# (measured here: 8 s vs 71 s per 100 GPT training steps)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import struct
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpt"))
import onnx_numpy  # noqa: E402

SEED = 20261130
MAGIC = 0x54534c43  # "CLST"


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.relu(self.c2(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(64, 32)
        self.l2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)))


def load(path):
    d = np.loadtxt(path, delimiter=",", dtype=np.float32)
    x, y = d[:, :64] / 16.0, d[:, 64].astype(np.int64)
    perm = np.random.RandomState(SEED).permutation(len(x))
    n_train = len(x) * 4 // 5
    return x[perm[:n_train]], y[perm[:n_train]], x[perm[n_train:]], y[perm[n_train:]]


def fit(model, x, y, epochs, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(SEED)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 32):
            b = perm[i:i + 32]
            loss = F.cross_entropy(model(x[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return loss.item()


LOG = []


def export(model, shape, xt, yt, out, name):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(shape), path, opset_version=17,
                          input_names=["input"], output_names=["logits"])
        logits = model(torch.from_numpy(xt).reshape((-1,) + shape[1:])).numpy()
    g = onnx.load(path)
    onnx.checker.check_model(g)
    ops = sorted({n.op_type for n in g.graph.node})
    nparams = sum(p.numel() for p in model.parameters())
    acc = float((logits.argmax(1) == yt).mean())
    worst = 0.0
    for i in range(len(xt)):
        got = onnx_numpy.run(g, {"input": xt[i].reshape(shape)})[0]
        worst = max(worst, float(np.abs(got - logits[i]).max()))
    LOG.append(f"{name}: {nparams} parameters, ops {' '.join(ops)}, held-out accuracy "
          f"{100 * acc:.1f}% ({len(xt)} images), numpy vs PyTorch max diff {worst:.1e}")
    print(LOG[-1], flush=True)
    if worst > 1e-4:
        sys.exit(f"{name}: the exported graph does not reproduce the model")
    with open(os.path.join(out, "test.bin"), "wb") as f:
        f.write(struct.pack("<6I", MAGIC, 1, len(xt), 64, 10, 0))
        f.write(xt.astype("<f4").tobytes())
        f.write(yt.astype(np.uint8).tobytes())
        f.write(bytes(-len(yt) % 4))
        f.write(logits.astype("<f4").tobytes())


def main():
    csv, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    x, y, xt, yt = load(csv)
    torch.manual_seed(SEED)
    cnn = CNN()
    fit(cnn, x.reshape(-1, 1, 8, 8), y, 30, 3e-3)
    export(cnn, (1, 1, 8, 8), xt, yt, os.path.join(out, "cnn"), "cnn")
    torch.manual_seed(SEED)
    mlp = MLP()
    fit(mlp, x, y, 60, 3e-3)
    export(mlp, (1, 64), xt, yt, os.path.join(out, "digits-onnx"), "digits-mlp")
    with open(os.path.join(out, "classifiers.log"), "w") as f:
        f.write("\n".join(LOG) + "\n")


if __name__ == "__main__":
    main()
