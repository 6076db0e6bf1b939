# shellcheck shell=bash disable=SC2034
# Helpers for the pfs-run end-to-end tests (sourced). $1 of each test = the fake_job binary.
set -uo pipefail
: "${PFS_BIN_DIR:?PFS_BIN_DIR must be set (ctest sets it)}"
PFS_RUN="$PFS_BIN_DIR/pfs-run"
FAKE_JOB=${1:?usage: $0 FAKE_JOB}
[[ -x "$PFS_RUN" ]] || { echo "FAIL: $PFS_RUN not built"; exit 1; }
[[ -x "$FAKE_JOB" ]] || { echo "FAIL: $FAKE_JOB not built"; exit 1; }
WORK=$(mktemp -d /tmp/pfs-launcher-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export PFS_ROOT="$WORK/root"
export CI=${CI:-true}
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
# Role programs for PFS layouts: the same stand-in binary.
ROLES=(--server "$FAKE_JOB" --dm-app "$FAKE_JOB")
# run_pfs OUT ERR args... : runs pfs-run, sets RC and ELAPSED (seconds, float)
run_pfs() {
    local out=$1 err=$2; shift 2
    local t0 t1
    t0=$(date +%s.%N)
    # SIGTERM first: pfs-run then kills the whole job tree; SIGKILL only as a last resort.
    timeout -k 10 50 "$PFS_RUN" "$@" >"$out" 2>"$err"
    RC=$?
    t1=$(date +%s.%N)
    ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
}
finish() {
    if ((FAILS)); then echo "$FAILS check(s) failed"; exit 1; fi
    echo "all checks passed"; exit 0
}
