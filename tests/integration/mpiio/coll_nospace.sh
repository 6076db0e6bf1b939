#!/usr/bin/env bash
# MPI-IO driver, case 'coll_nospace' of pfs-mpiio-test on 3 compute ranks, 1 MiB quota per data
# volume: one rank's part of a collective write does not fit. Independent access returns each
# rank's own outcome; two-phase gives every rank the agreed MPI_ERR_NO_SPACE.
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2 --quota-per-volume 1M
run_mpiio 3 coll_nospace
