# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Shell functions that put kovn on the nodes of node-env.sh: shared by the
# daemon test, the CNI benchmark and the sandbox.  Source it after setting
#   KOVN_DIR          the node-env.sh DIR
#   KOVN_KUBECTL      kubectl pointed at the apiserver
#   KOVN_KUBECONFIG   its kubeconfig (for kovn-controller, on the host)
#   KOVN_CONTROLLER, KOVN_DAEMON, KOVN_PLUGIN, KOVN_CNITOOL   the binaries
# Every function fails (non-zero) with a message on stderr.

KOVN_NODE_ENV=${KOVN_NODE_ENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/node-env.sh}

# shellcheck source=proc-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc-lib.sh"   # wait_for, alive

kovn_log() { printf 'kovn-lib: %s\n' "$*" >&2; }

# Test scripts' checks: "check DESCRIPTION CMD..." counts CMD's success in
# $passed or $failed and says "ok:" or "FAILED:"; kovn_check_summary prints
# "N passed, M failed", as every kovn test ends, and fails if any failed.
passed=${passed:-0} failed=${failed:-0}
check() {
  local what=$1; shift
  if "$@"; then
    passed=$((passed + 1)); echo "ok: $what"
  else
    failed=$((failed + 1)); echo "FAILED: $what"
  fi
}
kovn_check_summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}

# kovn_wait SECONDS CMD...: until CMD succeeds; fails after SECONDS.
kovn_wait() {
  local seconds=$1; shift
  wait_for "$seconds" kovn_quietly "$@"
}
kovn_quietly() { "$@" >/dev/null 2>&1; }

# OVN central, the underlay and the apiserver relay, then NODE... (named
# node1, node2...).
kovn_cluster_up() {
  "$KOVN_NODE_ENV" central-start "$KOVN_DIR" &&
  "$KOVN_NODE_ENV" underlay-up "$KOVN_DIR" &&
  "$KOVN_NODE_ENV" apiserver-relay "$KOVN_DIR" "$KOVN_KUBECONFIG" || return 1
  local i=1 n
  for n in "$@"; do
    "$KOVN_NODE_ENV" node-add "$KOVN_DIR" "$n" "$i" || return 1
    kovn_node_object "$n" "$("$KOVN_NODE_ENV" node-ip "$KOVN_DIR" "$n")" ||
      return 1
    i=$((i + 1))
  done
}

# Registers Node NAME with InternalIP IP, as a kubelet would.
kovn_node_object() {
  "$KOVN_KUBECTL" apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Node",
 "metadata": {"name": "$1", "labels": {"kubernetes.io/hostname": "$1"}},
 "status": {"addresses": [{"type": "InternalIP", "address": "$2"},
                          {"type": "Hostname", "address": "$1"}]}}
EOF
}

# Starts kovn-controller in the background (pid in DIR/controller.pid).
kovn_controller_start() {
  "$KOVN_CONTROLLER" --kubeconfig="$KOVN_KUBECONFIG" \
    --ovn-nb-remotes="unix:$KOVN_DIR/nb.sock" --identity=kovn-test \
    --unixctl="$KOVN_DIR/controller.ctl" \
    --log-file="$KOVN_DIR/controller.log" -vconsole:off "$@" &
  echo $! >"$KOVN_DIR/controller.pid"
}

# Node NAME's CNI folders (configuration, plugins), as host paths: the
# node's own /etc/cni/net.d and /opt/cni/bin when it has a mount namespace
# (a sandbox machine), else DIR/NAME/net.d and DIR/NAME/bin.
kovn_cni_conf_dir() {
  if [ -e "$KOVN_DIR/$1/mnt.ready" ]; then
    echo "$KOVN_DIR/$1/root/etc/cni/net.d"
  else
    echo "$KOVN_DIR/$1/net.d"
  fi
}
kovn_cni_bin_dir() {
  if [ -e "$KOVN_DIR/$1/mnt.ready" ]; then
    echo "$KOVN_DIR/$1/root/opt/cni/bin"
  else
    echo "$KOVN_DIR/$1/bin"
  fi
}

# Starts kovn-daemon inside node NAME (pid in DIR/NAME/kovn-daemon.pid).
# Extra arguments go to kovn-daemon.  Its kubeconfig is
# $KOVN_NODE_KUBECONFIG, by default node-env.sh's DIR/kubeconfig-node.
kovn_daemon_start() {
  local n=$1 d=$KOVN_DIR/$1 conf bin; shift
  conf=$(kovn_cni_conf_dir "$n") bin=$(kovn_cni_bin_dir "$n")
  mkdir -p "$bin" "$conf"
  "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" "$n" "$KOVN_DAEMON" \
    --kubeconfig="${KOVN_NODE_KUBECONFIG:-$KOVN_DIR/kubeconfig-node}" \
    --node-name="$n" \
    --ovs-db="unix:$d/db.sock" --ovn-sb-remote="unix:$KOVN_DIR/sb.sock" \
    --encap-iface=br-phy --socket="$d/cni.sock" \
    --cni-bin-dir="$bin" --cni-conf-dir="$conf" \
    --cni-plugin="$KOVN_PLUGIN" --unixctl="$d/kovn-daemon.ctl" \
    --log-file="$d/kovn-daemon.log" -vconsole:off "$@" &
  echo $! >"$d/kovn-daemon.pid"
}

# kovn_node_exec NODE CMD...: CMD inside NODE, where ovs-vsctl, ovs-appctl
# and ovn-appctl talk to that node's daemons.
kovn_node_exec() {
  local n=$1; shift
  "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" "$n" "$@"
}

kovn_daemon_status() {
  ovs-appctl -t "$KOVN_DIR/$1/kovn-daemon.ctl" kovn/status
}

# Waits until node NAME's daemon has set the node up and installed the CNI
# configuration.
kovn_daemon_ready() {
  kovn_wait "${2:-60}" sh -c "ovs-appctl -t '$KOVN_DIR/$1/kovn-daemon.ctl' \
      kovn/status | grep -q 'node-setup: done' &&
    test -f '$(kovn_cni_conf_dir "$1")/01-kovn.conflist'" ||
    { kovn_log "kovn-daemon on $1 is not ready"; return 1; }
}

# SIGKILLs node NAME's daemon (a crash) and waits until it is gone.
kovn_daemon_kill() {
  local pid
  pid=$(cat "$KOVN_DIR/$1/kovn-daemon.pid" 2>/dev/null) || return 0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Creates pod NAME bound to NODE in namespace default (extra JSON members
# of metadata may follow, e.g. '"annotations": {...}').
kovn_pod_create() {
  kovn_pod_create_in default "$@"
}

# kovn_pod_create_in NAMESPACE NAME NODE [METADATA]: the same in NAMESPACE;
# an empty NODE leaves the pod to the scheduler.  Its container (where a
# kubelet runs it) is agnhost's "pause", which ends at once on SIGTERM.
kovn_pod_create_in() {
  local node=
  [ -n "$3" ] && node="\"nodeName\": \"$3\", "
  "$KOVN_KUBECTL" apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "$2", "namespace": "$1"${4:+, $4}},
 "spec": {$node"automountServiceAccountToken": false,
          "containers": [{"name": "c",
                          "image": "k8s.gcr.io/e2e-test-images/agnhost:2.21",
                          "args": ["pause"]}]}}
EOF
}

kovn_pod_annotation() {
  "$KOVN_KUBECTL" get pod -n default "$1" \
    -o "jsonpath={.metadata.annotations.ovn\.kubernetes\.io/$2}"
}

# The pod's network namespace: PREFIX-NAME (made here if absent).
kovn_pod_netns() {
  local ns
  ns=$("$KOVN_NODE_ENV" prefix "$KOVN_DIR")-$1
  [ -e "/var/run/netns/$ns" ] || ip netns add "$ns"
  echo "$ns"
}

# kovn_cni NODE add|check|del POD: the runtime's CNI call for POD on NODE,
# through libcni, from inside the node.  ADD prints the result.
kovn_cni() {
  local node=$1 cmd=$2 pod=$3 ns
  ns=$(kovn_pod_netns "$pod")
  kovn_cni_call "$node" "$cmd" "$ns" "c-$pod-0123456789" default "$pod"
}

# kovn_cni_call NODE add|check|del NETNS CONTAINER_ID POD_NAMESPACE POD:
# the same for any pod, namespace (/var/run/netns/NETNS) and container ID.
kovn_cni_call() {
  local node=$1 cmd=$2 netns=$3 id=$4 podns=$5 pod=$6
  "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" "$node" env \
    CNI_PATH="$KOVN_DIR/$node/bin" CNI_CACHE_DIR="$KOVN_DIR/$node/cache" \
    "$KOVN_CNITOOL" "$cmd" "$KOVN_DIR/$node/net.d/01-kovn.conflist" \
    "/var/run/netns/$netns" "$id" "$podns" "$pod"
}

# kovn_in_netns NETNS CMD...: CMD in network namespace NETNS, a name of
# `ip netns` or a path (a pod's /proc/PID/ns/net).
kovn_in_netns() {
  local ns=$1; shift
  case $ns in
    /*) nsenter --net="$ns" -- "$@" ;;
    *) ip netns exec "$ns" "$@" ;;
  esac
}

# kovn_tcp FROM_NETNS TO_NETNS TO_IP BYTES: sends BYTES over TCP and prints
# how many the other side received.
kovn_tcp() {
  local from=$1 to=$2 ip=$3 bytes=$4 port=$((20000 + RANDOM % 20000)) out
  out=$(mktemp)
  kovn_in_netns "$to" timeout 30 socat -u "TCP-LISTEN:$port,reuseaddr" \
    "SYSTEM:wc -c >$out" &
  local srv=$!
  kovn_wait 5 kovn_in_netns "$to" sh -c "ss -Hltn | grep -q :$port"
  head -c "$bytes" /dev/zero |
    kovn_in_netns "$from" timeout 30 socat -u - "TCP:$ip:$port,connect-timeout=5"
  wait "$srv"
  tr -d ' \n' <"$out"
  rm -f "$out"
}

# kovn_ping FROM_NETNS IP [COUNT]: pings IP from FROM_NETNS (0.2 s apart);
# prints ping's summary line ("N packets transmitted, N received, ...").
kovn_ping() {
  local out rc
  out=$(kovn_in_netns "$1" ping -n -q -c "${3:-3}" -i 0.2 -W 2 "$2" 2>&1)
  rc=$?
  grep 'packets transmitted' <<<"$out" || echo "$out"
  return $rc
}

# kovn_alive PIDFILE: the process in PIDFILE runs (a zombie counts as gone)
# and its command line names KOVN_DIR, so that a recycled pid is never
# taken for it.
kovn_alive() {
  local pid stat
  pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] || return 1
  [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") == *"$KOVN_DIR"* ]]
}

# kovn_stop PIDFILE [SIGNAL]: sends SIGNAL (TERM) to the process in PIDFILE
# if it is ours (kovn_alive), waits until it is gone (KILL after 10 s) and
# removes PIDFILE.  Works for processes another shell started.
# kovn_cleanup NODE...: a test's EXIT trap: stops NODEs' kovn-daemons and
# kovn-controller, shows their logs when a check failed (or with
# KOVN_TEST_VERBOSE), and removes KOVN_DIR's namespaces (the pods' too:
# node-env.sh stop-all), processes and files.
kovn_cleanup() {
  trap - EXIT INT TERM
  local n f
  for n in "$@"; do kovn_daemon_kill "$n"; done
  kill "$(cat "$KOVN_DIR/controller.pid" 2>/dev/null)" 2>/dev/null
  if [ "${failed:-0}" != 0 ] || [ -n "${KOVN_TEST_VERBOSE:-}" ]; then
    for f in "$KOVN_DIR"/*/kovn-daemon.log "$KOVN_DIR"/controller.log; do
      [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
    done
  fi
  "$KOVN_NODE_ENV" stop-all "$KOVN_DIR"
  rm -rf "$KOVN_DIR"
}

kovn_stop() {
  local pidfile=$1 sig=${2:-TERM} pid i
  if kovn_alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill "-$sig" "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
      kovn_alive "$pidfile" || break
      sleep 0.1
    done
    if kovn_alive "$pidfile"; then
      kovn_log "pid $pid ($pidfile) still runs 10 s after SIG$sig; killing it"
      kill -KILL "$pid" 2>/dev/null
      kovn_wait 5 eval "! kovn_alive '$pidfile'"
    fi
  fi
  rm -f "$pidfile"
}
