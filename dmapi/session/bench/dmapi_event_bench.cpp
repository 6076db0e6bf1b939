// dmapi-event-bench: DMAPI event cost between two ranks of one job, beside its baseline.
//   - MPI ping-pong round trip (the same message size) between world ranks 0 and 1, measured
//     first in the same run (Isend/Irecv + test loops on the application communicator);
//   - synchronous user event round trip: rank 1 dm_send_msg(SYNC) -> session on rank 0, whose DM
//     thread receives it (dm_get_events DM_EV_WAIT) and responds CONTINUE; p50/p99 in us;
//   - asynchronous user events: rank 1 sends N, throughput at the source (until every event is
//     acknowledged as queued) and at the DM application (first to last received).
// Prints a table and writes JSON (--json). Run: pfs-run --plain 2 -- dmapi-event-bench.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "dmapi/core/node.hpp"
#include "mpi_tools/job.hpp"

using namespace dmapi::core;
using Clock = std::chrono::steady_clock;
namespace ft = mpi_tools::ft;

namespace {

struct Stats {
    double p50 = 0, p99 = 0, mean = 0, min = 0;
    int count = 0;
};

Stats stats_of(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.count = static_cast<int>(v.size());
    s.p50 = v[v.size() / 2];
    s.p99 =
        v[std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(v.size()) * 0.99))];
    s.min = v.front();
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    return s;
}

// Resident set of this process in KiB (memory growth over many events).
long rss_kib() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    std::fclose(f);
    return kib;
}

double us_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// Waits for req with a test loop (no blocking MPI call on a peer that may die).
void test_wait(MPI_Request* req) {
    int done = 0;
    while (!done) MPI_Test(req, &done, MPI_STATUS_IGNORE);
}

std::vector<double> pingpong(MPI_Comm comm, int me, int iters, int size) {
    std::vector<char> buf(static_cast<std::size_t>(std::max(size, 1)));
    std::vector<double> rtt;
    for (int i = 0; i < iters; ++i) {
        MPI_Request r;
        if (me == 1) {
            auto t0 = Clock::now();
            MPI_Isend(buf.data(), size, MPI_BYTE, 0, 7, comm, &r);
            test_wait(&r);
            MPI_Irecv(buf.data(), size, MPI_BYTE, 0, 7, comm, &r);
            test_wait(&r);
            rtt.push_back(us_since(t0));
        } else if (me == 0) {
            MPI_Irecv(buf.data(), size, MPI_BYTE, 1, 7, comm, &r);
            test_wait(&r);
            MPI_Isend(buf.data(), size, MPI_BYTE, 1, 7, comm, &r);
            test_wait(&r);
        }
    }
    return rtt;
}

// {"mpi_pingpong_us": [...], "sync_rtt_us": [...]}: the raw round trips, in order measured.
void write_samples(const std::string& path, const std::vector<double>& mpi,
                   const std::vector<double>& sync) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) return;
    auto arr = [&](const char* k, const std::vector<double>& v, const char* tail) {
        std::fprintf(f, "\"%s\": [", k);
        for (std::size_t i = 0; i < v.size(); ++i) std::fprintf(f, "%s%.3f", i ? "," : "", v[i]);
        std::fprintf(f, "]%s", tail);
    };
    std::fprintf(f, "{");
    arr("mpi_pingpong_us", mpi, ", ");
    arr("sync_rtt_us", sync, "}\n");
    std::fclose(f);
}

struct Result {  // what rank 1 measured and what rank 0's DM thread measured
    Stats mpi, sync;
    double async_source_s = 0, async_dm_s = 0;
    long long async_events = 0, lost = 0, busy_retries = 0;
    long rss_10pct_kib = 0, rss_end_kib = 0;  // after 10% of the async events, and at the end
};

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    int iters = 2000, warmup = 100, size = 64;
    long long async_n = 100000;
    std::string json_path, samples_path;
    CLI::App cli{"dmapi-event-bench"};
    cli.add_option("--iters", iters, "synchronous round trips (and ping-pongs) measured");
    cli.add_option("--warmup", warmup, "round trips before measuring");
    cli.add_option("--async", async_n, "asynchronous events sent");
    cli.add_option("--size", size, "payload bytes per message (<= 3960)");
    cli.add_option("--json", json_path, "write the results here as JSON");
    cli.add_option("--samples", samples_path,
                   "rank 1 writes every round trip (us) here as JSON, for latency CDFs "
                   "(benchmarks/bench_convert.py)");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (job.rank() == 0) cli.exit(e);
        job.finish(2);
    }
    const int me = job.rank();
    if (job.size() < 2 || size < 0 || size > static_cast<int>(kMaxMsgData) || iters < 1) {
        if (me == 0)
            std::fprintf(stderr, "dmapi-event-bench: needs >= 2 ranks, 0 <= size <= 3960\n");
        job.finish(2);
    }
    auto& n = Node::start(job);

    // 1. Baseline.
    pingpong(job.app_comm(), me, warmup, size);
    auto mpi_rtt = pingpong(job.app_comm(), me, iters, size);

    // 2. Session and DM thread on rank 0.
    const long long expect = warmup + iters + async_n + 1;
    std::atomic<long long> got_async{0};
    Clock::time_point first_async{}, last_async{};
    long rss_10pct = 0;
    std::thread dm;
    dm_sessid_t sid = DM_NO_SESSION;
    if (me == 0) {
        if (n.create_session(DM_NO_SESSION, "bench", &sid) != 0) job.finish(1);
        dm = std::thread([&] {
            alignas(8) static char buf[1 << 20];
            long long seen = 0;
            while (seen < expect) {
                std::size_t rlen = 0;
                if (n.get_events(sid, 0, DM_EV_WAIT, sizeof buf, buf, &rlen) != 0) return;
                for (auto* m = reinterpret_cast<dm_eventmsg_t*>(buf); m;
                     m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*)) {
                    ++seen;
                    if (m->ev_token == DM_INVALID_TOKEN) {
                        if (got_async == async_n / 10) rss_10pct = rss_kib();
                        if (got_async++ == 0) first_async = Clock::now();
                        last_async = Clock::now();
                    } else {
                        n.respond_event(sid, m->ev_token, DM_RESP_CONTINUE, 0);
                    }
                }
            }
        });
    }
    job.ft().barrier(ft::after(std::chrono::seconds(60)));
    if (me == 1) {
        dm_sessid_t sids[16];
        unsigned cnt = 0;
        n.getall_sessions(16, sids, &cnt);
        sid = cnt ? sids[0] : DM_NO_SESSION;
    }

    Result res;
    if (me == 1) {
        std::vector<char> payload(static_cast<std::size_t>(size), 'e');
        for (int i = 0; i < warmup; ++i)
            n.send_msg(sid, DM_MSGTYPE_SYNC, payload.size(), payload.data());
        std::vector<double> rtt;
        rtt.reserve(static_cast<std::size_t>(iters));
        for (int i = 0; i < iters; ++i) {
            auto t0 = Clock::now();
            int rc = n.send_msg(sid, DM_MSGTYPE_SYNC, payload.size(), payload.data());
            rtt.push_back(us_since(t0));
            if (rc != 0) {
                std::fprintf(stderr, "dmapi-event-bench: send_msg rc=%d\n", rc);
                job.finish(1);
            }
        }
        auto t0 = Clock::now();
        for (long long i = 0; i < async_n; ++i) {
            if (i == async_n / 10) res.rss_10pct_kib = rss_kib();
            n.send_msg(sid, DM_MSGTYPE_ASYNC, payload.size(), payload.data());
        }
        res.lost = static_cast<long long>(n.flush_async());
        res.async_source_s = us_since(t0) / 1e6;
        n.send_msg(sid, DM_MSGTYPE_SYNC, 3, "end");  // after every async event in the queue
        res.mpi = stats_of(mpi_rtt);
        res.sync = stats_of(rtt);
        if (!samples_path.empty()) write_samples(samples_path, mpi_rtt, rtt);
        res.async_events = async_n;
        res.busy_retries = static_cast<long long>(n.stats().busy_retries.load());
        res.rss_end_kib = rss_kib();
    }
    if (me == 0) {
        dm.join();
        res.async_dm_s = std::chrono::duration<double>(last_async - first_async).count();
        res.rss_10pct_kib = rss_10pct;
        res.rss_end_kib = rss_kib();
    }
    // Rank 1's numbers to rank 0 (failure-aware gather over the ctrl channel).
    std::vector<std::byte> mine(sizeof(Result));
    std::memcpy(mine.data(), &res, sizeof res);
    std::vector<std::pair<int, std::vector<std::byte>>> parts;
    job.ft().gather(0, mine, &parts, ft::after(std::chrono::seconds(60)));
    if (me == 0) {
        Result r1;
        for (auto& [r, b] : parts)
            if (r == 1 && b.size() == sizeof(Result)) std::memcpy(&r1, b.data(), sizeof r1);
        const double src_rate = r1.async_source_s > 0 ? r1.async_events / r1.async_source_s : 0;
        const double dm_rate = res.async_dm_s > 0 ? r1.async_events / res.async_dm_s : 0;
        std::printf("dmapi-event-bench: 2 ranks (0 = session rank, 1 = source), %d-byte payload\n",
                    size);
        std::printf("%-34s %10s %10s %10s\n", "", "p50 us", "p99 us", "mean us");
        std::printf("%-34s %10.2f %10.2f %10.2f\n", "MPI ping-pong RTT (baseline)", r1.mpi.p50,
                    r1.mpi.p99, r1.mpi.mean);
        std::printf("%-34s %10.2f %10.2f %10.2f\n", "sync user event RTT (send_msg)", r1.sync.p50,
                    r1.sync.p99, r1.sync.mean);
        std::printf("%-34s %10.2f %10.2f\n", "ratio event / ping-pong",
                    r1.mpi.p50 > 0 ? r1.sync.p50 / r1.mpi.p50 : 0,
                    r1.mpi.p99 > 0 ? r1.sync.p99 / r1.mpi.p99 : 0);
        std::printf(
            "async: %lld events, %.0f events/s at the source (queued at the session "
            "rank), %.0f events/s received by the DM app, lost %lld, busy retries %lld\n",
            r1.async_events, src_rate, dm_rate, r1.lost, r1.busy_retries);
        std::printf(
            "memory: session rank RSS %ld KiB after 10%% of the async events, %ld KiB at "
            "the end; source rank %ld / %ld KiB\n",
            res.rss_10pct_kib, res.rss_end_kib, r1.rss_10pct_kib, r1.rss_end_kib);
        if (!json_path.empty()) {
            FILE* f = std::fopen(json_path.c_str(), "w");
            if (f) {
                auto st = [&](const char* k, const Stats& s, bool comma) {
                    std::fprintf(f,
                                 "  \"%s\": {\"p50\": %.3f, \"p99\": %.3f, \"mean\": %.3f, "
                                 "\"min\": %.3f, \"count\": %d}%s\n",
                                 k, s.p50, s.p99, s.mean, s.min, s.count, comma ? "," : "");
                };
                std::fprintf(f, "{\n  \"ranks\": %d,\n  \"payload_bytes\": %d,\n", job.size(),
                             size);
                st("mpi_pingpong_us", r1.mpi, true);
                st("sync_rtt_us", r1.sync, true);
                std::fprintf(f, "  \"ratio_p50\": %.3f,\n  \"ratio_p99\": %.3f,\n",
                             r1.mpi.p50 > 0 ? r1.sync.p50 / r1.mpi.p50 : 0,
                             r1.mpi.p99 > 0 ? r1.sync.p99 / r1.mpi.p99 : 0);
                std::fprintf(f,
                             "  \"async\": {\"events\": %lld, \"source_s\": %.6f, \"dm_s\": %.6f, "
                             "\"events_per_s\": %.1f, \"dm_events_per_s\": %.1f, \"lost\": %lld, "
                             "\"busy_retries\": %lld},\n",
                             r1.async_events, r1.async_source_s, res.async_dm_s, src_rate, dm_rate,
                             r1.lost, r1.busy_retries);
                std::fprintf(f,
                             "  \"rss_kib\": {\"session_10pct\": %ld, \"session_end\": %ld, "
                             "\"source_10pct\": %ld, \"source_end\": %ld}\n}\n",
                             res.rss_10pct_kib, res.rss_end_kib, r1.rss_10pct_kib, r1.rss_end_kib);
                std::fclose(f);
            }
        }
    }
    std::fflush(stdout);
    job.finish(0);
}
