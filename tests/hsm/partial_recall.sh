#!/usr/bin/env bash
# recall_mode = partial: reads of a migrated 40 MiB file recall only the 1 MiB blocks they touch
# (one, then two more; a read of an online block copies nothing and raises no event: the READ
# region shrinks to the offline blocks), each verified against its own XXH3 sum; a write
# recalls the rest and marks the file dirty; the data is right throughout.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
CONF=$WORK/hsm.conf
printf 'recall_mode = partial\n' > "$CONF"
mkdir -p "$WORK/sync"
hsm_job partial -x PFS_HSM_CONFIG="$CONF" -x PFS_HSM_TEST_DIR="$WORK/sync"
expect_pass partial
grep -q "recalled ino=[0-9]* 1048576 bytes (read, partial)" "$OUT" || fail "no partial recall of one block"
grep -q "recalled ino=[0-9]* 2097152 bytes (read, partial)" "$OUT" || fail "no partial recall of two blocks"
grep -q "partially recalled:4/40 blocks" "$OUT" || fail "state does not show 4/40 blocks"
grep -E "recalled|partially|^HSM-TEST" "$OUT"
echo "PASS: partial_recall (${ELAPSED}s)"
