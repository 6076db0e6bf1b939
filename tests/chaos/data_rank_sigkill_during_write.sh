#!/usr/bin/env bash
# A data rank is SIGKILLed while two compute ranks write and read files striped over all three
# data servers (--meta 1 --data 3: world ranks 1-3 are data ranks; rank 2, volume data-1, dies).
# The survivors agree on it, data rank 1 adopts data-1, the writes and reads in flight are
# retried there and the compute ranks go on; afterwards every acknowledged byte reads back
# right, the job exits 0, and a later job on the same volumes (all data ranks alive again)
# finds every byte.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 3 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 2 2 --meta 1 --data 3 -- --case io
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
# The data path under test: through the data servers (adoption_lib.sh's default), or the direct
# path when data_rank_sigkill_during_direct_io.sh sets PFS_CLIENT_DIRECT_IO=1.
direct=0
[[ $PFS_CLIENT_DIRECT_IO == 1 ]] && direct=3
[[ $(grep -c "^PFS-ADOPT io rank [01] direct volumes $direct of 3" "$OUT") -eq 2 ]] ||
    fail "the compute ranks did not use the data path under test ($direct direct volumes)"
grep -q "recovery: agreed failed ranks \[2\]" "$OUT" || fail "no agreement on rank 2"
grep -q "pfs-server\[1\]: adopted data volume 1 " "$OUT" || fail "data rank 1 did not adopt data-1"
[[ $(grep -c "^PFS-ADOPT io rank [01] PASS" "$OUT") -eq 2 ]] || fail "a compute rank did not pass"
grep -q "^failed_ranks=2\$" "$WORK/run/status" || fail "status: $(cat "$WORK/run/status")"
grep -E "^PFS-ADOPT|recovery:|adopted|killed" "$OUT"
report_resume
run_verify --meta 1 --data 3 --compute 2
[[ $RC -eq 0 ]] || fail "verify job exited $RC, want 0"
[[ $(grep -c "^PFS-ADOPT verify rank [01] PASS" "$OUT") -eq 2 ]] || fail "a later job lost data"
grep "^PFS-ADOPT verify" "$OUT"
echo "PASS: data rank SIGKILL during writes ($direct direct volumes): volume adopted, every acknowledged byte kept"
