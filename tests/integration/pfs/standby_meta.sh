#!/usr/bin/env bash
# Two meta ranks and one data rank: meta rank 0 serves, meta rank 1 stands by (health checks
# only, EOPNOTSUPP to PFS requests); namespace and raw-request cases pass on this layout.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 2 --data 1
export SERVERS="--meta 2 --data 1"
run_case 1 namespace
run_case 1 malformed
