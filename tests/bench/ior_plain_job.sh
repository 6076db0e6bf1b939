#!/usr/bin/env bash
# pfs-ior in a plain job (no PFS): POSIX and MPIIO (collective) on a local directory with IOR's
# output and CSV; -W/-R catch corruption (DUMMY drops all data; one word overwritten in a POSIX
# file); bad options exit 2 with one clear error line and run nothing.
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
D=$WORK/data
mkdir -p "$D"

run_job --plain 2 -- "$IOR" -a POSIX -b 1m -t 64k -s 2 -W -R -e -o "$D/posix" -O summaryFormat=CSV \
    -O summaryFile="$WORK/posix.csv"
expect_rc 0 "POSIX shared file"
check_output "POSIX output" "$OUT" --apis POSIX
check_output "POSIX CSV" "$WORK/posix.csv" --apis POSIX --csv
echo "PASS: POSIX shared file, text and CSV (${ELAPSED}s)"

run_job --plain 2 -- "$IOR" -a MPIIO -c -b 1m -t 256k -s 2 -W -R -Z -X 3 -o "$D/mpiio" \
    -O summaryFormat=JSON
expect_rc 0 "MPIIO collective"
sed -n '/^{/,/^}/p' "$OUT" > "$WORK/mpiio.json"
$VALIDATE "$WORK/mpiio.json" >> "$OUT" 2>&1 || fail "MPIIO JSON on stdout does not validate"
echo "PASS: MPIIO collective, JSON on stdout (${ELAPSED}s)"

run_job --plain 2 -- "$IOR" -a DUMMY -b 1m -t 256k -W -R -o "$D/dummy"
expect_rc 1 "DUMMY with -W -R"
expect_out "write check \(-W\) found 262144 wrong 8-byte words" "DUMMY -W"
expect_out "read check \(-R\) found 262144 wrong 8-byte words" "DUMMY -R"
echo "PASS: DUMMY drops data, -W and -R report every word (${ELAPSED}s)"

run_job --plain 2 -- "$IOR" -a POSIX -b 1m -t 256k -w -k -G 5 -F -o "$D/corrupt"
expect_rc 0 "POSIX write to corrupt"
printf 'XXXXXXXX' | dd of="$D/corrupt.00000001" bs=1 seek=$((300 * 1024)) conv=notrunc status=none
run_job --plain 2 -- "$IOR" -a POSIX -b 1m -t 256k -r -R -G 5 -F -o "$D/corrupt"
expect_rc 1 "POSIX read of a corrupted file"
expect_out "read check \(-R\) found 1 wrong 8-byte words" "one corrupted word"
expect_out "rank 1: read verify: 1 wrong 8-byte words .* first at offset 307200" "offset of the word"
echo "PASS: -R finds the one overwritten word and its offset (${ELAPSED}s)"

bad() {  # bad <expected stderr regex> <pfs-ior args...>
    local want=$1; shift
    run_job --plain 2 -- "$IOR" "$@"
    expect_rc 2 "pfs-ior $*"
    expect_out "^pfs-ior: error: .*$want" "pfs-ior $*"
    [[ $(grep -c '^pfs-ior: error:' "$OUT") -eq 1 ]] || fail "pfs-ior $*: not exactly one error line"
    ! grep -q "^Summary of all tests" "$OUT" || fail "pfs-ior $*: ran although the options are bad"
}
bad "unknown API" -a LUSTRE
bad "multiple of the transfer size" -b 3k -t 2k
bad "bad transfer size" -t 1q
bad "summaryFormat must be JSON or CSV" -O summaryFormat=XML
bad "unknown -O option" -O colour=1
bad "not expected: --bogus" --bogus
bad "-C and -Z exclude each other" -C -Z
bad "-R needs the read phase" -w -R
bad "NATIVE needs a PFS job" -a NATIVE
bad "is not a directory" --baseline "$WORK/missing"
bad "-D with -Y is not supported for MPIIO" -a MPIIO -D 1 -Y
echo "PASS: bad options exit 2 with one error line"
echo "PASS"
