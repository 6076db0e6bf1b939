#!/usr/bin/env bash
# Reads on descriptors opened while a file was large, after other descriptors cut it, extended it
# over a hole and rewrote it (Client::do_pread: a read below the size a descriptor last saw needs
# no size request only while every byte is in the objects): 3 ranks, each with a direct client
# and one through the data servers.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/lib.sh"
mkfs --meta 1 --data 2 --stripe-size 64k
run_case 3 read_size
