#!/usr/bin/env bash
# 4 compute ranks write interleaved, unaligned regions of one shared file (odd ranks backwards,
# so size extensions race), create names in one directory, then each verifies all of it.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2 --stripe-size 64k
run_case 4 concurrent
