// DUMMY backend (as IOR's aiori-DUMMY): no I/O at all, to test the harness itself. Writes are
// dropped, reads return zeros, so data verification (-W/-R) must report every word wrong; file
// sizes are remembered per path so the driver's size check and the namespace calls behave.
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "aiori.hpp"

namespace pfs_ior {
namespace {

class DummyFile : public File {
  public:
    explicit DummyFile(std::string p) : path(std::move(p)) {}
    std::string path;
};

class DummyBackend : public Backend {
  public:
    const char* name() const override { return "DUMMY"; }
    std::string version() const override { return "0"; }
    Status create(const std::string& path, const OpenHints&, std::unique_ptr<File>* out) override {
        std::lock_guard lk(mu_);
        sizes_.try_emplace(path, 0);
        *out = std::make_unique<DummyFile>(path);
        return Status::ok();
    }
    Status open(const std::string& path, Access, const OpenHints&,
                std::unique_ptr<File>* out) override {
        *out = std::make_unique<DummyFile>(path);
        return Status::ok();
    }
    Status xfer(File& f, Access a, void* buf, std::size_t n, std::int64_t offset) override {
        if (a == Access::read) {
            std::memset(buf, 0, n);
            return Status::ok();
        }
        std::lock_guard lk(mu_);
        auto& sz = sizes_[static_cast<DummyFile&>(f).path];
        sz = std::max<std::int64_t>(sz, offset + static_cast<std::int64_t>(n));
        return Status::ok();
    }
    Status fsync(File&) override { return Status::ok(); }
    Status close(std::unique_ptr<File>) override { return Status::ok(); }
    Status remove(const std::string& path) override {
        std::lock_guard lk(mu_);
        return sizes_.erase(path) != 0 ? Status::ok() : errno_status(ENOENT, "unlink", path);
    }
    // The sizes live in this process only: another rank's file of a shared test reports the
    // size this rank wrote, which is what the driver's per-rank view expects of DUMMY.
    Status get_file_size(const std::string& path, std::int64_t* size) override {
        return stat(path, size);
    }
    Status mkdir(const std::string&) override { return Status::ok(); }
    Status rmdir(const std::string&) override { return Status::ok(); }
    Status stat(const std::string& path, std::int64_t* size) override {
        std::lock_guard lk(mu_);
        auto it = sizes_.find(path);
        if (size != nullptr) *size = it == sizes_.end() ? 0 : it->second;
        return Status::ok();
    }
    Status mknod(const std::string& path) override {
        std::lock_guard lk(mu_);
        sizes_.try_emplace(path, 0);
        return Status::ok();
    }

  private:
    std::mutex mu_;
    std::map<std::string, std::int64_t> sizes_;
};

}  // namespace

std::unique_ptr<Backend> make_dummy_backend() {
    return std::make_unique<DummyBackend>();
}

}  // namespace pfs_ior
