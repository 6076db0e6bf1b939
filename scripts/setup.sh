#!/usr/bin/env bash
# Installs the Debian packages the project needs (skipping what is installed), then configures
# and builds one CMake preset. Used by both README commands; safe to run any number of times.
#   scripts/setup.sh [PRESET]      PRESET: default (release), debug, asan-ubsan, tsan
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-default}

missing=()
while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done < "$here/scripts/packages.txt"

if ((${#missing[@]})); then
    echo "setup: installing ${#missing[*]} Debian packages: ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: installing packages needs root (run as root, or install: ${missing[*]})" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Package scripts must not start slurm or munge system services: the test harness runs its own.
    made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
    ((made_policy)) && rm -f /usr/sbin/policy-rc.d
fi

werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
cmake --preset "$preset" -S "$here" -DPFS_WERROR="$werror" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
echo "setup: built preset '$preset' in $here/build/$preset"
