#!/usr/bin/env bash
# Broken layouts of the benchmark job fail with a clear message and a non-zero exit code:
# no data rank (pfs-run's usage error, exit 2) and a data-rank kill with a single data rank
# (refused by the job script before anything starts, exit 2).
source "$(dirname "$0")/lib.sh"
JOB=$PFS_SOURCE_DIR/jobs/slurm/ior.sbatch
submit nodata env PFS_DATA=0
[[ $RC == 2 ]] && pass "PFS_DATA=0: job exit 2" || fail "PFS_DATA=0: want exit 2, got $RC"
grep -q "pfs-run: error: a layout needs at least one data rank" "$OUT" && pass "pfs-run's error in the output" \
    || fail "no 'pfs-run: error' line in the output"
json_check "$JSON" 'd["exit_code"] == 2' 'd["verdict"] == "failed"' \
    && pass "result JSON: failed, exit 2" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
submit onedata env PFS_KILL_ROLE=data PFS_DATA=1
[[ $RC == 2 ]] && pass "kill run with one data rank: job exit 2" || fail "want exit 2, got $RC"
grep -q "ior: error: PFS_KILL_ROLE=data needs PFS_DATA >= 2" "$OUT" && pass "clear message in the output" \
    || fail "no 'ior: error: PFS_KILL_ROLE=data needs PFS_DATA >= 2' line"
json_check "$JSON" 'd["exit_code"] == 2' 'd["verdict"] == "failed"' '"PFS_DATA" in d["error"]' \
    && pass "result JSON: failed, exit 2, reason" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
finish
