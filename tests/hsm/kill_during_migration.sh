#!/usr/bin/env bash
# SIGKILL of the HSM daemon in the middle of a migration, at the step named by $1 (default
# archive_mid_copy: the copy is half written; release_after_punch: the data is punched, the
# record not yet "migrated"). The standby dm rank takes the session over, recovers the
# journaled step and answers the re-delivered command: the file ends migrated, no partial copy
# is left, and a read recalls the right data.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
POINT=${1:-archive_mid_copy}
hsm_job kill_migrate -x PFS_HSM_FAIL_AT="$POINT"
expect_pass kill_migrate
grep -q "fail point $POINT: SIGKILL" "$OUT" || fail "the daemon did not die at $POINT"
grep -q "HSM [0-9]*: took over session" "$OUT" || fail "no takeover"
grep -qE "journal recovery: [1-9][0-9]* unfinished steps, [1-9]" "$OUT" || fail "no journal recovery"
grep -E "fail point|took over|journal|^HSM-TEST" "$OUT"
echo "PASS: kill_during_migration at $POINT (${ELAPSED}s)"
