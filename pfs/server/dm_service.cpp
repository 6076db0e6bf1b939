// The DMAPI state service of the metadata server: DM state by handle (DmStateReq) and its
// changes (DmUpdateReq), with the cache-invalidation rule of DESIGN.md section 5: a change of an
// inode's event list or managed regions (or of the file system's event list) returns only after
// every rank that caches them has dropped its copy.
//
// Bookkeeping: a DmStateReq with `cache` adds the asking rank to the inode's caching set BEFORE
// the state is read, so a concurrent change either is seen by the read or invalidates the
// asker. A change commits first, then takes the caching set (emptying it) and sends every member
// a DmInvalidateReq, all at once, and awaits each answer (on a thread of its own, not a
// worker: a rank answers only after its operations that checked the old state are done, and they
// may need a worker). The wait is failure-aware: a rank the
// failure detector declared dead answers EHOSTDOWN at once and is skipped; a live rank that does
// not answer within kInvalidateTimeout fails the change with EIO (the state is committed; the
// rank stays registered so that a retry invalidates it again).
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "attr_leases.hpp"
#include "dm_cache_tracker.hpp"
#include "pfs/meta/meta_store.hpp"
#include "rights_service.hpp"
#include "service.hpp"

namespace pfs::server {

namespace {

using namespace pfs::proto;

// 0, EBADF when the inode is gone or has another generation, or the store's errno.
int check_handle(const meta::MetaStore& m, Ino ino, Gen gen, meta::Inode* out) {
    auto in = m.get_inode(ino);
    if (!in) return in.error() == ENOENT ? EBADF : in.error();
    if (in->attr.gen != gen) return EBADF;
    if (out != nullptr) *out = std::move(*in);
    return 0;
}

int apply(meta::MetaStore& m, const DmUpdateReq& q, bool* invalidates) {
    *invalidates = false;
    const auto op = static_cast<DmOp>(q.op);
    if (q.ino == 0) {  // the file system itself
        switch (op) {
            case DmOp::set_event_set:
                *invalidates = true;
                return m.set_fs_event_set(q.event_set).error();
            case DmOp::set_rod_name:
                *invalidates = true;  // clients cache it beside the event list
                return m.set_rod_name(q.name).error();
            default:
                return EINVAL;
        }
    }
    if (int e = check_handle(m, q.ino, q.gen, nullptr)) return e;
    switch (op) {
        case DmOp::set_attr:
            return m.set_dm_attr(q.ino, q.name, q.value, q.flag).error();
        case DmOp::remove_attr:
            return m.remove_dm_attr(q.ino, q.name, q.flag).error();
        case DmOp::set_event_set:
            *invalidates = true;
            return m.set_event_set(q.ino, q.event_set).error();
        case DmOp::set_regions:
            *invalidates = true;
            return m.set_regions(q.ino, q.regions).error();
        case DmOp::set_dtime:
            return m.set_dtime(q.ino, q.time_ns).error();
        default:
            return EINVAL;
    }
}

}  // namespace

void serve_dm(mpi_tools::Transport& t, WorkerPool& pool, meta::MetaStore& m,
              mpi_tools::ft::FaultTolerance& ft, AttrLeases& leases) {
    auto tracker = std::make_shared<CacheTracker>();
    // Lives as long as the process: parked replies and publishing threads may outlast any scope.
    auto* rights = new RightsService(t, ft, tracker, m);
    serve_raw(
        t, pool, static_cast<std::uint16_t>(MsgType::dm_state_req),
        [&m, tracker, rights](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
            DmStateResp out;
            auto q = decode<DmStateReq>(frame);
            if (!q) {
                out.err = q.error();
                r.reply(encode(out));
                return;
            }
            if (q->cache) tracker->add(q->ino, r.peer());
            auto fs = m.get_fs_dm();
            if (!fs) {
                out.err = fs.error();
            } else {
                out.fs_event_set = fs->event_set;
                out.rod_name = fs->rod_name;
                meta::Inode in;
                if (q->ino != 0) out.err = check_handle(m, q->ino, q->gen, &in);
                if (q->ino != 0 && out.err == 0) {
                    out.attr = in.attr;
                    out.dm = std::move(in.dm);
                }
                // Read after the asker was registered, like the rest: a grant either is in
                // this reply or invalidates the asker.
                rights->state(q->ino, q->gen, &out.held_right, &out.rights_active);
            }
            if (out.err != 0 && q->cache) tracker->remove(q->ino, r.peer());
            r.reply(encode(out));
        },
        [](int err) { return error_reply<DmStateResp>(err); });
    serve_raw(
        t, pool, static_cast<std::uint16_t>(MsgType::dm_update_req),
        [&t, &m, &leases, tracker](std::span<const std::byte> frame,
                                   const mpi_tools::Responder& r) {
            auto q = decode<DmUpdateReq>(frame);
            if (!q || q->op == 0) {
                r.reply(encode(StatusResp{q ? EINVAL : q.error()}));
                return;
            }
            // The change's ctime and change counter are in leased attributes too.
            AttrLeases::Scope scope(leases, r.peer());
            bool invalidates = false;
            const int err = apply(m, *q, &invalidates);
            if (err != 0 || !invalidates) {
                scope.finish(r, encode(StatusResp{err}));
                return;
            }
            // The wait for the caching ranks runs off the worker pool: a rank answers only when
            // its operations under the old state are done, and those may need a worker here.
            std::thread([&t, &leases, tracker, ino = q->ino, r, recalls = scope.take()] {
                const int e = invalidate_cached(t, *tracker, ino);
                leases.recall_then_reply(recalls, r, encode(StatusResp{e}));
            }).detach();
        },
        [](int err) { return error_reply<StatusResp>(err); });
    serve_raw(
        t, pool, static_cast<std::uint16_t>(MsgType::dm_right_req),
        [rights](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
            auto q = decode<DmRightReq>(frame);
            if (!q || q->op == 0) {
                r.reply(error_reply<DmRightResp>(q ? EINVAL : q.error()));
                return;
            }
            rights->handle(*q, r);
        },
        [](int err) { return error_reply<DmRightResp>(err); });
}

}  // namespace pfs::server
