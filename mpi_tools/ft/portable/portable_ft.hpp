// Portable fault tolerance for MPIs without ULFM (Debian's Open MPI 4.1.4).
//   detect:  PMIx process-table polling + ring heartbeats (each rank watches its predecessor)
//            + FAIL notices; a rank declared failed is fenced (SIGKILL when on this host) and
//            exits itself if it ever hears it was declared failed: suspicion is made true.
//   revoke:  REVOKE notices; waits of the epoch return Rc::revoked.
//   agree:   sticky-coordinator protocol: coordinator = lowest live member; decisions are
//            remembered per epoch and handed to late or re-proposing members, so a coordinator
//            dying mid-broadcast cannot split the survivors.
//   shrink:  agree, drop the failed, epoch++, failure-aware validation barrier; repeat on a new
//            failure. Communicators are created only after validation (create_group hangs on a
//            dead member).
// All collectives are point-to-point through the engine's ctrl channel with per-source
// mailboxes, so no MPI call ever waits on a rank that may be dead.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>

#include "../failure_set.hpp"
#include "mpi_tools/engine.hpp"
#include "mpi_tools/ft.hpp"
#include "pmix_monitor.hpp"

namespace mpi_tools::ft {

class PortableFt final : public FaultTolerance {
  public:
    PortableFt(const Config& cfg, Engine& engine);
    ~PortableFt() override;

    // Startup: process ids and host hashes of every rank (for fencing), then start detecting.
    void start(std::vector<int> pids, std::vector<std::uint64_t> host_hashes) override;

    const char* backend_name() const override { return "portable"; }
    bool is_failed(int r) const override;
    std::vector<int> failed() const override;
    std::vector<FailureRecord> failure_log() const override;
    bool failure_pending() const override;
    void on_failure(std::function<void(int, const std::string&)> cb) override;
    void report_failure(int r, const std::string& how) override;
    void mark_departing(int r) override;
    void stop_detection() override;

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

    double pmix_query_us() const { return pmix_.mean_query_us(); }
    bool pmix_active() const { return pmix_active_; }

    // Test hook (fail_loc style): PFS_FT_FAIL_LOC=die_in_decide:<world rank> makes that rank, when
    // it is the agreement coordinator, send DECIDE to one member only and then SIGKILL itself.
    static constexpr const char* kEnvFailLoc = "PFS_FT_FAIL_LOC";

  private:
    struct Proposal {
        std::vector<int> set;
        int flag = 1;
        bool decided = false;
    };
    using MailKey =
        std::tuple<std::uint16_t, std::uint32_t, std::uint32_t, int>;  // type,epoch,seq,src

    void mark_failed(int r, const std::string& how, bool broadcast);
    void broadcast_fail(int r);
    void heartbeat_tick();
    int ring_neighbor(int dir) const;
    bool local_process_runnable(int r) const;
    // A silent but runnable local rank is suspected only after this many heartbeat timeouts.
    static constexpr int kHeartbeatHardLimitFactor =
        10;  // -1 predecessor, +1 successor (live, not departing)
    std::vector<int> live_members_locked() const;
    int coordinator_locked() const;
    void send_to(int dest, wire::MsgType t, const std::vector<std::byte>& body);

    void handle_fail(Incoming& in);
    void handle_revoke(Incoming& in);
    void handle_propose(Incoming& in);
    void handle_coord(Incoming& in);
    void handle_decide(Incoming& in);
    void handle_mail(Incoming& in);

    std::vector<std::byte> encode_set(std::uint32_t e, int flag, bool decided,
                                      const std::vector<int>& set) const;
    bool take_mail(const MailKey& k, std::vector<std::byte>* out);
    std::uint32_t next_seq_locked() { return coll_seq_++; }
    void set_epoch_locked(std::uint32_t e);

    const Config cfg_;
    Engine& engine_;
    const int me_, n_;
    FailureSet failed_;
    std::unique_ptr<std::atomic<std::uint8_t>[]> departing_;  // 1 = left on purpose
    std::atomic<bool> detection_on_{false};
    std::atomic<std::int64_t> revoked_epoch_{-1};

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<int> members_;
    std::uint32_t epoch_ = 0;
    std::uint32_t coll_seq_ = 0;
    std::map<std::uint32_t, Decision> decided_;
    std::map<std::uint32_t, std::map<int, Proposal>> props_;
    std::map<std::uint32_t, int> coord_hint_;
    std::map<MailKey, std::vector<std::byte>> mail_;
    std::vector<int> pids_;
    std::vector<std::uint64_t> hosts_;
    std::uint64_t my_host_ = 0;

    // Heartbeats (progress thread only).
    Clock::time_point next_hb_tick_{};
    Clock::time_point last_hb_sent_{};
    Clock::time_point last_hb_pred_{};
    int watched_pred_ = -1;
    std::atomic<std::int64_t> hb_pred_seen_ns_{0};

    PmixMonitor pmix_;
    bool pmix_active_ = false;
    int die_in_decide_ = -1;

    MPI_Comm comm_ = MPI_COMM_NULL;
    std::uint32_t comm_epoch_ = ~0u;
};

}  // namespace mpi_tools::ft
