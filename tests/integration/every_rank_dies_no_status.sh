#!/usr/bin/env bash
# Every rank dies, so nobody writes a status file; with a second (fake) node Open MPI 4.1.4's
# mpirun then never exits by itself. pfs-run must notice that all ranks are gone and end the job
# with exit 1 and a clear message, in bounded time, leaving no process behind.
. "$(dirname "$0")/lib.sh"
t0=$(date +%s.%N)
timeout -k 10 60 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
    --fake-nodes 2 --plain 4 -- "$BIN/ft-scenario" --victims 0,1,2,3 --kill-at-ms 300 > "$OUT" 2>&1
RC=$?
elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
[[ $RC -eq 1 ]] || fail "exit $RC, want 1"
grep -q "every rank has exited but the job wrote no status file" "$OUT" || fail "no clear message"
(( $(echo "$elapsed < 15" | bc) )) || fail "took ${elapsed}s: not bounded"
for f in "$WORK"/run/ranks/*.pid; do
    pid=$(awk '{print $1}' "$f")
    if kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid") != Z* ]]; then fail "rank pid $pid left running"; fi
done
echo "PASS: exit 1 after ${elapsed}s"
