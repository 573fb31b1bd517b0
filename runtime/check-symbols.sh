#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-symbols.sh LIB LIST: compare the symbols the shared library LIB
# exports (nm -D --defined-only) with LIST, the reviewed ABI list (one symbol
# a line, sorted, # comments). libdrm's core-symbols.txt habit: an export
# nobody listed, or a listed symbol that vanished, is an ABI change and
# fails the build with the exact lines to add to or remove from LIST.
# Exit 0 if they agree, 1 if not (message on stderr), 2 on a usage error.
set -u
lib=${1:?usage: check-symbols.sh LIB LIST}
list=${2:?usage: check-symbols.sh LIB LIST}
export LC_ALL=C
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$lib" ] || [ ! -f "$list" ]; then
	echo "check-symbols: $lib or $list missing" >&2
	exit 2
fi
grep -v '^[[:space:]]*\(#\|$\)' "$list" >"$tmp/list"
if ! sort -c "$tmp/list" 2>/dev/null || [ -n "$(uniq -d "$tmp/list")" ]; then
	echo "$list: not sorted or has duplicates; run: LC_ALL=C sort -u -o $list $list" >&2
	exit 1
fi
# defined dynamic symbols, without version suffixes
nm -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/lib"
comm -23 "$tmp/lib" "$tmp/list" >"$tmp/add"
comm -13 "$tmp/lib" "$tmp/list" >"$tmp/remove"
[ -s "$tmp/add" ] || [ -s "$tmp/remove" ] || exit 0
echo "error: the symbols $(basename "$lib" .tmp) exports differ from $list (the ABI list)." >&2
if [ -s "$tmp/add" ]; then
	echo "  exported but not listed: a new public API? add these lines to $list (keep it sorted):" >&2
	sed 's/^/    + /' "$tmp/add" >&2
	echo "  (or, if they are internal, drop XPU_EXPORT from their definitions)" >&2
fi
if [ -s "$tmp/remove" ]; then
	echo "  listed but no longer exported: removing a symbol breaks programs linked" >&2
	echo "  against libxpu.so.0; restore it, or remove these lines from $list:" >&2
	sed 's/^/    - /' "$tmp/remove" >&2
fi
exit 1
