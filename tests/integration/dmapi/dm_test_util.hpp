// Shared by the DMAPI MPI test programs (dmapi-core-test, dmapi-recovery-test): checks that
// print "DMAPI-TEST <case> rank R FAIL ..." lines, failure-aware barriers, finding a session
// by name, and a DM application thread. Header-only; each program includes it once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "dmapi/core/node.hpp"
#include "mpi_tools/job.hpp"

namespace dmtest {

using namespace dmapi::core;
using mpi_tools::Job;
namespace ft = mpi_tools::ft;

inline std::string g_case;
inline int g_rank = -1;
inline std::atomic<bool> g_ok{true};

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::printf("DMAPI-TEST %s rank %d FAIL %s:%d: %s\n", g_case.c_str(), g_rank, \
                        __FILE__, __LINE__, #cond);                                       \
            std::fflush(stdout);                                                          \
            g_ok = false;                                                                 \
        }                                                                                 \
    } while (0)
#define CHECK_EQ(a, b)                                                                 \
    do {                                                                               \
        long long va_ = static_cast<long long>(a), vb_ = static_cast<long long>(b);    \
        if (va_ != vb_) {                                                              \
            std::printf("DMAPI-TEST %s rank %d FAIL %s:%d: %s == %s (%lld vs %lld)\n", \
                        g_case.c_str(), g_rank, __FILE__, __LINE__, #a, #b, va_, vb_); \
            std::fflush(stdout);                                                       \
            g_ok = false;                                                              \
        }                                                                              \
    } while (0)

inline void barrier(Job& job) {
    auto rc = job.ft().barrier(ft::after(std::chrono::seconds(60)));
    CHECK(rc == ft::Rc::ok);
}

// Finds a session by its info string (the DMAPI idiom: getall + query).
inline dm_sessid_t find_session(Node& n, const std::string& name) {
    for (int attempt = 0; attempt < 2000; ++attempt) {
        dm_sessid_t sids[64];
        unsigned cnt = 0;
        if (n.getall_sessions(64, sids, &cnt) == 0) {
            for (unsigned i = 0; i < cnt; ++i) {
                char buf[DM_SESSION_INFO_LEN];
                std::size_t rlen = 0;
                if (n.query_session(sids[i], sizeof buf, buf, &rlen) == 0 && name == buf)
                    return sids[i];
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return DM_NO_SESSION;
}

inline std::string msg_text(const dm_eventmsg_t* m) {
    return std::string(DM_GET_VALUE(m, ev_data, const char*), DM_GET_LEN(m, ev_data));
}

// A DM application thread: receives events of sid with DM_EV_WAIT until `expect` arrived,
// answering each synchronous one with decide(msg) (response, reterror).
struct DmApp {
    using Decide = std::function<std::pair<dm_response_t, int>(const dm_eventmsg_t*)>;
    DmApp(Node& n, dm_sessid_t sid, int expect, Decide decide, unsigned maxmsgs = 0,
          std::chrono::milliseconds start_delay = std::chrono::milliseconds(0),
          std::chrono::microseconds per_batch_delay = std::chrono::microseconds(0))
        : thread([=, this, &n] {
              std::this_thread::sleep_for(start_delay);
              alignas(8) static thread_local char buf[1 << 16];
              while (received < expect) {
                  std::size_t rlen = 0;
                  int rc = n.get_events(sid, maxmsgs, DM_EV_WAIT, sizeof buf, buf, &rlen);
                  if (rc != 0) {
                      std::printf("DMAPI-TEST %s rank %d FAIL get_events rc=%d\n", g_case.c_str(),
                                  g_rank, rc);
                      g_ok = false;
                      return;
                  }
                  for (auto* m = reinterpret_cast<dm_eventmsg_t*>(buf); m;
                       m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*)) {
                      ++received;
                      std::string text = msg_text(m);
                      {
                          std::lock_guard lk(mu);
                          texts.push_back(text);
                          if (m->ev_token != DM_INVALID_TOKEN)
                              tokens.push_back(m->ev_token);
                          else
                              ++async_count;
                      }
                      if (m->ev_token == DM_INVALID_TOKEN) continue;
                      auto [resp, err] = decide(m);
                      int r = n.respond_event(sid, m->ev_token, resp, err);
                      if (r != 0) {
                          std::printf("DMAPI-TEST %s rank %d FAIL respond rc=%d\n", g_case.c_str(),
                                      g_rank, r);
                          g_ok = false;
                      }
                  }
                  if (per_batch_delay.count()) std::this_thread::sleep_for(per_batch_delay);
              }
          }) {}
    ~DmApp() { join(); }
    void join() {
        if (thread.joinable()) thread.join();
    }
    std::atomic<int> received{0};
    std::mutex mu;
    std::vector<std::string> texts;
    std::vector<dm_token_t> tokens;
    int async_count = 0;
    std::thread thread;  // last: starts after the members above exist
};

inline std::pair<dm_response_t, int> continue_all(const dm_eventmsg_t*) {
    return {DM_RESP_CONTINUE, 0};
}

using CaseFn = std::function<void(Job&, Node&)>;

// main() of a DMAPI test program: --case NAME picks one of `cases`; every rank runs it, the
// ranks agree (failure-aware) on the AND of their checks and the leader prints
// "DMAPI-TEST <case> PASS|FAIL". Cases named in `survive_failures` run with continue_job (their
// ranks die on purpose). Exit 0 on PASS, 1 on FAIL, 2 for a bad command line.
[[noreturn]] inline void run_case_program(
    int argc, char** argv, const char* program, const std::map<std::string, CaseFn>& cases,
    const std::function<bool(const std::string&)>& survive_failures) {
    auto& job = Job::init(&argc, &argv);
    CLI::App cli{program};
    cli.add_option("--case", g_case, "test case")->required();
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (job.rank() == 0) cli.exit(e);
        job.finish(2);
    }
    g_rank = job.rank();
    if (survive_failures(g_case)) job.set_failure_policy(mpi_tools::FailurePolicy::continue_job);
    auto& n = Node::start(job);
    auto it = cases.find(g_case);
    if (it == cases.end()) {
        if (job.rank() == 0) std::fprintf(stderr, "unknown case %s\n", g_case.c_str());
        job.finish(2);
    }
    it->second(job, n);
    auto d = job.ft().agree(g_ok ? 1 : 0);
    if (job.rank() == job.leader())
        std::printf("DMAPI-TEST %s %s\n", g_case.c_str(), d.flag ? "PASS" : "FAIL");
    std::fflush(stdout);
    job.finish(d.flag ? 0 : 1);
}

}  // namespace dmtest
