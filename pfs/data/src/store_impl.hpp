// Internals of ObjectStore: the fd cache and the volume usage accounting.
#pragma once

#include <atomic>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "pfs/data/direct_access.hpp"
#include "pfs/data/object_store.hpp"

namespace pfs::data {

struct FdEntry {
    int fd = -1;
    // Serialises allocation-changing operations on this object so that the st_blocks delta
    // measured around each one is its own (keeps the usage counter exact).
    std::mutex alloc_mu;
    // Set when the object was created and its directory entry is not yet durable.
    std::atomic<bool> dirent_unsynced{false};
    FdEntry() = default;
    FdEntry(const FdEntry&) = delete;
    FdEntry& operator=(const FdEntry&) = delete;
    ~FdEntry();
};

using FdRef = std::shared_ptr<FdEntry>;

struct ObjectIdHash {
    std::size_t operator()(const ObjectId& id) const noexcept {
        return std::hash<std::uint64_t>()(id.ino * 0x9e3779b97f4a7c15ull ^ id.gen);
    }
};

struct ObjectStore::Impl {
    std::filesystem::path dir;
    std::filesystem::path objects;
    ObjectStoreOptions opt;
    bool in_memory = false;              // the volume is tmpfs: a lookup never waits for a disk
    std::atomic<std::uint64_t> used{0};  // bytes allocated by objects on this volume
    // Bytes that clients of this host allocated writing objects directly (direct_access.hpp).
    std::unique_ptr<DirectUsage> direct_usage;
    void fold_direct_usage() noexcept {
        if (direct_usage) used.fetch_add(direct_usage->take());
    }

    mutable std::mutex cache_mu;
    std::list<std::pair<ObjectId, FdRef>> lru;  // front = most recently used
    std::unordered_map<ObjectId, std::list<std::pair<ObjectId, FdRef>>::iterator, ObjectIdHash>
        index;

    std::filesystem::path path_of(ObjectId id) const;
    // The object's fd; with !create a missing object is ENOENT.
    Result<FdRef> acquire(ObjectId id, bool create);
    // acquire(id, true), except that over quota a missing object is not even created: a write
    // of `len` bytes to a new object needs about that much space.
    Result<FdRef> acquire_for_write(ObjectId id, std::uint64_t len);
    // Drops the cache's reference (the fd closes when in-flight users finish).
    void forget_locked(ObjectId id);

    // Reserves `need` bytes against the quota (ENOSPC if it does not fit).
    Result<void> reserve(std::uint64_t need);
    // Applies a measured allocation change after an operation that reserved `reserved`.
    void settle(std::int64_t measured_delta, std::uint64_t reserved) noexcept;
};

// st_blocks of fd in bytes, or -1.
std::int64_t allocated_bytes(int fd) noexcept;

// Runs `op()` (returning some Result) under the object's allocation lock, after reserving what a
// write of [off, off+len) may allocate (len == 0: reserve nothing), then settles the usage.
template <class Op>
auto with_usage(ObjectStore::Impl& s, FdEntry& e, std::uint64_t off, std::uint64_t len, Op&& op)
    -> decltype(op()) {
    std::lock_guard g(e.alloc_mu);
    s.fold_direct_usage();  // before measuring: a removal may free what a client allocated
    const auto before = allocated_bytes(e.fd);
    std::uint64_t need = 0;
    if (len != 0) {
        auto u = unallocated_in(e.fd, off, len);
        if (!u) return Errno{u.error()};
        need = *u;
        if (auto r = s.reserve(need); !r) return Errno{r.error()};
    }
    auto r = op();
    const auto after = allocated_bytes(e.fd);
    s.settle(before >= 0 && after >= 0 ? after - before : static_cast<std::int64_t>(need), need);
    return r;
}

}  // namespace pfs::data
