// The MPI-IO driver's byte-range lock table (atomic mode, pfs/mpiio/src/lock_table.hpp):
// shared/exclusive compatibility, FIFO-fair grants (no overtaking of an earlier conflicting
// waiter, so no starvation), withdrawal of a queued request, release of all of a rank's locks,
// dropping of dead ranks, and clearing at close.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lock_table.hpp"

namespace {

using pfs::mpiio::LockMode;
using pfs::mpiio::LockTable;

constexpr auto S = LockMode::shared;
constexpr auto X = LockMode::exclusive;

// Records which requests were answered, in order, with which errno.
struct Log {
    std::vector<std::string> events;
    LockTable::Req req(int rank, std::uint64_t id, LockMode m, std::int64_t lo, std::int64_t hi) {
        const std::string name = std::to_string(rank) + ":" + std::to_string(id);
        return {rank, id, m, lo, hi, [this, name](std::int32_t err) {
                    events.push_back(name + (err == 0 ? "" : "!" + std::to_string(err)));
                }};
    }
};

void run(std::vector<LockTable::Answer>& a, std::int32_t err = 0) {
    for (auto& f : a) f(err);
    a.clear();
}

TEST(MpiioLockTable, SharedCompatibleExclusiveConflicts) {
    LockTable t;
    Log log;
    std::vector<LockTable::Answer> g;
    EXPECT_TRUE(t.acquire(log.req(1, 1, S, 0, 100), &g));
    EXPECT_TRUE(t.acquire(log.req(2, 1, S, 50, 150), &g));   // shared + shared: both
    EXPECT_TRUE(t.acquire(log.req(3, 1, X, 100, 200), &g));  // overlaps rank 2's: waits
    EXPECT_TRUE(t.acquire(log.req(4, 1, X, 200, 300), &g));  // adjacent, disjoint: granted
    run(g);
    EXPECT_EQ(log.events, (std::vector<std::string>{"1:1", "2:1", "4:1"}));
    EXPECT_EQ(t.held(), 3u);
    EXPECT_EQ(t.waiting(), 1u);
    t.release(1, 1, &g);  // not the one in the way
    run(g);
    EXPECT_EQ(log.events.size(), 3u);
    t.release(2, 1, &g);
    run(g);
    EXPECT_EQ(log.events.back(), "3:1");
}

TEST(MpiioLockTable, FifoNoOvertakingNoStarvation) {
    LockTable t;
    Log log;
    std::vector<LockTable::Answer> g;
    t.acquire(log.req(2, 1, S, 0, 1000), &g);  // a reader holds
    t.acquire(log.req(0, 1, X, 0, 1000), &g);  // a writer waits for it
    // More readers keep arriving: none may pass the waiting writer.
    for (std::uint64_t k = 2; k < 6; ++k) t.acquire(log.req(3, k, S, 10, 20), &g);
    // A request that conflicts with nothing ahead of it passes at once.
    t.acquire(log.req(1, 1, X, 5000, 6000), &g);
    run(g);
    EXPECT_EQ(log.events, (std::vector<std::string>{"2:1", "1:1"}));
    t.release(2, 1, &g);  // the reader leaves: the writer, and only the writer, goes
    run(g);
    EXPECT_EQ(log.events.back(), "0:1");
    EXPECT_EQ(t.waiting(), 4u);
    t.release(0, 1, &g);  // then all the readers together
    run(g);
    EXPECT_EQ(log.events.size(), 7u);
    EXPECT_EQ(t.waiting(), 0u);
}

TEST(MpiioLockTable, WithdrawnWaiterIsNotAnswered) {
    LockTable t;
    Log log;
    std::vector<LockTable::Answer> g;
    t.acquire(log.req(0, 1, X, 0, 10), &g);
    t.acquire(log.req(1, 7, X, 0, 10), &g);  // waits, then times out and withdraws
    t.acquire(log.req(2, 1, S, 0, 10), &g);  // behind it
    t.release(1, 7, &g);
    run(g);
    EXPECT_EQ(log.events, (std::vector<std::string>{"0:1"}));
    t.release(0, 1, &g);
    run(g);
    EXPECT_EQ(log.events.back(), "2:1");
    t.release(1, 99, &g);  // unknown id: ignored
    EXPECT_EQ(t.held(), 1u);
}

TEST(MpiioLockTable, DuplicateIdRefused) {
    LockTable t;
    Log log;
    std::vector<LockTable::Answer> g;
    EXPECT_TRUE(t.acquire(log.req(0, 1, S, 0, 10), &g));
    EXPECT_FALSE(t.acquire(log.req(0, 1, S, 20, 30), &g));
    EXPECT_TRUE(t.acquire(log.req(1, 1, S, 20, 30), &g));  // same id, other rank
    EXPECT_EQ(t.held(), 2u);
}

TEST(MpiioLockTable, ReleaseAllOfARankPurgeAndClear) {
    LockTable t;
    Log log;
    std::vector<LockTable::Answer> g;
    t.acquire(log.req(0, 1, X, 0, 10), &g);
    t.acquire(log.req(0, 2, X, 100, 110), &g);
    t.acquire(log.req(1, 1, X, 0, 200), &g);  // waits for both of rank 0's
    run(g);
    t.release(0, 0, &g);  // close: everything of rank 0
    run(g);
    EXPECT_EQ(log.events.back(), "1:1");
    // A dead holder's locks are dropped and the waiter behind it granted.
    t.acquire(log.req(2, 1, S, 0, 10), &g);
    run(g);
    EXPECT_EQ(log.events.back(), "1:1");
    t.purge([](int r) { return r == 1; }, &g);
    run(g);
    EXPECT_EQ(log.events.back(), "2:1");
    // Clear (the file's close): waiters get an errno.
    t.acquire(log.req(3, 1, X, 0, 10), &g);
    t.clear(&g);
    run(g, 2);
    EXPECT_EQ(log.events.back(), "3:1!2");
    EXPECT_EQ(t.held() + t.waiting(), 0u);
}

}  // namespace
