// The session rank dies and nobody assumes the session: with a finite failure timeout
// (PFS_DMAPI_SESSION_FAILURE_TIMEOUT_MS=1500) the blocked operation stays blocked at least that
// long after the failure is known, then fails with EIO (claim 21).
//
// Ranks: 0 manager, 1 session rank, 2 source.
#include "../recovery_case.hpp"

namespace dmtest {
namespace {

void run(Job& job, Node& n) {
    const int me = job.rank();
    const dm_sessid_t sid = open_session(job, n, 1, "abandoned");
    CHECK(n.failure_timeout("abandoned") == std::chrono::milliseconds(1500));
    if (me == 2) {
        SyncRaise r(n, sid, "op");
        wait_until([&] { return job.ft().is_failed(1); }, "rank 1's failure");
        const auto known = std::chrono::steady_clock::now();
        CHECK(!r.done);  // still blocked: the timeout has not passed
        r.join();
        const auto waited = std::chrono::steady_clock::now() - known;
        CHECK(r.result.session_failed);
        CHECK_EQ(r.result.op_errno(), EIO);
        // Not a speed check: the operation must not fail before the configured timeout.
        CHECK(waited >= std::chrono::milliseconds(1300));
        std::printf("DMAPI-TEST %s rank 2 EIO %.0f ms after the failure was known\n",
                    g_case.c_str(), std::chrono::duration<double, std::milli>(waited).count());
    }
    if (me == 1) {
        receive(n, sid, 1);
        die("session rank; nobody will assume the session");
    }
}

RegisterCase reg("failure_timeout_expires", run);

}  // namespace
}  // namespace dmtest
