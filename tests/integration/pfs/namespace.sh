#!/usr/bin/env bash
# Every namespace operation of the native client and its errno cases, against real servers.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_case 1 namespace
