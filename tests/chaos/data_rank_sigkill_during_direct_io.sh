#!/usr/bin/env bash
# data_rank_sigkill_during_write.sh with the client's direct path on (the default outside the
# chaos tests): the compute ranks read and write the objects of the volumes of their host
# themselves, so the SIGKILLed data rank (rank 2, volume data-1) holds none of their bytes in
# flight; the fsyncs of its volume go to the adopter. Every acknowledged byte reads back right,
# in this job and in a later one.
export PFS_CLIENT_DIRECT_IO=1
exec bash "$(dirname "$0")/data_rank_sigkill_during_write.sh"
