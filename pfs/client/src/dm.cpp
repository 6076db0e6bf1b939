// The DM application's side of the client: DMAPI state by handle (DmStateReq / DmUpdateReq to
// the metadata server) and invisible I/O. Handles are {fsid, ino, gen}; any mismatch is EBADF.
#include <fcntl.h>

#include <algorithm>

#include "internal.hpp"

namespace pfs::client {

using namespace pfs::proto;

Result<Attr> Client::attr_by_handle(const Handle& h) {
    if (h.fsid != info_.fsid || h.ino == 0) return Errno{EBADF};
    auto r = impl_->rpc<AttrResp>(meta_rank_, StatReq{h.ino});
    if (r.err == ENOENT) return Errno{EBADF};
    if (r.err != 0) return Errno{r.err};
    if (r.attr.gen != h.gen) return Errno{EBADF};
    return r.attr;
}

Result<Client::InodePage> Client::scan_inodes(Ino from, std::uint32_t max_entries) {
    if (max_entries == 0 || max_entries > config::kReaddirMaxEntries) return Errno{EINVAL};
    auto r = impl_->rpc<ScanInodesResp>(meta_rank_, ScanInodesReq{from, max_entries});
    if (r.err != 0) return Errno{r.err};
    return InodePage{std::move(r.attrs), r.next, r.eof};
}

Result<std::string> Client::path_in_dir(const Handle& dir, const Handle& target) {
    auto d = attr_by_handle(dir);
    if (!d) return Errno{d.error()};
    if (d->type != FileType::dir) return Errno{ENOTDIR};
    auto t = attr_by_handle(target);
    if (!t) return Errno{t.error()};
    // The name under which `child` is an entry of directory `parent` (ENOENT: none).
    auto name_in = [&](Ino parent, Ino child) -> Result<std::string> {
        std::uint64_t cookie = 0;
        for (;;) {
            auto r = impl_->rpc<ReaddirResp>(
                meta_rank_, ReaddirReq{parent, cookie, config::kReaddirPageEntries});
            if (r.err != 0) return Errno{r.err == ENOENT ? EBADF : r.err};
            for (auto& e : r.entries)
                if (e.ino == child) return std::move(e.name);
            if (r.eof) return Errno{ENOENT};
            if (r.next_cookie <= cookie) return Errno{EIO};  // a server must make progress
            cookie = r.next_cookie;
        }
    };
    auto leaf = name_in(dir.ino, target.ino);
    if (!leaf) return Errno{leaf.error()};
    std::string path = "/" + *leaf;
    Ino cur = dir.ino;
    for (int depth = 0; cur != config::kRootIno; ++depth) {
        if (depth == kMaxPathDepth) return Errno{ELOOP};
        auto up = impl_->rpc<AttrResp>(meta_rank_, LookupReq{cur, ".."});
        if (up.err != 0) return Errno{up.err == ENOENT ? EBADF : up.err};
        auto n = name_in(up.attr.ino, cur);
        if (!n) return Errno{n.error() == ENOENT ? EAGAIN : n.error()};  // renamed meanwhile
        path = "/" + *n + path;
        cur = up.attr.ino;
    }
    return path;
}

Result<Attr> Client::attr_by_ino(Ino ino) {
    if (ino == 0) return Errno{EBADF};
    auto r = impl_->rpc<AttrResp>(meta_rank_, StatReq{ino});
    if (r.err == ENOENT) return Errno{EBADF};
    if (r.err != 0) return Errno{r.err};
    return r.attr;
}

Result<Client::DirPage> Client::readdir_handle(const Handle& dir, std::uint64_t cookie,
                                               std::uint32_t max_entries) {
    auto d = attr_by_handle(dir);
    if (!d) return Errno{d.error()};
    if (d->type != FileType::dir) return Errno{ENOTDIR};
    if (max_entries == 0 || max_entries > config::kReaddirMaxEntries) return Errno{EINVAL};
    auto r = impl_->rpc<ReaddirResp>(meta_rank_, ReaddirReq{dir.ino, cookie, max_entries});
    if (r.err == ENOENT) return Errno{EBADF};
    if (r.err != 0) return Errno{r.err};
    return DirPage{std::move(r.entries), r.next_cookie, r.eof};
}

Result<DmState> Client::dm_get(const Handle& h) {
    if (h.fsid != info_.fsid) return Errno{EBADF};
    auto r = impl_->rpc<DmStateResp>(meta_rank_, DmStateReq{h.ino, h.gen, false});
    if (r.err != 0) return Errno{r.err};
    return DmState{r.attr, std::move(r.dm), r.fs_event_set, std::move(r.rod_name)};
}

Result<std::uint8_t> Client::dm_right(const Handle& h, std::uint8_t op, std::uint64_t sid,
                                      std::uint64_t token, std::uint8_t right, bool wait) {
    const bool by_file = op != static_cast<std::uint8_t>(RightOp::release_token) &&
                         op != static_cast<std::uint8_t>(RightOp::release_rank);
    if (by_file && h.fsid != info_.fsid) return Errno{EBADF};
    if (op == 0 || op > kRightOpMax || right > kRightMax) return Errno{EINVAL};
    DmRightReq q;
    q.ino = h.ino;
    q.gen = h.gen;
    q.op = op;
    q.sid = sid;
    q.token = token;
    q.right = right;
    q.wait = wait;
    auto r = impl_->rpc<DmRightResp>(meta_rank_, q);
    if (r.err != 0) return Errno{r.err};
    return r.right;
}

Result<void> Client::dm_update(const Handle& h, const DmChange& c) {
    if (h.fsid != info_.fsid) return Errno{EBADF};
    DmUpdateReq q;
    q.ino = h.ino;
    q.gen = h.gen;
    q.op = static_cast<std::uint8_t>(c.op);
    q.name = c.name;
    q.value = c.value;
    q.flag = c.setdtime;
    q.event_set = c.event_set;
    q.regions = c.regions;
    q.time_ns = c.time_ns;
    // Bounds the wire enforces, reported as the store would.
    if (q.name.size() > config::kDmAttrNameSize) return Errno{EINVAL};
    if (q.value.size() > config::kDmAttrMaxValue || q.regions.size() > config::kDmMaxRegions)
        return Errno{E2BIG};
    auto r = impl_->rpc<StatusResp>(meta_rank_, q);
    return r.err != 0 ? Result<void>(Errno{r.err}) : ok();
}

Result<std::size_t> Client::read_invis(const Handle& h, void* buf, std::size_t count,
                                       std::uint64_t offset) {
    auto a = attr_by_handle(h);
    if (!a) return Errno{a.error()};
    if (a->type != FileType::file) return Errno{EINVAL};
    if (offset > static_cast<std::uint64_t>(INT64_MAX)) return Errno{EINVAL};
    return do_pread(OpenFile{*a, O_RDONLY, 0}, buf, count, static_cast<std::int64_t>(offset),
                    false);
}

Result<std::size_t> Client::write_invis(const Handle& h, const void* buf, std::size_t count,
                                        std::uint64_t offset, bool sync) {
    auto a = attr_by_handle(h);
    if (!a) return Errno{a.error()};
    if (a->type != FileType::file) return Errno{EINVAL};
    if (offset > static_cast<std::uint64_t>(INT64_MAX)) return Errno{EINVAL};
    return do_pwrite(OpenFile{*a, O_WRONLY | (sync ? O_DSYNC : 0), 0}, buf, count,
                     static_cast<std::int64_t>(offset), false);
}

Result<void> Client::punch_hole(const Handle& h, std::uint64_t offset, std::uint64_t length) {
    auto a = attr_by_handle(h);
    if (!a) return Errno{a.error()};
    if (a->type != FileType::file) return Errno{EINVAL};
    if (offset > config::kMaxFileSize) return Errno{EINVAL};
    if (length == 0) {
        if (offset >= a->size) return ok();
        length = a->size - offset;
    }
    if (length > config::kMaxFileSize - offset) return Errno{EINVAL};
    auto ranges = map_range_by_server(a->layout, num_servers_, offset, length);
    if (!ranges) return Errno{ranges.error()};
    const auto& rs = *ranges;
    const int err = impl_->pipeline(
        rs.size(), static_cast<std::uint16_t>(MsgType::punch_req),
        [&](std::size_t i) { return data_rank(rs[i].server); },
        [&](std::size_t i) {
            std::uint64_t n = 0;
            for (const auto& s : rs[i].segments) n += s.length;
            return frame_of(PunchReq{a->ino, a->gen, rs[i].object_offset, n, rs[i].server});
        },
        [](std::size_t, std::span<const std::byte> frame) {
            return decode_reply<StatusResp>(frame).err;
        });
    return err != 0 ? Result<void>(Errno{err}) : ok();
}

Result<void> Client::setattr_handle(const Handle& h, const SetAttr& changes) {
    auto a = attr_by_handle(h);
    if (!a) return Errno{a.error()};
    if (changes.size) {
        auto t = truncate_file(*a, *changes.size, false);
        if (!t) return t;
    }
    SetAttr rest = changes;
    rest.size.reset();
    if (rest == SetAttr{}) return ok();
    auto r = impl_->rpc<AttrResp>(meta_rank_, SetattrReq{a->ino, rest});
    return r.err != 0 ? Result<void>(Errno{r.err}) : ok();
}

Result<std::vector<Extent>> Client::alloc_map(const Handle& h, std::uint64_t offset) {
    auto a = attr_by_handle(h);
    if (!a) return Errno{a.error()};
    if (a->type != FileType::file) return Errno{EINVAL};
    const std::uint64_t size = a->size;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> data;  // file ranges holding data
    const std::uint64_t ss = a->layout.stripe_size;
    for (auto s : stripe_servers(a->layout)) {
        std::uint64_t from = 0;
        for (;;) {  // a map cut at kMaxAllocExtents is asked again from its end
            auto r = impl_->rpc<AllocMapResp>(
                data_rank(s), AllocMapReq{a->ino, a->gen, from, config::kMaxFileSize - from, s});
            if (r.err != 0) return Errno{r.err};
            for (const auto& e : r.extents) {
                if (!e.is_data) continue;
                // One object run spans stripe units that are apart in the file.
                for (std::uint64_t o = e.offset; o < e.offset + e.length;) {
                    const std::uint64_t piece =
                        std::min(e.offset + e.length, (o / ss + 1) * ss) - o;
                    auto fo = file_offset(a->layout, num_servers_, s, o);
                    if (!fo) return Errno{fo.error()};
                    data.emplace_back(*fo, *fo + piece);
                    o += piece;
                }
            }
            if (r.complete || r.extents.empty()) break;
            from = r.extents.back().offset + r.extents.back().length;
        }
    }
    std::sort(data.begin(), data.end());
    std::vector<Extent> out;
    std::uint64_t at = offset;
    auto add = [&](std::uint64_t b, std::uint64_t e, bool is_data) {
        if (e <= b) return;
        if (!out.empty() && out.back().is_data == is_data &&
            out.back().offset + out.back().length == b)
            out.back().length += e - b;
        else
            out.push_back(Extent{b, e - b, is_data});
    };
    for (auto [b, e] : data) {
        e = std::min(e, size);
        if (e <= at) continue;
        b = std::max(b, at);
        add(at, b, false);
        add(b, e, true);
        at = e;
    }
    if (at < size) add(at, size, false);
    return out;
}

Result<void> Client::sync_handle(const Handle& h) {
    auto a = attr_by_handle(h);
    if (!a) return Errno{a.error()};
    if (a->type != FileType::file) return ok();
    return fsync_objects(*a);
}

}  // namespace pfs::client
