#!/usr/bin/env bash
# MPI-IO driver, case 'errors' of pfs-mpiio-test on 4 compute ranks (1 meta, 2 data ranks).
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_mpiio 4 errors
