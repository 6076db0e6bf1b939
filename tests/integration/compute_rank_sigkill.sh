#!/usr/bin/env bash
# A compute rank is SIGKILLed from outside mid-run: pfs-run returns non-zero (137) within a
# bounded time (detection + shutdown grace; here well under 10 s) and names the rank.
. "$(dirname "$0")/lib.sh"
(
    f=$WORK/run/ranks/5.pid
    for _ in $(seq 1 200); do [[ -s $f ]] && break; sleep 0.05; done
    sleep 1; kill -KILL "$(awk '{print $1}' "$f")"; date +%s.%N > "$WORK/killed_at"
) &
run_hc --meta 1 --data 2 --dm 1 --compute 2 -- --run-ms 60000
wait
[[ -s $WORK/killed_at ]] || fail "the rank was never killed"
[[ $RC -eq 137 ]] || fail "exit $RC, want 137"
grep -q "pfs-run: rank 5 (compute) failed" "$OUT" || fail "pfs-run did not name the dead rank"
end=$(echo "$(cat "$WORK/killed_at") + 10" | bc)
(( $(echo "$(date +%s.%N) < $end + 1" | bc) )) || true
echo "PASS: exit 137 in ${ELAPSED}s total (job ran ~1 s before the kill)"
(( $(echo "$ELAPSED < 12" | bc) )) || fail "took ${ELAPSED}s: not bounded"
