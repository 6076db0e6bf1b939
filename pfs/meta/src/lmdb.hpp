// Thin RAII over the LMDB C API: environment, transaction, and byte-view helpers. Internal to
// pfs_meta; nothing outside this library sees an MDB_* type.
#pragma once

#include <lmdb.h>

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "pfs/common/result.hpp"

namespace pfs::meta::lmdb {

// LMDB returns positive errnos for OS failures and negative MDB_* codes for its own.
int to_errno(int rc) noexcept;

class Env {
  public:
    Env() = default;
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;
    ~Env();

    // Opens (creating the files if needed) an environment in existing directory `dir`.
    // `sync`: fsync at every commit; otherwise commits stop at the page cache (MDB_NOSYNC) and,
    // with `write_map`, are written into the map in place (MDB_WRITEMAP) where the file system
    // can preallocate.
    Result<void> open(const std::filesystem::path& dir, std::size_t map_size, bool sync,
                      bool write_map = false);
    // Flushes every committed transaction to the disk.
    Result<void> sync();
    MDB_env* get() const noexcept { return env_; }
    bool writes_map() const noexcept { return reserve_.fd >= 0; }

    // Under MDB_WRITEMAP: the allocated part of the file stays config::kLmdbWriteMapHeadroom
    // ahead of LMDB's last page, so no store into the map can fault (SIGBUS) for lack of room.
    // Checked by every write transaction, under LMDB's writer lock (Txn::begin).
    struct MapReserve {
        int fd = -1;
        std::size_t page = 0;
        std::size_t map_size = 0;
        off_t allocated = 0;       // [0, allocated) of the file is known to be allocated
        int ensure(MDB_env* env);  // 0 or the errno of fallocate (ENOSPC: the volume is full)
    };

  private:
    Result<void> open_flags(const std::filesystem::path& dir, std::size_t map_size, unsigned flags);
    MDB_env* env_ = nullptr;
    MapReserve reserve_;
};

class Txn {
  public:
    static Result<Txn> begin(MDB_env* env, bool write);
    Txn(Txn&& o) noexcept : t_(o.t_) { o.t_ = nullptr; }
    Txn& operator=(Txn&&) = delete;
    Txn(const Txn&) = delete;
    ~Txn() {
        if (t_ != nullptr) mdb_txn_abort(t_);
    }
    // The "acknowledged" point: in the page cache on return (survives any process death), on
    // the disk too when the env syncs commits (Env::open).
    Result<void> commit();
    MDB_txn* get() const noexcept { return t_; }

  private:
    explicit Txn(MDB_txn* t) noexcept : t_(t) {}
    MDB_txn* t_ = nullptr;
};

using Bytes = std::span<const std::byte>;

inline MDB_val val(Bytes b) noexcept {
    return MDB_val{b.size(), const_cast<std::byte*>(b.data())};
}
inline Bytes bytes(const MDB_val& v) noexcept {
    return {static_cast<const std::byte*>(v.mv_data), v.mv_size};
}
inline Bytes bytes(std::string_view s) noexcept {
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// The value is a view into the map, valid until the transaction ends.
Result<std::optional<Bytes>> get(const Txn& t, MDB_dbi db, Bytes key);
Result<void> put(const Txn& t, MDB_dbi db, Bytes key, Bytes value);
// ENOENT if the key is absent.
Result<void> del(const Txn& t, MDB_dbi db, Bytes key);

}  // namespace pfs::meta::lmdb
