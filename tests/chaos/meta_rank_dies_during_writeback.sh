#!/usr/bin/env bash
# Directory delegations across a meta rank's death: app rank 1 creates and unlinks in a
# directory it holds (docs/pfs.md "Directory delegations"); the meta rank (world rank 0)
# SIGKILLs itself right after committing the holder's second batch and before answering it
# (PFS_META_FAIL_LOC die_after_commit). The holder sends the batch again to the adopter (data
# rank 1), which knows the delegation from the store and answers the batch as one it already
# has; the holder goes on, and app rank 0 then finds exactly the names the holder left.
. "$(dirname "$0")/adoption_lib.sh"
"$BIN/pfs-mkfs" --root "$ROOT" --meta 1 --data 2 > "$OUT" 2>&1 || fail "pfs-mkfs"
timeout -k 10 150 "$BIN/pfs-run" --oversubscribe --root "$ROOT" --run-dir "$WORK/run" \
    -x "PFS_META_FAIL_LOC=die_after_commit:writeback:2@0" --meta 1 --data 2 --compute 2 -- \
    "$BIN/pfs-client-test" --case writeback_meta_dies > "$OUT" 2>&1
RC=$?
grep -q "FAIL_LOC die_after_commit writeback" "$OUT" || fail "the fault-injection point did not fire"
[[ $RC -eq 0 ]] || fail "job exited $RC, want 0"
grep -q "pfs-server\[1\]: adopted the metadata volume " "$OUT" || fail "rank 1 did not adopt meta-0"
grep -q "^PFS-TEST writeback_meta_dies PASS" "$OUT" || fail "no PASS line"
grep -E "^PFS-TEST|FAIL_LOC|adopted" "$OUT"
echo "PASS: a write-back batch committed by a meta rank that died before answering was applied once"
