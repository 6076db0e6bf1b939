#!/usr/bin/env bash
# A corrupt archive copy (one byte changed) and a missing one: the read fails with EIO, never
# returns bad data; the file is marked lost and holds none of the bad copy's bytes.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
hsm_job corrupt
expect_pass corrupt
grep -q "xxh3 mismatch" "$OUT" || fail "no checksum failure logged"
echo "PASS: corrupt_archive (${ELAPSED}s)"
