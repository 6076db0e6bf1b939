#!/usr/bin/env bash
# dm_rank_sigkill_file_events.sh: recovery driven by real file-system events. A PFS job (--meta 1
# --data 1 --dm 2 --compute 2) whose dm ranks run pfs-dm-responder holding the dispositions for
# create and remove (synchronous events); the compute ranks run pfs-ior --mdtest (200 creates,
# stats and removes through the native client, each create/remove blocked on its event). The
# session rank is SIGKILLed after its 50th event (fail_loc kill_primary_after_enqueue:50); the
# standby takes the session over, the blocked creates complete with its answers, and the
# benchmark finishes: every create and remove succeeded (pfs-ior fails on any errno).
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
WORK=$(mktemp -d /tmp/pfs-recovery-fsev-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; grep -v "^DM-EVENT" "$OUT"; exit 1; }
timeout -k 10 150 "$BIN/pfs-run" --oversubscribe --mkfs --root "$WORK/root" --run-dir "$WORK/run" \
    --meta 1 --data 1 --dm 2 --compute 2 --dm-app "$BIN/pfs-dm-responder" \
    -x PFS_DM_EVENTS=create,remove -x PFS_DMAPI_FAIL_LOC=kill_primary_after_enqueue:50 \
    -- "$BIN/pfs-ior" --mdtest -n 100 -a NATIVE -o /mdt > "$OUT" 2>&1
RC=$?
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0 (a create or remove failed, or the job hung)"
grep -q "fail_loc kill_primary_after_enqueue:50: SIGKILL" "$OUT" || fail "the session rank did not die"
grep -q "^DM-RESPONDER took over session=" "$OUT" || fail "no takeover"
# The 50th event was queued and never answered when its session rank died: at least that one
# blocked create/remove is rebuilt on the standby (same token) and completes from there.
grep -qE "rebuilt \(incarnation 1\): [1-9][0-9]* synchronous events" "$OUT" ||
    fail "no rebuild with the outstanding event(s)"
grep -qE "^ *File creation +[0-9.]+" "$OUT" || fail "no mdtest creation rate"
grep -qE "^ *File removal +[0-9.]+" "$OUT" || fail "no mdtest removal rate"
# The standby answered create/remove events after the takeover (the dead rank's own lines may
# be lost with its stdout buffer, so they are not counted).
after=$(sed -n '/^DM-RESPONDER took over/,$p' "$OUT" | grep -c "^DM-EVENT type=\(create\|remove\)")
[[ $after -gt 0 ]] || fail "the standby answered no file-system event"
grep -E "SIGKILL|failed over|rebuilt|took over|File (creation|removal)" "$OUT"
echo "PASS: session rank SIGKILL under create/remove events; standby answered $after events after the takeover"
