#!/usr/bin/env bash
# A DM application on a dm rank that returns early (pfs-dm-responder with a bad PFS_DM_EVENTS
# returns 2 after dm_init_service): libdmapi keeps the rank in the job until its shutdown, as a
# service rank, and says so; the job ends with the compute rank's code (0).
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
WORK=$(mktemp -d /tmp/pfs-dmapi-capi-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
"$BIN/pfs-mkfs" --root "$WORK/root" --meta 1 --data 1 > "$OUT" 2>&1 || fail "pfs-mkfs"
timeout -k 10 100 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
    --meta 1 --data 1 --dm 1 --compute 1 --dm-app "$BIN/pfs-dm-responder" \
    -x PFS_DM_EVENTS=read,bogus -- "$BIN/dmapi-capi-test" --case exit_code > "$OUT" 2>&1
RC=$?
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "pfs-dm-responder: unknown event 'bogus'" "$OUT" || fail "no error from the responder"
grep -q "libdmapi\[2\]: the DM application of this dm rank exited with status 2; the rank stays" \
    "$OUT" || fail "no message from libdmapi"
grep -q "^DMAPI-CAPI exit_code rank 3 PASS" "$OUT" || fail "no PASS line"
echo "PASS: a returning DM application leaves its dm rank in the job"
