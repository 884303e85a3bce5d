#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# The baseline for kovn's Services: kube-proxy in iptables mode, built from
# the same Kubernetes source as the test kube-apiserver (scripts/setup.sh,
# /var/cache/kovn/kubernetes/kube-proxy), at N Services of B endpoints.
#
# Everything runs inside a network namespace made for the run (kovn-kp-PID):
# etcd and kube-apiserver (tests/integration/with-k8s.sh), the client, and
# kube-proxy, so kube-proxy's rules and sysctls are that namespace's, never
# the host's.  kube-proxy gets --conntrack-max-per-core=0 and zero conntrack
# timeouts, the values that make it skip the conntrack sysctls (the only
# ones that are not per namespace); the host's are read before and after and
# printed, as are the host's KUBE- rules (there must be none).
#
# Steps: create N selector-less Services and one EndpointSlice each
# (discovery.k8s.io/v1beta1, B ready endpoints) in parallel (bench/
# svc_k8s.py); start kube-proxy; the time from its start until the end of
# its first sync with every Service (its metric sync_proxy_rules_last_
# timestamp_seconds; the rules checked with iptables-save), and each sync's
# duration (sync_proxy_rules_duration_seconds: sum and count); then C times,
# one endpoint of one EndpointSlice changed (1.2 s apart, past the 1 s
# --iptables-min-sync-period): the time until the end of the sync after
# which iptables-save shows the new endpoint, and kube-proxy's own
# network_programming_duration_seconds from the EndpointSlice's
# last-change-trigger-time annotation.  Figures are printed, never judged.
#
#   bench/bench-kube-proxy.sh [N [B [C]]]       defaults 10000 10 50
#
# --bind-address=127.0.0.1 gives kube-proxy its node IP (no Node object to
# look up: without it, kube-proxy 1.20 retries the Node for 35 s).  The
# changes stop early after KOVN_BENCH_BUDGET seconds (default 900); the
# count measured is printed.
# KOVN_BENCH_KP_LOG=FILE keeps kube-proxy's log (--v=2) in FILE.
# KOVN_BENCH_IPTABLES=legacy gives kube-proxy iptables-legacy instead of
# the system's iptables (nf_tables on Debian 12).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kube_dir=${KOVN_KUBE_DIR:-/var/cache/kovn/kubernetes}
kube_proxy=$kube_dir/kube-proxy

if [ "${1:-}" = --inner ]; then
  # Inside the namespace, under with-k8s.sh.
  n=$2 b=$3 c=$4 work=$5
  kp=
  # shellcheck disable=SC2317  # called by the traps
  stop_kp() {
    if [ -n "$kp" ] && kill -0 "$kp" 2>/dev/null; then
      kill -TERM "$kp" 2>/dev/null || true
      wait "$kp" 2>/dev/null || true
    fi
    kp=
  }
  trap stop_kp EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  python3 "$top/bench/svc_k8s.py" create "$KOVN_TEST_KUBECONFIG_TOKEN" \
    "$n" "$b"
  start=$(date +%s.%N)
  "$kube_proxy" --kubeconfig="$KOVN_TEST_KUBECONFIG" --proxy-mode=iptables \
    --hostname-override=kovn-bench-node --bind-address=127.0.0.1 \
    --cluster-cidr=10.16.0.0/16 \
    --metrics-bind-address=127.0.0.1:10249 \
    --healthz-bind-address=127.0.0.1:10256 \
    --conntrack-max-per-core=0 --conntrack-min=0 \
    --conntrack-tcp-timeout-established=0s \
    --conntrack-tcp-timeout-close-wait=0s \
    --v=2 >"$work/kube-proxy.log" 2>&1 &
  kp=$!
  KOVN_KP_PID=$kp python3 "$top/bench/svc_k8s.py" kube-proxy \
    "$KOVN_TEST_KUBECONFIG_TOKEN" "$n" "$b" "$c" \
    http://127.0.0.1:10249/metrics "$start"
  echo "kube-proxy peak RSS (VmHWM): $(awk '/VmHWM/ { print $2, $3 }' \
    "/proc/$kp/status")"
  echo "kube-proxy CPU (user+sys): $(awk '{ printf "%.1f s", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$kp/stat")"
  echo "in the namespace: net.ipv4.conf.all.route_localnet=$(sysctl -n net.ipv4.conf.all.route_localnet)," \
       "nat rules $(iptables-save -t nat | grep -c '^-A'), filter rules $(iptables-save -t filter | grep -c '^-A')"
  stop_kp
  exit 0
fi

n=${1:-10000}
b=${2:-10}
c=${3:-50}
ns=kovn-kp-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/kovn-bench-kp.XXXXXX")
made_ns=

# shellcheck disable=SC2317  # called by the traps
cleanup() {
  if [ -n "${KOVN_BENCH_KP_LOG:-}" ] && [ -f "$work/kube-proxy.log" ]; then
    cp "$work/kube-proxy.log" "$KOVN_BENCH_KP_LOG" || true
  fi
  if [ -n "$made_ns" ]; then
    ip netns del "$ns" 2>/dev/null || echo "could not delete netns $ns" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# What kube-proxy could touch outside its namespace.
host_state() {
  local f
  for f in net.netfilter.nf_conntrack_max \
           net.netfilter.nf_conntrack_tcp_timeout_established \
           net.netfilter.nf_conntrack_tcp_timeout_close_wait \
           net.ipv4.conf.all.route_localnet net.ipv4.ip_forward; do
    printf '%s=%s ' "$f" "$(sysctl -n "$f" 2>/dev/null || echo -)"
  done
  printf 'nf_conntrack.hashsize=%s ' \
    "$(cat /sys/module/nf_conntrack/parameters/hashsize 2>/dev/null || echo -)"
  printf 'host KUBE- rules: nft %s, legacy %s\n' \
    "$( (iptables-nft-save 2>/dev/null || true) | grep -c KUBE- || true)" \
    "$( (iptables-legacy-save 2>/dev/null || true) | grep -c KUBE- || true)"
}

echo "== machine: $(nproc) cores, $(uname -r); $("$kube_proxy" --version)"
path=$PATH
if [ "${KOVN_BENCH_IPTABLES:-}" = legacy ]; then
  mkdir "$work/bin"
  for t in iptables iptables-save iptables-restore ip6tables ip6tables-save \
           ip6tables-restore; do
    ln -s "/usr/sbin/${t/tables/tables-legacy}" "$work/bin/$t"
  done
  path=$work/bin:$PATH
fi
echo "== iptables: $(PATH=$path iptables --version)"
echo "== $n Services x $b endpoints, $c endpoint changes; netns $ns"
before=$(host_state)
echo "host before: $before"
ip netns add "$ns"
made_ns=1
ip netns exec "$ns" ip link set lo up
status=0
ip netns exec "$ns" env PATH="$path" "$top/tests/integration/with-k8s.sh" \
  "$0" --inner "$n" "$b" "$c" "$work" || status=$?
after=$(host_state)
echo "host after:  $after"
if [ "$before" = "$after" ]; then
  echo "host sysctls and KUBE- rules unchanged"
else
  echo "host state CHANGED (see above; another process may have done it)"
fi
if [ "$status" != 0 ]; then
  echo "failed (exit $status); kube-proxy log tail:"
  tail -n 20 "$work/kube-proxy.log" 2>/dev/null || true
fi
exit "$status"
