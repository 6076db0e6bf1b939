// Case 'nonblocking_collective' of pfs-mpiio-test: i*_all calls are really nonblocking. Each
// rank starts them and only then lets the next rank go (a message chain), which deadlocks when
// the collective is done inside the call; several of them in flight at once; one rank's bad
// argument fails its call and the others' requests; a blocking collective right after an
// un-waited one. A watchdog turns a hang into a failed case (with the step it hung in).
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mpiio_test_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Ends the rank (and with it the job) when a step takes longer than `limit`: without it a
// deadlock would only end at the script's watchdog, with no word on where it stood.
class Watchdog {
  public:
    Watchdog(int rank, std::chrono::seconds limit) : rank_(rank), limit_(limit) {
        step("start");
        th_ = std::thread([this] { watch(); });
    }
    ~Watchdog() {
        {
            std::lock_guard lk(mu_);
            done_ = true;
        }
        cv_.notify_all();
        th_.join();
    }
    void step(const char* what) {
        std::lock_guard lk(mu_);
        what_ = what;
        deadline_ = Clock::now() + limit_;
    }

  private:
    void watch() {
        std::unique_lock lk(mu_);
        while (!done_) {
            if (Clock::now() >= deadline_) {
                std::fprintf(stderr,
                             "MPIIO-TEST nonblocking_collective rank %d FAIL: no progress for "
                             "%lld s in step '%s' (hung)\n",
                             rank_, static_cast<long long>(limit_.count()), what_);
                std::fflush(stderr);
                std::_Exit(3);
            }
            cv_.wait_until(lk, deadline_);
        }
    }
    int rank_;
    std::chrono::seconds limit_;
    std::mutex mu_;
    std::condition_variable cv_;
    const char* what_ = "";
    Clock::time_point deadline_;
    bool done_ = false;
    std::thread th_;
};

constexpr int kN = 4096;                         // ints per block
constexpr MPI_Offset kBlock = kN * sizeof(int);  // bytes per block

int value(int tag, int rank, int i) {
    return tag * 1000000 + rank * 100000 + i;
}
std::vector<int> block_of(int tag, int rank, int n = kN) {
    std::vector<int> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = value(tag, rank, i);
    return v;
}

struct Ctx {
    mpiio_test::Checker& ck;
    MPI_Comm app;
    int rank, size;
    MPI_File fh;
    Watchdog& wd;
    // Byte offset of region k (one block per rank, rank order; `width` blocks per rank).
    MPI_Offset region(int k) const { return static_cast<MPI_Offset>(k) * size * kBlock * 2; }
    MPI_Offset block(int k, int r, int width = 1) const { return region(k) + r * kBlock * width; }
    int next() const { return (rank + 1) % size; }
};

// Rank 0 starts the call, then sends to rank 1, which receives and only then starts it, and so
// on: a rank is inside a started collective while the next one has not started it yet.
void chain(Ctx& c, const std::function<int(MPI_Request*)>& start, MPI_Request* rq) {
    int token = 0;
    if (c.rank > 0) MPI_Recv(&token, 1, MPI_INT, c.rank - 1, 41, c.app, MPI_STATUS_IGNORE);
    EXPECT_OK(c.ck, start(rq));
    if (c.rank + 1 < c.size) MPI_Send(&token, 1, MPI_INT, c.rank + 1, 41, c.app);
}

void expect_count(Ctx& c, MPI_Status& st, int want) {
    int cnt = -1;
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(c.ck, cnt == want);
}

// Every rank reads all blocks of region k independently and compares them with `tag`.
void verify_region(Ctx& c, int k, int tag, int width = 1) {
    MPI_Barrier(c.app);
    std::vector<int> got(static_cast<std::size_t>(kN * width));
    for (int r = 0; r < c.size; ++r) {
        MPI_Status st;
        EXPECT_OK(c.ck, MPI_File_read_at(c.fh, c.block(k, r, width), got.data(), kN * width,
                                         MPI_INT, &st));
        if (got != block_of(tag, r, kN * width))
            c.ck.fail(__FILE__, __LINE__,
                      "region " + std::to_string(k) + " block of rank " + std::to_string(r) +
                          " is not tag " + std::to_string(tag));
    }
}

// (a) The four calls, each started along the message chain.
void started_along_a_chain(Ctx& c) {
    MPI_Request rq;
    MPI_Status st;
    MPI_Offset pos = -1;
    c.wd.step("iwrite_at_all along the chain");
    auto w0 = block_of(1, c.rank);
    chain(
        c,
        [&](MPI_Request* r) {
            return MPI_File_iwrite_at_all(c.fh, c.block(0, c.rank), w0.data(), kN, MPI_INT, r);
        },
        &rq);
    EXPECT_OK(c.ck, MPI_Wait(&rq, &st));
    expect_count(c, st, kN);

    c.wd.step("iwrite_all along the chain");
    auto w1 = block_of(2, c.rank);
    EXPECT_OK(c.ck, MPI_File_seek(c.fh, c.block(1, c.rank), MPI_SEEK_SET));
    chain(
        c, [&](MPI_Request* r) { return MPI_File_iwrite_all(c.fh, w1.data(), kN, MPI_INT, r); },
        &rq);
    EXPECT_OK(c.ck, MPI_File_get_position(c.fh, &pos));  // moved when the call started
    EXPECT_TRUE(c.ck, pos == c.block(1, c.rank) + kBlock);
    EXPECT_OK(c.ck, MPI_Wait(&rq, &st));
    expect_count(c, st, kN);
    c.wd.step("verify the chain's writes");
    verify_region(c, 0, 1);
    verify_region(c, 1, 2);

    c.wd.step("iread_at_all along the chain");
    std::vector<int> got(kN, 0);
    chain(
        c,
        [&](MPI_Request* r) {
            return MPI_File_iread_at_all(c.fh, c.block(0, c.next()), got.data(), kN, MPI_INT, r);
        },
        &rq);
    EXPECT_OK(c.ck, MPI_Wait(&rq, &st));
    expect_count(c, st, kN);
    EXPECT_TRUE(c.ck, got == block_of(1, c.next()));

    c.wd.step("iread_all along the chain");
    std::fill(got.begin(), got.end(), 0);
    EXPECT_OK(c.ck, MPI_File_seek(c.fh, c.block(1, c.next()), MPI_SEEK_SET));
    chain(
        c, [&](MPI_Request* r) { return MPI_File_iread_all(c.fh, got.data(), kN, MPI_INT, r); },
        &rq);
    EXPECT_OK(c.ck, MPI_Wait(&rq, &st));
    expect_count(c, st, kN);
    EXPECT_TRUE(c.ck, got == block_of(2, c.next()));
    EXPECT_OK(c.ck, MPI_File_get_position(c.fh, &pos));
    EXPECT_TRUE(c.ck, pos == c.block(1, c.next()) + kBlock);
}

// (b) Four i*_all of each kind in flight at once, completed by one MPI_Waitall.
void several_in_flight(Ctx& c) {
    c.wd.step("4 writes in flight");
    MPI_Request rq[4];
    MPI_Status st[4];
    MPI_Offset pos = -1;
    auto a = block_of(3, c.rank), p = block_of(4, c.rank, 2 * kN), b = block_of(6, c.rank);
    EXPECT_OK(c.ck, MPI_File_seek(c.fh, c.block(4, c.rank, 2), MPI_SEEK_SET));
    EXPECT_OK(c.ck,
              MPI_File_iwrite_at_all(c.fh, c.block(3, c.rank), a.data(), kN, MPI_INT, &rq[0]));
    EXPECT_OK(c.ck, MPI_File_iwrite_all(c.fh, p.data(), kN, MPI_INT, &rq[1]));
    EXPECT_OK(c.ck, MPI_File_iwrite_all(c.fh, p.data() + kN, kN, MPI_INT, &rq[2]));
    EXPECT_OK(c.ck,
              MPI_File_iwrite_at_all(c.fh, c.block(6, c.rank), b.data(), kN, MPI_INT, &rq[3]));
    EXPECT_OK(c.ck, MPI_File_get_position(c.fh, &pos));
    EXPECT_TRUE(c.ck, pos == c.block(4, c.rank, 2) + 2 * kBlock);
    EXPECT_OK(c.ck, MPI_Waitall(4, rq, st));
    for (auto& s : st) expect_count(c, s, kN);
    c.wd.step("verify the writes in flight");
    verify_region(c, 3, 3);
    verify_region(c, 4, 4, 2);
    verify_region(c, 6, 6);

    c.wd.step("4 reads in flight");
    std::vector<int> ga(kN, 0), gp(2 * kN, 0), gb(kN, 0);
    EXPECT_OK(c.ck, MPI_File_seek(c.fh, c.block(4, c.next(), 2), MPI_SEEK_SET));
    EXPECT_OK(c.ck,
              MPI_File_iread_at_all(c.fh, c.block(3, c.next()), ga.data(), kN, MPI_INT, &rq[0]));
    EXPECT_OK(c.ck, MPI_File_iread_all(c.fh, gp.data(), kN, MPI_INT, &rq[1]));
    EXPECT_OK(c.ck, MPI_File_iread_all(c.fh, gp.data() + kN, kN, MPI_INT, &rq[2]));
    EXPECT_OK(c.ck,
              MPI_File_iread_at_all(c.fh, c.block(6, c.next()), gb.data(), kN, MPI_INT, &rq[3]));
    EXPECT_OK(c.ck, MPI_File_get_position(c.fh, &pos));
    EXPECT_TRUE(c.ck, pos == c.block(4, c.next(), 2) + 2 * kBlock);
    EXPECT_OK(c.ck, MPI_Waitall(4, rq, st));
    for (auto& s : st) expect_count(c, s, kN);
    EXPECT_TRUE(c.ck, ga == block_of(3, c.next()));
    EXPECT_TRUE(c.ck, gp == block_of(4, c.next(), 2 * kN));
    EXPECT_TRUE(c.ck, gb == block_of(6, c.next()));
    EXPECT_OK(c.ck, MPI_File_get_position(c.fh, &pos));
    EXPECT_TRUE(c.ck, pos == c.block(4, c.next(), 2) + 2 * kBlock);
}

// (c) Rank 1 passes a negative count: its call fails at once with MPI_ERR_COUNT, the other
// ranks' requests complete with that class, nothing is written, the file stays usable.
void bad_argument_on_one_rank(Ctx& c) {
    c.wd.step("bad count on rank 1");
    const int bad = 1;
    auto old = block_of(7, c.rank), fresh = block_of(70, c.rank);
    EXPECT_OK(c.ck, MPI_File_write_at_all(c.fh, c.block(7, c.rank), old.data(), kN, MPI_INT,
                                          MPI_STATUS_IGNORE));
    for (int individual = 0; individual < 2; ++individual) {
        const int n = c.rank == bad ? -1 : kN;
        MPI_Request rq = MPI_REQUEST_NULL;
        MPI_Offset before = -1, after = -1;
        EXPECT_OK(c.ck, MPI_File_seek(c.fh, c.block(7, c.rank), MPI_SEEK_SET));
        EXPECT_OK(c.ck, MPI_File_get_position(c.fh, &before));
        const int rc = individual ? MPI_File_iwrite_all(c.fh, fresh.data(), n, MPI_INT, &rq)
                                  : MPI_File_iwrite_at_all(c.fh, c.block(7, c.rank), fresh.data(),
                                                           n, MPI_INT, &rq);
        EXPECT_OK(c.ck, MPI_File_get_position(c.fh, &after));
        int cls = MPI_SUCCESS;
        if (c.rank == bad) {
            MPI_Error_class(rc, &cls);
            EXPECT_TRUE(c.ck, cls == MPI_ERR_COUNT);
            EXPECT_TRUE(c.ck, after == before);  // a failed call does not move the pointer
        } else {
            EXPECT_OK(c.ck, rc);
            // The pointer moved at the start, as it must before the outcome is known.
            EXPECT_TRUE(c.ck, after == before + (individual ? kBlock : 0));
            MPI_Status st;
            const int wrc = MPI_Wait(&rq, &st);
            MPI_Error_class(wrc, &cls);
            if (cls != MPI_ERR_COUNT)
                c.ck.fail(__FILE__, __LINE__,
                          "request of a good rank completed with " + mpiio_test::class_name(wrc) +
                              ", expected MPI_ERR_COUNT");
            if (rq != MPI_REQUEST_NULL) MPI_Request_free(&rq);  // kept by MPI_Wait's error
        }
    }
    c.wd.step("file usable after the bad count");
    verify_region(c, 7, 7);
    auto again = block_of(8, c.rank);
    MPI_Request rq;
    EXPECT_OK(c.ck,
              MPI_File_iwrite_at_all(c.fh, c.block(8, c.rank), again.data(), kN, MPI_INT, &rq));
    EXPECT_OK(c.ck, MPI_Wait(&rq, MPI_STATUS_IGNORE));
    verify_region(c, 8, 8);
}

// (d) A blocking write_all, then other collectives, while an iwrite_all is still queued: they
// wait for it (the file's communicator is used by one thread at a time).
void blocking_after_unwaited(Ctx& c) {
    c.wd.step("write_all after an un-waited iwrite_all");
    MPI_Request rq;
    MPI_Status st;
    auto a = block_of(9, c.rank), b = block_of(10, c.rank);
    EXPECT_OK(c.ck, MPI_File_seek(c.fh, c.block(9, c.rank), MPI_SEEK_SET));
    EXPECT_OK(c.ck, MPI_File_iwrite_all(c.fh, a.data(), kN, MPI_INT, &rq));
    EXPECT_OK(c.ck, MPI_File_seek(c.fh, c.block(10, c.rank), MPI_SEEK_SET));
    EXPECT_OK(c.ck, MPI_File_write_all(c.fh, b.data(), kN, MPI_INT, &st));
    expect_count(c, st, kN);
    EXPECT_OK(c.ck, MPI_Wait(&rq, &st));
    expect_count(c, st, kN);
    verify_region(c, 9, 9);
    verify_region(c, 10, 10);
    c.wd.step("sync and set_view after un-waited i*_all");
    std::vector<int> got(kN, 0);
    EXPECT_OK(c.ck,
              MPI_File_iread_at_all(c.fh, c.block(9, c.next()), got.data(), kN, MPI_INT, &rq));
    EXPECT_OK(c.ck, MPI_File_sync(c.fh));
    EXPECT_OK(c.ck, MPI_File_set_view(c.fh, 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL));
    EXPECT_OK(c.ck, MPI_Wait(&rq, MPI_STATUS_IGNORE));
    EXPECT_TRUE(c.ck, got == block_of(9, c.next()));
}

}  // namespace

namespace mpiio_test {

void case_nonblocking_collective(Checker& ck, MPI_Comm app) {
    int rank = 0, size = 1;
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &size);
    Watchdog wd(rank, std::chrono::seconds(30));
    // Two-phase forced with small rounds, so the queued calls run the whole exchange.
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "romio_cb_write", "enable");
    MPI_Info_set(info, "romio_cb_read", "enable");
    MPI_Info_set(info, "cb_buffer_size", "16384");
    MPI_File fh = MPI_FILE_NULL;
    EXPECT_OK(ck, MPI_File_open(app, "pfs:/nbcoll", MPI_MODE_CREATE | MPI_MODE_RDWR, info, &fh));
    MPI_Info_free(&info);
    if (fh == MPI_FILE_NULL) return;
    Ctx c{ck, app, rank, size, fh, wd};
    started_along_a_chain(c);
    several_in_flight(c);
    bad_argument_on_one_rank(c);
    blocking_after_unwaited(c);
    wd.step("close");
    EXPECT_OK(ck, MPI_File_close(&fh));
    MPI_Barrier(app);
    if (rank == 0) EXPECT_OK(ck, MPI_File_delete("pfs:/nbcoll", MPI_INFO_NULL));
}

}  // namespace mpiio_test
