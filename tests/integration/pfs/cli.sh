#!/usr/bin/env bash
# The pfs command against a running job (docs/pfs.md "The pfs command"): a 1 meta + 2 data +
# 1 compute job whose compute rank waits for a marker file; every command of the CLI is run
# against it from outside through the job's socket, then the marker ends the job, which must
# exit 0. Every command and the job have a watchdog.
source "$(dirname "$0")/cli_lib.sh"
# expect RC WHAT ARGS...: runs pfs and fails unless it exits RC.
expect() {
    local want=$1 what=$2; shift 2
    cli "$@"
    [[ $RC -eq $want ]] || fail "$what: pfs $* exited $RC, expected $want"
}
has() { grep -q -- "$1" "$OUT" || fail "pfs output lacks '$1'"; }

mkfs --meta 1 --data 2
start_job --meta 1 --data 2 --compute 1 -- "$BIN/pfs-client-test" --case wait --marker "$MARK"

# The job is up when df answers (the socket appears once the meta rank runs; the first
# request also waits for the PFS servers).
until_ok df
echo "PASS: the job answers pfs df"

# Owner only: the directory 0700, the socket 0600.
[[ $(stat -c %a "$RUN/pfs") == 700 ]] || fail "run-dir/pfs is $(stat -c %a "$RUN/pfs"), not 700"
[[ $(stat -c %a "$RUN/pfs/pfs.sock") == 600 ]] || fail "pfs.sock is not 600"
[[ -S $RUN/pfs/pfs.sock ]] || fail "pfs.sock is not a socket"

# df: one line per data volume.
expect 0 "df" df
has '^data-0 ' && has '^data-1 '
[[ $(grep -c '^data-' "$OUT") -eq 2 ]] || fail "df: not exactly 2 volume lines"

# mkdir
expect 0 "mkdir -p" mkdir -p pfs:/a/b/c
expect 0 "mkdir -p of an existing directory" mkdir -p /a/b/c
expect 1 "mkdir of an existing directory" mkdir pfs:/a
has EEXIST
expect 0 "mkdir" mkdir /a/d
expect 1 "mkdir under a missing directory" mkdir /x/y
has ENOENT
echo "PASS: mkdir"

# cp in: 5 MiB of random bytes (stripes on both data servers).
head -c $((5 << 20)) /dev/urandom > "$WORK/src.bin"
expect 0 "cp in" cp "$WORK/src.bin" pfs:/a/b/c/f.bin
expect 0 "ls" ls pfs:/a/b/c
[[ $(cat "$OUT") == f.bin ]] || fail "ls /a/b/c: not exactly f.bin"
expect 0 "ls -l" ls -l /a/b/c
grep -Eq '^-rw.* 5242880 .* f\.bin$' "$OUT" || fail "ls -l: no 5242880-byte f.bin line"
expect 0 "ls of a file" ls pfs:/a/b/c/f.bin
has '/a/b/c/f.bin'
expect 0 "stat" stat pfs:/a/b/c/f.bin
has 'Size: 5242880' && has 'Type: file'
expect 0 "stat of a directory" stat /a/b
has 'Type: dir'
echo "PASS: cp in, ls, ls -l, stat"

# cp out, byte for byte.
expect 0 "cp out" cp pfs:/a/b/c/f.bin "$WORK/back.bin"
cmp "$WORK/src.bin" "$WORK/back.bin" || fail "cp out: the copy differs from the original"
# Into directories: the source's name.
expect 0 "cp into a PFS directory" cp "$WORK/src.bin" pfs:/a/d
expect 0 "ls" ls /a/d
[[ $(cat "$OUT") == src.bin ]] || fail "cp into /a/d: no /a/d/src.bin"
mkdir "$WORK/outdir"
expect 0 "cp into a local directory" cp pfs:/a/d/src.bin "$WORK/outdir"
cmp "$WORK/src.bin" "$WORK/outdir/src.bin" || fail "cp out into a directory: copy differs"
# An empty file both ways; an overwrite.
: > "$WORK/empty"
expect 0 "cp in of an empty file" cp "$WORK/empty" pfs:/a/empty
expect 0 "cp out of an empty file" cp pfs:/a/empty "$WORK/empty.back"
[[ -f $WORK/empty.back && ! -s $WORK/empty.back ]] || fail "empty file copy"
echo "short" > "$WORK/short"
expect 0 "cp over an existing file" cp "$WORK/short" pfs:/a/d/src.bin
expect 0 "cp out" cp pfs:/a/d/src.bin "$WORK/short.back"
cmp "$WORK/short" "$WORK/short.back" || fail "cp over an existing file: not truncated"
echo "PASS: cp out (cmp), cp into directories, empty file, overwrite"

# Several commands at once (one server thread each, one shared client): 4 copies in, then 4
# copies out, each compared.
pids=()
for i in 1 2 3 4; do
    head -c $((1 << 20)) /dev/urandom > "$WORK/par$i"
    timeout -k 5 60 "$PFS" --run-dir "$RUN" cp "$WORK/par$i" pfs:/a/par$i > "$WORK/par$i.out" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a parallel cp in failed: $(cat "$WORK"/par?.out)"; done
pids=()
for i in 1 2 3 4; do
    timeout -k 5 60 "$PFS" --run-dir "$RUN" cp pfs:/a/par$i "$WORK/par$i.back" > "$WORK/par$i.out" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a parallel cp out failed: $(cat "$WORK"/par?.out)"; done
for i in 1 2 3 4; do cmp "$WORK/par$i" "$WORK/par$i.back" || fail "parallel copy $i differs"; done
echo "PASS: 4 parallel copies in and out"

# df sees the data.
expect 0 "df" df
awk '/^data-/ && $4 != "0" { n++ } END { exit n == 2 ? 0 : 1 }' "$OUT" ||
    fail "df: the 5 MiB file is not in the Used column of both volumes"

# rm, rmdir
expect 0 "rm" rm pfs:/a/b/c/f.bin
expect 0 "ls" ls /a/b/c
[[ ! -s $OUT ]] || fail "ls after rm still lists: $(cat "$OUT")"
expect 1 "stat of a removed file" stat /a/b/c/f.bin
has ENOENT
expect 1 "rm of a directory" rm /a/b
has EISDIR
expect 1 "rmdir of a non-empty directory" rmdir /a/b
has ENOTEMPTY
expect 0 "rmdir" rmdir /a/b/c
echo "PASS: rm, rmdir"

# Errors: the errno's name, exit 1 for a failed operation, 2 for bad input or no job.
expect 1 "ls of a missing path" ls pfs:/nope
has 'ENOENT' && has 'ls pfs:/nope'
expect 1 "cp into a missing directory" cp "$WORK/src.bin" pfs:/nodir/f
has ENOENT
expect 1 "cp out of a missing file" cp pfs:/nope "$WORK/x"
has ENOENT
[[ ! -e $WORK/x ]] || fail "a failed cp out left a local file"
expect 1 "cp out into a missing local directory" cp pfs:/a/empty "$WORK/nodir/f"
has ENOENT
expect 1 "cp out of a directory" cp pfs:/a "$WORK/x"
has EISDIR
expect 1 "cp of a missing local file" cp "$WORK/missing" pfs:/a/f
has ENOENT
expect 2 "cp with no PFS side" cp "$WORK/src.bin" "$WORK/y"
has "pfs:"
expect 2 "a relative PFS path" ls a/b
has absolute
expect 2 "no command"
timeout 30 env -u PFS_RUN_DIR "$PFS" ls / > "$OUT" 2>&1
RC=$?
[[ $RC -eq 2 ]] || fail "no run dir: exit $RC, expected 2"
has "no job given"
timeout 30 "$PFS" --run-dir "$WORK/no-such-run" ls / > "$OUT" 2>&1
RC=$?
[[ $RC -eq 2 ]] || fail "a run dir without a job: exit $RC, expected 2"
has "cannot reach the job"
# PFS_RUN_DIR is the default for --run-dir.
PFS_RUN_DIR=$RUN timeout 30 "$PFS" ls / > "$OUT" 2>&1 || fail "PFS_RUN_DIR: exit $?"
has '^a$'
echo "PASS: errors (exit 1 with errno names, exit 2 for usage and no job)"

# The protocol from a raw client: a malformed request gets EBADMSG; a copy into the PFS whose
# sender dies mid-stream leaves no file behind.
python3 - "$RUN/pfs/pfs.sock" > "$OUT" 2>&1 << 'PY' || fail "raw protocol client"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"this is not json\n")
r = json.loads(s.makefile().readline())
assert r["err"] == 74, r  # EBADMSG
s.close()
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((json.dumps({"op": "put", "path": "/partial", "size": 10 << 20}) + "\n").encode())
r = json.loads(s.makefile().readline())
assert r["err"] == 0, r
s.sendall(b"x" * (1 << 20))
s.close()  # 1 of 10 MiB sent
PY
gone=0
for _ in $(seq 150); do
    cli stat /partial
    if [[ $RC -eq 1 ]] && grep -q ENOENT "$OUT"; then gone=1; break; fi
    sleep 0.2
done
[[ $gone -eq 1 ]] || fail "the partial copy of a dead sender was not removed"
echo "PASS: malformed request (EBADMSG), a dead sender's partial copy removed"

# scrub: objects whose file is gone (planted: an inode that does not exist, and a live file's
# inode with another generation) are orphans; a dry run counts them, a real run removes them
# and nothing else: the live file still reads back right.
expect 0 "cp in for scrub" cp "$WORK/src.bin" pfs:/scrub.bin
cli stat /scrub.bin
ino=$(sed -n 's/^ Inode: \([0-9]*\) (generation \([0-9]*\)).*/\1/p' "$OUT")
gen=$(sed -n 's/^ Inode: \([0-9]*\) (generation \([0-9]*\)).*/\2/p' "$OUT")
[[ -n $ino && -n $gen ]] || fail "stat: no inode and generation"
plant() {  # plant VOLUME INO GEN: an object file as the data server would name it
    local d
    d=$ROOT/data-$1/objects/$(printf %02x $(($2 & 255)))
    mkdir -p "$d" && head -c 4096 /dev/urandom > "$d/$2.$3"
}
plant 0 999999 1
plant 1 "$ino" $((gen + 1))
expect 0 "scrub --dry-run" scrub --dry-run
has ' 2 orphans, 0 removed (dry run)'
[[ -f $ROOT/data-0/objects/3f/999999.1 ]] || fail "the dry run removed an orphan"
expect 0 "scrub" scrub
has ' 2 orphans, 2 removed'
[[ ! -e $ROOT/data-0/objects/3f/999999.1 ]] || fail "scrub left orphan 999999.1"
[[ ! -e $ROOT/data-1/objects/$(printf %02x $((ino & 255)))/$ino.$((gen + 1)) ]] ||
    fail "scrub left the orphan of another generation"
expect 0 "scrub again" scrub
has ' 0 orphans, 0 removed'
expect 0 "cp out after scrub" cp pfs:/scrub.bin "$WORK/scrub-back.bin"
cmp "$WORK/src.bin" "$WORK/scrub-back.bin" || fail "scrub damaged a live file"
echo "PASS: scrub (dry run counts, real run removes the 2 orphans, the live file intact)"

# The job ends normally when told to.
end_job
[[ $JOBRC -eq 0 ]] || { cat "$JOBOUT"; echo "FAIL: the job exited $JOBRC"; exit 1; }
grep -q "^PFS-TEST wait PASS" "$JOBOUT" || { cat "$JOBOUT"; echo "FAIL: no PASS line"; exit 1; }
echo "PASS: the job exited 0 after the marker"
