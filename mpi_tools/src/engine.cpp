#include "mpi_tools/engine.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace mpi_tools {

using Clock = std::chrono::steady_clock;

namespace {
std::int64_t ns_of(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

Engine::Engine(const Config& cfg, int world_rank, int world_size)
    : cfg_(cfg), rank_(world_rank), size_(world_size) {}

Engine::~Engine() {
    stop();
}

void Engine::create_communicators() {
    for (auto& c : comms_) {
        MPI_Comm_dup(MPI_COMM_WORLD, &c);
        MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
    }
}

void Engine::start() {
    if (!cfg_.trace_dir.empty()) {
        const std::string path = cfg_.trace_dir + "/rpc." + std::to_string(rank_) + ".log";
        trace_ = std::fopen(path.c_str(), "a");
        if (trace_.load() == nullptr)
            std::fprintf(stderr, "mpi_tools[%d]: PFS_TRACE_DIR: cannot open %s\n", rank_,
                         path.c_str());
    }
    running_ = true;
    thread_ = std::thread([this] { loop(); });
}

void Engine::stop() {
    if (!running_.exchange(false)) return;
    if (thread_.joinable()) thread_.join();
    { std::lock_guard wait_for_assist(pass_mu_); }  // a waiter still receiving ends first
    std::lock_guard lk(trace_mu_);
    if (std::FILE* f = trace_.exchange(nullptr); f != nullptr) std::fclose(f);
}

void Engine::trace(char kind, Channel ch, int peer, const wire::Header& h, std::size_t bytes) {
    if (trace_.load(std::memory_order_relaxed) == nullptr) return;
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
            .count();
    std::lock_guard lk(trace_mu_);
    std::FILE* f = trace_.load();
    if (f == nullptr) return;
    std::fprintf(f, "%lld %c %d %d %u %u %llu %u %zu\n", static_cast<long long>(us), kind,
                 static_cast<int>(ch), peer, static_cast<unsigned>(h.type),
                 static_cast<unsigned>(h.flags), static_cast<unsigned long long>(h.id),
                 static_cast<unsigned>(h.epoch), bytes);
}

void Engine::on(std::uint16_t type, Handler h) {
    std::unique_lock lk(handlers_mu_);
    handlers_[type] = std::move(h);
}

void Engine::allow_assist(std::uint16_t type) {
    std::unique_lock lk(handlers_mu_);
    assist_safe_.insert(type);
}

void Engine::add_poller(std::function<void()> p) {
    require_not_started("add_poller");
    pollers_.push_back(std::move(p));
}

void Engine::set_response_sink(Handler h) {
    std::unique_lock lk(handlers_mu_);
    response_sink_ = std::move(h);
}

void Engine::set_failure_oracle(std::function<bool(int)> oracle) {
    require_not_started("set_failure_oracle");
    failure_oracle_ = std::move(oracle);
}

void Engine::require_not_started(const char* what) const {
    // Pollers and the oracle are read by the progress thread without a lock on every
    // iteration and every send: they are fixed before it starts.
    if (running_.load()) {
        std::fprintf(stderr, "mpi_tools: Engine::%s after start() (programming error)\n", what);
        std::abort();
    }
}

bool Engine::peer_failed(int r) const {
    return failure_oracle_ && failure_oracle_(r);
}

bool Engine::sends_pending() {
    std::lock_guard lk(send_mu_);
    return !sends_.empty();
}

void Engine::set_epoch(std::uint32_t e) {
    std::uint32_t cur = epoch_.load();
    while (e > cur && !epoch_.compare_exchange_weak(cur, e)) {
    }
}

void Engine::send(Channel ch, int dest, wire::Header h, OutFrame frame) {
    if (dest < 0 || dest >= size_) return;
    h.src = rank_;
    Buffer buf = std::move(frame).release();
    wire::put_header(h, buf);
    if (h.type < 1000) stats_.sent_by_type[h.type]++;
    stats_.sent++;
    if (peer_failed(dest)) {
        stats_.abandoned_sends++;
        return;  // never post to a dead peer (tcp: SIGPIPE/hang on connect)
    }
    trace('S', ch, dest, h, buf.size());
    PendingSend ps{MPI_REQUEST_NULL, dest, std::move(buf), ch, h};
    int rc = MPI_Isend(ps.buf.data(), static_cast<int>(ps.buf.size()), MPI_BYTE, dest,
                       static_cast<int>(h.type), comms_[static_cast<int>(ch)], &ps.req);
    if (rc != MPI_SUCCESS) {
        stats_.abandoned_sends++;
        return;
    }
    std::lock_guard lk(send_mu_);
    sends_.push_back(std::move(ps));
}

bool Engine::progress_sends() {
    std::lock_guard lk(send_mu_);
    bool any = false;
    for (std::size_t i = 0; i < sends_.size();) {
        int flag = 0;
        MPI_Test(&sends_[i].req, &flag, MPI_STATUS_IGNORE);
        if (flag) {
            any = true;
            trace('C', sends_[i].ch, sends_[i].dest, sends_[i].h, sends_[i].buf.size());
            sends_[i] = std::move(sends_.back());
            sends_.pop_back();
        } else if (peer_failed(sends_[i].dest)) {
            // Abandon: no MPI_Wait, no free; keep the buffer forever.
            stats_.abandoned_sends++;
            graveyard_.push_back(std::move(sends_[i].buf));
            sends_[i] = std::move(sends_.back());
            sends_.pop_back();
        } else {
            ++i;
        }
    }
    return any;
}

Engine::Match Engine::match_one(Channel ch, PendingRecv* pr) {
    int flag = 0;
    MPI_Message msg;
    MPI_Status st;
    if (MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comms_[static_cast<int>(ch)], &flag, &msg, &st) !=
            MPI_SUCCESS ||
        !flag)
        return Match::none;
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    if (trace_.load(std::memory_order_relaxed) != nullptr) {
        wire::Header probed;
        probed.type = static_cast<std::uint16_t>(st.MPI_TAG);
        trace('P', ch, st.MPI_SOURCE, probed, static_cast<std::size_t>(count));
    }
    // Uninitialised: a receive that completes without error has written all `count` bytes
    // (the probed size); one that completes with an error is dropped, never delivered.
    *pr = PendingRecv{MPI_REQUEST_NULL, st.MPI_SOURCE, ch, Buffer(static_cast<std::size_t>(count))};
    int done = 0;
    if (MPI_Imrecv(pr->buf.data(), count, MPI_BYTE, &msg, &pr->req) != MPI_SUCCESS ||
        MPI_Test(&pr->req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        stats_.abandoned_recvs++;
        graveyard_.push_back(std::move(pr->buf));
        return Match::lost;
    }
    return done ? Match::received : Match::started;
}

bool Engine::poll_channel(Channel ch) {
    bool any = false;
    // Bounded per iteration so one chatty channel cannot starve the other or the pollers.
    for (int n = 0; n < 64; ++n) {
        PendingRecv pr;
        const Match m = match_one(ch, &pr);
        if (m == Match::none) break;
        any = true;
        if (m == Match::received)
            deliver(ch, pr.src, std::move(pr.buf));
        else if (m == Match::started)
            recvs_.push_back(std::move(pr));
    }
    return any;
}

bool Engine::progress_recvs() {
    bool any = false;
    for (std::size_t i = 0; i < recvs_.size();) {
        int done = 0;
        const int rc = MPI_Test(&recvs_[i].req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            stats_.abandoned_recvs++;  // errored: its bytes may be partial; never delivered
            graveyard_.push_back(std::move(recvs_[i].buf));
            recvs_[i] = std::move(recvs_.back());
            recvs_.pop_back();
        } else if (done) {
            any = true;
            auto pr = std::move(recvs_[i]);
            recvs_[i] = std::move(recvs_.back());
            recvs_.pop_back();
            deliver(pr.ch, pr.src, std::move(pr.buf));
        } else if (peer_failed(recvs_[i].src)) {
            stats_.abandoned_recvs++;
            graveyard_.push_back(std::move(recvs_[i].buf));
            recvs_[i] = std::move(recvs_.back());
            recvs_.pop_back();
        } else {
            ++i;
        }
    }
    return any;
}

void Engine::deliver(Channel ch, int src, Buffer buf) {
    Incoming in{ch, {}, std::move(buf)};
    auto err = wire::decode_header(in.buffer, src, &in.header);
    if (err != wire::DecodeError::ok) {
        stats_.dropped_malformed++;
        std::fprintf(stderr, "mpi_tools[%d]: dropped malformed message from rank %d: %s\n", rank_,
                     src, wire::to_string(err));
        return;
    }
    deliver_decoded(std::move(in));
}

void Engine::deliver_decoded(Incoming in) {
    const Channel ch = in.channel;
    const int src = in.header.src;
    stats_.received++;
    trace('R', ch, src, in.header, in.buffer.size());
    if (in.header.type < 1000) stats_.received_by_type[in.header.type]++;
    if (ch == Channel::rpc) {
        std::uint32_t e = epoch_.load();
        if (in.header.epoch < e) {
            stats_.dropped_stale++;
            return;
        }
        if (in.header.epoch > e) {
            held_.push_back(std::move(in));
            return;
        }
    }
    dispatch(in);
}

void Engine::dispatch(Incoming& in) {
    Handler h;
    {
        std::shared_lock lk(handlers_mu_);
        if (in.header.flags & wire::kResponse) {
            h = response_sink_;
        } else {
            auto it = handlers_.find(in.header.type);
            if (it != handlers_.end()) h = it->second;
        }
    }
    if (!h) {
        stats_.unhandled++;
        return;
    }
    h(in);
}

void Engine::release_held() {
    if (held_.empty()) return;
    std::uint32_t e = epoch_.load();
    for (std::size_t i = 0; i < held_.size();) {
        if (held_[i].header.epoch <= e) {
            Incoming in = std::move(held_[i]);
            held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
            if (in.header.epoch == e)
                dispatch(in);
            else
                stats_.dropped_stale++;
        } else {
            ++i;
        }
    }
}

thread_local bool Engine::in_pass_ = false;

bool Engine::pass() {
    bool any = !deferred_.empty();
    for (auto& d : deferred_) deliver(d.ch, d.src, std::move(d.buf));
    deferred_.clear();
    any |= poll_channel(Channel::ctrl);
    any |= poll_channel(Channel::rpc);
    any |= progress_recvs();
    any |= progress_sends();
    release_held();
    return any;
}

bool Engine::assist_safe(const wire::Header& h) {
    if (h.flags & wire::kResponse) return true;
    std::shared_lock lk(handlers_mu_);
    return assist_safe_.count(h.type) != 0;
}

Engine::Assist Engine::assist() {
    // in_pass_: a handler that ends up here must not re-lock pass_mu_ (undefined for a
    // std::mutex); the pass it runs in delivers whatever it waits for.
    if (in_pass_ || !cfg_.wait_assist || !running_.load(std::memory_order_relaxed))
        return Assist::busy;
    last_assist_.store(ns_of(Clock::now()), std::memory_order_relaxed);
    std::unique_lock lk(pass_mu_, std::try_to_lock);
    if (!lk.owns_lock() || !running_.load() || !deferred_.empty()) return Assist::busy;
    in_pass_ = true;
    Assist result = Assist::idle;
    for (int n = 0; n < 16; ++n) {
        PendingRecv pr;
        const Match m = match_one(Channel::rpc, &pr);
        if (m == Match::none) break;
        result = Assist::moved;
        if (m == Match::lost) continue;
        if (m == Match::started) {  // a large message: the progress thread completes it, at once
            recvs_.push_back(std::move(pr));
            wake_progress();
            break;
        }
        Incoming in{Channel::rpc, {}, std::move(pr.buf)};
        if (wire::decode_header(in.buffer, pr.src, &in.header) != wire::DecodeError::ok) {
            deliver(Channel::rpc, pr.src, std::move(in.buffer));  // counts and drops it
            continue;
        }
        if (!assist_safe(in.header)) {
            pr.buf = std::move(in.buffer);
            deferred_.push_back(std::move(pr));
            wake_progress();
            break;
        }
        deliver_decoded(std::move(in));
    }
    in_pass_ = false;
    return result;
}

void Engine::wake_progress() {
    wake_progress_.store(true, std::memory_order_relaxed);
    std::lock_guard lk(cede_mu_);
    cede_cv_.notify_one();
}

void Engine::end_assist() {
    last_assist_.store(0, std::memory_order_relaxed);
    wake_progress();
}

void Engine::loop() {
    auto last_activity = Clock::now();
    int sleep_us = 1;
    while (running_.load(std::memory_order_relaxed)) {
        bool any = false, receiving = false;
        {
            std::lock_guard lk(pass_mu_);
            in_pass_ = true;
            any = pass();
            in_pass_ = false;
            receiving = !recvs_.empty();  // only passes complete them: no stepping aside
        }
        for (auto& p : pollers_) p();
        const auto now = Clock::now();
        const std::int64_t cede_ns = std::int64_t{cfg_.progress_max_sleep_us} * 1000;
        if (!receiving && ns_of(now) - last_assist_.load(std::memory_order_relaxed) < cede_ns) {
            // A waiter of this rank receives for itself: leave it the core. Passes continue
            // (for the control channel and what a waiter may not handle) when a waiter stops
            // spinning or leaves a message here, or after the idle rank's longest sleep.
            std::unique_lock lk(cede_mu_);
            cede_cv_.wait_for(lk, std::chrono::nanoseconds(cede_ns),
                              [&] { return wake_progress_.load(std::memory_order_relaxed); });
            wake_progress_.store(false, std::memory_order_relaxed);
            last_activity = Clock::now();
            sleep_us = 1;
            continue;
        }
        if (any) {
            last_activity = now;
            sleep_us = 1;
            continue;
        }
        if (now - last_activity < std::chrono::microseconds(cfg_.progress_spin_us)) {
            std::this_thread::yield();
            continue;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
        sleep_us = std::min(cfg_.progress_max_sleep_us, sleep_us * 2 + 1);
    }
}

}  // namespace mpi_tools
