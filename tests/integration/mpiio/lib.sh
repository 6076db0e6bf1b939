# shellcheck shell=bash
# MPI-IO driver tests: the PFS test library (temp root on tmpfs, mkfs, pfs-run under a
# watchdog) plus run_mpiio <compute ranks> <case> [pfs-run options].
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../pfs/lib.sh"
run_mpiio() {
    local n=$1 c=$2; shift 2
    run_job --meta 1 --data 2 --compute "$n" "$@" -- "$BIN/pfs-mpiio-test" --case "$c" "${CASE_ARGS[@]}"
    [[ $RC -eq 0 ]] || fail "case $c: pfs-run exited $RC"
    grep -q "^MPIIO-TEST $c PASS" "$OUT" || fail "case $c: no PASS line"
    echo "PASS: case $c (${ELAPSED}s): $(grep "^MPIIO-TEST $c PASS" "$OUT")"
}
CASE_ARGS=()
