#!/usr/bin/env bash
# sessions_cli.sh: pfs-dmapi-sessions against a running job. The job's DM program (dm rank)
# holds two outstanding tokens on session "cli-test" until this script, having checked the
# CLI's table and JSON, says it is done; then the job must end with 0.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/../pfs/lib.sh"
mkfs --meta 1 --data 2
mkdir -p "$WORK/sync"
ln -s "$BIN/dmapi-rights-test" "$WORK/dmapi-rights-dm"
CLI=$BIN/pfs-dmapi-sessions
# Bad input first: a clear message and exit 2 / 1, no job needed.
"$CLI" --run-dir "$WORK/nope" > "$WORK/cli.txt" 2>&1
[[ $? -eq 2 ]] || { cat "$WORK/cli.txt"; echo "FAIL: missing run dir not exit 2"; exit 1; }
mkdir -p "$WORK/empty"
"$CLI" --run-dir "$WORK/empty" > "$WORK/cli.txt" 2>&1
[[ $? -eq 1 ]] || { cat "$WORK/cli.txt"; echo "FAIL: no status not exit 1"; exit 1; }
grep -q "no DMAPI status" "$WORK/cli.txt" || { echo "FAIL: no clear message"; exit 1; }

run_job --meta 1 --data 2 --dm 1 --dm-app "$WORK/dmapi-rights-dm" --compute 1 \
    -x "RIGHTS_CASE=cli" -x "RIGHTS_SYNC=$WORK/sync" -- "$BIN/dmapi-rights-test" &
JOB=$!
ok=0
for _ in $(seq 1 300); do  # the DM program holds its tokens; the status follows within 0.5 s
    if [[ -e $WORK/sync/cli-ready ]] &&
        "$CLI" --run-dir "$WORK/run-1" > "$WORK/cli.txt" 2>&1 &&
        grep -Eq "^[0-9]+ +cli-test +[0-9]+ +active +0 +0 +2 " "$WORK/cli.txt"; then
        ok=1
        break
    fi
    sleep 0.1
done
"$CLI" --run-dir "$WORK/run-1" --json > "$WORK/cli.json" 2>&1
touch "$WORK/sync/cli-done"
wait "$JOB"
RC=$?
cat "$WORK/cli.txt"
[[ $ok -eq 1 ]] || fail "the CLI never showed cli-test with 2 outstanding tokens"
tokens=$(grep "^RIGHTS-TEST cli dm tokens" "$OUT" | awk '{print $5","$6}')
grep -q "  $tokens\$\|  $tokens " "$WORK/cli.txt" || fail "tokens $tokens not listed"
python3 - "$WORK/cli.json" << 'PY' || fail "bad JSON from --json"
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["sessions"] if x["info"] == "cli-test"]
assert len(s) == 1 and s[0]["outstanding"] == 2 and len(s[0]["tokens"]) == 2, s
assert not s[0]["stale"], s
PY
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "^RIGHTS-TEST cli dm PASS" "$OUT" || fail "no PASS from the DM program"
echo "PASS: sessions CLI"
