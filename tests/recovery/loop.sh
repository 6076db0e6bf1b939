#!/usr/bin/env bash
# loop.sh [RUNS] [BIN_DIR]: randomized session-rank kills (not in CI). Each run draws a seed,
# a job size (4-7 ranks), thread counts, a kill moment and the share the dying DM application
# answers (tests/recovery/cases/random_session_kill.cpp); every run must pass: no synchronous
# event lost, none completed twice, every blocked source answered. Prints a summary line.
set -uo pipefail
RUNS=${1:-200}
export PFS_BIN_DIR=${2:-${PFS_BIN_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/default/bin}}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
here=$(dirname "$0")
pass=0 fail=0 pre=0 post=0 redeliv=0
for ((i = 1; i <= RUNS; i++)); do
    seed=$((RANDOM * 32768 + RANDOM))
    ranks=$((4 + RANDOM % 4))
    out=$(bash "$here/run_case.sh" random_session_kill "$ranks" -x "PFS_RECOVERY_SEED=$seed" 2>&1)
    if [[ $? -eq 0 ]]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "run $i seed=$seed ranks=$ranks FAILED"; echo "$out" | tail -30
    fi
    pre=$((pre + $(echo "$out" | sed -n 's/.*completions pre=\([0-9]*\).*/\1/p' | paste -sd+ - | bc 2>/dev/null || echo 0)))
    post=$((post + $(echo "$out" | sed -n 's/.*completions pre=[0-9]* post=\([0-9]*\).*/\1/p' | paste -sd+ - | bc 2>/dev/null || echo 0)))
    redeliv=$((redeliv + $(echo "$out" | sed -n 's/.*redelivered after its answer \([0-9]*\).*/\1/p' | head -1 | grep . || echo 0)))
done
echo "recovery loop: $pass/$RUNS passed, $fail failed; completions before the kill $pre, after $post; redelivered after an answer $redeliv"
[[ $fail -eq 0 ]]
