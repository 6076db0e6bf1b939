#!/usr/bin/env bash
# The README demo command: installs what is missing, builds, then runs the main job as it exists
# today on local volumes under ./demo-root (no Slurm needed):
#   1. a job with every role (meta, data, dm, compute) that starts, does health-check round
#      trips between roles, prints the layout and shuts down with its true exit status;
#   2. the PFS: files written, fsynced, read back and verified through the native client, with
#      a POSIX baseline measured in the same run;
#   3. a rank failure injected: a fault-tolerant job of 6 ranks in which the coordinator rank is
#      SIGKILLed; the survivors detect it, agree on it, shrink and carry on;
#   4. DMAPI session failover: the session rank is SIGKILLed with 1,000 synchronous events
#      outstanding; a standby rank takes the session over under the same id, rebuilds its queue
#      from the sources and answers every event (none lost, none twice).
# The PFS, DMAPI events, the HSM and the IOR-style benchmark join this demo as they land.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh" default >/dev/null
bin=$here/build/default/bin
root=${PFS_DEMO_ROOT:-$here/demo-root}
rm -rf "$root"; mkdir -p "$root"
quiet() { grep -v "PMIX ERROR: BAD-PARAM" || true; }   # Open MPI 4.1.4 prints this on every death

echo "== 1. health check: every role, round trips, layout, clean shutdown"
"$bin/pfs-run" --oversubscribe --mkfs --timeout 60 --root "$root" --run-dir "$root/run-healthcheck" \
    --meta 1 --data 2 --dm 1 --compute 2 -- "$bin/pfs-healthcheck" 2>&1 | quiet
echo "   exit status: ${PIPESTATUS[0]} (status file: $root/run-healthcheck/status)"

echo
echo "== 2. the PFS: 4 compute ranks write, fsync, read back and verify 64 MiB each through the"
echo "      native client (striped over 2 data ranks), beside plain POSIX on /dev/shm in the same run"
"$bin/pfs-run" --oversubscribe --mkfs --timeout 120 --root "$root/pfs" --run-dir "$root/run-iocheck" \
    --meta 1 --data 2 --compute 4 -- "$bin/pfs-iocheck" --mib 64 --xfer 4M 2>&1 | quiet
echo "   exit status: ${PIPESTATUS[0]}"

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
[[ $rc -eq 0 ]] || exit "$rc"
exit "$rc4"
