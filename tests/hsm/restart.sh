#!/usr/bin/env bash
# Restart without a standby: job 1 has one dm rank; the HSM daemon is SIGKILLed after punching
# the data of a release (release_after_punch), before the record says "migrated"; the command
# fails. Job 2 mounts the same volumes: the new daemon finds the journaled step at start and
# rolls it forward; the file is migrated and reads back right.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
DM=1
hsm_job restart_kill -x PFS_HSM_FAIL_AT=release_after_punch
expect_pass restart_kill
grep -q "fail point release_after_punch: SIGKILL" "$OUT" || fail "the daemon did not die"
hsm_job restart_check
expect_pass restart_check
grep -q "journal /rs (premigrated, releasing): recovered (releasing)" "$OUT" || fail "no roll-forward at start"
grep -E "journal|^HSM-TEST" "$OUT"
echo "PASS: restart (${ELAPSED}s)"
