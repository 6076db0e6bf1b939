#!/usr/bin/env bash
# A data rank is SIGKILLed while object removals are outstanding: two compute ranks write a
# file striped over all three data servers and unlink it, round after round. Unlink does not
# wait for the removals (docs/pfs.md "Freeing objects"), and every server holds each removal
# 20 ms (PFS_SERVER_DELAY_MS), so dozens are queued at the victim (rank 2, volume data-1) when it
# dies. The clients' removals that it never answered are retried at the adopter (data rank 1):
# at the end no object of any unlinked file is left in any volume directory.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 3 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 2 2 --meta 1 --data 3 -x PFS_SERVER_DELAY_MS=remove_req:20 -- --case remove
[[ $RC -eq 0 ]] || { grep -E "PFS-ADOPT|left behind" "$OUT"; fail "job exited $RC, want 0"; }
grep -q "recovery: agreed failed ranks \[2\]" "$OUT" || fail "no agreement on rank 2"
grep -q "pfs-server\[1\]: adopted data volume 1 " "$OUT" || fail "data rank 1 did not adopt data-1"
[[ $(grep -c "^PFS-ADOPT remove rank [01] PASS" "$OUT") -eq 2 ]] || fail "a compute rank did not pass"
grep -E "^PFS-ADOPT|recovery:|adopted|killed" "$OUT"
report_resume
echo "PASS: data rank SIGKILL with removals outstanding: every object of every unlinked file removed"
