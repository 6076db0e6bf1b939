#include "dmapi/core/node.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <future>

#include "mpi_tools/job.hpp"
#include "mpi_tools/spin_wait.hpp"

namespace dmapi::core {

using mpi_tools::Channel;
using mpi_tools::Incoming;
using mpi_tools::Responder;
namespace ft = mpi_tools::ft;

namespace {
Node* g_node = nullptr;
std::mutex g_start_mu;

// Events raised at one rank may wait locally for the sender thread: this many per window slot.
constexpr std::size_t kAsyncQueuePerWindow = 16;  // so batches of up to 256 form
}  // namespace

// ---------------------------------------------------------------------------------------------
// Start-up

Node::Node(mpi_tools::Job& job, CoreConfig cfg)
    : job_(job),
      cfg_(cfg),
      me_(job.rank()),
      size_(job.size()),
      tokens_(job.rank(), 1, 1, kTokenMaxSeq / 2),
      async_tokens_(job.rank(), 1, kTokenMaxSeq / 2 + 1, kTokenMaxSeq) {
    mgr_thread_ = std::thread([this] { manager_loop(); });
    async_thread_ = std::thread([this] { async_loop(); });
}

Node& Node::start(mpi_tools::Job& job, CoreConfig cfg) {
    std::lock_guard lk(g_start_mu);
    if (g_node) return *g_node;
    if (job.size() > kMaxRanks) {
        char msg[200];
        std::snprintf(msg, sizeof msg,
                      "dmapi: %d ranks exceed the DMAPI token encoding's limit of %d ranks "
                      "(token = (rank+1) << 19 | seq19 in a 31-bit int)",
                      job.size(), kMaxRanks);
        job.abort(2, msg);
    }
    // Leaked on purpose: the job ends with _exit, and the worker threads may still wait.
    g_node = new Node(job, cfg);
    g_node->register_handlers();
    start_status_writer(*g_node, job);
    auto rc = job.ft().barrier(ft::after(cfg.start_timeout));
    if (rc != ft::Rc::ok)
        std::fprintf(stderr, "dmapi[%d]: start-up barrier: %s (continuing)\n", job.rank(),
                     ft::to_string(rc));
    return *g_node;
}

Node& Node::get() {
    return *g_node;
}

bool Node::live(int r) const {
    return r >= 0 && r < size_ && !job_.ft().is_failed(r);
}

int Node::manager() const {
    const auto& l = job_.layout();
    if (!l.plain && l.count_of(mpi_tools::Role::meta) > 0) {
        int first = l.first_rank(mpi_tools::Role::meta);
        for (int i = 0; i < l.count_of(mpi_tools::Role::meta); ++i)
            if (live(first + i)) return first + i;
    }
    for (int r = 0; r < size_; ++r)
        if (live(r)) return r;
    return me_;
}

void Node::register_handlers() {
    auto& tr = job_.transport();
    tr.serve(msg_type(Msg::session_request), [this](Incoming& in, Responder r) {
        auto req = decode_session_request(in.payload(), size_);
        if (!req || req->requester != in.header.src) {
            r.reply(encode(SessionReply{EPROTO, DM_NO_SESSION, 0}));
            return;
        }
        std::lock_guard lk(mgr_mu_);
        mgr_q_.push_back({*req, [r](const SessionReply& rep) { r.reply(encode(rep)); }});
        mgr_cv_.notify_one();
    });
    tr.serve(msg_type(Msg::table_update), [this](Incoming& in, Responder r) {
        auto t = decode_table_update(in.payload(), size_);
        if (!t) return;  // no ack: the manager's wait ends at its deadline
        apply_table(*t);
        r.reply(encode(TableAck{t->version}));
    });
    tr.serve(msg_type(Msg::event), [this](Incoming& in, Responder r) {
        auto m = decode_event(in.payload(), size_);
        EventAck ack;
        if (!m || m->source != in.header.src)
            ack.status = EventStatus::no_session;
        else
            ack = enqueue(*m, true);
        r.reply(encode(ack));
    });
    tr.serve(msg_type(Msg::event_batch), [this](Incoming& in, Responder r) {
        auto b = decode_event_batch(in.payload(), size_);
        EventBatchAck acks;  // none for an undecodable batch: the source counts them lost
        if (b) {
            std::lock_guard lk(q_mu_);
            for (const auto& e : b->events)
                acks.acks.push_back(e.source == in.header.src
                                        ? enqueue_locked(e, true)
                                        : EventAck{EventStatus::no_session, 0});
        }
        r.reply(encode(acks));
    });
    tr.serve(msg_type(Msg::table_probe), [this](Incoming& in, Responder r) {
        auto p = decode_table_probe(in.payload());
        TableProbeReply rep;
        {
            std::lock_guard lk(table_mu_);
            rep.version = table_.version;
            for (const auto& s : table_.sessions)
                if (p && s.sid == p->sid) {
                    rep.present = true;
                    rep.owner = s.owner;
                    rep.info = s.info;
                    rep.disp = s.disp;
                }
        }
        r.reply(encode(rep));
    });
    tr.serve(msg_type(Msg::move_event), [this](Incoming& in, Responder r) {
        auto m = decode_move_event(in.payload(), size_);
        MoveEventReply rep;
        if (!m) {
            rep.err = EPROTO;
        } else {
            std::lock_guard lk(q_mu_);
            SessionQueue* q = queue_locked(m->event.sid);
            QueuedEvent qe{m->event.token,  m->event.type, m->event.sync,
                           m->event.source, m->sequence,   std::move(m->event.data),
                           m->reply};
            if (!q)
                rep.err = EINVAL;
            else if (!q->add_outstanding(std::move(qe)))
                rep.err = EEXIST;
        }
        r.reply(encode(rep));
    });
    tr.serve(msg_type(Msg::resubmit), [this](Incoming& in, Responder r) {
        auto req = decode_resubmit_request(in.payload(), size_);
        if (!req || req->owner != in.header.src) {
            r.reply({});  // undecodable: the rebuilding rank retries, then gives up on us
            return;
        }
        r.reply(encode(collect_outstanding(*req)));
    });
    // Every rank hears of every failure; the rank that is the session manager then (possibly
    // this one, because the old manager died) reassigns the failed sessions to standbys.
    job_.ft().on_failure([this](int, const std::string&) {
        std::lock_guard lk(mgr_mu_);
        SessionRequest req;
        req.op = SessionOp::failover;
        req.requester = me_;
        mgr_q_.push_back({req, [](const SessionReply&) {}});
        mgr_cv_.notify_one();
        src_cv_.notify_all();  // sources blocked on a failed session re-check now
    });
    auto& eng = job_.engine();
    eng.on(msg_type(Msg::response), [this](Incoming& in) {
        auto m = decode_response(in.payload());
        if (m) complete_local(*m);
    });
    // The event path's two handlers may run on a waiting thread (Engine::assist): they take
    // only q_mu_ / src_mu_, which no thread holds while it waits for a reply.
    eng.allow_assist(msg_type(Msg::event));
    eng.allow_assist(msg_type(Msg::response));
    eng.on(msg_type(Msg::event_moved), [this](Incoming& in) {
        auto m = decode_event_moved(in.payload(), size_);
        if (!m) return;
        std::lock_guard lk(src_mu_);
        auto it = outstanding_.find(m->token);
        if (it == outstanding_.end()) return;
        it->second->owner = m->owner;
        it->second->msg.sid = m->sid;
    });
}

// ---------------------------------------------------------------------------------------------
// Session table: manager and replicas

SessionReply Node::session_request(SessionRequest req) {
    req.requester = me_;
    for (;;) {
        int m = manager();
        if (m == me_) {
            auto p = std::make_shared<std::promise<SessionReply>>();
            auto f = p->get_future();
            {
                std::lock_guard lk(mgr_mu_);
                mgr_q_.push_back({req, [p](const SessionReply& rep) { p->set_value(rep); }});
                mgr_cv_.notify_one();
            }
            return f.get();
        }
        auto rep = job_.transport().call(m, msg_type(Msg::session_request), encode(req),
                                         ft::after(cfg_.rpc_timeout));
        if (rep.err == EHOSTDOWN || rep.err == ECANCELED) continue;  // ask the next manager
        if (rep.err) return SessionReply{rep.err, DM_NO_SESSION, 0};
        auto r = decode_session_reply(rep.payload);
        if (!r) return SessionReply{EPROTO, DM_NO_SESSION, 0};
        return *r;
    }
}

void Node::manager_loop() {
    for (;;) {
        MgrTask t;
        {
            std::unique_lock lk(mgr_mu_);
            mgr_cv_.wait(lk, [&] { return !mgr_q_.empty(); });
            t = std::move(mgr_q_.front());
            mgr_q_.pop_front();
        }
        t.done(manager_apply(t.req));
    }
}

SessionReply Node::manager_apply(const SessionRequest& req) {
    if (req.op == SessionOp::failover && manager() != me_) return {};
    TableUpdate t = table();
    // A new manager continues after every id its replica has seen: ids are unique over time.
    for (const auto& s : t.sessions) t.next_sid = std::max(t.next_sid, s.sid + 1);
    for (auto& s : t.sessions)
        if (!live(s.owner)) s.state = SessionState::failed;
    auto find = [&](dm_sessid_t sid) {
        return std::find_if(t.sessions.begin(), t.sessions.end(),
                            [&](const SessionRecord& s) { return s.sid == sid; });
    };
    SessionReply rep;
    switch (req.op) {
        case SessionOp::create: {
            if (t.sessions.size() >= kMaxSessions || t.next_sid == INT32_MAX)
                return SessionReply{ENOMEM, DM_NO_SESSION, t.version};
            SessionRecord s{t.next_sid++, req.info, req.requester, SessionState::active, 0};
            rep.sid = s.sid;
            t.sessions.push_back(std::move(s));
            break;
        }
        case SessionOp::create_unique: {
            // Serialized by the manager: of several ranks claiming one name, one creates.
            for (const auto& s : t.sessions)
                if (s.info == req.info) return SessionReply{EEXIST, s.sid, t.version};
            if (t.sessions.size() >= kMaxSessions || t.next_sid == INT32_MAX)
                return SessionReply{ENOMEM, DM_NO_SESSION, t.version};
            SessionRecord s{t.next_sid++, req.info, req.requester, SessionState::active, 0};
            rep.sid = s.sid;
            t.sessions.push_back(std::move(s));
            break;
        }
        case SessionOp::assume: {
            auto it = find(req.sid);
            if (it == t.sessions.end()) return SessionReply{EINVAL, DM_NO_SESSION, t.version};
            if (it->owner != req.requester) {
                if (it->state == SessionState::active)
                    return SessionReply{EBUSY, DM_NO_SESSION, t.version};
                it->owner = req.requester;
                it->incarnation += 1;  // the new session rank rebuilds the queue (claims 4-7)
            }
            it->state = SessionState::active;
            it->info = req.info;
            rep.sid = it->sid;
            break;
        }
        case SessionOp::destroy: {
            auto it = find(req.sid);
            if (it == t.sessions.end()) return SessionReply{EINVAL, DM_NO_SESSION, t.version};
            if (it->owner != req.requester && it->state == SessionState::active)
                return SessionReply{EINVAL, DM_NO_SESSION, t.version};
            rep.sid = it->sid;
            t.sessions.erase(it);
            break;
        }
        case SessionOp::set_disp: {
            auto it = find(req.sid);
            if (it == t.sessions.end()) return SessionReply{EINVAL, DM_NO_SESSION, t.version};
            it->disp = (it->disp & ~req.part) | req.disp;
            rep.sid = it->sid;
            // One update, serialized here: a concurrent dm_set_disp on another rank cannot
            // undo this one's take-away or be undone by it (no read-modify-write at the caller).
            if (req.take_from_others)
                for (auto& other : t.sessions)
                    if (other.sid != req.sid) other.disp &= ~req.disp;
            break;
        }
        case SessionOp::standby: {
            auto& sb = t.standbys;
            if (std::none_of(sb.begin(), sb.end(), [&](const StandbyRecord& x) {
                    return x.rank == req.requester && x.info == req.info;
                }))
                sb.push_back({req.requester, req.info});
            break;
        }
        case SessionOp::failover:
            if (!assign_failed_sessions(t) && t.sessions == table().sessions) return {};
            break;
    }
    if (req.op != SessionOp::failover) assign_failed_sessions(t);
    t.version += 1;
    replicate(t);
    rep.version = t.version;
    return rep;
}

void Node::replicate(const TableUpdate& t) {
    apply_table(t);
    const auto bytes = encode(t);
    auto& tr = job_.transport();
    std::vector<std::pair<int, std::shared_ptr<mpi_tools::PendingCall>>> calls;
    for (int r = 0; r < size_; ++r)
        if (r != me_ && live(r))
            calls.emplace_back(r, tr.post(r, msg_type(Msg::table_update), bytes));
    // Failure-aware wait for every acknowledgement: a rank that fails is skipped (await returns
    // EHOSTDOWN); an epoch change (a recovery) resends in the new epoch.
    for (auto& [r, pc] : calls) {
        for (;;) {
            auto rep = tr.await(pc, ft::after(cfg_.rpc_timeout));
            if (rep.err == ECANCELED && live(r)) {
                pc = tr.post(r, msg_type(Msg::table_update), bytes);
                continue;
            }
            if (rep.err == ETIMEDOUT)
                std::fprintf(stderr, "dmapi[%d]: rank %d did not acknowledge table v%llu\n", me_, r,
                             static_cast<unsigned long long>(t.version));
            break;
        }
    }
}

void Node::apply_table(const TableUpdate& t) {
    std::lock_guard lk(table_mu_);
    if (t.version <= table_.version) return;
    table_ = t;
    dm_eventset_t all = 0;
    for (const auto& s : table_.sessions) all |= s.disp;
    disposed_.store(all, std::memory_order_release);
    table_cv_.notify_all();
    std::lock_guard qlk(q_mu_);
    std::set<dm_sessid_t> mine;
    for (const auto& s : table_.sessions)
        if (s.owner == me_) {
            mine.insert(s.sid);
            auto inc = queue_incarnation_.find(s.sid);
            const bool known = queues_.count(s.sid) && inc != queue_incarnation_.end();
            if (known && inc->second == s.incarnation) continue;
            // New here. A session another rank held before (incarnation > 0) is rebuilt from
            // its sources before it is served; sources are answered BUSY meanwhile.
            queues_[s.sid] = std::make_unique<SessionQueue>(cfg_.max_queued);
            queue_incarnation_[s.sid] = s.incarnation;
            if (s.incarnation > 0 && rebuild_needed_.insert(s.sid).second) ++rebuilds_pending_;
        }
    for (auto it = queues_.begin(); it != queues_.end();) {
        if (mine.count(it->first)) {
            ++it;
            continue;
        }
        queue_incarnation_.erase(it->first);
        if (rebuild_needed_.erase(it->first)) --rebuilds_pending_;
        it = queues_.erase(it);
    }
    q_cv_.notify_all();
}

TableUpdate Node::table() const {
    std::lock_guard lk(table_mu_);
    return table_;
}

std::optional<SessionRecord> Node::session(dm_sessid_t sid) const {
    std::lock_guard lk(table_mu_);
    for (const auto& s : table_.sessions)
        if (s.sid == sid) {
            SessionRecord r = s;
            if (!live(r.owner)) r.state = SessionState::failed;
            return r;
        }
    return std::nullopt;
}

int Node::create_session(dm_sessid_t oldsid, const char* info, dm_sessid_t* newsid) {
    if (!info || !newsid) return EFAULT;
    if (oldsid < 0) return EINVAL;
    const std::size_t len = strnlen(info, DM_SESSION_INFO_LEN);
    if (len > kMaxInfoLen) return E2BIG;
    SessionRequest req;
    req.op = oldsid == DM_NO_SESSION ? SessionOp::create : SessionOp::assume;
    req.sid = oldsid;
    req.info.assign(info, len);
    auto rep = session_request(req);
    if (rep.err) return rep.err;
    *newsid = rep.sid;
    // An assumed session is served from here on: its queue is rebuilt before the call returns
    // (the table reached this rank before the manager answered).
    rebuild_pending();
    return 0;
}

int Node::destroy_session(dm_sessid_t sid) {
    rebuild_pending();
    auto rec = session(sid);
    if (!rec) return EINVAL;
    const bool mine = rec->owner == me_;
    if (!mine && rec->state == SessionState::active) return EINVAL;
    if (mine) {
        std::lock_guard lk(q_mu_);
        auto it = queues_.find(sid);
        if (it != queues_.end() && (!it->second->empty() || readers_.count(sid))) return EBUSY;
        if (closing_.count(sid)) return EBUSY;
        closing_.insert(sid);  // from here on new events for it are refused
    }
    SessionRequest req;
    req.op = SessionOp::destroy;
    req.sid = sid;
    auto rep = session_request(req);
    if (mine) {
        std::lock_guard lk(q_mu_);
        closing_.erase(sid);
    }
    return rep.err;
}

int Node::query_session(dm_sessid_t sid, std::size_t buflen, void* buf, std::size_t* rlen) const {
    const_cast<Node*>(this)->rebuild_pending();  // any DMAPI call rebuilds (claim 8)
    auto rec = session(sid);
    if (!rec) return EINVAL;
    if (!rlen) return EFAULT;
    const std::size_t need = rec->info.size() + 1;
    *rlen = need;
    if (buflen < need) return E2BIG;
    if (!buf) return EFAULT;
    std::memcpy(buf, rec->info.c_str(), need);
    return 0;
}

int Node::getall_sessions(unsigned nelem, dm_sessid_t* sids, unsigned* nelemp) const {
    const_cast<Node*>(this)->rebuild_pending();  // any DMAPI call rebuilds (claim 8)
    if (!nelemp) return EFAULT;
    std::lock_guard lk(table_mu_);
    const auto n = static_cast<unsigned>(table_.sessions.size());
    *nelemp = n;
    if (nelem < n) return E2BIG;
    if (n && !sids) return EFAULT;
    for (unsigned i = 0; i < n; ++i) sids[i] = table_.sessions[i].sid;
    return 0;
}

int Node::set_disp(dm_sessid_t sid, dm_eventset_t events) {
    return set_disp_part(sid, ~dm_eventset_t{0} >> (64 - DM_EVENT_MAX), events, false);
}

int Node::set_disp_part(dm_sessid_t sid, dm_eventset_t part, dm_eventset_t events,
                        bool take_from_others) {
    rebuild_pending();
    if ((part >> DM_EVENT_MAX) != 0 || (events & ~part) != 0) return EINVAL;
    if (!session(sid)) return EINVAL;
    SessionRequest req;
    req.op = SessionOp::set_disp;
    req.sid = sid;
    req.disp = events;
    req.part = part;
    req.take_from_others = take_from_others;
    return session_request(req).err;
}

int Node::probe(int r, dm_sessid_t sid, TableProbeReply* out) {
    auto rep = job_.transport().call(r, msg_type(Msg::table_probe), encode(TableProbe{sid}),
                                     ft::after(cfg_.rpc_timeout));
    if (rep.err) return rep.err;
    auto p = decode_table_probe_reply(rep.payload, size_);
    if (!p) return EPROTO;
    *out = *p;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Session rank: queues and the DM application's calls

SessionQueue* Node::queue_locked(dm_sessid_t sid) {
    auto it = queues_.find(sid);
    if (it == queues_.end() || closing_.count(sid)) return nullptr;
    return it->second.get();
}

EventAck Node::enqueue(const EventMsg& m, bool enforce_bound) {
    std::lock_guard lk(q_mu_);
    return enqueue_locked(m, enforce_bound);
}

EventAck Node::enqueue_locked(const EventMsg& m, bool enforce_bound) {
    EventAck ack;
    SessionQueue* q = queue_locked(m.sid);
    if (!q) {
        ack.status = EventStatus::no_session;
        return ack;
    }
    if (rebuild_needed_.count(m.sid)) {
        ack.status = EventStatus::busy;  // rebuilding: the source retries after it
        return ack;
    }
    if (m.sync && responded_.count(m.token)) {
        ack.status = EventStatus::duplicate;  // a resend of an event answered already
        return ack;
    }
    QueuedEvent qe{m.token, m.type, m.sync, m.source, next_sequence_ + 1, m.data, true};
    switch (q->push(std::move(qe), enforce_bound)) {
        case SessionQueue::Push::ok:
            ack.sequence = ++next_sequence_;
            q_cv_.notify_all();
            ++enqueued_total_;
            if (!cfg_.fail_loc.empty()) fail_loc_after_enqueue(m.sid);
            break;
        case SessionQueue::Push::full:
            ack.status = EventStatus::busy;
            break;
        case SessionQueue::Push::duplicate:
            ack.status = EventStatus::duplicate;
            break;
    }
    return ack;
}

int Node::token_error_locked(const SessionQueue& q, dm_token_t token) const {
    // ESRCH: the event exists but is not outstanding (not yet received, or already answered);
    // EINVAL: the token names no event of this session (reference/dmapi.md 6.2).
    if (q.state(token) == SessionQueue::TokenState::undelivered) return ESRCH;
    if (responded_.count(token)) return ESRCH;
    return EINVAL;
}

void Node::remember_responded_locked(dm_token_t token) {
    if (cfg_.responded_memory == 0) return;
    if (!responded_.insert(token).second) return;
    responded_fifo_.push_back(token);
    while (responded_fifo_.size() > cfg_.responded_memory) {
        responded_.erase(responded_fifo_.front());
        responded_fifo_.pop_front();
    }
}

int Node::get_events(dm_sessid_t sid, unsigned maxmsgs, unsigned flags, std::size_t buflen,
                     void* buf, std::size_t* rlen) {
    rebuild_pending();
    if ((flags & ~static_cast<unsigned>(DM_EV_WAIT)) != 0) return EINVAL;
    if (!rlen) return EFAULT;
    std::unique_lock lk(q_mu_);
    bool spun = false;  // once per call (mpi_tools/spin_wait.hpp)
    for (;;) {
        SessionQueue* q = queue_locked(sid);
        if (!q) return EINVAL;
        if (!buf || reinterpret_cast<std::uintptr_t>(buf) % 8 != 0) return EFAULT;
        const std::size_t before = q->undelivered();
        int rc = q->take(maxmsgs, buflen, buf, rlen);
        if (rc == 0) {
            stats_.delivered += before - q->undelivered();
            return 0;
        }
        if (rc != EAGAIN || !(flags & DM_EV_WAIT)) return rc;
        ++readers_[sid];
        const auto spin = std::chrono::microseconds(spun ? 0 : job_.config().wait_spin_us);
        spun = true;
        mpi_tools::spin_then_wait_for(lk, q_cv_, spin, std::chrono::milliseconds(200),
                                      job_.engine(), [&] {
                                          SessionQueue* now = queue_locked(sid);
                                          return now == nullptr || now->undelivered() > 0;
                                      });
        if (--readers_[sid] == 0) readers_.erase(sid);
    }
}

int Node::respond_event(dm_sessid_t sid, dm_token_t token, dm_response_t response, int reterror) {
    rebuild_pending();
    switch (response) {
        case DM_RESP_CONTINUE:
            if (reterror != 0) return EINVAL;
            break;
        case DM_RESP_ABORT:
            if (reterror <= 0) return EINVAL;
            break;
        case DM_RESP_DONTCARE:
            if (reterror > 0) return EINVAL;
            reterror = -1;  // SGI's marker: the next session is asked (mount only)
            break;
        default:
            return EINVAL;
    }
    QueuedEvent ev;
    {
        std::lock_guard lk(q_mu_);
        SessionQueue* q = queue_locked(sid);
        if (!q || !token_valid(token)) return EINVAL;
        const QueuedEvent* e = q->outstanding(token);
        if (!e) return token_error_locked(*q, token);
        if (response == DM_RESP_DONTCARE && e->type != DM_EVENT_MOUNT) return EINVAL;
        ev = std::move(*q->take_outstanding(token));
        remember_responded_locked(token);
    }
    stats_.responses++;
    token_done(sid, token);
    if (ev.reply) {
        deliver_response(ev.source, ResponseMsg{token, sid, response, reterror});
    } else if (token_source(token) == me_) {
        std::lock_guard lk(src_mu_);
        release_token(token);  // a dm_create_userevent token
    }
    return 0;
}

void Node::deliver_response(int source, const ResponseMsg& r) {
    if (source == me_) {
        complete_local(r);
        return;
    }
    mpi_tools::wire::Header h;
    h.type = msg_type(Msg::response);
    h.epoch = job_.engine().epoch();
    job_.engine().send(Channel::rpc, source, h, encode(r));
}

void Node::complete_local(const ResponseMsg& r) {
    std::lock_guard lk(src_mu_);
    auto it = outstanding_.find(r.token);
    if (it == outstanding_.end()) return;  // a late duplicate, or a source that gave up
    auto& o = *it->second;
    if (!o.msg.sync) return;
    if (o.wait) {
        o.done = true;
        o.response = r.response;
        o.reterror = r.reterror;
        src_cv_.notify_all();
    } else {  // unmount: queued synchronous but not waited for
        outstanding_.erase(it);
        release_token(r.token);
    }
}

int Node::find_eventmsg(dm_sessid_t sid, dm_token_t token, std::size_t buflen, void* buf,
                        std::size_t* rlen) {
    rebuild_pending();
    if (!rlen) return EFAULT;
    std::lock_guard lk(q_mu_);
    SessionQueue* q = queue_locked(sid);
    if (!q || !token_valid(token)) return EINVAL;
    const QueuedEvent* e = q->outstanding(token);
    if (!e) return token_error_locked(*q, token);
    const std::size_t need = eventmsg_size(e->data.size());
    if (buflen >= need && (!buf || reinterpret_cast<std::uintptr_t>(buf) % 8 != 0)) return EFAULT;
    return q->find(token, buflen, buf, rlen);
}

int Node::getall_tokens(dm_sessid_t sid, unsigned nelem, dm_token_t* tokens, unsigned* nelemp) {
    rebuild_pending();
    if (!nelemp) return EFAULT;
    std::lock_guard lk(q_mu_);
    SessionQueue* q = queue_locked(sid);
    if (!q) return EINVAL;
    auto v = q->tokens();
    *nelemp = static_cast<unsigned>(v.size());
    if (nelem < v.size()) return E2BIG;
    if (!v.empty() && !tokens) return EFAULT;
    std::copy(v.begin(), v.end(), tokens);
    return 0;
}

int Node::token_outstanding(dm_sessid_t sid, dm_token_t token) {
    rebuild_pending();
    std::lock_guard lk(q_mu_);
    SessionQueue* q = queue_locked(sid);
    if (!q || !token_valid(token)) return EINVAL;
    if (!q->outstanding(token)) return token_error_locked(*q, token);
    return 0;
}

void Node::set_token_hooks(std::function<void(dm_sessid_t, dm_token_t)> token_done,
                           std::function<void()> instance_failed) {
    std::lock_guard lk(hooks_mu_);
    token_done_hook_ = std::move(token_done);
    instance_failed_hook_ = std::move(instance_failed);
}

void Node::token_done(dm_sessid_t sid, dm_token_t token) {
    std::function<void(dm_sessid_t, dm_token_t)> f;
    {
        std::lock_guard lk(hooks_mu_);
        f = token_done_hook_;
    }
    if (f) f(sid, token);
}

int Node::pending(dm_sessid_t sid, dm_token_t token) {
    // Accepted when outstanding; the source is not told (no DM_FLAGS_NDELAY callers yet).
    return token_outstanding(sid, token);
}

int Node::move_event(dm_sessid_t srcsid, dm_token_t token, dm_sessid_t targetsid,
                     dm_token_t* rtoken) {
    rebuild_pending();
    if (!rtoken) return EFAULT;
    auto target = session(targetsid);
    if (!target || target->state != SessionState::active) return EINVAL;
    QueuedEvent ev;
    {
        std::lock_guard lk(q_mu_);
        SessionQueue* q = queue_locked(srcsid);
        if (!q || !token_valid(token)) return EINVAL;
        if (!q->outstanding(token)) return token_error_locked(*q, token);
        if (srcsid == targetsid) {
            *rtoken = token;
            return 0;
        }
        if (target->owner == me_) {
            SessionQueue* tq = queue_locked(targetsid);
            if (!tq) return EINVAL;
            tq->add_outstanding(std::move(*q->take_outstanding(token)));
            *rtoken = token;  // the same token (SGI)
        } else {
            ev = std::move(*q->take_outstanding(token));
        }
    }
    token_done(srcsid, token);  // its access rights stay behind (released)
    if (target->owner == me_) return 0;
    // Another rank: the event travels there and stays outstanding (same token); its source is
    // told where to wait now.
    MoveEventMsg mm{EventMsg{token, targetsid, ev.type, ev.sync, ev.source, ev.data}, ev.sequence,
                    ev.reply};
    auto rep = job_.transport().call(target->owner, msg_type(Msg::move_event), encode(mm),
                                     ft::after(cfg_.rpc_timeout));
    int err = rep.err ? EIO : 0;
    if (!err) {
        auto r = decode_move_event_reply(rep.payload);
        err = r ? r->err : EPROTO;
    }
    if (err) {
        std::lock_guard lk(q_mu_);
        if (SessionQueue* q = queue_locked(srcsid)) q->add_outstanding(std::move(ev));
        return err;
    }
    if (ev.reply) {
        EventMovedMsg moved{token, targetsid, target->owner};
        if (ev.source == me_) {
            std::lock_guard lk(src_mu_);
            auto it = outstanding_.find(token);
            if (it != outstanding_.end()) {
                it->second->owner = target->owner;
                it->second->msg.sid = targetsid;
            }
        } else {
            mpi_tools::wire::Header h;
            h.type = msg_type(Msg::event_moved);
            h.epoch = job_.engine().epoch();
            job_.engine().send(Channel::rpc, ev.source, h, encode(moved));
        }
    }
    *rtoken = token;
    return 0;
}

int Node::create_userevent(dm_sessid_t sid, std::size_t msglen, const void* msg,
                           dm_token_t* token) {
    rebuild_pending();
    if (!token) return EFAULT;
    if (msglen > kMaxMsgData) return E2BIG;
    if (msglen && !msg) return EFAULT;
    std::optional<dm_token_t> t;
    {
        std::lock_guard lk(src_mu_);
        t = tokens_.allocate();
    }
    if (!t) return EAGAIN;
    std::lock_guard lk(q_mu_);
    SessionQueue* q = queue_locked(sid);
    if (!q) {
        std::lock_guard slk(src_mu_);
        release_token(*t);
        return EINVAL;
    }
    const auto* p = static_cast<const std::byte*>(msg);
    QueuedEvent ev{*t,   DM_EVENT_USER,    true,
                   me_,  ++next_sequence_, std::vector<std::byte>(p, p + msglen),
                   false};
    q->add_outstanding(std::move(ev));
    *token = *t;
    return 0;
}

std::vector<Node::LocalQueue> Node::local_queues() const {
    std::lock_guard lk(q_mu_);
    std::vector<LocalQueue> out;
    for (const auto& [sid, q] : queues_)
        out.push_back({sid, q->undelivered(), q->tokens(), rebuild_needed_.count(sid) > 0});
    return out;
}

std::size_t Node::undelivered(dm_sessid_t sid) const {
    std::lock_guard lk(q_mu_);
    auto it = queues_.find(sid);
    return it == queues_.end() ? 0 : it->second->undelivered();
}

// ---------------------------------------------------------------------------------------------
// Sources

void Node::release_token(dm_token_t t) {
    if (async_tokens_.owns(t))
        async_tokens_.release(t);
    else
        tokens_.release(t);
}

std::optional<SessionRecord> Node::target_of(const Event& ev, int* err) const {
    *err = 0;
    std::lock_guard lk(table_mu_);
    if (ev.type == DM_EVENT_USER) {
        for (const auto& s : table_.sessions)
            if (s.sid == ev.sid) return s;
        *err = EINVAL;
        return std::nullopt;
    }
    // The session with the disposition (lowest sid if several claim it).
    for (const auto& s : table_.sessions)
        if ((s.disp >> ev.type) & 1u) return s;
    // GPFS: an undisposed mount fails with EIO; other undisposed events are not generated (AIX).
    if (ev.type == DM_EVENT_MOUNT) *err = EIO;
    return std::nullopt;
}

EventAck Node::send_event(const EventMsg& m, int owner, int* err) {
    *err = 0;
    if (owner == me_) return enqueue(m, true);
    const auto bytes = encode(m);
    for (;;) {
        auto rep =
            job_.transport().call(owner, msg_type(Msg::event), bytes, ft::after(cfg_.rpc_timeout));
        if (rep.err == ECANCELED && live(owner)) continue;  // resend in the new epoch
        if (rep.err) {
            *err = rep.err;
            return {};
        }
        auto ack = decode_event_ack(rep.payload);
        if (!ack) {
            *err = EPROTO;
            return {};
        }
        return *ack;
    }
}

std::shared_ptr<OutstandingEvent> Node::begin_raise(const Event& ev, RaiseResult& res) {
    if (job_.engine().on_progress_thread()) {
        res.err = EDEADLK;  // would block the thread that delivers the response
        return nullptr;
    }
    if (!valid_event_type(ev.type) || ev.type == DM_EVENT_CANCEL || ev.type == DM_EVENT_DEBUT) {
        res.err = EINVAL;
        return nullptr;
    }
    if (ev.data.size() > kMaxEventPayload) {
        res.err = E2BIG;
        return nullptr;
    }
    int err = 0;
    auto target = target_of(ev, &err);
    if (!target) {
        res.err = err;
        return nullptr;
    }
    const bool sync = ev.type == DM_EVENT_USER ? ev.sync : is_sync_event(ev.type);
    auto o = std::make_shared<OutstandingEvent>();
    {
        std::unique_lock lk(src_mu_);
        auto t = sync ? tokens_.allocate() : async_tokens_.allocate();
        if (!t) {
            res.err = EAGAIN;
            return nullptr;
        }
        o->msg = EventMsg{*t, target->sid, ev.type, sync, me_, ev.data};
        o->owner = target->owner;
        o->incarnation = target->incarnation;
        o->wait = sync && ev.type != DM_EVENT_UNMOUNT;
        outstanding_[*t] = o;
        res.generated = true;
        res.token = *t;
        if (!sync) {
            stats_.raised_async++;
            ++async_inflight_;
            async_cv_.wait(
                lk, [&] { return async_q_.size() < cfg_.async_window * kAsyncQueuePerWindow; });
            async_q_.push_back(o);
            async_cv_.notify_all();
            return nullptr;
        }
    }
    stats_.raised_sync++;
    return o;
}

// Sends a synchronous event until its session rank has it, then (unless until_queued) waits
// for the response, staying blocked through a recovery up to the failure timeout.
// Returns true when the event is detached (unmount: nobody waits for it).
bool Node::drive(const std::shared_ptr<OutstandingEvent>& o, RaiseResult& res, bool until_queued) {
    auto backoff = cfg_.busy_backoff_min;
    RecoveryWait recovery;
    const auto started = std::chrono::steady_clock::now();
    bool spun = false;  // once per event (mpi_tools/spin_wait.hpp)
    for (;;) {
        {
            std::lock_guard lk(src_mu_);
            if (o->done) break;
        }
        int owner;
        bool queued;
        {
            std::lock_guard lk(src_mu_);
            owner = o->owner;
            queued = o->queued;
        }
        if (owner != me_ && !live(owner)) {
            // The session rank failed: stay blocked through the recovery (claims 12, 13); the
            // new session rank's rebuild collects this event (same token) and re-points it.
            if (!wait_for_recovery(*o, &recovery)) {
                res.session_failed = true;
                stats_.failure_timeouts++;
                break;
            }
            continue;
        }
        if (queued) {
            if (until_queued) return false;
            std::unique_lock lk(src_mu_);
            const auto spin = std::chrono::microseconds(spun ? 0 : job_.config().wait_spin_us);
            spun = true;
            mpi_tools::spin_then_wait_for(lk, src_cv_, spin, std::chrono::milliseconds(10),
                                          job_.engine(),
                                          [&] { return o->done || o->owner != owner; });
            continue;
        }
        int e = 0;
        EventMsg m;
        {
            std::lock_guard lk(src_mu_);
            m = o->msg;
        }
        EventAck ack = send_event(m, owner, &e);
        if (e == EHOSTDOWN) continue;  // the failure branch above takes it from here
        if (e) {
            res.err = e;
            break;
        }
        if (ack.status == EventStatus::busy) {
            stats_.busy_retries++;
            std::this_thread::sleep_for(backoff);
            backoff = std::min(backoff * 2, cfg_.busy_backoff_max);
            continue;
        }
        if (ack.status == EventStatus::no_session) {
            // Taken over by another rank since the lookup: follow the session there.
            auto rec = session(m.sid);
            std::lock_guard lk(src_mu_);
            if (rec && rec->owner != owner && !o->queued) {
                o->owner = rec->owner;
                o->incarnation = rec->incarnation;
                continue;
            }
            if (o->queued) continue;  // a rebuild collected it meanwhile
            // The table reaches ranks in any order: this rank may know a new session before its
            // owner has opened the queue. Retry (as for BUSY) while the table still names that
            // owner, up to the RPC deadline; a destroyed session disappears from the table.
            if (rec && rec->owner == owner && live(owner) &&
                std::chrono::steady_clock::now() - started < cfg_.rpc_timeout) {
                stats_.busy_retries++;
                std::this_thread::sleep_for(backoff);
                backoff = std::min(backoff * 2, cfg_.busy_backoff_max);
                continue;
            }
            res.err = EINVAL;  // destroyed since the lookup
            break;
        }
        {
            std::lock_guard lk(src_mu_);
            if (o->owner == owner && !o->queued) {
                o->queued = true;
                if (ack.status == EventStatus::queued) o->sequence = ack.sequence;
            }
        }
        if (!o->wait) {
            return true;  // unmount: the response, when it comes, drops the record
        }
    }
    return false;
}

void Node::end_raise(const std::shared_ptr<OutstandingEvent>& o, RaiseResult& res, bool detached) {
    {
        std::lock_guard lk(src_mu_);
        if (o->done) {
            if (o->stale) {
                res.stale = true;
            } else {
                res.response = o->response;
                res.reterror = o->response == DM_RESP_ABORT ? o->reterror : 0;
            }
        }
    }
    {
        std::lock_guard lk(src_mu_);
        res.token = o->msg.token;  // a recovered mount event was given a new token
        if (!detached) {
            outstanding_.erase(res.token);
            release_token(res.token);
        }
    }
}

RaiseResult Node::raise(const Event& ev) {
    RaiseResult res;
    auto o = begin_raise(ev, res);
    if (!o) return res;  // refused, not generated, or asynchronous (handed to the sender)
    const bool detached = drive(o, res, false);
    end_raise(o, res, detached);
    return res;
}

RaiseResult Node::raise_nowait(const Event& ev, std::shared_ptr<OutstandingEvent>* pending) {
    RaiseResult res;
    if (!pending) {
        res.err = EFAULT;
        return res;
    }
    const bool sync = ev.type == DM_EVENT_USER ? ev.sync : is_sync_event(ev.type);
    if (!sync || ev.type == DM_EVENT_UNMOUNT) {
        res.err = EINVAL;  // only events somebody waits for
        return res;
    }
    auto o = begin_raise(ev, res);
    if (!o) return res;
    drive(o, res, true);
    if (res.err || res.session_failed) {
        end_raise(o, res, false);
        return res;
    }
    *pending = o;
    return res;
}

RaiseResult Node::await_response(const std::shared_ptr<OutstandingEvent>& pending) {
    RaiseResult res;
    if (!pending) {
        res.err = EINVAL;
        return res;
    }
    res.generated = true;
    drive(pending, res, false);
    end_raise(pending, res, false);
    return res;
}

int Node::send_msg(dm_sessid_t targetsid, dm_msgtype_t msgtype, std::size_t buflen,
                   const void* buf) {
    if (msgtype != DM_MSGTYPE_SYNC && msgtype != DM_MSGTYPE_ASYNC) return EINVAL;
    if (buflen > kMaxMsgData) return E2BIG;
    if (buflen && !buf) return EFAULT;
    Event ev;
    ev.type = DM_EVENT_USER;
    ev.sid = targetsid;
    ev.sync = msgtype == DM_MSGTYPE_SYNC;
    const auto* p = static_cast<const std::byte*>(buf);
    ev.data.assign(p, p + buflen);
    auto res = raise(ev);
    return res.op_errno();
}

// The sender thread of asynchronous events: batches consecutive events for the same session
// rank into one message (up to kMaxBatchEvents), keeps up to async_window messages in flight,
// resends the events a full queue refused (BUSY) with backoff, and counts as lost those whose
// session rank failed (they are never resubmitted: claim 16).
void Node::async_loop() {
    using Batch = std::vector<std::shared_ptr<OutstandingEvent>>;
    struct Flight {
        Batch evs;
        int owner;
        std::shared_ptr<mpi_tools::PendingCall> pc;
        std::chrono::microseconds backoff;
    };
    std::deque<Flight> flight;
    auto& tr = job_.transport();
    auto finish = [&](const std::shared_ptr<OutstandingEvent>& o, bool lost) {
        std::lock_guard lk(src_mu_);
        outstanding_.erase(o->msg.token);
        release_token(o->msg.token);
        --async_inflight_;
        if (lost) {
            ++async_lost_;
            stats_.async_lost++;
        }
        async_cv_.notify_all();
    };
    auto post = [&](Batch evs, int owner, std::chrono::microseconds b) {
        EventBatch msg;
        msg.events.reserve(evs.size());
        for (const auto& e : evs) msg.events.push_back(e->msg);
        auto pc = tr.post(owner, msg_type(Msg::event_batch), encode(msg));
        flight.push_back({std::move(evs), owner, std::move(pc), b});
    };
    for (;;) {
        Batch next;
        int owner = -1;
        {
            std::unique_lock lk(src_mu_);
            if (flight.empty()) async_cv_.wait(lk, [&] { return !async_q_.empty(); });
            if (flight.size() < cfg_.async_window && !async_q_.empty()) {
                owner = async_q_.front()->owner;
                while (!async_q_.empty() && next.size() < kMaxBatchEvents &&
                       async_q_.front()->owner == owner) {
                    next.push_back(std::move(async_q_.front()));
                    async_q_.pop_front();
                }
                async_cv_.notify_all();  // room for raisers
            }
        }
        if (!next.empty()) {
            if (owner != me_) {
                post(std::move(next), owner, cfg_.busy_backoff_min);
                continue;
            }
            for (auto& e : next) {  // the session is on this rank: enqueue directly
                auto b = cfg_.busy_backoff_min;
                for (;;) {
                    EventAck ack = enqueue(e->msg, true);
                    if (ack.status != EventStatus::busy) {
                        finish(e, ack.status == EventStatus::no_session);
                        break;
                    }
                    stats_.busy_retries++;
                    std::this_thread::sleep_for(b);
                    b = std::min(b * 2, cfg_.busy_backoff_max);
                }
            }
            continue;
        }
        Flight f = std::move(flight.front());
        flight.pop_front();
        auto rep = tr.await(f.pc, ft::after(cfg_.rpc_timeout));
        if (rep.err == ECANCELED && live(f.owner)) {
            post(std::move(f.evs), f.owner, f.backoff);
            continue;
        }
        auto acks = rep.err ? std::nullopt : decode_event_batch_ack(rep.payload);
        if (!acks || acks->acks.size() != f.evs.size()) {
            // Session rank failed or timed out (or answered garbage): the events are lost.
            for (auto& e : f.evs) finish(e, true);
            continue;
        }
        Batch retry;
        for (std::size_t i = 0; i < f.evs.size(); ++i) {
            const auto st = acks->acks[i].status;
            // NO_SESSION while this rank's table still names that owner: the owner has not
            // opened the new session's queue yet (the table reaches ranks in any order); retry
            // like BUSY until the backoff tops out.
            bool early = false;
            if (st == EventStatus::no_session && f.backoff < cfg_.busy_backoff_max) {
                auto rec = session(f.evs[i]->msg.sid);
                early = rec && rec->owner == f.owner;
            }
            if (st == EventStatus::busy || early)
                retry.push_back(std::move(f.evs[i]));
            else
                finish(f.evs[i], st == EventStatus::no_session);
        }
        if (!retry.empty()) {
            stats_.busy_retries++;
            std::this_thread::sleep_for(f.backoff);
            post(std::move(retry), f.owner, std::min(f.backoff * 2, cfg_.busy_backoff_max));
        }
    }
}

std::uint64_t Node::flush_async() {
    std::unique_lock lk(src_mu_);
    async_cv_.wait(lk, [&] { return async_inflight_ == 0; });
    return async_lost_;
}

std::vector<OutstandingEvent> Node::outstanding() const {
    std::lock_guard lk(src_mu_);
    std::vector<OutstandingEvent> v;
    for (const auto& [t, o] : outstanding_) v.push_back(*o);
    return v;
}

}  // namespace dmapi::core
