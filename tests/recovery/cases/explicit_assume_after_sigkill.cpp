// The session rank dies with no standby; a DM application restarted on another rank finds the
// session by name and assumes it with dm_create_session(oldsid) (claims 6, 7 on a different
// rank; 4, 5): the same id, the queue rebuilt there; the sources, blocked within a finite
// failure timeout, complete with the new rank's response (the recovery beats the timeout).
// Assuming the now-live session from a third rank is refused with EBUSY. A mount event
// outstanding at the failure comes back with a new token (GPFS), the others with theirs.
//
// Ranks: 0 manager (and the third rank), 1 session rank, 2 the restarted DM application,
// 3 source. Run with PFS_DMAPI_SESSION_FAILURE_TIMEOUT_MS=30000.
#include <fstream>

#include "../recovery_case.hpp"

namespace dmtest {
namespace {

void run(Job& job, Node& n) {
    const int me = job.rank();
    const std::string order_file = job.run_dir() + "/expected_order";
    if (me == 1) {
        dm_sessid_t s;
        CHECK_EQ(n.create_session(DM_NO_SESSION, "restartable", &s), 0);
        CHECK_EQ(n.set_disp(s, 1ull << DM_EVENT_MOUNT), 0);
    }
    barrier(job);
    const dm_sessid_t sid = find_session(n, "restartable");
    CHECK(sid > 0);
    CHECK(n.failure_timeout("restartable") == std::chrono::milliseconds(30000));
    std::vector<std::unique_ptr<SyncRaise>> raised;
    std::unique_ptr<std::thread> mount;
    RaiseResult mount_res;
    if (me == 3) {
        for (int i = 0; i < 3; ++i)
            raised.push_back(std::make_unique<SyncRaise>(n, sid, "op-" + std::to_string(i)));
        mount = std::make_unique<std::thread>([&] {
            Event ev;
            ev.type = DM_EVENT_MOUNT;
            const char text[] = "mount";
            ev.data.assign(reinterpret_cast<const std::byte*>(text),
                           reinterpret_cast<const std::byte*>(text) + 5);
            mount_res = n.raise(ev);
        });
    }
    if (me == 1) {
        auto got = receive(n, sid, 4);
        std::ofstream out(order_file);
        for (auto t : got.tokens) out << t << "\n";
        out.close();
        die("session rank holding 3 delivered synchronous events, no standby");
    }
    if (me == 2) {
        wait_until([&] { return job.ft().is_failed(1); }, "rank 1's failure");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the DM app restarts
        const dm_sessid_t found = find_session(n, "restartable");
        CHECK_EQ(found, sid);
        auto rec = n.session(sid);
        CHECK(rec && rec->state == SessionState::failed);
        dm_sessid_t got = DM_NO_SESSION;
        CHECK_EQ(n.create_session(sid, "restartable", &got), 0);
        CHECK_EQ(got, sid);
        unsigned cnt = 99;
        dm_token_t toks[8];
        CHECK_EQ(n.getall_tokens(sid, 8, toks, &cnt), 0);
        CHECK_EQ(cnt, 0u);
        std::vector<dm_token_t> expect;
        std::ifstream in(order_file);
        for (dm_token_t t; in >> t;) expect.push_back(t);
        auto ev = receive(n, sid, 4);
        CHECK_EQ(ev.tokens.size(), expect.size());
        for (std::size_t i = 0; i < ev.tokens.size() && i < expect.size(); ++i) {
            if (ev.texts[i] == "mount")
                CHECK(ev.tokens[i] != expect[i]);  // a new token
            else
                CHECK_EQ(ev.tokens[i], expect[i]);  // the same token, the same order
        }
        for (auto t : ev.tokens) CHECK_EQ(n.respond_event(sid, t, DM_RESP_CONTINUE, 0), 0);
    }
    if (me == 0) {
        wait_until(
            [&] {
                auto rec = n.session(sid);
                return rec && rec->owner == 2 && rec->state == SessionState::active;
            },
            "rank 2's assumption");
        dm_sessid_t got = DM_NO_SESSION;
        CHECK_EQ(n.create_session(sid, "thief", &got), EBUSY);  // a live session of another rank
    }
    for (auto& r : raised) {
        r->join();
        CHECK_EQ(r->result.op_errno(), 0);
        CHECK_EQ(r->result.response, DM_RESP_CONTINUE);
    }
    if (mount) {
        mount->join();
        CHECK_EQ(mount_res.op_errno(), 0);
        CHECK(mount_res.generated);
    }
}

RegisterCase reg("explicit_assume_after_sigkill", run);

}  // namespace
}  // namespace dmtest
