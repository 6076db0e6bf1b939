#!/usr/bin/env bash
# A waiting thread receives its own replies (PFS_WAIT_ASSIST=1, the default) without reordering
# messages or running a handler that is not marked safe; with PFS_WAIT_ASSIST=0 it receives
# nothing. 2 ranks, 2000 calls each way (mpi-tools-waiter-test).
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
WORK=$(mktemp -d /tmp/pfs-waiter-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
for assist in 1 0; do
    flag=()
    [[ $assist == 1 ]] && flag=(--expect-assist)
    # Watchdog: SIGTERM first so pfs-run tears down the whole job tree; SIGKILL 10 s later.
    timeout -k 10 80 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
        --plain 2 -x PFS_WAIT_ASSIST=$assist -- "$BIN/mpi-tools-waiter-test" "${flag[@]}" \
        > "$OUT" 2>&1
    RC=$?
    [[ $RC -eq 0 ]] || fail "PFS_WAIT_ASSIST=$assist: job exited $RC"
    grep -q "^WAITER-TEST PASS" "$OUT" || fail "PFS_WAIT_ASSIST=$assist: no PASS line"
    echo "PFS_WAIT_ASSIST=$assist: $(grep '^WAITER-TEST' "$OUT")"
    rm -rf "$WORK/root" "$WORK/run"
done
echo "PASS: waiter_receives"
