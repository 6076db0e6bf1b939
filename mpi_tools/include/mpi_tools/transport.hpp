// Request/response over the engine's rpc channel, with deadlines and failure awareness: a call
// returns when the response arrives, the peer is known failed (EHOSTDOWN), the deadline passes
// (ETIMEDOUT) or the FT epoch advanced under it (ECANCELED: a recovery happened; the caller
// retries against the new owner of whatever it asked for).
#pragma once

#include <atomic>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "mpi_tools/engine.hpp"
#include "mpi_tools/ft.hpp"

namespace mpi_tools {

struct Reply {
    int err = 0;        // 0, EHOSTDOWN, ETIMEDOUT, ECANCELED
    InPayload payload;  // in place in the receive buffer (not copied out of it)
};

// The requests a rank has received and not yet answered, keyed (caller, id): what it answers
// a call_status query with. Shared with every Responder, which may outlive the Transport.
class InflightRequests {
  public:
    void add(int src, std::uint64_t id);
    void remove(int src, std::uint64_t id);
    bool contains(int src, std::uint64_t id);

  private:
    std::mutex mu_;
    std::set<std::pair<int, std::uint64_t>> set_;
};

// One request's entry in InflightRequests, removed when it is answered or when the last copy of
// its Responder is dropped unanswered (a handler that never replies is not "working on it").
class InflightMark {
  public:
    InflightMark(std::shared_ptr<InflightRequests> reg, int src, std::uint64_t id);
    ~InflightMark();
    InflightMark(const InflightMark&) = delete;
    InflightMark& operator=(const InflightMark&) = delete;
    void done();

  private:
    std::shared_ptr<InflightRequests> reg_;
    int src_;
    std::uint64_t id_;
    std::atomic<bool> done_{false};
};

// Answers one request, from any thread, at most once.
class Responder {
  public:
    Responder(Engine* e, int dest, std::uint16_t type, std::uint64_t id, std::uint32_t epoch,
              std::shared_ptr<InflightMark> mark = nullptr)
        : engine_(e), dest_(dest), type_(type), id_(id), epoch_(epoch), mark_(std::move(mark)) {}
    void reply(std::span<const std::byte> payload) const;
    // Sends the frame the caller built (OutFrame: no further copy of its payload).
    void reply(OutFrame frame) const;
    int peer() const { return dest_; }

  private:
    Engine* engine_;
    int dest_;
    std::uint16_t type_;
    std::uint64_t id_;
    std::uint32_t epoch_;
    std::shared_ptr<InflightMark> mark_;
};

class Transport;

// A request in flight (Transport::post). Several can be outstanding at once, e.g. one per
// storage server of a striped write, and are then awaited in any order.
class PendingCall {
  public:
    int dest() const { return dest_; }

  private:
    friend class Transport;
    int dest_ = -1;
    std::uint64_t id = 0;
    std::uint32_t epoch = 0;
    bool done = false;                 // guarded by Transport::mu_
    std::atomic<bool> arrived{false};  // set with done: what a spinning awaiter polls, lock-free
    Reply reply;
    // call_status probing (await with a hard bound), guarded by Transport::mu_: the wait may go
    // on until `extended_to`; a probe is outstanding until `probe_due`; `unknown`: the peer
    // answered that it has no such request in progress (lost, or answered and dropped).
    ft::Deadline extended_to{};
    ft::Deadline probe_due{};
    bool probing = false;
    bool unknown = false;
};

class Transport {
  public:
    using Service = std::function<void(Incoming& request, Responder responder)>;

    Transport(Engine& engine, ft::FaultTolerance& ft);
    // Blocks the calling thread (never the progress thread) until the reply or a failure.
    Reply call(int dest_world, std::uint16_t type, std::span<const std::byte> payload,
               ft::Deadline dl);
    // Sends the request and returns at once; await() collects the reply (exactly once).
    std::shared_ptr<PendingCall> post(int dest_world, std::uint16_t type,
                                      std::span<const std::byte> payload);
    // The same with a frame the caller built; the engine sends its bytes without copying them.
    std::shared_ptr<PendingCall> post(int dest_world, std::uint16_t type, OutFrame frame);
    // Same outcomes as call(): the reply, EHOSTDOWN, ETIMEDOUT or ECANCELED.
    Reply await(const std::shared_ptr<PendingCall>& pc, ft::Deadline dl);
    // Whether pc's reply has arrived, so that await() returns it at once. Never blocks.
    static bool ready(const std::shared_ptr<PendingCall>& pc) {
        return pc->arrived.load(std::memory_order_acquire);
    }
    // The same, but a live peer that is slow is given until `hard`: once `dl` passes, the caller
    // asks the peer (call_status) whether it is still working on the request, and each "yes"
    // answered within Config::call_probe_period extends the wait by that period. A peer that
    // does not answer (hung) or does not know the request (lost) gives ETIMEDOUT at once.
    Reply await(const std::shared_ptr<PendingCall>& pc, ft::Deadline dl, ft::Deadline hard);
    Reply call(int dest_world, std::uint16_t type, std::span<const std::byte> payload,
               ft::Deadline dl, ft::Deadline hard);
    // Registers the handler for requests of this type. It runs on the progress thread: it must
    // not block; long work takes the Responder to another thread.
    void serve(std::uint16_t type, Service s);

  private:
    void on_response(Incoming& in);
    void on_status_query(Incoming& in);
    void on_status_reply(Incoming& in);

    Engine& engine_;
    ft::FaultTolerance& ft_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::uint64_t, std::shared_ptr<PendingCall>> pending_;
    std::shared_ptr<InflightRequests> inflight_ = std::make_shared<InflightRequests>();
};

}  // namespace mpi_tools
