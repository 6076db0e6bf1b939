#!/usr/bin/env bash
# The README test command: installs what is missing, builds, runs every test (unit, MPI
# integration, fault-injection and the real single-node Slurm tests) and exits non-zero on failure.
#   scripts/test.sh [PRESET] [extra ctest args, e.g. -L ft]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=default
if [[ $# -gt 0 && "$1" != -* ]]; then preset=$1; shift; fi
"$here/scripts/setup.sh" "$preset"
# Sanitizer presets: Open MPI's own allocations and the layer's deliberately abandoned buffers
# (an MPI request whose peer died may still write into them) are leaks by design.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:report_signal_unsafe=0:suppressions=$here/tests/tsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Sanitized ranks run 2-15x slower: a 500 ms heartbeat timeout then declares live ranks dead.
if [[ $preset == asan-ubsan || $preset == tsan ]]; then
    export PFS_FT_HEARTBEAT_TIMEOUT_MS=${PFS_FT_HEARTBEAT_TIMEOUT_MS:-5000}
fi
# Two cores: integration tests start several MPI ranks each, so they run one at a time.
cd "$here/build/$preset"
exec ctest --output-on-failure --no-tests=error -j1 "$@"
