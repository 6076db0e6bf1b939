#include "pfs/client/event_sink.hpp"

#include <atomic>

namespace pfs::client {

namespace {
std::mutex g_sink_mu;
std::shared_ptr<EventSink> g_sink_owner;  // keeps the installed sink alive
std::atomic<EventSink*> g_sink{nullptr};
thread_local int t_dm_abort = 0;
}  // namespace

void note_dm_abort(int err) noexcept {
    t_dm_abort = err;
}
int last_dm_abort() noexcept {
    return t_dm_abort;
}
void reset_dm_abort() noexcept {
    t_dm_abort = 0;
}

void set_event_sink(std::shared_ptr<EventSink> sink) {
    std::lock_guard lk(g_sink_mu);
    g_sink.store(sink.get(), std::memory_order_release);
    // The previous sink stays alive: a thread may still be inside it.
    static std::vector<std::shared_ptr<EventSink>> retired;
    if (g_sink_owner) retired.push_back(std::move(g_sink_owner));
    g_sink_owner = std::move(sink);
}

EventSink* event_sink() noexcept {
    return g_sink.load(std::memory_order_acquire);
}

int LoggingSink::raise(const FsEvent& ev) {
    std::lock_guard lk(mu_);
    events_.push_back(ev);
    auto it = abort_.find(ev.type);
    if (it == abort_.end()) return 0;
    note_dm_abort(it->second);
    return it->second;
}

void LoggingSink::abort_with(int type, int err) {
    std::lock_guard lk(mu_);
    abort_[type] = err;
}

std::vector<FsEvent> LoggingSink::events() const {
    std::lock_guard lk(mu_);
    return events_;
}

void LoggingSink::clear() {
    std::lock_guard lk(mu_);
    events_.clear();
}

}  // namespace pfs::client
