// The fault-tolerance interface: ULFM semantics (detect, revoke, agree, shrink) over world
// ranks, with two backends: real ULFM (MPIX_*, Open MPI >= 5 with --with-ft ulfm) and the
// portable backend for MPIs without it (Debian's Open MPI 4.1.4). See docs/fault-tolerance.md.
#pragma once

#include <mpi.h>

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mpi_tools/config.hpp"

namespace mpi_tools {
class Engine;
}

namespace mpi_tools::ft {

enum class Rc { ok, proc_failed, revoked, timeout };
const char* to_string(Rc rc);

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
inline Deadline never() {
    return Deadline::max();
}
inline Deadline after(std::chrono::milliseconds d) {
    return Clock::now() + d;
}

// What the survivors agreed on: the failed world ranks (sorted) and the AND of their flags.
struct Decision {
    std::vector<int> failed;
    int flag = 1;
    bool operator==(const Decision&) const = default;
};

struct FailureRecord {
    int world_rank;
    std::string how;                // "pmix", "heartbeat", "notice", "agreement", "report"
    Clock::time_point detected_at;  // local detection time
    double detected_unix;           // wall clock (shared by all processes on a host)
};

class FaultTolerance {
  public:
    virtual ~FaultTolerance() = default;
    virtual const char* backend_name() const = 0;
    // Starts detection. pids and host hashes of every world rank (gathered at startup) let a
    // backend fence a suspected rank on this host.
    virtual void start(std::vector<int> pids, std::vector<std::uint64_t> host_hashes) = 0;

    // --- detection -------------------------------------------------------------------------
    virtual bool is_failed(int world_rank) const = 0;
    virtual std::vector<int> failed() const = 0;  // locally known, sorted
    virtual std::vector<FailureRecord> failure_log() const = 0;
    // True while a member of the current epoch is known failed (a shrink is due).
    virtual bool failure_pending() const = 0;
    // Called on the progress thread, once per failed rank. Keep it short.
    virtual void on_failure(std::function<void(int world_rank, const std::string& how)> cb) = 0;
    // An upper layer suspects a rank (e.g. it missed a deadline): declare it failed everywhere.
    virtual void report_failure(int world_rank, const std::string& how) = 0;
    // Ranks that leave on purpose (job shutdown) are not failures.
    virtual void mark_departing(int world_rank) = 0;
    virtual void stop_detection() = 0;

    // --- revoke, agree, shrink (collective over members(); every member must call) ----------
    virtual void revoke() = 0;
    virtual bool is_revoked() const = 0;
    // Uniform agreement for the current epoch: every surviving member returns the same
    // decision, also when the coordinator dies in the middle of deciding.
    virtual Decision agree(int flag) = 0;
    // agree + drop the agreed failed set from members + epoch++ + validation barrier, repeated
    // until a round completes without a new failure. Returns the decisions of all rounds merged.
    virtual Decision shrink() = 0;
    virtual std::vector<int> members() const = 0;  // live world ranks of this epoch, sorted
    virtual std::uint32_t epoch() const = 0;
    // An MPI communicator over members() (rank order = world order), created on first use per
    // epoch. MPI_Comm_create_group hangs if a member dies inside its window: a watchdog turns
    // that into this rank's exit.
    virtual MPI_Comm comm() = 0;

    // --- failure-aware waiting and collectives over members() --------------------------------
    // Test loop: returns ok when *req completes, proc_failed when peer (world rank; -1 = any
    // member) failed, revoked when the epoch was revoked, timeout at the deadline. An abandoned
    // request keeps its buffers: callers heap-allocate them and never free on failure.
    virtual Rc wait(MPI_Request* req, int peer_world, MPI_Status* st, Deadline dl) = 0;
    virtual Rc barrier(Deadline dl) = 0;
    // Every member sends its bytes to root (world rank); root gets one entry per member that
    // delivered, in member order. A member that fails is skipped (Rc::ok still, its rank is
    // then in failed()). Non-roots return after their part is posted.
    virtual Rc gather(int root_world, std::span<const std::byte> mine,
                      std::vector<std::pair<int, std::vector<std::byte>>>* out, Deadline dl) = 0;

    // Tell every live rank to _exit(code) now (MPI_Abort kills only the caller under recovery).
    [[noreturn]] virtual void abort_all(int code) = 0;
};

// Picks the backend: "ulfm" needs ULFM compiled in and active in the run; "auto" uses ULFM when
// both hold, else the portable backend.
std::unique_ptr<FaultTolerance> make(const Config& cfg, Engine& engine);

}  // namespace mpi_tools::ft
