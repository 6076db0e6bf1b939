#!/usr/bin/env bash
# SIGKILL of the HSM daemon half way through a recall triggered by a read. The standby takes
# over, rolls the half-done recall back (journal), receives the read event again (same token)
# and recalls: the blocked read completes with the right data; the state is premigrated.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
hsm_job kill_recall -x PFS_HSM_FAIL_AT=recall_mid_copy
expect_pass kill_recall
grep -q "fail point recall_mid_copy: SIGKILL" "$OUT" || fail "the daemon did not die mid-recall"
grep -q "HSM [0-9]*: took over session" "$OUT" || fail "no takeover"
grep -qE "journal /r \(migrated, recalling\)" "$OUT" || fail "the recall was not rolled back"
grep -E "fail point|took over|journal|recalled|^HSM-TEST" "$OUT"
echo "PASS: kill_during_recall (${ELAPSED}s)"
