// The object service of one data server: every data request of pfs/proto mapped onto the
// ObjectStore of the volume it names (the rank's own, or one it adopted: data_volumes.hpp; a
// volume not served here is answered EAGAIN). Offsets are object offsets (the client stripes).
// Reads answer with ReadResp + the bytes, pread straight into the reply frame the engine sends
// from (short at object EOF; the client zero-fills up to the file size); writes take their
// payload straight from the received message buffer.

#include <memory>
#include <utility>

#include "data_volumes.hpp"
#include "mpi_tools/wire.hpp"
#include "pfs/data/object_store.hpp"
#include "service.hpp"

namespace pfs::server {

namespace {

using namespace pfs::proto;

StatusResp status_resp(int err) {
    return StatusResp{err};
}

// Runs fn(store) on the volume's store, or answers EAGAIN when it is not served here.
template <class Resp, class Fn>
Resp on_volume(const DataVolumes& v, std::uint32_t volume, Fn fn) {
    if (auto* s = v.find(volume)) return fn(*s);
    Resp out{};
    out.err = EAGAIN;
    return out;
}

void serve_read(mpi_tools::Transport& t, WorkerPool& pool, const DataVolumes& v) {
    serve_raw(
        t, pool, static_cast<std::uint16_t>(MsgType::read_req),
        [&v](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
            auto req = decode<ReadReq>(frame);
            if (!req) {
                r.reply(error_reply<ReadResp>(req.error()));
                return;
            }
            auto* store = v.find(req->volume);
            if (!store) {
                r.reply(error_reply<ReadResp>(EAGAIN));
                return;
            }
            auto& s = *store;
            // Header (fixed width: re-encoding with a smaller length keeps its size) + bytes,
            // read straight into the uninitialised reply frame the engine sends from: the
            // object data is copied only once on this side.
            const auto head = encode(ReadResp{0, req->length});
            const std::size_t h = head.size();
            if (req->length > mpi_tools::wire::kMaxPayload - h) {  // the reply could not travel
                r.reply(error_reply<ReadResp>(EMSGSIZE));
                return;
            }
            auto reply = mpi_tools::OutFrame::with_payload_size(h + req->length);
            const auto body = reply.payload();
            auto n = s.pread(ObjectId{req->ino, req->gen}, body.subspan(h), req->offset);
            if (!n) {
                r.reply(error_reply<ReadResp>(n.error()));
                return;
            }
            auto sized = encode_to(ReadResp{0, *n}, body.first(h));
            if (!sized || *sized != h || *n > req->length) {
                r.reply(error_reply<ReadResp>(EIO));
                return;
            }
            reply.shrink_payload(h + *n);
            r.reply(std::move(reply));
        },
        [](int err) { return error_reply<ReadResp>(err); });
}

void serve_write(mpi_tools::Transport& t, WorkerPool& pool, const DataVolumes& v) {
    serve_raw(
        t, pool, static_cast<std::uint16_t>(MsgType::write_req),
        [&v](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
            auto req = decode_with_payload<WriteReq>(frame);
            if (!req) {
                r.reply(error_reply<WriteResp>(req.error()));
                return;
            }
            const auto& w = req->header;
            auto* s = v.find(w.volume);
            if (!s) {
                r.reply(error_reply<WriteResp>(EAGAIN));
                return;
            }
            // Acknowledged only after pwrite(2) returned: the bytes are in the page cache of
            // the object file and survive this process's death (docs/limitations.md).
            WriteResp out;
            if (w.length > 0) {
                auto n = s->pwrite(ObjectId{w.ino, w.gen}, req->payload, w.offset);
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

void serve_data(mpi_tools::Transport& t, WorkerPool& pool, const DataVolumes& v) {
    serve_read(t, pool, v);
    serve_write(t, pool, v);
    serve_typed<PunchReq>(t, pool, [&v](const PunchReq& q) {
        return on_volume<StatusResp>(v, q.volume, [&](data::ObjectStore& s) {
            return status_resp(s.punch_hole(ObjectId{q.ino, q.gen}, q.offset, q.length).error());
        });
    });
    serve_typed<TruncateReq>(t, pool, [&v](const TruncateReq& q) {
        return on_volume<StatusResp>(v, q.volume, [&](data::ObjectStore& s) {
            return status_resp(s.truncate(ObjectId{q.ino, q.gen}, q.size).error());
        });
    });
    // A file never written has no objects: every unlink of an empty file asks each server of
    // its layout anyway, and one lstat on the progress thread answers that without a worker
    // hand-off. An existing object goes to a worker (freeing a large file's extents can take
    // long). A write racing the check could re-create the object, as it could after a removal:
    // the file is already gone from the namespace either way (docs/pfs.md "Freeing objects").
    serve_raw(
        t, pool, static_cast<std::uint16_t>(MsgType::remove_req),
        typed_work<RemoveReq>([&v](const RemoveReq& q) {
            return on_volume<StatusResp>(v, q.volume, [&](data::ObjectStore& s) {
                return status_resp(s.remove(ObjectId{q.ino, q.gen}).error());
            });
        }),
        [](int err) { return error_reply<StatusResp>(err); },
        [&v](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
            auto q = decode<RemoveReq>(frame);
            if (!q) return false;  // the worker answers the decoding error
            auto* s = v.find(q->volume);
            if (s == nullptr || !s->absent(ObjectId{q->ino, q->gen})) return false;
            r.reply(encode(StatusResp{0}));
            return true;
        });
    serve_typed<AllocMapReq>(t, pool, [&v](const AllocMapReq& q) {
        AllocMapResp out;
        auto* sp = v.find(q.volume);
        if (!sp) {
            out.err = EAGAIN;
            return out;
        }
        auto& s = *sp;
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
    serve_typed<ListObjectsReq>(t, pool, [&v](const ListObjectsReq& q) {
        ListObjectsResp out;
        auto* s = v.find(q.volume);
        if (s == nullptr) {
            out.err = EAGAIN;
            return out;
        }
        bool done = false;
        auto r = s->list(q.shard, q.after, q.max_entries, &done);
        if (!r) {
            out.err = r.error();
            return out;
        }
        out.objects = std::move(*r);
        out.shard_done = done;
        return out;
    });
    serve_typed<FsyncReq>(t, pool, [&v](const FsyncReq& q) {
        return on_volume<StatusResp>(v, q.volume, [&](data::ObjectStore& s) {
            return status_resp(s.fsync(ObjectId{q.ino, q.gen}).error());
        });
    });
    serve_typed<StatfsReq>(t, pool, [&v](const StatfsReq& q) {
        StatfsResp out;
        auto* sp = v.find(q.volume);
        if (!sp) {
            out.err = EAGAIN;
            return out;
        }
        auto& s = *sp;
        auto r = s.statfs();
        if (r)
            out.stat = *r;
        else
            out.err = r.error();
        return out;
    });
}

}  // namespace pfs::server
