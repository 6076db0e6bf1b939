# Shared helpers of the FT scenario tests. Each test: start a job through pfs-run with a watchdog
# (timeout), inject one failure, then check that every survivor agreed on the same failed set,
# got a working communicator, finished, and that pfs-run reported the right status.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh" pfs-ft

# run_job <pfs-run options...> -- <ft-scenario options...>; sets RC. A watchdog bounds the job.
run_job() {
    local opts=() ; while [[ $1 != -- ]]; do opts+=("$1"); shift; done; shift
    # Watchdog: SIGTERM first, so pfs-run kills mpirun's whole process tree (a SIGKILLed pfs-run
    # would leave mpirun and the ranks running); SIGKILL 10 s later as a last resort.
    timeout -k 10 75 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
        "${opts[@]}" -- "$BIN/ft-scenario" "$@" > "$OUT" 2>&1
    RC=$?
}

# pid_of <world rank>: waits until the rank has written its pid file.
pid_of() {
    local f=$WORK/run/ranks/$1.pid
    for _ in $(seq 1 200); do [[ -s $f ]] && { awk '{print $1}' "$f"; return 0; }; sleep 0.05; done
    echo "no pid file for rank $1" >&2; return 1
}

# check_agreement <expected failed set, e.g. 1,3> <survivors>
check_agreement() {
    local expect=$1 survivors=$2
    [[ $RC -eq 0 ]] || fail "pfs-run exited $RC, want 0"
    grep -q "SCENARIO verdict PASS survivors=$survivors " "$OUT" || fail "no PASS verdict with $survivors survivors"
    grep -q "expected_failed=$expect\$" "$OUT" || fail "verdict not for failed set $expect"
    local n; n=$(grep -c "^SCENARIO recovered .*agreed=$expect members=$survivors allreduce=$survivors " "$OUT")
    [[ $n -ge $survivors ]] || fail "only $n survivors reported a working communicator over $survivors members"
    grep -q "^SCENARIO error" "$OUT" && fail "a survivor reported an error"
    local status; status=$(cat "$WORK/run/status")
    grep -q "^failed_ranks=$expect\$" <<<"$status" || fail "status file lists failed ranks other than $expect: $status"
    grep -q "pfs-run: rank" "$OUT" || fail "pfs-run did not print the failed ranks"
    echo "PASS: survivors=$survivors agreed on failed={$expect}"
}
