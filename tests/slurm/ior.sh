#!/usr/bin/env bash
# (a) The IOR-style benchmark job (jobs/slurm/ior.sbatch), submitted with Slurm's own
# `sbatch --wait`: 1 meta, 2 data, 2 compute ranks, pfs-ior NATIVE file per process, 8 MiB per
# task, 2 repetitions, -W/-R verification. Exit 0, bandwidth lines, verified data, JSON verdict.
# Then the same through the MPI-IO driver (PFS_IOR_API=MPIIO, one shared pfs: file), via run-job.
source "$(dirname "$0")/lib.sh"
JOB=$PFS_SOURCE_DIR/jobs/slurm/ior.sbatch
need_bins pfs-run pfs-server pfs-mkfs pfs-ior
submit_wait ior env PFS_IOR_BLOCK=8m PFS_IOR_REPS=2
[[ $RC == 0 ]] && pass "sbatch --wait: ior job exit 0" || fail "ior job exit $RC"
grep -q "ior: layout meta:1,data:2,dm:0,compute:2" "$OUT" && pass "layout line" || fail "no layout line"
grep -qE "^ior: write bandwidth: mean [0-9.]+ MiB/s" "$OUT" && pass "write bandwidth line" \
    || fail "no write bandwidth line"
grep -qE "^ior: read bandwidth: mean [0-9.]+ MiB/s" "$OUT" && pass "read bandwidth line" \
    || fail "no read bandwidth line"
grep -qE "^(write|read) +[0-9.]+ " "$OUT" && pass "pfs-ior summary rows" || fail "no pfs-ior summary rows"
grep -q "^ior: data verified: write check (-W) and read check (-R) found 0 wrong" "$OUT" \
    && pass "data verified" || fail "no data-verified line"
json_check "$JSON" 'd["verdict"] == "ok"' 'd["exit_code"] == 0' 'd["verified"] is True' \
    'd["wrong_words"] == 0' 'd["write_mib_s_mean"] > 0' 'd["read_mib_s_mean"] > 0' \
    'd["compute"] == 2 and d["data"] == 2' \
    && pass "result JSON: verdict ok, verified, bandwidths" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
python3 "$PFS_SOURCE_DIR/benchmarks/validate_bench_json.py" "${JSON%.json}.ior.json" &&
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["ok"]' "${JSON%.json}.ior.json" \
    && pass "pfs-ior summary JSON validates (pfs-bench/1), ok" || fail "bad pfs-ior summary JSON"
submit ior_mpiio env PFS_IOR_API=MPIIO PFS_IOR_FPP=0 PFS_IOR_BLOCK=8m PFS_IOR_REPS=2
[[ $RC == 0 ]] && pass "MPIIO ior job exit 0" || fail "MPIIO ior job exit $RC"
grep -q "API MPIIO (MPI-IO driver on pfs:/ior-testfile" "$OUT" && pass "MPIIO on pfs:" || fail "no MPIIO layout line"
grep -qE "^ior: write bandwidth: mean [0-9.]+ MiB/s" "$OUT" && pass "MPIIO write bandwidth line" \
    || fail "no MPIIO write bandwidth line"
grep -q "^ior: data verified: write check (-W) and read check (-R) found 0 wrong" "$OUT" \
    && pass "MPIIO data verified" || fail "no MPIIO data-verified line"
json_check "$JSON" 'd["verdict"] == "ok"' 'd["api"] == "MPIIO"' 'd["file_per_process"] is False' \
    'd["verified"] is True' && pass "MPIIO result JSON" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
finish
