#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# kovn end to end, on the sandbox of `make demo` (sandbox/kovn-sandbox.sh):
# a real kube-apiserver, kube-controller-manager and kube-scheduler, three
# nodes, each with its own network and mount namespaces, containerd and
# kubelet, and kovn installed on them by deploy/install.sh from its images
# (OVN central, ovs-ovn, kovn-controller and kovn-daemon as pods).  Its own
# sandbox, in its own folder, beside any demo.
#
# Checks: a Deployment of six agnhost pods spread over the three nodes, each
# with its kovn address, TCP between two of them across nodes through
# kubectl exec, kubectl logs, and scaling it to zero freeing every address
# and OVN port; pods Running with their IP in status; TCP and ping pod <-> pod on
# one node, across nodes and across subnets (a second Subnet bound to a
# namespace), pod -> node (ovn0's join address) and node -> pod; a
# static-IP pod; a namespace's custom subnet; a deleted pod's NB port, OVS
# port and namespace gone and its address reusable; an unscheduled pod
# placed by the scheduler; a TCP stream surviving a kovn-controller restart
# and a kill -9 of two kovn-daemons, new pods starting after each; no
# sanitizer report in any log; and a teardown that leaves nothing behind.
#
# Usage: tests/e2e/test-e2e.sh        (as root; meson test --suite e2e)
# (The sandbox, its cleanup and the helpers: e2e-lib.sh.)
# Environment: KOVN_CONTROLLER, KOVN_DAEMON, KOVN_PLUGIN (the
# binaries; default: KOVN_BUILD, default build/), KOVN_E2E_NODES (3),
# KOVN_TEST_VERBOSE (show the logs even when everything passes).
set -uo pipefail

# shellcheck source=e2e-lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/e2e-lib.sh"
e2e_up

# ---- nodes ----
check "every node Ready" test "$(kubectl get nodes -o json | jq '[.items[] |
  select(any(.status.conditions[]; .type == "Ready" and .status == "True"))]
  | length')" = "$nodes"
for n in node1 node2 node3; do
  check "$n has a join address (ovn0)" test -n "$(join_ip "$n")"
done
check "sandbox status reports everything running" "$SB" status >/dev/null

# ---- a Deployment, as a user makes one ----
AGNHOST=k8s.gcr.io/e2e-test-images/agnhost:2.21
used_ips() { kubectl get subnet ovn-default -o 'jsonpath={.status.v4usingIPs}'; }
lsps() {   # the NB ports of pods named PREFIX-*
  nbctl --bare --columns=name find logical_switch_port \
    "external_ids:vendor=kovn" | grep "^$1-" || true
}
used_before=$(used_ips)
spread_deployment web 6
web_pods() { kubectl get pods -l app=web -o json; }
six_running() {
  [ "$(web_pods | jq '[.items[] | select(.status.phase == "Running"
    and .status.podIP and (.status.containerStatuses[0].ready))] | length')" = 6 ]
}
check "Deployment web, 6 replicas: six Running containers" \
  kovn_wait 120 six_running
check "...spread over the three nodes" test "$(web_pods | \
  jq '[.items[].spec.nodeName] | unique | length')" = 3
check "...each with its kovn address (status = ovn.kubernetes.io/ip_address, in 10.16.0.0/16)" \
  test "$(web_pods | jq '[.items[] | select(.status.podIP ==
    .metadata.annotations["ovn.kubernetes.io/ip_address"] and
    (.status.podIP | startswith("10.16.")))] | length')" = 6
check "...six distinct addresses" test "$(web_pods | \
  jq '[.items[].status.podIP] | unique | length')" = 6
check "...six NB ports" test "$(lsps web | wc -l)" = 6
read -r web_a node_a < <(web_pods | jq -r '.items | sort_by(.spec.nodeName)
  | first | "\(.metadata.name) \(.spec.nodeName)"')
read -r web_b ip_b node_b < <(web_pods | jq -r --arg n "$node_a" '[.items[]
  | select(.spec.nodeName != $n)] | first
  | "\(.metadata.name) \(.status.podIP) \(.spec.nodeName)"')
# B listens (netcat in the agnhost container); A connects until B is up.
got=$(mktemp)
kubectl exec "$web_b" -- timeout 30 nc -l -p 9000 >"$got" 2>&1 &
listener=$!
kubectl exec "$web_a" -- sh -c "for i in \$(seq 100); do
  echo hello-from-$web_a | nc -N -w 3 $ip_b 9000 && exit 0; sleep 0.2; done;
  exit 1" >/dev/null 2>&1
wait $listener
check "kubectl exec: $web_a ($node_a) -> $web_b ($node_b) over TCP" \
  grep -q "hello-from-$web_a" "$got"
rm -f "$got"
check "kubectl logs $web_a (agnhost pause says Paused)" \
  sh -c "'$S/bin/kubectl' logs '$web_a' | grep -q Paused"
kubectl scale deployment web --replicas=0 >/dev/null
no_web_pods() { [ "$(web_pods | jq '.items | length')" = 0 ]; }
check "scaled to zero: no pod left" kovn_wait 90 no_web_pods
no_web_lsps() { [ -z "$(lsps web)" ]; }
check "...no NB port left" kovn_wait 30 no_web_lsps
ips_back() { [ "$(used_ips)" = "$used_before" ]; }
check "...every address free again (Subnet status: $used_before in use)" \
  kovn_wait 30 ips_back
check "...no IP resource of a web pod left" test -z "$(kubectl get ips.kubeovn.io \
  -o name | grep '/web-' || true)"
kubectl delete deployment web >/dev/null

# ---- pods in the default subnet ----
kovn_pod_create_in default a1 node1
kovn_pod_create_in default a2 node1
kovn_pod_create_in default b1 node2
kovn_pod_create_in default c1 node3
for p in a1 a2 b1 c1; do
  check "pod $p Running" wait_running default "$p"
done
ip_a1=$(pod_ip default a1) ip_a2=$(pod_ip default a2)
ip_b1=$(pod_ip default b1) ip_c1=$(pod_ip default c1)
check "status.podIP is the controller's address" \
  test "$ip_a1" = "$(pod_ann default a1 ip_address)"
check "podIPs carries it too" test "$(kubectl get pod a1 \
  -o 'jsonpath={.status.podIPs[0].ip}')" = "$ip_a1"
check "a1's eth0 has it" sh -c "nsenter --net=$(netns default a1) \
  ip -o addr show eth0 | grep -q 'inet $ip_a1/16'"
check "a1 is in ovn-default (10.16.0.0/16)" \
  test "$(pod_ann default a1 logical_switch)/${ip_a1%.*.*}" = ovn-default/10.16
na1=$(netns default a1) na2=$(netns default a2)
nb1=$(netns default b1) nc1=$(netns default c1)

check "TCP a1 -> a2, one node" tcp "$na1" "$na2" "$ip_a2"
check "ping a2 -> a1, one node" ping_ok "$na2" "$ip_a1"
check "TCP a1 -> b1, node1 -> node2" tcp "$na1" "$nb1" "$ip_b1"
check "TCP b1 -> c1, node2 -> node3" tcp "$nb1" "$nc1" "$ip_c1"
check "ping c1 -> a1, node3 -> node1" ping_ok "$nc1" "$ip_a1"

# ---- pods and nodes ----
j1=$(join_ip node1)
check "TCP a1 -> node1's ovn0 ($j1)" tcp "$na1" "$(node_ns node1)" "$j1"
check "TCP b1 -> node1's ovn0, across nodes" tcp "$nb1" "$(node_ns node1)" "$j1"
check "TCP node1 -> a1" tcp "$(node_ns node1)" "$na1" "$ip_a1"
check "TCP node3 -> b1, across nodes" tcp "$(node_ns node3)" "$nb1" "$ip_b1"

# ---- a second subnet, bound to a namespace ----
kubectl apply -f - >/dev/null <<'EOF'
{"apiVersion": "kubeovn.io/v1", "kind": "Subnet",
 "metadata": {"name": "e2e-sub"},
 "spec": {"cidrBlock": "10.17.0.0/16", "gateway": "10.17.0.1",
          "excludeIps": ["10.17.0.1"], "namespaces": ["e2e"],
          "protocol": "IPv4"}}
EOF
kubectl create namespace e2e >/dev/null
kovn_pod_create_in e2e s1 node2
kovn_pod_create_in e2e s2 node3
check "pod e2e/s1 Running" wait_running e2e s1
check "pod e2e/s2 Running" wait_running e2e s2
ip_s1=$(pod_ip e2e s1) ip_s2=$(pod_ip e2e s2)
check "namespace e2e's pod gets its subnet's address ($ip_s1)" \
  test "${ip_s1%.*.*}/$(pod_ann e2e s1 logical_switch)" = 10.17/e2e-sub
check "...and its gateway" test "$(pod_ann e2e s1 gateway)" = 10.17.0.1
ns1=$(netns e2e s1) ns2=$(netns e2e s2)
check "TCP s1 -> s2 in the second subnet, across nodes" tcp "$ns1" "$ns2" "$ip_s2"
check "TCP a1 -> s1, across subnets and nodes" tcp "$na1" "$ns1" "$ip_s1"
check "TCP s2 -> a2, across subnets and nodes" tcp "$ns2" "$na2" "$ip_a2"
check "ping s1 -> c1, across subnets" ping_ok "$ns1" "$ip_c1"
check "TCP node1 -> s2 (second subnet, other node)" \
  tcp "$(node_ns node1)" "$ns2" "$ip_s2"
check "TCP s1 -> node3's ovn0" tcp "$ns1" "$(node_ns node3)" "$(join_ip node3)"

# ---- a static address ----
kovn_pod_create_in default st1 node2 \
  '"annotations": {"ovn.kubernetes.io/ip_address": "10.16.0.250"}'
check "static-IP pod st1 Running" wait_running default st1
check "st1 has 10.16.0.250 in its status" test "$(pod_ip default st1)" = 10.16.0.250
check "...and on its eth0" sh -c "nsenter --net=$(netns default st1) \
  ip -o addr show eth0 | grep -q 'inet 10.16.0.250/16'"
nst1=$(netns default st1)
check "TCP c1 -> st1" tcp "$nc1" "$nst1" 10.16.0.250

# ---- deleting a pod ----
st1_ovs() { kovn_node_exec node2 ovs-vsctl --bare --columns=name find interface \
  external_ids:iface-id=st1.default; }
check "st1 has its NB port st1.default" \
  test -n "$(nbctl --bare --columns=name find logical_switch_port name=st1.default)"
check "st1 has its OVS port on node2" test -n "$(st1_ovs)"
kubectl delete pod st1 --wait=false >/dev/null
check "deleted st1 is gone from the API (CNI DEL, then grace 0)" \
  kovn_wait 30 gone default st1
no_lsp() { [ -z "$(nbctl --bare --columns=name find logical_switch_port \
  name="$1")" ]; }
check "...its NB port is gone" kovn_wait 20 no_lsp st1.default
check "...its OVS port is gone" test -z "$(st1_ovs)"
check "...its network namespace is gone" test ! -e "$nst1"
kovn_pod_create_in default st2 node3 \
  '"annotations": {"ovn.kubernetes.io/ip_address": "10.16.0.250"}'
runs_with_ip() { running "$1" "$2" && [ "$(pod_ip "$1" "$2")" = "$3" ]; }
check "its address is reusable: st2 gets 10.16.0.250" \
  kovn_wait 60 runs_with_ip default st2 10.16.0.250
check "TCP a2 -> st2 (10.16.0.250 on another node now)" \
  tcp "$na2" "$(netns default st2)" 10.16.0.250

# ---- an unscheduled pod ----
kovn_pod_create_in default u1 ""
check "an unscheduled pod is placed on a node and Running" wait_running default u1
check "...by kube-scheduler, on a sandbox node" grep -qx 'node[0-9]*' \
  <<<"$(kubectl get pod u1 -o 'jsonpath={.spec.nodeName}')"

# ---- restarts during a TCP stream ----
check "a TCP stream a1 -> b1 survives a kovn-controller restart" \
  stream "$na1" "$nb1" "$ip_b1" "$SB" restart controller
kovn_pod_create_in default r1 node2
check "a new pod starts after the controller restart" wait_running default r1
check "TCP r1 -> a1" tcp "$(netns default r1)" "$na1" "$ip_a1"

check "a TCP stream a2 -> c1 survives kill -9 and restart of node1's and node3's kovn-daemon" \
  stream "$na2" "$nc1" "$ip_c1" "$SB" restart --kill node1 node3
check "kovn-daemon on node1 ready again" kovn_daemon_ready node1
kovn_pod_create_in default r2 node1
kovn_pod_create_in default r3 node3
check "a new pod starts on node1 after the daemon restart" wait_running default r2
check "...and on node3" wait_running default r3
check "TCP r2 -> r3" tcp "$(netns default r2)" "$(netns default r3)" \
  "$(pod_ip default r3)"
check "the old pods still talk: TCP c1 -> a1" tcp "$nc1" "$na1" "$ip_a1"

# ---- teardown ----
e2e_down
