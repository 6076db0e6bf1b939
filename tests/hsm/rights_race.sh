#!/usr/bin/env bash
# DM access rights against racing user I/O: the daemon pauses while it holds DM_RIGHT_SHARED
# for an archive copy and DM_RIGHT_EXCL for a release (PFS_HSM_PAUSE_AT); a read runs during
# the archive, writes wait for both, a read waits for the release; afterwards every written
# byte is in the file (dirty), the archive copy predates the write, and no reader saw the hole.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/sync"
# The release pause gets no go: the daemon goes on after PFS_HSM_PAUSE_S; the checks are about
# what completed before or after it left the pause, whatever its length.
hsm_job race -x PFS_HSM_TEST_DIR="$WORK/sync" -x PFS_HSM_PAUSE_S=3 \
    -x PFS_HSM_PAUSE_AT=archive_holding_right,release_holding_right
expect_pass race
for p in archive_holding_right release_holding_right; do
    grep -q "pause point $p: continuing" "$OUT" || fail "the daemon never paused at $p"
done
ino=$(sed -n 's/^HSM-TEST race ino \([0-9]*\)$/\1/p' "$OUT")
[[ -n $ino ]] || fail "no inode number"
# The release's user I/O ran only after it: the file was recalled (by the write or the read).
grep -q "recalled ino=$ino " "$OUT" || fail "no recall of the released file"
grep -E "pause point|recalled ino=$ino |^HSM-TEST" "$OUT"
echo "PASS: rights_race (${ELAPSED}s)"
