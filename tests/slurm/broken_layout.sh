#!/usr/bin/env bash
# A healthcheck job with a broken layout (no data rank) must fail with a non-zero exit code
# and pfs-run's one-line usage error in its output.
source "$(dirname "$0")/lib.sh"
submit broken env PFS_DATA=0
[[ $RC != 0 ]] && pass "broken layout job exit $RC" || fail "broken layout job exited 0"
[[ $RC == 2 ]] || fail "want pfs-run's usage code 2, got $RC"
grep -q 'pfs-run: error' "$OUT" && pass "output has 'pfs-run: error'" || fail "no 'pfs-run: error' in output"
json_ok "$JSON" 2 && pass "result JSON records exit 2" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
finish
