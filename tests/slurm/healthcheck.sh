#!/usr/bin/env bash
# The healthcheck job (jobs/slurm/healthcheck.sbatch) on the local Slurm with the REAL PFS
# programs: it must complete with exit 0, print its layout line and write valid JSON.
source "$(dirname "$0")/lib.sh"
missing=()
for p in pfs-run pfs-healthcheck pfs-server pfs-dm-idle; do
    [[ -x "$PFS_BIN_DIR/$p" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "FAIL: missing programs in $PFS_BIN_DIR: ${missing[*]}"
    echo "      (pfs-healthcheck, pfs-server and pfs-dm-idle are built by the PFS targets;"
    echo "       this test does not fall back to a stand-in: build them first)"
    exit 1
fi
submit healthcheck
[[ $RC == 0 ]] && pass "healthcheck job exit 0" || fail "healthcheck job exit $RC"
grep -q 'healthcheck: layout meta:1,data:2,dm:1,compute:2' "$OUT" && pass "layout line" \
    || fail "no layout line in the job output"
json_ok "$JSON" 0 && pass "result JSON parses" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
finish
