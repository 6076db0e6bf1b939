#!/usr/bin/env bash
# pfs-iocheck (the demo's I/O check) on 2 compute ranks: verifies and prints its table.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_job --meta 1 --data 2 --compute 2 -- "$BIN/pfs-iocheck" --mib 8 --xfer 256k --baseline-dir "$WORK"
[[ $RC -eq 0 ]] || fail "pfs-iocheck exited $RC"
grep -q "pfs-iocheck: verify OK" "$OUT" || fail "no verify OK"
grep -q "ratio PFS/POSIX" "$OUT" || fail "no ratio line"
grep -A5 "^pfs-iocheck: 2 ranks" "$OUT"
echo "PASS"
