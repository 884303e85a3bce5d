#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Makes a sandbox node (a network namespace of tests/integration/node-env.sh)
# a small machine: its own mount namespace for the folders a node owns, its
# own containerd (own root, state and socket; the offline images imported),
# a real kubelet registering the node, and on request kube-proxy.  The
# sandbox (kovn-sandbox.sh) calls it; kovn-daemon is started by the sandbox
# beside these and writes the node's only CNI configuration.
#
#   node-machine.sh start S NODE [--kube-proxy]
#                       mount namespace, containerd, images, kubelet
#                       (and kube-proxy) of NODE in the sandbox folder S
#   node-machine.sh stop S NODE
#                       stop them; every pod's containers with them
#   node-machine.sh pod-netns S NODE NAMESPACE POD
#                       print the path of POD's network namespace (its
#                       sandbox process's), for nsenter --net
#
# Files: S/net/NODE/ (node-env.sh's node folder) gets containerd.toml,
# kubelet.yaml, kubelet.kubeconfig, resolv.conf, *.pid and *.log; the
# node's own folders are under S/net/NODE/root/ (see node-env.sh).
#
# Environment: KOVN_KUBE_DIR (the Kubernetes programs, default
# /var/cache/kovn/kubernetes), KOVN_IMAGES_DIR (the image archives, default
# /var/cache/kovn/images).
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_ENV=$TOP/tests/integration/node-env.sh
K8S_ENV=$TOP/tests/integration/k8s-env.sh
KUBE_DIR=${KOVN_KUBE_DIR:-/var/cache/kovn/kubernetes}
IMAGES_DIR=${KOVN_IMAGES_DIR:-/var/cache/kovn/images}
PAUSE_IMAGE=k8s.gcr.io/pause:3.2
CLUSTER_DNS=10.96.0.10     # where the cluster DNS Service will be
POD_CIDR=10.16.0.0/16      # kovn's default Subnet (kube-proxy's --cluster-cidr)

# shellcheck source=../tests/integration/proc-lib.sh
. "$TOP/tests/integration/proc-lib.sh"   # wait_for, alive

die() { printf 'node-machine: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '/^#   node-machine.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

node_exec() { "$NODE_ENV" node-exec "$S/net" "$NODE" "$@"; }

# Runs CMD... in the node, detached in a session of its own, its pid in
# D/NAME.pid and its output in D/NAME.log.
spawn_in_node() {   # NAME CMD...
  local name=$1
  shift
  setsid "$NODE_ENV" node-exec "$S/net" "$NODE" "$@" </dev/null \
    >>"$D/$name.log" 2>&1 &
  echo $! >"$D/$name.pid"
}

sock() { echo "$D/root/run/containerd/containerd.sock"; }

ctr_() { ctr --address "$(sock)" --namespace k8s.io "$@"; }

# --- containerd ------------------------------------------------------------------

containerd_config() {
  cat >"$D/containerd.toml" <<EOF
# containerd of sandbox node $NODE (written by node-machine.sh); the paths
# are the node's own (its mount namespace binds them to $D/root).
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Root here lacks CAP_SYS_RESOURCE: it may not lower a process's OOM
  # score adjustment below its own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
EOF
}

start_containerd() {
  containerd_config
  # The runtime adds a pod's loopback itself, through the CNI loopback
  # plugin; kovn-daemon installs kovn beside it.
  cp /usr/lib/cni/loopback "$D/root/opt/cni/bin/loopback"
  spawn_in_node containerd containerd --config "$D/containerd.toml"
  wait_for 30 eval "ctr_ version >/dev/null 2>&1" || die "$NODE: containerd did not start; see $D/containerd.log"
  "$TOP/scripts/build-images.sh" --import "$(sock)" "$IMAGES_DIR" \
    >>"$D/images.log" 2>&1 ||
    die "$NODE: importing the images failed; see $D/images.log"
}

# --- kubelet ----------------------------------------------------------------------

kubelet_config() {
  local k8s=$S/k8s
  cat >"$D/resolv.conf" <<EOF
# The pods' resolver (ClusterFirst pods get the cluster DNS instead).
nameserver $CLUSTER_DNS
EOF
  cat >"$D/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
# The apiserver calls in with its client certificate; nothing else may.
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $k8s/pki/ca.crt}
authorization: {mode: AlwaysAllow}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
# cgroupfs on this kernel's cgroup v1, without the QoS hierarchy and
# allocatable enforcement: nodes share one machine's cgroups.
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
clusterDNS: [$CLUSTER_DNS]
clusterDomain: cluster.local
resolvConf: $D/resolv.conf
# The images come from archives, not a registry: never collect them, and do
# not evict for a disk the nodes share with the whole machine.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%,
               imagefs.available: 1%, nodefs.inodesFree: 1%}
serializeImagePulls: false
EOF
  "$K8S_ENV" user-kubeconfig "$k8s" "system:node:$NODE" system:nodes \
    "$S/net/kubeconfig-node" >"$D/kubelet.kubeconfig" ||
    die "$NODE: no kubeconfig for the kubelet"
  chmod 600 "$D/kubelet.kubeconfig"
}

start_kubelet() {
  kubelet_config
  spawn_in_node kubelet "$KUBE_DIR/kubelet" \
    --config="$D/kubelet.yaml" --kubeconfig="$D/kubelet.kubeconfig" \
    --container-runtime=remote \
    --container-runtime-endpoint=unix:///run/containerd/containerd.sock \
    --pod-infra-container-image="$PAUSE_IMAGE" \
    --hostname-override="$NODE" --node-ip="$NODE_IP" \
    --logtostderr=true --v=1
}

# --- kube-proxy (comparisons only) -------------------------------------------------

start_kube_proxy() {
  "$K8S_ENV" user-kubeconfig "$S/k8s" system:kube-proxy system:node-proxier \
    "$S/net/kubeconfig-node" >"$D/kube-proxy.kubeconfig" ||
    die "$NODE: no kubeconfig for kube-proxy"
  # No conntrack sysctls: they are the whole machine's, not the node's.
  spawn_in_node kube-proxy "$KUBE_DIR/kube-proxy" \
    --kubeconfig="$D/kube-proxy.kubeconfig" --hostname-override="$NODE" \
    --proxy-mode=iptables --cluster-cidr="$POD_CIDR" \
    --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 \
    --conntrack-tcp-timeout-close-wait=0 \
    --metrics-bind-address=127.0.0.1:10249 \
    --healthz-bind-address=127.0.0.1:10256 --logtostderr=true --v=1
}

# --- commands ----------------------------------------------------------------------

cmd_start() {
  local kube_proxy=0
  [ "${1:-}" = --kube-proxy ] && kube_proxy=1
  local p
  for p in kubelet kube-proxy; do
    [ -x "$KUBE_DIR/$p" ] || die "no $KUBE_DIR/$p: run scripts/setup.sh"
  done
  NODE_IP=$("$NODE_ENV" node-ip "$S/net" "$NODE") || exit 1
  [ -e "$D/mnt.ready" ] || "$NODE_ENV" node-mount-ns "$S/net" "$NODE" || exit 1
  start_containerd
  start_kubelet
  [ $kube_proxy = 1 ] && start_kube_proxy
  return 0
}

# Stops the pods' containers through containerd (so that no container
# outlives its node), then kube-proxy, the kubelet and containerd.
# node-env.sh node-del kills whatever is left in the node.
cmd_stop() {
  local p id
  for p in kube-proxy kubelet; do stop_pid "$D/$p.pid"; done
  if ctr_ version >/dev/null 2>&1; then
    for id in $(ctr_ tasks ls -q 2>/dev/null); do
      ctr_ tasks kill -s KILL "$id" >/dev/null 2>&1
    done
    for id in $(ctr_ tasks ls -q 2>/dev/null); do
      wait_for 5 eval "! ctr_ tasks ls -q | grep -qx '$id'" ||
        printf 'node-machine: %s: task %s does not stop\n' "$NODE" "$id" >&2
    done
  fi
  stop_pid "$D/containerd.pid"
}

# TERM to the process in PIDFILE if it names the sandbox; KILL after 10 s.
stop_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
     grep -q "$S"; then
    kill -TERM "$pid" 2>/dev/null
    wait_for 10 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$1"
}

# The network namespace of POD's sandbox (pause) process.
cmd_pod_netns() {
  local ns=$1 pod=$2 id pid
  id=$(ctr_ containers ls -q "labels.\"io.kubernetes.pod.namespace\"==$ns,labels.\"io.kubernetes.pod.name\"==$pod,labels.\"io.cri-containerd.kind\"==sandbox" 2>/dev/null |
       head -n 1)
  [ -n "$id" ] || die "no sandbox of pod $ns/$pod on $NODE"
  pid=$(ctr_ tasks ls 2>/dev/null | awk -v id="$id" '$1 == id && $3 == "RUNNING" { print $2 }')
  [ -n "$pid" ] || die "the sandbox of pod $ns/$pod does not run"
  echo "/proc/$pid/ns/net"
}

[ $# -ge 3 ] || usage
cmd=$1 S=$2 NODE=$3
shift 3
[ -d "$S/net/$NODE" ] || die "no node $NODE in $S"
S=$(cd "$S" && pwd)
D=$S/net/$NODE
case $cmd in
  start) cmd_start "$@" ;;
  stop) [ $# = 0 ] || usage; cmd_stop ;;
  pod-netns) [ $# = 2 ] || usage; cmd_pod_netns "$1" "$2" ;;
  *) usage ;;
esac
