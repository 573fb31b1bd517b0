#!/bin/sh
# SPDX-License-Identifier: MIT
# Driver lifecycle in the guest, as TAP: module unload/reload 20 times, PCI
# remove and rescan with jobs in flight, unload after that. Kernel oopses,
# BUGs and WARNs are caught by tools/xpu-vm from the guest log.
echo "TAP version 13"
echo "1..3"
n=0
result() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }

# wait for pid for at most $2 seconds; 0 if it ended
wait_for() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
	wait "$1"
	return 0
}

rc=0
for i in $(seq 20); do
	rmmod xpu || { echo "# rmmod $i failed"; rc=1; break; }
	modprobe xpu || { echo "# modprobe $i failed"; rc=1; break; }
	[ -c /dev/accel/accel0 ] || { echo "# no accel0 after reload $i"; rc=1; break; }
	xpu-smi >/dev/null || { echo "# xpu-smi failed after reload $i"; rc=1; break; }
done
result $rc "module_unload_reload_20_times"

rc=0
dev=$(basename "$(readlink /sys/class/accel/accel0/device)")
xpu-busy >/tmp/busy.log 2>&1 &
pid=$!
i=0
while ! grep -qx busy /tmp/busy.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -qx busy /tmp/busy.log || { echo "# xpu-busy did not start"; cat /tmp/busy.log; rc=1; }
echo 1 >"/sys/bus/pci/devices/$dev/remove" || rc=1
wait_for $pid 60 || { echo "# a process with jobs in flight hung after remove"; rc=1; kill -9 $pid; }
sed 's/^/# /' /tmp/busy.log
echo 1 >/sys/bus/pci/rescan
i=0
while [ ! -e "/sys/bus/pci/devices/$dev/accel" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
xpu-smi | grep -q "$dev.*/dev/accel" || { echo "# device not back after rescan"; xpu-smi; rc=1; }
result $rc "pci_remove_with_jobs_in_flight_and_rescan"

rc=0
xpu-busy 300000000 >/tmp/busy2.log 2>&1 &
pid=$!
i=0
while ! grep -qx busy /tmp/busy2.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $pid
wait_for $pid 30 || rc=1
rmmod xpu || { echo "# rmmod after kill failed"; rc=1; }
modprobe xpu || rc=1
result $rc "kill_then_unload"
