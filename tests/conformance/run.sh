#!/usr/bin/env bash
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# The upstream Kubernetes [sig-network] e2e tests against kovn: e2e.test
# from the same 1.20 source as the sandbox's kube-apiserver and kubelets
# (scripts/setup.sh builds both), on a fresh sandbox cluster
# (sandbox/kovn-sandbox.sh) that it brings up and always tears down, with
# kovn installed in it as operators install it (deploy/install.sh, kovn's
# images from KOVN_BUILD's binaries).
#
# Selected: every [sig-network] [Conformance] test, and every test of the
# Networking (with its Granular Checks), NetworkPolicy and Services groups.
# Skipped: only what cannot exist on this machine, each with its reason, in
# tests/conformance/skips.txt.  Each test runs as its own e2e.test process
# with a time limit, so that one hang cannot stall the run, P at a time
# ([Serial] and [Disruptive] tests alone, at the end).  The run fails when a
# test fails that tests/conformance/expected-failures.txt does not list, or
# when a listed test passes (it must come off the list).  A test that fails
# unexpectedly is run once more, alone: if it then passes, it is reported as
# flaky, with both logs, and does not fail the run.  See
# docs/conformance.md.
#
#   tests/conformance/run.sh [OPTIONS]
#     --kubeconfig FILE  run against this cluster instead of a fresh sandbox
#     --nodes N          sandbox nodes (default 3)
#     -j, --parallel P   tests at a time (default 8)
#     --timeout S        seconds one test may take before it is stopped and
#                        counted as failed (default 420)
#     --focus REGEX      run only the selected tests matching REGEX (bash
#                        ERE); the expected-failures check then covers them only
#     --out DIR          results folder (default build/conformance): table.txt,
#                        junit.xml (merged), logs/ (one per failed test),
#                        tests/ (everything per test), sandbox-logs/
#     --dump             e2e's namespace dump (events, pods) in failure logs
#     --list             print the selection and the skips, run nothing
#     -- FLAG...         more flags for every e2e.test
#
# Environment: KOVN_KUBE_DIR (e2e.test, kubectl; default
# /var/cache/kovn/kubernetes), KOVN_BUILD (kovn binaries for the sandbox),
# KOVN_CONFORMANCE_PARALLEL, KOVN_CONFORMANCE_TIMEOUT, KOVN_CONFORMANCE_OUT.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
KUBE_DIR=${KOVN_KUBE_DIR:-/var/cache/kovn/kubernetes}
E2E=$KUBE_DIR/e2e.test
KUBECTL=$KUBE_DIR/kubectl
SANDBOX=$TOP/sandbox/kovn-sandbox.sh
SKIPS=$HERE/skips.txt
EXPECTED=$HERE/expected-failures.txt
JUNIT=$HERE/junit.py
# shellcheck source=../integration/proc-lib.sh
. "$TOP/tests/integration/proc-lib.sh"   # wait_for

# What is selected, as a ginkgo focus: a Go regexp on the suite's name,
# "[Top Level]" and the test's name ("Kubernetes e2e suite [Top Level] NAME").
SELECT='\[sig-network\] (Networking|NetworkPolicy|Services) |\[sig-network\].*\[Conformance\]'
# Tests that must run alone: they change the cluster for everyone.
ALONE='\[Serial\]|\[Disruptive\]'
# Groups whose tests take longest (most wait for Services until a time
# limit, as measured): started first, so that the run does not end with a
# few long tests and idle workers.
SLOW_FIRST='^\[sig-network\] (DNS|Services|Networking Granular Checks: Services|Networking IPerf) '

KUBECONFIG_FILE=
NODES=3
# Measured on 2 cores (docs/conformance.md): the tests that pass take 3 to
# 85 s each at 12 at a time; most expected failures wait on a Service until
# a time limit of their own (2 to 5 minutes), so 180 s cuts them short
# without cutting a passing test.
PARALLEL=${KOVN_CONFORMANCE_PARALLEL:-8}
TIMEOUT=${KOVN_CONFORMANCE_TIMEOUT:-420}
FOCUS=
OUT=${KOVN_CONFORMANCE_OUT:-$TOP/build/conformance}
DUMP=false
LIST_ONLY=0
E2E_FLAGS=()

SANDBOX_DIR=           # set while we own a sandbox
STANDIN_PID=           # the stand-in for google.com, see start_standin
declare -A RUNNING=()  # pid of a running test's timeout(1) -> test index
INTERRUPTED=0
CLEANUP_FAILED=0

say() { printf '%s\n' "$*"; }
log() { printf 'conformance: %s\n' "$*" >&2; }
die() { log "$*"; exit 2; }

usage() {
  sed -n '/^#   tests\/conformance\/run.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --kubeconfig) KUBECONFIG_FILE=${2:-}; shift 2 ;;
      --nodes) NODES=${2:-}; shift 2 ;;
      -j|--parallel) PARALLEL=${2:-}; shift 2 ;;
      --timeout) TIMEOUT=${2:-}; shift 2 ;;
      --focus) FOCUS=${2:-}; shift 2 ;;
      --out) OUT=${2:-}; shift 2 ;;
      --dump) DUMP=true; shift ;;
      --list) LIST_ONLY=1; shift ;;
      --) shift; E2E_FLAGS=("$@"); break ;;
      *) usage ;;
    esac
  done
  [[ $PARALLEL =~ ^[1-9][0-9]*$ ]] || die "--parallel: want a number >= 1"
  [[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout: want seconds"
  [ -z "$KUBECONFIG_FILE" ] || [ -r "$KUBECONFIG_FILE" ] ||
    die "--kubeconfig: cannot read $KUBECONFIG_FILE"
  # Each e2e.test runs in a folder of its own: absolute paths.
  case $KUBECONFIG_FILE in /*|'') ;; *) KUBECONFIG_FILE=$PWD/$KUBECONFIG_FILE ;; esac
  { [ -x "$E2E" ] && [ -x "$KUBECTL" ]; } ||
    die "no e2e.test/kubectl in $KUBE_DIR: run scripts/setup.sh (make setup)"
  command -v python3 >/dev/null || die "no python3: run scripts/setup.sh"
  case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
}

# --- the lists -----------------------------------------------------------------

# Reads the "A | B" lines of FILE ($1), without the comments and blank
# lines, into the arrays LIST_A and LIST_B.  Names keep their inner spaces
# exactly (e2e names can hold two spaces in a row).
read_list() {
  local line
  LIST_A=() LIST_B=()
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line == *" | "* ]] || die "$1: no ' | ' in: $line"
    LIST_A+=("${line%% | *}")
    LIST_B+=("${line#* | }")
  done <"$1"
}

# The reason skips.txt gives for NAME, or nothing when it is not skipped.
skip_reason() {
  local i
  for i in "${!SKIP_RE[@]}"; do
    if [[ $1 =~ ${SKIP_RE[$i]} ]]; then
      printf '%s\n' "${SKIP_WHY[$i]}"
      return
    fi
  done
}

load_lists() {
  read_list "$SKIPS"
  SKIP_RE=("${LIST_A[@]}") SKIP_WHY=("${LIST_B[@]}")
  read_list "$EXPECTED"
  XFAIL=("${LIST_A[@]}") XFAIL_WHY=("${LIST_B[@]}")
  declare -gA XFAIL_OF=()
  local i
  for i in "${!XFAIL[@]}"; do XFAIL_OF[${XFAIL[$i]}]=${XFAIL_WHY[$i]}; done
}

# The selected tests, from a dry run of e2e.test (no cluster is contacted),
# into NAMES; those skips.txt skips go to SKIPPED instead.
select_tests() {
  local dir=$OUT/select name why
  rm -rf "$dir" && mkdir -p "$dir"
  "$E2E" --ginkgo.dryRun --ginkgo.noColor --ginkgo.focus="$SELECT" \
    --report-dir="$dir" --disable-log-dump >"$dir/dry-run.log" 2>&1 ||
    die "e2e.test --ginkgo.dryRun failed; see $dir/dry-run.log"
  NAMES=() SKIPPED=()
  declare -gA SKIP_OF=()
  while IFS= read -r name; do
    [ -n "$FOCUS" ] && ! [[ $name =~ $FOCUS ]] && continue
    why=$(skip_reason "$name")
    if [ -n "$why" ]; then
      SKIPPED+=("$name")
      SKIP_OF[$name]=$why
    else
      NAMES+=("$name")
    fi
  done < <(python3 "$JUNIT" names "$dir/junit_01.xml" | LC_ALL=C sort)
  [ $((${#NAMES[@]} + ${#SKIPPED[@]})) -gt 0 ] || die "no test selected"
}

# Names in expected-failures.txt that are not selected tests are mistakes
# (a typo, or upstream renamed the test): say so rather than ignore them.
check_expected_names() {
  local name bad=0
  declare -A known=()
  for name in "${NAMES[@]}" "${SKIPPED[@]}"; do known[$name]=1; done
  for name in "${XFAIL[@]}"; do
    [ -n "$FOCUS" ] && ! [[ $name =~ $FOCUS ]] && continue
    if [ -z "${known[$name]:-}" ]; then
      log "expected-failures.txt names no selected test: '$name'"
      bad=1
    fi
  done
  return $bad
}

print_list() {
  local name
  say "selected (${#NAMES[@]}):"
  for name in "${NAMES[@]}"; do say "  $name"; done
  say "skipped by skips.txt (${#SKIPPED[@]}):"
  for name in "${SKIPPED[@]}"; do say "  $name  -- ${SKIP_OF[$name]}"; done
}

# --- the cluster ---------------------------------------------------------------

start_sandbox() {
  local t0=$SECONDS
  SANDBOX_DIR=$(mktemp -d /tmp/kovn-conformance.XXXXXX)
  say "sandbox: $NODES nodes in $SANDBOX_DIR"
  if ! KOVN_SANDBOX_DIR=$SANDBOX_DIR KOVN_SANDBOX_NODES=$NODES \
       "$SANDBOX" up --no-demo >"$OUT/sandbox-up.log" 2>&1; then
    cat "$OUT/sandbox-up.log" >&2
    die "the sandbox did not come up"
  fi
  KUBECONFIG_FILE=$SANDBOX_DIR/kubeconfig
  say "sandbox: up in $((SECONDS - t0)) s"
}

stop_sandbox() {
  [ -n "$SANDBOX_DIR" ] || return 0
  # A failed `up` has already taken it down, folder included.
  if ! [ -d "$SANDBOX_DIR" ]; then SANDBOX_DIR=; return 0; fi
  say "sandbox: down (logs in $OUT/sandbox-logs)"
  # A second `down` finishes what the first could not (as it says itself).
  if ! KOVN_SANDBOX_DIR=$SANDBOX_DIR KOVN_SANDBOX_LOGS=$OUT/sandbox-logs \
       "$SANDBOX" down >"$OUT/sandbox-down.log" 2>&1 &&
     ! KOVN_SANDBOX_DIR=$SANDBOX_DIR "$SANDBOX" down \
       >>"$OUT/sandbox-down.log" 2>&1; then
    log "the sandbox in $SANDBOX_DIR did not come down; see $OUT/sandbox-down.log"
    CLEANUP_FAILED=1
  fi
  SANDBOX_DIR=
}

# The Networking tests of test/e2e/network/networking.go first check that
# the machine running e2e.test reaches http://google.com (their comment:
# "not really a test of kubernetes in any way").  This machine has no
# Internet by design, so e2e.test gets an HTTP proxy (HTTP_PROXY; only names,
# never addresses: NO_PROXY covers every IP) that answers 200 to everything.
# Nothing in the cluster sees it; the tests that need real Internet from pods
# are in skips.txt.
start_standin() {
  local portfile=$OUT/standin.port
  rm -f "$portfile"
  python3 - "$portfile" >"$OUT/standin.log" 2>&1 <<'PY' &
import http.server, sys
class OK(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"kovn conformance stand-in for the Internet\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OK)
open(sys.argv[1] + ".tmp", "w").write(str(srv.server_address[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
  STANDIN_PID=$!
  wait_for 5 test -s "$portfile" ||
    die "the Internet stand-in did not start; see $OUT/standin.log"
  STANDIN_PORT=$(cat "$portfile")
}

stop_standin() {
  [ -n "$STANDIN_PID" ] || return 0
  kill "$STANDIN_PID" 2>/dev/null
  STANDIN_PID=
}

# --- one test ------------------------------------------------------------------

# NAME as a regexp that matches only itself.
regex_quote() {
  printf '%s' "$1" | sed 's/[][\.|$(){}?+*^]/\\&/g'
}

# Runs test number $1 (NAMES[$1]) as its own e2e.test; leaves in its folder
# log, junit.xml, and result ("STATUS<TAB>SECONDS<TAB>DETAIL").
run_one() {
  local i=$1 name=${NAMES[$1]} dir=$OUT/tests/$1
  local t0=$SECONDS rc status detail
  mkdir -p "$dir/junit" "$dir/output"
  printf '%s\n' "$name" >"$dir/name"
  (
    cd "$dir" || exit 1
    unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy
    # KUBE_SSH_KEY_PATH: no key, so tests that would ssh into a node skip
    # themselves (provider "local" counts as one with ssh).
    exec env HTTP_PROXY="http://127.0.0.1:$STANDIN_PORT" \
      NO_PROXY="0.0.0.0/0,::/0" KUBE_SSH_KEY_PATH=/nonexistent \
      timeout -k 30 "$TIMEOUT" "$E2E" \
      --kubeconfig="$KUBECONFIG_FILE" --provider=local \
      --kubectl-path="$KUBECTL" \
      --ginkgo.focus="^Kubernetes e2e suite \[Top Level\] $(regex_quote "$name")\$" \
      --ginkgo.noColor --ginkgo.slowSpecThreshold=600 \
      --report-dir="$dir/junit" --e2e-output-dir="$dir/output" \
      --disable-log-dump --dump-logs-on-failure="$DUMP" \
      --node-schedulable-timeout=60s --system-pods-startup-timeout=60s \
      --system-daemonsets-startup-timeout=30s "${E2E_FLAGS[@]}"
  ) >"$dir/log" 2>&1 &
  # timeout(1)'s pid, for stop_running: timeout has a process group of its
  # own, so a Ctrl-C reaches this subshell but not the test.
  printf '%s\n' "$!" >"$dir/pid"
  wait "$!"
  rc=$?
  IFS=$'\t' read -r status detail < <(python3 "$JUNIT" result \
    "$dir/junit/junit_01.xml" "$name" "$dir/log" "$dir/junit.xml")
  # e2e.test's own file lists all ~5000 specs of the suite (1.6 MB).
  rm -rf "$dir/junit"
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    status=failed detail="timed out after $TIMEOUT s (stopped)"
    cleanup_namespaces "$dir/log"
  elif [ "$status" = missing ] && grep -q '^Will run 0 of' "$dir/log"; then
    status=failed detail="e2e.test found no test of this name (run.sh's focus)"
  elif [ "$status" = missing ]; then
    status=failed
    detail="no result from e2e.test (exit $rc)${detail:+; $detail}"
  fi
  printf '%s\t%s\t%s\n' "$status" "$((SECONDS - t0))" "$detail" >"$dir/result"
}

# A stopped e2e.test may leave its namespaces (and their pods) behind; the
# framework labels them with the process's run id.
cleanup_namespaces() {
  local id
  id=$(sed -n 's/.*Starting e2e run "\([^"]*\)".*/\1/p' "$1" | head -n 1)
  [ -n "$id" ] || return 0
  "$KUBECTL" --kubeconfig="$KUBECONFIG_FILE" delete namespace \
    -l "e2e-run=$id" --wait=false >/dev/null 2>&1
}

# --- the run -------------------------------------------------------------------

# Starts test $1 in the background.
start_one() {
  run_one "$1" &
  RUNNING[$!]=$1
}

# Waits for any running test; prints its line.
reap_one() {
  local pid
  wait -n -p pid "${!RUNNING[@]}" 2>/dev/null
  [ -n "${pid:-}" ] || return 1
  progress "${RUNNING[$pid]}"
  unset "RUNNING[$pid]"
}

DONE=0
progress() {
  local status seconds detail
  DONE=$((DONE + 1))
  IFS=$'\t' read -r status seconds detail <"$OUT/tests/$1/result"
  printf '[%3d/%d] %-7s %4ss  %s\n' "$DONE" "${#NAMES[@]}" "$status" "$seconds" \
    "${NAMES[$1]}"
}

# Runs every selected test: the parallel ones P at a time, then those that
# must run alone, one at a time.
run_all() {
  local i alone=() order=()
  rm -rf "$OUT/tests" "$OUT/logs"
  mkdir -p "$OUT/tests" "$OUT/logs"
  for i in "${!NAMES[@]}"; do
    [[ ${NAMES[$i]} =~ $SLOW_FIRST ]] && order+=("$i")
  done
  for i in "${!NAMES[@]}"; do
    [[ ${NAMES[$i]} =~ $SLOW_FIRST ]] || order+=("$i")
  done
  for i in "${order[@]}"; do
    [ "$INTERRUPTED" = 1 ] && return
    if [[ ${NAMES[$i]} =~ $ALONE ]]; then alone+=("$i"); continue; fi
    while [ "${#RUNNING[@]}" -ge "$PARALLEL" ]; do reap_one || break; done
    start_one "$i"
  done
  while [ "${#RUNNING[@]}" -gt 0 ]; do reap_one || break; done
  for i in "${alone[@]}"; do
    [ "$INTERRUPTED" = 1 ] && return
    start_one "$i"
    reap_one
  done
}

# A test that failed and is not an expected failure runs once more, alone
# (nothing else runs then): when it passes, it counts as "flaky", which
# passes the run but is listed, with the first try's log kept.  One failure
# on a loaded 2-core machine is not yet a regression; two are.  Upstream's
# CI does the same (ginkgo's --flakeAttempts).
retry_unexpected() {
  local i dir status seconds detail
  for i in "${!NAMES[@]}"; do
    [ "$INTERRUPTED" = 1 ] && return
    dir=$OUT/tests/$i
    [ -f "$dir/result" ] || continue
    IFS=$'\t' read -r status seconds detail <"$dir/result"
    [ "$status" = failed ] && [ -z "${XFAIL_OF[${NAMES[$i]}]+x}" ] || continue
    mv "$dir/log" "$dir/first.log"
    mv "$dir/result" "$dir/first.result"
    say "retrying alone: ${NAMES[$i]}"
    DONE=$((DONE - 1))
    start_one "$i"
    reap_one
    IFS=$'\t' read -r status seconds <"$dir/result"
    if [ "$status" = passed ]; then
      printf 'flaky\t%s\tfailed first (%s), passed alone on retry\n' \
        "$seconds" "${detail:-?}" >"$dir/result"
    fi
  done
}

# Stops the tests still running: TERM to their timeout(1), which passes it
# on to e2e.test, which deletes its namespaces on the way out; waits until
# they are gone (timeout's -k bounds it).  Polls rather than `wait`: in a
# trap that interrupted `wait -n`, bash's `wait PID` can miss the end of PID
# and block; and a Ctrl-C has already ended run_one's subshells.
stop_running() {
  local i pids=()
  for i in "${RUNNING[@]}"; do
    pids+=("$(cat "$OUT/tests/$i/pid" 2>/dev/null)")
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  wait_for 80 eval '! kill -0 "${pids[@]}" 2>/dev/null'
  RUNNING=()
}

# --- the report ----------------------------------------------------------------

# Category of a test for the timing summary: its group (the Granular
# Checks apart).
category() {
  local rest=${1#\[sig-network\] }
  case $rest in
    "Networking Granular Checks: Pods "*) echo Networking/Pods ;;
    "Networking Granular Checks: Services "*) echo Networking/Services ;;
    *) printf '%s\n' "${rest%% *}" ;;
  esac
}

# Writes OUT/results.tsv (for junit.py) and prints the table, the counts per
# group and the closing line; compares with expected-failures.txt.  Returns
# 1 when the run does not match the list.
report() {
  local i name status seconds detail r cat tag
  local pass=0 fail=0 skip=0 xfail=0 bad=0
  local -A c_n=() c_pass=() c_fail=() c_skip=() c_sec=()
  local unexpected=() fixed=() flaky=()
  : >"$OUT/results.tsv"
  {
    printf '%-7s %6s  %s\n' RESULT SECONDS TEST
    for i in "${!NAMES[@]}"; do
      name=${NAMES[$i]}
      r=$OUT/tests/$i/result
      if [ -f "$r" ]; then
        IFS=$'\t' read -r status seconds detail <"$r"
      else
        status=skipped seconds=0 detail="not run (interrupted)"
      fi
      cat=$(category "$name")
      c_n[$cat]=$((${c_n[$cat]:-0} + 1))
      c_sec[$cat]=$((${c_sec[$cat]:-0} + ${seconds:-0}))
      case $status in
        passed)
          pass=$((pass + 1)); c_pass[$cat]=$((${c_pass[$cat]:-0} + 1))
          # "either way:" entries may pass (their result is timing's).
          [ -n "${XFAIL_OF[$name]+x}" ] &&
            [[ ${XFAIL_OF[$name]} != "either way:"* ]] && fixed+=("$name") ;;
        flaky)
          pass=$((pass + 1)); c_pass[$cat]=$((${c_pass[$cat]:-0} + 1))
          flaky+=("$name")
          cp "$OUT/tests/$i/first.log" "$OUT/logs/$i.first.log" ;;
        failed)
          fail=$((fail + 1)); c_fail[$cat]=$((${c_fail[$cat]:-0} + 1))
          cp "$OUT/tests/$i/log" "$OUT/logs/$i.log"
          # Retried: the first try's log too.
          [ -f "$OUT/tests/$i/first.log" ] &&
            cp "$OUT/tests/$i/first.log" "$OUT/logs/$i.first.log"
          if [ -n "${XFAIL_OF[$name]+x}" ]; then xfail=$((xfail + 1))
          else unexpected+=("$name"); fi ;;
        *)
          skip=$((skip + 1)); c_skip[$cat]=$((${c_skip[$cat]:-0} + 1)) ;;
      esac
      printf '%-7s %6s  %s\n' "$status" "$seconds" "$name"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$seconds" \
        "$detail" "$OUT/tests/$i/junit.xml" \
        "$(case $status in failed) echo "$OUT/logs/$i.log" ;;
             flaky) echo "$OUT/logs/$i.first.log" ;; esac)" \
        "${XFAIL_OF[$name]:-}" >>"$OUT/results.tsv"
    done
    for name in "${SKIPPED[@]}"; do
      cat=$(category "$name")
      c_n[$cat]=$((${c_n[$cat]:-0} + 1))
      c_skip[$cat]=$((${c_skip[$cat]:-0} + 1))
      skip=$((skip + 1))
      printf '%-7s %6s  %s\n' skipped - "$name"
      printf '%s\tskipped\t0\t%s\t\t\t\n' "$name" "skips.txt: ${SKIP_OF[$name]}" \
        >>"$OUT/results.tsv"
    done
    say ""
    say "Why they failed (the first line; whole logs in $OUT/logs/):"
    for i in "${!NAMES[@]}"; do
      r=$OUT/tests/$i/result
      [ -f "$r" ] || continue
      IFS=$'\t' read -r status seconds detail <"$r"
      [ "$status" = failed ] || continue
      if [ -n "${XFAIL_OF[${NAMES[$i]}]+x}" ]; then tag=expected; else tag=NEW; fi
      say "  $i.log  $tag  ${NAMES[$i]}"
      say "          ${detail:-?}"
    done
    say ""
    say "Tests that skipped themselves (their reason):"
    for i in "${!NAMES[@]}"; do
      r=$OUT/tests/$i/result
      [ -f "$r" ] || continue
      IFS=$'\t' read -r status seconds detail <"$r"
      [ "$status" = skipped ] && say "  ${NAMES[$i]}: ${detail:-?}"
    done
    say "Skipped by tests/conformance/skips.txt:"
    for i in "${!SKIP_RE[@]}"; do
      local n=0
      for name in "${SKIPPED[@]}"; do
        [ "${SKIP_OF[$name]}" = "${SKIP_WHY[$i]}" ] && n=$((n + 1))
      done
      [ "$n" -gt 0 ] && say "  $n  ${SKIP_WHY[$i]}"
    done
    say ""
    printf '%-20s %5s %7s %7s %8s %9s\n' GROUP TESTS PASSED FAILED SKIPPED "SECONDS*"
    for cat in $(printf '%s\n' "${!c_n[@]}" | sort); do
      printf '%-20s %5s %7s %7s %8s %9s\n' "$cat" "${c_n[$cat]}" \
        "${c_pass[$cat]:-0}" "${c_fail[$cat]:-0}" "${c_skip[$cat]:-0}" "${c_sec[$cat]}"
    done
    say "  * the sum of the tests' own times (they run $PARALLEL at a time)"
    say ""
    say "$pass passed (${#flaky[@]} of them flaky), $fail failed ($xfail expected), $skip skipped;" \
      "$((${#NAMES[@]} + ${#SKIPPED[@]})) selected, $((SECONDS - RUN_T0)) s"
  } >"$OUT/table.txt"
  cat "$OUT/table.txt"
  python3 "$JUNIT" merge "$OUT/results.tsv" "$OUT/junit.xml" ||
    log "could not write $OUT/junit.xml"
  say "JUnit: $OUT/junit.xml; table: $OUT/table.txt; failed tests' logs: $OUT/logs/"
  if [ "${#unexpected[@]}" -gt 0 ]; then
    say ""
    say "FAILED, not in tests/conformance/expected-failures.txt (${#unexpected[@]}):"
    for name in "${unexpected[@]}"; do say "  $name"; done
    bad=1
  fi
  if [ "${#flaky[@]}" -gt 0 ]; then
    say ""
    say "FLAKY: failed, then passed alone on retry (first tries' logs in $OUT/logs/*.first.log) (${#flaky[@]}):"
    for name in "${flaky[@]}"; do say "  $name"; done
  fi
  if [ "${#fixed[@]}" -gt 0 ]; then
    say ""
    say "PASSED, but listed in tests/conformance/expected-failures.txt:" \
      "take them off the list (${#fixed[@]}):"
    for name in "${fixed[@]}"; do say "  $name"; done
    bad=1
  fi
  return $bad
}

cleanup() {
  stop_running
  stop_standin
  stop_sandbox
}

# The run fails if it leaves a sandbox behind, whatever the tests did.
on_exit() {
  local rc=$?
  cleanup
  [ "$CLEANUP_FAILED" = 0 ] || [ "$rc" != 0 ] || rc=1
  exit "$rc"
}

on_signal() {
  INTERRUPTED=1
  log "interrupted: stopping the running tests"
  trap - EXIT
  cleanup
  exit 130
}

main() {
  parse_args "$@"
  mkdir -p "$OUT" || die "cannot make $OUT"
  load_lists
  select_tests
  if [ "$LIST_ONLY" = 1 ]; then print_list; return 0; fi
  local rc=0
  check_expected_names || rc=1
  [ "$(id -u)" = 0 ] || [ -n "$KUBECONFIG_FILE" ] ||
    die "the sandbox needs root (or give --kubeconfig)"
  RUN_T0=$SECONDS
  trap on_signal INT TERM
  trap on_exit EXIT
  [ -n "$KUBECONFIG_FILE" ] || start_sandbox
  start_standin
  say "${#NAMES[@]} tests to run, ${#SKIPPED[@]} skipped; $PARALLEL at a time," \
    "at most $TIMEOUT s each; results in $OUT"
  run_all
  retry_unexpected
  report || rc=1
  return $rc
}

main "$@"
