// The directory-tree archive backend (archive_backend.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "archive_backend.hpp"

namespace pfs::hsm {

namespace {

int fsync_dir(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    const int rc = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    return rc;
}

// mkdir -p with 0700, for the directories between the root and a copy.
int make_dirs(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return ec.value();
    return 0;
}

class DirWriter final : public ArchiveWriter {
  public:
    DirWriter(int fd, std::string tmp, std::string final_path)
        : fd_(fd), tmp_(std::move(tmp)), final_(std::move(final_path)) {}
    ~DirWriter() override {
        if (fd_ >= 0) {
            ::close(fd_);
            ::unlink(tmp_.c_str());
        }
    }
    int write(const void* buf, std::size_t len) override {
        const char* p = static_cast<const char*>(buf);
        while (len > 0) {
            const ssize_t n = ::write(fd_, p, len);
            if (n < 0) {
                if (errno == EINTR) continue;
                return errno;
            }
            p += n;
            len -= static_cast<std::size_t>(n);
        }
        return 0;
    }
    int commit() override {
        if (::fsync(fd_) != 0) return errno;
        if (::close(fd_) != 0) {
            fd_ = -1;
            ::unlink(tmp_.c_str());
            return errno;
        }
        fd_ = -1;
        if (::rename(tmp_.c_str(), final_.c_str()) != 0) {
            const int e = errno;
            ::unlink(tmp_.c_str());
            return e;
        }
        return fsync_dir(std::filesystem::path(final_).parent_path().string());
    }

  private:
    int fd_;
    std::string tmp_, final_;
};

class DirReader final : public ArchiveReader {
  public:
    DirReader(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
    ~DirReader() override { ::close(fd_); }
    ssize_t pread(void* buf, std::size_t len, std::uint64_t off) override {
        std::size_t done = 0;
        while (done < len) {
            const ssize_t n = ::pread(fd_, static_cast<char*>(buf) + done, len - done,
                                      static_cast<off_t>(off + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                return -errno;
            }
            if (n == 0) break;
            done += static_cast<std::size_t>(n);
        }
        return static_cast<ssize_t>(done);
    }
    std::uint64_t size() const override { return size_; }

  private:
    int fd_;
    std::uint64_t size_;
};

class DirBackend final : public ArchiveBackend {
  public:
    explicit DirBackend(std::string root) : root_(std::move(root)) {}

    int create(const std::string& id, std::unique_ptr<ArchiveWriter>* out) override {
        if (!valid_archive_id(id)) return EINVAL;
        const std::string path = root_ + "/" + id;
        if (int e = make_dirs(std::filesystem::path(path).parent_path().string())) return e;
        const std::string tmp = path + ".tmp";
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return errno;
        *out = std::make_unique<DirWriter>(fd, tmp, path);
        return 0;
    }
    int open(const std::string& id, std::unique_ptr<ArchiveReader>* out) override {
        if (!valid_archive_id(id)) return EINVAL;
        const std::string path = root_ + "/" + id;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno;
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            const int e = errno;
            ::close(fd);
            return e;
        }
        *out = std::make_unique<DirReader>(fd, static_cast<std::uint64_t>(st.st_size));
        return 0;
    }
    int remove(const std::string& id) override {
        if (!valid_archive_id(id)) return EINVAL;
        const std::string path = root_ + "/" + id;
        const bool tmp_gone = ::unlink((path + ".tmp").c_str()) == 0;
        if (::unlink(path.c_str()) != 0) return errno == ENOENT && tmp_gone ? 0 : errno;
        return fsync_dir(std::filesystem::path(path).parent_path().string());
    }
    int stat(const std::string& id, std::uint64_t* size) override {
        if (!valid_archive_id(id)) return EINVAL;
        struct stat st {};
        if (::stat((root_ + "/" + id).c_str(), &st) != 0) return errno;
        *size = static_cast<std::uint64_t>(st.st_size);
        return 0;
    }
    std::string location(const std::string& id) const override {
        return valid_archive_id(id) ? root_ + "/" + id : std::string("<invalid id>");
    }

  private:
    std::string root_;
};

}  // namespace

std::string make_archive_id(std::uint64_t fsid, std::uint64_t ino, std::uint64_t gen,
                            std::uint64_t stamp) {
    char b[128];
    std::snprintf(b, sizeof b, "%016" PRIx64 "/%02" PRIx64 "/%" PRIx64 "-%" PRIx64 "-%" PRIx64,
                  fsid, ino & 0xff, ino, gen, stamp);
    return b;
}

bool valid_archive_id(std::string_view id) {
    if (id.empty() || id.size() > 200) return false;
    bool segment_empty = true;
    for (char c : id) {
        if (c == '/') {
            if (segment_empty) return false;  // leading '/' or "//"
            segment_empty = true;
            continue;
        }
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) return false;
        segment_empty = false;
    }
    return !segment_empty;  // no trailing '/'
}

std::unique_ptr<ArchiveBackend> make_dir_backend(const std::string& root, int* error) {
    *error = 0;
    if (root.empty() || root[0] != '/') {
        *error = EINVAL;
        return nullptr;
    }
    if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
        if (int e = make_dirs(root)) {
            *error = e;
            return nullptr;
        }
    }
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        *error = ENOTDIR;
        return nullptr;
    }
    return std::make_unique<DirBackend>(root);
}

}  // namespace pfs::hsm
