#!/usr/bin/env bash
# Two ranks are SIGKILLed at the same moment, one of them the coordinator.
. "$(dirname "$0")/lib.sh"
run_job --plain 6 -- --victims 0,3 --expect-failed 0,3
check_agreement 0,3 4
