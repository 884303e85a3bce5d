#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Traffic in and out of the cluster end to end (Subnet gateways, Kube-OVN's
# gatewayType, gatewayNode, natOutgoing, natOutgoingPolicyRules, enableEcmp
# and status.activateGateway), on a sandbox of its own with 3 nodes and an
# "external" host outside the cluster (kovn-sandbox.sh external-up:
# namespace PREFIX-ext with 198.51.100.10 and .11, reachable only through
# the underlay namespace, which routes).  On both addresses the external
# host runs a TCP server that answers each connection with the peer address
# it sees, so that a client learns the source address its traffic left the
# cluster with.  Clients run in the pods' network namespaces.  Checks, each
# with its figure:
#   a. ovn-default (distributed, natOutgoing): a pod reaches the external
#      host with its node's underlay address as source;
#   g. from outside: the external host, routing the pod CIDR to node1,
#      reaches a pod on node1 and gets replies (the pod sees the external
#      address); and a pod on node2 (which sees node1's join address:
#      node1 masquerades it in, so that the reply comes back through it);
#   b. a Subnet of its own (10.17.0.0/16, natOutgoing false): the pod's own
#      address (the external host routes 10.17.0.0/16 to node1);
#   c. natOutgoingPolicyRules (natOutgoing true, dstIPs 198.51.100.11/32
#      forward): to .11 the pod's address, to .10 the node's;
#   d. centralized, gatewayNode node2: a pod on node1 leaves with node2's
#      address, status.activateGateway is node2; gatewayNode node2:EGRESS
#      (an address the test adds to node2's underlay interface): the source
#      is EGRESS; an invalid gatewayNode gets an InvalidGateway Event and
#      condition and changes nothing, on the router or the node;
#   e. enableEcmp, gatewayNode node2,node3: connections leave through both,
#      activateGateway lists both;
#   f. failover (last: the node stays dead): active-standby over
#      node2,node3, a client connecting every 100 ms; node2's kovn-daemon,
#      kubelet, ovn-controller, ovs-vswitchd and ovsdb-server killed and its
#      underlay link down (kovn-sandbox.sh kill-node) -> the time until a
#      connection succeeds through node3 (aim: under 5 s,
#      KOVN_GW_FAILOVER_MS), and activateGateway becomes node3.
# Then the sandbox goes down and leaves nothing behind.
#
# Usage: tests/e2e/test-gateway.sh   (as root; meson test --suite e2e)
# (The sandbox, its cleanup and the helpers: e2e-lib.sh; the environment
# is its.  With KOVN_E2E_SANDBOX the sandbox's node2 is dead afterwards.)
set -uo pipefail

export E2E_NAME=gw   # e2e-lib.sh: folders /tmp/kovn-gw.*
# shellcheck source=e2e-lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/e2e-lib.sh"
e2e_up

AGNHOST=k8s.gcr.io/e2e-test-images/agnhost:2.21
D=gw-d                  # a namespace on ovn-default
A=gw-a                  # the namespace of Subnet gw-sub
SUB=gw-sub SUB_CIDR=10.17.0.0/16
EXT1=198.51.100.10 EXT2=198.51.100.11
PORT=7000               # the external host's "who am I talking to" server
FAILOVER_MS=${KOVN_GW_FAILOVER_MS:-5000}
net=$("$KOVN_NODE_ENV" underlay-net "$KOVN_DIR")
EGRESS=$net.200         # node2's extra address for gatewayNode node2:IP
ext=$prefix-ext
n1ip=$(node_ip node1) n2ip=$(node_ip node2) n3ip=$(node_ip node3)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

for ns in $D $A; do
  kubectl create namespace "$ns" >/dev/null
  e2e_at_exit "kubectl delete namespace $ns --wait=false"
done
e2e_at_exit "kubectl delete subnet $SUB --wait=false"

# ---- the external host ----
check "external host $ext ($EXT1, $EXT2) behind the underlay" "$SB" external-up
e2e_at_exit "'$SB' external-down"
ext_pids=()
# shellcheck disable=SC2016
e2e_at_exit 'kill "${ext_pids[@]}"'
for ip in $EXT1 $EXT2; do
  # (ip netns exec execs: $! is socat's own pid.)
  # shellcheck disable=SC2016
  ip netns exec "$ext" socat "TCP-LISTEN:$PORT,bind=$ip,fork,reuseaddr" \
    SYSTEM:'echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
  ext_pids+=("$!")
done
listening() {
  [ "$(ip netns exec "$ext" ss -Hltn "sport = :$PORT" | wc -l)" = 2 ]
}
check "the external host answers on $EXT1:$PORT and $EXT2:$PORT" \
  kovn_wait 10 listening
check "the external host has no default route" \
  sh -c "! ip -n $ext route show default | grep -q ."

# seen NETNS DST: the source address the external host saw for a
# connection from NETNS to DST:PORT (nothing if none got through).
seen() {
  kovn_in_netns "$1" timeout 6 socat -t 3 -T 3 - \
    "TCP:$2:$PORT,connect-timeout=${3:-1}" </dev/null 2>/dev/null
}
# src_is NETNS DST WANT [SECONDS]: three connections in a row from NETNS
# to DST are seen from WANT (tried for SECONDS, default 30: a change is
# waited for through the traffic itself); prints what was seen and when.
src_is() {
  local t0 got row=0 deadline=$((SECONDS + ${4:-30}))
  t0=$(date +%s%N)
  while :; do
    got=$(seen "$1" "$2")
    if [ "$got" = "$3" ]; then
      row=$((row + 1))
      if [ $row = 3 ]; then
        echo "  (-> $2: source $got, 3 in a row after $(ms_since "$t0") ms)"
        return 0
      fi
      continue
    fi
    row=0
    [ $SECONDS -lt $deadline ] || break
    sleep 0.2
  done
  echo "  (-> $2: source ${got:-none (no answer)}, want $3; tried ${4:-30} s)"
  return 1
}
# ---- the pods ----
NETEXEC='"args": ["netexec", "--http-port=8080"],
  "ports": [{"name": "http", "containerPort": 8080}]'
mkpod() {   # NS NAME NODE
  kubectl apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "$2", "namespace": "$1"},
 "spec": {"nodeName": "$3", "terminationGracePeriodSeconds": 1,
          "containers": [{"name": "c", "image": "$AGNHOST",
                          "imagePullPolicy": "Never", $NETEXEC}]}}
EOF
}

# subnet_patch SPEC: merges SPEC (JSON members) into gw-sub's spec and
# waits until kovn has it.
subnet_patch() {
  kubectl patch subnet $SUB --type=merge -p "{\"spec\": {$1}}" >/dev/null &&
    applied subnet "" $SUB subnets
}
active() { kubectl get subnet $SUB -o 'jsonpath={.status.activateGateway}'; }
# active_is NODES: status.activateGateway lists NODES (comma-separated,
# in any order).
active_is() {
  [ "$(active | tr ',' '\n' | sort | xargs)" = "$(tr ',' '\n' <<<"$1" | sort | xargs)" ]
}
# wait_active NODES [SECONDS]: until activateGateway lists NODES; prints
# what it was and when.
wait_active() {
  local t0
  t0=$(date +%s%N)
  if kovn_wait "${2:-30}" active_is "$1"; then
    echo "  (activateGateway \"$(active)\" after $(ms_since "$t0") ms)"
    return 0
  fi
  echo "  (activateGateway \"$(active)\", want $1)"
  return 1
}

kubectl apply -f - >/dev/null <<EOF
{"apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": "$SUB"},
 "spec": {"cidrBlock": "$SUB_CIDR", "namespaces": ["$A"], "natOutgoing": false}}
EOF
check "Subnet $SUB ($SUB_CIDR, namespace $A, natOutgoing false) applied" \
  applied subnet "" $SUB subnets

mkpod $D d1 node1
mkpod $D d2 node2
mkpod $A s1 node1
for p in "$D d1" "$D d2" "$A s1"; do
  # shellcheck disable=SC2086
  check "pod ${p#* } Running" wait_running $p 120
done
d1ip=$(pod_ip $D d1) d2ip=$(pod_ip $D d2) s1ip=$(pod_ip $A s1)
d1ns=$(netns $D d1) d2ns=$(netns $D d2) s1ns=$(netns $A s1)
echo "  (nodes: node1 $n1ip, node2 $n2ip, node3 $n3ip; pods: d1 $d1ip (node1)," \
  "d2 $d2ip (node2), s1 $s1ip (node1, $SUB))"
check "s1's address is in $SUB_CIDR" test "${s1ip%.*.*}" = 10.17

# ---- a. distributed, natOutgoing (ovn-default) ----
check "a. ovn-default: d1 (node1) -> $EXT1 is seen from node1 ($n1ip)" \
  src_is "$d1ns" $EXT1 "$n1ip" 60
check "a. ovn-default: d2 (node2) -> $EXT1 is seen from node2 ($n2ip)" \
  src_is "$d2ns" $EXT1 "$n2ip"

# ---- g. from outside to pods ----
def_cidr=$(kubectl get subnet ovn-default -o 'jsonpath={.spec.cidrBlock}')
check "g. the underlay routes ovn-default's $def_cidr to node1" \
  "$SB" external-route "$def_cidr" node1
# clientip NETNS POD-IP: the peer address the pod's netexec saw.
clientip() {
  kovn_in_netns "$1" curl -sS --max-time 3 "http://$2:8080/clientip" 2>/dev/null
}
# from_outside POD-IP SOURCES: the external host gets an answer from the
# pod, which saw one of SOURCES (IP|IP...) as the client's address.
from_outside() {
  local i a t0
  t0=$(date +%s%N)
  for ((i = 0; i < 10; i++)); do
    a=$(clientip "$ext" "$1")
    if [[ ${a%:*} =~ ^($2)$ ]]; then
      echo "  ($EXT1 -> $1:8080: the pod saw $a; $(ms_since "$t0") ms)"
      return 0
    fi
  done
  echo "  ($EXT1 -> $1:8080: ${a:-no answer} in 10 tries; want $2)"
  return 1
}
check "g. external -> d1 (on node1, the routed node) answers, sees $EXT1" \
  from_outside "$d1ip" "${EXT1//./\\.}"
# A pod on another node answers too, and sees node1's join address: node1
# masquerades what it lets in to another node's pod, so that the reply,
# which leaves through the pod's own node, comes back through node1
# (daemon/node-nat.h).
check "g. external -> d2 (on node2, routed through node1) answers, sees node1's join address" \
  from_outside "$d2ip" "$(join_ip node1 | sed 's/\./\\./g')"

# ---- b. natOutgoing false ----
check "b. the underlay routes $SUB_CIDR to node1 (s1's node)" \
  "$SB" external-route $SUB_CIDR node1
check "b. $SUB natOutgoing false: s1 -> $EXT1 is seen from s1 itself ($s1ip)" \
  src_is "$s1ns" $EXT1 "$s1ip"

# ---- c. natOutgoingPolicyRules ----
check "c. $SUB natOutgoing true, natOutgoingPolicyRules [dstIPs $EXT2/32: forward] applied" \
  subnet_patch "\"natOutgoing\": true, \"natOutgoingPolicyRules\": [
    {\"match\": {\"dstIPs\": \"$EXT2/32\"}, \"action\": \"forward\"}]"
check "c. s1 -> $EXT2 (forward) is seen from s1 ($s1ip)" src_is "$s1ns" $EXT2 "$s1ip"
check "c. s1 -> $EXT1 (nat) is seen from node1 ($n1ip)" src_is "$s1ns" $EXT1 "$n1ip"
check "c. natOutgoingPolicyRules removed" \
  subnet_patch '"natOutgoingPolicyRules": null'
check "c. without the rule s1 -> $EXT2 is seen from node1 ($n1ip)" \
  src_is "$s1ns" $EXT2 "$n1ip"

# ---- d. centralized ----
check "d. $SUB gatewayType centralized, gatewayNode node2 applied" \
  subnet_patch '"gatewayType": "centralized", "gatewayNode": "node2"'
check "d. status.activateGateway is node2" wait_active node2
check "d. centralized: s1 (node1) -> $EXT1 is seen from node2 ($n2ip)" \
  src_is "$s1ns" $EXT1 "$n2ip"
n2ns=$(node_ns node2)
e2e_at_exit "ip -n $n2ns addr del $EGRESS/24 dev br-phy"
check "d. node2 has the egress address $EGRESS on its underlay interface" \
  ip -n "$n2ns" addr add "$EGRESS/24" dev br-phy
check "d. gatewayNode node2:$EGRESS applied" \
  subnet_patch "\"gatewayNode\": \"node2:$EGRESS\""
check "d. egress IP: s1 (node1) -> $EXT1 is seen from $EGRESS" \
  src_is "$s1ns" $EXT1 "$EGRESS"
check "d. status.activateGateway is still node2" wait_active node2
# An invalid gatewayNode: refused with an Event, nothing changes.
kubectl patch subnet $SUB --type=merge \
  -p '{"spec": {"gatewayNode": "node2:300.1.2.3"}}' >/dev/null
invalid_event() {
  kubectl get events -A --field-selector reason=InvalidGateway \
    -o 'jsonpath={.items[*].involvedObject.name}' | grep -qw $SUB
}
check "d. gatewayNode node2:300.1.2.3 gets a Warning Event InvalidGateway" \
  kovn_wait 30 invalid_event
gateway_reason() {
  test "$(kubectl get subnet $SUB -o \
    'jsonpath={.status.conditions[?(@.type=="GatewayReady")].reason}')" = "$1"
}
check "d. ...and condition GatewayReady False, reason InvalidGateway" \
  kovn_wait 30 gateway_reason InvalidGateway
check "d. ...kovn has seen it" applied subnet "" $SUB subnets
check "d. ...and nothing changed: activateGateway node2" active_is node2
check "d. ...and s1 -> $EXT1 is still seen from $EGRESS" \
  src_is "$s1ns" $EXT1 "$EGRESS" 5

# ---- e. ECMP ----
check "e. enableEcmp true, gatewayNode node2,node3 applied" \
  subnet_patch '"enableEcmp": true, "gatewayNode": "node2,node3"'
check "e. status.activateGateway is node2,node3" wait_active node2,node3
# spread N: N connections from s1 to EXT1; the sources seen, counted.
spread() {
  local i a
  for ((i = 0; i < $1; i++)); do
    a=$(seen "$s1ns" $EXT1)
    echo "${a:--}"
  done | sort | uniq -c | awk '{ printf "%s %s\n", $2, $1 }'
}
ecmp_ok() {
  local got
  got=$(spread 40)
  echo "  (40 connections, source: count: $(xargs <<<"$got"))"
  grep -q "^$n2ip " <<<"$got" && grep -q "^$n3ip " <<<"$got" &&
    [ "$(awk '{ print $1 }' <<<"$got" | sort | xargs)" = \
      "$(printf '%s\n' "$n2ip" "$n3ip" | sort | xargs)" ]
}
retry() {   # CMD...: CMD (showing its output), tried again for 30 s
  local deadline=$((SECONDS + 30))
  until "$@"; do [ $SECONDS -lt $deadline ] || return 1; done
}
check "e. ECMP: connections leave through node2 ($n2ip) and node3 ($n3ip), all answered" \
  retry ecmp_ok

# ---- f. failover ----
# node2 dies below.  No kovn-controller may be on it: this measures the
# gateway's failover, not the controller's.  node2 is cordoned while its
# controller pods are replaced elsewhere (a graceful stop hands the Lease
# over at once).
controller_off_node2() {
  local pods
  kubectl cordon node2 >/dev/null || return 1
  pods=$(kubectl -n kube-system get pods -l app=kovn-controller \
           --field-selector spec.nodeName=node2 -o name) || return 1
  if [ -n "$pods" ]; then
    # (kubectl delete returns when they are gone.)
    kubectl -n kube-system delete $pods >/dev/null &&
      kubectl -n kube-system rollout status deployment/kovn-controller \
        --timeout=120s >/dev/null || return 1
  fi
  kubectl uncordon node2 >/dev/null
}
if [ "$INSTALLED" = 1 ]; then
  check "f. no kovn-controller on node2 (cordoned while they move)" \
    controller_off_node2
fi
check "f. active-standby (enableEcmp false), gatewayNode node2,node3 applied" \
  subnet_patch '"enableEcmp": false'
check "f. status.activateGateway is node2 (the first live one)" wait_active node2
check "f. s1 -> $EXT1 is seen from node2 ($n2ip)" src_is "$s1ns" $EXT1 "$n2ip"
# The client: a connection every 100 ms, each on its own (1 s to connect):
# "START END SOURCE" per connection, in ms (SOURCE "-": no answer).
now_ms() { echo $(($(date +%s%N) / 1000000)); }
fo_log=$LOGS/failover.txt
: >"$fo_log"
(
  while :; do
    (t=$(now_ms); a=$(seen "$s1ns" $EXT1)
     echo "$t $(now_ms) ${a:--}" >>"$fo_log") &
    sleep 0.1
  done
) &
fo_pid=$!
e2e_at_exit "kill $fo_pid"
# through NODE-IP [AFTER]: some connection that ended after AFTER (ms) went
# through NODE-IP.
through() {
  awk -v ip="$1" -v after="${2:-0}" '$3 == ip && $2 > after { f = 1 }
    END { exit !f }' "$fo_log"
}
check "f. the client's connections go through node2" kovn_wait 10 through "$n2ip"
t0=$(now_ms)
killed() { t_kill=$("$SB" kill-node node2) && [ -n "$t_kill" ]; }
check "f. node2 killed (kovn-daemon, kubelet, OVS, ovn-controller; link down)" \
  killed
t_kill=${t_kill:-$t0}
echo "  (SIGKILL $((t_kill - t0)) ms after kill-node started; it returned" \
  "after $(($(now_ms) - t0)) ms)"
check "f. connections resume through node3 ($n3ip)" \
  kovn_wait 60 through "$n3ip" "$t_kill"
check "f. status.activateGateway becomes node3" wait_active node3 30
# first IP: when the first connection through IP ended (0: none); last IP:
# when the last one did.
first() {
  awk -v ip="$1" '$3 == ip && (!m || $2 < m) { m = $2 }
    END { printf "%.0f\n", m }' "$fo_log"
}
# The client goes on until three connections that started after the first
# one through node3 ended have ended too: the check below needs some.
later_ones() {
  awk -v r="$(first "$n3ip")" 'r > 0 && $1 > r { n++ } END { exit n < 3 }' \
    "$fo_log"
}
kovn_wait 10 later_ones
kill "$fo_pid" 2>/dev/null
wait "$fo_pid" 2>/dev/null
last() {
  awk -v ip="$1" '$3 == ip && $2 > m { m = $2 } END { printf "%.0f\n", m }' \
    "$fo_log"
}
rel() { if [ "$1" -gt 0 ]; then echo "$(($1 - t_kill)) ms"; else echo never; fi; }
resumed=$(first "$n3ip") last2=$(last "$n2ip")
lost=$(awk -v k="$t_kill" -v r="$resumed" '$1 >= k && (!r || $2 <= r) && $3 == "-"' \
  "$fo_log" | wc -l)
after=$(awk -v r="$resumed" 'r && $1 > r { print $3 }' "$fo_log" |
  sort | uniq -c | xargs)
echo "  (failover, from the kill: last connection through node2 ended at" \
  "$(rel "$last2"), first through node3 at $(rel "$resumed"); $lost failed" \
  "after the kill before that; $(wc -l <"$fo_log") connections in all;" \
  "started after it: ${after:-none})"
check "f. traffic resumed through node3 within $FAILOVER_MS ms of the kill (took $(rel "$resumed"))" \
  test "$resumed" -gt 0 -a $((resumed - t_kill)) -lt "$FAILOVER_MS"
check "f. every connection started after that went through node3" \
  test -n "$after" -a -z "$(awk -v r="$resumed" -v ip="$n3ip" \
    '$1 > r && $3 != ip' "$fo_log")"

# ---- teardown ----
e2e_down
