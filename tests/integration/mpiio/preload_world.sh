#!/usr/bin/env bash
# An unmodified program that does everything on MPI_COMM_WORLD (as IOR does), preloaded into a
# PFS job with 3 compute ranks beside 1 meta and 2 data ranks: its MPI_COMM_WORLD is the three
# compute ranks, so its collectives, its collective pfs: open and writes, and a collective open
# of a plain file (Open MPI's MPI-IO) complete and verify instead of waiting for the servers.
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
LIB=$BIN/../lib/libpfs_mpiio.so
[[ -f $LIB ]] || fail "no $LIB"
mkfs --meta 1 --data 2
mkdir -p "$WORK/plain"
WATCHDOG=60 run_job --meta 1 --data 2 --compute 3 -- env LD_PRELOAD="$LIB" \
    "$BIN/pfs-mpiio-preload-world-test" 3 "$WORK/plain"
[[ $RC -eq 0 ]] || fail "pfs-run exited $RC (124: the program waited on the server ranks)"
n=$(grep -c "^WORLD [0-9] PASS size=3$" "$OUT")
[[ $n -eq 3 ]] || fail "expected 3 PASS lines with size=3, got $n"
[[ $(stat -c %s "$WORK/plain/world-plain.dat") -eq $((3 << 20)) ]] || fail "plain file size"
echo "PASS: MPI_COMM_WORLD of a preloaded program is its compute ranks"
