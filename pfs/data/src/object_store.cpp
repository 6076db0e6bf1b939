// ObjectStore lifecycle, fd cache, usage accounting and the read/write paths.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <system_error>

#include "pfs/common/storage.hpp"
#include "store_impl.hpp"

namespace pfs::data {

namespace {

constexpr std::uint64_t kBlock = 4096;

// EINTR-safe full-length positional I/O; reads stop early only at EOF.
template <class Sys, class Ptr>
Result<std::size_t> full_io(Sys sys, int fd, Ptr p, std::size_t len, std::uint64_t off) {
    std::size_t done = 0;
    while (done < len) {
        const auto n = sys(fd, p + done, len - done, static_cast<off_t>(off + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return Errno{errno};
        }
        if (n == 0) break;  // EOF (reads); writes never return 0 for len > 0
        done += static_cast<std::size_t>(n);
    }
    return done;
}

Result<void> fsync_dir(const std::filesystem::path& d) {
    const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno{errno};
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return Errno{err};
    return {};
}

// Validates an I/O range: EINVAL if it does not fit in off_t (EFBIG for writes).
Result<void> check_range(std::uint64_t off, std::uint64_t len, int err) {
    if (off > config::kMaxFileSize || len > config::kMaxFileSize - off) return Errno{err};
    return {};
}

}  // namespace

FdEntry::~FdEntry() {
    if (fd >= 0) ::close(fd);
}

std::int64_t allocated_bytes(int fd) noexcept {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return -1;
    return static_cast<std::int64_t>(st.st_blocks) * 512;
}

std::filesystem::path ObjectStore::Impl::path_of(ObjectId id) const {
    return dir / object_relpath(id);
}

Result<FdRef> ObjectStore::Impl::acquire(ObjectId id, bool create) {
    // open() runs under the cache lock so that one object never has two cached fds (and a
    // concurrent remove() cannot interleave); misses are rare next to cached I/O.
    std::lock_guard g(cache_mu);
    if (auto it = index.find(id); it != index.end()) {
        lru.splice(lru.begin(), lru, it->second);
        return it->second->second;
    }
    const auto p = path_of(id);
    auto e = std::make_shared<FdEntry>();
    e->fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
    if (e->fd < 0 && errno == ENOENT && create) {
        const auto sub = p.parent_path();
        if (::mkdir(sub.c_str(), 0700) == 0) {
            PFS_TRY(fsync_dir(objects));  // the new fan-out directory must itself be durable
        } else if (errno != EEXIST) {
            return Errno{errno};
        }
        e->fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, config::kObjectFileMode);
        if (e->fd >= 0) e->dirent_unsynced = true;
    }
    if (e->fd < 0) return Errno{errno};
    lru.emplace_front(id, e);
    index.emplace(id, lru.begin());
    while (lru.size() > opt.fd_cache_size) {
        index.erase(lru.back().first);
        lru.pop_back();
    }
    return e;
}

Result<FdRef> ObjectStore::Impl::acquire_for_write(ObjectId id, std::uint64_t len) {
    if (opt.quota_bytes == 0) return acquire(id, true);
    auto e = acquire(id, false);
    if (e || e.error() != ENOENT) return e;
    const std::uint64_t blocks = (len + kBlock - 1) / kBlock * kBlock;
    if (blocks > opt.quota_bytes || used.load() > opt.quota_bytes - blocks) return Errno{ENOSPC};
    return acquire(id, true);
}

void ObjectStore::Impl::forget_locked(ObjectId id) {
    if (auto it = index.find(id); it != index.end()) {
        lru.erase(it->second);
        index.erase(it);
    }
}

Result<void> ObjectStore::Impl::reserve(std::uint64_t need) {
    if (opt.quota_bytes == 0) {
        used.fetch_add(need);
        return {};
    }
    auto cur = used.load();
    do {
        if (need > opt.quota_bytes || cur > opt.quota_bytes - need) return Errno{ENOSPC};
    } while (!used.compare_exchange_weak(cur, cur + need));
    return {};
}

void ObjectStore::Impl::settle(std::int64_t measured, std::uint64_t reserved) noexcept {
    const std::int64_t adj = measured - static_cast<std::int64_t>(reserved);
    if (adj >= 0) {
        used.fetch_add(static_cast<std::uint64_t>(adj));
        return;
    }
    // Never wrap below zero (e.g. usage of objects removed behind our back).
    auto cur = used.load();
    std::uint64_t next;
    do {
        next = cur > static_cast<std::uint64_t>(-adj) ? cur - static_cast<std::uint64_t>(-adj) : 0;
    } while (!used.compare_exchange_weak(cur, next));
}

Result<std::unique_ptr<ObjectStore>> ObjectStore::open(const std::filesystem::path& dir,
                                                       const ObjectStoreOptions& opt) {
    if (opt.fd_cache_size == 0) return Errno{EINVAL};
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return Errno{errno};
    if (!S_ISDIR(st.st_mode)) return Errno{ENOTDIR};
    auto impl = std::make_unique<Impl>();
    impl->dir = dir;
    impl->objects = dir / "objects";
    impl->opt = opt;
    impl->in_memory = in_memory_volume(dir);
    if (::mkdir(impl->objects.c_str(), 0700) == 0) {
        PFS_TRY(fsync_dir(dir));
    } else if (errno != EEXIST) {
        return Errno{errno};
    }
    // Usage is the sum of the objects' allocations; O(objects) once per start-up. The direct
    // clients' counter restarts at 0 first: the scan counts what they wrote so far.
    auto du = DirectUsage::open(dir, true);
    if (!du) return Errno{du.error()};
    impl->direct_usage = std::move(*du);
    std::error_code ec;
    std::uint64_t used = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(impl->objects, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        struct stat os {};
        if (::lstat(it->path().c_str(), &os) == 0 && S_ISREG(os.st_mode))
            used += static_cast<std::uint64_t>(os.st_blocks) * 512;
    }
    if (ec) return Errno{ec.value()};
    impl->used = used;
    return std::unique_ptr<ObjectStore>(new ObjectStore(std::move(impl)));
}

ObjectStore::ObjectStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ObjectStore::~ObjectStore() = default;

std::filesystem::path ObjectStore::object_path(ObjectId id) const {
    return impl_->path_of(id);
}

std::size_t ObjectStore::cached_fds() const {
    std::lock_guard g(impl_->cache_mu);
    return impl_->lru.size();
}

Result<std::size_t> ObjectStore::pwrite(ObjectId id, std::span<const std::byte> buf,
                                        std::uint64_t off) {
    PFS_TRY(check_range(off, buf.size(), EFBIG));
    if (buf.empty()) return std::size_t{0};
    auto e = impl_->acquire_for_write(id, buf.size());
    if (!e) return Errno{e.error()};
    return with_usage(*impl_, **e, off, buf.size(),
                      [&] { return full_io(::pwrite, (*e)->fd, buf.data(), buf.size(), off); });
}

Result<std::size_t> ObjectStore::pread(ObjectId id, std::span<std::byte> buf, std::uint64_t off) {
    PFS_TRY(check_range(off, buf.size(), EINVAL));
    if (buf.empty()) return std::size_t{0};
    auto e = impl_->acquire(id, false);
    if (!e) return e.error() == ENOENT ? Result<std::size_t>(std::size_t{0}) : Errno{e.error()};
    return full_io(::pread, (*e)->fd, buf.data(), buf.size(), off);
}

namespace {

// Vectored positional I/O that completes short transfers by advancing through the iovecs.
template <class Span>
Result<std::size_t> vec_io(bool write, int fd, std::span<const Span> iov, std::uint64_t off) {
    std::vector<iovec> v;
    v.reserve(iov.size());
    for (const auto& s : iov)
        if (!s.empty()) v.push_back(iovec{const_cast<std::byte*>(s.data()), s.size()});
    std::size_t done = 0, first = 0;
    while (first < v.size()) {
        const int cnt = static_cast<int>(std::min<std::size_t>(v.size() - first, IOV_MAX));
        const auto at = static_cast<off_t>(off + done);
        const auto n = write ? ::pwritev(fd, v.data() + first, cnt, at)
                             : ::preadv(fd, v.data() + first, cnt, at);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Errno{errno};
        }
        if (n == 0) break;  // EOF on read
        done += static_cast<std::size_t>(n);
        auto left = static_cast<std::size_t>(n);
        while (first < v.size() && left >= v[first].iov_len) left -= v[first++].iov_len;
        if (left > 0) {
            v[first].iov_base = static_cast<std::byte*>(v[first].iov_base) + left;
            v[first].iov_len -= left;
        }
    }
    return done;
}

template <class Span>
Result<std::uint64_t> iov_total(std::span<const Span> iov) {
    if (iov.size() > IOV_MAX) return Errno{EINVAL};
    std::uint64_t t = 0;
    for (const auto& s : iov) {
        if (s.size() > config::kMaxFileSize - t) return Errno{EINVAL};
        t += s.size();
    }
    return t;
}

}  // namespace

Result<std::size_t> ObjectStore::pwritev(ObjectId id,
                                         std::span<const std::span<const std::byte>> iov,
                                         std::uint64_t off) {
    auto total = iov_total(iov);
    if (!total) return Errno{total.error()};
    PFS_TRY(check_range(off, *total, EFBIG));
    if (*total == 0) return std::size_t{0};
    auto e = impl_->acquire_for_write(id, *total);
    if (!e) return Errno{e.error()};
    return with_usage(*impl_, **e, off, *total, [&] { return vec_io(true, (*e)->fd, iov, off); });
}

Result<std::size_t> ObjectStore::preadv(ObjectId id, std::span<const std::span<std::byte>> iov,
                                        std::uint64_t off) {
    auto total = iov_total(iov);
    if (!total) return Errno{total.error()};
    PFS_TRY(check_range(off, *total, EINVAL));
    if (*total == 0) return std::size_t{0};
    auto e = impl_->acquire(id, false);
    if (!e) return e.error() == ENOENT ? Result<std::size_t>(std::size_t{0}) : Errno{e.error()};
    return vec_io(false, (*e)->fd, iov, off);
}

Result<void> ObjectStore::fsync(ObjectId id) {
    auto e = impl_->acquire(id, false);
    if (!e) return e.error() == ENOENT ? ok() : Result<void>(Errno{e.error()});
    // fdatasync also writes pages dirtied through MAP_SHARED mappings (same page cache).
    if (::fdatasync((*e)->fd) != 0) return Errno{errno};
    if ((*e)->dirent_unsynced.exchange(false)) {
        if (auto r = fsync_dir(impl_->path_of(id).parent_path()); !r) {
            (*e)->dirent_unsynced = true;
            return r;
        }
    }
    return {};
}

Result<std::uint64_t> ObjectStore::size(ObjectId id) {
    auto e = impl_->acquire(id, false);
    if (!e) return e.error() == ENOENT ? Result<std::uint64_t>(0) : Errno{e.error()};
    struct stat st {};
    if (::fstat((*e)->fd, &st) != 0) return Errno{errno};
    return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace pfs::data
