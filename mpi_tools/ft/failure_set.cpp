#include "failure_set.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace mpi_tools::ft {

FailureSet::FailureSet(int world_size)
    : n_(world_size), flags_(new std::atomic<std::uint8_t>[static_cast<std::size_t>(world_size)]) {
    for (int i = 0; i < n_; ++i) flags_[i] = 0;
}

std::vector<int> FailureSet::sorted() const {
    std::vector<int> v;
    for (int i = 0; i < n_; ++i)
        if (flags_[i]) v.push_back(i);
    return v;
}

std::vector<FailureRecord> FailureSet::log() const {
    std::lock_guard lk(mu_);
    return log_;
}

void FailureSet::on_failure(Callback cb) {
    std::lock_guard lk(mu_);
    callbacks_.push_back(std::move(cb));
}

bool FailureSet::mark(int r, const std::string& how, std::vector<Callback>* to_run) {
    if (r < 0 || r >= n_ || flags_[r].exchange(1)) return false;
    double unix_now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard lk(mu_);
    log_.push_back({r, how, Clock::now(), unix_now});
    *to_run = callbacks_;
    return true;
}

void FailureSet::abort_all(Engine& engine, int code) const {
    std::vector<std::byte> body;
    wire::Writer w(&body);
    w.put<std::int32_t>(code);
    for (int i = 0; i < n_; ++i)
        if (i != engine.rank() && !flags_[i])
            engine.send(Channel::ctrl, i, wire::MsgType::job_abort, body);
    // Give the engine a moment to push the eager sends out before this process disappears.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);
}

void FailureSet::serve_abort(Engine& engine) {
    engine.on(wire::MsgType::job_abort, [me = engine.rank()](Incoming& in) {
        wire::Reader r(in.payload());
        int code = r.get<std::int32_t>();
        if (!r.done()) return;
        std::fprintf(stderr, "mpi_tools[%d]: job aborted by rank %d with code %d\n", me,
                     in.header.src, code);
        std::fflush(stderr);
        _exit(code);
    });
}

}  // namespace mpi_tools::ft
