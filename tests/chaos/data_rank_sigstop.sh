#!/usr/bin/env bash
# A data rank hangs (SIGSTOP) while two compute ranks write and read striped files (--meta 1
# --data 3; rank 2 stops). Its heartbeats stop, its ring successor declares it failed and fences
# it (SIGKILL: a stopped process on this host), the survivors agree, data rank 1 adopts data-1,
# and I/O continues: every acknowledged byte reads back right, the job exits 0, and a later job
# on the same volumes finds every byte.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 3 > "$OUT" 2>&1 || fail "pfs-mkfs"
KILL_SIGNAL=STOP run_with_kill 2 2 --meta 1 --data 3 -- --case io
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "rank 2 (data) failed (detected by" "$OUT" || fail "rank 2 not detected"
grep -q "recovery: agreed failed ranks \[2\]" "$OUT" || fail "no agreement on rank 2"
grep -q "pfs-server\[1\]: adopted data volume 1 " "$OUT" || fail "data rank 1 did not adopt data-1"
[[ $(grep -c "^PFS-ADOPT io rank [01] PASS" "$OUT") -eq 2 ]] || fail "a compute rank did not pass"
grep -q "^failed_ranks=2\$" "$WORK/run/status" || fail "status: $(cat "$WORK/run/status")"
grep -E "^PFS-ADOPT|recovery:|adopted|killed|failed \(detected" "$OUT"
report_resume
run_verify --meta 1 --data 3 --compute 2
[[ $RC -eq 0 ]] || fail "verify job exited $RC, want 0"
[[ $(grep -c "^PFS-ADOPT verify rank [01] PASS" "$OUT") -eq 2 ]] || fail "a later job lost data"
grep "^PFS-ADOPT verify" "$OUT"
echo "PASS: hung data rank fenced and its volume adopted, every acknowledged byte kept"
