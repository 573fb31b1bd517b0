# SPDX-License-Identifier: MIT
"""Export the trained tiny GPT to ONNX (opset 17, static shapes) for xpu-cc.

  prefill.onnx  ids [1,CTX] int64 (a prompt padded to CTX; the caller reads
                the logits at position len-1)
                -> logits [1,CTX,V], present_k, present_v [L,H,CTX,D]
  decode.onnx   token [1,1] int64, pos [1] int64, mask [1,CTX] fp32 (0 for
                positions <= pos, -1e9 after), onehot [CTX,1] fp32 (1 at pos),
                past_k, past_v [L,H,CTX,D]
                -> logits [1,V], present_k, present_v (the cache with row pos
                written as cache*(1-onehot) + new*onehot)
  eval.bin      held-out windows with PyTorch's fp32 logits, for the
                top-1 agreement check of xpu-gpt --check (format: gpt-eval.h)

Before writing, the exported graphs are checked with onnx.checker, their op
types listed, and run by a small numpy interpreter (onnx_numpy.py) against
PyTorch: prefill + teacher-forced decode steps must reproduce the full
forward's logits.

usage: export.py MODEL_DIR OUTDIR    (MODEL_DIR/model.pt from train.py)
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
import onnx_numpy  # noqa: E402
import train  # noqa: E402

EVAL_WINDOWS = 8      # 8 x 64 = 512 held-out positions
EVAL_SPLIT = 32       # prefill the first 32 tokens, decode the other 32
EVAL_MAGIC = 0x45545047  # "GPTE"
D = M.DIM // M.HEADS
CACHE = [M.LAYERS, M.HEADS, M.CTX, D]


class Prefill(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, ids):
        logits, ks, vs = self.m(ids, return_kv=True)
        return logits, torch.cat(ks, 0), torch.cat(vs, 0)


class Decode(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, token, pos, mask, onehot, past_k, past_v):
        return self.m.decode_step(token, pos, mask, onehot, past_k, past_v)


def decode_inputs(tok, pos, past_k, past_v):
    mask = np.where(np.arange(M.CTX) <= pos, 0.0, -1e9).astype(np.float32).reshape(1, M.CTX)
    onehot = (np.arange(M.CTX) == pos).astype(np.float32).reshape(M.CTX, 1)
    return {"token": np.array([[tok]], np.int64), "pos": np.array([pos], np.int64),
            "mask": mask, "onehot": onehot, "past_k": past_k, "past_v": past_v}


LOG = []


def say(msg):
    print(msg, flush=True)
    LOG.append(msg)


def export(mod, args, path, inputs, outputs):
    torch.onnx.export(mod, args, path, opset_version=17, input_names=inputs,
                      output_names=outputs, do_constant_folding=True)
    g = onnx.load(path)
    onnx.checker.check_model(g)
    ops = sorted({n.op_type for n in g.graph.node})
    counts = {o: sum(n.op_type == o for n in g.graph.node) for o in ops}
    say(f"{os.path.basename(path)}: {len(g.graph.node)} nodes: "
          + " ".join(f"{o}x{c}" for o, c in counts.items()))
    return g


def main():
    mdir, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    m = M.GPT()
    m.load_state_dict(torch.load(os.path.join(mdir, "model.pt")))
    m.eval()
    ids = torch.zeros(1, M.CTX, dtype=torch.long)
    past = torch.zeros(CACHE)
    dec = decode_inputs(0, 0, past.numpy(), past.numpy())
    with torch.no_grad():
        gp = export(Prefill(m), (ids,), os.path.join(out, "prefill.onnx"), ["ids"],
                    ["logits", "present_k", "present_v"])
        gd = export(Decode(m), tuple(torch.from_numpy(v) for v in dec.values()),
                    os.path.join(out, "decode.onnx"), list(dec.keys()),
                    ["logits", "present_k", "present_v"])

    # held-out windows and PyTorch's fp32 logits for them
    _, held = train.split_data()
    step = (len(held) - M.CTX) // EVAL_WINDOWS
    toks = torch.stack([held[i * step:i * step + M.CTX] for i in range(EVAL_WINDOWS)])
    with torch.no_grad():
        ref = m(toks).numpy().astype(np.float32)          # [W, CTX, V]

    # the exported graphs, run by numpy, must reproduce the full forward:
    # prefill of the first EVAL_SPLIT tokens, then teacher-forced decode steps
    worst, agree, total = 0.0, 0, 0
    for w in range(EVAL_WINDOWS):
        t = toks[w].numpy()
        padded = np.zeros((1, M.CTX), np.int64)
        padded[0, :EVAL_SPLIT] = t[:EVAL_SPLIT]
        lg, pk, pv = onnx_numpy.run(gp, {"ids": padded})
        got = [lg[0, p] for p in range(EVAL_SPLIT)]
        for p in range(EVAL_SPLIT, M.CTX):
            lg, pk, pv = onnx_numpy.run(gd, decode_inputs(int(t[p]), p, pk, pv))
            got.append(lg[0])
        got = np.stack(got)
        worst = max(worst, float(np.abs(got - ref[w]).max()))
        agree += int((got.argmax(-1) == ref[w].argmax(-1)).sum())
        total += M.CTX
    say(f"numpy run of the ONNX graphs vs PyTorch: max |logit diff| {worst:.2e}, "
          f"top-1 agreement {agree}/{total}")
    if worst > 1e-3 or agree != total:
        sys.exit("export.py: the exported graphs do not reproduce the model")

    with open(os.path.join(out, "eval.bin"), "wb") as f:
        f.write(struct.pack("<6I", EVAL_MAGIC, 1, EVAL_WINDOWS, M.CTX, M.VOCAB, EVAL_SPLIT))
        f.write(toks.numpy().astype("<i4").tobytes())
        f.write(ref.astype("<f4").tobytes())
    say(f"eval.bin: {EVAL_WINDOWS} held-out windows of {M.CTX} ({EVAL_WINDOWS * M.CTX} positions)")
    with open(os.path.join(out, "export.log"), "w") as f:
        f.write("\n".join(LOG) + "\n")


if __name__ == "__main__":
    main()
