# shellcheck shell=bash disable=SC2034
# Helpers for the Slurm tests (sourced). The harness must be up (ctest fixture pfs_slurm).
set -uo pipefail
: "${PFS_BIN_DIR:?PFS_BIN_DIR must be set (ctest sets it)}"
: "${PFS_SOURCE_DIR:?PFS_SOURCE_DIR must be set (ctest sets it)}"
HARNESS=$PFS_SOURCE_DIR/jobs/slurm/harness/slurm-local.sh
JOB=$PFS_SOURCE_DIR/jobs/slurm/healthcheck.sbatch
export PFS_BIN_DIR CI=${CI:-true}
WORK=$(mktemp -d /tmp/pfs-slurm-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
# need_bins PROGRAM...: every program is built in $PFS_BIN_DIR, else FAIL and exit (HINT: why).
need_bins() {
    local p
    for p in "$@"; do
        [[ -x "$PFS_BIN_DIR/$p" ]] || { echo "FAIL: $p not built in $PFS_BIN_DIR${HINT:+ ($HINT)}"; exit 1; }
    done
}
finish() {
    if ((FAILS)); then echo "$FAILS check(s) failed"; exit 1; fi
    echo "all checks passed"; exit 0
}
# submit NAME [env VAR=VAL...]: submits $JOB (default: the healthcheck job) with Slurm's own
# `sbatch --wait`, as a user would; sets RC (the job's exit code), OUT (sbatch's and the job's
# output), JSON. submit_polled does the same through the harness's run-job (submit, then poll
# scontrol every 0.2 s: faster, for loops by hand).
submit() { submit_wait "$@"; }
submit_polled() {
    local name=$1; shift
    OUT=$WORK/$name.log
    JSON=$WORK/$name.json
    env PFS_RESULT_JSON="$JSON" "$@" "$HARNESS" run-job -o "$WORK/$name.%j.out" "$JOB" >"$OUT" 2>&1
    RC=$?
    cat "$OUT"
}
# submit_wait NAME [env VAR=VAL...]: `sbatch --wait` (exits with the job's exit code; Slurm
# polls after 2, 8, 32 s, so it is slower than run-job).
submit_wait() {
    local name=$1; shift
    OUT=$WORK/$name.log
    JSON=$WORK/$name.json
    local conf
    conf=$("$HARNESS" env) && eval "$conf"
    env PFS_RESULT_JSON="$JSON" "$@" timeout "${PFS_SLURM_JOB_TIMEOUT:-170}" \
        sbatch --wait -o "$WORK/$name.%j.out" "$JOB" >"$OUT.sbatch" 2>&1
    RC=$?
    cat "$OUT.sbatch"
    cat "$WORK/$name".*.out >"$OUT" 2>/dev/null
    cat "$OUT"
}
# json_check FILE PYTHON-EXPR...: every expression over the dict d must hold.
json_check() {
    python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    assert eval(expr, {}, {"d": d}), f"{expr}: {d}"
PY
}
json_ok() {  # json_ok FILE EXPECTED_EXIT_CODE
    python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("job_id", "layout", "exit_code", "elapsed_s"):
    assert k in d, f"missing {k}"
assert d["exit_code"] == int(sys.argv[2]), d
assert isinstance(d["elapsed_s"], (int, float)), d
PY
}
