#!/usr/bin/env bash
# pfs-hsm as a compute rank's program: the command goes to the daemon as a synchronous DMAPI
# user message. "stats" succeeds (exit 0); "migrate /nothere" fails with the daemon's errno
# (exit 1, "No such file or directory"); the daemon logs the per-file lines.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
run_job --mkfs --meta 1 --data 1 --dm 2 --dm-app "$BIN/pfs-hsm" --compute 1 -- "$BIN/pfs-hsm" stats
[[ $RC -eq 0 ]] || fail "stats: job exited $RC"
grep -q "^pfs-hsm: stats done" "$OUT" || fail "no stats answer"
grep -q "HSM [0-9]*: stats archives=0" "$OUT" || fail "the daemon did not run stats"
run_job --mkfs --meta 1 --data 1 --dm 2 --dm-app "$BIN/pfs-hsm" --compute 1 -- "$BIN/pfs-hsm" migrate /nothere
[[ $RC -eq 1 ]] || fail "migrate of a missing file: job exited $RC, want 1"
grep -q "^pfs-hsm: migrate: No such file or directory" "$OUT" || fail "no errno from the daemon"
echo "PASS: in_job_cli"
