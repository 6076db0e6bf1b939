#!/usr/bin/env bash
# Every data server's fsync takes 3 s (PFS_SERVER_DELAY_MS: a slow disk, the servers alive and
# answering), far past the client's 1 s request deadline. The client asks the servers whether
# they are still working on its fsync (call_status), is told yes, and waits: the check verifies
# and the job exits 0. Under a 2 s hard bound (PFS_CLIENT_HARD_TIMEOUT_MS) the same fsync fails
# with EIO, cleanly and in bounded time. A malformed PFS_SERVER_DELAY_MS stops the job with 2.
# (A hung server, which cannot answer, still times out at the deadline: data_rank_sigstop.)
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/../integration/pfs/lib.sh"
SLOW=(-x PFS_SERVER_DELAY_MS=fsync_req:3000 -x PFS_CLIENT_TIMEOUT_MS=1000 -x PFS_CALL_PROBE_MS=500)
mkfs --meta 1 --data 2
run_job --meta 1 --data 2 --compute 2 "${SLOW[@]}" -- \
    "$BIN/pfs-iocheck" --mib 4 --xfer 256k --baseline-dir "$WORK"
[[ $RC -eq 0 ]] || fail "a slow but live server failed the fsync (job exited $RC, want 0)"
grep -q "pfs-iocheck: verify OK" "$OUT" || fail "no verify OK"
(($(echo "$ELAPSED >= 3" | bc))) || fail "the job took ${ELAPSED}s: the 3 s fsync delay was not applied"
echo "slow fsync waited for: job ${ELAPSED}s"

run_job --meta 1 --data 2 --compute 2 "${SLOW[@]}" -x PFS_CLIENT_HARD_TIMEOUT_MS=2000 -- \
    "$BIN/pfs-iocheck" --mib 4 --xfer 256k --baseline-dir "$WORK"
[[ $RC -ne 0 ]] || fail "the fsync outlasted PFS_CLIENT_HARD_TIMEOUT_MS and still succeeded"
grep -q "fsync: Input/output error" "$OUT" || fail "no fsync EIO past the hard bound"
(($(echo "$ELAPSED < 60" | bc))) || fail "the hard bound did not bound the wait (${ELAPSED}s)"
echo "past the hard bound: fsync EIO, job exited $RC after ${ELAPSED}s"

run_job --meta 1 --data 2 --compute 2 -x PFS_SERVER_DELAY_MS=fsync:oops -- "$BIN/pfs-iocheck" --mib 1
[[ $RC -eq 2 ]] || fail "a malformed PFS_SERVER_DELAY_MS gave exit $RC, want 2"
grep -q "PFS_SERVER_DELAY_MS: 'fsync' is not\|PFS_SERVER_DELAY_MS: 'oops'" "$OUT" ||
    fail "no clear message for the malformed PFS_SERVER_DELAY_MS"
echo "PASS: a slow server is waited for while it says it is working, up to the hard bound"
