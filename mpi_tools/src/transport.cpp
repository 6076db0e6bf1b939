#include "mpi_tools/transport.hpp"

#include <cerrno>

#include "mpi_tools/spin_wait.hpp"

namespace mpi_tools {

void Responder::reply(std::span<const std::byte> payload) const {
    reply(OutFrame::copy_of(payload));
}

void Responder::reply(OutFrame frame) const {
    wire::Header h;
    h.type = type_;
    h.flags = wire::kResponse;
    h.id = id_;
    h.epoch = epoch_;
    engine_->send(Channel::rpc, dest_, h, std::move(frame));
}

Transport::Transport(Engine& engine, ft::FaultTolerance& ft) : engine_(engine), ft_(ft) {
    engine_.set_response_sink([this](Incoming& in) { on_response(in); });
}

void Transport::serve(std::uint16_t type, Service s) {
    engine_.on(type, [this, s = std::move(s)](Incoming& in) {
        if (!(in.header.flags & wire::kRequest)) return;
        s(in, Responder(&engine_, in.header.src, in.header.type, in.header.id, in.header.epoch));
    });
}

void Transport::on_response(Incoming& in) {
    std::lock_guard lk(mu_);
    auto it = pending_.find(in.header.id);
    if (it == pending_.end()) return;  // the caller gave up (deadline, failure)
    it->second->done = true;
    // The reply keeps the receive buffer; the caller reads the payload where MPI put it.
    it->second->reply.payload = InPayload(std::move(in.buffer), sizeof(wire::Header));
    it->second->arrived.store(true, std::memory_order_release);
    cv_.notify_all();
}

std::shared_ptr<PendingCall> Transport::post(int dest, std::uint16_t type,
                                             std::span<const std::byte> payload) {
    return post(dest, type, OutFrame::copy_of(payload));
}

std::shared_ptr<PendingCall> Transport::post(int dest, std::uint16_t type, OutFrame frame) {
    auto pc = std::make_shared<PendingCall>();
    pc->dest_ = dest;
    if (dest < 0 || dest >= engine_.size()) {
        pc->done = true;
        pc->reply.err = EINVAL;
        return pc;
    }
    if (ft_.is_failed(dest)) {
        pc->done = true;
        pc->reply.err = EHOSTDOWN;
        return pc;
    }
    wire::Header h;
    h.type = type;
    h.flags = wire::kRequest;
    h.id = engine_.next_id();
    h.epoch = engine_.epoch();
    pc->id = h.id;
    pc->epoch = h.epoch;
    {
        std::lock_guard lk(mu_);
        pending_[h.id] = pc;
    }
    engine_.send(Channel::rpc, dest, h, std::move(frame));
    return pc;
}

Reply Transport::await(const std::shared_ptr<PendingCall>& pc, ft::Deadline dl) {
    std::unique_lock lk(mu_);
    Reply r;
    bool spun = false;  // spin once per call (spin_wait.hpp), then 1 ms sleeps
    for (;;) {
        if (pc->done) {
            r = std::move(pc->reply);
            break;
        }
        if (ft_.is_failed(pc->dest_)) {
            r.err = EHOSTDOWN;
            break;
        }
        if (engine_.epoch() != pc->epoch) {
            r.err = ECANCELED;
            break;
        }
        if (ft::Clock::now() > dl) {
            r.err = ETIMEDOUT;
            break;
        }
        const auto spin = std::chrono::microseconds(spun ? 0 : engine_.config().wait_spin_us);
        spun = true;
        spin_then_wait_for(
            lk, cv_, spin, std::chrono::milliseconds(1),
            [&] { return pc->arrived.load(std::memory_order_acquire); }, [&] { return pc->done; });
    }
    pending_.erase(pc->id);
    return r;
}

Reply Transport::call(int dest, std::uint16_t type, std::span<const std::byte> payload,
                      ft::Deadline dl) {
    return await(post(dest, type, payload), dl);
}

}  // namespace mpi_tools
