// DMAPI session recovery (claims 1-21; docs/recovery.md): failover of a failed session to a
// standby rank, explicit assumption, the queue rebuild by a failure-aware gather of the
// sources' outstanding synchronous events, the source side's failure timeout, and the
// failure-injection points. These are members of dmapi::core::Node (node.hpp): recovery works
// on the same tables, queues and outstanding-event records as normal operation.
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "dmapi/core/node.hpp"
#include "mpi_tools/job.hpp"

namespace dmapi::core {

namespace ft = mpi_tools::ft;
using Clock = std::chrono::steady_clock;

namespace {

// PFS_DMAPI_FAIL_LOC: NAME[:N][@RANK]. Fires on world rank RANK only when given.
struct FailLoc {
    std::string name;
    long long n = 0;
    int rank = -1;
};

FailLoc parse_fail_loc(const std::string& s) {
    FailLoc f;
    std::string rest = s;
    if (auto at = rest.find('@'); at != std::string::npos) {
        f.rank = std::atoi(rest.c_str() + at + 1);
        rest.resize(at);
    }
    if (auto colon = rest.find(':'); colon != std::string::npos) {
        f.n = std::atoll(rest.c_str() + colon + 1);
        rest.resize(colon);
    }
    f.name = rest;
    return f;
}

bool fires(const FailLoc& f, const char* name, int me) {
    return f.name == name && (f.rank < 0 || f.rank == me);
}

double micros_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Session manager: reassign the sessions of failed ranks (claims 3-5, 9, 10)

bool Node::assign_failed_sessions(TableUpdate& t) {
    bool changed = false;
    auto& sb = t.standbys;
    const auto before = sb.size();
    sb.erase(
        std::remove_if(sb.begin(), sb.end(), [&](const StandbyRecord& x) { return !live(x.rank); }),
        sb.end());
    changed = sb.size() != before;
    for (auto& s : t.sessions) {
        if (live(s.owner)) continue;
        s.state = SessionState::failed;
        // The first live standby registered for this session's name, among ranks without the
        // failure (the ULFM-style reselection: failed ranks are never chosen).
        auto it = std::find_if(sb.begin(), sb.end(), [&](const StandbyRecord& x) {
            return x.info == s.info && live(x.rank);
        });
        if (it == sb.end()) continue;
        std::fprintf(stderr, "dmapi[%d]: session %d (%s) failed over from rank %d to rank %d\n",
                     me_, s.sid, s.info.c_str(), s.owner, it->rank);
        s.owner = it->rank;
        s.incarnation += 1;
        s.state = SessionState::active;
        sb.erase(it);
        stats_.failovers++;
        changed = true;
    }
    return changed;
}

// ---------------------------------------------------------------------------------------------
// Session rank: the rebuild (claims 4, 5, 8, 14-19)

void Node::rebuild_pending() {
    if (rebuilds_pending_.load(std::memory_order_acquire) == 0) return;
    if (job_.engine().on_progress_thread()) return;  // never block the progress thread
    std::vector<dm_sessid_t> todo;
    {
        std::lock_guard lk(q_mu_);
        todo.assign(rebuild_needed_.begin(), rebuild_needed_.end());
    }
    for (auto sid : todo) rebuild(sid);
}

void Node::rebuild(dm_sessid_t sid) {
    std::uint32_t inc = 0;
    {
        std::unique_lock lk(q_mu_);
        for (;;) {
            if (!rebuild_needed_.count(sid)) return;
            if (!rebuilding_.count(sid)) break;
            q_cv_.wait_for(lk, std::chrono::milliseconds(10));  // another thread rebuilds it
        }
        rebuilding_.insert(sid);
        inc = queue_incarnation_[sid];
    }
    const auto t0 = Clock::now();
    const ResubmitRequest base{sid, me_, inc, 0};
    std::vector<ResubmittedEvent> all;
    for (ResubmitRequest req = base;;) {  // this rank's own sources
        auto rep = collect_outstanding(req);
        for (auto& e : rep.events) all.push_back(std::move(e));
        if (!rep.more || all.empty()) break;
        req.after_token = all.back().event.token;
    }
    // Every other live rank, in parallel, failure-aware: a rank that dies is skipped (its
    // events died with it, claim 7's other side); an epoch change or a slow rank is asked again
    // while it lives. Nothing here waits on a dead rank.
    struct Peer {
        int rank;
        ResubmitRequest req;
        std::shared_ptr<mpi_tools::PendingCall> pc;
    };
    auto& tr = job_.transport();
    std::vector<Peer> peers;
    for (int r = 0; r < size_; ++r)
        if (r != me_ && live(r))
            peers.push_back({r, base, tr.post(r, msg_type(Msg::resubmit), encode(base))});
    std::size_t answered = 1;
    for (auto& p : peers) {
        for (;;) {
            auto rep = tr.await(p.pc, ft::after(cfg_.rpc_timeout));
            if (rep.err == EHOSTDOWN) break;
            if (rep.err == ECANCELED || rep.err == ETIMEDOUT) {
                if (!live(p.rank)) break;
                p.pc = tr.post(p.rank, msg_type(Msg::resubmit), encode(p.req));
                continue;
            }
            auto r = rep.err ? std::nullopt : decode_resubmit_reply(rep.payload, size_);
            if (!r) {
                std::fprintf(stderr, "dmapi[%d]: rebuild of session %d: bad answer from rank %d\n",
                             me_, sid, p.rank);
                break;
            }
            for (auto& e : r->events)
                if (e.event.source == p.rank && e.event.sid == sid) all.push_back(std::move(e));
            if (!r->more || r->events.empty()) {
                ++answered;
                break;
            }
            p.req.after_token = r->events.back().event.token;
            p.pc = tr.post(p.rank, msg_type(Msg::resubmit), encode(p.req));
        }
    }
    const double gather_us = micros_since(t0);
    const FailLoc fl = parse_fail_loc(cfg_.fail_loc);
    if (fires(fl, "kill_in_rebuild", me_)) {
        std::fprintf(stderr, "dmapi[%d]: fail_loc kill_in_rebuild: SIGKILL\n", me_);
        std::fflush(stderr);
        ::raise(SIGKILL);
    }
    // The original order: the old session rank's enqueue sequence; events it never
    // acknowledged (sequence 0) after those, by source and token.
    std::sort(all.begin(), all.end(), [](const ResubmittedEvent& a, const ResubmittedEvent& b) {
        auto key = [](const ResubmittedEvent& e) {
            return std::tuple(e.sequence == 0, e.sequence, e.event.source, e.event.token);
        };
        return key(a) < key(b);
    });
    std::size_t requeued = 0;
    {
        std::lock_guard lk(q_mu_);
        rebuilding_.erase(sid);
        auto qi = queues_.find(sid);
        auto ii = queue_incarnation_.find(sid);
        if (qi == queues_.end() || ii == queue_incarnation_.end() || ii->second != inc) {
            q_cv_.notify_all();  // the session moved on meanwhile: its new owner rebuilds
            return;
        }
        for (const auto& e : all)
            next_sequence_ = std::max<dm_sequence_t>(next_sequence_, e.sequence);
        for (auto& e : all) {
            // Same token, not yet received (claim 17); asynchronous events are never here (16).
            QueuedEvent qe{e.event.token,
                           e.event.type,
                           true,
                           e.event.source,
                           e.sequence ? e.sequence : ++next_sequence_,
                           std::move(e.event.data),
                           true};
            if (qi->second->push(std::move(qe), false) == SessionQueue::Push::ok) ++requeued;
        }
        if (rebuild_needed_.erase(sid)) --rebuilds_pending_;
        last_rebuild_ = RebuildReport{sid, inc, requeued, answered, gather_us, micros_since(t0)};
        q_cv_.notify_all();
    }
    stats_.rebuilds++;
    stats_.rebuilt_events += requeued;
    std::fprintf(stderr,
                 "dmapi[%d]: session %d rebuilt (incarnation %u): %zu synchronous events from %zu "
                 "ranks in %.0f us\n",
                 me_, sid, inc, requeued, answered, micros_since(t0));
}

// Source side of the gather (progress thread: short, no waiting).
ResubmitReply Node::collect_outstanding(const ResubmitRequest& req) {
    ResubmitReply rep;
    std::size_t bytes = 0;
    std::lock_guard lk(src_mu_);
    if (req.after_token == 0) {
        // Mount events are resubmitted with new tokens (reference/dmapi.md, GPFS event
        // recovery); the others keep theirs (claim 17). Done before the first page's scan, so
        // the paging by token sees each event once.
        std::vector<dm_token_t> mounts;
        for (const auto& [t, o] : outstanding_)
            if (o->msg.type == DM_EVENT_MOUNT && o->msg.sid == req.sid && o->wait && !o->done &&
                o->incarnation <= req.incarnation)
                mounts.push_back(t);
        for (auto t : mounts) {
            auto fresh = tokens_.allocate();
            if (!fresh) break;  // no token left: it keeps the old one
            auto o = outstanding_[t];
            outstanding_.erase(t);
            release_token(t);
            o->msg.token = *fresh;
            outstanding_[*fresh] = o;
        }
    }
    for (auto it = outstanding_.upper_bound(req.after_token); it != outstanding_.end(); ++it) {
        auto& o = *it->second;
        // Only synchronous events somebody waits for (claims 14-16); a request from an older
        // incarnation than the event already knows is stale.
        if (o.msg.sid != req.sid || !o.msg.sync || !o.wait || o.done ||
            o.incarnation > req.incarnation)
            continue;
        const std::size_t sz = 48 + o.msg.data.size();
        if (!rep.events.empty() && bytes + sz > kMaxResubmitBytes) {
            rep.more = true;
            break;
        }
        bytes += sz;
        o.owner = req.owner;  // the blocked thread now waits for the response from there
        o.incarnation = req.incarnation;
        o.queued = true;
        rep.events.push_back({o.msg, o.sequence});
    }
    src_cv_.notify_all();
    return rep;
}

// ---------------------------------------------------------------------------------------------
// Source side: blocked through the recovery, up to the failure timeout (claims 12, 13, 21)

bool Node::wait_for_recovery(OutstandingEvent& o, RecoveryWait* w) {
    dm_sessid_t sid;
    std::uint32_t inc;
    {
        std::lock_guard lk(src_mu_);
        if (o.done) return true;
        sid = o.msg.sid;
        inc = o.incarnation;
    }
    const FailureView v = failure_view(sid);
    if (!v.exists) return false;  // destroyed while failed: nobody will answer
    const auto now = Clock::now();
    if (live(v.owner) && v.incarnation > inc) {
        // Taken over: the new session rank's gather re-points this event. Should this source
        // have missed the gather (its table was older than the takeover when it raised the
        // event), it sends the event there itself; the new rank refuses duplicates.
        w->failed_since.reset();
        if (!w->takeover_seen) w->takeover_seen = now;
        if (now - *w->takeover_seen > kTakeoverGrace) {
            std::lock_guard lk(src_mu_);
            if (!o.done && o.incarnation < v.incarnation) {
                o.owner = v.owner;
                o.incarnation = v.incarnation;
                o.queued = false;
            }
            w->takeover_seen.reset();
            return true;
        }
    } else {
        w->takeover_seen.reset();
        if (!w->failed_since) w->failed_since = now;
        auto timeout = v.timeout;
        // Automatic timeout, no standby known here: this rank's replica may not show yet a
        // standby that registered just before the failure. The session manager decides (it
        // hands the session over, or records the failure when it finds no standby), so wait
        // for its verdict, bounded by two heartbeat timeouts in case it never comes.
        if (v.automatic && !v.standby && !v.manager_verdict)
            timeout = std::max(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(
                                            2 * job_.config().heartbeat_timeout));
        if (now - *w->failed_since >= timeout) return false;
    }
    std::unique_lock lk(src_mu_);
    src_cv_.wait_for(lk, std::chrono::milliseconds(5),
                     [&] { return o.done || o.incarnation != inc; });
    return true;
}

// The record and the standbys are read under one lock: read apart, a failover's table update
// landing in between showed the record not yet taken over and its standby already consumed,
// so the automatic timeout was 0 and the source failed the event with EIO while the standby
// was taking the session over (1 run in ~600 of tests/recovery/loop.sh).
Node::FailureView Node::failure_view(dm_sessid_t sid) const {
    FailureView v;
    std::lock_guard lk(table_mu_);
    const SessionRecord* rec = nullptr;
    for (const auto& s : table_.sessions)
        if (s.sid == sid) rec = &s;
    if (rec == nullptr) return v;
    v.exists = true;
    v.owner = rec->owner;
    v.incarnation = rec->incarnation;
    v.manager_verdict = rec->state == SessionState::failed;
    v.automatic = cfg_.session_failure_timeout.count() < 0;
    v.timeout = failure_timeout_locked(rec->info, &v.standby);
    return v;
}

std::chrono::milliseconds Node::failure_timeout(const std::string& info) const {
    std::lock_guard lk(table_mu_);
    bool standby = false;
    return failure_timeout_locked(info, &standby);
}

std::chrono::milliseconds Node::failure_timeout_locked(const std::string& info,
                                                       bool* standby) const {
    for (const auto& sb : table_.standbys)
        if (sb.info == info && live(sb.rank)) *standby = true;
    if (cfg_.session_failure_timeout.count() >= 0) return cfg_.session_failure_timeout;
    return *standby ? cfg_.standby_failure_timeout : std::chrono::milliseconds(0);
}

// ---------------------------------------------------------------------------------------------
// DM application side

int Node::standby(const char* info, std::chrono::milliseconds timeout, dm_sessid_t* sid) {
    if (!info || !sid) return EFAULT;
    const std::size_t len = strnlen(info, DM_SESSION_INFO_LEN);
    if (len > kMaxInfoLen) return E2BIG;
    if (timeout.count() < 0) return EINVAL;
    const std::string name(info, len);
    SessionRequest req;
    req.op = SessionOp::standby;
    req.info = name;
    auto rep = session_request(req);
    if (rep.err) return rep.err;
    const auto deadline = Clock::now() + timeout;
    dm_sessid_t got = DM_NO_SESSION;
    {
        std::unique_lock lk(table_mu_);
        for (;;) {
            for (const auto& s : table_.sessions)
                if (s.owner == me_ && s.info == name && s.incarnation > 0 &&
                    !handed_over_.count(s.sid)) {
                    got = s.sid;
                    break;
                }
            if (got != DM_NO_SESSION) break;
            if (table_cv_.wait_until(lk, deadline) == std::cv_status::timeout) return ETIMEDOUT;
        }
        handed_over_.insert(got);
    }
    rebuild_pending();
    *sid = got;
    return 0;
}

int Node::claim(const char* info, std::chrono::milliseconds timeout, dm_sessid_t* sid,
                bool* primary) {
    if (!info || !sid || !primary) return EFAULT;
    const std::size_t len = strnlen(info, DM_SESSION_INFO_LEN);
    if (len > kMaxInfoLen) return E2BIG;
    if (timeout.count() < 0) return EINVAL;
    SessionRequest req;
    req.op = SessionOp::create_unique;
    req.info.assign(info, len);
    auto rep = session_request(req);
    if (rep.err == 0) {
        *sid = rep.sid;
        *primary = true;
        return 0;
    }
    if (rep.err != EEXIST) return rep.err;
    *primary = false;
    return standby(info, timeout, sid);
}

void Node::inject_fs_failure() {
    std::fprintf(stderr, "dmapi[%d]: injected file-system failure: dropping volatile DMAPI state\n",
                 me_);
    {
        std::lock_guard lk(q_mu_);
        for (auto& [sid, q] : queues_) {
            q = std::make_unique<SessionQueue>(cfg_.max_queued);
            if (rebuild_needed_.insert(sid).second) ++rebuilds_pending_;
        }
        responded_.clear();
        responded_fifo_.clear();
        q_cv_.notify_all();
    }
    {
        std::lock_guard lk(src_mu_);
        for (auto& [t, o] : outstanding_)
            if (o->msg.sync && o->wait && !o->done) {
                o->done = true;
                o->stale = true;
            }
        src_cv_.notify_all();
    }
    std::function<void()> f;  // the instance's DM access rights are lost with it
    {
        std::lock_guard lk(hooks_mu_);
        f = instance_failed_hook_;
    }
    if (f) f();
}

RebuildReport Node::last_rebuild() const {
    std::lock_guard lk(q_mu_);
    return last_rebuild_;
}

// Called with q_mu_ held, right after an event of sid was queued here.
void Node::fail_loc_after_enqueue(dm_sessid_t sid) {
    const FailLoc fl = parse_fail_loc(cfg_.fail_loc);
    if (static_cast<long long>(enqueued_total_) != fl.n) return;
    // kill_primary_...: only a session's first incarnation, so the standby that takes it over
    // (and counts its own events) is not killed in turn.
    auto inc = queue_incarnation_.find(sid);
    const bool primary = inc != queue_incarnation_.end() && inc->second == 0;
    if (fires(fl, "kill_session_after_enqueue", me_) ||
        (primary && fires(fl, "kill_primary_after_enqueue", me_))) {
        std::fprintf(stderr, "dmapi[%d]: fail_loc %s:%lld: SIGKILL\n", me_, fl.name.c_str(), fl.n);
        std::fflush(stderr);
        ::raise(SIGKILL);
    }
    if (fires(fl, "fs_fail_after_enqueue", me_))
        std::thread([this] { inject_fs_failure(); }).detach();  // it takes q_mu_ itself
}

}  // namespace dmapi::core
