#!/usr/bin/env bash
# Node loss: the second fake node's ORTE daemon is SIGKILLed, taking its ranks (3,4,5) with it.
# PMIx never marks them: heartbeats and notices must find all three.
. "$(dirname "$0")/lib.sh"
(
    pid_of 5 >/dev/null || exit 0
    sleep 1
    orted=$(ps -o ppid= -p "$(pid_of 5)" | tr -d ' ')
    [[ -n $orted ]] && kill -KILL "$orted" && echo "test: SIGKILL orted pid $orted" >> "$WORK/inject.log"
) &
run_job --plain 6 --fake-nodes 2 -- --expect-failed 3,4,5 --timeout-ms 30000
wait
grep -q orted "$WORK/inject.log" || fail "the second node's daemon was not killed"
check_agreement 3,4,5 3
