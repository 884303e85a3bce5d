#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# kovn-daemon's nftables table (daemon/node-services.c) on real packets.
# nft-driver runs the daemon's own module inside a network namespace "node"
# from synthetic Services, EndpointSlices and a Subnet; three namespaces
# stand around it:
#
#   client 198.51.100.2/24 --- eth1 198.51.100.1  node  ovn0 100.64.0.2/16
#                                                  |
#                        "ovn": j0 100.64.0.1/16, on lo: the ClusterIP
#                        10.96.0.10 and pods 10.16.0.5, 10.16.0.6 (what
#                        OVN's load balancer and pods would answer); its
#                        default route goes back to the node (what the
#                        distributed gateway's reroute does)
#
# The node's own 198.51.100.1:8080 stands for a hostNetwork endpoint on
# this node, the client's 198.51.100.2:8080 for one on node2.
#
# Listeners print the address they see the connection come from.  Checks:
# NodePort with externalTrafficPolicy Cluster (DNAT to the ClusterIP,
# masqueraded) from outside and from the node itself, an externalIP, Local
# (DNAT to a pod on this node, the client's address kept; dropped with no
# local endpoint; random among two), the gateway masquerade of pod traffic
# leaving the node (and, Subnet by Subnet, natOutgoing, its policy rules and
# a centralized gateway's egress address, each a change of a few commands), a nodePort collision, that an update changes map
# elements and nothing else (handles), the node reaching a ClusterIP whose
# backend is its own hostNetwork endpoint (DNATed in its output, not
# through OVN) while pod backends alone leave it to OVN, that a restart's
# resync writes
# nothing when nothing changed, and that it removes what is stale.
#
# Traffic goes only between these namespaces.  Needs root.
# Environment: KOVN_NFT_DRIVER (the driver binary).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=kovn-lib.sh
. "$here/kovn-lib.sh"    # check, kovn_check_summary, wait_for

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
DRIVER=${KOVN_NFT_DRIVER:?KOVN_NFT_DRIVER: the nft-driver binary}
T=$(mktemp -d /tmp/kovn-nft.XXXXXX)
P=kxn$$
NODE=$P-node CLIENT=$P-client OVN=$P-ovn
DRV_PID=

cleanup() {
  trap - EXIT INT TERM
  drv_stop
  local ns pid
  for ns in $NODE $CLIENT $OVN; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  done
  for ns in $NODE $CLIENT $OVN; do ip netns del "$ns" 2>/dev/null; done
  if [ "$failed" != 0 ] || [ -n "${KOVN_TEST_VERBOSE:-}" ]; then
    echo "--- driver log"; tail -n 40 "$T/driver.log" 2>/dev/null
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---- the driver: commands on its stdin, answers ending in "ok"/"error" ----
# (Plain file descriptors 7 and 8 on FIFOs, not a coproc's: those are closed
# in subshells such as the left side of a pipe.)
drv_start() {
  rm -f "$T/drv.in" "$T/drv.out"
  mkfifo "$T/drv.in" "$T/drv.out"
  ip netns exec "$NODE" "$DRIVER" node1 10.96.0.0/12 \
    <"$T/drv.in" >"$T/drv.out" 2>>"$T/driver.log" &
  DRV_PID=$!
  exec 7>"$T/drv.in" 8<"$T/drv.out"
}
drv_stop() {
  [ -n "${DRV_PID:-}" ] || return 0
  { echo quit >&7; } 2>/dev/null
  exec 7>&- 8<&-
  wait "$DRV_PID" 2>/dev/null
  DRV_PID=
}
# drv CMD...: prints the answer; fails on "error" or no answer.
drv() {
  local line
  echo "$*" >&7 || return 1
  while IFS= read -r -t 20 line <&8; do
    echo "$line"
    case $line in ok*) return 0 ;; error*) return 1 ;; esac
  done
  return 1
}
put() { drv put "$T/$1.json" >/dev/null; }
stat_of() {   # KEY "ok txns=.. ...": the value of KEY
  local kv
  for kv in $2; do [ "${kv%%=*}" = "$1" ] && echo "${kv#*=}"; done
}
# The table with handles, without the map elements' lines, sorted: what an
# update of elements must leave as it was.
handles() { drv list | grep -o '^[[:space:]]*\(chain\|map\|table\) .*# handle [0-9]*' | sort; }
rule_handles() { drv list | grep -o '# handle [0-9]*$' | sort; }

# ---- objects ----
service() {   # NAME POLICY NODEPORT CLUSTERIP [EXTERNALIP]
  local ext=""
  [ -n "${5:-}" ] && ext=",\"externalIPs\":[\"$5\"]"
  cat >"$T/svc-$1.json" <<EOF
{"apiVersion":"v1","kind":"Service","metadata":{"namespace":"default","name":"$1","resourceVersion":"$RANDOM"},
 "spec":{"type":"NodePort","clusterIP":"$4","clusterIPs":["$4"],"externalTrafficPolicy":"$2"$ext,
  "ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":$3}]}}
EOF
}
slice() {   # SERVICE NAME IP@NODE...
  local svc=$1 name=$2 eps="" sep="" e; shift 2
  for e in "$@"; do
    eps="$eps$sep{\"addresses\":[\"${e%@*}\"],\"conditions\":{\"ready\":true},\"nodeName\":\"${e#*@}\"}"
    sep=,
  done
  cat >"$T/eps-$name.json" <<EOF
{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"namespace":"default","name":"$name","resourceVersion":"$RANDOM","labels":{"kubernetes.io/service-name":"$svc"}},
 "addressType":"IPv4","ports":[{"name":"http","protocol":"TCP","port":8080}],"endpoints":[$eps]}
EOF
}
pod() {   # NAME IP: a pod of this node
  cat >"$T/pod-$1.json" <<EOF
{"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"default","name":"$1","resourceVersion":"$RANDOM",
 "annotations":{"ovn.kubernetes.io/allocated":"true","ovn.kubernetes.io/ip_address":"$2",
  "ovn.kubernetes.io/mac_address":"0a:58:0a:10:00:05","ovn.kubernetes.io/cidr":"10.16.0.0/16",
  "ovn.kubernetes.io/gateway":"10.16.0.1"}}}
EOF
}
pod pod5 10.16.0.5
pod pod6 10.16.0.6
cat >"$T/subnet.json" <<EOF
{"apiVersion":"kubeovn.io/v1","kind":"Subnet","metadata":{"name":"ovn-default","resourceVersion":"1"},"spec":{"cidrBlock":"10.16.0.0/16","vpc":"ovn-cluster","natOutgoing":true}}
EOF

# ---- namespaces ----
set -e
for ns in $NODE $CLIENT $OVN; do ip netns add "$ns"; in_ns "$ns" ip link set lo up; done
ip link add eth1 netns "$NODE" type veth peer name c0 netns "$CLIENT"
ip link add ovn0 netns "$NODE" type veth peer name j0 netns "$OVN"
in_ns "$NODE" ip addr add 198.51.100.1/24 dev eth1
in_ns "$NODE" ip addr add 100.64.0.2/16 dev ovn0
in_ns "$NODE" ip link set eth1 up
in_ns "$NODE" ip link set ovn0 up
in_ns "$NODE" ip route add 10.16.0.0/16 via 100.64.0.1 dev ovn0
in_ns "$NODE" ip route add 10.96.0.0/12 via 100.64.0.1 dev ovn0
in_ns "$CLIENT" ip addr add 198.51.100.2/24 dev c0
in_ns "$CLIENT" ip link set c0 up
in_ns "$CLIENT" ip route add default via 198.51.100.1
in_ns "$OVN" ip addr add 100.64.0.1/16 dev j0
in_ns "$OVN" ip link set j0 up
for a in 10.96.0.10 10.16.0.5 10.16.0.6; do in_ns "$OVN" ip addr add $a/32 dev lo; done
in_ns "$OVN" ip route add default via 100.64.0.2
set +e

listen() {   # NS IP PORT NAME
  in_ns "$1" socat "TCP-LISTEN:$3,bind=$2,fork,reuseaddr" \
    SYSTEM:"echo $4 \$SOCAT_PEERADDR" 2>/dev/null &
}
listen "$OVN" 10.96.0.10 80 cluster-ip
listen "$OVN" 10.16.0.5 8080 pod5
listen "$OVN" 10.16.0.6 8080 pod6
listen "$CLIENT" 198.51.100.2 9000 client
listen "$NODE" 198.51.100.1 8080 hostnet
listen "$CLIENT" 198.51.100.2 8080 node2
# connect NS IP PORT [BIND]: what the listener answers.
connect() {
  local bind=${4:+,bind=$4}
  in_ns "$1" socat -T 2 - "TCP:$2:$3,connect-timeout=2$bind" </dev/null 2>/dev/null
}
answers() {   # WANT NS IP PORT [BIND]
  local got; got=$(connect "${@:2}")
  [ "$got" = "$1" ] || { echo "  got \"$got\", want \"$1\""; return 1; }
}
refused() { [ -z "$(connect "$@")" ]; }
listening() { in_ns "$OVN" ss -ltn | grep -q 10.16.0.6:8080 &&
  in_ns "$CLIENT" ss -ltn | grep -q 198.51.100.2:9000 &&
  in_ns "$CLIENT" ss -ltn | grep -q 198.51.100.2:8080 &&
  in_ns "$NODE" ss -ltn | grep -q 198.51.100.1:8080; }
wait_for 10 listening || echo "listeners slow to start"

# ---- the table, first start ----
service web Cluster 30080 10.96.0.10 203.0.113.10
service loc Local 30081 10.96.0.11
service old Cluster 30082 10.96.0.12
slice loc loc-a 10.16.0.5@node1 10.16.0.9@node2
drv_start
put subnet; put pod-pod5; put pod-pod6
put svc-web; put svc-loc; put svc-old; put eps-loc-a
out=$(drv sync)
check "first sync creates the table in one transaction" \
  test "$(stat_of txns "$out") $(stat_of replaces "$out")" = "1 1"
check "three Services, eight map elements (a port's verdict and its one target, per nodePort and externalIP), no chain of their own" \
  test "$(stat_of services "$out") $(stat_of elems "$out") $(drv list | grep -c 'chain svc/')" = "3 8 0"
check "IP forwarding on in the node" \
  test "$(in_ns "$NODE" cat /proc/sys/net/ipv4/ip_forward)" = 1

check "NodePort, Cluster: to the ClusterIP, masqueraded to ovn0's address" \
  answers "cluster-ip 100.64.0.2" "$CLIENT" 198.51.100.1 30080
check "NodePort, Cluster, from the node itself" \
  answers "cluster-ip 100.64.0.2" "$NODE" 198.51.100.1 30080
check "externalIP: to the ClusterIP" \
  answers "cluster-ip 100.64.0.2" "$CLIENT" 203.0.113.10 80
check "NodePort, Local: to this node's endpoint, the client's address kept" \
  answers "pod5 198.51.100.2" "$CLIENT" 198.51.100.1 30081
check "gateway: a pod's traffic leaving the node is masqueraded" \
  answers "client 198.51.100.1" "$OVN" 198.51.100.2 9000 10.16.0.5
check "...but not the node's own join address" \
  answers "client 100.64.0.1" "$OVN" 198.51.100.2 9000 100.64.0.1
check "a port that is no nodePort is left alone" refused "$CLIENT" 198.51.100.1 30099

# ---- updates by element ----
before=$(handles)
before_rules=$(rule_handles)
check "the listing has the table's chains and maps" \
  test "$(echo "$before" | wc -l)" -ge 10
slice loc loc-a 10.16.0.9@node2
put eps-loc-a
out0=$out
out=$(drv sync)
check "an endpoint change is one transaction of one command (its target's element deleted)" \
  test "$(($(stat_of txns "$out") - $(stat_of txns "$out0"))) $(($(stat_of commands "$out") - $(stat_of commands "$out0")))" = "1 1"
check "...that leaves every chain and map where it was" test "$before" = "$(handles)"
check "...and every rule" test "$before_rules" = "$(rule_handles)"
check "Local without a local endpoint: dropped" refused "$CLIENT" 198.51.100.1 30081

slice loc loc-a 10.16.0.5@node1 10.16.0.6@node1 10.16.0.9@node2
put eps-loc-a
drv sync >/dev/null
seen=$(for i in $(seq 24); do connect "$CLIENT" 198.51.100.1 30081; done | sort -u | tr '\n' ' ')
check "Local with two local endpoints: both serve, the client's address kept" \
  test "$seen" = "pod5 198.51.100.2 pod6 198.51.100.2 "

out0=$(drv sync)
service web Cluster 30080 10.96.0.10 203.0.113.20
put svc-web
out=$(drv sync)
check "an externalIP change: one transaction, elements only (delete, add; verdict and target)" \
  test "$(($(stat_of txns "$out") - $(stat_of txns "$out0"))) $(($(stat_of commands "$out") - $(stat_of commands "$out0")))" = "1 4"
check "the new externalIP serves" \
  answers "cluster-ip 100.64.0.2" "$CLIENT" 203.0.113.20 80
check "the old one does not" refused "$CLIENT" 203.0.113.10 80

# A nodePort collision: the first Service keeps it, the other is logged.
service dup Cluster 30080 10.96.0.13
put svc-dup
drv sync >/dev/null
check "a colliding nodePort is logged" grep -q "tcp . 30080 is already default/web's" "$T/driver.log"
check "...and the first Service keeps it" \
  answers "cluster-ip 100.64.0.2" "$CLIENT" 198.51.100.1 30080
drv del service default/dup >/dev/null
drv sync >/dev/null

# ---- the node to a ClusterIP with a hostNetwork endpoint on the node ----
before=$(handles)
out0=$(drv sync)
slice web web-a 198.51.100.1@node1
put eps-web-a
out=$(drv sync)
check "a hostNetwork endpoint here: one transaction of elements only (the ClusterIP's verdict and target; the nodePort's and externalIP's targets, deleted and added)" \
  test "$(($(stat_of txns "$out") - $(stat_of txns "$out0"))) $(($(stat_of commands "$out") - $(stat_of commands "$out0")))" = "1 5"
check "the node reaches the ClusterIP's only backend, its own hostNetwork endpoint" \
  test "$(connect "$NODE" 10.96.0.10 80 | cut -d' ' -f1)" = hostnet
check "...and its nodePort from outside reaches it too (not through OVN)" \
  test "$(connect "$CLIENT" 198.51.100.1 30080 | cut -d' ' -f1)" = hostnet

slice web web-a 198.51.100.1@node1 198.51.100.2@node2 10.16.0.6@node2
put eps-web-a
drv sync >/dev/null
seen=$(for i in $(seq 30); do connect "$NODE" 10.96.0.10 80; done |
  sed 's/^hostnet .*/hostnet/' | sort -u | tr '\n' ' ')
check "...at random among all backends: remote ones masqueraded" \
  test "$seen" = "hostnet node2 198.51.100.1 pod6 100.64.0.2 "

out0=$(drv sync)
slice web web-a 10.16.0.5@node1 10.16.0.6@node2
put eps-web-a
out=$(drv sync)
check "pod backends only (one here): the two chains and the ClusterIP's element gone, targets back to the ClusterIP (11 commands)" \
  test "$(($(stat_of commands "$out") - $(stat_of commands "$out0")))" = 11
check "...the table as it was, handle for handle" test "$before" = "$(handles)"
check "...and the node's ClusterIP traffic goes to OVN unchanged" \
  answers "cluster-ip 100.64.0.2" "$NODE" 10.96.0.10 80
drv del slice default/web-a >/dev/null
drv sync >/dev/null

# ---- restart: the resync writes nothing when nothing changed ----
before=$(drv list)
drv_stop
drv_start
put subnet; put pod-pod5; put pod-pod6
put svc-web; put svc-loc; put svc-old; put eps-loc-a
out=$(drv sync)
check "a restart's resync writes nothing" \
  test "$(stat_of txns "$out") $(stat_of commands "$out")" = "0 0"
check "...and the table is the same, handle for handle" test "$before" = "$(drv list)"
check "the log says so" grep -q "already right" "$T/driver.log"

# ---- restart without a Service: stale content goes ----
drv_stop
drv_start
put subnet; put pod-pod5; put pod-pod6
put svc-web; put svc-loc; put eps-loc-a
before=$(handles)
out=$(drv sync)
check "a resync removes a gone Service's elements, no replace" \
  test "$(stat_of replaces "$out") $(stat_of commands "$out")" = "0 2"
check "...and nothing else" test "$before" = "$(handles)"
check "...its nodePort no longer answers" refused "$CLIENT" 198.51.100.1 30082
local_serves() {
  case $(connect "$CLIENT" 198.51.100.1 30081) in
    "pod5 198.51.100.2" | "pod6 198.51.100.2") ;;
    *) return 1 ;;
  esac
}
check "the others still do" local_serves

# ---- the gateway NAT, Subnet by Subnet (daemon/node-nat.h) ----
subnet() {   # NAME CIDR [SPEC MEMBERS]
  cat >"$T/subnet-$1.json" <<EOF
{"apiVersion":"kubeovn.io/v1","kind":"Subnet","metadata":{"name":"$1","resourceVersion":"$RANDOM"},"spec":{"cidrBlock":"$2","vpc":"ovn-cluster"${3:-}}}
EOF
}
# commands_for SUBNET-FILE: put it, sync, print the commands it took.
commands_for() {
  local before after
  before=$(stat_of commands "$(drv sync)")
  put "$1"
  after=$(stat_of commands "$(drv sync)")
  echo $((after - before))
}
in_ns "$OVN" ip addr add 10.17.0.5/32 dev lo
in_ns "$NODE" ip route add 10.17.0.0/16 via 100.64.0.1 dev ovn0
in_ns "$NODE" ip addr add 198.51.100.9/24 dev eth1
in_ns "$CLIENT" ip addr add 198.51.100.3/24 dev c0
listen "$CLIENT" 198.51.100.3 9000 client3
wait_for 10 eval 'in_ns "$CLIENT" ss -ltn | grep -q 198.51.100.3:9000' ||
  echo "listener slow to start"

subnet s2 10.17.0.0/16
check "a Subnet without natOutgoing: one command (its CIDR in @cluster4)" \
  test "$(commands_for subnet-s2)" = 1
check "...its pods' address is kept" \
  answers "client 10.17.0.5" "$OVN" 198.51.100.2 9000 10.17.0.5
subnet s2 10.17.0.0/16 ',"natOutgoing":true'
check "natOutgoing on: one command (its CIDR in @nat_src4)" \
  test "$(commands_for subnet-s2)" = 1
check "...its pods' traffic is masqueraded" \
  answers "client 198.51.100.1" "$OVN" 198.51.100.2 9000 10.17.0.5
subnet s2 10.17.0.0/16 ',"natOutgoing":true,"natOutgoingPolicyRules":[{"match":{"dstIPs":"198.51.100.3"},"action":"forward"},{"match":{"srcIPs":"10.17.0.0/24"},"action":"nat"}]'
check "policy rules: its chain, two rules and its @nat_rules4 element (4 commands)" \
  test "$(commands_for subnet-s2)" = 4
check "...a \"forward\" destination sees the pod's address" \
  answers "client3 10.17.0.5" "$OVN" 198.51.100.3 9000 10.17.0.5
check "...others the node's" \
  answers "client 198.51.100.1" "$OVN" 198.51.100.2 9000 10.17.0.5
subnet s2 10.17.0.0/16 ',"natOutgoing":true,"gatewayType":"centralized","gatewayNode":"node2,node1:198.51.100.9"'
check "centralized with an egress address on this node: the chain goes, one @egress4 element (4 commands)" \
  test "$(commands_for subnet-s2)" = 4
check "...SNATed to it" \
  answers "client 198.51.100.9" "$OVN" 198.51.100.2 9000 10.17.0.5
subnet s2 10.17.0.0/16 ',"natOutgoing":true,"gatewayType":"centralized","gatewayNode":"node2,node1:300.1.2.3"'
check "its settings refused: the node keeps the last valid ones (no command)" \
  test "$(commands_for subnet-s2)" = 0
check "...still SNATed to the egress address" \
  answers "client 198.51.100.9" "$OVN" 198.51.100.2 9000 10.17.0.5
subnet s3 10.18.0.0/16 ',"natOutgoing":true,"gatewayType":"sideways"'
check "a Subnet whose gateway settings are refused: only its CIDR in @cluster4" \
  test "$(commands_for subnet-s3)" = 1
check "...and the others are served" \
  answers "client 198.51.100.9" "$OVN" 198.51.100.2 9000 10.17.0.5
drv del subnet s2 >/dev/null
drv del subnet s3 >/dev/null
drv sync >/dev/null
check "deleted: no element and no chain of theirs is left" \
  eval '! drv list | grep -q "10\.1[78]\.\|natpol"'
check "...and the default Subnet is still masqueraded" \
  answers "client 198.51.100.1" "$OVN" 198.51.100.2 9000 10.16.0.5

# ---- from outside to pods: replies come back the way the request went ----
in_ns "$OVN" ip addr add 10.16.0.7/32 dev lo
listen "$OVN" 10.16.0.7 8080 pod7
wait_for 10 eval 'in_ns "$OVN" ss -ltn | grep -q 10.16.0.7:8080' ||
  echo "listener slow to start"
check "outside -> a pod of another node: masqueraded to ovn0's address" \
  answers "pod7 100.64.0.2" "$CLIENT" 10.16.0.7 8080
check "outside -> a pod of this node: the client's address kept" \
  answers "pod5 198.51.100.2" "$CLIENT" 10.16.0.5 8080
check "the node itself -> a pod: its own address kept" \
  answers "pod7 198.51.100.1" "$NODE" 10.16.0.7 8080 198.51.100.1
before=$(stat_of commands "$(drv sync)")
drv del pod default/pod5 >/dev/null
after=$(stat_of commands "$(drv sync)")
check "a pod of this node gone: one command (its @local_pods4 element)" \
  test $((after - before)) = 1
check "...then it is another node's to this one: masqueraded" \
  answers "pod5 100.64.0.2" "$CLIENT" 10.16.0.5 8080

drv_stop
kovn_check_summary
