#!/usr/bin/env bash
# pfs-ior -a HDF5 (parallel HDF5 over MPI-IO): shared file independent and collective, and file
# per process, on a local directory in a plain job, and on a pfs: path through the PFS MPI-IO
# driver (preloaded) in a PFS job; data verified after the write (-W) and in the read (-R), the
# JSON validates. Skipped (exit 0 with SKIP) when pfs-ior was built without HDF5.
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
run_job --plain 1 -- "$IOR" -a HDF5 -b 8 -t 8 -o "$WORK/probe"
if grep -q "unknown API -a 'HDF5'" "$OUT"; then
    echo "SKIP: pfs-ior built without HDF5"
    exit 0
fi
for mode in "" "-c" "-F"; do
    read -r -a extra <<< "$mode"
    run_job --plain 2 -- "$IOR" -a HDF5 "${extra[@]}" -b 1m -t 256k -s 2 -e -W -R \
        -o "$WORK/h5file" -O summaryFile="$WORK/h5.json"
    expect_rc 0 "HDF5 $mode local"
    check_output "HDF5 $mode output" "$OUT" --apis HDF5
    $VALIDATE "$WORK/h5.json" >> "$OUT" 2>&1 || fail "HDF5 $mode JSON does not validate"
    echo "PASS: -a HDF5 $mode on a local directory (${ELAPSED}s)"
done
LIB=$BIN/../lib/libpfs_mpiio.so
if [[ -f $LIB ]]; then
    mkfs --meta 1 --data 2
    run_job --meta 1 --data 2 --compute 2 -- env LD_PRELOAD="$LIB" "$IOR" -a HDF5 -b 1m -t 256k \
        -s 2 -e -W -R -o pfs:/h5file
    expect_rc 0 "HDF5 on pfs:"
    check_output "HDF5 pfs: output" "$OUT" --apis HDF5
    echo "PASS: -a HDF5 on pfs: through the MPI-IO driver (${ELAPSED}s)"
else
    echo "SKIP: $LIB not built: HDF5 on pfs: not run"
fi
echo "PASS"
