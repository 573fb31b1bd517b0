#!/bin/bash
# SPDX-License-Identifier: MIT
# mkdeb.sh: the Debian 12 packages of XPU, with plain dpkg-deb (no debhelper),
# from `make install DESTDIR=... PREFIX=/usr` and the driver's sources:
#
#   libxpu0      the runtime library (soname libxpu.so.0), shlibs + ldconfig trigger
#   libxpu-dev   headers, libxpu.so, libxpu.pc
#   xpu-tools    xpu-smi, xpu-as, xpu-dis, xpu-cc, xpu-onnx-test, xpu-quantize,
#                xpu-prof and their man pages
#   python3-xpu  the xpu Python package (ctypes over libxpu0)
#   xpu-dkms     the driver's sources for DKMS (/usr/src/xpu-VERSION), built and
#                installed for the kernels with headers by the postinst (as
#                dh_dkms does), the udev rule and the xpu group (postinst),
#                the busybox mdev line
#
# Binary dependencies come from dpkg-shlibdeps; libxpu0's own shlibs file
# points the tools at libxpu0 (>= VERSION).
#
# usage: packaging/mkdeb.sh BUILD_DIR OUT_DIR VERSION   (from the source tree;
#        MAKE honoured; the runtime must be built)
set -euo pipefail
build=$(cd "${1:?usage: mkdeb.sh BUILD_DIR OUT_DIR VERSION}" && pwd)
out=${2:?usage: mkdeb.sh BUILD_DIR OUT_DIR VERSION}
version=${3:?usage: mkdeb.sh BUILD_DIR OUT_DIR VERSION}
make=${MAKE:-make}
src=$(pwd)
here=$src/packaging
deb_version=$version-1
arch=$(dpkg --print-architecture)
maintainer="XPU developers <xpu@localhost>"
homepage="https://localhost/xpu"

if [ ! -f "$src/Kbuild" ] || [ ! -d "$src/driver" ]; then
	echo "mkdeb.sh: run from the XPU source tree" >&2
	exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inst=$work/inst
"$make" --no-print-directory BUILD="$build" install DESTDIR="$inst" PREFIX=/usr >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log" >&2; echo "mkdeb.sh: make install failed" >&2; exit 1; }
# as dh_strip does: no debug information in the packages
for f in "$inst"/usr/lib/libxpu.so.* "$inst"/usr/bin/*; do
	[ -L "$f" ] && continue
	file -b "$f" | grep -q '^ELF' || continue
	strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"
done

# pkg_dir NAME: a fresh package tree with its copyright file
pkg_dir() {
	local d=$work/pkg/$1
	mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1"
	cat >"$d/usr/share/doc/$1/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: xpu

Files: *
License: MIT
 The runtime (libxpu), its headers, the tools and the Python package.

Files: driver/* uapi/*
License: GPL-2.0-only
 The kernel driver (xpu-dkms). On Debian systems the full text of the GPL
 version 2 is in /usr/share/common-licenses/GPL-2.
EOF
	echo "$d"
}

# shlibdeps PKGDIR FILE...: the shlibs:Depends line of the ELF files
shlibdeps() {
	local d=$1 tmpd
	shift
	tmpd=$work/shlib-$(basename "$d")
	mkdir -p "$tmpd/debian"
	printf 'Source: xpu\n\nPackage: %s\nArchitecture: any\n' "$(basename "$d")" \
		>"$tmpd/debian/control"
	# libxpu from this build resolves to libxpu0
	printf 'libxpu 0 libxpu0 (>= %s)\n' "$version" >"$tmpd/debian/shlibs.local"
	(cd "$tmpd" && dpkg-shlibdeps -O -l"$inst/usr/lib" "$@" 2>"$tmpd/err") |
		sed -n 's/^shlibs:Depends=//p' ||
		{ cat "$tmpd/err" >&2; return 1; }
}

# control PKGDIR ARCH DEPENDS DESCRIPTION [EXTRA-FIELDS]
control() {
	local d=$1 a=$2 deps=$3 desc=$4 extra=${5:-} size
	size=$(du -sk --exclude=DEBIAN "$d" | cut -f1)
	{
		echo "Package: $(basename "$d")"
		echo "Version: $deb_version"
		echo "Architecture: $a"
		echo "Maintainer: $maintainer"
		echo "Installed-Size: $size"
		[ -n "$deps" ] && echo "Depends: $deps"
		[ -n "$extra" ] && printf '%s\n' "$extra"
		echo "Section: misc"
		echo "Priority: optional"
		echo "Homepage: $homepage"
		echo "Description: $desc"
	} >"$d/DEBIAN/control"
	(cd "$d" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
		sort -z | xargs -0r md5sum >DEBIAN/md5sums)
	[ -s "$d/DEBIAN/md5sums" ] || rm -f "$d/DEBIAN/md5sums"
}

build_deb() {
	local d=$1 a=$2
	dpkg-deb --root-owner-group -Zxz --build "$d" \
		"$out/$(basename "$d")_${deb_version}_$a.deb" >/dev/null
}

rm -f "$out"/*.deb

# ---- libxpu0 ----
d=$(pkg_dir libxpu0)
mkdir -p "$d/usr/lib"
cp -a "$inst"/usr/lib/libxpu.so.0* "$d/usr/lib/"
printf 'libxpu 0 libxpu0 (>= %s)\n' "$version" >"$d/DEBIAN/shlibs"
printf 'activate-noawait ldconfig\n' >"$d/DEBIAN/triggers"
deps=$(shlibdeps "$d" "$d/usr/lib/libxpu.so.$version")
control "$d" "$arch" "$deps" "XPU accelerator runtime library
 libxpu: devices, buffers, modules, kernels, streams and events of the XPU
 virtual AI accelerator, through its DRM accel driver or the in-process host
 backend (XPU_BACKEND=host); the kernel and model (ONNX) compilers." \
	"Multi-Arch: same"
build_deb "$d" "$arch"

# ---- libxpu-dev ----
d=$(pkg_dir libxpu-dev)
mkdir -p "$d/usr/lib/pkgconfig" "$d/usr/include"
cp -a "$inst/usr/include/xpu" "$d/usr/include/"
cp -a "$inst/usr/lib/libxpu.so" "$d/usr/lib/"
cp -a "$inst/usr/lib/pkgconfig/libxpu.pc" "$d/usr/lib/pkgconfig/"
control "$d" "$arch" "libxpu0 (= $deb_version)" "XPU accelerator runtime library: development files
 Headers (xpu/xpu.h, xpu/xpu_compiler.h, ...), libxpu.so and libxpu.pc:
 build programs with \`pkg-config --cflags --libs libxpu\`."
build_deb "$d" "$arch"

# ---- xpu-tools ----
d=$(pkg_dir xpu-tools)
mkdir -p "$d/usr/bin" "$d/usr/share/man/man1"
cp -a "$inst"/usr/bin/. "$d/usr/bin/"
for m in "$inst"/usr/share/man/man1/*.1; do
	gz=$d/usr/share/man/man1/$(basename "$m").gz
	gzip -9n <"$m" >"$gz"
done
elfs=$(for f in "$d"/usr/bin/*; do
	file -b "$f" | grep -q '^ELF' && echo "$f"; done)
# shellcheck disable=SC2086 # one ELF path per word
deps=$(shlibdeps "$d" $elfs)
deps=$(sed -E 's/(^|, )libxpu0 \([^)]*\)//; s/^, //' <<<"$deps")
control "$d" "$arch" "libxpu0 (= $deb_version), $deps, python3" "XPU accelerator tools
 xpu-smi (devices, utilisation, processes), xpu-as and xpu-dis (assembler,
 disassembler), xpu-cc (kernel and ONNX model compiler), xpu-onnx-test,
 xpu-quantize (post-training int8) and xpu-prof (Perfetto traces)." \
	"Recommends: python3-numpy, python3-onnx"
build_deb "$d" "$arch"

# ---- python3-xpu ----
d=$(pkg_dir python3-xpu)
mkdir -p "$d/usr/lib/python3/dist-packages/xpu"
install -m 644 "$src"/python/xpu/*.py "$d/usr/lib/python3/dist-packages/xpu/"
control "$d" all "python3, python3-numpy, libxpu0 (>= $version)" "XPU accelerator runtime: Python 3 package
 import xpu: devices, buffers from and to numpy arrays, kernels compiled per
 operation or from ONNX, launches, streams, events; errors as exceptions
 carrying libxpu's status and detail (ctypes over libxpu0)."
build_deb "$d" all

# ---- xpu-dkms ----
d=$(pkg_dir xpu-dkms)
srcdir=$d/usr/src/xpu-$version
mkdir -p "$srcdir/driver" "$d/lib/udev/rules.d" "$d/usr/lib/sysusers.d"
cp "$src/Kbuild" "$srcdir/"
cp "$src"/driver/*.c "$src"/driver/*.h "$srcdir/driver/"
cp -r "$src/uapi" "$srcdir/"
sed "s/@VERSION@/$version/" "$here/dkms.conf" >"$srcdir/dkms.conf"
install -m 644 "$here/udev/70-xpu.rules" "$d/lib/udev/rules.d/"
install -m 644 "$here/udev/xpu.sysusers" "$d/usr/lib/sysusers.d/xpu.conf"
install -m 644 "$here/udev/xpu.mdev.conf" "$d/usr/share/doc/xpu-dkms/"
for s in postinst prerm; do
	sed "s/@VERSION@/$version/" "$here/debian/xpu-dkms.$s" >"$d/DEBIAN/$s"
	chmod 755 "$d/DEBIAN/$s"
done
control "$d" all "dkms (>= 2.1.0.0), passwd" "XPU accelerator kernel driver (DKMS sources)
 The xpu DRM accel driver (/dev/accel/accelN), built by DKMS for each
 installed Debian 12 6.12 kernel with its headers. Creates the xpu group;
 its udev rule lets the group's members open the device nodes." \
	"Recommends: linux-headers-amd64"
build_deb "$d" all

ls "$out"/*.deb
