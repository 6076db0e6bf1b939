#!/usr/bin/env bash
# pfs-run never waits forever: --timeout kills the job (124); a job that wrote its status but
# whose mpirun does not exit is killed after --shutdown-grace with the job's code; SIGTERM and
# SIGINT kill the job (128+sig). In every case no rank process is left behind.
source "$(dirname "$0")/lib.sh"

ranks_left() {  # prints pids from the marker dir that still run (not zombies)
    local f pid st
    for f in "$1"/rank.*.pid; do
        [[ -e "$f" ]] || continue
        pid=$(cat "$f")
        st=$(ps -o stat= -p "$pid" 2>/dev/null) || continue
        [[ "$st" == Z* ]] || echo "$pid"
    done
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a < b)}'; }

# 1. --timeout 2 on a job that never ends.
mkdir -p "$WORK/m1"
run_pfs "$WORK/o1" "$WORK/e1" --plain 2 --timeout 2 -- "$FAKE_JOB" --sleep-forever --marker "$WORK/m1"
if [[ $RC == 124 ]] && lt "$ELAPSED" 8; then pass "--timeout 2 -> 124 in ${ELAPSED}s"
else fail "--timeout: rc=$RC after ${ELAPSED}s"; cat "$WORK/e1"; fi
[[ $(ls "$WORK/m1" | wc -l) == 2 ]] || fail "timeout job: ranks did not start"
[[ -z "$(ranks_left "$WORK/m1")" ]] && pass "no rank left after timeout" || fail "ranks left: $(ranks_left "$WORK/m1")"

# 2. the writer hangs after the status (mpirun never exits): bounded by --shutdown-grace.
mkdir -p "$WORK/m2"
run_pfs "$WORK/o2" "$WORK/e2" --meta 1 --data 1 --compute 1 "${ROLES[@]}" --shutdown-grace 1 -- \
    "$FAKE_JOB" --hang-after-status --exit-code 6 --marker "$WORK/m2"
if [[ $RC == 6 ]] && lt "$ELAPSED" 8; then pass "hung mpirun killed after grace: rc 6 in ${ELAPSED}s"
else fail "shutdown grace: rc=$RC after ${ELAPSED}s"; cat "$WORK/e2"; fi
grep -q 'still running 1 s after the job ended' "$WORK/e2" || fail "no grace message"
[[ -z "$(ranks_left "$WORK/m2")" ]] && pass "no rank left after grace kill" || fail "ranks left: $(ranks_left "$WORK/m2")"

# 3. fake nodes + a rank death under the second daemon: mpirun --enable-recovery never exits
#    (fault-tolerance.md 1.6); pfs-run ends it after the grace with the job's code.
mkdir -p "$WORK/m3"
run_pfs "$WORK/o3" "$WORK/e3" --plain 4 --fake-nodes 2 --shutdown-grace 1 --timeout 30 -- \
    "$FAKE_JOB" --kill-rank 2 --fail-rank 2 --exit-code 137 --marker "$WORK/m3"
if [[ $RC == 137 ]] && lt "$ELAPSED" 10; then pass "fake nodes, rank 2 killed: rc 137 in ${ELAPSED}s"
else fail "fake nodes rank death: rc=$RC after ${ELAPSED}s"; cat "$WORK/e3"; fi
[[ -z "$(ranks_left "$WORK/m3")" ]] && pass "no rank left (fake nodes)" || fail "ranks left: $(ranks_left "$WORK/m3")"

# 4. SIGTERM and SIGINT to pfs-run.
for sig in TERM INT; do
    mkdir -p "$WORK/m-$sig"
    "$PFS_RUN" --plain 2 -- "$FAKE_JOB" --sleep-forever --marker "$WORK/m-$sig" \
        >"$WORK/o-$sig" 2>"$WORK/e-$sig" &
    pid=$!
    for _ in $(seq 100); do [[ $(ls "$WORK/m-$sig" | wc -l) == 2 ]] && break; sleep 0.1; done
    kill -s "$sig" "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fail "SIG$sig: pfs-run did not exit"; fi
    wait "$pid"; rc=$?
    want=$((128 + $(kill -l "$sig")))
    [[ $rc == "$want" ]] && pass "SIG$sig -> $rc" || { fail "SIG$sig: rc=$rc want $want"; cat "$WORK/e-$sig"; }
    [[ -z "$(ranks_left "$WORK/m-$sig")" ]] && pass "no rank left after SIG$sig" \
        || fail "ranks left after SIG$sig: $(ranks_left "$WORK/m-$sig")"
done
finish
