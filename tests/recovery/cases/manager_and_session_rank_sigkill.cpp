// The session-manager rank and the session rank die together (claim 9: the session state was
// replicated to every rank before the failure). The next live rank becomes session manager
// from its own replica, reassigns the session to the standby (itself here) and the queue is
// rebuilt: every blocked source completes with the standby's response.
//
// Ranks: 0 manager, 1 session rank, 2 standby (and the next manager), 3 and 4 sources.
#include "../recovery_case.hpp"

namespace dmtest {
namespace {

constexpr const char* kName = "headless";

void run(Job& job, Node& n) {
    const int me = job.rank();
    std::thread standby_thread;
    if (me == 1) {
        dm_sessid_t s;
        CHECK_EQ(n.create_session(DM_NO_SESSION, kName, &s), 0);
    }
    if (me == 2)
        standby_thread = std::thread([&n] {
            dm_sessid_t sid = DM_NO_SESSION;
            CHECK_EQ(n.standby(kName, std::chrono::seconds(90), &sid), 0);
            CHECK_EQ(n.manager(), 2);
            CHECK_EQ(n.last_rebuild().events, 4u);
            auto got = receive(n, sid, 4);
            for (auto t : got.tokens) CHECK_EQ(n.respond_event(sid, t, DM_RESP_ABORT, 102), 0);
        });
    barrier(job);
    const dm_sessid_t sid = find_session(n, kName);
    std::vector<std::unique_ptr<SyncRaise>> raised;
    if (me == 3 || me == 4)
        for (int i = 0; i < 2; ++i)
            raised.push_back(std::make_unique<SyncRaise>(n, sid, "op-" + std::to_string(i)));
    if (me == 1) receive(n, sid, 4);
    wait_standbys(n, 1);
    barrier(job);
    if (me == 0) die("session manager, together with the session rank");
    if (me == 1) die("session rank, together with the session manager");
    for (auto& r : raised) {
        r->join();
        CHECK_EQ(r->result.op_errno(), 102);
    }
    if (standby_thread.joinable()) standby_thread.join();
}

RegisterCase reg("manager_and_session_rank_sigkill", run);

}  // namespace
}  // namespace dmtest
