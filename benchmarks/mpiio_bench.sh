#!/usr/bin/env bash
# IOR-style MPI-IO through the pfs driver vs Open MPI's own MPI-IO on a local directory
# (/dev/shm by default), with the native client as a second baseline: two PFS jobs, one with
# the default io component (OMPIO) and one with --mca io romio321. Each job measures every
# target in the same run (benchmarks/README.md). Prints the tables; with --out FILE writes
# {"ompio": {...}, "romio321": {...}} (the programs' BENCH-JSON objects).
#   benchmarks/mpiio_bench.sh [--bin build/default/bin] [--compute 4] [--mib 64] [--reps 3]
#                             [--local-dir /dev/shm] [--out results/mpiio_bench.json]
set -euo pipefail
BIN=build/default/bin COMPUTE=4 MIB=64 REPS=3 LOCAL=/dev/shm OUTFILE=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) BIN=$2; shift 2 ;;
        --compute) COMPUTE=$2; shift 2 ;;
        --mib) MIB=$2; shift 2 ;;
        --reps) REPS=$2; shift 2 ;;
        --local-dir) LOCAL=$2; shift 2 ;;
        --out) OUTFILE=$2; shift 2 ;;
        *) echo "usage: $0 [--bin D] [--compute N] [--mib N] [--reps N] [--local-dir D] [--out F]" >&2; exit 2 ;;
    esac
done
WORK=$(mktemp -d "$LOCAL/pfs-mpiio-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/local"
"$BIN/pfs-mkfs" --root "$WORK/root" --meta 1 --data 2 > /dev/null
declare -A json
for io in ompio romio321; do
    mca=()
    [[ $io == romio321 ]] && mca=(--mca io romio321)
    log=$WORK/$io.txt
    timeout -k 10 900 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run-$io" \
        --meta 1 --data 2 --compute "$COMPUTE" "${mca[@]}" -- "$BIN/pfs-mpiio-bench" \
        --local-dir "$WORK/local" --mib "$MIB" --reps "$REPS" --label "$io" > "$log" 2>&1 || {
        cat "$log"; echo "mpiio_bench: the $io job failed" >&2; exit 1; }
    echo "== $io baseline ($COMPUTE compute ranks, 1 meta + 2 data ranks, $MIB MiB/rank, 1 MiB transfers, best of $REPS)"
    grep '^BENCH ' "$log"
    json[$io]=$(sed -n 's/^BENCH-JSON //p' "$log")
    grep -q '"verified":true' <<< "${json[$io]}" || { echo "mpiio_bench: data not verified" >&2; exit 1; }
done
if [[ -n $OUTFILE ]]; then
    printf '{"ompio": %s, "romio321": %s}\n' "${json[ompio]}" "${json[romio321]}" > "$OUTFILE"
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUTFILE"
    echo "wrote $OUTFILE"
fi
