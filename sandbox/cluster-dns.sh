#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# The sandbox's cluster DNS: unbound in node1's network namespace, listening
# on every address there (pods reach node1's join IP, ovn0, through OVN's
# node routes), and kovn-dns on the host keeping unbound's records in step
# with the API through unbound's control socket.  In the API: Service
# kube-system/kube-dns (clusterIP 10.96.0.10, ports 53 UDP "dns" and TCP
# "dns-tcp", no selector) and an EndpointSlice of it pointing at node1's join
# IP, so that the kubelets' --cluster-dns=10.96.0.10 works once kovn's load
# balancers serve the ClusterIP.  See docs/dns.md.
#
#   cluster-dns.sh start S [NODE]
#                       start it for the sandbox in folder S (on NODE,
#                       default node1, which must be Ready)
#   cluster-dns.sh stop S
#                       stop unbound and kovn-dns (the API objects stay)
#   cluster-dns.sh unbound-conf DIR ADDR...
#                       print an unbound.conf listening on ADDR... (port 53
#                       unless ADDR@PORT), its control socket DIR/control.sock,
#                       pid file DIR/unbound.pid; names outside the cluster
#                       domain are refused until kovn-dns sets forwarders
#                       (tests use it too)
#
# Files: S/dns/ (unbound.conf, control.sock, *.pid, *.log).
# Environment: KOVN_DNS (the kovn-dns binary; default KOVN_BUILD/dns/kovn-dns,
# KOVN_BUILD defaulting to build/), KOVN_DNS_UPSTREAM (kovn-dns --upstream;
# default "none": the sandbox never sends a query out of the machine).
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_ENV=$TOP/tests/integration/node-env.sh
CLUSTER_DNS_IP=10.96.0.10
DOMAIN=cluster.local

# shellcheck source=../tests/integration/proc-lib.sh
. "$TOP/tests/integration/proc-lib.sh"   # wait_for, alive

die() { printf 'cluster-dns: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '/^#   cluster-dns.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd_unbound_conf() {
  local dir=$1 a
  shift
  cat <<EOF
# unbound for kovn's cluster DNS (written by sandbox/cluster-dns.sh).
# kovn-dns adds the records at run time through the control socket.
server:
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: 1
  so-reuseport: no
  do-ip6: no
  port: 53
EOF
  for a in "$@"; do echo "  interface: $a"; done
  cat <<EOF
  access-control: 0.0.0.0/0 allow
  # The records kovn-dns writes are the truth: no DNSSEC, no cache of
  # negative answers longer than the records' TTL.
  module-config: "iterator"
  cache-max-negative-ttl: 5
  # Forwarders may be local stand-ins (tests).
  do-not-query-localhost: no
  # Never recurse to the root servers: until kovn-dns sets forwarders
  # (--upstream) everything outside the cluster domain is refused.
  local-zone: "." refuse
  local-zone: "$DOMAIN." static
remote-control:
  control-enable: yes
  control-interface: "$dir/control.sock"
  control-use-cert: no
EOF
}

kubectl_() { "$S/bin/kubectl" "$@"; }

# The API objects: Service kube-system/kube-dns without selector, and its
# EndpointSlice (discovery.k8s.io/v1beta1: the sandbox's apiserver is 1.20)
# pointing at ADDR.
api_objects() {   # ADDR NODE
  kubectl_ apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "kube-dns", "namespace": "kube-system",
               "labels": {"k8s-app": "kube-dns",
                          "kubernetes.io/name": "CoreDNS"}},
  "spec": {"clusterIP": "$CLUSTER_DNS_IP",
           "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                     {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}},
 {"apiVersion": "discovery.k8s.io/v1beta1", "kind": "EndpointSlice",
  "metadata": {"name": "kube-dns-unbound", "namespace": "kube-system",
               "labels": {"kubernetes.io/service-name": "kube-dns",
                          "endpointslice.kubernetes.io/managed-by": "kovn-dns"}},
  "addressType": "IPv4",
  "endpoints": [{"addresses": ["$1"], "conditions": {"ready": true},
                 "topology": {"kubernetes.io/hostname": "$2"}}],
  "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}]}
EOF
}

# An answer from unbound for NAME (through node NODE's network).
answers() {   # NODE ADDR NAME
  [ -n "$("$NODE_ENV" node-exec "$S/net" "$1" dig +short +time=1 +tries=1 \
    "@$2" "$3" 2>/dev/null)" ]
}

cmd_start() {
  local node=${1:-node1} addr dns
  local b=${KOVN_BUILD:-$TOP/build}
  dns=${KOVN_DNS:-$b/dns/kovn-dns}
  [ -x "$dns" ] || die "no $dns: build kovn first"
  command -v unbound >/dev/null || die "no unbound: run scripts/setup.sh"
  addr=$("$S/bin/kubectl" get node "$node" \
    -o 'jsonpath={.metadata.annotations.ovn\.kubernetes\.io/ip_address}') &&
    [ -n "$addr" ] || die "$node has no join IP yet"
  D=$S/dns
  mkdir -p "$D"
  cmd_unbound_conf "$D" 0.0.0.0 >"$D/unbound.conf"
  if ! alive "$(cat "$D/unbound.pid" 2>/dev/null || echo 0)"; then
    setsid "$NODE_ENV" node-exec "$S/net" "$node" \
      unbound -c "$D/unbound.conf" </dev/null >>"$D/unbound.log" 2>&1 &
    echo $! >"$D/unbound.pid"
    wait_for 10 unbound-control -c "$D/unbound.conf" status >/dev/null 2>&1 ||
      die "unbound did not start; see $D/unbound.log"
  fi
  if ! alive "$(cat "$D/kovn-dns.pid" 2>/dev/null || echo 0)"; then
    setsid "$dns" --kubeconfig="$S/kubeconfig" \
      --unbound-conf="$D/unbound.conf" \
      --upstream="${KOVN_DNS_UPSTREAM:-none}" --unixctl="$D/kovn-dns.ctl" \
      --log-file="$D/kovn-dns.log" -vconsole:off </dev/null \
      >>"$D/kovn-dns.out" 2>&1 &
    echo $! >"$D/kovn-dns.pid"
  fi
  api_objects "$addr" "$node" || die "could not create kube-system/kube-dns"
  wait_for 30 answers "$node" "$addr" \
    "kube-dns.kube-system.svc.$DOMAIN" ||
    die "no answer from unbound at $addr; see $D/*.log"
  echo "$addr"
}

stop_pid() {   # PIDFILE: TERM, then KILL after 10 s
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    wait_for 10 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$1"
}

cmd_stop() {
  stop_pid "$S/dns/kovn-dns.pid"
  stop_pid "$S/dns/unbound.pid"
}

[ $# -ge 2 ] || usage
cmd=$1
shift
case $cmd in
  unbound-conf) cmd_unbound_conf "$@" ;;
  start)
    S=$(cd "$1" && pwd) || exit 1
    shift
    [ $# -le 1 ] || usage
    cmd_start "$@" ;;
  stop)
    [ $# = 1 ] || usage
    [ -d "$1/dns" ] || exit 0
    S=$(cd "$1" && pwd)
    cmd_stop ;;
  *) usage ;;
esac
