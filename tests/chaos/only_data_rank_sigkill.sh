#!/usr/bin/env bash
# The only data rank is SIGKILLed (--meta 1 --data 1): no live data rank can adopt its volume,
# so the PFS is gone and the job must end with code 137 (not hang, not report success).
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 1 > "$OUT" 2>&1 || fail "pfs-mkfs"
run_with_kill 1 2 --meta 1 --data 1 -- --case io
[[ $RC -eq 137 ]] || fail "job exited $RC, want 137"
grep -q "adopted" "$OUT" && fail "a rank claims to have adopted a volume"
grep -q "^failed_ranks=1\$" "$WORK/run/status" || fail "status: $(cat "$WORK/run/status")"
echo "PASS: the only data rank died: no adopter, the job ended with 137"
