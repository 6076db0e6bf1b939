#!/usr/bin/env bash
# (c) Rank failure, second run: a data rank is SIGKILLed mid-run inside a Slurm job while pfs-ior
# writes and reads with -W/-R verification (PFS_KILL_ROLE=data, 1 meta + 3 data ranks; victim
# data rank 3). The job must still end with exit 0, report the agreement and the adoption of the
# dead rank's volume, verify every byte, and say so in its JSON result.
source "$(dirname "$0")/lib.sh"
JOB=$PFS_SOURCE_DIR/jobs/slurm/ior.sbatch
need_bins pfs-run pfs-server pfs-mkfs pfs-ior
submit ior_data_kill env PFS_KILL_ROLE=data PFS_DATA=3 PFS_IOR_BLOCK=8m PFS_IOR_REPS=4 PFS_KILL_AFTER=1
[[ $RC == 0 ]] && pass "data-rank kill job exit 0" || fail "data-rank kill job exit $RC"
grep -q "^ior: SIGKILL sent to rank 3 (data" "$OUT" && pass "data rank 3 SIGKILLed mid-run" || fail "no kill line"
grep -q "recovery: agreed failed ranks \[3\]" "$OUT" && pass "survivors agreed on rank 3" || fail "no agreement on rank 3"
grep -qE "pfs-server\[[12]\]: adopted data volume 2 " "$OUT" && pass "a live data rank adopted data-2" \
    || fail "no adoption of data volume 2"
grep -qE "^ior: recovery: data rank 3 \(pid [0-9]+\) SIGKILLed; recovery: agreed failed ranks \[3\]; rank [12] adopted data volume 2" "$OUT" \
    && pass "recovery reported" || fail "no recovery line"
grep -q "^ior: data verified: write check (-W) and read check (-R) found 0 wrong" "$OUT" \
    && pass "data verified after the kill" || fail "no data-verified line"
grep -qE "^ior: (write|read) bandwidth: mean [0-9.]+ MiB/s" "$OUT" && pass "bandwidth lines" || fail "no bandwidth lines"
json_check "$JSON" 'd["verdict"] == "recovered"' 'd["exit_code"] == 0' 'd["verified"] is True' \
    'd["killed_rank"] == 3' 'd["volumes_adopted"] >= 1' 'd["recovery_agreements"] >= 1' \
    'd["failed_ranks"] == "3"' \
    && pass "result JSON: recovered, verified, rank 3 failed" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
finish
