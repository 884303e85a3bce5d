#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# kovn-dns end to end: a real kube-apiserver (with-k8s.sh), a real unbound
# in a network namespace of its own (the sandbox's configuration, from
# sandbox/cluster-dns.sh unbound-conf) and a second unbound beside it as
# the "upstream" stand-in, so that no query leaves the namespace.  Creates
# Services (ClusterIP with named ports, headless with an EndpointSlice,
# ExternalName) and a Pod, and asks unbound with dig for each record type,
# NXDOMAIN, forwarding; then edits, deletes, restarts unbound and restarts
# kovn-dns with a stale record in unbound.  Every wait polls dig with a
# deadline.
#
# Usage: with-k8s.sh test-dns.sh
# Environment: KOVN_DNS (the binary); with-k8s.sh's KOVN_TEST_KUBECONFIG and
# KOVN_TEST_KUBECTL.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${KOVN_DNS:?KOVN_DNS names the kovn-dns binary}"
: "${KOVN_TEST_KUBECONFIG:?run under tests/integration/with-k8s.sh}"
KOVN_DIR=$(mktemp -d /tmp/kovn-dns.XXXXXX)
KOVN_KUBECTL=$KOVN_TEST_KUBECTL
# shellcheck source=kovn-lib.sh
. "$here/kovn-lib.sh"            # check, kovn_wait, kovn_stop, ...

D=$KOVN_DIR
NS=kovn-dns-$$
kubectl() { "$KOVN_TEST_KUBECTL" "$@"; }

cleanup() {
  trap - EXIT INT TERM
  kovn_stop "$D/kovn-dns.pid"
  kovn_stop "$D/unbound.pid"
  kovn_stop "$D/up/unbound.pid"
  if [ "$failed" != 0 ] || [ -n "${KOVN_TEST_VERBOSE:-}" ]; then
    for f in "$D"/kovn-dns.log "$D"/unbound.log; do
      [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
    done
  fi
  ip netns del "$NS" 2>/dev/null
  rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- set-up ----
ip netns add "$NS" && ip -n "$NS" link set lo up ||
  { echo "FAILED: network namespace"; exit 1; }
mkdir -p "$D/up"
"$top/sandbox/cluster-dns.sh" unbound-conf "$D" 127.0.0.1 >"$D/unbound.conf"
# The upstream stand-in: answers outside.example only.
cat >"$D/up/unbound.conf" <<EOF
server:
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$D/up"
  pidfile: "$D/up/unbound.pid"
  use-syslog: no
  interface: 127.0.0.2
  port: 53
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  local-zone: "." refuse
  local-zone: "outside.example." static
  local-data: "www.outside.example. 60 IN A 198.51.100.7"
remote-control:
  control-enable: no
EOF

start_unbound() {   # CONF PIDFILE LOG
  set -m
  ip netns exec "$NS" unbound -c "$1" </dev/null >>"$3" 2>&1 &
  echo $! >"$2"
  set +m
}
start_dns() {
  set -m
  "$KOVN_DNS" --kubeconfig="$KOVN_TEST_KUBECONFIG" \
    --unbound-conf="$D/unbound.conf" --upstream=127.0.0.2 \
    --check-interval=1 --unixctl="$D/kovn-dns.ctl" \
    --log-file="$D/kovn-dns.log" -vconsole:off -vdns_sync:file:dbg \
    </dev/null >>"$D/kovn-dns.out" 2>&1 &
  echo $! >"$D/kovn-dns.pid"
  set +m
}
ctl() { unbound-control -c "$D/unbound.conf" "$@"; }
start_unbound "$D/up/unbound.conf" "$D/up/unbound.pid" "$D/up/unbound.log"
start_unbound "$D/unbound.conf" "$D/unbound.pid" "$D/unbound.log"
check "unbound answers its control socket" kovn_wait 10 ctl status
start_dns

# dig through unbound, in its namespace.  q NAME [TYPE]: the answers,
# sorted, on one line; rcode NAME [TYPE]: NOERROR, NXDOMAIN...
q() {
  ip netns exec "$NS" dig +short +time=2 +tries=1 @127.0.0.1 "$@" |
    sort | tr '\n' ' ' | sed 's/ $//'
}
rcode() {
  ip netns exec "$NS" dig +time=2 +tries=1 @127.0.0.1 "$@" |
    sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}
is() { [ "$(q "${@:2}")" = "$1" ]; }            # WANT NAME [TYPE]
is_rcode() { [ "$(rcode "${@:2}")" = "$1" ]; }  # WANT NAME [TYPE]
# expect WANT NAME [TYPE]: waits (at most 20 s) for that answer.
expect() {
  local want=$1; shift
  check "$* -> ${want:-(nothing)}" wait_for 20 is "$want" "$@" ||
    echo "  got: $(q "$@")"
}
expect_rcode() {
  local want=$1; shift
  check "$* -> $want" wait_for 20 is_rcode "$want" "$@" ||
    echo "  got: $(rcode "$@")"
}

Z=cluster.local
T=dns-test

# ---- the first sync ----
expect 10.96.0.1 kubernetes.default.svc.$Z
expect "kubernetes.default.svc.$Z." -x 10.96.0.1
expect "0 100 443 kubernetes.default.svc.$Z." _https._tcp.kubernetes.default.svc.$Z SRV
expect_rcode NXDOMAIN nothing.default.svc.$Z
expect_rcode NXDOMAIN foo.$Z

# ---- each kind of Service, and a pod ----
kubectl create namespace $T >/dev/null
kubectl apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "web", "namespace": "$T"},
  "spec": {"clusterIP": "10.96.1.10",
           "ports": [{"name": "http", "port": 80, "targetPort": 8080},
                     {"name": "dns", "port": 53, "protocol": "UDP"}]}},
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "db", "namespace": "$T"},
  "spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}]}},
 {"apiVersion": "discovery.k8s.io/v1beta1", "kind": "EndpointSlice",
  "metadata": {"name": "db-1", "namespace": "$T",
               "labels": {"kubernetes.io/service-name": "db"}},
  "addressType": "IPv4",
  "endpoints": [
    {"addresses": ["10.16.0.5"], "hostname": "db-0",
     "conditions": {"ready": true}},
    {"addresses": ["10.16.0.6"], "conditions": {"ready": true}},
    {"addresses": ["10.16.0.7"], "conditions": {"ready": false}}],
  "ports": [{"name": "pg", "port": 15432, "protocol": "TCP"}]},
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "ext", "namespace": "$T"},
  "spec": {"type": "ExternalName", "externalName": "www.outside.example"}},
 {"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "p1", "namespace": "$T"},
  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}]}
EOF
# The pod's IP, as a kubelet reports it.
kubectl get pod -n $T p1 -o json |
  jq '.status.podIP = "10.16.0.9" | .status.podIPs = [{"ip": "10.16.0.9"}]' \
    >"$D/p1.json"
kubectl replace --raw /api/v1/namespaces/$T/pods/p1/status -f "$D/p1.json" \
  >/dev/null

expect 10.96.1.10 web.$T.svc.$Z
expect "" web.$T.svc.$Z AAAA
expect_rcode NOERROR web.$T.svc.$Z AAAA
expect "web.$T.svc.$Z." -x 10.96.1.10
expect "0 100 80 web.$T.svc.$Z." _http._tcp.web.$T.svc.$Z SRV
expect "0 100 53 web.$T.svc.$Z." _dns._udp.web.$T.svc.$Z SRV
expect_rcode NXDOMAIN _http._udp.web.$T.svc.$Z SRV
expect "10.16.0.5 10.16.0.6" db.$T.svc.$Z
expect 10.16.0.5 db-0.db.$T.svc.$Z
expect 10.16.0.6 10-16-0-6.db.$T.svc.$Z
expect_rcode NXDOMAIN 10-16-0-7.db.$T.svc.$Z
expect "db-0.db.$T.svc.$Z." -x 10.16.0.5
expect "0 100 15432 10-16-0-6.db.$T.svc.$Z. 0 100 15432 db-0.db.$T.svc.$Z." \
  _pg._tcp.db.$T.svc.$Z SRV
expect "www.outside.example." ext.$T.svc.$Z CNAME
expect 10.16.0.9 10-16-0-9.$T.pod.$Z
expect_rcode NXDOMAIN nope.$T.svc.$Z
expect_rcode NXDOMAIN web.other.svc.$Z
expect 198.51.100.7 www.outside.example
expect_rcode SERVFAIL elsewhere.example   # the stand-in refuses it

# ---- edits ----
kubectl patch service -n $T web --type=json -p \
  '[{"op": "replace", "path": "/spec/ports/0/name", "value": "www"}]' >/dev/null
expect "0 100 80 web.$T.svc.$Z." _www._tcp.web.$T.svc.$Z SRV
expect_rcode NXDOMAIN _http._tcp.web.$T.svc.$Z SRV
expect 10.96.1.10 web.$T.svc.$Z
kubectl patch endpointslice -n $T db-1 --type=json -p \
  '[{"op": "replace", "path": "/endpoints/1/conditions/ready", "value": false},
    {"op": "replace", "path": "/endpoints/2/conditions/ready", "value": true}]' \
  >/dev/null
expect "10.16.0.5 10.16.0.7" db.$T.svc.$Z
expect_rcode NXDOMAIN 10-16-0-6.db.$T.svc.$Z
expect 10.16.0.7 10-16-0-7.db.$T.svc.$Z
kubectl patch service -n $T ext -p '{"spec": {"externalName": "api.outside.example"}}' \
  >/dev/null
expect "api.outside.example." ext.$T.svc.$Z CNAME

# ---- deletes ----
kubectl delete service -n $T web >/dev/null
expect_rcode NXDOMAIN web.$T.svc.$Z
expect_rcode NXDOMAIN _www._tcp.web.$T.svc.$Z SRV
expect_rcode NXDOMAIN -x 10.96.1.10
kubectl delete endpointslice -n $T db-1 >/dev/null
expect_rcode NXDOMAIN db.$T.svc.$Z
expect_rcode NXDOMAIN -x 10.16.0.5
kubectl delete pod -n $T p1 --grace-period=0 --force >/dev/null 2>&1
expect_rcode NXDOMAIN 10-16-0-9.$T.pod.$Z

# ---- unbound restarts: its runtime records are gone until a resync ----
kovn_stop "$D/unbound.pid"
start_unbound "$D/unbound.conf" "$D/unbound.pid" "$D/unbound.log"
expect 10.96.0.1 kubernetes.default.svc.$Z
expect "api.outside.example." ext.$T.svc.$Z CNAME
expect 198.51.100.7 www.outside.example

# ---- kovn-dns restarts, and a Service went while it was down ----
kubectl create service clusterip gone -n $T --clusterip=10.96.1.20 \
  --tcp=80 >/dev/null
expect 10.96.1.20 gone.$T.svc.$Z
kovn_stop "$D/kovn-dns.pid"
kubectl delete service -n $T gone >/dev/null
kubectl create service clusterip born -n $T --clusterip=10.96.1.21 \
  --tcp=80 >/dev/null
start_dns
expect 10.96.1.21 born.$T.svc.$Z
expect_rcode NXDOMAIN gone.$T.svc.$Z
expect_rcode NXDOMAIN -x 10.96.1.20
check "kovn-dns still runs" kovn_alive "$D/kovn-dns.pid"
status=$(ovs-appctl -t "$D/kovn-dns.ctl" kovn/status)
check "kovn/status: unbound in sync" grep -q 'unbound: in sync' <<<"$status"

# ---- incremental: one change is one small batch ----
batches() { ovs-appctl -t "$D/kovn-dns.ctl" kovn/status |
            sed -n 's/^batches: //p'; }
b0=$(batches)
kubectl create service clusterip one -n $T --clusterip=10.96.1.22 \
  --tcp=80 >/dev/null
expect 10.96.1.22 one.$T.svc.$Z
added=$(grep -c 'batch: 0 names removed, [0-9]* records added' \
        "$D/kovn-dns.log")
check "a new Service is a batch of adds only ($(( $(batches) - b0 )) batch)" \
  test "$added" -ge 1
echo "$status" | sed 's/^/  /'

kovn_check_summary
