# shellcheck shell=bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# What kovn's end-to-end tests (tests/e2e/test-*.sh) share: a sandbox of
# their own (sandbox/kovn-sandbox.sh, the cluster of `make demo`) in a
# folder of their own beside any demo, its logs, the cleanup on exit (also
# on failure), and the helpers for pods, nodes and OVN.  Source it:
#
#   E2E_NAME=svc                  # folders /tmp/kovn-svc.XXXXXX (default e2e)
#   E2E_UP_ARGS=--kube-proxy      # optional: more arguments of sandbox up
#   . "$(dirname "$0")/e2e-lib.sh"
#   e2e_at_exit my_cleanup        # optional: run before the sandbox goes down
#   e2e_up                        # sandbox up (a check), sandbox.env, helpers
#   check "..." ...
#   e2e_down                      # down, its leftover checks, the summary
#
# Environment: KOVN_CONTROLLER, KOVN_DAEMON, KOVN_PLUGIN (the binaries;
# default: KOVN_BUILD, default build/), KOVN_E2E_NODES (3),
# KOVN_TEST_VERBOSE (show the logs even when everything passes),
# KOVN_E2E_SANDBOX (a folder with a sandbox that is up already: run in it,
# neither start nor stop it -- to work on a test; CI leaves it unset).

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$E2E_LIB_DIR/../.." && pwd)
SB=$top/sandbox/kovn-sandbox.sh
export KOVN_SANDBOX_DIR
if [ -n "${KOVN_E2E_SANDBOX:-}" ]; then
  KOVN_SANDBOX_DIR=$(cd "$KOVN_E2E_SANDBOX" && pwd) || exit 1
else
  KOVN_SANDBOX_DIR=$(mktemp -d "/tmp/kovn-${E2E_NAME:-e2e}.XXXXXX")
fi
S=$KOVN_SANDBOX_DIR
LOGS=$(mktemp -d "/tmp/kovn-${E2E_NAME:-e2e}-logs.XXXXXX")
nodes=${KOVN_E2E_NODES:-3}
t_start=$SECONDS
# shellcheck source=../integration/kovn-lib.sh
. "$top/tests/integration/kovn-lib.sh"       # check(); again in e2e_up
                                             # with the sandbox's settings

show_logs() {
  local f
  # kovn's processes (--processes) or pods, then the nodes' and the
  # control plane's.
  for f in "$LOGS"/net/controller.log "$LOGS"/net/*/kovn-daemon.log \
           "$LOGS"/net/*/root/var/log/pods/kube-system_{kovn,ovs-ovn,ovn-central}-*/*/*.log \
           "$LOGS"/net/*/kubelet.log "$LOGS"/net/*/containerd.log \
           "$LOGS"/cp/*.log "$LOGS"/net/*.out "$LOGS"/net/*/*.out; do
    [ -s "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
  done
}

# e2e_at_exit CMD...: run CMD (eval'd) on exit, before the sandbox goes
# down, in the order given; also when the test fails or is interrupted.
E2E_AT_EXIT=()
e2e_at_exit() { E2E_AT_EXIT+=("$*"); }

down_done=0
cleanup() {
  trap - EXIT INT TERM
  local c
  for c in "${E2E_AT_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
  if [ -n "${KOVN_E2E_SANDBOX:-}" ]; then
    rm -rf "$LOGS"
    return
  fi
  if [ $down_done = 0 ]; then
    KOVN_SANDBOX_LOGS=$LOGS "$SB" down >/dev/null 2>&1
    if [ "$failed" != 0 ] || [ -n "${KOVN_TEST_VERBOSE:-}" ]; then show_logs; fi
  fi
  rm -rf "$LOGS"
  rmdir "$S" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- up ----
# e2e_up: the sandbox with $nodes nodes (exits if it fails to start), its
# settings (sandbox.env: NODES, API...) and kovn-lib.sh pointed at it.
e2e_up() {
  local out rc
  if [ -n "${KOVN_E2E_SANDBOX:-}" ]; then
    out=$("$SB" status 2>&1)
  else
    out=$("$SB" up --nodes "$nodes" --no-demo ${E2E_UP_ARGS:-} 2>&1)
  fi
  rc=$?
  echo "$out" | sed 's/^/  | /'
  check "sandbox up ($nodes nodes)" test $rc = 0
  [ $rc = 0 ] || exit 1
  echo "(sandbox up after $((SECONDS - t_start)) s)"

  # shellcheck source=/dev/null
  . "$S/sandbox.env"
  KOVN_DIR=$S/net
  KOVN_KUBECONFIG=$S/kubeconfig
  KOVN_KUBECTL=$S/bin/kubectl
  # shellcheck source=../integration/kovn-lib.sh
  . "$top/tests/integration/kovn-lib.sh"
  prefix=$("$KOVN_NODE_ENV" prefix "$KOVN_DIR")
}

# ---- helpers (after e2e_up) ----
kubectl() { "$S/bin/kubectl" "$@"; }
node_ns() { "$KOVN_NODE_ENV" node-netns "$KOVN_DIR" "$1"; }
node_ip() { "$KOVN_NODE_ENV" node-ip "$KOVN_DIR" "$1"; }
nbctl() { ovn-nbctl --db="unix:$S/net/nb.sock" "$@"; }
# ksync CACHE KEY [RV|gone]: the kovn-controller that leads has seen KEY in
# CACHE (at resourceVersion RV or later, or gone) and has nothing left to
# write to NB (its kovn/sync).
ksync() {
  ovs-appctl --timeout=30 -t "$("$SB" controller-ctl)" kovn/sync "$@" >/dev/null
}
# applied KIND NS NAME CACHE: kovn-controller has the object as it is now
# in NB, and every chassis has the flows (NS "": cluster-scoped).
applied() {
  local rv key=$3 nsopt=()
  if [ -n "$2" ]; then key=$2/$3 nsopt=(-n "$2"); fi
  rv=$(kubectl get "$1" "${nsopt[@]}" "$3" \
         -o 'jsonpath={.metadata.resourceVersion}') &&
  ksync "$4" "$key" "$rv" &&
    nbctl --timeout=30 --wait=hv sync
}

# spread_deployment NAME REPLICAS [ARG...]: Deployment NAME (label app=NAME)
# of REPLICAS agnhost pods spread over the nodes (kovn-sandbox.sh spread).
spread_deployment() { "$SB" spread "$@"; }

phase() { kubectl get pod -n "$1" "$2" -o 'jsonpath={.status.phase}' 2>/dev/null; }
running() { [ "$(phase "$1" "$2")" = Running ]; }
wait_running() { kovn_wait "${3:-60}" running "$1" "$2"; }
pod_ip() { kubectl get pod -n "$1" "$2" -o 'jsonpath={.status.podIP}'; }
pod_ann() {
  kubectl get pod -n "$1" "$2" \
    -o "jsonpath={.metadata.annotations.ovn\.kubernetes\.io/$3}"
}
netns() { "$SB" netns -n "$1" "$2"; }
gone() { ! kubectl get pod -n "$1" "$2" >/dev/null 2>&1; }
join_ip() {
  kubectl get node "$1" \
    -o 'jsonpath={.metadata.annotations.ovn\.kubernetes\.io/ip_address}'
}

# stream FROM_NETNS TO_NETNS IP ACTION...: a TCP stream of 100 kB chunks
# every 0.1 s from 1 s before ACTION until 1 s after it ends; true if ACTION
# succeeded and every byte sent arrived.
stream() {
  local from=$1 to=$2 ip=$3 port=$((20000 + RANDOM % 20000)) out flag sent
  local srv cli rc arc got want t0=$SECONDS
  shift 3
  out=$(mktemp) flag=$(mktemp) sent=$(mktemp)
  echo 0 >"$sent"
  kovn_in_netns "$to" timeout 1800 socat -u "TCP-LISTEN:$port,reuseaddr" \
    "SYSTEM:wc -c >$out" &
  srv=$!
  kovn_wait 5 kovn_in_netns "$to" sh -c "ss -Hltn | grep -q :$port"
  (n=0
   while [ -e "$flag" ]; do
     head -c 100000 /dev/zero
     n=$((n + 1)) && echo "$n" >"$sent"
     sleep 0.1
   done) | kovn_in_netns "$from" timeout 1800 socat -u - "TCP:$ip:$port" &
  cli=$!
  sleep 1
  "$@"; arc=$?
  sleep 1
  rm -f "$flag"
  wait $cli; rc=$?
  wait $srv
  got=$(tr -d ' \n' <"$out") want=$(($(cat "$sent") * 100000))
  rm -f "$out" "$sent"
  echo "  (stream: $want bytes sent in $((SECONDS - t0)) s, sender exit $rc, $got received; action exit $arc)"
  [ "$arc" = 0 ] && [ "$rc" = 0 ] && [ "$got" = "$want" ]
}

# tcp NETNS_FROM NETNS_TO IP: 1 MB over TCP arrives whole.
tcp() { test "$(kovn_tcp "$1" "$2" "$3" 1000000)" = 1000000; }
ping_ok() { kovn_ping "$1" "$2" 3 >/dev/null; }

# ---- teardown ----
sandbox_procs() {   # processes naming the sandbox folder, but ours
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = $$ ] || [ "${p#/proc/}" = "$BASHPID" ] && continue
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "${S}[/ ]" &&
      echo "${p#/proc/}"
  done
  return 0
}

# e2e_down: the e2e_at_exit commands, the sandbox down and the checks that
# it left nothing behind, the logs if anything failed, the summary (the
# script's exit status).
e2e_down() {
  local out rc c
  for c in "${E2E_AT_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
  E2E_AT_EXIT=()
  if [ -n "${KOVN_E2E_SANDBOX:-}" ]; then
    echo "${E2E_NAME:-e2e}: $((SECONDS - t_start)) s (sandbox $S left up)"
    kovn_check_summary
    return
  fi
  out=$(KOVN_SANDBOX_LOGS=$LOGS "$SB" down 2>&1); rc=$?
  down_done=1
  echo "$out" | sed 's/^/  | /'
  check "sandbox down succeeds" test $rc = 0
  check "no sanitizer report in any log" sh -c "! grep -rlE \
    'ERROR: (Address|Leak)Sanitizer|runtime error:' '$LOGS'"
  check "the sandbox folder is gone" test ! -e "$S/.kovn-sandbox"
  check "no network namespace $prefix-* left" sh -c \
    "! ip netns list | grep -q '^$prefix-'"
  check "no link $prefix-* left" sh -c "! ip -o link show | grep -q ': $prefix-'"
  check "no mount of a $prefix-* namespace left" sh -c "! grep -q '/$prefix-' /proc/mounts"
  check "no process of the sandbox left" test -z "$(sandbox_procs)"
  # node-env.sh's own inventory, on the same folder name and prefix.
  mkdir -p "$S/net" && echo "$prefix" >"$S/net/prefix"
  check "node-env.sh leftovers: nothing" "$KOVN_NODE_ENV" leftovers "$S/net"
  rm -rf "$S/net"
  if [ "$failed" != 0 ] || [ -n "${KOVN_TEST_VERBOSE:-}" ]; then show_logs; fi

  echo "${E2E_NAME:-e2e}: $((SECONDS - t_start)) s"
  kovn_check_summary
}
