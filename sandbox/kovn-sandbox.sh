#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# A local multi-node Kubernetes cluster with kovn as its network, on one
# machine: a real etcd and kube-apiserver (tests/integration/k8s-env.sh),
# kube-controller-manager and kube-scheduler (sandbox/control-plane.sh),
# and N nodes.  A node is a small machine (tests/integration/node-env.sh,
# sandbox/node-machine.sh): its own network and mount namespaces, its own
# containerd and kubelet.  The nodes start with no network plugin
# (NotReady) and kovn is installed the way operators do, by
# deploy/install.sh from its images (scripts/build-kovn-images.sh from
# KOVN_BUILD's binaries, imported into each node's containerd): OVN central
# on node1, Open vSwitch and ovn-controller, kovn-controller and kovn-daemon
# all run as pods.  kube-proxy is off: kovn implements Services itself.
# Needs root.  See docs/getting-started.md.
#
# --processes runs the same parts as processes instead, for developing:
# OVN central and kovn-controller on the host, ovsdb-server, ovs-vswitchd,
# ovn-controller and kovn-daemon in each node, all from KOVN_BUILD with no
# image to build (a rebuilt binary is one `restart` away; gdb and perf
# attach to it by its pid file).
#
# Either way the same paths reach kovn: DIR/net/nb.sock and sb.sock (OVN
# central's databases), DIR/net/NODE/kovn-daemon.ctl (NODE's kovn-daemon),
# and `kovn-sandbox.sh controller-ctl` prints the kovn-controller leader's
# control socket.
#
#   kovn-sandbox.sh up [--nodes N] [--no-demo] [--kube-proxy] [--processes]
#                         start it all (N nodes, default 3), create the demo
#                         Deployment and print a summary with TCP checks
#                         between its pods (--kube-proxy: run kube-proxy on
#                         every node too, for comparisons only; --install,
#                         the default, is accepted)
#   kovn-sandbox.sh status   what runs, nodes, pods and their IPs
#   kovn-sandbox.sh down     stop everything, delete every namespace and
#                         link, remove the state folder
#   kovn-sandbox.sh exec [-n NAMESPACE] POD CMD...
#                         run the host's CMD in POD's network namespace
#                         (kubectl exec runs the container's programs)
#   kovn-sandbox.sh netns [-n NAMESPACE] POD
#                         print the path of POD's network namespace
#                         (for nsenter --net=PATH)
#   kovn-sandbox.sh node-exec NODE CMD...
#                         run CMD in NODE (ovs-vsctl, ovn-appctl, and
#                         ctr -a /run/containerd/containerd.sock work there)
#   kovn-sandbox.sh restart [--kill] controller|NODE...
#                         restart kovn-controller or NODE's kovn-daemon
#                         (--kill: SIGKILL, as a crash, instead of SIGTERM;
#                         installed: their pods are deleted and replaced,
#                         with --kill their processes get SIGKILL and the
#                         kubelet restarts them)
#   kovn-sandbox.sh controller-ctl
#                         print the control socket of the kovn-controller
#                         that leads (ovs-appctl -t PATH kovn/sync ...)
#   kovn-sandbox.sh external-up
#                         an "external" host outside the cluster (namespace
#                         PREFIX-ext, 198.51.100.10 and .11), routed through
#                         the underlay namespace (198.51.100.1), which the
#                         nodes route 198.51.100.0/24 to (node-env.sh
#                         external-up); down removes it
#   kovn-sandbox.sh external-route CIDR NODE|none
#                         the external host reaches CIDR through NODE
#   kovn-sandbox.sh external-exec CMD...
#                         run CMD in the external host
#   kovn-sandbox.sh external-down
#                         remove the external host (and the nodes' routes)
#   kovn-sandbox.sh kill-node NODE
#                         NODE dies: SIGKILL to its kovn-daemon, kubelet,
#                         ovn-controller, ovs-vswitchd and ovsdb-server at
#                         once, its underlay link down (its other containers
#                         keep running until down); prints when (ms since
#                         the epoch)
#   kovn-sandbox.sh spread NAME REPLICAS [ARG...]
#                         a Deployment of REPLICAS agnhost pods (ARG...:
#                         agnhost's arguments) spread over the nodes
#   kovn-sandbox.sh check    the connectivity checks of `up` again (making the
#                         demo Deployment if it is missing)
#   kovn-sandbox.sh install | uninstall
#                         deploy/install.sh (un)install with the sandbox's
#                         settings (not with --processes)
#   kovn-sandbox.sh env      print the export line for kubectl
#
# Environment:
#   KOVN_SANDBOX_DIR   state folder (default /var/run/kovn-sandbox); two
#                      folders make two independent sandboxes
#   KOVN_BUILD         build folder with the binaries (default build/)
#   KOVN_CONTROLLER, KOVN_DAEMON, KOVN_PLUGIN
#                      the binaries one by one (default: in KOVN_BUILD)
#   KOVN_SANDBOX_NODES number of nodes (default 3)
#   KOVN_SANDBOX_LOGS  on down, copy every log there first
#   KOVN_IMAGE_TAG     the images' tag (default dev)
#   KOVN_SANDBOX_KEEP_FAILED  up leaves a sandbox that failed to start as it
#                      is, to look at (down removes it)
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SANDBOX_SH=$TOP/sandbox/kovn-sandbox.sh
K8S_ENV=$TOP/tests/integration/k8s-env.sh
CONTROL_PLANE=$TOP/sandbox/control-plane.sh
NODE_MACHINE=$TOP/sandbox/node-machine.sh
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
  CENTRAL=${CENTRAL:-node1}
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
  local f
  for f in "$KOVN_CONTROLLER" "$KOVN_DAEMON" "$KOVN_PLUGIN"; do
    [ -x "$f" ] || die "no $f: build kovn first (make)"
  done
  for f in KOVN_CONTROLLER KOVN_DAEMON KOVN_PLUGIN; do
    eval "$f=\$(cd \"\$(dirname \"\${$f}\")\" && pwd)/\$(basename \"\${$f}\")"
  done
}

# The processes of the sandbox, by pid file: NAME PIDFILE.
pidfiles() {
  local n
  local installed=${INSTALLED:-0}
  echo "kube-apiserver $S/k8s/apiserver.pid"
  echo "etcd $S/k8s/etcd.pid"
  if [ "$installed" = 0 ]; then
    echo "ovsdb-server(NB) $S/net/nb.pid"
    echo "ovsdb-server(SB) $S/net/sb.pid"
    echo "ovn-northd $S/net/northd.pid"
  fi
  echo "kube-controller-manager $S/cp/kube-controller-manager.pid"
  echo "kube-scheduler $S/cp/kube-scheduler.pid"
  [ "$installed" = 0 ] && echo "kovn-controller $S/net/controller.pid"
  for n in $NODES; do
    if [ "$installed" = 0 ]; then
      echo "$n/ovsdb-server $S/net/$n/ovsdb-server.pid"
      echo "$n/ovs-vswitchd $S/net/$n/ovs-vswitchd.pid"
      echo "$n/ovn-controller $S/net/$n/ovn-controller.pid"
    fi
    echo "$n/containerd $S/net/$n/containerd.pid"
    echo "$n/kubelet $S/net/$n/kubelet.pid"
    [ "${KUBE_PROXY:-0}" = 1 ] && echo "$n/kube-proxy $S/net/$n/kube-proxy.pid"
    [ "$installed" = 0 ] && echo "$n/kovn-daemon $S/net/$n/kovn-daemon.pid"
  done
  return 0
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

# The underlay's /24: the first 198.18.N.0/24 (RFC 2544's benchmarking
# range) the host has no route for and no other sandbox uses, so that the
# host can have a link into it (the apiserver calls the kubelets) without
# ever sending the sandbox's traffic to a real network.
pick_underlay() {
  local n
  for ((n = 0; n < 256; n++)); do
    ip -4 route show to match "198.18.$n.1" | grep -qv '^default' && continue
    echo "198.18.$n"
    return 0
  done
  die "no free 198.18.N.0/24 for the underlay"
}

# kubelet refuses to start unless the kernel has these values; they are the
# whole machine's, so they are kept in S/sysctl.saved and put back on down.
KUBELET_SYSCTLS="vm.overcommit_memory=1 kernel.panic=10 kernel.panic_on_oops=1"

set_sysctls() {
  local kv
  [ -f "$S/sysctl.saved" ] ||
    for kv in $KUBELET_SYSCTLS; do
      echo "${kv%%=*}=$(sysctl -n "${kv%%=*}")"
    done >"$S/sysctl.saved"
  for kv in $KUBELET_SYSCTLS; do sysctl -q -w "$kv" || return 1; done
}

# Puts the saved values back, unless another sandbox still runs kubelets
# (it then inherits them).
restore_sysctls() {
  local kv other
  [ -f "$S/sysctl.saved" ] || return 0
  for other in $(other_sandboxes); do
    [ -f "$other/sysctl.saved" ] || cp "$S/sysctl.saved" "$other/sysctl.saved"
    rm -f "$S/sysctl.saved"
    return 0
  done
  while read -r kv; do sysctl -q -w "$kv"; done <"$S/sysctl.saved"
  rm -f "$S/sysctl.saved"
}

# The folders of the other sandboxes whose kubelets run now.
other_sandboxes() {
  local pid cmd re='--config=(/[^ ]*)/net/[^/ ]+/kubelet\.yaml'
  for pid in $(pgrep -x kubelet); do
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    [[ $cmd =~ $re ]] || continue
    [ "${BASH_REMATCH[1]}" = "$S" ] || echo "${BASH_REMATCH[1]}"
  done | sort -u
}

node_ready() {   # NODE: the kubelet says Ready
  [ "$(kubectl get node "$1" -o \
    'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
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
  if [ -n "${KOVN_SANDBOX_KEEP_FAILED:-}" ]; then
    say "--- kovn-sandbox: start-up failed; left as it is (KOVN_SANDBOX_KEEP_FAILED)"
    exit 1
  fi
  say "--- kovn-sandbox: start-up failed; tearing the sandbox down"
  trap - INT TERM
  cmd_down >/dev/null
  exit 1
}

cmd_up() {
  local nodes=${KOVN_SANDBOX_NODES:-3} demo=1
  KUBE_PROXY=0 INSTALLED=1
  while [ $# -gt 0 ]; do
    case $1 in
      --nodes) nodes=${2:-}; shift 2 ;;
      --nodes=*) nodes=${1#*=}; shift ;;
      --no-demo) demo=0; shift ;;
      --kube-proxy) KUBE_PROXY=1; shift ;;
      --install) INSTALLED=1; shift ;;
      --processes) INSTALLED=0; shift ;;
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
  command -v containerd >/dev/null ||
    die "no containerd: run scripts/setup.sh (make setup)"
  binaries
  mkdir -p "$S"
  touch "$S/$MARKER"
  trap 'trap - INT TERM; cmd_down >/dev/null 2>&1; exit 130' INT TERM

  local t0=$SECONDS i n kube_dir=${KOVN_KUBE_DIR:-/var/cache/kovn/kubernetes}
  NODES=
  for ((i = 1; i <= nodes; i++)); do NODES+="${NODES:+ }node$i"; done
  CENTRAL=node1
  say "kovn sandbox: $nodes nodes, state in $S"
  [ "$INSTALLED" = 0 ] || build_images

  local net
  # Two sandboxes starting at once must not pick the same underlay: the
  # pick holds a lock until the host link (and its route) exists.
  exec 9>/run/lock/kovn-sandbox-underlay.lock
  flock 9
  net=$(pick_underlay)
  export KOVN_UNDERLAY_NET=$net
  step "etcd + kube-apiserver"
  # (9>&-: the daemons started must not inherit the lock's descriptor, or
  # the lock would be held as long as they run.)
  KOVN_K8S_CLUSTER=$net.1 "$K8S_ENV" start "$S/k8s" >"$S/k8s-env.out" \
    2>"$S/k8s-env.log" 9>&- || up_failed "$S/k8s-env.log"
  API=https://127.0.0.1:$(cat "$S/k8s/apiserver.port")
  mkdir -p "$S/bin"
  cp "$S/k8s/kubeconfig" "$S/kubeconfig"
  printf '#!/bin/sh\n# kubectl for the kovn sandbox in %s\nexec %s --kubeconfig %s --cache-dir %s "$@"\n' \
    "$S" "$kube_dir/kubectl" "$S/kubeconfig" "$S/kubectl-cache" >"$S/bin/kubectl"
  chmod 755 "$S/bin/kubectl"
  {
    printf 'KOVN_CONTROLLER=%q\nKOVN_DAEMON=%q\n' "$KOVN_CONTROLLER" "$KOVN_DAEMON"
    printf 'KOVN_PLUGIN=%q\n' "$KOVN_PLUGIN"
    printf 'NODES=%q\nAPI=%q\nKUBE_PROXY=%q\n' "$NODES" "$API" "$KUBE_PROXY"
    printf 'INSTALLED=%q\nIMAGE_TAG=%q\n' "$INSTALLED" "${IMAGE_TAG:-}"
    printf 'CENTRAL=%q\n' "$CENTRAL"
  } >"$S/sandbox.env"
  lib
  ok "$API"

  step "kube-controller-manager, kube-scheduler"
  "$CONTROL_PLANE" start "$S" 2>"$S/control-plane.log" 9>&- ||
    up_failed "$S/control-plane.log"
  ok

  if [ "$INSTALLED" = 1 ]; then
    step "underlay"
  else
    step "OVN central (NB, SB, northd), underlay"
  fi
  mkdir -p "$S/net"
  { { [ "$INSTALLED" = 1 ] || "$KOVN_NODE_ENV" central-start "$KOVN_DIR"; } &&
    "$KOVN_NODE_ENV" underlay-up "$KOVN_DIR" &&
    "$KOVN_NODE_ENV" host-link "$KOVN_DIR" &&
    "$KOVN_NODE_ENV" apiserver-relay "$KOVN_DIR" "$KOVN_KUBECONFIG"
  } 2>"$S/net/node-env.log" 9>&- || up_failed "$S/net/node-env.log"
  exec 9>&-
  ok "$net.1/24, prefix $("$KOVN_NODE_ENV" prefix "$KOVN_DIR")"

  if [ "$INSTALLED" = 0 ]; then
    step "kovn-controller"
    start_controller
    ok
  fi

  set_sysctls || up_failed
  i=1
  for n in $NODES; do
    if [ "$INSTALLED" = 1 ]; then
      step "$n: containerd, kubelet (no network plugin)"
    else
      step "$n: OVS, OVN, containerd, kubelet"
    fi
    { "$KOVN_NODE_ENV" node-add "$KOVN_DIR" "$n" "$i" \
        $([ "$INSTALLED" = 1 ] && echo --no-ovs) &&
      "$NODE_MACHINE" start "$S" "$n" \
        $([ "$KUBE_PROXY" = 1 ] && echo --kube-proxy) &&
      { [ "$INSTALLED" = 0 ] || import_images "$n"; }
    } 2>>"$S/net/node-env.log" ||
      up_failed "$S/net/node-env.log" "$S/net/$n/containerd.log"
    # The host reaches pods, nodes' ovn0 and Services through the first
    # node, never through its own default route.
    [ "$i" = 1 ] && "$KOVN_NODE_ENV" host-routes "$KOVN_DIR" "$n" \
      10.16.0.0/12 100.64.0.0/16 10.96.0.0/12 2>>"$S/net/node-env.log"
    [ "$INSTALLED" = 1 ] || start_daemon "$n"
    ok "$net.$((10 + i))"
    i=$((i + 1))
  done
  if [ "$INSTALLED" = 1 ]; then
    install_kovn
  else
    for n in $NODES; do
      step "$n: Ready (kubelet, kovn-daemon)"
      kovn_daemon_ready "$n" 90 2>/dev/null || up_failed "$S/net/$n/kovn-daemon.log"
      kovn_wait 90 node_ready "$n" || up_failed "$S/net/$n/kubelet.log"
      ok
    done
  fi
  step "cluster DNS (unbound on node1, kovn-dns)"   # docs/dns.md
  n=$("$TOP/sandbox/cluster-dns.sh" start "$S" 2>"$S/cluster-dns.log") ||
    up_failed "$S/cluster-dns.log"
  ok "$n"
  trap - INT TERM

  if [ "$demo" = 1 ]; then
    step "demo Deployment ($((2 * nodes)) agnhost pods)"
    if ! demo_deployment; then
      say "FAILED"
      kubectl get pods -o wide
      say "kovn-sandbox: the demo pods did not start; see the kubelet logs in $S/net/*/kubelet.log"
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
  say "  kubectl get nodes -o wide; kubectl get pods -o wide"
  say "  kubectl create deployment web --image=$AGNHOST --replicas=6"
  say "  kubectl exec POD -- curl -s http://OTHER-POD-IP:8080/hostname"
  say "  $SANDBOX_SH status | down           # (make demo-down)"
  return $rc
}

AGNHOST=k8s.gcr.io/e2e-test-images/agnhost:2.21
DEMO=kovn-demo

# --- --install: kovn from its images and manifests ---------------------------------

# kovn's images from the binaries up uses, into the image cache (a no-op
# when nothing changed).
build_images() {
  IMAGE_TAG=${KOVN_IMAGE_TAG:-dev}
  step "kovn images ($IMAGE_TAG)"
  "$TOP/scripts/build-kovn-images.sh" --build-dir "$(dirname "$(dirname "$KOVN_DAEMON")")" \
    --tag "$IMAGE_TAG" >"$S/images.log" 2>&1 || up_failed "$S/images.log"
  ok
}

import_images() {   # NODE
  "$TOP/scripts/build-kovn-images.sh" --tag "$IMAGE_TAG" --no-build \
    --import "$S/net/$1/root/run/containerd/containerd.sock" \
    >>"$S/net/$1/images.log" 2>&1
}

# deploy/install.sh with what the sandbox's nodes need: the apiserver at
# its relay in the underlay, OVN central on node1, the userspace datapath
# with eth0 moved into br-phy.
# install|uninstall: deploy/install.sh on the sandbox (--install only).
cmd_install() {
  local port net
  [ "${INSTALLED:-0}" = 1 ] || die "this sandbox runs kovn as processes (up without --install)"
  port=$(cat "$S/k8s/apiserver.port")
  net=$("$KOVN_NODE_ENV" underlay-net "$KOVN_DIR")
  KUBECTL="$S/bin/kubectl" API_SERVER="https://$net.1:$port" \
    VERSION="$IMAGE_TAG" CENTRAL_NODES="$CENTRAL" OVS_DATAPATH=netdev \
    OVS_UPLINK=eth0 "$TOP/deploy/install.sh" "$1"
}

# The paths of --processes for the pods' sockets, which are in the nodes'
# own /run (hostPath): the databases of OVN central, each kovn-daemon's.
link_sockets() {
  local n
  ln -sfn "$CENTRAL/root/run/ovn/ovnnb_db.sock" "$S/net/nb.sock"
  ln -sfn "$CENTRAL/root/run/ovn/ovnsb_db.sock" "$S/net/sb.sock"
  for n in $NODES; do
    ln -sfn root/run/kovn/kovn-daemon.ctl "$S/net/$n/kovn-daemon.ctl"
  done
}

install_kovn() {
  local n
  for n in $NODES; do
    node_ready "$n" && up_failed   # no network plugin yet: NotReady
  done
  step "deploy/install.sh (nodes NotReady until then)"
  cmd_install install >"$S/install.log" 2>&1 || up_failed "$S/install.log"
  link_sockets
  ok
}

# The kovn-controller that holds the Lease: its control socket, which is
# on its node (deploy/kovn-controller.yaml).
cmd_controller_ctl() {
  local holder node
  if [ "${INSTALLED:-0}" = 0 ]; then
    echo "$S/net/controller.ctl"
    return
  fi
  holder=$(kubectl -n kube-system get lease kovn-controller \
             -o 'jsonpath={.spec.holderIdentity}') && [ -n "$holder" ] ||
    die "no kovn-controller holds the Lease kube-system/kovn-controller"
  node=$(kubectl -n kube-system get pod "$holder" -o 'jsonpath={.spec.nodeName}') &&
    [ -n "$node" ] || die "the Lease's holder $holder is not a pod on a node"
  echo "$S/net/$node/root/run/kovn/controller/$holder.ctl"
}

# spread NAME REPLICAS [ARG...]: a Deployment NAME (label app=NAME) of
# REPLICAS agnhost pods (ARG...: agnhost's arguments), spread over the nodes
# by a topology constraint: node1 also runs OVN central, whose requests make
# kube-scheduler's scores alone leave it out.
cmd_spread() {
  local args=
  [ $# -gt 2 ] && args=", args: [$(IFS=,; echo "${*:3}")]"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, labels: {app: $1}}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname,
           whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: $1}}}
      containers: [{name: agnhost, image: "$AGNHOST"$args}]
EOF
}

# The demo: a Deployment of 2 agnhost pods per node serving HTTP on 8080
# (agnhost netexec answers /hostname with the pod's name).
demo_deployment() {
  kubectl get deployment "$DEMO" >/dev/null 2>&1 ||
    cmd_spread "$DEMO" $((2 * $(wc -w <<<"$NODES"))) netexec --http-port=8080 ||
    return 1
  kubectl rollout status deployment "$DEMO" --timeout=120s >/dev/null
}

# --- status --------------------------------------------------------------------------

# Prints the nodes and the pods.
summary() {
  local n
  printf '%-8s %-13s %-15s %-8s %s\n' NODE UNDERLAY-IP "JOIN-IP (ovn0)" KUBELET \
    KOVN-DAEMON
  for n in $NODES; do
    printf '%-8s %-13s %-15s %-8s %s\n' "$n" "$(node_ip "$n")" \
      "$(node_join_ip "$n")" \
      "$(node_ready "$n" && echo Ready || echo NotReady)" \
      "$(daemon_state "$n")"
  done
  say ""
  kubectl get pods -A -o json 2>/dev/null | jq -r '
    ["NAMESPACE", "POD", "NODE", "IP", "PHASE"],
    (.items[] | [.metadata.namespace, .metadata.name,
                 (.spec.nodeName // "-"), (.status.podIP // "-"),
                 (.status.phase // "-")]) | @tsv' |
    awk -F'\t' '{ printf "%-12s %-28s %-8s %-15s %s\n", $1, $2, $3, $4, $5 }'
}

node_ip() { "$KOVN_NODE_ENV" node-ip "$KOVN_DIR" "$1" 2>/dev/null || echo -; }

daemon_state() {   # NODE: kovn-daemon's process, or with --install its pod
  if [ "${INSTALLED:-0}" = 1 ]; then
    kubectl -n kube-system get pods -l app=kovn-daemon \
      --field-selector "spec.nodeName=$1" -o json 2>/dev/null | jq -r '
      [.items[] | if (.status.containerStatuses // [] | all(.ready)) and
        .status.phase == "Running" then "pod ready" else "pod \(.status.phase)" end]
      | first // "no pod"'
  else
    running "$S/net/$1/kovn-daemon.pid" && echo running || echo DOWN
  fi
}

node_join_ip() {
  local ip
  ip=$(kubectl get node "$1" \
    -o 'jsonpath={.metadata.annotations.ovn\.kubernetes\.io/ip_address}' \
    2>/dev/null)
  echo "${ip:--}"
}

pod_ip() {   # NAMESPACE POD
  kubectl get pod -n "$1" "$2" -o 'jsonpath={.status.podIP}' 2>/dev/null
}

pod_node() {
  kubectl get pod -n "$1" "$2" -o 'jsonpath={.spec.nodeName}' 2>/dev/null
}

# POD's network namespace (the path of its sandbox process's).
pod_netns() {   # NAMESPACE POD
  local node
  node=$(pod_node "$1" "$2")
  [ -n "$node" ] || return 1
  "$NODE_MACHINE" pod-netns "$S" "$node" "$1" "$2"
}

# HTTP between the demo pods, through kubectl exec: the first pod asks every
# other for its name; a node asks a pod; a pod pings a node's ovn0.
connectivity() {
  local rc=0 pods first p ip n nodes=($NODES)
  say ""
  say "Connectivity (kubectl exec into the pods, HTTP to agnhost netexec):"
  probe() {   # DESCRIPTION EXPECTED CMD...
    local out
    if out=$("${@:3}" 2>&1) && [[ $out == *"$2"* ]]; then
      printf '  %-58s ok   %s\n' "$1" "$(echo "$out" | tail -n 1)"
    else
      printf '  %-58s FAIL %s\n' "$1" "$(echo "$out" | tail -n 1)"
      rc=1
    fi
  }
  pods=$(kubectl get pods -l app=$DEMO -o json | jq -r '.items
    | sort_by(.spec.nodeName, .metadata.name)[]
    | "\(.metadata.name) \(.spec.nodeName) \(.status.podIP)"')
  read -r first _ <<<"$pods"
  local from_node
  from_node=$(pod_node default "$first")
  while read -r p n ip; do
    [ "$p" = "$first" ] && continue
    probe "$first ($from_node) -> $p ($n)" "$p" \
      kubectl exec "$first" -- curl -sS --max-time 5 "http://$ip:8080/hostname"
  done <<<"$pods"
  n=${nodes[${#nodes[@]} - 1]}
  ip=$(pod_ip default "$first")
  probe "node $n -> $first $ip" "$first" \
    "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" "$n" \
    curl -sS --max-time 5 "http://$ip:8080/hostname"
  probe "$first -> node ${nodes[0]}'s ovn0 $(node_join_ip "${nodes[0]}") (ping)" \
    " 0% packet loss" kubectl exec "$first" -- \
    ping -c 3 -i 0.2 -W 2 "$(node_join_ip "${nodes[0]}")"
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
  demo_deployment || die "the demo pods did not start; see $S/net/*/kubelet.log"
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
  local n
  # kovn-controller first, so that nothing reacts to the nodes going; then
  # every node's kubelet and containers, then its kovn-daemon.
  kovn_stop "$S/net/controller.pid"
  "$TOP/sandbox/cluster-dns.sh" stop "$S" 2>>"$S/down.log"
  for n in $NODES; do
    [ -d "$S/net/$n" ] && "$NODE_MACHINE" stop "$S" "$n" 2>>"$S/down.log"
    kovn_stop "$S/net/$n/kovn-daemon.pid"
  done
  [ -d "$S/cp" ] && "$CONTROL_PLANE" stop "$S" 2>>"$S/down.log"
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
  restore_sysctls
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
    done < <(awk -v p="/$p-" -v s="$S/" 'index($2, p) || index($2, s) == 1 { print $2 }' /proc/mounts)
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
  netns=$(pod_netns "$ns" "$1") || die "no running pod $ns/$1"
  shift
  exec nsenter --net="$netns" -- "$@"
}

cmd_netns() {
  local ns=default
  if [ "${1:-}" = -n ]; then ns=${2:?}; shift 2; fi
  [ $# = 1 ] || usage
  pod_netns "$ns" "$1" || die "no running pod $ns/$1"
}

cmd_restart() {
  local sig=TERM what
  if [ "${1:-}" = --kill ]; then sig=KILL; shift; fi
  [ $# -ge 1 ] || usage
  if [ "${INSTALLED:-0}" = 1 ]; then restart_pods "$sig" "$@"; return; fi
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

# restart when installed: TERM deletes the pods, and the restart is done
# when they are gone and their replacements are ready (rollout status alone
# may look before the replacement exists); KILL sends SIGKILL to the
# processes, as a crash, and the restart is done when the kubelet has
# restarted each container and it is ready again.
restart_pods() {   # SIG WHAT...
  local sig=$1 what pods=() pids=() sel n
  shift
  for what in "$@"; do
    if [ "$what" = controller ]; then
      sel=(-l app=kovn-controller)
      [ "$sig" = KILL ] && for n in $NODES; do
        pids+=($(node_pids "$n" kovn-controller))
      done
    else
      [[ " $NODES " == *" $what "* ]] || die "no node $what (nodes: $NODES)"
      sel=(-l app=kovn-daemon --field-selector "spec.nodeName=$what")
      [ "$sig" = KILL ] && pids+=($(node_pids "$what" kovn-daemon))
    fi
    pods+=($(kubectl -n kube-system get pods "${sel[@]}" -o name)) || return 1
  done
  [ ${#pods[@]} -gt 0 ] || return 1
  if [ "$sig" = KILL ]; then
    [ ${#pids[@]} -gt 0 ] || return 1
    local before
    before=$(restarts "${pods[@]}") || return 1
    kill -KILL "${pids[@]}" || return 1
    kovn_wait 120 restarted_and_ready "$before" "${pods[@]}"
    return
  fi
  # (kubectl delete returns when they are gone.)
  kubectl -n kube-system delete "${pods[@]}" >/dev/null 2>&1 || return 1
  kubectl -n kube-system rollout status deployment/kovn-controller --timeout=120s >/dev/null &&
    kubectl -n kube-system rollout status daemonset/kovn-daemon --timeout=120s >/dev/null
}

# POD...'s restart counts and readiness, a line each: "COUNT READY".
restarts() {
  kubectl -n kube-system get "$@" -o json | jq -r '
    (if .items then .items[] else . end) | .status.containerStatuses[0]
    | "\(.restartCount) \(.ready)"'
}

restarted_and_ready() {   # BEFORE POD...
  local before=$1 now
  shift
  now=$(restarts "$@") || return 1
  paste -d' ' <(echo "$before") <(echo "$now") |
    awk '$3 <= $1 || $4 != "true" { bad = 1 } END { exit bad }'
}

# Everything gets SIGKILL at once (node-env.sh node-kill), then the wait
# for them to be gone.  Installed, the pods' kovn-daemon, ovsdb-server,
# ovs-vswitchd and ovn-controller are found by name in the node's network
# namespace (they run on host network), OVN central's ovsdb-servers on its
# node too: they die with it all the same.
cmd_kill_node() {
  local n=$1 f pids=() pod_pids=()
  [[ " $NODES " == *" $n "* ]] || die "no node $n (nodes: $NODES)"
  for f in kovn-daemon kubelet; do
    running "$S/net/$n/$f.pid" && pids+=("$(cat "$S/net/$n/$f.pid")")
  done
  [ "${INSTALLED:-0}" = 1 ] &&
    pod_pids=($(node_pids "$n" kovn-daemon ovsdb-server ovs-vswitchd ovn-controller))
  "$KOVN_NODE_ENV" node-kill "$KOVN_DIR" "$n" "${pids[@]}" "${pod_pids[@]}" ||
    return 1
  for f in kovn-daemon kubelet; do
    kovn_wait 5 eval "! running '$S/net/$n/$f.pid'" ||
      die "$n: $f survives SIGKILL"
  done
  for f in "${pod_pids[@]}"; do
    kovn_wait 5 eval "[ ! -e /proc/$f ]" || die "$n: pid $f survives SIGKILL"
  done
}

# The pids of the processes named NAME... (their comm) in NODE's network
# namespace.
node_pids() {   # NODE NAME...
  local n=$1 ino p comm
  shift
  ino=$(stat -L -c %i "/run/netns/$("$KOVN_NODE_ENV" node-netns "$KOVN_DIR" "$n")") ||
    return 1
  for p in /proc/[0-9]*; do
    comm=$(cat "$p/comm" 2>/dev/null) || continue
    [[ " $* " == *" $comm "* ]] || continue
    [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$ino" ] && echo "${p#/proc/}"
  done
  return 0
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
  external-up)
    [ $# = 0 ] || usage
    load; "$KOVN_NODE_ENV" external-up "$KOVN_DIR" ;;
  external-route)
    [ $# = 2 ] || usage
    load; "$KOVN_NODE_ENV" external-route "$KOVN_DIR" "$@" ;;
  external-exec)
    [ $# -ge 1 ] || usage
    load; exec "$KOVN_NODE_ENV" external-exec "$KOVN_DIR" "$@" ;;
  external-down)
    [ $# = 0 ] || usage
    load; "$KOVN_NODE_ENV" external-down "$KOVN_DIR" ;;
  kill-node) [ $# = 1 ] || usage; load; cmd_kill_node "$1" ;;
  spread) [ $# -ge 2 ] || usage; load; cmd_spread "$@" ;;
  controller-ctl) [ $# = 0 ] || usage; load; cmd_controller_ctl ;;
  install|uninstall) [ $# = 0 ] || usage; load; cmd_install "$cmd" ;;
  env) load; say "export KUBECONFIG=$S/kubeconfig PATH=$S/bin:\$PATH" ;;
  *) usage ;;
esac
