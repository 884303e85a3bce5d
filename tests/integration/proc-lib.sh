# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# Shell functions the test environment scripts share (ovn-env.sh,
# node-env.sh, kovn-lib.sh): waiting for a condition, and whether a process
# still lives.  Source it.

# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds; fails
# after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# alive PID: true if PID runs.  A process that exited stays a zombie until
# init reaps it, which some container inits only do now and then: count
# zombies as gone.
alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
