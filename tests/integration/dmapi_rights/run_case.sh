#!/usr/bin/env bash
# run_case.sh block|lost: dmapi-rights-test in a PFS job (1 meta, 2 data, the dm rank(s) running
# the test's DM program, 1 compute rank); passes when the job exits 0 and every side prints PASS.
# "lost" has two dm ranks: the one holding the right is SIGKILLed, the other takes over.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/../pfs/lib.sh"
CASE=$1
mkfs --meta 1 --data 2
mkdir -p "$WORK/sync"
ln -s "$BIN/dmapi-rights-test" "$WORK/dmapi-rights-dm"
DM=1
[[ $CASE == lost ]] && DM=2
run_job --meta 1 --data 2 --dm "$DM" --dm-app "$WORK/dmapi-rights-dm" --compute 1 \
    -x "RIGHTS_CASE=$CASE" -x "RIGHTS_SYNC=$WORK/sync" -- "$BIN/dmapi-rights-test"
grep -q "^RIGHTS-TEST $CASE .*FAIL" "$OUT" && fail "a check failed"
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "^RIGHTS-TEST $CASE dm PASS" "$OUT" || fail "no PASS line from the DM side"
grep -q "^RIGHTS-TEST $CASE compute PASS" "$OUT" || fail "no PASS line from the compute side"
if [[ $CASE == lost ]]; then
    grep -q "^RIGHTS-TEST lost dm rank .* took the session over" "$OUT" || fail "no takeover"
fi
grep "^RIGHTS-TEST" "$OUT"
echo "PASS: $CASE (${ELAPSED}s)"
