// dmapi-failover-bench: time from the SIGKILL of a session rank to the first recovered event
// delivered to the DM application on the standby rank, with N synchronous events outstanding.
//
// Plain job of P >= 4 ranks: 0 session manager, 1 session rank, 2 standby, 3.. sources. The
// sources raise N synchronous user events (raise_nowait: outstanding without a thread each);
// rank 1's DM application receives them all and answers none; rank 1 SIGKILLs itself. Rank 2
// (Node::standby) takes the session over, rebuilds the queue and receives the first event.
// Timestamps are CLOCK_MONOTONIC (steady_clock), comparable across the processes of one host;
// ranks exchange them through files in the run directory.
//
// Reported (one JSON line "FAILOVER-BENCH {...}" from rank 2):
//   detect_ms     kill -> the session manager's failure detector marks rank 1 failed
//   failover_ms   detection -> first recovered event delivered (detection excluded)
//   end_to_end_ms kill -> first recovered event delivered
//   rebuild_ms / gather_ms  the standby's rebuild (gather + re-queue) / its gather alone
//   baseline_queue_ms       the same N events queued the first time, same run (the baseline)
//   lost, duplicates        over all N: responses not received / tokens delivered twice
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dmapi/core/node.hpp"
#include "mpi_tools/job.hpp"

using namespace dmapi::core;
using Clock = std::chrono::steady_clock;
namespace ft = mpi_tools::ft;

namespace {

long long now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}
long long ns_of(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void write_value(const std::string& path, long long v) {
    std::ofstream(path + ".tmp") << v << "\n";
    std::rename((path + ".tmp").c_str(), path.c_str());
}

// Waits (bounded) for a value another rank writes.
long long read_value(const std::string& path, std::chrono::seconds limit) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
        std::ifstream in(path);
        long long v = 0;
        if (in >> v) return v;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return -1;
}

dm_sessid_t find_session(Node& n, const std::string& name) {
    for (int i = 0; i < 20000; ++i) {
        dm_sessid_t sids[64];
        unsigned cnt = 0;
        if (n.getall_sessions(64, sids, &cnt) == 0)
            for (unsigned k = 0; k < cnt; ++k) {
                char buf[DM_SESSION_INFO_LEN];
                std::size_t rlen = 0;
                if (n.query_session(sids[k], sizeof buf, buf, &rlen) == 0 && name == buf)
                    return sids[k];
            }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return DM_NO_SESSION;
}

// Receives `count` events of sid (batches); returns their tokens; *first_ns = when the first
// arrived.
std::vector<dm_token_t> receive(Node& n, dm_sessid_t sid, std::size_t count, long long* first_ns) {
    std::vector<dm_token_t> tokens;
    tokens.reserve(count);
    static thread_local std::vector<std::uint64_t> buf(1 << 17);  // 1 MiB, 8-byte aligned
    while (tokens.size() < count) {
        std::size_t rlen = 0;
        int rc = n.get_events(sid, 0, DM_EV_WAIT, buf.size() * 8, buf.data(), &rlen);
        if (rc != 0) {
            std::fprintf(stderr, "failover-bench: get_events rc=%d\n", rc);
            break;
        }
        if (first_ns && tokens.empty()) *first_ns = now_ns();
        for (auto* m = reinterpret_cast<dm_eventmsg_t*>(buf.data()); m;
             m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*))
            tokens.push_back(m->ev_token);
    }
    return tokens;
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv, mpi_tools::FailurePolicy::continue_job);
    std::size_t events = 1000;
    CLI::App cli{"dmapi-failover-bench"};
    cli.add_option("--events", events, "synchronous events outstanding at the failure")
        ->check(CLI::Range(1, 1000000));
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (job.rank() == 0) cli.exit(e);
        job.finish(2);
    }
    const int me = job.rank(), size = job.size();
    if (size < 4) {
        if (me == 0) std::fprintf(stderr, "failover-bench: needs >= 4 ranks\n");
        job.finish(2);
    }
    auto& n = Node::start(job);
    const std::string dir = job.run_dir() + "/";
    const char* kName = "failover-bench";
    const int sources = size - 3;
    const std::size_t mine =
        me >= 3 ? events / sources + (static_cast<std::size_t>(me - 3) < events % sources) : 0;

    if (me == 1) {
        dm_sessid_t s;
        if (n.create_session(DM_NO_SESSION, kName, &s) != 0) job.abort(1, "create_session");
    }
    std::thread standby;
    std::atomic<bool> ok{true};
    if (me == 2)
        standby = std::thread([&] {
            dm_sessid_t sid = DM_NO_SESSION;
            if (n.standby(kName, std::chrono::seconds(300), &sid) != 0) {
                ok = false;
                return;
            }
            long long first_ns = 0;
            auto tokens = receive(n, sid, events, &first_ns);
            auto rb = n.last_rebuild();
            std::set<dm_token_t> uniq(tokens.begin(), tokens.end());
            for (auto t : tokens) n.respond_event(sid, t, DM_RESP_CONTINUE, 0);
            const long long kill_ns = read_value(dir + "kill_ns", std::chrono::seconds(10));
            const long long detect_ns = read_value(dir + "detect_ns.0", std::chrono::seconds(10));
            const long long queue_ns = read_value(dir + "queue_ns", std::chrono::seconds(10));
            const double ms = 1e-6;
            std::printf(
                "FAILOVER-BENCH {\"ranks\": %d, \"events\": %zu, \"detect_ms\": %.3f, "
                "\"failover_ms\": %.3f, \"end_to_end_ms\": %.3f, \"rebuild_ms\": %.3f, "
                "\"gather_ms\": %.3f, \"rebuilt_events\": %zu, \"baseline_queue_ms\": %.3f, "
                "\"received\": %zu, \"duplicates\": %zu}\n",
                size, events, (detect_ns - kill_ns) * ms, (first_ns - detect_ns) * ms,
                (first_ns - kill_ns) * ms, rb.total_us / 1000, rb.gather_us / 1000, rb.events,
                queue_ns * ms, tokens.size(), tokens.size() - uniq.size());
            std::fflush(stdout);
        });
    // The manager records when its detector marked the session rank failed.
    if (me == 0)
        job.ft().on_failure([&](int r, const std::string&) {
            if (r != 1) return;
            for (const auto& f : job.ft().failure_log())
                if (f.world_rank == 1) write_value(dir + "detect_ns.0", ns_of(f.detected_at));
        });
    job.ft().barrier(ft::after(std::chrono::seconds(120)));
    const dm_sessid_t sid = find_session(n, kName);

    // Sources: raise their share; the session rank receives all of them (the baseline: how
    // long queueing them took the first time).
    std::vector<std::shared_ptr<OutstandingEvent>> pending;
    std::thread dm;
    std::atomic<long long> queue_start{now_ns()};
    if (me == 1)
        dm = std::thread([&] {
            receive(n, sid, events, nullptr);
            write_value(dir + "queue_ns", now_ns() - queue_start);
        });
    job.ft().barrier(ft::after(std::chrono::seconds(120)));
    queue_start = now_ns();
    for (std::size_t i = 0; i < mine; ++i) {
        Event ev;
        ev.type = DM_EVENT_USER;
        ev.sid = sid;
        ev.sync = true;
        ev.data.resize(16);
        std::shared_ptr<OutstandingEvent> p;
        auto r = n.raise_nowait(ev, &p);
        if (r.op_errno() || !p) {
            std::fprintf(stderr, "failover-bench[%d]: raise_nowait: %d\n", me, r.op_errno());
            ok = false;
            break;
        }
        pending.push_back(std::move(p));
    }
    if (me == 1) dm.join();
    job.ft().barrier(ft::after(std::chrono::seconds(300)));
    if (me == 1) {
        while (n.table().standbys.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        write_value(dir + "kill_ns", now_ns());
        ::kill(::getpid(), SIGKILL);
    }
    std::size_t lost = 0;
    for (auto& p : pending) {
        auto r = n.await_response(p);
        if (r.op_errno() != 0 || r.response != DM_RESP_CONTINUE) ++lost;
    }
    if (me >= 3)
        std::printf("FAILOVER-SOURCE {\"rank\": %d, \"events\": %zu, \"lost\": %zu}\n", me,
                    pending.size(), lost);
    if (standby.joinable()) standby.join();
    auto d = job.ft().agree(ok && lost == 0 ? 1 : 0);
    std::fflush(stdout);
    job.finish(d.flag ? 0 : 1);
}
