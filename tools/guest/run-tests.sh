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
echo "# ---- xpu-examples-test.sh"
xpu-examples-test.sh || rc=1
# last: it unloads and reloads the driver
echo "# ---- xpu-lifecycle-test.sh"
xpu-lifecycle-test.sh || rc=1
exit $rc
