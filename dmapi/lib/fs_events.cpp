// Event lists (dm_set_eventlist, dm_get_eventlist) and managed regions (dm_set_region,
// dm_get_region). Both are cached by every rank that generates events; a change returns only
// after every caching rank dropped its copy (docs/dmapi-events.md "Invalidation").
#include <cstring>
#include <vector>

#include "dmapi.h"
#include "dmapi_pfs.h"
#include "fs_runtime.hpp"
#include "internal.hpp"
#include "pfs/common/config.hpp"

namespace {

using namespace pfs::dmapi;
using pfs::client::DmChange;

constexpr unsigned kRegionFlags = DM_REGION_READ | DM_REGION_WRITE | DM_REGION_TRUNCATE;

}  // namespace

extern "C" {

// maxevent bounds the events looked at: bits >= maxevent are ignored (XDSM), more than
// DM_EVENT_MAX is EINVAL. A file-system handle sets the file system's list, a file handle the
// object's (a directory's list enables the namespace events of its entries).
int dm_set_eventlist(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token,
                     dm_eventset_t* eventsetp, unsigned int maxevent) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile | kFs, &t)) return fail(e);
    if (eventsetp == nullptr) return fail(EFAULT);
    if (maxevent > DM_EVENT_MAX) return fail(EINVAL);
    DmChange c;
    c.op = DmChange::Op::set_event_set;
    c.event_set =
        *eventsetp & (maxevent >= 64 ? ~dm_eventset_t{0} : (dm_eventset_t{1} << maxevent) - 1);
    auto r = t.client->dm_update(t.handle, c);
    if (!r) return fail(r.error());
    return 0;
}

// *nelemp: one more than the highest event in the list; E2BIG when that exceeds nelem.
int dm_get_eventlist(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int nelem,
                     dm_eventset_t* eventsetp, unsigned int* nelemp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile | kFs, &t)) return fail(e);
    if (eventsetp == nullptr || nelemp == nullptr) return fail(EFAULT);
    auto st = t.client->dm_get(t.handle);
    if (!st) return fail(st.error());
    const dm_eventset_t set = t.is_fs ? st->fs_event_set : st->dm.event_set;
    unsigned need = 0;
    for (unsigned b = 0; b < 64; ++b)
        if ((set >> b) & 1u) need = b + 1;
    *nelemp = need;
    if (nelem < need) return fail(E2BIG);
    *eventsetp = set;
    return 0;
}

// Replaces all regions of a regular file. *exactflagp = DM_TRUE: regions are kept byte-exact.
int dm_set_region(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int nelem,
                  dm_region_t* regbufp, dm_boolean_t* exactflagp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (exactflagp == nullptr || (nelem > 0 && regbufp == nullptr)) return fail(EFAULT);
    if (nelem > pfs::config::kDmMaxRegions) return fail(E2BIG);
    DmChange c;
    c.op = DmChange::Op::set_regions;
    for (unsigned i = 0; i < nelem; ++i) {
        const auto& g = regbufp[i];
        if (g.rg_offset < 0 || (g.rg_flags & ~kRegionFlags) != 0) return fail(EINVAL);
        c.regions.push_back(
            pfs::ManagedRegion{static_cast<std::uint64_t>(g.rg_offset), g.rg_size, g.rg_flags});
    }
    auto st = t.client->dm_get(t.handle);  // XDSM: regions are for regular files only
    if (!st) return fail(st.error());
    if (st->attr.type != pfs::FileType::file) return fail(EINVAL);
    auto r = t.client->dm_update(t.handle, c);
    if (!r) return fail(r.error());
    *exactflagp = DM_TRUE;
    return 0;
}

int dm_get_region(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int nelem,
                  dm_region_t* regbufp, unsigned int* nelemp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (nelemp == nullptr || (nelem > 0 && regbufp == nullptr)) return fail(EFAULT);
    auto st = t.client->dm_get(t.handle);
    if (!st) return fail(st.error());
    const auto& rs = st->dm.regions;
    *nelemp = static_cast<unsigned>(rs.size());
    if (nelem < rs.size()) return fail(E2BIG);
    for (std::size_t i = 0; i < rs.size(); ++i) {
        dm_region_t g{};
        g.rg_offset = static_cast<dm_off_t>(rs[i].offset);
        g.rg_size = rs[i].size;
        g.rg_flags = rs[i].flags;
        regbufp[i] = g;
    }
    return 0;
}

}  // extern "C"
