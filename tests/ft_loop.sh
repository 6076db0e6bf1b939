#!/usr/bin/env bash
# Runs every FT scenario test N times in a row (default 20) and stops at the first failure.
# Not part of CI: an acceptance check that the scenarios are not flaky.
#   tests/ft_loop.sh [N] [PRESET]
set -uo pipefail
n=${1:-20}; preset=${2:-default}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here/build/$preset" || { echo "build $preset first (scripts/setup.sh $preset)"; exit 1; }
for i in $(seq 1 "$n"); do
    if ! ctest -L chaos --output-on-failure > "/tmp/ft_loop.$i.log" 2>&1; then
        echo "ft_loop: iteration $i FAILED (log /tmp/ft_loop.$i.log)"; grep -E "Failed|FAIL" "/tmp/ft_loop.$i.log"; exit 1
    fi
    echo "ft_loop: iteration $i/$n passed ($(grep -o 'Total Test time (real) = *[0-9.]* sec' "/tmp/ft_loop.$i.log"))"
done
echo "ft_loop: all $n iterations passed"
