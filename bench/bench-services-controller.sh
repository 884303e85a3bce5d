#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# kovn's Services end to end on the control plane: a real kube-apiserver
# (tests/integration/with-k8s.sh), a real NB (tests/integration/ovn-env.sh)
# and kovn-controller, at N Services of B endpoints (bench/svc_k8s.py):
#   - the controller's start-up on an empty cluster (until kovn/sync idle);
#   - fill: N selector-less Services and one EndpointSlice each, created
#     in parallel; the time from the first create until NB holds every
#     Service's load balancer (kovn-svc:bench/svcI:tcp) with its B backends
#     (an OVSDB monitor on Load_Balancer), then until kovn/sync is idle;
#   - NB file size after compaction, and NB rows;
#   - C endpoint changes (one endpoint of one EndpointSlice), each timed from
#     the PATCH until the monitor sees its load balancer with the new
#     backend;
#   - a restart of the controller with nothing changed: restart-to-idle
#     (kovn/sync), the NB updates seen by a monitor on every NB table from
#     before the stop until 2 s after idle, and NB file growth (a
#     transaction that changes nothing writes nothing, one that changes
#     something shows in both);
#   - the controller's peak RSS and CPU;
#   - a cold start: the controller stopped, NB replaced by an empty one, the
#     controller started with every Service already in the API: the time
#     until kovn/sync is idle (every load balancer written).
# Figures are printed, never judged.
#
#   bench/bench-services-controller.sh BUILD_DIR [N [B [C]]]
#
# N 10000, B 10, C 50 by default.  KOVN_BENCH_NORTHD=1 also runs ovn-northd
# on that NB (not by default: this measures the controller).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ovn_env=$top/tests/integration/ovn-env.sh

if [ "${1:-}" = --inner ]; then
  # Under with-k8s.sh.
  ctl_bin=$2 n=$3 b=$4 c=$5
  d=$(mktemp -d "${TMPDIR:-/tmp}/kovn-bench-svcctl.XXXXXX")
  cpid='' wpid=''
  # shellcheck disable=SC2317  # called by the traps
  stop_ctl() {
    if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
      kill -TERM "$cpid" 2>/dev/null || true
      wait "$cpid" 2>/dev/null || true
    fi
    cpid=
  }
  # shellcheck disable=SC2317  # called by the traps
  cleanup() {
    stop_ctl
    if [ -n "$wpid" ]; then kill -TERM "$wpid" 2>/dev/null || true; fi
    "$ovn_env" stop-all "$d" || true
    if [ -n "${KOVN_BENCH_LOG:-}" ]; then
      cp "$d/controller.log" "$KOVN_BENCH_LOG" 2>/dev/null || true
    fi
    rm -rf "$d"
  }
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ms() { date +%s%3N; }
  start_ctl() {
    "$ctl_bin" --ovn-nb-remotes="unix:$d/nb.sock" \
      --kubeconfig="$KOVN_TEST_KUBECONFIG" --unixctl="$d/controller.ctl" \
      --identity=bench-controller --lease-duration=15 -vconsole:info \
      '-vPATTERN:console:%D{%H:%M:%S.###}|%05N|%c|%p|%m' \
      >>"$d/controller.log" 2>&1 &
    cpid=$!
  }
  idle() {
    local i
    for ((i = 0; i < 200; i++)); do
      [ -S "$d/controller.ctl" ] && break
      kill -0 "$cpid" 2>/dev/null || { echo "kovn-controller exited"; tail -n 20 "$d/controller.log"; exit 1; }
      sleep 0.05
    done
    ovs-appctl --timeout=1800 -t "$d/controller.ctl" kovn/sync >/dev/null
  }
  rows() {   # NB rows of TABLE
    ovsdb-client query "unix:$d/nb.sock" \
      "[\"OVN_Northbound\",{\"op\":\"select\",\"table\":\"$1\",\"where\":[],\"columns\":[\"_uuid\"]}]" |
      grep -o '"uuid"' | wc -l
  }
  cpu() {
    awk '{ printf "%.1f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$cpid/stat"
  }

  "$ovn_env" start-nb "$d"
  [ -n "${KOVN_BENCH_NORTHD:-}" ] && "$ovn_env" start-northd "$d"
  t=$(ms); start_ctl; idle
  echo "kovn-controller: start-up on an empty cluster to kovn/sync idle: $(($(ms) - t)) ms"

  cpu0=$(cpu); t=$(ms)
  python3 "$top/bench/svc_k8s.py" controller-fill \
    "$KOVN_TEST_KUBECONFIG_TOKEN" "$d/nb.sock" "$n" "$b"
  idle
  echo "kovn: kovn/sync idle $(($(ms) - t)) ms after the first create;" \
       "controller CPU during the fill: $(awk -v a="$cpu0" -v b="$(cpu)" 'BEGIN { printf "%.1f", b - a }') s"
  echo "kovn: NB rows: Load_Balancer $(rows Load_Balancer)," \
       "Load_Balancer_Group $(rows Load_Balancer_Group)," \
       "Logical_Switch $(rows Logical_Switch)"
  ovs-appctl -t "$d/nb.ctl" ovsdb-server/compact
  echo "kovn: NB file after compaction: $(stat -c %s "$d/nb.db") bytes"

  python3 "$top/bench/svc_k8s.py" controller-changes \
    "$KOVN_TEST_KUBECONFIG_TOKEN" "$d/nb.sock" "$n" "$b" "$c"
  idle

  # A restart with nothing changed.
  sleep 2
  python3 "$top/bench/svc_k8s.py" nb-watch "$d/nb.sock" "$d/watch" &
  wpid=$!
  for ((i = 0; i < 600; i++)); do
    [ -e "$d/watch.ready" ] && break
    sleep 0.1
  done
  size0=$(stat -c %s "$d/nb.db")
  echo "kovn: controller peak RSS (VmHWM) before the restart: $(awk '/VmHWM/ { print $2, $3 }' "/proc/$cpid/status"), CPU $(cpu) s"
  t=$(ms)
  stop_ctl
  start_ctl
  idle
  ready=$(($(ms) - t))
  rcpu=$(cpu)
  sleep 2
  kill -TERM "$wpid"
  wait "$wpid" || true
  wpid=
  echo "kovn: restart (stop, start) to kovn/sync idle with $n Services: $ready ms, CPU $rcpu s"
  echo "kovn: restart with nothing changed: $(cat "$d/watch"); NB file" \
       "grew $(($(stat -c %s "$d/nb.db") - size0)) bytes"
  echo "kovn: controller peak RSS (VmHWM) after the restart: $(awk '/VmHWM/ { print $2, $3 }' "/proc/$cpid/status")"

  # A cold start: every Service already in the API, an empty NB.
  stop_ctl
  "$ovn_env" stop-nb "$d"
  rm -f "$d/nb.db"
  "$ovn_env" start-nb "$d"
  t=$(ms)
  start_ctl
  idle
  echo "kovn: cold start (empty NB, $n Services in the API) to kovn/sync" \
       "idle: $(($(ms) - t)) ms, CPU $(cpu) s; NB then holds" \
       "$(rows Load_Balancer) load balancers"
  exit 0
fi

usage="usage: bench-services-controller.sh BUILD_DIR [N [B [C]]]"
build=$(cd "${1:?$usage}" && pwd)
n=${2:-10000}
b=${3:-10}
c=${4:-50}
ctl_bin=$build/controller/kovn-controller
[ -x "$ctl_bin" ] || { echo "no $ctl_bin" >&2; exit 1; }
if ! grep -q service_class "$top/controller/registry.c" 2>/dev/null; then
  echo "kovn-controller has no Services yet (controller/registry.c)" >&2
  exit 1
fi
echo "== machine: $(nproc) cores, $(uname -r); $ctl_bin"
echo "== $n Services x $b endpoints, $c endpoint changes"
exec "$top/tests/integration/with-k8s.sh" "$0" --inner "$ctl_bin" "$n" "$b" "$c"
