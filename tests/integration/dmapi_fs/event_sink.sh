#!/usr/bin/env bash
# The client's event generation against pfs::client::LoggingSink (pfs-client-test --case
# event_sink): events per operation in order, region hits, a region set by handle reaching the
# rank's own cache, the sink's errno failing the operation.
# shellcheck source=tests/integration/pfs/lib.sh
. "$(dirname "$0")/../pfs/lib.sh"
mkfs --meta 1 --data 2
run_case 1 event_sink
