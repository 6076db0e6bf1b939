#!/usr/bin/env bash
# benchmarks/pfs_core_bench.sh --quick: every workload runs, the RSS sampler finds both data
# ranks in every run, and the document validates with all ratios present and positive.
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
timeout -k 10 300 bash "$PFS_SOURCE_DIR/benchmarks/pfs_core_bench.sh" --quick --bin "$BIN" \
    --out-dir "$WORK/res" > "$OUT" 2>&1 || fail "pfs_core_bench.sh --quick exited $?"
$VALIDATE "$WORK/res/pfs_core.json" >> "$OUT" 2>&1 || fail "pfs_core.json does not validate"
python3 - "$WORK/res/pfs_core.json" << 'PY' || fail "pfs_core.json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["benchmark"] == "pfs-core", d["errors"]
assert [r["label"] for r in d["runs"]] == ["fpp", "shared", "mdtest", "rss_small", "rss_large"]
names = {r["name"] for r in d["ratios"]}
for n in ["fpp write bw_mib_s", "fpp read bw_mib_s", "shared write bw_mib_s", "mdtest file_create rate",
          "mdtest file_stat rate", "mdtest file_remove rate"]:
    assert n in names, (n, names)
assert all(r["ratio"] > 0 for r in d["ratios"])
for x in d["rss"]:
    assert [r["rank"] for r in x["data_ranks"]] == [1, 2], x  # world ranks 1, 2 are the data ranks
    assert all(r["vm_hwm_kib"] > 1000 and r["samples"] > 0 for r in x["data_ranks"]), x
PY
grep -A3 "^workload" "$WORK/res/pfs_core.txt"
echo "PASS"
