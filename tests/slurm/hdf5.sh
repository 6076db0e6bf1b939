#!/usr/bin/env bash
# (d) The parallel HDF5 job (jobs/slurm/hdf5.sbatch): pfs-mpiio-hdf5-test on 4 compute ranks
# writes and reads back four datasets of pfs:/hdf5-roundtrip.h5 through the MPI-IO driver;
# the exported copy is checked with h5dump. Exit 0, PASS line, data verified, JSON verdict.
source "$(dirname "$0")/lib.sh"
JOB=$PFS_SOURCE_DIR/jobs/slurm/hdf5.sbatch
HINT="hdf5-openmpi missing?" need_bins pfs-run pfs-server pfs-mkfs pfs-mpiio-hdf5-test
submit hdf5
[[ $RC == 0 ]] && pass "hdf5 job exit 0" || fail "hdf5 job exit $RC"
grep -q "HDF5-TEST PASS (4 ranks, 0 failed checks)" "$OUT" && pass "HDF5 program PASS on 4 ranks" \
    || fail "no HDF5-TEST PASS line"
grep -q "^hdf5: data verified" "$OUT" && pass "data verified" || fail "no data-verified line"
json_check "$JSON" 'd["verdict"] == "ok"' 'd["exit_code"] == 0' 'd["ranks"] == 4' \
    'd["failed_checks"] == 0' 'd["h5dump"] in ("ok", "skipped")' \
    'd["h5dump"] == "skipped" or d["h5dump_datasets"] == 4' \
    && pass "result JSON: verdict ok" || fail "bad result JSON: $(cat "$JSON" 2>&1)"
finish
