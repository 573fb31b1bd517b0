#!/bin/sh
# SPDX-License-Identifier: MIT
# The guest half of `make bench` (tools/xpu-bench boots the VM with --nvme):
# each program measures one figure against its reference in this same boot
# and prints its 'bench: NAME = RATIOx (goal OP V) [raw figures]' line.
# --smoke: small sizes (the make check stage that keeps the bench from
# rotting). A program that is missing or fails prints a 'bench-error:' line.
rc=0
for p in xpu-latency-bench xpu-upload-bench xpu-dma-bench; do
	echo "== guest: $p $*"
	if ! command -v "$p" >/dev/null; then
		echo "bench-error: $p: not in the image"
		rc=1
		continue
	fi
	"$p" "$@" || { echo "bench-error: $p: exit status $?"; rc=1; }
done
exit $rc
