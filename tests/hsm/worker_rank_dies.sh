#!/usr/bin/env bash
# A recall worker rank dies (real SIGKILL) with a block in hand: three dm ranks, the two
# standbys' workers kill themselves when their first block arrives. The holder's threads for
# them see the failure, copy those blocks locally, and the readers get the right data from one
# recall. The job survives the two dm ranks' deaths.
# Blocks are shared out by work stealing, so a worker's second block depends on how fast the
# holder's own threads are (CI once saw each worker get one block only): the first block is
# the one every driver thread takes, and one local thread (recall_threads = 1) leaves the
# workers most of the rest.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
DM=3
CONF=$WORK/hsm.conf
printf 'recall_threads = 1\n' > "$CONF"
hsm_job concurrent -x PFS_HSM_WORKER_FAIL_AT=1 -x PFS_HSM_CONFIG="$CONF"
expect_pass concurrent
[[ $(grep -c "worker fail point: block 1: SIGKILL" "$OUT") -ge 1 ]] || fail "no worker died"
grep -q "copying locally" "$OUT" || fail "the holder did not fall back to local copies"
grep -E "worker fail point|copying locally|recalled ino=|^HSM-TEST" "$OUT"
echo "PASS: worker_rank_dies (${ELAPSED}s)"
