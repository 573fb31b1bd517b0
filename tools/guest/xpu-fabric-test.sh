#!/bin/sh
# SPDX-License-Identifier: MIT
# xpu-fabric-test.sh: the multi-device suites in a guest booted with several
# linked XPUs (make check's fabric-vm-tests boots 4 as a 2x2 torus and 8 in
# a ring), as TAP: one line per suite, its output as diagnostics when it
# fails. The suites: runtime-peer (topology queries, peer copies over links
# and PCIe, counters, revocation, cross-device events), runtime-collective
# (every collective x dtype on 2, 3, 4 and 8 ranks, ring, tree and 2-D,
# bit-identical to the CPU reference in the documented order), the driver's
# xpu_link_test (export/import between XPUs, windows, revocation), the
# Python link tests, and the tensor-parallel demos (a matmul and the GPT,
# each bit-identical to the single-device result). Runs as root (some link tests inject errors).
# usage: xpu-fabric-test.sh TOPOLOGY_NAME
topo=${1:-fabric}
n=0 fails=0
t=/opt/xpu/tests
export XPU_BUILD=/usr
run() { # NAME COMMAND...
	name=$1
	shift
	n=$((n + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		echo "ok $n fabric.$topo.$name"
		printf '%s\n' "$out" | grep -E '^# (Totals|PASSED)|speed-up|^Ran ' | sed 's/^# //; s/^/# /'
	else
		fails=$((fails + 1))
		echo "not ok $n fabric.$topo.$name # exit status $rc"
		printf '%s\n' "$out" | grep -vE '^(ok|#  RUN|#  +OK) ' | tail -40 | sed 's/^/# /'
	fi
}
echo "TAP version 13"
echo "1..6"
echo "# $(ls /dev/accel | wc -l) XPUs"
run runtime-peer "$t/runtime-peer"
run runtime-collective "$t/runtime-collective"
run xpu_link_test "$t/xpu_link_test"
if command -v python3 >/dev/null && [ -d /opt/xpu/python-tests ]; then
	run python_links env XPU_TEST_BACKEND=drm PYTHONDONTWRITEBYTECODE=1 \
		python3 /opt/xpu/python-tests/tap.py /opt/xpu/python-tests/test_links.py
else
	n=$((n + 1)); fails=$((fails + 1))
	echo "not ok $n fabric.$topo.python_links # no python3 in the guest (xpu-vm --python)"
fi
run tensor_parallel xpu-tensor-parallel
run gpt_tensor_parallel xpu-gpt-tp --precision both --tokens 16
[ $fails = 0 ]
