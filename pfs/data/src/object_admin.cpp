// Space management of objects: hole punching, truncation, removal, allocation maps, statfs.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "store_impl.hpp"

namespace pfs::data {

Result<void> ObjectStore::punch_hole(ObjectId id, std::uint64_t off, std::uint64_t len) {
    if (len == 0 || off > config::kMaxFileSize || len > config::kMaxFileSize - off)
        return Errno{EINVAL};
    auto e = impl_->acquire(id, false);
    if (!e) return e.error() == ENOENT ? ok() : Result<void>(Errno{e.error()});
    return with_usage(*impl_, **e, 0, 0, [&]() -> Result<void> {
        if (::fallocate((*e)->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        static_cast<off_t>(off), static_cast<off_t>(len)) != 0)
            return Errno{errno};
        return {};
    });
}

Result<void> ObjectStore::truncate(ObjectId id, std::uint64_t size) {
    if (size > config::kMaxFileSize) return Errno{EFBIG};
    auto e = impl_->acquire(id, size != 0);
    if (!e) return e.error() == ENOENT ? ok() : Result<void>(Errno{e.error()});
    return with_usage(*impl_, **e, 0, 0, [&]() -> Result<void> {
        if (::ftruncate((*e)->fd, static_cast<off_t>(size)) != 0) return Errno{errno};
        return {};
    });
}

bool ObjectStore::absent(ObjectId id) const {
    if (!impl_->in_memory) return false;  // on a disk the lookup could wait: the worker checks
    struct stat st {};
    return ::lstat(impl_->path_of(id).c_str(), &st) != 0 && errno == ENOENT;
}

Result<bool> ObjectStore::remove(ObjectId id) {
    const auto p = impl_->path_of(id);
    // Under the cache lock so no concurrent acquire() re-opens the name between the two steps.
    std::lock_guard g(impl_->cache_mu);
    impl_->forget_locked(id);
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
        if (errno == ENOENT) return false;
        return Errno{errno};
    }
    if (::unlink(p.c_str()) != 0) {
        if (errno == ENOENT) return false;
        return Errno{errno};
    }
    impl_->settle(-static_cast<std::int64_t>(st.st_blocks) * 512, 0);
    return true;
}

Result<std::vector<Extent>> ObjectStore::alloc_map(ObjectId id, std::uint64_t off,
                                                   std::uint64_t len) {
    if (off > config::kMaxFileSize || len > config::kMaxFileSize - off) return Errno{EINVAL};
    std::vector<Extent> out;
    auto e = impl_->acquire(id, false);
    if (!e) return e.error() == ENOENT ? Result<std::vector<Extent>>(out) : Errno{e.error()};
    const int fd = (*e)->fd;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return Errno{errno};
    const std::uint64_t end = std::min(off + len, static_cast<std::uint64_t>(st.st_size));
    auto emit = [&](std::uint64_t a, std::uint64_t b, bool data) {
        if (b <= a) return;
        if (!out.empty() && out.back().is_data == data &&
            out.back().offset + out.back().length == a)
            out.back().length += b - a;
        else
            out.push_back(Extent{a, b - a, data});
    };
    std::uint64_t pos = off;
    while (pos < end) {
        const off_t d = ::lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
        std::uint64_t data_at = end;
        if (d >= 0) {
            data_at = std::min(static_cast<std::uint64_t>(d), end);
        } else if (errno != ENXIO) {
            return Errno{errno};
        }
        emit(pos, data_at, false);
        pos = data_at;
        if (pos >= end) break;
        const off_t h = ::lseek(fd, static_cast<off_t>(pos), SEEK_HOLE);
        if (h < 0) return Errno{errno};
        const auto hole_at = std::min(static_cast<std::uint64_t>(h), end);
        emit(pos, hole_at, true);
        pos = hole_at;
    }
    return out;
}

Result<VolumeStat> ObjectStore::statfs() const {
    struct statvfs sv {};
    if (::statvfs(impl_->dir.c_str(), &sv) != 0) return Errno{errno};
    VolumeStat s;
    s.total_bytes = static_cast<std::uint64_t>(sv.f_blocks) * sv.f_frsize;
    s.free_bytes = static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize;
    impl_->fold_direct_usage();
    s.used_bytes = impl_->used.load();
    if (const auto q = impl_->opt.quota_bytes; q != 0) {
        s.total_bytes = q;
        s.free_bytes = std::min(s.free_bytes, q - std::min(q, s.used_bytes));
    }
    return s;
}

Result<std::vector<ObjectId>> ObjectStore::list(std::uint32_t shard, ObjectId after,
                                                std::size_t max, bool* done) const {
    if (shard >= config::kObjectShards || max == 0 || done == nullptr) return Errno{EINVAL};
    std::vector<ObjectId> all;
    std::error_code ec;
    // The directory of inode `shard`'s objects is the shard's (object_relpath names them).
    std::filesystem::directory_iterator it(impl_->path_of(ObjectId{shard, 0}).parent_path(), ec),
        end;
    if (ec) {
        *done = true;
        if (ec == std::errc::no_such_file_or_directory) return all;  // no object made it yet
        return Errno{ec.value()};
    }
    // A directory has no stable cursor across calls: each page lists it and sorts.
    for (; it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const char* b = name.data();
        const char* e = b + name.size();
        const char* dot = static_cast<const char*>(std::memchr(b, '.', name.size()));
        ObjectId id;
        if (dot == nullptr || std::from_chars(b, dot, id.ino).ptr != dot ||
            std::from_chars(dot + 1, e, id.gen).ptr != e)
            continue;
        if (id.ino < after.ino || (id.ino == after.ino && id.gen <= after.gen)) continue;
        all.push_back(id);
    }
    if (ec) return Errno{ec.value()};
    std::sort(all.begin(), all.end(), [](const ObjectId& x, const ObjectId& y) {
        return x.ino != y.ino ? x.ino < y.ino : x.gen < y.gen;
    });
    *done = all.size() <= max;
    if (all.size() > max) all.resize(max);
    return all;
}

}  // namespace pfs::data
