#!/usr/bin/env bash
# Exactly-once metadata operations across a meta rank's death: the meta rank (world rank 0)
# SIGKILLs itself right after committing a namespace change and before answering it
# (PFS_META_FAIL_LOC die_after_commit), once for each kind of change given (default: unlink
# and create, the ones that would report ENOENT / EEXIST). The client retries the same request
# at the adopter (data rank 1), which must answer it from the reply cache: the compute ranks
# treat any error as fatal, so the job only passes if the retried change succeeds.
. "$(dirname "$0")/adoption_lib.sh"
for op in ${META_DIE_OPS:-unlink create}; do
    root=$ROOT/$op
    "$BIN/pfs-mkfs" --root "$root" --meta 1 --data 2 > "$OUT" 2>&1 || fail "pfs-mkfs"
    # The 12th commit of $op: a few rounds in, both compute ranks busy.
    timeout -k 10 150 "$BIN/pfs-run" --oversubscribe --root "$root" --run-dir "$WORK/run-$op" \
        -x "PFS_META_FAIL_LOC=die_after_commit:$op:12@0" --meta 1 --data 2 --compute 2 -- \
        "$BIN/pfs-adoption-app" --case namespace --warmup 2 --after 5 > "$OUT" 2>&1
    RC=$?
    grep -q "FAIL_LOC die_after_commit $op" "$OUT" || fail "$op: the fault-injection point did not fire"
    [[ $RC -eq 0 ]] || fail "$op: job exited $RC, want 0"
    grep -q "pfs-server\[1\]: adopted the metadata volume " "$OUT" || fail "$op: rank 1 did not adopt meta-0"
    [[ $(grep -c "^PFS-ADOPT namespace rank [01] PASS" "$OUT") -eq 2 ]] || fail "$op: a compute rank did not pass"
    grep -E "^PFS-ADOPT|FAIL_LOC|adopted" "$OUT"
done
echo "PASS: changes committed by a meta rank that died before answering were retried exactly once"
