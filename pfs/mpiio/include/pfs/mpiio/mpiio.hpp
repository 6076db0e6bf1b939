// libpfs_mpiio: the MPI-IO driver for the PFS (PMPI interposition of MPI_File_* for "pfs:"
// file names; docs/mpiio.md). Nothing here is needed to use the driver: an application calls
// plain MPI-IO. These entry points are for programs that also use the native API, e.g. tests
// that read back through the client the driver uses.
#pragma once

namespace pfs::client {
class Client;
}

namespace pfs::mpiio {

// The native client the driver uses on this rank (created on first use), or nullptr when this
// process is not a compute rank of a PFS job.
pfs::client::Client* native_client();

// The MPI error class the driver reports for a PFS errno (docs/mpiio.md has the table).
int error_class_for_errno(int err);
// The registered error class of an operation aborted by the data-management application, and
// the error code for one errno of it (MPI_Error_string names the errno).
int dm_abort_error_class();
int dm_abort_error_code(int err);

}  // namespace pfs::mpiio
