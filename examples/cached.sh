#!/bin/sh
# SPDX-License-Identifier: MIT
# Run a build step once and keep its output in the cache: the models'
# training and export (examples/models.mk) take minutes, so their results
# live in $XPU_CACHE/models/NAME-KEY, KEY = a hash of NAME and of the
# contents of the inputs (scripts and data; a directory counts with all its
# files). A miss runs CMD... TMPDIR under a lock (parallel builds share the
# cache), then the directory is renamed into place; either way its files are
# copied into OUTDIR.
#   cached.sh CACHEDIR NAME OUTDIR INPUT... -- CMD ARG...
set -eu
cache=$1 name=$2 out=$3
shift 3
inputs=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do inputs="$inputs $1"; shift; done
[ "${1:-}" = "--" ] || { echo "cached.sh: no -- before the command" >&2; exit 2; }
shift
[ $# -gt 0 ] || { echo "cached.sh: no command" >&2; exit 2; }
for f in $inputs; do
	[ -e "$f" ] || { echo "cached.sh: $name: input $f is missing" >&2; exit 1; }
done
# shellcheck disable=SC2086
key=$( (echo "$name"; find $inputs -type f -print0 | sort -z | xargs -0 cat) |
	sha256sum | cut -c1-16)
dir=$cache/$name-$key
mkdir -p "$cache"
if [ ! -f "$dir/.done" ]; then
	exec 9>"$cache/$name.lock"
	flock 9
	if [ ! -f "$dir/.done" ]; then
		echo "$name: not in the cache ($dir): running $*" >&2
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp"
		if ! "$@" "$tmp"; then
			rm -rf "$tmp"
			echo "cached.sh: $name: $* failed" >&2
			exit 1
		fi
		touch "$tmp/.done"
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	exec 9>&-
fi
mkdir -p "$out"
cp -r "$dir"/. "$out"/
rm -f "$out/.done"
