# shellcheck shell=bash
# Shared by the pfs-command job tests (cli*.sh): a job run in the background whose compute rank
# waits for a marker file, ended (bounded) on exit; `cli` runs the command against the job's
# socket with a watchdog; `until_ok` repeats one until it answers. The job is started by each
# test (start_job PFS-RUN-OPTIONS... -- APP...), since layouts differ.
# shellcheck source=tests/integration/pfs/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PFS=$BIN/pfs
RUN=$WORK/run-cli
MARK=$WORK/end-of-job
JOBOUT=$WORK/job.txt
JOBPID=
end_job() {
    [[ -n $JOBPID ]] || return 0
    touch "$MARK"
    # Bounded: the job ends on its own after the marker; else SIGTERM (pfs-run's watchdog).
    for _ in $(seq 600); do kill -0 "$JOBPID" 2> /dev/null || break; sleep 0.1; done
    kill -TERM "$JOBPID" 2> /dev/null
    wait "$JOBPID"
    JOBRC=$?
    JOBPID=
}
trap 'end_job; rm -rf "$WORK"' EXIT
fail() {
    echo "FAIL: $*"
    echo "----- last command output -----"; cat "$OUT"
    echo "----- job output -----"; cat "$JOBOUT"
    exit 1
}
# start_job PFS-RUN-OPTIONS...: the job in the background, with a 100 s watchdog.
start_job() {
    timeout -k 10 100 "$BIN/pfs-run" --oversubscribe --root "$ROOT" --run-dir "$RUN" "$@" \
        > "$JOBOUT" 2>&1 &
    JOBPID=$!
}
# cli ARGS...: runs pfs against the job; sets RC, output in $OUT.
cli() {
    timeout -k 5 60 "$PFS" --run-dir "$RUN" "$@" > "$OUT" 2>&1
    RC=$?
}
# until_ok ARGS...: repeats pfs ARGS until it exits 0 (at most ~60 s; fails if the job ends).
until_ok() {
    for _ in $(seq 300); do
        cli "$@"
        [[ $RC -eq 0 ]] && return 0
        kill -0 "$JOBPID" 2> /dev/null || fail "the job ended early"
        sleep 0.2
    done
    fail "pfs $* never succeeded (last exit $RC)"
}
