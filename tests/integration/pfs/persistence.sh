#!/usr/bin/env bash
# Job 1 writes files, directories, links and a sparse file; job 2, a new pfs-run on the same
# root, finds every name and byte and can still change the file system. On the real disk.
PFS_TEST_TMP=/tmp
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2
run_case 1 persist-write
run_case 1 persist-verify
