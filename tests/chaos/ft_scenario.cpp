// ft-scenario: the worker of the FT scenario tests and of the FT benchmark. Every rank runs a
// failure-aware barrier loop; victims SIGKILL themselves at a set time (or the test kills or
// stops them from outside); survivors revoke, shrink, build a communicator and run a collective
// on it; at the end the lowest survivor gathers every survivor's view and checks they agree.
// Lines starting with SCENARIO are machine-read by tests/chaos/*.sh and benchmarks/ft_bench.py.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mpi_tools/job.hpp"

using namespace mpi_tools;
using ft::Clock;

namespace {
double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
std::string list(const std::vector<int>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s;
}
}  // namespace

int main(int argc, char** argv) {
    auto& job = Job::init(&argc, &argv, FailurePolicy::continue_job);
    auto& ft = job.ft();
    std::vector<int> victims, expect;
    int kill_at_ms = 500, settle_iters = 40, timeout_ms = 30000, barrier_reps = 50;
    CLI::App cli{"ft-scenario"};
    cli.add_option("--victims", victims, "world ranks that SIGKILL themselves")->delimiter(',');
    cli.add_option("--kill-at-ms", kill_at_ms, "when victims die (ms after start)");
    cli.add_option("--expect-failed", expect, "failed set the survivors must agree on")
        ->delimiter(',');
    // Counted in barriers, not time: barriers and recoveries are collective, so every survivor
    // counts the same number and all leave the loop together (a time-based exit lets one rank
    // leave while the others' next barrier waits for it).
    cli.add_option("--settle-iters", settle_iters,
                   "barriers after the last recovery before ending");
    cli.add_option("--timeout-ms", timeout_ms, "give up (exit 1) after this long");
    cli.add_option("--barrier-reps", barrier_reps, "MPI_Barrier repetitions for the baseline");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (job.rank() == 0) cli.exit(e);
        job.finish(2);
    }
    const int me = job.rank();

    // Baseline: MPI barriers on the application communicator while everyone is alive. Even here
    // no blocking collective: a rank may die (or be declared dead) during start-up, and a
    // blocked MPI_Barrier would then hang forever. Ibarrier + a spinning test loop measures the
    // same thing without that risk.
    auto fa_barrier = [&] {
        MPI_Request req;
        MPI_Ibarrier(job.app_comm(), &req);
        int done = 0;
        while (!done) {
            MPI_Test(&req, &done, MPI_STATUS_IGNORE);
            if (!done && ft.failure_pending()) return false;  // request abandoned
            // Oversubscribed nodes: leave the core (and MPI's progress lock) to the progress
            // thread, whose heartbeats must keep flowing.
            if (!done) std::this_thread::yield();
        }
        return true;
    };
    bool baseline_ok = fa_barrier();
    auto b0 = Clock::now();
    for (int i = 0; i < barrier_reps && baseline_ok; ++i) baseline_ok = fa_barrier();
    double barrier_us = std::chrono::duration<double, std::micro>(Clock::now() - b0).count() /
                        std::max(1, barrier_reps);
    if (me == 0)
        std::printf("SCENARIO baseline mpi_barrier_us=%.2f ranks=%d\n", barrier_us, job.size());

    const bool victim = std::find(victims.begin(), victims.end(), me) != victims.end();
    const auto start = Clock::now();
    std::set<int> agreed;
    int since_recovery = 0;
    const int min_iters = (kill_at_ms + 5) / 5;  // without victims: run about kill_at_ms
    for (;;) {
        auto now = Clock::now();
        if (victim && now - start >= std::chrono::milliseconds(kill_at_ms)) {
            std::printf("SCENARIO victim rank=%d kill_unix=%.6f\n", me, unix_now());
            std::fflush(stdout);
            raise(SIGKILL);
        }
        ft::Rc rc = ft.barrier(ft::after(std::chrono::seconds(5)));
        if (rc != ft::Rc::ok || ft.failure_pending()) {
            auto t0 = Clock::now();
            ft.revoke();
            ft::Decision d = ft.shrink();
            auto t1 = Clock::now();
            agreed.insert(d.failed.begin(), d.failed.end());
            MPI_Comm c = ft.comm();
            auto t2 = Clock::now();
            int sum = -1;
            if (c != MPI_COMM_NULL) {
                int one = 1;
                auto* buf = new int[2]{one, 0};  // heap: an abandoned collective keeps its buffers
                MPI_Request req;
                MPI_Iallreduce(&buf[0], &buf[1], 1, MPI_INT, MPI_SUM, c, &req);
                if (ft.wait(&req, -1, nullptr, ft::after(std::chrono::seconds(5))) == ft::Rc::ok)
                    sum = buf[1];
            }
            auto members = ft.members();
            std::printf(
                "SCENARIO recovered rank=%d epoch=%u agreed=%s members=%zu allreduce=%d "
                "shrink_ms=%.3f comm_ms=%.3f\n",
                me, ft.epoch(), list(std::vector<int>(agreed.begin(), agreed.end())).c_str(),
                members.size(), sum, std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count());
            std::fflush(stdout);
            if (sum != static_cast<int>(members.size()) && c != MPI_COMM_NULL) {
                std::printf("SCENARIO error rank=%d allreduce gave %d, expected %zu\n", me, sum,
                            members.size());
            }
            since_recovery = 0;
            continue;
        }
        ++since_recovery;
        bool all_seen = std::includes(agreed.begin(), agreed.end(), expect.begin(), expect.end());
        if (all_seen && !expect.empty() && since_recovery >= settle_iters) break;
        if (expect.empty() && since_recovery >= min_iters + settle_iters) break;
        if (now - start > std::chrono::milliseconds(timeout_ms)) {
            std::printf("SCENARIO timeout rank=%d agreed=%s\n", me,
                        list(std::vector<int>(agreed.begin(), agreed.end())).c_str());
            std::fflush(stdout);
            job.finish(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }

    for (auto& f : ft.failure_log())
        std::printf("SCENARIO detect rank=%d failed=%d how=%s unix=%.6f\n", me, f.world_rank,
                    f.how.c_str(), f.detected_unix);

    {
        // Message counts of the control plane, for the FT benchmark (per rank; the coordinator
        // of the recovery is the lowest survivor).
        const auto& st = job.engine().stats();
        auto by = [&](wire::MsgType t) {
            return static_cast<unsigned long long>(st.sent_by_type[static_cast<int>(t)].load());
        };
        auto rby = [&](wire::MsgType t) {
            return static_cast<unsigned long long>(st.received_by_type[static_cast<int>(t)].load());
        };
        std::printf(
            "SCENARIO msgs rank=%d sent=%llu received=%llu heartbeat=%llu fail_notice=%llu "
            "revoke=%llu propose_sent=%llu propose_recv=%llu decide=%llu coord=%llu barrier=%llu\n",
            me, static_cast<unsigned long long>(st.sent.load()),
            static_cast<unsigned long long>(st.received.load()), by(wire::MsgType::heartbeat),
            by(wire::MsgType::fail_notice), by(wire::MsgType::revoke), by(wire::MsgType::propose),
            rby(wire::MsgType::propose), by(wire::MsgType::decide), by(wire::MsgType::coord),
            by(wire::MsgType::barrier_arrive) + by(wire::MsgType::barrier_release));
    }
    // Verdict: every survivor's (epoch, members, agreed set) must be identical.
    std::ostringstream view;
    view << ft.epoch() << "|" << list(ft.members()) << "|"
         << list(std::vector<int>(agreed.begin(), agreed.end()));
    std::string mine = view.str();
    auto members = ft.members();
    const int root = members.front();
    std::vector<std::pair<int, std::vector<std::byte>>> all;
    auto bytes = std::as_bytes(std::span(mine.data(), mine.size()));
    ft::Rc rc = ft.gather(root, bytes, &all, ft::after(std::chrono::seconds(10)));
    int code = 0;
    if (me == root) {
        bool same = rc == ft::Rc::ok && all.size() == members.size();
        for (auto& [r, b] : all)
            if (std::string(reinterpret_cast<const char*>(b.data()), b.size()) != mine) {
                same = false;
                std::printf("SCENARIO mismatch rank=%d view=%.*s\n", r, static_cast<int>(b.size()),
                            reinterpret_cast<const char*>(b.data()));
            }
        bool expected = std::vector<int>(agreed.begin(), agreed.end()) == expect || expect.empty();
        code = same && expected ? 0 : 1;
        std::printf("SCENARIO verdict %s survivors=%zu view=%s expected_failed=%s\n",
                    code == 0 ? "PASS" : "FAIL", all.size(), mine.c_str(), list(expect).c_str());
        std::fflush(stdout);
    }
    job.finish(code);
}
