#!/usr/bin/env bash
# run_case.sh CASE [--pfs META DATA DM COMPUTE | --plain N] [pfs-run options...]: one
# dmapi-capi-test case (a C program linked to libdmapi only) in a pfs-run job under a watchdog.
# A --pfs job gets a fresh file system (pfs-mkfs) and the program its fsid (--fsid). Passes when
# the job exits 0, no rank printed FAIL and every compute rank printed PASS.
set -uo pipefail
BIN=${PFS_BIN_DIR:?PFS_BIN_DIR not set (run through ctest)}
CASE=$1
shift
WORK=$(mktemp -d /tmp/pfs-dmapi-capi-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out.txt
fail() { echo "FAIL: $*"; echo "----- job output -----"; cat "$OUT"; exit 1; }
LAYOUT=() APP_ARGS=() NCOMPUTE=0
if [[ $1 == --pfs ]]; then
    "$BIN/pfs-mkfs" --root "$WORK/root" --meta "$2" --data "$3" > "$OUT" 2>&1 || fail "pfs-mkfs"
    FSID=$(sed -n 's/.*"fsid": *"\(0x[0-9a-fA-F]*\)".*/\1/p' "$WORK/root/superblock.json")
    [[ -n $FSID ]] || fail "no fsid in superblock.json"
    LAYOUT=(--meta "$2" --data "$3" --dm "$4" --compute "$5")
    APP_ARGS=(--fsid "$FSID")
    NCOMPUTE=$5
    shift 5
else
    LAYOUT=(--plain "$2")
    NCOMPUTE=$2
    shift 2
fi
# Watchdog: SIGTERM first so pfs-run tears down the whole job tree; SIGKILL 10 s later.
timeout -k 10 150 "$BIN/pfs-run" --oversubscribe --root "$WORK/root" --run-dir "$WORK/run" \
    "${LAYOUT[@]}" "$@" -- "$BIN/dmapi-capi-test" --case "$CASE" "${APP_ARGS[@]}" > "$OUT" 2>&1
RC=$?
grep -q "^DMAPI-CAPI $CASE rank .* FAIL" "$OUT" && fail "a check failed"
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
PASSES=$(grep -c "^DMAPI-CAPI $CASE rank [0-9]* PASS\$" "$OUT")
[[ $PASSES -eq $NCOMPUTE ]] || fail "$PASSES PASS lines, want $NCOMPUTE"
if [[ $CASE == survive ]]; then  # rank 2 killed itself; the job went on without it
    grep -q "pfs-run: rank 2 (compute) failed" "$OUT" || fail "rank 2's failure not reported"
fi
grep "^DMAPI-CAPI" "$OUT"
echo "PASS: $CASE"
