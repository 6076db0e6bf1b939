#!/usr/bin/env bash
# PFS_VOLUME_ADOPTION=0: a data rank's SIGKILL (--meta 1 --data 3, rank 2) ends the job as before
# volume adoption existed: no recovery, no adopter. The leader aborts with 137; a compute rank
# whose request to the dead rank failed with EIO may end the job first (code 1): both count.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 3 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 2 2 --meta 1 --data 3 -x PFS_VOLUME_ADOPTION=0 -- --case io
grep -qE "recovery:|adopted" "$OUT" && fail "a recovery ran although adoption is off"
if [[ $RC -eq 1 ]]; then
    grep -q "^PFS-ADOPT FAIL io .*Input/output error" "$OUT" || fail "job exited 1 without an EIO"
else
    [[ $RC -eq 137 ]] || fail "job exited $RC, want 137 (or 1 after EIO)"
    grep -q "aborting job with code 137: data rank 2 failed" "$OUT" || fail "no abort for rank 2"
fi
echo "PASS: adoption off: the data rank's death ended the job (code $RC)"
