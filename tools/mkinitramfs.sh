#!/bin/bash
# SPDX-License-Identifier: MIT
# Packs the guest initramfs: busybox-static, the DRM modules xpu.ko needs
# (with their dependencies, decompressed, depmod'ed), xpu.ko, our binaries
# with their shared libraries, and the guest init (tools/guest-init.sh).
#
# usage: mkinitramfs.sh KDIR KVER XPU_KO BUILD_DIR OUT
set -euo pipefail
kdir=$1 kver=$2 ko=$3 build=$(cd "$4" && pwd) out=$5
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/lib,lib,lib64,proc,sys,dev,tmp,run,etc}
mkdir -p "$root"/opt/xpu/tests "$root/lib/modules/$kver/extra"
cp /bin/busybox "$root/bin/busybox"
cp "$here/guest-init.sh" "$root/init"
chmod +x "$root/init"

# Kernel modules: everything modprobe would load for the DRM helpers we use.
mods="drm drm_kms_helper gpu-sched drm_shmem_helper drm_buddy drm_exec drm_gpuvm"
# the NVMe driver: the reference device of the job latency benchmark (xpu-vm --nvme)
mods="$mods nvme"
# virtio-9p (fs 9p, 9pnet_virtio, netfs): xpu-vm --share and --python
mods="$mods 9p 9pnet_virtio"
[ -f "$kdir/root/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir/root" "$kver"
for m in $mods; do
	# (a module the kernel builds in, or lacks, is no file to copy: the
	# debug kernel of make check-debug has no nvme or drm_gpuvm modules)
	modprobe -d "$kdir/root" -S "$kver" --show-depends "$m" 2>/dev/null |
		awk '$1 == "insmod" { print $2 }' || true
done | sort -u | while read -r f; do
	rel=${f#"$kdir/root"}
	mkdir -p "$root$(dirname "$rel")"
	cp "$f" "$root$rel"
done
cp "$kdir/root/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} \
	"$root/lib/modules/$kver/"
cp "$ko" "$root/lib/modules/$kver/extra/xpu.ko"
depmod -b "$root" "$kver"

# Our binaries and their shared libraries.
# (a failed copy stops the build: a test left out would only go unnoticed)
cp -a "$build"/bin/. "$root/usr/bin/"
cp -a "$build"/lib/. "$root/usr/lib/"
cp -a "$build"/kselftest/. "$root/opt/xpu/tests/"
cp -a "$build"/vm-tests/. "$root/opt/xpu/tests/"
mkdir -p "$root/usr/share" && cp -a "$build"/share/. "$root/usr/share/"
# the packaged mdev rule: run-tests.sh grants /dev/accel to group xpu with it
mkdir -p "$root/usr/share/xpu" && cp "$here/../packaging/udev/xpu.mdev.conf" "$root/usr/share/xpu/"
cp -a "$here"/guest/. "$root/usr/bin/"
# the xpu Python package and its tests (python3 in the guest: xpu-vm --python)
mkdir -p "$root/opt/xpu/python/xpu" "$root/opt/xpu/python-tests"
cp "$here"/../python/xpu/*.py "$root/opt/xpu/python/xpu/"
cp "$here"/../tests/python/*.py "$root/opt/xpu/python-tests/"
find "$root/usr/bin" "$root/opt/xpu" "$root/usr/lib" -type f | while read -r f; do
	LD_LIBRARY_PATH="$build/lib" ldd "$f" 2>/dev/null |
		grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
	case "$lib" in "$build"/*) continue ;; esac
	[ -e "$root$lib" ] && continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
[ -d /usr/share/misc ] && [ -f /usr/share/misc/pci.ids ] &&
	mkdir -p "$root/usr/share/misc" && cp /usr/share/misc/pci.ids "$root/usr/share/misc/"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
