#!/usr/bin/env bash
# dm_rank_sigkill.sh: the session rank of a PFS job dies (a real SIGKILL, through the fail_loc
# kill_primary_after_enqueue:30) while compute ranks send it synchronous messages. Layout
# --meta 1 --data 1 --dm 2 --compute 2, pfs-dm-responder on both dm ranks: one creates the
# session, the other stands by and takes it over (same id, queue rebuilt). Every message of
# both senders must be answered (none fails), the job must exit 0, and the output must show the
# failover, the takeover and the rebuild.
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
WORK=$(mktemp -d /tmp/pfs-recovery-job-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
COUNT=40
timeout -k 10 150 "$BIN/pfs-run" --oversubscribe --mkfs --root "$WORK/root" --run-dir "$WORK/run" \
    --meta 1 --data 1 --dm 2 --compute 2 --dm-app "$BIN/pfs-dm-responder" \
    -x PFS_DM_EVENTS=none -x PFS_DMAPI_FAIL_LOC=kill_primary_after_enqueue:30 \
    -- "$BIN/dm-sender" "$COUNT" > "$OUT" 2>&1
RC=$?
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "fail_loc kill_primary_after_enqueue:30: SIGKILL" "$OUT" || fail "the session rank did not die"
grep -q "^DM-RESPONDER created session=" "$OUT" || fail "no primary"
grep -q "^DM-RESPONDER took over session=" "$OUT" || fail "no takeover"
created=$(sed -n 's/^DM-RESPONDER created session=\([0-9]*\).*/\1/p' "$OUT")
took=$(sed -n 's/^DM-RESPONDER took over session=\([0-9]*\).*/\1/p' "$OUT")
[[ $created == "$took" ]] || fail "took over session $took, created $created: not the same id"
grep -q "failed over from rank" "$OUT" || fail "no failover line"
grep -q "rebuilt (incarnation 1)" "$OUT" || fail "no rebuild line"
# -o, not ^...$: mpirun may interleave two ranks' output on one line.
[[ $(grep -oE "DM-SENDER rank [45] sent $COUNT ok $COUNT failed 0( |\$)" "$OUT" | wc -l) -eq 2 ]] ||
    fail "a sender lost messages"
grep -E "^DM-SENDER|^DM-RESPONDER|failed over|rebuilt|SIGKILL" "$OUT"
echo "PASS: dm rank SIGKILL in a PFS job, standby takeover, $((2 * COUNT)) messages answered"
