#!/usr/bin/env bash
# run_case.sh CASE: one dmapi-fs-test case in a PFS job (1 meta, 2 data, 1 dm rank running the
# test's DM side, 1 compute rank); passes when the job exits 0 and both sides print PASS.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/../pfs/lib.sh"
CASE=$1
case $CASE in
    nospace) mkfs --meta 1 --data 2 --quota-per-volume 1M ;;
    disabled) mkfs --meta 1 --data 2 --dmapi no ;;  # DMAPI off on the file system: EPERM
    *) mkfs --meta 1 --data 2 ;;
esac
DM=1
[[ $CASE == deadcache ]] && DM=2  # the second dm rank caches DM state, then dies
DMAPP=$BIN/dmapi-fs-test
[[ $CASE == libdmapi || $CASE == disabled ]] && DMAPP=$BIN/pfs-dm-idle  # the compute rank is the DM program
run_job --meta 1 --data 2 --dm "$DM" --dm-app "$DMAPP" --compute 1 -x "DMFS_CASE=$CASE" \
    -- "$BIN/dmapi-fs-test"
grep -q "^DMFS-TEST $CASE .* FAIL" "$OUT" && fail "a check failed"
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "^DMFS-TEST $CASE dm PASS" "$OUT" || fail "no PASS line from the DM side"
grep -q "^DMFS-TEST $CASE compute PASS" "$OUT" || fail "no PASS line from the compute side"
grep "^DMFS-TEST" "$OUT"
echo "PASS: $CASE (${ELAPSED}s)"
