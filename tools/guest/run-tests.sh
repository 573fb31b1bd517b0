#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every XPU kselftest binary in the guest; TAP output on stdout.
#
# Unprivileged use: the tests run as a normal user (xpuuser) who may open
# /dev/accel/accel* only as a member of group xpu, granted the way a
# distribution with busybox mdev does it: the packaged mdev line
# (packaging/udev/xpu.mdev.conf, in /usr/share/xpu or /etc/xpu.mdev.conf)
# goes into /etc/mdev.conf and mdev applies it to each accel device. Only
# what needs root runs as root (ROOT_TESTS below: sysfs BAR0, debugfs,
# module parameters, the kernel log, module reload); each stream's '# ----'
# line says which user ran it.
rc=0
# the runtime suites find the tools (xpu-as, xpu-dis, xpu-cc) in $XPU_BUILD/bin
export XPU_BUILD=/usr
user=xpuuser
# Each suite's TAP stream follows a '# ---- NAME' line (tools/check-summary.sh
# checks each stream's plan and that every expected stream is there). A
# suite that cannot run is a failing stream, never a silent skip.
fail_stream() { # NAME REASON
	printf 'TAP version 13\n1..1\nnot ok 1 %s # %s\n' "$1" "$2"
	rc=1
}

# The tests that need root, per suite: 'SUITE:TEST,TEST:why' ('*': all).
ROOT_TESTS="
xpu_query_test:*:BAR0 registers through sysfs resource0
xpu_recovery_test:*:debugfs error injection and reset, module parameters, devcoredump
xpu_bo_test:hbm_exhaustion_and_reuse:debugfs hbm accounting
xpu_harden_test:hbm_page0_never_a_pt_root,sram_scrubbed_for_next_owner_of_ctx_id:debugfs contexts (page-table roots, context ids)
xpu_job_test:bad_ctx_status_not_folded,direct_submission_only_when_nothing_comes_first,direct_jobs_release_their_fences:debugfs error injection and queue counters, module parameters
xpu_submit_test:debug_category_job_logs_lifecycle:module parameter dbg_mask, kernel log
runtime-peer:link_error_is_reported:debugfs link error injection
xpu_link_test:no_path_enolink,pcie_import_when_links_down,importer_unbind_releases_window,exporter_unbind_revokes_link_error,exporter_unbind_revokes_pcie_link_error:module parameter pcie_p2p, debugfs link injection, PCI unbind and bind, kernel log
"

# The user, its group xpu, and the packaged mdev rule applied to the accel
# devices (as the kernel's hotplug call of mdev would). Fails if the nodes
# do not end up root:xpu 0660.
setup_user() {
	rule=/etc/xpu.mdev.conf
	[ -f $rule ] || rule=/usr/share/xpu/xpu.mdev.conf
	[ -f $rule ] || { echo "no packaged mdev rule (xpu.mdev.conf)"; return 1; }
	grep -q '^root:' /etc/passwd 2>/dev/null || echo "root:x:0:0::/root:/bin/sh" >>/etc/passwd
	grep -q '^root:' /etc/group 2>/dev/null || echo "root:x:0:" >>/etc/group
	grep -q "^$user:" /etc/passwd || echo "$user:x:1000:1000::/tmp:/bin/sh" >>/etc/passwd
	grep -q '^xpu:' /etc/group || printf 'xpu:x:990:%s\n%s:x:1000:\n' $user $user >>/etc/group
	grep -v '^#' $rule >>/etc/mdev.conf
	for d in /sys/class/accel/accel*; do
		p=$(readlink -f "$d")
		# shellcheck disable=SC2046 # MAJOR= MINOR= DEVNAME= of the uevent
		env $(cat "$d/uevent") ACTION=add SUBSYSTEM=accel DEVPATH="${p#/sys}" mdev || return 1
	done
	# shellcheck disable=SC2012 # ls -ln for the owner, group and mode
	modes=$(ls -ln /dev/accel | awk '/accel[0-9]/ { print $1, $3, $4 }' | sort -u)
	[ "$modes" = "crw-rw---- 0 990" ] || { echo "/dev/accel after mdev: $modes"; return 1; }
	id=$(su -s /bin/sh $user -c id)
	case $id in *"uid=1000($user)"*"990(xpu)"*) ;; *) echo "su $user: $id"; return 1 ;; esac
	echo "$id"
}
# as_user CMD...: run CMD as the user (words without spaces)
as_user() { su -s /bin/sh $user -c "cd /tmp && $*"; }

if ! why=$(setup_user 2>&1); then
	echo "# ---- unprivileged_setup"
	fail_stream unprivileged_setup "$(echo "$why" | tr '\n' ' ')"
	as_user() { fail_stream "$(basename "$1")" "no unprivileged user: $why"; }
	user_desc="nobody (setup failed)"
else
	user_desc="user $user, not root"
	echo "# unprivileged user: $why"
fi

for t in /opt/xpu/tests/*; do
	name=$(basename "$t")
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then
		echo "# ---- $name"
		fail_stream "$name" "$t is not an executable file"
		continue
	fi
	entry=$(echo "$ROOT_TESTS" | grep "^$name:")
	list=$(echo "$entry" | cut -d: -f2) reason=$(echo "$entry" | cut -d: -f3)
	if [ -z "$entry" ]; then
		echo "# ---- $name (as $user_desc)"
		as_user "$t" || rc=1
	elif [ "$list" = "*" ]; then
		echo "# ---- $name (as root: $reason)"
		"$t" || rc=1
	else
		excl="" incl="" missing=""
		for x in $(echo "$list" | tr ',' ' '); do
			"$t" -l 2>&1 | grep -qE "[[:space:]]$x\$" || missing="$missing $x"
			excl="$excl -T $x" incl="$incl -t $x"
		done
		echo "# ---- $name (as $user_desc; as root in $name.root: $(echo "$list" | tr ',' ' '))"
		# shellcheck disable=SC2086 # one -T per test
		as_user "$t" $excl || rc=1
		echo "# ---- $name.root (as root: $(echo "$list" | tr ',' ' '): $reason)"
		if [ -n "$missing" ]; then
			fail_stream "$name.root" "ROOT_TESTS names tests $name does not have:$missing"
		else
			# shellcheck disable=SC2086 # one -t per test
			"$t" $incl || rc=1
		fi
	fi
done
echo "# ---- xpu-onnx-test (conformance subset, through the driver; as $user_desc)"
if ls /usr/share/xpu/onnx-node/test_* >/dev/null 2>&1; then
	as_user xpu-onnx-test --known /usr/share/xpu/onnx-known-failures.txt \
		"/usr/share/xpu/onnx-node/test_*" || rc=1
else
	fail_stream onnx.vm_subset "no conformance data in /usr/share/xpu/onnx-node"
fi
echo "# ---- xpu-models-test.sh (as $user_desc)"
as_user xpu-models-test.sh || rc=1
echo "# ---- xpu-examples-test.sh (as $user_desc)"
as_user xpu-examples-test.sh || rc=1
# a short run of the ioctl fuzzer (make fuzz runs it for longer): several
# processes x threads of random ioctls, killed mid-job; root: it lowers the
# max_job_ms module parameter
echo "# ---- xpu-ioctl-fuzz (as root: module parameter max_job_ms)"
xpu-ioctl-fuzz --seconds "${XPU_FUZZ_SECONDS:-10}" || rc=1
# last: it unloads and reloads the driver
echo "# ---- xpu-lifecycle-test.sh (as root: module reload, PCI remove and unbind)"
xpu-lifecycle-test.sh || rc=1
exit $rc
