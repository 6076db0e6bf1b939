#!/usr/bin/env bash
# MPI-IO driver, case 'nonblocking_collective' of pfs-mpiio-test on 4 compute ranks (1 meta,
# 2 data ranks): i*_all calls return before the collective is done. A hang (the program's own
# 30 s per-step watchdog, then this job's) fails the test.
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
WATCHDOG=120 run_mpiio 4 nonblocking_collective
