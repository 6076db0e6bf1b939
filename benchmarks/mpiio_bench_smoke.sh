#!/usr/bin/env bash
# Smoke run of the MPI-IO benchmark: both jobs run, data verifies, the JSON parses.
set -euo pipefail
out=$(mktemp /tmp/mpiio-bench-XXXXXX.json)
trap 'rm -f "$out"' EXIT
bash "$(dirname "$0")/mpiio_bench.sh" --bin "$PFS_BIN_DIR" --compute 2 --mib 4 --reps 1 --out "$out"
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for io in ("ompio", "romio321"):
    rows = d[io]["results"]
    assert {r["mode"] for r in rows} == {"fpp", "shared", "coll", "strided", "strided_coll"}, rows
    assert d[io]["verified"] is True
    for r in rows:
        assert r["pfs_write"] > 0 and r["base_write"] > 0 and r["native_read"] > 0, r
print("bench_mpiio_smoke: JSON ok")
PY
