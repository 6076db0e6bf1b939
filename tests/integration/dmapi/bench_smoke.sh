#!/usr/bin/env bash
# The event benchmark runs end to end on 2 ranks with few iterations and writes valid JSON with
# the round trip beside its MPI ping-pong baseline and the async throughput.
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
WORK=$(mktemp -d /tmp/pfs-dmapi-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
timeout -s KILL 100 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
    --plain 2 -- "$BIN/dmapi-event-bench" --iters 200 --async 2000 --json "$WORK/bench.json" \
    > "$OUT" 2>&1
RC=$?
[[ $RC -eq 0 ]] || fail "bench exited $RC"
[[ -s $WORK/bench.json ]] || fail "no JSON written"
python3 - "$WORK/bench.json" <<'PY' || fail "JSON incomplete"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("sync_rtt_us", "mpi_pingpong_us", "async"):
    assert k in d, k
assert d["sync_rtt_us"]["p50"] > 0 and d["mpi_pingpong_us"]["p50"] > 0
assert d["async"]["events_per_s"] > 0 and d["async"]["lost"] == 0
assert d["sync_rtt_us"]["count"] == 200
PY
cat "$OUT"
echo "PASS: dmapi-event-bench smoke"
