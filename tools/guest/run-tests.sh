#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every XPU kselftest binary in the guest; TAP output on stdout.
rc=0
# the runtime suites find the tools (xpu-as, xpu-dis, xpu-cc) in $XPU_BUILD/bin
export XPU_BUILD=/usr
for t in /opt/xpu/tests/*; do
	[ -x "$t" ] || continue
	echo "# ---- $(basename "$t")"
	"$t" || rc=1
done
echo "# ---- xpu-onnx-test (conformance subset, through the driver)"
if ls /usr/share/xpu/onnx-node/test_* >/dev/null 2>&1; then
	xpu-onnx-test --known /usr/share/xpu/onnx-known-failures.txt \
		/usr/share/xpu/onnx-node/test_* || rc=1
fi
if [ -x /usr/bin/xpu-models-test.sh ]; then
	echo "# ---- xpu-models-test.sh"
	xpu-models-test.sh || rc=1
fi
echo "# ---- xpu-examples-test.sh"
xpu-examples-test.sh || rc=1
# last: it unloads and reloads the driver
echo "# ---- xpu-lifecycle-test.sh"
xpu-lifecycle-test.sh || rc=1
exit $rc
