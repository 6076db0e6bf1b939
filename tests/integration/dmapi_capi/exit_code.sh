#!/usr/bin/env bash
# A C DMAPI program's return value from main() is its rank's exit status, and the job's: libdmapi
# ends the rank through Job::finish from an on_exit handler. 3 ranks, the last returns 7.
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
WORK=$(mktemp -d /tmp/pfs-dmapi-capi-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
timeout -k 10 100 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
    --plain 3 -- "$BIN/dmapi-capi-test" --case exit_code --exit-code 7 > "$OUT" 2>&1
RC=$?
[[ $RC -eq 7 ]] || fail "job exited $RC, want 7"
[[ $(grep -c "^DMAPI-CAPI exit_code rank [0-9] PASS" "$OUT") -eq 3 ]] || fail "want 3 PASS lines"
echo "PASS: exit code 7 passed through"
