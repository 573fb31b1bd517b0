#!/bin/bash
# SPDX-License-Identifier: MIT
# deb-test: the Debian packages (packaging/mkdeb.sh) as TAP: built; their
# metadata and contents (dpkg-deb -f/-c); their maintainer scripts and udev
# rule; libxpu0 + libxpu-dev + xpu-tools + python3-xpu installed with dpkg
# into a scratch root (dpkg --root), where an outside program is built with
# nothing but pkg-config and run, the packaged tools run and the Python
# package imports and computes (host backend), then removed cleanly; and the
# driver built from xpu-dkms with its dkms.conf's MAKE command against the
# 6.12 headers.
#
# usage: deb-test.sh BUILD_DIR VERSION KERNEL_HEADERS_DIR   (from the source tree)
set -uo pipefail
build=$(cd "${1:?usage: deb-test.sh BUILD_DIR VERSION KHDR}" && pwd)
version=${2:?usage: deb-test.sh BUILD_DIR VERSION KHDR}
khdr=${3:?usage: deb-test.sh BUILD_DIR VERSION KHDR}
# shellcheck disable=SC2034 # read by tap.sh
tap_suite=deb tap_diag="head -30"
# shellcheck source=tests/install/tap.sh
. tests/install/tap.sh
# shellcheck disable=SC2154 # tmp: set by tap.sh

deb=$tmp/deb
dv=$version-1
arch=$(dpkg --print-architecture)
pkgs="libxpu0 libxpu-dev xpu-tools python3-xpu xpu-dkms"
file_of() { # PACKAGE
	case $1 in python3-xpu|xpu-dkms) echo "$deb/$1_${dv}_all.deb" ;;
	*) echo "$deb/$1_${dv}_$arch.deb" ;; esac
}

echo "TAP version 13"
echo "1..10"
check make_deb packaging/mkdeb.sh "$build" "$deb" "$version"

metadata() {
	local p f bad=""
	for p in $pkgs; do
		f=$(file_of "$p")
		[ -f "$f" ] || { bad="$bad $p:missing"; continue; }
		dpkg-deb -I "$f" >/dev/null || bad="$bad $p:dpkg-deb-I"
		[ "$(dpkg-deb -f "$f" Package)" = "$p" ] || bad="$bad $p:Package"
		[ "$(dpkg-deb -f "$f" Version)" = "$dv" ] || bad="$bad $p:Version"
		[ -n "$(dpkg-deb -f "$f" Description)" ] || bad="$bad $p:Description"
	done
	dep() { dpkg-deb -f "$(file_of "$1")" Depends; }
	dep libxpu0 | grep -q 'libdrm2 (>= ' && dep libxpu0 | grep -q 'libelf1' ||
		bad="$bad libxpu0-depends:[$(dep libxpu0)]"
	dep libxpu-dev | grep -qx "libxpu0 (= $dv)" || bad="$bad libxpu-dev-depends:[$(dep libxpu-dev)]"
	dep xpu-tools | grep -q "^libxpu0 (= $dv), .*libpci3" ||
		bad="$bad xpu-tools-depends:[$(dep xpu-tools)]"
	[ "$(dep xpu-tools | grep -o libxpu0 | wc -l)" = 1 ] || bad="$bad xpu-tools:libxpu0-twice"
	dep python3-xpu | grep -q 'python3-numpy' || bad="$bad python3-xpu-depends"
	dep xpu-dkms | grep -q '^dkms' || bad="$bad xpu-dkms-depends"
	[ "$(dpkg-deb -f "$(file_of libxpu0)" Architecture)" = "$arch" ] || bad="$bad libxpu0-arch"
	dpkg-deb --ctrl-tarfile "$(file_of libxpu0)" | tar -xO ./shlibs |
		grep -qx "libxpu 0 libxpu0 (>= $version)" || bad="$bad libxpu0-shlibs"
	[ -z "$bad" ] || { echo "metadata:$bad"; return 1; }
}
check metadata_and_dependencies metadata

contents() {
	local p f bad="" all=$tmp/all-files
	: >"$all"
	want() { # PACKAGE PATH...
		local p=$1 x
		shift
		for x in "$@"; do
			dpkg-deb -c "$(file_of "$p")" | awk '{ print $6 }' | grep -qx "\./$x" ||
				bad="$bad $p:$x"
		done
	}
	want libxpu0 "usr/lib/libxpu.so.$version" usr/lib/libxpu.so.0 usr/share/doc/libxpu0/copyright
	want libxpu-dev usr/include/xpu/xpu.h usr/include/xpu/xpu_dtype.h usr/lib/libxpu.so \
		usr/lib/pkgconfig/libxpu.pc
	want xpu-tools usr/bin/xpu-smi usr/bin/xpu-as usr/bin/xpu-cc usr/bin/xpu-prof \
		usr/share/man/man1/xpu-smi.1.gz
	want python3-xpu usr/lib/python3/dist-packages/xpu/__init__.py \
		usr/lib/python3/dist-packages/xpu/_lib.py
	want xpu-dkms "usr/src/xpu-$version/dkms.conf" "usr/src/xpu-$version/Kbuild" \
		"usr/src/xpu-$version/driver/xpu_drv.c" "usr/src/xpu-$version/driver/xpu_fdinfo.c" \
		"usr/src/xpu-$version/uapi/drm/xpu_accel.h" lib/udev/rules.d/70-xpu.rules \
		usr/lib/sysusers.d/xpu.conf
	# no file in two packages, every regular file md5summed
	for p in $pkgs; do
		dpkg-deb -c "$(file_of "$p")" | awk '$1 !~ /^d/ { print $6 }' >>"$all"
	done
	[ -z "$(sort "$all" | uniq -d)" ] || bad="$bad shared-files:$(sort "$all" | uniq -d | tr '\n' ' ')"
	dpkg-deb -x "$(file_of libxpu0)" "$tmp/x0"
	file -b "$tmp/x0/usr/lib/libxpu.so.$version" | grep -q ', stripped' ||
		bad="$bad libxpu-not-stripped"
	[ "$(objdump -p "$tmp/x0/usr/lib/libxpu.so.$version" | awk '$1 == "SONAME" { print $2 }')" = \
		libxpu.so.0 ] || bad="$bad soname"
	[ -z "$bad" ] || { echo "contents, missing or wrong:$bad"; return 1; }
}
check contents contents

scripts() {
	local d=$tmp/ctl rule bad=""
	mkdir -p "$d"
	dpkg-deb -e "$(file_of xpu-dkms)" "$d"
	for s in postinst prerm postrm; do
		[ -x "$d/$s" ] && sh -n "$d/$s" || bad="$bad $s"
	done
	grep -q 'groupadd --system xpu' "$d/postinst" || bad="$bad postinst-group"
	grep -q "dkms add -m \"\$NAME\" -v \"\$VERSION\"" "$d/postinst" &&
		grep -qx "VERSION=$version" "$d/postinst" || bad="$bad postinst-dkms"
	dpkg-deb -x "$(file_of xpu-dkms)" "$tmp/xd"
	rule=$(grep -v '^#' "$tmp/xd/lib/udev/rules.d/70-xpu.rules")
	ven=$(awk '/XPU_PCI_VENDOR_ID/ { print $3; exit }' uapi/xpu_hw.h)
	dev=$(awk '/XPU_PCI_DEVICE_ID/ { print $3; exit }' uapi/xpu_hw.h)
	for k in 'SUBSYSTEM=="accel"' 'KERNEL=="accel[0-9]*"' "ATTRS{vendor}==\"$ven\"" \
		 "ATTRS{device}==\"$dev\"" 'GROUP="xpu"' 'MODE="0660"'; do
		grep -qF "$k" <<<"$rule" || bad="$bad rule:$k"
	done
	[ "$(wc -l <<<"$rule")" = 1 ] || bad="$bad rule-lines"
	grep -qx 'g xpu -' "$tmp/xd/usr/lib/sysusers.d/xpu.conf" || bad="$bad sysusers"
	[ -z "$bad" ] || { echo "maintainer scripts / udev rule:$bad"; cat "$d/postinst"; return 1; }
}
check maintainer_scripts_and_udev_rule scripts

# ---- installed with dpkg into a scratch root ----
root=$tmp/root
dpkg_root() { dpkg --root="$root" --force-not-root --force-depends --no-triggers "$@"; }
install_pkgs() {
	mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
	: >"$root/var/lib/dpkg/status"
	dpkg_root -i "$(file_of libxpu0)" "$(file_of libxpu-dev)" "$(file_of xpu-tools)" \
		"$(file_of python3-xpu)" || return 1
	for p in libxpu0 libxpu-dev xpu-tools python3-xpu; do
		dpkg_root -s "$p" | grep -q '^Status: install ok' || { dpkg_root -s "$p"; return 1; }
	done
	dpkg_root -L libxpu0 | grep -qx /usr/lib/libxpu.so.0
}
check dpkg_install_into_scratch_root install_pkgs

outside() {
	local flags out
	flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$root/usr/lib/pkgconfig \
		pkg-config --cflags --libs libxpu) || return 1
	echo "pkg-config: $flags"
	case "$flags" in *"$root/usr/include"*"$root/usr/lib"*) ;;
	*) echo "flags do not point into the scratch root"; return 1 ;; esac
	# shellcheck disable=SC2086 # pkg-config's flags are words
	gcc -std=c11 -Wall -Wextra -Werror -o "$tmp/outside" examples/matmul/matmul-demo.c $flags ||
		return 1
	out=$(XPU_BACKEND=host LD_LIBRARY_PATH=$root/usr/lib "$tmp/outside" 5 9 7) || {
		echo "$out"; return 1; }
	echo "$out"
	grep -qx 'check against the CPU: OK (0 of 35 elements differ)' <<<"$out"
}
check outside_program_with_pkg_config outside

tools() {
	local out lib
	lib=$(ldd "$root/usr/bin/xpu-smi" | awk '/libxpu/ { print $3 }')
	[ "$(readlink -f "$lib")" = "$(readlink -f "$root/usr/lib/libxpu.so.$version")" ] ||
		{ echo "xpu-smi uses $lib"; return 1; }
	out=$(XPU_BACKEND=host "$root/usr/bin/xpu-smi" --json -l 0.1 -c 2) || { echo "$out"; return 1; }
	/usr/bin/python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 2, lines
for l in lines:
    d = json.loads(l)["devices"][0]
    assert d["node"] == "host" and d["processes"] is None and "host backend" in d["processes_error"], d
' <<<"$out" || { echo "$out"; return 1; }
	printf '.kernel k\n.arg x buffer\n\thalt\n.end\n' >"$tmp/k.s"
	"$root/usr/bin/xpu-as" -o "$tmp/k.xpu" "$tmp/k.s" &&
		"$root/usr/bin/xpu-dis" "$tmp/k.xpu" | grep -q '^\.kernel k'
}
check packaged_tools_run tools

python_pkg() {
	XPU_BACKEND=host XPU_LIB=$root/usr/lib/libxpu.so.0 \
		PYTHONPATH=$root/usr/lib/python3/dist-packages PYTHONDONTWRITEBYTECODE=1 \
		/usr/bin/python3 - "$root" <<'EOF'
import sys
import numpy as np
import xpu
root = sys.argv[1]
assert xpu.__file__.startswith(root + "/usr/lib/python3/dist-packages/xpu/"), xpu.__file__
assert xpu.library_path.startswith(root), xpu.library_path
dev = xpu.Device(0)
A = np.arange(-10, 22, dtype=np.int8).reshape(4, 8)
B = np.arange(24, dtype=np.int8).reshape(8, 3) - 12
mod = xpu.cc.matmul(dev, 4, 8, 3)
a, b = dev.from_numpy(A), dev.from_numpy(B)
c = dev.alloc(4 * 3 * 4)
mod["matmul"](a, b, c)
C = c.to_numpy("int32", (4, 3))
assert (C == A.astype(np.int32) @ B.astype(np.int32)).all(), C
print("python3-xpu: matmul OK from", xpu.__file__)
EOF
}
check python_package_imports_and_computes python_pkg

remove() {
	local left
	dpkg_root -r python3-xpu xpu-tools libxpu-dev libxpu0 || return 1
	left=$(cd "$root" && find usr -type f)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}
check dpkg_remove_leaves_nothing remove

# the driver from xpu-dkms, built the way DKMS does: its dkms.conf's MAKE
# with DKMS's variables, in a copy of /usr/src/xpu-VERSION, for this kernel
dkms_build() {
	local kver tree
	kver=$(basename "$khdr" | sed 's/^linux-headers-//')
	tree=$tmp/dkms
	mkdir -p "$tree/xpu/$version"
	cp -r "$tmp/xd/usr/src/xpu-$version" "$tree/xpu/$version/build"
	(
		set -e
		# shellcheck disable=SC2034 # DKMS's variables, used by dkms.conf's commands
		kernel_source_dir=$khdr dkms_tree=$tree kernelver=$kver
		# shellcheck source=/dev/null
		. "$tree/xpu/$version/build/dkms.conf"
		[ "$PACKAGE_NAME" = xpu ] && [ "$PACKAGE_VERSION" = "$version" ] &&
			[ "${BUILT_MODULE_NAME[0]}" = xpu ]
		[[ $kver =~ $BUILD_EXCLUSIVE_KERNEL ]] ||
			{ echo "BUILD_EXCLUSIVE_KERNEL '$BUILD_EXCLUSIVE_KERNEL' excludes $kver"; exit 1; }
		cd "$tree/xpu/$version/build"
		eval "${MAKE[0]}" >"$tmp/dkms-make.log" 2>&1 || { tail -20 "$tmp/dkms-make.log"; exit 1; }
	) || return 1
	[ -f "$tree/xpu/$version/build/xpu.ko" ] || { echo "no xpu.ko"; return 1; }
	modinfo -F vermagic "$tree/xpu/$version/build/xpu.ko" | grep -q "^$kver " ||
		{ modinfo "$tree/xpu/$version/build/xpu.ko"; return 1; }
}
check dkms_conf_builds_the_module dkms_build

tap_end deb
