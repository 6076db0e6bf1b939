#include "worker_pool.hpp"

#include <utility>

namespace pfs::server {

WorkerPool::WorkerPool(unsigned threads, std::size_t max_requests, std::size_t max_bytes)
    : max_requests_(max_requests), max_bytes_(max_bytes) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

bool WorkerPool::submit(std::function<void()> fn, std::size_t bytes) {
    {
        std::lock_guard lk(mu_);
        // An empty queue always takes one request, however large (a single request is already
        // bounded by the wire's kMaxPayload).
        if (!queue_.empty() &&
            (queue_.size() >= max_requests_ || queued_bytes_ + bytes > max_bytes_))
            return false;
        queue_.push_back(Item{std::move(fn), bytes});
        queued_bytes_ += bytes;
    }
    cv_.notify_one();
    return true;
}

void WorkerPool::run() {
    for (;;) {
        Item item;
        {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stop_ and drained
            item = std::move(queue_.front());
            queue_.pop_front();
            queued_bytes_ -= item.bytes;
        }
        item.fn();
    }
}

}  // namespace pfs::server
