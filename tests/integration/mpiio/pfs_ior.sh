#!/usr/bin/env bash
# pfs-ior's MPIIO backend (IOR's calls: open/close/delete, write_at/read_at and their _all forms,
# set_size, get_size, sync) on a pfs: path with the driver preloaded, shared file and file per
# process, independent and collective, data verified after the write (-W) and in the read (-R).
# shellcheck source=tests/integration/mpiio/lib.sh
. "$(dirname "$0")/lib.sh"
[[ -x $BIN/pfs-ior ]] || fail "pfs-ior not built"
LIB=$BIN/../lib/libpfs_mpiio.so
mkfs --meta 1 --data 2
for mode in "" "-c" "-F" "-F -c"; do
    read -r -a extra <<< "$mode"
    run_job --meta 1 --data 2 --compute 4 -- env LD_PRELOAD="$LIB" "$BIN/pfs-ior" -a MPIIO \
        "${extra[@]}" -b 2m -t 256k -s 2 -w -r -e -W -R -G 7 -o pfs:/ior-test
    [[ $RC -eq 0 ]] || fail "pfs-ior $mode: pfs-run exited $RC"
    grep -q "^write " "$OUT" && grep -q "^read " "$OUT" || fail "pfs-ior $mode: no results"
    ! grep -v "PMIX ERROR" "$OUT" | grep -qiE "error|mismatch|wrong" || fail "pfs-ior $mode: errors reported"
    echo "PASS: pfs-ior -a MPIIO $mode on pfs: ($(grep -m1 '^write ' "$OUT" | awk '{print $2}') MiB/s write)"
done
