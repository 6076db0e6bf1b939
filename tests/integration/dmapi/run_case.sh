#!/usr/bin/env bash
# run_case.sh CASE RANKS [pfs-run options...]: one dmapi-core-test case in a plain job of RANKS
# ranks; passes when the job exits 0 and the ranks agreed on PASS.
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
CASE=$1 RANKS=$2; shift 2
WORK=$(mktemp -d /tmp/pfs-dmapi-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
run() {
    rm -rf "$WORK/root" "$WORK/run"
    timeout -s KILL 100 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
        --plain "$RANKS" "$@" -- "$BIN/dmapi-core-test" --case "$CASE" > "$OUT" 2>&1
    RC=$?
}
run "$@"
# Known launcher race (not DMAPI's): pfs-run reading /proc/<pid>/stat of a rank that is exiting
# throws from std::ifstream ("basic_filebuf::underflow ... No such process") and pfs-run aborts.
# Retry once on exactly that signature so the DMAPI verdict is not hidden by it.
if [[ $RC -eq 134 ]] && grep -q "basic_filebuf::underflow" "$OUT"; then
    echo "note: pfs-run aborted on its /proc race; retrying once"
    run "$@"
fi
grep -q "DMAPI-TEST $CASE rank .* FAIL" "$OUT" && fail "a check failed"
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "^DMAPI-TEST $CASE PASS\$" "$OUT" || fail "no PASS line"
grep "^DMAPI-TEST" "$OUT"
echo "PASS: $CASE on $RANKS ranks"
