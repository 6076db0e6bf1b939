// A condition-variable wait that polls first. The replies a thread of this system waits for (an
// RPC response, a DM event, the DM application's answer) usually arrive within microseconds,
// sooner than a sleeping thread is woken and scheduled again on a busy node; so the waiter
// re-checks its predicate for up to `spin`, yielding the CPU between checks (other threads on
// an oversubscribed node still run), and only then sleeps on the condition variable. Callers
// spin once per wait, not per wake-up, so a long wait costs at most `spin` of CPU.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace mpi_tools {

// lk is held on entry and on return. Returns pred() as of the return.
template <class Pred>
bool spin_then_wait_for(std::unique_lock<std::mutex>& lk, std::condition_variable& cv,
                        std::chrono::microseconds spin, std::chrono::steady_clock::duration wait,
                        Pred pred) {
    if (pred()) return true;
    if (spin.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + spin;
        do {
            lk.unlock();
            std::this_thread::yield();
            lk.lock();
            if (pred()) return true;
        } while (std::chrono::steady_clock::now() < until);
    }
    return cv.wait_for(lk, wait, pred);
}

// The same, spinning on a lock-free hint (e.g. an atomic flag set next to the guarded state) so
// that waiters do not contend for the lock the notifier needs; pred() is checked under lk.
template <class Hint, class Pred>
bool spin_then_wait_for(std::unique_lock<std::mutex>& lk, std::condition_variable& cv,
                        std::chrono::microseconds spin, std::chrono::steady_clock::duration wait,
                        Hint hint, Pred pred) {
    if (pred()) return true;
    if (spin.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + spin;
        lk.unlock();
        while (!hint() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
        lk.lock();
        if (pred()) return true;
    }
    return cv.wait_for(lk, wait, pred);
}

}  // namespace mpi_tools
