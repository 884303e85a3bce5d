#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# NetworkPolicy and Subnet isolation end to end, with real TCP and UDP
# between pods of a sandbox of its own.  Servers are agnhost: porter
# answers GET / on port P with $SERVE_PORT_P, netexec answers the UDP
# command "hostname" with its name.  Each policy change is waited for with
# kovn/sync on the policy (the controller has written it to NB) and
# `ovn-nbctl --wait=hv sync` (every chassis has the flows).  Checks:
#   1. no policy: everything reaches everything;
#   2. default deny ingress: TCP and UDP blocked, the node (kubelet probes)
#      still reaches the pod, the pod's own outgoing traffic and its
#      replies still pass;
#   3. podSelector on one TCP port: only selected clients, only that port;
#      a relabelled pod gains and loses access;
#   4. namespaceSelector: a relabelled namespace gains and loses access;
#   5. a named port resolves per pod (the same name, another number on
#      each server; the other number stays closed);
#      (endPort is not in the 1.20 API the sandbox runs: the API drops
#      it, so it is checked by tests/unit/test-netpol.c only);
#   6. ipBlock with except (egress);
#   7. egress allowed to backends allows their Service's ClusterIP;
#   8. UDP allowed, TCP not;
#   9. two policies on one pod are a union;
#  10. logging annotations: ACLs logged through a meter;
#  11. a deleted policy stops applying, and its NB rows go;
#  12. Subnet private with allowSubnets; a bad spec.acls entry is refused
#      with a condition and an Event, and the switch keeps its ACLs.
# Then the sandbox goes down and leaves nothing behind.
#
# Usage: tests/e2e/test-netpol.sh   (as root; meson test --suite e2e)
set -uo pipefail

export E2E_NAME=np   # e2e-lib.sh: folders /tmp/kovn-np.*
# shellcheck source=e2e-lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/e2e-lib.sh"
e2e_up

AGNHOST=k8s.gcr.io/e2e-test-images/agnhost:2.21
A=np-a B=np-b
for ns in $A $B; do
  kubectl create namespace "$ns" >/dev/null
  e2e_at_exit "kubectl delete namespace $ns --wait=false"
done
kubectl label namespace $A team=a >/dev/null
kubectl label namespace $B team=b >/dev/null

# ---- the pods ----

# porter ports: "8080=text 8090=text" -> env and ports JSON members; the
# first port is named "http", the others "pPORT".
porter() {
  local env='' ports='' p name=http
  for p in $1; do
    env+="${env:+, }{\"name\": \"SERVE_PORT_${p%%=*}\", \"value\": \"${p#*=}\"}"
    ports+="${ports:+, }{\"name\": \"$name\", \"containerPort\": ${p%%=*}}"
    name=p${p%%=*}
  done
  echo "\"args\": [\"porter\"], \"env\": [$env], \"ports\": [$ports]"
}
NETEXEC='"args": ["netexec", "--http-port=8080", "--udp-port=8081"],
  "ports": [{"name": "http", "containerPort": 8080},
            {"name": "udp", "containerPort": 8081, "protocol": "UDP"}]'

# mkpod NS NAME NODE LABELS CONTAINER: one agnhost container.
mkpod() {
  kubectl apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "$2", "namespace": "$1", "labels": $4},
 "spec": {"nodeName": "$3", "terminationGracePeriodSeconds": 1,
          "containers": [{"name": "c", "image": "$AGNHOST",
                          "imagePullPolicy": "Never", $5}]}}
EOF
}

# srv: "http" is 8080, 8090 is open too; srv2: "http" is 8090, 8080 open.
mkpod $A srv node1 '{"app": "srv"}' "$(porter "8080=srv-8080 8090=srv-8090 8085=srv-8085")"
mkpod $A srv2 node2 '{"app": "srv"}' "$(porter "8090=srv2-8090 8080=srv2-8080")"
mkpod $A u node3 '{"app": "udp"}' "$NETEXEC"
mkpod $A cla node2 '{"role": "client"}' "$NETEXEC"
mkpod $A other node3 '{"role": "other"}' "$NETEXEC"
mkpod $B clb node1 '{"role": "client"}' "$NETEXEC"

declare -A ns_of=([srv]=$A [srv2]=$A [u]=$A [cla]=$A [other]=$A [clb]=$B)
for p in "${!ns_of[@]}"; do
  check "pod $p Running" wait_running "${ns_of[$p]}" "$p" 120
done
declare -A ip netns_of
for p in "${!ns_of[@]}"; do
  ip[$p]=$(pod_ip "${ns_of[$p]}" "$p")
  netns_of[$p]=$(netns "${ns_of[$p]}" "$p")
done

kubectl apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Service",
 "metadata": {"name": "srv", "namespace": "$A"},
 "spec": {"selector": {"app": "srv"},
          "ports": [{"port": 80, "targetPort": 8080}]}}
EOF

# ---- traffic ----

# get FROM URL: the body FROM's pod gets (2 s at most).
get() {
  kovn_in_netns "${netns_of[$1]}" curl -sS --max-time 2 "$2" 2>/dev/null
}
# tcp_ok FROM TO PORT: FROM reaches TO's port with TO's answer; tried a
# few times (a new pod's flows, a busy machine).
tcp_ok() {
  local i
  for ((i = 0; i < 5; i++)); do
    [ -n "$(get "$1" "http://${ip[$2]}:$3/")" ] && return 0
  done
  return 1
}
# tcp_blocked FROM TO PORT: three connections in a row fail.
tcp_blocked() {
  local i
  for ((i = 0; i < 3; i++)); do
    [ -z "$(get "$1" "http://${ip[$2]}:$3/")" ] || return 1
  done
}
# udp FROM TO: the answer of TO's netexec to the UDP command "hostname".
udp() {
  echo hostname | kovn_in_netns "${netns_of[$1]}" nc -u -w1 "${ip[$2]}" 8081 \
    2>/dev/null
}
udp_ok() {
  local i
  for ((i = 0; i < 5; i++)); do [ "$(udp "$1" "$2")" = "$2" ] && return 0; done
  return 1
}
udp_blocked() {
  local i
  for ((i = 0; i < 3; i++)); do [ -z "$(udp "$1" "$2")" ] || return 1; done
}
# node_ok NODE TO PORT: NODE's own network namespace reaches TO.
node_ok() {
  [ -n "$(kovn_in_netns "$(node_ns "$1")" curl -sS --max-time 2 \
          "http://${ip[$2]}:$3/" 2>/dev/null)" ]
}

# ---- policies ----

# policy NS NAME SPEC [ANNOTATIONS]: creates or replaces it, and waits.
policy() {
  kubectl apply -f - >/dev/null <<EOF
{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
 "metadata": {"name": "$2", "namespace": "$1", "annotations": {${4:-}}},
 "spec": {$3}}
EOF
  applied networkpolicy "$1" "$2" networkpolicies
}
unpolicy() {
  kubectl delete networkpolicy -n "$1" "$2" >/dev/null &&
    ksync networkpolicies "$1/$2" gone 2>/dev/null
  nbctl --timeout=30 --wait=hv sync
}
# relabel_pod NS NAME LABEL=VALUE, relabel_ns NAME LABEL=VALUE: relabels
# it and waits for kovn.
relabel_pod() {
  kubectl label pod -n "$1" "$2" "$3" --overwrite >/dev/null &&
    applied pod "$1" "$2" pods
}
relabel_ns() {
  kubectl label namespace "$1" "$2" --overwrite >/dev/null &&
    applied namespace "" "$1" namespaces
}

# ---- 1. no policy ----
check "no policy: cla -> srv:8080 (TCP)" tcp_ok cla srv 8080
check "no policy: clb (other namespace) -> srv:8090" tcp_ok clb srv 8090
check "no policy: other -> u (UDP)" udp_ok other u

# ---- 2. default deny ingress ----
check "policy deny-in (srv, u: no ingress rule) applied" \
  policy $A deny-in '"podSelector": {"matchExpressions": [{"key": "app",
    "operator": "In", "values": ["srv", "udp"]}]}, "policyTypes": ["Ingress"]'
check "deny-in: cla -> srv:8080 blocked" tcp_blocked cla srv 8080
check "deny-in: clb -> srv2:8090 blocked" tcp_blocked clb srv2 8090
check "deny-in: other -> u blocked (UDP)" udp_blocked other u
check "deny-in: node1 (kubelet probes) -> srv:8080 still passes" node_ok node1 srv 8080
check "deny-in: node3 -> srv2:8090 still passes" node_ok node3 srv2 8090
check "deny-in: srv's own outgoing connection to cla passes (and its replies)" \
  tcp_ok srv cla 8080

# ---- 3. podSelector, one TCP port ----
check "policy from-clients (role=client in its namespace, TCP 8080) applied" \
  policy $A from-clients '"podSelector": {"matchLabels": {"app": "srv"}},
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}}}],
                 "ports": [{"protocol": "TCP", "port": 8080}]}]'
check "from-clients: cla -> srv:8080" tcp_ok cla srv 8080
check "from-clients: cla -> srv:8090 blocked (port)" tcp_blocked cla srv 8090
check "from-clients: other -> srv:8080 blocked (labels)" tcp_blocked other srv 8080
check "from-clients: clb -> srv:8080 blocked (namespace)" tcp_blocked clb srv 8080
check "pod other relabelled role=client" relabel_pod $A other role=client
check "from-clients: other (now a client) -> srv2:8080" tcp_ok other srv2 8080
check "pod other relabelled role=other" relabel_pod $A other role=other
check "from-clients: other (no longer) -> srv2:8080 blocked" tcp_blocked other srv2 8080

# ---- 4. namespaceSelector ----
check "policy from-team-b (namespaces team=b, any pod) applied" \
  policy $A from-team-b '"podSelector": {"matchLabels": {"app": "srv"}},
    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]'
check "from-team-b: clb -> srv:8090" tcp_ok clb srv 8090
check "namespace $B relabelled team=c" relabel_ns $B team=c
check "from-team-b: clb (team=c now) -> srv:8090 blocked" tcp_blocked clb srv 8090
check "namespace $B relabelled team=b" relabel_ns $B team=b
check "from-team-b: clb (team=b again) -> srv:8090" tcp_ok clb srv 8090
unpolicy $A from-team-b

# ---- 5. named port ----
check "policy named (any source, port \"http\") applied" \
  policy $A named '"podSelector": {"matchLabels": {"app": "srv"}},
    "ingress": [{"ports": [{"port": "http"}]}]'
check "named: clb -> srv:8080 (srv's http)" tcp_ok clb srv 8080
check "named: clb -> srv2:8090 (srv2's http)" tcp_ok clb srv2 8090
check "named: clb -> srv:8090 blocked (srv2's number, not srv's)" tcp_blocked clb srv 8090
check "named: clb -> srv2:8080 blocked (srv's number, not srv2's)" tcp_blocked clb srv2 8080
unpolicy $A named

# ---- 6. ipBlock with except (egress) ----
check "policy cla-egress (to the pod network except srv) applied" \
  policy $A cla-egress "\"podSelector\": {\"matchLabels\": {\"role\": \"client\"}},
    \"policyTypes\": [\"Egress\"],
    \"egress\": [{\"to\": [{\"ipBlock\": {\"cidr\": \"${ip[srv]%.*}.0/16\",
                                      \"except\": [\"${ip[srv]}/32\"]}}]}]"
check "cla-egress: cla -> srv2:8080 (in the block; srv2 allows clients)" tcp_ok cla srv2 8080
check "cla-egress: cla -> srv:8080 blocked (the except)" tcp_blocked cla srv 8080
unpolicy $A cla-egress

# ---- 7. egress to backends allows their Service ----
check "policy cla-to-srv (egress to app=srv on 8080 only) applied" \
  policy $A cla-to-srv '"podSelector": {"matchLabels": {"role": "client"}},
    "policyTypes": ["Egress"],
    "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "srv"}}}],
                "ports": [{"port": 8080}]}]'
vip=$(kubectl get service -n $A srv -o 'jsonpath={.spec.clusterIP}')
svc_ok() {
  local i
  for ((i = 0; i < 5; i++)); do
    [ -n "$(get cla "http://$vip/")" ] && return 0
  done
  return 1
}
check "cla-to-srv: cla -> srv's ClusterIP $vip:80 (backends on 8080)" svc_ok
check "cla-to-srv: cla -> other:8080 blocked (not a backend)" tcp_blocked cla other 8080
unpolicy $A cla-to-srv

# ---- 8. UDP allowed, TCP not ----
check "policy udp-only (u: UDP 8081) applied" \
  policy $A udp-only '"podSelector": {"matchLabels": {"app": "udp"}},
    "ingress": [{"ports": [{"protocol": "UDP", "port": 8081}]}]'
check "udp-only: other -> u (UDP)" udp_ok other u
check "udp-only: other -> u:8080 blocked (TCP)" tcp_blocked other u 8080

# ---- 9. union ----
check "policy from-other (role=other, TCP 8090) applied" \
  policy $A from-other '"podSelector": {"matchLabels": {"app": "srv"}},
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "other"}}}],
                 "ports": [{"port": 8090}]}]'
check "union: other -> srv:8090 (from-other)" tcp_ok other srv 8090
check "union: cla -> srv:8080 (from-clients)" tcp_ok cla srv 8080
check "union: cla -> srv:8090 blocked (neither)" tcp_blocked cla srv 8090

# ---- 10. logging ----
check "policy from-other with logging annotations applied" \
  policy $A from-other '"podSelector": {"matchLabels": {"app": "srv"}},
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "other"}}}],
                 "ports": [{"port": 8090}]}]' \
  '"ovn.kubernetes.io/enable_log": "true",
   "ovn.kubernetes.io/log_acl_actions": "allow,drop",
   "ovn.kubernetes.io/acl_log_meter_rate": "5"'
logged() {   # the drop and the rule's allow log through the meter; the
             # node's allow does not log
  local pg
  pg=$(nbctl --bare --columns=name find Port_Group \
         "external_ids:np=\"$A/from-other\"") &&
  [ "$(nbctl --bare --columns=action find ACL \
       "external_ids:np=\"$A/from-other\"" log=true | sort | xargs)" = \
    "allow-related drop" ] &&
  [ "$(nbctl --bare --columns=meter find ACL \
       "external_ids:np=\"$A/from-other\"" log=true | sort -u | xargs)" = "$pg" ] &&
  [ "$(nbctl --bare --columns=rate list Meter_Band \
       "$(nbctl --bare --columns=bands find Meter "name=$pg")")" = 5 ]
}
check "logging: from-other's drop and allow log, through its meter of 5 pps" logged
check "logging: other -> srv:8090 still passes" tcp_ok other srv 8090

# ---- 11. deletion ----
unpolicy $A from-other
unpolicy $A from-clients
unpolicy $A udp-only
check "deny-in alone: other -> srv:8090 blocked" tcp_blocked other srv 8090
unpolicy $A deny-in
check "no policy again: clb -> srv:8090" tcp_ok clb srv 8090
check "no policy again: other -> u (UDP)" udp_ok other u
no_rows() {   # of this test's policies (np=NS/NAME) and peers (np-peer=
              # ["ns","NS",...])
  local t
  for t in Port_Group ACL Meter Address_Set; do
    nbctl --bare --columns=external_ids list $t
  done | { ! grep -Eq "np=($A|$B)/|\\\\\"($A|$B)\\\\\""; }
}
check "no policy: no port group, ACL, meter or address set of its policies is left in NB" no_rows

# ---- 12. Subnet isolation ----
kubectl apply -f - >/dev/null <<EOF
{"apiVersion": "kubeovn.io/v1", "kind": "Subnet",
 "metadata": {"name": "np-private"},
 "spec": {"cidrBlock": "10.77.0.0/24", "namespaces": ["$B"],
          "private": true, "allowSubnets": []}}
EOF
check "Subnet np-private applied" applied subnet "" np-private subnets
mkpod $B priv node2 '{"app": "priv"}' "$(porter "8080=priv")"
mkpod $B priv2 node3 '{"app": "priv2"}' "$NETEXEC"
check "pod priv Running" wait_running $B priv 120
check "pod priv2 Running" wait_running $B priv2 120
for p in priv priv2; do
  ns_of[$p]=$B ip[$p]=$(pod_ip $B $p) netns_of[$p]=$(netns $B $p)
done
echo "  (priv ${ip[priv]}, priv2 ${ip[priv2]})"
check "private: priv2 (same Subnet) -> priv:8080" tcp_ok priv2 priv 8080
check "private: cla (ovn-default) -> priv:8080 blocked" tcp_blocked cla priv 8080
check "private: node1 -> priv:8080 passes (nodes)" node_ok node1 priv 8080
kubectl patch subnet np-private --type=merge -p \
  "{\"spec\": {\"allowSubnets\": [\"${ip[cla]}/32\"]}}" >/dev/null
check "Subnet np-private allows cla's address" applied subnet "" np-private subnets
check "private+allowSubnets: cla -> priv:8080" tcp_ok cla priv 8080
check "private+allowSubnets: other -> priv:8080 blocked" tcp_blocked other priv 8080
kubectl patch subnet np-private --type=merge -p \
  '{"spec": {"acls": [{"direction": "to-lport", "priority": 1500,
     "match": "(ip4.dst == 10.77.0.0/24", "action": "drop"}]}}' >/dev/null
acl_refused() {
  [ "$(kubectl get subnet np-private -o \
       'jsonpath={.status.conditions[?(@.type=="ACLsApplied")].status}')" = False ] &&
  kubectl get events --field-selector reason=InvalidACL -A | grep -q np-private
}
check "a bad spec.acls entry: ACLsApplied=False and an InvalidACL Event" \
  kovn_wait 30 acl_refused
check "the switch keeps its ACLs: cla -> priv:8080" tcp_ok cla priv 8080
kubectl delete pod -n $B priv priv2 --wait=true >/dev/null
kubectl delete subnet np-private >/dev/null

# ---- teardown ----
e2e_down
