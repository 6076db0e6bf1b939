// The job's side of volume adoption (docs/pfs.md "Volume adoption"): deciding whether the PFS
// survives a service rank's death, and the recovery thread of every rank. The sequence is the
// design's (DESIGN.md section 4): detect (the FT layer's callback) -> agree on the failed set
// and shrink (every live rank takes part; the epoch advances, so every request in flight ends
// with ECANCELED and is retried by its caller) -> each rank computes the same VolumeMap from the
// agreed member list -> the listeners (pfs-server: open the adopted volumes; the client: route
// to the new servers) run. No explicit revoke: the epoch change is what cancels old requests,
// and the DMAPI layer's failure-aware collectives are not disturbed by one.
#include <cstdio>
#include <thread>

#include "mpi_tools/job.hpp"
#include "mpi_tools/volume_map.hpp"

namespace mpi_tools {

bool Job::volumes_adoptable(int /*dead_rank*/) const {
    if (!cfg_.volume_adoption || layout_.plain) return false;
    // In a DMAPI job the first meta rank is also the DMAPI session manager: that duty moves to
    // the lowest live meta rank, else the lowest live rank (dmapi::core::Node::manager), from
    // the session table every rank holds a replica of (claims 9, 10).
    std::vector<int> live;
    for (int m : ft_->members())
        if (!ft_->is_failed(m)) live.push_back(m);
    return VolumeMap(layout_, live).complete();
}

void Job::on_recovered(std::function<void(const std::vector<int>&)> cb) {
    std::lock_guard lk(rec_mu_);
    rec_listeners_.push_back(std::move(cb));
}

void Job::start_recovery_thread() {
    if (layout_.plain || !cfg_.volume_adoption) return;
    std::thread([this] { recovery_loop(); }).detach();  // lives until the process exits
}

void Job::request_recovery() {
    {
        std::lock_guard lk(rec_mu_);
        rec_due_ = true;
    }
    rec_cv_.notify_all();
}

void Job::recovery_loop() {
    for (;;) {
        std::vector<std::function<void(const std::vector<int>&)>> listeners;
        {
            std::unique_lock lk(rec_mu_);
            rec_cv_.wait(lk, [&] { return rec_due_; });
            rec_due_ = false;
        }
        {
            std::lock_guard lk(mu_);
            if (shutdown_received_) continue;  // ranks are leaving; nothing to recover
        }
        if (!ft_->failure_pending()) continue;  // an earlier round covered this failure
        const auto t0 = ft::Clock::now();
        // shrink() agrees and repeats while members fail during its validation.
        const ft::Decision d = ft_->shrink();
        const auto members = ft_->members();
        const double ms = std::chrono::duration<double, std::milli>(ft::Clock::now() - t0).count();
        recoveries_++;
        if (leader() == rank_) {
            std::string failed;
            for (int f : d.failed) failed += (failed.empty() ? "" : ",") + std::to_string(f);
            std::fprintf(stderr,
                         "mpi_tools[%d]: recovery: agreed failed ranks [%s], epoch %u, %zu live "
                         "ranks (%.1f ms)\n",
                         rank_, failed.c_str(), ft_->epoch(), members.size(), ms);
        }
        {
            std::lock_guard lk(rec_mu_);
            listeners = rec_listeners_;
        }
        for (auto& cb : listeners) cb(members);
    }
}

}  // namespace mpi_tools
