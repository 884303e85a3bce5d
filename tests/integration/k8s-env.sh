#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# A real Kubernetes API for kovn's integration tests: Debian's etcd and a
# kube-apiserver built by scripts/setup.sh, both on 127.0.0.1 only, with
# certificates, tokens and kubeconfigs made here.  Everything lives in DIR.
#
#   k8s-env.sh start DIR            start etcd + kube-apiserver, apply the
#                                   CRDs of deploy/crds (Subnet, IP: those
#                                   kovn acts on); prints "export ..."
#                                   lines for eval
#   k8s-env.sh stop DIR             stop both and remove DIR
#   k8s-env.sh stop-apiserver DIR   stop only kube-apiserver (etcd keeps the
#   k8s-env.sh start-apiserver DIR  data); start it again on the same port
#   k8s-env.sh status DIR           say what runs; exit 0 if all is ready
#   k8s-env.sh user-kubeconfig DIR USER GROUP KUBECONFIG
#                                   print KUBECONFIG (one with inline client
#                                   certificate data, as DIR/kubeconfig) with
#                                   a new client certificate for USER in
#                                   GROUP: to run a component under exactly
#                                   the RBAC rights of its ServiceAccount
#                                   (USER system:serviceaccount:NS:NAME,
#                                   GROUP system:serviceaccounts)
#
# DIR afterwards holds: kubeconfig (admin client certificate, inline data),
# kubeconfig-token (admin bearer token, CA file path), kubeconfig-unprivileged
# (a token user with no RBAC rights), bin/kubectl (kubectl with the admin
# kubeconfig and a private cache), pki/, logs, and env (the export lines).
#
# With KOVN_K8S_CLUSTER set to an address ADDR (start only; kept in
# DIR/cluster), the server is set up for a real cluster, as the sandbox
# needs: the ServiceAccount and NodeRestriction admission plugins, the Node
# authorizer beside RBAC, a client certificate to call kubelets (exec, logs,
# port-forward) on their InternalIP, ADDR in its certificate and as the
# address the "kubernetes" Service's endpoints name (where nodes and pods
# reach it).  Without it, ServiceAccount admission is off, so that tests can
# create pods without a kube-controller-manager making ServiceAccounts.
#
# Environment: KOVN_KUBE_DIR (kube-apiserver and kubectl, default
# /var/cache/kovn/kubernetes), KOVN_CRD_DIR (default deploy/crds), ETCD
# (default etcd), KOVN_K8S_READY_TIMEOUT (seconds to wait for /readyz,
# default 90), KOVN_K8S_APISERVER_GRACE (seconds from TERM to KILL when
# stopping kube-apiserver, default 3).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBE_DIR=${KOVN_KUBE_DIR:-/var/cache/kovn/kubernetes}
APISERVER=$KUBE_DIR/kube-apiserver
KUBECTL=$KUBE_DIR/kubectl
ETCD=${ETCD:-etcd}
CRD_DIR=${KOVN_CRD_DIR:-$HERE/../../deploy/crds}
MARKER=.kovn-k8s-env            # Only a DIR holding this is ever removed.
READY_TIMEOUT=${KOVN_K8S_READY_TIMEOUT:-90}     # Seconds.
APISERVER_GRACE=${KOVN_K8S_APISERVER_GRACE:-3}  # Seconds from TERM to KILL.

log() { printf 'k8s-env: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '/^#   k8s-env.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# N distinct TCP ports on 127.0.0.1 that nothing listens on right now.
# Another process may take one before we bind it; start_* notice and retry.
free_ports() {
  python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# True if 'pid' runs and its command line mentions 'dir': a recycled pid is
# never taken for ours.
is_ours() {
  local pid=$1 dir=$2 cmdline
  [ -n "$pid" ] || return 1
  # Not "tr | grep -q": with pipefail, grep's early exit can fail the pipe.
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$dir"* ]]
}

pid_of() { cat "$1/$2.pid" 2>/dev/null || true; }

# True if the process we just spawned still runs (not a zombie).  Right
# after spawn, is_ours would be wrong: while a process execs, its cmdline
# reads empty for a moment.
alive() {
  local pid=$1 stat
  stat=$(cat 2>/dev/null </proc/"$pid"/stat) || return 1
  stat=${stat##*) }             # The fields after "pid (comm) ".
  [ "${stat%% *}" != Z ]
}

# Stops the process recorded in DIR/NAME.pid: TERM, then KILL after GRACE
# seconds.  kube-apiserver gets little: it holds no state of its own, and a
# graceful stop waits for its clients' watches to end.
stop_proc() {
  local dir=$1 name=$2 grace=$3 pid i
  pid=$(pid_of "$dir" "$name")
  if is_ours "$pid" "$dir"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      is_ours "$pid" "$dir" || break
      sleep 0.1
    done
    if is_ours "$pid" "$dir"; then
      log "$name (pid $pid) still runs $grace s after TERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        is_ours "$pid" "$dir" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$dir/$name.pid"
}

# Starts 'cmd...' detached from our session (so that a Ctrl-C meant for a
# test does not kill it midway: stop does), logging to DIR/NAME.log.
spawn() {
  local dir=$1 name=$2
  shift 2
  setsid "$@" </dev/null >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

# --- certificates and credentials ------------------------------------------

# Signs a new P-256 key's certificate with the test CA.
#   issue DIR NAME SUBJECT EXTENSIONS
issue() {
  local pki=$1/pki name=$2 subj=$3 ext=$4
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "$subj" 2>/dev/null
  printf '%b\n' "$ext" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" \
    -CAkey "$pki/ca.key" -CAcreateserial -days 7 -sha256 \
    -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_pki() {
  local dir=$1 pki=$1/pki
  mkdir -m 700 "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 7 -sha256 \
    -subj "/CN=kovn-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  # 10.96.0.1 is the "kubernetes" Service address in the service range;
  # 192.0.2.1 is where node-env.sh relays the server to its node namespaces.
  local san="IP:127.0.0.1,IP:10.96.0.1,IP:192.0.2.1,DNS:localhost,DNS:kubernetes"
  san+=",DNS:kubernetes.default,DNS:kubernetes.default.svc"
  [ -n "$CLUSTER_ADDR" ] && san+=",IP:$CLUSTER_ADDR"
  issue "$dir" apiserver "/CN=kube-apiserver" \
    "subjectAltName=$san\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature"
  # The apiserver's identity towards kubelets.
  issue "$dir" apiserver-kubelet-client \
    "/O=system:masters/CN=kube-apiserver-kubelet-client" \
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature"
  issue "$dir" admin "/O=system:masters/CN=kovn-admin" \
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature"
  # Service-account tokens (ES256: an RSA key would take longer to make).
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
    -out "$pki/sa.key" 2>/dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

  local admin_token nobody_token
  admin_token=$(openssl rand -hex 24)
  nobody_token=$(openssl rand -hex 24)
  # token,user,uid,"groups"
  printf '%s,kovn-admin,kovn-admin,"system:masters"\n%s,kovn-nobody,kovn-nobody\n' \
    "$admin_token" "$nobody_token" >"$pki/tokens.csv"
  chmod 600 "$pki/tokens.csv"
}

b64() { base64 -w0 <"$1"; }

# Writes DIR's kubeconfigs for the server at port $2.
make_kubeconfigs() {
  local dir=$1 port=$2 pki=$1/pki admin_token nobody_token
  admin_token=$(awk -F, '$2 == "kovn-admin" { print $1 }' "$pki/tokens.csv")
  nobody_token=$(awk -F, '$2 == "kovn-nobody" { print $1 }' "$pki/tokens.csv")

  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: kovn-test
clusters:
- name: kovn-test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(b64 "$pki/ca.crt")
contexts:
- name: kovn-test
  context:
    cluster: kovn-test
    user: kovn-admin
users:
- name: kovn-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
EOF
  # Relative file names are relative to the kubeconfig's folder.
  local user
  for user in token:"$admin_token" unprivileged:"$nobody_token"; do
    cat >"$dir/kubeconfig-${user%%:*}" <<EOF
apiVersion: v1
kind: Config
current-context: kovn-test
clusters:
- name: kovn-test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: pki/ca.crt
contexts:
- name: kovn-test
  context:
    cluster: kovn-test
    user: token-user
    namespace: default
users:
- name: token-user
  user:
    token: ${user#*:}
EOF
  done
  chmod 600 "$dir"/kubeconfig*

  mkdir -p "$dir/bin"
  cat >"$dir/bin/kubectl" <<EOF
#!/bin/sh
# kubectl for the test API server; later flags override these.
exec "$KUBECTL" --kubeconfig "$dir/kubeconfig" --cache-dir "$dir/kubectl-cache" "\$@"
EOF
  chmod 755 "$dir/bin/kubectl"
}

# --- etcd -------------------------------------------------------------------

# An HTTP GET over bash's /dev/tcp, so that no curl is needed: prints the
# body's first line.  Fails if nothing listens.
http_get() {
  local port=$1 path=$2
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
    sed "1,/^\r\{0,1\}$/d" <&3 | head -n 1' _ "$port" "$path" 2>/dev/null
}

start_etcd() {
  local dir=$1 attempt client peer i
  for attempt in 1 2 3; do
    read -r client peer < <(free_ports 2)
    spawn "$dir" etcd "$ETCD" --name kovn-test --data-dir "$dir/etcd" \
      --listen-client-urls "http://127.0.0.1:$client" \
      --advertise-client-urls "http://127.0.0.1:$client" \
      --listen-peer-urls "http://127.0.0.1:$peer" \
      --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "kovn-test=http://127.0.0.1:$peer" \
      --initial-cluster-state new --log-level warn
    for ((i = 0; i < 200; i++)); do
      if ! alive "$(pid_of "$dir" etcd)"; then
        break             # Exited: most likely a port was taken.
      fi
      if http_get "$client" /health | grep -q '"health":"true"'; then
        echo "$client" >"$dir/etcd.port"
        return 0
      fi
      sleep 0.1
    done
    stop_proc "$dir" etcd 10
    rm -rf "$dir/etcd"
    log "etcd did not start (attempt $attempt); its log ends with:"
    tail -n 5 "$dir/etcd.log" >&2 || true
  done
  die "cannot start etcd; see $dir/etcd.log"
}

# --- kube-apiserver ------------------------------------------------------------

# The flags that differ between a real cluster (see the header) and the
# tests' bare API.
mode_flags() {
  local pki=$1/pki
  if [ -z "$CLUSTER_ADDR" ]; then
    echo --advertise-address=127.0.0.1 --authorization-mode=RBAC \
      --disable-admission-plugins=ServiceAccount
    return
  fi
  echo --advertise-address="$CLUSTER_ADDR" --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname
}

spawn_apiserver() {
  local dir=$1 port=$2 pki=$1/pki
  # shellcheck disable=SC2046  # mode_flags prints flags without spaces
  spawn "$dir" apiserver "$APISERVER" \
    --bind-address=127.0.0.1 $(mode_flags "$dir") \
    --secure-port="$port" --insecure-port=0 \
    --etcd-servers="http://127.0.0.1:$(cat "$dir/etcd.port")" \
    --tls-cert-file="$pki/apiserver.crt" \
    --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --token-auth-file="$pki/tokens.csv" \
    --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.96.0.0/16 \
    --allow-privileged=true \
    --cert-dir="$dir/apiserver-certs" \
    --profiling=false \
    --logtostderr=true --v=1
}

# Waits until /readyz says ok.  Returns 1 if the server exited, 2 on timeout.
wait_apiserver() {
  local dir=$1 deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    alive "$(pid_of "$dir" apiserver)" || return 1
    if [ "$("$dir/bin/kubectl" get --raw /readyz 2>/dev/null)" = ok ]; then
      return 0
    fi
    sleep 0.2
  done
  return 2
}

# Starts kube-apiserver on DIR's port, or on a new free one (retrying if it
# was taken meanwhile) when DIR has none yet.
start_apiserver() {
  local dir=$1 attempt port status
  for attempt in 1 2 3; do
    port=$(cat "$dir/apiserver.port" 2>/dev/null || free_ports 1)
    echo "$port" >"$dir/apiserver.port"
    make_kubeconfigs "$dir" "$port"
    spawn_apiserver "$dir" "$port"
    status=0
    wait_apiserver "$dir" || status=$?
    [ "$status" = 0 ] && return 0
    stop_proc "$dir" apiserver "$APISERVER_GRACE"
    log "kube-apiserver did not become ready (attempt $attempt); its log ends with:"
    grep -E '^[EF][0-9]{4}|error|Error' "$dir/apiserver.log" | tail -n 5 >&2 || true
    [ "$status" = 2 ] && break
    # It exited: perhaps the port was taken; only a first start may move.
    [ -f "$dir/.started" ] && break
    rm -f "$dir/apiserver.port"
  done
  die "cannot start kube-apiserver; see $dir/apiserver.log"
}

apply_crds() {
  local dir=$1 kubectl=$1/bin/kubectl
  [ -d "$CRD_DIR" ] || die "no CRD folder $CRD_DIR"
  "$kubectl" apply -f "$CRD_DIR" >"$dir/crds.log" 2>&1 ||
    { cat "$dir/crds.log" >&2; die "applying the CRDs of $CRD_DIR failed"; }
  "$kubectl" wait --for condition=established --timeout=60s \
    -f "$CRD_DIR" >>"$dir/crds.log" 2>&1 ||
    { cat "$dir/crds.log" >&2; die "the CRDs did not become Established"; }
}

print_env() {
  local dir=$1
  printf 'export KOVN_TEST_K8S_DIR=%q\n' "$dir"
  printf 'export KOVN_TEST_KUBECONFIG=%q\n' "$dir/kubeconfig"
  printf 'export KOVN_TEST_KUBECONFIG_TOKEN=%q\n' "$dir/kubeconfig-token"
  printf 'export KOVN_TEST_KUBECONFIG_UNPRIVILEGED=%q\n' \
    "$dir/kubeconfig-unprivileged"
  printf 'export KOVN_TEST_KUBECTL=%q\n' "$dir/bin/kubectl"
}

# --- commands -------------------------------------------------------------------

cmd_start() {
  local dir=$1
  [ -x "$APISERVER" ] || die "no $APISERVER: run scripts/setup.sh"
  [ -x "$KUBECTL" ] || die "no $KUBECTL: run scripts/setup.sh"
  command -v "$ETCD" >/dev/null || die "no $ETCD: install etcd-server"
  command -v openssl >/dev/null || die "no openssl"
  command -v python3 >/dev/null || die "no python3"

  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    [ -f "$dir/$MARKER" ] || die "$dir exists and is not empty"
    die "$dir already holds an environment: stop it first"
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  touch "$dir/$MARKER"
  echo "$CLUSTER_ADDR" >"$dir/cluster"
  # From here on, a failure leaves nothing behind.
  trap 'status=$?; [ $status = 0 ] || cmd_stop "'"$dir"'"; exit $status' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local t0=$SECONDS
  make_pki "$dir"
  start_etcd "$dir"
  start_apiserver "$dir"
  apply_crds "$dir"
  touch "$dir/.started"
  print_env "$dir" >"$dir/env"
  log "ready in $((SECONDS - t0)) s: https://127.0.0.1:$(cat "$dir/apiserver.port") (etcd 127.0.0.1:$(cat "$dir/etcd.port")), files in $dir"
  print_env "$dir"
  trap - EXIT INT TERM
}

cmd_stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  [ -f "$dir/$MARKER" ] || die "$dir was not made by k8s-env.sh; not touching it"
  dir=$(cd "$dir" && pwd)
  stop_proc "$dir" apiserver "$APISERVER_GRACE"
  stop_proc "$dir" etcd 10
  rm -rf "$dir"
}

cmd_stop_apiserver() {
  local dir=$1
  [ -f "$dir/$MARKER" ] || die "no environment in $dir"
  dir=$(cd "$dir" && pwd)
  stop_proc "$dir" apiserver "$APISERVER_GRACE"
}

cmd_start_apiserver() {
  local dir=$1
  [ -f "$dir/.started" ] || die "no started environment in $dir"
  dir=$(cd "$dir" && pwd)
  is_ours "$(pid_of "$dir" etcd)" "$dir" || die "etcd of $dir is not running"
  is_ours "$(pid_of "$dir" apiserver)" "$dir" && die "kube-apiserver of $dir already runs"
  start_apiserver "$dir"
  log "kube-apiserver ready again on port $(cat "$dir/apiserver.port")"
}

cmd_user_kubeconfig() {
  local dir=$1 user=$2 group=$3 in=$4 name
  [ -f "$dir/pki/ca.key" ] || die "$dir has no test CA"
  name=user-$(printf '%s' "$user" | md5sum | cut -c1-8)
  [ -f "$dir/pki/$name.crt" ] ||
    issue "$dir" "$name" "/O=$group/CN=$user" \
      "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature"
  awk -v crt="$(b64 "$dir/pki/$name.crt")" -v key="$(b64 "$dir/pki/$name.key")" '
    /^[ \t]*client-certificate-data:/ { sub(/:.*/, ": " crt) }
    /^[ \t]*client-key-data:/ { sub(/:.*/, ": " key) }
    { print }' "$in"
}

cmd_status() {
  local dir=$1 ok=0 pid
  [ -f "$dir/$MARKER" ] || { echo "no environment in $dir"; return 1; }
  dir=$(cd "$dir" && pwd)
  pid=$(pid_of "$dir" etcd)
  if is_ours "$pid" "$dir"; then
    echo "etcd: running, pid $pid, 127.0.0.1:$(cat "$dir/etcd.port")"
  else
    echo "etcd: not running"
    ok=1
  fi
  pid=$(pid_of "$dir" apiserver)
  if is_ours "$pid" "$dir"; then
    local ready
    ready=$("$dir/bin/kubectl" get --raw /readyz 2>&1 || true)
    echo "kube-apiserver: running, pid $pid, https://127.0.0.1:$(cat "$dir/apiserver.port"), readyz: $ready"
    [ "$ready" = ok ] || ok=1
  else
    echo "kube-apiserver: not running"
    ok=1
  fi
  return $ok
}

[ $# = 2 ] || [ "${1:-}" = user-kubeconfig ] || usage
CLUSTER_ADDR=${KOVN_K8S_CLUSTER:-}
[ "$1" != start ] && [ -f "$2/cluster" ] && CLUSTER_ADDR=$(cat "$2/cluster")
case $1 in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  stop-apiserver) cmd_stop_apiserver "$2" ;;
  start-apiserver) cmd_start_apiserver "$2" ;;
  status) cmd_status "$2" ;;
  user-kubeconfig) [ $# = 5 ] || die "usage: user-kubeconfig DIR USER GROUP KUBECONFIG"
    cmd_user_kubeconfig "$2" "$3" "$4" "$5" ;;
  *) usage ;;
esac
