// The shared file pointer of a pfs: file lives on the world rank that is rank 0 of the file's
// communicator (its "owner"): a counter per open file, changed by fetch-and-add requests over
// the job's transport (request type kSharedFpReq, answered on the owner's progress thread, so
// the owner need not be inside an MPI call). Every request has the client's deadline: a dead
// owner gives MPI_ERR_IO, never a hang.
#include <map>
#include <mutex>

#include "driver.hpp"
#include "mpi_tools/job.hpp"
#include "mpi_tools/transport.hpp"
#include "mpi_tools/wire.hpp"
#include "pfs/client/client.hpp"

namespace pfs::mpiio {
namespace {

std::mutex mu;
std::map<std::uint64_t, std::int64_t>& counters() {
    static auto* m = new std::map<std::uint64_t, std::int64_t>;
    return *m;
}
std::uint64_t next_id = 1;

// Returns the value before the operation; ENOENT for an unknown id.
int apply(std::uint64_t id, FpOp op, std::int64_t arg, std::int64_t* old) {
    std::lock_guard lk(mu);
    auto it = counters().find(id);
    if (it == counters().end()) return ENOENT;
    *old = it->second;
    if (op == FpOp::fetch_add)
        it->second += arg;
    else
        it->second = arg;
    return 0;
}

}  // namespace

void serve_shared_fp(mpi_tools::Transport& t) {
    t.serve(kSharedFpReq, [](mpi_tools::Incoming& in, mpi_tools::Responder r) {
        mpi_tools::wire::Reader rd(in.payload());
        const auto id = rd.get<std::uint64_t>();
        const auto op = rd.get<std::uint8_t>();
        const auto arg = rd.get<std::int64_t>();
        std::int32_t err = EINVAL;
        std::int64_t old = 0;
        if (rd.done() && op <= static_cast<std::uint8_t>(FpOp::set))
            err = apply(id, static_cast<FpOp>(op), arg, &old);
        std::vector<std::byte> body;
        mpi_tools::wire::Writer w(&body);
        w.put<std::int32_t>(err);
        w.put<std::int64_t>(old);
        r.reply(body);
    });
}

std::uint64_t shared_fp_create(std::int64_t initial) {
    std::lock_guard lk(mu);
    const std::uint64_t id = next_id++;
    counters()[id] = initial;
    return id;
}

void shared_fp_destroy(std::uint64_t id) {
    std::lock_guard lk(mu);
    counters().erase(id);
}

int shared_fp_op(const PfsFile& f, FpOp op, std::int64_t arg, std::int64_t* old) {
    auto& job = mpi_tools::Job::get();
    if (f.fp_owner == job.rank())
        return apply(f.fp_id, op, arg, old) == 0 ? MPI_SUCCESS : MPI_ERR_IO;
    int err = MPI_SUCCESS;
    client::Client* c = get_client(&err);
    if (c == nullptr) return err;
    std::vector<std::byte> body;
    mpi_tools::wire::Writer w(&body);
    w.put<std::uint64_t>(f.fp_id);
    w.put<std::uint8_t>(static_cast<std::uint8_t>(op));
    w.put<std::int64_t>(arg);
    auto rep = job.transport().call(f.fp_owner, kSharedFpReq, body,
                                    mpi_tools::ft::Clock::now() + c->options().timeout);
    if (rep.err != 0) return MPI_ERR_IO;
    mpi_tools::wire::Reader rd(rep.payload);
    const auto e = rd.get<std::int32_t>();
    *old = rd.get<std::int64_t>();
    return rd.done() && e == 0 ? MPI_SUCCESS : MPI_ERR_IO;
}

}  // namespace pfs::mpiio
