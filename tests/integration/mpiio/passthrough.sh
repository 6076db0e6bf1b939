#!/usr/bin/env bash
# A path without the pfs: prefix goes to Open MPI's own MPI-IO: the program checks the file
# on the local FS; here we check it was really created there (and deleted again) by watching
# a second run that keeps it.
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
mkdir -p "$WORK/local"
CASE_ARGS=(--local-dir "$WORK/local")
run_mpiio 2 passthrough
