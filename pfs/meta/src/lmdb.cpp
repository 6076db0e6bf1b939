#include "lmdb.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "pfs/common/config.hpp"

namespace pfs::meta::lmdb {

int to_errno(int rc) noexcept {
    if (rc > 0) return rc;
    switch (rc) {
        case MDB_NOTFOUND:
            return ENOENT;
        case MDB_MAP_FULL:
        case MDB_TXN_FULL:
        case MDB_CURSOR_FULL:
        case MDB_PAGE_FULL:
            return ENOSPC;
        case MDB_READERS_FULL:
            return EAGAIN;
        case MDB_INVALID:
        case MDB_CORRUPTED:
        case MDB_PAGE_NOTFOUND:
        case MDB_VERSION_MISMATCH:
            return EUCLEAN;
        case MDB_BAD_VALSIZE:
            return ENAMETOOLONG;  // key beyond mdb_env_get_maxkeysize
        default:
            return EIO;
    }
}

Env::~Env() {
    if (env_ != nullptr) mdb_env_close(env_);
}

Result<void> Env::open_flags(const std::filesystem::path& dir, std::size_t map_size,
                             unsigned flags) {
    int rc = mdb_env_create(&env_);
    if (rc != 0) return Errno{to_errno(rc)};
    if ((rc = mdb_env_set_mapsize(env_, map_size)) != 0) return Errno{to_errno(rc)};
    if ((rc = mdb_env_set_maxdbs(env_, config::kLmdbMaxDbs)) != 0) return Errno{to_errno(rc)};
    if ((rc = mdb_env_set_maxreaders(env_, config::kLmdbMaxReaders)) != 0)
        return Errno{to_errno(rc)};
    rc = mdb_env_open(env_, dir.c_str(), flags, 0600);
    if (rc != 0) {
        mdb_env_close(env_);
        env_ = nullptr;
        return Errno{to_errno(rc)};
    }
    return {};
}

Result<void> Env::open(const std::filesystem::path& dir, std::size_t map_size, bool sync,
                       bool write_map) {
    // MDB_NOTLS: read transactions are not tied to a thread (server worker pools).
    if (sync) return open_flags(dir, map_size, MDB_NOTLS);
    if (!write_map) return open_flags(dir, map_size, MDB_NOTLS | MDB_NOSYNC);
    // MDB_NOSYNC | MDB_WRITEMAP: a commit writes the new pages and then the meta page's
    // transaction id into the shared map, so a process death leaves the last committed state
    // in the page cache for the next opener (config::MetaSync). Only where the file system can
    // preallocate: without that a full volume would SIGBUS the rank instead of failing a call.
    PFS_TRY(open_flags(dir, map_size, MDB_NOTLS | MDB_NOSYNC | MDB_WRITEMAP));
    MDB_stat st{};
    int fd = -1;
    if (mdb_env_stat(env_, &st) != 0 || mdb_env_get_fd(env_, &fd) != 0) return Errno{EIO};
    if (::fallocate(fd, 0, 0, static_cast<off_t>(st.ms_psize) * 2) == 0) {
        reserve_ = MapReserve{fd, st.ms_psize, map_size, 0};
        mdb_env_set_userctx(env_, &reserve_);
        return {};
    }
    if (errno != EOPNOTSUPP && errno != ENOSYS) return Errno{errno};
    mdb_env_close(env_);
    env_ = nullptr;
    return open_flags(dir, map_size, MDB_NOTLS | MDB_NOSYNC);
}

int Env::MapReserve::ensure(MDB_env* env) {
    MDB_envinfo info{};
    if (mdb_env_info(env, &info) != 0) return EIO;
    const auto headroom = static_cast<off_t>(config::kLmdbWriteMapHeadroom);
    const auto limit = static_cast<off_t>(map_size);
    const off_t in_use = static_cast<off_t>((info.me_last_pgno + 1) * page);
    if (allocated >= std::min(in_use + headroom, limit)) return 0;
    const off_t upto = std::min(in_use + 2 * headroom, limit);
    if (::fallocate(fd, 0, allocated, upto - allocated) != 0) return errno;
    allocated = upto;
    return 0;
}

Result<void> Env::sync() {
    const int rc = mdb_env_sync(env_, 1);
    if (rc != 0) return Errno{to_errno(rc)};
    return {};
}

Result<Txn> Txn::begin(MDB_env* env, bool write) {
    MDB_txn* t = nullptr;
    const int rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &t);
    if (rc != 0) return Errno{to_errno(rc)};
    Txn txn(t);
    // Under the writer lock: no other transaction grows the file meanwhile.
    if (auto* r = static_cast<Env::MapReserve*>(mdb_env_get_userctx(env)); write && r != nullptr)
        if (int e = r->ensure(env)) return Errno{e};
    return txn;
}

Result<void> Txn::commit() {
    MDB_txn* t = t_;
    t_ = nullptr;  // mdb_txn_commit frees the txn even on failure
    const int rc = mdb_txn_commit(t);
    if (rc != 0) return Errno{to_errno(rc)};
    return {};
}

Result<std::optional<Bytes>> get(const Txn& t, MDB_dbi db, Bytes key) {
    MDB_val k = val(key);
    MDB_val v{};
    const int rc = mdb_get(t.get(), db, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<Bytes>{};
    if (rc != 0) return Errno{to_errno(rc)};
    return std::optional<Bytes>{bytes(v)};
}

Result<void> put(const Txn& t, MDB_dbi db, Bytes key, Bytes value) {
    MDB_val k = val(key);
    MDB_val v = val(value);
    const int rc = mdb_put(t.get(), db, &k, &v, 0);
    if (rc != 0) return Errno{to_errno(rc)};
    return {};
}

Result<void> del(const Txn& t, MDB_dbi db, Bytes key) {
    MDB_val k = val(key);
    const int rc = mdb_del(t.get(), db, &k, nullptr);
    if (rc != 0) return Errno{to_errno(rc)};
    return {};
}

}  // namespace pfs::meta::lmdb
