#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Calibration inputs for the quantiser test (tests/quant/quant-test.sh).

Takes the first N images of the digits CSV that are not in the held-out
test set (test.bin of examples/cnn/train.py, format examples/cnn/classify.h),
so calibration never sees an image the accuracy is measured on, and writes
  OUT/calib-mlp.npz    input: [N, 1, 64]     (the digits MLP's input [1,64])
  OUT/calib-cnn.npz    input: [N, 1, 1, 8, 8] (the CNN's input [1,1,8,8])
  OUT/wrong-name.npz   image: [N, 1, 64]     (no array named like the input)
  OUT/wrong-shape.npz  input: [N, 1, 63]
Pixels are scaled by 1/16 as in training.

usage: make-calib.py digits.csv[.gz] test.bin OUTDIR [N]
"""
import gzip
import os
import struct
import sys

import numpy as np


def main():
    csv, test, out = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 256
    opener = gzip.open if csv.endswith(".gz") else open
    with opener(csv, "rt") as f:
        d = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = d[:, :64] / 16.0
    with open(test, "rb") as f:
        magic, _, nt, nin, _, _ = struct.unpack("<6I", f.read(24))
        if magic != 0x54534c43 or nin != 64:
            sys.exit(f"make-calib: {test} is not a digits test set")
        held = np.frombuffer(f.read(nt * nin * 4), "<f4").reshape(nt, nin)
    seen = {r.tobytes() for r in held}
    train = np.array([r for r in x if r.tobytes() not in seen][:n], np.float32)
    if len(train) < n:
        sys.exit(f"make-calib: only {len(train)} images outside the test set")
    os.makedirs(out, exist_ok=True)
    np.savez(os.path.join(out, "calib-mlp.npz"), input=train.reshape(n, 1, 64))
    np.savez(os.path.join(out, "calib-cnn.npz"), input=train.reshape(n, 1, 1, 8, 8))
    np.savez(os.path.join(out, "wrong-name.npz"), image=train.reshape(n, 1, 64))
    np.savez(os.path.join(out, "wrong-shape.npz"), input=train[:, :63].reshape(n, 1, 63))
    print(f"make-calib: {n} calibration images of {len(x)} ({nt} held out)")


if __name__ == "__main__":
    main()
