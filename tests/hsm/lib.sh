# shellcheck shell=bash
# Shared by the HSM tests: one PFS job per test (1 meta, 2 data, 2 dm ranks running pfs-hsm:
# one holds the session, one stands by; 1 compute rank running hsm-test-app --case CASE), on a
# fresh file system, with the PFS tests' watchdog (tests/integration/pfs/lib.sh).
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/../integration/pfs/lib.sh"
DATA=${DATA:-2}
# hsm_job CASE [pfs-run options...]: sets RC, ELAPSED; $OUT holds the output.
hsm_job() {
    local c=$1; shift
    run_job --mkfs --meta 1 --data "$DATA" --dm "${DM:-2}" --dm-app "$BIN/pfs-hsm" --compute 1 "$@" \
        -- "$BIN/hsm-test-app" --case "$c"
}
# expect_pass CASE: the job exited 0 and the app printed PASS.
expect_pass() {
    grep -q "^HSM-TEST $1 .*FAIL" "$OUT" && fail "a check failed"
    [[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
    grep -q "^HSM-TEST $1 PASS" "$OUT" || fail "no PASS line"
}
