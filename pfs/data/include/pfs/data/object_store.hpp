// ObjectStore: the data volume of one storage server. Each file's share on this server is one
// sparse object file, objects/<ino & 0xff, 2 hex>/<ino>.<gen>, addressed by OBJECT offsets (the
// client has already striped file offsets, see pfs/client/striping.hpp).
//
// Semantics callers rely on:
//  - Objects are created by the first write/truncate/writable map; reading, mapping read-only,
//    fsyncing, punching or mapping the allocation of a missing object behaves as for an empty
//    object (striped files leave objects untouched on servers their writes never reached).
//  - pread returns a SHORT COUNT at object EOF (0 at or beyond it); holes read as zeros. The
//    client zero-fills up to the file size, which only the metadata service knows.
//  - Durability: a write is durable after fsync(id) (fdatasync, plus the directory entry of a
//    newly created object). Data stored through a live writable Mapping lives in the same page
//    cache, so fsync(id) covers it too; Mapping::sync() (msync MS_SYNC) flushes just its range.
//  - Capacity: with a quota (bytes, 0 = none) a write that could need more blocks than remain
//    fails with ENOSPC before touching the object; real ENOSPC/EDQUOT/EFBIG surface as errnos.
//    Usage is measured from st_blocks (scanned at open, tracked per operation), so overwrites of
//    allocated ranges never hit the quota.
//  - Thread-safe. Open fds live in a bounded LRU cache; an evicted fd stays open until the last
//    operation using it finishes. The store must outlive every Mapping made from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "pfs/common/config.hpp"
#include "pfs/common/result.hpp"
#include "pfs/common/types.hpp"

namespace pfs::data {

struct ObjectStoreOptions {
    std::uint64_t quota_bytes = config::kDefaultVolumeQuota;  // 0 = unlimited
    std::size_t fd_cache_size = config::kObjectFdCacheSize;   // >= 1
};

struct FdEntry;  // internal: one open object fd

// An mmap(MAP_SHARED) view of an object byte range; unmapped on destruction. The mapping is
// page-aligned internally; data() covers exactly the requested bytes (clipped at EOF for
// read-only maps). Never truncate an object below a live mapping: touching pages beyond EOF
// raises SIGBUS.
class Mapping {
  public:
    Mapping() = default;
    Mapping(Mapping&& o) noexcept;
    Mapping& operator=(Mapping&& o) noexcept;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping();

    std::span<std::byte> data() const noexcept { return {ptr_, len_}; }
    bool writable() const noexcept { return writable_; }
    // msync(MS_SYNC) of the mapped range: durable on return.
    Result<void> sync() const;

  private:
    friend class ObjectStore;
    void release() noexcept;
    void* base_ = nullptr;
    std::size_t map_len_ = 0;
    std::byte* ptr_ = nullptr;
    std::size_t len_ = 0;
    bool writable_ = false;
    std::shared_ptr<FdEntry> fd_;
};

class ObjectStore {
  public:
    // `dir` (the data volume) must exist: ENOENT / ENOTDIR otherwise; objects/ is created.
    static Result<std::unique_ptr<ObjectStore>> open(const std::filesystem::path& dir,
                                                     const ObjectStoreOptions& opt = {});
    ~ObjectStore();
    ObjectStore(const ObjectStore&) = delete;
    ObjectStore& operator=(const ObjectStore&) = delete;

    // Writes all of `buf` at `off` (or fails): EFBIG beyond kMaxFileSize, ENOSPC over quota.
    Result<std::size_t> pwrite(ObjectId id, std::span<const std::byte> buf, std::uint64_t off);
    // Bytes read; short at EOF; 0 for a missing object. EINVAL if off + len overflows.
    Result<std::size_t> pread(ObjectId id, std::span<std::byte> buf, std::uint64_t off);
    // Vectored variants (at most IOV_MAX buffers, else EINVAL); same semantics.
    Result<std::size_t> pwritev(ObjectId id, std::span<const std::span<const std::byte>> iov,
                                std::uint64_t off);
    Result<std::size_t> preadv(ObjectId id, std::span<const std::span<std::byte>> iov,
                               std::uint64_t off);

    Result<void> fsync(ObjectId id);
    // Deallocates [off, off+len) keeping the size (FALLOC_FL_PUNCH_HOLE|KEEP_SIZE); len > 0.
    Result<void> punch_hole(ObjectId id, std::uint64_t off, std::uint64_t len);
    // Sets the object size (creating it unless size == 0).
    Result<void> truncate(ObjectId id, std::uint64_t size);
    // true if an object was removed, false if there was none.
    Result<bool> remove(ObjectId id);
    // True if no object exists now (one lstat, no lock): a hint that may be stale at once, for
    // callers to whom a concurrent creation makes no difference (see data_service.cpp). Only on
    // a volume in memory (tmpfs); on a disk always false, so that a progress thread asking it
    // never waits for the disk.
    bool absent(ObjectId id) const;
    // Object size in bytes (0 if missing).
    Result<std::uint64_t> size(ObjectId id);
    // Data and hole runs covering [off, min(off + len, size)) in order (SEEK_DATA/SEEK_HOLE).
    Result<std::vector<Extent>> alloc_map(ObjectId id, std::uint64_t off, std::uint64_t len);
    // Volume capacity (statvfs), bounded by the quota when there is one.
    Result<VolumeStat> statfs() const;
    // The objects of fan-out directory `shard` (< config::kObjectShards) after `after`, in
    // (ino, gen) order, at most `max`; *done when none follow. Names that are not <ino>.<gen>
    // are skipped. For the orphan scrub; EINVAL for a bad shard or max 0.
    Result<std::vector<ObjectId>> list(std::uint32_t shard, ObjectId after, std::size_t max,
                                       bool* done) const;

    // Zero-copy access for servers: a writable map first allocates the range with fallocate
    // (extending the object if needed), so page faults cannot hit ENOSPC and turn into SIGBUS;
    // ENOSPC / quota errors are returned here instead. A read-only map of a missing object or
    // a range beyond EOF is empty; it is clipped at EOF otherwise. len > 0.
    Result<Mapping> map_range(ObjectId id, std::uint64_t off, std::uint64_t len, bool writable);

    std::filesystem::path object_path(ObjectId id) const;
    std::size_t cached_fds() const;  // for tests and monitoring

    struct Impl;

  private:
    explicit ObjectStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace pfs::data
