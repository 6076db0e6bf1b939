#!/usr/bin/env bash
# MPI-IO driver, case 'atomic' of pfs-mpiio-test on 4 compute ranks (1 meta, 2 data ranks):
# atomic mode's byte-range locks. The probe lines (non-atomic mixing, the cost ratio) are
# printed for the log; only the atomic results are asserted.
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_mpiio 4 atomic
grep -E "^ATOMIC-(PROBE|COST)" "$OUT"
# A lock that is never released: the waiters fail with MPI_ERR_IO at the client deadline.
PFS_CLIENT_TIMEOUT_MS=4000 run_mpiio 3 atomic_timeout
grep -E "^ATOMIC-TIMEOUT" "$OUT"
