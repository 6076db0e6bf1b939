// The session rank dies (SIGKILL) with synchronous events delivered-but-unanswered and
// undelivered, and asynchronous events it had queued. A standby DM rank takes the session over
// automatically (claims 1, 3-5, 12-17, 19): same session id, the unanswered synchronous events
// re-queued with their tokens in their original order as not yet received, no asynchronous
// event re-queued, dm_getall_tokens empty, a pre-failure token ESRCH until received again,
// and every blocked source completes exactly once with the response given after the failure.
//
// Ranks: 0 session manager, 1 session rank, 2 standby, 3 and 4 sources.
#include <fstream>

#include "../recovery_case.hpp"

namespace dmtest {
namespace {

constexpr const char* kName = "hsm-recovery";
constexpr int kPreAnswer = 50, kPostAnswer = 102;

void run(Job& job, Node& n) {
    const int me = job.rank();
    const std::string order_file = job.run_dir() + "/expected_order";
    std::thread standby_thread;
    if (me == 1) {
        dm_sessid_t s;
        CHECK_EQ(n.create_session(DM_NO_SESSION, kName, &s), 0);
    }
    if (me == 2) {
        standby_thread = std::thread([&] {
            dm_sessid_t got = DM_NO_SESSION;
            CHECK_EQ(n.standby(kName, std::chrono::seconds(90), &got), 0);
            const dm_sessid_t sid = find_session(n, kName);
            CHECK_EQ(got, sid);  // the same session id
            auto rec = n.session(sid);
            CHECK(rec && rec->owner == 2 && rec->state == SessionState::active);
            CHECK_EQ(n.last_rebuild().events, 12u);  // 8 delivered-unanswered + 4 undelivered
            unsigned cnt = 99;
            dm_token_t toks[16];
            CHECK_EQ(n.getall_tokens(sid, 16, toks, &cnt), 0);
            CHECK_EQ(cnt, 0u);  // re-queued as not yet received
            std::vector<dm_token_t> expect;
            std::ifstream in(order_file);
            for (dm_token_t t; in >> t;) expect.push_back(t);
            CHECK_EQ(expect.size(), 8u);
            if (!expect.empty())  // a pre-failure token before it is received again
                CHECK_EQ(n.respond_event(sid, expect[0], DM_RESP_CONTINUE, 0), ESRCH);
            auto got_ev = receive(n, sid, 12);
            for (std::size_t i = 0; i < expect.size() && i < got_ev.tokens.size(); ++i)
                CHECK_EQ(got_ev.tokens[i], expect[i]);  // original order, same tokens
            std::set<dm_token_t> uniq(got_ev.tokens.begin(), got_ev.tokens.end());
            CHECK_EQ(uniq.size(), 12u);
            for (const auto& t : got_ev.texts) CHECK(t.rfind("sync-", 0) == 0);  // no async
            for (auto t : got_ev.tokens)
                CHECK_EQ(n.respond_event(sid, t, DM_RESP_ABORT, kPostAnswer), 0);
        });
    }
    barrier(job);
    const dm_sessid_t sid = find_session(n, kName);
    CHECK(sid > 0);
    std::vector<std::unique_ptr<SyncRaise>> wave1, wave2;
    if (me == 3 || me == 4) {
        for (int i = 0; i < 5; ++i) {
            std::string t = "async-" + std::to_string(me) + "-" + std::to_string(i);
            CHECK_EQ(n.send_msg(sid, DM_MSGTYPE_ASYNC, t.size(), t.data()), 0);
        }
        CHECK_EQ(n.flush_async(), 0u);
        for (int i = 0; i < 6; ++i)
            wave1.push_back(std::make_unique<SyncRaise>(
                n, sid, "sync-" + std::to_string(me) + "-w1-" + std::to_string(i)));
    }
    if (me == 1) {
        auto got = receive(n, sid, 22);  // 10 asynchronous + 12 synchronous
        std::vector<dm_token_t> sync;
        for (auto t : got.tokens)
            if (t != DM_INVALID_TOKEN) sync.push_back(t);
        CHECK_EQ(sync.size(), 12u);
        std::ofstream out(order_file);
        for (std::size_t i = 0; i < sync.size(); ++i) {
            if (i < 4)
                CHECK_EQ(n.respond_event(sid, sync[i], DM_RESP_ABORT, kPreAnswer), 0);
            else
                out << sync[i] << "\n";
        }
    }
    if (me == 3 || me == 4) wait_acknowledged(n, 0);  // wave 1's unanswered
    wait_standbys(n, 1);
    barrier(job);
    if (me == 3 || me == 4)
        for (int i = 0; i < 2; ++i)
            wave2.push_back(std::make_unique<SyncRaise>(
                n, sid, "sync-" + std::to_string(me) + "-w2-" + std::to_string(i)));
    if (me == 1) {
        wait_until([&] { return n.undelivered(sid) == 4; }, "the second wave queued");
        wait_until(
            [&] {
                auto t = n.table();
                return !t.standbys.empty() && t.standbys[0].rank == 2;
            },
            "the standby registered");
        die("session rank with 8 delivered and 4 undelivered synchronous events");
    }
    int pre = 0, post = 0;
    for (auto* w : {&wave1, &wave2})
        for (auto& r : *w) {
            r->join();
            CHECK_EQ(r->result.err, 0);
            CHECK(!r->result.session_failed);
            CHECK_EQ(r->result.response, DM_RESP_ABORT);
            if (r->result.reterror == kPreAnswer)
                ++pre;
            else if (r->result.reterror == kPostAnswer)
                ++post;
            else
                CHECK_EQ(r->result.reterror, kPostAnswer);
        }
    if (me == 3 || me == 4) {
        std::printf("DMAPI-TEST %s rank %d completions pre=%d post=%d\n", g_case.c_str(), me, pre,
                    post);
        CHECK(!wave2.empty());
        for (auto& r : wave2) CHECK_EQ(r->result.reterror, kPostAnswer);  // queued after
    }
    if (standby_thread.joinable()) standby_thread.join();
}

RegisterCase reg("session_rank_sigkill", run);

}  // namespace
}  // namespace dmtest
