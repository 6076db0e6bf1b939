#!/usr/bin/env bash
# The README demo command: installs what is missing, builds, then runs on local volumes under
# ./demo-root (no Slurm needed):
#   0. THE MAIN JOB: the PFS (1 meta, 3 data ranks), the HSM pfs-hsm on 2 dm ranks (one holds
#      the DMAPI session, one stands by) archiving files in the background, and pfs-ior (IOR-style,
#      file per process, write + read with verification) on 2 compute ranks; a data rank is
#      SIGKILLed mid-run: the survivors agree, a live data rank adopts its volume, I/O goes on,
#      every byte verifies and the job exits 0;
#   1. a job with every role (meta, data, dm, compute) that starts, does health-check round
#      trips between roles, prints the layout and shuts down with its true exit status;
#   2. the PFS: files written, fsynced, read back and verified through the native client, with
#      a POSIX baseline measured in the same run;
#   3. a rank failure injected: a fault-tolerant job of 6 ranks in which the coordinator rank is
#      SIGKILLed; the survivors detect it, agree on it, shrink and carry on;
#   4. DMAPI session failover: the session rank is SIGKILLed with 1,000 synchronous events
#      outstanding; a standby rank takes the session over under the same id, rebuilds its queue
#      from the sources and answers every event (none lost, none twice);
#   5. the HSM: files migrated to the archive (PFS space released), read back through
#      transparent recall (read events answered by pfs-hsm on the dm ranks), data verified;
#   6. pfs-ior with --hsm release-after-write and --fail session:read+0.1 (the HSM's session rank
#      SIGKILLed while reads wait for recalls), the DMAPI event benchmark, and gnuplot PNGs in
#      demo-root/plots: bandwidth over time with the kill/detection/recovery marked, event
#      latency CDF, failover time against outstanding events and ranks.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh" default >/dev/null
bin=$here/build/default/bin
root=${PFS_DEMO_ROOT:-$here/demo-root}
rm -rf "$root"; mkdir -p "$root"
quiet() { grep -v "PMIX ERROR: BAD-PARAM" || true; }   # Open MPI 4.1.4 prints this on every death

echo "== 0. the main job: PFS (1 meta + 3 data ranks) + HSM (pfs-hsm on 2 dm ranks, archiving every"
echo "      second) + pfs-ior on 2 compute ranks (64 MiB per task, 8 write/read rounds, verified);"
echo "      data rank 3 is SIGKILLed 4 s in"
printf 'scan_interval = 1s\nmin_size = 1M\n' > "$root/hsm.conf"
(
    pidf=$root/run-main/ranks/3.pid
    for _ in $(seq 1 400); do [[ -s $pidf ]] && break; sleep 0.05; done
    sleep 4
    kill -KILL "$(awk '{print $1}' "$pidf")" 2>/dev/null && echo "   [demo] SIGKILL sent to data rank 3"
) &
killer=$!
"$bin/pfs-run" --oversubscribe --mkfs --timeout 240 --root "$root/main" --run-dir "$root/run-main" \
    --meta 1 --data 3 --dm 2 --dm-app "$bin/pfs-hsm" --compute 2 -x "PFS_HSM_CONFIG=$root/hsm.conf" \
    -- "$bin/pfs-ior" -a NATIVE -F -w -r -W -R -b 64m -t 1m -i 8 -d 1 -o /ior/f \
    > "$root/main.log" 2>&1
rc0=$?
wait "$killer"
quiet < "$root/main.log" | grep -E "failed \(detected|recovery: agreed|adopted|^HSM [0-9]+: (created|ready)" \
    | sed 's/^/   /'
echo "   HSM periodic runs: $(grep -c "periodic policy run" "$root/main.log"), files archived:" \
    "$(sed -n 's/.*periodic policy run: [0-9]* candidates, \([0-9]*\) archived.*/\1/p' "$root/main.log" | paste -sd+ - | bc)"
sed -n '/^Summary of all tests/,$p' "$root/main.log" | grep -E "^(write|read) " \
    | awk '{printf "   pfs-ior %-5s over 8 rounds: max %s, min %s, mean %s MiB/s\n", $1, $2, $3, $4}'
echo "   exit status: $rc0 (data verified by pfs-ior -W -R; status file: $root/run-main/status)"

echo

echo "== 1. health check: every role, round trips, layout, clean shutdown"
"$bin/pfs-run" --oversubscribe --mkfs --timeout 60 --root "$root" --run-dir "$root/run-healthcheck" \
    --meta 1 --data 2 --dm 1 --compute 2 -- "$bin/pfs-healthcheck" 2>&1 | quiet
rc1=${PIPESTATUS[0]}
echo "   exit status: $rc1 (status file: $root/run-healthcheck/status)"

echo
echo "== 2. the PFS: 4 compute ranks write, fsync, read back and verify 64 MiB each through the"
echo "      native client (striped over 2 data ranks), beside plain POSIX on /dev/shm in the same run"
"$bin/pfs-run" --oversubscribe --mkfs --timeout 120 --root "$root/pfs" --run-dir "$root/run-iocheck" \
    --meta 1 --data 2 --compute 4 -- "$bin/pfs-iocheck" --mib 64 --xfer 4M 2>&1 | quiet
rc2=${PIPESTATUS[0]}
echo "   exit status: $rc2"

echo
echo "== 3. rank failure: rank 0 (agreement coordinator and job leader) is SIGKILLed at 0.5 s"
set +e
"$bin/pfs-run" --oversubscribe --timeout 60 --root "$root" --run-dir "$root/run-failure" --plain 6 -- \
    "$bin/ft-scenario" --victims 0 --kill-at-ms 500 --expect-failed 0 2>&1 | quiet \
    | grep -E "SCENARIO (victim|recovered|verdict)|pfs-run" | sort -s -k2,2
rc=${PIPESTATUS[0]}
set -e
echo "   exit status: $rc; status file:"
sed 's/^/     /' "$root/run-failure/status"

echo
echo "== 4. DMAPI session failover: 8 ranks (0 manager, 1 session rank, 2 standby, 3-7 sources);"
echo "      1,000 synchronous events outstanding when the session rank is SIGKILLed"
set +e
out=$("$bin/pfs-run" --oversubscribe --timeout 120 --root "$root" --run-dir "$root/run-failover" \
    --plain 8 -- "$bin/dmapi-failover-bench" --events 1000 2>&1 | quiet)
rc4=$?
set -e
echo "$out" | grep -E "^dmapi\[|failed \(detected" | sed 's/^/   /'
echo "$out" | sed -n 's/^FAILOVER-BENCH //p' | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print("   detection %.1f ms; failover after detection %.1f ms (queue rebuild %.1f ms); "
          "kill -> first recovered event %.1f ms" % (r["detect_ms"], r["failover_ms"],
          r["rebuild_ms"], r["end_to_end_ms"]))
    print("   events re-queued %d, received by the standby %d, duplicates %d" % (
          r["rebuilt_events"], r["received"], r["duplicates"]))'
lost=$(echo "$out" | sed -n 's/^FAILOVER-SOURCE .*"lost": \([0-9]*\).*/\1/p' | paste -sd+ - | bc)
echo "   synchronous events lost at the sources: ${lost:-?}; exit status: $rc4"

echo
echo "== 5. the HSM: 4 files (67 MiB) migrated to the directory archive, 3 read back through"
echo "      transparent recall (pfs-hsm answers the read events; blocks copied by 2 dm ranks)"
set +e
"$bin/pfs-run" --oversubscribe --mkfs --timeout 120 --root "$root/hsm" --run-dir "$root/run-hsm" \
    --meta 1 --data 2 --dm 2 --dm-app "$bin/pfs-hsm" --compute 1 -- "$bin/hsm-test-app" --case demo \
    2>&1 | quiet | grep -E "HSM-DEMO|HSM [0-9]+: recalled" | sed 's/^/   /'
rc5=${PIPESTATUS[0]}
set -e
echo "   exit status: $rc5"

echo
echo "== 6. pfs-ior --hsm release-after-write --fail session:read+0.1: files migrated after each write"
echo "      phase, reads recall them, the HSM's session rank is SIGKILLed during the first read phase;"
echo "      then the event benchmark, and the plots"
"$bin/pfs-run" --oversubscribe --mkfs --timeout 240 --root "$root/bench" --run-dir "$root/run-bench" \
    --meta 1 --data 2 --dm 2 --dm-app "$bin/pfs-hsm" --compute 2 -- \
    "$bin/pfs-ior" -a NATIVE -F -W -R -b 64m -t 1m -i 3 -o /ior/h --hsm release-after-write \
    --fail session:read+0.1 -q -O summaryFile="$root/bench-hsm.json" > "$root/bench.log" 2>&1
rc6=$?
grep -E "fail|recall|HSM .*(took over|created)" "$root/bench.log" | quiet | head -10 | sed 's/^/   /'
sed -n '/^Summary of all tests/,$p' "$root/bench.log" | grep -E "^(write|read) " \
    | awk '{printf "   pfs-ior %-5s: mean %s MiB/s\n", $1, $4}'
"$bin/pfs-run" --oversubscribe --timeout 120 --root "$root" --run-dir "$root/run-evbench" --plain 2 -- \
    "$bin/dmapi-event-bench" --async 20000 --json "$root/ev.json" --samples "$root/ev_samples.json" \
    > "$root/evbench.log" 2>&1 || rc6=1
python3 "$here/benchmarks/bench_convert.py" event --json "$root/ev.json" \
    --samples "$root/ev_samples.json" --out "$root/ev_bench.json" || rc6=1
python3 "$here/benchmarks/bench_convert.py" failover \
    --json "$here/benchmarks/results/failover_bench.json" --out "$root/fo_bench.json" || rc6=1
python3 "$here/benchmarks/plot_bench.py" --out-dir "$root/plots" "$root/bench-hsm.json" \
    "$root/ev_bench.json" "$root/fo_bench.json" || rc6=1
ls "$root"/plots/*.png 2>/dev/null | sed 's/^/   plot: /'
echo "   exit status: $rc6"
for c in "$rc0" "$rc1" "$rc2" "$rc" "$rc4" "$rc5" "$rc6"; do [[ $c -eq 0 ]] || exit "$c"; done
exit 0
