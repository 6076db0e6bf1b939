// MPIIO backend: Open MPI's own MPI-IO (OMPIO by default) on a local path, the baseline for the
// PFS. Explicit-offset calls as IOR's MPIIO backend (write_at / write_at_all with -c). As in IOR,
// the namespace calls (mkdir, rmdir, stat, mknod) are POSIX: MPI-IO has none.
#include <mpi.h>

#include <cerrno>
#include <climits>

#include "aiori.hpp"

namespace pfs_ior {
namespace {

Status mpi_status(int rc, std::string_view call, std::string_view path) {
    Status s;
    int cls = 0, len = 0;
    MPI_Error_class(rc, &cls);
    char text[MPI_MAX_ERROR_STRING] = {};
    MPI_Error_string(rc, text, &len);
    s.err = cls == MPI_ERR_NO_SUCH_FILE  ? ENOENT
            : cls == MPI_ERR_FILE_EXISTS ? EEXIST
            : cls == MPI_ERR_ACCESS      ? EACCES
            : cls == MPI_ERR_NO_SPACE    ? ENOSPC
                                         : EIO;
    s.msg = std::string(call) + " " + std::string(path) + ": MPI " + text;
    return s;
}

class MpiioFile : public File {
  public:
    MpiioFile(MPI_File f, std::string p, bool coll) : fh(f), path(std::move(p)), collective(coll) {}
    ~MpiioFile() override {
        if (fh != MPI_FILE_NULL) MPI_File_close(&fh);
    }
    MPI_File fh;
    std::string path;
    bool collective;
};

class MpiioBackend : public Backend {
  public:
    MpiioBackend() : posix_(make_posix_backend()) {}
    const char* name() const override { return "MPIIO"; }
    std::string version() const override {
        int v = 0, sv = 0;
        MPI_Get_version(&v, &sv);
        return "(" + std::to_string(v) + "." + std::to_string(sv) + ")";
    }
    bool collective_open() const override { return true; }

    Status create(const std::string& path, const OpenHints& h,
                  std::unique_ptr<File>* out) override {
        return open_mode(path, MPI_MODE_CREATE | MPI_MODE_WRONLY, h, out);
    }
    Status open(const std::string& path, Access a, const OpenHints& h,
                std::unique_ptr<File>* out) override {
        return open_mode(path, a == Access::write ? MPI_MODE_WRONLY : MPI_MODE_RDONLY, h, out);
    }
    Status xfer(File& f, Access a, void* buf, std::size_t n, std::int64_t offset) override {
        auto& mf = static_cast<MpiioFile&>(f);
        if (n > static_cast<std::size_t>(INT_MAX))
            return errno_status(EINVAL, "transfer larger than INT_MAX bytes", mf.path);
        const int count = static_cast<int>(n);
        MPI_Status st;
        int rc;
        if (a == Access::write)
            rc = mf.collective ? MPI_File_write_at_all(mf.fh, offset, buf, count, MPI_BYTE, &st)
                               : MPI_File_write_at(mf.fh, offset, buf, count, MPI_BYTE, &st);
        else
            rc = mf.collective ? MPI_File_read_at_all(mf.fh, offset, buf, count, MPI_BYTE, &st)
                               : MPI_File_read_at(mf.fh, offset, buf, count, MPI_BYTE, &st);
        const char* call = a == Access::write
                               ? (mf.collective ? "MPI_File_write_at_all" : "MPI_File_write_at")
                               : (mf.collective ? "MPI_File_read_at_all" : "MPI_File_read_at");
        if (rc != MPI_SUCCESS) return mpi_status(rc, call, mf.path);
        int got = 0;
        MPI_Get_count(&st, MPI_BYTE, &got);
        if (got != count) return errno_status(EIO, std::string("short ") + call, mf.path);
        return Status::ok();
    }
    Status fsync(File& f) override {
        auto& mf = static_cast<MpiioFile&>(f);
        const int rc = MPI_File_sync(mf.fh);
        return rc == MPI_SUCCESS ? Status::ok() : mpi_status(rc, "MPI_File_sync", mf.path);
    }
    Status close(std::unique_ptr<File> f) override {
        auto& mf = static_cast<MpiioFile&>(*f);
        const int rc = MPI_File_close(&mf.fh);
        mf.fh = MPI_FILE_NULL;
        return rc == MPI_SUCCESS ? Status::ok() : mpi_status(rc, "MPI_File_close", mf.path);
    }
    Status remove(const std::string& path) override {
        const int rc = MPI_File_delete(path.c_str(), MPI_INFO_NULL);
        return rc == MPI_SUCCESS ? Status::ok() : mpi_status(rc, "MPI_File_delete", path);
    }
    Status get_file_size(const std::string& path, std::int64_t* size) override {
        MPI_File fh = MPI_FILE_NULL;
        int rc = MPI_File_open(MPI_COMM_SELF, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &fh);
        if (rc != MPI_SUCCESS) return mpi_status(rc, "MPI_File_open", path);
        MPI_Offset sz = 0;
        rc = MPI_File_get_size(fh, &sz);
        MPI_File_close(&fh);
        if (rc != MPI_SUCCESS) return mpi_status(rc, "MPI_File_get_size", path);
        *size = sz;
        return Status::ok();
    }
    Status mkdir(const std::string& path) override { return posix_->mkdir(path); }
    Status rmdir(const std::string& path) override { return posix_->rmdir(path); }
    Status stat(const std::string& path, std::int64_t* size) override {
        return posix_->stat(path, size);
    }
    Status mknod(const std::string& path) override { return posix_->mknod(path); }

  private:
    static Status open_mode(const std::string& path, int amode, const OpenHints& h,
                            std::unique_ptr<File>* out) {
        MPI_File fh = MPI_FILE_NULL;
        const int rc = MPI_File_open(h.comm, path.c_str(), amode, MPI_INFO_NULL, &fh);
        if (rc != MPI_SUCCESS) return mpi_status(rc, "MPI_File_open", path);
        MPI_File_set_errhandler(fh, MPI_ERRORS_RETURN);
        *out = std::make_unique<MpiioFile>(fh, path, h.collective);
        return Status::ok();
    }
    std::unique_ptr<Backend> posix_;
};

}  // namespace

std::unique_ptr<Backend> make_mpiio_backend() {
    return std::make_unique<MpiioBackend>();
}

}  // namespace pfs_ior
