#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Self-test of node-env.sh (needs root): central OVN, the underlay, two nodes
# configured for OVN as kovn-daemon will, then pods wired by hand (a logical
# switch 10.16.0.0/24 in the NB, veths into br-int) and TCP between them,
# across the nodes over Geneve and on one node; the apiserver relay against a
# stand-in TCP server; finally stop-all must leave nothing behind.
#
#   test-node-env.sh        prints "== case" lines, "FAIL ..." on stderr,
#                           and "N passed, M failed"; exits 1 on a failure,
#                           77 (skipped) when not root
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ENV_SH=$HERE/node-env.sh
BYTES=${NODE_ENV_TEST_BYTES:-4000000}   # sent per TCP check
WAIT=60                                 # seconds for OVN to bind ports

[ "$(id -u)" = 0 ] || { echo "test-node-env.sh: needs root; skipped"; exit 77; }

passed=0 failed=0 current=
dir='' prefix=''

case_() { current=$1; echo "== $1"; }

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $current: $*" >&2; }

# check DESCRIPTION CMD...: CMD must succeed; counts, and goes on.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    pass
  else
    fail "$what: $* -> ${out:-(no output)}"
  fi
  return 0
}

# must DESCRIPTION CMD...: the same, but the test cannot go on without it.
must() {
  local before=$failed
  check "$@"
  [ "$failed" = "$before" ] || fatal "cannot go on"
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

fatal() {
  fail "$*"
  finish || true
  exit 1
}

env_sh() { "$ENV_SH" "$1" "$dir" "${@:2}"; }

# shellcheck disable=SC2317  # called by the traps
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ -n "$dir" ]; then
    if [ "$status" != 0 ] && [ -d "$dir" ]; then
      echo "--- logs of $dir (last lines)" >&2
      tail -n 5 "$dir"/*/*.log "$dir"/*.log >&2 2>/dev/null || true
    fi
    # Also deletes the pods' namespaces, named PREFIX-POD.
    env_sh stop-all >&2 || echo "test-node-env: stop-all failed" >&2
    rm -rf "$dir"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

for tool in ovsdb-server ovs-vswitchd ovn-controller ovn-northd ovn-nbctl \
            socat ethtool python3; do
  command -v "$tool" >/dev/null ||
    fatal "no $tool: run scripts/setup.sh"
done

# A TCP server and client in python3: the server takes one connection,
# counts the bytes until EOF and answers with the count; the client sends
# N bytes and prints the answer.
TCP_SERVER='
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(60)
c, _ = s.accept()
c.settimeout(30)
n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    n += len(b)
c.sendall(str(n).encode())
c.close()
'
TCP_CLIENT='
import socket, sys, time
ip, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.time() + 15
while True:
    try:
        c = socket.create_connection((ip, port), timeout=5)
        break
    except OSError:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
c.settimeout(30)
chunk = b"k" * 65536
sent = 0
while sent < total:
    sent += c.send(chunk[:min(len(chunk), total - sent)])
c.shutdown(socket.SHUT_WR)
print(c.recv(100).decode())
'

# tcp_check SERVER_NETNS LISTEN_IP DEST_IP PORT CLIENT_CMD...: BYTES from
# a client run by CLIENT_CMD... to DEST_IP:PORT, where a server in
# SERVER_NETNS ("" for this one) listens on LISTEN_IP:PORT.
tcp_check() {
  local sns=$1 sip=$2 dip=$3 port=$4 server got status=0
  shift 4
  if [ -n "$sns" ]; then
    ip netns exec "$sns" python3 -c "$TCP_SERVER" "$sip" "$port" &
  else
    python3 -c "$TCP_SERVER" "$sip" "$port" &
  fi
  server=$!
  # Listening before the client starts: through the relay, a connection
  # is accepted before the server behind it is there.
  local i
  for ((i = 0; i < 100; i++)); do
    ${sns:+ip netns exec "$sns"} ss -Hltn "sport = :$port" | grep -q . && break
    sleep 0.1
  done
  got=$(timeout 60 "$@" python3 -c "$TCP_CLIENT" "$dip" "$port" "$BYTES") ||
    status=$?
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  [ "$status" = 0 ] || { echo "client failed ($status)"; return 1; }
  [ "$got" = "$BYTES" ] || { echo "server got $got bytes of $BYTES"; return 1; }
}



# pod_add NODE POD IP/PLEN GW MAC: the wiring kovn-daemon will do, by hand;
# POD is also the logical switch port's name.
pod_add() {
  local node=$1 pod=$2 cidr=$3 gw=$4 mac=$5 ns nodens
  ns=$prefix-$pod
  nodens=$(env_sh node-netns "$node")
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$nodens" link add "h-$pod" type veth peer name eth0 netns "$ns"
  ip -n "$ns" link set eth0 address "$mac" mtu 1400
  # The userspace datapath forwards what the pod's kernel leaves to the
  # NIC: full checksums, MTU-sized segments.
  ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr add "$cidr" dev eth0
  ip -n "$ns" route add default via "$gw"
  ip -n "$nodens" link set "h-$pod" mtu 1400 up
  env_sh node-exec "$node" ovs-vsctl add-port br-int "h-$pod" \
    -- set interface "h-$pod" external_ids:iface-id="$pod"
}

tunnel_to() {   # NODE REMOTE_IP: NODE has a Geneve port to REMOTE_IP
  env_sh node-exec "$1" ovs-vsctl --bare --columns=options \
    find interface type=geneve | grep -q "remote_ip=\"\?$2\"\?"
}

t0=$SECONDS
dir=$(mktemp -d "${TMPDIR:-/tmp}/kovn-node.XXXXXX")
# A watchdog that outlives even a SIGKILL of this script (a meson timeout)
# tears down after it; when we clean up ourselves, it finds nothing left.
# DIR goes in the environment: a command line naming it is a leftover.
# shellcheck disable=SC2016  # expanded by the inner bash
WATCHDOG_DIR=$dir setsid bash -c '
  while s=$(cat "/proc/$1/stat" 2>/dev/null) && s=${s##*) } &&
        [ "${s%% *}" != Z ]; do
    sleep 1
  done
  if [ -d "$WATCHDOG_DIR" ]; then
    "$2" stop-all "$WATCHDOG_DIR"; rm -rf "$WATCHDOG_DIR"
  fi' watchdog $$ "$ENV_SH" </dev/null >/dev/null 2>&1 &

case_ "central and underlay"
must "central-start" env_sh central-start
must "underlay-up" env_sh underlay-up
prefix=$(env_sh prefix)
check "prefix is short" test "${#prefix}" -le 5

case_ "two nodes"
must "node-add n1" env_sh node-add n1 1
must "node-add n2" env_sh node-add n2 2
check "nodes lists both" test "$(env_sh nodes | tr '\n' ' ')" = "n1 n2 "
check "node-ip" test "$(env_sh node-ip n2)" = 192.0.2.12
check "duplicate index refused" eval '! env_sh node-add n3 1 2>/dev/null'
check "ovs route from the node IP" eval \
  'env_sh node-exec n1 ovs-appctl ovs/route/show | grep -q "dev br-phy SRC 192.0.2.11"'
check "node-exec runs in the node" eval \
  'env_sh node-exec n2 ip -br addr show br-phy | grep -q 192.0.2.12/24'
check "TCP node to node on the underlay" \
  tcp_check "$prefix-n2" 192.0.2.12 192.0.2.12 5001 ip netns exec "$prefix-n1"

case_ "OVN on the nodes"
check "node-ovn-config n1" env_sh node-ovn-config n1
check "node-ovn-config n2" env_sh node-ovn-config n2
for n in n1 n2; do
  check "chassis $n" timeout "$WAIT" ovn-sbctl --db="unix:$dir/sb.sock" \
    wait-until Chassis "$n"
done
check "br-int is netdev" test \
  "$(env_sh node-exec n1 ovs-vsctl get bridge br-int datapath_type)" = netdev

nbctl() { ovn-nbctl --db="unix:$dir/nb.sock" "$@"; }
check "logical switch" nbctl ls-add sw0 \
  -- set logical_switch sw0 other_config:subnet=10.16.0.0/24
for p in pa:0a:58:0a:10:00:0b:10.16.0.11 pb:0a:58:0a:10:00:0c:10.16.0.12 \
         pc:0a:58:0a:10:00:0d:10.16.0.13; do
  name=${p%%:*} rest=${p#*:}
  check "port $name" nbctl lsp-add sw0 "$name" \
    -- lsp-set-addresses "$name" "${rest%:*} ${rest##*:}"
done

case_ "pods"
check "pod pa on n1" pod_add n1 pa 10.16.0.11/24 10.16.0.1 0a:58:0a:10:00:0b
check "pod pb on n2" pod_add n2 pb 10.16.0.12/24 10.16.0.1 0a:58:0a:10:00:0c
check "pod pc on n1" pod_add n1 pc 10.16.0.13/24 10.16.0.1 0a:58:0a:10:00:0d
for p in pa pb pc; do
  check "port $p up" nbctl --timeout="$WAIT" wait-until \
    Logical_Switch_Port "$p" up=true
done
check "geneve port n1 -> n2" tunnel_to n1 192.0.2.12
check "geneve port n2 -> n1" tunnel_to n2 192.0.2.11

case_ "pod traffic"
t=$SECONDS
check "TCP across nodes (Geneve), pa -> pb" \
  tcp_check "$prefix-pb" 10.16.0.12 10.16.0.12 5001 ip netns exec "$prefix-pa"
check "TCP across nodes (Geneve), pb -> pa" \
  tcp_check "$prefix-pa" 10.16.0.11 10.16.0.11 5001 ip netns exec "$prefix-pb"
check "TCP on one node, pc -> pa" \
  tcp_check "$prefix-pa" 10.16.0.11 10.16.0.11 5001 ip netns exec "$prefix-pc"
echo "   (TCP checks: $((SECONDS - t)) s)"

case_ "apiserver relay"
mkdir "$dir/fake"
port=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%s\n    certificate-authority: pki/ca.crt\n' \
  "$port" >"$dir/fake/kubeconfig"
check "apiserver-relay" env_sh apiserver-relay "$dir/fake/kubeconfig"
check "kubeconfig-node server" \
  grep -q "server: https://192.0.2.1:$port\$" "$dir/kubeconfig-node"
check "kubeconfig-node absolute CA" \
  grep -q "certificate-authority: $dir/fake/pki/ca.crt\$" "$dir/kubeconfig-node"
check "TCP node -> relay -> 127.0.0.1" \
  tcp_check "" 127.0.0.1 192.0.2.1 "$port" "$ENV_SH" node-exec "$dir" n2

case_ "teardown"
check "leftovers sees a running environment" eval '! env_sh leftovers >/dev/null'
check "node-del n2" env_sh node-del n2
check "n2 not listed" test "$(env_sh nodes)" = n1
check "n2's netns gone" test ! -e "/run/netns/$prefix-n2"
check "stop-all (nodes, central, relay, pods)" env_sh stop-all
check "stop-all again" env_sh stop-all
check "no leftovers" env_sh leftovers
echo "   (total: $((SECONDS - t0)) s)"

finish
