#!/usr/bin/env bash
# The pfs command survives the death of the rank that serves it: a 1 meta + 2 data + 1 compute
# job (no DMAPI) whose compute rank waits for a marker; a file is copied in, then the first
# meta rank (world rank 0, which serves the socket) is SIGKILLed. Data rank 1 adopts the
# metadata volume and takes the socket over: the same file is read back (cmp) and a new one
# written through the command, and the job still exits 0 after the marker.
source "$(dirname "$0")/cli_lib.sh"

mkfs --meta 1 --data 2
start_job --meta 1 --data 2 --compute 1 -- "$BIN/pfs-client-test" --case wait --marker "$MARK"
until_ok df
head -c $((3 << 20)) /dev/urandom > "$WORK/src.bin"
cli cp "$WORK/src.bin" pfs:/before.bin
[[ $RC -eq 0 ]] || fail "cp in before the kill: exit $RC"

pid=$(awk '{print $1}' "$RUN/ranks/0.pid")
[[ -n $pid ]] || fail "no pid for rank 0"
kill -KILL "$pid" || fail "could not kill rank 0 (pid $pid)"
echo "killed world rank 0 (pid $pid)"

# The adopter answers on the same socket path once it serves the metadata volume.
until_ok stat pfs:/before.bin
grep -q "pfs-server\[1\]: serving the pfs command" "$JOBOUT" || fail "rank 1 did not take over"
cli cp pfs:/before.bin "$WORK/back.bin"
[[ $RC -eq 0 ]] || fail "cp out after the kill: exit $RC"
cmp "$WORK/src.bin" "$WORK/back.bin" || fail "the file read after the takeover differs"
cli cp "$WORK/src.bin" pfs:/after.bin
[[ $RC -eq 0 ]] || fail "cp in after the kill: exit $RC"
cli ls /
[[ $(sort "$OUT" | tr '\n' ' ') == "after.bin before.bin " ]] || fail "ls / after the takeover"
[[ $(stat -c %a "$RUN/pfs/pfs.sock") == 600 ]] || fail "the new socket is not 600"
echo "PASS: rank 0 SIGKILLed, rank 1 serves the pfs command: old file read back, new one written"

end_job
[[ $JOBRC -eq 0 ]] || { cat "$JOBOUT"; echo "FAIL: the job exited $JOBRC"; exit 1; }
echo "PASS: the job exited 0"
