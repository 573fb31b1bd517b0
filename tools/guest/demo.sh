#!/bin/sh
# SPDX-License-Identifier: MIT
# The `make run` demo, run inside the guest.
echo
echo "== lsmod | grep xpu"
lsmod | grep -E '^(xpu|drm|gpu_sched) '
echo
echo "== ls -l /dev/accel"
ls -l /dev/accel
echo
echo "== xpu-smi"
xpu-smi
