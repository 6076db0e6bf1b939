// The file system's own DMAPI state: its event list and the return-on-destroy attribute name,
// two keys of the sys table (absent = never set: all events, no return-on-destroy).
#include <algorithm>
#include <cstring>

#include "store_impl.hpp"

namespace pfs::meta {

namespace {

constexpr std::string_view kFsEventsKey = "dm_fs_events";
constexpr std::string_view kRodNameKey = "dm_rod_name";  // the 1..8 name bytes in a u64

std::uint64_t pack_name(std::string_view n) {
    std::uint64_t v = 0;
    std::memcpy(&v, n.data(), std::min<std::size_t>(n.size(), sizeof v));
    return v;
}

std::string unpack_name(std::uint64_t v) {
    char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    return std::string(b, ::strnlen(b, sizeof b));
}

}  // namespace

Result<FsDmState> MetaStore::get_fs_dm() const {
    return read_txn(*impl_, [&](Ops& ops) -> Result<FsDmState> {
        FsDmState st;
        st.event_set = kDefaultFsEventSet;
        if (auto ev = ops.sys_u64(kFsEventsKey))
            st.event_set = *ev;
        else if (ev.error() != ENODATA)
            return Errno{ev.error()};
        if (auto n = ops.sys_u64(kRodNameKey))
            st.rod_name = unpack_name(*n);
        else if (n.error() != ENODATA)
            return Errno{n.error()};
        return st;
    });
}

Result<void> MetaStore::set_fs_event_set(std::uint64_t events) {
    return write_txn(
        *impl_, [&](Ops& ops) -> Result<void> { return ops.put_sys_u64(kFsEventsKey, events); });
}

Result<void> MetaStore::set_rod_name(std::string_view name) {
    std::string canon;
    if (!name.empty()) {
        auto n = canonical_dm_name(name);
        if (!n) return Errno{n.error()};
        canon = std::move(*n);
    }
    return write_txn(*impl_, [&](Ops& ops) -> Result<void> {
        return ops.put_sys_u64(kRodNameKey, pack_name(canon));
    });
}

}  // namespace pfs::meta
