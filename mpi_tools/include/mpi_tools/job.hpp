// The rank's runtime: MPI start-up the way fault tolerance needs it, the rank's role and the
// layout, the progress engine, the FT backend, the transport, and the end of the job: the
// leader (lowest live world rank) collects the application ranks' exit codes, shuts the job
// down, writes the status file pfs-run reads, and every survivor finalizes under a watchdog.
#pragma once

#include <mpi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mpi_tools/config.hpp"
#include "mpi_tools/engine.hpp"
#include "mpi_tools/ft.hpp"
#include "mpi_tools/layout.hpp"
#include "mpi_tools/transport.hpp"

namespace mpi_tools {

// What the job does when an application rank (compute, or any rank of a plain job) fails.
enum class FailurePolicy {
    abort_job,     // default: the leader aborts the job with launch::kExitRankFailed
    continue_job,  // the application handles it (FT-aware programs, the FT tests)
};

class Job {
  public:
    // Call instead of MPI_Init. Ignores SIGPIPE, MPI_Init_thread(MPI_THREAD_MULTIPLE),
    // MPI_ERRORS_RETURN, role from PFS_LAYOUT (plain:<size> when run without pfs-run).
    // The failure policy is in force before failure detection starts: a fault-tolerant
    // application passes continue_job here, or a failure detected during start-up aborts it.
    static Job& init(int* argc, char*** argv, FailurePolicy policy = FailurePolicy::abort_job);
    static Job& get();

    int rank() const { return rank_; }
    int size() const { return size_; }
    Role role() const { return role_; }
    const Layout& layout() const { return layout_; }
    bool is_app_rank() const { return layout_.role_of(rank_) == Role::compute; }
    // The application's communicator: the compute ranks (every rank in a plain job).
    MPI_Comm app_comm() const { return app_comm_; }
    const Config& config() const { return cfg_; }
    Engine& engine() { return *engine_; }
    ft::FaultTolerance& ft() { return *ft_; }
    Transport& transport() { return *transport_; }
    const std::string& root() const { return root_; }
    const std::string& run_dir() const { return run_dir_; }
    int leader() const;  // lowest live world rank
    // Whether world rank r was started on this rank's host (host names gathered at start-up).
    bool same_host(int r) const;

    void set_failure_policy(FailurePolicy p) { policy_ = p; }

    // Service ranks (meta, data, dm) block here until the leader shuts the job down.
    [[noreturn]] void serve_until_shutdown();
    // Application ranks end here with their exit code; returns only through process exit.
    // The finish listeners run first (on the calling thread, newest first), so that what a
    // library still holds for this rank (a client's unsent namespace changes) reaches the
    // servers, which serve until every application rank is done.
    [[noreturn]] void finish(int exit_code);
    void on_finish(std::function<void()> cb);
    // Ends the whole job now with this code (status file written first).
    [[noreturn]] void abort(int code, const std::string& reason);

    // Volume adoption (docs/pfs.md): when a meta or data rank dies and every PFS volume still
    // has a live server (mpi_tools/volume_map.hpp), the job goes on. Every rank's recovery
    // thread then runs the FT recovery (agree on the failed set + shrink: the epoch advances,
    // so requests in flight end with ECANCELED) and calls these listeners with the agreed live
    // members of the new epoch, from which each rank computes the same VolumeMap. Register
    // before a failure can happen; listeners run on the recovery thread and may block briefly
    // (open a volume), never on another rank.
    void on_recovered(std::function<void(const std::vector<int>& members)> cb);
    // Completed recoveries (0 until a service rank died).
    std::uint32_t recoveries() const { return recoveries_.load(); }

    // Health check: a ping round trip to world rank r; returns the RTT in microseconds or -errno.
    double ping(int r, ft::Deadline dl);

  private:
    Job() = default;
    void setup(int* argc, char*** argv, FailurePolicy policy);
    void on_rank_failure(int r, const std::string& how);
    // job_recovery.cpp: whether the PFS survives the failure of service rank r (adoption), and
    // the recovery thread that agrees on the failed set and tells the listeners.
    bool volumes_adoptable(int r) const;
    void start_recovery_thread();
    void request_recovery();
    void recovery_loop();
    void leader_tick();
    void write_status(int code, const std::vector<int>& failed, const std::string& reason);
    [[noreturn]] void await_shutdown_and_exit(int my_code);
    [[noreturn]] void finalize_and_exit(int code);

    Config cfg_;
    Layout layout_;
    int rank_ = -1, size_ = 0;
    Role role_ = Role::compute;
    MPI_Comm app_comm_ = MPI_COMM_NULL;
    std::string root_, run_dir_, status_file_;
    std::vector<std::uint64_t> hosts_;  // per world rank: a hash of its host name
    std::unique_ptr<Engine> engine_;
    std::unique_ptr<ft::FaultTolerance> ft_;
    std::unique_ptr<Transport> transport_;
    std::atomic<FailurePolicy> policy_{FailurePolicy::abort_job};

    // Shutdown state (guarded by mu_).
    mutable std::mutex mu_;
    std::map<int, int> done_;        // leader: app rank -> exit code
    bool shutdown_started_ = false;  // leader: SHUTDOWN sent
    std::map<int, bool> acked_;
    ft::Clock::time_point shutdown_deadline_{};
    bool shutdown_received_ = false;  // SHUTDOWN known (sent or received)
    int shutdown_code_ = 0;
    std::vector<int> shutdown_failed_;
    std::string shutdown_reason_;
    int shutdown_from_ = -1;
    std::atomic<bool> final_{false};  // status written: finalize now
    std::atomic<bool> aborting_{false};

    // Recovery thread state (job_recovery.cpp).
    std::mutex rec_mu_;
    std::condition_variable rec_cv_;
    bool rec_due_ = false;
    std::vector<std::function<void(const std::vector<int>&)>> rec_listeners_;
    std::mutex finish_mu_;
    std::vector<std::function<void()>> finish_listeners_;
    std::atomic<std::uint32_t> recoveries_{0};
};

}  // namespace mpi_tools
