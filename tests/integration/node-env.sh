#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Kubernetes "nodes" as network namespaces on one machine, for kovn's
# integration tests and the sandbox/ demo.  Each node runs its own real
# ovsdb-server (Open_vSwitch db), ovs-vswitchd (userspace datapath) and
# ovn-controller; the nodes share one underlay 192.0.2.0/24 and central OVN
# NB/SB databases on unix sockets.  Every file lives in DIR, which the caller
# made (and removes); every network namespace is named PREFIX-..., PREFIX
# being short, unique to DIR and kept in DIR/prefix, so that two DIRs can
# coexist.
#
#   node-env.sh central-start DIR      OVN NB + SB ovsdb-servers and
#                                      ovn-northd: DIR/nb.sock, DIR/sb.sock
#   node-env.sh underlay-up DIR        the underlay: namespace PREFIX-ul with
#                                      a bridge carrying NET.1/24, NET being
#                                      $KOVN_UNDERLAY_NET (default 192.0.2),
#                                      kept in DIR/underlay-net
#   node-env.sh host-link DIR          a veth from the host into the underlay
#                                      (host side PREFIX-host, NET.254/24), so
#                                      that host programs (kube-apiserver)
#                                      reach the nodes; NET must then be a
#                                      range the host has no route for
#   node-env.sh apiserver-relay DIR KUBECONFIG
#                                      relay https://192.0.2.1:PORT (in the
#                                      underlay) to the kube-apiserver at
#                                      127.0.0.1:PORT; write
#                                      DIR/kubeconfig-node pointing there
#   node-env.sh node-add DIR NAME INDEX [--no-ovs]
#                                      node NAME: namespace PREFIX-NAME,
#                                      underlay IP 192.0.2.(10+INDEX) on the
#                                      netdev bridge br-phy, ovsdb-server,
#                                      ovs-vswitchd, ovn-controller (idle
#                                      until the node is configured);
#                                      --no-ovs: none of them, the IP on
#                                      eth0 (kovn's pods bring them)
#   node-env.sh host-routes DIR NAME CIDR...
#                                      route CIDR... from the host into node
#                                      NAME over the host link (ranges the
#                                      host routes elsewhere are skipped)
#   node-env.sh node-mount-ns DIR NAME  give node NAME a mount namespace of
#                                      its own (held by DIR/NAME/mnt.pid): a sysfs of its
#                                      network namespace and, bound from
#                                      DIR/NAME/root/, the folders a machine
#                                      owns (MACHINE_DIRS below) plus
#                                      /run/openvswitch and /run/ovn (= DIR/
#                                      NAME); node-exec then runs there
#   node-env.sh node-ovn-config DIR NAME  configure the node for OVN as
#                                      kovn-daemon does (external_ids, br-int)
#   node-env.sh node-exec DIR NAME CMD...  run CMD in the node (exec: CMD
#                                      keeps this pid); ovs-vsctl, ovs-appctl,
#                                      ovn-appctl, ovn-nbctl, ovn-sbctl work
#   node-env.sh node-ip DIR NAME       print the node's underlay IP
#   node-env.sh underlay-net DIR       print NET (the underlay is NET.0/24)
#   node-env.sh node-netns DIR NAME    print the node's namespace name
#   node-env.sh nodes DIR              list the nodes
#   node-env.sh node-del DIR NAME      stop the node's daemons (and anything
#                                      else left in its namespace), delete it
#   node-env.sh underlay-exec DIR CMD...  run CMD in the underlay namespace
#   node-env.sh external-up DIR        an "external" host outside the
#                                      cluster: namespace PREFIX-ext with
#                                      198.51.100.10/24 and .11/24, routed
#                                      (not bridged) through the underlay
#                                      namespace, which gets 198.51.100.1/24
#                                      and forwards; every node (and any
#                                      added later) routes 198.51.100.0/24
#                                      via NET.1, as it would its default
#                                      route.  No default route anywhere
#   node-env.sh external-route DIR CIDR NODE|none
#                                      the underlay routes CIDR via NODE's
#                                      underlay IP and the external host
#                                      via 198.51.100.1 (none: remove both)
#   node-env.sh external-exec DIR CMD...  run CMD in the external host
#   node-env.sh external-down DIR      undo external-up (stop-all does too)
#   node-env.sh node-kill DIR NAME [PID...]
#                                      node NAME crashes: SIGKILL to its
#                                      ovn-controller, ovs-vswitchd (and its
#                                      monitor), ovsdb-server and PID... at
#                                      once, its underlay link down; prints
#                                      when (ms since the epoch); node-del
#                                      still cleans it up
#   node-env.sh prefix DIR             print DIR's prefix
#   node-env.sh stop-all DIR           stop and delete everything above, and
#                                      any namespace named PREFIX-* (callers
#                                      name their pods' so); idempotent, fine
#                                      on half-built state
#   node-env.sh leftovers DIR          print what of DIR still exists
#                                      (namespaces, links, processes); exit 1
#                                      if anything does
#
# Layout: DIR/NAME/ is node NAME's OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR and the
# same for OVN (conf.db, db.sock, *.pid, *.ctl, *.log, index); DIR/relay/
# the relay's; nb/sb/northd files as ovn-env.sh makes them.  A node's netns
# holds lo, eth0 (its underlay veth, a port of br-phy) and br-phy's internal
# interface with the node IP: OVS's userspace datapath sends Geneve only
# from an IP on one of its own netdev bridges.
#
# The underlay lives in its own namespace, not in the caller's, so that two
# DIRs can both use 192.0.2.0/24 and no host firewall (br_netfilter) sees the
# traffic.  The relay is two socats joined by DIR/relay/api.sock.
#
# A shell caller cleans up even when it fails:
#   d=$(mktemp -d); trap 'node-env.sh stop-all "$d"; rm -rf "$d"' EXIT
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OVN_ENV=$HERE/ovn-env.sh
VSWITCH_SCHEMA=${VSWITCH_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
TIMEOUT=${NODE_ENV_TIMEOUT:-20}   # seconds to wait for a daemon
# The underlay is NET.0/24: .1 the underlay itself, .(10+INDEX) the nodes,
# .254 the host (host-link).  Read from DIR/underlay-net once it exists.
UNDERLAY_NET=${KOVN_UNDERLAY_NET:-192.0.2}
UNDERLAY_BR=underlay               # the bridge, inside the underlay netns

# shellcheck source=proc-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc-lib.sh"   # wait_for, alive

die() { echo "node-env.sh: $*" >&2; exit 1; }
log() { echo "node-env.sh: $*" >&2; }

usage() {
  sed -n '/^#   node-env.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Runs a command, showing its output only if it fails.
quiet() {
  local out
  out=$("$@" 2>&1) || { echo "$out" >&2; die "failed: $*"; }
}

cmdline() {   # PID: its command line, arguments joined by spaces
  local -a args
  mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 1
  echo "${args[*]}"
}

# True if PID runs and its command line names DIR: a recycled pid is never
# taken for ours.
is_ours() {
  local pid=$1 cmd
  [ -n "$pid" ] && alive "$pid" || return 1
  cmd=$(cmdline "$pid") || return 1
  [[ " $cmd " == *"$DIR"[/\ ]* ]]
}

# Stops the process in PIDFILE: "APPCTL -t CTL exit" if given, else (or if
# that fails) TERM to PID, or to its process group if GROUP=1; KILL after
# 10 s.
stop_pidfile() {   # PIDFILE GROUP [APPCTL CTL]
  local pidfile=$1 group=$2 appctl=${3:-} ctl=${4:-} pid target
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  if is_ours "$pid"; then
    target=$pid
    [ "$group" = 1 ] && target=-$pid
    if [ -z "$appctl" ] ||
       ! timeout 5 "$appctl" -t "$ctl" exit >/dev/null 2>&1; then
      kill -TERM -- "$target" 2>/dev/null || true
    fi
    if ! wait_for 10 eval "! alive $pid"; then
      log "$pidfile: pid $pid still runs 10 s after exit/TERM; killing it"
      kill -KILL -- "$target" 2>/dev/null || true
      wait_for 5 eval "! alive $pid" || true
    fi
  fi
  rm -f "$pidfile"
}

# --- names ------------------------------------------------------------------

prefix_in_use() {   # PREFIX: some netns or link of ours is named PREFIX-*
  ip netns list 2>/dev/null | grep -q "^$1-" ||
    ip -o link show 2>/dev/null | grep -q "^[0-9]*: $1-"
}

# DIR's prefix: "k" and 3 hex digits from DIR's path, another one if that
# one is in use by other namespaces; made once and kept in DIR/prefix.
prefix() {
  if [ -s "$DIR/prefix" ]; then
    cat "$DIR/prefix"
    return
  fi
  local i p
  for ((i = 0; i < 64; i++)); do
    p=k$(printf '%s#%d' "$DIR" "$i" | md5sum | cut -c1-3)
    prefix_in_use "$p" || break
  done
  prefix_in_use "$p" && die "no free prefix for $DIR"
  echo "$p" >"$DIR/prefix"
  echo "$p"
}

ul_ns() { echo "$(prefix)-ul"; }

check_name() {   # NAME: a valid node name, short enough for a netns name
  local name=$1 p
  [[ $name =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] ||
    die "bad node name '$name' (lower-case letters, digits, '-')"
  case $name in ul | relay) die "node name '$name' is reserved" ;; esac
  p=$(prefix)
  [ $((${#p} + 1 + ${#name})) -le 15 ] ||
    die "node name '$name' too long (at most $((14 - ${#p})) characters)"
}

node_dir() { echo "$DIR/$1"; }

need_node() {   # NAME
  [ -f "$DIR/$1/index" ] || die "no node $1 in $DIR"
}

node_ns() { echo "$(prefix)-$1"; }

node_ip() { echo "$UNDERLAY_NET.$((10 + $(cat "$DIR/$1/index")))"; }

node_names() {
  local f
  for f in "$DIR"/*/index; do
    [ -f "$f" ] || continue
    f=${f%/index}
    echo "${f##*/}"
  done
}

netns_exists() { [ -e "/run/netns/$1" ]; }

# Sets the environment under which the OVS and OVN tools and daemons use
# node NAME's files.
node_environment() {   # NAME
  local d=$DIR/$1
  export OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d
  export OVN_RUNDIR=$d OVN_DBDIR=$d OVN_LOGDIR=$d OVN_SYSCONFDIR=$d
  if [ -e "$d/no-ovs" ]; then   # ovs-ovn's pod: the node's own folders
    OVS_RUNDIR=$d/root/run/openvswitch OVN_RUNDIR=$d/root/run/ovn
  fi
  export OVN_NB_DB=unix:$DIR/nb.sock OVN_SB_DB=unix:$DIR/sb.sock
  export KOVN_NODE_NAME=$1 KOVN_NODE_IP
  KOVN_NODE_IP=$(node_ip "$1")
}

# What a node's mount namespace has of its own (node-mount-ns): each path
# is bound from DIR/NAME/root/PATH, so that files and hostPath volumes are
# per node, as on separate machines.  /run/netns: the pods' network
# namespaces (the container runtime's).
MACHINE_DIRS="/etc/cni/net.d /opt/cni/bin /var/lib/kubelet /var/lib/cni
  /var/lib/containerd /run/containerd /run/netns /var/log/pods
  /var/log/containers /etc/kubernetes /etc/openvswitch /var/lib/ovn /run/kovn"

# --- central ------------------------------------------------------------------

cmd_central_start() {
  "$OVN_ENV" start-nb "$DIR"
  "$OVN_ENV" start-northd "$DIR"
}

# --- underlay -------------------------------------------------------------------

cmd_underlay_up() {
  local ns
  ns=$(ul_ns)
  netns_exists "$ns" && die "underlay of $DIR already up ($ns)"
  [[ $UNDERLAY_NET =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "bad underlay network '$UNDERLAY_NET' (want A.B.C, for A.B.C.0/24)"
  echo "$UNDERLAY_NET" >"$DIR/underlay-net"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # A fixed MAC: a Linux bridge otherwise takes its ports' lowest, which
  # changes as nodes join, and nodes that cached the old one for 192.0.2.1
  # stall (30 to 60 s) until their ARP entry expires.
  ip -n "$ns" link add "$UNDERLAY_BR" address 02:00:c0:00:02:01 type bridge
  ip -n "$ns" addr add "$UNDERLAY_NET.1/24" dev "$UNDERLAY_BR"
  # Locally sent TCP (the relay) must leave with full checksums and in
  # MTU-sized segments: the nodes' OVS reads it raw from an AF_PACKET
  # socket and the kernel behind br-phy would drop it otherwise.
  quiet ip netns exec "$ns" ethtool -K "$UNDERLAY_BR" tx off
  ip -n "$ns" link set "$UNDERLAY_BR" up
}

host_link() { echo "$(prefix)-host"; }

cmd_host_link() {
  local ns link
  ns=$(ul_ns)
  link=$(host_link)
  netns_exists "$ns" || die "no underlay: run underlay-up first"
  # The host must not already reach NET through a real interface: the
  # sandbox's traffic would then leave the machine.
  if ip -4 route show to match "$UNDERLAY_NET.1" 2>/dev/null |
     grep -qv '^default'; then
    die "the host already has a route to $UNDERLAY_NET.0/24; pick another KOVN_UNDERLAY_NET"
  fi
  ip link add "$link" type veth peer name host netns "$ns"
  ip -n "$ns" link set host master "$UNDERLAY_BR" up
  ip addr add "$UNDERLAY_NET.254/24" dev "$link"
  # As for the underlay bridge: the nodes' OVS reads this raw, so the host
  # must send full checksums and MTU-sized segments.
  quiet ethtool -K "$link" tx off tso off gso off
  ip link set "$link" up
}

# Routes CIDR... from the host into node NAME (its underlay IP), over the
# host link: the apiserver's proxy to pods and Services must reach the
# sandbox, never the machine's default route.  A range the host already
# routes elsewhere (not by default) is left alone.  The routes go with the
# link.  NAME masquerades what the host sends into OVN, as a gateway node
# in front of an outside network would: pods answer through their own
# node (node-gateway.h), which never saw the connection otherwise.
cmd_host_routes() {
  local name=$1 cidr
  shift
  need_node "$name"
  ip netns exec "$(node_ns "$name")" nft -f - <<NFT
table ip kovn-sandbox {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    ip saddr $UNDERLAY_NET.254 oifname "ovn0" masquerade
  }
}
NFT
  for cidr in "$@"; do
    if ip -4 route show to match "${cidr%/*}" | grep -qv '^default'; then
      log "the host already routes $cidr; not routing it into the sandbox"
      continue
    fi
    ip route add "$cidr" via "$(node_ip "$name")" dev "$(host_link)"
  done
}

# --- the external host -------------------------------------------------------------

# An "external" host on 198.51.100.0/24 (RFC 5737's TEST-NET-2), behind
# the underlay namespace acting as the router in front of the cluster.
# Nothing here reaches the machine's real network: the external namespace
# has routes to the underlay and to what external-route adds only, the
# underlay has no default route and drops what would be forwarded between
# the external host and the host link (the host would answer through its
# own default route).
EXT_NET=198.51.100
EXT_GW=$EXT_NET.1                  # the underlay's side
EXT_IPS="$EXT_NET.10 $EXT_NET.11"  # the external host's

ext_ns() { echo "$(prefix)-ext"; }

# Node NAME's route to the external network, via the underlay.
node_ext_route() {   # NAME
  ip -n "$(node_ns "$1")" route replace "$EXT_NET.0/24" via "$UNDERLAY_NET.1"
}

cmd_external_up() {
  local ul ext ip name
  ul=$(ul_ns)
  ext=$(ext_ns)
  netns_exists "$ul" || die "no underlay: run underlay-up first"
  netns_exists "$ext" && die "external host of $DIR already up ($ext)"
  ip netns add "$ext"
  # From here on external-down (or stop-all) undoes what was made.
  touch "$DIR/external"
  ip -n "$ext" link set lo up
  ip -n "$ul" link add ext type veth peer name eth0 netns "$ext"
  ip -n "$ul" addr add "$EXT_GW/24" dev ext
  ip -n "$ul" link set ext up
  for ip in $EXT_IPS; do ip -n "$ext" addr add "$ip/24" dev eth0; done
  # The nodes' OVS reads what the external host sends raw (AF_PACKET), as
  # forwarded by the underlay: full checksums, MTU-sized segments.
  quiet ip netns exec "$ext" ethtool -K eth0 tx off tso off gso off
  ip -n "$ext" link set eth0 up
  ip -n "$ext" route add "$UNDERLAY_NET.0/24" via "$EXT_GW"
  quiet ip netns exec "$ul" nft -f - <<NFT
table ip kovn-external {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "ext" ip daddr $UNDERLAY_NET.254 drop
    oifname "ext" ip saddr $UNDERLAY_NET.254 drop
  }
}
NFT
  quiet ip netns exec "$ul" sysctl -w net.ipv4.ip_forward=1
  for name in $(node_names); do
    netns_exists "$(node_ns "$name")" && node_ext_route "$name"
  done
  return 0
}

cmd_external_route() {
  local cidr=$1 node=$2 ul ext
  ul=$(ul_ns)
  ext=$(ext_ns)
  netns_exists "$ext" || die "no external host: run external-up first"
  [[ $cidr =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] ||
    die "bad CIDR '$cidr' (IPv4 A.B.C.D/N)"
  if [ "$node" = none ]; then
    ip -n "$ul" route del "$cidr" 2>/dev/null || true
    ip -n "$ext" route del "$cidr" 2>/dev/null || true
    return 0
  fi
  need_node "$node"
  ip -n "$ul" route replace "$cidr" via "$(node_ip "$node")" \
    dev "$UNDERLAY_BR"
  ip -n "$ext" route replace "$cidr" via "$EXT_GW"
}

cmd_external_down() {
  local ul name
  ul=$(ul_ns)
  for name in $(node_names); do
    ip -n "$(node_ns "$name")" route del "$EXT_NET.0/24" 2>/dev/null || true
  done
  if netns_exists "$(ext_ns)"; then
    kill_netns_pids "$(ext_ns)"
    ip netns del "$(ext_ns)"
  fi
  if netns_exists "$ul"; then
    ip -n "$ul" link del ext 2>/dev/null || true
    ip netns exec "$ul" nft delete table ip kovn-external 2>/dev/null || true
    ip netns exec "$ul" sysctl -q -w net.ipv4.ip_forward=0 || true
  fi
  rm -f "$DIR/external"
}

# --- apiserver relay ------------------------------------------------------------

# Runs CMD... in a session of its own, detached, pid in PIDFILE.
spawn() {   # PIDFILE CMD...
  local pidfile=$1
  shift
  setsid "$@" </dev/null >/dev/null 2>&1 &
  echo $! >"$pidfile"
}

stop_relay() {
  stop_pidfile "$DIR/relay/ul.pid" 1
  stop_pidfile "$DIR/relay/host.pid" 1
  rm -f "$DIR/relay/api.sock"
}

# Prints FILE with the server replaced by SERVER and relative file names
# made absolute (relative to FILE's folder).
rewrite_kubeconfig() {   # FILE SERVER
  local base
  base=$(cd "$(dirname "$1")" && pwd)
  awk -v server="$2" -v base="$base" '
    /^[ \t]*server:[ \t]/ { sub(/server:.*/, "server: " server) }
    /^[ \t]*(certificate-authority|client-certificate|client-key|tokenFile):[ \t]/ {
      n = index($0, ":"); v = substr($0, n + 1); sub(/^[ \t]+/, "", v)
      if (v !~ /^\//) $0 = substr($0, 1, n) " " base "/" v
    }
    { print }' "$1"
}

relay_listening() {   # NS PORT
  ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}

cmd_apiserver_relay() {
  local kubeconfig=$1 server port ns sock=$DIR/relay/api.sock
  [ -f "$kubeconfig" ] || die "$kubeconfig: no such file"
  command -v socat >/dev/null || die "no socat (scripts/setup.sh installs it)"
  ns=$(ul_ns)
  netns_exists "$ns" || die "no underlay: run underlay-up first"
  server=$(awk '/^[ \t]*server:[ \t]/ { print $2; exit }' "$kubeconfig")
  [[ $server =~ ^https://127\.0\.0\.1:([0-9]+)/?$ ]] ||
    die "$kubeconfig: server $server is not https://127.0.0.1:PORT"
  port=${BASH_REMATCH[1]}
  mkdir -p "$DIR/relay"
  stop_relay
  spawn "$DIR/relay/host.pid" socat -lf "$DIR/relay/host.log" \
    "UNIX-LISTEN:$sock,fork,unlink-early,mode=600" "TCP:127.0.0.1:$port"
  wait_for "$TIMEOUT" test -S "$sock" || die "relay: no $sock"
  spawn "$DIR/relay/ul.pid" ip netns exec "$ns" socat \
    -lf "$DIR/relay/ul.log" \
    "TCP-LISTEN:$port,bind=$UNDERLAY_NET.1,fork,reuseaddr" "UNIX-CONNECT:$sock"
  wait_for "$TIMEOUT" relay_listening "$ns" "$port" ||
    die "relay: nothing listens on $UNDERLAY_NET.1:$port; see $DIR/relay"
  rewrite_kubeconfig "$kubeconfig" "https://$UNDERLAY_NET.1:$port" \
    >"$DIR/kubeconfig-node"
  chmod 600 "$DIR/kubeconfig-node"
}

# --- nodes ------------------------------------------------------------------------

ovs_route_ready() {   # NAME IP: ovs-vswitchd has the route from the node IP
  ovs-appctl ovs/route/show 2>/dev/null | grep -q "br-phy SRC $2"
}

cmd_node_add() {
  local name=$1 index=$2 no_ovs=${3:-0} ns ul d ip
  check_name "$name"
  if ! [[ $index =~ ^[0-9]+$ ]] || [ "$index" -lt 1 ] || [ "$index" -gt 240 ]; then
    die "bad node index '$index' (1-240)"
  fi
  ul=$(ul_ns)
  netns_exists "$ul" || die "no underlay: run underlay-up first"
  [ -f "$DIR/$name/index" ] && die "node $name already exists"
  local other
  for other in $(node_names); do
    [ "$(cat "$DIR/$other/index")" != "$index" ] ||
      die "index $index is node $other's"
  done
  ns=$(node_ns "$name")
  netns_exists "$ns" && die "namespace $ns already exists"
  d=$DIR/$name
  mkdir -p "$d"
  # From here on stop-all (or node-del) cleans up whatever was made.
  echo "$index" >"$d/index"
  node_environment "$name"
  ip=$(node_ip "$name")

  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ul" link add "$name" type veth peer name eth0 netns "$ns"
  ip -n "$ul" link set "$name" master "$UNDERLAY_BR" up
  ip -n "$ns" link set eth0 up
  if [ "$no_ovs" = 1 ]; then
    # A machine as it comes, before any network plugin: its address on
    # eth0.  Open vSwitch comes with kovn's ovs-ovn pod (deploy/).
    touch "$d/no-ovs"
    ip -n "$ns" addr add "$ip/24" dev eth0
    [ -e "$DIR/external" ] && node_ext_route "$name"
    return 0
  fi

  quiet ovsdb-tool create "$d/conf.db" "$VSWITCH_SCHEMA"
  ip netns exec "$ns" ovsdb-server --detach --no-chdir --pidfile \
    -vconsole:off -vfile:info --log-file \
    --remote="punix:$d/db.sock" \
    --remote=db:Open_vSwitch,Open_vSwitch,manager_options "$d/conf.db" ||
    die "ovsdb-server of $name failed to start; see $d/ovsdb-server.log"
  wait_for "$TIMEOUT" test -S "$d/db.sock" || die "no $d/db.sock"
  quiet ovs-vsctl --no-wait init
  # --monitor: restarted if it crashes, as ovs-ctl (and so a packaged
  # node) runs it.  OVS 3.1's userspace conntrack aborts on some port
  # reuse (bench/RESULTS.md, the Service data path).
  ip netns exec "$ns" ovs-vswitchd --detach --monitor --no-chdir --pidfile \
    -vconsole:off -vfile:info --log-file "unix:$d/db.sock" ||
    die "ovs-vswitchd of $name failed to start; see $d/ovs-vswitchd.log"

  quiet timeout "$TIMEOUT" ovs-vsctl add-br br-phy \
    -- set bridge br-phy datapath_type=netdev \
    -- add-port br-phy eth0
  wait_for "$TIMEOUT" ip -n "$ns" link show br-phy >/dev/null 2>&1 ||
    die "$name: no br-phy interface"
  ip -n "$ns" addr add "$ip/24" dev br-phy
  ip -n "$ns" link set br-phy up
  wait_for "$TIMEOUT" ovs_route_ready "$name" "$ip" ||
    die "$name: ovs-vswitchd has no route via br-phy from $ip"
  # Conntrack (OVN's load balancers) must see fragmented packets whole, as
  # the kernel datapath's does: the userspace one reassembles only when
  # told to (a 2 KB UDP request to a Service is two fragments).
  quiet ovs-appctl dpctl/ipf-set-enabled v4
  quiet ovs-appctl dpctl/ipf-set-enabled v6

  ip netns exec "$ns" ovn-controller --detach --no-chdir --pidfile \
    -vconsole:off -vfile:info --log-file "unix:$d/db.sock" ||
    die "ovn-controller of $name failed to start; see $d/ovn-controller.log"
  [ -e "$DIR/external" ] && node_ext_route "$name"
  return 0
}

cmd_node_ovn_config() {
  local name=$1 ip
  need_node "$name"
  node_environment "$name"
  ip=$(node_ip "$name")
  quiet timeout "$TIMEOUT" ovs-vsctl \
    set Open_vSwitch . external_ids:system-id="$name" \
    external_ids:hostname="$name" \
    external_ids:ovn-remote="unix:$DIR/sb.sock" \
    external_ids:ovn-encap-type=geneve \
    external_ids:ovn-encap-ip="$ip" \
    external_ids:ovn-bridge-datapath-type=netdev \
    -- --may-exist add-br br-int \
    -- set bridge br-int datapath_type=netdev fail-mode=secure \
    other_config:disable-in-band=true
}

cmd_node_exec() {
  local name=$1
  shift
  [ $# -gt 0 ] || die "node-exec: no command"
  need_node "$name"
  node_environment "$name"
  if [ -e "$DIR/$name/mnt.ready" ]; then
    exec nsenter --target="$(mnt_holder "$name")" --mount --uts \
      --net="/run/netns/$(node_ns "$name")" -- "$@"
  fi
  exec ip netns exec "$(node_ns "$name")" "$@"
}

# The node's mount namespace, made by unshare and kept by a process that
# lives in it (DIR/NAME/mnt.pid, named after DIR so that it is never taken
# for another's): node-exec enters it through that process.  With it a UTS
# namespace whose hostname is the node's name: hostNetwork pods see it, as
# on a real node (upstream tests expect their hostname to be the node's).  (Keeping it
# by a bind mount of the namespace file instead failed now and then with
# EINVAL here.)
cmd_node_mount_ns() {
  local name=$1 d=$DIR/$1 ns path
  need_node "$name"
  ns=$(node_ns "$name")
  [ -e "$d/mnt.ready" ] && die "node $name has a mount namespace already"
  for path in $MACHINE_DIRS; do mkdir -p "$d/root$path"; done
  mkdir -p "$d/sys"
  setsid nsenter --net="/run/netns/$ns" -- unshare --mount --uts \
    --propagation private -- "$0" node-mount-setup "$DIR" "$name" \
    </dev/null >/dev/null 2>>"$d/mnt.log" &
  echo $! >"$d/mnt.pid"
  wait_for "$TIMEOUT" test -e "$d/mnt.ready" ||
    die "$name: could not set up its mount namespace; see $d/mnt.log"
}

mnt_holder() { cat "$DIR/$1/mnt.pid" 2>/dev/null; }

# Runs inside the new mount namespace (and the node's network namespace).
node_mount_setup() {
  local name=$1 d=$DIR/$1 path
  hostname "$name"
  # A sysfs of this network namespace, with the host's cgroup hierarchy
  # (the kubelet and runc need it) bound back in.
  mount -t sysfs sysfs "$d/sys"
  mount --rbind /sys/fs/cgroup "$d/sys/fs/cgroup"
  mount --move "$d/sys" /sys
  for path in $MACHINE_DIRS; do
    mkdir -p "$path"
    # A mount of the host's there already (its /run/netns): it is the one
    # a runtime looks at first, so it must be shared too.
    if mountpoint -q "$path"; then mount --make-shared "$path"; fi
    mount --bind "$d/root$path" "$path"
    # Shared, as on a machine with systemd: a container may mount a folder
    # with HostToContainer propagation (kovn-daemon's /run/netns).  The
    # namespace was made private: nothing reaches the host's mounts.
    mount --make-shared "$path"
  done
  mkdir -p /run/openvswitch /run/ovn
  if [ -e "$d/no-ovs" ]; then
    # Open vSwitch and OVN come in pods: their run folders are the node's.
    mkdir -p "$d/root/run/openvswitch" "$d/root/run/ovn"
    mount --bind "$d/root/run/openvswitch" /run/openvswitch
    mount --bind "$d/root/run/ovn" /run/ovn
  else
    mount --bind "$d" /run/openvswitch
    mount --bind "$d" /run/ovn
  fi
  touch "$d/mnt.ready"
  exec -a "kovn-node-mount-ns $d" sleep infinity
}

# Pids of the processes in the mount namespace with inode INO and of all
# their descendants: the containers too, which have mount and network
# namespaces of their own but are children of the runtime's shims.
mount_ns_tree_pids() {   # INO
  local p pid ppid stat
  declare -A parent_of=() in_tree=()
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    stat=$(cat "$p/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    ppid=$(echo "$stat" | cut -d' ' -f2)
    parent_of[$pid]=$ppid
    [ "$(stat -L -c %i "$p/ns/mnt" 2>/dev/null)" = "$1" ] && in_tree[$pid]=1
  done
  local grew=1
  while [ $grew = 1 ]; do
    grew=0
    for pid in "${!parent_of[@]}"; do
      [ -z "${in_tree[$pid]:-}" ] && [ -n "${in_tree[${parent_of[$pid]}]:-}" ] &&
        { in_tree[$pid]=1; grew=1; }
    done
  done
  echo "${!in_tree[@]}"
}

# Kills what still runs in node NAME's mount namespace (its holder too),
# and their children.
kill_node_tree() {   # NAME
  local ino pids pid
  is_ours "$(mnt_holder "$1")" || return 0
  ino=$(stat -L -c %i "/proc/$(mnt_holder "$1")/ns/mnt" 2>/dev/null) || return 0
  pids=$(mount_ns_tree_pids "$ino")
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  wait_for 5 eval '[ -z "$(mount_ns_tree_pids "$ino")" ]' && return 0
  for pid in $(mount_ns_tree_pids "$ino"); do
    log "killing pid $pid ($(cmdline "$pid" || true)), left in node $1"
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait_for 5 eval '[ -z "$(mount_ns_tree_pids "$ino")" ]' || true
}

cmd_node_mount_del() {
  local name=$1 d=$DIR/$1
  rm -f "$d/mnt.ready"
  [ -f "$d/mnt.pid" ] && stop_pidfile "$d/mnt.pid" 0
  return 0
}

netns_empty() { [ -z "$(ip netns pids "$1" 2>/dev/null)" ]; }

# Kills whatever still runs in namespace NS (after our daemons stopped:
# something the caller started there and did not stop).
kill_netns_pids() {   # NS
  local pids pid
  pids=$(ip netns pids "$1" 2>/dev/null) || return 0
  [ -n "$pids" ] || return 0
  for pid in $pids; do
    log "killing pid $pid ($(cmdline "$pid" || true)), left in $1"
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait_for 5 netns_empty "$1" && return 0
  for pid in $(ip netns pids "$1" 2>/dev/null); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait_for 5 netns_empty "$1" || true
}

cmd_node_del() {
  local name=$1 d=$DIR/$1 ns ul pid
  [ -d "$d" ] || return 0
  ns=$(node_ns "$name")
  ul=$(ul_ns)
  node_environment "$name" 2>/dev/null || true
  pid=$d/ovn-controller.pid
  if [ -f "$pid" ]; then
    stop_pidfile "$pid" 0 ovn-appctl \
      "$d/ovn-controller.$(cat "$pid" 2>/dev/null).ctl"
  fi
  local daemon
  for daemon in ovs-vswitchd ovsdb-server; do
    [ -f "$d/$daemon.pid" ] || continue
    stop_pidfile "$d/$daemon.pid" 0 ovs-appctl \
      "$d/$daemon.$(cat "$d/$daemon.pid" 2>/dev/null).ctl"
  done
  [ -f "$d/mnt.pid" ] && kill_node_tree "$name"
  if netns_exists "$ns"; then
    kill_netns_pids "$ns"
    ip netns del "$ns"
  fi
  cmd_node_mount_del "$name"
  # The peer of the node's veth goes by itself a moment after its
  # namespace: deleting it here may find it gone already.
  if netns_exists "$ul"; then
    ip -n "$ul" link del "$name" 2>/dev/null || true
  fi
  # Keep the daemons' logs; the rest goes (the node's own folders, with
  # its containers' logs, entirely), so that the name can be added again.
  rm -rf "$d/root" "$d/sys"
  find "$d" -mindepth 1 ! -name '*.log' -delete 2>/dev/null || true
}

# A crash of the node's OVS and OVN (as its machine dying): SIGKILL, no
# clean exit, and the node off the underlay.  ovs-vswitchd runs under
# --monitor, which would restart it: its monitor (its parent) dies with it.
# PID... (the caller's processes of the node) get their SIGKILL in the same
# kill(1).  Prints the time of the kill, in ms since the epoch.
cmd_node_kill() {
  local name=$1 d=$DIR/$1 daemon pid ppid stat pids=() t
  shift
  need_node "$name"
  for daemon in ovn-controller ovs-vswitchd ovsdb-server; do
    pid=$(cat "$d/$daemon.pid" 2>/dev/null) || continue
    is_ours "$pid" || continue
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    ppid=$(echo "$stat" | cut -d' ' -f2)
    if [ "$daemon" = ovs-vswitchd ] && [ "$ppid" -gt 1 ] &&
       [[ $(cmdline "$ppid" || true) == *ovs-vswitchd* ]]; then
      pids+=("$ppid")
    fi
    pids+=("$pid")
  done
  pids+=("$@")
  t=$(($(date +%s%N) / 1000000))
  [ ${#pids[@]} = 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
  ip -n "$(ul_ns)" link set "$name" down 2>/dev/null || true
  echo "$t"
  for pid in "${pids[@]}"; do
    wait_for 5 eval "! alive $pid" || log "$name: pid $pid survives SIGKILL"
  done
}

# --- all ----------------------------------------------------------------------------

cmd_stop_all() {
  local name ns p
  for name in $(node_names); do
    cmd_node_del "$name"
  done
  stop_relay
  if [ -s "$DIR/prefix" ]; then
    ip link del "$(host_link)" 2>/dev/null || true
  fi
  [ -e "$DIR/external" ] && cmd_external_down
  "$OVN_ENV" stop-all "$DIR"
  # The underlay, and any namespace a caller named PREFIX-* (pods, an
  # "external" host...).
  if [ -s "$DIR/prefix" ]; then
    p=$(cat "$DIR/prefix")
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
      [[ $ns == "$p"-* ]] || continue
      kill_netns_pids "$ns"
      ip netns del "$ns"
    done
  fi
}

# Pids of this process and its ancestors: their command lines may name DIR.
ancestors() {
  local pid=$BASHPID stat
  while [ -n "$pid" ] && [ "$pid" != 0 ]; do
    echo "$pid"
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || break
    stat=${stat##*) }
    pid=$(echo "$stat" | cut -d' ' -f2)
  done
}

cmd_leftovers() {
  local found=0 p pid ns cmd mine
  if [ -s "$DIR/prefix" ]; then
    p=$(cat "$DIR/prefix")
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
      [[ $ns == "$p"-* ]] || continue
      echo "netns $ns"
      found=1
      for pid in $(ip netns pids "$ns" 2>/dev/null); do
        echo "process $pid in $ns: $(cmdline "$pid" || true)"
      done
    done
    while read -r cmd; do
      [ -n "$cmd" ] || continue
      echo "link $cmd"
      found=1
    done < <(ip -o link show 2>/dev/null |
             awk -F': ' -v p="$p-" 'index($2, p) == 1 { print $2 }')
  fi
  mine=" $(ancestors | tr '\n' ' ') "
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $mine == *" $pid "* ]] && continue
    is_ours "$pid" || continue
    echo "process $pid: $(cmdline "$pid" || true)"
    found=1
  done
  return $found
}

# --- main ---------------------------------------------------------------------------

[ $# -ge 2 ] || usage
cmd=$1 DIR=$2
shift 2
[ -d "$DIR" ] || die "$DIR: not a directory"
DIR=$(cd "$DIR" && pwd)
[ -s "$DIR/underlay-net" ] && UNDERLAY_NET=$(cat "$DIR/underlay-net")

case $cmd in
  central-start)   [ $# = 0 ] || usage; cmd_central_start ;;
  underlay-up)     [ $# = 0 ] || usage; cmd_underlay_up ;;
  apiserver-relay) [ $# = 1 ] || usage; cmd_apiserver_relay "$1" ;;
  node-add)        [ $# = 2 ] || { [ $# = 3 ] && [ "$3" = --no-ovs ]; } || usage
                   cmd_node_add "$1" "$2" "$([ $# = 3 ] && echo 1 || echo 0)" ;;
  host-link)       [ $# = 0 ] || usage; cmd_host_link ;;
  host-routes)     [ $# -ge 2 ] || usage; cmd_host_routes "$@" ;;
  node-mount-ns)   [ $# = 1 ] || usage; cmd_node_mount_ns "$1" ;;
  node-mount-setup) [ $# = 1 ] || usage; node_mount_setup "$1" ;;
  node-ovn-config) [ $# = 1 ] || usage; cmd_node_ovn_config "$1" ;;
  underlay-net)    [ $# = 0 ] || usage; echo "$UNDERLAY_NET" ;;
  node-exec)       [ $# -ge 1 ] || usage; cmd_node_exec "$@" ;;
  node-ip)         [ $# = 1 ] || usage; need_node "$1"; node_ip "$1" ;;
  node-netns)      [ $# = 1 ] || usage; need_node "$1"; node_ns "$1" ;;
  nodes)           [ $# = 0 ] || usage; node_names ;;
  node-del)        [ $# = 1 ] || usage; cmd_node_del "$1" ;;
  underlay-exec)
    [ $# -ge 1 ] || usage
    netns_exists "$(ul_ns)" || die "no underlay in $DIR"
    exec ip netns exec "$(ul_ns)" "$@" ;;
  external-up)     [ $# = 0 ] || usage; cmd_external_up ;;
  external-route)  [ $# = 2 ] || usage; cmd_external_route "$1" "$2" ;;
  external-down)   [ $# = 0 ] || usage; cmd_external_down ;;
  external-exec)
    [ $# -ge 1 ] || usage
    netns_exists "$(ext_ns)" || die "no external host in $DIR"
    exec ip netns exec "$(ext_ns)" "$@" ;;
  node-kill)       [ $# -ge 1 ] || usage; cmd_node_kill "$@" ;;
  prefix)          [ $# = 0 ] || usage; prefix ;;
  stop-all)        [ $# = 0 ] || usage; cmd_stop_all ;;
  leftovers)       [ $# = 0 ] || usage; cmd_leftovers ;;
  *)               usage ;;
esac
