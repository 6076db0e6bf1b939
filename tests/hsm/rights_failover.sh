#!/usr/bin/env bash
# The HSM holder dies (real SIGKILL) holding a release's DM_RIGHT_EXCL, after the READ region
# and before the punch, while a reader of the file waits for that right. The right dies with
# the rank; the standby takes the session over, rolls the release forward under a right of its
# own, answers the re-delivered command, and recalls for the reader: whole data, clean journal.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/sync"
hsm_job race_failover -x PFS_HSM_TEST_DIR="$WORK/sync" -x PFS_HSM_PAUSE_AT=release_holding_right \
    -x PFS_HSM_FAIL_AT=release_after_region
expect_pass race_failover
grep -q "fail point release_after_region: SIGKILL" "$OUT" || fail "the holder did not die there"
grep -q "HSM [0-9]*: took over session" "$OUT" || fail "no takeover"
grep -q "journal /rf (premigrated, releasing): recovered (releasing)" "$OUT" ||
    fail "the release was not rolled forward"
grep -q "HSM [0-9]*: recalled ino=[0-9]* 8388608 bytes (read)" "$OUT" || fail "no recall after the takeover"
grep -E "pause point|fail point|took over|journal|recalled|^HSM-TEST" "$OUT"
echo "PASS: rights_failover (${ELAPSED}s)"
