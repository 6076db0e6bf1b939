# shellcheck shell=bash disable=SC2034  # IOR, VALIDATE are used by the scripts sourcing this
# Shared by the pfs-ior smoke tests: the PFS test library (temp root on tmpfs, mkfs, run_job
# with a watchdog, fail) plus checks of pfs-ior's outputs.
# shellcheck source=tests/integration/pfs/lib.sh
. "${PFS_SOURCE_DIR:?PFS_SOURCE_DIR not set (run through ctest)}/tests/integration/pfs/lib.sh"
IOR=$BIN/pfs-ior
VALIDATE="python3 $PFS_SOURCE_DIR/benchmarks/validate_bench_json.py"
# expect_rc <code> <what>: the last run_job exited with <code>.
expect_rc() {
    [[ $RC -eq $1 ]] || fail "$2: pfs-run exited $RC, expected $1"
}
# expect_out <regex> <what>: the last job's output has a line matching <regex>.
expect_out() {
    grep -Eq -- "$1" "$OUT" || fail "$2: no line matching '$1'"
}
# check_output <what> <check_ior_output.py args...>: fails with the checker's reason.
check_output() {
    local what=$1; shift
    python3 "$PFS_SOURCE_DIR/tests/bench/check_ior_output.py" "$@" > "$WORK/check.txt" 2>&1 ||
        { cat "$WORK/check.txt" >> "$OUT"; fail "$what"; }
}
