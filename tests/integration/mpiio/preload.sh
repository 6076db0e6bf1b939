#!/usr/bin/env bash
# An unmodified MPI program (linked with libmpi only) gets the driver by LD_PRELOAD: only the
# compute block is preloaded (env LD_PRELOAD=... as the application), as docs/mpiio.md shows.
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
LIB=$BIN/../lib/libpfs_mpiio.so
[[ -f $LIB ]] || fail "no $LIB"
mkfs --meta 1 --data 2
run_job --meta 1 --data 2 --compute 3 -- env LD_PRELOAD="$LIB" "$BIN/pfs-mpiio-preload-test"
[[ $RC -eq 0 ]] || fail "pfs-run exited $RC"
n=$(grep -c "^PRELOAD [0-9]* PASS" "$OUT")
[[ $n -eq 3 ]] || fail "expected 3 PASS lines, got $n"
# Control: without the preload the same program cannot open pfs: names (OMPIO has no such
# prefix); a plain job, since a PFS job needs its compute ranks to start through the runtime.
run_job --plain 1 -- "$BIN/pfs-mpiio-preload-test"
grep -q "PRELOAD [0-9]* FAIL" "$OUT" || fail "without LD_PRELOAD the pfs: open did not fail"
echo "PASS: preload (3 ranks) and the control run without it"
