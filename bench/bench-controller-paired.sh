#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Two kovn-controller binaries, BASE (the previous controller) and NEW,
# measured in one run on the same machine state: bench-controller (the
# benchmark of BUILD_DIR, as it is: its own figures, measured its own way)
# runs once per binary per round, each time against a fresh apiserver
# (tests/integration/with-k8s.sh) and a fresh NB, N pods over 100 Nodes.
# The order alternates from round to round (base new, new base, ...), so a
# drift of the machine's load over the run weighs on both alike.  Prints
# each run's output as it comes, then side by side, for BASE and NEW, the
# median over the rounds and each run's figure, and NEW/BASE (the ratio of
# the medians, then each round's own):
#   - fill rate: N / time from the first create until every pod is
#     annotated allocated=true, pods/s (and until NB holds N pod ports);
#   - restart-to-ready: the run's median of KOVN_BENCH_RESTARTS restarts, ms;
#   - peak RSS (VmHWM) of the controller after the fill, MiB;
# and, to read those by: the benchmark's own creates/s during the fill (the
# apiserver's pace, which bounds the fill on a 2-core machine), the
# controller's CPU seconds during the fill, and each run's wall time
# (apiserver start and stop included).  Figures are printed, never judged.
#
#   bench/bench-controller-paired.sh BUILD_DIR BASE_CONTROLLER \
#                                    NEW_CONTROLLER [N]
#
# N defaults to 10000.  KOVN_BENCH_ROUNDS (default 2) rounds; bench-
# controller's own variables (KOVN_BENCH_RESTARTS, KOVN_BENCH_LEASE_DURATION,
# KOVN_BENCH_VLOG; KOVN_BENCH_LOG keeps only the last run's log) apply to
# every run.  Exits non-zero if a run failed; its figures show as "-".
set -uo pipefail

usage="usage: bench-controller-paired.sh BUILD_DIR BASE NEW [N]"
build=$(cd "${1:?$usage}" && pwd)
base=$(realpath "${2:?$usage}")
new=$(realpath "${3:?$usage}")
n=${4:-10000}
rounds=${KOVN_BENCH_ROUNDS:-2}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/kovn-bench-paired.XXXXXX")
trap 'rm -rf "$out"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
failed=0

# run NAME BINARY ROUND: one bench-controller run; its figures go to
# $out/NAME.ROUND as "FILL NB RESTART RSS CREATES CPU WALL".
run() {
  local name=$1 bin=$2 round=$3 start=$SECONDS status=0
  echo "-- round $round, $name: $bin"
  "$top/tests/integration/with-k8s.sh" \
    sh -c "\"$build/bench/bench-controller\" \"\$KOVN_TEST_KUBECONFIG\" \
           \"$bin\" \"$top/tests/integration/ovn-env.sh\" $n" |
    tee "$out/$name.$round.log" || status=$?
  local wall=$((SECONDS - start))
  echo "-- round $round, $name: $wall s, exit status $status"
  [ "$status" = 0 ] || failed=1
  # The lines of bench/bench-controller.c this reads:
  #   all N pods annotated allocated=true MS ms after the first create ...
  #   NB holds P pod ports MS ms after the first create ...
  #   controller memory with N pods: peak RSS (VmHWM) KIB KiB, ...
  #   restart: ready after MS ms (median of R)
  #   created C pods over 100 nodes in MS ms = ...
  #   controller CPU during the phase: S s
  awk -v n="$n" -v wall="$wall" '
    function rate(k, ms) {
      return sprintf("%.1f", k * 1000 / (ms > 0 ? ms : 1))
    }
    BEGIN { fill = nb = restart = rss = creates = cpu = "-" }
    /^all [0-9]+ pods annotated allocated=true [0-9]+ ms/ {
      fill = rate(n, $6)
    }
    /^NB holds [0-9]+ pod ports [0-9]+ ms/ { nb = rate(n, $6) }
    /^controller memory with [0-9]+ pods: peak RSS \(VmHWM\) [0-9]+ KiB/ {
      rss = sprintf("%.1f", $9 / 1024)
    }
    /^restart: ready after [0-9]+ ms \(median/ { restart = $4 }
    /^created [0-9]+ pods over [0-9]+ nodes in [0-9]+ ms/ {
      creates = rate($2, $8)
    }
    /^controller CPU during the phase: [0-9.]+ s/ { cpu = $6 }
    END { print fill, nb, restart, rss, creates, cpu, wall }' \
    "$out/$name.$round.log" >"$out/$name.$round"
}

echo "   base: $base"
echo "   new:  $new"
echo "   $rounds rounds, order alternating, a fresh apiserver and NB per run"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    run base "$base" "$round"
    run new "$new" "$round"
  else
    run new "$new" "$round"
    run base "$base" "$round"
  fi
done

echo "-- paired, N = $n, $rounds rounds: median (each round's figure);" \
     "new/base: of the medians (each round's)"
for round in $(seq 1 "$rounds"); do
  echo "$round $(cat "$out/base.$round") $(cat "$out/new.$round")"
done | awk -v rounds="$rounds" '
  function median(a, k,    i, j, t, b) {
    for (i = 1; i <= k; i++) b[i] = a[i]
    for (i = 2; i <= k; i++)
      for (j = i; j > 1 && b[j - 1] > b[j]; j--) {
        t = b[j]; b[j] = b[j - 1]; b[j - 1] = t
      }
    return k % 2 ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
  }
  # The column of figure f for one binary (o = 0 base, nf new).
  function column(f, o,    i, k, x, a, list) {
    k = 0; list = ""
    for (i = 1; i <= rounds; i++) {
      x = v[i, o + f]
      list = list (i > 1 ? " " : "") (x == "-" ? x : sprintf(form[f], x))
      if (x != "-") a[++k] = x + 0
    }
    med[o] = k ? median(a, k) : "-"
    return sprintf("%s (%s)", med[o] == "-" ? "-" : sprintf(form[f], med[o]),
                   list)
  }
  function ratio(a, b) {
    return a == "-" || b == "-" || b + 0 == 0 ? "-" : sprintf("%.2f", a / b)
  }
  { for (i = 2; i <= NF; i++) v[$1, i - 1] = $i }
  END {
    nf = split("fill rate, all pods annotated (pods/s)|" \
               "fill rate, NB holds N ports (pods/s)|" \
               "restart-to-ready, median (ms)|" \
               "peak RSS after the fill (MiB)|" \
               "creates/s (the apiserver'"'"'s pace)|" \
               "controller CPU during the fill (s)|" \
               "wall time of the run (s)", what, "|")
    split("%.0f|%.0f|%.0f|%.1f|%.0f|%.1f|%.0f", form, "|")
    printf "%-40s %-26s %-26s %s\n", "what", "base", "new", "new/base"
    for (f = 1; f <= nf; f++) {
      b = column(f, 0); nw = column(f, nf)
      rs = ""
      for (i = 1; i <= rounds; i++)
        rs = rs (i > 1 ? " " : "") ratio(v[i, nf + f], v[i, f])
      printf "%-40s %-26s %-26s %s (%s)\n", what[f], b, nw,
             ratio(med[nf], med[0]), rs
    }
  }'
exit "$failed"
