#!/usr/bin/env bash
# Runs kovn's benchmarks from a build directory and prints their figures.
#   bench/run.sh BUILD_DIR [N_PODS]
# The informer benchmark runs against a real kube-apiserver started for it
# (tests/integration/with-k8s.sh).  The controller benchmark measures the
# release kovn-controller of BUILD_DIR beside the previous one (the commit in
# bench/BASELINE, or $KOVN_BENCH_BASELINE), built once by bench/baseline.sh
# and cached outside the clone; the node NAT benchmark measures BUILD_DIR's
# kovn-daemon beside the one before the NAT by Subnet (built once by
# bench/baseline.sh, KOVN_BASELINE_TARGET=daemon/kovn-daemon).  Record the
# output in bench/RESULTS.md.
set -euo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR [N_PODS]}
n_pods=${2:-10000}
top=$(cd "$(dirname "$0")/.." && pwd)

# First, so that a build of the baseline (under a minute, once) is not
# measured into anything.
baseline=$("$top/bench/baseline.sh")
# The previous kovn-daemon (before the node NAT by Subnet), for bench-node-nat.
# 9310d3c: the last commit before it (its kovn-daemon masqueraded every pod
# CIDR by one postrouting rule with an inline set).
baseline_daemon=$(KOVN_BASELINE_TARGET=daemon/kovn-daemon \
  "$top/bench/baseline.sh" "${KOVN_BENCH_NAT_BASELINE:-9310d3c23dfadf0119736624bd6931ceb54d7135}")
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
echo "== bench-ipam"
"$build/bench/bench-ipam"
echo "== bench-informer ($n_pods pods)"
"$top/tests/integration/with-k8s.sh" \
  sh -c "\"$build/bench/bench-informer\" \"\$KOVN_TEST_KUBECONFIG\" $n_pods \
         /var/cache/kovn/kubernetes/kubectl"
echo "== bench-controller ($n_pods pods over 100 nodes), previous vs new"
# bench-controller on its own NB (ovn-env.sh) and a fresh apiserver per run,
# for the baseline and this build's kovn-controller alternately,
# KOVN_BENCH_ROUNDS rounds (default 2), then both side by side.  The
# controller's Lease is KOVN_BENCH_LEASE_DURATION seconds (default 15, as in
# production); each run restarts the controller KOVN_BENCH_RESTARTS times
# (default 3) and reports the median.
"$top/bench/bench-controller-paired.sh" "$build" "$baseline" \
  "$build/controller/kovn-controller" "$n_pods"
echo "== bench-cni (${KOVN_BENCH_CNI_ADDS:-200} ADDs, sequential and at concurrency 10)"
# kovn (plugin -> kovn-daemon -> ovn-installed) against Debian's bridge +
# host-local through the same libcni caller, on one node of node-env.sh.
"$top/tests/integration/with-k8s.sh" \
  "$top/bench/bench-cni.sh" "$build" "${KOVN_BENCH_CNI_ADDS:-200}"
echo "== bench-node-nat (${KOVN_BENCH_NAT_SUBNETS:-250} Subnets with" \
  "natOutgoing over 3 nodes), previous vs new"
# kovn-daemon's gateway NAT on 3 nodes of node-env.sh with kovn-controller:
# idle CPU, and the time and nft commands per Subnet change at 10 and at
# N Subnets; the previous kovn-daemon's idle CPU and new-Subnet time at N.
KOVN_BENCH_NAT_BASELINE_DAEMON=$baseline_daemon \
  "$top/tests/integration/with-k8s.sh" \
  "$top/bench/bench-node-nat.sh" "$build" "${KOVN_BENCH_NAT_SUBNETS:-250}"
