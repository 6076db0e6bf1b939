#!/usr/bin/env bash
# Smoke run of the failover benchmark: one small configuration runs, nothing is lost or
# delivered twice, and the JSON parses with its fields.
set -euo pipefail
out=$(mktemp /tmp/fob-XXXXXX.json)
trap 'rm -f "$out"' EXIT
python3 "$(dirname "$0")/failover_bench.py" --bin "$PFS_BIN_DIR" --sizes 4 --events 50 --reps 1 --out "$out"
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["benchmark"] == "dmapi_failover"
(r,) = d["results"]
assert r["ok_runs"] == r["runs"] == 1, r
assert r["lost"] == 0 and r["duplicates"] == 0, r
assert r["failover_ms"] > 0 and r["detect_ms"] > 0 and r["baseline_queue_ms"] > 0, r
print("bench_failover_smoke: JSON ok")
PY
