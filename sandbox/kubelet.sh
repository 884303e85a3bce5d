#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# The sandbox kubelet: the network part of a kubelet (and of a scheduler)
# for the nodes of a kovn sandbox.  kovn-sandbox.sh up starts it, down stops
# it (its whole process group).
#
#   kubelet.sh SANDBOX_DIR
#
# Level-driven: on every change of a Pod (a watch on the API), and every
# 10 s (every second while a failed call waits to be tried again), it lists
# the Pods and makes the nodes match them:
#   - a Pod with no spec.nodeName is bound to the node with the fewest pods
#     (POST pods/NAME/binding), as kube-scheduler would;
#   - a Pod bound to a sandbox node gets a network namespace
#     (PREFIX-NAMESPACE.NAME), a CNI ADD through libcni (tests/tools/cnitool)
#     with its name and namespace, exactly as a container runtime makes it,
#     and its IP written into its status (PATCH pods/NAME/status: podIP,
#     podIPs, phase Running, Ready); a failed ADD is undone (DEL) and tried
#     again, 1 s, 2 s, 4 s... up to 30 s later, and its error shown in the
#     Pod's Ready condition;
#   - a Pod being deleted (deletionTimestamp), or gone, gets its CNI DEL,
#     its namespace removed, and then (no container has to stop) is deleted
#     for good with grace period 0.
# A Pod with hostNetwork gets its node's IP and no CNI call.  CNI calls run
# in the background, up to MAX_JOBS at a time, one at a time per Pod.
#
# State: SANDBOX_DIR/kubelet/pods/UID/ (ns, name, node, netns, id; wired
# once ADD succeeded), busy/UID while a call runs, kubelet.log.
set -uo pipefail

S=${1:?usage: kubelet.sh SANDBOX_DIR}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K=$S/kubelet
RESYNC=10       # seconds between full passes without any event
RETRY_PASS=1    # ...while a failed call waits for its next try
MAX_JOBS=8      # CNI calls at once

# shellcheck source=/dev/null
. "$S/sandbox.env"        # KOVN_*, NODES, API
KOVN_DIR=$S/net
KOVN_KUBECONFIG=$S/kubeconfig
KOVN_KUBECTL=$S/bin/kubectl
# shellcheck source=../tests/integration/kovn-lib.sh
. "$TOP/tests/integration/kovn-lib.sh"
PREFIX=$("$KOVN_NODE_ENV" prefix "$KOVN_DIR") || exit 1

log() { printf '%s %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }

CURL=(curl -sS --max-time 20 --cacert "$S/k8s/pki/ca.crt"
      --cert "$S/k8s/pki/admin.crt" --key "$S/k8s/pki/admin.key")

api() {   # METHOD PATH [JSON BODY on stdin for PATCH/POST/DELETE]
  local method=$1 path=$2 type=application/json
  [ "$method" = PATCH ] && type=application/merge-patch+json
  if [ "$method" = GET ]; then
    "${CURL[@]}" -f "$API$path"
  else
    "${CURL[@]}" -f -X "$method" -H "Content-Type: $type" \
      --data-binary @- "$API$path" >/dev/null
  fi
}

mkdir -p "$K/pods" "$K/busy"
rm -f "$K"/busy/*          # Left by a kubelet that was killed.
rm -f "$K/trigger"
mkfifo "$K/trigger"
exec 3<>"$K/trigger"       # Read and write: opening never blocks.

declare -A NODE_IP
i=1
for n in $NODES; do NODE_IP[$n]=192.0.2.$((10 + i)); i=$((i + 1)); done

# --- the watch: one line into the trigger per Pod event ---------------------------

watch_pods() {
  while :; do
    "${CURL[@]}" -N --max-time 600 \
      "$API/api/v1/pods?watch=1&timeoutSeconds=540" 2>/dev/null |
      while IFS= read -r _; do echo >&3; done
    sleep 1
  done
}

# --- CNI calls (run in the background, one per Pod at a time) --------------------

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# The Pod's status once its network is up: a running pod with every
# container ready.
patch_running() {   # UID NS NAME NODE IPS...
  local uid=$1 ns=$2 name=$3 node=$4 t pod
  shift 4
  t=$(now)
  pod=$(api GET "/api/v1/namespaces/$ns/pods/$name") || return 1
  [ "$(jq -r .metadata.uid <<<"$pod")" = "$uid" ] || return 0
  jq -nc --arg t "$t" --arg host "${NODE_IP[$node]}" --argjson pod "$pod" \
    '{status: {phase: "Running", hostIP: $host, podIP: $ARGS.positional[0],
      podIPs: [$ARGS.positional[] | {ip: .}], startTime: $t,
      conditions: [{type: "Initialized", status: "True", lastTransitionTime: $t},
                   {type: "Ready", status: "True", lastTransitionTime: $t},
                   {type: "ContainersReady", status: "True", lastTransitionTime: $t},
                   {type: "PodScheduled", status: "True", lastTransitionTime: $t}],
      containerStatuses: [$pod.spec.containers[] | {name, image,
        imageID: "", ready: true, started: true, restartCount: 0,
        containerID: "sandbox://\($pod.metadata.uid)",
        state: {running: {startedAt: $t}}}]}}' \
    --args "$@" |
    api PATCH "/api/v1/namespaces/$ns/pods/$name/status"
}

patch_failed() {   # NS NAME MESSAGE
  jq -nc --arg t "$(now)" --arg m "$3" '{status: {phase: "Pending",
    conditions: [{type: "Ready", status: "False", reason: "NetworkNotReady",
                  message: $m, lastTransitionTime: $t},
                 {type: "PodScheduled", status: "True",
                  lastTransitionTime: $t}]}}' |
    api PATCH "/api/v1/namespaces/$1/pods/$2/status"
}

# Deletes the Pod object for good (grace period 0), if it is still UID.
delete_object() {   # UID NS NAME
  jq -nc --arg uid "$1" '{gracePeriodSeconds: 0, preconditions: {uid: $uid}}' |
    api DELETE "/api/v1/namespaces/$2/pods/$3" 2>/dev/null
}

# Schedules the next try of the Pod's ADD or DEL (KIND add or del): 1, 2,
# 4... up to 30 s after this failure.
backoff() {   # DIR KIND
  local n
  n=$(cat "$1/failures-$2" 2>/dev/null || echo 0)
  n=$((n + 1))
  echo "$n" >"$1/failures-$2"
  local delay=$((1 << (n > 5 ? 5 : n - 1)))
  [ $delay -gt 30 ] && delay=30
  echo $(($(date +%s) + delay)) >"$1/retry-$2"
}

job_add() {   # UID NS NAME NODE HOSTNET
  local uid=$1 ns=$2 name=$3 node=$4 hostnet=$5 d=$K/pods/$1 out t0 ips
  mkdir -p "$d"
  echo "$ns" >"$d/ns"; echo "$name" >"$d/name"; echo "$node" >"$d/node"
  if [ "$hostnet" = 1 ]; then
    echo host >"$d/netns"
    if patch_running "$uid" "$ns" "$name" "$node" "${NODE_IP[$node]}"; then
      touch "$d/wired" "$d/reported"
      log "pod $ns/$name on $node: host network, ${NODE_IP[$node]}"
    else
      backoff "$d" add
    fi
    return
  fi
  local netns=$PREFIX-$ns.$name id=${uid//-/}
  [ ${#netns} -le 200 ] || netns=$PREFIX-$uid
  echo "$netns" >"$d/netns"; echo "$id" >"$d/id"
  if [ ! -f "$d/wired" ]; then
    if [ ! -e "/var/run/netns/$netns" ]; then
      { ip netns add "$netns" && ip -n "$netns" link set lo up; } ||
        { backoff "$d" add; return; }
    fi
    t0=$(date +%s%N)
    if ! out=$(kovn_cni_call "$node" add "$netns" "$id" "$ns" "$name" 2>&1); then
      log "pod $ns/$name on $node: ADD failed: $out"
      kovn_cni_call "$node" del "$netns" "$id" "$ns" "$name" >/dev/null 2>&1
      patch_failed "$ns" "$name" "CNI ADD failed: $out" 2>/dev/null
      backoff "$d" add
      return
    fi
    ips=$(jq -r '[.ips[].address | sub("/.*"; "")] | join(" ")' <<<"$out")
    echo "$ips" >"$d/ips"
    touch "$d/wired"
    log "pod $ns/$name on $node: ADD $ips ($((($(date +%s%N) - t0) / 1000000)) ms)"
  fi
  # shellcheck disable=SC2046
  if patch_running "$uid" "$ns" "$name" "$node" $(cat "$d/ips"); then
    rm -f "$d/failures-add" "$d/retry-add"
    touch "$d/reported"
  else
    log "pod $ns/$name: status update failed"
    backoff "$d" add
  fi
}

job_del() {   # UID DELETE_OBJECT
  local uid=$1 d=$K/pods/$1 ns name node netns id
  ns=$(cat "$d/ns"); name=$(cat "$d/name"); node=$(cat "$d/node")
  netns=$(cat "$d/netns" 2>/dev/null || true)
  id=$(cat "$d/id" 2>/dev/null || true)
  if [ -n "$id" ] && [ -e "/var/run/netns/$netns" ]; then
    if ! out=$(kovn_cni_call "$node" del "$netns" "$id" "$ns" "$name" 2>&1); then
      log "pod $ns/$name on $node: DEL failed: $out"
      backoff "$d" del
      return
    fi
    ip netns del "$netns" 2>/dev/null
    log "pod $ns/$name on $node: DEL"
  fi
  rm -rf "$d"
  if [ "$2" = 1 ]; then
    delete_object "$uid" "$ns" "$name" &&
      log "pod $ns/$name: deleted"
  fi
}

# Runs job_KIND UID ARGS... in the background unless one runs for UID.
start_job() {   # KIND UID ARGS...
  local kind=$1 uid=$2
  [ -e "$K/busy/$uid" ] && return 0
  [ $JOBS -lt $MAX_JOBS ] || return 0
  [ -f "$K/pods/$uid/retry-$kind" ] &&
    [ "$(cat "$K/pods/$uid/retry-$kind")" -gt "$NOW" ] && return 0
  touch "$K/busy/$uid"
  JOBS=$((JOBS + 1))
  (
    "job_$kind" "$uid" "${@:3}"
    rm -f "$K/busy/$uid"
    echo >&3
  ) &
}

# --- the reconciler -----------------------------------------------------------------

reconcile() {
  local list uid ns name node del phase sched hostnet ip
  list=$(api GET /api/v1/pods) || { log "cannot list pods"; return; }
  NOW=$(date +%s)
  JOBS=$(ls "$K/busy" | wc -l)
  declare -A seen=() load=() key_uid=()
  for n in $NODES; do load[$n]=0; done
  for d in "$K"/pods/*/; do
    [ -f "$d/name" ] || continue
    uid=${d%/}; uid=${uid##*/}
    key_uid[$(cat "$d/ns")/$(cat "$d/name")]=$uid
  done
  local rows
  rows=$(jq -r '.items[] | select(.status.phase != "Succeeded" and
      .status.phase != "Failed") |
    [.metadata.uid, .metadata.namespace, .metadata.name,
     (.spec.nodeName // ""),
     (if .metadata.deletionTimestamp then 1 else 0 end),
     (.spec.schedulerName // "default-scheduler"),
     (if .spec.hostNetwork then 1 else 0 end),
     (.status.podIP // "")] | map(tostring) | join("|")' <<<"$list")
  while IFS='|' read -r uid ns name node del sched hostnet ip; do
    [ -n "$uid" ] || continue
    seen[$uid]=1
    [ -n "$node" ] && [ -n "${load[$node]+x}" ] && [ "$del" = 0 ] &&
      load[$node]=$((load[$node] + 1))
  done <<<"$rows"

  while IFS='|' read -r uid ns name node del sched hostnet ip; do
    [ -n "$uid" ] || continue
    if [ -z "$node" ]; then
      [ "$del" = 0 ] && [ "$sched" = default-scheduler ] || continue
      schedule "$ns" "$name" || continue
      continue
    fi
    [ -n "${load[$node]+x}" ] || continue          # Not a sandbox node.
    if [ "$del" = 1 ]; then
      if [ -d "$K/pods/$uid" ]; then
        start_job del "$uid" 1
      else
        delete_object "$uid" "$ns" "$name" && log "pod $ns/$name: deleted"
      fi
      continue
    fi
    local other=${key_uid[$ns/$name]:-}
    # A Pod re-created under the same name waits for its predecessor's DEL.
    [ -n "$other" ] && [ "$other" != "$uid" ] && continue
    if [ ! -f "$K/pods/$uid/reported" ] || [ -z "$ip" ]; then
      start_job add "$uid" "$ns" "$name" "$node" "$hostnet"
    fi
  done <<<"$rows"

  for d in "$K"/pods/*/; do
    [ -d "$d" ] || continue
    uid=${d%/}; uid=${uid##*/}
    [ -n "${seen[$uid]:-}" ] || start_job del "$uid" 0
  done
}

# Binds pod NS/NAME to the sandbox node with the fewest pods.
schedule() {   # NS NAME
  local best= n
  for n in $NODES; do
    if [ -z "$best" ] || [ "${load[$n]}" -lt "${load[$best]}" ]; then best=$n; fi
  done
  jq -nc --arg name "$2" --arg node "$best" '{apiVersion: "v1",
    kind: "Binding", metadata: {name: $name},
    target: {apiVersion: "v1", kind: "Node", name: $node}}' |
    api POST "/api/v1/namespaces/$1/pods/$2/binding" || return 1
  load[$best]=$((load[$best] + 1))
  log "pod $1/$2: scheduled to $best"
}

stop() {
  trap - TERM INT
  log "stopping"
  kill -TERM -- -$$ 2>/dev/null   # The watch, CNI calls: our process group.
  exit 0
}
trap stop TERM INT

log "sandbox kubelet for nodes $NODES, API $API"
watch_pods &
JOBS=0 NOW=0
timeout=0
while :; do
  read -r -t "$timeout" -u 3 _
  for ((i = 0; i < 500; i++)); do read -r -t 0.05 -u 3 _ || break; done
  reconcile
  timeout=$RESYNC
  compgen -G "$K/pods/*/retry-*" >/dev/null && timeout=$RETRY_PASS
done
