#include "portable_ft.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mpi_tools::ft {
namespace {

using wire::MsgType;
constexpr int kExitDeclaredFailed = 75;  // a rank that learns it was declared failed

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

[[noreturn]] void fatal(int me, const char* what) {
    std::fprintf(stderr, "mpi_tools[%d]: fatal: %s; exiting (fail-stop)\n", me, what);
    std::fflush(stderr);
    _exit(kExitDeclaredFailed);
}

bool contains(const std::vector<int>& v, int x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

PortableFt::PortableFt(const Config& cfg, Engine& engine)
    : cfg_(cfg),
      engine_(engine),
      me_(engine.rank()),
      n_(engine.size()),
      failed_(n_),
      departing_(new std::atomic<std::uint8_t>[static_cast<std::size_t>(n_)]) {
    for (int i = 0; i < n_; ++i) {
        departing_[i] = 0;
        members_.push_back(i);
    }
    if (const char* fl = std::getenv(kEnvFailLoc);
        fl && std::strncmp(fl, "die_in_decide:", 14) == 0)
        die_in_decide_ = std::atoi(fl + 14);

    engine_.set_failure_oracle([this](int r) { return is_failed(r); });
    engine_.on(MsgType::heartbeat, [this](Incoming& in) {
        if (in.header.src == watched_pred_) hb_pred_seen_ns_ = now_ns();
    });
    engine_.on(MsgType::fail_notice, [this](Incoming& in) { handle_fail(in); });
    engine_.on(MsgType::revoke, [this](Incoming& in) { handle_revoke(in); });
    engine_.on(MsgType::propose, [this](Incoming& in) { handle_propose(in); });
    engine_.on(MsgType::coord, [this](Incoming& in) { handle_coord(in); });
    engine_.on(MsgType::decide, [this](Incoming& in) { handle_decide(in); });
    for (auto t : {MsgType::barrier_arrive, MsgType::barrier_release, MsgType::gather_part})
        engine_.on(t, [this](Incoming& in) { handle_mail(in); });
    FailureSet::serve_abort(engine_);
    engine_.add_poller([this] { heartbeat_tick(); });
}

PortableFt::~PortableFt() {
    pmix_.stop();
}

void PortableFt::start(std::vector<int> pids, std::vector<std::uint64_t> host_hashes) {
    {
        std::lock_guard lk(mu_);
        pids_ = std::move(pids);
        hosts_ = std::move(host_hashes);
        if (static_cast<int>(hosts_.size()) == n_) my_host_ = hosts_[static_cast<std::size_t>(me_)];
    }
    last_hb_sent_ = Clock::now();
    detection_on_ = true;
    pmix_active_ = pmix_.start(cfg_.pmix_poll_period, [this](int r, int, int) {
        if (detection_on_ && r != me_ && r >= 0 && r < n_ && !departing_[r])
            mark_failed(r, "pmix", /*broadcast=*/true);
    });
}

// --- detection -----------------------------------------------------------------------------

bool PortableFt::is_failed(int r) const {
    return failed_.contains(r);
}

std::vector<int> PortableFt::failed() const {
    return failed_.sorted();
}

std::vector<FailureRecord> PortableFt::failure_log() const {
    return failed_.log();
}

bool PortableFt::failure_pending() const {
    std::lock_guard lk(mu_);
    for (int m : members_)
        if (failed_.contains(m)) return true;
    return false;
}

void PortableFt::on_failure(std::function<void(int, const std::string&)> cb) {
    failed_.on_failure(std::move(cb));
}

void PortableFt::report_failure(int r, const std::string& how) {
    mark_failed(r, how, true);
}

void PortableFt::mark_departing(int r) {
    if (r >= 0 && r < n_) departing_[r] = 1;
}

void PortableFt::stop_detection() {
    detection_on_ = false;
    pmix_.stop();
}

void PortableFt::mark_failed(int r, const std::string& how, bool broadcast) {
    if (r < 0 || r >= n_) return;
    if (r == me_) fatal(me_, ("declared failed (" + how + ")").c_str());
    std::vector<FailureSet::Callback> cbs;
    if (!failed_.mark(r, how, &cbs)) return;
    int pid = 0;
    bool same_host = false;
    {
        std::lock_guard lk(mu_);
        if (static_cast<int>(pids_.size()) == n_) {
            pid = pids_[static_cast<std::size_t>(r)];
            same_host = hosts_[static_cast<std::size_t>(r)] == my_host_;
        }
    }
    cv_.notify_all();
    // Fencing: a suspected-but-alive rank (hung, stopped) is killed so that every rank's view
    // of it is true. A rank PMIx saw terminate is already dead.
    if (cfg_.fence_same_host && same_host && pid > 0 && how != "pmix") ::kill(pid, SIGKILL);
    if (broadcast) broadcast_fail(r);
    for (auto& cb : cbs) cb(r, how);
}

void PortableFt::broadcast_fail(int r) {
    std::vector<std::byte> body;
    wire::Writer w(&body);
    w.put_ints({r});
    // To everyone alive, and to the suspect itself: if it is alive after all it exits.
    for (int i = 0; i < n_; ++i)
        if (i != me_ && (!failed_.contains(i) || i == r))
            engine_.send(Channel::ctrl, i, MsgType::fail_notice, body);
}

void PortableFt::handle_fail(Incoming& in) {
    wire::Reader rd(in.payload());
    auto set = rd.get_ints(n_);
    if (!rd.done()) return;
    if (contains(set, me_)) {
        std::fprintf(stderr, "mpi_tools[%d]: rank %d declared this rank failed; exiting\n", me_,
                     in.header.src);
        std::fflush(stderr);
        _exit(kExitDeclaredFailed);
    }
    for (int r : set) mark_failed(r, "notice", false);
}

int PortableFt::ring_neighbor(int dir) const {
    for (int k = 1; k < n_; ++k) {
        int r = ((me_ + dir * k) % n_ + n_) % n_;
        if (!failed_.contains(r) && !departing_[r]) return r;
    }
    return -1;
}

void PortableFt::heartbeat_tick() {
    if (!detection_on_.load(std::memory_order_relaxed)) return;
    // The ring walk is O(P): do it a few times per heartbeat period, not on every iteration of
    // the progress loop.
    auto now = Clock::now();
    if (now < next_hb_tick_) return;
    next_hb_tick_ =
        now + std::max<Clock::duration>(std::chrono::milliseconds(1), cfg_.heartbeat_period / 10);
    if (now - last_hb_sent_ >= cfg_.heartbeat_period) {
        last_hb_sent_ = now;
        int succ = ring_neighbor(+1);
        if (succ >= 0) engine_.send(Channel::ctrl, succ, MsgType::heartbeat, {});
    }
    int pred = ring_neighbor(-1);
    if (pred != watched_pred_) {
        // A new predecessor gets a full timeout of grace from now.
        watched_pred_ = pred;
        last_hb_pred_ = now;
        return;
    }
    if (pred < 0) return;
    auto seen = Clock::time_point(std::chrono::nanoseconds(hb_pred_seen_ns_.load()));
    auto last = std::max(last_hb_pred_, seen);
    auto silent = now - last;
    if (silent <= cfg_.heartbeat_timeout) return;
    // On an overloaded node a live rank can miss heartbeats; declaring it failed would fence it.
    // For a rank on this host, look at the process itself: runnable (not stopped, not a zombie)
    // means slow, not dead, so wait up to the hard limit before suspecting it. A stopped (hung),
    // dead or remote rank is declared at the normal timeout.
    if (silent <= cfg_.heartbeat_timeout * kHeartbeatHardLimitFactor &&
        local_process_runnable(pred))
        return;
    mark_failed(pred, "heartbeat", true);
}

bool PortableFt::local_process_runnable(int r) const {
    int pid = 0;
    {
        std::lock_guard lk(mu_);
        if (static_cast<int>(pids_.size()) != n_ || hosts_[static_cast<std::size_t>(r)] != my_host_)
            return false;
        pid = pids_[static_cast<std::size_t>(r)];
    }
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE* f = std::fopen(path, "r");
    if (!f) return false;
    char buf[512] = {};
    std::size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
    std::fclose(f);
    const char* rp = std::strrchr(buf, ')');  // state follows the parenthesised command name
    if (!rp || rp + 2 >= buf + n) return false;
    char state = rp[2];
    return state == 'R' || state == 'S' || state == 'D';
}

// --- revoke --------------------------------------------------------------------------------

void PortableFt::revoke() {
    std::uint32_t e;
    std::vector<int> live;
    {
        std::lock_guard lk(mu_);
        e = epoch_;
        live = live_members_locked();
    }
    std::int64_t cur = revoked_epoch_.load();
    while (cur < e && !revoked_epoch_.compare_exchange_weak(cur, e)) {
    }
    cv_.notify_all();
    std::vector<std::byte> body;
    wire::Writer w(&body);
    w.put<std::uint32_t>(e);
    w.put_ints(failed());
    for (int m : live)
        if (m != me_) engine_.send(Channel::ctrl, m, MsgType::revoke, body);
}

bool PortableFt::is_revoked() const {
    std::lock_guard lk(mu_);
    return revoked_epoch_.load() >= static_cast<std::int64_t>(epoch_);
}

void PortableFt::handle_revoke(Incoming& in) {
    wire::Reader rd(in.payload());
    auto e = rd.get<std::uint32_t>();
    auto set = rd.get_ints(n_);
    if (!rd.done()) return;
    std::int64_t cur = revoked_epoch_.load();
    while (cur < e && !revoked_epoch_.compare_exchange_weak(cur, e)) {
    }
    for (int r : set)
        if (r != me_) mark_failed(r, "notice", false);
    cv_.notify_all();
}

// --- agreement -----------------------------------------------------------------------------

std::vector<int> PortableFt::live_members_locked() const {
    std::vector<int> v;
    for (int m : members_)
        if (!failed_.contains(m)) v.push_back(m);
    return v;
}

int PortableFt::coordinator_locked() const {
    for (int m : members_)
        if (!failed_.contains(m)) return m;
    return -1;
}

std::vector<std::byte> PortableFt::encode_set(std::uint32_t e, int flag, bool decided,
                                              const std::vector<int>& set) const {
    std::vector<std::byte> body;
    wire::Writer w(&body);
    w.put<std::uint32_t>(e);
    w.put<std::int32_t>(flag);
    w.put<std::uint8_t>(decided ? 1 : 0);
    w.put_ints(set);
    return body;
}

void PortableFt::send_to(int dest, wire::MsgType t, const std::vector<std::byte>& body) {
    engine_.send(Channel::ctrl, dest, t, body);
}

Decision PortableFt::agree(int flag) {
    std::unique_lock lk(mu_);
    const std::uint32_t e = epoch_;
    const auto deadline = Clock::now() + cfg_.agree_timeout;
    int proposed_to = -1;
    std::set<int> hinted;
    // Participant phase: propose to whoever we believe coordinates, again whenever that changes
    // (the coordinator died) or a new coordinator announces itself.
    for (;;) {
        if (auto it = decided_.find(e); it != decided_.end()) return it->second;
        int c = coordinator_locked();
        if (c == me_) break;
        if (c < 0) fatal(me_, "agreement without a live coordinator");
        if (c != proposed_to) {
            send_to(c, MsgType::propose, encode_set(e, flag, false, failed()));
            proposed_to = c;
        }
        if (auto h = coord_hint_.find(e); h != coord_hint_.end() && h->second != proposed_to &&
                                          !hinted.count(h->second) &&
                                          !failed_.contains(h->second)) {
            send_to(h->second, MsgType::propose, encode_set(e, flag, false, failed()));
            hinted.insert(h->second);
        }
        if (Clock::now() > deadline) fatal(me_, "agreement timed out");
        cv_.wait_for(lk, std::chrono::milliseconds(1));
    }
    // Coordinator phase.
    for (int m : live_members_locked())
        if (m != me_) {
            std::vector<std::byte> body;
            wire::Writer w(&body);
            w.put<std::uint32_t>(e);
            send_to(m, MsgType::coord, body);
        }
    props_[e][me_] = Proposal{failed(), flag, false};
    Decision d;
    for (;;) {
        if (auto it = decided_.find(e); it != decided_.end()) {
            d = it->second;  // a DECIDE of an earlier coordinator reached us meanwhile
            break;
        }
        bool adopted = false;
        for (auto& [r, p] : props_[e])
            if (p.decided) {  // a member holds the dead coordinator's decision: keep it
                d = Decision{p.set, p.flag};
                adopted = true;
                break;
            }
        if (adopted) break;
        std::set<int> u;
        for (int m : members_)
            if (failed_.contains(m)) u.insert(m);
        for (auto& [r, p] : props_[e])
            for (int x : p.set)
                if (contains(members_, x)) u.insert(x);
        bool all_in = true;
        int f = 1;
        for (int m : members_) {
            if (u.count(m)) continue;
            auto it = props_[e].find(m);
            if (it == props_[e].end()) {
                all_in = false;
                break;
            }
            f &= it->second.flag;
        }
        if (all_in) {
            d = Decision{std::vector<int>(u.begin(), u.end()), f};
            break;
        }
        if (Clock::now() > deadline) fatal(me_, "agreement (coordinator) timed out");
        cv_.wait_for(lk, std::chrono::milliseconds(1));
    }
    decided_[e] = d;
    auto body = encode_set(e, d.flag, true, d.failed);
    std::vector<int> targets;
    for (int m : members_)
        if (m != me_ && !contains(d.failed, m)) targets.push_back(m);
    lk.unlock();
    if (die_in_decide_ == me_ && !targets.empty()) {
        // fail_loc: the coordinator dies in the middle of its broadcast.
        send_to(targets.back(), MsgType::decide, body);
        std::fprintf(stderr, "mpi_tools[%d]: FAIL_LOC die_in_decide: DECIDE sent to rank %d only\n",
                     me_, targets.back());
        std::fflush(stderr);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ::raise(SIGKILL);
    }
    for (int m : targets) send_to(m, MsgType::decide, body);
    for (int r : d.failed) mark_failed(r, "agreement", false);
    return d;
}

void PortableFt::handle_propose(Incoming& in) {
    wire::Reader rd(in.payload());
    auto e = rd.get<std::uint32_t>();
    int flag = rd.get<std::int32_t>();
    bool decided = rd.get<std::uint8_t>() != 0;
    auto set = rd.get_ints(n_);
    if (!rd.done()) return;
    std::unique_lock lk(mu_);
    if (auto it = decided_.find(e); it != decided_.end()) {
        auto body = encode_set(e, it->second.flag, true, it->second.failed);
        lk.unlock();
        send_to(in.header.src, MsgType::decide, body);
        return;
    }
    props_[e][in.header.src] = Proposal{std::move(set), flag, decided};
    lk.unlock();
    cv_.notify_all();
}

void PortableFt::handle_coord(Incoming& in) {
    wire::Reader rd(in.payload());
    auto e = rd.get<std::uint32_t>();
    if (!rd.done()) return;
    std::unique_lock lk(mu_);
    if (auto it = decided_.find(e); it != decided_.end()) {
        // Tell the new coordinator what the old one decided.
        auto body = encode_set(e, it->second.flag, true, it->second.failed);
        lk.unlock();
        send_to(in.header.src, MsgType::propose, body);
        return;
    }
    coord_hint_[e] = in.header.src;
    lk.unlock();
    cv_.notify_all();
}

void PortableFt::handle_decide(Incoming& in) {
    wire::Reader rd(in.payload());
    auto e = rd.get<std::uint32_t>();
    int flag = rd.get<std::int32_t>();
    rd.get<std::uint8_t>();
    auto set = rd.get_ints(n_);
    if (!rd.done()) return;
    if (contains(set, me_)) {
        std::fprintf(stderr, "mpi_tools[%d]: agreement declared this rank failed; exiting\n", me_);
        std::fflush(stderr);
        _exit(kExitDeclaredFailed);
    }
    {
        std::lock_guard lk(mu_);
        decided_.emplace(e, Decision{set, flag});  // the first decision wins (sticky)
    }
    cv_.notify_all();
    for (int r : set) mark_failed(r, "agreement", false);
}

// --- shrink --------------------------------------------------------------------------------

void PortableFt::set_epoch_locked(std::uint32_t e) {
    epoch_ = e;
    coll_seq_ = 0;
    engine_.set_epoch(e);
    for (auto it = mail_.begin(); it != mail_.end();)
        it = std::get<1>(it->first) < e ? mail_.erase(it) : std::next(it);
    props_.erase(props_.begin(), props_.lower_bound(e));
    coord_hint_.erase(coord_hint_.begin(), coord_hint_.lower_bound(e));
}

Decision PortableFt::shrink() {
    Decision total;
    std::set<int> all;
    for (int round = 0;; ++round) {
        Decision d = agree(1);
        all.insert(d.failed.begin(), d.failed.end());
        total.flag &= d.flag;
        {
            std::lock_guard lk(mu_);
            std::erase_if(members_, [&](int m) { return contains(d.failed, m); });
            set_epoch_locked(epoch_ + 1);
        }
        Rc rc = barrier(Clock::now() + cfg_.agree_timeout);
        if (rc == Rc::timeout) fatal(me_, "shrink validation barrier timed out");
        if (rc == Rc::ok && !failure_pending()) break;
        // A member failed during validation: run another round in the new epoch.
    }
    total.failed.assign(all.begin(), all.end());
    return total;
}

std::vector<int> PortableFt::members() const {
    std::lock_guard lk(mu_);
    return members_;
}

std::uint32_t PortableFt::epoch() const {
    std::lock_guard lk(mu_);
    return epoch_;
}

MPI_Comm PortableFt::comm() {
    std::vector<int> m;
    std::uint32_t e;
    {
        std::lock_guard lk(mu_);
        if (comm_ != MPI_COMM_NULL && comm_epoch_ == epoch_) return comm_;
        m = members_;
        e = epoch_;
    }
    if (failure_pending()) return MPI_COMM_NULL;  // shrink first
    std::atomic<bool> done{false};
    std::thread watchdog([&, me = me_, limit = cfg_.create_group_watchdog] {
        auto until = Clock::now() + limit;
        while (!done && Clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!done) fatal(me, "MPI_Comm_create_group hung (a member died inside it)");
    });
    MPI_Group wg, g;
    MPI_Comm nc = MPI_COMM_NULL;
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    MPI_Group_incl(wg, static_cast<int>(m.size()), m.data(), &g);
    MPI_Comm_create_group(MPI_COMM_WORLD, g, 1000 + static_cast<int>(e % 30000), &nc);
    done = true;
    watchdog.join();
    MPI_Group_free(&g);
    MPI_Group_free(&wg);
    if (nc != MPI_COMM_NULL) MPI_Comm_set_errhandler(nc, MPI_ERRORS_RETURN);
    std::lock_guard lk(mu_);
    // The previous communicator is not freed: operations on it may still be pending.
    comm_ = nc;
    comm_epoch_ = e;
    return comm_;
}

// --- failure-aware waiting and collectives ---------------------------------------------------

Rc PortableFt::wait(MPI_Request* req, int peer, MPI_Status* st, Deadline dl) {
    int sleep_us = 1;
    for (;;) {
        int flag = 0;
        MPI_Test(req, &flag, st ? st : MPI_STATUS_IGNORE);
        if (flag) return Rc::ok;
        if (peer >= 0 ? is_failed(peer) : failure_pending()) return Rc::proc_failed;
        if (is_revoked()) return Rc::revoked;
        if (Clock::now() > dl) return Rc::timeout;
        std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
        sleep_us = std::min(500, sleep_us * 2);
    }
}

void PortableFt::handle_mail(Incoming& in) {
    wire::Reader rd(in.payload());
    auto e = rd.get<std::uint32_t>();
    auto seq = rd.get<std::uint32_t>();
    if (!rd.ok()) return;
    std::vector<std::byte> rest(in.payload().begin() + 8, in.payload().end());
    {
        std::lock_guard lk(mu_);
        if (e < epoch_) return;  // a collective of an epoch that is over
        mail_[MailKey{in.header.type, e, seq, in.header.src}] = std::move(rest);
    }
    cv_.notify_all();
}

bool PortableFt::take_mail(const MailKey& k, std::vector<std::byte>* out) {
    auto it = mail_.find(k);
    if (it == mail_.end()) return false;
    if (out) *out = std::move(it->second);
    mail_.erase(it);
    return true;
}

namespace {
std::vector<std::byte> mail_body(std::uint32_t e, std::uint32_t seq, std::span<const std::byte> p) {
    std::vector<std::byte> b;
    wire::Writer w(&b);
    w.put<std::uint32_t>(e);
    w.put<std::uint32_t>(seq);
    b.insert(b.end(), p.begin(), p.end());
    return b;
}
}  // namespace

Rc PortableFt::barrier(Deadline dl) {
    std::unique_lock lk(mu_);
    const std::uint32_t e = epoch_;
    const std::uint32_t seq = next_seq_locked();
    const std::vector<int> m = members_;
    const int root = m.front();
    auto wait_for = [&](std::uint16_t type, int src, std::vector<std::byte>* out) -> Rc {
        for (;;) {
            if (take_mail(MailKey{type, e, seq, src}, out)) return Rc::ok;
            if (failed_.contains(src)) return Rc::proc_failed;
            if (Clock::now() > dl) return Rc::timeout;
            cv_.wait_for(lk, std::chrono::milliseconds(1));
        }
    };
    const auto arrive = static_cast<std::uint16_t>(MsgType::barrier_arrive);
    const auto release = static_cast<std::uint16_t>(MsgType::barrier_release);
    if (me_ != root) {
        lk.unlock();
        if (is_failed(root)) return Rc::proc_failed;
        engine_.send(Channel::ctrl, root, MsgType::barrier_arrive, mail_body(e, seq, {}));
        lk.lock();
        std::vector<std::byte> verdict;
        Rc rc = wait_for(release, root, &verdict);
        if (rc != Rc::ok) return rc;
        wire::Reader rd(verdict);
        return rd.get<std::int32_t>() == 1 ? Rc::ok : Rc::proc_failed;
    }
    Rc result = Rc::ok;
    for (int r : m) {
        if (r == me_) continue;
        Rc rc = wait_for(arrive, r, nullptr);
        if (rc != Rc::ok) {
            result = rc;
            break;
        }
    }
    lk.unlock();
    std::vector<std::byte> v;
    wire::Writer w(&v);
    w.put<std::int32_t>(result == Rc::ok ? 1 : 0);
    for (int r : m)
        if (r != me_)
            engine_.send(Channel::ctrl, r, MsgType::barrier_release, mail_body(e, seq, v));
    if (result == Rc::ok && is_revoked()) return Rc::revoked;
    return result;
}

Rc PortableFt::gather(int root, std::span<const std::byte> mine,
                      std::vector<std::pair<int, std::vector<std::byte>>>* out, Deadline dl) {
    std::unique_lock lk(mu_);
    const std::uint32_t e = epoch_;
    const std::uint32_t seq = next_seq_locked();
    const std::vector<int> m = members_;
    if (me_ != root) {
        lk.unlock();
        if (is_failed(root)) return Rc::proc_failed;
        engine_.send(Channel::ctrl, root, MsgType::gather_part, mail_body(e, seq, mine));
        return Rc::ok;
    }
    out->clear();
    const auto part = static_cast<std::uint16_t>(MsgType::gather_part);
    for (int r : m) {
        if (r == me_) {
            out->emplace_back(r, std::vector<std::byte>(mine.begin(), mine.end()));
            continue;
        }
        std::vector<std::byte> got;
        for (;;) {
            if (take_mail(MailKey{part, e, seq, r}, &got)) {
                out->emplace_back(r, std::move(got));
                break;
            }
            if (failed_.contains(r)) break;  // skipped: its failure is in failed()
            if (Clock::now() > dl) return Rc::timeout;
            cv_.wait_for(lk, std::chrono::milliseconds(1));
        }
    }
    return Rc::ok;
}

void PortableFt::abort_all(int code) {
    failed_.abort_all(engine_, code);
}

}  // namespace mpi_tools::ft
