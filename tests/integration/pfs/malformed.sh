#!/usr/bin/env bash
# Malformed, truncated, oversized, misdirected and unknown requests sent raw through the
# transport each get an errno reply; a burst of 300 of them too; the servers keep serving.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_case 1 malformed
grep -q "aborting\|terminate\|Segmentation" "$OUT" && fail "a server complained"
echo "PASS"
