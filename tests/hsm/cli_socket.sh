#!/usr/bin/env bash
# The pfs-hsm CLI outside the job reaches the daemon through <run dir>/hsm/hsm.sock (0700 dir,
# 0600 socket): --dry-run changes nothing; migrate of two files with a summary; state prints
# lfs-hsm_state-like lines; a bad command and a missing file give clear errors (exit 2 / 1).
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
RUN=$WORK/run-1
HSM=$BIN/pfs-hsm
hsm_job cli &
JOB=$!
for _ in $(seq 600); do [[ -e $RUN/ready ]] && break; sleep 0.1; done
[[ -e $RUN/ready ]] || { wait $JOB; fail "the job never got ready"; }
[[ $(stat -c %a "$RUN/hsm") == 700 ]] || fail "socket dir is not 0700"
[[ $(stat -c %a "$RUN/hsm/hsm.sock") == 600 ]] || fail "socket is not 0600"
"$HSM" --run-dir "$RUN" migrate --dry-run /cli/a /cli/b > "$WORK/dry.txt" 2>&1 || fail "dry run failed: $(cat "$WORK/dry.txt")"
grep -q "would migrate" "$WORK/dry.txt" || fail "dry run said: $(cat "$WORK/dry.txt")"
"$HSM" --run-dir "$RUN" state /cli/a > "$WORK/s0.txt" 2>&1
grep -q "^/cli/a: (0x00000000), state:resident" "$WORK/s0.txt" || fail "dry run changed the state: $(cat "$WORK/s0.txt")"
"$HSM" --run-dir "$RUN" migrate /cli/a /cli/b > "$WORK/mig.txt" 2>&1 || fail "migrate failed: $(cat "$WORK/mig.txt")"
grep -q "pfs-hsm: migrate ok=2 failed=0 bytes=7340032" "$WORK/mig.txt" || fail "no summary: $(cat "$WORK/mig.txt")"
"$HSM" --run-dir "$RUN" state /cli/a /cli/b > "$WORK/st.txt" 2>&1 || fail "state failed"
[[ $(grep -c "(0x0000000d) released exists archived, state:migrated" "$WORK/st.txt") -eq 2 ]] || fail "state: $(cat "$WORK/st.txt")"
"$HSM" --run-dir "$RUN" fly /cli/a > "$WORK/bad.txt" 2>&1; [[ $? -eq 2 ]] || fail "bad command did not exit 2"
grep -q "unknown command 'fly'" "$WORK/bad.txt" || fail "bad command: $(cat "$WORK/bad.txt")"
"$HSM" --run-dir "$RUN" archive /cli/nothere > "$WORK/nf.txt" 2>&1; [[ $? -eq 1 ]] || fail "missing file did not exit 1"
grep -q "no such PFS file" "$WORK/nf.txt" || fail "missing file: $(cat "$WORK/nf.txt")"
touch "$RUN/go"
wait $JOB
RC=$?  # read by expect_pass (lib.sh)
export RC
expect_pass cli
cat "$WORK/mig.txt" "$WORK/st.txt" "$WORK/nf.txt"
echo "PASS: cli_socket"
