#!/bin/sh
# SPDX-License-Identifier: MIT
# Self-test of tools/check-summary.sh (TAP): a clean check directory must
# pass, and each defect the summary exists to catch must make it fail on its
# own: a missing suite, a short plan, a missing exit-status line, a 'not ok',
# and in vm.tap a missing stream or a stream with a short plan.
here=$(cd "$(dirname "$0")/../.." && pwd)
summary=$here/tools/check-summary.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# a minimal clean check directory: two suites, vm.tap with two streams
clean() {
	rm -rf "$tmp/c" && mkdir -p "$tmp/c"
	printf 'TAP version 13\n1..2\nok 1 a\nok 2 b\nhost exit status 0\n' >"$tmp/c/host-a.tap"
	printf 'TAP version 13\n1..1\nok 1 lint.x\n' >"$tmp/c/lint.tap"
	{
		echo "xpu-vm: modprobe xpu"
		printf '# ---- xpu_bo_test\nTAP version 13\n1..2\nok 1 bo.a\nok 2 bo.b\n'
		printf '# ---- xpu-onnx-test (conformance subset)\nTAP version 13\n1..1\nok 1 onnx.a\n'
		echo "vm exit status 0"
	} >"$tmp/c/vm.tap"
	printf '%s\n' '# suites' 'host-a.tap exit' lint.tap 'vm.tap exit' \
		vm.tap/xpu_bo_test vm.tap/xpu-onnx-test >"$tmp/expected"
}

n=0 failed=0
# expect PASS|FAIL DESCRIPTION [PATTERN]: runs the summary on $tmp/c; with
# FAIL, its output must also name the defect (PATTERN)
expect() {
	n=$((n + 1))
	out=$("$summary" "$tmp/c" "$tmp/expected" 2>&1)
	rc=$?
	if [ "$1" = PASS ] && [ $rc -eq 0 ]; then
		echo "ok $n summary.$2"
	elif [ "$1" = FAIL ] && [ $rc -ne 0 ] && echo "$out" | grep -q -- "$3" &&
		echo "$out" | tail -1 | grep -qv ' 0 failed'; then
		echo "ok $n summary.$2"
	else
		echo "not ok $n summary.$2 (exit status $rc)"
		failed=$((failed + 1))
		echo "$out" | sed 's/^/# /'
	fi
}

echo "TAP version 13"
echo "1..9"
clean
expect PASS clean_directory_passes

clean; rm "$tmp/c/lint.tap"
expect FAIL missing_suite_fails 'lint.tap: missing'

clean; printf 'TAP version 13\n1..5\n' >"$tmp/c/host-a.tap"; echo "host exit status 0" >>"$tmp/c/host-a.tap"
expect FAIL plan_without_results_fails 'plan 1..5 but 0 results'

clean; sed -i '/^ok 2/d' "$tmp/c/host-a.tap"
expect FAIL short_plan_fails 'host-a.tap: plan 1..2 but 1 results'

clean; sed -i '/exit status/d' "$tmp/c/host-a.tap"
expect FAIL missing_exit_status_fails "host-a.tap: no '<name> exit status N' line"

clean; sed -i 's/exit status 0/exit status 139/' "$tmp/c/host-a.tap"
expect FAIL nonzero_exit_status_fails 'host-a.tap: host exit status 139'

clean; sed -i '/^ok 2 bo.b/d' "$tmp/c/vm.tap"
expect FAIL vm_stream_short_plan_fails 'vm.tap/xpu_bo_test: plan 1..2 but 1 results'

clean; sed -i '/xpu-onnx-test/,/^ok 1 onnx/d' "$tmp/c/vm.tap"
expect FAIL vm_missing_stream_fails 'vm.tap/xpu-onnx-test: missing'

clean; sed -i 's/^ok 1 lint.x/not ok 1 lint.x/' "$tmp/c/lint.tap"
expect FAIL not_ok_fails 'FAIL: not ok 1 lint.x'
[ "$failed" -eq 0 ]
