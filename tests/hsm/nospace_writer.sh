#!/usr/bin/env bash
# One data volume with an 8 MiB quota holding two 3 MiB files; a 4 MiB write hits ENOSPC, the
# NOSPACE event blocks it while the HSM migrates the least recently used file, the HSM answers
# continue and the retried write succeeds.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
DATA=1
mkfs --meta 1 --data 1 --quota-per-volume 8M
hsm_job nospace
expect_pass nospace
grep -q "nospace: released /old1" "$OUT" || fail "the HSM did not free space on NOSPACE"
grep -E "nospace|^HSM-TEST" "$OUT"
echo "PASS: nospace_writer (${ELAPSED}s)"
