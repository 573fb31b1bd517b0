#!/bin/sh
# SPDX-License-Identifier: MIT
# The empty-job round trip with and without the driver's direct submission,
# in one VM boot (tools/xpu-vm --nvme -- xpu-latency-ab.sh [PAIRS]): for
# each of PAIRS (default 3) pairs, xpu-latency-bench with the module
# parameter direct_submit at 0, then at 1, each followed by debugfs's queue
# 0 line (its 'direct' count says which path the jobs took). Restores the
# parameter. docs/performance.md, "Direct submission".
p=/sys/module/xpu/parameters/direct_submit
[ -w $p ] || { echo "xpu-latency-ab: $p not writable (root, xpu loaded?)"; exit 1; }
saved=$(cat $p)
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
rc=0
i=0
while [ $i -lt "${1:-3}" ]; do
	i=$((i + 1))
	for d in 0 1; do
		echo $d >$p
		echo "== direct_submit=$(cat $p), pair $i"
		xpu-latency-bench | grep -v '^bench:' | tail -9 || rc=1
		grep -h '^queue 0:' /sys/kernel/debug/accel/*/queues | head -1
	done
done
echo "$saved" >$p
exit $rc
