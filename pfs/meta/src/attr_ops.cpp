// Attribute and DMAPI-slot updates: read-modify-write of one inode record per transaction.
#include "store_impl.hpp"

namespace pfs::meta {

namespace {

// Applies `fn(Inode&)` to one inode in a write transaction and persists it.
template <class Fn>
Result<Inode> update(MetaStore::Impl& s, Ino ino, Fn&& fn) {
    return write_txn(s, [&](Ops& ops) -> Result<Inode> {
        auto in = ops.get(ino);
        if (!in) return in;
        PFS_TRY(fn(*in));
        PFS_TRY(ops.put(*in));
        return in;
    });
}

std::size_t dm_total(const DmSlots& dm) {
    std::size_t n = 0;
    for (const auto& [k, v] : dm.attrs) n += v.size();
    return n;
}

}  // namespace

Result<Attr> MetaStore::setattr(Ino ino, const SetAttr& c) {
    if (c.mode && (*c.mode & ~07777u) != 0) return Errno{EINVAL};
    if (c.size && *c.size > config::kMaxFileSize) return Errno{EFBIG};
    auto r = update(*impl_, ino, [&](Inode& in) -> Result<void> {
        const auto now = now_ns();
        if (c.size) {
            if (in.attr.type == FileType::dir) return Errno{EISDIR};
            if (in.attr.type != FileType::file) return Errno{EINVAL};
            in.attr.size = *c.size;
            in.attr.mtime_ns = now;  // truncate(2) always updates mtime, even to the same size
        }
        if (c.mode) in.attr.mode = *c.mode;
        if (c.uid) in.attr.uid = *c.uid;
        if (c.gid) in.attr.gid = *c.gid;
        if (c.atime_ns) in.attr.atime_ns = *c.atime_ns == SetAttr::kTimeNow ? now : *c.atime_ns;
        if (c.mtime_ns) in.attr.mtime_ns = *c.mtime_ns == SetAttr::kTimeNow ? now : *c.mtime_ns;
        touch(in, false, now);
        return {};
    });
    if (!r) return Errno{r.error()};
    return r->attr;
}

Result<Attr> MetaStore::extend_size(Ino ino, std::uint64_t end) {
    if (end > config::kMaxFileSize) return Errno{EFBIG};
    auto r = update(*impl_, ino, [&](Inode& in) -> Result<void> {
        if (in.attr.type == FileType::dir) return Errno{EISDIR};
        if (in.attr.type != FileType::file) return Errno{EINVAL};
        if (end > in.attr.size) in.attr.size = end;
        touch(in, true, now_ns());
        return {};
    });
    if (!r) return Errno{r.error()};
    return r->attr;
}

// DM slot changes bump the change counter (XDSM dt_change) but not ctime: XDSM keeps DM
// metadata changes invisible to ordinary stat(2) users; dtime is their own timestamp.

Result<void> MetaStore::set_dm_attr(Ino ino, std::string_view name, std::string_view value,
                                    bool set_dtime) {
    auto n = canonical_dm_name(name);
    if (!n) return Errno{n.error()};
    if (value.size() > config::kDmAttrMaxValue) return Errno{E2BIG};
    auto r = update(*impl_, ino, [&](Inode& in) -> Result<void> {
        auto& attrs = in.dm.attrs;
        auto it = attrs.find(*n);
        const std::size_t old = it == attrs.end() ? 0 : it->second.size();
        if (dm_total(in.dm) - old + value.size() > config::kDmAttrMaxTotal) return Errno{E2BIG};
        if (it == attrs.end() && attrs.size() >= config::kDmAttrMaxCount) return Errno{E2BIG};
        attrs[*n] = std::string(value);
        if (set_dtime) in.dm.dtime_ns = now_ns();
        ++in.attr.change;
        return {};
    });
    if (!r) return Errno{r.error()};
    return {};
}

Result<void> MetaStore::remove_dm_attr(Ino ino, std::string_view name, bool set_dtime) {
    auto n = canonical_dm_name(name);
    if (!n) return Errno{n.error()};
    auto r = update(*impl_, ino, [&](Inode& in) -> Result<void> {
        if (in.dm.attrs.erase(*n) == 0) return Errno{ENOENT};
        if (set_dtime) in.dm.dtime_ns = now_ns();
        ++in.attr.change;
        return {};
    });
    if (!r) return Errno{r.error()};
    return {};
}

Result<void> MetaStore::set_event_set(Ino ino, std::uint64_t events) {
    auto r = update(*impl_, ino, [&](Inode& in) -> Result<void> {
        in.dm.event_set = events;
        ++in.attr.change;
        return {};
    });
    if (!r) return Errno{r.error()};
    return {};
}

Result<void> MetaStore::set_regions(Ino ino, const std::vector<ManagedRegion>& regions) {
    if (regions.size() > config::kDmMaxRegions) return Errno{E2BIG};
    for (const auto& g : regions)
        if (g.offset > config::kMaxFileSize || g.size > config::kMaxFileSize - g.offset)
            return Errno{EINVAL};
    auto r = update(*impl_, ino, [&](Inode& in) -> Result<void> {
        in.dm.regions = regions;
        ++in.attr.change;
        return {};
    });
    if (!r) return Errno{r.error()};
    return {};
}

Result<void> MetaStore::set_dtime(Ino ino, std::int64_t dtime_ns) {
    auto r = update(*impl_, ino, [&](Inode& in) -> Result<void> {
        in.dm.dtime_ns = dtime_ns;
        ++in.attr.change;
        return {};
    });
    if (!r) return Errno{r.error()};
    return {};
}

}  // namespace pfs::meta
