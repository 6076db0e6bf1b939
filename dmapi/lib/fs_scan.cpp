// Scanning the file system from a DM application: dm_init_attrloc, dm_get_dirattrs (a
// directory's entries with their attributes, resumable), dm_get_bulkattr / dm_get_bulkall (every
// inode of the file system in inode order, resumable: what an HSM's policy scan uses), and
// dm_get_mountinfo (the mount event's data, e.g. for an application that started after it).
#include <cstddef>
#include <cstring>
#include <vector>

#include "dmapi.h"
#include "dmapi/events/events.hpp"
#include "fs_runtime.hpp"
#include "internal.hpp"
#include "pfs/common/config.hpp"

namespace {

using namespace pfs::dmapi;

std::size_t align8(std::size_t n) {
    return (n + 7) & ~std::size_t{7};
}

// One dm_stat_t record of dm_get_dirattrs: the struct, then the entry's handle and its name
// (NUL-terminated, counted in the length), each 8-byte aligned; vardata offsets are relative to
// the record, _link is the distance to the next record (0 on the last).
std::size_t record_size(const std::string& name) {
    return align8(sizeof(dm_stat_t)) + align8(sizeof(dm_handle_t)) + align8(name.size() + 1);
}

void put_record(char* at, const pfs::Attr& a, const pfs::DmSlots& dm, std::uint64_t fsid,
                const std::string& name) {
    dm_stat_t s;
    fill_stat(a, dm, fsid, &s);
    const std::size_t h_at = align8(sizeof(dm_stat_t));
    const std::size_t n_at = h_at + align8(sizeof(dm_handle_t));
    dm_handle_t h{};
    h.ha_fsid = fsid;
    h.ha_fid.dm_fid_len = DM_PFS_FID_LEN;
    h.ha_fid.dm_fid_gen = a.gen;
    h.ha_fid.dm_fid_ino = a.ino;
    s.dt_handle = dm_vardata_t{static_cast<int>(h_at), static_cast<unsigned>(sizeof h)};
    s.dt_compname = dm_vardata_t{static_cast<int>(n_at), static_cast<unsigned>(name.size() + 1)};
    s._link = 0;
    std::memset(at, 0, record_size(name));
    std::memcpy(at, &s, sizeof s);
    std::memcpy(at + h_at, &h, sizeof h);
    std::memcpy(at + n_at, name.c_str(), name.size() + 1);
}

// dm_get_bulkattr (attr == nullptr: dm_stat_t records) and dm_get_bulkall (dm_xstat_t records
// with the value of DM attribute *attr, empty when the file has none). Each record: the struct,
// the file's handle, [the attribute value], 8-byte aligned; offsets relative to the record.
int bulk(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, const std::string* attr,
         dm_attrloc_t* locp, size_t buflen, void* bufp, size_t* rlenp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFs, &t)) return e;
    if (locp == nullptr || rlenp == nullptr) return EFAULT;
    if (*locp < 0) return EINVAL;
    if (t.handle.fsid != t.client->fs_info().fsid) return EBADF;
    if (buflen > 0 && (bufp == nullptr || reinterpret_cast<std::uintptr_t>(bufp) % 8 != 0))
        return EFAULT;
    const std::size_t head = align8(attr ? sizeof(dm_xstat_t) : sizeof(dm_stat_t));
    auto* out = static_cast<char*>(bufp);
    std::size_t used = 0;
    char* last = nullptr;
    auto from = static_cast<pfs::Ino>(*locp);
    for (;;) {
        auto page = t.client->scan_inodes(from, pfs::config::kReaddirPageEntries);
        if (!page) return page.error();
        for (const auto& a : page->attrs) {
            auto st = t.client->dm_get(t.client->handle_of(a));
            if (!st) continue;  // freed meanwhile
            const std::string* value = nullptr;
            if (attr != nullptr)
                if (auto it = st->dm.attrs.find(*attr); it != st->dm.attrs.end())
                    value = &it->second;
            const std::size_t need =
                head + align8(sizeof(dm_handle_t)) + (value ? align8(value->size()) : 0);
            if (used + need > buflen) {
                if (used == 0) {
                    *rlenp = need;
                    return E2BIG;
                }
                *locp = static_cast<dm_attrloc_t>(a.ino);  // resume at this inode
                *rlenp = used;
                return -1;  // more remain
            }
            char* rec = out + used;
            std::memset(rec, 0, need);
            dm_stat_t s;
            fill_stat(st->attr, st->dm, t.handle.fsid, &s);
            dm_handle_t h{};
            h.ha_fsid = t.handle.fsid;
            h.ha_fid.dm_fid_len = DM_PFS_FID_LEN;
            h.ha_fid.dm_fid_gen = st->attr.gen;
            h.ha_fid.dm_fid_ino = st->attr.ino;
            s.dt_handle = dm_vardata_t{static_cast<int>(head), static_cast<unsigned>(sizeof h)};
            std::memcpy(rec + head, &h, sizeof h);
            std::memcpy(rec, &s, sizeof s);
            if (attr != nullptr) {
                dm_vardata_t v{0, 0};
                if (value != nullptr && !value->empty()) {
                    const std::size_t at = head + align8(sizeof h);
                    std::memcpy(rec + at, value->data(), value->size());
                    v = dm_vardata_t{static_cast<int>(at), static_cast<unsigned>(value->size())};
                }
                std::memcpy(rec + offsetof(dm_xstat_t, dx_attrdata), &v, sizeof v);
            }
            if (last != nullptr) reinterpret_cast<dm_stat_t*>(last)->_link = rec - last;
            last = rec;
            used += need;
        }
        from = page->next;
        if (page->eof) break;
    }
    *locp = static_cast<dm_attrloc_t>(from);
    *rlenp = used;
    return 0;
}

}  // namespace

extern "C" {

// Every inode of the file system from *locp on (dm_init_attrloc on its handle starts at the
// first), as a _link chain of dm_stat_t each followed by its dt_handle (no dt_compname: an inode
// has no single name). 0 after the last inode, 1 with *locp at the next one when the buffer is
// full, E2BIG with the next record's size when not even one fits. Inodes freed during the scan
// are skipped; ones created during it may or may not appear.
int dm_get_bulkattr(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int mask,
                    dm_attrloc_t* locp, size_t buflen, void* bufp, size_t* rlenp) {
    (void)mask;
    const int rc = bulk(sid, hanp, hlen, token, nullptr, locp, buflen, bufp, rlenp);
    return rc == -1 ? 1 : rc == 0 ? 0 : fail(rc);
}

// dm_get_bulkattr with dm_xstat_t records: dx_attrdata holds the value of the DM attribute
// *attrnamep (length 0 when the file has none).
int dm_get_bulkall(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int mask,
                   dm_attrname_t* attrnamep, dm_attrloc_t* locp, size_t buflen, void* bufp,
                   size_t* rlenp) {
    (void)mask;
    std::string name;
    if (int e = attr_name(attrnamep, &name)) return fail(e);
    const int rc = bulk(sid, hanp, hlen, token, &name, locp, buflen, bufp, rlenp);
    return rc == -1 ? 1 : rc == 0 ? 0 : fail(rc);
}

// A cursor at the start of a directory (file handle of a directory: dm_get_dirattrs) or of the
// file system (its handle: dm_get_bulkattr / dm_get_bulkall).
int dm_init_attrloc(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token,
                    dm_attrloc_t* locp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile | kFs, &t)) return fail(e);
    if (locp == nullptr) return fail(EFAULT);
    if (!t.is_fs) {
        auto st = t.client->dm_get(t.handle);
        if (!st) return fail(st.error());
        if (st->attr.type != pfs::FileType::dir) return fail(ENOTDIR);
    }
    *locp = 0;
    return 0;
}

// The directory's entries ("." and ".." excluded) from *locp on, as linked dm_stat_t records
// (DM_STEP_TO_NEXT) with dt_handle and dt_compname. Returns 0 when the last entry is in the
// buffer, 1 when more remain (*locp then continues after the last record returned); E2BIG
// with *rlenp = the size of the next record when not even that one fits. An entry removed
// while the scan runs is skipped. `mask` does not restrict the fields (SGI fills them all).
int dm_get_dirattrs(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int mask,
                    dm_attrloc_t* locp, size_t buflen, void* bufp, size_t* rlenp) {
    (void)mask;
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (locp == nullptr || rlenp == nullptr) return fail(EFAULT);
    if (*locp < 0) return fail(EINVAL);
    if (buflen > 0 && (bufp == nullptr || reinterpret_cast<std::uintptr_t>(bufp) % 8 != 0))
        return fail(EFAULT);
    auto* out = static_cast<char*>(bufp);
    std::size_t used = 0;
    char* last = nullptr;
    auto cookie = static_cast<std::uint64_t>(*locp);
    for (;;) {
        auto page = t.client->readdir_handle(t.handle, cookie, pfs::config::kReaddirPageEntries);
        if (!page) return fail(page.error() == ENOTDIR ? EINVAL : page.error());
        for (std::size_t i = 0; i < page->entries.size(); ++i) {
            const auto& e = page->entries[i];
            auto a = t.client->attr_by_ino(e.ino);
            if (!a) continue;  // removed meanwhile
            auto st = t.client->dm_get(t.client->handle_of(*a));
            if (!st) continue;
            const std::size_t need = record_size(e.name);
            if (used + need > buflen) {
                if (used == 0) {
                    *rlenp = need;
                    return fail(E2BIG);
                }
                // Resume at this entry: the cookie after the i entries returned from this page.
                std::uint64_t next = cookie;
                if (i > 0) {
                    auto part =
                        t.client->readdir_handle(t.handle, cookie, static_cast<std::uint32_t>(i));
                    if (!part) return fail(part.error());
                    next = part->next_cookie;
                }
                *locp = static_cast<dm_attrloc_t>(next);
                *rlenp = used;
                return 1;
            }
            put_record(out + used, st->attr, st->dm, t.handle.fsid, e.name);
            if (last != nullptr) reinterpret_cast<dm_stat_t*>(last)->_link = out + used - last;
            last = out + used;
            used += need;
        }
        cookie = page->next_cookie;
        if (page->eof) break;
    }
    *locp = static_cast<dm_attrloc_t>(cookie);
    *rlenp = used;
    return 0;
}

// The mount event's data (dm_mount_event_t and its variable data) for a file-system handle:
// me_handle1 the file system, me_handle2 and me_roothandle its root directory, me_name1 the
// mount point "/", me_name2 "pfs".
int dm_get_mountinfo(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, size_t buflen,
                     void* bufp, size_t* rlenp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFs, &t)) return fail(e);
    if (rlenp == nullptr) return fail(EFAULT);
    if (t.handle.fsid != t.client->fs_info().fsid) return fail(EBADF);
    auto root = t.client->attr_by_ino(pfs::config::kRootIno);
    if (!root) return fail(root.error());
    pfs::client::FsEvent ev;
    ev.type = DM_EVENT_MOUNT;
    ev.handle1 = pfs::Handle{t.handle.fsid, 0, 0};
    ev.handle2 = t.client->handle_of(*root);
    ev.name1 = "/";
    ev.name2 = "pfs";
    const auto data = dmapi::events::encode_payload(ev);
    *rlenp = data.size();
    if (buflen < data.size()) return fail(E2BIG);
    if (bufp == nullptr) return fail(EFAULT);
    std::memcpy(bufp, data.data(), data.size());
    return 0;
}

}  // extern "C"
