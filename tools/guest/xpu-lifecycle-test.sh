#!/bin/sh
# SPDX-License-Identifier: MIT
# Driver lifecycle in the guest, as TAP: module unload/reload 20 times, PCI
# remove and rescan with jobs in flight, unload after that, unload at once
# after killing processes with jobs queued (jobs pin the module: rmmod is
# refused until the last one is freed, never runs freed code), and bad
# module parameters refused. Kernel oopses, BUGs and WARNs are caught by
# tools/xpu-vm from the guest log.
echo "TAP version 13"
echo "1..5"
n=0
result() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }

# rmmod xpu, retrying for at most $1 seconds while jobs still pin it
rmmod_retry() {
	i=0
	until rmmod xpu 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($1 * 10)) ] && { rmmod xpu; return 1; }
		sleep 0.1
	done
	[ $i -gt 0 ] && echo "# rmmod refused $i times while jobs were being freed"
	return 0
}

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
rmmod_retry 30 || { echo "# rmmod after kill failed"; rc=1; }
modprobe xpu || rc=1
result $rc "kill_then_unload"

# Jobs queued behind others when their processes die are freed by the
# scheduler from a work item, after the files are closed: rmmod right away
# must wait for them, and the guest must still work afterwards.
rc=0
pids=
for k in 1 2 3; do
	xpu-busy 300000000 >/tmp/busy3-$k.log 2>&1 &
	pids="$pids $!"
done
for k in 1 2 3; do
	i=0
	while ! grep -qx busy /tmp/busy3-$k.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	grep -qx busy /tmp/busy3-$k.log || { echo "# xpu-busy $k did not start"; rc=1; }
done
# shellcheck disable=SC2086
kill -9 $pids
for p in $pids; do wait_for "$p" 30 || rc=1; done
rmmod_retry 30 || { echo "# rmmod with jobs queued failed"; rc=1; }
modprobe xpu || rc=1
xpu-busy 1000 >/tmp/busy4.log 2>&1 || { echo "# a job after the reload failed"; cat /tmp/busy4.log; rc=1; }
result $rc "unload_right_after_killing_processes_with_jobs_queued"

# Module parameters out of range are refused at load, with a message.
rc=0
rmmod_retry 30 || rc=1
if modprobe xpu hang_check_ms=0 2>/dev/null; then
	echo "# hang_check_ms=0 was accepted"
	rc=1
	rmmod xpu
fi
dmesg | grep -q "hang_check_ms=0: must be" || { echo "# no message naming hang_check_ms"; rc=1; }
modprobe xpu || rc=1
[ -c /dev/accel/accel0 ] || rc=1
result $rc "hang_check_ms_0_refused"
