// Polls the PMIx process table for dead ranks. On Debian's Open MPI 4.1.4 PMIx failure events
// never reach the application (BAD-PARAM in ORTE's notification glue), but the table reports a
// SIGKILLed rank within a few ms. Ranks on mpirun's node see every rank; ranks under another
// daemon see only their node, and a lost node is never marked: heartbeats cover those cases.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace mpi_tools::ft {

class PmixMonitor {
  public:
    using DeadFn = std::function<void(int rank, int state, int exit_code)>;
    // Returns false when PMIx is not usable in this run (then only heartbeats detect).
    bool start(std::chrono::milliseconds period, DeadFn on_dead);
    void stop();
    ~PmixMonitor() { stop(); }
    double mean_query_us() const;

  private:
    void loop();
    bool poll_once();

    std::chrono::milliseconds period_{10};
    DeadFn on_dead_;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool inited_ = false;
    std::atomic<std::uint64_t> queries_{0}, query_ns_{0};
    char nspace_[256] = {};
};

}  // namespace mpi_tools::ft
