# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2154 # tap_suite, tap_diag: set by the caller
# tap.sh: the TAP prelude the shell suites in tests/install/ source. The
# caller sets tap_suite (the test names' prefix) and tap_diag (what of a
# failure's output to keep as diagnostics: "head -20", "tail -25"); this
# makes $tmp (removed on exit), the counters n and fails, and
#   ok NAME / not_ok NAME [OUTPUT]  one TAP line each
#   check NAME COMMAND...           one TAP line, the command's output as
#                                   diagnostics when it fails
#   tap_end SUITE                   the summary line; the status is 0 when
#                                   nothing failed
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fails=0

ok() { n=$((n + 1)); echo "ok $n $tap_suite.$1"; }
not_ok() {
	n=$((n + 1)) fails=$((fails + 1))
	echo "not ok $n $tap_suite.$1"
	# shellcheck disable=SC2086 # tap_diag is a command and its argument
	[ -n "${2:-}" ] && printf '%s\n' "$2" | $tap_diag | sed 's/^/# /'
	return 0
}
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
tap_end() {
	echo "# $1: $((n - fails)) of $n passed"
	[ $fails = 0 ]
}
