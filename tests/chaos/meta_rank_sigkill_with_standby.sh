#!/usr/bin/env bash
# The meta rank (world rank 0) is SIGKILLed in a job with a standby meta rank (--meta 2 --data 2:
# world rank 1 stands by). The survivors agree on it and the standby (rank 1), not a data rank,
# adopts the metadata volume; the compute ranks' namespace work goes on, nothing acknowledged is
# lost, the job exits 0, and a later job on the same volumes finds every name and byte.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 2 --data 2 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 0 2 --meta 2 --data 2 -- --case namespace
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "recovery: agreed failed ranks \[0\]" "$OUT" || fail "no agreement on rank 0"
grep -q "pfs-server\[1\]: adopted the metadata volume " "$OUT" || fail "the standby did not adopt meta-0"
grep -q "pfs-server\[[23]\]: adopted" "$OUT" && fail "a data rank adopted a volume"
[[ $(grep -c "^PFS-ADOPT namespace rank [01] PASS" "$OUT") -eq 2 ]] || fail "a compute rank did not pass"
grep -q "^failed_ranks=0\$" "$WORK/run/status" || fail "status: $(cat "$WORK/run/status")"
grep -E "^PFS-ADOPT|recovery:|adopted|killed" "$OUT"
report_resume
run_verify --meta 2 --data 2 --compute 2
[[ $RC -eq 0 ]] || fail "verify job exited $RC, want 0"
[[ $(grep -c "^PFS-ADOPT verify rank [01] PASS" "$OUT") -eq 2 ]] || fail "a later job lost names or data"
grep "^PFS-ADOPT verify" "$OUT"
echo "PASS: meta rank SIGKILL with a standby: the standby adopted the metadata volume, nothing lost"
