// The failure bookkeeping both FT backends share: which world ranks failed (lock-free reads:
// the engine's send path asks on every message), how and when each was detected, the callbacks
// to run once per failure, and the global abort (MPI_Abort kills only the caller under
// mpirun --enable-recovery, so every live rank is told to _exit).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mpi_tools/engine.hpp"
#include "mpi_tools/ft.hpp"

namespace mpi_tools::ft {

class FailureSet {
  public:
    using Callback = std::function<void(int, const std::string&)>;

    explicit FailureSet(int world_size);

    bool contains(int r) const { return r >= 0 && r < n_ && flags_[r].load() != 0; }
    std::vector<int> sorted() const;
    std::vector<FailureRecord> log() const;
    void on_failure(Callback cb);
    // Records r as failed. Returns false when r was already marked (or is out of range);
    // otherwise true, with the callbacks to run (outside the caller's locks) in *to_run.
    bool mark(int r, const std::string& how, std::vector<Callback>* to_run);
    // Marks without callbacks or log (a rank removed by a ULFM shrink before we saw it fail).
    void mark_silently(int r) {
        if (r >= 0 && r < n_) flags_[r] = 1;
    }

    // Sends job_abort(code) to every rank not known failed, then _exits with the code.
    [[noreturn]] void abort_all(Engine& engine, int code) const;
    // Installs the job_abort handler: a rank told to abort _exits with the code at once.
    static void serve_abort(Engine& engine);

  private:
    const int n_;
    std::unique_ptr<std::atomic<std::uint8_t>[]> flags_;
    mutable std::mutex mu_;
    std::vector<FailureRecord> log_;
    std::vector<Callback> callbacks_;
};

}  // namespace mpi_tools::ft
