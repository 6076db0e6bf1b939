#!/usr/bin/env bash
# The meta rank is SIGKILLed in a DMAPI job (--meta 1 --data 2 --dm 1): world rank 0 is the
# metadata server, the DMAPI session manager, the job's leader and the FT coordinator at once.
# The dm rank runs pfs-dm-responder with create/postcreate dispositions, so the compute ranks'
# creates raise synchronous events before and after the kill. The survivors agree, data rank 1
# adopts the metadata volume (with the DM state service), the session manager's duty moves to
# the lowest live rank, clients drop the DM state they cached from the dead server, the DM
# application keeps answering, the namespace work goes on and the job exits 0.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 2 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 0 2 --meta 1 --data 2 --dm 1 --dm-app "$BIN/pfs-dm-responder" \
    -x PFS_DM_EVENTS=create,postcreate -- --case namespace
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "recovery: agreed failed ranks \[0\]" "$OUT" || fail "no agreement on rank 0"
grep -q "pfs-server\[1\]: adopted the metadata volume " "$OUT" || fail "rank 1 did not adopt meta-0"
[[ $(grep -c "^PFS-ADOPT namespace rank [01] PASS" "$OUT") -eq 2 ]] || fail "a compute rank did not pass"
grep -q "^failed_ranks=0\$" "$WORK/run/status" || fail "status: $(cat "$WORK/run/status")"
grep -q "^DM-RESPONDER created session=" "$OUT" || fail "no DM session"
# Creates were answered after the kill: more create events than before it, none refused.
[[ $(grep -c "DM-EVENT type=create " "$OUT") -ge 2 ]] || fail "no create events answered"
grep -q "DM-EVENT type=create .*response=abort" "$OUT" && fail "a create was refused"
grep -E "^PFS-ADOPT|recovery:|adopted|killed" "$OUT"
report_resume
echo "PASS: meta rank SIGKILL in a DMAPI job: metadata volume adopted, session manager moved"
