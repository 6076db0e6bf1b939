// The session rank dies, and the standby chosen to take over dies too, in the middle of its
// rebuild (fail_loc kill_in_rebuild@2: after its gather, before re-queueing). The next standby
// takes over and the recovery still converges to one session rank with the right queue: all 6
// unanswered synchronous events, each answered once.
//
// Ranks: 0 manager, 1 session rank, 2 first standby (dies in its rebuild), 3 second standby,
// 4 and 5 sources.
#include "../recovery_case.hpp"

namespace dmtest {
namespace {

constexpr const char* kName = "twice-unlucky";

void run(Job& job, Node& n) {
    const int me = job.rank();
    std::thread standby_thread;
    auto stand_by = [&](int answer) {
        return std::thread([&n, answer] {
            dm_sessid_t sid = DM_NO_SESSION;
            CHECK_EQ(n.standby(kName, std::chrono::seconds(90), &sid), 0);
            CHECK_EQ(n.last_rebuild().events, 6u);
            auto got = receive(n, sid, 6);
            std::set<dm_token_t> uniq(got.tokens.begin(), got.tokens.end());
            CHECK_EQ(uniq.size(), 6u);
            for (auto t : got.tokens) CHECK_EQ(n.respond_event(sid, t, DM_RESP_ABORT, answer), 0);
        });
    };
    if (me == 1) {
        dm_sessid_t s;
        CHECK_EQ(n.create_session(DM_NO_SESSION, kName, &s), 0);
    }
    if (me == 2) standby_thread = stand_by(102);
    if (me == 3) {
        // Registered second: the manager picks standbys in registration order.
        wait_until(
            [&] {
                auto t = n.table();
                return !t.standbys.empty() && t.standbys[0].rank == 2;
            },
            "rank 2's registration");
        standby_thread = stand_by(103);
    }
    barrier(job);
    const dm_sessid_t sid = find_session(n, kName);
    std::vector<std::unique_ptr<SyncRaise>> raised;
    if (me == 4 || me == 5)
        for (int i = 0; i < 3; ++i)
            raised.push_back(std::make_unique<SyncRaise>(n, sid, "op-" + std::to_string(i)));
    wait_standbys(n, 2);
    barrier(job);
    if (me == 1) {
        receive(n, sid, 6);
        die("session rank with 6 delivered synchronous events");
    }
    for (auto& r : raised) {
        r->join();
        CHECK_EQ(r->result.err, 0);
        CHECK(!r->result.session_failed);
        CHECK_EQ(r->result.response, DM_RESP_ABORT);
        CHECK_EQ(r->result.reterror, 103);  // answered by the second standby
    }
    if (me == 3) {
        standby_thread.join();
        auto rec = n.session(sid);
        CHECK(rec && rec->owner == 3 && rec->incarnation == 2u);
    }
    if (standby_thread.joinable()) standby_thread.join();
}

RegisterCase reg("second_failure_during_rebuild", run);

}  // namespace
}  // namespace dmtest
