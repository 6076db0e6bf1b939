#!/usr/bin/env bash
# pfs-server refuses to serve without a file system, or one whose volume counts differ from the
# job's layout: the job ends with code 2 and the pfs-mkfs command line to run.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
export WATCHDOG=60
run_job --meta 1 --data 2 --compute 1 -- "$BIN/pfs-client-test" --case namespace
[[ $RC -eq 2 ]] || fail "no file system: exit $RC, want 2"
grep -q "no file system under $ROOT; run pfs-mkfs --root $ROOT --meta 1 --data 2" "$OUT" \
    || fail "no pfs-mkfs hint"
mkfs --meta 1 --data 1
run_job --meta 1 --data 2 --compute 1 -- "$BIN/pfs-client-test" --case namespace
[[ $RC -eq 2 ]] || fail "layout mismatch: exit $RC, want 2"
grep -q "has 1 meta and 1 data volumes but the job has meta:1,data:2" "$OUT" \
    || fail "no layout mismatch message"
echo "PASS"
