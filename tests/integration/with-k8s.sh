#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Runs CMD... against a fresh etcd + kube-apiserver (k8s-env.sh) in a new
# temporary folder, and stops and removes them when CMD ends, fails, or this
# script is interrupted.  Exits with CMD's status.  CMD sees:
#   KOVN_TEST_KUBECONFIG        admin kubeconfig (client certificate, inline)
#   KOVN_TEST_KUBECONFIG_TOKEN  admin kubeconfig (bearer token, CA file)
#   KOVN_TEST_KUBECONFIG_UNPRIVILEGED  a token user without RBAC rights
#   KOVN_TEST_K8S_DIR           the folder (for k8s-env.sh stop-apiserver ...)
#   KOVN_TEST_KUBECTL           kubectl already pointed at the server
#   KOVN_TEST_K8S_ENV           this k8s-env.sh
# Usage: tests/integration/with-k8s.sh meson test -C build --suite k8s
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
env_sh=$here/k8s-env.sh
dir=$(mktemp -d "${TMPDIR:-/tmp}/kovn-k8s.XXXXXX")
child=

# shellcheck disable=SC2317  # called by the traps
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ -n "$child" ]; then
    # The whole process group: CMD's own children too.
    kill -TERM -- "-$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  if [ -e "$dir/.kovn-k8s-env" ]; then
    "$env_sh" stop "$dir" || echo "with-k8s: could not clean up $dir" >&2
  fi
  # mktemp made it: remove it even if start failed before using it.
  rmdir "$dir" 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A watchdog that outlives even a SIGKILL of this script stops the servers
# after it (a zombie counts as gone); when we clean up ourselves, it finds
# nothing left to do.
# shellcheck disable=SC2016  # expanded by the inner bash
setsid bash -c '
  while s=$(cat "/proc/$1/stat" 2>/dev/null) && s=${s##*) } &&
        [ "${s%% *}" != Z ]; do
    sleep 1
  done
  if [ -e "$2/.kovn-k8s-env" ]; then "$3" stop "$2"; fi
  rmdir "$2" 2>/dev/null' watchdog $$ "$dir" "$env_sh" \
  </dev/null >/dev/null 2>&1 &

env_lines=$("$env_sh" start "$dir")
eval "$env_lines"
export KOVN_TEST_K8S_ENV=$env_sh

# In the background, so that a signal to this script is acted on at once
# rather than after CMD ends, and in a process group of its own (set -m), so
# that cleanup can stop all of it; stdin stays CMD's.
set -m
"$@" <&0 &
child=$!
set +m
status=0
wait "$child" || status=$?
child=
exit "$status"
