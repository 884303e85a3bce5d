#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# kovn's NetworkPolicies at scale on the control plane: a real
# kube-apiserver (tests/integration/with-k8s.sh), a real NB
# (tests/integration/ovn-env.sh) and kovn-controller, with PODS pods over
# NAMESPACES namespaces and POLICIES NetworkPolicies (bench/np_k8s.py says
# which):
#   - the pods first (created in parallel until NB has a port with an
#     address for each, then kovn/sync idle): the ground the policies
#     stand on; then C single pods added to namespace np-0 before any
#     policy exists (what a pod costs without policies);
#   - the policies, created in parallel: the time from the first create
#     until NB holds every policy's port group with exactly its pods' ports
#     and its ACLs, every peer address set and named-port set with exactly
#     its pods' addresses (an OVSDB monitor, checked against a model of the
#     selectors), then until kovn/sync is idle; controller CPU;
#   - NB rows (Port_Group, ACL, Address_Set) and NB file size after
#     compaction;
#   - C single pods added to namespace np-0, which 50 policies touch: the
#     time until NB has the pod in every port group and address set it
#     belongs to, and the NB transactions and operations each caused
#     (ovsdb-server's jsonrpc debug log up to kovn/sync idle);
#   - a restart of the controller with nothing changed: restart-to-idle
#     (kovn/sync) and the NB updates seen by a monitor on every NB table
#     from before the stop until 2 s after idle;
#   - the controller's peak RSS;
#   - then (unless KOVN_BENCH_NORTHD=0) ovn-northd started on that NB, the
#     controller stopped: its first full run (start until SB caught up,
#     ovn-nbctl --wait=sb sync), a forced recompute (inc-engine/recompute
#     and --wait=sb sync), its stopwatches, and SB rows (Logical_Flow,
#     Address_Set, Port_Group);
#   - and (unless KOVN_BENCH_OVN_CONTROLLER=0) one ovn-controller
#     (tests/integration/node-env.sh: its own network namespace,
#     ovsdb-server and userspace ovs-vswitchd) with the ports of np-0's
#     PODS/NAMESPACES pods bound on it: the time until they are claimed and
#     their flows installed (--wait=hv sync), the OpenFlow flow count, a
#     forced recompute, one address added to a peer set until --wait=hv,
#     its stopwatches.
# Figures are printed, never judged.
#
#   bench/bench-netpol.sh BUILD_DIR [PODS [POLICIES [NAMESPACES [C]]]]
#
# PODS 10000, POLICIES 1000, NAMESPACES 100, C 10 by default.
# KOVN_BENCH_LOG=FILE keeps the controller's log (and FILE.northd,
# FILE.ovn-controller those of ovn-northd and ovn-controller);
# KOVN_BENCH_LEASE_DURATION=S the controller's --lease-duration (default 15;
# a starved controller that misses its renewals exits).
# KOVN_BENCH_PERF=FILE records the controller (perf record --call-graph
# dwarf) during the single pod adds with policies.
# KOVN_BENCH_OVN_CONTROLLER=0 skips the ovn-controller part (which needs
# root: network namespaces).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ovn_env=$top/tests/integration/ovn-env.sh

if [ "${1:-}" = --inner ]; then
  # Under with-k8s.sh.
  ctl_bin=$2 pods=$3 pols=$4 nss=$5 c=$6
  d=$(mktemp -d "${TMPDIR:-/tmp}/kovn-bench-netpol.XXXXXX")
  cpid='' wpid=''
  # shellcheck disable=SC2317  # called by the traps
  stop_ctl() {
    if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
      kill -TERM "$cpid" 2>/dev/null || true
      wait "$cpid" 2>/dev/null || true
    fi
    cpid=
    rm -f "$d/controller.ctl"
  }
  # shellcheck disable=SC2317  # called by the traps
  cleanup() {
    stop_ctl
    if [ -n "$wpid" ]; then kill -TERM "$wpid" 2>/dev/null || true; fi
    if [ -n "${ppid:-}" ]; then kill -INT "$ppid" 2>/dev/null || true; fi
    if [ -s "$d/prefix" ]; then
      "$top/tests/integration/node-env.sh" stop-all "$d" || true
    fi
    "$ovn_env" stop-all "$d" || true
    if [ -n "${KOVN_BENCH_LOG:-}" ]; then
      cp "$d/controller.log" "$KOVN_BENCH_LOG" 2>/dev/null || true
      for f in northd bn1/ovn-controller; do
        [ -e "$d/$f.log" ] && cp "$d/$f.log" "$KOVN_BENCH_LOG.${f##*/}"
      done
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
      --identity=bench-controller \
      --lease-duration="${KOVN_BENCH_LEASE_DURATION:-15}" -vconsole:info \
      '-vPATTERN:console:%D{%H:%M:%S.###}|%05N|%c|%p|%m' \
      >>"$d/controller.log" 2>&1 &
    cpid=$!
  }
  idle() {   # kovn/sync, once the controller answers on its socket
    local i
    for ((i = 0; i < 400; i++)); do
      kill -0 "$cpid" 2>/dev/null || { echo "kovn-controller exited"; tail -n 20 "$d/controller.log"; exit 1; }
      if [ -S "$d/controller.ctl" ] &&
         ovs-appctl --timeout=3600 -t "$d/controller.ctl" kovn/sync >/dev/null 2>&1; then
        return 0
      fi
      sleep 0.05
    done
    echo "kovn-controller does not answer kovn/sync"; exit 1
  }
  rows() {   # NB rows of TABLE
    ovsdb-client query "unix:$d/${2:-nb}.sock" \
      "[\"OVN_${3:-Northbound}\",{\"op\":\"select\",\"table\":\"$1\",\"where\":[],\"columns\":[\"_uuid\"]}]" |
      grep -o '"uuid"' | wc -l
  }
  stopwatches() {   # stopwatch/show, one line per stopwatch
    awk '
      /^Statistics for/ { if (n) print line; n = $3; gsub("\047", "", n); line = "  " n ":" }
      /Total samples/ { line = line " samples " $3 }
      /Maximum/ { line = line ", max " $2 }
      /95th/ { line = line ", p95 " $3 }
      /Long term average/ { line = line ", long-term avg " $4 }
      END { if (n) print line }'
  }
  pcpu() {   # CPU seconds of PID
    awk '{ printf "%.1f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat"
  }
  cpu() {
    awk '{ printf "%.1f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$cpid/stat"
  }
  np() {
    KOVN_BENCH_CTL_PID=$cpid python3 -u "$top/bench/np_k8s.py" "$1" "$KOVN_TEST_KUBECONFIG_TOKEN" \
      "$d/nb.sock" "$pods" "$pols" "$nss" "${@:2}"
  }

  "$ovn_env" start-nb "$d"
  t=$(ms); start_ctl; idle
  echo "kovn-controller: start-up on an empty cluster to kovn/sync idle: $(($(ms) - t)) ms"

  # The pods.
  cpu0=$(cpu); t=$(ms)
  np pods
  idle
  echo "kovn: pods: kovn/sync idle $(($(ms) - t)) ms after the first create;" \
       "controller CPU $(awk -v a="$cpu0" -v b="$(cpu)" 'BEGIN { printf "%.1f", b - a }') s"
  echo "kovn: controller RSS (VmRSS) with the pods, before any policy: $(awk '/VmRSS/ { print $2, $3 }' "/proc/$cpid/status")"

  # The same single pod adds before any policy: what a pod costs alone.
  cpu0=$(cpu)
  np pod-add "$c" "$d/nb.log" "$d/nb.ctl" "$d/controller.ctl" base
  idle
  export KOVN_BENCH_NP_BASE=$c     # in np-0 from now on
  echo "kovn: controller CPU for the $c pod adds before any policy: $(awk -v a="$cpu0" -v b="$(cpu)" 'BEGIN { printf "%.2f", b - a }') s"

  # The policies.
  cpu0=$(cpu); t=$(ms)
  np policies
  idle
  echo "kovn: policies: kovn/sync idle $(($(ms) - t)) ms after the first create;" \
       "controller CPU during it: $(awk -v a="$cpu0" -v b="$(cpu)" 'BEGIN { printf "%.1f", b - a }') s"
  echo "kovn: NB rows: Port_Group $(rows Port_Group), ACL $(rows ACL)," \
       "Address_Set $(rows Address_Set), Logical_Switch_Port $(rows Logical_Switch_Port)"
  ovs-appctl -t "$d/nb.ctl" ovsdb-server/compact
  echo "kovn: NB file after compaction: $(stat -c %s "$d/nb.db") bytes"

  # Single pods added to the namespace 50 policies touch.
  cpu0=$(cpu)
  if [ -n "${KOVN_BENCH_PERF:-}" ]; then
    perf record -F 999 --call-graph dwarf -o "$KOVN_BENCH_PERF" -p "$cpid" \
      >/dev/null 2>&1 &
    ppid=$!
  fi
  np pod-add "$c" "$d/nb.log" "$d/nb.ctl" "$d/controller.ctl"
  idle
  if [ -n "${ppid:-}" ]; then
    kill -INT "$ppid"; wait "$ppid" || true; ppid=
  fi
  echo "kovn: controller CPU for the $c pod adds: $(awk -v a="$cpu0" -v b="$(cpu)" 'BEGIN { printf "%.2f", b - a }') s"

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
  echo "kovn: restart (stop, start) to kovn/sync idle with $pods pods and $pols policies: $ready ms, CPU $rcpu s"
  echo "kovn: restart with nothing changed: $(cat "$d/watch"); NB file" \
       "grew $(($(stat -c %s "$d/nb.db") - size0)) bytes"
  echo "kovn: controller peak RSS (VmHWM) after the restart: $(awk '/VmHWM/ { print $2, $3 }' "/proc/$cpid/status")"

  # ovn-northd on all of it (the controller stopped: northd alone).
  if [ "${KOVN_BENCH_NORTHD:-1}" != 0 ]; then
    stop_ctl
    nbctl() { ovn-nbctl --db="unix:$d/nb.sock" "$@"; }
    t=$(ms)
    "$ovn_env" start-northd "$d"
    nbctl --timeout=3600 --wait=sb sync
    echo "northd: start on the full NB until SB caught up (ovn-nbctl --wait=sb sync): $(($(ms) - t)) ms"
    ncpu() {
      awk '{ printf "%.1f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' \
        "/proc/$("$ovn_env" pid "$d" northd)/stat"
    }
    echo "northd: CPU $(ncpu) s, peak RSS (VmHWM) $(awk '/VmHWM/ { print $2, $3 }' "/proc/$("$ovn_env" pid "$d" northd)/status")"
    echo "SB rows: Logical_Flow $(rows Logical_Flow sb Southbound)," \
         "Address_Set $(rows Address_Set sb Southbound)," \
         "Port_Group $(rows Port_Group sb Southbound)," \
         "Port_Binding $(rows Port_Binding sb Southbound)"
    for ((i = 0; i < 3; i++)); do
      c0=$(ncpu); t=$(ms)
      ovn-appctl -t "$d/northd.ctl" inc-engine/recompute >/dev/null
      nbctl --timeout=3600 --wait=sb sync
      echo "northd: forced recompute (inc-engine/recompute, then --wait=sb sync): $(($(ms) - t)) ms, CPU $(awk -v a="$c0" -v b="$(ncpu)" 'BEGIN { printf "%.1f", b - a }') s"
    done
    echo "northd: stopwatches (ms):"
    ovn-appctl -t "$d/northd.ctl" stopwatch/show | stopwatches
    ovs-appctl -t "$d/sb.ctl" ovsdb-server/compact
    echo "SB file after compaction: $(stat -c %s "$d/sb.db") bytes"

    # One ovn-controller (node-env.sh: a network namespace with its own
    # ovsdb-server, ovs-vswitchd with the userspace datapath), with the
    # ports of np-0's pods bound on it, as on the node that runs them.
    if [ "${KOVN_BENCH_OVN_CONTROLLER:-1}" != 0 ]; then
      node_env=$top/tests/integration/node-env.sh
      "$node_env" underlay-up "$d"
      "$node_env" node-add "$d" bn1 1
      nodex() { "$node_env" node-exec "$d" bn1 "$@"; }
      sbctl() { ovn-sbctl --db="unix:$d/sb.sock" "$@"; }
      t=$(ms)
      "$node_env" node-ovn-config "$d" bn1
      nbctl --timeout=3600 --wait=hv sync
      ocpid=$(cat "$d/bn1/ovn-controller.pid")
      echo "ovn-controller: configured until --wait=hv sync, no port bound: $(($(ms) - t)) ms;" \
           "OpenFlow flows $(nodex ovs-ofctl dump-flows br-int | grep -c actions=)"
      k=$((pods / nss))
      args=()
      for ((i = 0; i < k; i++)); do
        args+=(-- add-port br-int "pb$i" -- set Interface "pb$i" type=internal
               "external_ids:iface-id=p$i.np-0")
      done
      oc0=$(pcpu "$ocpid"); t=$(ms)
      nodex ovs-vsctl --timeout=600 "${args[@]}"
      for ((i = 0; i < 36000; i++)); do
        bound=$(sbctl --bare --columns=logical_port find Port_Binding 'chassis!=[]' | grep -c . || true)
        [ "$bound" -ge "$k" ] && break
        kill -0 "$ocpid" 2>/dev/null || { echo "ovn-controller exited"; exit 1; }
        sleep 0.1
      done
      tb=$(($(ms) - t))
      nbctl --timeout=3600 --wait=hv sync
      echo "ovn-controller: $k ports of np-0 bound: claimed in SB after $tb ms," \
           "flows installed (--wait=hv sync) after $(($(ms) - t)) ms, CPU" \
           "$(awk -v a="$oc0" -v b="$(pcpu "$ocpid")" 'BEGIN { printf "%.1f", b - a }') s"
      nodex ovs-ofctl dump-flows br-int >"$d/flows"
      echo "ovn-controller: OpenFlow flows in br-int: $(grep -c actions= "$d/flows")," \
           "of which with conjunction: $(grep -c conjunction "$d/flows")"
      for ((i = 0; i < 3; i++)); do
        oc0=$(pcpu "$ocpid"); t=$(ms)
        nodex ovn-appctl -t ovn-controller inc-engine/recompute >/dev/null
        nbctl --timeout=3600 --wait=hv sync
        echo "ovn-controller: forced recompute (inc-engine/recompute, then --wait=hv sync): $(($(ms) - t)) ms, CPU $(awk -v a="$oc0" -v b="$(pcpu "$ocpid")" 'BEGIN { printf "%.1f", b - a }') s"
      done
      # One address into a peer set that a policy on those ports names (as
      # a pod add does), through northd and ovn-controller.
      set4=$(for acl in $(nbctl --bare --columns=acls find Port_Group 'external_ids:np="np-0/hot-0"'); do
               nbctl --bare --columns=match list ACL "$acl"
             done | grep -o 'kovn_peer_[0-9a-f]*_4' | head -n 1 || true)
      [ -n "$set4" ] || echo "no peer set named by np-0/hot-0's ACLs: no address set change timed"
      if [ -n "$set4" ]; then
        nc0=$(ncpu); oc0=$(pcpu "$ocpid"); t=$(ms)
        nbctl --timeout=3600 --wait=hv add Address_Set "$set4" addresses '"10.16.255.250"'
        echo "NB address set $set4 + 1 address until --wait=hv: $(($(ms) - t)) ms;" \
             "northd CPU $(awk -v a="$nc0" -v b="$(ncpu)" 'BEGIN { printf "%.1f", b - a }') s," \
             "ovn-controller CPU $(awk -v a="$oc0" -v b="$(pcpu "$ocpid")" 'BEGIN { printf "%.1f", b - a }') s"
        nbctl --timeout=3600 --wait=hv remove Address_Set "$set4" addresses '"10.16.255.250"'
      fi
      echo "ovn-controller: peak RSS (VmHWM) $(awk '/VmHWM/ { print $2, $3 }' "/proc/$ocpid/status"), CPU $(pcpu "$ocpid") s"
      echo "ovn-controller: stopwatches (ms):"
      nodex ovn-appctl -t ovn-controller stopwatch/show | stopwatches
    fi
  fi
  exit 0
fi

usage="usage: bench-netpol.sh BUILD_DIR [PODS [POLICIES [NAMESPACES [C]]]]"
build=$(cd "${1:?$usage}" && pwd)
pods=${2:-10000}
pols=${3:-1000}
nss=${4:-100}
c=${5:-10}
ctl_bin=$build/controller/kovn-controller
[ -x "$ctl_bin" ] || { echo "no $ctl_bin" >&2; exit 1; }
[ -f "$top/controller/netpol.c" ] ||
  { echo "kovn-controller has no NetworkPolicies (controller/netpol.c)" >&2; exit 1; }
echo "== machine: $(nproc) cores, $(uname -r); $ctl_bin"
echo "== $pods pods, $pols NetworkPolicies, $nss namespaces; $c single pod adds"
exec "$top/tests/integration/with-k8s.sh" "$0" --inner "$ctl_bin" "$pods" "$pols" "$nss" "$c"
