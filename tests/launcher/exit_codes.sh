#!/usr/bin/env bash
# pfs-run end to end: the job's exit code is passed through (mpirun --enable-recovery itself
# always exits 0), failed ranks are reported, a job without status gives 1, --plain and
# --dry-run build the right MPMD line, --fake-nodes runs over two (fake) daemons.
source "$(dirname "$0")/lib.sh"

# 1. PFS layout, code 0, explicit run dir; role order = MPMD block order (MPI_APPNUM).
run_pfs "$WORK/o1" "$WORK/e1" --meta 1 --data 2 --dm 1 --compute 2 "${ROLES[@]}" \
    --run-dir "$WORK/rd1" -- "$FAKE_JOB" --exit-code 0
if [[ $RC == 0 ]]; then pass "exit 0 passed through"; else fail "exit 0: rc=$RC"; cat "$WORK/e1"; fi
[[ "$(head -1 "$WORK/rd1/status" 2>/dev/null)" == 0 ]] && pass "status file in --run-dir" \
    || fail "no status file in $WORK/rd1"
[[ $(grep -c 'layout meta:1,data:2,dm:1,compute:2 ft auto' "$WORK/o1") == 6 ]] \
    && pass "6 ranks got PFS_LAYOUT and PFS_FT_BACKEND" || { fail "layout env"; cat "$WORK/o1"; }
for spec in "0 0 0" "1 1 0" "2 1 0" "3 2 0" "4 3 2" "5 3 2"; do
    read -r r app args <<<"$spec"
    grep -q "rank $r of 6 appnum $app args $args " "$WORK/o1" || fail "rank $r: want appnum $app args $args"
done
pass "world ranks follow role order meta, data, dm, compute"

# 2. code 3 with a failed rank listed.
run_pfs "$WORK/o2" "$WORK/e2" --meta 1 --data 1 --compute 2 "${ROLES[@]}" -- \
    "$FAKE_JOB" --exit-code 3 --fail-rank 3 --reason "compute rank 3 failed"
[[ $RC == 3 ]] && pass "exit 3 passed through" || fail "exit 3: rc=$RC"
grep -qx 'pfs-run: rank 3 (compute) failed' "$WORK/e2" && pass "failed rank reported" \
    || { fail "failed rank line missing"; cat "$WORK/e2"; }
grep -q 'pfs-run: job exited with code 3: compute rank 3 failed' "$WORK/e2" \
    && pass "reason reported" || fail "reason line missing"

# 3. --plain: one block, N ranks, code passthrough.
run_pfs "$WORK/o3" "$WORK/e3" --plain 3 -- "$FAKE_JOB" --exit-code 3
[[ $RC == 3 && $(grep -c 'layout plain:3' "$WORK/o3") == 3 ]] && pass "--plain 3 exit 3" \
    || { fail "--plain: rc=$RC"; cat "$WORK/o3" "$WORK/e3"; }
[[ -d "$PFS_ROOT/run" ]] && pass "default run dir under \$PFS_ROOT/run" || fail "no $PFS_ROOT/run"

# 4. no status file -> 1.
run_pfs "$WORK/o4" "$WORK/e4" --plain 2 -- "$FAKE_JOB" --no-status
[[ $RC == 1 ]] && pass "no status -> 1" || fail "no status: rc=$RC"
grep -q 'pfs-run: error: mpirun exited (status 0) but the job wrote no status file' "$WORK/e4" \
    || { fail "no-status message"; cat "$WORK/e4"; }

# 5. --dry-run: the MPMD line, nothing started or created.
run_pfs "$WORK/o5" "$WORK/e5" --meta 2 --data 3 --dm 1 --compute 4 "${ROLES[@]}" \
    --root "$WORK/dry-root" --dry-run -- "$FAKE_JOB" --exit-code 9
line=$(cat "$WORK/o5")
want="-np 2 $FAKE_JOB : -np 3 $FAKE_JOB : -np 1 $FAKE_JOB : -np 4 $FAKE_JOB --exit-code 9"
if [[ $RC == 0 && "$line" == "mpirun --enable-recovery "* && "$line" == *"$want" ]]; then
    pass "--dry-run MPMD line"
else
    fail "--dry-run: rc=$RC line=$line"
fi
[[ "$line" == *"-x PFS_LAYOUT -x PFS_ROOT -x PFS_RUN_DIR -x PFS_STATUS_FILE -x PFS_FT_BACKEND"* ]] \
    || fail "--dry-run: env exports missing"
[[ $EUID != 0 || "$line" == *"--allow-run-as-root"* ]] || fail "root without --allow-run-as-root"
[[ -e "$WORK/dry-root" ]] && fail "--dry-run created the root dir"
run_pfs "$WORK/o6" "$WORK/e6" --plain 5 --dry-run -- "$FAKE_JOB"
[[ $RC == 0 && "$(cat "$WORK/o6")" == *" -np 5 $FAKE_JOB" && "$(cat "$WORK/o6")" != *" : "* ]] \
    && pass "--dry-run --plain: one block" || fail "--dry-run --plain: $(cat "$WORK/o6")"

# 6. --fake-nodes 2: a second daemon started through fakessh.sh, tcp only.
run_pfs "$WORK/o7" "$WORK/e7" --plain 4 --fake-nodes 2 --verbose -- "$FAKE_JOB" --exit-code 4
[[ $RC == 4 && $(grep -c 'layout plain:4' "$WORK/o7") == 4 ]] && pass "--fake-nodes 2 exit 4" \
    || { fail "--fake-nodes: rc=$RC"; cat "$WORK/o7" "$WORK/e7"; }
grep -q 'plm_rsh_agent .*/fakessh.sh -host localhost:2,127.0.0.2:2' "$WORK/e7" || fail "fake-nodes line"

# 7. a rank is SIGKILLed: mpirun --enable-recovery exits 0, pfs-run reports the job's code.
run_pfs "$WORK/o8" "$WORK/e8" --plain 3 -- "$FAKE_JOB" --kill-rank 1 --exit-code 137 \
    --fail-rank 1 --reason "compute rank 1 failed"
[[ $RC == 137 ]] && pass "rank death: job code 137 (mpirun itself exits 0)" \
    || { fail "rank death: rc=$RC"; cat "$WORK/e8"; }
grep -qx 'pfs-run: rank 1 (compute) failed' "$WORK/e8" || fail "rank death: no failed-rank line"

finish
