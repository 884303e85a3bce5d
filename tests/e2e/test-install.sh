#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# kovn installed the way an operator installs it (issue 14), on a sandbox
# whose nodes start with no network plugin (kovn-sandbox.sh up, as every
# e2e test's):
#   - deploy/install.sh takes the NotReady nodes to Ready, with OVN central,
#     Open vSwitch, kovn-controller and kovn-daemon all as pods from kovn's
#     images; the time it takes;
#   - a Deployment of test pods Running across the nodes, talking over TCP;
#   - a rolling update of kovn-daemon and kovn-controller to new images
#     during a TCP stream: the stream survives, new pods start during and
#     after;
#   - install.sh uninstall leaves no kovn object in the API and no bridge,
#     port, CNI file, nftables table or database on any node (checked on
#     each node, not assumed).
# Needs root; about 4 minutes.
E2E_NAME=install
# shellcheck source=e2e-lib.sh
. "$(dirname "$0")/e2e-lib.sh"

AGNHOST=k8s.gcr.io/e2e-test-images/agnhost:2.21
KS=(-n kube-system)

e2e_up
echo "$(grep -h 'install.sh \[' "$S/install.log")"
check "install.sh says every node is Ready" grep -q 'every node Ready' "$S/install.log"

# ---- what runs: pods only ----
ready_pods() {   # LABEL: the number of Running pods with every container ready
  kubectl "${KS[@]}" get pods -l "$1" -o json | jq '[.items[]
    | select(.status.phase == "Running")
    | select(.status.containerStatuses | all(.ready))] | length'
}
check "ovn-central: 1 pod ready" test "$(ready_pods app=ovn-central)" = 1
check "ovs-ovn: a pod ready on each of the $nodes nodes" test "$(ready_pods app=ovs-ovn)" = "$nodes"
check "kovn-daemon: a pod ready on each node" test "$(ready_pods app=kovn-daemon)" = "$nodes"
check "kovn-controller: 2 pods ready" test "$(ready_pods app=kovn-controller)" = 2
for n in $NODES; do
  check "$n: eth0's address moved to br-phy" sh -c \
    "ip -n $(node_ns "$n") -4 addr show br-phy | grep -q '$(node_ip "$n")/'"
done
leader=$(kubectl "${KS[@]}" get lease kovn-controller -o 'jsonpath={.spec.holderIdentity}')
check "one kovn-controller leads (Lease kube-system/kovn-controller: $leader)" \
  grep -q '^kovn-controller-' <<<"$leader"

# ---- a Deployment across the nodes ----
replicas=$((2 * nodes))
t0=$(date +%s%N)
spread_deployment web "$replicas" netexec --http-port=8080
check "Deployment web: $replicas pods Running" \
  kubectl rollout status deployment web --timeout=180s
echo "  (web: $replicas pods ready $((($(date +%s%N) - t0) / 1000000)) ms after create)"
web_nodes=$(kubectl get pods -l app=web -o 'jsonpath={.items[*].spec.nodeName}' | tr ' ' '\n' | sort -u | wc -l)
check "...spread over all $nodes nodes" test "$web_nodes" = "$nodes"
mapfile -t web < <(kubectl get pods -l app=web -o json | jq -r '.items
  | sort_by(.spec.nodeName)[] | "\(.metadata.name) \(.spec.nodeName) \(.status.podIP)"')
read -r p1 n1 ip1 <<<"${web[0]}"
read -r p2 n2 ip2 <<<"${web[${#web[@]} - 1]}"
check "HTTP $p1 ($n1) -> $p2 ($n2) answers with its name" sh -c \
  "'$S/bin/kubectl' exec $p1 -- curl -sS --max-time 5 http://$ip2:8080/hostname | grep -qx $p2"
check "TCP 1 MB $p2 ($n2) -> $p1 ($n1)" tcp "$(netns default "$p2")" "$(netns default "$p1")" "$ip1"

# ---- rolling update during a TCP stream ----
# New images: the same binaries under a new tag (a new image name is what
# a DaemonSet and a Deployment roll on), imported into every node.
next=${IMAGE_TAG}-next
podman tag "localhost/kovn:$IMAGE_TAG" "localhost/kovn:$next"
e2e_at_exit "podman rmi localhost/kovn:$next"
import_next() {
  local n
  for n in $NODES; do
    "$top/scripts/build-kovn-images.sh" --tag "$next" --no-build --only kovn \
      --import "$S/net/$n/root/run/containerd/containerd.sock" >/dev/null 2>&1 || return 1
  done
}
check "image localhost/kovn:$next imported on every node" import_next

# ACTION of the stream: both rollouts, and pods created while they run.
upgrade() {
  kubectl "${KS[@]}" set image daemonset/kovn-daemon "kovn-daemon=localhost/kovn:$next" >/dev/null &&
  kubectl "${KS[@]}" set image deployment/kovn-controller "kovn-controller=localhost/kovn:$next" >/dev/null &&
  kubectl scale deployment web --replicas=$((replicas + nodes)) >/dev/null &&
  kubectl "${KS[@]}" rollout status daemonset/kovn-daemon --timeout=300s >/dev/null &&
  kubectl "${KS[@]}" rollout status deployment/kovn-controller --timeout=300s >/dev/null
}
check "a TCP stream $p1 ($n1) -> $p2 ($n2) survives the rolling update of kovn-daemon and kovn-controller" \
  stream "$(netns default "$p1")" "$(netns default "$p2")" "$ip2" upgrade
images() {   # LABEL: the images of its pods' containers
  kubectl "${KS[@]}" get pods -l "$1" -o 'jsonpath={.items[*].spec.containers[*].image}' |
    tr ' ' '\n' | sort -u | paste -sd' ' -
}
# (rollout status ends when the new pods are ready: an old one may still
# be stopping.)
all_run_next() { [ "$(images "$1")" = "localhost/kovn:$next" ]; }
check "every kovn-daemon pod runs localhost/kovn:$next" kovn_wait 60 all_run_next app=kovn-daemon
check "every kovn-controller pod runs localhost/kovn:$next" kovn_wait 60 all_run_next app=kovn-controller
check "the pods created during the update are Running ($((replicas + nodes)) in all)" \
  kubectl rollout status deployment web --timeout=180s
kubectl scale deployment web --replicas=$((replicas + 2 * nodes)) >/dev/null
check "pods created after the update are Running ($((replicas + 2 * nodes)) in all)" \
  kubectl rollout status deployment web --timeout=180s
newest=$(kubectl get pods -l app=web --sort-by=.metadata.creationTimestamp -o name | tail -n 1)
newest=${newest#pod/}
check "TCP 1 MB $newest -> $p1 after the update" tcp "$(netns default "$newest")" "$(netns default "$p1")" "$ip1"

# ---- uninstall ----
kubectl delete deployment web --wait=true >/dev/null
kovn_wait 120 sh -c "[ -z \"\$('$S/bin/kubectl' get pods -l app=web -o name)\" ]"
t0=$(date +%s%N)
check "install.sh uninstall succeeds" "$SB" uninstall
echo "  (uninstall: $((($(date +%s%N) - t0) / 1000000)) ms)"

# In the API: nothing of kovn's.
api_left() {
  {
    kubectl get crd -o name | grep kubeovn.io
    kubectl get all,serviceaccounts,configmaps,leases -A -l app.kubernetes.io/part-of=kovn -o name
    kubectl get clusterroles,clusterrolebindings -o name | grep kovn
    kubectl "${KS[@]}" get serviceaccounts,leases -o name | grep kovn
    kubectl "${KS[@]}" get pods -o name | grep -E 'kovn|ovn-central|ovs-ovn'
    kubectl get nodes -o json | jq -r '.items[] | .metadata.name as $n
      | (.metadata.annotations // {} | keys[] | select(startswith("ovn.kubernetes.io/")) | "\($n): \(.)"),
        (.metadata.labels // {} | keys[] | select(. == "kovn.io/role") | "\($n): \(.)")'
  } 2>/dev/null
}
left=$(api_left)
[ -z "$left" ] || echo "$left" | sed 's/^/  left in the API: /'
check "no kovn object left in the API (CRDs, RBAC, pods, Leases, node annotations)" test -z "$left"

# On each node: no bridge or port, the address back on eth0, no CNI file,
# no nftables table, no database or run file, no kovn container.
for n in $NODES; do
  ns=$(node_ns "$n") root=$S/net/$n/root
  check "$n: no br-int, br-phy, ovn0 or pod veth left" sh -c \
    "! ip -n $ns -o link show | grep -E ': (br-int|br-phy|ovn0|ovs-netdev|genev_sys[^:]*|[0-9a-f]{12}_h)[:@]'"
  check "$n: its address is back on eth0" sh -c \
    "ip -n $ns -4 addr show eth0 | grep -q '$(node_ip "$n")/'"
  check "$n: reaches the apiserver's relay again" kovn_wait 30 \
    ip netns exec "$ns" ping -c 1 -W 1 "$("$KOVN_NODE_ENV" underlay-net "$KOVN_DIR").1"
  check "$n: no kovn CNI plugin or configuration" sh -c \
    "[ ! -e $root/etc/cni/net.d/01-kovn.conflist ] && [ ! -e $root/opt/cni/bin/kovn ]"
  check "$n: no nftables table inet kovn" sh -c "! ip netns exec $ns nft list table inet kovn >/dev/null 2>&1"
  check "$n: no nftables table netdev kovn-uplink" sh -c "! ip netns exec $ns nft list table netdev kovn-uplink >/dev/null 2>&1"
  left=$(find "$root/etc/openvswitch" "$root/var/lib/ovn" "$root/run/kovn" \
    "$root/run/openvswitch" "$root/run/ovn" -mindepth 1 2>/dev/null)
  [ -z "$left" ] || echo "$left" | sed "s/^/  left on $n: /"
  check "$n: no Open vSwitch or OVN database, no run file" test -z "$left"
  check "$n: no container of kovn's images" sh -c \
    "! ctr --address $root/run/containerd/containerd.sock -n k8s.io containers ls | grep -qE 'localhost/kovn(-ovn)?:'"
done
for n in $NODES; do
  check "$n: NotReady again (no network plugin)" kovn_wait 120 sh -c \
    "[ \"\$('$S/bin/kubectl' get node $n -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].status}')\" != True ]"
done

e2e_down
