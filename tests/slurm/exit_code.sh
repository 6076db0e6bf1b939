#!/usr/bin/env bash
# The healthcheck job script with a stand-in job (tests/launcher/fake_job as app, server and
# dm program): mpirun --enable-recovery runs inside the allocation through pfs-run, and the
# job's own exit code (0, then 3, then 137 after a rank death) comes out of Slurm's ExitCode.
source "$(dirname "$0")/lib.sh"
F=${1:?usage: exit_code.sh FAKE_JOB}
for code in 0 3; do
    submit "fake$code" env PFS_APP="$F" PFS_SERVER="$F" PFS_DM_APP="$F" PFS_APP_ARGS="--exit-code $code"
    [[ $RC == "$code" ]] && pass "job exit $code through pfs-run and Slurm" || fail "want $code, got $RC"
    [[ $(grep -c '^fake_job: rank .* layout meta:1,data:2,dm:1,compute:2 ' "$OUT") == 6 ]] && pass "6 ranks in role layout" \
        || fail "expected 6 ranks in the job output"
    json_ok "$JSON" "$code" && pass "JSON exit_code $code" || fail "bad JSON: $(cat "$JSON" 2>&1)"
done
# A compute rank SIGKILLed inside the allocation: the survivors finish (mpirun
# --enable-recovery, one node), Slurm sees pfs-run's code from the status file.
submit "kill" env PFS_APP="$F" PFS_SERVER="$F" PFS_DM_APP="$F" \
    PFS_APP_ARGS="--kill-rank 4 --fail-rank 4 --exit-code 137 --reason compute-rank-4-failed"
[[ $RC == 137 ]] && pass "rank death: Slurm job exit 137" || fail "rank death: want 137, got $RC"
grep -q 'pfs-run: rank 4 (compute) failed' "$OUT" && pass "failed rank in job output" \
    || fail "no failed-rank line in job output"
finish
