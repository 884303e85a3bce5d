#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# kovn-daemon and the kovn CNI plugin end to end: two nodes of node-env.sh
# (each with its own ovsdb-server, ovs-vswitchd, ovn-controller and
# kovn-daemon), OVN central, kovn-controller and the kube-apiserver of
# with-k8s.sh; CNI calls made through libcni (cnitool) as a runtime makes
# them.  Checks eth0's addresses, MAC, MTU and routes, TCP between pods on
# one node and across nodes over Geneve, node <-> pod, CHECK, DEL (twice),
# bad configuration, a pod that does not exist or is never annotated, no
# daemon, a daemon killed during a TCP stream, and the
# clean-up of ports whose pod went away while the daemon was down.
#
# Usage: with-k8s.sh test-daemon.sh
# Environment: KOVN_CONTROLLER, KOVN_DAEMON, KOVN_PLUGIN, KOVN_CNITOOL (the
# binaries); with-k8s.sh's KOVN_TEST_KUBECONFIG and KOVN_TEST_KUBECTL.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KOVN_DIR=$(mktemp -d /tmp/kovn-daemon.XXXXXX)
KOVN_KUBECONFIG=$KOVN_TEST_KUBECONFIG
KOVN_KUBECTL=$KOVN_TEST_KUBECTL
# shellcheck source=kovn-lib.sh
. "$here/kovn-lib.sh"


cleanup() { kovn_cleanup node1 node2; }
trap cleanup EXIT
trap 'exit 1' INT TERM

in_pod() { local ns; ns=$(kovn_pod_netns "$1"); shift; ip netns exec "$ns" "$@"; }
pod_ip() { kovn_pod_annotation "$1" ip_address; }
annotated() { [ "$(kovn_pod_annotation "$1" allocated)" = true ]; }
ovs_ports() { kovn_node_exec "$1" ovs-vsctl list-ports br-int; }
ovs_get() { kovn_node_exec "$1" ovs-vsctl get "${@:2}" | tr -d '"'; }
# The host end of POD's veth: its container ID's first 12 characters + _h.
host_veth() { local id="c-$1-0123456789"; echo "${id:0:12}_h"; }

# ---- set-up ----
kovn_cluster_up node1 node2 || { echo "FAILED: cluster set-up"; exit 1; }
# kovn-daemon runs with exactly the RBAC rights deploy/kovn-daemon-rbac.yaml
# gives its ServiceAccount, so a missing rule fails this test.
"$KOVN_KUBECTL" apply -f "$here/../../deploy/kovn-daemon-rbac.yaml" >/dev/null
KOVN_NODE_KUBECONFIG=$KOVN_DIR/kubeconfig-daemon
"$KOVN_TEST_K8S_ENV" user-kubeconfig "$KOVN_TEST_K8S_DIR" \
  system:serviceaccount:kube-system:kovn-daemon system:serviceaccounts \
  "$KOVN_DIR/kubeconfig-node" >"$KOVN_NODE_KUBECONFIG"
can_i() {   # what the daemon's identity may do, asked from node1
  "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" node1 \
    "${KOVN_KUBE_DIR:-/var/cache/kovn/kubernetes}/kubectl" \
    --kubeconfig="$KOVN_NODE_KUBECONFIG" auth can-i "$@" 2>/dev/null
}
kovn_controller_start
kovn_daemon_start node1 --cni-timeout=15
kovn_daemon_start node2 --cni-timeout=15
check "daemon node1 sets the node up" kovn_daemon_ready node1
check "daemon node2 sets the node up" kovn_daemon_ready node2
check "plugin installed" test -x "$KOVN_DIR/node1/bin/kovn"
check "the daemon's identity may watch pods" test "$(can_i watch pods)" = yes
check "...but not patch them" test "$(can_i patch pods)" = no
check "br-int uses the userspace datapath" \
  test "$(ovs_get node1 bridge br-int datapath_type)" = netdev
check "ovn-encap-ip is the node's underlay IP" \
  test "$(ovs_get node2 open . external_ids:ovn-encap-ip)" = 192.0.2.12
check "ovn0 bound to node-node1" \
  test "$(ovs_get node1 interface ovn0 external_ids:iface-id)" = node-node1

for p in a1:node1 a2:node1 b1:node2; do
  kovn_pod_create "${p%%:*}" "${p##*:}"
done
for p in a1 a2 b1; do
  check "pod $p annotated" kovn_wait 30 annotated "$p"
done

# ---- ADD ----
out=$(kovn_cni node1 add a1) ; rc=$?
check "ADD a1 through libcni succeeds" test $rc = 0
ip_a1=$(pod_ip a1)
check "the result carries a1's address" grep -q "\"$ip_a1/16\"" <<<"$out"
check "eth0 has a1's address" sh -c "ip netns exec $(kovn_pod_netns a1) \
  ip -o addr show eth0 | grep -q 'inet $ip_a1/16'"
mac=$(kovn_pod_annotation a1 mac_address)
check "eth0 has a1's MAC" sh -c "ip netns exec $(kovn_pod_netns a1) \
  ip -o link show eth0 | grep -qi 'link/ether $mac'"
check "eth0's MTU leaves room for Geneve (1400)" sh -c \
  "ip netns exec $(kovn_pod_netns a1) ip -o link show eth0 | grep -q 'mtu 1400'"
check "default route via the gateway" sh -c "ip netns exec \
  $(kovn_pod_netns a1) ip route show default | grep -q 'via 10.16.0.1 dev eth0'"
check "OVS port carries iface-id a1.default" test \
  "$(ovs_get node1 interface "$(host_veth a1)" external_ids:iface-id)" = \
  a1.default
check "ovn-installed before the answer" test \
  "$(ovs_get node1 interface "$(host_veth a1)" external_ids:ovn-installed)" \
  = true
# The host end needs no address: a link-local one would add IPv6 routes to
# the node with each pod, which ovs-vswitchd re-reads in full every time.
check "a1's host veth gets no IPv6 link-local address (addr_gen_mode none)" \
  test "$("$KOVN_NODE_ENV" node-exec "$KOVN_DIR" node1 \
         cat "/proc/sys/net/ipv6/conf/$(host_veth a1)/addr_gen_mode")" = 1
check "a1's host veth has no IPv6 address" test -z \
  "$("$KOVN_NODE_ENV" node-exec "$KOVN_DIR" node1 ip -6 -o addr show \
     dev "$(host_veth a1)")"
check "ADD a2 (node1) succeeds" kovn_cni node1 add a2 >/dev/null
check "ADD b1 (node2) succeeds" kovn_cni node2 add b1 >/dev/null

# ---- traffic ----
check "TCP a1 -> a2, one node" \
  test "$(kovn_tcp "$(kovn_pod_netns a1)" "$(kovn_pod_netns a2)" \
          "$(pod_ip a2)" 2000000)" = 2000000
check "TCP a1 -> b1, across nodes over Geneve" \
  test "$(kovn_tcp "$(kovn_pod_netns a1)" "$(kovn_pod_netns b1)" \
          "$(pod_ip b1)" 2000000)" = 2000000
check "TCP b1 -> a2, across nodes" \
  test "$(kovn_tcp "$(kovn_pod_netns b1)" "$(kovn_pod_netns a2)" \
          "$(pod_ip a2)" 1000000)" = 1000000
node1_ns=$("$KOVN_NODE_ENV" node-netns "$KOVN_DIR" node1)
check "TCP node1 (ovn0) -> b1" \
  test "$(kovn_tcp "$node1_ns" "$(kovn_pod_netns b1)" "$(pod_ip b1)" \
          1000000)" = 1000000
join1=$("$KOVN_KUBECTL" get node node1 \
          -o 'jsonpath={.metadata.annotations.ovn\.kubernetes\.io/ip_address}')
check "TCP b1 -> node1's join address" \
  test "$(kovn_tcp "$(kovn_pod_netns b1)" "$node1_ns" "$join1" 1000000)" \
       = 1000000

# ---- CHECK ----
check "CHECK a1 succeeds" kovn_cni node1 check a1
in_pod a1 ip addr del "$ip_a1/16" dev eth0
out=$(kovn_cni node1 check a1 2>&1); rc=$?
check "CHECK reports a removed address" test $rc != 0
check "...naming it" grep -q "lacks address $ip_a1/16" <<<"$out"
check "a repeated ADD repairs a1" kovn_cni node1 add a1 >/dev/null
check "CHECK a1 succeeds again" kovn_cni node1 check a1

# ---- DEL ----
check "DEL a2 succeeds" kovn_cni node1 del a2
check "DEL removed a2's OVS port" sh -c "! $KOVN_NODE_ENV node-exec \
  $KOVN_DIR node1 ovs-vsctl list-ports br-int | grep -q '$(host_veth a2)'"
check "DEL removed a2's veth" sh -c "! $KOVN_NODE_ENV node-exec $KOVN_DIR \
  node1 ip link show '$(host_veth a2)' 2>/dev/null"
check "DEL removed eth0 from a2" sh -c \
  "! ip netns exec $(kovn_pod_netns a2) ip link show eth0 2>/dev/null"
check "a second DEL succeeds" kovn_cni node1 del a2

# ---- bad input ----
bad=$KOVN_DIR/node1/bad.d
mkdir -p "$bad"
printf '{"cniVersion":"1.0.0","name":"kovn","plugins":[{"type":"kovn",
  "server_socket":"%s","mtu":"big"}]}' "$KOVN_DIR/node1/cni.sock" \
  >"$bad/01-kovn.conflist"
kovn_pod_create c1 node1
kovn_wait 30 annotated c1
ports_before=$(ovs_ports node1 | wc -l)
out=$(kovn_node_exec node1 env CNI_PATH="$KOVN_DIR/node1/bin" \
  CNI_CACHE_DIR="$KOVN_DIR/node1/cache" "$KOVN_CNITOOL" add \
  "$bad/01-kovn.conflist" "/var/run/netns/$(kovn_pod_netns c1)" c-c1-x \
  default c1 2>&1); rc=$?
check "ADD with a broken config fails" test $rc != 0
check "...with a message naming the field" grep -q mtu <<<"$out"
check "...and leaves no port" test "$(ovs_ports node1 | wc -l)" = \
  "$ports_before"

out=$(kovn_cni node1 add nosuchpod 2>&1); rc=$?
check "ADD of a pod that does not exist fails" test $rc != 0
check "...saying so" grep -q "pod default/nosuchpod does not exist" <<<"$out"
check "...and leaves no veth" sh -c "! $KOVN_NODE_ENV node-exec $KOVN_DIR \
  node1 ip link show '$(host_veth nosuchpod)' 2>/dev/null"
# A Subnet that does not exist: kovn-controller never annotates the pod.
kovn_pod_create noaddr node1 \
  '"annotations": {"ovn.kubernetes.io/logical_switch": "no-such-subnet"}'
out=$(kovn_cni node1 add noaddr 2>&1); rc=$?
check "ADD of a pod the controller never annotates fails" test $rc != 0
check "...saying the controller did not annotate it" \
  grep -q "kovn-controller has not annotated" <<<"$out"
check "...and leaves no veth" sh -c "! $KOVN_NODE_ENV node-exec $KOVN_DIR \
  node1 ip link show '$(host_veth noaddr)' 2>/dev/null"

kovn_daemon_kill node2
kovn_pod_create b2 node2
kovn_wait 30 annotated b2
out=$(kovn_cni node2 add b2 2>&1); rc=$?
check "ADD with the daemon down fails" test $rc != 0
check "...asking whether kovn-daemon runs" \
  grep -q "is kovn-daemon running on this node" <<<"$out"
check "...and leaves no port" sh -c "! $KOVN_NODE_ENV node-exec $KOVN_DIR \
  node2 ovs-vsctl list-ports br-int | grep -q '$(host_veth b2)'"
kovn_daemon_start node2 --cni-timeout=15
check "daemon node2 restarts" kovn_daemon_ready node2
check "ADD b2 after the restart succeeds" kovn_cni node2 add b2 >/dev/null

# ---- first plugin of a chain ----
chain=$KOVN_DIR/node1/chain.d
mkdir -p "$chain"
cp /usr/lib/cni/tuning "$KOVN_DIR/node1/bin/"
printf '{"cniVersion":"1.0.0","name":"kovn","plugins":[{"type":"kovn",
  "server_socket":"%s"},{"type":"tuning","sysctl":
  {"net.ipv4.conf.eth0.log_martians":"1"}}]}' "$KOVN_DIR/node1/cni.sock" \
  >"$chain/01-kovn.conflist"
kovn_pod_create h1 node1
kovn_wait 30 annotated h1
chain_cni() {
  kovn_node_exec node1 env CNI_PATH="$KOVN_DIR/node1/bin" \
    CNI_CACHE_DIR="$KOVN_DIR/node1/cache" "$KOVN_CNITOOL" "$1" \
    "$chain/01-kovn.conflist" "/var/run/netns/$(kovn_pod_netns h1)" \
    c-h1-0123456789 default h1
}
out=$(chain_cni add); rc=$?
check "ADD through kovn then tuning (prevResult) succeeds" test $rc = 0
check "...the chain's result still carries h1's address" \
  grep -q "\"$(pod_ip h1)/16\"" <<<"$out"
check "...and tuning acted on kovn's eth0" test \
  "$(in_pod h1 cat /proc/sys/net/ipv4/conf/eth0/log_martians)" = 1
check "CHECK of the chain succeeds" chain_cni check
check "DEL of the chain succeeds" chain_cni del

# ---- rate limits ----
kovn_pod_create q1 node2 '"annotations": {"ovn.kubernetes.io/ingress_rate": "10", "ovn.kubernetes.io/egress_rate": "5"}'
kovn_wait 30 annotated q1
check "ADD q1 with rate annotations succeeds" kovn_cni node2 add q1 >/dev/null
check "egress_rate 5 polices what q1 sends at 5000 kbit/s" test \
  "$(ovs_get node2 interface "$(host_veth q1)" ingress_policing_rate)" = 5000
qos=$(ovs_get node2 port "$(host_veth q1)" qos)
check "ingress_rate 10 shapes what q1 receives (egress-policer, 1.25 MB/s)" \
  test "$(ovs_get node2 qos "$qos" type) $(ovs_get node2 qos "$qos" \
          other_config:cir)" = "egress-policer 1250000"
check "DEL q1 succeeds" kovn_cni node2 del q1
check "...and removes its QoS row (in the next transaction)" kovn_wait 10 \
  sh -c "test -z \"\$($KOVN_NODE_ENV node-exec $KOVN_DIR node2 ovs-vsctl \
         --columns=_uuid find qos external_ids:vendor=kovn)\""

# ---- many at once ----
for i in $(seq 0 19); do kovn_pod_create "m$i" node2; done
for i in $(seq 0 19); do kovn_wait 30 annotated "m$i"; ip netns add \
  "$("$KOVN_NODE_ENV" prefix "$KOVN_DIR")-pm$i" 2>/dev/null; done
check "20 ADDs at concurrency 10 all succeed" "$KOVN_NODE_ENV" node-exec \
  "$KOVN_DIR" node2 env CNI_PATH="$KOVN_DIR/node2/bin" \
  CNI_CACHE_DIR="$KOVN_DIR/node2/cache" "$KOVN_CNITOOL" bench \
  "$KOVN_DIR/node2/net.d/01-kovn.conflist" 20 10 \
  "/var/run/netns/$("$KOVN_NODE_ENV" prefix "$KOVN_DIR")-pm%d" default "m%d"
check "...each with its own port" test "$(ovs_ports node2 | grep -c '^m')" = 20
for i in $(seq 0 19); do echo "m$i"; done |
  xargs -P 10 -I{} "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" node2 env \
    CNI_PATH="$KOVN_DIR/node2/bin" CNI_CACHE_DIR="$KOVN_DIR/node2/cache" \
    "$KOVN_CNITOOL" del "$KOVN_DIR/node2/net.d/01-kovn.conflist" \
    "/var/run/netns/$("$KOVN_NODE_ENV" prefix "$KOVN_DIR")-p{}" {} default {}
check "20 DELs at concurrency 10 remove every port" \
  test "$(ovs_ports node2 | grep -c '^m')" = 0

# ---- restarts during a TCP stream ----
stream_out=$(mktemp)
port=45000
ip netns exec "$(kovn_pod_netns b1)" timeout 60 socat -u \
  "TCP-LISTEN:$port,reuseaddr" "SYSTEM:wc -c >$stream_out" &
srv=$!
kovn_wait 5 ip netns exec "$(kovn_pod_netns b1)" sh -c "ss -Hltn | grep -q :$port"
# 60 chunks of 100 kB, one every 0.1 s: a 6 s stream.
(for _ in $(seq 60); do head -c 100000 /dev/zero; sleep 0.1; done) |
  ip netns exec "$(kovn_pod_netns a1)" timeout 60 socat -u - \
    "TCP:$(pod_ip b1):$port" &
cli=$!
sleep 1
kovn_daemon_kill node1
kovn_daemon_kill node2
sleep 1
kovn_daemon_start node1 --cni-timeout=15
kovn_daemon_start node2 --cni-timeout=15
wait $cli; cli_rc=$?
wait $srv
echo "stream: sender exit $cli_rc, $(tr -d ' \n' <"$stream_out") bytes received"
check "a TCP stream survives both daemons' kill -9 and restart" \
  test "$cli_rc" = 0 -a "$(tr -d ' \n' <"$stream_out")" = 6000000
rm -f "$stream_out"
check "daemons ready again" kovn_daemon_ready node1
kovn_pod_create a3 node1
kovn_wait 30 annotated a3
check "a new pod starts after the restart" kovn_cni node1 add a3 >/dev/null

# ---- a pod deleted while its daemon was down ----
kovn_daemon_kill node1
# No kubelet confirms the deletion here: skip the grace period.
"$KOVN_KUBECTL" delete pod -n default a3 --grace-period=0 --force \
  >/dev/null 2>&1
kovn_wait 30 sh -c "! $KOVN_KUBECTL get pod -n default a3"
kovn_daemon_start node1 --cni-timeout=15
check "its port is removed when the daemon comes back" kovn_wait 30 sh -c \
  "! $KOVN_NODE_ENV node-exec $KOVN_DIR node1 ovs-vsctl list-ports br-int \
     | grep -q '$(host_veth a3)'"
check "...and its veth" sh -c "! $KOVN_NODE_ENV node-exec $KOVN_DIR node1 \
  ip link show '$(host_veth a3)' 2>/dev/null"
check "a1's port is kept" sh -c "$KOVN_NODE_ENV node-exec $KOVN_DIR node1 \
  ovs-vsctl list-ports br-int | grep -q '$(host_veth a1)'"

# ---- clean exit (under AddressSanitizer: no leaks) ----
for n in node1 node2; do
  pid=$(cat "$KOVN_DIR/$n/kovn-daemon.pid")
  kill -TERM "$pid"; wait "$pid"; rc=$?; rm -f "$KOVN_DIR/$n/kovn-daemon.pid"
  check "kovn-daemon on $n exits cleanly on SIGTERM (status $rc)" test $rc = 0
done

kovn_check_summary
