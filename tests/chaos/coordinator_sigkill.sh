#!/usr/bin/env bash
# Rank 0 is the agreement coordinator and the job leader: killing it moves both to rank 1.
. "$(dirname "$0")/lib.sh"
run_job --plain 5 -- --victims 0 --expect-failed 0
check_agreement 0 4
