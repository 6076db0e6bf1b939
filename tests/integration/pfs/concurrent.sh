#!/usr/bin/env bash
# 4 compute ranks write interleaved, unaligned regions of one shared file (odd ranks backwards,
# so size extensions race), create names in one directory, then each verifies all of it. Twice:
# through the direct path (the default), then through the data servers.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2 --stripe-size 64k
run_case 4 concurrent
rm -rf "$ROOT"
mkfs --meta 1 --data 2 --stripe-size 64k
run_case 4 concurrent -x PFS_CLIENT_DIRECT_IO=0
