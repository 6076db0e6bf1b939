#!/usr/bin/env bash
# Recall workers on other ranks: three dm ranks run pfs-hsm (one holds the session, two stand by
# and serve recall blocks on their worker sessions). A read of a migrated 24 MiB file is
# recalled with blocks copied by the other ranks (dm_write_invis there), each verified against
# its sum; the data is right and the file is recalled once.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
DM=3
hsm_job concurrent
expect_pass concurrent
line=$(grep "recalled ino=" "$OUT")
n=$(sed -n 's/.*; \([0-9]*\) blocks by workers on other ranks/\1/p' <<< "$line")
[[ -n $n && $n -gt 0 ]] || fail "no block was recalled by another rank: $line"
echo "$line"
echo "PASS: remote_workers, $n of 24 blocks by other ranks (${ELAPSED}s)"
