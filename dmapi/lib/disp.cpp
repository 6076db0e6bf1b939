// Dispositions: dm_set_disp and dm_getall_disp.
//
// The core keeps one replicated disposition set per session (SessionRecord::disp) and routes an
// event to the session whose set has its type. A job has one file system, so that set holds
// both parts XDSM distinguishes:
//   - the global handle's part: DM_EVENT_MOUNT only (SGI: any other event, or a token other than
//     DM_NO_TOKEN, is EINVAL); several sessions may want mount events;
//   - the file-system handle's part: the events of kFsDispEvents (others: EINVAL), token
//     DM_NO_TOKEN (GPFS; else EINVAL); the handle must name the job's file system (EBADF: a job
//     without one, plain jobs, has no file system to dispose of). As in SGI, one session per
//     event: the events given are taken away from every other session.
// A file handle is EINVAL (SGI wants a file-system handle), a malformed handle EINVAL, a null
// handle with a length EFAULT. Each call is one update at the session manager (the session's
// part replaced and, for file-system events, taken from the others), so concurrent calls from
// different ranks never lose one another's changes.
#include <cstdint>
#include <cstring>

#include "dmapi.h"
#include "dmapi/core/node.hpp"
#include "internal.hpp"

using pfs::dmapi::c_result;
using pfs::dmapi::fail;
using pfs::dmapi::HandleKind;
using pfs::dmapi::kFsDispEvents;
using pfs::dmapi::kMountEvent;
using pfs::dmapi::require_core;

namespace {

// One dm_dispinfo_t and the 8-byte file-system handle after it.
constexpr std::size_t kDispRecordSize = (sizeof(dm_dispinfo_t) + sizeof(dm_fsid_t) + 7) & ~7u;

}  // namespace

extern "C" {

int dm_set_disp(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token,
                dm_eventset_t* eventsetp, unsigned int maxevent) {
    if (require_core()) return -1;
    if (eventsetp == nullptr) return fail(EFAULT);
    if (maxevent == 0 || maxevent > DM_EVENT_MAX) return fail(EINVAL);
    pfs::dmapi::ParsedHandle h;
    if (int err = pfs::dmapi::parse_handle(hanp, hlen, &h)) return fail(err);
    if (h.kind == HandleKind::file) return fail(EINVAL);
    if (token != DM_NO_TOKEN) return fail(EINVAL);
    // Only the first maxevent events count (SGI).
    const dm_eventset_t events = *eventsetp & ((dm_eventset_t{1} << maxevent) - 1);
    const bool global = h.kind == HandleKind::global;
    if (global ? (events & ~kMountEvent) != 0 : (events & ~kFsDispEvents) != 0) return fail(EINVAL);
    auto& node = dmapi::core::Node::get();
    if (!node.session(sid)) return fail(EINVAL);
    if (!global && (pfs::dmapi::job_fsid() == 0 || h.fsid != pfs::dmapi::job_fsid()))
        return fail(EBADF);
    if (!global && !pfs::dmapi::job_dmapi_enabled()) return fail(EPERM);
    const dm_eventset_t part = global ? kMountEvent : kFsDispEvents;
    // The file-system events are taken from every other session in the same table update.
    return c_result(node.set_disp_part(sid, part, events, !global));
}

// One dm_dispinfo_t per file system on which the session has dispositions: at most one (the
// job's), with the file-system handle and the events of kFsDispEvents the session holds there;
// the mount disposition (global handle) is not listed (SGI). No record: 0 with *rlenp = 0.
// E2BIG with the needed size; bufp NULL or not 8-byte aligned: EFAULT. Any rank.
int dm_getall_disp(dm_sessid_t sid, size_t buflen, void* bufp, size_t* rlenp) {
    if (require_core()) return -1;
    if (rlenp == nullptr) return fail(EFAULT);
    const auto rec = dmapi::core::Node::get().session(sid);
    if (!rec) return fail(EINVAL);
    const dm_fsid_t fsid = pfs::dmapi::job_fsid();
    const dm_eventset_t events = rec->disp & kFsDispEvents;
    if (fsid == 0 || events == 0) {
        *rlenp = 0;
        return 0;
    }
    *rlenp = kDispRecordSize;
    if (buflen < kDispRecordSize) return fail(E2BIG);
    if (bufp == nullptr || reinterpret_cast<std::uintptr_t>(bufp) % 8 != 0) return fail(EFAULT);
    dm_dispinfo_t d;
    std::memset(&d, 0, sizeof d);
    d._link = 0;
    d.di_fshandle.vd_offset = static_cast<int>(sizeof(dm_dispinfo_t));
    d.di_fshandle.vd_length = sizeof(dm_fsid_t);
    d.di_eventset = events;
    auto* p = static_cast<unsigned char*>(bufp);
    std::memset(p, 0, kDispRecordSize);
    std::memcpy(p, &d, sizeof d);
    std::memcpy(p + sizeof d, &fsid, sizeof fsid);
    return 0;
}

}  // extern "C"
