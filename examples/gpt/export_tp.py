# SPDX-License-Identifier: MIT
"""Export the trained tiny GPT split for tensor parallelism over P ranks.

Every layer is cut into four stages per rank, with an all-gather between
stages (the data each rank needs next is the concatenation of every rank's
output). Each rank computes whole output columns: attention for its H/P
heads, and its D/P (or 4D/P) columns of every projection, each output
element with the full K in the same order as the single-device graph. So a
rank's outputs are bit-identical to the same columns of prefill.onnx /
decode.onnx compiled for one device, which xpu-gpt-tp checks.

Megatron's split, beside it (mega-{prefill,decode}-*.onnx): embed (x);
attn<l>-r<r> (x, or the previous layer's x1 and all-reduced sum s) ->
part = rank r's heads times its rows of proj, xres = x, the cache of its
heads; mlp<l>-r<r> (xres, s) -> x1 = xres + s + proj bias, part = gelu(fc
columns of r) times its rows of fc_out; head (x1, s) -> logits. The parts
are all-reduced between stages: fewer collectives, but the partial sums
over devices round differently from one device's accumulation, so
xpu-gpt-tp checks it against its own CPU reference and bounds its drift.

  embed           ids [1,T] (prefill) | token [1,1], pos [1] (decode)
                  -> xg [P,T,D/P]  (x = wte + wpe, cut in column blocks)
  attn<l>-r<r>    xg -> o [1,T,D/P]: LN1, q/k/v of rank r's heads,
                  attention; the cache of those heads:
                  prefill -> present_k/v [1,H/P,T,d];
                  decode: past_k/v [H/P,CTX,d], mask, onehot -> present_k/v
  proj<l>-r<r>    og [P,T,D/P] (gathered o), xg -> x1 [1,T,D/P]:
                  x + proj(y), rank r's columns
  fc<l>-r<r>      x1g [P,T,D/P] -> u [1,T,4D/P]: gelu(fc(LN2(x1))), rank r's
                  columns
  fcout<l>-r<r>   ug [P,T,4D/P], x1g -> x2 [1,T,D/P]: x1 + fc_out(u), rank
                  r's columns; gathered, x2 is the next layer's xg
  head            xg -> logits [1,T,V] (LN_f, tied embedding; rank 0)

Files: OUTDIR/tp4/{prefill,decode}-<stage>.onnx, mega-*.onnx and export.log
(P = 4). The stages are composed by the numpy interpreter (onnx_numpy.py), all-gathers
done by numpy, and must reproduce ONNX_DIR's prefill.onnx and decode.onnx
(export.py's) on a random prompt and two decode steps to within 1e-4, else
it fails. Not bit for bit here: numpy's BLAS sums a matmul in an order that
depends on the CPU and on the matrix's width (OpenBLAS on an AMD EPYC gives
a 128-column slice of x @ W that differs from the same columns of the whole
product by 1e-5), so a column split can differ from the whole graph in the
last bits under numpy. The bit-identity of the exact split is xpu-gpt-tp's
check, on the device's arithmetic, whose order is fixed.

usage: export_tp.py MODEL_DIR ONNX_DIR OUTDIR    (MODEL_DIR/model.pt from
       train.py)
"""
import math
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
import onnx_numpy  # noqa: E402

D = M.DIM // M.HEADS


def gathered(xg):
    """[P, 1, T, c] (all-gathered column blocks) -> [1, T, P * c]"""
    p, _, t, c = xg.shape
    return xg.permute(1, 2, 0, 3).reshape(1, t, p * c)


class Embed(torch.nn.Module):
    def __init__(self, m, p, decode):
        super().__init__()
        self.m, self.p, self.decode = m, p, decode

    def forward(self, a, b=None):
        if self.decode:
            x = self.m.wte(a.reshape(1)) + self.m.wpe[b]      # [1, C]
            x = x.reshape(1, 1, M.DIM)
        else:
            x = self.m.wte(a) + self.m.wpe[:a.shape[1]]        # [1, T, C]
        t = x.shape[1]
        return x.reshape(1, t, self.p, M.DIM // self.p).permute(2, 0, 1, 3)


class Attn(torch.nn.Module):
    """Rank r's heads of layer l (the same ops as model.GPT, per head)."""

    def __init__(self, m, layer, p, r, decode):
        super().__init__()
        self.m, self.blk, self.decode = m, m.blocks[layer], decode
        self.hr = M.HEADS // p
        self.cols = slice(r * self.hr * D, (r + 1) * self.hr * D)

    def lin(self, lin, h):
        return F.linear(h, lin.weight[self.cols], lin.bias[self.cols])

    def forward(self, xg, *cache):
        blk, hr = self.blk, self.hr
        x = gathered(xg) if xg.dim() == 4 else xg  # gathered blocks, or x itself
        t = x.shape[1]
        scale = 1.0 / math.sqrt(D)
        if not self.decode:
            h = blk.ln1(x)
            q = (self.lin(blk.q, h) * scale).reshape(1, t, hr, D).transpose(1, 2)
            k = self.lin(blk.k, h).reshape(1, t, hr, D).transpose(1, 2)
            v = self.lin(blk.v, h).reshape(1, t, hr, D).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) + self.m.mask[:t, :t], dim=-1)
            y = (att @ v).transpose(1, 2).reshape(1, t, hr * D)
            return y, k, v
        past_k, past_v, mask, onehot = cache
        x = x.reshape(1, M.DIM)
        keep = 1.0 - onehot
        h = blk.ln1(x)
        q = (self.lin(blk.q, h) * scale).reshape(hr, 1, D)
        k_new = self.lin(blk.k, h).reshape(hr, 1, D)
        v_new = self.lin(blk.v, h).reshape(hr, 1, D)
        k = past_k * keep + k_new * onehot
        v = past_v * keep + v_new * onehot
        att = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)
        y = (att @ v).reshape(1, 1, hr * D)
        return y, k, v


class ColumnStage(torch.nn.Module):
    """residual[rank r's columns] + lin(in)[rank r's columns] (proj, fc_out),
    or gelu(fc(LN2(in)))[rank r's columns] (fc)."""

    def __init__(self, m, layer, p, r, kind, decode):
        super().__init__()
        self.blk, self.kind, self.r, self.decode = m.blocks[layer], kind, r, decode
        lin = {"proj": self.blk.proj, "fc": self.blk.fc, "fcout": self.blk.fc_out}[kind]
        n = lin.weight.shape[0] // p
        self.register_buffer("w", lin.weight[r * n:(r + 1) * n].detach().clone())
        self.register_buffer("b", lin.bias[r * n:(r + 1) * n].detach().clone())

    def forward(self, ing, res=None):
        x = gathered(ing)
        if self.decode:  # 2-D as in decode.onnx (Gemm)
            x = x.reshape(1, x.shape[2])
        if self.kind == "fc":
            return F.gelu(F.linear(self.blk.ln2(x), self.w, self.b))
        r = res[self.r]
        if self.decode:
            r = r.reshape(1, r.shape[2])
        return r + F.linear(x, self.w, self.b)


class Head(torch.nn.Module):
    def __init__(self, m, decode):
        super().__init__()
        self.m, self.decode = m, decode

    def forward(self, xg):
        x = gathered(xg)
        if self.decode:
            x = x.reshape(1, M.DIM)
        return self.m.ln_f(x) @ self.m.wte.weight.t()


class MegaAttn(torch.nn.Module):
    """Megatron: the residual x (the embedding, or the previous layer's x1 +
    its all-reduced fc_out sum + bias), then rank r's heads and its rows of
    proj: a partial sum over its slice of K (no bias: added after the
    all-reduce)."""

    def __init__(self, m, layer, p, r, decode):
        super().__init__()
        self.attn = Attn(m, layer, p, r, decode)
        self.first, self.decode = layer == 0, decode
        if not self.first:
            self.register_buffer("b_prev", m.blocks[layer - 1].fc_out.bias.detach().clone())
        cols = self.attn.cols
        self.register_buffer("w", m.blocks[layer].proj.weight[:, cols].detach().clone())

    def forward(self, xin, s, *cache):
        x = xin if self.first else xin + (s + self.b_prev)
        y, k, v = self.attn(x, *cache)
        part = F.linear(y.reshape(x.shape[:-1] + (-1,)), self.w)
        return part, x, k, v


class MegaMlp(torch.nn.Module):
    """Megatron: x1 = x + all-reduced proj sum + bias; rank r's fc columns,
    gelu, and its rows of fc_out: a partial sum."""

    def __init__(self, m, layer, p, r):
        super().__init__()
        blk = m.blocks[layer]
        self.blk = blk
        n = blk.fc.weight.shape[0] // p
        sl = slice(r * n, (r + 1) * n)
        self.register_buffer("b_proj", blk.proj.bias.detach().clone())
        self.register_buffer("w_fc", blk.fc.weight[sl].detach().clone())
        self.register_buffer("b_fc", blk.fc.bias[sl].detach().clone())
        self.register_buffer("w_out", blk.fc_out.weight[:, sl].detach().clone())

    def forward(self, x, s):
        x1 = x + (s + self.b_proj)
        u = F.gelu(F.linear(self.blk.ln2(x1), self.w_fc, self.b_fc))
        return x1, F.linear(u, self.w_out)


class MegaHead(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x1, s):
        x = x1 + (s + self.m.blocks[-1].fc_out.bias)
        return self.m.ln_f(x) @ self.m.wte.weight.t()


def export(mod, args, path, inputs, outputs):
    torch.onnx.export(mod, args, path, opset_version=17, input_names=inputs,
                      output_names=outputs, do_constant_folding=True)
    g = onnx.load(path)
    onnx.checker.check_model(g)
    return g


def stages(m, p, decode, out):
    """Export every stage of prefill (decode=False) or decode; returns
    {name: ModelProto}."""
    t = 1 if decode else M.CTX
    c, hr = M.DIM // p, M.HEADS // p
    kind = "decode" if decode else "prefill"
    g = {}

    def ex(name, mod, args, ins, outs):
        g[name] = export(mod, args, os.path.join(out, f"{kind}-{name}.onnx"), ins, outs)

    xg = torch.zeros(p, 1, t, c)
    if decode:
        ex("embed", Embed(m, p, True), (torch.zeros(1, 1, dtype=torch.long),
                                        torch.zeros(1, dtype=torch.long)),
           ["token", "pos"], ["xg"])
    else:
        ex("embed", Embed(m, p, False), (torch.zeros(1, t, dtype=torch.long),),
           ["ids"], ["xg"])
    for layer in range(M.LAYERS):
        for r in range(p):
            if decode:
                cache = torch.zeros(hr, M.CTX, D)
                ex(f"attn{layer}-r{r}", Attn(m, layer, p, r, True),
                   (xg, cache, cache, torch.zeros(1, M.CTX), torch.zeros(M.CTX, 1)),
                   ["xg", "past_k", "past_v", "mask", "onehot"],
                   ["o", "present_k", "present_v"])
            else:
                ex(f"attn{layer}-r{r}", Attn(m, layer, p, r, False), (xg,), ["xg"],
                   ["o", "present_k", "present_v"])
            ex(f"proj{layer}-r{r}", ColumnStage(m, layer, p, r, "proj", decode), (xg, xg),
               ["og", "xg"], ["x1"])
            ex(f"fc{layer}-r{r}", ColumnStage(m, layer, p, r, "fc", decode), (xg,), ["x1g"], ["u"])
            ex(f"fcout{layer}-r{r}", ColumnStage(m, layer, p, r, "fcout", decode),
               (torch.zeros(p, 1, t, 4 * c), xg), ["ug", "x1g"], ["x2"])
    ex("head", Head(m, decode), (xg,), ["xg"], ["logits"])
    return g


def mega_stages(m, p, decode, out):
    """Megatron's split (row-parallel proj and fc_out, two all-reduces per
    layer): files mega-{prefill,decode}-*.onnx."""
    t = 1 if decode else M.CTX
    hr = M.HEADS // p
    kind = "mega-decode" if decode else "mega-prefill"
    g = {}

    def ex(name, mod, args, ins, outs):
        g[name] = export(mod, args, os.path.join(out, f"{kind}-{name}.onnx"), ins, outs)

    x = torch.zeros(1, M.DIM) if decode else torch.zeros(1, t, M.DIM)
    if decode:
        ex("embed", Embed(m, 1, True), (torch.zeros(1, 1, dtype=torch.long),
                                        torch.zeros(1, dtype=torch.long)),
           ["token", "pos"], ["x"])
    else:
        ex("embed", Embed(m, 1, False), (torch.zeros(1, t, dtype=torch.long),), ["ids"], ["x"])
    for layer in range(M.LAYERS):
        first = layer == 0
        for r in range(p):
            ins = ["x"] if first else ["x1", "s"]
            args = (x, None) if first else (x, x)
            if decode:
                cache = torch.zeros(hr, M.CTX, D)
                args += (cache, cache, torch.zeros(1, M.CTX), torch.zeros(M.CTX, 1))
                ins += ["past_k", "past_v", "mask", "onehot"]
            ex(f"attn{layer}-r{r}", MegaAttn(m, layer, p, r, decode), args, ins,
               ["part", "xres", "present_k", "present_v"])
            ex(f"mlp{layer}-r{r}", MegaMlp(m, layer, p, r), (x, x), ["xres", "s"],
               ["x1", "part"])
    ex("head", MegaHead(m), (x, x), ["x1", "s"], ["logits"])
    return g


def run_mega(g, p, feeds, caches=None):
    """The Megatron stages composed with numpy all-reduces."""
    x = onnx_numpy.run(g["embed"], feeds)[0].reshape((1, -1) if caches is not None
                                                      else (1, M.CTX, M.DIM))
    x1 = s = None
    ks, vs = [], []
    hr = M.HEADS // p
    for layer in range(M.LAYERS):
        parts, xr, k, v = [], None, [], []
        for r in range(p):
            f = {"x": x} if layer == 0 else {"x1": x1, "s": s}
            if caches is not None:
                f.update(past_k=caches[0][layer, r * hr:(r + 1) * hr],
                         past_v=caches[1][layer, r * hr:(r + 1) * hr],
                         mask=feeds["mask"], onehot=feeds["onehot"])
            res = onnx_numpy.run(g[f"attn{layer}-r{r}"], f)
            parts.append(res[0])
            xr = res[1]
            k.append(res[2])
            v.append(res[3])
        s = sum(parts)
        outs = [onnx_numpy.run(g[f"mlp{layer}-r{r}"], {"xres": xr, "s": s}) for r in range(p)]
        x1, s = outs[0][0], sum(o[1] for o in outs)
        ax = 0 if caches is not None else 1
        ks.append(np.concatenate(k, ax))
        vs.append(np.concatenate(v, ax))
    logits = onnx_numpy.run(g["head"], {"x1": x1, "s": s})[0]
    if caches is None:
        return logits, np.concatenate(ks, 0), np.concatenate(vs, 0)
    return logits, np.stack(ks), np.stack(vs)


def run_tp(g, p, feeds, caches=None):
    """Compose the stages with numpy all-gathers; returns (logits, k, v) in
    the single-device graphs' layouts."""
    xg = onnx_numpy.run(g["embed"], feeds)[0]
    t = xg.shape[2]

    def gather(parts):  # what xpu_all_gather leaves on every rank
        return np.stack(parts).reshape(p, 1, t, -1)
    ks, vs = [], []
    for layer in range(M.LAYERS):
        o, k, v = [], [], []
        for r in range(p):
            f = {"xg": xg}
            if caches is not None:
                hr = M.HEADS // p
                f.update(past_k=caches[0][layer, r * hr:(r + 1) * hr],
                         past_v=caches[1][layer, r * hr:(r + 1) * hr],
                         mask=feeds["mask"], onehot=feeds["onehot"])
            res = onnx_numpy.run(g[f"attn{layer}-r{r}"], f)
            o.append(res[0])
            k.append(res[1])
            v.append(res[2])
        og = gather(o)
        x1g = gather([onnx_numpy.run(g[f"proj{layer}-r{r}"], {"og": og, "xg": xg})[0]
                        for r in range(p)])
        ug = gather([onnx_numpy.run(g[f"fc{layer}-r{r}"], {"x1g": x1g})[0]
                       for r in range(p)])
        xg = gather([onnx_numpy.run(g[f"fcout{layer}-r{r}"], {"ug": ug, "x1g": x1g})[0]
                       for r in range(p)])
        ax = 0 if caches is not None else 1
        ks.append(np.concatenate(k, ax))
        vs.append(np.concatenate(v, ax))
    logits = onnx_numpy.run(g["head"], {"xg": xg})[0]
    if caches is None:
        return logits, np.concatenate(ks, 0), np.concatenate(vs, 0)
    return logits, np.stack(ks), np.stack(vs)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: export_tp.py MODEL_DIR ONNX_DIR OUTDIR")
    mdir, full, out = sys.argv[1:4]
    p = 4  # xpu-gpt-tp's ranks
    if M.HEADS % p:
        sys.exit(f"export_tp.py: {p} ranks do not divide the {M.HEADS} heads")
    import export as E  # the single-device export's decode inputs
    tdir = os.path.join(out, f"tp{p}")
    os.makedirs(tdir, exist_ok=True)
    torch.manual_seed(0)
    m = M.GPT()
    m.load_state_dict(torch.load(os.path.join(mdir, "model.pt")))
    m.eval()
    with torch.no_grad():
        gp = stages(m, p, False, tdir)
        gd = stages(m, p, True, tdir)
        mp = mega_stages(m, p, False, tdir)
        md = mega_stages(m, p, True, tdir)
    full_p = onnx.load(os.path.join(full, "prefill.onnx"))
    full_d = onnx.load(os.path.join(full, "decode.onnx"))

    # the composed stages must compute what the single-device graphs do
    rng = np.random.default_rng(1)
    ids = rng.integers(1, M.VOCAB, (1, M.CTX)).astype(np.int64)
    worst, mworst = 0.0, 0.0
    pk, pv = None, None
    for pos in (None, M.CTX // 2, M.CTX - 1):
        if pos is None:
            feeds, caches = {"ids": ids}, None
            want = onnx_numpy.run(full_p, feeds)
            pk, pv = want[1], want[2]
        else:
            feeds, caches = E.decode_inputs(int(ids[0, pos]), pos, pk, pv), (pk, pv)
            want = onnx_numpy.run(full_d, feeds)
        got = run_tp(gp if pos is None else gd, p, feeds, caches)
        worst = max([worst] + [float(np.abs(a - b).max()) for a, b in zip(want, got)])
        got = run_mega(mp if pos is None else md, p, feeds, caches)
        mworst = max([mworst] + [float(np.abs(a - b).max()) for a, b in zip(want, got)])
    lines = [f"tp{p}: {len(gp)} prefill and {len(gd)} decode stage graphs; numpy run "
             f"composed with all-gathers vs the single-device graphs: max |diff| {worst:.2e}",
             f"tp{p}: Megatron split, {len(mp)} + {len(md)} graphs; composed with all-reduces: "
             f"max |diff| {mworst:.2e}"]
    print("\n".join(lines))
    if not worst <= 1e-4 or not mworst <= 1e-4:
        sys.exit("export_tp.py: the stages do not reproduce the single-device graphs")
    with open(os.path.join(tdir, "export.log"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
