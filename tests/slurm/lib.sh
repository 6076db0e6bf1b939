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
finish() {
    if ((FAILS)); then echo "$FAILS check(s) failed"; exit 1; fi
    echo "all checks passed"; exit 0
}
# submit NAME [env VAR=VAL...]: runs the healthcheck job through the harness; sets RC, OUT, JSON
submit() {
    local name=$1; shift
    OUT=$WORK/$name.log
    JSON=$WORK/$name.json
    env PFS_RESULT_JSON="$JSON" "$@" "$HARNESS" run-job -o "$WORK/$name.%j.out" "$JOB" >"$OUT" 2>&1
    RC=$?
    cat "$OUT"
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
