set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
WORK=$(mktemp -d /tmp/pfs-job-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- output -----"; cat "$OUT"; exit 1; }
# run_hc <pfs-run layout and options...> -- <healthcheck options...>; sets RC and ELAPSED (s).
run_hc() {
    local opts=() ; while [[ $1 != -- ]]; do opts+=("$1"); shift; done; shift
    local t0; t0=$(date +%s.%N)
    # Watchdog: SIGTERM first, so pfs-run kills mpirun's whole process tree (a SIGKILLed pfs-run
    # would leave mpirun and the ranks running); SIGKILL 10 s later as a last resort.
    timeout -k 10 75 "$BIN/pfs-run" --oversubscribe --mkfs --root "$WORK/root" --run-dir "$WORK/run" \
        "${opts[@]}" -- "$BIN/pfs-healthcheck" "$@" > "$OUT" 2>&1
    RC=$?
    ELAPSED=$(echo "$(date +%s.%N) - $t0" | bc)
}
