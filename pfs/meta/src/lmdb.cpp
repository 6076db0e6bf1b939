#include "lmdb.hpp"

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

Result<void> Env::open(const std::filesystem::path& dir, std::size_t map_size, bool sync) {
    int rc = mdb_env_create(&env_);
    if (rc != 0) return Errno{to_errno(rc)};
    if ((rc = mdb_env_set_mapsize(env_, map_size)) != 0) return Errno{to_errno(rc)};
    if ((rc = mdb_env_set_maxdbs(env_, config::kLmdbMaxDbs)) != 0) return Errno{to_errno(rc)};
    if ((rc = mdb_env_set_maxreaders(env_, config::kLmdbMaxReaders)) != 0)
        return Errno{to_errno(rc)};
    // MDB_NOTLS: read transactions are not tied to a thread (server worker pools). MDB_NOSYNC
    // keeps LMDB's ordering of data before meta pages in the page cache, so a process death
    // still leaves the last committed state (config::MetaSync).
    rc = mdb_env_open(env_, dir.c_str(), MDB_NOTLS | (sync ? 0u : MDB_NOSYNC), 0600);
    if (rc != 0) {
        mdb_env_close(env_);
        env_ = nullptr;
        return Errno{to_errno(rc)};
    }
    return {};
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
    return Txn(t);
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
