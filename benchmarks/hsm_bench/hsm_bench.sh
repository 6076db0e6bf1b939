#!/usr/bin/env bash
# hsm_bench.sh [--bin DIR] [--out FILE.json] [--rate BYTES_PER_SEC] [hsm-bench options]:
# one PFS job (1 meta, 2 data, 2 dm ranks running pfs-hsm, 1 compute rank running hsm-bench);
# prints the result line and writes its JSON to --out. The cluster root and the archive are on
# /dev/shm when it has room (as the tests), so both sides of each ratio use the same media.
set -euo pipefail
BIN=${PFS_BIN_DIR:-$(cd "$(dirname "$0")/../../build/default/bin" && pwd)}
OUTJSON=""
RATE=32M
ARGS=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) BIN=$2; shift 2 ;;
        --out) OUTJSON=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
TMPBASE=/tmp
[[ -w /dev/shm ]] && TMPBASE=/dev/shm
WORK=$(mktemp -d "$TMPBASE/hsm-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/hsm.conf" <<CONF
# background (policy) migration of the benchmark's bg files only, rate-limited
include = /bench/bg*
max_bytes_per_sec = $RATE
CONF
timeout -k 10 1200 "$BIN/pfs-run" --oversubscribe --mkfs --root "$WORK/root" --run-dir "$WORK/run" \
    --meta 1 --data 2 --dm 2 --dm-app "$BIN/pfs-hsm" --compute 1 -x PFS_HSM_CONFIG="$WORK/hsm.conf" \
    -- "$BIN/hsm-bench" "${ARGS[@]}" > "$WORK/out.txt" 2>&1 || { cat "$WORK/out.txt"; exit 1; }
line=$(sed -n 's/^HSM-BENCH //p' "$WORK/out.txt")
[[ $line == "{"* ]] || { cat "$WORK/out.txt"; exit 1; }
echo "$line"
[[ -n $OUTJSON ]] && echo "$line" > "$OUTJSON"
exit 0
