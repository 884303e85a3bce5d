#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# The Service data path against the direct one, in the same run: client
# pods on one node (one for each path) and a server pod (agnhost netexec,
# plus an iperf server) on another, in a real sandbox cluster (kube-proxy
# off).  For pod -> pod
# IP and pod -> ClusterIP, alternating, ROUNDS times each:
#   - TCP throughput (iperf, 10 s, one stream);
#   - new connections per second (bench/conn-rate: an HTTP request on a new
#     connection each time, 4 in parallel, 10 s).
# The client programs are the host's, run in the pods' network namespaces.
#
#   bench/bench-services-datapath.sh BUILD_DIR [ROUNDS]
# KOVN_SANDBOX_DIR: a sandbox that is up (else one is made, and removed).
set -uo pipefail

build=$(cd "${1:?usage: bench-services-datapath.sh BUILD_DIR [ROUNDS]}" &&
        pwd)
rounds=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
SB=$top/sandbox/kovn-sandbox.sh
own=0
if [ -z "${KOVN_SANDBOX_DIR:-}" ]; then
  export KOVN_SANDBOX_DIR
  KOVN_SANDBOX_DIR=$(mktemp -d /tmp/kovn-bench-dp.XXXXXX)
  own=1
fi
S=$KOVN_SANDBOX_DIR
kubectl() { "$S/bin/kubectl" "$@"; }
iperf_pid=

cleanup() {
  [ -n "$iperf_pid" ] && kill "$iperf_pid" 2>/dev/null
  if [ $own = 1 ]; then
    KOVN_CONTROLLER=$build/controller/kovn-controller "$SB" down \
      >/dev/null 2>&1
    rmdir "$S" 2>/dev/null
  else
    kubectl delete ns bench-dp --wait=false >/dev/null 2>&1
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ $own = 1 ]; then
  KOVN_BUILD=$build "$SB" up --processes --nodes 2 --no-demo >/dev/null ||
    { echo "sandbox up failed" >&2; exit 1; }
fi

kubectl create namespace bench-dp >/dev/null
for p in server:node1 client:node2 vclient:node2; do
  kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: ${p%:*}, namespace: bench-dp, labels: {app: ${p%:*}}}
spec:
  nodeName: ${p#*:}
  containers:
  - name: c
    image: k8s.gcr.io/e2e-test-images/agnhost:2.21
    imagePullPolicy: Never
    args: [netexec, --http-port=8080]
YAML
done
kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: server, namespace: bench-dp}
spec:
  selector: {app: server}
  ports:
  - {name: http, port: 8080}
  - {name: iperf, port: 5001}
YAML
kubectl wait -n bench-dp --for=condition=Ready pod/server pod/client \
  pod/vclient \
  --timeout=120s >/dev/null || { echo "pods not Ready" >&2; exit 1; }
server_ip=$(kubectl get pod -n bench-dp server -o 'jsonpath={.status.podIP}')
vip=$(kubectl get svc -n bench-dp server -o 'jsonpath={.spec.clusterIP}')
server_ns=$("$SB" netns -n bench-dp server)
client_ns=$("$SB" netns -n bench-dp client)
vclient_ns=$("$SB" netns -n bench-dp vclient)
# The Service has both endpoints before the timing starts.
for _ in $(seq 100); do
  n=$(kubectl get endpointslices -n bench-dp \
        -l kubernetes.io/service-name=server -o json |
      jq '[.items[].endpoints // [] | .[] | select(.conditions.ready)] |
          length')
  [ "$n" = 1 ] && nsenter --net="$client_ns" \
    curl -s -m 2 "http://$vip:8080/hostname" >/dev/null && break
  kubectl wait -n bench-dp --for=condition=Ready pod/server --timeout=1s \
    >/dev/null 2>&1
done

nsenter --net="$server_ns" iperf -s -p 5001 >/dev/null 2>&1 &
iperf_pid=$!
# Clients reuse TIME_WAIT ports, as busy clients are set up to.  One client
# pod for the pod IP, another (same node) for the ClusterIP: OVS 3.1's
# userspace conntrack aborts ovs-vswitchd when one client reaches the
# backend directly from a port it used through the Service a moment before
# (bench/RESULTS.md); this measures the data path, not that bug.
# KOVN_BENCH_TW_REUSE=0 turns that off.
for ns in "$client_ns" "$vclient_ns"; do
  nsenter --net="$ns" sysctl -qw \
    net.ipv4.tcp_tw_reuse="${KOVN_BENCH_TW_REUSE:-1}"
done

throughput() {   # NETNS IP: Mbit/s of a 10 s iperf stream
  nsenter --net="$1" iperf -c "$2" -p 5001 -t 10 -f m 2>&1 |
    awk '/Mbits\/sec/ { print $(NF-1) }' | tail -1
}
conns() {        # NETNS IP: new connections per second
  nsenter --net="$1" "$build/bench/conn-rate" "$2" 8080 10 4 |
    awk '{ print $1 }'
}

echo "clients on node2 -> server on node1 ($server_ip), Service $vip"
printf '%-6s %-22s %-22s\n' round "pod IP: Mbit/s conn/s" \
  "ClusterIP: Mbit/s conn/s"
for r in $(seq "$rounds"); do
  # Which path goes first alternates, so that neither always runs after
  # the other's load.
  if [ $((r % 2)) = 1 ]; then
    dt=$(throughput "$client_ns" "$server_ip")
    vt=$(throughput "$vclient_ns" "$vip")
    dc=$(conns "$client_ns" "$server_ip")
    vc=$(conns "$vclient_ns" "$vip")
  else
    vt=$(throughput "$vclient_ns" "$vip")
    dt=$(throughput "$client_ns" "$server_ip")
    vc=$(conns "$vclient_ns" "$vip")
    dc=$(conns "$client_ns" "$server_ip")
  fi
  printf '%-6s %-10s %-11s %-10s %-11s\n' "$r" "$dt" "$dc" "$vt" "$vc"
done
