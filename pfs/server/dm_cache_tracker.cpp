#include "dm_cache_tracker.hpp"

#include <chrono>
#include <vector>

#include "pfs/proto/messages.hpp"

namespace pfs::server {

using namespace pfs::proto;

namespace {
constexpr std::chrono::seconds kInvalidateTimeout{30};
}  // namespace

int invalidate_cached(mpi_tools::Transport& t, CacheTracker& tracker, Ino ino) {
    const auto ranks = tracker.take(ino);
    if (ranks.empty()) return 0;
    const auto frame = encode(DmInvalidateReq{ino});
    std::vector<std::shared_ptr<mpi_tools::PendingCall>> calls;
    for (int r : ranks)
        calls.push_back(t.post(r, static_cast<std::uint16_t>(MsgType::dm_invalidate_req), frame));
    const auto dl = std::chrono::steady_clock::now() + kInvalidateTimeout;
    int err = 0;
    for (auto& pc : calls) {
        auto rep = t.await(pc, dl);
        if (rep.err == EHOSTDOWN) continue;  // dead: it caches nothing any more
        if (rep.err == ECANCELED) {          // an FT epoch change: ask once more
            rep = t.call(pc->dest(), static_cast<std::uint16_t>(MsgType::dm_invalidate_req), frame,
                         dl);
            if (rep.err == EHOSTDOWN) continue;
        }
        if (rep.err != 0) {
            tracker.add(ino, pc->dest());
            err = EIO;
        }
    }
    return err;
}

}  // namespace pfs::server
