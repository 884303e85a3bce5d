#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Services in OVN alone, no controller: what N load balancers of B backends
# each cost the NB, ovn-northd and the SB in these layouts, on a real
# NB/SB/ovn-northd (tests/integration/ovn-env.sh) with a cluster router, a
# join switch and K subnet switches of P ports:
#   group     one Load_Balancer per Service (one VIP), all in one
#             Load_Balancer_Group "kovn-cluster-services" on every switch
#             (kovn's before it used 16);
#   groups16  kovn's: the same load balancers spread over 16 groups
#             "kovn-cluster-services-NN", all 16 on every switch;
#   switches  the same load balancers, listed in every switch's
#             load_balancer column (no group);
#   shared    Kube-OVN's: three shared LBs per VPC (tcp, udp, sctp), every
#             Service's VIP in the tcp one, all three on every switch.
# For each K and layout, on fresh databases: the NB commit of all the load
# balancers and the time until ovn-northd has processed it (NB_Global
# sb_cfg, as ovn-nbctl --wait=sb); SB Logical_Flow, Load_Balancer and
# Logical_DP_Group rows; three forced full recomputes (inc-engine/recompute:
# the ovn-northd loop and its build_lflows, stopwatch maxima); C changes of
# one backend of one Service, each from NB commit to processed; ovn-northd's
# RSS; NB and SB file sizes after compaction.  Then a table.  Figures are
# printed, never judged.
#
#   bench/bench-services-nb.sh [N [B [KS [P [C]]]]]
#
# N 10000, B 10, KS "3 20" (switch counts), P 10, C 10 by default;
# KOVN_BENCH_LAYOUTS (default "groups16 group switches shared").  Runs one
# layout at a time; ovn-northd runs single-threaded (OVN's default).
set -euo pipefail

n=${1:-10000}
b=${2:-10}
ks=${3:-"3 20"}
ports=${4:-10}
changes=${5:-10}
layouts=${KOVN_BENCH_LAYOUTS:-"groups16 group switches shared"}
top=$(cd "$(dirname "$0")/.." && pwd)
ovn_env=$top/tests/integration/ovn-env.sh
out=$(mktemp -d "${TMPDIR:-/tmp}/kovn-bench-svcnb.XXXXXX")
dir=

cleanup() {
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    "$ovn_env" stop-all "$dir" || true
    rm -rf "$dir"
  fi
  rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== machine: $(nproc) cores, $(uname -r); $(ovn-northd --version | head -1)"
echo "== $n load balancers x $b backends, switches: $ks (+ join), $ports ports each"
for k in $ks; do
  for layout in $layouts; do
    dir=$(mktemp -d "${TMPDIR:-/tmp}/kovn-bench-svcnb-db.XXXXXX")
    "$ovn_env" start-nb "$dir"
    "$ovn_env" start-northd "$dir"
    echo "-- K=$k layout=$layout (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
    python3 "$top/bench/svc_nb.py" "$dir" "$layout" "$n" "$b" "$k" \
      "$ports" "$changes" | tee "$out/$k.$layout"
    "$ovn_env" stop-all "$dir"
    rm -rf "$dir"
    dir=
  done
done

echo "-- summary: N=$n LBs x $b backends; times in ms; sizes after compaction"
printf '%-3s %-9s %8s %9s %8s %6s %6s %11s %11s %9s %8s %8s %9s\n' \
  K layout commit processed lflows sbLB dpgrp recompute build_lfl \
  change_p50 NB_MiB SB_MiB northd_MiB
for k in $ks; do
  for layout in $layouts; do
    awk -v k="$k" -v layout="$layout" '
      { v[$1] = $2 }
      $1 == "recompute_loop_ms" || $1 == "recompute_build_lflows_ms" {
        # The median of the three.
        a[1] = $2; a[2] = $3; a[3] = $4
        for (i = 1; i <= 3; i++) for (j = i + 1; j <= 3; j++)
          if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        v[$1] = a[2]
      }
      END {
        printf "%-3s %-9s %8s %9s %8s %6s %6s %11s %11s %9s %8.1f %8.1f %9.1f\n",
          k, layout, v["commit_ms"], v["processed_ms"], v["lflows"],
          v["sb_lbs"], v["sb_dpgroups"], v["recompute_loop_ms"],
          v["recompute_build_lflows_ms"], v["change_median_ms"],
          v["nb_bytes"] / 1048576, v["sb_bytes"] / 1048576,
          v["northd_hwm_kib"] / 1024
      }' "$out/$k.$layout"
  done
done
echo "   recompute, build_lfl: median of 3 forced recomputes (ovn-northd-loop, build_lflows stopwatch maxima)"
echo "   change_p50: median of $changes single-backend changes, NB commit to ovn-northd done"
echo "   northd_MiB: ovn-northd peak RSS (VmHWM)"
