#!/usr/bin/env bash
# MPI-IO driver, case 'dm_abort' of pfs-mpiio-test on 3 compute ranks with a DM application
# (pfs-dm-responder on 1 dm rank) that answers every create with DM_RESP_ABORT and EDQUOT (122):
# the MPI error is the driver's registered DM-abort class carrying the errno.
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
FSID=$(sed -n 's/.*"fsid": *"\(0x[0-9a-fA-F]*\)".*/\1/p' "$ROOT/superblock.json")
[[ -n $FSID ]] || fail "no fsid in superblock.json"
run_mpiio 3 dm_abort --dm 1 --dm-app "$BIN/pfs-dm-responder" -x PFS_DM_FSID="$FSID" \
    -x PFS_DM_EVENTS=create -x PFS_DM_ABORT_EVENTS=create -x PFS_DM_ABORT_ERRNO=122
# The refusals were the DM application's: it saw and aborted the creates.
n=$(grep -o 'DM-EVENT type=create token=[0-9]* seq=[0-9]* len=[0-9]* source=[0-9]* response=abort(122)' "$OUT" | wc -l)
[[ $n -ge 2 ]] || fail "expected >= 2 create events aborted with 122 by the DM application, saw $n"
echo "PASS: $n creates refused by the DM application"
