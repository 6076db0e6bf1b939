#!/usr/bin/env bash
# The pfs command in a DMAPI job: its operations raise XDSM events like any user's (the serving
# meta rank's client has events on). pfs-dm-responder on the dm rank takes the create and
# remove dispositions and aborts remove with EPERM: `pfs cp` into the PFS raises a create event
# (from world rank 0, the first meta rank) and succeeds; `pfs rm` is refused with EPERM (exit
# 1) and the file stays. Then the job ends with 0.
source "$(dirname "$0")/cli_lib.sh"

mkfs --meta 1 --data 2
FSID=$(sed -n 's/.*"fsid": *"\(0x[0-9a-fA-F]*\)".*/\1/p' "$ROOT/superblock.json")
[[ -n $FSID ]] || fail "no fsid in superblock.json"
# World ranks: 0 meta, 1-2 data, 3 dm, 4 compute.
start_job --meta 1 --data 2 --dm 1 --compute 1 --dm-app "$BIN/pfs-dm-responder" \
    -x PFS_DM_FSID="$FSID" -x PFS_DM_EVENTS=create,remove -x PFS_DM_ABORT_EVENTS=remove \
    -x PFS_DM_ABORT_ERRNO=1 \
    -- "$BIN/pfs-client-test" --case wait --marker "$MARK"

# Up when the responder holds its dispositions and the command answers.
for _ in $(seq 300); do
    grep -q "^DM-RESPONDER disp fs=" "$JOBOUT" && break
    kill -0 "$JOBPID" 2> /dev/null || fail "the job ended early"
    sleep 0.2
done
grep -q "^DM-RESPONDER disp fs=" "$JOBOUT" || fail "the responder never set its dispositions"
until_ok df

echo data > "$WORK/f"
cli cp "$WORK/f" pfs:/f
[[ $RC -eq 0 ]] || fail "cp in: exit $RC"
grep -q '^DM-EVENT type=create .*source=0 .*response=continue$' "$JOBOUT" ||
    fail "no create event from rank 0 for pfs cp"
cli rm pfs:/f
[[ $RC -eq 1 ]] || fail "rm: exit $RC, want 1 (the DM application aborts remove)"
grep -q EPERM "$OUT" || fail "rm: no EPERM"
grep -q '^DM-EVENT type=remove .*source=0 .*response=abort(1)$' "$JOBOUT" ||
    fail "no aborted remove event from rank 0"
cli stat pfs:/f
[[ $RC -eq 0 ]] || fail "the file is gone although its remove was aborted"
grep "^DM-" "$JOBOUT"
echo "PASS: pfs cp raised create, pfs rm raised remove and was refused with EPERM"

end_job
[[ $JOBRC -eq 0 ]] || { cat "$JOBOUT"; echo "FAIL: the job exited $JOBRC"; exit 1; }
echo "PASS: the job exited 0"
