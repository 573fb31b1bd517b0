#!/bin/bash
# SPDX-License-Identifier: MIT
# install-test: `make install DESTDIR=tmp PREFIX=/usr` and what a user then
# does with it, as TAP. An outside program (the shipped example
# examples/matmul/matmul-demo.c, a 5x9x7 int8 matmul checked against the
# CPU) is built with nothing but pkg-config, against the installed tree (through
# PKG_CONFIG_SYSROOT_DIR/PKG_CONFIG_PATH) and against the uninstalled
# $(BUILD)/pkgconfig/libxpu.pc, and run on the host backend. Then the
# installed tools run from the tree, the man pages format cleanly and
# `make uninstall` removes every file.
#
# usage: install-test.sh BUILD_DIR      (run from the source tree; MAKE honoured)
set -uo pipefail
build=$(cd "${1:?usage: install-test.sh BUILD_DIR}" && pwd)
make=${MAKE:-make}
tap_suite=install tap_diag="head -20"
# shellcheck source=tests/install/tap.sh
. "$(dirname "$0")/tap.sh"
dest=$tmp/root
outside_src=examples/matmul/matmul-demo.c
# its output on the host backend: the device and the check against the CPU
outside_ok() {
	grep -qx 'device: host, .*' <<<"$1" &&
		grep -qx 'check against the CPU: OK (0 of 35 elements differ)' <<<"$1"
}

echo "TAP version 13"
echo "1..9"
check make_install $make --no-print-directory BUILD="$build" install DESTDIR="$dest" PREFIX=/usr

files_ok() {
	local f miss=""
	for f in include/xpu/xpu.h include/xpu/xpu_compiler.h include/xpu/xpu_graph.h \
		 include/xpu/xpu_dtype.h lib/libxpu.so.0.2.0 lib/pkgconfig/libxpu.pc \
		 bin/xpu-smi bin/xpu-as bin/xpu-dis bin/xpu-cc bin/xpu-onnx-test bin/xpu-quantize \
		 share/man/man1/xpu-cc.1 share/man/man1/xpu-smi.1; do
		[ -f "$dest/usr/$f" ] || miss="$miss $f"
	done
	[ -z "$miss" ] || { echo "missing under DESTDIR/usr:$miss"; return 1; }
	[ "$(readlink "$dest/usr/lib/libxpu.so.0")" = libxpu.so.0.2.0 ] &&
		[ "$(readlink "$dest/usr/lib/libxpu.so")" = libxpu.so.0 ] ||
		{ echo "soname links: $(ls -l "$dest"/usr/lib/libxpu.so*)"; return 1; }
	soname=$(objdump -p "$dest/usr/lib/libxpu.so.0.2.0" | awk '$1 == "SONAME" { print $2 }')
	[ "$soname" = libxpu.so.0 ] || { echo "SONAME is '$soname'"; return 1; }
	grep -qx 'prefix=/usr' "$dest/usr/lib/pkgconfig/libxpu.pc" ||
		{ echo "libxpu.pc:"; cat "$dest/usr/lib/pkgconfig/libxpu.pc"; return 1; }
}
check files_and_soname_links files_ok

# the installed tree, as a cross/sysroot user sees it: pkg-config only
installed_build() {
	local flags
	flags=$(PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig \
		pkg-config --cflags --libs libxpu) || return 1
	echo "pkg-config: $flags"
	case "$flags" in *"$dest/usr/include"*"$dest/usr/lib"*) ;;
	*) echo "flags do not point into DESTDIR"; return 1 ;; esac
	gcc -std=c11 -Wall -Wextra -Werror -o "$tmp/outside-installed" $outside_src $flags
}
check build_against_installed_tree installed_build

installed_run() {
	local out
	out=$(LD_LIBRARY_PATH=$dest/usr/lib ldd "$tmp/outside-installed" | grep libxpu)
	case "$out" in *"$dest/usr/lib/libxpu.so.0"*) ;;
	*) echo "libxpu resolves to: $out"; return 1 ;; esac
	out=$(XPU_BACKEND=host LD_LIBRARY_PATH=$dest/usr/lib "$tmp/outside-installed" 5 9 7) || {
		echo "$out"; return 1; }
	echo "$out"
	outside_ok "$out"
}
check run_against_installed_tree installed_run

uninstalled() {
	local flags out
	flags=$(PKG_CONFIG_PATH=$build/pkgconfig pkg-config --cflags --libs libxpu) || return 1
	echo "pkg-config: $flags"
	gcc -std=c11 -Wall -Wextra -Werror -o "$tmp/outside-uninstalled" $outside_src $flags ||
		return 1
	# the rpath in the uninstalled .pc: runs with no LD_LIBRARY_PATH
	out=$(env -u LD_LIBRARY_PATH XPU_BACKEND=host "$tmp/outside-uninstalled" 5 9 7) || {
		echo "$out"; return 1; }
	echo "$out"
	outside_ok "$out"
}
check build_and_run_with_uninstalled_pc uninstalled

# installed tools find the installed libxpu through their $ORIGIN/../lib rpath
tools_run() {
	local lib
	lib=$(ldd "$dest/usr/bin/xpu-as" | awk '/libxpu/ { print $3 }')
	[ "$(readlink -f "$lib")" = "$(readlink -f "$dest/usr/lib/libxpu.so.0.2.0")" ] ||
		{ echo "xpu-as uses $lib"; return 1; }
	printf '.kernel k\n.arg x buffer\n\thalt\n.end\n' >"$tmp/k.s"
	"$dest/usr/bin/xpu-as" -o "$tmp/k.xpu" "$tmp/k.s" &&
		"$dest/usr/bin/xpu-dis" "$tmp/k.xpu" | grep -q '^\.kernel k' &&
		XPU_BACKEND=host "$dest/usr/bin/xpu-cc" --host -o "$tmp/m.xpu" \
			'matmul:mm:m=4,k=4,n=4,in=i8,out=i32'
}
check installed_tools_run tools_run

# every installed tool has a man page, and each formats without warnings
man_pages() {
	local t p out bad=""
	for t in "$dest"/usr/bin/*; do
		p=$dest/usr/share/man/man1/$(basename "$t").1
		[ -f "$p" ] || { bad="$bad $(basename "$t"):missing"; continue; }
		out=$(groff -man -Tutf8 -ww -z "$p" 2>&1)
		[ -z "$out" ] || bad="$bad $(basename "$t"):$out"
	done
	[ -z "$bad" ] || { echo "man pages:$bad"; return 1; }
}
check man_pages_for_every_tool man_pages

# PREFIX reaches the .pc file
prefix_pc() {
	$make --no-print-directory BUILD="$build" install DESTDIR="$tmp/opt" PREFIX=/opt/xpu \
		>/dev/null || return 1
	PKG_CONFIG_SYSROOT_DIR=$tmp/opt PKG_CONFIG_PATH=$tmp/opt/opt/xpu/lib/pkgconfig \
		pkg-config --cflags libxpu | grep -q -- "-I$tmp/opt/opt/xpu/include" ||
		{ cat "$tmp/opt/opt/xpu/lib/pkgconfig/libxpu.pc"; return 1; }
}
check prefix_reaches_pc_file prefix_pc

uninstall() {
	local left
	$make --no-print-directory BUILD="$build" uninstall DESTDIR="$dest" PREFIX=/usr \
		>/dev/null || return 1
	left=$(find "$dest" -type f -o -type l)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}
check uninstall_removes_everything uninstall

tap_end install
