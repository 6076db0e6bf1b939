// The data path of pfs::client::Client: striped, pipelined reads and writes, truncate, fsync
// and object removal. Requests go straight to the data servers with object offsets computed by
// pfs/client/striping.hpp; the metadata server only supplies the size (reads) and records the
// new end (writes).
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "internal.hpp"
#include "pfs/common/config.hpp"

namespace pfs::client {

using namespace pfs::proto;

namespace {

// Runs direct(i) for every chunk of a volume this client reads and writes itself
// (direct_volumes.hpp): 0 when done, ENOENT to leave the chunk to its server, any other errno
// ends the call. The chunks left for the servers are appended to `remote`.
template <class Direct>
int direct_first(const std::vector<Chunk>& chunks, const DirectVolumes* dv, Direct direct,
                 std::vector<std::size_t>* remote) {
    remote->reserve(chunks.size());
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        if (dv != nullptr && dv->enabled(chunks[i].server)) {
            const int e = direct(i);
            if (e == 0) continue;
            if (e != ENOENT) return e;
        }
        remote->push_back(i);
    }
    return 0;
}

}  // namespace

std::vector<std::uint32_t> Client::stripe_servers(const Layout& l) const {
    std::vector<std::uint32_t> out;
    if (num_servers_ == 0) return out;
    const std::uint32_t n = std::min(l.stripe_count, num_servers_);
    for (std::uint32_t j = 0; j < n; ++j) out.push_back((l.first_server + j) % num_servers_);
    return out;
}

void Client::remove_objects(const Attr& a) {
    // Best effort: the name is already gone; a failed removal leaves an orphan object. The
    // requests leave now; their answers are collected later (removals.cpp).
    for (auto s : stripe_servers(a.layout))
        impl_->post_removal(data_rank(s), RemoveReq{a.ino, a.gen, s}, impl_->deadline(),
                            std::chrono::milliseconds(1));
    impl_->settle_removals(opt_.pending_removals);
}

void Client::finish_removals() {
    if (impl_->wb) {  // the unlinks still in memory first, and the objects they free
        impl_->wb->flush(false);
        for (const auto& a : impl_->wb->take_freed()) remove_objects(a);
    }
    impl_->settle_removals(0);
}

Result<void> Client::truncate_file(const Attr& a, std::uint64_t size, bool events) {
    if (a.type == FileType::dir) return Errno{EISDIR};
    if (a.type != FileType::file) return Errno{EINVAL};
    if (size > config::kMaxFileSize) return Errno{EFBIG};
    // XDSM: a truncate event when the cut [size, end) overlaps a TRUNCATE region.
    DmPin pin, rights_pin;  // held until the truncate is done (see DmCache, rights_gate)
    if (events)
        if (int e = enter_data_op(ev::kTruncate, ev::kRegionTruncate, a, size, 0, true, &pin,
                                  &rights_pin))
            return Errno{e};
    auto cur = impl_->rpc<AttrResp>(meta_rank_, StatReq{a.ino});
    if (cur.err != 0) return Errno{cur.err == ENOENT ? ESTALE : cur.err};
    if (cur.attr.gen != a.gen) return Errno{ESTALE};
    if (size < cur.attr.size) {
        // Shrink the objects first: a reader never sees old bytes come back after a later
        // extension (objects stay short; holes and object ends read as zeros).
        const auto servers = stripe_servers(a.layout);
        std::vector<std::uint64_t> sizes;
        for (auto s : servers) {
            auto os = object_size_for(a.layout, num_servers_, s, size);
            if (!os) return Errno{os.error()};
            sizes.push_back(*os);
        }
        const int err = impl_->pipeline(
            servers.size(), static_cast<std::uint16_t>(MsgType::truncate_req),
            [&](std::size_t i) { return data_rank(servers[i]); },
            [&](std::size_t i) {
                return frame_of(TruncateReq{a.ino, a.gen, sizes[i], servers[i]});
            },
            [](std::size_t, std::span<const std::byte> frame) {
                return decode_reply<StatusResp>(frame).err;
            });
        if (err != 0) return Errno{err};
    }
    SetAttr c;
    c.size = size;
    auto r = impl_->rpc<AttrResp>(meta_rank_, SetattrReq{a.ino, c});
    if (r.err != 0) return Errno{r.err};
    if (!events) return ok();
    // The data is cut: the attribute event (which may wait for room in the session queue) runs
    // without pins, so the DM application is never blocked on this operation.
    pin = DmPin();
    rights_pin = DmPin();
    FsEvent e;
    e.type = ev::kAttribute;
    e.handle1 = handle_of(r.attr);
    e.mode = st_mode(r.attr);
    (void)maybe_raise(e, &r.attr);
    return ok();
}

Result<void> Client::ftruncate(int fd, std::int64_t size) {
    auto f = get_fd(fd);
    if (!f) return Errno{f.error()};
    if (size < 0) return Errno{EINVAL};
    if ((f->flags & O_ACCMODE) == O_RDONLY) return Errno{EINVAL};  // Linux: not open for writing
    auto r = truncate_file(f->attr, static_cast<std::uint64_t>(size));
    if (r && f->seen_size) f->seen_size->store(static_cast<std::uint64_t>(size));
    return r;
}

Result<void> Client::truncate(std::string_view path, std::int64_t size) {
    if (size < 0) return Errno{EINVAL};
    auto a = stat(path);
    if (!a) return Errno{a.error()};
    return truncate_file(*a, static_cast<std::uint64_t>(size));
}

Result<void> Client::fsync(int fd) {
    auto f = get_fd(fd);
    if (!f) return Errno{f.error()};
    if (f->attr.type == FileType::file) PFS_TRY(fsync_objects(f->attr));
    // Its name may still be in this process's memory (a delegated directory): sent first, and a
    // change the server refused after it was acknowledged is reported here.
    PFS_TRY(sync_namespace());
    // The file's size and name live in the metadata store, whose commits may stop at the page
    // cache (config::MetaSync): flushed too, so fsync keeps its power-loss promise.
    auto r = impl_->rpc<StatusResp>(meta_rank_, MetaSyncReq{f->attr.ino});
    return r.err != 0 ? Result<void>(Errno{r.err}) : ok();
}

Result<void> Client::fsync_objects(const Attr& a) {
    const auto servers = stripe_servers(a.layout);
    const int err = impl_->pipeline(
        servers.size(), static_cast<std::uint16_t>(MsgType::fsync_req),
        [&](std::size_t i) { return data_rank(servers[i]); },
        [&](std::size_t i) {
            return frame_of(FsyncReq{a.ino, a.gen, servers[i]});
        },
        [](std::size_t, std::span<const std::byte> frame) {
            return decode_reply<StatusResp>(frame).err;
        });
    return err != 0 ? Result<void>(Errno{err}) : ok();
}

Result<std::size_t> Client::pread(int fd, void* buf, std::size_t count, std::int64_t offset) {
    auto f = get_fd(fd);
    if (!f) return Errno{f.error()};
    return do_pread(*f, buf, count, offset);
}

Result<std::size_t> Client::do_pread(const OpenFile& f, void* buf, std::size_t count,
                                     std::int64_t offset, bool events) {
    if ((f.flags & O_ACCMODE) == O_WRONLY) return Errno{EBADF};
    if (f.attr.type == FileType::dir) return Errno{EISDIR};
    if (offset < 0) return Errno{EINVAL};
    if (count == 0) return std::size_t{0};
    if (buf == nullptr) return Errno{EFAULT};
    const Attr& a = f.attr;
    const auto off = static_cast<std::uint64_t>(offset);
    if (count > config::kMaxFileSize || off > config::kMaxFileSize - count)
        count = static_cast<std::size_t>(config::kMaxFileSize - off);
    DmPin pin, rights_pin;  // held until the read is done (see DmCache, rights_gate)
    if (events)
        if (int e =
                enter_data_op(ev::kRead, ev::kRegionRead, a, off, count, false, &pin, &rights_pin))
            return Errno{e};
    // The size comes from the metadata server; ask for it while the data servers already read
    // (one round trip of latency instead of two). Bytes at or past the size are discarded.
    //
    // Except below the size this descriptor last saw, when every byte is found in the objects:
    // then the file is at least that large now, so the read is exact without asking. The size
    // only shrinks by truncate, which shrinks the objects first (truncate_file), so a read of a
    // range a truncate cut off finds bytes missing in the objects and asks after all; so does a
    // read over a hole. Bytes in the objects past the current size can only come from a write
    // still in progress (a racing read may return them: the write completes and the size covers
    // them) or from a failed write after a truncate that this descriptor has not seen.
    const std::uint64_t seen =
        f.seen_size && opt_.read_size_hint ? f.seen_size->load(std::memory_order_relaxed) : 0;
    const bool below_seen = count <= seen && off <= seen - count;
    std::shared_ptr<mpi_tools::PendingCall> stat_pc;
    if (!below_seen)
        stat_pc =
            impl_->t.post(impl_->server_of(meta_rank_),
                          static_cast<std::uint16_t>(MsgType::stat_req), encode(StatReq{a.ino}));
    bool missing = false;  // a chunk found fewer bytes in its object than it spans
    auto ranges = map_range_by_server(a.layout, num_servers_, off, count);
    if (!ranges) return Errno{ranges.error()};
    const auto chunks = make_chunks(*ranges, opt_.chunk_bytes);
    auto* out = static_cast<std::byte*>(buf);
    // Scatters `have` bytes already in place (direct) or in `from` (a reply) over the chunk's
    // segments; the rest of the chunk (a hole past the object's end) reads as zeros.
    auto fill = [&](const Chunk& c, const std::byte* from, std::uint64_t have) {
        std::uint64_t pos = 0;
        for (const auto& seg : c.segments) {
            const std::uint64_t n = pos < have ? std::min(seg.length, have - pos) : 0;
            if (n > 0 && from != nullptr) std::memcpy(out + seg.buffer_offset, from + pos, n);
            if (n < seg.length) std::memset(out + seg.buffer_offset + n, 0, seg.length - n);
            pos += seg.length;
        }
    };
    // Chunks of volumes on this host are read straight from their objects while the size
    // request travels; the rest through the servers.
    std::vector<std::size_t> remote;
    int err = direct_first(
        chunks, impl_->direct.get(),
        [&](std::size_t i) {
            const auto& c = chunks[i];
            auto n = impl_->direct->read(c.server, ObjectId{a.ino, a.gen}, out, c.segments,
                                         c.object_offset);
            if (!n) return n.error();
            if (*n < c.length) missing = true;
            fill(c, nullptr, *n);
            return 0;
        },
        &remote);
    if (err == 0)
        err = impl_->pipeline(
            remote.size(), static_cast<std::uint16_t>(MsgType::read_req),
            [&](std::size_t j) { return data_rank(chunks[remote[j]].server); },
            [&](std::size_t j) {
                const auto& c = chunks[remote[j]];
                return frame_of(ReadReq{a.ino, a.gen, c.object_offset, c.length, c.server});
            },
            [&](std::size_t j, std::span<const std::byte> frame) {
                auto t = peek_type(frame);
                if (!t || *t != MsgType::read_resp) return decode_reply<ReadResp>(frame).err;
                auto r = decode_with_payload<ReadResp>(frame);
                if (!r) return EIO;
                if (r->header.err != 0) return static_cast<int>(r->header.err);
                const auto& c = chunks[remote[j]];
                if (r->payload.size() > c.length) return EIO;
                if (r->payload.size() < c.length) missing = true;
                fill(c, r->payload.data(), r->payload.size());
                return 0;
            });
    if (below_seen && !missing) {
        if (err != 0) return Errno{err};
        return count;
    }
    AttrResp cur;
    if (!stat_pc) {
        cur = impl_->rpc<AttrResp>(meta_rank_, StatReq{a.ino});
    } else {
        const auto stat_dl = impl_->deadline();
        auto sr = impl_->t.await(stat_pc, stat_dl, impl_->hard(stat_dl));
        if (sr.err == 0 && peek_err(sr.payload) != EAGAIN)
            cur = decode_reply<AttrResp>(sr.payload);
        else if (sr.err == 0 || sr.err == ECANCELED || sr.err == EHOSTDOWN)  // EHOSTDOWN: adoption
            cur = impl_->rpc<AttrResp>(meta_rank_, StatReq{a.ino});
        else
            cur.err = user_errno(sr.err);
    }
    if (cur.err != 0) return Errno{cur.err == ENOENT ? ESTALE : cur.err};
    if (cur.attr.gen != a.gen) return Errno{ESTALE};
    if (f.seen_size) f.seen_size->store(cur.attr.size, std::memory_order_relaxed);
    if (err != 0) return Errno{err};
    if (off >= cur.attr.size) return std::size_t{0};
    return static_cast<std::size_t>(std::min<std::uint64_t>(count, cur.attr.size - off));
}

Result<std::size_t> Client::do_pwrite(const OpenFile& f, const void* buf, std::size_t count,
                                      std::int64_t offset, bool events) {
    if ((f.flags & O_ACCMODE) == O_RDONLY) return Errno{EBADF};
    if (f.attr.type == FileType::dir) return Errno{EISDIR};
    if (offset < 0) return Errno{EINVAL};
    if (count == 0) return std::size_t{0};
    if (buf == nullptr) return Errno{EFAULT};
    const auto off = static_cast<std::uint64_t>(offset);
    if (count > config::kMaxFileSize || off > config::kMaxFileSize - count) return Errno{EFBIG};
    const Attr& a = f.attr;
    DmPin pin, rights_pin;  // held until the write is done (see DmCache, rights_gate)
    if (events)
        if (int e =
                enter_data_op(ev::kWrite, ev::kRegionWrite, a, off, count, true, &pin, &rights_pin))
            return Errno{e};
    auto ranges = map_range_by_server(a.layout, num_servers_, off, count);
    if (!ranges) return Errno{ranges.error()};
    const auto chunks = make_chunks(*ranges, opt_.chunk_bytes);
    const auto* in = static_cast<const std::byte*>(buf);
    auto write_chunks = [&] {
        // Chunks of volumes on this host go straight into their objects; the rest, and objects
        // this client may not create, through the servers.
        std::vector<std::size_t> remote;
        const int derr = direct_first(
            chunks, impl_->direct.get(),
            [&](std::size_t i) {
                const auto& c = chunks[i];
                return impl_->direct
                    ->write(c.server, ObjectId{a.ino, a.gen}, in, c.segments, c.object_offset)
                    .error();
            },
            &remote);
        if (derr != 0) return derr;
        return impl_->pipeline(
            remote.size(), static_cast<std::uint16_t>(MsgType::write_req),
            [&](std::size_t j) { return data_rank(chunks[remote[j]].server); },
            [&](std::size_t j) {
                // The user's bytes are copied once, into the buffer MPI sends from (never sent
                // from the user's buffer: an abandoned send may outlive this call).
                const auto& c = chunks[remote[j]];
                const auto head =
                    encode(WriteReq{a.ino, a.gen, c.object_offset, c.length, c.server});
                auto frame = mpi_tools::OutFrame::with_payload_size(head.size() + c.length);
                std::byte* p = frame.payload().data();
                std::memcpy(p, head.data(), head.size());
                p += head.size();
                for (const auto& seg : c.segments) {
                    std::memcpy(p, in + seg.buffer_offset, seg.length);
                    p += seg.length;
                }
                return frame;
            },
            [&](std::size_t j, std::span<const std::byte> frame) {
                auto r = decode_reply<WriteResp>(frame);
                if (r.err != 0) return static_cast<int>(r.err);
                return r.written == chunks[remote[j]].length ? 0 : EIO;
            });
    };
    int err = write_chunks();
    // Space this client freed may still be on its way back (unlink does not wait for the
    // object removals, removals.cpp): once they are all answered, the write is tried again.
    if (err == ENOSPC && impl_->removals_pending()) {
        finish_removals();
        err = write_chunks();
    }
    // A full volume: XDSM's nospace event (synchronous). CONTINUE means the DM application made
    // room (e.g. migrated data out), so the write is tried once more; ABORT fails it with its
    // errno.
    if (err == ENOSPC && events && wants(ev::kNospace) && event_enabled(ev::kNospace, &a)) {
        FsEvent e;
        e.type = ev::kNospace;
        e.handle1 = e.handle2 = handle_of(a);
        e.mode = st_mode(a);
        pin = DmPin();  // not while waiting for the DM application (see DmCache)
        rights_pin = DmPin();
        if (int rc = event_sink()->raise(e)) return Errno{rc};
        // The DM application may have taken rights on this file meanwhile (to migrate it).
        int g;
        while ((g = rights_gate(a, true, &pin, &rights_pin)) == EAGAIN) {
        }
        if (g != 0) return Errno{g};
        err = write_chunks();
    }
    if (err != 0) return Errno{err};
    // Every byte is on its server: now the size may cover it (max with concurrent writers).
    auto e = impl_->rpc<AttrResp>(meta_rank_, ExtendSizeReq{a.ino, off + count});
    if (e.err != 0) return Errno{e.err == ENOENT ? ESTALE : e.err};
    if (f.seen_size) f.seen_size->store(e.attr.size, std::memory_order_relaxed);
    if (f.flags & (O_SYNC | O_DSYNC)) {
        auto s = fsync_objects(a);
        if (!s) return Errno{s.error()};
        // The new size too (see fsync).
        auto m = impl_->rpc<StatusResp>(meta_rank_, MetaSyncReq{a.ino});
        if (m.err != 0) return Errno{m.err};
    }
    return count;
}

Result<std::size_t> Client::pwrite(int fd, const void* buf, std::size_t count,
                                   std::int64_t offset) {
    auto f = get_fd(fd);
    if (!f) return Errno{f.error()};
    return do_pwrite(*f, buf, count, offset);
}

Result<std::size_t> Client::read(int fd, void* buf, std::size_t count) {
    auto f = get_fd(fd);
    if (!f) return Errno{f.error()};
    auto n = pread(fd, buf, count, f->pos);
    if (!n) return n;
    std::lock_guard lk(fd_mu_);
    if (auto it = fds_.find(fd); it != fds_.end())
        it->second.pos = f->pos + static_cast<std::int64_t>(*n);
    return n;
}

Result<std::size_t> Client::write(int fd, const void* buf, std::size_t count) {
    auto f = get_fd(fd);
    if (!f) return Errno{f.error()};
    std::int64_t at = f->pos;
    if (f->flags & O_APPEND) {  // at the current size (not atomic against other writers)
        if ((f->flags & O_ACCMODE) == O_RDONLY) return Errno{EBADF};
        auto cur = impl_->rpc<AttrResp>(meta_rank_, StatReq{f->attr.ino});
        if (cur.err != 0) return Errno{cur.err == ENOENT ? ESTALE : cur.err};
        at = static_cast<std::int64_t>(cur.attr.size);
    }
    auto n = do_pwrite(*f, buf, count, at);
    if (!n) return n;
    std::lock_guard lk(fd_mu_);
    if (auto it = fds_.find(fd); it != fds_.end())
        it->second.pos = at + static_cast<std::int64_t>(*n);
    return n;
}

Result<std::int64_t> Client::lseek(int fd, std::int64_t offset, int whence) {
    auto f = get_fd(fd);
    if (!f) return Errno{f.error()};
    std::int64_t base = 0;
    switch (whence) {
        case SEEK_SET:
            break;
        case SEEK_CUR:
            base = f->pos;
            break;
        case SEEK_END: {
            auto cur = impl_->rpc<AttrResp>(meta_rank_, StatReq{f->attr.ino});
            if (cur.err != 0) return Errno{cur.err == ENOENT ? ESTALE : cur.err};
            base = static_cast<std::int64_t>(cur.attr.size);
            break;
        }
        default:
            return Errno{EINVAL};
    }
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) return Errno{EINVAL};
    std::lock_guard lk(fd_mu_);
    auto it = fds_.find(fd);
    if (it == fds_.end()) return Errno{EBADF};
    it->second.pos = base + offset;
    return it->second.pos;
}

}  // namespace pfs::client
