#!/usr/bin/env bash
# Smoke run of hsm_bench.sh with small sizes: the job runs and its JSON parses.
set -euo pipefail
line=$(bash "$(dirname "$0")/hsm_bench.sh" --bin "$PFS_BIN_DIR" --recall-mib 8 --fg-mib 8 \
    --bg-mib 32 --reps 1)
out=$(mktemp /tmp/hsm-bench-XXXXXX.json)
trap 'rm -f "$out"' EXIT
echo "$line" > "$out"
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["recall"]["ratio"] > 0 and d["impact"]["fg_idle_mib_s"] > 0, d
print("bench_hsm_smoke: JSON ok")
PY
python3 "$(dirname "$0")/../validate_bench_json.py" "$out"
