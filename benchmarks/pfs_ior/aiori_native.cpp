// NATIVE backend: the PFS's own client API (pfs::client::Client) from a compute rank of a PFS
// job. Paths are PFS paths ("/ior/file"); errnos come straight from the client.
#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "aiori.hpp"
#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"

namespace pfs_ior {
namespace {

class NativeFile : public File {
  public:
    NativeFile(int f, std::string p) : fd(f), path(std::move(p)) {}
    int fd;
    std::string path;
};

class NativeBackend : public Backend {
  public:
    explicit NativeBackend(mpi_tools::Job& job) : fs_(job) {}
    int connect_error() const { return fs_.connect_error(); }
    const char* name() const override { return "NATIVE"; }
    std::string version() const override {
        return "pfs::client, " + std::to_string(fs_.data_servers()) + " data servers";
    }
    Status create(const std::string& path, const OpenHints&, std::unique_ptr<File>* out) override {
        return open_flags(path, O_CREAT | O_WRONLY, out);
    }
    Status open(const std::string& path, Access a, const OpenHints&,
                std::unique_ptr<File>* out) override {
        return open_flags(path, a == Access::write ? O_WRONLY : O_RDONLY, out);
    }
    Status xfer(File& f, Access a, void* buf, std::size_t n, std::int64_t offset) override {
        auto& nf = static_cast<NativeFile&>(f);
        auto r = a == Access::write ? fs_.pwrite(nf.fd, buf, n, offset)
                                    : fs_.pread(nf.fd, buf, n, offset);
        const char* call = a == Access::write ? "pwrite" : "pread";
        if (!r) return errno_status(r.error(), call, nf.path);
        if (*r != n) return errno_status(EIO, std::string("short ") + call, nf.path);
        return Status::ok();
    }
    Status fsync(File& f) override {
        auto& nf = static_cast<NativeFile&>(f);
        auto r = fs_.fsync(nf.fd);
        return r ? Status::ok() : errno_status(r.error(), "fsync", nf.path);
    }
    Status close(std::unique_ptr<File> f) override {
        auto& nf = static_cast<NativeFile&>(*f);
        auto r = fs_.close(nf.fd);
        return r ? Status::ok() : errno_status(r.error(), "close", nf.path);
    }
    Status remove(const std::string& path) override {
        auto r = fs_.unlink(path);
        return r ? Status::ok() : errno_status(r.error(), "unlink", path);
    }
    Status get_file_size(const std::string& path, std::int64_t* size) override {
        return stat(path, size);
    }
    Status mkdir(const std::string& path) override {
        auto r = fs_.mkdir(path);
        return r ? Status::ok() : errno_status(r.error(), "mkdir", path);
    }
    Status rmdir(const std::string& path) override {
        auto r = fs_.rmdir(path);
        return r ? Status::ok() : errno_status(r.error(), "rmdir", path);
    }
    Status stat(const std::string& path, std::int64_t* size) override {
        auto r = fs_.stat(path);
        if (!r) return errno_status(r.error(), "stat", path);
        if (size != nullptr) *size = static_cast<std::int64_t>(r->size);
        return Status::ok();
    }
    Status mknod(const std::string& path) override {
        auto fd = fs_.open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (!fd) return errno_status(fd.error(), "create", path);
        auto r = fs_.close(*fd);
        return r ? Status::ok() : errno_status(r.error(), "close", path);
    }

    Status md_sync() override {
        auto r = fs_.sync_namespace();
        return r ? Status::ok() : errno_status(r.error(), "sync_namespace", "/");
    }

  private:
    Status open_flags(const std::string& path, int flags, std::unique_ptr<File>* out) {
        auto fd = fs_.open(path, flags, 0644);
        if (!fd) return errno_status(fd.error(), "open", path);
        *out = std::make_unique<NativeFile>(*fd, path);
        return Status::ok();
    }
    pfs::client::Client fs_;
};

}  // namespace

std::unique_ptr<Backend> make_native_backend(mpi_tools::Job& job, std::string* why) {
    if (job.layout().plain) {
        *why =
            "NATIVE needs a PFS job (pfs-run --meta M --data D --compute C); this is a plain job";
        return nullptr;
    }
    auto b = std::make_unique<NativeBackend>(job);
    if (b->connect_error() != 0) {
        *why = std::string("PFS servers not reachable: ") + std::strerror(b->connect_error());
        return nullptr;
    }
    return b;
}

std::vector<std::string> backend_names() {
#ifdef PFS_IOR_HDF5
    return {"NATIVE", "POSIX", "MPIIO", "HDF5", "DUMMY"};
#else
    return {"NATIVE", "POSIX", "MPIIO", "DUMMY"};
#endif
}

std::unique_ptr<Backend> make_backend(std::string_view name, mpi_tools::Job& job,
                                      std::string* why) {
    if (name == "NATIVE") return make_native_backend(job, why);
    if (name == "POSIX") return make_posix_backend();
    if (name == "MPIIO") return make_mpiio_backend();
    if (name == "DUMMY") return make_dummy_backend();
#ifdef PFS_IOR_HDF5
    if (name == "HDF5") return make_hdf5_backend();
#endif
    *why = "unknown API '" + std::string(name) + "'";
    return nullptr;
}

}  // namespace pfs_ior
