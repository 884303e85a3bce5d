#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# The node's gateway NAT (daemon/node-nat.h) at scale: N Subnets with
# natOutgoing over 3 nodes of node-env.sh, each running the real
# kovn-daemon, with the real kovn-controller.  For N = KOVN_BENCH_NAT_SMALL
# (default 10) and N = N_SUBNETS (default 250), each time with fresh
# Subnets (distinct /24s in 10.200.0.0/14, every other one, so that none
# is adjacent to another), all created by one kubectl apply:
#   - the time until every node's @nat_src4 holds them all, and the
#     daemons' CPU for it;
#   - idle (also before any Subnet but ovn-default): each kovn-daemon's
#     CPU (utime + stime of /proc/PID/stat, and schedstat) and wakeups
#     (context switches of all its threads) over
#     KOVN_BENCH_NAT_IDLE seconds (default 30) with nothing changing, once
#     the controller has stopped writing the Subnets' status;
#   - KOVN_BENCH_NAT_CHANGES (default 20) changes of each kind: one
#     Subnet's natOutgoing toggled (merge patch), one new Subnet with
#     natOutgoing, one Subnet's natOutgoingPolicyRules replaced (two lists
#     in turn: its natpol/ chain and @nat_rules4 element).  Each is timed
#     from just before the API call (curl, bearer token: no kubectl start-up
#     in the figure; and from its return) until the last of the 3 nodes
#     has committed the nft transaction that carries it: an `nft monitor`
#     in each node stamps every line as it comes ($EPOCHREALTIME), the
#     change is the first commit ("# new generation") after a line naming
#     the set or chain, and is checked with `nft list` afterwards.  The
#     nft commands and transactions each daemon spent on it are the deltas
#     of the counters of its `kovn/status`, read before the call and 0.3 s
#     after the last node has it; the CPU time it spent meanwhile is from
#     the schedstat of its threads.
# Then the previous kovn-daemon (bench/baseline.sh with
# KOVN_BASELINE_TARGET=daemon/kovn-daemon, of 9310d3c: the commit before
# the NAT by Subnet; it masqueraded every pod CIDR, natOutgoing or
# not, with one postrouting rule holding them in an inline set) replaces
# the new one on the same nodes, and at N = N_SUBNETS the comparable
# figures are taken: the load time, idle CPU, and a new Subnet until the
# node's postrouting chain lists its CIDR.  KOVN_BENCH_NAT_BASELINE_DAEMON
# names that binary instead ("none": no baseline).  A summary table ends
# the output.
#
#   bench/bench-node-nat.sh BUILD_DIR [N_SUBNETS]     (under with-k8s.sh)
set -uo pipefail

build=$(cd "${1:?usage: bench-node-nat.sh BUILD_DIR [N_SUBNETS]}" && pwd)
n_big=${2:-250}
n_small=${KOVN_BENCH_NAT_SMALL:-10}
rounds=${KOVN_BENCH_NAT_CHANGES:-20}
idle_s=${KOVN_BENCH_NAT_IDLE:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
KOVN_DIR=$(mktemp -d /tmp/kovn-bench-nat.XXXXXX)
# shellcheck disable=SC2034  # kovn-lib.sh's
KOVN_KUBECONFIG=$KOVN_TEST_KUBECONFIG
KOVN_KUBECTL=$KOVN_TEST_KUBECTL
# shellcheck disable=SC2034
KOVN_CONTROLLER=$build/controller/kovn-controller
KOVN_DAEMON=$build/daemon/kovn-daemon
# shellcheck disable=SC2034
KOVN_PLUGIN=$build/cni/kovn
# shellcheck source=../tests/integration/kovn-lib.sh
. "$top/tests/integration/kovn-lib.sh"

nodes=(node1 node2 node3)
mon_pids=()
res=$KOVN_DIR/results            # Summary rows, "daemon|N|what|figures".

cleanup() {
  local p n
  for p in "${mon_pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
  for n in "${nodes[@]}"; do kovn_daemon_kill "$n"; done
  kovn_stop "$KOVN_DIR/controller.pid"
  "$KOVN_NODE_ENV" stop-all "$KOVN_DIR"
  if [ -n "${KOVN_BENCH_KEEP_LOGS:-}" ]; then
    mkdir -p "$KOVN_BENCH_KEEP_LOGS" &&
      cp "$KOVN_DIR"/*.log "$KOVN_DIR"/*.tsv "$KOVN_DIR"/node*/*.log \
         "$KOVN_BENCH_KEEP_LOGS"/ 2>/dev/null
  fi
  rm -rf "$KOVN_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '%s\n' "$*"; }
die() { printf 'bench-node-nat: %s\n' "$*" >&2; exit 1; }

# The previous kovn-daemon, built (once, cached) before anything is timed.
old=${KOVN_BENCH_NAT_BASELINE_DAEMON-}
if [ -z "$old" ]; then
  old=$(KOVN_BASELINE_TARGET=daemon/kovn-daemon "$top/bench/baseline.sh" \
        9310d3c23dfadf0119736624bd6931ceb54d7135) ||
    { say "(the previous kovn-daemon did not build: no baseline)"; old=; }
fi
[ "$old" = none ] && old=

# ---- the API, without kubectl's start-up: curl with the bearer token ----
kc=$KOVN_TEST_KUBECONFIG_TOKEN
api_server=$(awk '$1 == "server:" { print $2; exit }' "$kc")
api_token=$(awk '$1 == "token:" { print $2; exit }' "$kc")
api_ca=$(awk '$1 == "certificate-authority:" { print $2; exit }' "$kc")
case $api_ca in /*) ;; *) api_ca=$(dirname "$kc")/$api_ca ;; esac
subnets=/apis/kubeovn.io/v1/subnets

# api METHOD PATH BODY [CONTENT_TYPE]: fails unless the answer is 2xx.
api() {
  local code
  # shellcheck disable=SC2015  # either failure says so
  code=$(curl -sS -o "$KOVN_DIR/api.out" -w '%{http_code}' \
    --cacert "$api_ca" -H "Authorization: Bearer $api_token" -X "$1" \
    -H "Content-Type: ${4:-application/json}" --data-binary "$3" \
    "$api_server$2") && [[ $code == 2* ]] ||
    { say "API $1 $2: $code $(head -c 300 "$KOVN_DIR/api.out")" >&2
      return 1; }
}
patch() { api PATCH "$subnets/$1" "$2" application/merge-patch+json; }

# ---- Subnets ----
next_k=0
# cidr_of K: the K-th /24 (every other one from 10.200.0.0: none adjacent).
cidr_of() { echo "10.$((200 + $1 / 128)).$((($1 % 128) * 2)).0/24"; }
# subnet_json NAME CIDR PHASE
subnet_json() {
  printf '{"apiVersion":"kubeovn.io/v1","kind":"Subnet","metadata":{"name":'\
'"%s","labels":{"kovn-bench-nat":"%s"}},"spec":{"cidrBlock":"%s",'\
'"natOutgoing":true}}\n' "$1" "$3" "$2"
}

# ---- what each node's kernel has ----
# node_cidrs NODE WHERE: the 10.2xx /24s in nft's listing of WHERE ("set
# nat_src4", "chain postrouting"), one a line.
# shellcheck disable=SC2086  # WHERE: words of nft's command line
node_cidrs() {
  kovn_node_exec "$1" nft list $2 2>/dev/null | grep -oE \
    '10\.2[0-9][0-9]\.[0-9]+\.0/24' | sort -u
}
# shellcheck disable=SC2086
node_has() {   # NODE WHERE CIDR
  # Not grep -q: nft killed by SIGPIPE would fail the pipeline.
  kovn_node_exec "$1" nft list $2 2>/dev/null | grep -Fw "$3" >/dev/null
}

# wait_all_nodes SECONDS WHERE WANT_FILE: until every node's WHERE lists
# exactly the 10.2xx CIDRs of WANT_FILE; prints the seconds it took.
wait_all_nodes() {
  local seconds=$1 where=$2 want=$3 start=$EPOCHREALTIME n ok
  while :; do
    ok=1
    for n in "${nodes[@]}"; do
      cmp -s <(node_cidrs "$n" "$where") <(sort -u "$want") || { ok=0; break; }
    done
    [ $ok = 1 ] && break
    if (( $(fsec "$EPOCHREALTIME - $start") > seconds )); then
      say "timeout: after ${seconds} s, $n's $where has" \
        "$(node_cidrs "$n" "$where" | grep -cxFf "$want") of" \
        "$(wc -l <"$want") wanted and" \
        "$(node_cidrs "$n" "$where" | grep -cvxFf "$want") others" >&2
      return 1
    fi
    sleep 0.5
  done
  fsec "$EPOCHREALTIME - $start" 1
}

# fsec EXPR [DECIMALS]: floating point arithmetic.
fsec() { awk "BEGIN { printf \"%.${2:-0}f\", ($1) }"; }

# settle: until no Subnet has changed for 3 s (kovn-controller writes every
# new Subnet's status), at most 180 s.
settle() {
  local prev='' cur same=0 i
  for ((i = 0; i < 180; i++)); do
    cur=$("$KOVN_KUBECTL" get subnets \
      -o jsonpath='{.items[*].metadata.resourceVersion}' | md5sum)
    if [ "$cur" = "$prev" ]; then
      same=$((same + 1))
      [ $same -ge 3 ] && return 0
    else
      same=0
    fi
    prev=$cur
    sleep 1
  done
  say "(the Subnets were still changing after 180 s)"
}

# ---- nft monitors: one per node, every line stamped as it comes ----
mon_start() {
  # shellcheck disable=SC2016  # expanded by the node's bash
  setsid "$KOVN_NODE_ENV" node-exec "$KOVN_DIR" "$1" bash -c \
    'nft monitor | while IFS= read -r l; do
       printf "%s %s\n" "$EPOCHREALTIME" "$l"; done' \
    >>"$KOVN_DIR/mon-$1.log" 2>&1 &
  mon_pids+=($!)
}

# mon_commit NODE T0 PATTERN: the time of the first commit at or after the
# first line after T0 that holds PATTERN (nothing yet: prints nothing).
mon_commit() {
  awk -v t0="$2" -v pat="$3" '
    $1 + 0 > t0 + 0 && !seen && index($0, pat) { seen = 1 }
    seen && / # new generation / { print $1; exit }' "$KOVN_DIR/mon-$1.log"
}

# nft_counters NODE: "TRANSACTIONS COMMANDS RESYNCS" of the daemon.
nft_counters() {
  kovn_daemon_status "$1" | sed -n 's/^nft: .*, \([0-9]*\) transactions '\
'(\([0-9]*\) commands, [0-9]* refused), \([0-9]*\) resyncs.*/\1 \2 \3/p'
}

# measure KIND PATTERN CHECK API-ARGS...: one change (api API-ARGS...),
# timed until every node has committed a transaction with a line holding
# PATTERN after which "CHECK NODE" holds.  Appends to KIND.tsv: latency ms,
# API call ms, then per node: latency ms, commands, transactions, CPU us.
measure() {
  local kind=$1 pat=$2 check=$3; shift 3
  local n t0 t1 ts row lat=0 l bt bc at ac
  local -A before after since got cpu0
  for n in "${nodes[@]}"; do before[$n]=$(nft_counters "$n"); done
  for n in "${nodes[@]}"; do cpu0[$n]=$(cpu_ns "$(daemon_pid "$n")"); done
  t0=$EPOCHREALTIME
  api "$@" || return 1
  t1=$EPOCHREALTIME
  for n in "${nodes[@]}"; do since[$n]=$t0; done
  local deadline=$((SECONDS + 30)) left=3
  while [ $left -gt 0 ]; do
    for n in "${nodes[@]}"; do
      [ -n "${got[$n]:-}" ] && continue
      ts=$(mon_commit "$n" "${since[$n]}" "$pat")
      [ -n "$ts" ] || continue
      if $check "$n"; then
        got[$n]=$ts; left=$((left - 1))
      else
        since[$n]=$ts           # Another commit: wait for the next.
      fi
    done
    [ $left -gt 0 ] || break
    if [ $SECONDS -gt $deadline ]; then
      say "$kind: not on every node after 30 s (${!got[*]} have it)" >&2
      return 1
    fi
    sleep 0.02
  done
  sleep 0.3
  row=
  for n in "${nodes[@]}"; do
    cpu0[$n]=$(( ($(cpu_ns "$(daemon_pid "$n")") - ${cpu0[$n]}) / 1000 ))
  done
  for n in "${nodes[@]}"; do
    after[$n]=$(nft_counters "$n")
    l=$(fsec "(${got[$n]} - $t0) * 1000" 1)
    (( $(fsec "($l > $lat)") )) && lat=$l
    read -r bt bc _ <<<"${before[$n]}"
    read -r at ac _ <<<"${after[$n]}"
    row+=" $l $((ac - bc)) $((at - bt)) ${cpu0[$n]}"
  done
  echo "$lat $(fsec "($t1 - $t0) * 1000" 1)$row" >>"$KOVN_DIR/$kind.tsv"
}

# stats KIND: latency from the call's start and from its return (median,
# p90, max ms), then commands, transactions and daemon CPU (us) per node
# and change ("median (min-max)"), and the number of changes.
stats() {
  local f=$KOVN_DIR/$1.tsv
  [ -s "$f" ] || { echo "(none)"; return; }
  local lat ret cmds txns cpu
  lat=$(cut -d' ' -f1 "$f" | pct)
  ret=$(awk '{ print $1 - $2 }' "$f" | pct)
  cmds=$(awk '{ for (i = 4; i <= NF; i += 4) print $i }' "$f" | range)
  txns=$(awk '{ for (i = 5; i <= NF; i += 4) print $i }' "$f" | range)
  cpu=$(awk '{ for (i = 6; i <= NF; i += 4) print $i }' "$f" | range)
  printf '%s  %s  %-11s %-11s %-17s %d' "$lat" "$ret" "$cmds" "$txns" \
    "$cpu" "$(wc -l <"$f")"
}
pct() {
  sort -n | awk '{ v[NR] = $1 } END {
    printf "%6.1f %6.1f %6.1f", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.999)],
      v[NR] }'
}
range() {
  sort -n | awk '{ v[NR] = $1 } END {
    printf "%d (%d-%d)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# ---- CPU while idle ----
daemon_pid() {
  local pid
  pid=$(cat "$KOVN_DIR/$1/kovn-daemon.pid")
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = kovn-daemon ] ||
    die "$1: pid $pid is not kovn-daemon"
  echo "$pid"
}
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# cpu_ns PID: the CPU time of all its threads, ns (schedstat).
cpu_ns() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null |
    awk '{ s += $1 } END { printf "%.0f", s }'   # Not %d: mawk caps it.
}
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}

# idle TAG N: each daemon's (and the controller's) CPU over idle_s seconds.
idle() {
  local tag=$1 n p hz line=
  local -A pid t0 s0 r0 c0
  hz=$(getconf CLK_TCK)
  for n in "${nodes[@]}" controller; do
    if [ "$n" = controller ]; then p=$(cat "$KOVN_DIR/controller.pid")
    else p=$(daemon_pid "$n"); r0[$n]=$(nft_counters "$n" | cut -d' ' -f3)
    fi
    pid[$n]=$p t0[$n]=$(ticks "$p") s0[$n]=$(switches "$p")
    c0[$n]=$(cpu_ns "$p")
  done
  local start=$EPOCHREALTIME
  sleep "$idle_s"
  local secs
  secs=$(fsec "$EPOCHREALTIME - $start" 3)
  say "idle for $secs s ($tag, N = $2;" \
    "load: $(cut -d' ' -f1-3 /proc/loadavg)):"
  for n in "${nodes[@]}" controller; do
    p=${pid[$n]}
    local dt ds cpu wk rs='' ms
    dt=$(($(ticks "$p") - ${t0[$n]})) ds=$(($(switches "$p") - ${s0[$n]}))
    ms=$(fsec "($(cpu_ns "$p") - ${c0[$n]}) / 1e6" 1)
    cpu=$(fsec "$dt * 100 / $hz / $secs" 2)
    wk=$(fsec "$ds / $secs" 2)
    if [ "$n" != controller ]; then
      rs=", $(( $(nft_counters "$n" | cut -d' ' -f3) - ${r0[$n]} )) resyncs"
      line+=" $n $cpu % $wk/s;"
    fi
    say "  $n: CPU $cpu % ($dt ticks of 1/$hz s; $ms ms by schedstat)," \
      "$wk wakeups/s$rs"
  done
  echo "$tag|$2|idle CPU, wakeups/s|${line%;}" >>"$res"
}

# ---- phases ----
# load TAG N WHERE: N fresh Subnets (label kovn-bench-nat=TAG-N) in one
# kubectl apply, until every node's WHERE has them; sets phase_names[],
# phase_cidrs[] and the want file.
load() {
  local tag=$1 n=$2 where=$3 i k name secs
  phase=$tag-$n
  phase_names=() phase_cidrs=()
  want=$KOVN_DIR/want
  # Every Subnet but this phase's is left alone: keep what is there.
  node_cidrs node1 "$where" >"$want"
  for ((i = 0; i < n; i++)); do
    k=$next_k; next_k=$((next_k + 1))
    name=nat-$tag-$n-$i
    phase_names+=("$name") phase_cidrs+=("$(cidr_of $k)")
    cidr_of $k >>"$want"
  done
  local -A c0
  for i in "${nodes[@]}"; do c0[$i]=$(cpu_ns "$(daemon_pid "$i")"); done
  local start=$EPOCHREALTIME
  for ((i = 0; i < n; i++)); do
    subnet_json "${phase_names[$i]}" "${phase_cidrs[$i]}" "$phase"
  done | "$KOVN_KUBECTL" apply -f - >/dev/null || die "kubectl apply failed"
  local applied
  applied=$(fsec "$EPOCHREALTIME - $start" 1)
  secs=$(wait_all_nodes 300 "$where" "$want") || die "load $phase failed"
  secs=$(fsec "$EPOCHREALTIME - $start" 1)
  local cpu=''
  for i in "${nodes[@]}"; do
    cpu+=" $(fsec "($(cpu_ns "$(daemon_pid "$i")") - ${c0[$i]}) / 1e6")"
  done
  say "$n Subnets applied (kubectl apply: $applied s) and in every node's" \
    "$where: $secs s; kovn-daemon CPU meanwhile (ms):$cpu"
  echo "$tag|$n|load: apply -> all 3 nodes|$secs s (kubectl apply" \
    "itself $applied s); kovn-daemon CPU ms:$cpu" >>"$res"
}

# unload WHERE: deletes this phase's Subnets (and the ones made since),
# until no node's WHERE has any of them.
unload() {
  local where=$1 start=$EPOCHREALTIME
  "$KOVN_KUBECTL" delete subnets -l "kovn-bench-nat" --wait=false \
    >/dev/null || die "kubectl delete failed"
  grep -v '^10\.2[0-9][0-9]\.' "$want" >"$want.left"
  wait_all_nodes 300 "$where" "$want.left" >/dev/null || die "unload failed"
  say "deleted, and out of every node's $where:" \
    "$(fsec "$EPOCHREALTIME - $start" 1) s"
  settle
}

in_src() { node_has "$1" "set inet kovn nat_src4" "$cidr"; }
not_in_src() { ! node_has "$1" "set inet kovn nat_src4" "$cidr"; }
in_post() { node_has "$1" "chain inet kovn postrouting" "$cidr"; }
pol_a() {
  kovn_node_exec "$1" nft list chain inet kovn "natpol/$name" 2>/dev/null |
    grep '198\.51\.100\.3' >/dev/null &&
  ! kovn_node_exec "$1" nft list chain inet kovn "natpol/$name" |
    grep '198\.51\.100\.4' >/dev/null &&
  node_has "$1" "map inet kovn nat_rules4" "$cidr"
}
pol_b() {
  kovn_node_exec "$1" nft list chain inet kovn "natpol/$name" 2>/dev/null |
    grep '198\.51\.100\.4' >/dev/null &&
  ! kovn_node_exec "$1" nft list chain inet kovn "natpol/$name" |
    grep '198\.51\.100\.3' >/dev/null
}

# changes TAG N: the three kinds of change, rounds each.
changes() {
  local tag=$1 n=$2 r k on=false
  # natOutgoing of the middle Subnet, off and on in turn.
  name=${phase_names[$((n / 2))]} cidr=${phase_cidrs[$((n / 2))]}
  for ((r = 0; r < rounds; r++)); do
    if [ $on = false ]; then
      measure "$tag-$n-toggle" nat_src4 not_in_src PATCH "$subnets/$name" \
        '{"spec":{"natOutgoing":false}}' application/merge-patch+json ||
        die "toggle failed"
      on=true
    else
      measure "$tag-$n-toggle" nat_src4 in_src PATCH "$subnets/$name" \
        '{"spec":{"natOutgoing":true}}' application/merge-patch+json ||
        die "toggle failed"
      on=false
    fi
  done
  [ $on = true ] && { patch "$name" '{"spec":{"natOutgoing":true}}' ||
                      die "patch failed"; }
  # New Subnets, one at a time.
  for ((r = 0; r < rounds; r++)); do
    k=$next_k; next_k=$((next_k + 1))
    name=nat-$tag-$n-new$r cidr=$(cidr_of $k)
    measure "$tag-$n-create" nat_src4 in_src \
      POST "$subnets" "$(subnet_json "$name" "$cidr" "$phase")" ||
      die "create failed"
    echo "$cidr" >>"$want"
  done
  # natOutgoingPolicyRules of the first Subnet: A (one rule), B (two).
  name=${phase_names[0]} cidr=${phase_cidrs[0]}
  local a='{"spec":{"natOutgoingPolicyRules":[{"match":{"dstIPs":'\
'"198.51.100.3"},"action":"forward"}]}}'
  local b='{"spec":{"natOutgoingPolicyRules":[{"match":{"dstIPs":'\
'"198.51.100.4"},"action":"forward"},{"match":{"srcIPs":"'$cidr'"},'\
'"action":"nat"}]}}'
  for ((r = 0; r < rounds; r++)); do
    if ((r % 2 == 0)); then
      measure "$tag-$n-policy" "natpol/$name" pol_a PATCH \
        "$subnets/$name" "$a" application/merge-patch+json ||
        die "policy change failed"
    else
      measure "$tag-$n-policy" "natpol/$name" pol_b PATCH \
        "$subnets/$name" "$b" application/merge-patch+json ||
        die "policy change failed"
    fi
  done
  for k in toggle create policy; do
    echo "$tag|$n|$k|$(stats "$tag-$n-$k")" >>"$res"
  done
}

# baseline_changes N: new Subnets until the postrouting chain lists them.
baseline_changes() {
  local n=$1 r k
  for ((r = 0; r < rounds; r++)); do
    k=$next_k; next_k=$((next_k + 1))
    name=nat-old-$n-new$r cidr=$(cidr_of $k)
    measure "old-$n-create" postrouting in_post \
      POST "$subnets" "$(subnet_json "$name" "$cidr" "$phase")" ||
      die "create failed"
    echo "$cidr" >>"$want"
  done
  echo "old|$n|create|$(stats "old-$n-create")" >>"$res"
}

# ---- run ----
say "== bench-node-nat: $n_small and $n_big Subnets with natOutgoing over" \
  "3 nodes, $rounds changes of each kind; $(nproc) cores;" \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
say "new daemon: $KOVN_DAEMON"
say "old daemon: ${old:-(none)}"
kovn_cluster_up "${nodes[@]}" || die "cluster did not come up"
kovn_controller_start
for n in "${nodes[@]}"; do kovn_daemon_start "$n"; done
for n in "${nodes[@]}"; do
  kovn_daemon_ready "$n" || die "kovn-daemon on $n is not ready"
done
for n in "${nodes[@]}"; do mon_start "$n"; done
for n in "${nodes[@]}"; do
  kovn_wait 60 sh -c "ovs-appctl -t '$KOVN_DIR/$n/kovn-daemon.ctl' \
    kovn/status | grep -q '^nft: synced'" || die "nft not synced on $n"
done
settle
idle new 0

for size in "$n_small" "$n_big"; do
  say "== new kovn-daemon, $size Subnets"
  load new "$size" "set inet kovn nat_src4"
  settle
  idle new "$size"
  changes new "$size"
  say "$(grep "^new|$size|" "$res" | tail -n 3)"
  unload "set inet kovn nat_src4"
done

if [ -n "$old" ]; then
  say "== previous kovn-daemon, $n_big Subnets"
  for n in "${nodes[@]}"; do kovn_stop "$KOVN_DIR/$n/kovn-daemon.pid"; done
  KOVN_DAEMON=$old
  for n in "${nodes[@]}"; do kovn_daemon_start "$n"; done
  for n in "${nodes[@]}"; do
    kovn_daemon_ready "$n" || die "the previous kovn-daemon on $n is not ready"
  done
  for n in "${nodes[@]}"; do
    kovn_wait 60 sh -c "ovs-appctl -t '$KOVN_DIR/$n/kovn-daemon.ctl' \
      kovn/status | grep -q '^nft: synced'" || die "nft not synced on $n"
  done
  settle
  load old "$n_big" "chain inet kovn postrouting"
  settle
  idle old "$n_big"
  baseline_changes "$n_big"
fi

say ""
say "== summary: kovn-daemon, Subnets with natOutgoing over 3 nodes" \
  "(load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
say "latency, ms, until the last of the 3 nodes has committed the change to"
say "nft: from the start of the API call (curl), and from its return;"
say "commands, transactions, kovn-daemon CPU (us): per node and change,"
say "median (min-max)"
printf '%-6s %5s  %-7s %-20s  %-20s  %-11s %-11s %-17s %s\n' "" "" "" \
  "from the call start" "from its return" "" "" "" ""
printf '%-6s %5s  %-7s %6s %6s %6s  %6s %6s %6s  %-11s %-11s %-17s %s\n' \
  daemon N change median p90 max median p90 max commands transactions \
  "CPU us" changes
grep -v '|idle\||load' "$res" | while IFS='|' read -r tag n what figs; do
  printf '%-6s %5s  %-7s %s\n' "$tag" "$n" "$what" "$figs"
done
grep '|idle\||load' "$res" | while IFS='|' read -r tag n what figs; do
  printf '%-6s %5s  %s: %s\n' "$tag" "$n" "$what" "$figs"
done
