// Internals of MetaStore: the LMDB schema and the per-transaction record operations that the
// public operations are composed of.
//
// Schema (all integer keys big-endian so LMDB's byte order is numeric order):
//   inodes   : ino(8)                 -> inode record (inode_codec.hpp)
//   dirents  : parent(8) name         -> child ino(8) type(1) slot(8)
//   dirslots : parent(8) slot(8)      -> child ino(8) type(1) name      (readdir order/cookies)
//   sys      : ascii key              -> little-endian value (format version, fsid, counters)
//   replies  : client(4) slot(2)      -> the reply cache (reply_cache.hpp)
//
// readdir cookies are per-directory slot numbers handed out in creation order and never reused,
// so a cookie stays valid while entries are added and removed concurrently (POSIX telldir).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lmdb.hpp"
#include "pfs/meta/meta_store.hpp"

namespace pfs::meta {

std::int64_t now_ns() noexcept;

using Key8 = std::array<std::byte, 8>;
Key8 be64(std::uint64_t v) noexcept;
std::uint64_t from_be64(lmdb::Bytes b) noexcept;

// n-byte little-endian values inside records (ops.cpp).
void put_le(std::string& s, std::uint64_t v, int n);
std::uint64_t get_le(lmdb::Bytes b, std::size_t at, int n);

struct Dirent {
    Ino ino = 0;
    FileType type = FileType::file;
    std::uint64_t slot = 0;
};

struct MetaStore::Impl {
    lmdb::Env env;
    MDB_dbi inodes = 0;
    MDB_dbi dirents = 0;
    MDB_dbi dirslots = 0;
    MDB_dbi sys = 0;
    MDB_dbi replies = 0;  // reply cache (reply_cache.hpp)
    std::uint64_t fsid = 0;
    std::uint32_t data_servers = 0;
    std::uint64_t stripe_size = 0;
    std::uint32_t stripe_count = 0;  // 0 = all
    ChangeObserver observer;         // set before requests are served, then only read
    AccessGuard guard;               // the same

    Result<void> open_env(const std::filesystem::path& dir, std::size_t map_size, bool sync = true,
                          bool write_map = false);
    Layout default_layout() const noexcept;
};

// Record-level operations inside one transaction. A failing public operation returns before
// commit, so the transaction (and everything done through Ops) is rolled back.
class Ops {
  public:
    Ops(MetaStore::Impl& s, const lmdb::Txn& t) noexcept : s_(s), t_(t) {}

    Result<Inode> get(Ino ino) const;      // ENOENT if absent, EUCLEAN if undecodable
    Result<Inode> get_dir(Ino ino) const;  // + ENOTDIR
    Result<void> put(const Inode& in) const;
    Result<void> erase(Ino ino) const;

    Result<std::optional<Dirent>> find(Ino dir, std::string_view name) const;
    // Adds `name` -> child in `dir`, consuming dir.next_slot (the caller re-puts `dir`).
    Result<void> add_entry(Inode& dir, std::string_view name, Ino child, FileType type) const;
    Result<void> remove_entry(Ino dir, std::string_view name, const Dirent& d) const;
    Result<bool> dir_empty(Ino dir) const;

    // A fresh inode with a new ino and generation, owned by the caller until put().
    Result<Inode> new_inode(FileType type, std::uint32_t mode, std::uint32_t uid,
                            std::uint32_t gid) const;
    Result<Layout> choose_layout(const LayoutHint& hint) const;

    Result<std::uint64_t> sys_u64(std::string_view key) const;
    Result<void> put_sys_u64(std::string_view key, std::uint64_t v) const;

    const lmdb::Txn& txn() const noexcept { return t_; }
    MetaStore::Impl& store() const noexcept { return s_; }
    // After a successful commit: hands the inodes this transaction touched to the observer.
    void committed() const;

  private:
    MetaStore::Impl& s_;
    const lmdb::Txn& t_;
    mutable std::vector<InodeChange> changes_;  // put / erase / remove_entry, in order
};

// Links a freshly made inode under `dir` and persists both (namespace_ops.cpp).
Result<Attr> attach_new(Ops& ops, Inode& dir, std::string_view name, Inode& child);
// Removes the name (dir, name) -> d and drops one link of the child; frees it at zero.
Result<Unlinked> drop_link(Ops& ops, Inode& dir, std::string_view name, const Dirent& d,
                           Inode child, std::int64_t now);
// The delegation record of `dir`, if any (delegation_ops.cpp); erase_delegation ignores none.
Result<std::optional<Delegation>> get_delegation(const Ops& ops, Ino dir);
Result<void> erase_delegation(const Ops& ops, Ino dir);

// The directory at absolute `path` (symlinks followed) inside this transaction; ENOTDIR if the
// path names something else (resolve.cpp).
Result<Inode> resolve_dir(Ops& ops, std::string_view path, std::vector<Ino>* traversed = nullptr);

// Marks `in` changed now: ctime (and mtime if `data`) and the change counter.
void touch(Inode& in, bool mtime, std::int64_t now) noexcept;

// Runs `fn(Ops&)` in one write transaction; commits only if it succeeds.
template <class Fn>
auto write_txn(MetaStore::Impl& s, Fn&& fn) -> decltype(fn(std::declval<Ops&>())) {
    auto t = lmdb::Txn::begin(s.env.get(), true);
    if (!t) return Errno{t.error()};
    Ops ops(s, *t);
    auto r = fn(ops);
    if (!r) return r;
    if (auto c = t->commit(); !c) return Errno{c.error()};
    ops.committed();
    return r;
}

template <class Fn>
auto read_txn(const MetaStore::Impl& s, Fn&& fn) -> decltype(fn(std::declval<Ops&>())) {
    auto t = lmdb::Txn::begin(s.env.get(), false);
    if (!t) return Errno{t.error()};
    Ops ops(const_cast<MetaStore::Impl&>(s), *t);
    return fn(ops);
}

}  // namespace pfs::meta
