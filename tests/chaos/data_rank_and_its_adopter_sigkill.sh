#!/usr/bin/env bash
# Two failures in a row (--meta 1 --data 3): data rank 2 is SIGKILLed and data rank 1 adopts
# its volume data-1; 0.3 s later the adopter itself is SIGKILLed, and data rank 3, the lowest
# live data rank left, adopts both data-0 and data-1. The compute ranks' striped writes and reads
# go on through both recoveries; every acknowledged byte reads back right, the job exits 0, and a
# later job (every data rank back at home) finds every byte.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 3 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 2,1 2 --meta 1 --data 3 -- --case io --after 300
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "pfs-server\[1\]: adopted data volume 1 " "$OUT" || fail "data rank 1 did not adopt data-1"
grep -q "recovery: agreed failed ranks \[1\]" "$OUT" || fail "no agreement on the adopter's death"
grep -q "pfs-server\[3\]: adopted data volume 0 " "$OUT" || fail "data rank 3 did not adopt data-0"
grep -q "pfs-server\[3\]: adopted data volume 1 " "$OUT" || fail "data rank 3 did not adopt data-1"
[[ $(grep -c "^PFS-ADOPT io rank [01] PASS" "$OUT") -eq 2 ]] || fail "a compute rank did not pass"
grep -q "^failed_ranks=1,2\$" "$WORK/run/status" || fail "status: $(cat "$WORK/run/status")"
grep -E "^PFS-ADOPT|recovery:|adopted|killed" "$OUT"
run_verify --meta 1 --data 3 --compute 2
[[ $RC -eq 0 ]] || fail "verify job exited $RC, want 0"
[[ $(grep -c "^PFS-ADOPT verify rank [01] PASS" "$OUT") -eq 2 ]] || fail "a later job lost data"
grep "^PFS-ADOPT verify" "$OUT"
echo "PASS: a data rank and then its adopter SIGKILLed: both volumes adopted again, nothing lost"
