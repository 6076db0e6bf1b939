// The byte-range lock table of one open pfs: file (atomic mode), without MPI or threads: the
// lock manager (range_lock.cpp) keeps one per file under its mutex and calls the answers this
// returns after releasing it. Unit-tested in tests/unit/pfs/mpiio_lock_table_test.cpp.
//
// Shared locks are compatible with each other; an exclusive lock conflicts with every lock
// whose range overlaps it. Grants are FIFO-fair: a waiter is granted when it conflicts with no
// held lock and with no earlier waiter, so a later request never overtakes an earlier
// conflicting one (a stream of readers cannot starve a writer), while a request that conflicts
// with nothing ahead of it is granted at once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

namespace pfs::mpiio {

enum class LockMode : std::uint8_t { shared, exclusive };

class LockTable {
  public:
    using Answer = std::function<void(std::int32_t err)>;  // 0: granted; else an errno
    struct Req {
        int rank = -1;         // world rank of the requester
        std::uint64_t id = 0;  // the requester's lock id (unique per rank)
        LockMode mode = LockMode::shared;
        std::int64_t lo = 0, hi = 0;  // file bytes [lo, hi)
        Answer answer;                // called once: granted, or dropped with an errno
    };

    static bool conflicts(const Req& a, const Req& b) {
        return a.lo < b.hi && b.lo < a.hi &&
               (a.mode == LockMode::exclusive || b.mode == LockMode::exclusive);
    }

    // Queues r; the answers of what is granted now (r's, possibly) go to *granted. False (r not
    // queued) when (rank, id) is already held or queued.
    bool acquire(Req r, std::vector<Answer>* granted) {
        auto same = [&](const Req& q) { return q.rank == r.rank && q.id == r.id; };
        if (std::any_of(held_.begin(), held_.end(), same) ||
            std::any_of(waiting_.begin(), waiting_.end(), same))
            return false;
        waiting_.push_back(std::move(r));
        grant(granted);
        return true;
    }

    // Releases lock `id` of `rank` (0: every lock of that rank), held or still queued (a
    // withdrawn waiter gets no answer: its requester gave up). Unknown ids are ignored.
    void release(int rank, std::uint64_t id, std::vector<Answer>* granted) {
        auto mine = [&](const Req& q) { return q.rank == rank && (id == 0 || q.id == id); };
        std::erase_if(held_, mine);
        std::erase_if(waiting_, mine);
        grant(granted);
    }

    // Drops the locks and waiters of ranks for which dead(rank) holds.
    template <typename Pred>
    void purge(Pred dead, std::vector<Answer>* granted) {
        const auto before = held_.size() + waiting_.size();
        std::erase_if(held_, [&](const Req& q) { return dead(q.rank); });
        std::erase_if(waiting_, [&](const Req& q) { return dead(q.rank); });
        if (held_.size() + waiting_.size() != before) grant(granted);
    }

    // Empties the table; the waiters' answers go to *dropped (to be called with an errno).
    void clear(std::vector<Answer>* dropped) {
        for (auto& q : waiting_)
            if (q.answer) dropped->push_back(std::move(q.answer));
        waiting_.clear();
        held_.clear();
    }

    std::size_t held() const { return held_.size(); }
    std::size_t waiting() const { return waiting_.size(); }

  private:
    void grant(std::vector<Answer>* granted) {
        for (auto it = waiting_.begin(); it != waiting_.end();) {
            bool ok = std::none_of(held_.begin(), held_.end(),
                                   [&](const Req& h) { return conflicts(h, *it); });
            for (auto jt = waiting_.begin(); ok && jt != it; ++jt)
                if (conflicts(*jt, *it)) ok = false;
            if (!ok) {
                ++it;
                continue;
            }
            granted->push_back(std::move(it->answer));
            it->answer = nullptr;
            held_.push_back(std::move(*it));
            it = waiting_.erase(it);
        }
    }

    std::vector<Req> held_;
    std::deque<Req> waiting_;  // arrival order
};

}  // namespace pfs::mpiio
