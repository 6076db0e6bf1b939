#!/usr/bin/env bash
# A worker rank (not the coordinator) is SIGKILLed: the others detect, agree, shrink, continue.
. "$(dirname "$0")/lib.sh"
run_job --plain 5 -- --victims 2 --expect-failed 2
check_agreement 2 4
