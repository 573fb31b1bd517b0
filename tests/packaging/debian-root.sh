#!/bin/bash
# SPDX-License-Identifier: MIT
# debian-root.sh: a real Debian 12 (bookworm) root to install the packages
# into, built once with debootstrap --variant=minbase and cached in
# $XPU_CACHE/debian12-root-KEY (read-only afterwards: deb-test.sh runs each
# test on an overlay over it, so runs stay independent). Besides minbase it
# holds what the packages need, installed beforehand so that installing them
# needs no network: dkms, the 6.12 headers linux-headers-KVER (from
# bookworm-security, the kernel the project uses; they pull in that
# kernel's image and modules, installed without an initramfs),
# gcc/libc6-dev/pkg-config for an outside program, and every dependency
# the .deb files name (other than each other). KEY hashes this recipe, KVER and that dependency list:
# a package gaining a dependency gets a new root.
#
# The mirrors are the host's (/etc/apt/sources.list{,.d}): Debian's archive
# for bookworm and bookworm-updates, its security archive for
# bookworm-security.
#
# usage: debian-root.sh KVER DEB...   prints the root's path on stdout;
#        progress and errors on stderr; exit 1 naming the step that failed
set -euo pipefail
kver=${1:?usage: debian-root.sh KVER DEB...}
shift
cache=${XPU_CACHE:-/var/cache/xpu}
recipe=2 # bump when the steps below change

die() { echo "debian-root: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (tools/setup-host.sh installs it)"

# the packages' dependencies: first alternative, no version, not one of ours
ours=$(for d in "$@"; do dpkg-deb -f "$d" Package; done)
deps=$(for d in "$@"; do dpkg-deb -f "$d" Depends; done | tr ',' '\n' |
	sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep -v '^$' |
	grep -vxF -f <(printf '%s\n' "$ours") | sort -u | tr '\n' ' ')
base="dkms linux-headers-$kver gcc libc6-dev make pkg-config kmod"
key=$(printf '%s\n' "$recipe" "$kver" "$base" "$deps" | sha256sum | cut -c1-12)
root=$cache/debian12-root-$key
if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi

# the host's Debian mirrors (deb822 or one-line format)
mirror_of() { # SUITE
	{
		awk -v s="$1" '/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) print u }
			/^$/ { u = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null
		awk -v s="$1" '$1 == "deb" && $3 == s { print $2 }' /etc/apt/sources.list \
			/etc/apt/sources.list.d/*.list 2>/dev/null
	} | grep -m1 . || true
}
mirror=$(mirror_of bookworm)
security=$(mirror_of bookworm-security)
[ -n "$mirror" ] || die "no Debian bookworm mirror in /etc/apt/sources.list{,.d}"
[ -n "$security" ] || security=http://deb.debian.org/debian-security

mkdir -p "$cache"
exec 8>"$cache/debian12-root.lock"
flock 8
if [ -f "$root/.done" ]; then # another run built it meanwhile
	echo "$root"
	exit 0
fi
start=$(date +%s)
new=$root.new
rm -rf --one-file-system "$new"
# a root that failed half-way is not kept (its mounts died with unshare)
trap 'rm -rf --one-file-system "$new"' EXIT
log=$cache/debian12-root-$key.log
echo "debian-root: building $root (debootstrap minbase bookworm from $mirror; log $log)" >&2
debootstrap --variant=minbase bookworm "$new" "$mirror" >"$log" 2>&1 ||
	{ tail -20 "$log" >&2; die "debootstrap failed (log $log)"; }
cat >"$new/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
# no daemons started by maintainer scripts in the root
printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
chmod 755 "$new/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$new/etc/resolv.conf"
# apt inside the root, in a private mount namespace (its /proc and /dev go
# away with it; nothing of the host is bind-mounted)
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private sh -ec '
	r=$1; shift
	mount -t proc proc "$r/proc"
	mount -t tmpfs -o mode=755 dev "$r/dev"
	mknod -m 666 "$r/dev/null" c 1 3
	mknod -m 666 "$r/dev/zero" c 1 5
	mknod -m 666 "$r/dev/random" c 1 8
	mknod -m 666 "$r/dev/urandom" c 1 9
	ln -s /proc/self/fd "$r/dev/fd"
	# (INITRD=No: the root never boots, the kernel needs no initramfs)
	export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 INITRD=No
	chroot "$r" apt-get update -qq
	# shellcheck disable=SC2086
	chroot "$r" apt-get install -y -qq --no-install-recommends "$@"
	chroot "$r" apt-get clean
	umount "$r/dev" "$r/proc"
' sh "$new" $base $deps >>"$log" 2>&1 ||
	{ tail -20 "$log" >&2; die "installing $base $deps into the root failed (log $log)"; }
rm -f "$new/etc/resolv.conf"
[ -d "$new/usr/src/linux-headers-$kver" ] || die "linux-headers-$kver missing in the root"
touch "$new/.done"
mv "$new" "$root"
echo "debian-root: built in $(($(date +%s) - start)) s: $root ($(du -sh "$root" | cut -f1))" >&2
echo "$root"
