#!/usr/bin/env bash
# (b) The benchmark job with the HSM active (PFS_HSM=1): pfs-hsm on 2 dm ranks (one holds the
# session, one stands by), periodic policy run every second. Exit 0, the HSM ready, data verified.
source "$(dirname "$0")/lib.sh"
JOB=$PFS_SOURCE_DIR/jobs/slurm/ior.sbatch
need_bins pfs-run pfs-server pfs-mkfs pfs-ior pfs-hsm
submit ior_hsm env PFS_HSM=1 PFS_IOR_BLOCK=8m PFS_IOR_REPS=3 PFS_IOR_DELAY=1
[[ $RC == 0 ]] && pass "ior+HSM job exit 0" || fail "ior+HSM job exit $RC"
grep -q "ior: layout meta:1,data:2,dm:2,compute:2, HSM on" "$OUT" && pass "layout line, HSM on" \
    || fail "no layout line with the HSM"
grep -qE "HSM [0-9]+: created session=" "$OUT" && pass "pfs-hsm created its session" || fail "no session created"
grep -qE "HSM [0-9]+: ready session=" "$OUT" && pass "pfs-hsm ready" || fail "pfs-hsm never ready"
grep -qE "^ior: (write|read) bandwidth: mean [0-9.]+ MiB/s" "$OUT" && pass "bandwidth lines" || fail "no bandwidth lines"
grep -q "^ior: data verified" "$OUT" && pass "data verified" || fail "no data-verified line"
grep -qE "^ior: HSM: [0-9]+ ready, [0-9]+ periodic policy runs" "$OUT" && pass "HSM summary line" || fail "no HSM summary line"
json_check "$JSON" 'd["verdict"] == "ok"' 'd["exit_code"] == 0' 'd["verified"] is True' \
    'd["hsm"] is True' 'd["hsm_ready"] >= 1' 'd["dm"] == 2' \
    && pass "result JSON: verdict ok, HSM ready" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
finish
