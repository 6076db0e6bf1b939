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
#include <span>
#include <vector>

#include "mpi_tools/engine.hpp"
#include "mpi_tools/ft.hpp"

namespace mpi_tools {

struct Reply {
    int err = 0;        // 0, EHOSTDOWN, ETIMEDOUT, ECANCELED
    InPayload payload;  // in place in the receive buffer (not copied out of it)
};

// Answers one request, from any thread, at most once.
class Responder {
  public:
    Responder(Engine* e, int dest, std::uint16_t type, std::uint64_t id, std::uint32_t epoch)
        : engine_(e), dest_(dest), type_(type), id_(id), epoch_(epoch) {}
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
    // Registers the handler for requests of this type. It runs on the progress thread: it must
    // not block; long work takes the Responder to another thread.
    void serve(std::uint16_t type, Service s);

  private:
    void on_response(Incoming& in);

    Engine& engine_;
    ft::FaultTolerance& ft_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::uint64_t, std::shared_ptr<PendingCall>> pending_;
};

}  // namespace mpi_tools
