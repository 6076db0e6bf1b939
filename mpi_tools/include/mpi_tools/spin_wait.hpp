// A condition-variable wait that polls first. The replies a thread of this system waits for (an
// RPC response, a DM event, the DM application's answer) usually arrive within microseconds,
// sooner than a sleeping thread is woken and scheduled again on a busy node; so the waiter
// re-checks its predicate for up to `spin`, and only then sleeps on the condition variable.
// Between checks it receives for itself (Engine::assist); it yields the CPU only when it cannot
// (another thread is receiving, or the next message needs the progress thread), and every
// kYieldEvery idle checks, so a notifier on the same core still runs. Callers spin once per
// wait, not per wake-up, so a long wait costs at most `spin` of CPU.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "mpi_tools/engine.hpp"

namespace mpi_tools {

namespace spin_detail {
inline constexpr int kYieldEvery = 8;
inline void relax(int& idle, Engine::Assist a) {
    if (a == Engine::Assist::moved) return;
    if (a == Engine::Assist::busy || ++idle % kYieldEvery == 0) {
        std::this_thread::yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
}  // namespace spin_detail

// lk is held on entry and on return, and released while the engine receives (the handlers it
// runs may take it). Returns pred() as of the return.
template <class Pred>
bool spin_then_wait_for(std::unique_lock<std::mutex>& lk, std::condition_variable& cv,
                        std::chrono::microseconds spin, std::chrono::steady_clock::duration wait,
                        Engine& engine, Pred pred) {
    if (pred()) return true;
    if (spin.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + spin;
        int idle = 0;
        do {
            lk.unlock();
            spin_detail::relax(idle, engine.assist());
            lk.lock();
            if (pred()) return true;
        } while (std::chrono::steady_clock::now() < until);
        engine.end_assist();
    }
    return cv.wait_for(lk, wait, pred);
}

// The same, spinning on a lock-free hint (e.g. an atomic flag set next to the guarded state) so
// that waiters do not contend for the lock the notifier needs; pred() is checked under lk.
template <class Hint, class Pred>
bool spin_then_wait_for(std::unique_lock<std::mutex>& lk, std::condition_variable& cv,
                        std::chrono::microseconds spin, std::chrono::steady_clock::duration wait,
                        Engine& engine, Hint hint, Pred pred) {
    if (pred()) return true;
    if (spin.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + spin;
        int idle = 0;
        lk.unlock();
        while (!hint() && std::chrono::steady_clock::now() < until)
            spin_detail::relax(idle, engine.assist());
        lk.lock();
        if (pred()) return true;
        engine.end_assist();
    }
    return cv.wait_for(lk, wait, pred);
}

}  // namespace mpi_tools
