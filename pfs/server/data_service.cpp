// The object service of one data server: every data request of pfs/proto mapped onto the
// ObjectStore of its volume. Offsets are object offsets (the client stripes). Reads answer with
// ReadResp + the bytes in one buffer (short at object EOF; the client zero-fills up to the file
// size); writes take their payload straight from the received message buffer.

#include <memory>

#include "mpi_tools/wire.hpp"
#include "pfs/data/object_store.hpp"
#include "service.hpp"

namespace pfs::server {

namespace {

using namespace pfs::proto;

StatusResp status_resp(int err) {
    return StatusResp{err};
}

void serve_read(mpi_tools::Transport& t, WorkerPool& pool, data::ObjectStore& s) {
    serve_raw(
        t, pool, static_cast<std::uint16_t>(MsgType::read_req),
        [&s](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
            auto req = decode<ReadReq>(frame);
            if (!req) {
                r.reply(error_reply<ReadResp>(req.error()));
                return;
            }
            // Header (fixed width: re-encoding with a smaller length keeps its size) + bytes,
            // in one uninitialised buffer so the object data is copied only once.
            const auto head = encode(ReadResp{0, req->length});
            const std::size_t h = head.size();
            if (req->length > mpi_tools::wire::kMaxPayload - h) {  // the reply could not travel
                r.reply(error_reply<ReadResp>(EMSGSIZE));
                return;
            }
            std::unique_ptr<std::byte[]> buf(new std::byte[h + req->length]);
            auto n = s.pread(ObjectId{req->ino, req->gen},
                             std::span<std::byte>(buf.get() + h, req->length), req->offset);
            if (!n) {
                r.reply(error_reply<ReadResp>(n.error()));
                return;
            }
            auto sized = encode_to(ReadResp{0, *n}, std::span<std::byte>(buf.get(), h));
            if (!sized || *sized != h) {
                r.reply(error_reply<ReadResp>(EIO));
                return;
            }
            r.reply(std::span<const std::byte>(buf.get(), h + *n));
        },
        [](int err) { return error_reply<ReadResp>(err); });
}

void serve_write(mpi_tools::Transport& t, WorkerPool& pool, data::ObjectStore& s) {
    serve_raw(
        t, pool, static_cast<std::uint16_t>(MsgType::write_req),
        [&s](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
            auto req = decode_with_payload<WriteReq>(frame);
            if (!req) {
                r.reply(error_reply<WriteResp>(req.error()));
                return;
            }
            const auto& w = req->header;
            WriteResp out;
            if (w.length > 0) {
                auto n = s.pwrite(ObjectId{w.ino, w.gen}, req->payload, w.offset);
                if (n)
                    out.written = *n;
                else
                    out.err = n.error();
            }
            r.reply(encode(out));
        },
        [](int err) { return error_reply<WriteResp>(err); });
}

}  // namespace

void serve_data(mpi_tools::Transport& t, WorkerPool& pool, data::ObjectStore& s) {
    serve_read(t, pool, s);
    serve_write(t, pool, s);
    serve_typed<PunchReq>(t, pool, [&s](const PunchReq& q) {
        return status_resp(s.punch_hole(ObjectId{q.ino, q.gen}, q.offset, q.length).error());
    });
    serve_typed<TruncateReq>(t, pool, [&s](const TruncateReq& q) {
        return status_resp(s.truncate(ObjectId{q.ino, q.gen}, q.size).error());
    });
    serve_typed<RemoveReq>(t, pool, [&s](const RemoveReq& q) {
        return status_resp(s.remove(ObjectId{q.ino, q.gen}).error());
    });
    serve_typed<AllocMapReq>(t, pool, [&s](const AllocMapReq& q) {
        AllocMapResp out;
        auto r = s.alloc_map(ObjectId{q.ino, q.gen}, q.offset, q.length);
        if (!r) {
            out.err = r.error();
            return out;
        }
        out.extents = std::move(*r);
        if (out.extents.size() > pfs::config::kMaxAllocExtents) {
            out.extents.resize(pfs::config::kMaxAllocExtents);
            out.complete = false;
        }
        return out;
    });
    serve_typed<FsyncReq>(t, pool, [&s](const FsyncReq& q) {
        return status_resp(s.fsync(ObjectId{q.ino, q.gen}).error());
    });
    serve_typed<StatfsReq>(t, pool, [&s](const StatfsReq&) {
        StatfsResp out;
        auto r = s.statfs();
        if (r)
            out.stat = *r;
        else
            out.err = r.error();
        return out;
    });
}

}  // namespace pfs::server
