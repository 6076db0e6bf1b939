// What pfs-ior records about the measured test beyond IOR's rows, for --fail and --hsm
// (docs/benchmarks.md "Failures and the HSM during a run"): bytes completed per time slice
// (bandwidth over time), phase boundaries, the span of every transfer (to find the I/O stall a
// failure causes), transfer errors that were retried, and the latency of each task's first read
// of a file the HSM released (the recall the read waits for).
//
// Times are CLOCK_MONOTONIC seconds relative to t0, the start of the first phase, which rank 0
// broadcasts (one clock per host: as the phase timers, a one-node assumption).
#pragma once

#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pfs_ior {

double mono_now();

struct PhaseMark {
    std::string access;  // "write", "read", "hsm-migrate"
    int iter = 0;
    double begin = 0, end = 0;  // relative to t0, over all tasks
};

class Monitor {
  public:
    // Collective over comm: agrees on t0 (now, on rank 0).
    void start(MPI_Comm comm, double slice_s);
    double t0() const { return t0_; }
    double rel(double mono) const { return mono - t0_; }

    // A transfer of n bytes ran from start to end (monotonic seconds).
    void transfer(double start, double end, std::uint64_t n);
    // A transfer failed with err and is retried.
    void error(int err) { ++errnos_[err]; }
    // The first read of a released file took this long (recall) / any other read.
    void first_read(double seconds) { recall_lat_.push_back(seconds); }
    void other_read(double seconds) { read_lat_.push_back(seconds); }
    // Task 0: a read phase begins now (the first sets first_read_begin, relative; -1 before).
    void read_begins(double mono) {
        double none = -1;
        first_read_begin_.compare_exchange_strong(none, mono - t0_);
    }
    double first_read_begin() const { return first_read_begin_.load(); }
    // Rank 0 notes phases (already reduced over the tasks).
    void mark(const std::string& access, int iter, double begin_mono, double end_mono);

    // Whether transfer errors are counted and retried (--fail) instead of ending the job.
    bool retry_errors = false;
    // Whether the read phase about to run reads files the HSM released (--hsm).
    bool expect_recall = false;

    // Collective reduction at the end; the results are valid on rank 0.
    struct Summary {
        double slice_s = 0;
        std::vector<std::uint64_t> bytes;  // per slice, all tasks
        std::vector<PhaseMark> phases;
        std::map<int, std::uint64_t> errnos;  // errno -> transfers failed (retried)
        std::uint64_t errors = 0;
        std::vector<double> recall_lat, read_lat;  // all tasks
        // Around a failure (when kill_rel >= 0): transfers that started before the failure was
        // detected and ended after the kill (they waited for the recovery), the latest end of
        // such a transfer, and the longest of them.
        std::uint64_t stalled_transfers = 0;
        double io_resumed = -1, max_stalled_latency = 0;
    };
    // kill_rel/detect_rel: relative times of the kill and its detection (rank 0's values are
    // used; -1 = none).
    Summary reduce(MPI_Comm comm, double kill_rel, double detect_rel) const;

  private:
    double t0_ = 0, slice_s_ = 0.1;
    std::vector<std::uint64_t> bytes_;
    std::vector<std::pair<double, double>> spans_;  // relative
    std::map<int, std::uint64_t> errnos_;
    std::vector<double> recall_lat_, read_lat_;
    std::vector<PhaseMark> phases_;
    std::atomic<double> first_read_begin_{-1};
};

// p in [0, 1] of sorted values (nearest rank); 0 when empty.
double percentile(const std::vector<double>& sorted, double p);

}  // namespace pfs_ior
