#include "direct_volumes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "pfs/common/config.hpp"
#include "pfs/common/storage.hpp"

namespace pfs::client {

struct DirectVolumes::Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

namespace {

// preadv/pwritev over `segments` of `buf` from object offset `off`, IOV_MAX at a time, until
// all bytes moved or (reads) the object ends. Bytes moved, or the errno.
template <bool kWrite, class Byte>
Result<std::uint64_t> transfer(int fd, Byte* buf, std::span<const BufferSegment> segments,
                               std::uint64_t off) {
    std::vector<iovec> iov;
    std::uint64_t moved = 0;
    std::size_t next = 0;       // first segment not (fully) moved
    std::uint64_t partial = 0;  // bytes of segments[next] already moved
    while (next < segments.size()) {
        iov.clear();
        for (std::size_t i = next; i < segments.size() && iov.size() < IOV_MAX; ++i) {
            const std::uint64_t skip = i == next ? partial : 0;
            iov.push_back(iovec{const_cast<std::byte*>(buf + segments[i].buffer_offset + skip),
                                static_cast<std::size_t>(segments[i].length - skip)});
        }
        const auto at = static_cast<off_t>(off + moved);
        const ssize_t n = kWrite ? ::pwritev(fd, iov.data(), static_cast<int>(iov.size()), at)
                                 : ::preadv(fd, iov.data(), static_cast<int>(iov.size()), at);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Errno{errno};
        }
        if (n == 0) {
            if (kWrite) return Errno{EIO};  // pwritev moved nothing without an error
            break;                          // the object ends here
        }
        moved += static_cast<std::uint64_t>(n);
        auto left = static_cast<std::uint64_t>(n);
        while (left > 0 && next < segments.size()) {
            const std::uint64_t rest = segments[next].length - partial;
            if (left < rest) {
                partial += left;
                left = 0;
            } else {
                left -= rest;
                partial = 0;
                ++next;
            }
        }
    }
    return moved;
}

}  // namespace

DirectVolumes::DirectVolumes(const std::vector<std::filesystem::path>& dirs) {
    vols_.resize(dirs.size());
    for (std::size_t v = 0; v < dirs.size(); ++v) {
        if (dirs[v].empty() || network_volume(dirs[v])) continue;
        auto u = data::DirectUsage::open(dirs[v], false);
        if (!u) continue;  // no server opened it here: the servers' path
        vols_[v].dir = dirs[v];
        vols_[v].usage = std::move(*u);
        vols_[v].creates = in_memory_volume(dirs[v]);
    }
}

DirectVolumes::~DirectVolumes() = default;

bool DirectVolumes::any() const {
    return std::any_of(vols_.begin(), vols_.end(),
                       [](const Volume& v) { return v.usage != nullptr; });
}

Result<DirectVolumes::FdRef> DirectVolumes::fd_of(std::uint32_t volume, ObjectId id, bool create) {
    const Key k{volume, id.ino, id.gen};
    std::lock_guard g(mu_);
    if (auto it = index_.find(k); it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second;
    }
    const auto p = vols_[volume].dir / data::object_relpath(id);
    int fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create && vols_[volume].creates) {
        // As ObjectStore does, without its fsyncs (in memory they promise nothing more).
        if (::mkdir(p.parent_path().c_str(), 0700) != 0 && errno != EEXIST) return Errno{errno};
        fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, config::kObjectFileMode);
    }
    if (fd < 0) return Errno{errno};
    auto e = std::make_shared<Fd>(fd);
    lru_.emplace_front(k, e);
    index_.emplace(k, lru_.begin());
    while (lru_.size() > config::kClientDirectFds) {
        index_.erase(lru_.back().first);
        lru_.pop_back();  // closes once no operation uses it
    }
    return e;
}

Result<void> DirectVolumes::write(std::uint32_t volume, ObjectId id, const std::byte* buf,
                                  std::span<const BufferSegment> segments, std::uint64_t off) {
    if (!enabled(volume)) return Errno{ENOENT};
    auto f = fd_of(volume, id, true);
    if (!f) return Errno{ENOENT};  // missing, or not ours to open: the server's path
    std::uint64_t len = 0;
    for (const auto& s : segments) len += s.length;
    if (len == 0) return {};  // object ranges come from file ranges the caller bounded
    // Counted before the bytes land, so a watermark check never sees the data without its
    // allocation; a write that fails part-way leaves the count at most `len` high until the
    // server's next open rescans the volume.
    if (auto holes = data::unallocated_in((*f)->fd, off, len)) vols_[volume].usage->add(*holes);
    auto n = transfer<true>((*f)->fd, buf, segments, off);
    if (!n) return Errno{n.error()};
    return {};
}

Result<std::uint64_t> DirectVolumes::read(std::uint32_t volume, ObjectId id, std::byte* buf,
                                          std::span<const BufferSegment> segments,
                                          std::uint64_t off) {
    if (!enabled(volume)) return Errno{ENOENT};
    auto f = fd_of(volume, id, false);
    if (!f) {
        if (f.error() == ENOENT) return std::uint64_t{0};  // never written: reads as zeros
        return Errno{ENOENT};                              // exists, not ours: the server's path
    }
    return transfer<false>((*f)->fd, buf, segments, off);
}

void DirectVolumes::forget(Ino ino, Gen gen) {
    std::lock_guard g(mu_);
    for (auto it = lru_.begin(); it != lru_.end();) {
        const auto& [v, i, gg] = it->first;
        (void)v;
        if (i == ino && gg == gen) {
            index_.erase(it->first);
            it = lru_.erase(it);
        } else {
            ++it;
        }
    }
}

std::size_t DirectVolumes::cached_fds() const {
    std::lock_guard g(mu_);
    return lru_.size();
}

}  // namespace pfs::client
