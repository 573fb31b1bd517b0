#!/bin/sh
# SPDX-License-Identifier: MIT
# Counts TAP results of every *.tap file in DIR and prints the closing line.
#
# usage: check-summary.sh DIR [EXPECTED]
#
# A result is an 'ok' / 'not ok' line; 'not ok ... # TODO' lines are known
# failures, as TAP defines them: listed and counted, not failures. Besides
# the 'not ok' lines, each of these counts as one failure:
#  - a suite listed in EXPECTED whose TAP file is missing (the Makefile
#    writes EXPECTED from the same variables that choose the tests);
#  - a stage listed with 'exit' whose '<name> exit status N' line is absent
#    or not 0 (a crashed binary, a VM run that timed out or saw an oops);
#  - a TAP stream without exactly one plan (1..N), or whose number of
#    results differs from N, or that says 'Bail out!'.
# vm.tap holds one TAP stream per guest suite, each after a '# ---- NAME'
# line (tools/guest/run-tests.sh): each stream's plan is checked, and a
# 'vm.tap/NAME' line in EXPECTED requires the stream NAME.
#
# EXPECTED: one suite a line, '#' comments:  FILE.tap [exit] | FILE.tap/STREAM
dir=$1 expected=${2-}
[ -d "$dir" ] || { echo "check-summary: no such directory: $dir" >&2; exit 2; }
if [ -n "$expected" ] && [ ! -r "$expected" ]; then
	echo "check-summary: cannot read the expected-suite list $expected" >&2
	exit 2
fi
problems=$(mktemp)
trap 'rm -f "$problems"' EXIT

# the plan and the result count of each stream of FILE
check_streams() {
	awk -v file="$(basename "$1")" '
	function close_stream() {
		if (name == "" && plans == 0 && results == 0)
			return
		where = file (name == "" ? "" : "/" name)
		if (plans == 0)
			printf "FAIL: %s: no TAP plan (1..N), %d results\n", where, results
		else if (plans > 1)
			printf "FAIL: %s: %d TAP plans in one stream\n", where, plans
		else if (results != planned)
			printf "FAIL: %s: plan 1..%d but %d results\n", where, planned, results
	}
	/^# ---- / { close_stream(); name = $3; plans = 0; results = 0; next }
	/^1\.\.[0-9]+/ { plans++; planned = substr($1, 4) + 0; next }
	/^(ok|not ok)( |$)/ { results++; next }
	/^Bail out!/ { printf "FAIL: %s: %s\n", file (name == "" ? "" : "/" name), $0 }
	END { close_stream() }' "$1"
}

for f in "$dir"/*.tap; do
	[ -f "$f" ] || continue
	check_streams "$f" >>"$problems"
	st=$(grep -E '^[a-z_-]+ exit status' "$f" | tail -1)
	if [ -n "$st" ] && [ "${st##* }" != 0 ]; then
		echo "FAIL: $(basename "$f"): $st" >>"$problems"
		grep -E '^xpu-vm' "$f" >>"$problems"
	fi
done

if [ -n "$expected" ]; then
	sed -e 's/#.*//' "$expected" | while read -r suite flag; do
		[ -n "$suite" ] || continue
		case $suite in
		*.tap/*)
			file=${suite%%/*} stream=${suite#*/}
			[ -f "$dir/$file" ] || continue # reported below as a missing file
			grep -qxF -- "# ---- $stream" "$dir/$file" ||
				grep -qF -- "# ---- $stream " "$dir/$file" ||
				echo "FAIL: $suite: missing (no '# ---- $stream' stream)"
			;;
		*)
			if [ ! -f "$dir/$suite" ]; then
				echo "FAIL: $suite: missing (the stage wrote no TAP file)"
			elif [ "$flag" = exit ] && ! grep -qE '^[a-z_-]+ exit status [0-9]+$' "$dir/$suite"; then
				echo "FAIL: $suite: no '<name> exit status N' line (the stage did not finish)"
			fi
			;;
		esac
	done >>"$problems"
fi

pass=$(cat "$dir"/*.tap 2>/dev/null | grep -E '^ok( |$)' | grep -vc '# SKIP')
skip=$(cat "$dir"/*.tap 2>/dev/null | grep -E '^ok( |$)' | grep -c '# SKIP')
todo=$(cat "$dir"/*.tap 2>/dev/null | grep -E '^not ok( |$)' | grep -c '# TODO')
fail=$(cat "$dir"/*.tap 2>/dev/null | grep -E '^not ok( |$)' | grep -vc '# TODO')
cat "$problems"
fail=$((fail + $(grep -c '^FAIL: ' "$problems")))
grep -hE '^not ok( |$)' "$dir"/*.tap 2>/dev/null | grep -v '# TODO' | sed 's/^/FAIL: /'
grep -h '^# onnx conformance:' "$dir"/*.tap 2>/dev/null | sed 's/^# //'
echo "$pass passed, $fail failed${skip:+, $skip skipped}${todo:+, $todo known failures (TODO)}"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
