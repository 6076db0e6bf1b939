#!/usr/bin/env bash
# A 1 MiB quota per data volume: a large write and a filling series of writes fail with ENOSPC
# (not EIO), the written part stays intact, and unlinking gives the space back.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2 --quota-per-volume 1M
run_case 1 enospc
# Again with every object removal held 300 ms at the server: unlink does not wait for it, so
# the write that follows meets the full volume; the client collects its removals and tries the
# write once more, which succeeds.
rm -rf "$ROOT"
mkfs --meta 1 --data 2 --quota-per-volume 1M
run_case 1 enospc -x PFS_SERVER_DELAY_MS=remove_req:300
