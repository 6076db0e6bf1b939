#!/usr/bin/env bash
# Two fake nodes on one host (two ORTE daemons, tcp on loopback); a rank of the second node is
# SIGKILLed. Ranks under mpirun's daemon learn it by notice; mpirun itself may never exit (Open MPI
# 4.1.4), so pfs-run must end it once the job's status is written.
. "$(dirname "$0")/lib.sh"
run_job --plain 6 --fake-nodes 2 -- --victims 4 --expect-failed 4
check_agreement 4 5
