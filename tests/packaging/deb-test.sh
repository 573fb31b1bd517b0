#!/bin/bash
# SPDX-License-Identifier: MIT
# deb-test: the Debian packages (packaging/mkdeb.sh) as TAP: built; their
# metadata and contents (dpkg-deb -f/-c); their maintainer scripts and udev
# rule; then all five installed with `apt-get install ./*.deb` into a real
# Debian 12 root (debootstrap minbase + the 6.12 kernel and headers, cached
# by debian-root.sh; each run on a fresh overlay over it, in a private mount
# namespace, without network: nothing of the host changes), maintainer
# scripts and all: the xpu group, DKMS building and installing xpu.ko for
# the 6.12 kernel (vermagic and module dependencies checked against that
# kernel's own modules; then loaded in the VM in place of the build's
# xpu.ko, it runs a matmul on the device), an outside program built there
# with nothing but pkg-config and run, the packaged tools and the Python
# package run (host backend); then `apt-get purge` (dkms remove ran, no
# file of the packages left, the group kept as Debian does).
#
# usage: deb-test.sh BUILD_DIR VERSION KERNEL_HEADERS_DIR   (from the source
#        tree, as root; XPU_CACHE: where the Debian root is cached)
set -uo pipefail
# a private mount namespace: the overlay and the root's /proc and /dev go
# away with this script however it ends
if [ "${XPU_DEB_TEST_NS:-}" != 1 ] && [ "$(id -u)" = 0 ] &&
	unshare --mount --propagation private true 2>/dev/null; then
	exec unshare --mount --propagation private env XPU_DEB_TEST_NS=1 "$0" "$@"
fi
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
echo "1..13"
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
	for s in postinst prerm; do
		[ -x "$d/$s" ] && sh -n "$d/$s" || bad="$bad $s"
	done
	[ ! -e "$d/postrm" ] || bad="$bad postrm" # purge keeps the group
	grep -q 'groupadd --system xpu' "$d/postinst" || bad="$bad postinst-group"
	grep -q '/usr/lib/dkms/common.postinst "$NAME" "$VERSION"' "$d/postinst" &&
		grep -qx "VERSION=$version" "$d/postinst" || bad="$bad postinst-dkms"
	grep -q 'dkms remove -m "$NAME" -v "$VERSION" --all' "$d/prerm" || bad="$bad prerm-dkms"
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

# ---- a real Debian 12 root: apt-get install, use, apt-get purge ----
kver=$(basename "$khdr" | sed 's/^linux-headers-//')
ov=$tmp/overlay
rootfs=$ov/merged
# the mounts below live in this script's mount namespace; undone before
# $tmp is removed (and rm stays on $tmp's file system regardless)
cleanup() {
	umount -R "$rootfs" 2>/dev/null
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
# CMD... run in the root: no network (all the packages need is in the
# cached root), a clean environment
in_root() {
	[ -f "$tmp/root-mounted" ] || { echo "no Debian 12 root (see deb.debian12_root)"; return 1; }
	unshare --net chroot "$rootfs" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
debs=$(for p in $pkgs; do file_of "$p"; done)
t0=$(date +%s)
# shellcheck disable=SC2086 # one path per word
base=$(tests/packaging/debian-root.sh "$kver" $debs 2>"$tmp/root.log")
root_rc=$? root_secs=$(($(date +%s) - t0))

root_ready() {
	cat "$tmp/root.log"
	[ "$root_rc" = 0 ] || { echo "no Debian 12 root (debian-root.sh exit $root_rc)"; return 1; }
	[ "${XPU_DEB_TEST_NS:-}" = 1 ] ||
		{ echo "no private mount namespace (needs root and unshare --mount)"; return 1; }
	mkdir -p "$ov/upper" "$ov/work" "$rootfs" || return 1
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$ov/upper,workdir=$ov/work" "$rootfs" &&
		mount -t proc proc "$rootfs/proc" &&
		mount -t tmpfs -o mode=755 dev "$rootfs/dev" || return 1
	mknod -m 666 "$rootfs/dev/null" c 1 3 && mknod -m 666 "$rootfs/dev/zero" c 1 5 &&
		mknod -m 666 "$rootfs/dev/urandom" c 1 9 && ln -s /proc/self/fd "$rootfs/dev/fd" || return 1
	touch "$tmp/root-mounted"
	# shellcheck disable=SC2086 # one path per word
	mkdir -p "$rootfs/tmp/xpu-debs" && cp $debs "$rootfs/tmp/xpu-debs/" || return 1
	grep -q '^VERSION_CODENAME=bookworm' "$rootfs/etc/os-release" || return 1
	in_root dpkg-query -W -f='${Status}\n' "linux-headers-$kver" dkms | grep -vx 'install ok installed' &&
		return 1
	touch "$tmp/root-ready"
}
check debian12_root root_ready
if [ -f "$tmp/root-ready" ]; then
	echo "# deb: Debian 12 root $(basename "$base"): $root_secs s ($(grep -q 'debian-root: built' "$tmp/root.log" && echo built || echo cached))"
fi
# NAME FUNCTION: a check that needs the root
rcheck() {
	if [ -f "$tmp/root-ready" ]; then check "$@"; else not_ok "$1" "no Debian 12 root (see deb.debian12_root)"; fi
}

# the group, the module and the udev rule come from xpu-dkms's postinst
apt_install() {
	t0=$(date +%s)
	# shellcheck disable=SC2046 # one path per word
	in_root apt-get install -y --no-install-recommends \
		$(for p in $pkgs; do echo "/tmp/xpu-debs/$(basename "$(file_of "$p")")"; done) \
		>"$tmp/apt-install.log" 2>&1 || { tail -40 "$tmp/apt-install.log"; return 1; }
	for p in $pkgs; do
		[ "$(in_root dpkg-query -W -f='${Status} ${Version}' "$p")" = "install ok installed $dv" ] ||
			{ in_root dpkg -s "$p"; return 1; }
	done
	# nothing fetched: every dependency was in the root
	grep -E '^Get:[0-9]+ [a-z]+://' "$tmp/apt-install.log" && return 1
	sed -n '/^Setting up xpu-dkms/,/^Setting up [^x]\|^Processing/p' "$tmp/apt-install.log" >"$tmp/dkms-postinst"
	echo $(($(date +%s) - t0)) >"$tmp/apt-secs"
}
rcheck apt_get_install_all_five apt_install
[ -f "$tmp/apt-secs" ] &&
	echo "# deb: apt-get install of the five packages, DKMS build included: $(cat "$tmp/apt-secs") s"
# what xpu-dkms's postinst said
[ -f "$tmp/dkms-postinst" ] && sed 's/^/#   /' "$tmp/dkms-postinst"

group_rule() {
	local g
	g=$(in_root getent group xpu) || { echo "no group xpu"; return 1; }
	echo "group: $g"
	[ "$(cut -d: -f3 <<<"$g")" -lt 1000 ] || { echo "xpu is not a system group"; return 1; }
	[ -f "$rootfs/lib/udev/rules.d/70-xpu.rules" ] && [ -f "$rootfs/usr/lib/sysusers.d/xpu.conf" ]
}
rcheck postinst_created_the_xpu_group group_rule

dkms_module() {
	local st ko vm ref
	st=$(in_root dkms status -m xpu -v "$version" -k "$kver") || return 1
	echo "dkms status: $st"
	grep -q "^xpu/$version, $kver, x86_64: installed" <<<"$st" || return 1
	ko=$(cd "$rootfs" && ls "lib/modules/$kver/updates/dkms/"xpu.ko*) || return 1
	echo "module: /$ko"
	vm=$(in_root modinfo -F vermagic "/$ko")
	# the same vermagic as the kernel's own modules in the root
	ref=$(in_root modinfo -F vermagic gpu-sched -k "$kver")
	echo "vermagic: $vm (the kernel's gpu-sched: $ref)"
	[ -n "$vm" ] && [ "$vm" = "$ref" ] && [ "${vm%% *}" = "$kver" ] || return 1
	in_root modinfo -F alias "/$ko" | grep -qx 'pci:v00001234d00005850sv\*sd\*bc\*sc\*i\*' ||
		{ in_root modinfo "/$ko"; return 1; }
	# depmod registered it: modprobe resolves it and its dependencies among
	# the kernel's modules
	in_root modprobe -S "$kver" --show-depends xpu >"$tmp/deps" || { cat "$tmp/deps"; return 1; }
	cat "$tmp/deps"
	grep -q "^insmod /$ko" "$tmp/deps" && grep -q '/gpu-sched.ko' "$tmp/deps" &&
		grep -q '/drm.ko' "$tmp/deps" || return 1
	echo "$st; /$ko, vermagic $vm" >"$tmp/dkms-facts"
}
rcheck dkms_built_and_installed_xpu_ko dkms_module
[ -f "$tmp/dkms-facts" ] && echo "# deb: dkms: $(cat "$tmp/dkms-facts")"

# the DKMS-built module drives the device: make's VM (its QEMU, kernel and
# initramfs) boots with the build's xpu.ko; the guest replaces it with the
# one DKMS built (rmmod, insmod), checks by build ID that this one is loaded,
# and runs the matmul example on the device through it
dkms_in_vm() {
	local ko id tree_id out f
	for f in "${XPU_QEMU:-}" "${XPU_KERNEL:-}" "${XPU_INITRD:-}"; do
		[ -f "$f" ] || { echo "no VM artifact '$f' (make qemu initramfs builds them)"; return 1; }
	done
	ko=$(cd "$rootfs" && ls "lib/modules/$kver/updates/dkms/"xpu.ko*) || return 1
	case $ko in
	*.xz) xz -dc "$rootfs/$ko" ;;
	*.zst) zstd -dc "$rootfs/$ko" ;;
	*.gz) gzip -dc "$rootfs/$ko" ;;
	*) cat "$rootfs/$ko" ;;
	esac >"$tmp/xpu-dkms.ko" || return 1
	build_id() { readelf -n "$1" | sed -n 's/^ *Build ID: //p'; }
	id=$(build_id "$tmp/xpu-dkms.ko") tree_id=$(build_id xpu.ko)
	echo "build IDs: DKMS $id, the build's xpu.ko $tree_id"
	[ -n "$id" ] && [ "$id" != "$tree_id" ] || return 1
	t0=$(date +%s)
	# shellcheck disable=SC2016 # expanded in the guest
	out=$(tools/xpu-vm --timeout 300 --add "$tmp/xpu-dkms.ko=/opt/dkms/xpu.ko" -- '
		set -e
		rmmod xpu
		insmod /opt/dkms/xpu.ko
		echo "loaded build ID $(od -An -tx1 /sys/module/xpu/notes/.note.gnu.build-id | tr -d " \n" | tail -c 40)"
		ls /dev/accel/accel0
		xpu-matmul-demo 5 9 7' 2>&1) || { tail -30 <<<"$out"; return 1; }
	tail -8 <<<"$out"
	grep -qx "loaded build ID $id" <<<"$out" &&
		grep -qx 'check against the CPU: OK (0 of 35 elements differ)' <<<"$out" || return 1
	echo "the DKMS xpu.ko (build ID $id) loaded in the VM ran the matmul on the device ($(($(date +%s) - t0)) s)" >"$tmp/vm-facts"
}
rcheck dkms_module_drives_the_device_in_the_vm dkms_in_vm
[ -f "$tmp/vm-facts" ] && echo "# deb: $(cat "$tmp/vm-facts")"

outside() {
	local out
	cp examples/matmul/matmul-demo.c "$rootfs/tmp/" || return 1
	in_root sh -ec 'cd /tmp; flags=$(pkg-config --cflags --libs libxpu); echo "pkg-config: $flags"
		gcc -std=c11 -Wall -Wextra -Werror -o outside matmul-demo.c $flags
		lib=$(ldd ./outside | awk "/libxpu/ { print \$3 }"); echo "libxpu: $lib"
		[ "$(readlink -f "$lib")" = /usr/lib/libxpu.so.'"$version"' ]' || return 1
	out=$(in_root env XPU_BACKEND=host /tmp/outside 5 9 7) || { echo "$out"; return 1; }
	echo "$out"
	grep -qx 'check against the CPU: OK (0 of 35 elements differ)' <<<"$out"
}
rcheck outside_program_with_pkg_config outside

tools() {
	local out
	in_root xpu-smi --help | grep -q '^usage: xpu-smi' || { in_root xpu-smi --help; return 1; }
	# (xpu-as takes no --help: its usage, on stderr, is the answer)
	out=$(in_root xpu-as --help 2>&1)
	grep -q '^usage: xpu-as' <<<"$out" || { echo "xpu-as --help: $out"; return 1; }
	out=$(in_root env XPU_BACKEND=host xpu-smi --json -l 0.1 -c 2) || { echo "$out"; return 1; }
	in_root python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 2, lines
for l in lines:
    d = json.loads(l)["devices"][0]
    assert d["node"] == "host" and d["processes"] is None and "host backend" in d["processes_error"], d
' <<<"$out" || { echo "$out"; return 1; }
	printf '.kernel k\n.arg x buffer\n\thalt\n.end\n' >"$rootfs/tmp/k.s"
	in_root xpu-as -o /tmp/k.xpu /tmp/k.s && in_root xpu-dis /tmp/k.xpu | grep -q '^\.kernel k'
}
rcheck packaged_tools_run tools

python_pkg() {
	in_root env XPU_BACKEND=host PYTHONDONTWRITEBYTECODE=1 python3 - <<'PY'
import numpy as np
import xpu
assert xpu.__file__ == "/usr/lib/python3/dist-packages/xpu/__init__.py", xpu.__file__
dev = xpu.Device(0)
A = np.arange(-10, 22, dtype=np.int8).reshape(4, 8)
B = np.arange(24, dtype=np.int8).reshape(8, 3) - 12
mod = xpu.cc.matmul(dev, 4, 8, 3)
a, b = dev.from_numpy(A), dev.from_numpy(B)
c = dev.alloc(4 * 3 * 4)
mod["matmul"](a, b, c)
C = c.to_numpy("int32", (4, 3))
assert (C == A.astype(np.int32) @ B.astype(np.int32)).all(), C
print("python3-xpu: matmul OK with", xpu.library_path)
PY
}
rcheck python3_xpu_imports_and_computes python_pkg

purge() {
	local p f left="" files=$tmp/pkg-files
	: >"$files"
	for p in $pkgs; do in_root dpkg -L "$p" >>"$files" || return 1; done
	# shellcheck disable=SC2086 # one name per word
	in_root apt-get purge -y $pkgs >"$tmp/apt-purge.log" 2>&1 || { tail -30 "$tmp/apt-purge.log"; return 1; }
	for p in $pkgs; do
		in_root dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qvx not-installed &&
			left="$left package:$p"
	done
	# every path the packages had, but directories other packages share
	while read -r f; do
		[ -d "$rootfs$f" ] && continue
		[ -e "$rootfs$f" ] || [ -L "$rootfs$f" ] && left="$left $f"
	done <"$files"
	for f in "/usr/src/xpu-$version" /usr/include/xpu /usr/lib/python3/dist-packages/xpu \
		/var/lib/dkms/xpu /usr/share/doc/xpu-dkms; do
		[ -e "$rootfs$f" ] && left="$left $f"
	done
	# dkms remove ran: no module file, depmod forgot it
	left="$left $(cd "$rootfs" && find lib/modules/ -name 'xpu.ko*' | tr '\n' ' ')"
	grep -q 'xpu\.ko' "$rootfs/lib/modules/$kver/modules.dep" && left="$left modules.dep:xpu"
	# no file named after the packages anywhere the run wrote
	left="$left $(cd "$ov/upper" && find . -path '*xpu*' ! -path ./tmp/\* | tr '\n' ' ')"
	left=$(xargs <<<"$left")
	[ -z "$left" ] || { echo "left after apt-get purge: $left"; return 1; }
	in_root getent group xpu >/dev/null || { echo "purge removed the xpu group"; return 1; }
	echo "purged; the xpu group kept: $(in_root getent group xpu)"
}
rcheck apt_get_purge_leaves_nothing purge

tap_end deb
