// MetaStore: the PFS namespace and inode table in one LMDB environment on a metadata volume.
//
// Every mutating call is ONE LMDB write transaction: it either commits completely (and is then
// durable: a SIGKILL after the call returns loses nothing; a power loss too when the store
// syncs commits, OpenOptions::sync) or leaves no trace. Errnos follow Linux
// for the equivalent system call. The store never touches data objects: calls that free an inode
// return its identity and layout, and the caller deletes the objects on the data servers.
//
// Thread-safe: LMDB serialises writers and readers run concurrently (MDB_NOTLS).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pfs/common/config.hpp"
#include "pfs/common/result.hpp"
#include "pfs/common/types.hpp"

namespace pfs::meta {

// The full persistent state of one inode.
struct Inode {
    Attr attr;
    Ino parent = 0;               // directories: the one directory holding them (".." / loops)
    std::uint64_t next_slot = 1;  // directories: next readdir position to hand out
    std::string symlink_target;   // symlinks only
    DmSlots dm;
    friend bool operator==(const Inode&, const Inode&) = default;
};

// The file system's own DMAPI state (XDSM: dm_set_eventlist / dm_set_return_on_destroy on the
// file-system handle). Persisted in the store's sys table.
struct FsDmState {
    std::uint64_t event_set = 0;
    std::string rod_name;  // return-on-destroy attribute name; empty = disabled
    friend bool operator==(const FsDmState&, const FsDmState&) = default;
};

// A file system whose event list was never set generates every event (bits 0..22: XDSM's event
// numbers CANCEL .. USER); the DM application narrows it with dm_set_eventlist on the fs handle.
inline constexpr std::uint64_t kDefaultFsEventSet = (1ull << 23) - 1;

struct FormatOptions {
    std::uint64_t fsid = 0;  // must be non-zero
    std::uint32_t data_servers = 1;
    std::uint64_t stripe_size = config::kDefaultStripeSize;
    std::uint32_t stripe_count = config::kDefaultStripeCount;  // 0 = all data servers
    std::uint32_t root_uid = 0;
    std::uint32_t root_gid = 0;
};

struct OpenOptions {
    std::size_t map_size = config::kLmdbMapSize;
    // full: every commit fsyncs (what the library's callers get unless they choose); the
    // server applies PFS_META_SYNC (config::MetaSync).
    config::MetaSync sync = config::MetaSync::full;
    // Without commit fsync (MetaSync::process): write the map in place (MDB_WRITEMAP, see
    // config::kLmdbWriteMapHeadroom) where the file system can preallocate. The server applies
    // PFS_META_WRITEMAP.
    bool write_map = true;
};

struct CreateArgs {
    std::uint32_t mode = 0644;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    LayoutHint layout;  // regular files only
};

// Result of removing a name. `inode` is the state after the removal (nlink already
// decremented); when `freed`, the inode record is gone and the caller must delete objects
// (inode.attr.ino, inode.attr.gen) on the servers of inode.attr.layout.
struct Unlinked {
    Inode inode;
    bool freed = false;
};

// Result of rename: `replaced` is set when an existing target name was overwritten.
struct Renamed {
    std::optional<Unlinked> replaced;
};

struct DirPage {
    std::vector<DirEntry> entries;  // never contains "." or ".."; the client synthesises them
    std::uint64_t next_cookie = 0;  // pass back to continue
    bool eof = false;
};

// A run of allocated inodes in inode-number order (dm_get_bulkattr's scan).
struct InodePage {
    std::vector<Attr> attrs;
    Ino next = 0;  // pass back to continue
    bool eof = false;
};

// An inode that a committed change touched, for the metadata server's attribute leases
// (pfs/server/attr_leases.hpp). `entries`: names were removed from it (a directory) or it was
// freed, so paths through it may now resolve differently; otherwise only its attributes changed
// (a name added to a directory changes the directory's times, not its other names).
struct InodeChange {
    Ino ino = 0;
    bool entries = false;
    friend bool operator==(const InodeChange&, const InodeChange&) = default;
};
// Called on the committing thread right after each write transaction that touched inodes.
using ChangeObserver = std::function<void(const std::vector<InodeChange>&)>;

// Directory delegations (docs/pfs.md "Directory delegations"): a directory handed to one rank
// (its holder), which makes changes in it in its own memory and sends them in batches
// (writeback). Persisted with the namespace, so the adopter of a dead metadata server knows
// them. The store does not know which rank asks for what: the server keeps others out through
// the access guard.
struct Delegation {
    Ino dir = 0;
    std::int32_t holder = -1;   // world rank
    std::uint64_t applied = 0;  // the last batch applied
    InoPool pool;               // inode numbers the holder may create with
    InoPool prev_pool;          // the pool before the last refill (still in use by the holder)
    bool returned = false;      // given back: kept so that a re-sent last batch is recognised
    friend bool operator==(const Delegation&, const Delegation&) = default;
};

struct Delegated {
    Attr dir;
    std::vector<Ino> traversed;  // resolve()'s, for the holder's lease on the path
    Delegation delegation;
};

// The outcome of one batch: op_errs per change (empty: all applied), the unlinked files that
// may have data objects (written or changed since they were created), the files created (for
// the holder's attribute lease), and the pool handed out by a refill.
struct WritebackOutcome {
    std::vector<int> op_errs;
    std::vector<Attr> freed;
    std::vector<Ino> created;
    std::optional<InoPool> pool;
    bool duplicate = false;  // seq was applied before: nothing done
};

// Called before a transaction reads an inode or a directory's names (ino 0: a scan of all
// inodes); a non-zero errno fails the operation (nothing committed).
using AccessGuard = std::function<int(Ino)>;

struct ParentAndName {
    Attr parent;
    std::string name;  // empty when the path is "/"
};

class MetaStore {
  public:
    // Creates the environment in `dir` (created if missing) with the root directory.
    // EEXIST if `dir` already holds a formatted store; EINVAL for bad options.
    static Result<void> format(const std::filesystem::path& dir, const FormatOptions& opt);
    // ENOENT: no such directory; ENODATA: not formatted; EUCLEAN: unknown version / corrupt.
    static Result<std::unique_ptr<MetaStore>> open(const std::filesystem::path& dir,
                                                   const OpenOptions& opt = {});
    ~MetaStore();
    MetaStore(const MetaStore&) = delete;
    MetaStore& operator=(const MetaStore&) = delete;

    // Every later commit that touches inodes reports them here (one observer; empty = none).
    void set_change_observer(ChangeObserver observer);

    // Every later read of an inode or of a directory's names asks `guard` first (empty: none).
    void set_access_guard(AccessGuard guard);

    // Flushes every committed change to the disk (a no-op's cost when commits already sync).
    Result<void> sync();

    std::uint64_t fsid() const noexcept;
    std::uint32_t data_servers() const noexcept;
    // Default layout of new files (stripe_count resolved against data_servers; first_server 0).
    Layout default_layout() const noexcept;
    static constexpr Ino root() noexcept { return config::kRootIno; }

    // ---- lookups (read transactions) ----------------------------------------------------------
    Result<Attr> stat(Ino ino) const;
    Result<Inode> get_inode(Ino ino) const;
    // "." is the directory itself, ".." its parent (the root is its own parent).
    Result<Attr> lookup(Ino parent, std::string_view name) const;
    // Absolute path; symlinks in intermediate components are followed (ELOOP after
    // kSymlinkLoopLimit); the final one only if `follow_final` or the path ends in '/'.
    // `traversed`, if given, receives every directory the walk looked a name up in (not the
    // final inode): what a cached result of this resolution depends on besides the final inode.
    Result<Attr> resolve(std::string_view path, bool follow_final = false,
                         std::vector<Ino>* traversed = nullptr) const;
    // The directory holding the final component (resolved as above) and that component.
    Result<ParentAndName> resolve_parent(std::string_view path) const;
    Result<std::string> readlink(Ino ino) const;  // EINVAL if not a symlink
    // Entries after `cookie` (0 = start), at most max_entries (0 = default page, capped).
    Result<DirPage> readdir(Ino dir, std::uint64_t cookie,
                            std::uint32_t max_entries = config::kReaddirPageEntries) const;

    // Allocated inodes with numbers >= from, at most max_entries (0 = default page, capped).
    Result<InodePage> scan_inodes(Ino from, std::uint32_t max_entries) const;

    // ---- namespace changes --------------------------------------------------------------------
    // Exactly-once with a request id (rid.seq != 0): the successful outcome is stored with the
    // change, in the same transaction, and the same id again returns it without running the
    // call again, also in another process that opened the store after this one died (volume
    // adoption). The last kReplyCacheSlots ids of each client rank are remembered.
    Result<Attr> create(Ino parent, std::string_view name, const CreateArgs& args,
                        const ReqId& rid = {});
    Result<Attr> mkdir(Ino parent, std::string_view name, std::uint32_t mode, std::uint32_t uid,
                       std::uint32_t gid, const ReqId& rid = {});
    Result<Attr> symlink(Ino parent, std::string_view name, std::string_view target,
                         std::uint32_t uid, std::uint32_t gid, const ReqId& rid = {});
    // EPERM for dirs
    Result<Attr> link(Ino ino, Ino new_parent, std::string_view name, const ReqId& rid = {});
    // EISDIR for dirs
    Result<Unlinked> unlink(Ino parent, std::string_view name, const ReqId& rid = {});
    Result<void> rmdir(Ino parent, std::string_view name, const ReqId& rid = {});
    // create / unlink with the parent named by absolute path, resolved (symlinks followed) in
    // the same transaction: ENOTDIR if it is not a directory. create_at's `traversed` is
    // resolve()'s for parent_path/name (left empty when a stored outcome is replayed).
    Result<Attr> create_at(std::string_view parent_path, std::string_view name,
                           const CreateArgs& args, const ReqId& rid = {},
                           std::vector<Ino>* traversed = nullptr);
    Result<Unlinked> unlink_at(std::string_view parent_path, std::string_view name,
                               const ReqId& rid = {});
    Result<Renamed> rename(Ino src_parent, std::string_view src_name, Ino dst_parent,
                           std::string_view dst_name, const ReqId& rid = {});

    // ---- directory delegations ----------------------------------------------------------------
    // Hands the directory at `path` (resolved as resolve() with follow_final) to `holder` with a
    // pool of `pool` inode numbers: ENOTDIR, ENOTEMPTY (it has names), EBUSY (delegated).
    Result<Delegated> delegate(std::string_view path, std::int32_t holder, std::uint32_t pool);
    // Applies batch `seq` of `holder` in `dir`, in one transaction: ESTALE if the directory is not
    // delegated to holder, EPROTO if seq is not the next one (a seq already applied is answered
    // as a duplicate). Each change is checked on its own (op_errs); `give_back` ends the
    // delegation after the batch, `refill` hands out the next pool of `pool` inodes.
    Result<WritebackOutcome> writeback(Ino dir, std::int32_t holder, std::uint64_t seq,
                                       const std::vector<NsOp>& ops, bool give_back,
                                       std::uint32_t refill);
    // The delegations in force (not given back).
    Result<std::vector<Delegation>> delegations() const;
    // Ends a delegation without its holder (a dead one): what it had not sent is lost with it.
    Result<void> end_delegation(Ino dir);

    // ---- attributes ---------------------------------------------------------------------------
    // chmod / chown / utimens / truncate. A size change only updates metadata: the caller
    // truncates the objects (see pfs::client::object_size_for).
    Result<Attr> setattr(Ino ino, const SetAttr& changes);
    // size = max(size, end), mtime/ctime = now: called when a write up to `end` completes, so
    // concurrent extending writers never shrink the file.
    Result<Attr> extend_size(Ino ino, std::uint64_t end);

    // ---- DMAPI slots (persisted; semantics belong to the DMAPI layer) -------------------------
    Result<DmSlots> get_dm(Ino ino) const;
    // ENOENT if absent. Names are 1..8 bytes; trailing NULs are ignored (XDSM padding).
    Result<std::string> get_dm_attr(Ino ino, std::string_view name) const;
    // E2BIG if the value or the file's total exceeds kDmAttrMaxValue / kDmAttrMaxTotal /
    // kDmAttrMaxCount. `set_dtime` also stamps dtime (XDSM dm_set_dmattr's setdtime).
    Result<void> set_dm_attr(Ino ino, std::string_view name, std::string_view value,
                             bool set_dtime = false);
    Result<void> remove_dm_attr(Ino ino, std::string_view name, bool set_dtime = false);
    Result<void> set_event_set(Ino ino, std::uint64_t events);
    // Replaces all regions; E2BIG above kDmMaxRegions, EINVAL if offset + size overflows.
    Result<void> set_regions(Ino ino, const std::vector<ManagedRegion>& regions);
    Result<void> set_dtime(Ino ino, std::int64_t dtime_ns);
    // The file system's DM state (event_set defaults to kDefaultFsEventSet).
    Result<FsDmState> get_fs_dm() const;
    Result<void> set_fs_event_set(std::uint64_t events);
    // "" disables; otherwise a DM attribute name (canonicalised; EINVAL if malformed).
    Result<void> set_rod_name(std::string_view name);

    struct Impl;

  private:
    explicit MetaStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Canonical DM attribute name (trailing NULs dropped), or EINVAL if empty / longer than 8.
Result<std::string> canonical_dm_name(std::string_view name);

}  // namespace pfs::meta
