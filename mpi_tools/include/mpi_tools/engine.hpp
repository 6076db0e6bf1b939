// The progress engine: one thread per rank that receives every message of the layer's own
// communicators (never the application's), dispatches it to a registered handler, completes
// sends and runs periodic pollers (heartbeats, the job leader's checks). Application threads
// never block in MPI; they send through the engine and wait on condition variables that are
// woken by handlers or by the failure detector. While a thread spins for a reply it may receive
// it itself (assist()), one thread at a time.
//
// Rules enforced here (shared/reference/fault-tolerance.md, section 8): no blocking MPI call
// that involves a peer; a send or receive whose peer has failed is abandoned and its heap
// buffer kept alive forever (the MPI library may still touch it); receives are matched with
// MPI_Improbe and completed with MPI_Imrecv + test, so a sender dying mid-transfer cannot hang
// the thread.
#pragma once

#include <mpi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mpi_tools/buffer.hpp"
#include "mpi_tools/config.hpp"
#include "mpi_tools/wire.hpp"

namespace mpi_tools {

// Two communicators, both dups of MPI_COMM_WORLD (world ranks are used on both):
//   ctrl: failure detection, agreement, collectives of the recovery path, job lifecycle;
//   rpc:  request/response traffic of the PFS and DMAPI (epoch-filtered).
enum class Channel : int { ctrl = 0, rpc = 1 };
inline constexpr int kChannels = 2;

struct Incoming {
    Channel channel;
    wire::Header header;
    Buffer buffer;  // header + payload, as MPI received it (validated by wire::decode_header)
    std::span<const std::byte> payload() const {
        return std::span<const std::byte>(buffer).subspan(sizeof(wire::Header));
    }
};

using Handler = std::function<void(Incoming&)>;

struct EngineStats {
    std::atomic<std::uint64_t> sent{0}, received{0}, dropped_malformed{0}, dropped_stale{0},
        abandoned_sends{0}, abandoned_recvs{0}, unhandled{0};
    // Per control-message type (index < 1000): how many this rank sent and received.
    std::array<std::atomic<std::uint64_t>, 1000> sent_by_type{}, received_by_type{};
};

class Engine {
  public:
    Engine(const Config& cfg, int world_rank, int world_size);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Dups MPI_COMM_WORLD twice (collective: call while every rank is alive, at startup).
    void create_communicators();
    void start();
    void stop();  // joins the thread; safe to call twice
    const Config& config() const { return cfg_; }

    void on(std::uint16_t type, Handler h);
    void on(wire::MsgType type, Handler h) { on(static_cast<std::uint16_t>(type), std::move(h)); }
    // Pollers run on the progress thread every iteration; they rate-limit themselves.
    // Registered before start() only (the loop reads them without a lock).
    void add_poller(std::function<void()> p);
    // Every message flagged kResponse goes here instead of to a type handler (Transport).
    void set_response_sink(Handler h);
    // Answers "has this world rank failed?"; set by the FT backend before start(). It is called
    // on every send and pending operation, so it must be lock-free.
    void set_failure_oracle(std::function<bool(int)> oracle);

    // Thread-safe, never blocks: the engine takes the frame, writes the header into its front
    // and posts it; the buffer is freed when the send completes, or kept forever if the peer
    // fails first. h.src, h.magic and h.len are filled in here.
    void send(Channel ch, int dest_world, wire::Header h, OutFrame frame);
    // The same with a copy of `payload` (one pass; the caller keeps its bytes).
    void send(Channel ch, int dest_world, wire::Header h, std::span<const std::byte> payload) {
        send(ch, dest_world, h, OutFrame::copy_of(payload));
    }
    void send(Channel ch, int dest_world, wire::MsgType type, std::span<const std::byte> payload,
              std::uint32_t epoch = 0) {
        wire::Header h;
        h.type = static_cast<std::uint16_t>(type);
        h.epoch = epoch;
        send(ch, dest_world, h, payload);
    }

    // rpc messages older than this epoch are dropped, newer ones are held until it advances.
    void set_epoch(std::uint32_t e);
    std::uint32_t epoch() const { return epoch_.load(); }

    // True while posted sends have not completed (used to flush before finalizing).
    bool sends_pending();
    std::uint64_t next_id() { return next_id_.fetch_add(1) + 1; }
    int rank() const { return rank_; }
    int size() const { return size_; }
    MPI_Comm comm(Channel ch) const { return comms_[static_cast<int>(ch)]; }
    const EngineStats& stats() const { return stats_; }
    // True on the progress thread, and on any thread while it receives for it (assist()):
    // handlers run there, and code that may block refuses to run from a handler.
    bool on_progress_thread() const {
        return in_pass_ || std::this_thread::get_id() == thread_.get_id();
    }
    // Receives on the calling thread, unless another thread is receiving; never blocks. A
    // thread spinning for a reply calls it so that the reply is received and handled on the
    // thread that needs it, while the progress thread steps aside (it sleeps between passes
    // while waiters assist): on a node with more threads than cores, two
    // threads of a rank polling side by side alternate at every yield, and each switch costs
    // more than the message (docs/benchmarks.md, DMAPI events). Only rpc-channel responses and
    // the types marked with allow_assist() are handled here; the first other message is left,
    // in order, to the progress thread, and so is everything after it.
    // Returns kMoved if a message moved, kIdle if nothing had arrived, kBusy if it could not
    // receive (another thread is receiving, a message waits for the progress thread, or
    // assisting is off: PFS_WAIT_ASSIST=0); a waiter should yield the CPU only on kBusy.
    enum class Assist { moved, idle, busy };
    Assist assist();
    // A waiter stops spinning (it sleeps now): the progress thread resumes polling at once.
    void end_assist();
    // Marks `type`'s handler as safe to run on a waiting thread: it takes only locks that no
    // thread holds while it waits for a reply, and it never blocks.
    void allow_assist(std::uint16_t type);

  private:
    // Moving a Buffer never moves its bytes: the pointer MPI holds stays valid while these
    // records are moved around.
    struct PendingSend {
        MPI_Request req;
        int dest;
        Buffer buf;
        Channel ch;      // for the trace's completion line
        wire::Header h;  // for the trace's completion line
    };
    struct PendingRecv {
        MPI_Request req;
        int src;
        Channel ch;
        Buffer buf;
    };

    void loop();
    bool pass();  // one pass of the loop; the caller holds pass_mu_ and has set in_pass_
    // Whether a waiter may handle this request itself (a response always; a request of a type
    // registered assist-safe).
    bool assist_safe(const wire::Header& h);
    // One waiting message of `ch` matched and its receive started: none waiting, lost (the
    // receive failed: counted, its buffer kept), started (a large message still arriving) or
    // received (complete in *pr). Shared by the progress thread and an assisting waiter.
    enum class Match { none, lost, started, received };
    Match match_one(Channel ch, PendingRecv* pr);
    bool poll_channel(Channel ch);
    bool progress_recvs();
    bool progress_sends();
    void deliver(Channel ch, int src, Buffer buf);
    void deliver_decoded(Incoming in);  // the header is decoded and valid
    void dispatch(Incoming& in);
    void release_held();
    bool peer_failed(int r) const;
    void require_not_started(const char* what) const;
    // PFS_TRACE_DIR: kind S(ent) P(robed) R(eceived, delivered) C(ompleted send).
    void trace(char kind, Channel ch, int peer, const wire::Header& h, std::size_t bytes);

    const Config cfg_;
    const int rank_, size_;
    MPI_Comm comms_[kChannels] = {MPI_COMM_NULL, MPI_COMM_NULL};
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::atomic<std::uint32_t> epoch_{0};
    std::atomic<std::uint64_t> next_id_{0};

    mutable std::shared_mutex handlers_mu_;
    std::unordered_map<std::uint16_t, Handler> handlers_;
    std::unordered_set<std::uint16_t> assist_safe_;  // guarded by handlers_mu_
    std::vector<std::function<void()>> pollers_;     // fixed before start(); no lock
    std::function<bool(int)> failure_oracle_;        // fixed before start(); no lock
    Handler response_sink_;                          // guarded by handlers_mu_

    // Held by whichever thread receives (the progress thread, or a waiter in assist()), so
    // messages are matched and handled one at a time and in order, as with one thread.
    std::mutex pass_mu_;
    static thread_local bool in_pass_;
    // When a waiter last called assist() (steady-clock ns). While waiters keep assisting, the
    // progress thread sleeps between its passes instead of polling beside them, up to
    // PFS_PROGRESS_MAX_SLEEP_US (the latency it already allows itself on an idle rank). Waking
    // it more often made every sixth event wait 40-100 us (dmapi-event-bench, 50 us steps).
    std::atomic<std::int64_t> last_assist_{0};
    // The step-aside sleep is cut short when a waiter stops spinning or leaves the progress
    // thread a message it may not handle itself (wake_progress_).
    std::mutex cede_mu_;
    std::condition_variable cede_cv_;
    std::atomic<bool> wake_progress_{false};
    void wake_progress();
    std::mutex send_mu_;
    std::vector<PendingSend> sends_;
    std::vector<PendingRecv> recvs_;  // under pass_mu_
    std::vector<Incoming> held_;      // future-epoch rpc messages; under pass_mu_
    // Received by a waiter but not safe to handle there: the progress thread delivers them
    // first, before it matches anything else. Under pass_mu_.
    std::vector<PendingRecv> deferred_;
    // Buffers of abandoned operations: the MPI library may still write into them. Under
    // pass_mu_.
    std::vector<Buffer> graveyard_;
    EngineStats stats_;
    std::mutex trace_mu_;
    std::atomic<std::FILE*> trace_{nullptr};  // opened in start(), closed in stop(); null: off
};

}  // namespace mpi_tools
