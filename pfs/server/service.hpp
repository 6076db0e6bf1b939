// How pfs-server turns transport requests into store operations. Every PFS request type has
// one response type (ResponseOf); a handler registered with serve_typed() runs on the progress
// thread only long enough to queue the request on a worker pool, and the worker decodes it
// (malformed -> the response type carrying EBADMSG / EMSGSIZE), runs the operation and replies
// with the response struct carrying the errno. A full queue is answered at once with EAGAIN.
#pragma once

#include <cerrno>
#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

#include "mpi_tools/ft.hpp"
#include "mpi_tools/transport.hpp"
#include "pfs/proto/messages.hpp"
#include "worker_pool.hpp"

namespace pfs::meta {
class MetaStore;
}
namespace pfs::data {
class ObjectStore;
}

namespace pfs::server {

class DataVolumes;
class AttrLeases;
class DirDelegations;

using Bytes = std::vector<std::byte>;

// The response type of each request type (pfs/proto/messages.hpp documents the pairs).
template <class Req>
struct ResponseOf;
#define PFS_SERVER_RESPONSE(Req, Resp) \
    template <>                        \
    struct ResponseOf<proto::Req> {    \
        using type = proto::Resp;      \
    };
PFS_SERVER_RESPONSE(LookupReq, AttrResp)
PFS_SERVER_RESPONSE(ResolveReq, AttrResp)
PFS_SERVER_RESPONSE(CreateReq, AttrResp)
PFS_SERVER_RESPONSE(MkdirReq, AttrResp)
PFS_SERVER_RESPONSE(UnlinkReq, UnlinkResp)
PFS_SERVER_RESPONSE(RmdirReq, StatusResp)
PFS_SERVER_RESPONSE(RenameReq, RenameResp)
PFS_SERVER_RESPONSE(LinkReq, AttrResp)
PFS_SERVER_RESPONSE(SymlinkReq, AttrResp)
PFS_SERVER_RESPONSE(ReadlinkReq, ReadlinkResp)
PFS_SERVER_RESPONSE(ReaddirReq, ReaddirResp)
PFS_SERVER_RESPONSE(StatReq, AttrResp)
PFS_SERVER_RESPONSE(SetattrReq, AttrResp)
PFS_SERVER_RESPONSE(ExtendSizeReq, AttrResp)
PFS_SERVER_RESPONSE(GetDmReq, GetDmResp)
PFS_SERVER_RESPONSE(SetDmAttrReq, StatusResp)
PFS_SERVER_RESPONSE(RemoveDmAttrReq, StatusResp)
PFS_SERVER_RESPONSE(SetEventSetReq, StatusResp)
PFS_SERVER_RESPONSE(SetRegionsReq, StatusResp)
PFS_SERVER_RESPONSE(SetDtimeReq, StatusResp)
PFS_SERVER_RESPONSE(DmStateReq, DmStateResp)
PFS_SERVER_RESPONSE(DmUpdateReq, StatusResp)
PFS_SERVER_RESPONSE(DmRightReq, DmRightResp)
PFS_SERVER_RESPONSE(ScanInodesReq, ScanInodesResp)
PFS_SERVER_RESPONSE(CreateAtReq, AttrResp)
PFS_SERVER_RESPONSE(UnlinkAtReq, UnlinkResp)
PFS_SERVER_RESPONSE(MetaSyncReq, StatusResp)
PFS_SERVER_RESPONSE(DelegateReq, DelegateResp)
PFS_SERVER_RESPONSE(WritebackReq, WritebackResp)
PFS_SERVER_RESPONSE(ReadReq, ReadResp)
PFS_SERVER_RESPONSE(WriteReq, WriteResp)
PFS_SERVER_RESPONSE(PunchReq, StatusResp)
PFS_SERVER_RESPONSE(TruncateReq, StatusResp)
PFS_SERVER_RESPONSE(RemoveReq, StatusResp)
PFS_SERVER_RESPONSE(AllocMapReq, AllocMapResp)
PFS_SERVER_RESPONSE(FsyncReq, StatusResp)
PFS_SERVER_RESPONSE(StatfsReq, StatfsResp)
PFS_SERVER_RESPONSE(ListObjectsReq, ListObjectsResp)
#undef PFS_SERVER_RESPONSE

template <class M>
concept Request = requires {
    typename ResponseOf<M>::type;
};

// Calls f.template operator()<Req>() for every request type of proto::AllMessages.
template <class F>
void for_each_request(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using M = std::tuple_element_t<I, proto::AllMessages>;
                if constexpr (Request<M>) f.template operator()<M>();
            }(),
            ...);
    }
    (std::make_index_sequence<std::tuple_size_v<proto::AllMessages>>{});
}

// The encoded response of type Resp carrying only `err` (every response struct has one).
template <class Resp>
Bytes error_reply(int err) {
    Resp r{};
    r.err = err;
    return proto::encode(r);
}

// Work done on a worker: gets the request frame, must reply exactly once.
using RawWork = std::function<void(std::span<const std::byte> frame, const mpi_tools::Responder&)>;

// Answers a request on the progress thread when it can do so at once (true), else leaves it
// to the worker (false). Same rules as serve_raw_inline: bounded, never blocking.
using FastPath = std::function<bool(std::span<const std::byte> frame, const mpi_tools::Responder&)>;

// Registers `work` for transport type `type`: queued on `pool` (EAGAIN reply when full), any
// exception (e.g. bad_alloc) answered with `err_reply(errno)` instead of ending the server.
// `fast`, if set, is tried first on the progress thread.
void serve_raw(mpi_tools::Transport& t, WorkerPool& pool, std::uint16_t type, RawWork work,
               std::function<Bytes(int)> err_reply, FastPath fast = {});

// Registers `work` to run on the progress thread itself, for bounded work that never blocks
// (a read-only LMDB lookup: microseconds). A worker hand-off costs a thread wake-up, which on a
// loaded node is a scheduling delay several times longer than the lookup itself.
void serve_raw_inline(mpi_tools::Transport& t, std::uint16_t type, RawWork work,
                      std::function<Bytes(int)> err_reply);

// fn(const Req&) -> Response as RawWork: decodes, runs, replies.
template <class Req, class Fn>
RawWork typed_work(Fn fn) {
    using Resp = typename ResponseOf<Req>::type;
    return [fn](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
        auto req = proto::decode<Req>(frame);
        if (!req) {
            r.reply(error_reply<Resp>(req.error()));
            return;
        }
        const Resp resp = fn(*req);
        r.reply(proto::encode(resp));
    };
}

// Registers fn(const Req&) -> Response for Req, decoding on the worker.
template <class Req, class Fn>
void serve_typed(mpi_tools::Transport& t, WorkerPool& pool, Fn fn) {
    using Resp = typename ResponseOf<Req>::type;
    serve_raw(t, pool, static_cast<std::uint16_t>(Req::kType), typed_work<Req>(std::move(fn)),
              [](int err) { return error_reply<Resp>(err); });
}

// Which request types refuse() covers.
enum class Requests { all, meta, data };

// Answers requests at once (on the progress thread) with `err` in their response type. At
// start-up every type of the PFS range is refused with EAGAIN ("not ready": the client retries)
// and unknown types with ENOSYS; once the rank's service is registered, the requests it does
// not serve (a data server asked a namespace question, a standby meta rank) get EOPNOTSUPP.
void refuse(mpi_tools::Transport& t, Requests which, int err);

// The namespace service of meta rank 0 over `store`, served by world rank `me`. `inline_writes`:
// the store's commits do not wait for the disk, so changes run on the progress thread.
// Every request runs in an AttrLeases::Scope of `leases` (the store's change observer).
void serve_meta(mpi_tools::Transport& t, WorkerPool& pool, meta::MetaStore& store, int me,
                bool inline_writes, AttrLeases& leases, DirDelegations& delegations);
// The DMAPI state service (DmStateReq, DmUpdateReq) and the DM access rights service
// (DmRightReq; rights of ranks `ft` declares failed are dropped) of meta rank 0 over `store`.
void serve_dm(mpi_tools::Transport& t, WorkerPool& pool, meta::MetaStore& store,
              mpi_tools::ft::FaultTolerance& ft, AttrLeases& leases);
// The object service of one data rank over the volumes it serves (data_volumes.hpp).
void serve_data(mpi_tools::Transport& t, WorkerPool& pool, const DataVolumes& volumes);

}  // namespace pfs::server
