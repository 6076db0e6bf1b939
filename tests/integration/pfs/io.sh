#!/usr/bin/env bash
# Striped I/O with a 64 KiB stripe: sizes across stripe and chunk boundaries, holes, sparse
# files, truncate down/up, reads past EOF, 0-byte ops, O_APPEND, O_TRUNC, O_SYNC, and object
# deletion on the last unlink. A 1 MiB chunk size makes large transfers take several messages.
# Twice: the client's direct path to the volumes of its host (the default), then every byte
# through the data servers (PFS_CLIENT_DIRECT_IO=0).
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2 --stripe-size 64k
run_case 1 io -x PFS_CLIENT_CHUNK_KIB=1024
rm -rf "$ROOT"
mkfs --meta 1 --data 2 --stripe-size 64k
run_case 1 io -x PFS_CLIENT_CHUNK_KIB=1024 -x PFS_CLIENT_DIRECT_IO=0
