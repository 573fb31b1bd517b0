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
# run CMD...: its output, as TAP comments; $out and $rc for tap
run() {
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
}
# tap N NAME [PATTERN...]: test N passes if the last run exited 0 and
# printed every PATTERN
tap() {
	n=$1 name=$2 res=ok
	shift 2
	[ "$rc" = 0 ] || res="not ok"
	for p in "$@"; do
		echo "$out" | grep -q "$p" || res="not ok"
	done
	echo "$res $n ${tag}examples.$name"
}
echo "TAP version 13"
echo "1..4"
run "${bin}xpu-digits" $host
acc=$(echo "$out" | sed -n 's/.*held-out accuracy: \([0-9]*\)\..*/\1/p' | head -1)
[ "${acc:-0}" -ge 90 ] || rc=1
tap 1 digits_accuracy_and_cpu_reference "identical: OK"
run "${bin}xpu-matmul-demo" $host
tap 2 matmul_1024_cube_matches_cpu "check against the CPU: OK"
run "${bin}xpu-hello" $host
tap 3 hello
ndev=4
[ -z "$host" ] && ndev=$(ls /dev/accel 2>/dev/null | wc -l) && [ "$ndev" -gt 4 ] && ndev=4
if [ "$ndev" -lt 2 ]; then
	echo "ok 4 ${tag}examples.tensor_parallel_bit_identical # SKIP $ndev XPU"
else
	run "${bin}xpu-tensor-parallel" $host --devices "$ndev"
	tap 4 tensor_parallel_bit_identical "result: bit-identical; single device vs the CPU: OK"
fi
