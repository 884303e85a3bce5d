#!/bin/bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# One part of a node's Open vSwitch and OVN in the ovs-ovn pod
# (deploy/ovn.yaml), in the foreground so that the kubelet restarts it:
#
#   start-ovs-ovn.sh ovsdb          the node's Open_vSwitch database
#                                   (/etc/openvswitch/conf.db, created or
#                                   converted to the image's schema)
#   start-ovs-ovn.sh vswitchd       ovs-vswitchd; with the netdev datapath
#                                   and OVS_UPLINK, the uplink moves into
#                                   bridge br-phy first (below)
#   start-ovs-ovn.sh ovn-controller ovn-controller (idle until kovn-daemon
#                                   writes the node's OVN settings)
#   start-ovs-ovn.sh probe ovsdb|vswitchd|ovn-controller
#                                   exit 0 when that daemon answers
#   start-ovs-ovn.sh cleanup        remove what kovn made on this node (for
#                                   install.sh uninstall): bridges br-int and
#                                   br-phy (the uplink's addresses go back to
#                                   it), port ovn0, the CNI plugin and
#                                   configuration, the kovn nftables table
#   start-ovs-ovn.sh remove-files   after the pods are gone: the databases
#                                   and run files they left (the node's /
#                                   mounted at $HOST, default /host)
#
# The daemons' control sockets have their usual names (NAME.PID.ctl; the
# pod shares the node's process IDs), so ovs-appctl -t ovs-vswitchd and
# ovn-appctl -t ovn-controller work on the node as with Debian's packages.
#
# Environment:
#   OVS_UPLINK   netdev datapath only: the node's interface (eth0) that
#                carries its address.  The userspace datapath sends Geneve
#                through a bridge that holds the tunnel address, so the
#                address and the routes through the uplink move to br-phy
#                (with the uplink's MAC), as OVN-Kubernetes does with
#                breth0.  Empty: nothing moves (the kernel datapath).
#   OVS_DATAPATH auto, system or netdev (as kovn-daemon's --datapath-type)
set -euo pipefail

OVS_RUN=/var/run/openvswitch
OVN_RUN=/var/run/ovn
CONF_DB=/etc/openvswitch/conf.db
SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
DB=unix:$OVS_RUN/db.sock
UPLINK_BRIDGE=br-phy
# nftables table that keeps the kernel from receiving on the uplink.
UPLINK_TABLE=kovn-uplink
# While it exists, ovn-controller is not started again (it would make
# br-int again as soon as cleanup removes it).
UNINSTALLING=$OVS_RUN/kovn-uninstalling

log() { printf 'start-ovs-ovn: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

vsctl() { ovs-vsctl --timeout=30 --db="$DB" "$@"; }

run_ovsdb() {
  mkdir -p "${CONF_DB%/*}" "$OVS_RUN"
  if [ ! -s "$CONF_DB" ]; then
    log "creating $CONF_DB"
    ovsdb-tool create "$CONF_DB" "$SCHEMA"
  elif [ "$(ovsdb-tool needs-conversion "$CONF_DB" "$SCHEMA")" = yes ]; then
    log "converting $CONF_DB to $(ovsdb-tool schema-version "$SCHEMA")"
    ovsdb-tool convert "$CONF_DB" "$SCHEMA"
  fi
  exec ovsdb-server "$CONF_DB" --remote="punix:$OVS_RUN/db.sock" \
    --remote=db:Open_vSwitch,Open_vSwitch,manager_options \
    --pidfile="$OVS_RUN/ovsdb-server.pid" --no-chdir -vconsole:info -vfile:off
}

datapath() {
  case ${OVS_DATAPATH:-auto} in
    auto) if [ -d /sys/module/openvswitch ]; then echo system; else echo netdev; fi ;;
    system|netdev) echo "$OVS_DATAPATH" ;;
    *) die "OVS_DATAPATH '$OVS_DATAPATH': want auto, system or netdev" ;;
  esac
}

# The uplink's IPv4/IPv6 addresses (global scope) as "ADDR/LEN".
addresses() {   # DEV
  ip -o addr show dev "$1" scope global | awk '{ print $4 }'
}

# The uplink's routes the administrator made (not the kernel's own for the
# addresses), one per line, without "dev X".
routes() {   # DEV
  { ip -4 route show dev "$1"; ip -6 route show dev "$1"; } |
    grep -v 'proto kernel' | grep -v '^fe80::' | sed 's/ linkdown//' || true
}

# Moves the uplink's addresses and routes to br-phy.  Done again after a
# restart it finds them there already, and only makes sure the port is.
move_uplink() {
  local up=$OVS_UPLINK mac addrs rts a r
  ip link show "$up" >/dev/null 2>&1 || die "OVS_UPLINK $up: no such interface"
  mac=$(cat "/sys/class/net/$up/address")
  addrs=$(addresses "$up")
  rts=$(routes "$up")
  vsctl --may-exist add-br "$UPLINK_BRIDGE" \
    -- set bridge "$UPLINK_BRIDGE" datapath_type=netdev \
         other_config:hwaddr="$mac" \
    -- --may-exist add-port "$UPLINK_BRIDGE" "$up"
  wait_until "the $UPLINK_BRIDGE interface" ip link show "$UPLINK_BRIDGE"
  ip link set "$UPLINK_BRIDGE" mtu "$(cat "/sys/class/net/$up/mtu")" up
  uplink_to_ovs_only "$up"
  [ -n "$addrs" ] || { log "$up has no address (moved before)"; return 0; }
  log "moving $(echo $addrs) and the routes via $up to $UPLINK_BRIDGE"
  for a in $addrs; do
    ip addr del "$a" dev "$up"
    ip addr replace "$a" dev "$UPLINK_BRIDGE"
  done
  while read -r r; do
    if [ -n "$r" ]; then ip route replace $r dev "$UPLINK_BRIDGE"; fi
  done <<<"$rts"
}

run_vswitchd() {
  local dp pid
  dp=$(datapath)
  # The containers of the pod start together: the database first.
  wait_until "the database" ovsdb-client --timeout=1 list-dbs "$DB"
  # ovn-controller makes br-int if it is missing: of this datapath type.
  vsctl --no-wait init -- set Open_vSwitch . \
    external_ids:ovn-bridge-datapath-type="$dp"
  ovs-vswitchd "$DB" --pidfile="$OVS_RUN/ovs-vswitchd.pid" --no-chdir \
    -vconsole:info -vfile:off &
  pid=$!
  # A TERM from the kubelet stops ovs-vswitchd the way ovs-ctl does; the
  # ports and flows stay in the database for the next one.
  trap 'ovs-appctl -t ovs-vswitchd exit >/dev/null 2>&1 || kill "$pid"' TERM INT
  if [ "$dp" = netdev ]; then
    wait_vswitchd
    [ -z "${OVS_UPLINK:-}" ] || move_uplink
    enable_reassembly &
  fi
  # (A TERM ends the first wait; the second waits for the exit it asked.)
  wait "$pid" || wait "$pid"
}

# Conntrack (OVN's load balancers) must see fragmented packets whole, as
# the kernel datapath's does: the userspace one reassembles only when told
# to, and only once it exists (with br-phy, or when kovn-daemon makes
# br-int).
enable_reassembly() {
  until ovs-appctl -t ovs-vswitchd dpctl/ipf-set-enabled v4 >/dev/null 2>&1 &&
        ovs-appctl -t ovs-vswitchd dpctl/ipf-set-enabled v6 >/dev/null 2>&1; do
    sleep 1
  done
}

wait_vswitchd() { wait_until ovs-vswitchd ovs-appctl -t ovs-vswitchd version; }

# Waits up to 60 s for CMD to succeed; exits (the kubelet restarts us) if
# it does not.  WHAT names it in the message.
wait_until() {   # WHAT CMD...
  local what=$1 i
  shift
  for ((i = 0; i < 600; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$what does not answer"
}

run_ovn_controller() {
  mkdir -p "$OVN_RUN"
  if [ -e "$UNINSTALLING" ]; then
    log "kovn is being uninstalled: ovn-controller stays stopped"
    exec sleep infinity
  fi
  wait_vswitchd
  exec ovn-controller "$DB" --pidfile="$OVN_RUN/ovn-controller.pid" --no-chdir \
    -vconsole:info -vfile:off
}

probe() {
  case ${1:-} in
    ovsdb) ovsdb-client --timeout=5 list-dbs "$DB" | grep -qx Open_vSwitch ;;
    vswitchd) ovs-appctl --timeout=5 -t ovs-vswitchd version >/dev/null ;;
    ovn-controller) ovn-appctl --timeout=5 -t ovn-controller version >/dev/null ;;
    *) die "probe: ovsdb, vswitchd or ovn-controller" ;;
  esac
}

# --- uninstall ---------------------------------------------------------------

cleanup() {
  local up i
  touch "$UNINSTALLING"
  ovn-appctl -t ovn-controller exit >/dev/null 2>&1 || true
  for ((i = 0; i < 100; i++)); do
    ovn-appctl -t ovn-controller version >/dev/null 2>&1 || break
    sleep 0.1
  done
  if ovsdb-client --timeout=5 list-dbs "$DB" >/dev/null 2>&1; then
    vsctl --if-exists del-br br-int
    if vsctl br-exists "$UPLINK_BRIDGE"; then
      up=$(vsctl list-ports "$UPLINK_BRIDGE" | grep -v "^patch-" | head -n 1)
      restore_uplink "$up"
    fi
    # Nothing may stay configured for OVN: a reinstall starts clean.
    vsctl --if-exists remove Open_vSwitch . external_ids ovn-remote \
      -- --if-exists remove Open_vSwitch . external_ids ovn-encap-ip \
      -- --if-exists remove Open_vSwitch . external_ids ovn-encap-type
  fi
  ip link del ovn0 2>/dev/null || true
  rm -f /etc/cni/net.d/01-kovn.conflist /opt/cni/bin/kovn
  nft delete table inet kovn 2>/dev/null || true
  log "cleaned up"
}

# After the ovs-ovn and ovn-central pods are gone: their databases and the
# files they left, under HOST (the node's / mounted in the cleanup pod).
# The run folders are cleaned file by file: they may hold others' files.
remove_files() {
  local h=${HOST:-/host} f d
  for d in "$h/etc/openvswitch" "$h/var/lib/ovn" "$h/run/kovn"; do
    [ -d "$d" ] || continue
    find "$d" -mindepth 1 -delete
    rmdir "$d" 2>/dev/null || true   # a mount point stays, empty
  done
  # (/var/run links to /run.)
  for f in db.sock ovsdb-server.pid 'ovsdb-server.*.ctl' ovs-vswitchd.pid kovn-uninstalling \
           'ovs-vswitchd.*.ctl' br-int.mgmt br-int.snoop br-phy.mgmt br-phy.snoop; do
    find "$h/run/openvswitch" -maxdepth 1 -name "$f" -delete 2>/dev/null || true
  done
  for f in ovn-controller.pid 'ovn-controller.*.ctl' ovnnb_db.sock ovnsb_db.sock \
           ovnnb_db.ctl ovnsb_db.ctl ovsdb-server-nb.pid ovsdb-server-sb.pid \
           ovn-northd.pid ovn-northd.ctl; do
    find "$h/run/ovn" -maxdepth 1 -name "$f" -delete 2>/dev/null || true
  done
  log "removed the databases and run files"
}

# The userspace datapath reads the uplink through a packet socket, which
# leaves the kernel's own receive path on it open: a frame for br-phy's MAC
# (the uplink's) would also be taken by the kernel on the uplink, and every
# packet for the node handled twice (a UDP request to a NodePort answered
# twice, each answer then received twice by a node on the other end).  An
# ingress chain that drops everything on the uplink leaves OVS alone to
# receive there: packet sockets see a frame before the ingress hook.
uplink_to_ovs_only() {   # UPLINK
  nft -f - <<EOF
table netdev $UPLINK_TABLE {
  chain ingress { type filter hook ingress device "$1" priority 0; policy drop; }
}
EOF
}

# Puts br-phy's addresses and routes back on the uplink, then deletes br-phy.
restore_uplink() {   # UPLINK
  local up=$1 addrs rts a r
  addrs=$(addresses "$UPLINK_BRIDGE")
  rts=$(routes "$UPLINK_BRIDGE")
  vsctl --if-exists del-br "$UPLINK_BRIDGE"
  nft delete table netdev "$UPLINK_TABLE" 2>/dev/null || true
  [ -n "$up" ] || return 0
  ip link set "$up" up
  for a in $addrs; do ip addr replace "$a" dev "$up"; done
  while read -r r; do
    if [ -n "$r" ]; then ip route replace $r dev "$up"; fi
  done <<<"$rts"
  log "moved $(echo $addrs) back to $up"
}

case ${1:-} in
  ovsdb) run_ovsdb ;;
  vswitchd) run_vswitchd ;;
  ovn-controller) run_ovn_controller ;;
  probe) probe "${2:-}" ;;
  cleanup) cleanup ;;
  remove-files) remove_files ;;
  *) die "usage: start-ovs-ovn.sh ovsdb|vswitchd|ovn-controller|probe WHAT|cleanup|remove-files" ;;
esac
