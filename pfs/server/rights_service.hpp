// The DM access rights service of the metadata server (DmRightReq; DESIGN.md section 5,
// docs/dmapi-rights.md). The RightsTable plus what makes the rights real locks:
//   - a grant that makes a file's rights stronger returns only after every rank caching the
//     file's DM state dropped it, and a rank answers only once its user operations that checked
//     the old state are done: no user operation runs past a new right;
//   - the first right ever granted turns the file system's "rights active" flag on (sticky) with
//     the same invalidation of the file-system state, so user data operations check rights
//     from then on (before, they only pin the file-system state);
//   - DM_RR_WAIT requests, upgrades and user operations that conflict are parked and answered
//     when a release makes them possible, or with ETIMEDOUT after kParkLimit so that the asker
//     re-checks its own state (token still outstanding) and asks again. A conflict without
//     waiting is ENOLCK on the wire (EAGAIN there means "server busy, send again");
//   - the rights of a failed rank are dropped (GPFS: a session failure loses its rights).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dm_cache_tracker.hpp"
#include "mpi_tools/ft.hpp"
#include "mpi_tools/transport.hpp"
#include "pfs/proto/messages.hpp"
#include "rights_table.hpp"

namespace pfs::meta {
class MetaStore;
}

namespace pfs::server {

class RightsService {
  public:
    // How long a conflicting request waits here before it is told EAGAIN to ask again.
    static constexpr std::chrono::milliseconds kParkLimit{1000};

    RightsService(mpi_tools::Transport& t, mpi_tools::ft::FaultTolerance& ft,
                  std::shared_ptr<CacheTracker> tracker, meta::MetaStore& m);
    ~RightsService();
    RightsService(const RightsService&) = delete;
    RightsService& operator=(const RightsService&) = delete;

    // On a worker; replies exactly once (perhaps later, from another thread).
    void handle(const proto::DmRightReq& q, const mpi_tools::Responder& r);
    // For DmStateReq: the strongest right on the file, and whether rights are active.
    void state(Ino ino, Gen gen, std::uint8_t* held, bool* active);

  private:
    struct Parked {
        proto::RightOp op;
        RightsTable::File file;
        RightsTable::Holder holder;
        int rank;
        RightsTable::Right right;
        mpi_tools::Responder r;
        std::chrono::steady_clock::time_point deadline;
    };
    // Grants pending after a table change that made rights stronger: invalidate, then reply.
    void publish(RightsTable::File f, RightsTable::Holder h, bool activate, mpi_tools::Responder r,
                 proto::DmRightResp resp);
    // After rights on `files` weakened: answers the parked entries that can go on now.
    void retry_parked_locked(const std::vector<RightsTable::File>& files,
                             std::vector<std::function<void()>>* after);
    void reaper();

    mpi_tools::Transport& t_;
    mpi_tools::ft::FaultTolerance& ft_;
    std::shared_ptr<CacheTracker> tracker_;
    meta::MetaStore& m_;
    std::mutex mu_;
    std::condition_variable cv_;
    RightsTable table_;
    bool ever_active_ = false;
    // Completes when the activation's invalidation of the file-system state is done; every grant
    // waits for it (a rank still on the inactive state checks no file's rights).
    std::shared_future<int> activation_;
    std::list<Parked> parked_;
    std::vector<int> failed_;  // ranks reported by the failure detector, not yet processed
    bool stop_ = false;
    std::thread reaper_;
};

}  // namespace pfs::server
