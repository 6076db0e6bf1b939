// --fail ROLE:SECONDS: task 0 SIGKILLs one rank of the job SECONDS after the first phase began
// (ROLE:read+SECONDS: after the first read phase began, e.g. while it waits for a recall)
// and times what follows (docs/benchmarks.md "Failures and the HSM during a run"):
//   kill        when the signal was sent
//   detected    the FT layer's failure callback for the victim on this rank (job.ft())
//   recovered   data/meta: the job's recovery (volume adoption) callback (job.on_recovered);
//               session/dm: the DMAPI session table (the manager's status file
//               <run-dir>/dmapi/rank-R.json, rewritten every 0.5 s) shows the HSM's session
//               active on a live rank again
// Roles: data (the last data rank), meta (the last meta rank), session (the dm rank holding
// the HSM's DMAPI session), dm (a dm rank not holding it). The victim's pid comes from
// <run-dir>/ranks/<R>.pid, as the demo's kill does.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace mpi_tools {
class Job;
}

namespace pfs_ior {

class Monitor;

struct FailSpec {
    std::string role;
    double at_s = 0;
    bool after_read = false;  // "ROLE:read+S": S seconds after the first read phase began
};
// "session:2" -> {session, 2}, "session:read+0.1" -> {session, 0.1, after_read};
// nullopt with *why for bad text.
std::optional<FailSpec> parse_fail(const std::string& text, std::string* why);

class FailInjector {
  public:
    // Call on every task of the app communicator before the run (task 0 registers the
    // callbacks; the others do nothing). session_name: the HSM's session (PFS_HSM_SESSION_NAME
    // or "pfs-hsm").
    FailInjector(mpi_tools::Job& job, FailSpec spec, bool task0);
    ~FailInjector();
    // Task 0: starts the timer thread; t0 is the monitor's (monotonic seconds), which also
    // tells when the first read phase began (for "read+S").
    void arm(double t0, const Monitor* mon);
    // Task 0, after the run: waits (deadline) for detection and recovery when the kill
    // happened, stops the timer otherwise, and returns the times relative to t0 (-1 = never).
    struct Result {
        bool killed = false;
        int victim = -1, pid = -1;
        std::string victim_role, note;
        double kill = -1, detected = -1, recovered = -1;
        int new_owner = -1;                 // session/dm: the rank holding the session after
        long long events_at_takeover = -1;  // session: its queue at the first status after
    };
    Result finish();
    double kill_rel() const { return kill_.load(); }
    double detect_rel() const { return detected_.load(); }

  private:
    void run();
    int pick_victim(std::string* why);
    void watch_session();

    mpi_tools::Job& job_;
    FailSpec spec_;
    bool task0_;
    double t0_ = 0;
    const Monitor* mon_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> victim_{-1};
    std::atomic<double> kill_{-1}, detected_{-1}, recovered_{-1};
    Result res_;
    std::string session_name_;
    long long session_sid_ = -1;
};

}  // namespace pfs_ior
