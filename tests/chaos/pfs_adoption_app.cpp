// pfs-adoption-app: the compute program of the volume-adoption chaos tests (tests/chaos/
// *_rank_sigkill*.sh). The script SIGKILLs a meta or data rank while this program runs; it
// checks that I/O continues on the adopter and that no acknowledged write is lost.
//
//   --case io        every compute rank writes its own file striped over every data server
//                    (64 KiB stripes), 128 KiB per round at increasing offsets, reading the
//                    previous round back each time. After --warmup rounds it creates
//                    <run dir>/adopt-ready.<rank>; the script then kills the victim. The rank
//                    goes on until its job has completed a recovery (Job::recoveries) and then
//                    --after more rounds, then fsyncs, re-reads the whole file and checks
//                    every acknowledged byte, and records the round count in /adopt/count.<r>.
//   --case namespace the same, but a round is namespace work: create a file, write 4 KiB,
//                    stat it, link/unlink, symlink/unlink, mkdir/rmdir a scratch name, rename
//                    the file, and readdir checks every earlier name.
//   --case remove    the same, but a round writes a file striped over every data server and
//                    unlinks it: unlink does not wait for the object removals, so some are
//                    outstanding at the victim when it dies. At the end the rank collects its
//                    removals (finish_removals) and checks that no object of any unlinked file
//                    is left in any volume directory, the adopted one included.
//   --case verify    a later job on the same volumes: every file and byte of an earlier io
//                    (and namespace) job is there.
// Any error is fatal: "PFS-ADOPT FAIL ..." and the job ends with code 1. On success every rank
// prints "PFS-ADOPT <case> rank R PASS rounds N ..." with its timings.
#include <fcntl.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"
#include "pfs/data/direct_access.hpp"

namespace {

using Clock = std::chrono::steady_clock;
mpi_tools::Job* g_job = nullptr;
std::string g_case;
int g_rank = 0;  // app rank

constexpr std::size_t kRound = 128 << 10;

[[noreturn]] void fail(int line, const std::string& what) {
    const std::string msg = "PFS-ADOPT FAIL " + g_case + " (app rank " + std::to_string(g_rank) +
                            ", line " + std::to_string(line) + "): " + what;
    std::fprintf(stderr, "%s\n", msg.c_str());
    std::fflush(stderr);
    g_job->abort(1, msg);
}
#define CHECK(c) \
    if (!(c)) fail(__LINE__, #c)
template <class R>
R check_ok(R r, int line, const char* what) {
    if (!r) fail(line, std::string(what) + ": " + std::strerror(r.error()));
    return r;
}
// VAL(expr): the Result, after failing the job on an error; OK(expr): the same as a statement.
#define VAL(expr) check_ok((expr), __LINE__, #expr)
#define OK(expr) (void)check_ok((expr), __LINE__, #expr)

std::byte pattern(int rank, std::uint64_t off) {
    return static_cast<std::byte>((off * 131 + off / 4093 + static_cast<unsigned>(rank) * 17) &
                                  0xff);
}

void fill(std::vector<std::byte>& b, int rank, std::uint64_t off) {
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = pattern(rank, off + i);
}

bool matches(const std::vector<std::byte>& b, int rank, std::uint64_t off, std::size_t* bad) {
    for (std::size_t i = 0; i < b.size(); ++i)
        if (b[i] != pattern(rank, off + i)) {
            *bad = off + i;
            return false;
        }
    return true;
}

std::string data_path(int r) {
    return "/adopt/data." + std::to_string(r);
}
std::string ns_dir(int r) {
    return "/adopt/ns." + std::to_string(r);
}
std::string count_path(int r, const std::string& what) {
    return "/adopt/count." + what + "." + std::to_string(r);
}

void mark_ready() {
    std::ofstream(g_job->run_dir() + "/adopt-ready." + std::to_string(g_rank)) << "ready\n";
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct Timing {
    std::vector<double> before, after;  // round durations (ms) before/after the ready mark
    double slowest_end_unix = 0;        // wall clock at the end of the slowest round after it
    double median_before() const {
        auto v = before;
        if (v.empty()) return 0;
        std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
        return v[v.size() / 2];
    }
    double max_after() const {
        return after.empty() ? 0 : *std::max_element(after.begin(), after.end());
    }
};

// Runs round(i) until warmup rounds are done (then marks ready), then until a recovery has
// completed on this rank and `after` more rounds ran. Returns the number of rounds.
template <class F>
int run_rounds(int warmup, int after, int max_seconds, Timing* t, F round) {
    const auto stop_at = Clock::now() + std::chrono::seconds(max_seconds);
    int i = 0, after_recovery = -1;
    for (;; ++i) {
        const auto t0 = Clock::now();
        round(i);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (i >= warmup && ms > t->max_after()) t->slowest_end_unix = unix_now();
        (i < warmup ? t->before : t->after).push_back(ms);
        if (i + 1 == warmup) mark_ready();
        if (after_recovery < 0 && g_job->recoveries() > 0) after_recovery = i;
        if (after_recovery >= 0 && i - after_recovery >= after) break;
        if (Clock::now() > stop_at) fail(__LINE__, "no recovery within the time limit");
    }
    return i + 1;
}

void record_count(pfs::client::Client& c, const std::string& what, int rounds) {
    const auto s = std::to_string(rounds);
    int fd = *VAL(c.open(count_path(g_rank, what), O_CREAT | O_WRONLY | O_TRUNC));
    CHECK(*VAL(c.pwrite(fd, s.data(), s.size(), 0)) == s.size());
    OK(c.fsync(fd));
    OK(c.close(fd));
}

int read_count(pfs::client::Client& c, const std::string& what) {
    int fd = *VAL(c.open(count_path(g_rank, what), O_RDONLY));
    char buf[32] = {};
    OK(c.pread(fd, buf, sizeof(buf) - 1, 0));
    OK(c.close(fd));
    return std::atoi(buf);
}

void verify_file(pfs::client::Client& c, int rounds) {
    int fd = *VAL(c.open(data_path(g_rank), O_RDONLY));
    CHECK(VAL(c.fstat(fd))->size == static_cast<std::uint64_t>(rounds) * kRound);
    std::vector<std::byte> b(kRound);
    for (int i = 0; i < rounds; ++i) {
        CHECK(*VAL(c.pread(fd, b.data(), b.size(), static_cast<std::int64_t>(i) * kRound)) ==
              kRound);
        std::size_t bad = 0;
        if (!matches(b, g_rank, static_cast<std::uint64_t>(i) * kRound, &bad))
            fail(__LINE__, "byte " + std::to_string(bad) + " of round " + std::to_string(i) +
                               " reads back wrong");
    }
    OK(c.close(fd));
}

std::string ns_name(int i, bool renamed) {
    return ns_dir(g_rank) + (renamed ? "/r" : "/n") + std::to_string(i);
}

void verify_namespace(pfs::client::Client& c, int rounds) {
    auto entries = *VAL(c.readdir(ns_dir(g_rank)));
    CHECK(entries.size() == static_cast<std::size_t>(rounds) + 2);  // . and ..
    std::vector<std::byte> b(4096);
    for (int i = 0; i < rounds; ++i) {
        CHECK(c.stat(ns_name(i, false)).error() == ENOENT);
        auto a = VAL(c.stat(ns_name(i, true)));
        CHECK(a->size == 4096);
        int fd = *VAL(c.open(ns_name(i, true), O_RDONLY));
        CHECK(*VAL(c.pread(fd, b.data(), b.size(), 0)) == 4096);
        std::size_t bad = 0;
        CHECK(matches(b, g_rank, static_cast<std::uint64_t>(i) << 20, &bad));
        OK(c.close(fd));
    }
}

void case_io(pfs::client::Client& c, int warmup, int after, int max_s) {
    pfs::LayoutHint h;
    h.stripe_size = 64 << 10;  // every data server in every round
    int fd = *VAL(c.open(data_path(g_rank), O_CREAT | O_RDWR | O_TRUNC, 0644, h));
    std::vector<std::byte> w(kRound), r(kRound);
    Timing t;
    const int rounds = run_rounds(warmup, after, max_s, &t, [&](int i) {
        const std::uint64_t off = static_cast<std::uint64_t>(i) * kRound;
        fill(w, g_rank, off);
        CHECK(*VAL(c.pwrite(fd, w.data(), w.size(), static_cast<std::int64_t>(off))) == kRound);
        if (i > 0) {
            const std::uint64_t prev = off - kRound;
            CHECK(*VAL(c.pread(fd, r.data(), r.size(), static_cast<std::int64_t>(prev))) == kRound);
            std::size_t bad = 0;
            if (!matches(r, g_rank, prev, &bad))
                fail(__LINE__, "read-back of round " + std::to_string(i - 1) + " wrong at byte " +
                                   std::to_string(bad));
        }
    });
    OK(c.fsync(fd));
    OK(c.close(fd));
    verify_file(c, rounds);
    record_count(c, "io", rounds);
    std::printf(
        "PFS-ADOPT io rank %d PASS rounds %d verified %zu bytes; round ms: median before "
        "kill %.2f, max after %.1f ending at %.6f\n",
        g_rank, rounds, static_cast<std::size_t>(rounds) * kRound, t.median_before(), t.max_after(),
        t.slowest_end_unix);
}

void case_namespace(pfs::client::Client& c, int warmup, int after, int max_s) {
    OK(c.mkdir(ns_dir(g_rank), 0755));
    std::vector<std::byte> w(4096);
    Timing t;
    const int rounds = run_rounds(warmup, after, max_s, &t, [&](int i) {
        fill(w, g_rank, static_cast<std::uint64_t>(i) << 20);
        int fd = *VAL(c.open(ns_name(i, false), O_CREAT | O_WRONLY | O_EXCL));
        CHECK(*VAL(c.pwrite(fd, w.data(), w.size(), 0)) == w.size());
        OK(c.close(fd));
        CHECK(VAL(c.stat(ns_name(i, false)))->size == 4096);
        // Every other kind of namespace change, leaving no trace: a retried one that the dead
        // meta rank had committed must still succeed (reply cache), not fail EEXIST/ENOENT.
        const std::string extra = ns_dir(g_rank) + "/x" + std::to_string(i);
        OK(c.link(ns_name(i, false), extra));
        OK(c.unlink(extra));
        OK(c.symlink(ns_name(i, false), extra));
        OK(c.unlink(extra));
        OK(c.mkdir(extra, 0755));
        OK(c.rmdir(extra));
        OK(c.rename(ns_name(i, false), ns_name(i, true)));
    });
    verify_namespace(c, rounds);
    record_count(c, "ns", rounds);
    std::printf(
        "PFS-ADOPT namespace rank %d PASS rounds %d; round ms: median before kill %.2f, "
        "max after %.1f ending at %.6f\n",
        g_rank, rounds, t.median_before(), t.max_after(), t.slowest_end_unix);
}

// Where a data volume keeps an object.
std::filesystem::path object_path(std::uint32_t volume, const pfs::Attr& a) {
    return std::filesystem::path(g_job->root()) / ("data-" + std::to_string(volume)) /
           pfs::data::object_relpath(pfs::ObjectId{a.ino, a.gen});
}

void case_remove(pfs::client::Client& c, int warmup, int after, int max_s) {
    pfs::LayoutHint h;
    h.stripe_size = 64 << 10;  // kRound covers every data server
    std::vector<std::byte> w(kRound);
    std::vector<pfs::Attr> unlinked;
    Timing t;
    const int rounds = run_rounds(warmup, after, max_s, &t, [&](int i) {
        const std::string p = "/adopt/rm." + std::to_string(g_rank) + "." + std::to_string(i);
        fill(w, g_rank, static_cast<std::uint64_t>(i) * kRound);
        int fd = *VAL(c.open(p, O_CREAT | O_RDWR | O_EXCL, 0644, h));
        CHECK(*VAL(c.pwrite(fd, w.data(), w.size(), 0)) == kRound);
        const pfs::Attr a = *VAL(c.fstat(fd));
        OK(c.close(fd));
        OK(c.unlink(p));
        unlinked.push_back(a);
    });
    c.finish_removals();
    std::size_t left = 0;
    for (const auto& a : unlinked)
        for (std::uint32_t v = 0; v < c.data_servers(); ++v)
            if (std::filesystem::exists(object_path(v, a))) {
                if (left++ == 0)
                    std::fprintf(stderr, "object left behind: %s\n", object_path(v, a).c_str());
            }
    if (left != 0)
        fail(__LINE__, std::to_string(left) + " objects of unlinked files are left behind");
    std::printf(
        "PFS-ADOPT remove rank %d PASS rounds %d, %zu files unlinked, no object left; round ms: "
        "median before kill %.2f, max after %.1f ending at %.6f\n",
        g_rank, rounds, unlinked.size(), t.median_before(), t.max_after(), t.slowest_end_unix);
}

void case_verify(pfs::client::Client& c) {
    int checked = 0;
    if (c.stat(count_path(g_rank, "io"))) {
        const int n = read_count(c, "io");
        CHECK(n > 0);
        verify_file(c, n);
        checked += n;
    }
    if (c.stat(count_path(g_rank, "ns"))) {
        const int n = read_count(c, "ns");
        CHECK(n > 0);
        verify_namespace(c, n);
        checked += n;
    }
    CHECK(checked > 0);
    std::printf("PFS-ADOPT verify rank %d PASS rounds %d\n", g_rank, checked);
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    dmapi::events::start(job);
    g_job = &job;
    MPI_Comm_rank(job.app_comm(), &g_rank);
    int warmup = 20, after = 20, max_s = 90;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--case")
            g_case = argv[i + 1];
        else if (k == "--warmup")
            warmup = std::atoi(argv[i + 1]);
        else if (k == "--after")
            after = std::atoi(argv[i + 1]);
        else if (k == "--max-seconds")
            max_s = std::atoi(argv[i + 1]);
    }
    pfs::client::Client c(job);
    if (c.connect_error() != 0) fail(__LINE__, "servers not reachable");
    // Which data path the scenario exercises (PFS_CLIENT_DIRECT_IO).
    std::printf("PFS-ADOPT %s rank %d direct volumes %u of %u\n", g_case.c_str(), g_rank,
                c.direct_volumes(), c.data_servers());
    if (g_rank == 0 && g_case != "verify") {
        auto m = c.mkdir("/adopt", 0755);
        CHECK(m || m.error() == EEXIST);
    }
    MPI_Barrier(job.app_comm());  // compute ranks never die in these tests
    if (g_case == "io")
        case_io(c, warmup, after, max_s);
    else if (g_case == "namespace")
        case_namespace(c, warmup, after, max_s);
    else if (g_case == "remove")
        case_remove(c, warmup, after, max_s);
    else if (g_case == "verify")
        case_verify(c);
    else
        fail(__LINE__, "unknown --case " + g_case);
    std::fflush(stdout);
    job.finish(0);
}
