#!/usr/bin/env bash
# responder.sh [abort]: a PFS job --meta 1 --data 1 --dm 1 --compute 2 with pfs-dm-responder
# (C, dmapi.h only) on the dm rank and dmapi-capi-test on the compute ranks, which find its
# session by name, read its dispositions and send it a synchronous and an asynchronous message
# each. The job must exit 0 although the responder never returns (it waits in
# dm_get_events(DM_EV_WAIT) when the job shuts down), and the responder must print one DM-EVENT
# line per message. "abort": PFS_DM_ABORT_EVENTS=user, PFS_DM_ABORT_ERRNO=17: the synchronous
# senders get EEXIST.
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
MODE=${1:-continue}
WORK=$(mktemp -d /tmp/pfs-dmapi-capi-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
"$BIN/pfs-mkfs" --root "$WORK/root" --meta 1 --data 1 > "$OUT" 2>&1 || fail "pfs-mkfs"
FSID=$(sed -n 's/.*"fsid": *"\(0x[0-9a-fA-F]*\)".*/\1/p' "$WORK/root/superblock.json")
[[ -n $FSID ]] || fail "no fsid in superblock.json"
CASE=responder
EXTRA=()
if [[ $MODE == abort ]]; then
    CASE=responder_abort
    EXTRA=(-x PFS_DM_ABORT_EVENTS=user -x PFS_DM_ABORT_ERRNO=17)
fi
# dm_path_to_fshandle is not implemented yet: the responder takes the fsid from PFS_DM_FSID.
timeout -k 10 150 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
    --meta 1 --data 1 --dm 1 --compute 2 --dm-app "$BIN/pfs-dm-responder" \
    -x PFS_DM_FSID="$FSID" "${EXTRA[@]}" \
    -- "$BIN/dmapi-capi-test" --case "$CASE" --fsid "$FSID" > "$OUT" 2>&1
RC=$?
grep -q "^DMAPI-CAPI $CASE rank .* FAIL" "$OUT" && fail "a check failed"
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
[[ $(grep -c "^DMAPI-CAPI $CASE rank [34] PASS\$" "$OUT") -eq 2 ]] || fail "want 2 PASS lines"
grep -q "^DM-RESPONDER created session=[0-9]* name=pfs-dm-responder" "$OUT" || fail "no session"
grep -q "^DM-RESPONDER disp fs=0x[0-9a-f]*$" "$OUT" || fail "no file-system dispositions"
WANT_SYNC="response=continue"
[[ $MODE == abort ]] && WANT_SYNC="response=abort(17)"
for r in 3 4; do
    grep -q "^DM-EVENT type=user token=[1-9][0-9]* seq=[0-9]* len=[0-9]* source=$r data=\"hello from r$r.\" $WANT_SYNC\$" "$OUT" ||
        fail "no synchronous DM-EVENT line from rank $r with $WANT_SYNC"
    grep -q "^DM-EVENT type=user token=0 seq=[0-9]* len=[0-9]* data=\"async from r$r.\" response=none\$" "$OUT" ||
        fail "no asynchronous DM-EVENT line from rank $r"
done
[[ $(grep -c "^DM-EVENT " "$OUT") -eq 4 ]] || fail "want exactly 4 DM-EVENT lines"
grep "^DM-" "$OUT"
echo "PASS: pfs-dm-responder ($MODE)"
