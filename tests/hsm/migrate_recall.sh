#!/usr/bin/env bash
# migrate, archive, release; a read recalls the whole file with the right data; a write marks a
# premigrated file dirty and recalls a migrated one first; truncate; remove-archive-copy; a
# destroy deletes the archive copy; bad input (never-archived release, missing path) is refused
# and loses nothing.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
hsm_job migrate_recall
expect_pass migrate_recall
grep -q "HSM [0-9]*: created session" "$OUT" || fail "no session"
grep -q "HSM [0-9]*: state /f: (0x0000000b) exists dirty archived" "$OUT" || fail "no state line for /f"
grep -q "archive copy .* deleted" "$OUT" || fail "destroy did not delete the copy"
grep -E "^HSM-TEST|state /" "$OUT"
echo "PASS: migrate_recall (${ELAPSED}s)"
