#include "attr_leases.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "pfs/common/config.hpp"

namespace pfs::server {

using proto::AttrRecallReq;
using Recalls = AttrLeases::Recalls;

namespace {

// The request whose handler runs on this thread (AttrLeases::Scope): who asked, and what its
// committed changes must recall before it is answered.
struct RequestContext {
    AttrLeases* leases = nullptr;  // null between requests
    int requester = -1;
    Recalls recalls;
    std::vector<std::pair<Ino, std::uint64_t>> own;  // this request's changes: (ino, seq)
};
thread_local RequestContext t_ctx;

void add_recall(Recalls& out, int rank, Ino ino, bool entries,
                AttrLeases::Clock::time_point until) {
    auto& [req, dl] = out[rank];
    auto& list = entries ? req.entries : req.attrs;
    if (std::find(list.begin(), list.end(), ino) != list.end()) {
        // already listed
    } else if (list.size() < config::kMaxRecallInodes) {
        list.push_back(ino);
    } else {
        req.entries.assign(1, 0);  // ino 0 never exists: the client drops everything
    }
    dl = std::max(dl, until);
}

}  // namespace

struct AttrLeases::Pending {
    std::vector<std::pair<std::shared_ptr<mpi_tools::PendingCall>, Clock::time_point>> calls;
    std::vector<Bytes> frames;  // per call, for the one retry after an epoch change
    std::vector<std::uint16_t> types;
    std::optional<mpi_tools::Responder> responder;
    Bytes reply;
    Clock::time_point not_before{};
};

AttrLeases::AttrLeases(mpi_tools::Transport& t, std::chrono::milliseconds lease,
                       std::chrono::milliseconds hold)
    : t_(t), lease_(lease), hold_until_(Clock::now() + hold) {
    thread_ = std::thread([this] { recall_thread(); });
}

AttrLeases::~AttrLeases() {
    {
        std::lock_guard lk(q_mu_);
        stop_ = true;
    }
    q_cv_.notify_all();
    thread_.join();
}

std::uint64_t AttrLeases::begin_read() const {
    std::lock_guard lk(mu_);
    return seq_;
}

bool AttrLeases::grant(int rank, std::span<const Ino> traversed, Ino final_ino, std::uint64_t seq) {
    const auto now = Clock::now();
    std::lock_guard lk(mu_);
    // A change after the read began, other than the asking request's own (a create is
    // leased on the state it committed).
    const auto* own = t_ctx.leases == this ? &t_ctx.own : nullptr;
    auto changed_after = [&](Ino ino) {
        auto it = last_change_.find(ino);
        const std::uint64_t last = it == last_change_.end() ? floor_ : it->second;
        if (last <= seq) return false;
        return own == nullptr ||
               std::find(own->begin(), own->end(), std::pair{ino, last}) == own->end();
    };
    if (traversed.size() > config::kMaxLeaseVia || changed_after(final_ino) ||
        std::any_of(traversed.begin(), traversed.end(), changed_after))
        return false;
    if (leases_ + traversed.size() + 1 > config::kAttrLeaseTable) {
        sweep(now);
        if (leases_ + traversed.size() + 1 > config::kAttrLeaseTable) return false;
    } else if (now >= next_sweep_) {
        sweep(now);
    }
    const auto until = now + lease_;
    auto hold = [&](Ino ino) -> Holder& {
        auto& m = holders_[ino];
        auto [it, fresh] = m.try_emplace(rank);
        if (fresh) ++leases_;
        return it->second;
    };
    for (Ino d : traversed) hold(d).entries = until;
    hold(final_ino).attrs = until;
    return true;
}

void AttrLeases::lease(proto::AttrResp& out, std::vector<Ino> traversed, std::uint64_t seq) {
    out.leased = out.err == 0 && grant(requester(), traversed, out.attr.ino, seq);
    if (out.leased) out.via = std::move(traversed);
}

void AttrLeases::sweep(Clock::time_point now) {
    for (auto it = holders_.begin(); it != holders_.end();) {
        auto& m = it->second;
        for (auto h = m.begin(); h != m.end();) {
            if (h->second.entries <= now && h->second.attrs <= now) {
                h = m.erase(h);
                --leases_;
            } else {
                ++h;
            }
        }
        it = m.empty() ? holders_.erase(it) : std::next(it);
    }
    next_sweep_ = now + lease_;
}

void AttrLeases::changed(const std::vector<meta::InodeChange>& changes) {
    const auto now = Clock::now();
    RequestContext* ctx = t_ctx.leases == this ? &t_ctx : nullptr;
    Recalls loose;  // a change outside any request: recalled, nobody waits
    Recalls& out = ctx != nullptr ? ctx->recalls : loose;
    {
        std::lock_guard lk(mu_);
        if (last_change_.size() >= config::kAttrChangeMemory) {  // forget, conservatively
            last_change_.clear();
            floor_ = seq_;
        }
        for (const auto& c : changes) {
            last_change_[c.ino] = ++seq_;
            if (ctx != nullptr) ctx->own.emplace_back(c.ino, seq_);
            auto it = holders_.find(c.ino);
            if (it == holders_.end()) continue;
            auto& m = it->second;
            for (auto h = m.begin(); h != m.end();) {
                Holder& hd = h->second;
                const bool asker = ctx != nullptr && h->first == ctx->requester;
                if (!asker && c.entries && (hd.entries > now || hd.attrs > now)) {
                    add_recall(out, h->first, c.ino, true, std::max(hd.entries, hd.attrs));
                    hd = Holder{};
                } else if (!asker && hd.attrs > now) {
                    add_recall(out, h->first, c.ino, false, hd.attrs);
                    hd.attrs = {};
                }
                if (!asker && hd.entries <= now && hd.attrs <= now) {
                    h = m.erase(h);
                    --leases_;
                } else {
                    ++h;
                }
            }
            if (m.empty()) holders_.erase(it);
        }
    }
    if (!loose.empty()) recall_then_reply(loose, std::nullopt, {});
}

void AttrLeases::recall_then_reply(const Recalls& recalls, std::optional<mpi_tools::Responder> r,
                                   Bytes reply) {
    auto p = std::make_unique<Pending>();
    for (const auto& [rank, what] : recalls) {
        auto frame = proto::encode(what.first);
        p->calls.emplace_back(
            t_.post(rank, static_cast<std::uint16_t>(proto::MsgType::attr_recall_req), frame),
            what.second);
        p->frames.push_back(std::move(frame));
        p->types.push_back(static_cast<std::uint16_t>(proto::MsgType::attr_recall_req));
    }
    p->responder = std::move(r);
    p->reply = std::move(reply);
    p->not_before = hold_until_;
    {
        std::lock_guard lk(q_mu_);
        queue_.push_back(std::move(p));
    }
    q_cv_.notify_one();
}

void AttrLeases::send(int rank, proto::MsgType type, Bytes frame, Clock::time_point until) {
    auto p = std::make_unique<Pending>();
    p->calls.emplace_back(t_.post(rank, static_cast<std::uint16_t>(type), frame), until);
    p->frames.push_back(std::move(frame));
    p->types.push_back(static_cast<std::uint16_t>(type));
    {
        std::lock_guard lk(q_mu_);
        queue_.push_back(std::move(p));
    }
    q_cv_.notify_one();
}

void AttrLeases::recall_thread() {
    for (;;) {
        std::unique_ptr<Pending> p;
        {
            std::unique_lock lk(q_mu_);
            q_cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, nothing left to answer
            p = std::move(queue_.front());
            queue_.pop_front();
        }
        for (std::size_t i = 0; i < p->calls.size(); ++i) {
            auto& [pc, until] = p->calls[i];
            // A dead holder caches nothing; a live one that does not answer within its lease
            // stops trusting its cache at the same moment (earlier, by its own clock).
            auto rep = t_.await(pc, until);
            if (rep.err == ECANCELED)  // an epoch change under the recall: ask once more
                (void)t_.call(pc->dest(), p->types[i], p->frames[i], until);
        }
        if (Clock::now() < p->not_before) std::this_thread::sleep_until(p->not_before);
        if (p->responder) p->responder->reply(p->reply);
    }
}

AttrLeases::Scope::Scope(AttrLeases& leases, int requester) : leases_(leases) {
    t_ctx.leases = &leases;
    t_ctx.requester = requester;
    t_ctx.recalls.clear();
    t_ctx.own.clear();
}

AttrLeases::Scope::~Scope() {
    // A handler that committed and then threw (its error reply already sent): the holders were
    // taken off the table, so recall them anyway; nobody waits.
    if (!t_ctx.recalls.empty()) leases_.recall_then_reply(t_ctx.recalls, std::nullopt, {});
    t_ctx.leases = nullptr;
    t_ctx.recalls.clear();
}

int AttrLeases::requester() {
    return t_ctx.leases != nullptr ? t_ctx.requester : -1;
}

AttrLeases::Recalls AttrLeases::Scope::take() {
    return std::exchange(t_ctx.recalls, {});
}

void AttrLeases::Scope::finish(const mpi_tools::Responder& r, Bytes reply) {
    // Held back after an adoption: only what changed something (own: this request's commits).
    if (t_ctx.recalls.empty() && (t_ctx.own.empty() || Clock::now() >= leases_.hold_until_)) {
        r.reply(reply);
        return;
    }
    leases_.recall_then_reply(t_ctx.recalls, r, std::move(reply));
    t_ctx.recalls.clear();
}

}  // namespace pfs::server
