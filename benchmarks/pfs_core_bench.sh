#!/usr/bin/env bash
# The PFS-core benchmark: one PFS job per workload with its volumes on /dev/shm, 1 meta + 2 data
# + 4 compute ranks, pfs-ior NATIVE with the POSIX (and MPIIO) baseline on /dev/shm in the same
# run: file-per-process write and read bandwidth, shared-file write, create/stat/unlink rates;
# and the peak RSS (VmHWM) of every data rank, sampled through the pid files pfs-run's ranks
# write (<run-dir>/ranks/<rank>.pid: "pid role host") while the job runs, for two file sizes.
# Writes benchmarks/results/pfs_core.{json,txt} (or --out-dir). docs/benchmarks.md explains it.
#
# usage: benchmarks/pfs_core_bench.sh [--bin DIR] [--out-dir DIR] [--reps N] [--quick]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PFS_BIN_DIR:-$SRC/build/default/bin}
OUT_DIR=$SRC/benchmarks/results
REPS=3
QUICK=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) BIN=$2; shift 2 ;;
        --out-dir) OUT_DIR=$2; shift 2 ;;
        --reps) REPS=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "pfs_core_bench: unknown option $1" >&2; exit 2 ;;
    esac
done
for p in pfs-run pfs-server pfs-mkfs pfs-ior; do
    [[ -x $BIN/$p ]] || { echo "pfs_core_bench: $BIN/$p missing (build it)" >&2; exit 2; }
done
WORK=$(mktemp -d /dev/shm/pfs-core-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/base" "$OUT_DIR"
LAYOUT=(--meta 1 --data 2 --compute 4)
# Workload sizes: IOR's reference setup (256 MiB aggregate) with 4 MiB transfers; --quick for
# a smoke run.
if [[ $QUICK -eq 1 ]]; then
    BW=(-b 4m -t 1m -s 2) MD_N=100 RSS_SMALL=4m RSS_LARGE=32m REPS=1
else
    BW=(-b 16m -t 4m -s 4) MD_N=1000 RSS_SMALL=64m RSS_LARGE=1g
fi

# sample_rss <run dir> <pid of pfs-run> <out file>: VmHWM of the 2 data ranks every 50 ms until
# pfs-run exits; VmHWM only grows, so the last value read is the rank's peak. Bash builtins
# only, besides the sleep (no awk or basename per sample): those forks took enough of the 2
# cores to halve the metadata rates measured beside them.
sample_rss() {
    local run=$1 runner=$2 out=$3
    declare -A hwm pidof samples
    local seen=0  # data ranks read at least once
    while kill -0 "$runner" 2> /dev/null; do
        for f in "$run"/ranks/*.pid; do
            [[ -e $f ]] || continue
            local pid role _host r v
            read -r pid role _host < "$f" || continue
            [[ $role == data ]] || continue
            r=${f##*/}
            r=${r%.pid}
            v=""
            local key val _unit
            { while read -r key val _unit; do
                [[ $key == VmHWM: ]] && { v=$val; break; }
            done < "/proc/$pid/status"; } 2> /dev/null || true
            [[ -n $v ]] || continue
            [[ -n ${hwm[$r]:-} ]] || seen=$((seen + 1))
            pidof[$r]=$pid
            hwm[$r]=$v
            samples[$r]=$((${samples[$r]:-0} + 1))
        done
        # Every 10 ms until each data rank was read once: a short job on a loaded node ended
        # before a 50 ms sampler had seen its second data rank (CI, 2026-11-25).
        if [[ $seen -lt 2 ]]; then sleep 0.01; else sleep 0.05; fi
    done
    : > "$out"
    for r in "${!hwm[@]}"; do echo "$r ${pidof[$r]} ${hwm[$r]} ${samples[$r]}" >> "$out"; done
}

# run <label> <pfs-ior args...>: one PFS job on a fresh root; JSON to $WORK/<label>.json, the
# text output to $WORK/<label>.txt, data-rank RSS to $WORK/<label>.rss.
run() {
    local label=$1; shift
    local root=$WORK/root-$label run=$WORK/run-$label
    echo "pfs_core_bench: $label: pfs-ior $*" >&2
    timeout -k 10 900 "$BIN/pfs-run" --oversubscribe --root "$root" --run-dir "$run" --mkfs \
        "${LAYOUT[@]}" -- "$BIN/pfs-ior" "$@" -O summaryFile="$WORK/$label.json" \
        > "$WORK/$label.txt" 2> "$WORK/$label.err" &
    local runner=$!
    sample_rss "$run" "$runner" "$WORK/$label.rss" &
    local sampler=$!
    local rc=0
    wait "$runner" || rc=$?
    wait "$sampler" || true
    if [[ $rc -ne 0 ]]; then
        echo "pfs_core_bench: $label failed (exit $rc)" >&2
        cat "$WORK/$label.txt" "$WORK/$label.err" >&2
        exit 1
    fi
    rm -rf "$root"
}

run fpp -a NATIVE "${BW[@]}" -F -C -e -i "$REPS" -o /ior/fpp --baseline "$WORK/base"
run shared -a NATIVE "${BW[@]}" -e -i "$REPS" -o /ior/shared --baseline "$WORK/base"
run mdtest --mdtest -a NATIVE -n "$MD_N" -u -i "$REPS" -o /mdtest --baseline "$WORK/base"
run rss_small -a NATIVE -b "$RSS_SMALL" -t 4m -s 1 -F -e -o /ior/rss
run rss_large -a NATIVE -b "$RSS_LARGE" -t 4m -s 1 -F -e -o /ior/rss

python3 - "$WORK" "$OUT_DIR" "$RSS_SMALL" "$RSS_LARGE" "$*" << 'PY'
import json, os, sys, time
work, out_dir, rss_small, rss_large, args = sys.argv[1:6]
def mib(s):
    return int(s[:-1]) * {"k": 1 / 1024, "m": 1, "g": 1024}[s[-1]]
runs, ratios, rss, errors = [], [], [], []
for label in ["fpp", "shared", "mdtest", "rss_small", "rss_large"]:
    d = json.load(open(f"{work}/{label}.json"))
    d["label"] = label
    runs.append(d)
    errors += [f"{label}: {e}" for e in d["errors"]]
    for r in d["ratios"]:
        if label == "shared" and not r["name"].startswith("write"):
            continue  # the shared-file target is the write; its read is in the run
        r = dict(r, name=f"{label} {r['name']}")
        ratios.append(r)
    ranks = []
    for line in open(f"{work}/{label}.rss"):
        r, pid, hwm, n = map(int, line.split())
        ranks.append({"rank": r, "pid": pid, "vm_hwm_kib": hwm, "samples": n})
    ranks.sort(key=lambda x: x["rank"])
    size = {"rss_small": mib(rss_small), "rss_large": mib(rss_large)}.get(label)
    if label == "mdtest":
        size = 0  # empty files
    elif size is None:
        p = d["parameters"]
        size = p["block_size"] * p["segments"] / 2**20 if p.get("file_per_proc") else p["aggregate_bytes"] / 2**20
    rss.append({"label": label, "file_mib": size, "data_ranks": ranks})
first = runs[0]
doc = {"schema": "pfs-bench/1", "benchmark": "pfs-core", "version": "0.1.0",
       "began": runs[0]["began"], "finished": runs[-1]["finished"], "host": first["host"],
       "cores": first["cores"], "command_line": "benchmarks/pfs_core_bench.sh " + args,
       "job": first["job"], "ok": not errors, "errors": errors, "ratios": ratios,
       "rss": rss, "runs": runs}
with open(f"{out_dir}/pfs_core.json", "w") as f:
    json.dump(doc, f, indent=1)

def summ(run, api, op):
    for t in run["tests"]:
        if t["api"] == api:
            for s in t["summary"]:
                if s["operation"] == op:
                    return s
def md(run, api, op):
    for m in run["metadata"]:
        if m["api"] == api:
            for s in m["summary"]:
                if s["operation"] == op:
                    return s
L = []
L.append(f"PFS-core benchmark ({doc['began']} .. {doc['finished']}, host {doc['host']}, {doc['cores']} cores)")
L.append(f"job: {first['job']['layout']} (all ranks oversubscribed on this host); volumes and baselines on /dev/shm")
p = runs[0]["parameters"]
L.append(f"bandwidth workload: -b {p['block_size'] >> 20}m -t {p['transfer_size'] >> 20}m -s {p['segments']} -e, "
         f"{p['aggregate_bytes'] >> 20} MiB aggregate, {p['repetitions']} repetitions, interleaved NATIVE/POSIX/MPIIO")
L.append("")
L.append(f"{'workload':26s} {'NATIVE':>10s} {'POSIX':>10s} {'MPIIO':>10s} {'NATIVE/POSIX':>13s} {'MPIIO/POSIX':>12s}  (mean MiB/s; min-max NATIVE)")
for label, op, title in [("fpp", "write", "file-per-process write"), ("fpp", "read", "file-per-process read"),
                         ("shared", "write", "shared-file write"), ("shared", "read", "shared-file read")]:
    run = next(r for r in runs if r["label"] == label)
    n, b, m = (summ(run, a, op) for a in ("NATIVE", "POSIX", "MPIIO"))
    L.append(f"{title:26s} {n['mean_mib_s']:10.1f} {b['mean_mib_s']:10.1f} {m['mean_mib_s']:10.1f} "
             f"{n['mean_mib_s'] / b['mean_mib_s']:13.3f} {m['mean_mib_s'] / b['mean_mib_s']:12.3f}  "
             f"({n['min_mib_s']:.0f}-{n['max_mib_s']:.0f})")
run = next(r for r in runs if r["label"] == "mdtest")
L.append("")
L.append(f"metadata: {run['metadata'][0]['items_per_task']} files per task, a directory per task, ops/s (mean)")
L.append(f"{'operation':26s} {'NATIVE':>10s} {'POSIX':>10s} {'NATIVE/POSIX':>13s}")
for op in ["file_create", "file_stat", "file_remove"]:
    n, b = md(run, "NATIVE", op), md(run, "POSIX", op)
    L.append(f"{op:26s} {n['mean']:10.0f} {b['mean']:10.0f} {n['mean'] / b['mean']:13.4f}")
L.append("")
L.append("peak RSS (VmHWM) of the data ranks, KiB")
L.append(f"{'run':26s} {'file MiB':>9s} " + " ".join(f"{'rank ' + str(r['rank']):>10s}" for r in rss[0]["data_ranks"]))
for x in rss:
    L.append(f"{x['label']:26s} {x['file_mib']:9.0f} " + " ".join(f"{r['vm_hwm_kib']:10d}" for r in x["data_ranks"]))
if errors:
    L.append("")
    L += ["ERROR: " + e for e in errors]
open(f"{out_dir}/pfs_core.txt", "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
python3 "$SRC/benchmarks/validate_bench_json.py" "$OUT_DIR/pfs_core.json" >&2
