# Whole-job tests through pfs-run with the real role programs.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh" pfs-job
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
