// Plain value types shared by the metadata service, the object store, the wire protocol and the
// client. No behaviour here beyond trivial predicates, so every layer can include it.
#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pfs {

using Ino = std::uint64_t;
using Gen = std::uint32_t;

enum class FileType : std::uint8_t { file = 1, dir = 2, symlink = 3 };

inline constexpr bool valid_file_type(std::uint8_t v) noexcept {
    return v >= 1 && v <= 3;
}

// The identity of one logical mutating metadata request, kept across its retries: the reply
// cache's key (docs/pfs.md "Exactly-once metadata operations"). A request committed by a meta
// rank that died before answering is answered from the cache by the adopter, not re-executed.
// seq == 0 means "no identity": the request is executed every time it arrives.
struct ReqId {
    std::uint32_t client = 0;       // the sender's world rank
    std::uint64_t incarnation = 0;  // random per client instance: a later job's client differs
    std::uint64_t seq = 0;          // per client instance, from 1
    friend bool operator==(const ReqId&, const ReqId&) = default;
};

// How a regular file's bytes are spread over data servers (RAID-0): stripe unit k lives on server
// (first_server + k) % stripe_count ... see pfs/client/striping.hpp.
struct Layout {
    std::uint64_t stripe_size = 0;
    std::uint32_t stripe_count = 0;
    std::uint32_t first_server = 0;
    friend bool operator==(const Layout&, const Layout&) = default;
};

// Directory delegations (docs/pfs.md): inode numbers handed to the holder of a delegated
// directory, with generation gen0 + (ino - first) each.
struct InoPool {
    Ino first = 0;
    std::uint32_t count = 0;
    Gen gen0 = 0;
    friend bool operator==(const InoPool&, const InoPool&) = default;
};

// One namespace change the holder of a delegated directory made in its memory: a regular file
// created with inode `ino` from its pool, or a name unlinked (ino: the file it named).
inline constexpr std::uint8_t kNsCreate = 1;
inline constexpr std::uint8_t kNsUnlink = 2;
struct NsOp {
    std::uint8_t kind = kNsCreate;
    std::string name;
    Ino ino = 0;
    std::uint32_t mode = 0;  // create: permission bits
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::int64_t time_ns = 0;  // when the holder made the change (the new file's times)
    Layout layout;             // create
    friend bool operator==(const NsOp&, const NsOp&) = default;
};

// What a client holds on to: stale after the inode is freed because the generation changes.
struct Handle {
    std::uint64_t fsid = 0;
    Ino ino = 0;
    Gen gen = 0;
    friend bool operator==(const Handle&, const Handle&) = default;
};

// The identity of one object on one data volume.
struct ObjectId {
    Ino ino = 0;
    Gen gen = 0;
    friend bool operator==(const ObjectId&, const ObjectId&) = default;
};

// stat(2)-like attributes. Times are nanoseconds since the Unix epoch.
struct Attr {
    Ino ino = 0;
    Gen gen = 0;
    FileType type = FileType::file;
    std::uint32_t mode = 0;  // permission bits only (07777); the type is in `type`
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::uint32_t nlink = 0;
    std::uint64_t size = 0;
    std::int64_t atime_ns = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    Layout layout{};           // meaningful for regular files only
    std::uint64_t change = 0;  // bumped on every change of the inode (XDSM dt_change)
    friend bool operator==(const Attr&, const Attr&) = default;
};

// XDSM managed region: data events fire for accesses overlapping [offset, offset+size).
struct ManagedRegion {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint32_t flags = 0;  // DM_REGION_READ/WRITE/TRUNCATE bits, opaque here
    friend bool operator==(const ManagedRegion&, const ManagedRegion&) = default;
};

// Per-inode state owned by the DMAPI layer; the metadata store only persists and bounds it.
// Attribute names are 1..8 bytes (XDSM's 8-byte names with trailing NULs removed); values are
// arbitrary bytes.
struct DmSlots {
    std::map<std::string, std::string> attrs;
    std::uint64_t event_set = 0;
    std::vector<ManagedRegion> regions;
    std::int64_t dtime_ns = 0;
    friend bool operator==(const DmSlots&, const DmSlots&) = default;
};

struct DirEntry {
    std::string name;
    Ino ino = 0;
    FileType type = FileType::file;
    friend bool operator==(const DirEntry&, const DirEntry&) = default;
};

// A caller's wishes for a new file's layout; zero / empty fields take the file-system default.
struct LayoutHint {
    std::uint64_t stripe_size = 0;
    std::uint32_t stripe_count = 0;
    std::optional<std::uint32_t> first_server;  // empty: round-robin across creates
    friend bool operator==(const LayoutHint&, const LayoutHint&) = default;
};

// setattr(2)-style change set: only the engaged fields change. A time equal to kTimeNow means
// "the server's current time" (utimensat's UTIME_NOW).
struct SetAttr {
    static constexpr std::int64_t kTimeNow = INT64_MIN;
    std::optional<std::uint32_t> mode;
    std::optional<std::uint32_t> uid;
    std::optional<std::uint32_t> gid;
    std::optional<std::uint64_t> size;
    std::optional<std::int64_t> atime_ns;
    std::optional<std::int64_t> mtime_ns;
    friend bool operator==(const SetAttr&, const SetAttr&) = default;
};

// One run of an object's allocation map (SEEK_DATA / SEEK_HOLE).
struct Extent {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    bool is_data = false;
    friend bool operator==(const Extent&, const Extent&) = default;
};

// Capacity of one data volume, in bytes. With a quota, total is the quota.
struct VolumeStat {
    std::uint64_t total_bytes = 0;
    std::uint64_t free_bytes = 0;
    std::uint64_t used_bytes = 0;  // bytes allocated by objects (tracked by the store)
    friend bool operator==(const VolumeStat&, const VolumeStat&) = default;
};

}  // namespace pfs
