#!/bin/sh
# SPDX-License-Identifier: MIT
# Counts TAP results of every *.tap file in DIR and prints the closing line.
# A stage whose '<name> exit status N' line is not 0 (a VM run, a test binary
# that crashed) counts as one more failure. 'not ok ... # TODO' lines are
# known failures, as TAP defines them: listed and counted, not failures.
dir=$1
pass=$(cat "$dir"/*.tap 2>/dev/null | grep -E '^ok ' | grep -vc '# SKIP')
skip=$(cat "$dir"/*.tap 2>/dev/null | grep -E '^ok ' | grep -c '# SKIP')
todo=$(cat "$dir"/*.tap 2>/dev/null | grep -E '^not ok ' | grep -c '# TODO')
fail=$(cat "$dir"/*.tap 2>/dev/null | grep -E '^not ok ' | grep -vc '# TODO')
for f in "$dir"/*.tap; do
	if grep -qE '^[a-z-]+ exit status' "$f" && ! grep -qE '^[a-z-]+ exit status 0$' "$f"; then
		echo "FAIL: $(basename "$f"): $(grep -E '^[a-z-]+ exit status' "$f")"
		grep -E '^xpu-vm' "$f"
		fail=$((fail + 1))
	fi
done
grep -hE '^not ok ' "$dir"/*.tap 2>/dev/null | grep -v '# TODO' | sed 's/^/FAIL: /'
grep -h '^# onnx conformance:' "$dir"/*.tap 2>/dev/null | sed 's/^# //'
echo "$pass passed, $fail failed${skip:+, $skip skipped}${todo:+, $todo known failures (TODO)}"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
