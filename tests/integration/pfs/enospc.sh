#!/usr/bin/env bash
# A 1 MiB quota per data volume: a large write and a filling series of writes fail with ENOSPC
# (not EIO), the written part stays intact, and unlinking gives the space back.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2 --quota-per-volume 1M
run_case 1 enospc
