// Directory delegations of the metadata server (docs/pfs.md "Directory delegations"): which
// rank holds which directory, and the guard that keeps every other rank out of it until the
// holder has sent its pending changes and given it back.
//
// - A rank that made a directory asks for it (DelegateReq); the store records the delegation
//   (MetaStore::delegate) and this table mirrors it in memory.
// - Every read of an inode or of a directory's names asks guard() first (MetaStore's access
//   guard). A request of any rank but the holder that touches a delegated directory is refused
//   with EAGAIN, which the client retries with back-off, and the holder is sent a
//   DelegRecallReq (again every config::kDelegationRecallRetry while it holds on). The holder
//   answers by sending what it has pending with give_back, after which the retry succeeds.
// - A dead holder's delegations end (what it had not sent dies with it, as a compute rank's
//   death ends the job); the guard lets requests through at once once the FT layer reports it.
// - Internal calls (no request on the thread) pass.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "attr_leases.hpp"
#include "mpi_tools/ft.hpp"
#include "pfs/meta/meta_store.hpp"

namespace pfs::server {

class DirDelegations {
  public:
    using Clock = std::chrono::steady_clock;

    DirDelegations(mpi_tools::ft::FaultTolerance& ft, AttrLeases& sender);

    // MetaStore's access guard: 0, or EAGAIN for a request that must wait for the holder.
    int guard(Ino ino);

    bool full() const;
    void granted(Ino dir, int holder);
    void ended(Ino dir);
    // The directories held by ranks that are not in `live` (taken off the table).
    std::vector<Ino> take_dead(const std::vector<int>& live);

  private:
    struct Entry {
        int holder = -1;
        Clock::time_point recalled{};  // when the last recall was sent
    };
    void recall(Ino dir, Entry& e, Clock::time_point now);  // under mu_

    mpi_tools::ft::FaultTolerance& ft_;
    AttrLeases& sender_;
    std::atomic<std::size_t> count_{0};  // the guard's fast path: nothing delegated
    mutable std::mutex mu_;
    std::unordered_map<Ino, Entry> held_;
};

}  // namespace pfs::server
