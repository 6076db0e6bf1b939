#!/usr/bin/env bash
# pfs-ior in a PFS job (1 meta, 2 data, 2 compute ranks): NATIVE with its same-run POSIX and
# MPIIO baselines (-F, -C, -e, -W, -R), shared file, the metadata mode; the summary parses, the
# JSON validates against the schema, verification is clean; a read with the wrong pattern
# signature (-G) is caught (exit 1).
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
mkdir -p "$WORK/base"
PFS=(--meta 1 --data 2 --compute 2)

run_job "${PFS[@]}" -- "$IOR" -a NATIVE -b 2m -t 512k -s 2 -F -C -e -W -R -i 2 -o /ior/fpp \
    --baseline "$WORK/base" -O summaryFile="$WORK/fpp.json"
expect_rc 0 "NATIVE -F with baselines"
check_output "NATIVE -F output" "$OUT" --apis NATIVE,POSIX,MPIIO --ratios
$VALIDATE "$WORK/fpp.json" >> "$OUT" 2>&1 || fail "NATIVE -F JSON does not validate"
python3 - "$WORK/fpp.json" << 'PY' || fail "NATIVE -F JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["job"]["tasks"] == 2, d["job"]
assert [t["api"] for t in d["tests"]] == ["NATIVE", "POSIX", "MPIIO"]
for t in d["tests"]:
    assert len(t["results"]) == 4, t  # 2 iterations x write, read
    for r in t["results"]:
        assert r["verify_errors"] == 0 and r["bytes"] == 2 * 2 * (2 << 20), r
names = {(r["name"], r["measured_label"]) for r in d["ratios"]}
assert ("write bw_mib_s", "NATIVE") in names and ("read bw_mib_s", "MPIIO") in names, names
PY
echo "PASS: NATIVE -F with POSIX/MPIIO baselines (${ELAPSED}s)"

run_job "${PFS[@]}" -- "$IOR" -a NATIVE -b 1m -t 256k -s 3 -W -R -g -o /ior/shared -q
expect_rc 0 "NATIVE shared file"
check_output "NATIVE shared output" "$OUT" --apis NATIVE
echo "PASS: NATIVE shared file (${ELAPSED}s)"

run_job "${PFS[@]}" -- "$IOR" --mdtest -a NATIVE -n 50 -u -o /md --baseline "$WORK/base" \
    -O summaryFile="$WORK/md.json"
expect_rc 0 "NATIVE --mdtest"
check_output "--mdtest output" "$OUT" --apis NATIVE,POSIX --md
$VALIDATE "$WORK/md.json" >> "$OUT" 2>&1 || fail "--mdtest JSON does not validate"
python3 -c "
import json, sys
d = json.load(open('$WORK/md.json'))
assert [r['name'] for r in d['ratios']] == ['file_create rate', 'file_stat rate', 'file_remove rate'], d['ratios']
assert all(r['ratio'] > 0 for r in d['ratios'])
" || fail "--mdtest JSON content"
echo "PASS: --mdtest NATIVE vs POSIX (${ELAPSED}s)"

run_job "${PFS[@]}" -- "$IOR" -a NATIVE -b 1m -t 256k -w -k -G 11 -o /ior/sig
expect_rc 0 "write with -G 11"
run_job "${PFS[@]}" -- "$IOR" -a NATIVE -b 1m -t 256k -r -R -G 11 -o /ior/sig -k
expect_rc 0 "read with the same -G"
run_job "${PFS[@]}" -- "$IOR" -a NATIVE -b 1m -t 256k -r -R -G 12 -o /ior/sig
expect_rc 1 "read with a different -G"
expect_out "read check \(-R\) found [1-9][0-9]* wrong 8-byte words" "wrong -G"
echo "PASS: -R catches data of another signature (${ELAPSED}s)"
echo "PASS"
