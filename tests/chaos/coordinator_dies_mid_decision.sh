#!/usr/bin/env bash
# Rank 2 is SIGKILLed; the coordinator (rank 0) sends its DECIDE to one member only and then dies
# (fail_loc die_in_decide). The sticky decision must still be what every survivor returns, and the
# next round agrees on {0,2}.
. "$(dirname "$0")/lib.sh"
run_job --plain 5 -x PFS_FT_FAIL_LOC=die_in_decide:0 -- --victims 2 --expect-failed 0,2
grep -q "FAIL_LOC die_in_decide" "$OUT" || fail "the fault-injection point did not fire"
check_agreement 0,2 3
