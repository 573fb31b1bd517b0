#!/bin/bash
# SPDX-License-Identifier: MIT
# vm-add-test: a user's own program in the VM, as TAP. An outside program
# (the shipped example examples/matmul/matmul-demo.c, as xpu-outside) is
# built on the host with only the uninstalled pkg-config file and copied
# into the guest with `xpu-vm --add`, together with a directory (at a chosen
# guest path) and a program whose own shared library lives outside the
# image (xpu-vm must copy it); one boot (2 XPUs) runs them all on the
# driver, and xpu-smi, whose devices must be in index order. Also
# xpu-vm's usage text and its errors for bad --add arguments (no boot).
#
# usage: vm-add-test.sh BUILD_DIR   (run from the source tree; XPU_QEMU,
#                                    XPU_KERNEL, XPU_INITRD from make)
set -uo pipefail
build=$(cd "${1:?usage: vm-add-test.sh BUILD_DIR}" && pwd)
tap_suite=vm_add tap_diag="tail -25"
# shellcheck source=tests/install/tap.sh
. "$(dirname "$0")/tap.sh"

echo "TAP version 13"
echo "1..7"

help_text() {
	local out
	out=$(tools/xpu-vm --help) || return 1
	echo "$out" | head -1 | grep -q '^usage: xpu-vm' && echo "$out" | grep -q -- '--add PATH' &&
		! echo "$out" | grep -q 'set -uo\|^#' || { echo "$out"; return 1; }
}
check help_prints_usage help_text

bad_add() {
	local out rc
	out=$(tools/xpu-vm --add "$tmp/nonexistent" -- true 2>&1); rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q "$tmp/nonexistent: no such file" ||
		{ echo "rc $rc: $out"; return 1; }
	out=$(tools/xpu-vm --add "$tmp=relative/path" -- true 2>&1); rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q "must be absolute" || { echo "rc $rc: $out"; return 1; }
	out=$(tools/xpu-vm --add 2>&1); rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q -- "--add needs a value" || { echo "rc $rc: $out"; return 1; }
}
check bad_add_arguments_fail_before_booting bad_add

# the user's side: a program built from pkg-config, a data directory, a
# program with its own shared library in a host directory
prepare() {
	local flags
	flags=$(PKG_CONFIG_PATH=$build/pkgconfig pkg-config --cflags --libs libxpu) || return 1
	gcc -std=c11 -Wall -Werror -o "$tmp/xpu-outside" examples/matmul/matmul-demo.c $flags ||
		return 1
	mkdir -p "$tmp/data/sub" "$tmp/mylib" &&
		echo "hello from the host $$" >"$tmp/data/sub/msg.txt" || return 1
	printf 'const char *greeting(void) { return "greeting from libgreet"; }\n' \
		>"$tmp/greet.c"
	printf '#include <stdio.h>\nconst char *greeting(void);\nint main(void) { puts(greeting()); return 0; }\n' \
		>"$tmp/main.c"
	gcc -shared -fPIC -o "$tmp/mylib/libgreet.so" "$tmp/greet.c" &&
		gcc -o "$tmp/greet" "$tmp/main.c" -L"$tmp/mylib" -Wl,-rpath,"$tmp/mylib" -lgreet
}
check build_user_programs prepare

# two devices in the same boot: xpu-smi must list them in index order, on
# ascending accel minors (stable across runs)
out=$(tools/xpu-vm --timeout 180 --xpus 2 --log "$build/check/vm-add-console.log" \
	--add "$tmp/xpu-outside" --add "$tmp/data=/srv/data" --add "$tmp/greet" -- \
	'xpu-outside 5 9 7; cat /srv/data/sub/msg.txt; /opt/user/greet; xpu-smi; exit 7' 2>&1)
rc=$?
grep -qx 'device: /dev/accel/accel0, .*' <<<"$out" &&
	grep -qx 'check against the CPU: OK (0 of 35 elements differ)' <<<"$out" &&
	ok outside_program_runs_on_the_driver || not_ok outside_program_runs_on_the_driver "$out"
grep -qx "hello from the host $$" <<<"$out" && grep -qx 'greeting from libgreet' <<<"$out" &&
	ok directory_and_shared_library_copied ||
	not_ok directory_and_shared_library_copied "$out"
smi=$(grep -E '^[0-9]+ ' <<<"$out" | awk '{ print $1, $3 }' | tr '\n' ' ')
[ "$smi" = "0 /dev/accel/accel0 1 /dev/accel/accel1 " ] && ok xpu_smi_lists_devices_in_order ||
	not_ok xpu_smi_lists_devices_in_order "xpu-smi rows: '$smi'
$(grep -A8 '^#   PCI' <<<"$out")"
[ $rc = 7 ] && ok guest_exit_status_returned || not_ok guest_exit_status_returned "rc $rc"

tap_end vm-add
