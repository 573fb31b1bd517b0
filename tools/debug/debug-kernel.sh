#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the make check-debug guest kernel from Debian's linux-source-6.12:
# x86_64_defconfig + tools/debug/debug.config (KASAN, lockdep, kmemleak,
# DMA-API debug, UBSAN, intel-iommu). Cached in $XPU_CACHE/debug-kernel,
# keyed by the source version and the config fragment's hash: a second run
# is a no-op. Layout of the result (what tools/mkinitramfs.sh reads, like
# the Debian kernel's cache): OUT/vmlinuz, OUT/root/lib/modules/KVER, and the
# build tree OUT/build (make M= builds xpu.ko against it).
# Prints KDIR=... KVER=... on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${XPU_CACHE:-/var/cache/xpu}
base="$CACHE/debug-kernel"
mkdir -p "$base/dl"
exec 9>"$base/.lock"
flock 9
log() { echo "debug-kernel: $*" >&2; }

src="$base/linux-source-6.12"
if [ ! -f "$src/Makefile" ]; then
	log "fetching linux-source-6.12 (about 150 MB)"
	(cd "$base/dl" && ls linux-source-6.12_*.deb >/dev/null 2>&1 ||
		apt-get download -qq linux-source-6.12 >&2)
	rm -rf "$src.tmp" && mkdir -p "$src.tmp"
	dpkg-deb --fsys-tarfile "$base"/dl/linux-source-6.12_*.deb |
		tar -xO --wildcards '*/linux-source-6.12.tar.xz' | tar -xJ -C "$src.tmp"
	mv "$src.tmp/linux-source-6.12" "$src" && rm -rf "$src.tmp"
fi
key=$(cat "$here/debug.config" "$0" | sha256sum | cut -c1-12)
out="$base/build-$key"
if [ ! -f "$out/.done" ]; then
	log "building the debug kernel in $out (cold: tens of minutes on 2 cores)"
	mkdir -p "$out/build"
	make -s -C "$src" O="$out/build" x86_64_defconfig >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out/build" "$out/build/.config" \
		"$here/debug.config" >&2
	make -s -C "$src" O="$out/build" olddefconfig >&2
	# every fragment line must have taken (a dependency missing silently
	# drops an option)
	bad=0
	while read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qx "$line" "$out/build/.config" || { log "not taken: $line"; bad=1; } ;;
		"# CONFIG_"*" is not set") ! grep -q "^${line:2:-11}=" "$out/build/.config" ||
			{ log "not taken: $line"; bad=1; } ;;
		esac
	done <"$here/debug.config"
	[ "$bad" = 0 ] || exit 1
	nice make -s -C "$src" O="$out/build" -j"$(nproc)" bzImage modules >&2
	rm -rf "$out/root"
	make -s -C "$src" O="$out/build" INSTALL_MOD_PATH="$out/root" modules_install >&2
	cp "$out/build/arch/x86/boot/bzImage" "$out/vmlinuz"
	touch "$out/.done"
fi
kver=$(cat "$out/build/include/config/kernel.release")
echo "KDIR=$out"
echo "KVER=$kver"
