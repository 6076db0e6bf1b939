#include "dir_delegations.hpp"

#include <algorithm>

#include "pfs/common/config.hpp"
#include "pfs/proto/messages.hpp"

namespace pfs::server {

DirDelegations::DirDelegations(mpi_tools::ft::FaultTolerance& ft, AttrLeases& sender)
    : ft_(ft), sender_(sender) {}

void DirDelegations::recall(Ino dir, Entry& e, Clock::time_point now) {
    if (e.recalled != Clock::time_point{} && now - e.recalled < config::kDelegationRecallRetry)
        return;
    e.recalled = now;
    sender_.send(e.holder, proto::MsgType::deleg_recall_req,
                 proto::encode(proto::DelegRecallReq{dir}), now + config::kDelegationRecallRetry);
}

int DirDelegations::guard(Ino ino) {
    if (count_.load(std::memory_order_acquire) == 0) return 0;
    const int asker = AttrLeases::requester();
    if (asker < 0) return 0;
    const auto now = Clock::now();
    std::lock_guard lk(mu_);
    auto busy = [&](Ino dir, Entry& e) {
        if (e.holder == asker || ft_.is_failed(e.holder)) return false;
        recall(dir, e, now);
        return true;
    };
    if (ino == 0) {  // a scan of every inode: all delegated directories must be in
        bool any = false;
        for (auto& [dir, e] : held_) any = busy(dir, e) || any;
        return any ? EAGAIN : 0;
    }
    auto it = held_.find(ino);
    return it != held_.end() && busy(it->first, it->second) ? EAGAIN : 0;
}

bool DirDelegations::full() const {
    return count_.load(std::memory_order_relaxed) >= config::kMaxDelegations;
}

void DirDelegations::granted(Ino dir, int holder) {
    std::lock_guard lk(mu_);
    held_[dir] = Entry{holder, {}};
    count_.store(held_.size(), std::memory_order_release);
}

void DirDelegations::ended(Ino dir) {
    std::lock_guard lk(mu_);
    held_.erase(dir);
    count_.store(held_.size(), std::memory_order_release);
}

std::vector<Ino> DirDelegations::take_dead(const std::vector<int>& live) {
    std::vector<Ino> out;
    std::lock_guard lk(mu_);
    for (auto it = held_.begin(); it != held_.end();) {
        if (std::find(live.begin(), live.end(), it->second.holder) == live.end()) {
            out.push_back(it->first);
            it = held_.erase(it);
        } else {
            ++it;
        }
    }
    count_.store(held_.size(), std::memory_order_release);
    return out;
}

}  // namespace pfs::server
