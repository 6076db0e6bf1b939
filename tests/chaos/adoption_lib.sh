# Shared by the volume-adoption scenarios (one SIGKILLed service rank per file): a file system
# on tmpfs when it has room, a job of pfs-adoption-app in the background, the kill once every
# compute rank is past its warm-up, and a later job on the same volumes.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh" pfs-adopt
ROOT=$WORK/root
# These scenarios test the data path through the servers (requests in flight retried at the
# adopter): the client's direct path to the volumes of its host is off unless a scenario turns
# it on (data_rank_sigkill_during_direct_io.sh).
export PFS_CLIENT_DIRECT_IO=${PFS_CLIENT_DIRECT_IO:-0}
if [[ -w /dev/shm && $(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') -gt 1048576 ]]; then
    ROOT=$(mktemp -d /dev/shm/pfs-adopt-XXXXXX)
    trap 'rm -rf "$WORK" "$ROOT"' EXIT
fi

# run_with_kill <victim world rank[,rank...]> <compute ranks> <pfs-run layout options...> --
#               <app options>
# Runs the job, SIGKILLs the victim when every compute rank marked itself ready (several
# victims: one after the other, 0.3 s apart; KILL_SIGNAL=STOP hangs them instead), waits;
# sets RC.
run_with_kill() {
    local victims=$1 ncompute=$2; shift 2
    local opts=(); while [[ $1 != -- ]]; do opts+=("$1"); shift; done; shift
    timeout -k 10 150 "$BIN/pfs-run" --oversubscribe --root "$ROOT" --run-dir "$WORK/run" \
        "${opts[@]}" --compute "$ncompute" -- "$BIN/pfs-adoption-app" "$@" > "$OUT" 2>&1 &
    local job=$!
    local ready=0
    for _ in $(seq 1 2400); do
        ready=$(find "$WORK/run" -maxdepth 1 -name 'adopt-ready.*' 2> /dev/null | wc -l)
        [[ $ready -ge $ncompute ]] && break
        kill -0 "$job" 2> /dev/null || break
        sleep 0.05
    done
    [[ $ready -ge $ncompute ]] || { wait "$job"; fail "the compute ranks never got ready"; }
    local victim pid
    KILLED_AT=
    for victim in ${victims//,/ }; do
        [[ -n $KILLED_AT ]] && sleep 0.3
        pid=$(awk '{print $1}' "$WORK/run/ranks/$victim.pid")
        [[ -n $pid ]] || fail "no pid for rank $victim"
        kill "-${KILL_SIGNAL:-KILL}" "$pid" || fail "could not signal rank $victim (pid $pid)"
        [[ -n $KILLED_AT ]] || KILLED_AT=$(date +%s.%N)
        echo "killed world rank $victim (pid $pid, SIG${KILL_SIGNAL:-KILL})"
    done
    wait "$job"
    RC=$?
}

# report_resume: per compute rank, the time from the kill to the end of its slowest round
# after the kill (when its I/O had resumed on the adopter), beside its median round before.
report_resume() {
    grep -E "^PFS-ADOPT .* PASS rounds" "$OUT" | while read -r line; do
        local rank end med
        rank=$(sed -n 's/.* rank \([0-9]*\) PASS.*/\1/p' <<< "$line")
        end=$(sed -n 's/.*ending at \([0-9.]*\).*/\1/p' <<< "$line")
        med=$(sed -n 's/.*median before kill \([0-9.]*\).*/\1/p' <<< "$line")
        [[ -n $end ]] && echo "app rank $rank: kill -> I/O resumed in $(printf "%.1f" "$(echo "($end - $KILLED_AT) * 1000" | bc)") ms (median round before the kill: $med ms)"
    done
}

# run_verify <pfs-run layout options...>: a later job on the same root checks every file.
run_verify() {
    timeout -k 10 120 "$BIN/pfs-run" --oversubscribe --root "$ROOT" --run-dir "$WORK/run2" \
        "$@" -- "$BIN/pfs-adoption-app" --case verify > "$OUT" 2>&1
    RC=$?
}
