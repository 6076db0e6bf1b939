#!/usr/bin/env bash
# A data rank is SIGKILLed in a DMAPI job (--meta 1 --data 3 --dm 1: the DMAPI core runs on
# every rank, its session manager on meta rank 0). The recovery's epoch change must not disturb
# the DMAPI layer: data rank 1 adopts data-1, the striped writes and reads go on, every
# acknowledged byte reads back right and the job exits 0.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 3 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 2 2 --meta 1 --data 3 --dm 1 -- --case io
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "recovery: agreed failed ranks \[2\]" "$OUT" || fail "no agreement on rank 2"
grep -q "pfs-server\[1\]: adopted data volume 1 " "$OUT" || fail "data rank 1 did not adopt data-1"
[[ $(grep -c "^PFS-ADOPT io rank [01] PASS" "$OUT") -eq 2 ]] || fail "a compute rank did not pass"
grep -q "^failed_ranks=2\$" "$WORK/run/status" || fail "status: $(cat "$WORK/run/status")"
grep -E "^PFS-ADOPT|recovery:|adopted|killed" "$OUT"
report_resume
echo "PASS: data rank SIGKILL in a DMAPI job: volume adopted, every acknowledged byte kept"
