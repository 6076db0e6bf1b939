#!/usr/bin/env bash
# The client's direct path (pfs/client/src/direct_volumes.hpp): 3 ranks, each with a direct
# client and one through the data servers, write and read each other's bytes (striped,
# unaligned, sparse, truncated, one shared file); statfs counts the direct writes' allocation.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2 --stripe-size 64k
run_case 3 direct -x PFS_CLIENT_CHUNK_KIB=128
