#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Starts and stops real OVN central daemons for tests, every file of them in
# the directory DIR that the caller made (and removes).  Unix sockets only:
# nothing listens on the network, and raft members talk over unix sockets.
#
#   ovn-env.sh start-nb DIR            standalone NB: DIR/nb.sock (db nb.db)
#   ovn-env.sh stop-nb DIR             stop it; start-nb reuses nb.db
#   ovn-env.sh start-sb DIR | stop-sb DIR          the same for the SB
#   ovn-env.sh start-nb-cluster DIR N  N-member raft NB: DIR/nb1.sock...
#   ovn-env.sh start-nb-member DIR I   (re)start member I on its db file
#   ovn-env.sh stop-nb-member DIR I    graceful stop of member I
#   ovn-env.sh kill-nb-member DIR I    SIGKILL member I (a crash)
#   ovn-env.sh nb-leader DIR           print the leader's member number
#   ovn-env.sh nb-remotes DIR          print "unix:DIR/nb1.sock,..."
#   ovn-env.sh start-northd DIR        SB (if not running) + ovn-northd on
#                                      the standalone NB
#   ovn-env.sh pid DIR NAME            print NAME's pid (nb, sb, nb2, northd)
#   ovn-env.sh stop-all DIR            stop every daemon started in DIR
#
# Each daemon NAME has DIR/NAME.pid, NAME.ctl (ovs-appctl -t), NAME.log.
# A shell caller cleans up even when it fails:
#   d=$(mktemp -d); trap 'ovn-env.sh stop-all "$d"; rm -rf "$d"' EXIT
set -euo pipefail

NB_SCHEMA=${NB_SCHEMA:-/usr/share/ovn/ovn-nb.ovsschema}
SB_SCHEMA=${SB_SCHEMA:-/usr/share/ovn/ovn-sb.ovsschema}
TIMEOUT=${OVN_ENV_TIMEOUT:-20}   # seconds to wait for a daemon or a leader

# shellcheck source=proc-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc-lib.sh"   # wait_for, alive

die() { echo "ovn-env.sh: $*" >&2; exit 1; }

# Runs a command, showing its output only if it fails (ovsdb-tool warns
# about every clustered NB that its ephemeral columns become persistent).
quiet() {
  local out
  out=$("$@" 2>&1) || { echo "$out" >&2; die "failed: $*"; }
}

pid_of() {
  local f="$1/$2.pid"
  [ -s "$f" ] && cat "$f"
}

is_running() {
  local pid
  pid=$(pid_of "$1" "$2") && alive "$pid"
}

# start_db DIR NAME: ovsdb-server for DIR/NAME.db on DIR/NAME.sock.
start_db() {
  local dir=$1 name=$2
  is_running "$dir" "$name" && die "$name already running in $dir"
  ovsdb-server --detach --no-chdir \
    --pidfile="$dir/$name.pid" --unixctl="$dir/$name.ctl" \
    -vconsole:off -vfile:info --log-file="$dir/$name.log" \
    --remote="punix:$dir/$name.sock" "$dir/$name.db" ||
    die "ovsdb-server $name failed to start; see $dir/$name.log"
  # --detach returns once the server listens; a clustered member may still
  # be joining, which clients wait for themselves.
  wait_for "$TIMEOUT" test -S "$dir/$name.sock" || die "no $dir/$name.sock"
}

# stop_daemon DIR NAME [SIGNAL]: graceful by default; waits until gone.
stop_daemon() {
  local dir=$1 name=$2 sig=${3:-} pid
  pid=$(pid_of "$dir" "$name") || return 0
  if alive "$pid"; then
    if [ -n "$sig" ]; then
      kill -"$sig" "$pid" 2>/dev/null || true
    else
      ovs-appctl -t "$dir/$name.ctl" exit >/dev/null 2>&1 ||
        kill -TERM "$pid" 2>/dev/null || true
    fi
    if ! wait_for 10 eval "! alive $pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      wait_for 5 eval "! alive $pid" || true
    fi
  fi
  rm -f "$dir/$name.pid" "$dir/$name.ctl" "$dir/$name.sock"
}

start_standalone() {   # DIR NAME SCHEMA
  [ -f "$1/$2.db" ] || quiet ovsdb-tool create "$1/$2.db" "$3"
  start_db "$1" "$2"
}

members() {   # DIR: member numbers of the NB cluster in DIR
  local f
  for f in "$1"/nb[0-9]*.db; do
    [ -e "$f" ] || continue
    f=${f##*/nb}; echo "${f%.db}"
  done | sort -n
}

start_nb_cluster() {
  local dir=$1 n=$2 i
  [ "$n" -ge 1 ] || die "cluster size must be at least 1"
  quiet ovsdb-tool create-cluster "$dir/nb1.db" "$NB_SCHEMA" \
    "unix:$dir/nb1.raft"
  for ((i = 2; i <= n; i++)); do
    quiet ovsdb-tool join-cluster "$dir/nb$i.db" OVN_Northbound \
      "unix:$dir/nb$i.raft" "unix:$dir/nb1.raft"
  done
  for ((i = 1; i <= n; i++)); do
    start_db "$dir" "nb$i"
  done
  # Ready when every member has joined and one of them leads.
  for ((i = 1; i <= n; i++)); do
    wait_for "$TIMEOUT" member_joined "$dir" "$i" ||
      die "nb$i did not join the cluster; see $dir/nb$i.log"
  done
  wait_for "$TIMEOUT" find_leader "$dir" >/dev/null || die "no NB leader"
}

cluster_status() {   # DIR I
  ovs-appctl -t "$1/nb$2.ctl" cluster/status OVN_Northbound 2>/dev/null
}

member_joined() {
  cluster_status "$1" "$2" | grep -q '^Status: cluster member'
}

find_leader() {
  local i
  for i in $(members "$1"); do
    is_running "$1" "nb$i" || continue
    if cluster_status "$1" "$i" | grep -q '^Role: leader'; then
      echo "$i"
      return 0
    fi
  done
  return 1
}

nb_remotes() {
  local i out=
  for i in $(members "$1"); do
    out="${out:+$out,}unix:$1/nb$i.sock"
  done
  echo "$out"
}

start_northd() {
  local dir=$1
  [ -S "$dir/nb.sock" ] || die "start-northd needs a standalone NB (start-nb)"
  is_running "$dir" sb || start_standalone "$dir" sb "$SB_SCHEMA"
  ovn-northd --detach --no-chdir \
    --pidfile="$dir/northd.pid" --unixctl="$dir/northd.ctl" \
    -vconsole:off -vfile:info --log-file="$dir/northd.log" \
    --ovnnb-db="unix:$dir/nb.sock" --ovnsb-db="unix:$dir/sb.sock" ||
    die "ovn-northd failed to start; see $dir/northd.log"
}

stop_all() {
  local dir=$1 f name
  # northd first, so that it does not log the databases going away.
  stop_daemon "$dir" northd
  for f in "$dir"/*.pid; do
    [ -e "$f" ] || continue
    name=${f##*/}; name=${name%.pid}
    stop_daemon "$dir" "$name"
  done
}

[ $# -ge 2 ] || die "usage: ovn-env.sh COMMAND DIR [ARG]"
cmd=$1 DIR=$2
[ -d "$DIR" ] || die "$DIR: not a directory"
DIR=$(cd "$DIR" && pwd)
# Keeps the daemons' runtime files (and ovs-appctl's) out of /var/run.
export OVS_RUNDIR=$DIR OVN_RUNDIR=$DIR OVS_DBDIR=$DIR

case $cmd in
  start-nb)         start_standalone "$DIR" nb "$NB_SCHEMA" ;;
  stop-nb)          stop_daemon "$DIR" nb ;;
  start-sb)         start_standalone "$DIR" sb "$SB_SCHEMA" ;;
  stop-sb)          stop_daemon "$DIR" sb ;;
  start-nb-cluster) start_nb_cluster "$DIR" "${3:-3}" ;;
  start-nb-member)  start_db "$DIR" "nb${3:?member number}" ;;
  stop-nb-member)   stop_daemon "$DIR" "nb${3:?member number}" ;;
  kill-nb-member)   stop_daemon "$DIR" "nb${3:?member number}" KILL ;;
  nb-leader)        wait_for "$TIMEOUT" find_leader "$DIR" || die "no NB leader" ;;
  nb-remotes)       nb_remotes "$DIR" ;;
  start-northd)     start_northd "$DIR" ;;
  pid)              pid_of "$DIR" "${3:?daemon name}" || die "${3} not started" ;;
  stop-all)         stop_all "$DIR" ;;
  *)                die "unknown command $cmd" ;;
esac
