# SPDX-License-Identifier: MIT
"""The tiny character-level GPT of the XPU examples, and its text pipeline.

Shared by train.py (training on fortune-cookie text from Debian's `fortunes`
package) and export.py (two ONNX graphs: prefill and one-token decode with a
KV cache). Vocabulary: newline + printable ASCII (96 ids, fixed, so the C
demo needs no vocabulary file): id 0 = '\n', id i = chr(31 + i) for i >= 1.
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

CTX = 64
LAYERS = 2
DIM = 128
HEADS = 4
VOCAB = 96
FORTUNES = "/usr/share/games/fortunes"
# fixed list: plain English prose (no ASCII art, no Star Trek or Zippy
# jargon, nothing from the offensive-looking collections)
FORTUNE_FILES = ["computers", "cookie", "definitions", "education", "food", "fortunes",
                 "goedel", "humorists", "kids", "law", "linux", "literature", "love",
                 "magic", "medicine", "miscellaneous", "news", "people", "pets",
                 "platitudes", "politics", "science", "songs-poems", "sports", "wisdom", "work"]


def encode_char(c):
    if c == "\n":
        return 0
    o = ord(c)
    return o - 31 if 32 <= o <= 126 else None


def decode_id(i):
    return "\n" if i == 0 else chr(31 + i)


def load_text(root=FORTUNES):
    """All fortunes of FORTUNE_FILES, tabs as spaces, other characters outside
    the vocabulary dropped, one blank line between fortunes."""
    parts = []
    for name in FORTUNE_FILES:
        with open(os.path.join(root, name), "rb") as f:
            raw = f.read().decode("utf-8", errors="replace")
        for fortune in raw.split("\n%\n"):
            t = fortune.replace("\t", "    ").strip("\n%")
            t = "".join(c for c in t if encode_char(c) is not None)
            if t.strip():
                parts.append(t)
    return "\n\n".join(parts) + "\n"


def data_files(root=FORTUNES):
    return [os.path.join(root, n) for n in FORTUNE_FILES]


def encode(text):
    return [encode_char(c) for c in text]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(DIM)
        # three projections (not one fused qkv) so that the export is plain
        # MatMul + Add per projection, with no Split
        self.q = nn.Linear(DIM, DIM)
        self.k = nn.Linear(DIM, DIM)
        self.v = nn.Linear(DIM, DIM)
        self.proj = nn.Linear(DIM, DIM)
        self.ln2 = nn.LayerNorm(DIM)
        self.fc = nn.Linear(DIM, 4 * DIM)
        self.fc_out = nn.Linear(4 * DIM, DIM)

    def mlp(self, x):
        return self.fc_out(F.gelu(self.fc(x)))  # exact (erf) GELU


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, DIM)
        self.wpe = nn.Parameter(torch.zeros(CTX, DIM))
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(DIM)
        # additive causal mask, a constant (no Trilu/Where in the export)
        mask = torch.full((CTX, CTX), -1e9).triu(1)
        self.register_buffer("mask", mask, persistent=False)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe, std=0.02)
        for b in self.blocks:
            for lin in (b.q, b.k, b.v, b.proj, b.fc, b.fc_out):
                nn.init.normal_(lin.weight, std=0.02)
                nn.init.zeros_(lin.bias)
            nn.init.normal_(b.proj.weight, std=0.02 / math.sqrt(2 * LAYERS))
            nn.init.normal_(b.fc_out.weight, std=0.02 / math.sqrt(2 * LAYERS))

    def heads(self, x):  # [B, T, C] -> [B, H, T, D]
        b, t, _ = x.shape
        return x.reshape(b, t, HEADS, DIM // HEADS).transpose(1, 2)

    def forward(self, idx, return_kv=False):
        """idx [B, T] (T <= CTX) -> logits [B, T, V] (and the K/V of every
        layer, [B, H, T, D] each, when return_kv)."""
        b, t = idx.shape
        x = self.wte(idx) + self.wpe[:t]
        ks, vs = [], []
        scale = 1.0 / math.sqrt(DIM // HEADS)
        for blk in self.blocks:
            h = blk.ln1(x)
            q = self.heads(blk.q(h) * scale)
            k = self.heads(blk.k(h))
            v = self.heads(blk.v(h))
            ks.append(k)
            vs.append(v)
            att = torch.softmax(q @ k.transpose(-1, -2) + self.mask[:t, :t], dim=-1)
            y = (att @ v).transpose(1, 2).reshape(b, t, DIM)
            x = x + blk.proj(y)
            x = x + blk.mlp(blk.ln2(x))
        logits = self.ln_f(x) @ self.wte.weight.t()
        if return_kv:
            return logits, ks, vs
        return logits

    def decode_step(self, token, pos, mask, onehot, past_k, past_v):
        """One new token with a KV cache (what decode.onnx computes).
        token [1,1] int64, pos [1] int64, mask [1,CTX] additive fp32,
        onehot [CTX,1] fp32 (1 at pos), past_k/past_v [L,H,CTX,D].
        -> logits [1,V], present_k, present_v [L,H,CTX,D]."""
        d = DIM // HEADS
        x = self.wte(token.reshape(1)) + self.wpe[pos]          # [1, C]
        scale = 1.0 / math.sqrt(d)
        keep = 1.0 - onehot
        pk, pv = [], []
        for i, blk in enumerate(self.blocks):
            h = blk.ln1(x)
            q = (blk.q(h) * scale).reshape(HEADS, 1, d)
            k_new = blk.k(h).reshape(HEADS, 1, d)
            v_new = blk.v(h).reshape(HEADS, 1, d)
            k = past_k[i] * keep + k_new * onehot                 # [H, CTX, D]
            v = past_v[i] * keep + v_new * onehot
            pk.append(k.unsqueeze(0))
            pv.append(v.unsqueeze(0))
            att = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)  # [H, 1, CTX]
            y = (att @ v).reshape(1, DIM)                         # heads are contiguous
            x = x + blk.proj(y)
            x = x + blk.mlp(blk.ln2(x))
        logits = self.ln_f(x) @ self.wte.weight.t()
        return logits, torch.cat(pk, 0), torch.cat(pv, 0)
