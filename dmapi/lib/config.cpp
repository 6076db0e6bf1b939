// dm_get_config and dm_get_config_events: what this DMAPI implementation supports.
//
// The values describe the implementation pfs-dmapi is being built to be (GPFS's published table,
// reference/dmapi.md section 3.4, adjusted to DESIGN.md section 5), NOT only what works today:
// each entry says whether the feature behind it is implemented yet. docs/dmapi.md has the table.
// Like GPFS, the answer does not depend on the handle, but the handle must be well formed
// (global, file-system or file handle); whether it names an existing object cannot be checked
// until the file-system layer is wired in (then: EBADF).
#include <array>

#include "dmapi.h"
#include "dmapi_pfs.h"
#include "internal.hpp"

namespace {

using pfs::dmapi::fail;

constexpr dm_size_t kTrue = DM_TRUE;
constexpr dm_size_t kFalse = DM_FALSE;

// Indexed by dm_config_t; [DM_CONFIG_INVALID] is never returned.
constexpr std::array<dm_size_t, DM_CONFIG_WILL_RETRY + 1> kConfig = [] {
    std::array<dm_size_t, DM_CONFIG_WILL_RETRY + 1> c{};
    // implemented: dm_get_bulkall (lib/fs_scan.cpp). GPFS: 1.
    c[DM_CONFIG_BULKALL] = kTrue;
    // true today and planned: dm_create/mkdir/symlink_by_handle stay ENOSYS. GPFS: 0.
    c[DM_CONFIG_CREATE_BY_HANDLE] = kFalse;
    // not implemented yet: dt_dtime will be overloaded on ctime, as in GPFS. GPFS: 1.
    c[DM_CONFIG_DTIME_OVERLOAD] = kTrue;
    // GPFS and SGI both report 1; what it promises is unverified against the C429 text.
    c[DM_CONFIG_LEGACY] = kTrue;
    // implemented: rights are real per-file locks (DESIGN 5, lib/rights.cpp) that can be upgraded.
    c[DM_CONFIG_LOCK_UPGRADE] = kTrue;
    // not implemented yet: no DM attributes yet. GPFS values.
    c[DM_CONFIG_MAX_ATTR_ON_DESTROY] = 1022;
    c[DM_CONFIG_MAX_ATTRIBUTE_SIZE] = 1022;
    // implemented: handles made by this library are at most one dm_handle_t.
    c[DM_CONFIG_MAX_HANDLE_SIZE] = DM_PFS_HANDLE_LEN;
    // not implemented yet: no managed regions yet. GPFS: 32.
    c[DM_CONFIG_MAX_MANAGED_REGIONS] = 32;
    // implemented: the payload limit dm_send_msg/dm_create_userevent enforce (E2BIG above it),
    // dmapi::core::kMaxMsgData, SGI's DM_MAX_MSG_DATA. GPFS: 4096.
    c[DM_CONFIG_MAX_MESSAGE_DATA] = 3960;
    // true today and planned: dm_obj_ref_* stay ENOSYS. GPFS: 0.
    c[DM_CONFIG_OBJ_REF] = kFalse;
    // implemented: dm_pending accepts an outstanding token (it has no further effect: no source
    // times out on a DM application). GPFS: 0, SGI: 1.
    c[DM_CONFIG_PENDING] = kTrue;
    // not implemented yet: DM attributes, event lists and managed regions will be inode metadata
    // (DESIGN 5). GPFS: 1, 1, 1.
    c[DM_CONFIG_PERS_ATTRIBUTES] = kTrue;
    c[DM_CONFIG_PERS_EVENTS] = kTrue;
    c[DM_CONFIG_PERS_MANAGED_REGIONS] = kTrue;
    // true today and planned: no inheritance (dm_set_inherit & co. stay ENOSYS). GPFS: 0.
    c[DM_CONFIG_PERS_INHERIT_ATTRIBS] = kFalse;
    // not implemented yet: dm_punch_hole is ENOSYS. GPFS: 1.
    c[DM_CONFIG_PUNCH_HOLE] = kTrue;
    // not implemented yet: per-file DM attribute space. GPFS: 7168.
    c[DM_CONFIG_TOTAL_ATTRIBUTE_SPACE] = 7168;
    // true today and planned: an aborted event's operation is not retried. GPFS: 0.
    c[DM_CONFIG_WILL_RETRY] = kFalse;
    return c;
}();

}  // namespace

extern "C" {

int dm_get_config(void* hanp, size_t hlen, dm_config_t flagname, dm_size_t* retvalp) {
    if (!pfs::dmapi::require_service()) return -1;
    if (retvalp == nullptr) return fail(EFAULT);
    pfs::dmapi::ParsedHandle h;
    if (int err = pfs::dmapi::parse_handle(hanp, hlen, &h)) return fail(err);
    const int flag = static_cast<int>(flagname);
    if (flag <= DM_CONFIG_INVALID || flag > DM_CONFIG_WILL_RETRY) return fail(EINVAL);
    *retvalp = kConfig[static_cast<std::size_t>(flag)];
    return 0;
}

// The events this build generates (kGeneratedEvents: the PFS's file-system events and user
// events). As SGI/XFS: nelem 0 is EINVAL; the set is truncated to the first
// min(nelem, DM_EVENT_MAX) events and *nelemp says how many were considered.
int dm_get_config_events(void* hanp, size_t hlen, unsigned int nelem, dm_eventset_t* eventsetp,
                         unsigned int* nelemp) {
    if (!pfs::dmapi::require_service()) return -1;
    if (eventsetp == nullptr || nelemp == nullptr) return fail(EFAULT);
    pfs::dmapi::ParsedHandle h;
    if (int err = pfs::dmapi::parse_handle(hanp, hlen, &h)) return fail(err);
    if (nelem == 0) return fail(EINVAL);
    const unsigned int n = nelem < DM_EVENT_MAX ? nelem : static_cast<unsigned int>(DM_EVENT_MAX);
    *eventsetp = pfs::dmapi::kGeneratedEvents & ((dm_eventset_t{1} << n) - 1);
    *nelemp = n;
    return 0;
}

}  // extern "C"
