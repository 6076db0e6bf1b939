#!/usr/bin/env bash
# run_case.sh CASE RANKS [pfs-run options...]: one dmapi-recovery-test failure scenario in a
# plain job of RANKS ranks under a watchdog; passes when the job exits 0 and the survivors
# agreed on PASS.
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
CASE=$1 RANKS=$2; shift 2
WORK=$(mktemp -d /tmp/pfs-recovery-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
# Watchdog: SIGTERM first so pfs-run tears the whole job tree down; SIGKILL 10 s later.
timeout -k 10 150 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
    --plain "$RANKS" "$@" -- "$BIN/dmapi-recovery-test" --case "$CASE" > "$OUT" 2>&1
RC=$?
grep -q "DMAPI-TEST $CASE rank .* FAIL" "$OUT" && fail "a check failed"
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "^DMAPI-TEST $CASE PASS\$" "$OUT" || fail "no PASS line"
grep -E "^DMAPI-TEST|^dmapi\[" "$OUT"
echo "PASS: $CASE on $RANKS ranks"
