#!/usr/bin/env bash
# Data volume use above the high watermark (75% of a 16 MiB quota > 60%): the daemon's policy
# loop migrates least recently used files until use is at or below the low watermark (30%).
# shellcheck source=tests/hsm/lib.sh
. "$(dirname "$0")/lib.sh"
DATA=1
mkfs --meta 1 --data 1 --quota-per-volume 16M
CONF=$WORK/hsm.conf
printf 'high_watermark = 60\nlow_watermark = 30\n' > "$CONF"
hsm_job watermark -x PFS_HSM_CONFIG="$CONF"
expect_pass watermark
grep -q "watermark: fullest volume" "$OUT" || fail "no watermark trigger"
grep -E "watermark|^HSM-TEST" "$OUT"
echo "PASS: watermark (${ELAPSED}s)"
