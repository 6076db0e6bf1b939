// Open pfs: files of this rank by handle, and the pool of dummy real handles. A closed file's
// dummy goes back to the pool, so a stale copy of a closed handle is recognized (MPI_ERR_FILE)
// until a later open reuses it, as Open MPI itself reuses freed handles.
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "driver.hpp"

namespace pfs::mpiio {
namespace {
std::mutex mu;
std::unordered_map<MPI_File, std::shared_ptr<PfsFile>>& files() {
    static auto* m = new std::unordered_map<MPI_File, std::shared_ptr<PfsFile>>;
    return *m;
}
std::vector<MPI_File>& pool() {
    static auto* p = new std::vector<MPI_File>;
    return *p;
}
std::unordered_set<MPI_File>& pooled() {
    static auto* s = new std::unordered_set<MPI_File>;
    return *s;
}
}  // namespace

Lookup lookup(MPI_File fh, std::shared_ptr<PfsFile>* out) {
    if (fh == MPI_FILE_NULL) return Lookup::not_ours;
    std::lock_guard lk(mu);
    auto it = files().find(fh);
    if (it != files().end()) {
        if (out) *out = it->second;
        return Lookup::open;
    }
    return pooled().count(fh) ? Lookup::closed : Lookup::not_ours;
}

int acquire_handle(MPI_File* fh) {
    {
        std::lock_guard lk(mu);
        if (!pool().empty()) {
            *fh = pool().back();
            pool().pop_back();
            pooled().erase(*fh);
        } else {
            *fh = MPI_FILE_NULL;
        }
    }
    if (*fh == MPI_FILE_NULL) {
        int rc = PMPI_File_open(MPI_COMM_SELF, "/dev/null", MPI_MODE_RDWR, MPI_INFO_NULL, fh);
        if (rc != MPI_SUCCESS) return rc;
    }
    // A new file starts with the error handler of MPI_FILE_NULL (MPI_ERRORS_RETURN by default).
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
    PMPI_File_get_errhandler(MPI_FILE_NULL, &eh);
    PMPI_File_set_errhandler(*fh, eh);
    PMPI_Errhandler_free(&eh);
    return MPI_SUCCESS;
}

void register_file(const std::shared_ptr<PfsFile>& f) {
    std::lock_guard lk(mu);
    files()[f->handle] = f;
}

void retire_file(const std::shared_ptr<PfsFile>& f) {
    std::lock_guard lk(mu);
    files().erase(f->handle);
    pool().push_back(f->handle);
    pooled().insert(f->handle);
}

void drain_pool() {
    std::vector<MPI_File> v;
    {
        std::lock_guard lk(mu);
        v.swap(pool());
        pooled().clear();
    }
    for (MPI_File fh : v) PMPI_File_close(&fh);
}

}  // namespace pfs::mpiio
