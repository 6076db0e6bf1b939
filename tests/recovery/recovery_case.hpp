// The recovery test program's shared pieces: every case lives in cases/<failure>.cpp, named
// after the failure it injects (ULFM-test style), and registers itself here.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "../integration/dmapi/dm_test_util.hpp"

namespace dmtest {

std::map<std::string, CaseFn>& recovery_cases();

struct RegisterCase {
    RegisterCase(const char* name, CaseFn fn) { recovery_cases()[name] = std::move(fn); }
};

// One synchronous user event raised on its own thread (a blocked file operation's stand-in:
// the same Node::raise path): what the source saw when it completed.
struct SyncRaise {
    SyncRaise(Node& n, dm_sessid_t sid, std::string text)
        : thread([this, &n, sid, text] {
              Event ev;
              ev.type = DM_EVENT_USER;
              ev.sid = sid;
              ev.sync = true;
              const auto* p = reinterpret_cast<const std::byte*>(text.data());
              ev.data.assign(p, p + text.size());
              result = n.raise(ev);
              done = true;
          }) {}
    ~SyncRaise() { join(); }
    void join() {
        if (thread.joinable()) thread.join();
    }
    RaiseResult result;
    std::atomic<bool> done{false};
    std::thread thread;  // last
};

inline void die(const char* why) {
    std::printf("DMAPI-TEST %s rank %d dies (SIGKILL): %s\n", g_case.c_str(), g_rank, why);
    std::fflush(stdout);
    ::kill(::getpid(), SIGKILL);
}

inline void wait_until(const std::function<bool()>& pred, const char* what,
                       std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) {
            std::printf("DMAPI-TEST %s rank %d FAIL timed out waiting for %s\n", g_case.c_str(),
                        g_rank, what);
            std::fflush(stdout);
            g_ok = false;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

// Waits until every synchronous event raised here has its enqueue acknowledged (the session
// rank's sequence known at the source). A rebuild orders events by that sequence; an event
// whose acknowledgement is still in flight at the failure is ordered after the acknowledged
// ones (docs/recovery.md), so cases that check the exact order wait for this first.
inline void wait_acknowledged(Node& n, std::size_t at_least) {
    wait_until(
        [&] {
            std::size_t acked = 0;
            for (const auto& o : n.outstanding()) {
                if (!o.msg.sync || o.done) continue;
                if (!o.queued || o.sequence == 0) return false;
                ++acked;
            }
            return acked >= at_least;
        },
        "enqueue acknowledgements");
}

// Every rank's replica lists `count` standbys (the registration has been replicated
// everywhere, so every source knows the automatic failure timeout is the standby one).
inline void wait_standbys(Node& n, std::size_t count) {
    wait_until([&] { return n.table().standbys.size() == count; }, "the standby registration");
}

// The opening of most cases: rank `owner` creates the session `name`, every rank waits for the
// others and looks it up by name (the DMAPI idiom).
inline dm_sessid_t open_session(Job& job, Node& n, int owner, const char* name) {
    if (job.rank() == owner) {
        dm_sessid_t s;
        CHECK_EQ(n.create_session(DM_NO_SESSION, name, &s), 0);
    }
    barrier(job);
    const dm_sessid_t sid = find_session(n, name);
    CHECK(sid > 0);
    return sid;
}

// Receives `expect` events of sid (DM_EV_WAIT, one at a time), returns their messages' tokens
// and texts in delivery order.
struct Received {
    std::vector<dm_token_t> tokens;
    std::vector<std::string> texts;
};
inline Received receive(Node& n, dm_sessid_t sid, int expect) {
    Received got;
    alignas(8) static thread_local char buf[1 << 16];
    while (static_cast<int>(got.tokens.size()) < expect) {
        std::size_t rlen = 0;
        int rc = n.get_events(sid, 1, DM_EV_WAIT, sizeof buf, buf, &rlen);
        if (rc != 0) {
            std::printf("DMAPI-TEST %s rank %d FAIL get_events rc=%d\n", g_case.c_str(), g_rank,
                        rc);
            g_ok = false;
            break;
        }
        auto* m = reinterpret_cast<dm_eventmsg_t*>(buf);
        got.tokens.push_back(m->ev_token);
        got.texts.push_back(msg_text(m));
    }
    return got;
}

}  // namespace dmtest
