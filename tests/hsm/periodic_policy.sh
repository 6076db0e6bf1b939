#!/usr/bin/env bash
# The policy file's candidate rules and the periodic trigger: scan_interval = 1s archives
# (premigrates) the files under /per/ of at least 1 KiB that are not *.tmp, and nothing else.
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
CONF=$WORK/hsm.conf
printf 'scan_interval = 1s\ninclude = /per/*\nexclude = *.tmp\nmin_size = 1k\nmax_bytes_per_sec = 64M\n' > "$CONF"
hsm_job periodic -x PFS_HSM_CONFIG="$CONF"
expect_pass periodic
grep -q "periodic policy run: 2 candidates, [12] archived" "$OUT" || fail "no periodic run archived the candidates"
grep -E "periodic policy run|^HSM-TEST" "$OUT" | head -5
echo "PASS: periodic_policy (${ELAPSED}s)"
