#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# A local multi-node kovn cluster on one machine: a real etcd and
# kube-apiserver (tests/integration/k8s-env.sh), real OVN central (NB, SB,
# ovn-northd), and N "nodes" as network namespaces (tests/integration/
# node-env.sh), each with its own ovsdb-server, ovs-vswitchd, ovn-controller
# and kovn-daemon; kovn-controller on the host; and the sandbox kubelet
# (sandbox/kubelet.sh), which schedules pods, gives each pod a network
# namespace, calls the kovn CNI plugin and writes the pod's IP into its
# status.  Needs root.  See docs/getting-started.md.
#
#   kovn-sandbox.sh up [--nodes N] [--no-demo]
#                         start it all (N nodes, default 3), create the demo
#                         pods and print a summary with ping and TCP checks
#   kovn-sandbox.sh status   what runs, nodes, pods and their IPs
#   kovn-sandbox.sh down     stop everything, delete every namespace and
#                         link, remove the state folder
#   kovn-sandbox.sh exec [-n NAMESPACE] POD CMD...
#                         run CMD in POD's network namespace
#   kovn-sandbox.sh netns [-n NAMESPACE] POD
#                         print POD's network namespace (ip netns exec ...)
#   kovn-sandbox.sh node-exec NODE CMD...
#                         run CMD in NODE (ovs-vsctl, ovn-appctl work there)
#   kovn-sandbox.sh restart [--kill] controller|NODE...
#                         restart kovn-controller or NODE's kovn-daemon
#                         (--kill: SIGKILL, as a crash, instead of SIGTERM)
#   kovn-sandbox.sh check    the connectivity checks of `up` again (making the
#                         demo pods if they are missing)
#   kovn-sandbox.sh env      print the export line for kubectl
#
# Environment:
#   KOVN_SANDBOX_DIR   state folder (default /var/run/kovn-sandbox); two
#                      folders make two independent sandboxes
#   KOVN_BUILD         build folder with the binaries (default build/)
#   KOVN_CONTROLLER, KOVN_DAEMON, KOVN_PLUGIN, KOVN_CNITOOL
#                      the binaries one by one (default: in KOVN_BUILD)
#   KOVN_SANDBOX_NODES number of nodes (default 3)
#   KOVN_SANDBOX_LOGS  on down, copy every log there first
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SANDBOX_SH=$TOP/sandbox/kovn-sandbox.sh
K8S_ENV=$TOP/tests/integration/k8s-env.sh
S=${KOVN_SANDBOX_DIR:-/var/run/kovn-sandbox}
MARKER=.kovn-sandbox

die() { printf 'kovn-sandbox: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }
step() { STEP_T0=$(date +%s%N); printf '  %-50s' "$*"; }
ok() {
  printf '%-28s %5.1f s\n' "${1:-ok}" \
    "$(((($(date +%s%N) - STEP_T0) / 1000000)))e-3"
}

usage() {
  sed -n '/^#   kovn-sandbox.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, Open vSwitch)"

# Absolute path of the state folder, even before it exists.
case $S in /*) ;; *) S=$PWD/$S ;; esac
S=${S%/}

# --- the state folder ----------------------------------------------------------

# Loads what `up` recorded (binaries, nodes, API address) and kovn-lib.sh.
load() {
  [ -f "$S/$MARKER" ] && [ -f "$S/sandbox.env" ] ||
    die "no sandbox in $S (start one with: $SANDBOX_SH up)"
  # shellcheck source=/dev/null
  . "$S/sandbox.env"
  lib
}

lib() {
  KOVN_DIR=$S/net
  KOVN_KUBECONFIG=$S/kubeconfig
  KOVN_KUBECTL=$S/bin/kubectl
  # shellcheck source=../tests/integration/kovn-lib.sh
  . "$TOP/tests/integration/kovn-lib.sh"
}

kubectl() { "$S/bin/kubectl" "$@"; }

binaries() {
  local b=${KOVN_BUILD:-$TOP/build}
  KOVN_CONTROLLER=${KOVN_CONTROLLER:-$b/controller/kovn-controller}
  KOVN_DAEMON=${KOVN_DAEMON:-$b/daemon/kovn-daemon}
  KOVN_PLUGIN=${KOVN_PLUGIN:-$b/cni/kovn}
  KOVN_CNITOOL=${KOVN_CNITOOL:-$b/tests/tools/cnitool}
  local f
  for f in "$KOVN_CONTROLLER" "$KOVN_DAEMON" "$KOVN_PLUGIN" "$KOVN_CNITOOL"; do
    [ -x "$f" ] || die "no $f: build kovn first (make)"
  done
  for f in KOVN_CONTROLLER KOVN_DAEMON KOVN_PLUGIN KOVN_CNITOOL; do
    eval "$f=\$(cd \"\$(dirname \"\${$f}\")\" && pwd)/\$(basename \"\${$f}\")"
  done
}

# The processes of the sandbox, by pid file: NAME PIDFILE.
pidfiles() {
  local n
  echo "kube-apiserver $S/k8s/apiserver.pid"
  echo "etcd $S/k8s/etcd.pid"
  echo "ovsdb-server(NB) $S/net/nb.pid"
  echo "ovsdb-server(SB) $S/net/sb.pid"
  echo "ovn-northd $S/net/northd.pid"
  echo "kovn-controller $S/net/controller.pid"
  echo "sandbox-kubelet $S/kubelet/kubelet.pid"
  for n in $NODES; do
    echo "$n/ovsdb-server $S/net/$n/ovsdb-server.pid"
    echo "$n/ovs-vswitchd $S/net/$n/ovs-vswitchd.pid"
    echo "$n/ovn-controller $S/net/$n/ovn-controller.pid"
    echo "$n/kovn-daemon $S/net/$n/kovn-daemon.pid"
  done
}

# True if the process in PIDFILE runs and names the sandbox folder.
running() {
  local pid stat
  pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] || return 1
  names_sandbox "$pid"
}

# True if process PID's command line names the sandbox folder.
names_sandbox() {
  local cmd
  cmd=" $(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") "
  [[ $cmd == *"$S"[/\ ]* ]]
}

all_running() {
  local name file
  while read -r name file; do
    running "$file" || return 1
  done < <(pidfiles)
}

# --- up ----------------------------------------------------------------------------

start_controller() {
  # Job control: the daemons get process groups of their own, so that a
  # Ctrl-C in the terminal that ran `up` does not reach them.
  set -m
  kovn_controller_start </dev/null >>"$S/net/controller.out" 2>&1
  set +m
}

start_daemon() {   # NODE
  set -m
  kovn_daemon_start "$1" --cni-timeout=30 </dev/null \
    >>"$S/net/$1/kovn-daemon.out" 2>&1
  set +m
}

start_kubelet() {
  mkdir -p "$S/kubelet"
  setsid "$TOP/sandbox/kubelet.sh" "$S" </dev/null \
    >>"$S/kubelet/kubelet.log" 2>&1 &
  echo $! >"$S/kubelet/kubelet.pid"
}

# Node NAME's status as a kubelet reports it: addresses and Ready.
node_status() {   # NAME IP
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  curl -sS -f --max-time 10 --cacert "$S/k8s/pki/ca.crt" \
    --cert "$S/k8s/pki/admin.crt" --key "$S/k8s/pki/admin.key" \
    -X PATCH -H 'Content-Type: application/merge-patch+json' \
    "$API/api/v1/nodes/$1/status" --data-binary @- >/dev/null <<EOF
{"status": {
  "addresses": [{"type": "InternalIP", "address": "$2"},
                {"type": "Hostname", "address": "$1"}],
  "conditions": [{"type": "Ready", "status": "True", "reason": "KovnSandbox",
                  "message": "a kovn sandbox node (network namespace)",
                  "lastHeartbeatTime": "$now", "lastTransitionTime": "$now"}],
  "nodeInfo": {"kubeletVersion": "kovn-sandbox", "kubeProxyVersion": "",
               "machineID": "", "systemUUID": "", "bootID": "",
               "kernelVersion": "$(uname -r)", "osImage": "kovn sandbox",
               "containerRuntimeVersion": "netns://", "operatingSystem": "linux",
               "architecture": "amd64"}}}
EOF
}

# Shows the end of LOG..., tears everything down, exits.
up_failed() {
  local f
  say "FAILED"
  for f in "$@"; do
    [ -s "$f" ] || continue
    say "--- $f"
    tail -n 20 "$f"
  done
  say "--- kovn-sandbox: start-up failed; tearing the sandbox down"
  trap - INT TERM
  cmd_down >/dev/null
  exit 1
}

cmd_up() {
  local nodes=${KOVN_SANDBOX_NODES:-3} demo=1
  while [ $# -gt 0 ]; do
    case $1 in
      --nodes) nodes=${2:-}; shift 2 ;;
      --nodes=*) nodes=${1#*=}; shift ;;
      --no-demo) demo=0; shift ;;
      *) usage ;;
    esac
  done
  [[ $nodes =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 20 ] ||
    die "--nodes: want 1 to 20"
  if [ -f "$S/$MARKER" ]; then
    load
    if all_running; then
      say "kovn sandbox already up in $S:"
      cmd_status
      return
    fi
    die "a sandbox in $S is not fully running: run '$SANDBOX_SH down' first"
  fi
  if [ -e "$S" ] && [ -n "$(ls -A "$S" 2>/dev/null)" ]; then
    die "$S exists and is not empty"
  fi
  command -v ping >/dev/null || die "no ping: run scripts/setup.sh (make setup)"
  binaries
  mkdir -p "$S"
  touch "$S/$MARKER"
  trap 'trap - INT TERM; cmd_down >/dev/null 2>&1; exit 130' INT TERM

  local t0=$SECONDS i n kube_dir=${KOVN_KUBE_DIR:-/var/cache/kovn/kubernetes}
  NODES=
  for ((i = 1; i <= nodes; i++)); do NODES+="${NODES:+ }node$i"; done
  say "kovn sandbox: $nodes nodes, state in $S"

  step "etcd + kube-apiserver"
  "$K8S_ENV" start "$S/k8s" >"$S/k8s-env.out" 2>"$S/k8s-env.log" ||
    up_failed "$S/k8s-env.log"
  API=https://127.0.0.1:$(cat "$S/k8s/apiserver.port")
  mkdir -p "$S/bin"
  cp "$S/k8s/kubeconfig" "$S/kubeconfig"
  cat >"$S/bin/kubectl" <<EOF
#!/bin/sh
# kubectl for the kovn sandbox in $S
exec $kube_dir/kubectl --kubeconfig $S/kubeconfig --cache-dir $S/kubectl-cache "\$@"
EOF
  chmod 755 "$S/bin/kubectl"
  {
    printf 'KOVN_CONTROLLER=%q\nKOVN_DAEMON=%q\n' "$KOVN_CONTROLLER" "$KOVN_DAEMON"
    printf 'KOVN_PLUGIN=%q\nKOVN_CNITOOL=%q\n' "$KOVN_PLUGIN" "$KOVN_CNITOOL"
    printf 'NODES=%q\nAPI=%q\n' "$NODES" "$API"
  } >"$S/sandbox.env"
  lib
  ok "$API"

  step "OVN central (NB, SB, northd), underlay"
  mkdir -p "$S/net"
  { "$KOVN_NODE_ENV" central-start "$KOVN_DIR" &&
    "$KOVN_NODE_ENV" underlay-up "$KOVN_DIR" &&
    "$KOVN_NODE_ENV" apiserver-relay "$KOVN_DIR" "$KOVN_KUBECONFIG"
  } 2>"$S/net/node-env.log" || up_failed "$S/net/node-env.log"
  ok "192.0.2.1/24, prefix $("$KOVN_NODE_ENV" prefix "$KOVN_DIR")"

  step "kovn-controller"
  start_controller
  ok

  i=1
  for n in $NODES; do
    step "$n: ovsdb-server, ovs-vswitchd, ovn-controller"
    { "$KOVN_NODE_ENV" node-add "$KOVN_DIR" "$n" "$i" &&
      kovn_node_object "$n" "192.0.2.$((10 + i))" &&
      node_status "$n" "192.0.2.$((10 + i))"
    } 2>>"$S/net/node-env.log" || up_failed "$S/net/node-env.log"
    start_daemon "$n"
    ok "192.0.2.$((10 + i))"
    i=$((i + 1))
  done
  for n in $NODES; do
    step "$n: kovn-daemon ready"
    kovn_daemon_ready "$n" 90 2>/dev/null || up_failed "$S/net/$n/kovn-daemon.log"
    ok
  done

  step "sandbox kubelet"
  start_kubelet
  kovn_wait 10 running "$S/kubelet/kubelet.pid" ||
    up_failed "$S/kubelet/kubelet.log"
  ok
  trap - INT TERM

  if [ "$demo" = 1 ]; then
    step "demo pods"
    if ! demo_pods; then
      say "FAILED"
      say "kovn-sandbox: the demo pods did not start; see $S/kubelet/kubelet.log"
      return 1
    fi
    ok
  fi
  say "kovn sandbox up in $((SECONDS - t0)) s"
  say ""
  summary
  local rc=0
  [ "$demo" = 1 ] && { connectivity || rc=1; }
  say ""
  say "Use it:"
  say "  export KUBECONFIG=$S/kubeconfig PATH=$S/bin:\$PATH"
  say "  kubectl get nodes; kubectl get pods -o wide"
  say "  kubectl run web --image=busybox     # scheduled and wired by the sandbox"
  say "  $SANDBOX_SH exec web ip addr"
  say "  $SANDBOX_SH status | down           # (make demo-down)"
  return $rc
}

# The demo: NODE count + 1 pods, round robin, so that two share node1.
demo_pods() {
  local i n nodes=($NODES)
  DEMO_PODS=$((${#nodes[@]} + 1))
  for ((i = 1; i <= DEMO_PODS; i++)); do
    n=${nodes[$(((i - 1) % ${#nodes[@]}))]}
    kovn_pod_create_in default "demo-$i" "$n" \
      '"labels": {"app": "kovn-demo"}' || return 1
  done
  kovn_wait 120 demo_running
}

demo_running() {   # every demo pod Running with an IP
  [ "$(kubectl get pods -n default -l app=kovn-demo -o json | jq \
    '[.items[] | select(.status.phase == "Running" and .status.podIP)]
     | length')" = "$DEMO_PODS" ]
}

# --- status --------------------------------------------------------------------------

# Prints the nodes and the pods.
summary() {
  local n
  printf '%-8s %-13s %-15s %s\n' NODE UNDERLAY-IP "JOIN-IP (ovn0)" KOVN-DAEMON
  for n in $NODES; do
    printf '%-8s %-13s %-15s %s\n' "$n" "$(node_ip "$n")" \
      "$(node_join_ip "$n")" \
      "$(running "$S/net/$n/kovn-daemon.pid" && echo running || echo DOWN)"
  done
  say ""
  kubectl get pods -A -o json 2>/dev/null | jq -r '
    ["NAMESPACE", "POD", "NODE", "IP", "PHASE"],
    (.items[] | [.metadata.namespace, .metadata.name,
                 (.spec.nodeName // "-"), (.status.podIP // "-"),
                 (.status.phase // "-")]) | @tsv' |
    awk -F'\t' '{ printf "%-12s %-16s %-8s %-15s %s\n", $1, $2, $3, $4, $5 }'
}

node_ip() { "$KOVN_NODE_ENV" node-ip "$KOVN_DIR" "$1" 2>/dev/null || echo -; }

node_join_ip() {
  local ip
  ip=$(kubectl get node "$1" \
    -o 'jsonpath={.metadata.annotations.ovn\.kubernetes\.io/ip_address}' \
    2>/dev/null)
  echo "${ip:--}"
}

pod_netns() {   # NAMESPACE POD: the pod's network namespace, from the kubelet
  local d
  for d in "$S"/kubelet/pods/*/; do
    [ -f "$d/netns" ] || continue
    [ "$(cat "$d/ns")" = "$1" ] && [ "$(cat "$d/name")" = "$2" ] || continue
    cat "$d/netns"
    return 0
  done
  return 1
}

pod_ip() {   # NAMESPACE POD
  kubectl get pod -n "$1" "$2" -o 'jsonpath={.status.podIP}' 2>/dev/null
}

pod_node() {
  kubectl get pod -n "$1" "$2" -o 'jsonpath={.spec.nodeName}' 2>/dev/null
}

# ping and TCP between the demo pods; prints one line each.
connectivity() {
  local a=demo-1 rc=0 line n last
  local nodes=($NODES)
  last=demo-$((${#nodes[@]} + 1))
  say ""
  say "Connectivity:"
  probe() {   # DESCRIPTION CMD...
    local out
    if out=$("${@:2}" 2>&1); then
      printf '  %-52s ok   %s\n' "$1" "$out"
    else
      printf '  %-52s FAIL %s\n' "$1" "$(echo "$out" | tail -n 1)"
      rc=1
    fi
  }
  ping_sum() {   # FROM_NETNS IP
    kovn_ping "$1" "$2" 3 | sed -E 's/.* ([0-9]+) received.*/\1\/3 replies/'
    return "${PIPESTATUS[0]}"
  }
  tcp() {   # FROM_NETNS TO_NETNS IP
    local got
    got=$(kovn_tcp "$1" "$2" "$3" 1000000)
    echo "$got of 1000000 bytes"
    [ "$got" = 1000000 ]
  }
  local na nb ip
  na=$(pod_netns default "$a")
  for ((i = 2; i <= ${#nodes[@]} + 1; i++)); do
    nb=$(pod_netns default "demo-$i")
    ip=$(pod_ip default "demo-$i")
    probe "ping $a ($(pod_node default $a)) -> demo-$i ($(pod_node default demo-$i)) $ip" \
      ping_sum "$na" "$ip"
  done
  nb=$(pod_netns default "demo-2")
  probe "TCP  $a -> demo-2 $(pod_ip default demo-2)" \
    tcp "$na" "$nb" "$(pod_ip default demo-2)"
  probe "TCP  $last -> $a (same node) $(pod_ip default $a)" \
    tcp "$(pod_netns default "$last")" "$na" "$(pod_ip default $a)"
  n=${nodes[${#nodes[@]} - 1]}
  probe "TCP  node $n -> $a $(pod_ip default $a)" \
    tcp "$("$KOVN_NODE_ENV" node-netns "$KOVN_DIR" "$n")" "$na" \
    "$(pod_ip default $a)"
  probe "ping $a -> node ${nodes[0]}'s ovn0 $(node_join_ip "${nodes[0]}")" \
    ping_sum "$na" "$(node_join_ip "${nodes[0]}")"
  return $rc
}

cmd_status() {
  local name file rc=0
  say "kovn sandbox in $S"
  while read -r name file; do
    if running "$file"; then
      printf '  %-24s running (pid %s)\n' "$name" "$(cat "$file")"
    else
      printf '  %-24s NOT RUNNING\n' "$name"
      rc=1
    fi
  done < <(pidfiles)
  say ""
  kubectl get nodes -o wide 2>/dev/null || { say "kube-apiserver: no answer"; rc=1; }
  say ""
  summary
  say ""
  say "export KUBECONFIG=$S/kubeconfig PATH=$S/bin:\$PATH"
  return $rc
}

# The checks of up, on the demo pods (made again if missing).
cmd_check() {
  demo_pods || die "the demo pods did not start; see $S/kubelet/kubelet.log"
  connectivity
}

# --- down ------------------------------------------------------------------------------

copy_logs() {
  local to=$1 f rel
  mkdir -p "$to"
  while IFS= read -r f; do
    rel=${f#"$S"/}
    mkdir -p "$to/$(dirname "$rel")"
    cp "$f" "$to/$rel" 2>/dev/null
  done < <(find "$S" \( -name '*.log' -o -name '*.out' \) -type f 2>/dev/null)
}

cmd_down() {
  [ -e "$S" ] || { say "no sandbox in $S"; return 0; }
  [ -f "$S/$MARKER" ] || die "$S was not made by kovn-sandbox.sh; not touching it"
  # shellcheck source=/dev/null
  [ -f "$S/sandbox.env" ] && . "$S/sandbox.env"
  NODES=${NODES:-}
  lib
  local n pid
  # The kubelet first (its whole process group: watch, CNI calls), so that
  # nothing calls the daemons while they stop.
  if running "$S/kubelet/kubelet.pid"; then
    pid=$(cat "$S/kubelet/kubelet.pid")
    kill -TERM -- "-$pid" 2>/dev/null
    kovn_wait 10 eval "! running '$S/kubelet/kubelet.pid'" ||
      kill -KILL -- "-$pid" 2>/dev/null
  fi
  rm -f "$S/kubelet/kubelet.pid"
  kovn_stop "$S/net/controller.pid"
  for n in $NODES; do
    kovn_stop "$S/net/$n/kovn-daemon.pid"
  done
  [ -n "${KOVN_SANDBOX_LOGS:-}" ] && copy_logs "$KOVN_SANDBOX_LOGS"
  # Nodes, OVN central, the relay, and every namespace named PREFIX-* (the
  # pods' too).  Tried again if it fails: a namespace's links vanish a
  # moment after the namespace is deleted, which node-env.sh may trip on.
  local try
  if [ -d "$S/net" ]; then
    for try in 1 2 3; do
      "$KOVN_NODE_ENV" stop-all "$S/net" 2>>"$S/down.log" && break
      sleep 1
    done
  fi
  [ -d "$S/k8s" ] && "$K8S_ENV" stop "$S/k8s" 2>>"$S/down.log"
  local p
  p=$(cat "$S/net/prefix" 2>/dev/null)
  if leftovers "$p" >/dev/null; then
    # Keep the folder: its pid files let a second down finish the job.
    say "kovn-sandbox: down left these behind (run down again):" >&2
    leftovers "$p" >&2
    cat "$S/down.log" >&2
    return 1
  fi
  rm -rf "$S"
  say "kovn sandbox in $S: down"
}

# Prints what of the sandbox (namespace prefix PREFIX) still exists:
# network namespaces, links, mounts, processes; true if anything does.
leftovers() {
  local p=$1 found=1 pid ns
  if [ -n "$p" ]; then
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
      [[ $ns == "$p"-* ]] && { echo "netns $ns"; found=0; }
    done
    while read -r n; do
      echo "link $n"; found=0
    done < <(ip -o link show 2>/dev/null |
             awk -F': ' -v p="$p-" 'index($2, p) == 1 { print $2 }')
    while read -r n; do
      echo "mount $n"; found=0
    done < <(awk -v p="/$p-" 'index($2, p) { print $2 }' /proc/mounts)
  fi
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
    names_sandbox "$pid" || continue
    # Our own ancestors (a caller naming the folder) do not count.
    is_ancestor "$pid" && continue
    echo "process $pid: $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"
    found=0
  done
  return $found
}

is_ancestor() {
  local pid=$BASHPID stat
  while [ -n "$pid" ] && [ "$pid" != 0 ]; do
    [ "$pid" = "$1" ] && return 0
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    pid=$(echo "$stat" | cut -d' ' -f2)
  done
  return 1
}

# --- the rest --------------------------------------------------------------------------

cmd_exec() {
  local ns=default netns
  if [ "${1:-}" = -n ]; then ns=${2:?}; shift 2; fi
  [ $# -ge 2 ] || usage
  netns=$(pod_netns "$ns" "$1") || die "no pod $ns/$1 wired by the sandbox"
  shift
  exec ip netns exec "$netns" "$@"
}

cmd_netns() {
  local ns=default
  if [ "${1:-}" = -n ]; then ns=${2:?}; shift 2; fi
  [ $# = 1 ] || usage
  pod_netns "$ns" "$1" || die "no pod $ns/$1 wired by the sandbox"
}

cmd_restart() {
  local sig=TERM what
  if [ "${1:-}" = --kill ]; then sig=KILL; shift; fi
  [ $# -ge 1 ] || usage
  for what in "$@"; do
    if [ "$what" = controller ]; then
      kovn_stop "$S/net/controller.pid" "$sig"
      start_controller
    else
      [[ " $NODES " == *" $what "* ]] || die "no node $what (nodes: $NODES)"
      kovn_stop "$S/net/$what/kovn-daemon.pid" "$sig"
      start_daemon "$what"
    fi
  done
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
  up) cmd_up "$@" ;;
  down) [ $# = 0 ] || usage; cmd_down ;;
  status) [ $# = 0 ] || usage; load; cmd_status ;;
  check) [ $# = 0 ] || usage; load; cmd_check ;;
  exec) load; cmd_exec "$@" ;;
  netns) load; cmd_netns "$@" ;;
  node-exec)
    [ $# -ge 2 ] || usage
    load; exec "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" "$@" ;;
  restart) load; cmd_restart "$@" ;;
  env) load; say "export KUBECONFIG=$S/kubeconfig PATH=$S/bin:\$PATH" ;;
  *) usage ;;
esac
