#!/usr/bin/env bash
# Four threads read one migrated 24 MiB file at once: every one gets the right data and the
# daemon recalls the file once.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
hsm_job concurrent
expect_pass concurrent
ino=$(sed -n 's/^HSM-TEST concurrent ino \([0-9]*\)$/\1/p' "$OUT")
[[ -n $ino ]] || fail "no inode number"
n=$(grep -c "recalled ino=$ino " "$OUT")
[[ $n -eq 1 ]] || fail "$n recalls of one file, want 1"
echo "PASS: concurrent_readers, one recall (${ELAPSED}s)"
