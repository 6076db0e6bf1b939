#!/usr/bin/env bash
# Flattening of every combiner against MPI's own pack engine: a plain 1-rank job (no PFS).
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
run_job --plain 1 -- "$BIN/pfs-mpiio-test" --case flatten
[[ $RC -eq 0 ]] || fail "pfs-run exited $RC"
grep -q "^MPIIO-TEST flatten PASS" "$OUT" || fail "no PASS line"
echo "PASS: $(grep "^MPIIO-TEST flatten PASS" "$OUT")"
