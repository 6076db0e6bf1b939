#!/usr/bin/env bash
# (c) Rank failure with the HSM: pfs-ior runs with pfs-hsm on 2 dm ranks and the rank holding the
# HSM's DMAPI session is SIGKILLed mid-run (PFS_HSM=1 PFS_KILL_ROLE=session). The standby must
# take the session over, the job must end with exit 0, report the recovery and verify the data.
source "$(dirname "$0")/lib.sh"
JOB=$PFS_SOURCE_DIR/jobs/slurm/ior.sbatch
need_bins pfs-run pfs-server pfs-mkfs pfs-ior pfs-hsm
submit ior_session_kill env PFS_HSM=1 PFS_KILL_ROLE=session PFS_IOR_BLOCK=8m PFS_IOR_REPS=4 PFS_KILL_AFTER=1
[[ $RC == 0 ]] && pass "session-rank kill job exit 0" || fail "session-rank kill job exit $RC"
grep -qE "^ior: SIGKILL sent to rank [34] \(session" "$OUT" && pass "session rank SIGKILLed mid-run" || fail "no kill line"
grep -qE "HSM [34]: took over session=" "$OUT" && pass "the standby took the session over" || fail "no takeover"
grep -qE "^ior: recovery: HSM session rank [34] \(pid [0-9]+\) SIGKILLed; HSM [34]: took over session=" "$OUT" \
    && pass "recovery reported" || fail "no recovery line"
grep -q "^ior: data verified: write check (-W) and read check (-R) found 0 wrong" "$OUT" \
    && pass "data verified after the kill" || fail "no data-verified line"
json_check "$JSON" 'd["verdict"] == "recovered"' 'd["exit_code"] == 0' 'd["verified"] is True' \
    'd["killed_rank"] in (3, 4)' 'd["session_takeovers"] >= 1' 'd["failed_ranks"] == str(d["killed_rank"])' \
    && pass "result JSON: recovered, verified" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
finish
