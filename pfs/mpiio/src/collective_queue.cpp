// The per-file worker of the nonblocking collectives (i*_all): one thread, started by the
// first i*_all on the file, runs the queued collectives one after another in the order this
// rank started them. MPI makes every rank start the collectives of a file in the same order,
// so the workers of all ranks meet in the same collective, and the application's thread is
// free to do anything else (messages included) until it waits for the request.
#include <exception>

#include "driver.hpp"

namespace pfs::mpiio {

struct CollectiveQueue::State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    std::uint64_t pushed = 0;    // jobs ever queued
    std::uint64_t finished = 0;  // jobs that have run, closures destroyed
    bool stop = false;           // no more jobs will come: exit once the queue is empty
    bool exited = false;         // the worker has left its loop
    std::thread::id worker;      // the worker's id once started
};

namespace {

void work(const std::shared_ptr<CollectiveQueue::State>& s) {
    std::unique_lock lk(s->mu);
    for (;;) {
        s->cv.wait(lk, [&] { return s->stop || !s->jobs.empty(); });
        if (s->jobs.empty()) break;
        {
            std::function<void()> job = std::move(s->jobs.front());
            s->jobs.pop_front();
            lk.unlock();
            try {
                job();
            } catch (...) {
                // A job completes its own request; whatever escaped it must not take the
                // worker (and with it every later request of the file) down.
            }
            // The closure holds the file: it goes before drain() can report the queue empty,
            // so a close that drained never leaves the last reference to this thread.
        }
        lk.lock();
        ++s->finished;
        s->cv.notify_all();
    }
    s->exited = true;
    s->cv.notify_all();
}

}  // namespace

CollectiveQueue::CollectiveQueue() : s_(std::make_shared<State>()) {}

CollectiveQueue::~CollectiveQueue() {
    {
        std::lock_guard lk(s_->mu);
        s_->stop = true;
    }
    s_->cv.notify_all();
    if (!worker_.joinable()) return;
    // The state is shared with the thread, so letting it finish on its own is safe; joining is
    // impossible from the worker itself (its job held the last reference to the file).
    if (worker_.get_id() == std::this_thread::get_id())
        worker_.detach();
    else
        worker_.join();
}

void CollectiveQueue::push(std::function<void()> job) {
    {
        std::lock_guard lk(s_->mu);
        if (!s_->stop && !s_->exited) {
            if (!worker_.joinable()) {
                try {
                    worker_ = std::thread(work, s_);
                    s_->worker = worker_.get_id();
                } catch (const std::exception&) {
                    worker_ = std::thread();
                }
            }
            if (worker_.joinable()) {
                s_->jobs.push_back(std::move(job));
                ++s_->pushed;
                s_->cv.notify_all();
                return;
            }
        }
    }
    // No worker (the thread could not start, or the file is closing): done here, at
    // initiation, as a blocking call. Nothing is queued before it then, so the order holds.
    job();
}

void CollectiveQueue::drain() {
    std::unique_lock lk(s_->mu);
    if (s_->worker == std::this_thread::get_id()) return;  // a job cannot wait for itself
    const std::uint64_t target = s_->pushed;
    // No deadline of its own: each queued collective has exactly the failure handling of the
    // blocking call it stands for (the job runtime's policy for a dead rank, the client's
    // deadline for the servers), so this waits as long as those calls would have, and no
    // longer once the worker is gone.
    s_->cv.wait(lk, [&] { return s_->finished >= target || s_->exited; });
}

void CollectiveQueue::stop() {
    drain();
    {
        std::lock_guard lk(s_->mu);
        s_->stop = true;
    }
    s_->cv.notify_all();
    if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

}  // namespace pfs::mpiio
