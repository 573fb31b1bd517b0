#!/bin/sh
# SPDX-License-Identifier: MIT
# The `make run` demo, run inside the guest.
echo
echo "== the driver: lsmod, /dev/accel"
lsmod | grep -E '^(xpu|drm|gpu_sched) '
ls -l /dev/accel
echo
echo "== xpu-smi"
xpu-smi
echo
echo "== xpu-matmul-demo: 1024x1024x1024 int8 on the systolic array, checked against the CPU"
xpu-matmul-demo || exit 1
echo
echo "== xpu-digits: a quantised MLP classifying sklearn's handwritten digits"
xpu-digits || exit 1
echo
echo "== xpu-smi after the demo (utilisation from the device's counters)"
xpu-smi
echo
echo "== xpu-gpt: a character-level GPT (PyTorch -> ONNX -> xpu-cc) trained at build time on"
echo "   fortune cookies, generating greedily with its KV cache on the device"
xpu-gpt --prompt "The best way to" || exit 1
echo
echo "== xpu-tensor-parallel: an int8 matmul split along K over the 4 XPUs, partial products"
echo "   all-reduced over the chip-to-chip links, checked against one device"
xpu-tensor-parallel || exit 1
echo
echo "== xpu-gpt-tp: the GPT's layers split over the 4 XPUs, two ways: each rank one head and"
echo "   a quarter of every projection's columns with all-gathers (checked bit for bit against"
echo "   one XPU), and Megatron's row-parallel split with all-reduces (checked against its CPU"
echo "   reference; its drift from one XPU measured)"
xpu-gpt-tp --prompt "The best way to" || exit 1
