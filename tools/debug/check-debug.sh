#!/bin/bash
# SPDX-License-Identifier: MIT
# make check-debug: the VM suite (kselftests, runtime suites, ONNX subset,
# models, examples, the ioctl fuzzer, the lifecycle test) on a debug kernel
# (tools/debug/debug-kernel.sh: KASAN, lockdep, kmemleak, DMA-API debug,
# UBSAN) behind QEMU's intel-iommu, then the qtests on an ASan + UBSan build
# of QEMU. Every kernel or sanitizer report fails the run. TAP on stdout:
# the VM streams, then one test per class of report and one for the qtests.
#
# usage: check-debug.sh BUILD   (env: XPU_QEMU, XPU_CACHE, CHECK_XPU_OPTS,
#        CHECK_ENV, QSRC: as the Makefile sets them)
set -uo pipefail
build=${1:?usage: check-debug.sh BUILD}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mkdir -p "$build/debug"
dir=$(cd "$build/debug" && pwd)	# absolute: used after cd's below
t0=$(date +%s)

# 1. the kernel (cached), xpu.ko against it, the initramfs with its modules
kv=$("$here/debug-kernel.sh") || { echo "Bail out! the debug kernel does not build"; exit 1; }
eval "$kv"
echo "# debug kernel $KVER ($KDIR), ready after $(( $(date +%s) - t0 )) s"
mod="$(cd "$dir" && pwd)/module"
rm -rf "$mod" && mkdir -p "$mod"
cp -r "$top/Kbuild" "$top/driver" "$top/uapi" "$mod/"
rm -f "$mod"/driver/*.o "$mod"/driver/.*.cmd
if ! make -s -C "$KDIR/build" M="$mod" modules >"$dir/module.log" 2>&1; then
	cat "$dir/module.log"
	echo "Bail out! xpu.ko does not build against the debug kernel"
	exit 1
fi
"$top/tools/mkinitramfs.sh" "$KDIR" "$KVER" "$mod/xpu.ko" "$build" "$dir/initramfs.cpio.gz" ||
	{ echo "Bail out! initramfs"; exit 1; }

# 2. the VM suite, then a kmemleak scan (twice: a fresh leak needs two)
cmd='run-tests.sh; rc=$?
echo scan >/sys/kernel/debug/kmemleak; sleep 6; echo scan >/sys/kernel/debug/kmemleak
cat /sys/kernel/debug/kmemleak >/dev/ttyS1
exit $rc'
# shellcheck disable=SC2086
"$top/tools/xpu-vm" --kernel "$KDIR/vmlinuz" --initrd "$dir/initramfs.cpio.gz" --iommu \
	--mem 4G --timeout 3600 --xpus 2 --links ring --env XPU_EXPECT_LINKS=ring \
	--xpu-opts "${CHECK_XPU_OPTS:?}" ${CHECK_ENV:-} \
	--log "$dir/console.log" -- "$cmd" >"$dir/vm.tap" 2>&1
vmrc=$?
kmsg="$dir/console.log.kmsg"
grep -vE '^(xpu-vm|XPU-EXIT)' "$dir/vm.tap"
n=0
report() { # name regexp what
	local hits
	n=$((n + 1))
	hits=$(grep -cE "$2" "$kmsg" 2>/dev/null)
	if [ "${hits:-0}" = 0 ]; then
		echo "ok $n debug.$1 # no $3 report"
	else
		echo "not ok $n debug.$1 # $hits lines of $3 reports in $kmsg:"
		grep -E "$2" "$kmsg" | head -5 | sed 's/^/#   /'
	fi
}
echo "# ---- check-debug"
echo "1..8"
n=$((n + 1))
if [ "$vmrc" = 0 ]; then echo "ok $n debug.vm_suite # exit status 0"
else echo "not ok $n debug.vm_suite # the guest suite's exit status $vmrc"; fi
report kasan 'BUG: KASAN|KASAN:' KASAN
report lockdep 'possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lock held when returning|DEBUG_LOCKS_WARN_ON|BUG: sleeping function' lockdep
report kmemleak 'unreferenced object|kmemleak: .*new suspected memory leaks' kmemleak
report dma_api 'DMA-API: .*(device driver|leak|failed|exceeded)' DMA-API
report ubsan 'UBSAN:' UBSAN
report kernel 'BUG:|WARNING:|Oops|general protection fault|Call Trace:|blocked for more than' 'BUG/WARNING/Oops'

# 3. the qtests on an ASan + UBSan QEMU (its own build directory, cached)
n=$((n + 1))
asan="${XPU_CACHE:-/var/cache/xpu}/qemu-build-asan-$(basename "${QSRC:?}" | sed 's/^qemu-//')"
(
	flock 9
	if [ ! -f "$asan/build.ninja" ]; then
		mkdir -p "$asan" && cd "$asan" &&
		"$QSRC/configure" --target-list=x86_64-softmmu --without-default-features \
			--without-default-devices --enable-virtfs --enable-cap-ng --enable-attr \
			--enable-sanitizers --disable-docs --disable-install-blobs >configure.log 2>&1
	fi &&
	nice ninja -C "$asan" qemu-system-x86_64 tests/qtest/xpu-test >"$dir/qemu-asan-build.log" 2>&1
) 9>"${XPU_CACHE:-/var/cache/xpu}/qemu.lock"
if [ $? != 0 ]; then
	echo "not ok $n debug.qtest_asan # the ASan QEMU does not build ($dir/qemu-asan-build.log)"
else
	QTEST_QEMU_BINARY="$asan/qemu-system-x86_64" UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ASAN_OPTIONS=detect_leaks=0 "$asan/tests/qtest/xpu-test" --tap -k >"$dir/qtest-asan.tap" 2>&1
	qrc=$?
	if [ "$qrc" = 0 ] && ! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$dir/qtest-asan.tap"; then
		echo "ok $n debug.qtest_asan # $(grep -c '^ok' "$dir/qtest-asan.tap") qtests clean under ASan + UBSan"
	else
		echo "not ok $n debug.qtest_asan # exit status $qrc, see $dir/qtest-asan.tap"
		grep -E 'ERROR: AddressSanitizer|runtime error:|^not ok' "$dir/qtest-asan.tap" | head -5 | sed 's/^/#   /'
	fi
fi
echo "# check-debug took $(( $(date +%s) - t0 )) s"
