// The backend table of pfs-ior, after IOR's aiori: one narrow, flat interface per I/O API, so
// the test driver (ior_test.cpp, mdtest.cpp) never knows which API it drives. Backends:
//   NATIVE  pfs::client::Client (PFS job only)
//   POSIX   open/pwrite/pread on a local directory: the baseline
//   MPIIO   Open MPI's own MPI-IO on a local directory: the baseline (a later MPI-IO driver for
//           "pfs:" paths plugs in here)
//   HDF5    parallel HDF5 over MPI-IO (when built with libhdf5-openmpi; pfs: paths as MPIIO)
//   DUMMY   no I/O at all; tests the harness (reads return zeros, so -R/-W must fail on it)
// Every call returns a Status: 0 or a positive errno plus a message naming the call, the path
// and the error as the API reported it (for MPI-IO the MPI error class string).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mpi_tools {
class Job;
}

namespace pfs_ior {

struct Status {
    int err = 0;      // 0 = success, else a positive errno (EIO for MPI errors without one)
    std::string msg;  // empty on success
    explicit operator bool() const { return err == 0; }
    static Status ok() { return {}; }
};

enum class Access { write, read };

// How a file is opened: the communicator that opens it together (MPI_COMM_SELF for a file per
// process) and whether transfers are collective (MPI-IO only; the others ignore it).
struct OpenHints {
    MPI_Comm comm = MPI_COMM_SELF;
    bool collective = false;
    std::uint64_t file_bytes = 0;  // the file's data when complete (HDF5 sizes its dataset)
};

// An open file of one backend; each backend derives its own.
class File {
  public:
    virtual ~File() = default;
};

class Backend {
  public:
    virtual ~Backend() = default;
    // The IOR API name: "NATIVE", "POSIX", "MPIIO", "DUMMY".
    virtual const char* name() const = 0;
    // Version string for the header (apiVersion).
    virtual std::string version() const = 0;
    // True when create/open are collective over hints.comm (MPI-IO): then every rank of the
    // communicator calls them at once; otherwise the driver lets rank 0 create a shared file
    // before the others open it.
    virtual bool collective_open() const { return false; }

    // Creates (if missing) and opens for writing; never truncates (the driver removes old files).
    virtual Status create(const std::string& path, const OpenHints& h,
                          std::unique_ptr<File>* out) = 0;
    // Opens an existing file for `a`.
    virtual Status open(const std::string& path, Access a, const OpenHints& h,
                        std::unique_ptr<File>* out) = 0;
    // Moves exactly n bytes at `offset` (a short transfer is an error).
    virtual Status xfer(File& f, Access a, void* buf, std::size_t n, std::int64_t offset) = 0;
    virtual Status fsync(File& f) = 0;
    // Collective like open for a collective_open() backend.
    virtual Status close(std::unique_ptr<File> f) = 0;
    // Removes a file (ENOENT when missing).
    virtual Status remove(const std::string& path) = 0;
    // Size of a closed file, asked by one rank.
    virtual Status get_file_size(const std::string& path, std::int64_t* size) = 0;

    // Namespace calls for the metadata mode and for making the test directory.
    virtual Status mkdir(const std::string& path) = 0;
    virtual Status rmdir(const std::string& path) = 0;
    // stat(2) of a path; *size gets the file size.
    virtual Status stat(const std::string& path, std::int64_t* size) = 0;
    // Creates an empty file and closes it (mdtest's create phase).
    virtual Status mknod(const std::string& path) = 0;
    // The end of a metadata phase, inside its timing: namespace changes a backend still holds
    // in memory reach their server (NATIVE: a delegated directory's batches). Default: none.
    virtual Status md_sync() { return Status::ok(); }
};

// Backends by IOR name. make_backend returns nullptr with *why set when the API is unknown or
// cannot run in this job (NATIVE outside a PFS job).
std::vector<std::string> backend_names();
std::unique_ptr<Backend> make_backend(std::string_view name, mpi_tools::Job& job, std::string* why);

std::unique_ptr<Backend> make_posix_backend();
std::unique_ptr<Backend> make_mpiio_backend();
std::unique_ptr<Backend> make_dummy_backend();
#ifdef PFS_IOR_HDF5
std::unique_ptr<Backend> make_hdf5_backend();
#endif
std::unique_ptr<Backend> make_native_backend(mpi_tools::Job& job, std::string* why);

// "<call> <path>: <strerror(err)>" with err kept.
Status errno_status(int err, std::string_view call, std::string_view path);

}  // namespace pfs_ior
