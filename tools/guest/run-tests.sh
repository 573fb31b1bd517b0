#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every XPU kselftest binary in the guest; TAP output on stdout.
rc=0
# the runtime suites find the tools (xpu-as, xpu-dis, xpu-cc) in $XPU_BUILD/bin
export XPU_BUILD=/usr
# Each suite's TAP stream follows a '# ---- NAME' line (tools/check-summary.sh
# checks each stream's plan and that every expected stream is there). A
# suite that cannot run is a failing stream, never a silent skip.
fail_stream() { # NAME REASON
	printf 'TAP version 13\n1..1\nnot ok 1 %s # %s\n' "$1" "$2"
	rc=1
}
for t in /opt/xpu/tests/*; do
	echo "# ---- $(basename "$t")"
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then
		fail_stream "$(basename "$t")" "$t is not an executable file"
		continue
	fi
	"$t" || rc=1
done
echo "# ---- xpu-onnx-test (conformance subset, through the driver)"
if ls /usr/share/xpu/onnx-node/test_* >/dev/null 2>&1; then
	xpu-onnx-test --known /usr/share/xpu/onnx-known-failures.txt \
		/usr/share/xpu/onnx-node/test_* || rc=1
else
	fail_stream onnx.vm_subset "no conformance data in /usr/share/xpu/onnx-node"
fi
echo "# ---- xpu-models-test.sh"
xpu-models-test.sh || rc=1
echo "# ---- xpu-examples-test.sh"
xpu-examples-test.sh || rc=1
# a short run of the ioctl fuzzer (make fuzz runs it for longer): several
# processes x threads of random ioctls, killed mid-job
echo "# ---- xpu-ioctl-fuzz"
xpu-ioctl-fuzz --seconds "${XPU_FUZZ_SECONDS:-10}" || rc=1
# last: it unloads and reloads the driver
echo "# ---- xpu-lifecycle-test.sh"
xpu-lifecycle-test.sh || rc=1
exit $rc
