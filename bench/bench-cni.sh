#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# CNI ADD latency, start to result, as a runtime sees it: kovn (plugin ->
# kovn-daemon -> veth, OVS port, wait for ovn-installed) against Debian's
# bridge + host-local plugins, both driven by the same libcni caller
# (tests/tools/cnitool) inside the same node namespace of node-env.sh, in
# the same run.  COUNT sequential ADDs, then COUNT at concurrency 10, for
# each.  kovn's pods exist and are annotated by kovn-controller before the
# timing starts, as when the scheduler binds a pod before the kubelet starts
# its sandbox.  Also prints kovn-daemon's RSS, the CPU time per ADD of
# kovn-daemon, ovs-vswitchd and ovn-controller, and from kovn-daemon's log
# where kovn's ADDs spent their time (bench/cni_phases.py): each phase's
# median and maximum, the 1st, middle and last pod, and the slowest ADDs.
#
#   bench/bench-cni.sh BUILD_DIR [COUNT]     (under with-k8s.sh)
set -uo pipefail

build=$(cd "${1:?usage: bench-cni.sh BUILD_DIR [COUNT]}" && pwd)
count=${2:-200}
top=$(cd "$(dirname "$0")/.." && pwd)
KOVN_DIR=$(mktemp -d /tmp/kovn-bench-cni.XXXXXX)
KOVN_KUBECONFIG=$KOVN_TEST_KUBECONFIG
KOVN_KUBECTL=$KOVN_TEST_KUBECTL
KOVN_CONTROLLER=$build/controller/kovn-controller
KOVN_DAEMON=$build/daemon/kovn-daemon
KOVN_PLUGIN=$build/cni/kovn
KOVN_CNITOOL=$build/tests/tools/cnitool
# shellcheck source=../tests/integration/kovn-lib.sh
. "$top/tests/integration/kovn-lib.sh"

cleanup() {
  kovn_daemon_kill node1
  kill "$(cat "$KOVN_DIR/controller.pid" 2>/dev/null)" 2>/dev/null
  "$KOVN_NODE_ENV" stop-all "$KOVN_DIR"   # Also the pods' namespaces.
  [ -n "${KOVN_BENCH_KEEP_LOGS:-}" ] && cp "$KOVN_DIR"/node1/*.log /tmp/ 2>/dev/null
  rm -rf "$KOVN_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

kovn_cluster_up node1 || exit 1
prefix=$("$KOVN_NODE_ENV" prefix "$KOVN_DIR")
kovn_controller_start
kovn_daemon_start node1 ${KOVN_DAEMON_ARGS:-}
kovn_daemon_ready node1 || exit 1

# make_netns TAG: COUNT namespaces PREFIX-TAG0...
make_netns() {
  for i in $(seq 0 $((count - 1))); do ip netns add "$prefix-$1$i"; done
}

# bench_run CONFLIST BIN_DIR CONCURRENCY TAG PODNAME_FMT
bench_run() {
  "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" node1 env CNI_PATH="$2" \
    CNI_CACHE_DIR="$KOVN_DIR/cache-$4" "$KOVN_CNITOOL" bench "$1" "$count" \
    "$3" "/var/run/netns/$prefix-$4%d" default "$5"
}

# kovn: pods created and annotated first.
for tag in s c; do
  for i in $(seq 0 $((count - 1))); do
    printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b%s%d",'\
'"namespace":"default"},"spec":{"nodeName":"node1","containers":'\
'[{"name":"c","image":"busybox"}]}}\n' "$tag" "$i"
  done | "$KOVN_KUBECTL" apply -f - >/dev/null
done
want=$((2 * count))
kovn_wait 120 sh -c "[ \$($KOVN_KUBECTL get pods -n default -o json | \
  grep -c '\"ovn.kubernetes.io/allocated\": \"true\"') -ge $want ]" ||
  { echo "pods not annotated in time"; exit 1; }
make_netns ks; make_netns kc

# cpu_ms: the CPU time (user + system, ms) so far of kovn-daemon,
# ovs-vswitchd and ovn-controller on node1, on one line.
cpu_ms() {
  local d
  for d in kovn-daemon ovs-vswitchd ovn-controller; do
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%d ", ($14 + $15) * 1000 / hz }' \
      "/proc/$(cat "$KOVN_DIR/node1/$d.pid")/stat"
  done
}
# cpu_per_add BEFORE: each one's CPU per ADD since BEFORE (cpu_ms's line).
cpu_per_add() {
  local after
  after=$(cpu_ms)
  awk -v n="$count" -v a="$after" -v b="$1" 'BEGIN {
    split(a, x); split(b, y)
    printf "  CPU per ADD, ms: kovn-daemon %.1f, ovs-vswitchd %.1f, " \
      "ovn-controller %.1f\n", (x[1] - y[1]) / n, (x[2] - y[2]) / n,
      (x[3] - y[3]) / n }'
}

kovn_conf=$KOVN_DIR/node1/net.d/01-kovn.conflist
daemon_log=$KOVN_DIR/node1/kovn-daemon.log
echo "== kovn: $count sequential ADDs"
cpu=$(cpu_ms)
bench_run "$kovn_conf" "$KOVN_DIR/node1/bin" 1 ks "bs%d"
cpu_per_add "$cpu"
python3 "$top/bench/cni_phases.py" "$daemon_log" 'bs\d+' \
  --at "bs0,bs$((count / 2 - 1)),bs$((count - 1))"
echo "== kovn: $count ADDs, concurrency 10"
cpu=$(cpu_ms)
bench_run "$kovn_conf" "$KOVN_DIR/node1/bin" 10 kc "bc%d"
cpu_per_add "$cpu"
python3 "$top/bench/cni_phases.py" "$daemon_log" 'bc\d+'
pid=$(cat "$KOVN_DIR/node1/kovn-daemon.pid")
# RssFile is shared library pages (libcrypto, libc, and what libcurl pulls
# in), shared with other processes; RssAnon is the daemon's own.
echo "== kovn-daemon memory with $want pods wired:" \
  "$(awk '/VmRSS|VmHWM|RssAnon|RssFile/ {printf "%s %s kB  ", $1, $2}' \
     "/proc/$pid/status")" \
  "$(awk '/^Pss:|^Private_Clean|^Private_Dirty/ {printf "%s %s kB  ", $1, $2}' \
     "/proc/$pid/smaps_rollup")"
# Where the RSS is, by mapping (a library's mappings added up), the largest
# first, and how many shared libraries the daemon maps.
awk '/^[0-9a-f]+-[0-9a-f]+ / { f = ($6 == "" ? "[anon]" : $6) }
     /^Rss:/ { rss[f] += $2 }
     END { for (f in rss) if (rss[f] > 0) printf "%d %s\n", rss[f], f }' \
  "/proc/$pid/smaps" | sort -rn | head -n 12 |
  awk '{ n = split($2, p, "/"); printf "  %6d kB  %s\n", $1, p[n] }'
echo "  shared libraries mapped: $(grep -c '\.so' <(awk '$6 ~ /\.so/ { print $6 }' \
  "/proc/$pid/maps" | sort -u))"

# The baseline: a Linux bridge in the same node namespace.
bridge_conf=$KOVN_DIR/bridge.conflist
cat >"$bridge_conf" <<EOF
{"cniVersion": "1.0.0", "name": "bench-bridge",
 "plugins": [{"type": "bridge", "bridge": "benchbr0", "isGateway": true,
              "ipam": {"type": "host-local", "dataDir": "$KOVN_DIR/host-local",
                       "ranges": [[{"subnet": "10.99.0.0/16"}]]}}]}
EOF
make_netns bs; make_netns bc
echo "== bridge + host-local: $count sequential ADDs"
bench_run "$bridge_conf" /usr/lib/cni 1 bs "xs%d"
echo "== bridge + host-local: $count ADDs, concurrency 10"
bench_run "$bridge_conf" /usr/lib/cni 10 bc "xc%d"
