#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Builds the release kovn-controller of COMMIT once and caches it outside the
# clone, keyed by the commit's full hash; prints the binary's path (only
# that, on stdout).  A cached binary is reused as it is: a second run takes
# well under a second.
#
#   bench/baseline.sh [COMMIT]
#   KOVN_BASELINE_TARGET=daemon/kovn-daemon bench/baseline.sh COMMIT
#
# KOVN_BASELINE_TARGET is the ninja target (default
# controller/kovn-controller); its binary is cached under its own name, with
# build-info.NAME beside it (build-info for kovn-controller).
#
# COMMIT defaults to $KOVN_BENCH_BASELINE, else to the commit in
# bench/BASELINE.  The binary goes to
# $KOVN_CACHE/baseline/HASH/kovn-controller (KOVN_CACHE: /var/cache/kovn),
# with build-info beside it.  The sources are that commit's tree (git
# archive, so nothing of the work tree or its build folders is used), built
# in a temporary folder (meson setup --buildtype=release, as make bench,
# then ninja of that one binary, -j$KOVN_BASELINE_JOBS, default 2) that is
# removed afterwards, also on failure.  The key is the commit alone: the
# cached Open vSwitch library (meson option ovs_dir) and the compiler are
# whatever they were at the first build; remove the folder to rebuild.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KOVN_CACHE:-/var/cache/kovn}/baseline

log() { printf 'baseline: %s\n' "$*" >&2; }

commit=${1:-${KOVN_BENCH_BASELINE:-$(grep -v '^#' "$top/bench/BASELINE" |
                                     awk 'NF { print $1; exit }')}}
hash=$(git -C "$top" rev-parse --verify --quiet "$commit^{commit}") || {
  log "$commit: not a commit of $top"
  exit 1
}
target=${KOVN_BASELINE_TARGET:-controller/kovn-controller}
name=${target##*/}
bin=$cache/$hash/$name
info=$cache/$hash/build-info
[ "$name" = kovn-controller ] || info=$info.$name
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

log "building the release $name of $(git -C "$top" log -1 \
      --format='%h (%s)' "$hash") into $cache/$hash"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kovn-baseline.XXXXXX")
trap 'rm -rf "$tmp" "$bin.tmp.$$"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$tmp/src"
git -C "$top" archive "$hash" | tar -x -C "$tmp/src"
if ! meson setup --buildtype=release "$tmp/build" "$tmp/src" \
       >"$tmp/setup.log" 2>&1; then
  cat "$tmp/setup.log" >&2
  exit 1
fi
ninja -C "$tmp/build" -j "${KOVN_BASELINE_JOBS:-2}" "$target" >&2

# Into place in one rename, so that a concurrent run sees no half binary.
mkdir -p "$cache/$hash"
cp "$tmp/build/$target" "$bin.tmp.$$"
ovs_dir=$(meson introspect --buildoptions "$tmp/build" |
  python3 -c 'import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == "ovs_dir"][0])')
{
  echo "commit: $(git -C "$top" log -1 --format='%H %s' "$hash")"
  echo "built: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), meson --buildtype=release"
  echo "ovs_dir: $ovs_dir -> $(readlink -f "$ovs_dir")"
  echo "compiler: $(cc --version | head -n 1)"
} >"$info"
mv "$bin.tmp.$$" "$bin"
log "done: $bin"
echo "$bin"
