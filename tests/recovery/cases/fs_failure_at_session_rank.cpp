// A file-system failure at the session rank without process death (claims 2, 8; injected):
// the rank drops its volatile DMAPI state; the operations that originated on it fail with
// ESTALE; the DM application's next DMAPI call (here dm_getall_tokens) rebuilds the queue
// implicitly from the other ranks' outstanding synchronous events, which then complete with
// the response given after the recovery.
//
// Ranks: 0 manager, 1 session rank and local source, 2 remote source.
#include "../recovery_case.hpp"

namespace dmtest {
namespace {

void run(Job& job, Node& n) {
    const int me = job.rank();
    const dm_sessid_t sid = open_session(job, n, 1, "same-rank");
    std::vector<std::unique_ptr<SyncRaise>> raised;
    if (me == 2)
        for (int i = 0; i < 3; ++i)
            raised.push_back(std::make_unique<SyncRaise>(n, sid, "remote-" + std::to_string(i)));
    Received before;
    if (me == 1) {
        for (int i = 0; i < 2; ++i)
            raised.push_back(std::make_unique<SyncRaise>(n, sid, "local-" + std::to_string(i)));
        before = receive(n, sid, 5);
    }
    if (me == 2) wait_acknowledged(n, 3);
    barrier(job);
    if (me == 1) {
        n.inject_fs_failure();
        for (auto& r : raised) {
            r->join();
            CHECK(r->result.stale);
            CHECK_EQ(r->result.op_errno(), ESTALE);  // originated on the failed instance
        }
        raised.clear();
        unsigned cnt = 99;
        dm_token_t toks[8];
        CHECK_EQ(n.getall_tokens(sid, 8, toks, &cnt), 0);  // any call: the implicit rebuild
        CHECK_EQ(cnt, 0u);
        CHECK_EQ(n.last_rebuild().events, 3u);
        auto after = receive(n, sid, 3);
        std::vector<dm_token_t> remote;
        for (std::size_t i = 0; i < before.tokens.size(); ++i)
            if (before.texts[i].rfind("remote-", 0) == 0) remote.push_back(before.tokens[i]);
        CHECK(after.tokens == remote);  // same tokens, original order
        for (auto t : after.tokens) CHECK_EQ(n.respond_event(sid, t, DM_RESP_CONTINUE, 0), 0);
    }
    for (auto& r : raised) {
        r->join();
        CHECK_EQ(r->result.op_errno(), 0);
        CHECK_EQ(r->result.response, DM_RESP_CONTINUE);
    }
}

RegisterCase reg("fs_failure_at_session_rank", run);

}  // namespace
}  // namespace dmtest
