#!/usr/bin/env bash
# pfs-mkfs CLI: creates the layout, refuses an existing file system without --force, wipes only
# its own volumes with --force, and rejects bad input with one "pfs-mkfs: error:" line and exit 2.
set -euo pipefail

MKFS="${PFS_BIN_DIR:?PFS_BIN_DIR not set}/pfs-mkfs"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pfs-mkfs-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/fs"
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_usage_error <description> <args...>: exit 2 and exactly one stderr line with the prefix.
expect_usage_error() {
    local what="$1"; shift
    local rc=0
    "$MKFS" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [[ $rc -eq 2 ]] || fail "$what: exit $rc, want 2"
    [[ $(wc -l <"$WORK/err") -eq 1 ]] || fail "$what: stderr is not one line: $(cat "$WORK/err")"
    grep -q '^pfs-mkfs: error: ' "$WORK/err" || fail "$what: no error prefix: $(cat "$WORK/err")"
}

sb_field() { grep -o "\"$1\": [^,]*" "$ROOT/superblock.json" | head -1 | sed 's/.*: //'; }

# 1. Fresh file system.
"$MKFS" --root "$ROOT" --meta 1 --data 3 --stripe-size 4k >"$WORK/out"
grep -q 'pfs-mkfs: created fsid 0x' "$WORK/out" || fail "no summary: $(cat "$WORK/out")"
grep -q '3 data volume' "$WORK/out" || fail "summary lacks volume count"
[[ -f "$ROOT/superblock.json" ]] || fail "no superblock"
[[ -f "$ROOT/meta-0/data.mdb" ]] || fail "no LMDB env in meta-0"
for i in 0 1 2; do [[ -d "$ROOT/data-$i/objects" ]] || fail "no data-$i/objects"; done
[[ $(sb_field stripe_size) == 4096 ]] || fail "stripe_size $(sb_field stripe_size) != 4096"
fsid1="$(sb_field fsid)"

# 2. Refused without --force; nothing changed.
expect_usage_error "existing fs" --root "$ROOT" --meta 1 --data 3
[[ "$(sb_field fsid)" == "$fsid1" ]] || fail "refused run changed the superblock"

# 3. --force replaces our volumes only.
echo keep >"$ROOT/unrelated.txt"
touch "$ROOT/data-2/objects/stray"
"$MKFS" --root "$ROOT" --meta 2 --data 2 --stripe-size 1M --stripe-count 1 \
    --quota-per-volume 2G --force >/dev/null
[[ "$(sb_field fsid)" != "$fsid1" ]] || fail "--force kept the old fsid"
[[ -f "$ROOT/unrelated.txt" ]] || fail "--force removed a file it did not create"
[[ ! -e "$ROOT/data-2" ]] || fail "--force left the old data-2"
[[ -f "$ROOT/meta-1/data.mdb" ]] || fail "no meta-1"
[[ $(sb_field stripe_size) == 1048576 ]] || fail "1M not parsed"
[[ $(sb_field stripe_count) == 1 ]] || fail "stripe_count not recorded"
[[ $(sb_field quota_per_volume) == 2147483648 ]] || fail "quota not recorded"

# 4. Bad input: one line, exit 2, and no file system created.
B="$WORK/bad"
expect_usage_error "meta 0" --root "$B" --meta 0 --data 1
expect_usage_error "data 0" --root "$B" --meta 1 --data 0
expect_usage_error "stripe not 4k multiple" --root "$B" --meta 1 --data 1 --stripe-size 1000
expect_usage_error "stripe junk" --root "$B" --meta 1 --data 1 --stripe-size 3x
expect_usage_error "stripe too large" --root "$B" --meta 1 --data 1 --stripe-size 2G
expect_usage_error "stripe-count > data" --root "$B" --meta 1 --data 4 --stripe-count 5
expect_usage_error "quota junk" --root "$B" --meta 1 --data 1 --quota-per-volume lots
expect_usage_error "missing --root" --meta 1 --data 1
expect_usage_error "unknown option" --root "$B" --meta 1 --data 1 --bogus
expect_usage_error "non-numeric count" --root "$B" --meta one --data 1
touch "$WORK/afile"
expect_usage_error "root is a file" --root "$WORK/afile" --meta 1 --data 1
[[ ! -e "$B" ]] || fail "a rejected run created $B"

# 5. --help works and exits 0.
"$MKFS" --help | grep -q -- '--stripe-size' || fail "--help lacks --stripe-size"

if [[ $fails -ne 0 ]]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "pfs-mkfs CLI: all checks passed"
