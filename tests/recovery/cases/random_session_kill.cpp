// The session rank is SIGKILLed at a random moment while sources keep raising synchronous
// events and its DM application answers some of them (seeded by PFS_RECOVERY_SEED; the loop
// script tests/recovery/loop.sh runs it with many seeds, not in CI). A standby takes over and
// answers the rest. Every raise must complete exactly once with a DM answer (none lost, no
// EIO); tokens the dead rank answered and the standby received again are counted (allowed only
// for a response lost in flight) and reported.
//
// Ranks: 0 manager, 1 session rank, 2 standby, 3.. sources (2-8 threads each).
#include <fcntl.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "../recovery_case.hpp"

namespace dmtest {
namespace {

constexpr const char* kName = "random-kill";

void run(Job& job, Node& n) {
    const int me = job.rank();
    const char* seed_env = std::getenv("PFS_RECOVERY_SEED");
    const unsigned seed = seed_env ? static_cast<unsigned>(std::strtoul(seed_env, nullptr, 10)) : 1;
    std::mt19937 rng(seed);  // the same draws on every rank
    const int threads = std::uniform_int_distribution<int>(2, 8)(rng);
    const int per_thread = std::uniform_int_distribution<int>(5, 40)(rng);
    const int kill_ms = std::uniform_int_distribution<int>(0, 150)(rng);
    const double answer_p = std::uniform_real_distribution<double>(0.0, 0.9)(rng);
    const int sources = job.size() - 3;
    const int total = sources * threads * per_thread;
    const std::string answered_file = job.run_dir() + "/answered";
    if (me == 0)
        std::printf("DMAPI-TEST %s seed=%u threads=%d per_thread=%d kill_ms=%d answer_p=%.2f\n",
                    g_case.c_str(), seed, threads, per_thread, kill_ms, answer_p);
    if (me == 1) {
        dm_sessid_t s;
        CHECK_EQ(n.create_session(DM_NO_SESSION, kName, &s), 0);
    }
    std::thread standby;
    if (me == 2)
        standby = std::thread([&] {
            dm_sessid_t sid = DM_NO_SESSION;
            CHECK_EQ(n.standby(kName, std::chrono::seconds(90), &sid), 0);
            // Answer everything that comes until every source reported done (file flags).
            std::set<dm_token_t> seen;
            int redelivered = 0, dup = 0;
            alignas(8) static char buf[1 << 16];
            auto all_done = [&] {
                for (int r = 3; r < 3 + sources; ++r)
                    if (access((job.run_dir() + "/done." + std::to_string(r)).c_str(), F_OK) != 0)
                        return false;
                return true;
            };
            while (!all_done()) {
                std::size_t rlen = 0;
                int rc = n.get_events(sid, 0, 0, sizeof buf, buf, &rlen);
                if (rc == EAGAIN) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    continue;
                }
                CHECK_EQ(rc, 0);
                if (rc) break;
                for (auto* m = reinterpret_cast<dm_eventmsg_t*>(buf); m;
                     m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*)) {
                    if (!seen.insert(m->ev_token).second) ++dup;
                    CHECK_EQ(n.respond_event(sid, m->ev_token, DM_RESP_ABORT, 102), 0);
                }
            }
            std::set<dm_token_t> answered_before;
            std::ifstream in(answered_file);
            for (dm_token_t t; in >> t;) answered_before.insert(t);
            for (auto t : seen) redelivered += answered_before.count(t);
            CHECK_EQ(dup, 0);
            std::printf(
                "DMAPI-TEST %s rank 2 standby answered %zu (dead rank answered %zu, "
                "redelivered after its answer %d)\n",
                g_case.c_str(), seen.size(), answered_before.size(), redelivered);
        });
    barrier(job);
    const dm_sessid_t sid = find_session(n, kName);
    if (me == 1) {
        wait_until([&] { return !n.table().standbys.empty(); }, "the standby");
        std::thread killer([kill_ms] {
            std::this_thread::sleep_for(std::chrono::milliseconds(kill_ms));
            die("session rank at a random moment");
        });
        int fd = ::open(answered_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        std::mt19937 r2(seed + 1);
        std::bernoulli_distribution answer(answer_p);
        alignas(8) static char buf[1 << 16];
        for (;;) {  // until the killer fires
            std::size_t rlen = 0;
            if (n.get_events(sid, 0, DM_EV_WAIT, sizeof buf, buf, &rlen) != 0) continue;
            for (auto* m = reinterpret_cast<dm_eventmsg_t*>(buf); m;
                 m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*)) {
                if (!answer(r2)) continue;
                // Logged before the response: a token here may or may not have completed.
                std::string line = std::to_string(m->ev_token) + "\n";
                (void)!::write(fd, line.data(), line.size());
                n.respond_event(sid, m->ev_token, DM_RESP_ABORT, 50);
            }
        }
    }
    if (me >= 3) {
        std::vector<std::thread> ts;
        std::atomic<int> ok_pre{0}, ok_post{0}, bad{0};
        for (int t = 0; t < threads; ++t)
            ts.emplace_back([&] {
                for (int i = 0; i < per_thread; ++i) {
                    Event ev;
                    ev.type = DM_EVENT_USER;
                    ev.sid = sid;
                    ev.sync = true;
                    ev.data.resize(8);
                    auto r = n.raise(ev);
                    if (r.response == DM_RESP_ABORT && r.reterror == 50)
                        ++ok_pre;
                    else if (r.response == DM_RESP_ABORT && r.reterror == 102)
                        ++ok_post;
                    else if (++bad == 1)  // what went wrong, for the report
                        std::printf("DMAPI-TEST %s rank %d bad completion: err %d response %d "
                                    "reterror %d stale %d session_failed %d\n",
                                    g_case.c_str(), me, r.err, static_cast<int>(r.response),
                                    r.reterror, r.stale ? 1 : 0, r.session_failed ? 1 : 0);
                }
            });
        for (auto& t : ts) t.join();
        CHECK_EQ(bad.load(), 0);
        CHECK_EQ(ok_pre + ok_post, threads * per_thread);
        std::ofstream(job.run_dir() + "/done." + std::to_string(me)) << "1\n";
        std::printf("DMAPI-TEST %s rank %d completions pre=%d post=%d lost=%d of %d\n",
                    g_case.c_str(), me, ok_pre.load(), ok_post.load(), bad.load(), total / sources);
    }
    if (standby.joinable()) standby.join();
}

RegisterCase reg("random_session_kill", run);

}  // namespace
}  // namespace dmtest
