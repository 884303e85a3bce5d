#!/bin/bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# One part of OVN central in the ovn-central pod (deploy/ovn.yaml), in the
# foreground so that the kubelet restarts it when it dies:
#
#   start-ovn-central.sh nb|sb   the Northbound or Southbound ovsdb-server
#   start-ovn-central.sh northd  ovn-northd (with three members, the one
#                                holding the SB lock is active)
#   start-ovn-central.sh probe nb|sb
#                                exit 0 when the database answers (and, in a
#                                raft cluster, this member has joined it)
#
# Environment:
#   CENTRAL_IPS   the members' addresses, comma separated, in the same order
#                 on every member (install.sh: the central nodes' InternalIPs)
#   POD_IP        this member's address (hostNetwork: its node's)
#
# With one address the databases are standalone files; with more they are
# raft clusters (client ports 6641/6642, raft ports 6643/6644).  A member
# with no database file creates the cluster when it is the first address and
# no other member answers; otherwise it joins the members that do.  The
# files live in /var/lib/ovn (a hostPath), so a restarted pod keeps them.
set -euo pipefail

DB_DIR=/var/lib/ovn
RUN_DIR=/var/run/ovn
SCHEMA_DIR=/usr/share/ovn

log() { printf 'start-ovn-central: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ -n "${CENTRAL_IPS:-}" ] || die "CENTRAL_IPS is not set"
[ -n "${POD_IP:-}" ] || die "POD_IP is not set"
IFS=, read -r -a MEMBERS <<<"$CENTRAL_IPS"
case " ${MEMBERS[*]} " in *" $POD_IP "*) ;; *) die "POD_IP $POD_IP is not in CENTRAL_IPS $CENTRAL_IPS" ;; esac

# db NAME: the database's file, schema, model name, client and raft ports.
db() {
  case $1 in
    nb) DB=OVN_Northbound FILE=$DB_DIR/ovnnb_db.db SCHEMA=$SCHEMA_DIR/ovn-nb.ovsschema
        PORT=6641 RAFT_PORT=6643 SOCK=$RUN_DIR/ovnnb_db.sock CTL=$RUN_DIR/ovnnb_db.ctl ;;
    sb) DB=OVN_Southbound FILE=$DB_DIR/ovnsb_db.db SCHEMA=$SCHEMA_DIR/ovn-sb.ovsschema
        PORT=6642 RAFT_PORT=6644 SOCK=$RUN_DIR/ovnsb_db.sock CTL=$RUN_DIR/ovnsb_db.ctl ;;
    *) die "unknown database '$1' (nb or sb)" ;;
  esac
}

# The client remotes of every member, for ovn-northd and the probes.
remotes() {   # PORT
  local ip out=
  for ip in "${MEMBERS[@]}"; do out+="${out:+,}tcp:$(bracket "$ip"):$1"; done
  echo "$out"
}

bracket() { case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac; }

# True when another member's database answers on PORT.
other_member_answers() {   # PORT
  local ip
  for ip in "${MEMBERS[@]}"; do
    [ "$ip" = "$POD_IP" ] && continue
    timeout 5 ovsdb-client list-dbs "tcp:$(bracket "$ip"):$1" >/dev/null 2>&1 && return 0
  done
  return 1
}

create_db() {
  local ip others=()
  if [ ${#MEMBERS[@]} = 1 ]; then
    log "creating standalone $DB in $FILE"
    ovsdb-tool create "$FILE" "$SCHEMA"
    return
  fi
  local local_addr="tcp:$(bracket "$POD_IP"):$RAFT_PORT"
  if [ "${MEMBERS[0]}" = "$POD_IP" ] && ! other_member_answers "$PORT"; then
    log "creating the $DB raft cluster at $local_addr"
    ovsdb-tool create-cluster "$FILE" "$SCHEMA" "$local_addr"
    return
  fi
  for ip in "${MEMBERS[@]}"; do
    [ "$ip" = "$POD_IP" ] || others+=("tcp:$(bracket "$ip"):$RAFT_PORT")
  done
  log "joining the $DB raft cluster through ${others[*]}"
  ovsdb-tool join-cluster "$FILE" "$DB" "$local_addr" "${others[@]}"
}

# A standalone file written by an older OVN gets the image's schema.
upgrade_db() {
  [ ${#MEMBERS[@]} = 1 ] || return 0   # raft clusters convert online
  if [ "$(ovsdb-tool needs-conversion "$FILE" "$SCHEMA")" = yes ]; then
    log "converting $FILE to $(ovsdb-tool schema-version "$SCHEMA")"
    ovsdb-tool convert "$FILE" "$SCHEMA"
  fi
}

run_db() {
  db "$1"
  mkdir -p "$DB_DIR" "$RUN_DIR"
  if [ -s "$FILE" ]; then upgrade_db; else create_db; fi
  exec ovsdb-server "$FILE" \
    --remote="punix:$SOCK" --remote="ptcp:$PORT:$POD_IP" \
    --unixctl="$CTL" --pidfile="$RUN_DIR/ovsdb-server-$1.pid" \
    --no-chdir -vconsole:info -vfile:off
}

run_northd() {
  local nb sb
  mkdir -p "$RUN_DIR"
  if [ ${#MEMBERS[@]} = 1 ]; then
    nb=unix:$RUN_DIR/ovnnb_db.sock sb=unix:$RUN_DIR/ovnsb_db.sock
  else
    nb=$(remotes 6641) sb=$(remotes 6642)
  fi
  exec ovn-northd --ovnnb-db="$nb" --ovnsb-db="$sb" \
    --unixctl="$RUN_DIR/ovn-northd.ctl" --pidfile="$RUN_DIR/ovn-northd.pid" \
    --no-chdir -vconsole:info -vfile:off
}

probe() {
  db "$1"
  ovsdb-client --timeout=5 list-dbs "unix:$SOCK" | grep -qx "$DB" || return 1
  [ ${#MEMBERS[@]} = 1 ] && return 0
  ovs-appctl -t "$CTL" cluster/status "$DB" | grep -q '^Status: cluster member'
}

case ${1:-} in
  nb|sb) run_db "$1" ;;
  northd) run_northd ;;
  probe) probe "${2:-}" ;;
  *) die "usage: start-ovn-central.sh nb|sb|northd|probe nb|sb" ;;
esac
