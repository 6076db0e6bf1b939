// Object removals that unlink does not wait for (docs/pfs.md "Freeing objects"). When a file's
// last name goes, the metadata server has already committed the change; the RemoveReqs to the
// data servers of its layout are sent at once, and their answers are collected by a later
// unlink, statfs, finish_removals() or the client's end. The retry rules are pipeline()'s:
// re-routed after an epoch change or to an adopter, backed off on EAGAIN, until the deadline.
#include <thread>

#include "internal.hpp"

namespace pfs::client {

namespace {
constexpr std::chrono::milliseconds kMaxBackoff{50};
}  // namespace

void Client::Impl::post_removal(int home, const proto::RemoveReq& req, mpi_tools::ft::Deadline dl,
                                std::chrono::milliseconds backoff) {
    const int to = server_of(home);
    auto pc = t.post(to, static_cast<std::uint16_t>(proto::MsgType::remove_req), frame_of(req));
    std::lock_guard lk(removals_mu);
    removals.push_back(Removal{home, to, req, std::move(pc), dl, backoff});
}

void Client::Impl::settle_removals(std::size_t keep) {
    for (;;) {
        Removal r;
        {
            std::lock_guard lk(removals_mu);
            if (removals.empty()) return;
            if (removals.size() <= keep && !mpi_tools::Transport::ready(removals.front().pc))
                return;
            r = std::move(removals.front());
            removals.pop_front();
        }
        auto rep = t.await(r.pc, r.dl, hard(r.dl));
        if ((rep.err == ECANCELED || rep.err == EHOSTDOWN) &&
            retry_after(rep.err, r.home, r.to, deadline())) {
            post_removal(r.home, r.req, deadline(), r.backoff);
            continue;
        }
        if (rep.err != 0) continue;  // dead for good or timed out: an orphan object
        const int e = peek_err(rep.payload);
        if (busy_reply(e, r.home, r.to) && Clock::now() + r.backoff < r.dl) {
            std::this_thread::sleep_for(r.backoff);
            post_removal(r.home, r.req, r.dl, std::min(r.backoff * 2, kMaxBackoff));
        }
    }
}

}  // namespace pfs::client
