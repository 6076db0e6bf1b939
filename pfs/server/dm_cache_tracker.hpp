// Which ranks cache the DM state of which inode (for event generation and DM access rights), and
// the invalidation that makes a change of that state hold everywhere before it returns
// (DESIGN.md section 5). Shared by the DM state service (dm_service.cpp) and the rights service
// (rights_service.cpp) of the metadata server.
#pragma once

#include <map>
#include <mutex>
#include <set>

#include "mpi_tools/transport.hpp"
#include "pfs/common/types.hpp"

namespace pfs::server {

class CacheTracker {
  public:
    void add(Ino ino, int rank) {
        std::lock_guard lk(mu_);
        ranks_[ino].insert(rank);
    }
    std::set<int> take(Ino ino) {
        std::lock_guard lk(mu_);
        auto it = ranks_.find(ino);
        if (it == ranks_.end()) return {};
        auto out = std::move(it->second);
        ranks_.erase(it);
        return out;
    }
    void remove(Ino ino, int rank) {
        std::lock_guard lk(mu_);
        auto it = ranks_.find(ino);
        if (it == ranks_.end()) return;
        it->second.erase(rank);
        if (it->second.empty()) ranks_.erase(it);
    }

  private:
    std::mutex mu_;
    std::map<Ino, std::set<int>> ranks_;
};

// Sends every rank caching ino (0: the file system's state) a DmInvalidateReq, all at once, and
// awaits the answers: a rank answers once its operations that checked the old state are done.
// Failure-aware: a dead rank is skipped; a live rank that does not answer within 30 s makes it
// EIO (it stays registered, so a retry invalidates it again). Blocks: never call it on a worker
// that the answering ranks' operations may need.
int invalidate_cached(mpi_tools::Transport& t, CacheTracker& tracker, Ino ino);

}  // namespace pfs::server
