#!/bin/sh
# SPDX-License-Identifier: MIT
# Driver lifecycle in the guest, as TAP: module unload/reload 20 times, PCI
# remove and rescan with jobs in flight (the process ends as docs/driver.md
# "Removal" says: its waits give ABORTED or ENODEV, every later ioctl
# ENODEV, exit status 0), the same through the driver's unbind and bind,
# PCI remove while a stopped process holds DMA-mapped buffers,
# kill -9 of a process whose jobs are on the hardware then unload, unload
# at once after killing processes with jobs queued (jobs pin the module:
# rmmod is refused until the last one is freed, never runs freed code), and
# bad module parameters refused. Then N rounds (--repeat N, default 1) of
# reload + PCI remove/rescan with jobs in flight + kill -9 mid-job, one TAP
# line each (make lifecycle-100: 100 rounds in one VM). Kernel oopses, BUGs
# and WARNs are caught by tools/xpu-vm from the guest log. Runs as root.
#
# usage: xpu-lifecycle-test.sh [--repeat N]
rounds=1
case "${1-}" in
--repeat)
	rounds=${2-}
	case $rounds in '' | *[!0-9]* | 0)
		echo "xpu-lifecycle-test.sh: --repeat needs a positive count, not '$rounds'" >&2
		exit 2 ;;
	esac ;;
'') ;;
*) echo "usage: xpu-lifecycle-test.sh [--repeat N]" >&2; exit 2 ;;
esac
echo "TAP version 13"
echo "1..$((7 + rounds))"
n=0 fails=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fails=$((fails + 1)); fi
}
log=/tmp/lifecycle.$$
mkdir -p $log

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

# wait for pid for at most $2 seconds; its exit status in $st (0 if it ended)
wait_for() {
	i=0 st=
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
	wait "$1"
	st=$?
	return 0
}

# the PCI name of the first XPU (the lowest accel minor: the one the tools
# open first; after a rescan the device may come back under another minor)
pci_dev() {
	for m in $(seq 0 63); do
		[ -e "/sys/class/accel/accel$m/device" ] || continue
		basename "$(readlink "/sys/class/accel/accel$m/device")"
		return 0
	done
	return 1
}

# start xpu-busy ARGS with its output in FILE; pid in $pid. Fails unless it
# printed "busy" (every submit returned a job id) and a job of it is on the
# hardware (debugfs "queues": inflight > 0; its jobs share buffers, so they
# run one at a time)
start_busy() { # FILE ARGS...
	out=$1
	shift
	rm -f "$out"	# not a previous run's "busy" (the child creates it)
	xpu-busy "$@" >"$out" 2>&1 &
	pid=$!
	i=0
	while ! grep -qsx busy "$out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	grep -qsx busy "$out" || { echo "# xpu-busy $* did not submit its jobs"; sed 's/^/# /' "$out"; return 1; }
	q=/sys/kernel/debug/accel/$(pci_dev)/queues
	i=0
	while ! grep -q 'inflight [1-9]' "$q" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q 'inflight [1-9]' "$q" || { echo "# no job of xpu-busy on the hardware ($q):"; sed 's/^/# /' "$q"; return 1; }
	return 0
}


# the device DEV bound to xpu again, with an accel node (within 5 s)
device_back() {
	i=0
	while [ ! -e "/sys/bus/pci/devices/$1/accel" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	xpu-smi | grep -q "$1.*/dev/accel" || { echo "# $1 not back:"; xpu-smi | sed 's/^/# /'; return 1; }
}

# Unplug (HOW: remove or unbind) the first XPU while xpu-busy --gone has jobs
# on every queue: it must end with exit status 0 (its checks in its output),
# then the device comes back (rescan or bind) and runs a job.
unplug_with_jobs() { # HOW [quiet]
	dev=$(pci_dev)
	start_busy $log/gone.log --gone || return 1
	if [ "$1" = remove ]; then
		echo 1 >"/sys/bus/pci/devices/$dev/remove" || return 1
	else
		echo "$dev" >/sys/bus/pci/drivers/xpu/unbind || return 1
	fi
	r=0
	if ! wait_for $pid 60; then
		echo "# a process with jobs in flight hung after $1"
		kill -9 $pid
		r=1
	elif [ "$st" != 0 ]; then
		echo "# the process with jobs in flight at $1 exited with status $st, not 0:"
		r=1
	fi
	# what it saw (the named tests; a round only when it failed)
	if [ $r != 0 ] || [ "${2-}" != quiet ]; then sed 's/^/# /' $log/gone.log; fi
	grep -q "^after unplug: GET_PARAM: No such device" $log/gone.log ||
		{ echo "# no ENODEV check in xpu-busy's output"; r=1; }
	if [ "$1" = remove ]; then
		echo 1 >/sys/bus/pci/rescan
	else
		echo "$dev" >/sys/bus/pci/drivers/xpu/bind
	fi
	device_back "$dev" || r=1
	xpu-busy 1000 >$log/after.log 2>&1 || { echo "# a job after the $1 failed:"; sed 's/^/# /' $log/after.log; r=1; }
	return $r
}

# PCI remove while the process holding host buffers, with jobs in flight,
# is stopped (SIGSTOP): its file stays open through the whole removal, so
# the driver undoes the buffers' DMA mappings itself (one that outlives the
# unbind is a DMA-API report and WARNING under make check-debug, which
# tools/xpu-vm fails on). SIGKILL then frees them; the device comes back.
remove_with_stopped_holder() {
	dev=$(pci_dev)
	start_busy $log/stopped.log 300000000 || return 1
	kill -STOP $pid
	r=0
	echo 1 >"/sys/bus/pci/devices/$dev/remove" || { echo "# remove failed"; r=1; }
	kill -9 $pid
	kill -CONT $pid
	wait_for $pid 30 || { echo "# the stopped process was not reaped in 30 s"; return 1; }
	[ "$st" = 137 ] || { echo "# it ended with status $st, not 137 (SIGKILL)"; r=1; }
	echo 1 >/sys/bus/pci/rescan
	device_back "$dev" || r=1
	xpu-busy 1000 >$log/after.log 2>&1 || { echo "# a job after the rescan failed:"; sed 's/^/# /' $log/after.log; r=1; }
	return $r
}

# kill -9 a process whose jobs are on the hardware (confirmed), reap it
# (killed by SIGKILL, within 30 s), then a new process's job runs
kill_mid_job() {
	start_busy $log/kill.log 300000000 || return 1
	kill -9 $pid
	wait_for $pid 30 || { echo "# the killed process was not reaped in 30 s"; return 1; }
	[ "$st" = 137 ] || { echo "# the killed process ended with status $st, not 137 (SIGKILL)"; return 1; }
	xpu-busy 1000 >$log/after.log 2>&1 || { echo "# a job after the kill failed:"; sed 's/^/# /' $log/after.log; return 1; }
}

reload() {
	rmmod_retry 30 || { echo "# rmmod failed"; return 1; }
	modprobe xpu || { echo "# modprobe failed"; return 1; }
	[ -c /dev/accel/accel0 ] || { echo "# no accel0 after the reload"; return 1; }
	xpu-smi >/dev/null || { echo "# xpu-smi failed after the reload"; return 1; }
}

rc=0
for i in $(seq 20); do
	reload || { echo "# reload $i failed"; rc=1; break; }
done
result $rc "module_unload_reload_20_times"

unplug_with_jobs remove
result $? "pci_remove_with_jobs_in_flight_enodev_and_rescan"

unplug_with_jobs unbind
result $? "unbind_with_jobs_in_flight_enodev_and_bind"

remove_with_stopped_holder
result $? "pci_remove_while_a_stopped_process_holds_buffers_and_rescan"

rc=0
kill_mid_job || rc=1
rmmod_retry 30 || { echo "# rmmod after kill failed"; rc=1; }
modprobe xpu || rc=1
result $rc "kill_then_unload"

# Jobs queued behind others when their processes die are freed by the
# scheduler from a work item, after the files are closed: rmmod right away
# must wait for them, and the guest must still work afterwards.
rc=0
pids=
rm -f $log/busy3-*
for k in 1 2 3; do
	xpu-busy 300000000 >$log/busy3-$k.log 2>&1 &
	pids="$pids $!"
done
for k in 1 2 3; do
	i=0
	while ! grep -qx busy $log/busy3-$k.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	grep -qx busy $log/busy3-$k.log || { echo "# xpu-busy $k did not start"; rc=1; }
done
# shellcheck disable=SC2086
kill -9 $pids
for p in $pids; do wait_for "$p" 30 || rc=1; done
rmmod_retry 30 || { echo "# rmmod with jobs queued failed"; rc=1; }
modprobe xpu || rc=1
xpu-busy 1000 >$log/busy4.log 2>&1 || { echo "# a job after the reload failed"; cat $log/busy4.log; rc=1; }
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

# The rounds: each step's failure is named in a diagnostic line.
t0=$(date +%s)
for k in $(seq "$rounds"); do
	rc=0
	reload || { echo "# round $k: reload failed"; rc=1; }
	[ $rc = 0 ] && { unplug_with_jobs remove quiet || { echo "# round $k: PCI remove/rescan with jobs in flight failed"; rc=1; }; }
	[ $rc = 0 ] && { kill_mid_job || { echo "# round $k: kill -9 mid-job failed"; rc=1; }; }
	result $rc "round_${k}_of_${rounds}_reload_remove_rescan_with_jobs_kill_9_mid_job"
done
echo "# lifecycle: $rounds round(s) in $(($(date +%s) - t0)) s"
rm -rf $log
[ $fails = 0 ]
