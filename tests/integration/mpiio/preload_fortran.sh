#!/usr/bin/env bash
# Unmodified Fortran MPI-IO programs preloaded into a PFS job with 3 compute ranks beside 1 meta
# and 2 data ranks: one using `use mpi` (the mpif.h entry points), one using `use mpi_f08`.
# Their MPI_COMM_WORLD must be the three compute ranks, and their MPI_File calls on pfs: files
# must reach the driver (Open MPI's Fortran bindings call PMPI_File_* directly; without the
# driver's Fortran entry points the pfs: open fails). Each program reads back what the ranks
# wrote (explicit offsets, a view, nonblocking, split collective) and checks error classes.
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
LIB=$BIN/../lib/libpfs_mpiio.so
[[ -f $LIB ]] || fail "no $LIB"
mkfs --meta 1 --data 2
mkdir -p "$WORK/plain"
WATCHDOG=90 run_job --meta 1 --data 2 --compute 3 -- env LD_PRELOAD="$LIB" \
    "$BIN/pfs-mpiio-preload-fortran-test" 3 "$WORK/plain"
[[ $RC -eq 0 ]] || { cat "$OUT"; fail "use mpi: pfs-run exited $RC"; }
n=$(grep -c "^FORTRAN [0-9] PASS size=3$" "$OUT")
[[ $n -eq 3 ]] || { cat "$OUT"; fail "use mpi: expected 3 PASS lines with size=3, got $n"; }
[[ $(stat -c %s "$WORK/plain/fortran-plain.dat") -eq 12000 ]] || fail "plain file size"
echo "PASS: use mpi ($(grep -c PASS "$OUT") ranks)"

WATCHDOG=90 run_job --meta 1 --data 2 --compute 3 -- env LD_PRELOAD="$LIB" \
    "$BIN/pfs-mpiio-preload-fortran08-test" 3
[[ $RC -eq 0 ]] || { cat "$OUT"; fail "use mpi_f08: pfs-run exited $RC"; }
n=$(grep -c "^FORTRAN08 [0-9] PASS size=3$" "$OUT")
[[ $n -eq 3 ]] || { cat "$OUT"; fail "use mpi_f08: expected 3 PASS lines with size=3, got $n"; }
echo "PASS: use mpi_f08"
