#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Installs kovn on a Kubernetes cluster that has no network plugin yet (its
# nodes NotReady), or removes it.  Kube-OVN's way: plain manifests in this
# folder, the few settings below as variables.  See docs/install.md.
#
#   install.sh [install]   label the central nodes, apply the CRDs, RBAC,
#                          OVN (ovn-central, ovs-ovn), kovn-controller and
#                          kovn-daemon, and wait until every node is Ready
#   install.sh uninstall   remove all of it: every kovn object in the API,
#                          and on every node the bridges and ports, the CNI
#                          plugin and configuration, the nftables table and
#                          the databases (pods still on kovn's network lose it)
#   install.sh render DIR  write the manifests with the settings filled in to
#                          DIR, apply nothing
#
# Settings (environment):
#   KUBECTL           kubectl command (kubectl; it talks to the cluster)
#   REGISTRY, VERSION images REGISTRY/kovn:VERSION and REGISTRY/kovn-ovn:VERSION
#                     (localhost, dev: scripts/build-kovn-images.sh)
#   API_SERVER        https://HOST:PORT where nodes reach the apiserver (the
#                     server of kubectl's context): kovn's components cannot
#                     use the kubernetes Service, which they make work
#   POD_CIDR          the default Subnet ovn-default (10.16.0.0/16)
#   POD_GATEWAY       its gateway (the first address of POD_CIDR)
#   JOIN_CIDR         the nodes' join Subnet (100.64.0.0/16)
#   SERVICE_CIDR      kube-apiserver's --service-cluster-ip-range (10.96.0.0/12)
#   CENTRAL_NODES     nodes that run OVN central, comma separated: 1 (standalone
#                     databases) or 3 (raft).  Default: the nodes labelled
#                     kovn.io/role=central, else the control-plane nodes,
#                     else the first node
#   CONTROLLER_REPLICAS  kovn-controller replicas (2: one leads)
#   OVS_DATAPATH      auto, system (the kernel's) or netdev (userspace)
#   OVS_UPLINK        netdev only: the interface with the node's address,
#                     moved into br-phy (e.g. eth0)
#   TIMEOUT           seconds to wait for each step (300)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBECTL=${KUBECTL:-kubectl}
REGISTRY=${REGISTRY:-localhost}
VERSION=${VERSION:-dev}
POD_CIDR=${POD_CIDR:-10.16.0.0/16}
JOIN_CIDR=${JOIN_CIDR:-100.64.0.0/16}
SERVICE_CIDR=${SERVICE_CIDR:-10.96.0.0/12}
CONTROLLER_REPLICAS=${CONTROLLER_REPLICAS:-2}
OVS_DATAPATH=${OVS_DATAPATH:-auto}
OVS_UPLINK=${OVS_UPLINK:-}
TIMEOUT=${TIMEOUT:-300}
CENTRAL_LABEL=kovn.io/role
PART_OF=app.kubernetes.io/part-of=kovn
# Applied in this order; uninstall deletes in the reverse one.
MANIFESTS="kovn-controller-rbac.yaml kovn-daemon-rbac.yaml ovn.yaml
  kovn-controller.yaml kovn-daemon.yaml"

T0=$(date +%s%N)
log() { printf 'install.sh [%6.1f s] %s\n' "$((($(date +%s%N) - T0) / 1000000))e-3" "$*" >&2; }
die() { log "error: $*"; exit 1; }
k() { $KUBECTL "$@"; }

# --- settings ------------------------------------------------------------------

# The first address of CIDR (IPv4).
first_address() {
  local ip=${1%/*} a b c d
  IFS=. read -r a b c d <<<"$ip"
  [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || die "POD_CIDR $1: want an IPv4 CIDR (or set POD_GATEWAY)"
  echo "$a.$b.$c.$((d + 1))"
}

api_server() {
  local s=${API_SERVER:-}
  [ -n "$s" ] || s=$(k config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
  [[ $s =~ ^https://(\[[0-9a-fA-F:]+\]|[^:/]+)(:([0-9]+))?/?$ ]] ||
    die "API_SERVER '$s': want https://HOST:PORT"
  API_HOST=${BASH_REMATCH[1]} API_PORT=${BASH_REMATCH[3]:-443}
  API_HOST=${API_HOST#[}; API_HOST=${API_HOST%]}
  case $API_HOST in
    127.*|localhost|::1)
      die "API_SERVER $s is this machine's loopback: set API_SERVER to an address the nodes reach" ;;
  esac
}

# The central nodes, in a stable order (the first creates a raft cluster).
central_nodes() {
  local nodes=${CENTRAL_NODES:-}
  [ -n "$nodes" ] || nodes=$(k get nodes -l "$CENTRAL_LABEL=central" -o name | sed 's|^node/||' | paste -sd, -)
  [ -n "$nodes" ] || nodes=$(k get nodes -l node-role.kubernetes.io/control-plane -o name | sed 's|^node/||' | paste -sd, -)
  [ -n "$nodes" ] || nodes=$(k get nodes -l node-role.kubernetes.io/master -o name | sed 's|^node/||' | paste -sd, -)
  [ -n "$nodes" ] || nodes=$(k get nodes -o name | sed 's|^node/||' | sort | head -n 1)
  [ -n "$nodes" ] || die "the cluster has no nodes"
  echo "$nodes" | tr ',' '\n' | sort | paste -sd, -
}

node_ip() {
  k get node "$1" -o 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}' |
    awk '{ print $1 }'
}

bracket() { case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac; }

settings() {
  api_server
  POD_GATEWAY=${POD_GATEWAY:-$(first_address "$POD_CIDR")}
  CENTRAL_NODES=$(central_nodes)
  local n ip count=0 ips= nb= sb=
  for n in ${CENTRAL_NODES//,/ }; do
    ip=$(node_ip "$n")
    [ -n "$ip" ] || die "central node $n: no such node, or it has no InternalIP"
    ips+="${ips:+,}$ip"
    nb+="${nb:+,}tcp:$(bracket "$ip"):6641"
    sb+="${sb:+,}tcp:$(bracket "$ip"):6642"
    count=$((count + 1))
  done
  [ "$count" = 1 ] || [ "$count" = 3 ] ||
    die "CENTRAL_NODES $CENTRAL_NODES: want 1 or 3 nodes (raft needs a majority)"
  CENTRAL_IPS=$ips CENTRAL_REPLICAS=$count OVN_NB_REMOTES=$nb OVN_SB_REMOTES=$sb
  IMAGE_KOVN=$REGISTRY/kovn:$VERSION IMAGE_OVN=$REGISTRY/kovn-ovn:$VERSION
  case $OVS_DATAPATH in auto|system|netdev) ;; *) die "OVS_DATAPATH: auto, system or netdev" ;; esac
}

VARS="IMAGE_KOVN IMAGE_OVN API_HOST API_PORT POD_CIDR POD_GATEWAY JOIN_CIDR
  SERVICE_CIDR CENTRAL_IPS CENTRAL_REPLICAS OVN_NB_REMOTES OVN_SB_REMOTES
  CONTROLLER_REPLICAS OVS_DATAPATH OVS_UPLINK"

# Writes manifest FILE with every @NAME@ filled in to DIR.
render() {   # FILE DIR
  local v script=
  for v in $VARS; do script+="s|@$v@|${!v}|g;"; done
  sed "$script" "$HERE/$1" >"$2/$1"
  if grep -n '^[^#]*@[A-Z_]*@' "$2/$1" >&2; then die "$1: a setting is not filled in"; fi
}

# dir: a temporary folder with the manifests rendered, removed on exit.
workdir() {
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  render_all "$dir"
}

render_all() {   # DIR
  local f
  for f in $MANIFESTS kovn-cleanup.yaml; do render "$f" "$1"; done
}

# --- install -------------------------------------------------------------------

# Waits until DaemonSet NAME has a ready pod on every node it runs on
# (`rollout status` does not wait for an OnDelete DaemonSet).
daemonset_ready() {   # NAME
  wait_for "$TIMEOUT" daemonset_has_ready_pods "$1"
}

daemonset_has_ready_pods() {   # NAME
  local want ready
  read -r want ready < <(k -n kube-system get daemonset "$1" \
    -o 'jsonpath={.status.desiredNumberScheduled} {.status.numberReady}{"\n"}' 2>/dev/null) ||
    return 1
  [ -n "${want:-}" ] && [ "$want" -gt 0 ] && [ "$want" = "${ready:-}" ]
}

cmd_install() {
  settings
  log "kovn $VERSION: central $CENTRAL_NODES ($CENTRAL_IPS), pods $POD_CIDR, join $JOIN_CIDR, services $SERVICE_CIDR, apiserver $API_HOST:$API_PORT"
  local n
  workdir

  for n in ${CENTRAL_NODES//,/ }; do
    k label node "$n" --overwrite "$CENTRAL_LABEL=central" >/dev/null
  done
  k apply -f "$HERE/crds" >/dev/null
  k wait --for=condition=Established --timeout="${TIMEOUT}s" \
    crd/subnets.kubeovn.io crd/ips.kubeovn.io >/dev/null
  log "CRDs established"
  for n in kovn-controller-rbac.yaml kovn-daemon-rbac.yaml ovn.yaml; do
    k apply -f "$dir/$n" >/dev/null
  done
  k -n kube-system rollout status deployment/ovn-central --timeout="${TIMEOUT}s" >/dev/null ||
    die "ovn-central did not become ready: kubectl -n kube-system describe pod -l app=ovn-central"
  log "OVN central ready"
  k apply -f "$dir/kovn-controller.yaml" -f "$dir/kovn-daemon.yaml" >/dev/null
  daemonset_ready ovs-ovn || die "ovs-ovn did not become ready on every node"
  log "Open vSwitch and ovn-controller ready on every node"
  k -n kube-system rollout status deployment/kovn-controller --timeout="${TIMEOUT}s" >/dev/null ||
    die "kovn-controller did not become ready"
  k -n kube-system rollout status daemonset/kovn-daemon --timeout="${TIMEOUT}s" >/dev/null ||
    die "kovn-daemon did not become ready on every node"
  log "kovn-controller and kovn-daemon ready"
  k wait --for=condition=Ready node --all --timeout="${TIMEOUT}s" >/dev/null ||
    die "not every node became Ready: kubectl describe nodes"
  log "every node Ready: kovn is installed"
}

# --- uninstall -----------------------------------------------------------------

# Waits until no pod with LABEL is left in kube-system.
pods_gone() {   # LABEL
  k -n kube-system wait --for=delete pod -l "$1" --timeout="${TIMEOUT}s" >/dev/null 2>&1 || true
  [ -z "$(k -n kube-system get pods -l "$1" -o name)" ] || die "pods $1 do not go away"
}

# The pods on kovn's network (not host network, with kovn's address).
pods_on_network() {   # [jq filter]
  k get pods -A -o json | jq -r ".items[] | select(.spec.hostNetwork != true)
    | select(.metadata.annotations[\"ovn.kubernetes.io/allocated\"] == \"true\")
    ${1:-} | \"\(.metadata.namespace)/\(.metadata.name)\""
}
terminating_pods() { pods_on_network '| select(.metadata.deletionTimestamp != null)'; }
no_terminating_pods() { [ -z "$(terminating_pods)" ]; }

wait_for() {   # SECONDS CMD...: until CMD succeeds
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 1
  done
}

cmd_uninstall() {
  local pod n left
  settings
  workdir
  # A pod being deleted needs kovn for its CNI DEL: without it, it would
  # stay Terminating for good.
  if ! wait_for "$TIMEOUT" no_terminating_pods; then
    die "pods on kovn's network are still being deleted: $(terminating_pods | head -n 5 | paste -sd' ' -)"
  fi
  left=$(pods_on_network | head -n 5)
  [ -z "$left" ] || log "warning: pods on kovn's network lose it, e.g. $(echo $left)"

  # 1. Nothing may recreate what is removed: the controller and daemons go first.
  k -n kube-system delete --ignore-not-found deployment/kovn-controller daemonset/kovn-daemon >/dev/null
  pods_gone app=kovn-controller
  pods_gone app=kovn-daemon
  log "kovn-controller and kovn-daemon removed"
  # 2. Each node's bridges, ports, CNI files and nftables table, through
  #    its ovs-ovn pod (its Open vSwitch still runs).
  for pod in $(k -n kube-system get pods -l app=ovs-ovn -o name); do
    k -n kube-system exec "$pod" -c vswitchd -- start-ovs-ovn.sh cleanup ||
      die "cleanup in $pod failed"
  done
  log "bridges, ports, CNI files and nftables tables removed"
  # 3. OVN itself, then the files it leaves on each node.
  k -n kube-system delete --ignore-not-found daemonset/ovs-ovn deployment/ovn-central >/dev/null
  pods_gone app=ovs-ovn
  pods_gone app=ovn-central
  k apply -f "$dir/kovn-cleanup.yaml" >/dev/null
  k -n kube-system rollout status daemonset/kovn-cleanup --timeout="${TIMEOUT}s" >/dev/null ||
    die "kovn-cleanup did not finish: kubectl -n kube-system logs -l app=kovn-cleanup"
  k -n kube-system delete daemonset/kovn-cleanup >/dev/null
  pods_gone app=kovn-cleanup
  log "OVN and its files removed"
  # 4. The API objects: kovn's custom resources (their finalizers are the
  #    controller's, which is gone), CRDs, RBAC, Leases, node annotations.
  for n in subnets.kubeovn.io ips.kubeovn.io; do
    for obj in $(k get "$n" -o name 2>/dev/null || true); do
      k patch "$obj" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
    done
  done
  k delete --ignore-not-found -f "$HERE/crds" >/dev/null
  k delete --ignore-not-found -f "$dir/kovn-daemon-rbac.yaml" -f "$dir/kovn-controller-rbac.yaml" >/dev/null
  for n in $(k -n kube-system get leases -o name |
             grep -E '^lease.coordination.k8s.io/kovn-(controller|daemon-.*)$'); do
    k -n kube-system delete "$n" >/dev/null
  done
  for n in $(k get nodes -o name); do
    local keys
    keys=$(k get "$n" -o json | jq -r '.metadata.annotations // {} | keys[]
      | select(startswith("ovn.kubernetes.io/"))')
    # shellcheck disable=SC2046
    [ -z "$keys" ] || k annotate "$n" $(printf '%s- ' $keys) >/dev/null
    k label "$n" "$CENTRAL_LABEL-" >/dev/null 2>&1 || true
  done
  log "kovn is uninstalled"
}

case ${1:-install} in
  install) cmd_install ;;
  uninstall) cmd_uninstall ;;
  render) [ $# = 2 ] || die "render DIR"; settings; render_all "$2" ;;
  *) sed -n '/^#   install.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
