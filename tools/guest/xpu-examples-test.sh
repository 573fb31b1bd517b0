#!/bin/sh
# SPDX-License-Identifier: MIT
# The examples as a test, TAP on stdout: the digits classifier must match
# its CPU reference exactly and reach 90% held-out accuracy; the matmul demo
# must match the CPU; hello must run; the tensor-parallel demo's devices must
# all equal the single-device result (4 host chips, or the guest's XPUs). Used in the guest (DRM backend) and on
# the host (--host: libxpu's host backend).
#   examples-test.sh [--host] [BINDIR]
host=""
[ "$1" = "--host" ] && { host="--host"; shift; }
bin=${1:-}
[ -n "$bin" ] && bin="$bin/"
tag=${host:+host.}
echo "TAP version 13"
echo "1..4"
out=$("${bin}xpu-digits" $host 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
acc=$(echo "$out" | sed -n 's/.*held-out accuracy: \([0-9]*\)\..*/\1/p' | head -1)
if [ $rc = 0 ] && echo "$out" | grep -q "identical: OK" && [ "${acc:-0}" -ge 90 ]; then
	echo "ok 1 ${tag}examples.digits_accuracy_and_cpu_reference"
else
	echo "not ok 1 ${tag}examples.digits_accuracy_and_cpu_reference"
fi
out=$("${bin}xpu-matmul-demo" $host 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc = 0 ] && echo "$out" | grep -q "check against the CPU: OK"; then
	echo "ok 2 ${tag}examples.matmul_1024_cube_matches_cpu"
else
	echo "not ok 2 ${tag}examples.matmul_1024_cube_matches_cpu"
fi
out=$("${bin}xpu-hello" $host 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc = 0 ]; then echo "ok 3 ${tag}examples.hello"; else echo "not ok 3 ${tag}examples.hello"; fi
ndev=4
[ -z "$host" ] && ndev=$(ls /dev/accel 2>/dev/null | wc -l) && [ "$ndev" -gt 4 ] && ndev=4
if [ "$ndev" -lt 2 ]; then
	echo "ok 4 ${tag}examples.tensor_parallel_bit_identical # SKIP $ndev XPU"
else
	out=$("${bin}xpu-tensor-parallel" $host --devices "$ndev" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	if [ $rc = 0 ] && echo "$out" | grep -q "result: bit-identical; single device vs the CPU: OK"; then
		echo "ok 4 ${tag}examples.tensor_parallel_bit_identical"
	else
		echo "not ok 4 ${tag}examples.tensor_parallel_bit_identical"
	fi
fi
