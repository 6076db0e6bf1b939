#include "writeback.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mpi_tools/job.hpp"
#include "mpi_tools/transport.hpp"
#include "mpi_tools/volume_map.hpp"
#include "pfs/common/config.hpp"
#include "pfs/meta/names.hpp"

namespace pfs::client {

using namespace pfs::proto;

namespace {

constexpr std::chrono::milliseconds kMaxBackoff{50};
constexpr std::chrono::milliseconds kTick{5};  // the thread's look at old batches and answers

std::int64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool contains(std::span<const Ino> s, Ino i) {
    return std::find(s.begin(), s.end(), i) != s.end();
}

bool has_room(const InoPool& p, std::uint32_t used) {
    return p.count != 0 && used < p.count;
}

// The requests that only read: before them the batches are sent, the directories kept.
bool lookup_type(std::uint16_t type) {
    switch (static_cast<MsgType>(type)) {
        case MsgType::lookup_req:
        case MsgType::resolve_req:
        case MsgType::readlink_req:
        case MsgType::readdir_req:
        case MsgType::stat_req:
        case MsgType::get_dm_req:
        case MsgType::dm_state_req:
        case MsgType::scan_inodes_req:
        case MsgType::meta_sync_req:
            return true;
        default:
            return false;
    }
}

}  // namespace

namespace {
// The process's instance per transport (weak: its clients own it).
std::mutex g_mu;
std::map<mpi_tools::Transport*, std::weak_ptr<WriteBack>> g_all;
}  // namespace

std::shared_ptr<WriteBack> WriteBack::find(mpi_tools::Transport& t) {
    std::lock_guard lk(g_mu);
    auto it = g_all.find(&t);
    return it == g_all.end() ? nullptr : it->second.lock();
}

std::shared_ptr<WriteBack> WriteBack::of(mpi_tools::Job& job, int meta_home,
                                         std::chrono::milliseconds timeout,
                                         std::shared_ptr<AttrCache> cache) {
    std::lock_guard lk(g_mu);
    auto& t = job.transport();
    if (auto w = g_all[&t].lock()) return w;
    auto w = std::make_shared<WriteBack>(job, meta_home, timeout, std::move(cache));
    g_all[&t] = w;
    // Answered on the progress thread: posting the last batch never blocks.
    t.serve(static_cast<std::uint16_t>(MsgType::deleg_recall_req),
            [weak = std::weak_ptr<WriteBack>(w)](mpi_tools::Incoming& in, mpi_tools::Responder r) {
                auto q = decode<DelegRecallReq>(in.payload());
                if (!q) {
                    r.reply(encode(StatusResp{q.error()}));
                    return;
                }
                if (auto wb = weak.lock()) wb->recall(q->dir);
                r.reply(encode(StatusResp{0}));
            });
    job.on_recovered([weak = std::weak_ptr<WriteBack>(w)](const std::vector<int>&) {
        if (auto wb = weak.lock()) wb->recovered();
    });
    // The rank ends (Job::finish exits without destructors): everything goes out first.
    job.on_finish([weak = std::weak_ptr<WriteBack>(w)] {
        if (auto wb = weak.lock()) wb->flush(true);
    });
    return w;
}

WriteBack::WriteBack(mpi_tools::Job& job, int meta_home, std::chrono::milliseconds timeout,
                     std::shared_ptr<AttrCache> cache)
    : job_(job),
      meta_home_(meta_home),
      servers_(
          static_cast<std::uint32_t>(std::max(1, job.layout().count_of(mpi_tools::Role::data)))),
      timeout_(timeout),
      cache_(std::move(cache)) {
    thread_ = std::thread([this] { loop(); });
}

WriteBack::~WriteBack() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    // No flush here: the last owner may let go on the progress thread (a recall's handler),
    // where waiting for an answer could never end. Every client flushes when it ends, and so
    // does the rank's Job::finish.
}

int WriteBack::route() const {
    return mpi_tools::VolumeMap(job_.layout(), job_.ft().members()).serving(meta_home_);
}

WriteBack::Dir* WriteBack::find_dir(const std::string& path) {
    auto it = by_path_.find(path);
    if (it == by_path_.end()) return nullptr;
    auto d = dirs_.find(it->second);
    return d == dirs_.end() ? nullptr : &d->second;
}

bool WriteBack::held_path(std::string_view path) const {
    std::lock_guard lk(mu_);
    return by_path_.contains(std::string(path));
}

void WriteBack::granted(const std::string& path, const DelegateResp& r, Clock::time_point sent) {
    if (r.err != 0) return;
    std::lock_guard lk(mu_);
    if (by_path_.contains(path) || dirs_.contains(r.attr.ino)) return;  // cannot be: ignore
    Dir d;
    d.ino = r.attr.ino;
    d.path = path;
    d.via = r.via;
    if (r.leased) d.bound_until = sent + config::kAttrLease;
    d.cur = r.pool;
    d.layout = r.layout;
    d.rr = static_cast<std::uint32_t>(job_.rank());
    by_path_[path] = d.ino;
    dirs_.emplace(d.ino, std::move(d));
}

bool WriteBack::bound(std::unique_lock<std::mutex>& lk, Dir*& d, const std::string& path,
                      const Resolver& resolve) {
    if (Clock::now() < d->bound_until) return true;
    const Ino ino = d->ino;
    const auto gen = recall_gen_;
    lk.unlock();
    const auto sent = Clock::now();
    auto r = resolve(path);
    lk.lock();
    d = find_dir(path);
    if (d == nullptr || d->ino != ino) return false;
    if (r.err == 0 && r.attr.ino == ino && r.leased && recall_gen_ == gen) {
        d->via = std::move(r.via);
        d->bound_until = sent + config::kAttrLease;
        return true;
    }
    if (r.err == 0 && r.attr.ino == ino) return false;  // no lease now: ask the server this time
    give_back(*d);                                      // the path names something else now
    d = nullptr;
    return false;
}

std::optional<Result<Attr>> WriteBack::create(const std::string& parent, const std::string& name,
                                              std::uint32_t mode, bool excl,
                                              const Resolver& resolve) {
    std::unique_lock lk(mu_);
    Dir* d = find_dir(parent);
    if (d == nullptr) return std::nullopt;
    if (auto v = meta::validate_name(name); !v) return Result<Attr>(Errno{v.error()});
    if (meta::is_dot_or_dotdot(name)) return std::nullopt;
    if (!bound(lk, d, parent, resolve)) return std::nullopt;
    if (auto it = d->names.find(name); it != d->names.end()) {
        if (excl) return Result<Attr>(Errno{EEXIST});
        // An existing name: its attributes are known while pending or leased.
        if (it->second.pending || Clock::now() < it->second.lease_until) {
            ++local_ops_;
            return Result<Attr>(it->second.attr);
        }
        return std::nullopt;
    }
    if (d->names.size() >= config::kWritebackNames) {
        give_back(*d);
        return std::nullopt;
    }
    // An inode number from the pool; the next pool is asked for at three quarters.
    while (!has_room(d->cur, d->used)) {
        if (d->next.count != 0) {
            d->cur = d->next;
            d->next = {};
            d->used = 0;
            d->refill_asked = false;
            continue;
        }
        if (!d->refill_asked) {
            d->want_refill = true;
            post(*d, false);
        }
        const Ino ino = d->ino;
        lk.unlock();
        const bool any = settle_one(true);
        lk.lock();
        d = find_dir(parent);
        if (d == nullptr || d->ino != ino) return std::nullopt;
        if (!any && d->next.count == 0) {  // the server gave none: plain requests from now
            give_back(*d);
            return std::nullopt;
        }
    }
    if (d->used * 4 >= d->cur.count * 3 && d->next.count == 0 && !d->refill_asked)
        d->want_refill = true;
    Attr a;
    a.ino = d->cur.first + d->used;
    a.gen = static_cast<Gen>(d->cur.gen0 + d->used);
    ++d->used;
    a.type = FileType::file;
    a.mode = mode & 07777;
    a.uid = ::getuid();
    a.gid = ::getgid();
    a.nlink = 1;
    a.atime_ns = a.mtime_ns = a.ctime_ns = realtime_ns();
    a.change = 1;
    a.layout = d->layout;
    a.layout.first_server = d->rr++ % servers_;
    NsOp op;
    op.kind = kNsCreate;
    op.name = name;
    op.ino = a.ino;
    op.mode = a.mode;
    op.uid = a.uid;
    op.gid = a.gid;
    op.time_ns = a.ctime_ns;
    op.layout = a.layout;
    if (d->batch.empty()) d->oldest = Clock::now();
    d->batch.push_back(std::move(op));
    d->names.emplace(name, Name{a, true, {}});
    cache_->drop_final(d->ino);  // its times changed
    ++local_ops_;
    if (d->batch.size() >= config::kWritebackBatch) post(*d, false);
    return Result<Attr>(a);
}

std::optional<Result<Attr>> WriteBack::stat(const std::string& parent, const std::string& name) {
    std::lock_guard lk(mu_);
    Dir* d = find_dir(parent);
    if (d == nullptr || Clock::now() >= d->bound_until) return std::nullopt;
    if (meta::is_dot_or_dotdot(name) || !meta::validate_name(name)) return std::nullopt;
    auto it = d->names.find(name);
    if (it == d->names.end()) {
        ++local_ops_;
        return Result<Attr>(Errno{ENOENT});  // every name in it is known here
    }
    if (!it->second.pending && Clock::now() >= it->second.lease_until) return std::nullopt;
    ++local_ops_;
    return Result<Attr>(it->second.attr);
}

std::optional<Result<void>> WriteBack::unlink(const std::string& parent, const std::string& name,
                                              const Resolver& resolve) {
    std::unique_lock lk(mu_);
    Dir* d = find_dir(parent);
    if (d == nullptr) return std::nullopt;
    if (meta::is_dot_or_dotdot(name) || !meta::validate_name(name)) return std::nullopt;
    if (!bound(lk, d, parent, resolve)) return std::nullopt;
    auto it = d->names.find(name);
    if (it == d->names.end()) {
        ++local_ops_;
        return Result<void>(Errno{ENOENT});
    }
    const Ino ino = it->second.attr.ino;
    d->names.erase(it);
    cache_->drop_final(ino);  // a stat of it asked the server once (its lease had run out)
    cache_->drop_final(d->ino);
    ++local_ops_;
    // A create still in the batch: neither is sent.
    auto c = std::find_if(d->batch.begin(), d->batch.end(),
                          [&](const NsOp& op) { return op.kind == kNsCreate && op.ino == ino; });
    if (c != d->batch.end()) {
        d->batch.erase(c);
        return Result<void>(ok());
    }
    NsOp op;
    op.kind = kNsUnlink;
    op.name = name;
    op.ino = ino;
    op.time_ns = realtime_ns();
    if (d->batch.empty()) d->oldest = Clock::now();
    d->batch.push_back(std::move(op));
    if (d->batch.size() >= config::kWritebackBatch) post(*d, false);
    return Result<void>(ok());
}

void WriteBack::post(Dir& d, bool give_back) {
    Flight f;
    f.req.dir = d.ino;
    f.req.seq = d.next_seq++;
    f.req.give_back = give_back;
    f.req.refill = d.want_refill && !give_back;
    if (f.req.refill) {
        d.refill_asked = true;
        d.want_refill = false;
    }
    f.req.ops = std::move(d.batch);
    d.batch.clear();
    f.path = d.path;
    f.recall_gen = recall_gen_;
    f.deadline = Clock::now() + timeout_;
    send(std::move(f), false);
}

void WriteBack::send(Flight f, bool again) {
    f.to = route();
    f.sent = Clock::now();
    f.pc = job_.transport().post(f.to, static_cast<std::uint16_t>(MsgType::writeback_req),
                                 encode(f.req));
    ++batches_;
    // Sent again: before every later flight, as the server applies a directory's batches in order.
    if (again)
        flights_.push_front(std::move(f));
    else
        flights_.push_back(std::move(f));
    cv_.notify_all();
}

void WriteBack::give_back(Dir& d) {
    post(d, true);
    by_path_.erase(d.path);
    dirs_.erase(d.ino);
}

bool WriteBack::settle_one(bool block) {
    std::lock_guard sl(settle_mu_);
    Flight f;
    {
        std::lock_guard lk(mu_);
        if (flights_.empty()) return false;
        auto& front = flights_.front();
        // Not waited for by the thread unless answered, or its server is gone (re-sent then).
        if (!block && !mpi_tools::Transport::ready(front.pc) && route() == front.to &&
            !job_.ft().is_failed(front.to))
            return false;
        f = std::move(front);
        flights_.pop_front();
    }
    auto rep = job_.transport().await(f.pc, f.deadline);
    if (rep.err == ECANCELED || rep.err == EHOSTDOWN) {
        // An epoch change or a dead metadata server: the same batch again, to the rank that
        // serves the volume now (an adopter answers a batch it already has as a duplicate).
        while (rep.err == EHOSTDOWN && route() == f.to && Clock::now() < f.deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (Clock::now() < f.deadline) {
            std::lock_guard lk(mu_);
            send(std::move(f), true);
            return true;
        }
    }
    std::unique_lock lk(mu_);
    WritebackResp r;
    if (rep.err != 0) {
        r.err = rep.err;
    } else if (auto d = decode<WritebackResp>(rep.payload)) {
        r = std::move(*d);
    } else {
        auto s = decode<StatusResp>(rep.payload);  // a refusal (EAGAIN, EOPNOTSUPP)
        r.err = s ? s->err : EIO;
    }
    const bool busy = r.err == EAGAIN || r.err == EOPNOTSUPP || r.err == EPROTO;
    if (busy && Clock::now() + f.backoff < f.deadline) {
        lk.unlock();
        std::this_thread::sleep_for(f.backoff);
        lk.lock();
        f.backoff = std::min(f.backoff * 2, kMaxBackoff);
        send(std::move(f), true);
        return true;
    }
    settled(f, r);
    return true;
}

void WriteBack::settled(Flight& f, const WritebackResp& r) {
    auto dit = dirs_.find(f.req.dir);
    Dir* d = dit == dirs_.end() ? nullptr : &dit->second;
    if (r.err == ESTALE && f.req.give_back) return;  // given back already (a re-sent last batch)
    if (r.err != 0) {
        lost_ += f.req.ops.size();
        std::fprintf(stderr,
                     "pfs-client[%d]: %zu changes in %s were acknowledged but not written back: "
                     "%s\n",
                     job_.rank(), f.req.ops.size(), f.path.c_str(), std::strerror(r.err));
        return;
    }
    for (std::size_t i = 0; i < r.op_errs.size() && i < f.req.ops.size(); ++i) {
        if (r.op_errs[i] == 0) continue;
        ++lost_;
        std::fprintf(stderr, "pfs-client[%d]: %s of %s/%s was acknowledged but refused: %s\n",
                     job_.rank(), f.req.ops[i].kind == kNsCreate ? "create" : "unlink",
                     f.path.c_str(), f.req.ops[i].name.c_str(), std::strerror(r.op_errs[i]));
    }
    for (const auto& a : r.freed) freed_.push_back(a);
    if (d == nullptr) return;
    if (r.pool.count != 0) d->next = r.pool;
    const bool leased = r.leased && recall_gen_ == f.recall_gen;
    for (const auto& op : f.req.ops) {
        if (op.kind != kNsCreate) continue;
        auto it = d->names.find(op.name);
        if (it == d->names.end() || it->second.attr.ino != op.ino) continue;
        it->second.pending = false;
        it->second.lease_until = leased ? f.sent + config::kAttrLease : Clock::time_point{};
    }
}

void WriteBack::settle_all() {
    while (settle_one(true)) {
    }
}

void WriteBack::flush(bool give_back) {
    {
        std::lock_guard lk(mu_);
        if (dirs_.empty() && flights_.empty()) return;
        if (give_back) {
            while (!dirs_.empty()) this->give_back(dirs_.begin()->second);
        } else {
            for (auto& [ino, d] : dirs_)
                if (!d.batch.empty() || d.want_refill) post(d, false);
        }
    }
    settle_all();
}

void WriteBack::before_request(std::uint16_t type) {
    const auto t = static_cast<MsgType>(type);
    if (t == MsgType::writeback_req || t == MsgType::delegate_req) return;
    flush(!lookup_type(type));
}

std::uint64_t WriteBack::take_lost() {
    std::lock_guard lk(mu_);
    return std::exchange(lost_, 0);
}

std::vector<Attr> WriteBack::take_freed() {
    std::lock_guard lk(mu_);
    return std::exchange(freed_, {});
}

WritebackInfo WriteBack::info() const {
    std::lock_guard lk(mu_);
    return WritebackInfo{dirs_.size(), local_ops_, batches_, lost_};
}

void WriteBack::recall(Ino dir) {
    std::lock_guard lk(mu_);
    auto it = dirs_.find(dir);
    if (it != dirs_.end()) give_back(it->second);
}

void WriteBack::attr_recall(std::span<const Ino> entries, std::span<const Ino> attrs) {
    std::lock_guard lk(mu_);
    ++recall_gen_;
    const bool all = contains(entries, 0) || contains(attrs, 0);
    for (auto& [ino, d] : dirs_) {
        const bool path_moved =
            all || contains(entries, ino) || contains(attrs, ino) ||
            std::any_of(d.via.begin(), d.via.end(), [&](Ino v) { return contains(entries, v); });
        if (path_moved) d.bound_until = {};
        for (auto& [name, n] : d.names)
            if (all || contains(attrs, n.attr.ino) || contains(entries, n.attr.ino))
                n.lease_until = {};
    }
}

void WriteBack::recovered() {
    std::lock_guard lk(mu_);
    ++recall_gen_;
    for (auto& [ino, d] : dirs_) {
        d.bound_until = {};
        for (auto& [name, n] : d.names) n.lease_until = {};
    }
    cv_.notify_all();
}

void WriteBack::loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
        if (flights_.empty() && std::none_of(dirs_.begin(), dirs_.end(), [](const auto& e) {
                return !e.second.batch.empty();
            })) {
            cv_.wait_for(lk, std::chrono::milliseconds(100));
            continue;
        }
        cv_.wait_for(lk, kTick);
        if (stop_) break;
        const auto now = Clock::now();
        for (auto& [ino, d] : dirs_)
            if (!d.batch.empty() && now - d.oldest >= config::kWritebackDelay) post(d, false);
        lk.unlock();
        while (settle_one(false)) {
        }
        lk.lock();
    }
}

}  // namespace pfs::client
