#include "rights_service.hpp"

#include <cerrno>

#include "pfs/meta/meta_store.hpp"

namespace pfs::server {

using namespace pfs::proto;
using Right = RightsTable::Right;

namespace {

DmRightResp resp(int err, std::uint8_t right = 0) {
    DmRightResp r;
    r.err = err;
    r.right = right;
    return r;
}

int check_file(const meta::MetaStore& m, Ino ino, Gen gen) {
    if (ino == 0) return EINVAL;  // rights are on files, not on the file system
    auto in = m.get_inode(ino);
    if (!in) return in.error() == ENOENT ? EBADF : in.error();
    return in->attr.gen == gen ? 0 : EBADF;
}

}  // namespace

RightsService::RightsService(mpi_tools::Transport& t, mpi_tools::ft::FaultTolerance& ft,
                             std::shared_ptr<CacheTracker> tracker, meta::MetaStore& m)
    : t_(t), ft_(ft), tracker_(std::move(tracker)), m_(m) {
    ft_.on_failure([this](int rank, const std::string&) {
        std::lock_guard lk(mu_);  // progress thread: only note it, the reaper does the work
        failed_.push_back(rank);
        cv_.notify_all();
    });
    reaper_ = std::thread([this] { reaper(); });
}

RightsService::~RightsService() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
        cv_.notify_all();
    }
    if (reaper_.joinable()) reaper_.join();
}

void RightsService::state(Ino ino, Gen gen, std::uint8_t* held, bool* active) {
    std::lock_guard lk(mu_);
    *held = table_.strongest({ino, gen});
    *active = ever_active_;
}

void RightsService::publish(RightsTable::File f, RightsTable::Holder h, bool activate,
                            mpi_tools::Responder r, DmRightResp out) {
    std::shared_future<int> activation;
    {
        std::lock_guard lk(mu_);
        if (activate) {
            std::promise<int> p;
            activation_ = p.get_future().share();
            // The activation's own invalidation runs on this thread (below), first.
            std::thread([this, p = std::move(p)]() mutable {
                p.set_value(invalidate_cached(t_, *tracker_, 0));
            }).detach();
        }
        activation = activation_;
    }
    // Off the worker pool: the caching ranks answer only when their operations under the old
    // state are done, and those may need a worker of this server.
    std::thread([this, f, h, r, out, activation]() mutable {
        int err = activation.valid() ? activation.get() : 0;
        if (err == 0) err = invalidate_cached(t_, *tracker_, f.first);
        if (err != 0) {  // a live rank did not confirm: it may run past the right, so no grant
            std::vector<std::function<void()>> after;
            {
                std::lock_guard lk(mu_);
                RightsTable::Effect eff;
                if (table_.release(f, h, &eff) == 0) retry_parked_locked({f}, &after);
            }
            for (auto& a : after) a();
            out = resp(err);
        }
        r.reply(encode(out));
    }).detach();
}

void RightsService::handle(const DmRightReq& q, const mpi_tools::Responder& r) {
    const auto op = static_cast<RightOp>(q.op);
    const RightsTable::File f{q.ino, q.gen};
    const RightsTable::Holder h{q.sid, q.token};
    const int rank = r.peer();
    if (op == RightOp::wait_clear) {
        const Right want =
            q.right >= RightsTable::kExcl ? RightsTable::kExcl : RightsTable::kShared;
        std::lock_guard lk(mu_);
        if (!table_.conflicts(f, want)) {
            r.reply(encode(resp(0)));
            return;
        }
        parked_.push_back({op, f, h, rank, want, r, std::chrono::steady_clock::now() + kParkLimit});
        return;
    }
    if (op == RightOp::release_rank || op == RightOp::release_token) {
        std::vector<std::function<void()>> after;
        {
            std::lock_guard lk(mu_);
            RightsTable::Effect eff;
            retry_parked_locked(op == RightOp::release_rank ? table_.release_rank(rank, &eff)
                                                            : table_.release_token(h, &eff),
                                &after);
        }
        for (auto& a : after) a();
        r.reply(encode(resp(0)));
        return;
    }
    if (int e = check_file(m_, q.ino, q.gen)) {
        r.reply(encode(resp(e)));
        return;
    }
    if (ft_.is_failed(rank)) return;  // its rights are gone with it; nobody waits for this
    std::vector<std::function<void()>> after;
    std::unique_lock lk(mu_);
    RightsTable::Effect eff;
    int err = 0;
    switch (op) {
        case RightOp::query: {
            const std::uint8_t held = table_.query(f, h);
            lk.unlock();
            r.reply(encode(resp(0, held)));
            return;
        }
        case RightOp::request: {
            const Right want =
                q.right >= RightsTable::kExcl ? RightsTable::kExcl : RightsTable::kShared;
            if (q.right == 0) {
                err = EINVAL;
                break;
            }
            err = table_.request(f, h, rank, want, &eff);
            if (err == EAGAIN && q.wait) {
                parked_.push_back(
                    {op, f, h, rank, want, r, std::chrono::steady_clock::now() + kParkLimit});
                return;
            }
            break;
        }
        case RightOp::upgrade:
            err = table_.upgrade(f, h, &eff);
            if (err == EAGAIN) {
                // Two shared holders upgrading at once would wait for each other for ever.
                for (const auto& p : parked_)
                    if (p.op == RightOp::upgrade && p.file == f && !(p.holder == h)) err = EBUSY;
                if (err == EAGAIN) {
                    parked_.push_back({op, f, h, rank, RightsTable::kExcl, r,
                                       std::chrono::steady_clock::now() + kParkLimit});
                    return;
                }
            }
            break;
        case RightOp::release:
            err = table_.release(f, h, &eff);
            if (err == 0) retry_parked_locked({f}, &after);
            break;
        case RightOp::downgrade:
            err = table_.downgrade(f, h, &eff);
            if (err == 0) retry_parked_locked({f}, &after);
            break;
        default:
            err = EINVAL;
    }
    const std::uint8_t now = table_.query(f, h);
    const bool activate = eff.stronger && !ever_active_;
    if (eff.stronger) ever_active_ = true;
    lk.unlock();
    for (auto& a : after) a();
    if (err == 0 && eff.stronger) {
        publish(f, h, activate, r, resp(0, now));
        return;
    }
    // On the wire EAGAIN means "server busy, send again" (the client's rpc layer does so): a
    // conflict travels as ENOLCK, and libdmapi reports it as XDSM's EAGAIN.
    r.reply(encode(resp(err == EAGAIN ? ENOLCK : err, now)));
}

void RightsService::retry_parked_locked(const std::vector<RightsTable::File>& files,
                                        std::vector<std::function<void()>>* after) {
    for (auto it = parked_.begin(); it != parked_.end();) {
        bool touched = false;
        for (const auto& f : files) touched = touched || f == it->file;
        if (!touched) {
            ++it;
            continue;
        }
        if (it->op == RightOp::wait_clear) {
            if (table_.conflicts(it->file, it->right)) {
                ++it;
                continue;
            }
            after->push_back([r = it->r] { r.reply(encode(resp(0))); });
            it = parked_.erase(it);
            continue;
        }
        if (ft_.is_failed(it->rank)) {
            it = parked_.erase(it);
            continue;
        }
        RightsTable::Effect eff;
        const int err = it->op == RightOp::upgrade
                            ? table_.upgrade(it->file, it->holder, &eff)
                            : table_.request(it->file, it->holder, it->rank, it->right, &eff);
        if (err == EAGAIN) {
            ++it;
            continue;
        }
        const bool activate = eff.stronger && !ever_active_;
        if (eff.stronger) ever_active_ = true;
        const std::uint8_t now = table_.query(it->file, it->holder);
        if (err == 0 && eff.stronger)
            after->push_back([this, f = it->file, h = it->holder, activate, r = it->r, now] {
                publish(f, h, activate, r, resp(0, now));
            });
        else
            after->push_back([r = it->r, err, now] { r.reply(encode(resp(err, now))); });
        it = parked_.erase(it);
    }
}

void RightsService::reaper() {
    std::unique_lock lk(mu_);
    while (!stop_) {
        cv_.wait_for(lk, std::chrono::milliseconds(100));
        std::vector<std::function<void()>> after;
        for (int rank : failed_) {
            RightsTable::Effect eff;
            retry_parked_locked(table_.release_rank(rank, &eff), &after);
        }
        failed_.clear();
        const auto now = std::chrono::steady_clock::now();
        for (auto it = parked_.begin(); it != parked_.end();) {
            if (it->deadline > now) {
                ++it;
                continue;
            }
            after.push_back([r = it->r] { r.reply(encode(resp(ETIMEDOUT))); });
            it = parked_.erase(it);
        }
        if (after.empty()) continue;
        lk.unlock();
        for (auto& a : after) a();
        lk.lock();
    }
}

}  // namespace pfs::server
