#!/usr/bin/env bash
# Directory delegations (docs/pfs.md "Directory delegations"): a rank's creates, stats and
# unlinks in a directory it made are answered from its memory and sent in batches; the other
# ranks see exactly what it did once its calls returned (the metadata server recalls the
# directory first); its own change requests, another rank's create and a write give it back.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_case 3 writeback
