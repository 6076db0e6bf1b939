// Every PFS wire message, in ONE header (GekkoFS rpc_defs style). A frame is
//   u16 MsgType | fields of the struct in declaration order (little-endian)
// and, for WriteReq and ReadResp only, `length` raw payload bytes after the header.
// Values < 1000 are reserved for mpi_tools control messages; numbers are part of the wire
// format, so never renumber, only append.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "pfs/common/config.hpp"
#include "pfs/common/result.hpp"
#include "pfs/common/types.hpp"
#include "pfs/proto/codec.hpp"
#include "pfs/proto/serialize.hpp"

namespace pfs::proto {

enum class MsgType : std::uint16_t {
    // metadata requests
    lookup_req = 1000,
    resolve_req = 1001,
    create_req = 1002,
    mkdir_req = 1003,
    unlink_req = 1004,
    rmdir_req = 1005,
    rename_req = 1006,
    link_req = 1007,
    symlink_req = 1008,
    readlink_req = 1009,
    readdir_req = 1010,
    stat_req = 1011,
    setattr_req = 1012,
    extend_size_req = 1013,
    get_dm_req = 1014,
    set_dm_attr_req = 1015,
    remove_dm_attr_req = 1016,
    set_event_set_req = 1017,
    set_regions_req = 1018,
    set_dtime_req = 1019,
    dm_state_req = 1020,       // DM state by handle (ino + gen), optionally cached by the asker
    dm_update_req = 1021,      // DM state change by handle; waits for cache invalidation
    dm_invalidate_req = 1022,  // meta -> a caching rank: drop the cached DM state of ino
    dm_right_req = 1023,       // DM access rights (a DM token's lock on a file; user ops wait)
    scan_inodes_req = 1024,    // allocated inodes in number order (dm_get_bulkattr)
    create_at_req = 1025,      // create_req with the parent named by path: one round trip
    unlink_at_req = 1026,      // unlink_req with the parent named by path: one round trip
    meta_sync_req = 1027,      // flush committed metadata to the disk (a client's fsync)
    attr_recall_req = 1028,    // meta -> a leaseholder: drop cached paths and attributes
    delegate_req = 1029,       // a rank asks to hold the directory it made (write-back)
    writeback_req = 1030,      // the holder's batch of changes in its delegated directory
    deleg_recall_req = 1031,   // meta -> the holder: send what is pending, give the directory back
    // metadata responses
    status_resp = 1100,
    attr_resp = 1101,
    unlink_resp = 1102,
    rename_resp = 1103,
    readlink_resp = 1104,
    readdir_resp = 1105,
    get_dm_resp = 1106,
    dm_state_resp = 1107,
    dm_right_resp = 1108,
    scan_inodes_resp = 1109,
    delegate_resp = 1110,
    writeback_resp = 1111,
    // data requests (offsets are OBJECT offsets: the client has already striped)
    read_req = 1200,
    write_req = 1201,
    punch_req = 1202,
    truncate_req = 1203,
    remove_req = 1204,
    alloc_map_req = 1205,
    fsync_req = 1206,
    statfs_req = 1207,
    list_objects_req = 1208,  // the objects of one fan-out directory of a volume (pfs scrub)
    // data responses
    read_resp = 1300,
    write_resp = 1301,
    alloc_map_resp = 1302,
    statfs_resp = 1303,
    list_objects_resp = 1304,
};

bool valid_msg_type(std::uint16_t v) noexcept;
const char* msg_type_name(MsgType t) noexcept;

// ---- Metadata requests ------------------------------------------------------------------------

struct LookupReq {
    static constexpr MsgType kType = MsgType::lookup_req;
    Ino parent = 0;
    std::string name;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.parent);
        f(s.name, config::kNameMax);
    }
    friend bool operator==(const LookupReq&, const LookupReq&) = default;
};

struct ResolveReq {
    static constexpr MsgType kType = MsgType::resolve_req;
    std::string path;
    bool follow_final = false;
    bool lease = false;  // the asker caches the answer: AttrResp.leased (attr_leases.hpp)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.path, config::kPathMax);
        f(s.follow_final);
        f(s.lease);
    }
    friend bool operator==(const ResolveReq&, const ResolveReq&) = default;
};

struct CreateReq {
    static constexpr MsgType kType = MsgType::create_req;
    Ino parent = 0;
    std::string name;
    std::uint32_t mode = 0;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    LayoutHint layout;
    ReqId rid;  // reply cache key (pfs/common/types.hpp)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.parent);
        f(s.name, config::kNameMax);
        f(s.mode);
        f(s.uid);
        f(s.gid);
        f(s.layout);
        f(s.rid);
    }
    friend bool operator==(const CreateReq&, const CreateReq&) = default;
};

struct MkdirReq {
    static constexpr MsgType kType = MsgType::mkdir_req;
    Ino parent = 0;
    std::string name;
    std::uint32_t mode = 0;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    ReqId rid;  // reply cache key (pfs/common/types.hpp)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.parent);
        f(s.name, config::kNameMax);
        f(s.mode);
        f(s.uid);
        f(s.gid);
        f(s.rid);
    }
    friend bool operator==(const MkdirReq&, const MkdirReq&) = default;
};

struct UnlinkReq {
    static constexpr MsgType kType = MsgType::unlink_req;
    Ino parent = 0;
    std::string name;
    ReqId rid;  // reply cache key (pfs/common/types.hpp)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.parent);
        f(s.name, config::kNameMax);
        f(s.rid);
    }
    friend bool operator==(const UnlinkReq&, const UnlinkReq&) = default;
};

struct RmdirReq {
    static constexpr MsgType kType = MsgType::rmdir_req;
    Ino parent = 0;
    std::string name;
    ReqId rid;  // reply cache key (pfs/common/types.hpp)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.parent);
        f(s.name, config::kNameMax);
        f(s.rid);
    }
    friend bool operator==(const RmdirReq&, const RmdirReq&) = default;
};

struct RenameReq {
    static constexpr MsgType kType = MsgType::rename_req;
    Ino src_parent = 0;
    std::string src_name;
    Ino dst_parent = 0;
    std::string dst_name;
    ReqId rid;  // reply cache key (pfs/common/types.hpp)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.src_parent);
        f(s.src_name, config::kNameMax);
        f(s.dst_parent);
        f(s.dst_name, config::kNameMax);
        f(s.rid);
    }
    friend bool operator==(const RenameReq&, const RenameReq&) = default;
};

struct LinkReq {
    static constexpr MsgType kType = MsgType::link_req;
    Ino ino = 0;
    Ino new_parent = 0;
    std::string name;
    ReqId rid;  // reply cache key (pfs/common/types.hpp)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.new_parent);
        f(s.name, config::kNameMax);
        f(s.rid);
    }
    friend bool operator==(const LinkReq&, const LinkReq&) = default;
};

struct SymlinkReq {
    static constexpr MsgType kType = MsgType::symlink_req;
    Ino parent = 0;
    std::string name;
    std::string target;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    ReqId rid;  // reply cache key (pfs/common/types.hpp)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.parent);
        f(s.name, config::kNameMax);
        f(s.target, config::kPathMax);
        f(s.uid);
        f(s.gid);
        f(s.rid);
    }
    friend bool operator==(const SymlinkReq&, const SymlinkReq&) = default;
};

// CreateReq / UnlinkReq with the parent directory given by absolute path (intermediate and
// final symlinks of the parent path followed, as the client's own resolve would): the server
// resolves it and changes the name in the same transaction, saving the client a ResolveReq
// when no DMAPI namespace event needs the parent's handle first.
struct CreateAtReq {
    static constexpr MsgType kType = MsgType::create_at_req;
    std::string parent_path;
    std::string name;
    std::uint32_t mode = 0;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    LayoutHint layout;
    ReqId rid;
    bool lease = false;  // as ResolveReq's, for parent_path/name
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.parent_path, config::kPathMax);
        f(s.name, config::kNameMax);
        f(s.mode);
        f(s.uid);
        f(s.gid);
        f(s.layout);
        f(s.rid);
        f(s.lease);
    }
    friend bool operator==(const CreateAtReq&, const CreateAtReq&) = default;
};

struct UnlinkAtReq {
    static constexpr MsgType kType = MsgType::unlink_at_req;
    std::string parent_path;
    std::string name;
    ReqId rid;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.parent_path, config::kPathMax);
        f(s.name, config::kNameMax);
        f(s.rid);
    }
    friend bool operator==(const UnlinkAtReq&, const UnlinkAtReq&) = default;
};

// fsync(2) on a client: every committed metadata change reaches the disk before the answer
// (commits may stop at the page cache: config::MetaSync). Answered with StatusResp.
struct MetaSyncReq {
    static constexpr MsgType kType = MsgType::meta_sync_req;
    Ino ino = 0;  // the file being synced (informational)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
    }
    friend bool operator==(const MetaSyncReq&, const MetaSyncReq&) = default;
};

struct ReadlinkReq {
    static constexpr MsgType kType = MsgType::readlink_req;
    Ino ino = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
    }
    friend bool operator==(const ReadlinkReq&, const ReadlinkReq&) = default;
};

struct ReaddirReq {
    static constexpr MsgType kType = MsgType::readdir_req;
    Ino dir = 0;
    std::uint64_t cookie = 0;
    std::uint32_t max_entries = config::kReaddirPageEntries;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.dir);
        f(s.cookie);
        f(s.max_entries, config::kReaddirMaxEntries);
    }
    friend bool operator==(const ReaddirReq&, const ReaddirReq&) = default;
};

struct StatReq {
    static constexpr MsgType kType = MsgType::stat_req;
    Ino ino = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
    }
    friend bool operator==(const StatReq&, const StatReq&) = default;
};

struct SetattrReq {
    static constexpr MsgType kType = MsgType::setattr_req;
    Ino ino = 0;
    SetAttr changes;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.changes);
    }
    friend bool operator==(const SetattrReq&, const SetattrReq&) = default;
};

struct ExtendSizeReq {
    static constexpr MsgType kType = MsgType::extend_size_req;
    Ino ino = 0;
    std::uint64_t end = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.end, config::kMaxFileSize);
    }
    friend bool operator==(const ExtendSizeReq&, const ExtendSizeReq&) = default;
};

struct GetDmReq {
    static constexpr MsgType kType = MsgType::get_dm_req;
    Ino ino = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
    }
    friend bool operator==(const GetDmReq&, const GetDmReq&) = default;
};

struct SetDmAttrReq {
    static constexpr MsgType kType = MsgType::set_dm_attr_req;
    Ino ino = 0;
    std::string name;
    std::string value;
    bool set_dtime = false;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.name, config::kDmAttrNameSize);
        f(s.value, config::kDmAttrMaxValue);
        f(s.set_dtime);
    }
    friend bool operator==(const SetDmAttrReq&, const SetDmAttrReq&) = default;
};

struct RemoveDmAttrReq {
    static constexpr MsgType kType = MsgType::remove_dm_attr_req;
    Ino ino = 0;
    std::string name;
    bool set_dtime = false;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.name, config::kDmAttrNameSize);
        f(s.set_dtime);
    }
    friend bool operator==(const RemoveDmAttrReq&, const RemoveDmAttrReq&) = default;
};

struct SetEventSetReq {
    static constexpr MsgType kType = MsgType::set_event_set_req;
    Ino ino = 0;
    std::uint64_t event_set = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.event_set);
    }
    friend bool operator==(const SetEventSetReq&, const SetEventSetReq&) = default;
};

struct SetRegionsReq {
    static constexpr MsgType kType = MsgType::set_regions_req;
    Ino ino = 0;
    std::vector<ManagedRegion> regions;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.regions, config::kDmMaxRegions);
    }
    friend bool operator==(const SetRegionsReq&, const SetRegionsReq&) = default;
};

struct SetDtimeReq {
    static constexpr MsgType kType = MsgType::set_dtime_req;
    Ino ino = 0;
    std::int64_t dtime_ns = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.dtime_ns);
    }
    friend bool operator==(const SetDtimeReq&, const SetDtimeReq&) = default;
};

// ---- DMAPI state by handle --------------------------------------------------------------------
// `ino` 0 names the file system itself (its event list and return-on-destroy attribute name);
// otherwise the inode must exist with generation `gen` (else EBADF: XDSM's "no such object").
// `cache`: the asker keeps the returned event list and regions; the metadata server then counts
// it among the inode's caching ranks and any later change of them (DmUpdateReq) returns only
// after that rank dropped its copy (DmInvalidateReq).
struct DmStateReq {
    static constexpr MsgType kType = MsgType::dm_state_req;
    Ino ino = 0;
    Gen gen = 0;
    bool cache = false;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.cache);
    }
    friend bool operator==(const DmStateReq&, const DmStateReq&) = default;
};

enum class DmOp : std::uint8_t {
    set_attr = 1,       // name, value, flag = setdtime
    remove_attr = 2,    // name, flag = setdtime
    set_event_set = 3,  // event_set (ino 0: the file system's list)
    set_regions = 4,    // regions
    set_dtime = 5,      // time_ns
    set_rod_name = 6,   // ino 0 only: name ("" = disable return-on-destroy)
};
inline constexpr std::uint8_t kDmOpMax = 6;

struct DmUpdateReq {
    static constexpr MsgType kType = MsgType::dm_update_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint8_t op = 0;
    std::string name;
    std::string value;
    bool flag = false;
    std::uint64_t event_set = 0;
    std::vector<ManagedRegion> regions;
    std::int64_t time_ns = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.op, kDmOpMax);
        f(s.name, config::kDmAttrNameSize);
        f(s.value, config::kDmAttrMaxValue);
        f(s.flag);
        f(s.event_set);
        f(s.regions, config::kDmMaxRegions);
        f(s.time_ns);
    }
    friend bool operator==(const DmUpdateReq&, const DmUpdateReq&) = default;
};

struct DmInvalidateReq {
    static constexpr MsgType kType = MsgType::dm_invalidate_req;
    Ino ino = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
    }
    friend bool operator==(const DmInvalidateReq&, const DmInvalidateReq&) = default;
};

// The metadata server to a rank holding attribute leases, before a change that affects them
// returns (attr_leases.hpp): drop every cached path that passed through one of `entries` or
// ended at one of `entries` or `attrs`. Answered with a StatusResp once dropped.
struct AttrRecallReq {
    static constexpr MsgType kType = MsgType::attr_recall_req;
    std::vector<Ino> entries;
    std::vector<Ino> attrs;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.entries, config::kMaxRecallInodes);
        f(s.attrs, config::kMaxRecallInodes);
    }
    friend bool operator==(const AttrRecallReq&, const AttrRecallReq&) = default;
};

// Directory delegations (docs/pfs.md "Directory delegations"). The directory at `path` (an
// empty one) is handed to the asker, which then creates, stats and unlinks in it from its own
// memory until it gives it back; the path is resolved as a leased ResolveReq.
struct DelegateReq {
    static constexpr MsgType kType = MsgType::delegate_req;
    std::string path;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.path, config::kPathMax);
    }
    friend bool operator==(const DelegateReq&, const DelegateReq&) = default;
};

// The holder's changes in `dir`, applied in one transaction in `seq` order (1, 2, ...): a seq
// already applied is answered again without applying (a batch re-sent to an adopter).
// `give_back` ends the delegation after the batch; `refill` asks for the next inode pool.
struct WritebackReq {
    static constexpr MsgType kType = MsgType::writeback_req;
    Ino dir = 0;
    std::uint64_t seq = 0;
    bool give_back = false;
    bool refill = false;
    std::vector<NsOp> ops;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.dir);
        f(s.seq);
        f(s.give_back);
        f(s.refill);
        f(s.ops, config::kWritebackBatch);
    }
    friend bool operator==(const WritebackReq&, const WritebackReq&) = default;
};

struct DelegRecallReq {
    static constexpr MsgType kType = MsgType::deleg_recall_req;
    Ino dir = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.dir);
    }
    friend bool operator==(const DelegRecallReq&, const DelegRecallReq&) = default;
};

// DM access rights (XDSM dm_request_right & co., DESIGN.md section 5): per-file locks held by a
// DM token, kept by the metadata server, enforced against conflicting user data operations.
enum class RightOp : std::uint8_t {
    request = 1,        // sid, token, right (1 shared, 2 excl), wait (DM_RR_WAIT)
    release = 2,        // the token's right on ino
    upgrade = 3,        // shared -> excl (waits for other holders)
    downgrade = 4,      // excl -> shared
    query = 5,          // the token's right on ino (0 none)
    release_token = 6,  // every right of the token (its event was answered)
    release_rank = 7,   // every right held from the asking rank (its DMAPI instance failed)
    wait_clear = 8,     // a user operation: returns once no right conflicting with `right` is held
};
inline constexpr std::uint8_t kRightOpMax = 8;
inline constexpr std::uint8_t kRightMax = 2;  // dm_right_t: 0 null, 1 shared, 2 excl

struct DmRightReq {
    static constexpr MsgType kType = MsgType::dm_right_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint8_t op = 0;
    std::uint64_t sid = 0;
    std::uint64_t token = 0;
    std::uint8_t right = 0;
    bool wait = false;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.op, kRightOpMax);
        f(s.sid);
        f(s.token);
        f(s.right, kRightMax);
        f(s.wait);
    }
    friend bool operator==(const DmRightReq&, const DmRightReq&) = default;
};

struct ScanInodesReq {
    static constexpr MsgType kType = MsgType::scan_inodes_req;
    Ino from = 0;
    std::uint32_t max_entries = config::kReaddirPageEntries;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.from);
        f(s.max_entries, config::kReaddirMaxEntries);
    }
    friend bool operator==(const ScanInodesReq&, const ScanInodesReq&) = default;
};

// ---- Metadata responses -----------------------------------------------------------------------
// `err` is 0 or a positive errno; other fields are meaningful only when err == 0.

// rmdir and the DM setters; also punch/truncate/remove/fsync on the data side.
struct StatusResp {
    static constexpr MsgType kType = MsgType::status_resp;
    std::int32_t err = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
    }
    friend bool operator==(const StatusResp&, const StatusResp&) = default;
};

// lookup, resolve, create, mkdir, link, symlink, stat, setattr, extend_size.
struct AttrResp {
    static constexpr MsgType kType = MsgType::attr_resp;
    std::int32_t err = 0;
    Attr attr;
    // A lease was asked for and granted: until the recall (AttrRecallReq) or the lease time
    // (config::kAttrLease, counted from when the asker sent the request) the asker may answer
    // this path from its cache.
    bool leased = false;
    std::vector<Ino> via;  // leased: the directories the path went through (the recall's key)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.attr);
        f(s.leased);
        f(s.via, config::kMaxLeaseVia);
    }
    friend bool operator==(const AttrResp&, const AttrResp&) = default;
};

// `freed`: the last link went away; the client deletes objects (attr.ino, attr.gen) on the
// servers of attr.layout. `dm` carries the freed inode's DM slots for the destroy event.
struct UnlinkResp {
    static constexpr MsgType kType = MsgType::unlink_resp;
    std::int32_t err = 0;
    Attr attr;
    bool freed = false;
    DmSlots dm;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.attr);
        f(s.freed);
        f(s.dm);
    }
    friend bool operator==(const UnlinkResp&, const UnlinkResp&) = default;
};

// `replaced_freed`: the rename dropped the last link of the target it replaced.
struct RenameResp {
    static constexpr MsgType kType = MsgType::rename_resp;
    std::int32_t err = 0;
    bool replaced_freed = false;
    Attr replaced;
    DmSlots replaced_dm;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.replaced_freed);
        f(s.replaced);
        f(s.replaced_dm);
    }
    friend bool operator==(const RenameResp&, const RenameResp&) = default;
};

struct ReadlinkResp {
    static constexpr MsgType kType = MsgType::readlink_resp;
    std::int32_t err = 0;
    std::string target;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.target, config::kPathMax);
    }
    friend bool operator==(const ReadlinkResp&, const ReadlinkResp&) = default;
};

struct ReaddirResp {
    static constexpr MsgType kType = MsgType::readdir_resp;
    std::int32_t err = 0;
    std::vector<DirEntry> entries;
    std::uint64_t next_cookie = 0;
    bool eof = false;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.entries, config::kReaddirMaxEntries);
        f(s.next_cookie);
        f(s.eof);
    }
    friend bool operator==(const ReaddirResp&, const ReaddirResp&) = default;
};

struct GetDmResp {
    static constexpr MsgType kType = MsgType::get_dm_resp;
    std::int32_t err = 0;
    DmSlots dm;
    std::uint64_t change = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.dm);
        f(s.change);
    }
    friend bool operator==(const GetDmResp&, const GetDmResp&) = default;
};

// The inode's attributes and DM slots (ino 0: attr/dm empty) plus the file system's DM state.
struct DmStateResp {
    static constexpr MsgType kType = MsgType::dm_state_resp;
    std::int32_t err = 0;
    Attr attr;
    DmSlots dm;
    std::uint64_t fs_event_set = 0;
    std::string rod_name;  // return-on-destroy attribute name, "" = none
    // DM access rights: the strongest right any token holds on ino (0 none, 1 shared, 2 excl),
    // and whether any right is held in the file system (user data operations check only then).
    std::uint8_t held_right = 0;
    bool rights_active = false;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.attr);
        f(s.dm);
        f(s.fs_event_set);
        f(s.rod_name, config::kDmAttrNameSize);
        f(s.held_right, kRightMax);
        f(s.rights_active);
    }
    friend bool operator==(const DmStateResp&, const DmStateResp&) = default;
};

struct DmRightResp {
    static constexpr MsgType kType = MsgType::dm_right_resp;
    std::int32_t err = 0;
    std::uint8_t right = 0;  // query: the token's right; request/upgrade/downgrade: now held
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.right, kRightMax);
    }
    friend bool operator==(const DmRightResp&, const DmRightResp&) = default;
};

struct ScanInodesResp {
    static constexpr MsgType kType = MsgType::scan_inodes_resp;
    std::int32_t err = 0;
    std::vector<Attr> attrs;
    Ino next = 0;
    bool eof = false;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.attrs, config::kReaddirMaxEntries);
        f(s.next);
        f(s.eof);
    }
    friend bool operator==(const ScanInodesResp&, const ScanInodesResp&) = default;
};

// The delegated directory (attr/leased/via as a leased ResolveReq's answer), the first pool,
// and the default layout new files get (first_server: the holder round-robins from its own).
struct DelegateResp {
    static constexpr MsgType kType = MsgType::delegate_resp;
    std::int32_t err = 0;
    Attr attr;
    bool leased = false;
    std::vector<Ino> via;
    InoPool pool;
    Layout layout;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.attr);
        f(s.leased);
        f(s.via, config::kMaxLeaseVia);
        f(s.pool);
        f(s.layout);
    }
    friend bool operator==(const DelegateResp&, const DelegateResp&) = default;
};

// err: the batch as a whole (EPROTO: a gap in seq; ESTALE: no such delegation). op_errs: per
// change, empty when all succeeded. freed: unlinked files that may have objects (written or
// changed since they were created) for the holder to remove. leased: the created files carry
// an attribute lease for the holder (as a leased resolve's, with via = the directory).
struct WritebackResp {
    static constexpr MsgType kType = MsgType::writeback_resp;
    std::int32_t err = 0;
    std::vector<std::int32_t> op_errs;
    std::vector<Attr> freed;
    bool leased = false;
    InoPool pool;  // refill: the next pool (count 0: none)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.op_errs, config::kWritebackBatch);
        f(s.freed, config::kWritebackBatch);
        f(s.leased);
        f(s.pool);
    }
    friend bool operator==(const WritebackResp&, const WritebackResp&) = default;
};

// ---- Data requests ----------------------------------------------------------------------------
// Every data request names the data volume it is for (`volume`, the server index i of
// data_volumes[i]; the last field): a data rank that adopted a dead rank's volume serves two
// volumes, and a request for a volume the rank does not (yet) serve is answered EAGAIN (the
// client re-routes it through the volume map and retries; docs/pfs.md "Volume adoption").

struct ReadReq {
    static constexpr MsgType kType = MsgType::read_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.offset, config::kMaxFileSize);
        f(s.length, config::kMaxIoSize);
        f(s.volume, config::kMaxVolumes - 1);
    }
    friend bool operator==(const ReadReq&, const ReadReq&) = default;
};

// Header only: exactly `length` payload bytes follow (encode_with_payload / decode_with_payload,
// or a separate transfer straight into a mapped object range).
struct WriteReq {
    static constexpr MsgType kType = MsgType::write_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.offset, config::kMaxFileSize);
        f(s.length, config::kMaxIoSize);
        f(s.volume, config::kMaxVolumes - 1);
    }
    friend bool operator==(const WriteReq&, const WriteReq&) = default;
};

struct PunchReq {
    static constexpr MsgType kType = MsgType::punch_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.offset, config::kMaxFileSize);
        f(s.length, config::kMaxFileSize);
        f(s.volume, config::kMaxVolumes - 1);
    }
    friend bool operator==(const PunchReq&, const PunchReq&) = default;
};

struct TruncateReq {
    static constexpr MsgType kType = MsgType::truncate_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint64_t size = 0;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.size, config::kMaxFileSize);
        f(s.volume, config::kMaxVolumes - 1);
    }
    friend bool operator==(const TruncateReq&, const TruncateReq&) = default;
};

struct RemoveReq {
    static constexpr MsgType kType = MsgType::remove_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.volume, config::kMaxVolumes - 1);
    }
    friend bool operator==(const RemoveReq&, const RemoveReq&) = default;
};

struct AllocMapReq {
    static constexpr MsgType kType = MsgType::alloc_map_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.offset, config::kMaxFileSize);
        f(s.length, config::kMaxFileSize);
        f(s.volume, config::kMaxVolumes - 1);
    }
    friend bool operator==(const AllocMapReq&, const AllocMapReq&) = default;
};

struct FsyncReq {
    static constexpr MsgType kType = MsgType::fsync_req;
    Ino ino = 0;
    Gen gen = 0;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.volume, config::kMaxVolumes - 1);
    }
    friend bool operator==(const FsyncReq&, const FsyncReq&) = default;
};

struct StatfsReq {
    static constexpr MsgType kType = MsgType::statfs_req;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.volume, config::kMaxVolumes - 1);
    }
    friend bool operator==(const StatfsReq&, const StatfsReq&) = default;
};

// One page of the objects in fan-out directory `shard` of a volume, in (ino, gen) order, those
// after `after` (the last of the previous page; {0, 0} for the first).
struct ListObjectsReq {
    static constexpr MsgType kType = MsgType::list_objects_req;
    std::uint32_t volume = 0;  // data volume index (see "Data requests" above)
    std::uint32_t shard = 0;
    ObjectId after;
    std::uint32_t max_entries = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.volume, config::kMaxVolumes - 1);
        f(s.shard, config::kObjectShards - 1);
        f(s.after);
        f(s.max_entries, config::kMaxListObjects);
    }
    friend bool operator==(const ListObjectsReq&, const ListObjectsReq&) = default;
};

// ---- Data responses ---------------------------------------------------------------------------

// Header only: `length` payload bytes follow; length < requested means object EOF.
struct ReadResp {
    static constexpr MsgType kType = MsgType::read_resp;
    std::int32_t err = 0;
    std::uint64_t length = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.length, config::kMaxIoSize);
    }
    friend bool operator==(const ReadResp&, const ReadResp&) = default;
};

struct WriteResp {
    static constexpr MsgType kType = MsgType::write_resp;
    std::int32_t err = 0;
    std::uint64_t written = 0;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.written, config::kMaxIoSize);
    }
    friend bool operator==(const WriteResp&, const WriteResp&) = default;
};

// `complete` is false when the map was cut at kMaxAllocExtents; ask again from the last end.
struct AllocMapResp {
    static constexpr MsgType kType = MsgType::alloc_map_resp;
    std::int32_t err = 0;
    std::vector<Extent> extents;
    bool complete = true;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.extents, config::kMaxAllocExtents);
        f(s.complete);
    }
    friend bool operator==(const AllocMapResp&, const AllocMapResp&) = default;
};

struct StatfsResp {
    static constexpr MsgType kType = MsgType::statfs_resp;
    std::int32_t err = 0;
    VolumeStat stat;
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.stat);
    }
    friend bool operator==(const StatfsResp&, const StatfsResp&) = default;
};

struct ListObjectsResp {
    static constexpr MsgType kType = MsgType::list_objects_resp;
    std::int32_t err = 0;
    std::vector<ObjectId> objects;
    bool shard_done = false;  // no objects after the last one returned
    template <class S, class F>
    static void fields(S& s, F& f) {
        f(s.err, kErrno);
        f(s.objects, config::kMaxListObjects);
        f(s.shard_done);
    }
    friend bool operator==(const ListObjectsResp&, const ListObjectsResp&) = default;
};

// Every message type, for dispatch tables and exhaustive tests.
using AllMessages =
    std::tuple<LookupReq, ResolveReq, CreateReq, MkdirReq, UnlinkReq, RmdirReq, RenameReq, LinkReq,
               SymlinkReq, ReadlinkReq, ReaddirReq, StatReq, SetattrReq, ExtendSizeReq, GetDmReq,
               SetDmAttrReq, RemoveDmAttrReq, SetEventSetReq, SetRegionsReq, SetDtimeReq,
               DmStateReq, DmUpdateReq, DmInvalidateReq, DmRightReq, ScanInodesReq, CreateAtReq,
               UnlinkAtReq, MetaSyncReq, AttrRecallReq, DelegateReq, WritebackReq, DelegRecallReq,
               DelegateResp, WritebackResp, DmStateResp, DmRightResp, ScanInodesResp, StatusResp,
               AttrResp, UnlinkResp, RenameResp, ReadlinkResp, ReaddirResp, GetDmResp, ReadReq,
               WriteReq, PunchReq, TruncateReq, RemoveReq, AllocMapReq, FsyncReq, StatfsReq,
               ListObjectsReq, ReadResp, WriteResp, AllocMapResp, StatfsResp, ListObjectsResp>;

// ---- Framing ----------------------------------------------------------------------------------

// Appends the frame of `m` to `out`.
template <class M>
void encode_into(const M& m, std::vector<std::byte>& out) {
    Writer w(out);
    w.u16(static_cast<std::uint16_t>(M::kType));
    Encoder e(w);
    e(m);
}

template <class M>
std::vector<std::byte> encode(const M& m) {
    std::vector<std::byte> out;
    encode_into(m, out);
    return out;
}

// Encodes into a caller buffer; returns the frame size, or EMSGSIZE if it does not fit.
template <class M>
Result<std::size_t> encode_to(const M& m, std::span<std::byte> buf) {
    Writer w(buf);
    w.u16(static_cast<std::uint16_t>(M::kType));
    Encoder e(w);
    e(m);
    if (!w.ok()) return Errno{to_errno(w.error())};
    return w.size();
}

// The type of a frame, or EBADMSG if it is too short or not a PFS message.
Result<MsgType> peek_type(std::span<const std::byte> frame) noexcept;

namespace detail {
template <class M>
CodecError decode_header(Reader& r, M& m, std::size_t frame_size) {
    if (frame_size > config::kMaxMessageSize + config::kMaxIoSize) return CodecError::too_long;
    if (r.u16() != static_cast<std::uint16_t>(M::kType)) r.fail(CodecError::bad_type);
    Decoder d(r);
    d(m);
    return r.error();
}
}  // namespace detail

// Decodes a complete frame of type M; trailing bytes are an error. On failure `why` (if given)
// receives the codec's reason and the result carries EBADMSG or EMSGSIZE.
template <class M>
Result<M> decode(std::span<const std::byte> frame, CodecError* why = nullptr) {
    M m{};
    Reader r(frame);
    auto e = detail::decode_header(r, m, frame.size());
    if (e == CodecError::none && r.remaining() != 0) e = CodecError::trailing;
    if (why != nullptr) *why = e;
    if (e != CodecError::none) return Errno{to_errno(e)};
    return m;
}

template <class M>
struct WithPayload {
    M header;
    std::span<const std::byte> payload;  // a view into the decoded frame
};

// For WriteReq / ReadResp: header followed by exactly header.length payload bytes.
template <class M>
Result<WithPayload<M>> decode_with_payload(std::span<const std::byte> frame,
                                           CodecError* why = nullptr) {
    M m{};
    Reader r(frame);
    auto e = detail::decode_header(r, m, frame.size());
    if (e == CodecError::none && r.remaining() < m.length) e = CodecError::truncated;
    if (e == CodecError::none && r.remaining() > m.length) e = CodecError::trailing;
    if (why != nullptr) *why = e;
    if (e != CodecError::none) return Errno{to_errno(e)};
    return WithPayload<M>{m, r.rest()};
}

// Header + payload in one buffer; header.length must equal payload.size() (else EINVAL).
template <class M>
Result<std::vector<std::byte>> encode_with_payload(const M& header,
                                                   std::span<const std::byte> payload) {
    if (header.length != payload.size()) return Errno{EINVAL};
    if (payload.size() > config::kMaxIoSize) return Errno{EMSGSIZE};
    std::vector<std::byte> out;
    out.reserve(64 + payload.size());
    encode_into(header, out);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

}  // namespace pfs::proto
