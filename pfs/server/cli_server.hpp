// The socket server of the `pfs` command (ls, stat, cp, rm, mkdir, df from a shell against a
// running job; docs/pfs.md "The pfs command"). Runs in the first meta rank's pfs-server.
#pragma once

#include "mpi_tools/job.hpp"

namespace pfs::server {

// Listens on <run dir>/pfs/pfs.sock (cli_protocol.hpp) on a detached thread for the rest of
// the process. The file operations go through a pfs::client::Client of this process, created
// at the first request (so a job that never sees the CLI pays nothing) with DMAPI events on: a
// DM application sees the CLI's operations like any user's (a read of a migrated file recalls
// it). In a DMAPI job call this after dmapi::events::start, which installs the event sink the
// client must find when it is created. Logs and gives up (the job goes on) when the socket
// cannot be made.
void start_cli_server(mpi_tools::Job& job);

// On a meta or data rank other than the first meta rank: when a recovery gives this rank the
// metadata volume (the first meta rank died and this rank adopted meta-0), it starts serving
// the command in its place. Registers a Job::on_recovered listener: call at start-up.
void take_over_cli_server(mpi_tools::Job& job);

}  // namespace pfs::server
