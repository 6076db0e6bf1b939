#!/usr/bin/env bash
# The session-failover job (jobs/slurm/session_failover.sbatch) on the local Slurm with the real
# programs: the session rank is killed mid-run, the job must still end with exit 0, report the
# recovery and write a JSON result saying so.
source "$(dirname "$0")/lib.sh"
JOB=$PFS_SOURCE_DIR/jobs/slurm/session_failover.sbatch
need_bins pfs-run pfs-server pfs-dm-responder dm-sender
submit session_failover
[[ $RC == 0 ]] && pass "session-failover job exit 0" || fail "session-failover job exit $RC"
grep -q "session-failover: recovered: 2/2 senders" "$OUT" && pass "recovery reported" \
    || fail "no recovery line in the job output"
python3 - "$JSON" <<'PY' && pass "result JSON says recovered" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "recovered" and d["exit_code"] == 0, d
assert d["failovers"] >= 1 and d["takeovers"] >= 1 and d["senders_all_answered"] == 2, d
PY
finish
