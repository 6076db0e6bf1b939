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
    // After the send: a status query answered "unknown" from here on is sent after the response,
    // so the caller has the response by the time it reads that answer.
    if (mark_) mark_->done();
}

void InflightRequests::add(int src, std::uint64_t id) {
    std::lock_guard lk(mu_);
    set_.emplace(src, id);
}

void InflightRequests::remove(int src, std::uint64_t id) {
    std::lock_guard lk(mu_);
    set_.erase({src, id});
}

bool InflightRequests::contains(int src, std::uint64_t id) {
    std::lock_guard lk(mu_);
    return set_.count({src, id}) != 0;
}

InflightMark::InflightMark(std::shared_ptr<InflightRequests> reg, int src, std::uint64_t id)
    : reg_(std::move(reg)), src_(src), id_(id) {
    reg_->add(src_, id_);
}

InflightMark::~InflightMark() {
    done();
}

void InflightMark::done() {
    if (!done_.exchange(true)) reg_->remove(src_, id_);
}

Transport::Transport(Engine& engine, ft::FaultTolerance& ft) : engine_(engine), ft_(ft) {
    engine_.set_response_sink([this](Incoming& in) { on_response(in); });
    engine_.on(wire::MsgType::call_status, [this](Incoming& in) { on_status_query(in); });
    engine_.on(wire::MsgType::call_status_reply, [this](Incoming& in) { on_status_reply(in); });
}

void Transport::serve(std::uint16_t type, Service s) {
    engine_.on(type, [this, s = std::move(s)](Incoming& in) {
        if (!(in.header.flags & wire::kRequest)) return;
        auto mark = std::make_shared<InflightMark>(inflight_, in.header.src, in.header.id);
        s(in, Responder(&engine_, in.header.src, in.header.type, in.header.id, in.header.epoch,
                        std::move(mark)));
    });
}

void Transport::on_status_query(Incoming& in) {
    // On the progress thread, after every request this caller sent before the query (same
    // communicator, so MPI delivered them first and serve() registered them).
    const std::byte working{inflight_->contains(in.header.src, in.header.id) ? std::uint8_t{1}
                                                                             : std::uint8_t{0}};
    wire::Header h;
    h.type = static_cast<std::uint16_t>(wire::MsgType::call_status_reply);
    h.id = in.header.id;
    h.epoch = in.header.epoch;
    engine_.send(Channel::rpc, in.header.src, h, std::span<const std::byte>(&working, 1));
}

void Transport::on_status_reply(Incoming& in) {
    const auto body = in.payload();
    if (body.size() != 1) return;  // malformed: ignored; the caller's probe then times out
    std::lock_guard lk(mu_);
    auto it = pending_.find(in.header.id);
    if (it == pending_.end() || it->second->dest_ != in.header.src || !it->second->probing) return;
    PendingCall& pc = *it->second;
    pc.probing = false;
    if (body[0] == std::byte{1})
        pc.extended_to = ft::Clock::now() + engine_.config().call_probe_period;
    else
        pc.unknown = true;
    cv_.notify_all();
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
    return await(pc, dl, dl);
}

Reply Transport::await(const std::shared_ptr<PendingCall>& pc, ft::Deadline dl, ft::Deadline hard) {
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
        const auto now = ft::Clock::now();
        if (pc->unknown) {  // the peer has no such request: it will never answer
            r.err = ETIMEDOUT;
            break;
        }
        if (now > dl && now > pc->extended_to) {
            if (pc->probing ? now > pc->probe_due : now >= hard) {
                r.err = ETIMEDOUT;
                break;
            }
            if (!pc->probing) {
                pc->probing = true;
                pc->probe_due = now + engine_.config().call_probe_period;
                wire::Header h;
                h.type = static_cast<std::uint16_t>(wire::MsgType::call_status);
                h.id = pc->id;
                h.epoch = pc->epoch;
                engine_.send(Channel::rpc, pc->dest_, h, std::span<const std::byte>{});
            }
        }
        const auto spin = std::chrono::microseconds(spun ? 0 : engine_.config().wait_spin_us);
        spun = true;
        spin_then_wait_for(
            lk, cv_, spin, std::chrono::milliseconds(1), engine_,
            [&] { return pc->arrived.load(std::memory_order_acquire); }, [&] { return pc->done; });
    }
    pending_.erase(pc->id);
    return r;
}

Reply Transport::call(int dest, std::uint16_t type, std::span<const std::byte> payload,
                      ft::Deadline dl) {
    return await(post(dest, type, payload), dl);
}

Reply Transport::call(int dest, std::uint16_t type, std::span<const std::byte> payload,
                      ft::Deadline dl, ft::Deadline hard) {
    return await(post(dest, type, payload), dl, hard);
}

}  // namespace mpi_tools
