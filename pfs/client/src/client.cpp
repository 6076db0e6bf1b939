// pfs::client::Client: set-up, descriptors and the namespace operations. Every namespace call
// is one or two requests to the metadata server: the parent directory is resolved by path
// (ResolveReq), then the operation names (parent inode, final component), as the MetaStore API
// does. The data path is in io.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "internal.hpp"
#include "mpi_tools/job.hpp"
#include "mpi_tools/volume_map.hpp"
#include "mpi_tools/wire.hpp"
#include "pfs/common/config.hpp"
#include "pfs/meta/names.hpp"
#include "pfs/meta/superblock.hpp"

namespace pfs::client {

using namespace pfs::proto;

namespace {

// A data message (header + chunk) must fit the wire's kMaxPayload.
constexpr std::uint64_t kMaxChunk = mpi_tools::wire::kMaxPayload - 4096;

// An unsigned tunable: unset, malformed or below `min` keeps `fallback`.
std::uint64_t env_u64(const char* name, std::uint64_t fallback, std::uint64_t min = 1) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    const unsigned long long x = std::strtoull(v, &end, 10);
    return (end != nullptr && *end == '\0' && x >= min) ? x : fallback;
}

// A switch: "0" turns it off, any other value on, unset keeps `fallback`.
bool env_flag(const char* name, bool fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    return std::strcmp(v, "0") != 0;
}

// The result of splitting a path for a create/remove-style call.
struct Split {
    bool is_root = false;  // the path names "/" itself
    std::string parent;    // absolute path of the directory holding the final component
    std::string name;      // the final component
    bool trailing_slash = false;
};

Result<Split> split(std::string_view path) {
    auto sp = meta::split_path(path);
    if (!sp) return Errno{sp.error()};
    Split out;
    out.trailing_slash = sp->trailing_slash;
    if (sp->components.empty()) {
        out.is_root = true;
        return out;
    }
    out.parent = "/";
    for (std::size_t i = 0; i + 1 < sp->components.size(); ++i) {
        if (i > 0) out.parent += '/';
        out.parent += sp->components[i];
    }
    out.name = std::string(sp->components.back());
    return out;
}

// The canonical path of `name` in the directory `parent` (both from split()).
std::string join(const std::string& parent, const std::string& name) {
    return parent == "/" ? "/" + name : parent + "/" + name;
}

// Random, so that two clients of one rank (a later job, a second Client) never share ids;
// never 0, which the wire reserves for "no id".
std::uint64_t new_incarnation() {
    std::random_device rd;
    const std::uint64_t x =
        (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return x == 0 ? 1 : x;
}

Result<Attr> attr_of(const AttrResp& r) {
    if (r.err != 0) return Errno{r.err};
    return r.attr;
}

// A namespace event (dm_namesp_event_t fields); docs/dmapi-events.md has the table per type.
FsEvent ns_event(int type, Handle h1, Handle h2, std::string_view n1, std::string_view n2,
                 std::uint32_t mode, int retcode) {
    FsEvent e;
    e.type = type;
    e.handle1 = h1;
    e.handle2 = h2;
    e.name1 = std::string(n1);
    e.name2 = std::string(n2);
    e.mode = mode;
    e.retcode = retcode;
    return e;
}

}  // namespace

ClientOptions ClientOptions::from_env() {
    ClientOptions o;
    o.chunk_bytes = std::min<std::uint64_t>(
        env_u64("PFS_CLIENT_CHUNK_KIB", o.chunk_bytes >> 10) << 10, config::kMaxIoSize);
    o.max_inflight = static_cast<unsigned>(
        std::min<std::uint64_t>(env_u64("PFS_CLIENT_MAX_INFLIGHT", o.max_inflight), 1024));
    o.direct_io = env_flag("PFS_CLIENT_DIRECT_IO", o.direct_io);
    o.read_size_hint = env_flag("PFS_CLIENT_READ_SIZE_HINT", o.read_size_hint);
    o.attr_cache = env_flag("PFS_CLIENT_ATTR_CACHE", o.attr_cache);
    o.writeback = env_flag("PFS_CLIENT_WRITEBACK", o.writeback);
    o.pending_removals = std::min<std::uint64_t>(
        env_u64("PFS_CLIENT_PENDING_REMOVALS", o.pending_removals, 0), 4096);
    o.timeout = std::chrono::milliseconds(
        env_u64("PFS_CLIENT_TIMEOUT_MS", static_cast<std::uint64_t>(o.timeout.count())));
    o.hard_timeout = std::chrono::milliseconds(
        env_u64("PFS_CLIENT_HARD_TIMEOUT_MS", static_cast<std::uint64_t>(o.hard_timeout.count())));
    return o;
}

Client::Client(mpi_tools::Job& job, ClientOptions opt) : job_(job), opt_(opt) {
    if (opt_.chunk_bytes == 0 || opt_.chunk_bytes > kMaxChunk) opt_.chunk_bytes = kMaxChunk;
    const auto& L = job.layout();
    meta_rank_ = L.first_rank(mpi_tools::Role::meta);
    first_data_rank_ = L.first_rank(mpi_tools::Role::data);
    num_servers_ = static_cast<std::uint32_t>(L.count_of(mpi_tools::Role::data));
    impl_ = std::make_unique<Impl>(job.transport(), opt_, job.rank());
    impl_->client_rank = static_cast<std::uint32_t>(job.rank());
    impl_->incarnation = new_incarnation();
    // Volume adoption: requests go to whichever rank serves the volume in the FT layer's
    // current (agreed) member list; meta_rank_ and data_rank(i) stay the volumes' homes.
    impl_->adoption = job.config().volume_adoption;
    impl_->route = [&job, layout = L](int home) {
        return mpi_tools::VolumeMap(layout, job.ft().members()).serving(home);
    };
    // The metadata server invalidates cached DM state here (on the progress thread: it only
    // drops entries and answers). Registered before any state is fetched with `cache`.
    dm_cache_ = std::make_shared<DmCache>();
    if (opt_.dm_events)
        job.transport().serve(static_cast<std::uint16_t>(MsgType::dm_invalidate_req),
                              [cache = dm_cache_](mpi_tools::Incoming& in, mpi_tools::Responder r) {
                                  auto q = decode<DmInvalidateReq>(in.payload());
                                  if (!q) {
                                      r.reply(encode(StatusResp{q.error()}));
                                      return;
                                  }
                                  // Answered once no operation that checked the old state
                                  // still runs (DmCache pins).
                                  cache->invalidate(q->ino,
                                                    [r] { r.reply(encode(StatusResp{0})); });
                              });
    // A new epoch may have moved the metadata volume to another rank, which knows nothing of
    // the leases the dead one granted (its adopter holds changes back until they ran out).
    job.on_recovered([weak = std::weak_ptr<AttrCache>(impl_->attr_cache)](const std::vector<int>&) {
        if (auto cache = weak.lock()) cache->clear();
    });
    // A new epoch may have moved the metadata volume to another rank, whose DM state service
    // knows nothing of who caches what (nor of the rights, lost with the old rank): forget
    // everything cached, so that every later operation fetches (and registers) again. Weak: the
    // job outlives this client.
    if (opt_.dm_events)
        job.on_recovered([weak = std::weak_ptr<DmCache>(dm_cache_)](const std::vector<int>&) {
            if (auto cache = weak.lock()) cache->invalidate_all();
        });
    info_.data_servers = num_servers_;
    std::vector<std::filesystem::path> direct_dirs;
    if (auto sb = meta::Superblock::load(job.root())) {
        // Volumes whose home server shares this host are read and written directly (see
        // direct_volumes.hpp; only without a quota, which the servers enforce).
        if (opt_.direct_io && sb->quota_per_volume == 0 && sb->data_volumes.size() == num_servers_)
            for (std::uint32_t s = 0; s < num_servers_; ++s)
                direct_dirs.push_back(job.same_host(data_rank(s))
                                          ? std::filesystem::path(job.root()) / sb->data_volumes[s]
                                          : std::filesystem::path());
        info_.fsid = sb->fsid;
        info_.default_stripe_size = sb->stripe_size;
        info_.default_stripe_count = sb->stripe_count;
        info_.quota_per_volume = sb->quota_per_volume;
        info_.dmapi = sb->dmapi;
    }

    // Wait for every server's service: a request that reaches a server before its handlers
    // exist is dropped (the short per-try deadline covers that), one that arrives while it
    // opens its store is answered EAGAIN (retried here).
    const auto until = Clock::now() + opt_.timeout;
    // A client made after a server died (e.g. the pfs command's, on the adopter of meta-0)
    // probes the volume's current server, as every later request does (route).
    auto probe = [&](int home, const Bytes& frame, std::uint16_t type) {
        int err = ETIMEDOUT;
        while (Clock::now() < until) {
            auto dl = std::min(until, Clock::now() + std::chrono::milliseconds(100));
            const int dest = impl_->adoption ? impl_->server_of(home) : home;
            auto r = impl_->t.call(dest, type, frame, dl);
            if (r.err == ETIMEDOUT || r.err == ECANCELED) continue;
            if (r.err == EHOSTDOWN && impl_->adoption) {  // until the recovery moves the volume
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            if (r.err != 0) return user_errno(r.err);
            err = peek_err(r.payload);
            if (err == EOPNOTSUPP && dest != home) err = EAGAIN;  // an adopter not serving yet
            if (err != EAGAIN) return err;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return user_errno(err);
    };
    connect_err_ = probe(meta_rank_, encode(StatReq{config::kRootIno}),
                         static_cast<std::uint16_t>(MsgType::stat_req));
    for (std::uint32_t s = 0; s < num_servers_ && connect_err_ == 0; ++s)
        connect_err_ = probe(data_rank(s), encode(StatfsReq{s}),
                             static_cast<std::uint16_t>(MsgType::statfs_req));
    // After the probes: every server has opened its volume (and made its usage counter).
    if (connect_err_ == 0 && !direct_dirs.empty()) {
        impl_->direct = std::make_unique<DirectVolumes>(direct_dirs);
        if (!impl_->direct->any()) impl_->direct.reset();
    }
    // Directory delegations need the attribute cache: the grant is a lease on the path.
    impl_->meta_home = meta_rank_;
    if (connect_err_ == 0 && opt_.writeback && opt_.attr_cache) {
        impl_->wb = WriteBack::of(job, meta_rank_, opt_.timeout, impl_->attr_cache);
        impl_->attr_cache->on_recall([w = std::weak_ptr<WriteBack>(impl_->wb)](
                                         std::span<const Ino> e, std::span<const Ino> a) {
            if (auto wb = w.lock()) wb->attr_recall(e, a);
        });
    }
    // This client is this rank's mount of the file system (GPFS: one mount event per node).
    if (connect_err_ == 0 && opt_.dm_events) mount_event();
}

std::uint32_t Client::direct_volumes() const {
    std::uint32_t n = 0;
    for (std::uint32_t s = 0; s < num_servers_; ++s)
        if (impl_->direct && impl_->direct->enabled(s)) ++n;
    return n;
}

// The end of this rank's mount (the process ends with its client): XDSM's preunmount event
// (synchronous) and unmount event (queued, not waited for) when a session disposes of them. The
// unmount goes ahead either way; a refusal (DM_RESP_ABORT's errno) shows in the unmount event as
// its return code with DM_UNMOUNT_FORCE, like GPFS's forced unmount.
Client::~Client() {
    if (impl_->wb) impl_->wb->flush(true);  // what this process changes in memory goes out
    if (connect_err_ == 0) finish_removals();
    if (connect_err_ == 0 && opt_.dm_events) unmount_events();
}

mpi_tools::Transport& Client::transport() {
    return impl_->t;
}

Result<Client::OpenFile> Client::get_fd(int fd) const {
    std::lock_guard lk(fd_mu_);
    auto it = fds_.find(fd);
    if (it == fds_.end()) return Errno{EBADF};
    return it->second;
}

// ---- lookups ------------------------------------------------------------------------------------

namespace {

AttrResp resolve_req(Client::Impl& c, int meta, std::string_view path, bool follow, bool lease) {
    auto sp = meta::split_path(path);  // fail fast, identically to the server
    if (!sp) {
        AttrResp r;
        r.err = sp.error();
        return r;
    }
    return c.rpc<AttrResp>(meta, ResolveReq{std::string(path), follow, lease});
}

Result<Attr> resolve(Client::Impl& c, int meta, std::string_view path, bool follow) {
    return attr_of(resolve_req(c, meta, path, follow, false));
}

// The directory holding the final component, which must be a directory.
Result<Attr> parent_dir(Client::Impl& c, int meta, const Split& s) {
    auto a = resolve(c, meta, s.parent, true);
    if (!a) return a;
    if (a->type != FileType::dir) return Errno{ENOTDIR};
    return a;
}

// How the write-back binds a delegated directory's path again: a leased resolve.
WriteBack::Resolver wb_resolver(Client::Impl& c, int meta) {
    return [&c, meta](const std::string& p) { return resolve_req(c, meta, p, true, true); };
}

// stat / lstat: from the attribute cache while a lease holds, else asked with a lease.
Result<Attr> leased_resolve(Client::Impl& c, int meta, std::string_view path, bool follow) {
    if (!c.opt.attr_cache) return resolve(c, meta, path, follow);
    if (auto a = c.attr_cache->find(path, follow)) return *a;
    const auto ask = c.attr_cache->ask();
    auto r = resolve_req(c, meta, path, follow, true);
    c.attr_cache->insert(path, follow, r, ask);
    return attr_of(r);
}

}  // namespace

std::size_t Client::attr_cache_entries() const {
    return impl_->attr_cache->size();
}

Client::WritebackStats Client::writeback_stats() const {
    if (!impl_->wb) return {};
    const auto i = impl_->wb->info();
    return WritebackStats{i.held, i.local_ops, i.batches, i.lost};
}

Result<void> Client::sync_namespace() {
    if (!impl_->wb) return ok();
    impl_->wb->flush(false);
    for (const auto& a : impl_->wb->take_freed()) remove_objects(a);
    return impl_->wb->take_lost() != 0 ? Result<void>(Errno{EIO}) : ok();
}

bool Client::writeback_ok() const {
    return impl_->wb && !wants(ev::kCreate) && !wants(ev::kPostcreate) && !wants(ev::kRemove) &&
           !wants(ev::kPostremove) && !wants(ev::kDestroy) && !wants(ev::kClose);
}

std::optional<Result<Attr>> Client::writeback_stat(std::string_view path, bool follow) {
    if (!impl_->wb) return std::nullopt;
    auto s = split(path);
    if (!s || s->is_root || s->trailing_slash) return std::nullopt;
    // The delegated directory itself: its times and link count are the server's once the
    // pending changes are in (the cached attributes predate them).
    if (impl_->wb->held_path(join(s->parent, s->name))) {
        impl_->wb->flush(false);
        return resolve(*impl_, meta_rank_, path, follow);
    }
    return impl_->wb->stat(s->parent, s->name);
}

Result<Attr> Client::stat(std::string_view path) {
    if (auto r = writeback_stat(path, true)) return std::move(*r);
    return leased_resolve(*impl_, meta_rank_, path, true);
}

Result<Attr> Client::lstat(std::string_view path) {
    if (auto r = writeback_stat(path, false)) return std::move(*r);
    return leased_resolve(*impl_, meta_rank_, path, false);
}

Result<Attr> Client::fstat(int fd) {
    auto f = get_fd(fd);
    if (!f) return Errno{f.error()};
    auto a = attr_of(impl_->rpc<AttrResp>(meta_rank_, StatReq{f->attr.ino}));
    if (!a) return Errno{a.error() == ENOENT ? ESTALE : a.error()};
    if (a->gen != f->attr.gen) return Errno{ESTALE};
    return a;
}

Result<std::vector<DirEntry>> Client::readdir(std::string_view path) {
    auto d = stat(path);
    if (!d) return Errno{d.error()};
    if (d->type != FileType::dir) return Errno{ENOTDIR};
    auto up = attr_of(impl_->rpc<AttrResp>(meta_rank_, LookupReq{d->ino, ".."}));
    if (!up) return Errno{up.error()};
    std::vector<DirEntry> out{{".", d->ino, FileType::dir}, {"..", up->ino, FileType::dir}};
    std::uint64_t cookie = 0;
    for (;;) {
        auto r = impl_->rpc<ReaddirResp>(meta_rank_,
                                         ReaddirReq{d->ino, cookie, config::kReaddirPageEntries});
        if (r.err != 0) return Errno{r.err};
        for (auto& e : r.entries) out.push_back(std::move(e));
        if (r.eof) break;
        if (r.next_cookie <= cookie) return Errno{EIO};  // a server must make progress
        cookie = r.next_cookie;
    }
    return out;
}

Result<std::string> Client::readlink(std::string_view path) {
    auto a = lstat(path);
    if (!a) return Errno{a.error()};
    if (a->type != FileType::symlink) return Errno{EINVAL};
    auto r = impl_->rpc<ReadlinkResp>(meta_rank_, ReadlinkReq{a->ino});
    if (r.err != 0) return Errno{r.err};
    return std::move(r.target);
}

// ---- namespace changes --------------------------------------------------------------------------

Result<void> Client::mkdir(std::string_view path, std::uint32_t mode) {
    auto s = split(path);
    if (!s) return Errno{s.error()};
    if (s->is_root) return Errno{EEXIST};
    auto p = parent_dir(*impl_, meta_rank_, *s);
    if (!p) return Errno{p.error()};
    const Handle dir = handle_of(*p);
    if (int e = maybe_raise(
            ns_event(ev::kCreate, dir, {}, s->name, {}, S_IFDIR | (mode & 07777), 0), &*p))
        return Errno{e};
    auto r = impl_->rpc<AttrResp>(meta_rank_, MkdirReq{p->ino, s->name, mode & 07777, ::getuid(),
                                                       ::getgid(), impl_->next_rid()});
    (void)maybe_raise(ns_event(ev::kPostcreate, dir, r.err ? Handle{} : handle_of(r.attr), s->name,
                               {}, r.err ? 0 : st_mode(r.attr), r.err),
                      &*p);
    if (r.err != 0) return Errno{r.err};
    // The new directory is asked for (docs/pfs.md "Directory delegations"); refused (another
    // rank was quicker to put a name in it, the server's table is full): plain requests.
    if (writeback_ok()) {
        const auto path_of = join(s->parent, s->name);
        const auto sent = Clock::now();
        impl_->wb->granted(path_of, impl_->rpc<DelegateResp>(meta_rank_, DelegateReq{path_of}),
                           sent);
    }
    return ok();
}

Result<void> Client::rmdir(std::string_view path) {
    auto s = split(path);
    if (!s) return Errno{s.error()};
    if (s->is_root) return Errno{EBUSY};
    auto p = parent_dir(*impl_, meta_rank_, *s);
    if (!p) return Errno{p.error()};
    const Handle dir = handle_of(*p);
    // The event needs the victim's mode, the destroy event its DM slots: looked up only when
    // one of them will be generated.
    std::optional<Attr> victim;
    DmSlots victim_dm;
    if (wants(ev::kRemove) || wants(ev::kPostremove) || wants(ev::kDestroy)) {
        auto v = attr_of(impl_->rpc<AttrResp>(meta_rank_, LookupReq{p->ino, s->name}));
        if (v) {
            victim = *v;
            if (wants(ev::kDestroy))
                if (auto d = dm_get(handle_of(*v))) victim_dm = std::move(d->dm);
        }
    }
    const std::uint32_t vmode = victim ? st_mode(*victim) : 0;
    if (int e = maybe_raise(ns_event(ev::kRemove, dir, {}, s->name, {}, vmode, 0), &*p))
        return Errno{e};
    auto r = impl_->rpc<StatusResp>(meta_rank_, RmdirReq{p->ino, s->name, impl_->next_rid()});
    (void)maybe_raise(ns_event(ev::kPostremove, dir, {}, s->name, {}, vmode, r.err), &*p);
    if (r.err == 0 && victim) destroy_event(*victim, victim_dm);
    return r.err != 0 ? Result<void>(Errno{r.err}) : ok();
}

Result<void> Client::unlink(std::string_view path) {
    auto s = split(path);
    if (!s) return Errno{s.error()};
    if (s->is_root) return Errno{EISDIR};
    if (s->trailing_slash) {  // "name/" must be a directory, and unlink refuses directories
        auto a = lstat(path);
        if (!a) return Errno{a.error()};
        return Errno{a->type == FileType::dir ? EISDIR : ENOTDIR};
    }
    // A delegated directory's name: from memory.
    if (writeback_ok())
        if (auto r = impl_->wb->unlink(s->parent, s->name, wb_resolver(*impl_, meta_rank_))) {
            for (const auto& a : impl_->wb->take_freed()) remove_objects(a);
            return std::move(*r);
        }
    // Without remove events nothing needs the parent's attributes first: one round trip.
    if (!wants(ev::kRemove) && !wants(ev::kPostremove))
        return removed(
            impl_->rpc<UnlinkResp>(meta_rank_, UnlinkAtReq{s->parent, s->name, impl_->next_rid()}));
    auto p = parent_dir(*impl_, meta_rank_, *s);
    if (!p) return Errno{p.error()};
    const Handle dir = handle_of(*p);
    std::uint32_t vmode = 0;
    if (wants(ev::kRemove) || wants(ev::kPostremove))
        if (auto v = attr_of(impl_->rpc<AttrResp>(meta_rank_, LookupReq{p->ino, s->name})))
            vmode = st_mode(*v);
    if (int e = maybe_raise(ns_event(ev::kRemove, dir, {}, s->name, {}, vmode, 0), &*p))
        return Errno{e};
    auto r = impl_->rpc<UnlinkResp>(meta_rank_, UnlinkReq{p->ino, s->name, impl_->next_rid()});
    (void)maybe_raise(ns_event(ev::kPostremove, dir, {}, s->name, {}, vmode, r.err), &*p);
    return removed(r);
}

// After the metadata server removed a name: the objects and the destroy event of a freed file.
Result<void> Client::removed(const UnlinkResp& r) {
    if (r.err != 0) return Errno{r.err};
    if (r.freed && r.attr.type == FileType::file) remove_objects(r.attr);
    if (r.freed) destroy_event(r.attr, r.dm);
    return ok();
}

Result<void> Client::rename(std::string_view from, std::string_view to) {
    auto a = split(from);
    if (!a) return Errno{a.error()};
    auto b = split(to);
    if (!b) return Errno{b.error()};
    if (a->is_root || b->is_root) return Errno{EBUSY};
    if (a->trailing_slash || b->trailing_slash) {  // only directories may carry a slash
        auto src = lstat(from);
        if (!src) return Errno{src.error()};
        if (src->type != FileType::dir) return Errno{ENOTDIR};
    }
    auto pa = parent_dir(*impl_, meta_rank_, *a);
    if (!pa) return Errno{pa.error()};
    auto pb = parent_dir(*impl_, meta_rank_, *b);
    if (!pb) return Errno{pb.error()};
    const Handle from_dir = handle_of(*pa), to_dir = handle_of(*pb);
    if (int e = maybe_raise(ns_event(ev::kRename, from_dir, to_dir, a->name, b->name, 0, 0), &*pa))
        return Errno{e};
    auto r = impl_->rpc<RenameResp>(
        meta_rank_, RenameReq{pa->ino, a->name, pb->ino, b->name, impl_->next_rid()});
    (void)maybe_raise(ns_event(ev::kPostrename, from_dir, to_dir, a->name, b->name, 0, r.err),
                      &*pa);
    if (r.err != 0) return Errno{r.err};
    if (r.replaced_freed && r.replaced.type == FileType::file) remove_objects(r.replaced);
    if (r.replaced_freed) destroy_event(r.replaced, r.replaced_dm);
    return ok();
}

Result<void> Client::link(std::string_view existing, std::string_view new_path) {
    auto src = lstat(existing);  // link(2) does not follow a final symlink
    if (!src) return Errno{src.error()};
    auto s = split(new_path);
    if (!s) return Errno{s.error()};
    if (s->is_root) return Errno{EEXIST};
    auto p = parent_dir(*impl_, meta_rank_, *s);
    if (!p) return Errno{p.error()};
    const Handle dir = handle_of(*p), obj = handle_of(*src);
    if (int e = maybe_raise(ns_event(ev::kLink, dir, obj, s->name, {}, st_mode(*src), 0), &*p))
        return Errno{e};
    auto r =
        impl_->rpc<AttrResp>(meta_rank_, LinkReq{src->ino, p->ino, s->name, impl_->next_rid()});
    (void)maybe_raise(ns_event(ev::kPostlink, dir, obj, s->name, {}, st_mode(*src), r.err), &*p);
    return r.err != 0 ? Result<void>(Errno{r.err}) : ok();
}

Result<void> Client::symlink(std::string_view target, std::string_view link_path) {
    if (target.empty()) return Errno{ENOENT};
    if (target.size() >= config::kPathMax) return Errno{ENAMETOOLONG};
    auto s = split(link_path);
    if (!s) return Errno{s.error()};
    if (s->is_root) return Errno{EEXIST};
    auto p = parent_dir(*impl_, meta_rank_, *s);
    if (!p) return Errno{p.error()};
    const Handle dir = handle_of(*p);
    if (int e = maybe_raise(ns_event(ev::kSymlink, dir, {}, s->name, target, 0, 0), &*p))
        return Errno{e};
    auto r =
        impl_->rpc<AttrResp>(meta_rank_, SymlinkReq{p->ino, s->name, std::string(target),
                                                    ::getuid(), ::getgid(), impl_->next_rid()});
    (void)maybe_raise(ns_event(ev::kPostsymlink, dir, r.err ? Handle{} : handle_of(r.attr), s->name,
                               target, r.err ? 0 : st_mode(r.attr), r.err),
                      &*p);
    return r.err != 0 ? Result<void>(Errno{r.err}) : ok();
}

namespace {

Result<Attr> set_attr(Client& c, Client::Impl& impl, int meta, std::string_view path,
                      const SetAttr& changes) {
    auto a = c.stat(path);
    if (!a) return Errno{a.error()};
    return attr_of(impl.rpc<AttrResp>(meta, SetattrReq{a->ino, changes}));
}

}  // namespace

// The attribute event (asynchronous) after a successful chmod / chown / utimes.
Result<void> Client::attribute_changed(const Result<Attr>& r) {
    if (!r) return Errno{r.error()};
    (void)maybe_raise(ns_event(ev::kAttribute, handle_of(*r), {}, {}, {}, st_mode(*r), 0), &*r);
    return ok();
}

Result<void> Client::chmod(std::string_view path, std::uint32_t mode) {
    SetAttr c;
    c.mode = mode & 07777;
    return attribute_changed(set_attr(*this, *impl_, meta_rank_, path, c));
}

Result<void> Client::chown(std::string_view path, std::uint32_t uid, std::uint32_t gid) {
    SetAttr c;  // (uint32_t)-1 leaves the id unchanged, as chown(2)
    if (uid != static_cast<std::uint32_t>(-1)) c.uid = uid;
    if (gid != static_cast<std::uint32_t>(-1)) c.gid = gid;
    return attribute_changed(set_attr(*this, *impl_, meta_rank_, path, c));
}

Result<void> Client::utimes(std::string_view path, std::int64_t atime_ns, std::int64_t mtime_ns) {
    SetAttr c;
    c.atime_ns = atime_ns;
    c.mtime_ns = mtime_ns;
    return attribute_changed(set_attr(*this, *impl_, meta_rank_, path, c));
}

// ---- open / close -------------------------------------------------------------------------------

Result<int> Client::open(std::string_view path, int flags, std::uint32_t mode,
                         const LayoutHint& layout) {
    constexpr int kAllowed = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY |
                             O_NOFOLLOW | O_SYNC | O_DSYNC | O_CLOEXEC | O_LARGEFILE | O_NOCTTY |
                             O_NONBLOCK;
    const int acc = flags & O_ACCMODE;
    if (acc == O_ACCMODE || (flags & ~kAllowed) != 0) return Errno{EINVAL};
    if ((flags & O_CREAT) && (flags & O_DIRECTORY)) return Errno{EINVAL};
    const bool follow = !(flags & O_NOFOLLOW);

    Attr a;
    if (flags & O_CREAT) {
        auto s = split(path);
        if (!s) return Errno{s.error()};
        if (s->is_root) return Errno{(flags & O_EXCL) ? EEXIST : EISDIR};
        if (s->trailing_slash) return Errno{EISDIR};  // O_CREAT never makes a directory
        // In a delegated directory: from memory (a new file's size is 0: no O_TRUNC to do).
        if (writeback_ok() && layout == LayoutHint{})
            if (auto r = impl_->wb->create(s->parent, s->name, mode, (flags & O_EXCL) != 0,
                                           wb_resolver(*impl_, meta_rank_)))
                return open_created(*r, flags & ~O_TRUNC);
        // Without create events nothing needs the parent's attributes first: the server
        // resolves the parent path and creates in one round trip.
        if ((flags & O_EXCL) && !wants(ev::kCreate) && !wants(ev::kPostcreate)) {
            // With a lease on the new path, a stat of it right after needs no round trip.
            const CreateAtReq q{s->parent,  s->name, mode & 07777,      ::getuid(),
                                ::getgid(), layout,  impl_->next_rid(), impl_->opt.attr_cache};
            const auto ask = impl_->attr_cache->ask();
            auto r = impl_->rpc_then<AttrResp>(meta_rank_, q, [&](AttrResp& rep) {
                impl_->attr_cache->insert(path, true, rep, ask);
            });
            return open_created(attr_of(r), flags);
        }
        auto p = parent_dir(*impl_, meta_rank_, *s);
        if (!p) return Errno{p.error()};
        const CreateReq create{p->ino,     s->name, mode & 07777,     ::getuid(),
                               ::getgid(), layout,  impl_->next_rid()};
        const Handle dir = handle_of(*p);
        // create / postcreate around the CreateReq (only when a file is really created).
        auto create_with_events = [&]() -> Result<Attr> {
            if (int e = maybe_raise(
                    ns_event(ev::kCreate, dir, {}, s->name, {}, S_IFREG | (mode & 07777), 0), &*p))
                return Errno{e};
            auto r = attr_of(impl_->rpc<AttrResp>(meta_rank_, create));
            (void)maybe_raise(ns_event(ev::kPostcreate, dir, r ? handle_of(*r) : Handle{}, s->name,
                                       {}, r ? st_mode(*r) : 0, r ? 0 : r.error()),
                              &*p);
            return r;
        };
        if (flags & O_EXCL) {
            auto r = create_with_events();
            if (!r) return Errno{r.error()};
            a = *r;
        } else {
            auto r = attr_of(impl_->rpc<AttrResp>(meta_rank_, LookupReq{p->ino, s->name}));
            if (!r && r.error() == ENOENT) {
                r = create_with_events();
                if (!r && r.error() == EEXIST) r = resolve(*impl_, meta_rank_, path, follow);
            } else if (r && r->type == FileType::symlink && follow) {
                r = resolve(*impl_, meta_rank_, path, true);
            }
            if (!r) return Errno{r.error()};
            a = *r;
        }
    } else {
        auto r = resolve(*impl_, meta_rank_, path, follow);
        if (!r) return Errno{r.error()};
        a = *r;
    }
    return open_created(a, flags);
}

// The checks and the descriptor of open() once the file is known (created or found).
Result<int> Client::open_created(const Result<Attr>& found, int flags) {
    if (!found) return Errno{found.error()};
    const Attr& a = *found;
    const int acc = flags & O_ACCMODE;
    if (a.type == FileType::symlink) return Errno{ELOOP};  // O_NOFOLLOW on a symlink
    if (a.type == FileType::dir && (acc != O_RDONLY || (flags & O_CREAT))) return Errno{EISDIR};
    if ((flags & O_DIRECTORY) && a.type != FileType::dir) return Errno{ENOTDIR};
    if ((flags & O_TRUNC) && acc != O_RDONLY && a.type == FileType::file) {
        auto t = truncate_file(a, 0);
        if (!t) return Errno{t.error()};
    }
    std::lock_guard lk(fd_mu_);
    int fd = 3;  // the lowest free descriptor, like POSIX (0-2 are left to stdio)
    for (const auto& [used, f] : fds_) {
        if (used != fd) break;
        ++fd;
    }
    fds_[fd] = OpenFile{a, flags, 0, std::make_shared<std::atomic<std::uint64_t>>(a.size)};
    return fd;
}

Result<void> Client::close(int fd) {
    Attr a;
    {
        std::lock_guard lk(fd_mu_);
        auto it = fds_.find(fd);
        if (it == fds_.end()) return Errno{EBADF};
        a = it->second.attr;
        fds_.erase(it);
        // The direct path's object fds of a file closed everywhere in this client go too (an
        // fd would keep an unlinked object's space).
        const bool last = std::none_of(fds_.begin(), fds_.end(), [&](const auto& e) {
            return e.second.attr.ino == a.ino && e.second.attr.gen == a.gen;
        });
        if (last && impl_->direct) impl_->direct->forget(a.ino, a.gen);
    }
    // GPFS's close event (asynchronous; SGI has none) on every close of a descriptor.
    (void)maybe_raise(ns_event(ev::kClose, handle_of(a), {}, {}, {}, st_mode(a), 0), &a);
    return ok();
}

// ---- volumes ------------------------------------------------------------------------------------

Result<std::vector<VolumeInfo>> Client::statfs() {
    finish_removals();  // what this client freed is counted as free
    std::vector<VolumeInfo> out(num_servers_);
    const int err = impl_->pipeline(
        num_servers_, static_cast<std::uint16_t>(MsgType::statfs_req),
        [this](std::size_t i) { return data_rank(static_cast<std::uint32_t>(i)); },
        [](std::size_t i) { return frame_of(StatfsReq{static_cast<std::uint32_t>(i)}); },
        [&](std::size_t i, std::span<const std::byte> frame) {
            auto r = decode_reply<StatfsResp>(frame);
            if (r.err != 0) return r.err;
            out[i] = VolumeInfo{static_cast<std::uint32_t>(i),
                                impl_->server_of(data_rank(static_cast<std::uint32_t>(i))), r.stat};
            return 0;
        });
    if (err != 0) return Errno{err};
    return out;
}

Result<VolumeStat> Client::statfs_total() {
    auto v = statfs();
    if (!v) return Errno{v.error()};
    VolumeStat t;
    for (const auto& x : *v) {
        t.total_bytes += x.stat.total_bytes;
        t.free_bytes += x.stat.free_bytes;
        t.used_bytes += x.stat.used_bytes;
    }
    return t;
}

}  // namespace pfs::client
