#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# The rest of the sandbox's control plane, beside the kube-apiserver of
# tests/integration/k8s-env.sh: kube-controller-manager (ServiceAccounts and
# their tokens, Deployments, ReplicaSets, Jobs, Endpoints, EndpointSlices,
# node lifecycle, garbage collection) and kube-scheduler, each on the host
# under its own identity (RBAC's system:kube-controller-manager and
# system:kube-scheduler), without leader election and without serving
# ports (two sandboxes may run at once).
#
#   control-plane.sh start S   start both for the sandbox folder S (its
#                              apiserver in S/k8s); wait until the default
#                              ServiceAccount exists
#   control-plane.sh stop S    stop both
#
# Files: S/cp/{kube-controller-manager,kube-scheduler}.{kubeconfig,pid,log}.
# Environment: KOVN_KUBE_DIR (default /var/cache/kovn/kubernetes).
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K8S_ENV=$TOP/tests/integration/k8s-env.sh
KUBE_DIR=${KOVN_KUBE_DIR:-/var/cache/kovn/kubernetes}

# shellcheck source=../tests/integration/proc-lib.sh
. "$TOP/tests/integration/proc-lib.sh"   # wait_for, alive

die() { printf 'control-plane: %s\n' "$*" >&2; exit 1; }

spawn() {   # NAME CMD...
  local name=$1
  shift
  setsid "$@" </dev/null >>"$CP/$name.log" 2>&1 &
  echo $! >"$CP/$name.pid"
}

kubeconfig_for() {   # NAME USER
  "$K8S_ENV" user-kubeconfig "$S/k8s" "$2" "$2" "$S/k8s/kubeconfig" \
    >"$CP/$1.kubeconfig" || die "no kubeconfig for $1"
  chmod 600 "$CP/$1.kubeconfig"
}

cmd_start() {
  local p pki=$S/k8s/pki
  for p in kube-controller-manager kube-scheduler; do
    [ -x "$KUBE_DIR/$p" ] || die "no $KUBE_DIR/$p: run scripts/setup.sh"
  done
  mkdir -p "$CP"
  kubeconfig_for kube-controller-manager system:kube-controller-manager
  kubeconfig_for kube-scheduler system:kube-scheduler
  # Each controller under its own ServiceAccount, as RBAC's bootstrap
  # roles expect; tokens signed with the key the apiserver verifies.
  spawn kube-controller-manager "$KUBE_DIR/kube-controller-manager" \
    --kubeconfig="$CP/kube-controller-manager.kubeconfig" \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" \
    --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" \
    --cluster-signing-key-file="$pki/ca.key" \
    --leader-elect=false --port=0 --secure-port=0 \
    --logtostderr=true --v=1
  spawn kube-scheduler "$KUBE_DIR/kube-scheduler" \
    --kubeconfig="$CP/kube-scheduler.kubeconfig" \
    --leader-elect=false --port=0 --secure-port=0 \
    --logtostderr=true --v=1
  wait_for 60 "$S/bin/kubectl" get serviceaccount default -n default \
    >/dev/null 2>&1 ||
    die "no default ServiceAccount after 60 s; see $CP/kube-controller-manager.log"
  for p in kube-controller-manager kube-scheduler; do
    alive "$(cat "$CP/$p.pid")" || die "$p exited; see $CP/$p.log"
  done
}

cmd_stop() {
  local p pid
  for p in kube-scheduler kube-controller-manager; do
    pid=$(cat "$CP/$p.pid" 2>/dev/null) || continue
    if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$CP"; then
      kill -TERM "$pid"
      wait_for 10 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$CP/$p.pid"
  done
}

[ $# = 2 ] || { sed -n '/^#   control-plane.sh/,/^#$/p' "$0" >&2; exit 2; }
S=$(cd "$2" && pwd) || exit 1
CP=$S/cp
case $1 in
  start) cmd_start ;;
  stop) cmd_stop ;;
  *) die "unknown command $1" ;;
esac
