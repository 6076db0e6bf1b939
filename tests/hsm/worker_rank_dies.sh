#!/usr/bin/env bash
# A recall worker rank dies (real SIGKILL) with a block in hand: three dm ranks, the two
# standbys' workers kill themselves when their second block arrives. The holder's threads for
# them see the failure, copy those blocks locally, and the readers get the right data from one
# recall. The job survives the two dm ranks' deaths.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
DM=3
hsm_job concurrent -x PFS_HSM_WORKER_FAIL_AT=2
expect_pass concurrent
[[ $(grep -c "worker fail point: block 2: SIGKILL" "$OUT") -ge 1 ]] || fail "no worker died"
grep -q "copying locally" "$OUT" || fail "the holder did not fall back to local copies"
grep -E "worker fail point|copying locally|recalled ino=|^HSM-TEST" "$OUT"
echo "PASS: worker_rank_dies (${ELAPSED}s)"
