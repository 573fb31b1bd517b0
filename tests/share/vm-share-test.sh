#!/bin/bash
# SPDX-License-Identifier: MIT
# vm-share-test: `xpu-vm --share` and `xpu-vm --python`, as TAP; one boot.
# A program built on the host with only the uninstalled pkg-config file
# (the shipped example examples/matmul/matmul-demo.c, as the install tests
# use it) sits in a shared directory; in the guest it runs on the driver,
# checks every element of its M x K x N int8 matmul against the CPU, and
# its report goes into the share, where the host reads it: the check line
# must say 0 of M*N elements differ, and the result lines (shape, modeled
# cycles, check) must equal, byte for byte, the same program's run on the
# host backend. A second share at a chosen guest path takes a file the
# other way. In the same boot, python3 (--python) runs the xpu package's
# tests through the driver (tools/guest/xpu-python-test.sh): their TAP,
# written into the share, becomes $(BUILD)/check/python-vm.tap with its
# 'python-vm exit status N' line. Also in that boot, the profiler through
# the driver: `xpu-prof -- ./hello` (examples/hello built like the matmul
# program, run on /dev/accel) writes its trace and SVG into the share, and tests/prof/prof_vm_check.py checks them on the host
# (one TAP line per check). Also the usage text and the errors for bad
# --share arguments (no boot).
#
# usage: vm-share-test.sh BUILD_DIR   (run from the source tree; XPU_QEMU,
#                                      XPU_KERNEL, XPU_INITRD from make)
set -uo pipefail
build=$(cd "${1:?usage: vm-share-test.sh BUILD_DIR}" && pwd)
tap_suite=vm_share tap_diag="tail -25"
# the checks of tests/prof/prof_vm_check.py, one TAP line each
prof_checks=(hello_runs_under_xpu_prof trace_is_json device_is_the_driver_node
	kernel_event_has_the_device_cycles every_job_ok_with_cycles per_queue_tracks_named
	modeled_job_track_cycles_over_clock unit_tracks_through_the_driver summary_counts_jobs
	svg_well_formed)
# shellcheck source=tests/install/tap.sh
. tests/install/tap.sh

echo "TAP version 13"
echo "1..$((9 + ${#prof_checks[@]}))"

help_text() {
	local out
	out=$(tools/xpu-vm --help) || return 1
	echo "$out" | grep -q -- '--share DIR\[=GUEST\]' && echo "$out" | grep -q -- '--python' ||
		{ echo "$out"; return 1; }
}
check help_describes_share_and_python help_text

# each bad argument: exit status 2 and a message naming the problem
bad() {
	local want=$1 out rc
	shift
	out=$(tools/xpu-vm "$@" -- true 2>&1); rc=$?
	[ $rc = 2 ] && grep -q -- "$want" <<<"$out" || { echo "xpu-vm $*: rc $rc: $out"; return 1; }
}
bad_share() {
	local out rc
	touch "$tmp/afile"
	bad "$tmp/missing: no such directory" --share "$tmp/missing" &&
	bad "afile is not a directory" --share "$tmp/afile" &&
	bad "the guest path must be absolute" --share "$tmp=rel/path" &&
	bad "the guest path /usr would hide" --share "$tmp=/usr" &&
	bad "two shares at the guest path /mnt/x" --share "$tmp=/mnt/x" --share "$build=/mnt/x/" &&
	out=$(tools/xpu-vm --share 2>&1); rc=$?
	[ $rc = 2 ] && grep -q -- "--share needs a value" <<<"$out" || { echo "rc $rc: $out"; return 1; }
}
check bad_share_arguments_fail_before_booting bad_share

# the user's side: the program and its inputs in a directory, and the
# result of the host backend to compare with
share=$tmp/work two=$tmp/two
M=200 K=300 N=150
prepare() {
	local flags
	mkdir -p "$share" "$two" || return 1
	flags=$(PKG_CONFIG_PATH=$build/pkgconfig pkg-config --cflags --libs libxpu) || return 1
	gcc -std=c11 -Wall -Wextra -Werror -o "$share/matmul-demo" examples/matmul/matmul-demo.c \
		$flags || return 1
	gcc -std=c11 -Wall -Wextra -Werror -o "$share/hello" examples/hello/hello.c $flags || return 1
	echo "from the host $$" >"$two/in.txt" || return 1
	(cd "$share" && ./matmul-demo --host $M $K $N >"$tmp/host.txt") ||
		{ cat "$tmp/host.txt"; return 1; }
}
# the demo's lines that depend only on the program, its seeded inputs and
# the device model (not on the device node)
result_lines() {
	grep -E '^(int8 matmul |modeled throughput: |check against the CPU: )' "$1"
}
check build_program_and_host_result prepare

rm -f "$build/check/python-vm.tap"
out=$(tools/xpu-vm --timeout 900 --xpus 2 --python --env XPU_EXPECT_DEVICES=2 \
	--log "$build/check/vm-share-console.log" --share "$share" --share "$two=/mnt/two" -- "
	pwd >cwd.txt
	./matmul-demo $M $K $N >demo.txt
	tr a-z A-Z </mnt/two/in.txt >/mnt/two/out.txt
	xpu-prof -o prof.json --svg prof.svg -- ./hello >prof.out 2>prof.err
	echo \"prof exit \$?\" >>prof.out
	xpu-python-test.sh >python-vm.tap 2>&1
	echo \"python-vm exit status \$?\" >>python-vm.tap
	exit 5" 2>&1)
rc=$?

line="check against the CPU: OK (0 of $((M * N)) elements differ)"
grep -q '^device: /dev/accel/accel0,' "$share/demo.txt" 2>/dev/null &&
	grep -qxF "$line" "$share/demo.txt" &&
	[ "$(result_lines "$share/demo.txt")" = "$(result_lines "$tmp/host.txt")" ] &&
	ok program_writes_its_result_into_the_share ||
	not_ok program_writes_its_result_into_the_share "$out
guest: $(cat "$share/demo.txt" 2>&1)
host: $(cat "$tmp/host.txt")"
[ "$(cat "$share/cwd.txt" 2>/dev/null)" = "$share" ] && ok command_starts_in_the_share_at_its_host_path ||
	not_ok command_starts_in_the_share_at_its_host_path "cwd.txt: $(cat "$share/cwd.txt" 2>&1)"
[ "$(cat "$two/out.txt" 2>/dev/null)" = "FROM THE HOST $$" ] && ok second_share_at_a_chosen_path ||
	not_ok second_share_at_a_chosen_path "out.txt: $(cat "$two/out.txt" 2>&1)"
grep -q '^xpu-vm: python3: Python 3' <<<"$out" && ok python_view_built ||
	not_ok python_view_built "$out"
# the Python suite's own results are python-vm.tap's (check-summary.sh
# counts them); here: that it ran to its end in the guest
if [ -f "$share/python-vm.tap" ]; then
	cp "$share/python-vm.tap" "$build/check/python-vm.tap"
	grep -q '^# python: ' "$share/python-vm.tap" && ok python_suite_ran_in_the_guest ||
		not_ok python_suite_ran_in_the_guest "$(cat "$share/python-vm.tap")"
else
	not_ok python_suite_ran_in_the_guest "no python-vm.tap in the share
$out"
fi
# the profiler's trace from the guest
prof_res=$(/usr/bin/python3 tests/prof/prof_vm_check.py "$share" 2>&1)
for c in "${prof_checks[@]}"; do
	grep -qx "PASS prof_vm.$c" <<<"$prof_res" && ok "prof_$c" ||
		not_ok "prof_$c" "$(grep -F "prof_vm.$c" <<<"$prof_res" || echo "$prof_res")"
done
[ $rc = 5 ] && ok guest_exit_status_returned || not_ok guest_exit_status_returned "rc $rc
$out"

tap_end vm-share
