// A fixed pool of worker threads with a bounded FIFO queue. submit() never blocks: it refuses
// work when the queue is full (by count or by bytes), so the progress thread that calls it can
// answer "busy" (EAGAIN) instead of stalling the rank's messaging.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pfs::server {

class WorkerPool {
  public:
    WorkerPool(unsigned threads, std::size_t max_requests, std::size_t max_bytes);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues `fn` accounting `bytes` against the byte bound; false (and `fn` dropped) when full.
    bool submit(std::function<void()> fn, std::size_t bytes);

  private:
    struct Item {
        std::function<void()> fn;
        std::size_t bytes = 0;
    };
    void run();

    const std::size_t max_requests_, max_bytes_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Item> queue_;
    std::size_t queued_bytes_ = 0;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace pfs::server
