# shellcheck shell=bash
# Shared by the PFS job tests: a temp cluster root, pfs-mkfs, and one pfs-run job per call
# with a watchdog (SIGTERM, so pfs-run kills the whole job tree; SIGKILL 10 s later) so that a
# hang fails the test instead of CI.
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
# The cluster root goes to tmpfs when it has room (LMDB fsyncs every metadata commit: on a busy
# shared disk that alone can take tens of seconds per test); PFS_TEST_TMP overrides.
if [[ -z ${PFS_TEST_TMP:-} ]]; then
    PFS_TEST_TMP=/tmp
    shm_kib=$(df -Pk /dev/shm 2> /dev/null | awk 'NR == 2 { print $4 }')
    [[ -w /dev/shm && ${shm_kib:-0} -gt 1048576 ]] && PFS_TEST_TMP=/dev/shm
fi
WORK=$(mktemp -d "$PFS_TEST_TMP/pfs-it-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
OUT=$WORK/out.txt
JOBS=0
fail() { echo "FAIL: $*"; echo "----- output -----"; cat "$OUT"; exit 1; }
# mkfs <pfs-mkfs options...>: a new file system under $ROOT (default 1 meta, 2 data volumes).
mkfs() {
    "$BIN/pfs-mkfs" --root "$ROOT" "$@" > "$OUT" 2>&1 || fail "pfs-mkfs $*"
}
# run_job <pfs-run options...> -- <app and args...>: sets RC and ELAPSED (s). Default FT
# settings: the detector itself treats a silent but runnable rank on this host as slow, not dead.
run_job() {
    JOBS=$((JOBS + 1))
    local t0; t0=$(date +%s.%N)
    timeout -k 10 "${WATCHDOG:-90}" "$BIN/pfs-run" --oversubscribe --root "$ROOT" \
        --run-dir "$WORK/run-$JOBS" "$@" > "$OUT" 2>&1
    RC=$?
    ELAPSED=$(echo "$(date +%s.%N) - $t0" | bc)
}
# run_case <compute ranks> <case> [more pfs-run options]: a job with $SERVERS (default 1 meta
# + 2 data ranks) running pfs-client-test --case <case>; fails unless it exits 0 and prints
# the PASS line.
run_case() {
    local n=$1 c=$2; shift 2
    local servers
    read -r -a servers <<< "${SERVERS:---meta 1 --data 2}"
    run_job "${servers[@]}" --compute "$n" "$@" -- "$BIN/pfs-client-test" --case "$c"
    [[ $RC -eq 0 ]] || fail "case $c: pfs-run exited $RC"
    grep -q "^PFS-TEST $c PASS" "$OUT" || fail "case $c: no PASS line"
    echo "PASS: case $c (${ELAPSED}s): $(grep "^PFS-TEST $c PASS" "$OUT")"
}
