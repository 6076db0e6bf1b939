// The session rank dies; no standby is registered and no timeout configured, so the failure
// timeout is GPFS's default 0 (claim 21): the blocked operations fail with EIO at once, and a
// synchronous event raised afterwards to the failed session fails with EIO too.
//
// Ranks: 0 manager, 1 session rank, 2 source.
#include "../recovery_case.hpp"

namespace dmtest {
namespace {

void run(Job& job, Node& n) {
    const int me = job.rank();
    const dm_sessid_t sid = open_session(job, n, 1, "lonely");
    CHECK(n.failure_timeout("lonely") == std::chrono::milliseconds(0));
    std::vector<std::unique_ptr<SyncRaise>> raised;
    if (me == 2)
        for (int i = 0; i < 2; ++i)
            raised.push_back(std::make_unique<SyncRaise>(n, sid, "op-" + std::to_string(i)));
    if (me == 1) {
        receive(n, sid, 2);
        die("session rank, no standby, default failure timeout");
    }
    for (auto& r : raised) {
        r->join();
        CHECK(r->result.session_failed);
        CHECK_EQ(r->result.op_errno(), EIO);
    }
    if (me == 2) {
        wait_until([&] { return job.ft().is_failed(1); }, "rank 1's failure");
        CHECK_EQ(n.send_msg(sid, DM_MSGTYPE_SYNC, 4, "late"), EIO);
        CHECK(n.stats().failure_timeouts >= 3u);
    }
}

RegisterCase reg("failure_timeout_zero", run);

}  // namespace
}  // namespace dmtest
