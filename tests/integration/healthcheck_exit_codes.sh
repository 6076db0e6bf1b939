#!/usr/bin/env bash
# Every role starts, round trips between roles work, and the job's exit code is the
# application's: 0, and 3 when compute rank 0 exits 3 (mpirun itself always says 0).
. "$(dirname "$0")/lib.sh"
run_hc --meta 1 --data 2 --dm 1 --compute 2 --
[[ $RC -eq 0 ]] || fail "exit $RC, want 0"
grep -q "layout meta:1,data:2,dm:1,compute:2 (6 ranks" "$OUT" || fail "no layout line"
grep -q "round trips OK, 0 failed" "$OUT" || fail "health check round trips failed"
[[ $(head -1 "$WORK/run/status") == 0 ]] || fail "status file does not say 0"
# --mkfs formatted the root with the job's layout; the second job below reuses it as it is.
[[ -s $WORK/root/superblock.json ]] || fail "pfs-run --mkfs did not format the root"
sb_before=$(md5sum < "$WORK/root/superblock.json")
run_hc --meta 1 --data 2 --dm 1 --compute 2 -- --exit-code 3
[[ $RC -eq 3 ]] || fail "exit $RC, want 3"
grep -q "compute rank 4 exited with code 3" "$OUT" || fail "no reason for code 3"
[[ $(md5sum < "$WORK/root/superblock.json") == "$sb_before" ]] || fail "--mkfs reformatted an existing file system"
echo "PASS"
