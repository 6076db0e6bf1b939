#!/usr/bin/env bash
# A leaseholder that never answers recalls (pfs/client/src/attr_cache.cpp's test hook, on app
# rank 1 = world rank 4 after 1 meta + 2 data ranks): another rank's chmod still returns, once
# the holder's lease ran out (at most 1 s), and the holder then sees the new mode.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_case 2 attr_lease_silent_holder -x PFS_TEST_IGNORE_RECALLS=4
grep -q "pfs-client\[4\]: PFS_TEST_IGNORE_RECALLS" "$OUT" || fail "the hook did not take on rank 4"
grep "chmod returned after" "$OUT"
