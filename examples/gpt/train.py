# SPDX-License-Identifier: MIT
"""Train the tiny GPT (model.py) on fortune-cookie text, deterministically.

Data: the fortunes of model.FORTUNE_FILES (Debian's `fortunes` package),
character level; the last 5% of the text is held out for evaluation. Fixed
seed, one thread (see below), AdamW with warm-up and cosine decay, a fixed
number of steps (no wall-clock budget, so every run gives the same model:
the build caches it under a hash of this script, model.py and the data).

usage: train.py OUTDIR   -> OUTDIR/model.pt, OUTDIR/train.log
"""
import os

# one BLAS/OpenMP thread: on a small shared machine, 2-thread barriers stall
# (measured here: 8 s vs 71 s per 100 GPT training steps)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import math
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402

STEPS = 2000
BATCH = 32
LR = 6e-3
WARMUP = 50
SEED = 20261130


def split_data():
    ids = torch.tensor(M.encode(M.load_text()), dtype=torch.long)
    n_train = int(len(ids) * 0.95)
    return ids[:n_train], ids[n_train:]


def batch(data, gen, n=BATCH):
    ix = torch.randint(len(data) - M.CTX - 1, (n,), generator=gen)
    x = torch.stack([data[i:i + M.CTX] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + M.CTX] for i in ix])
    return x, y


@torch.no_grad()
def evaluate(model, data, windows=200):
    """Mean cross-entropy over `windows` evenly spaced full windows."""
    model.eval()
    step = (len(data) - M.CTX - 1) // windows
    xs = torch.stack([data[i * step:i * step + M.CTX] for i in range(windows)])
    ys = torch.stack([data[i * step + 1:i * step + 1 + M.CTX] for i in range(windows)])
    loss = F.cross_entropy(model(xs).reshape(-1, M.VOCAB), ys.reshape(-1)).item()
    model.train()
    return loss


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    train, held = split_data()
    gen = torch.Generator().manual_seed(SEED)
    model = M.GPT()
    nparams = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.99), weight_decay=0.01)
    log = open(os.path.join(out, "train.log"), "w")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n")

    say(f"gpt: {nparams} parameters, {len(train)} training / {len(held)} held-out characters, "
        f"{STEPS} steps of {BATCH}x{M.CTX}")
    t0 = time.time()
    avg = None
    for step in range(STEPS):
        decay = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / STEPS))
        lr = LR * min(1.0, (step + 1) / WARMUP) * decay
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch(train, gen)
        loss = F.cross_entropy(model(x).reshape(-1, M.VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        if step % 100 == 0 or step == STEPS - 1:
            say(f"step {step:5d}  loss {avg:.3f}  lr {lr:.2e}  {time.time() - t0:.0f} s")
    secs = time.time() - t0
    held_loss = evaluate(model, held)
    train_loss = evaluate(model, train)
    say(f"trained in {secs:.0f} s: train loss {train_loss:.3f}, held-out loss {held_loss:.3f} "
        f"({nparams} parameters)")
    torch.save(model.state_dict(), os.path.join(out, "model.pt"))
    log.close()


if __name__ == "__main__":
    main()
