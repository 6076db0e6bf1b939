#!/usr/bin/env bash
# The meta rank (world rank 0, also the job's leader and the FT coordinator) is SIGKILLed while
# two compute ranks create, write, stat and rename files (--meta 1 --data 2: no standby meta
# rank). The survivors agree on it, the lowest data rank (1) adopts the metadata volume (LMDB:
# every acknowledged change was a committed transaction) and serves the namespace beside its
# data volume; the namespace work goes on, every earlier name and byte is found, the job exits
# 0, and a later job on the same volumes finds them too.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 2 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 0 2 --meta 1 --data 2 -- --case namespace
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "recovery: agreed failed ranks \[0\]" "$OUT" || fail "no agreement on rank 0"
grep -q "pfs-server\[1\]: adopted the metadata volume " "$OUT" || fail "rank 1 did not adopt meta-0"
[[ $(grep -c "^PFS-ADOPT namespace rank [01] PASS" "$OUT") -eq 2 ]] || fail "a compute rank did not pass"
grep -q "^failed_ranks=0\$" "$WORK/run/status" || fail "status: $(cat "$WORK/run/status")"
grep -E "^PFS-ADOPT|recovery:|adopted|killed" "$OUT"
report_resume
run_verify --meta 1 --data 2 --compute 2
[[ $RC -eq 0 ]] || fail "verify job exited $RC, want 0"
[[ $(grep -c "^PFS-ADOPT verify rank [01] PASS" "$OUT") -eq 2 ]] || fail "a later job lost names or data"
grep "^PFS-ADOPT verify" "$OUT"
echo "PASS: meta rank SIGKILL during namespace work: metadata volume adopted, nothing lost"
