#!/usr/bin/env bash
# MPI-IO driver, case 'datarep' of pfs-mpiio-test (the external32 representation) on 3 compute
# ranks (1 meta, 2 data ranks).
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_mpiio 3 datarep
