// ULFM backend: a thin mapping onto MPIX_* (Open MPI >= 5 started with --with-ft ulfm).
// Compiled only when the MPI defines OMPI_HAVE_MPI_EXT_FTMPI (CMake: PFS_HAVE_ULFM); selected
// at run time only when the MPIX_FT attribute says FT is active. Written against the
// documented ULFM API; this project's CI machine (Debian 12, Open MPI 4.1.4) has no ULFM, so
// this file is not compiled or exercised there.
#pragma once

#include <mpi.h>
// mpi-ext.h needs mpi.h first; a separate block keeps clang-format from sorting it above.
#include <mpi-ext.h>

#include <condition_variable>
#include <map>
#include <mutex>

#include "../failure_set.hpp"
#include "mpi_tools/engine.hpp"
#include "mpi_tools/ft.hpp"

namespace mpi_tools::ft {

class UlfmFt final : public FaultTolerance {
  public:
    UlfmFt(const Config& cfg, Engine& engine);
    static bool active_in_this_run();

    const char* backend_name() const override { return "ulfm"; }
    void start(std::vector<int> pids, std::vector<std::uint64_t> host_hashes) override;
    bool is_failed(int r) const override;
    std::vector<int> failed() const override;
    std::vector<FailureRecord> failure_log() const override;
    bool failure_pending() const override;
    void on_failure(std::function<void(int, const std::string&)> cb) override;
    void report_failure(int r, const std::string& how) override;
    void mark_departing(int) override {}
    void stop_detection() override { detection_on_ = false; }

    void revoke() override;
    bool is_revoked() const override;
    Decision agree(int flag) override;
    Decision shrink() override;
    std::vector<int> members() const override;
    std::uint32_t epoch() const override;
    MPI_Comm comm() override;

    Rc wait(MPI_Request* req, int peer, MPI_Status* st, Deadline dl) override;
    Rc barrier(Deadline dl) override;
    Rc gather(int root, std::span<const std::byte> mine,
              std::vector<std::pair<int, std::vector<std::byte>>>* out, Deadline dl) override;
    [[noreturn]] void abort_all(int code) override;

  private:
    void poll_failures();  // progress-thread poller: learns failures the MPI already knows
    void mark_failed(int r, const std::string& how);
    std::vector<int> acked_world_ranks(MPI_Comm c);
    Rc classify(int mpi_rc) const;

    const Config cfg_;
    Engine& engine_;
    const int me_, n_;
    FailureSet failed_;
    std::atomic<bool> detection_on_{false};
    MPI_Comm detect_comm_ = MPI_COMM_NULL;  // holds one ANY_SOURCE receive to surface failures
    MPI_Request detect_req_ = MPI_REQUEST_NULL;
    int* detect_buf_ = nullptr;  // heap: owned by the pending receive

    mutable std::mutex mu_;
    MPI_Comm cur_ = MPI_COMM_NULL;  // the current (shrunk) communicator
    std::vector<int> members_;      // world rank of each rank of cur_
    std::uint32_t epoch_ = 0;
    bool revoked_ = false;
};

}  // namespace mpi_tools::ft
