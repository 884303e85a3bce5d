#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# CNI calls for pods that are not there, through the real plugin (libcni's
# cnitool) and the real kovn-daemon on one node of node-env.sh, against the
# apiserver of with-k8s.sh, with the default --cni-timeout (100 s):
#   - an ADD for default/ghost (never created, container A) fails at once,
#     naming the pod, and a DEL for it (container B) returns in
#     milliseconds;
#   - while an ADD (container A) waits for a pod that exists but that no
#     controller annotates, a DEL of another container (B) of that pod is
#     answered at once, a DEL of the same container (A) waits behind the
#     ADD, and deleting the pod ends the ADD at once.
# No kovn-controller runs: a pod stays unannotated for as long as the test
# needs, without a timer.
#
# Usage: with-k8s.sh test-daemon-ghost.sh
# Environment: KOVN_DAEMON, KOVN_PLUGIN, KOVN_CNITOOL (the binaries);
# with-k8s.sh's KOVN_TEST_KUBECONFIG and KOVN_TEST_KUBECTL.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KOVN_DIR=$(mktemp -d /tmp/kovn-ghost.XXXXXX)
KOVN_KUBECONFIG=$KOVN_TEST_KUBECONFIG
KOVN_KUBECTL=$KOVN_TEST_KUBECTL
# shellcheck source=kovn-lib.sh
. "$here/kovn-lib.sh"

# Far below --cni-timeout (100 s), and far above what an answer takes, even
# counting cnitool's and the plugin's start on a loaded machine under
# AddressSanitizer (seconds): an answer that came later waited for
# something.  How long the daemon itself took is checked in its log.
PROMPT_MS=30000

cleanup() { kovn_cleanup node1; }
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# call_bg TAG CMD POD CONTAINER_ID: the runtime's CNI call in the
# background; when it ends, DIR/TAG.out holds its output and DIR/TAG.end
# "STATUS END_MS" (the start is in DIR/TAG.start).
call_bg() {
  local tag=$1 cmd=$2 pod=$3 id=$4 ns
  ns=$(kovn_pod_netns "$pod")
  now_ms >"$KOVN_DIR/$tag.start"
  ( kovn_cni_call node1 "$cmd" "$ns" "$id" default "$pod" \
      >"$KOVN_DIR/$tag.out" 2>&1
    echo "$? $(now_ms)" >"$KOVN_DIR/$tag.tmp"
    mv "$KOVN_DIR/$tag.tmp" "$KOVN_DIR/$tag.end" ) &
}
ended() { test -f "$KOVN_DIR/$1.end"; }
status_of() { cut -d' ' -f1 "$KOVN_DIR/$1.end"; }
end_ms() { cut -d' ' -f2 "$KOVN_DIR/$1.end"; }
took_ms() { echo $(($(end_ms "$1") - $(cat "$KOVN_DIR/$1.start"))); }
pending() { kovn_daemon_status node1 | grep -q "^cni-pending: $1\$"; }
pods_cached() {
  local n; n=$(kovn_daemon_status node1 | sed -n 's/^pods-cached: //p')
  [ "${n:-0}" -gt 0 ]
}
# daemon_ms 'CMD NS/POD (CONTAINER12)': how long the daemon says it took.
daemon_ms() {
  grep -o "$1 \(done in\|failed after\) [0-9]* ms" \
    "$KOVN_DIR/node1/kovn-daemon.log" | grep -o '[0-9]* ms' | cut -d' ' -f1
}

# ---- set-up: one node, its daemon, no controller ----
kovn_cluster_up node1 || { echo "FAILED: cluster set-up"; exit 1; }
kovn_daemon_start node1
check "the daemon installs its CNI configuration" kovn_wait 60 \
  test -f "$(kovn_cni_conf_dir node1)/01-kovn.conflist"
kovn_pod_create waiter node1
# The pod cache has synced once it holds a pod (waiter, and those other
# tests left on node1 on the same apiserver).
check "the daemon's pod cache has synced" kovn_wait 60 pods_cached

# ---- a pod that was never created ----
call_bg ghost-add add ghost c-ghost-A-0123456789
call_bg ghost-del del ghost c-ghost-B-0123456789
check "ADD default/ghost is answered" kovn_wait 60 ended ghost-add
check "DEL default/ghost (another container) is answered" \
  kovn_wait 60 ended ghost-del
echo "ADD of the ghost: $(took_ms ghost-add) ms; DEL: $(took_ms ghost-del) ms" \
  "(cnitool's start to its end); the daemon's own account:"
grep -o '\(ADD\|DEL\) default/ghost .*' "$KOVN_DIR/node1/kovn-daemon.log"
check "...the ADD fails" test "$(status_of ghost-add)" != 0
check "...in under a second" \
  test "$(daemon_ms 'ADD default/ghost (c-ghost-A-01)')" -lt 1000
check "...naming the missing pod" \
  grep -q "pod default/ghost does not exist" "$KOVN_DIR/ghost-add.out"
check "...and without waiting for --cni-timeout" \
  test "$(took_ms ghost-add)" -lt "$PROMPT_MS"
check "...the DEL succeeds" test "$(status_of ghost-del)" = 0
check "...in milliseconds" \
  test "$(daemon_ms 'DEL default/ghost (c-ghost-B-01)')" -lt 1000
check "...without waiting for the ADD" \
  test "$(took_ms ghost-del)" -lt "$PROMPT_MS"
check "...and the ADD left no veth" sh -c "! $KOVN_NODE_ENV node-exec \
  $KOVN_DIR node1 ip link show c-ghost-A-01_h 2>/dev/null"

# ---- a pod that exists but is not annotated ----
call_bg wait-add add waiter c-wait-A-0123456789
check "ADD of waiter (container A) waits for its annotations" \
  kovn_wait 30 pending 1
call_bg wait-delb del waiter c-wait-B-0123456789
check "DEL of waiter's container B is answered" kovn_wait 60 ended wait-delb
echo "DEL of container B while A's ADD waits: $(took_ms wait-delb) ms"
grep -o 'DEL default/waiter (c-wait-B-.*' "$KOVN_DIR/node1/kovn-daemon.log"
check "...successfully" test "$(status_of wait-delb)" = 0
check "...in milliseconds" \
  test "$(daemon_ms 'DEL default/waiter (c-wait-B-012)')" -lt 1000
check "...while the ADD still waits" eval "! ended wait-add"
call_bg wait-dela del waiter c-wait-A-0123456789
check "DEL of container A queues behind A's ADD" kovn_wait 30 pending 2
deleted=$(now_ms)
"$KOVN_KUBECTL" delete pod -n default waiter --grace-period=0 --force \
  >/dev/null 2>&1
check "deleting the pod ends the ADD" kovn_wait 60 ended wait-add
check "...and the DEL of its container" kovn_wait 60 ended wait-dela
echo "ADD ended $(($(end_ms wait-add) - deleted)) ms after the pod's" \
  "deletion; the DEL of its container $(($(end_ms wait-dela) - deleted)) ms"
check "...the ADD fails" test "$(status_of wait-add)" != 0
check "...saying that the pod was deleted" \
  grep -q "pod default/waiter was deleted" "$KOVN_DIR/wait-add.out"
check "...promptly" test $(($(end_ms wait-add) - deleted)) -lt "$PROMPT_MS"
check "the DEL of container A succeeds" test "$(status_of wait-dela)" = 0
# The daemon's log, not the plugins' exit times, says which came first.
first=$(grep -o '\(ADD\|DEL\) default/waiter (c-wait-A-012)' \
          "$KOVN_DIR/node1/kovn-daemon.log" | head -n 1)
check "...after its ADD was answered" test "$first" = \
  "ADD default/waiter (c-wait-A-012)"
check "nothing is left pending" kovn_wait 10 pending 0

# ---- clean exit (under AddressSanitizer: no leaks) ----
pid=$(cat "$KOVN_DIR/node1/kovn-daemon.pid")
kill -TERM "$pid"; wait "$pid"; rc=$?; rm -f "$KOVN_DIR/node1/kovn-daemon.pid"
check "kovn-daemon exits cleanly on SIGTERM (status $rc)" test $rc = 0

kovn_check_summary
