#!/usr/bin/env bash
# Prints one closing line for all the test runs of `make check`:
#   "kovn tests: N passed, M failed"
# counting the meson tests recorded in BUILD/meson-logs/check-*.json.
set -euo pipefail
build=${1:?usage: tests/summary.sh BUILD_DIR}
shopt -s nullglob
logs=("$build"/meson-logs/check-*.json)
[ ${#logs[@]} -gt 0 ] || { echo "tests/summary.sh: no test logs in $build" >&2; exit 1; }
cat "${logs[@]}" | jq -rs '
  (map(select(.result == "OK")) | length) as $ok |
  (map(select(.result != "OK" and .result != "SKIP")) | length) as $bad |
  "kovn tests: \($ok) passed, \($bad) failed"'
