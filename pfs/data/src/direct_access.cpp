#include "pfs/data/direct_access.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>

namespace pfs::data {

namespace {
constexpr std::uint64_t kBlock = 4096;
constexpr std::size_t kUsageFileSize = 4096;
}  // namespace

std::filesystem::path object_relpath(ObjectId id) {
    char sub[3], name[48];
    std::snprintf(sub, sizeof sub, "%02x", static_cast<unsigned>(id.ino & 0xff));
    std::snprintf(name, sizeof name, "%" PRIu64 ".%" PRIu32, id.ino, id.gen);
    return std::filesystem::path("objects") / sub / name;
}

Result<std::uint64_t> unallocated_in(int fd, std::uint64_t off, std::uint64_t len) {
    const std::uint64_t start = off / kBlock * kBlock;
    const std::uint64_t end = (off + len + kBlock - 1) / kBlock * kBlock;
    std::uint64_t holes = 0, pos = start;
    while (pos < end) {
        const off_t d = ::lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
        if (d < 0) {
            if (errno != ENXIO) return Errno{errno};
            return holes + (end - pos);  // no data at or after pos (or pos beyond EOF)
        }
        const auto data = static_cast<std::uint64_t>(d);
        if (data >= end) return holes + (end - pos);
        holes += data - pos;
        const off_t h = ::lseek(fd, d, SEEK_HOLE);
        if (h < 0) return Errno{errno};
        pos = static_cast<std::uint64_t>(h);
    }
    return holes;
}

Result<std::unique_ptr<DirectUsage>> DirectUsage::open(const std::filesystem::path& volume_dir,
                                                       bool create) {
    const auto p = volume_dir / kDirectUsageFile;
    const int fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
    if (fd < 0) return Errno{errno};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (st.st_size < static_cast<off_t>(kUsageFileSize) &&
                                  (!create || ::ftruncate(fd, kUsageFileSize) != 0))) {
        const int e = errno != 0 ? errno : EINVAL;
        ::close(fd);
        return Errno{create ? e : ENOENT};
    }
    void* m = ::mmap(nullptr, kUsageFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int e = errno;
    ::close(fd);  // the mapping keeps the file
    if (m == MAP_FAILED) return Errno{e};
    std::unique_ptr<DirectUsage> u(new DirectUsage);
    u->word_ = static_cast<std::uint64_t*>(m);
    if (create) std::atomic_ref<std::uint64_t>(*u->word_).store(0);
    return u;
}

DirectUsage::~DirectUsage() {
    if (word_ != nullptr) ::munmap(word_, kUsageFileSize);
}

void DirectUsage::add(std::uint64_t bytes) noexcept {
    if (bytes != 0) std::atomic_ref<std::uint64_t>(*word_).fetch_add(bytes);
}

std::uint64_t DirectUsage::take() noexcept {
    return std::atomic_ref<std::uint64_t>(*word_).exchange(0);
}

}  // namespace pfs::data
