// Every tunable of the PFS storage engines (meta, data, proto, striping) in one place, each with
// the reason for its value (GekkoFS config.hpp style). Runtime choices (stripe layout per file
// system, quotas) start from these defaults and are recorded in the superblock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace pfs::config {

// ---- Layout -----------------------------------------------------------------------------------
// 1 MiB matches IOR's default transfer size and Lustre's default stripe: one request per server.
inline constexpr std::uint64_t kDefaultStripeSize = 1ull << 20;
// 0 means "all data servers": wide striping is what parallel bandwidth benchmarks expect.
inline constexpr std::uint32_t kDefaultStripeCount = 0;
// Stripe units are page multiples so map_range() of a unit never straddles a partial page.
inline constexpr std::uint64_t kStripeAlign = 4096;
// Smaller units make every request fan out into tiny messages; 4 KiB is one page.
inline constexpr std::uint64_t kMinStripeSize = 4096;
// A unit larger than this defeats striping and bloats per-request buffers.
inline constexpr std::uint64_t kMaxStripeSize = 1ull << 30;
// Bounds the per-file fan-out (and the layout field width on the wire).
inline constexpr std::uint32_t kMaxStripeCount = 4096;
// One job rarely has more volumes than ranks; bounds superblock parsing and validation work.
inline constexpr std::uint32_t kMaxVolumes = 4096;

// ---- Namespace limits (Linux values, so applications see familiar errnos) ---------------------
// Linux NAME_MAX: longest single path component, in bytes.
inline constexpr std::size_t kNameMax = 255;
// Linux PATH_MAX includes the terminating NUL, so the longest path is kPathMax - 1 bytes.
inline constexpr std::size_t kPathMax = 4096;
// Linux MAXSYMLINKS: symlinks followed during one resolution before ELOOP.
inline constexpr int kSymlinkLoopLimit = 40;
// ext4's EXT4_LINK_MAX: hard links (and subdirectories) per inode before EMLINK.
inline constexpr std::uint32_t kLinkMax = 65000;
// off_t is signed 64-bit: sizes and offsets beyond this cannot be expressed by POSIX callers.
inline constexpr std::uint64_t kMaxFileSize = (1ull << 63) - 1;
// Root directory inode number (ext4 uses 2; we have no bad-blocks inode, so 1).
inline constexpr std::uint64_t kRootIno = 1;
// Default permissions of the root directory created by format.
inline constexpr std::uint32_t kRootMode = 0755;

// ---- Metadata store (LMDB) --------------------------------------------------------------------
// LMDB reserves (not allocates) the map up front; 4 GiB holds tens of millions of inodes and
// MDB_MAP_FULL surfaces as ENOSPC if it is ever reached.
inline constexpr std::size_t kLmdbMapSize = 4ull << 30;
// PFS_META_WRITEMAP (1 default, 0 off): with PFS_META_SYNC=process the map is written in place
// (MDB_WRITEMAP): a commit is a few stores instead of a pwrite per dirty page (create 19.6 ->
// 6.7 us in LMDB on /dev/shm). A file system without fallocate gets the pwrite path. A
// store into a page the file system cannot back raises SIGBUS instead of returning ENOSPC, so
// every write transaction first makes sure the file has this much allocated (fallocate) beyond
// the last page in use: a transaction dirties far less (a few inode records of <= 80 KiB, the
// reply cache, the B-tree and free-list pages). Growth goes in steps of the same size, so the
// volume holds at most twice this beyond the database.
inline constexpr std::size_t kLmdbWriteMapHeadroom = 16ull << 20;
// One reader slot per concurrent read transaction; server threads are few, but tools may attach.
inline constexpr unsigned kLmdbMaxReaders = 126;
// Named databases in the env: inodes, dirents, dirslots, sys, replies (+ headroom).
inline constexpr unsigned kLmdbMaxDbs = 8;
// Reply-cache slots per client rank (slot = seq % slots): a retried request finds its reply as
// long as fewer than this many later requests of the same client committed meanwhile. A client
// has one request in flight per application thread, so 64 leaves a wide margin; a slot costs
// one small LMDB record, so the whole cache stays below a page or two per client rank.
inline constexpr std::uint32_t kReplyCacheSlots = 64;
// Largest client world rank a request id may carry (bounds the reply cache's key space).
inline constexpr std::uint32_t kMaxClientRank = (1u << 24) - 1;
// PFS_META_SYNC (environment of the rank serving the metadata volume, pfs-run -x): when an LMDB
// commit reaches stable storage.
//   process (default): the commit is written into the kernel's page cache without fsync
//     (MDB_NOSYNC). An acknowledged change survives the death of any process, the failure
//     model of docs/limitations.md (an adopter reads the same page cache). It reaches the disk
//     with the kernel's writeback, or at once when any client calls fsync(2) (MetaSyncReq), as
//     a local file system's metadata does without fsync. Commits then take microseconds, so
//     on a volume in memory (tmpfs) the metadata server runs namespace changes on its progress
//     thread: measured on /dev/shm (docs/benchmarks.md), the worker hand-off, not the commit,
//     dominated a create. On a disk they stay on the worker pool: a page-cache write can stall
//     there, and the progress thread must never wait for a disk.
//   full: fsync at every commit, so every acknowledged change also survives power loss;
//     changes then run on the worker pool (the progress thread must never wait for a disk).
enum class MetaSync : std::uint8_t { process, full };
inline constexpr MetaSync kDefaultMetaSync = MetaSync::process;
// ---- Attribute leases (pfs/server/attr_leases.hpp, pfs/client/src/attr_cache.hpp) -------------
// How long a client may answer stat/lstat of a path from its cache after the metadata server
// granted a lease on it, counted from when the client SENT the request (so it ends before the
// server's own count). A change that affects a cached path recalls it first, and returns only
// when every holder dropped it, died, or its lease ran out: so this bounds how long a change
// can wait for a hung holder, and how long the adopter of a dead metadata server holds its
// first changes back (it does not know the dead server's leases). GPFS keeps its tokens until
// revoked; a bound keeps a silent holder from stalling a change for longer than this.
inline constexpr std::chrono::milliseconds kAttrLease{1000};
// Paths one client caches at most (oldest dropped first): ~200 bytes each.
inline constexpr std::size_t kAttrCacheEntries = 65536;
// (inode, rank) leases the metadata server tracks at most (~100 bytes each: ~25 MiB); when
// full, a new lease is refused (the client then asks every time) until run-out ones are swept,
// which happens once per lease time: it only fills at ~250k grants per second.
inline constexpr std::size_t kAttrLeaseTable = 1u << 18;
// Inodes whose last change the server remembers to refuse a lease on a read that raced it;
// past this it forgets them all and refuses only the reads in flight at that moment.
inline constexpr std::size_t kAttrChangeMemory = 1u << 16;
// Directories a leased path may go through (symlinks included); a longer walk gets no lease.
inline constexpr std::uint32_t kMaxLeaseVia = 256;
// Inodes in one recall message: a change touches a handful (rename: 4 at most).
inline constexpr std::uint32_t kMaxRecallInodes = 64;

// Directory delegations (docs/pfs.md "Directory delegations"): a rank that made a directory
// creates, stats and unlinks in it from its own memory and sends the changes in batches.
// Inode numbers handed to a holder at a time (each batch may ask for the next run).
inline constexpr std::uint32_t kDelegationPool = 1024;
// Changes one batch carries at most; the holder sends a batch when it is full.
inline constexpr std::uint32_t kWritebackBatch = 256;
// The oldest change of a batch waits at most this long before the batch is sent (the holder's
// progress thread sends it): how long a change lives in the holder's memory only.
inline constexpr std::chrono::milliseconds kWritebackDelay{20};
// Names a holder keeps of one directory at most (~150 bytes each); past it, it gives the
// directory back and later changes in it are plain requests.
inline constexpr std::size_t kWritebackNames = 1u << 16;
// Directories one server delegates at most (a further request is refused: plain requests).
inline constexpr std::size_t kMaxDelegations = 4096;
// A holder that was asked to give a directory back and has not is asked again this often.
inline constexpr std::chrono::milliseconds kDelegationRecallRetry{200};

// Default entries per readdir page: one page fits comfortably in a 64 KiB message.
inline constexpr std::uint32_t kReaddirPageEntries = 256;
// Hard cap on a requested page so a client cannot make the server build a huge reply.
inline constexpr std::uint32_t kReaddirMaxEntries = 4096;

// ---- DMAPI slots (XDSM) -----------------------------------------------------------------------
// XDSM DM_ATTR_NAME_SIZE: attribute names are 8 bytes, NUL padded.
inline constexpr std::size_t kDmAttrNameSize = 8;
// Largest single DM attribute value (GPFS allows small values; HSM stubs need < 1 KiB).
inline constexpr std::size_t kDmAttrMaxValue = 16 * 1024;
// Total bytes of all DM attribute values of one file: keeps an inode record well under a page
// multiple and bounds the size of a getall reply.
inline constexpr std::size_t kDmAttrMaxTotal = 64 * 1024;
// Maximum number of DM attributes on one file (bounds decode loops).
inline constexpr std::size_t kDmAttrMaxCount = 256;
// Managed regions per file; XDSM lets implementations cap this, HSMs use a handful.
inline constexpr std::size_t kDmMaxRegions = 64;

// ---- Object store -----------------------------------------------------------------------------
// Open object fds kept per volume; large enough for the working set of an IOR run on one server,
// small against the default RLIMIT_NOFILE of 1024 shared with MPI's own descriptors.
inline constexpr std::size_t kObjectFdCacheSize = 256;
// Object fds a client keeps open for its direct path (pfs/client/src/direct_volumes.hpp). An
// fd keeps an unlinked object's space allocated until it closes, so this stays small; a file's
// entries are dropped when the client closes it.
inline constexpr std::size_t kClientDirectFds = 64;
// Object removals (RemoveReq) a client leaves outstanding after unlink has returned
// (pfs/client/src/removals.cpp; default of PFS_CLIENT_PENDING_REMOVALS): their replies are
// collected later, so an unlink costs one round trip, not two. Past this the client waits for
// the oldest; it bounds the replies the transport holds for this client (a few KiB each).
inline constexpr std::size_t kClientPendingRemovals = 64;
// Permissions of object files: the server processes and, on their host, the job's clients
// (same user) touch them.
inline constexpr unsigned kObjectFileMode = 0600;
// Per-volume byte quota; 0 = unlimited (the real device's ENOSPC still applies).
inline constexpr std::uint64_t kDefaultVolumeQuota = 0;

// ---- Wire protocol ----------------------------------------------------------------------------
// Largest data payload in one read/write message; larger transfers are split by the client.
// 64 MiB keeps server receive buffers bounded while amortising per-message latency.
inline constexpr std::uint64_t kMaxIoSize = 64ull << 20;
// Extents in one allocation-map reply before the client must ask again from the last offset.
inline constexpr std::uint32_t kMaxAllocExtents = 65536;
// Objects per ListObjectsReq page (pfs scrub): 16 bytes each, well inside one message.
inline constexpr std::uint32_t kMaxListObjects = 4096;
// Fan-out directories of a data volume (objects/00 .. objects/ff: the low byte of the inode).
inline constexpr std::uint32_t kObjectShards = 256;
// Any single encoded message larger than this is rejected before decoding (payload excluded).
inline constexpr std::size_t kMaxMessageSize = 16ull << 20;

// ---- On-disk versions -------------------------------------------------------------------------
// Bumped on incompatible changes to superblock.json.
inline constexpr int kSuperblockVersion = 1;
// Bumped on incompatible changes to the LMDB record layout.
inline constexpr std::uint32_t kMetaFormatVersion = 1;

}  // namespace pfs::config
