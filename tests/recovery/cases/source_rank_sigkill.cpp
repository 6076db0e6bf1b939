// A source rank dies with synchronous events queued (claim 19's other side): the session rank
// still delivers them, responding to them is harmless (0, the response goes nowhere), and
// nothing is left behind: no outstanding token, and the session can be destroyed.
//
// Ranks: 0 manager, 1 session rank, 2 source.
#include "../recovery_case.hpp"

namespace dmtest {
namespace {

void run(Job& job, Node& n) {
    const int me = job.rank();
    const dm_sessid_t sid = open_session(job, n, 1, "orphans");
    std::vector<std::unique_ptr<SyncRaise>> raised;
    if (me == 2)
        for (int i = 0; i < 3; ++i)
            raised.push_back(std::make_unique<SyncRaise>(n, sid, "orphan-" + std::to_string(i)));
    if (me == 1) wait_until([&] { return n.undelivered(sid) == 3; }, "3 events queued");
    barrier(job);
    if (me == 2) die("source rank with 3 synchronous events queued");
    if (me == 1) {
        wait_until([&] { return job.ft().is_failed(2); }, "rank 2's failure");
        auto got = receive(n, sid, 3);
        CHECK_EQ(got.tokens.size(), 3u);
        for (auto t : got.tokens) CHECK_EQ(n.respond_event(sid, t, DM_RESP_CONTINUE, 0), 0);
        unsigned cnt = 99;
        dm_token_t toks[8];
        CHECK_EQ(n.getall_tokens(sid, 8, toks, &cnt), 0);
        CHECK_EQ(cnt, 0u);
        CHECK_EQ(n.undelivered(sid), 0u);
        CHECK_EQ(n.destroy_session(sid), 0);
    }
}

RegisterCase reg("source_rank_sigkill", run);

}  // namespace
}  // namespace dmtest
