// --hsm POLICY: pfs-ior drives the HSM (pfs-hsm on the job's dm ranks, docs/hsm.md) during the
// measured test, through the same path the pfs-hsm CLI takes from a compute rank: a synchronous
// DMAPI user message to the session named PFS_HSM_SESSION_NAME (default "pfs-hsm"), answered
// after the work.
//   release-after-write  after every write phase (and its -W check) task 0 migrates every test
//                        file (archive + release); the read phase then waits for the recalls.
//                        Each task's first read of a file is its recall latency; its other
//                        reads are the same-run baseline.
//   archive-after-write  archive only (no release): the read phase reads resident data; the
//                        baseline for release-after-write's read bandwidth.
#pragma once

#include <mpi.h>

#include <optional>
#include <string>
#include <vector>

namespace pfs_ior {

class Monitor;

struct HsmRound {
    int iter = 0;
    std::size_t files = 0;
    int rc = 0;  // 0 or the errno of the first file that failed
    double seconds = 0;
};

class HsmDriver {
  public:
    static bool valid_policy(const std::string& p) {
        return p == "release-after-write" || p == "archive-after-write";
    }
    HsmDriver(std::string policy, bool task0) : policy_(std::move(policy)), task0_(task0) {}
    // Task 0 finds the session (deadline 30 s). Collective: every task learns the verdict.
    bool connect(MPI_Comm comm, std::string* why);
    // Collective hook after a write phase: task 0 sends the command for `files`; *mon notes
    // the phase and whether the next read phase reads released files.
    void after_write(MPI_Comm comm, int iter, const std::vector<std::string>& files, Monitor* mon);
    const std::string& policy() const { return policy_; }
    const std::vector<HsmRound>& rounds() const { return rounds_; }
    std::string session() const { return session_name_; }

  private:
    std::string policy_;
    bool task0_;
    std::string session_name_;
    unsigned long long sid_ = 0;
    std::vector<HsmRound> rounds_;
};

}  // namespace pfs_ior
