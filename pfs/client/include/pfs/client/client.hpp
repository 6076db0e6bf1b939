// pfs::client::Client: the native API of the PFS for compute ranks (POSIX-like, over the job's
// transport). One Client per process; every method is thread-safe.
//
// Errors: every call returns pfs::Result<T>; on failure .error() is a positive POSIX errno with
// Linux semantics (docs/pfs.md has the table). Nothing throws on the I/O paths.
//
// Paths are absolute PFS paths ("/dir/file"); they never touch the local file system.
//
// Data path: a pread/pwrite is split with pfs::client::map_range_by_server into one contiguous
// object range per data server, cut into chunks of at most ClientOptions::chunk_bytes, and all
// chunks are posted at once (at most max_inflight outstanding) and then awaited: the servers
// work in parallel. Holes and bytes past an object's end read as zeros up to the file size;
// reads stop at the file size; a write extends the size on the metadata server (size =
// max(size, end)) after all its data is on the servers.
//
// Failures: every request has a deadline (timeout); a request cancelled by a fault-tolerance
// epoch change (ECANCELED) is sent once more; a server that failed (EHOSTDOWN) or a deadline
// that passed (ETIMEDOUT) is reported to the caller as EIO. A busy or not-yet-ready server
// (EAGAIN) is retried with back-off until the deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pfs/client/event_sink.hpp"
#include "pfs/common/config.hpp"
#include "pfs/common/result.hpp"
#include "pfs/common/types.hpp"

namespace mpi_tools {
class Job;
class Transport;
}  // namespace mpi_tools

namespace pfs::proto {
struct UnlinkResp;
}

namespace pfs::client {

struct ClientOptions {
    // Largest data payload of one read/write message. Below the wire's 64 MiB kMaxPayload; 4 MiB
    // keeps several messages per server in flight for 1 MiB stripes without large buffers.
    // Environment: PFS_CLIENT_CHUNK_KIB.
    std::uint64_t chunk_bytes = 4ull << 20;
    // Data messages outstanding at once per call (all servers together). PFS_CLIENT_MAX_INFLIGHT.
    unsigned max_inflight = 16;
    // Deadline of every request (and of the EAGAIN retries of one request). PFS_CLIENT_TIMEOUT_MS.
    std::chrono::milliseconds timeout{60000};
    // Past `timeout`, a request its server confirms it is still working on (queued or running:
    // a slow disk's fsync, an LMDB commit) keeps waiting, up to this in all; a server that does
    // not answer the question (hung) or does not know the request still fails it at `timeout`.
    // PFS_CLIENT_HARD_TIMEOUT_MS; a value <= timeout disables the extension.
    std::chrono::milliseconds hard_timeout{600000};
    // Generate XDSM events through the process's EventSink and take the metadata server's cache
    // invalidations (one such client per process: the invalidation handler is per transport).
    // False for the DM application's own client inside libdmapi: DM calls raise no events.
    bool dm_events = true;
    // Read and write the objects of volumes whose data server runs on this host straight in
    // the volume (src/direct_volumes.hpp) instead of through the server. PFS_CLIENT_DIRECT_IO.
    bool direct_io = true;
    // A read that lies below the size its descriptor last saw, and finds every byte in the
    // objects, returns without asking the metadata server for the size (Client::do_pread has
    // why that is exact). PFS_CLIENT_READ_SIZE_HINT=0: every read asks.
    bool read_size_hint = true;
    // stat and lstat answer from this rank's attribute cache while the metadata server's lease
    // on the path holds (src/attr_cache.hpp; docs/pfs.md "Attribute leases"): a change by any
    // other rank recalls it before that change returns. PFS_CLIENT_ATTR_CACHE=0: every stat
    // asks the server.
    bool attr_cache = true;
    // A directory this rank makes is handed to it by the metadata server: creates, stats and
    // unlinks in it are answered from memory and sent in batches (src/writeback.hpp; docs/pfs.md
    // "Directory delegations"); needs attr_cache. PFS_CLIENT_WRITEBACK=0: every change is a
    // request of its own.
    bool writeback = true;
    // Object removals of unlinked files left unanswered when unlink returns (src/removals.cpp);
    // 0: unlink waits for them, so the objects are gone when it returns.
    // PFS_CLIENT_PENDING_REMOVALS.
    std::size_t pending_removals = pfs::config::kClientPendingRemovals;
    // Defaults overridden by the environment variables named above.
    static ClientOptions from_env();
};

// File-system facts known to the client (from the superblock, when it could be read).
struct FsInfo {
    std::uint64_t fsid = 0;
    std::uint64_t default_stripe_size = 0;
    std::uint32_t default_stripe_count = 0;  // 0 = all data servers
    std::uint64_t quota_per_volume = 0;      // 0 = none
    std::uint32_t data_servers = 0;
    bool dmapi = true;  // DMAPI enabled (pfs-mkfs --dmapi): else no events, DMAPI calls EPERM
};

// One data volume's capacity (statfs / df).
struct VolumeInfo {
    std::uint32_t index = 0;  // data server index
    int world_rank = -1;
    VolumeStat stat;
};

// DMAPI state of one object (or, for a file-system handle, of the file system only).
struct DmState {
    Attr attr;  // zero for the file-system handle
    DmSlots dm;
    std::uint64_t fs_event_set = 0;
    std::string rod_name;  // the file system's return-on-destroy attribute name ("" = none)
};

// One change of DMAPI state (Client::dm_update). Event lists and regions are cached by every
// client that generates events; changing them returns after every caching rank dropped its copy.
struct DmChange {
    enum class Op : std::uint8_t {
        set_attr = 1,       // name, value, setdtime
        remove_attr = 2,    // name, setdtime
        set_event_set = 3,  // event_set (file-system handle: the file system's list)
        set_regions = 4,    // regions
        set_dtime = 5,      // time_ns
        set_rod_name = 6,   // file-system handle only: name ("" disables)
    };
    Op op = Op::set_attr;
    std::string name, value;
    bool setdtime = false;
    std::uint64_t event_set = 0;
    std::vector<ManagedRegion> regions;
    std::int64_t time_ns = 0;
};

class DmCache;
class DmPin;
struct DmFileView;
struct DmFsView;

class Client {
  public:
    // Connects to the job's servers: meta = the first meta rank, data server i = world rank
    // layout.first_rank(data) + i. Must run on a compute rank. Waits (up to the timeout) until
    // the metadata server and every data server answer, so the first call does not race the
    // servers' start-up.
    explicit Client(mpi_tools::Job& job, ClientOptions opt = ClientOptions::from_env());
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // 0 when every server answered at construction, else the errno of the first that did not.
    int connect_error() const { return connect_err_; }
    const FsInfo& fs_info() const { return info_; }
    // Data volumes this client reads and writes itself, without their server (on the server's
    // host, no quota: ClientOptions::direct_io).
    std::uint32_t direct_volumes() const;
    const ClientOptions& options() const { return opt_; }

    // ---- files ----------------------------------------------------------------------------------
    // flags: O_RDONLY/O_WRONLY/O_RDWR | O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY,
    // O_NOFOLLOW, O_SYNC/O_DSYNC (fsync after each write), O_CLOEXEC/O_LARGEFILE/O_NOCTTY/
    // O_NONBLOCK (ignored). Other bits: EINVAL. `layout` applies to a file this call creates.
    Result<int> open(std::string_view path, int flags, std::uint32_t mode = 0644,
                     const LayoutHint& layout = {});
    Result<void> close(int fd);
    // Offsets are signed like off_t: negative -> EINVAL. pwrite ignores O_APPEND (POSIX).
    Result<std::size_t> pread(int fd, void* buf, std::size_t count, std::int64_t offset);
    Result<std::size_t> pwrite(int fd, const void* buf, std::size_t count, std::int64_t offset);
    // At the descriptor's position; write() with O_APPEND writes at the current size.
    Result<std::size_t> read(int fd, void* buf, std::size_t count);
    Result<std::size_t> write(int fd, const void* buf, std::size_t count);
    Result<std::int64_t> lseek(int fd, std::int64_t offset, int whence);  // SEEK_SET/CUR/END
    // Data of the file durable on every data server of its layout (metadata is always durable).
    Result<void> fsync(int fd);
    Result<void> ftruncate(int fd, std::int64_t size);
    Result<void> truncate(std::string_view path, std::int64_t size);
    Result<Attr> fstat(int fd);

    // ---- namespace --------------------------------------------------------------------------
    // Paths this process's attribute cache holds now (tests, statistics).
    std::size_t attr_cache_entries() const;
    // This process's directory delegations (tests, statistics): held directories, changes
    // answered from memory, batches sent, acknowledged changes the server refused.
    struct WritebackStats {
        std::size_t held = 0;
        std::uint64_t local_ops = 0, batches = 0, lost = 0;
    };
    WritebackStats writeback_stats() const;
    // Sends every namespace change this process holds in memory (delegated directories) and
    // waits until the metadata server has them: EIO if one it had acknowledged was refused.
    Result<void> sync_namespace();
    Result<Attr> stat(std::string_view path);   // follows a final symlink
    Result<Attr> lstat(std::string_view path);  // does not
    // All entries, "." and ".." first, then in creation order.
    Result<std::vector<DirEntry>> readdir(std::string_view path);
    Result<void> mkdir(std::string_view path, std::uint32_t mode = 0755);
    Result<void> rmdir(std::string_view path);
    Result<void> unlink(std::string_view path);
    Result<void> rename(std::string_view from, std::string_view to);
    Result<void> link(std::string_view existing, std::string_view new_path);
    Result<void> symlink(std::string_view target, std::string_view link_path);
    Result<std::string> readlink(std::string_view path);
    Result<void> chmod(std::string_view path, std::uint32_t mode);
    Result<void> chown(std::string_view path, std::uint32_t uid, std::uint32_t gid);
    // Nanoseconds since the epoch; SetAttr::kTimeNow = the server's current time.
    Result<void> utimes(std::string_view path, std::int64_t atime_ns, std::int64_t mtime_ns);

    // ---- DMAPI (the DM application's side; docs/dmapi-events.md) ---------------------------
    // Handles: {fsid, ino, gen}; ino 0 names the file system. A handle of another file system,
    // a freed inode or a stale generation: EBADF (XDSM's "no such object").
    Handle handle_of(const Attr& a) const { return Handle{info_.fsid, a.ino, a.gen}; }
    Result<DmState> dm_get(const Handle& h);
    Result<void> dm_update(const Handle& h, const DmChange& change);
    // DM access rights (docs/dmapi-rights.md): one request to the metadata server's rights
    // service for the DM token (sid, token) on the file h. Returns the right the token holds
    // afterwards (0 none, 1 shared, 2 excl), or ENOLCK (a conflict, not waited for), ETIMEDOUT
    // (`wait`: the server's bounded wait ended, ask again), EACCES (no such right held), EBUSY (a
    // concurrent upgrade), EBADF.
    Result<std::uint8_t> dm_right(const Handle& h, std::uint8_t op, std::uint64_t sid,
                                  std::uint64_t token, std::uint8_t right, bool wait);
    // Invisible I/O (dm_read_invis / dm_write_invis): no events, no time updates; a write past
    // the end extends the size. Reads stop at the size.
    Result<std::size_t> read_invis(const Handle& h, void* buf, std::size_t count,
                                   std::uint64_t offset);
    Result<std::size_t> write_invis(const Handle& h, const void* buf, std::size_t count,
                                    std::uint64_t offset, bool sync);
    // The regular file's data: punch [offset, offset+length) (length 0 = to the end of the
    // file; the size is unchanged), and fsync of its objects.
    Result<void> punch_hole(const Handle& h, std::uint64_t offset, std::uint64_t length);
    Result<void> sync_handle(const Handle& h);
    // The file's allocation from `offset` to its size, in file offsets: alternating data and
    // hole runs merged over the stripes (from the servers' SEEK_DATA/SEEK_HOLE maps).
    Result<std::vector<Extent>> alloc_map(const Handle& h, std::uint64_t offset);
    // One page of a directory by handle (dm_get_dirattrs): entries from `cookie` on (no "." or
    // ".."), at most max_entries; next_cookie continues after the last one returned.
    struct DirPage {
        std::vector<DirEntry> entries;
        std::uint64_t next_cookie = 0;
        bool eof = false;
    };
    Result<DirPage> readdir_handle(const Handle& dir, std::uint64_t cookie,
                                   std::uint32_t max_entries);
    // Allocated inodes from number `from` on, at most max_entries (dm_get_bulkattr).
    struct InodePage {
        std::vector<Attr> attrs;
        Ino next = 0;
        bool eof = false;
    };
    Result<InodePage> scan_inodes(Ino from, std::uint32_t max_entries);
    // dm_handle_to_path: the absolute PFS path of `target` as an entry of directory `dir` (its
    // name there, under dir's own path, found by walking ".." to the root). EBADF (a handle of
    // nothing), ENOTDIR (dir is no directory), ENOENT (target is not an entry of dir), ELOOP
    // (a walk deeper than kMaxPathDepth: a concurrent rename loop).
    Result<std::string> path_in_dir(const Handle& dir, const Handle& target);
    static constexpr int kMaxPathDepth = 4096;
    // The attributes of an inode by number alone (its generation is in them); EBADF when free.
    Result<Attr> attr_by_ino(Ino ino);
    // dm_set_fileattr: chmod/chown/utimes/truncate by handle, without events; dtime is DM state.
    Result<void> setattr_handle(const Handle& h, const SetAttr& changes);

    // ---- volumes ----------------------------------------------------------------------------
    // unlink (and rename over a file) returns once the name is gone and the removals of the
    // file's objects are sent; this waits for their answers (statfs and ~Client do too).
    void finish_removals();
    // Orphan objects: objects on the data volumes whose file is gone (its inode is free or of
    // another generation), left by a client that died between an unlink and its removals, or
    // by a removal that failed for good. scrub_orphans lists every volume (pfs scrub) and,
    // unless dry_run, removes them.
    struct ScrubReport {
        std::uint64_t objects = 0;  // objects listed
        std::uint64_t orphans = 0;  // of which orphans
        std::uint64_t removed = 0;  // orphans removed (0 with dry_run)
    };
    Result<ScrubReport> scrub_orphans(bool dry_run);
    Result<std::vector<VolumeInfo>> statfs();  // one entry per data volume
    Result<VolumeStat> statfs_total();         // sums over all data volumes

    // For tests and tools: the world ranks of the servers and the raw transport.
    // The home ranks of the volumes (meta rank 0; data rank i). After a rank's death another
    // rank may serve its volume (volume adoption); requests are routed there (docs/pfs.md).
    int meta_rank() const { return meta_rank_; }
    int data_rank(std::uint32_t server) const {
        return first_data_rank_ + static_cast<int>(server);
    }
    std::uint32_t data_servers() const { return num_servers_; }
    mpi_tools::Transport& transport();

    struct Impl;

  private:
    struct OpenFile {
        Attr attr;  // ino, gen, type, layout at open time
        int flags = 0;
        std::int64_t pos = 0;
        // The file size this descriptor last saw (open, a read's size request, its own write's
        // extension), shared by its copies; null: none (every read asks). See do_pread.
        std::shared_ptr<std::atomic<std::uint64_t>> seen_size;
    };
    Result<OpenFile> get_fd(int fd) const;
    // `events`: false for invisible I/O (no events, no size probe race with the user path).
    Result<std::size_t> do_pwrite(const OpenFile& f, const void* buf, std::size_t count,
                                  std::int64_t offset, bool events = true);
    Result<std::size_t> do_pread(const OpenFile& f, void* buf, std::size_t count,
                                 std::int64_t offset, bool events = true);
    Result<void> fsync_objects(const Attr& a);
    // Data servers holding stripes of a file with this layout.
    std::vector<std::uint32_t> stripe_servers(const Layout& l) const;
    // Sets the size of a regular file: objects first when it shrinks, then the metadata.
    Result<void> truncate_file(const Attr& a, std::uint64_t size, bool events = true);
    // Deletes a freed file's objects on its servers (best effort: see docs/pfs.md).
    void remove_objects(const Attr& a);
    // The rest of unlink once the metadata server answered `r`.
    Result<void> removed(const proto::UnlinkResp& r);
    // The rest of open once the file is created or found.
    Result<int> open_created(const Result<Attr>& found, int flags);
    Result<Attr> attr_by_handle(const Handle& h);
    Result<void> attribute_changed(const Result<Attr>& r);

    // ---- event generation (events.cpp) ----
    // Whether `type` is enabled for the object: in the file system's event list or in the
    // object's own (obj nullptr: the file system's only). Fetches and caches as needed.
    bool event_enabled(int type, const Attr* obj);
    // Raises `ev` if a session has the disposition and the event is enabled for `obj`. Returns
    // the errno the operation must fail with (0: proceed). Post-events never fail the op.
    int maybe_raise(FsEvent ev, const Attr* obj);
    bool wants(int type) const;
    // No namespace event is wanted: changes may be made in a delegated directory's memory.
    bool writeback_ok() const;
    // stat / lstat of a name in a delegated directory (or of the directory itself), if it is one.
    std::optional<Result<Attr>> writeback_stat(std::string_view path, bool follow);
    // A data event (read/write/truncate) when [off, off+len) overlaps a managed region with
    // `region_flag` (len 0: to the end of the file).
    // `pin` holds the inode against invalidation while an operation that raised no event runs.
    int data_event(int type, std::uint32_t region_flag, const Attr& a, std::uint64_t off,
                   std::uint64_t len, DmPin* pin);
    // DM access rights against user data operations (after data_event, which may wait for the
    // DM application): 0 with `pin` held (on the file system's state while no right was ever
    // granted, else on the file) so that a new grant waits for this operation; EAGAIN after
    // waiting for a conflicting right to go, with both pins dropped (check everything again);
    // or an errno. `modifies`: write/truncate (conflicts with any right), else read (excl only).
    int rights_gate(const Attr& a, bool modifies, DmPin* event_pin, DmPin* pin);
    // data_event, then rights_gate, until both pass: what a user read, write or truncate does
    // before it touches data.
    int enter_data_op(int type, std::uint32_t region_flag, const Attr& a, std::uint64_t off,
                      std::uint64_t len, bool modifies, DmPin* event_pin, DmPin* rights_pin);
    // Fetch the file system's / a file's DM state from the metadata server into the cache
    // (registering this rank for its invalidation). 0 or an errno (ESTALE: the file is gone).
    int fetch_fs_state(std::optional<DmFsView>* out);
    int fetch_file_state(const Attr& a, std::optional<DmFileView>* out);
    void destroy_event(const Attr& a, const DmSlots& dm);
    void mount_event();
    void unmount_events();  // preunmount + unmount, from the destructor
    std::uint32_t st_mode(const Attr& a) const;

    mpi_tools::Job& job_;
    ClientOptions opt_;
    FsInfo info_;
    int meta_rank_ = -1, first_data_rank_ = -1;
    std::uint32_t num_servers_ = 0;
    int connect_err_ = 0;
    std::unique_ptr<Impl> impl_;
    std::shared_ptr<DmCache> dm_cache_;

    mutable std::mutex fd_mu_;
    std::map<int, OpenFile> fds_;
};

}  // namespace pfs::client
