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

kovn_log() { printf 'kovn-lib: %s\n' "$*" >&2; }

# kovn_wait SECONDS CMD...: until CMD succeeds; fails after SECONDS.
kovn_wait() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

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

# Starts kovn-daemon inside node NAME (pid in DIR/NAME/kovn-daemon.pid).
# Extra arguments go to kovn-daemon.
kovn_daemon_start() {
  local n=$1 d=$KOVN_DIR/$1; shift
  mkdir -p "$d/bin" "$d/net.d"
  "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" "$n" "$KOVN_DAEMON" \
    --kubeconfig="$KOVN_DIR/kubeconfig-node" --node-name="$n" \
    --ovs-db="unix:$d/db.sock" --ovn-sb-remote="unix:$KOVN_DIR/sb.sock" \
    --encap-iface=br-phy --socket="$d/cni.sock" \
    --cni-bin-dir="$d/bin" --cni-conf-dir="$d/net.d" \
    --cni-plugin="$KOVN_PLUGIN" --unixctl="$d/kovn-daemon.ctl" \
    --log-file="$d/kovn-daemon.log" -vconsole:off "$@" &
  echo $! >"$d/kovn-daemon.pid"
}

kovn_daemon_status() {
  ovs-appctl -t "$KOVN_DIR/$1/kovn-daemon.ctl" kovn/status
}

# Waits until node NAME's daemon has set the node up and installed the CNI
# configuration.
kovn_daemon_ready() {
  kovn_wait "${2:-60}" sh -c "ovs-appctl -t '$KOVN_DIR/$1/kovn-daemon.ctl' \
      kovn/status | grep -q 'node-setup: done' &&
    test -f '$KOVN_DIR/$1/net.d/01-kovn.conflist'" ||
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
  "$KOVN_KUBECTL" apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "$1", "namespace": "default"${3:+, $3}},
 "spec": {"nodeName": "$2", "automountServiceAccountToken": false,
          "containers": [{"name": "c", "image": "busybox"}]}}
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
  "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" "$node" env \
    CNI_PATH="$KOVN_DIR/$node/bin" CNI_CACHE_DIR="$KOVN_DIR/$node/cache" \
    "$KOVN_CNITOOL" "$cmd" "$KOVN_DIR/$node/net.d/01-kovn.conflist" \
    "/var/run/netns/$ns" "c-$pod-0123456789" default "$pod"
}

# kovn_tcp FROM_NETNS TO_NETNS TO_IP BYTES: sends BYTES over TCP and prints
# how many the other side received.
kovn_tcp() {
  local from=$1 to=$2 ip=$3 bytes=$4 port=$((20000 + RANDOM % 20000)) out
  out=$(mktemp)
  ip netns exec "$to" timeout 30 socat -u "TCP-LISTEN:$port,reuseaddr" \
    "SYSTEM:wc -c >$out" &
  local srv=$!
  kovn_wait 5 ip netns exec "$to" sh -c "ss -Hltn | grep -q :$port"
  head -c "$bytes" /dev/zero |
    ip netns exec "$from" timeout 30 socat -u - "TCP:$ip:$port,connect-timeout=5"
  wait "$srv"
  tr -d ' \n' <"$out"
  rm -f "$out"
}
