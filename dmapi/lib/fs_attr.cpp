// dm_get_fileattr / dm_set_fileattr: an object's stat data and DM times by handle. DM calls
// raise no events (XDSM): dm_set_fileattr changes the inode without attribute/truncate events.
#include <sys/stat.h>

#include <cstring>

#include "dmapi.h"
#include "fs_runtime.hpp"
#include "internal.hpp"

namespace {

using namespace pfs::dmapi;

constexpr std::int64_t kNs = 1000000000;

std::uint32_t type_bits(pfs::FileType t) {
    switch (t) {
        case pfs::FileType::dir:
            return S_IFDIR;
        case pfs::FileType::symlink:
            return S_IFLNK;
        default:
            return S_IFREG;
    }
}

constexpr unsigned kSettable =
    DM_AT_MODE | DM_AT_UID | DM_AT_GID | DM_AT_ATIME | DM_AT_MTIME | DM_AT_DTIME | DM_AT_SIZE;

}  // namespace

namespace pfs::dmapi {

void fill_stat(const pfs::Attr& a, const pfs::DmSlots& dm, std::uint64_t fsid, dm_stat_t* out) {
    dm_stat_t s;
    std::memset(&s, 0, sizeof s);
    s.dt_emask = dm.event_set;
    s.dt_nevents = DM_EVENT_MAX;
    s.dt_pers = dm.attrs.empty() ? 0 : 1;
    s.dt_pmanreg = dm.regions.empty() ? 0 : 1;
    s.dt_dtime = static_cast<time_t>(dm.dtime_ns / kNs);
    s.dt_change = static_cast<unsigned>(a.change);
    s.dt_dev = static_cast<dm_dev_t>(fsid);
    s.dt_ino = a.ino;
    s.dt_mode = static_cast<dm_mode_t>(type_bits(a.type) | a.mode);
    s.dt_nlink = a.nlink;
    s.dt_uid = a.uid;
    s.dt_gid = a.gid;
    s.dt_size = static_cast<dm_off_t>(a.size);
    s.dt_atime = static_cast<time_t>(a.atime_ns / kNs);
    s.dt_mtime = static_cast<time_t>(a.mtime_ns / kNs);
    s.dt_ctime = static_cast<time_t>(a.ctime_ns / kNs);
    s.dt_blksize = static_cast<unsigned>(a.layout.stripe_size ? a.layout.stripe_size : 4096);
    s.dt_blocks = (a.size + 511) / 512;
    s.fsys_dep.sgi_xfs.igen = a.gen;
    *out = s;
}

}  // namespace pfs::dmapi

extern "C" {

// Fills every standard field (SGI's behaviour; the mask does not restrict what is returned).
// dt_handle and dt_compname are not set (no room in a lone dm_stat_t; SGI leaves them too).
int dm_get_fileattr(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int mask,
                    dm_stat_t* statp) {
    (void)mask;
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (statp == nullptr) return fail(EFAULT);
    auto st = t.client->dm_get(t.handle);
    if (!st) return fail(st.error());
    fill_stat(st->attr, st->dm, t.handle.fsid, statp);
    return 0;
}

// Settable: DM_AT_MODE, UID, GID, ATIME, MTIME, SIZE (truncate or extend; objects cut first),
// DTIME (the DM time stamp). DM_AT_CTIME is accepted and ignored (ctime follows the change).
// Any other bit: EINVAL.
int dm_set_fileattr(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int mask,
                    dm_fileattr_t* attrp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (attrp == nullptr) return fail(EFAULT);
    if ((mask & ~(kSettable | DM_AT_CTIME)) != 0) return fail(EINVAL);
    pfs::SetAttr c;
    if (mask & DM_AT_MODE) c.mode = static_cast<std::uint32_t>(attrp->fa_mode) & 07777;
    if (mask & DM_AT_UID) c.uid = attrp->fa_uid;
    if (mask & DM_AT_GID) c.gid = attrp->fa_gid;
    if (mask & DM_AT_ATIME) c.atime_ns = static_cast<std::int64_t>(attrp->fa_atime) * kNs;
    if (mask & DM_AT_MTIME) c.mtime_ns = static_cast<std::int64_t>(attrp->fa_mtime) * kNs;
    if (mask & DM_AT_SIZE) {
        if (attrp->fa_size < 0) return fail(EINVAL);
        c.size = static_cast<std::uint64_t>(attrp->fa_size);
    }
    auto r = t.client->setattr_handle(t.handle, c);
    if (!r) return fail(r.error());
    if (mask & DM_AT_DTIME) {
        pfs::client::DmChange d;
        d.op = pfs::client::DmChange::Op::set_dtime;
        d.time_ns = static_cast<std::int64_t>(attrp->fa_dtime) * kNs;
        auto u = t.client->dm_update(t.handle, d);
        if (!u) return fail(u.error());
    }
    return 0;
}

}  // extern "C"
