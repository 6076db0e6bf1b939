#!/usr/bin/env bash
# Smoke run of the FT benchmark: it runs, its table has rows and its JSON parses with results.
set -euo pipefail
out=$(mktemp /tmp/ftb-XXXXXX.json)
trap 'rm -f "$out"' EXIT
python3 "$(dirname "$0")/ft_bench.py" --bin "$PFS_BIN_DIR" --sizes 4 --modes pmix,heartbeat --reps 1 --out "$out" | tee /dev/stderr | grep -q '^heartbeat '
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["results"]
assert {r["mode"] for r in rows} == {"pmix", "heartbeat"}, rows
for r in rows:
    assert r["ok_runs"] == r["runs"] == 1, r
    assert r["detect_first_ms"] > 0 and r["shrink_ms"] > 0 and r["barrier_us"] > 0, r
print("bench_ft_smoke: JSON ok")
PY
