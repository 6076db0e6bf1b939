// Byte-range locks of MPI atomic mode. The lock manager of a pfs: file lives where its shared
// file pointer does: on the world rank that is rank 0 of the file's communicator (the owner),
// one table per open file (keyed by fp_id), served on the owner's progress thread over the
// job's transport (kRangeLockReq, kRangeUnlockReq).
//
// The service never blocks the progress thread: a request that cannot be granted is queued with
// its Responder and answered when a release grants it. The table and its FIFO-fair grant rule
// are lock_table.hpp.
//
// Every wait has the client's deadline (PFS_CLIENT_TIMEOUT_MS): a waiter that times out cancels
// its request (a release of a lock id that is still queued removes it; one granted meanwhile is
// released), an owner that died gives MPI_ERR_IO. Locks and waiters of a rank the job's
// fault tolerance knows as failed are dropped at the next request to the table. Close releases
// whatever a rank still holds, and the owner drops the table when the close is agreed.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "driver.hpp"
#include "lock_table.hpp"
#include "mpi_tools/job.hpp"
#include "mpi_tools/transport.hpp"
#include "mpi_tools/wire.hpp"
#include "pfs/client/client.hpp"

namespace pfs::mpiio {
namespace {

using Answer = LockTable::Answer;
using Req = LockTable::Req;

std::mutex mu;
std::map<std::uint64_t, LockTable>& tables() {
    static auto* m = new std::map<std::uint64_t, LockTable>;
    return *m;
}

bool failed(int world_rank) {
    return mpi_tools::Job::get().ft().is_failed(world_rank);
}

void run_answers(std::vector<Answer>& run, std::int32_t err) {
    for (auto& a : run)
        if (a) a(err);
}

// Queues r on table fid (answered when granted, possibly at once). Returns 0 or an errno (then
// r.answer is not called). Locks and waiters of failed ranks are dropped first.
int acquire(std::uint64_t fid, Req r) {
    std::vector<Answer> run;
    int err = 0;
    {
        std::lock_guard lk(mu);
        auto it = tables().find(fid);
        if (it == tables().end()) return ENOENT;
        it->second.purge(failed, &run);
        if (!it->second.acquire(std::move(r), &run)) err = EEXIST;
    }
    run_answers(run, 0);
    return err;
}

// Releases lock `id` of `rank` (0: all of that rank's), held or still queued. Unknown ids are
// not an error (a withdrawal can cross the grant it withdraws).
int release(std::uint64_t fid, int rank, std::uint64_t id) {
    std::vector<Answer> run;
    {
        std::lock_guard lk(mu);
        auto it = tables().find(fid);
        if (it == tables().end()) return ENOENT;
        it->second.release(rank, id, &run);
        it->second.purge(failed, &run);
    }
    run_answers(run, 0);
    return 0;
}

// A request to the owner; *err = its errno answer. Returns the transport's error (0: answered).
int call_owner(const PfsFile& f, std::uint16_t type, const std::vector<std::byte>& body,
               mpi_tools::ft::Deadline dl, std::int32_t* err) {
    auto rep = mpi_tools::Job::get().transport().call(f.fp_owner, type, body, dl);
    if (rep.err != 0) return rep.err;
    mpi_tools::wire::Reader rd(rep.payload);
    *err = rd.get<std::int32_t>();
    if (!rd.done()) *err = EPROTO;
    return 0;
}

std::vector<std::byte> unlock_body(std::uint64_t fid, std::uint64_t id) {
    std::vector<std::byte> body;
    mpi_tools::wire::Writer w(&body);
    w.put<std::uint64_t>(fid);
    w.put<std::uint64_t>(id);
    return body;
}

void reply_err(const mpi_tools::Responder& r, std::int32_t err) {
    std::vector<std::byte> body;
    mpi_tools::wire::Writer w(&body);
    w.put<std::int32_t>(err);
    r.reply(body);
}

std::atomic<std::uint64_t> g_next_lock_id{1};

}  // namespace

void serve_range_locks(mpi_tools::Transport& t) {
    // Acquire: file id, lock id (non-zero), mode, lo, hi. Answered when granted.
    t.serve(kRangeLockReq, [](mpi_tools::Incoming& in, mpi_tools::Responder r) {
        mpi_tools::wire::Reader rd(in.payload());
        Req q;
        const auto fid = rd.get<std::uint64_t>();
        q.id = rd.get<std::uint64_t>();
        const auto mode = rd.get<std::uint8_t>();
        q.lo = rd.get<std::int64_t>();
        q.hi = rd.get<std::int64_t>();
        q.rank = in.header.src;
        if (!rd.done() || q.id == 0 || mode > static_cast<std::uint8_t>(LockMode::exclusive) ||
            q.lo < 0 || q.hi <= q.lo || q.rank < 0) {
            reply_err(r, EINVAL);
            return;
        }
        q.mode = static_cast<LockMode>(mode);
        q.answer = [r](std::int32_t err) { reply_err(r, err); };
        if (const int err = acquire(fid, std::move(q)); err != 0) reply_err(r, err);
    });
    // Release / cancel: file id, lock id (0: every lock of the sender).
    t.serve(kRangeUnlockReq, [](mpi_tools::Incoming& in, mpi_tools::Responder r) {
        mpi_tools::wire::Reader rd(in.payload());
        const auto fid = rd.get<std::uint64_t>();
        const auto id = rd.get<std::uint64_t>();
        if (!rd.done() || in.header.src < 0) {
            reply_err(r, EINVAL);
            return;
        }
        reply_err(r, release(fid, in.header.src, id));
    });
}

void range_locks_create(std::uint64_t id) {
    std::lock_guard lk(mu);
    tables()[id];
}

void range_locks_destroy(std::uint64_t id) {
    std::vector<Answer> dropped;
    {
        std::lock_guard lk(mu);
        auto it = tables().find(id);
        if (it == tables().end()) return;
        it->second.clear(&dropped);
        tables().erase(it);
    }
    run_answers(dropped, ENOENT);
}

int range_lock(PfsFile& f, LockMode m, std::int64_t lo, std::int64_t hi, std::uint64_t* token) {
    *token = 0;
    int err = MPI_SUCCESS;
    client::Client* c = get_client(&err);
    if (c == nullptr) return err;
    auto& job = mpi_tools::Job::get();
    const auto dl = mpi_tools::ft::Clock::now() + c->options().timeout;
    const std::uint64_t id = g_next_lock_id++;
    if (f.fp_owner == job.rank()) {
        // The owner's own request: queued like any other, waited for on a condition variable.
        struct Wait {
            std::mutex m;
            std::condition_variable cv;
            bool done = false;
            std::int32_t err = 0;
        };
        auto w = std::make_shared<Wait>();
        Req q{job.rank(), id, m, lo, hi, [w](std::int32_t e) {
                  std::lock_guard lk(w->m);
                  w->done = true;
                  w->err = e;
                  w->cv.notify_all();
              }};
        if (acquire(f.fp_id, std::move(q)) != 0) return MPI_ERR_IO;
        std::unique_lock lk(w->m);
        if (!w->cv.wait_until(lk, dl, [&] { return w->done; })) {
            lk.unlock();
            (void)release(f.fp_id, job.rank(), id);  // cancel (or release a grant that crossed)
            return MPI_ERR_IO;
        }
        if (w->err != 0) return MPI_ERR_IO;
    } else {
        std::vector<std::byte> body;
        mpi_tools::wire::Writer w(&body);
        w.put<std::uint64_t>(f.fp_id);
        w.put<std::uint64_t>(id);
        w.put<std::uint8_t>(static_cast<std::uint8_t>(m));
        w.put<std::int64_t>(lo);
        w.put<std::int64_t>(hi);
        std::int32_t e = 0;
        const int terr = call_owner(f, kRangeLockReq, body, dl, &e);
        if (terr != 0) {
            // Timed out (or cancelled by a recovery) while queued: withdraw the request, so a
            // later grant does not leave the range locked. A dead owner needs no withdrawal.
            if (terr != EHOSTDOWN) {
                std::int32_t ignored = 0;
                (void)call_owner(f, kRangeUnlockReq, unlock_body(f.fp_id, id),
                                 mpi_tools::ft::Clock::now() + c->options().timeout, &ignored);
            }
            return MPI_ERR_IO;
        }
        if (e != 0) return MPI_ERR_IO;
    }
    ++f.locks_held;
    *token = id;
    return MPI_SUCCESS;
}

int range_unlock(PfsFile& f, std::uint64_t token) {
    if (token == 0) return MPI_SUCCESS;
    --f.locks_held;
    int err = MPI_SUCCESS;
    client::Client* c = get_client(&err);
    if (c == nullptr) return err;
    auto& job = mpi_tools::Job::get();
    if (f.fp_owner == job.rank()) return release(f.fp_id, job.rank(), token) == 0 ? 0 : MPI_ERR_IO;
    std::int32_t e = 0;
    const int terr = call_owner(f, kRangeUnlockReq, unlock_body(f.fp_id, token),
                                mpi_tools::ft::Clock::now() + c->options().timeout, &e);
    return terr == 0 && e == 0 ? MPI_SUCCESS : MPI_ERR_IO;
}

void range_unlock_all(PfsFile& f) {
    if (f.locks_held.load() <= 0) return;
    f.locks_held = 0;
    int err = MPI_SUCCESS;
    client::Client* c = get_client(&err);
    if (c == nullptr) return;
    auto& job = mpi_tools::Job::get();
    if (f.fp_owner == job.rank()) {
        (void)release(f.fp_id, job.rank(), 0);
        return;
    }
    std::int32_t e = 0;
    (void)call_owner(f, kRangeUnlockReq, unlock_body(f.fp_id, 0),
                     mpi_tools::ft::Clock::now() + c->options().timeout, &e);
}

}  // namespace pfs::mpiio
