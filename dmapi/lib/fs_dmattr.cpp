// DM attributes (dm_set_dmattr, dm_get_dmattr, dm_remove_dmattr, dm_getall_dmattr) and the file
// system's return-on-destroy attribute (dm_set_return_on_destroy). Persistent in the inode's DM
// slots on the metadata server (sizes: pfs::config::kDmAttrMax*; beyond them E2BIG).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "dmapi.h"
#include "fs_runtime.hpp"
#include "internal.hpp"
#include "pfs/common/config.hpp"

namespace pfs::dmapi {

// The 8-byte XDSM name without its NUL padding; EINVAL when empty.
int attr_name(const dm_attrname_t* n, std::string* out) noexcept {
    if (n == nullptr) return EFAULT;
    const auto* c = reinterpret_cast<const char*>(n->an_chars);
    std::size_t len = DM_ATTR_NAME_SIZE;
    while (len > 0 && c[len - 1] == '\0') --len;
    if (len == 0) return EINVAL;
    out->assign(c, len);
    return 0;
}

}  // namespace pfs::dmapi

namespace {

using namespace pfs::dmapi;
using pfs::client::DmChange;

int update(const Target& t, const DmChange& c) noexcept {
    auto r = t.client->dm_update(t.handle, c);
    return r ? 0 : r.error();
}

}  // namespace

extern "C" {

int dm_set_dmattr(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token,
                  dm_attrname_t* attrnamep, int setdtime, size_t buflen, void* bufp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    DmChange c;
    c.op = DmChange::Op::set_attr;
    if (int e = attr_name(attrnamep, &c.name)) return fail(e);
    if (buflen > 0 && bufp == nullptr) return fail(EFAULT);
    if (buflen > pfs::config::kDmAttrMaxValue) return fail(E2BIG);
    c.value.assign(static_cast<const char*>(bufp), buflen);
    c.setdtime = setdtime != 0;
    if (int e = update(t, c)) return fail(e);
    return 0;
}

int dm_get_dmattr(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token,
                  dm_attrname_t* attrnamep, size_t buflen, void* bufp, size_t* rlenp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    std::string name;
    if (int e = attr_name(attrnamep, &name)) return fail(e);
    if (rlenp == nullptr || (buflen > 0 && bufp == nullptr)) return fail(EFAULT);
    auto st = t.client->dm_get(t.handle);
    if (!st) return fail(st.error());
    auto it = st->dm.attrs.find(name);
    if (it == st->dm.attrs.end()) return fail(ENOENT);
    *rlenp = it->second.size();
    if (buflen < it->second.size()) return fail(E2BIG);
    if (!it->second.empty()) std::memcpy(bufp, it->second.data(), it->second.size());
    return 0;
}

int dm_remove_dmattr(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, int setdtime,
                     dm_attrname_t* attrnamep) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    DmChange c;
    c.op = DmChange::Op::remove_attr;
    if (int e = attr_name(attrnamep, &c.name)) return fail(e);
    c.setdtime = setdtime != 0;
    if (int e = update(t, c)) return fail(e);
    return 0;
}

// A chain of dm_attrlist_t, each followed by its value, every entry 8-byte aligned; _link is
// the offset of the next entry from this one (0 on the last).
int dm_getall_dmattr(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, size_t buflen,
                     void* bufp, size_t* rlenp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (rlenp == nullptr || (buflen > 0 && bufp == nullptr)) return fail(EFAULT);
    auto st = t.client->dm_get(t.handle);
    if (!st) return fail(st.error());
    auto entry_size = [](std::size_t value) {
        return (sizeof(dm_attrlist_t) + value + 7) & ~std::size_t{7};
    };
    std::size_t need = 0;
    for (const auto& [k, v] : st->dm.attrs) need += entry_size(v.size());
    *rlenp = need;
    if (buflen < need) return fail(E2BIG);
    if (need > 0 && reinterpret_cast<std::uintptr_t>(bufp) % 8 != 0) return fail(EFAULT);
    auto* out = static_cast<char*>(bufp);
    std::size_t at = 0, i = 0;
    for (const auto& [k, v] : st->dm.attrs) {
        dm_attrlist_t e{};
        const std::size_t sz = entry_size(v.size());
        e._link = ++i == st->dm.attrs.size() ? 0 : static_cast<int>(sz);
        std::memcpy(e.al_name.an_chars, k.data(), std::min(k.size(), sizeof e.al_name.an_chars));
        e.al_data.vd_offset = static_cast<int>(sizeof(dm_attrlist_t));
        e.al_data.vd_length = static_cast<unsigned>(v.size());
        std::memset(out + at, 0, sz);
        std::memcpy(out + at, &e, sizeof e);
        if (!v.empty()) std::memcpy(out + at + sizeof e, v.data(), v.size());
        at += sz;
    }
    return 0;
}

int dm_set_return_on_destroy(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token,
                             dm_attrname_t* attrnamep, dm_boolean_t enable) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFs, &t)) return fail(e);
    DmChange c;
    c.op = DmChange::Op::set_rod_name;
    if (enable) {
        if (int e = attr_name(attrnamep, &c.name)) return fail(e);
    }
    if (int e = update(t, c)) return fail(e);
    return 0;
}

}  // extern "C"
