#!/bin/bash
# SPDX-License-Identifier: MIT
# Host set-up for the XPU stack on Debian 12, run as root: apt packages (with a
# deb-src entry), QEMU 7.2 source, Debian's 6.12 kernel image, headers and the
# kselftest/checkpatch files from linux-source-6.12. Everything downloaded or
# built lands in $XPU_CACHE (default /var/cache/xpu), keyed by version, so a
# second run is a no-op. Prints shell assignments for the Makefile on stdout.
set -euo pipefail

CACHE=${XPU_CACHE:-/var/cache/xpu}
mkdir -p "$CACHE"
# One set-up at a time (parallel builds share the cache).
exec 9>"$CACHE/.setup.lock"
flock 9
log() { echo "setup: $*" >&2; }

PKGS="build-essential pkg-config meson ninja-build libglib2.0-dev libpixman-1-dev
libfdt-dev zlib1g-dev flex bison python3-venv dpkg-dev busybox-static kmod cpio
gzip xz-utils seabios qemu-system-data libdrm-dev libpci-dev libelf-dev sparse
pciutils protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata
python3-onnx python3-numpy python3-torch libopenblas0-pthread libopenblas-dev fortunes clang-14
libcap-ng-dev libattr1-dev debootstrap"

stamp="$CACHE/.apt-done-v5"
if [ ! -f "$stamp" ]; then
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
	   ! grep -qs '^deb-src' /etc/apt/sources.list; then
		log "adding a deb-src entry"
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources
		else
			echo "deb-src http://deb.debian.org/debian bookworm main" \
				>/etc/apt/sources.list.d/xpu-deb-src.list
		fi
	fi
	log "apt-get update + install"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $PKGS >&2
	touch "$stamp"
fi

# --- the 6.12 kernel: resolve N through the meta package ---------------------
KVER=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
	sed -n 's/.*Depends: linux-image-\(6\.12\.[^ ]*-amd64\)$/\1/p' | head -1)
[ -n "$KVER" ] || { log "cannot resolve linux-image-6.12-amd64"; exit 1; }
KDIR="$CACHE/kernel-$KVER"
if [ ! -f "$KDIR/.done" ]; then
	log "fetching kernel $KVER"
	rm -rf "$KDIR"; mkdir -p "$KDIR/dl"
	(cd "$KDIR/dl" && apt-get download -qq "linux-image-$KVER" >&2)
	dpkg-deb -x "$KDIR"/dl/linux-image-*.deb "$KDIR/root"
	cp "$KDIR/root/boot/vmlinuz-$KVER" "$KDIR/vmlinuz"
	find "$KDIR/root/lib/modules" -name '*.ko.xz' -exec xz -d {} +
	rm -rf "$KDIR/dl"
	touch "$KDIR/.done"
fi
if [ ! -d "/usr/src/linux-headers-$KVER" ]; then
	log "installing linux-headers-$KVER"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"linux-headers-$KVER" >&2
fi

# --- kselftest harness and checkpatch from linux-source-6.12 ----------------
SRCPKG=$(apt-cache depends linux-source-6.12 2>/dev/null >/dev/null; \
	apt-cache policy linux-source-6.12 | sed -n 's/ *Candidate: //p')
LSRC="$CACHE/linux-source-${SRCPKG//[:~]/_}"
if [ ! -f "$LSRC/.done" ]; then
	log "fetching linux-source-6.12 $SRCPKG (for kselftest and checkpatch)"
	rm -rf "$LSRC"; mkdir -p "$LSRC/dl"
	(cd "$LSRC/dl" && apt-get download -qq linux-source-6.12 >&2)
	dpkg-deb --fsys-tarfile "$LSRC"/dl/linux-source-6.12_*.deb |
		tar -x -C "$LSRC/dl" --wildcards '*/linux-source-6.12.tar.xz'
	tar -xJf "$LSRC"/dl/usr/src/linux-source-6.12.tar.xz -C "$LSRC" \
		--strip-components=1 \
		linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.12/tools/testing/selftests/kselftest.h \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch
	rm -rf "$LSRC/dl"
	touch "$LSRC/.done"
fi

# --- QEMU 7.2 source, patched by dpkg-source --------------------------------
QVER=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)
QSRC="$CACHE/qemu-${QVER//[:~]/_}"
if [ ! -f "$QSRC/.done" ]; then
	log "fetching qemu source $QVER"
	rm -rf "$QSRC" "$CACHE/qemu-dl"; mkdir -p "$CACHE/qemu-dl"
	(cd "$CACHE/qemu-dl" && apt-get source -qq "qemu=$QVER" >&2)
	mv "$(find "$CACHE/qemu-dl" -maxdepth 1 -mindepth 1 -type d -name 'qemu-*' | head -1)" "$QSRC"
	rm -rf "$CACHE/qemu-dl"
	touch "$QSRC/.done"
fi

# --- the handwritten digits data set shipped by python3-sklearn ------------
DIGITS="$CACHE/digits/digits.csv.gz"
if [ ! -f "$DIGITS" ]; then
	log "fetching python3-sklearn for its digits data set"
	rm -rf "$CACHE/digits"; mkdir -p "$CACHE/digits/dl"
	(cd "$CACHE/digits/dl" && apt-get download -qq python3-sklearn >&2)
	dpkg-deb --fsys-tarfile "$CACHE"/digits/dl/python3-sklearn_*.deb |
		tar -x -C "$CACHE/digits/dl" --wildcards '*/sklearn/datasets/data/digits.csv.gz'
	mv "$(find "$CACHE/digits/dl" -name digits.csv.gz | head -1)" "$DIGITS"
	rm -rf "$CACHE/digits/dl"
fi

echo "KVER=$KVER"
echo "KDIR=$KDIR"
echo "LSRC=$LSRC"
echo "QSRC=$QSRC"
echo "DIGITS_CSV=$DIGITS"
