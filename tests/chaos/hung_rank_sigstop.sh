#!/usr/bin/env bash
# A rank is SIGSTOPped (hung, not dead): PMIx still shows it running, so only the heartbeat ring
# can catch it. Its successor declares it failed and fences it (SIGKILL on this host).
. "$(dirname "$0")/lib.sh"
( pid=$(pid_of 3) && sleep 1 && kill -STOP "$pid" && echo "test: SIGSTOP rank 3 pid $pid" >> "$WORK/inject.log" ) &
run_job --plain 5 -- --expect-failed 3 --timeout-ms 20000
wait
grep -q SIGSTOP "$WORK/inject.log" || fail "the rank was never stopped"
grep -q "failed=3 how=heartbeat" "$OUT" || fail "rank 3 was not detected by heartbeat"
check_agreement 3 4
