// POSIX backend: open/pwrite/pread/fsync on a local path. The baseline every PFS figure is
// compared with (same machine, same run, same workload).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "aiori.hpp"

namespace pfs_ior {

Status errno_status(int err, std::string_view call, std::string_view path) {
    Status s;
    s.err = err > 0 ? err : EIO;
    s.msg = std::string(call) + " " + std::string(path) + ": " + std::strerror(s.err);
    return s;
}

namespace {

class PosixFile : public File {
  public:
    PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    ~PosixFile() override {
        if (fd_ >= 0) ::close(fd_);
    }
    int fd_;
    std::string path_;
};

class PosixBackend : public Backend {
  public:
    const char* name() const override { return "POSIX"; }
    std::string version() const override { return "SUSv4"; }

    Status create(const std::string& path, const OpenHints&, std::unique_ptr<File>* out) override {
        return open_flags(path, O_CREAT | O_WRONLY, out);
    }
    Status open(const std::string& path, Access a, const OpenHints&,
                std::unique_ptr<File>* out) override {
        return open_flags(path, a == Access::write ? O_WRONLY : O_RDONLY, out);
    }
    Status xfer(File& f, Access a, void* buf, std::size_t n, std::int64_t offset) override {
        auto& pf = static_cast<PosixFile&>(f);
        auto* p = static_cast<char*>(buf);
        std::size_t done = 0;
        while (done < n) {
            const ssize_t r = a == Access::write
                                  ? ::pwrite(pf.fd_, p + done, n - done, offset + done)
                                  : ::pread(pf.fd_, p + done, n - done, offset + done);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0)
                return errno_status(errno, a == Access::write ? "pwrite" : "pread", pf.path_);
            if (r == 0) return errno_status(EIO, "short transfer (end of file)", pf.path_);
            done += static_cast<std::size_t>(r);
        }
        return Status::ok();
    }
    Status fsync(File& f) override {
        auto& pf = static_cast<PosixFile&>(f);
        return ::fsync(pf.fd_) == 0 ? Status::ok() : errno_status(errno, "fsync", pf.path_);
    }
    Status close(std::unique_ptr<File> f) override {
        auto& pf = static_cast<PosixFile&>(*f);
        const int fd = pf.fd_;
        pf.fd_ = -1;
        return ::close(fd) == 0 ? Status::ok() : errno_status(errno, "close", pf.path_);
    }
    Status remove(const std::string& path) override {
        return ::unlink(path.c_str()) == 0 ? Status::ok() : errno_status(errno, "unlink", path);
    }
    Status get_file_size(const std::string& path, std::int64_t* size) override {
        return stat(path, size);
    }
    Status mkdir(const std::string& path) override {
        return ::mkdir(path.c_str(), 0755) == 0 ? Status::ok() : errno_status(errno, "mkdir", path);
    }
    Status rmdir(const std::string& path) override {
        return ::rmdir(path.c_str()) == 0 ? Status::ok() : errno_status(errno, "rmdir", path);
    }
    Status stat(const std::string& path, std::int64_t* size) override {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return errno_status(errno, "stat", path);
        if (size != nullptr) *size = st.st_size;
        return Status::ok();
    }
    Status mknod(const std::string& path) override {
        const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_EXCL, 0644);
        if (fd < 0) return errno_status(errno, "create", path);
        return ::close(fd) == 0 ? Status::ok() : errno_status(errno, "close", path);
    }

  private:
    static Status open_flags(const std::string& path, int flags, std::unique_ptr<File>* out) {
        const int fd = ::open(path.c_str(), flags, 0644);
        if (fd < 0) return errno_status(errno, "open", path);
        *out = std::make_unique<PosixFile>(fd, path);
        return Status::ok();
    }
};

}  // namespace

std::unique_ptr<Backend> make_posix_backend() {
    return std::make_unique<PosixBackend>();
}

}  // namespace pfs_ior
