// Error classes: POSIX errnos of the PFS client mapped to MPI-IO classes, one registered class
// for an operation the data-management application aborted (its errno in the error string),
// and the collective agreement that keeps one failing rank from hanging the others.
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "driver.hpp"
#include "pfs/client/event_sink.hpp"
#include "pfs/mpiio/mpiio.hpp"

namespace pfs::mpiio {

int error_class_of_errno(int err) {
    switch (err) {
        case 0:
            return MPI_SUCCESS;
        case ENOENT:
        case ENOTDIR:
            return MPI_ERR_NO_SUCH_FILE;
        case EEXIST:
            return MPI_ERR_FILE_EXISTS;
        case EACCES:
        case EPERM:
            return MPI_ERR_ACCESS;
        case ENOSPC:
            return MPI_ERR_NO_SPACE;
        case EDQUOT:
            return MPI_ERR_QUOTA;
        case EROFS:
            return MPI_ERR_READ_ONLY;
        case ENAMETOOLONG:
        case EISDIR:
        case ELOOP:
            return MPI_ERR_BAD_FILE;
        case EBUSY:
        case ETXTBSY:
            return MPI_ERR_FILE_IN_USE;
        case EINVAL:
            return MPI_ERR_ARG;
        case EBADF:
            return MPI_ERR_FILE;
        case EFBIG:
        case EOVERFLOW:
            return MPI_ERR_ARG;
        default:
            return MPI_ERR_IO;
    }
}

namespace {
std::mutex mu;
int dm_class = -1;
std::map<int, int> dm_codes;   // errno -> registered code
std::map<int, int> dm_errnos;  // registered code -> errno
}  // namespace

int dm_aborted_class() {
    std::lock_guard lk(mu);
    if (dm_class < 0 && PMPI_Add_error_class(&dm_class) == MPI_SUCCESS)
        PMPI_Add_error_string(dm_class,
                              "PFS: operation aborted by the data-management application");
    return dm_class;
}

int dm_aborted_code(int err) {
    const int cls = dm_aborted_class();
    std::lock_guard lk(mu);
    auto it = dm_codes.find(err);
    if (it != dm_codes.end()) return it->second;
    int code = cls;
    if (PMPI_Add_error_code(cls, &code) == MPI_SUCCESS) {
        std::string s = "PFS: operation aborted by the data-management application: errno " +
                        std::to_string(err) + " (" + std::strerror(err) + ")";
        PMPI_Add_error_string(code, s.c_str());
    }
    dm_codes[err] = code;
    dm_errnos[code] = err;
    return code;
}

int dm_aborted_errno(int code) {
    std::lock_guard lk(mu);
    auto it = dm_errnos.find(code);
    return it == dm_errnos.end() ? 0 : it->second;
}

int client_error_code(int err) {
    const bool refused = err != 0 && client::last_dm_abort() == err;
    client::reset_dm_abort();
    return refused ? dm_aborted_code(err) : error_class_of_errno(err);
}

int raise_error(MPI_File fh, int code) {
    if (code != MPI_SUCCESS) PMPI_File_call_errhandler(fh, code);
    return code;
}

int agree(MPI_Comm comm, int code) {
    // MAXLOC on (failed, rank): ties resolve to the lowest rank, whose class everyone gets. A
    // DM abort travels as its errno (classes[1]), not as its class: registered classes and codes
    // are numbered per process, so each rank maps the errno to its own code.
    int cls = MPI_SUCCESS;
    if (code != MPI_SUCCESS) PMPI_Error_class(code, &cls);
    int rank = 0;
    PMPI_Comm_rank(comm, &rank);
    struct {
        int failed;
        int first_rank;
    } in{code != MPI_SUCCESS ? 1 : 0, rank}, out{0, 0};
    int classes[2] = {cls, code != MPI_SUCCESS ? dm_aborted_errno(code) : 0};
    PMPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MAXLOC, comm);
    if (!out.failed) return MPI_SUCCESS;
    if (code != MPI_SUCCESS) {
        // Everyone still joins the broadcast of the first failing rank's class.
        PMPI_Bcast(classes, 2, MPI_INT, out.first_rank, comm);
        return code;
    }
    PMPI_Bcast(classes, 2, MPI_INT, out.first_rank, comm);
    return classes[1] != 0 ? dm_aborted_code(classes[1]) : classes[0];
}

}  // namespace pfs::mpiio

namespace pfs::mpiio {
int error_class_for_errno(int err) {
    return error_class_of_errno(err);
}
int dm_abort_error_class() {
    return dm_aborted_class();
}
int dm_abort_error_code(int err) {
    return dm_aborted_code(err);
}
}  // namespace pfs::mpiio
