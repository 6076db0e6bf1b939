// Event generation at the source rank (DESIGN.md section 5, docs/dmapi-events.md): which
// operation raises what is decided here; the installed EventSink lays out the XDSM payload and
// delivers it. Cost when nothing is disposed: one local disposition check per operation (the
// sink's), no message. When disposed, the event lists and regions come from DmCache, fetched
// from the metadata server once per inode and kept until the server invalidates them.
#include <sys/stat.h>

#include <cstdint>

#include "internal.hpp"
#include "pfs/common/config.hpp"

namespace pfs::client {

using namespace pfs::proto;

// ---- DmCache ------------------------------------------------------------------------------------

std::optional<DmCache::View> DmCache::find(Ino ino, Gen gen) const {
    std::lock_guard lk(mu_);
    auto it = files_.find(ino);
    if (it == files_.end() || it->second.first != gen) return std::nullopt;
    return it->second.second;
}

std::optional<DmCache::FsView> DmCache::fs() const {
    std::lock_guard lk(mu_);
    return fs_;
}

std::uint64_t DmCache::epoch() const {
    std::lock_guard lk(mu_);
    return epoch_;
}

std::uint64_t DmCache::invalidations() const {
    return epoch();
}

void DmCache::put(Ino ino, Gen gen, View v, std::uint64_t epoch_at_request) {
    std::lock_guard lk(mu_);
    if (epoch_ == epoch_at_request) files_[ino] = {gen, std::move(v)};
}

void DmCache::put_fs(FsView v, std::uint64_t epoch_at_request) {
    std::lock_guard lk(mu_);
    if (epoch_ == epoch_at_request) fs_ = std::move(v);
}

std::optional<DmCache::View> DmCache::find_pinned(Ino ino, Gen gen, DmPin* pin) {
    std::lock_guard lk(mu_);
    auto it = files_.find(ino);
    if (it == files_.end() || it->second.first != gen) return std::nullopt;
    ++pins_[ino];
    *pin = DmPin(this, ino);
    return it->second.second;
}

std::optional<DmCache::FsView> DmCache::fs_pinned(DmPin* pin) {
    std::lock_guard lk(mu_);
    if (!fs_) return std::nullopt;
    ++pins_[0];
    *pin = DmPin(this, 0);
    return fs_;
}

void DmCache::invalidate(Ino ino, std::function<void()> done) {
    {
        std::lock_guard lk(mu_);
        ++epoch_;
        if (ino == 0)
            fs_.reset();
        else
            files_.erase(ino);
        if (done && pins_.count(ino)) {
            waiting_[ino].push_back(std::move(done));
            return;
        }
    }
    if (done) done();
}

void DmCache::invalidate_all() {
    std::lock_guard lk(mu_);
    ++epoch_;
    files_.clear();
    fs_.reset();
}

void DmPin::release() noexcept {
    if (c_ == nullptr) return;
    std::vector<std::function<void()>> run;
    {
        std::lock_guard lk(c_->mu_);
        auto it = c_->pins_.find(ino_);
        if (it != c_->pins_.end() && --it->second == 0) {
            c_->pins_.erase(it);
            if (auto w = c_->waiting_.find(ino_); w != c_->waiting_.end()) {
                run = std::move(w->second);
                c_->waiting_.erase(w);
            }
        }
    }
    c_ = nullptr;
    for (auto& f : run) f();
}

// ---- Client ------------------------------------------------------------------------------------

bool Client::wants(int type) const {
    if (!opt_.dm_events || !info_.dmapi) return false;  // DMAPI disabled: no event at all
    auto* sink = event_sink();
    return sink != nullptr && sink->disposed(type);
}

int Client::fetch_fs_state(std::optional<DmFsView>* out) {
    const auto e = dm_cache_->epoch();
    auto r = impl_->rpc<DmStateResp>(meta_rank_, DmStateReq{0, 0, true});
    if (r.err != 0) return r.err;
    DmCache::FsView v{r.fs_event_set, r.rod_name, r.rights_active};
    dm_cache_->put_fs(v, e);
    if (out != nullptr) *out = std::move(v);
    return 0;
}

int Client::fetch_file_state(const Attr& a, std::optional<DmFileView>* out) {
    const auto e = dm_cache_->epoch();
    auto r = impl_->rpc<DmStateResp>(meta_rank_, DmStateReq{a.ino, a.gen, true});
    if (r.err == EBADF) return ESTALE;  // the file is gone (or reused) under the operation
    if (r.err != 0) return r.err;
    DmCache::View v{r.dm.event_set, r.dm.regions, r.held_right};
    dm_cache_->put(a.ino, a.gen, v, e);
    if (out != nullptr) *out = std::move(v);
    return 0;
}

bool Client::event_enabled(int type, const Attr* obj) {
    auto fs = dm_cache_->fs();
    if (!fs && fetch_fs_state(&fs) != 0) return true;  // cannot tell: generate (the DM app decides)
    if ((fs->event_set >> type) & 1u) return true;
    if (obj == nullptr) return false;
    auto v = dm_cache_->find(obj->ino, obj->gen);
    if (!v && fetch_file_state(*obj, &v) != 0) return false;  // gone: nothing to report about it
    return (v->event_set >> type) & 1u;
}

int Client::maybe_raise(FsEvent ev, const Attr* obj) {
    if (!wants(ev.type)) return 0;
    auto* sink = event_sink();
    if (!event_enabled(ev.type, obj)) return 0;
    return sink->raise(ev);
}

int Client::data_event(int type, std::uint32_t region_flag, const Attr& a, std::uint64_t off,
                       std::uint64_t len, DmPin* pin) {
    if (!wants(type)) return 0;
    auto* sink = event_sink();
    auto v = dm_cache_->find_pinned(a.ino, a.gen, pin);
    if (!v) {
        if (int err = fetch_file_state(a, &v)) return err;
        // Pinned only if nothing invalidated it meanwhile; else this operation uses the fresh
        // reply unpinned (it is newer than any change whose invalidation it could race).
        if (auto again = dm_cache_->find_pinned(a.ino, a.gen, pin)) v = std::move(again);
    }
    const std::uint64_t end = len == 0 ? UINT64_MAX : off + len;
    bool hit = false;
    for (const auto& g : v->regions) {
        if (!(g.flags & region_flag)) continue;
        const std::uint64_t gend = g.size == 0 ? UINT64_MAX : g.offset + g.size;  // 0: to EOF
        if (g.offset < end && off < gend) {
            hit = true;
            break;
        }
    }
    if (!hit) return 0;
    if (!event_enabled(type, &a)) return 0;
    *pin = DmPin();  // the DM application answers this operation: no pin while it waits
    FsEvent ev;
    ev.type = type;
    ev.handle1 = handle_of(a);
    ev.offset = off;
    ev.length = len;
    return sink->raise(ev);
}

int Client::rights_gate(const Attr& a, bool modifies, DmPin* event_pin, DmPin* pin) {
    // libdmapi's own client (the DM application's calls), or DMAPI disabled: no rights exist.
    if (!opt_.dm_events || !info_.dmapi) return 0;
    for (;;) {
        auto fs = dm_cache_->fs_pinned(pin);
        if (!fs) {
            if (int err = fetch_fs_state(nullptr)) return err;
            continue;  // pinned from the cache, or fetched again if invalidated meanwhile
        }
        if (!fs->rights_active) return 0;  // pinned on ino 0: the first grant waits for this op
        *pin = DmPin();
        auto v = dm_cache_->find_pinned(a.ino, a.gen, pin);
        if (!v) {
            if (int err = fetch_file_state(a, nullptr)) return err;
            continue;
        }
        const bool conflict = v->held_right == 2 || (modifies && v->held_right == 1);
        if (!conflict) return 0;  // pinned on the file: a new grant waits for this op
        // A DM token holds a conflicting right: wait without any pin (the DM application may
        // need to change this file's state before it releases), then check everything again.
        *pin = DmPin();
        *event_pin = DmPin();
        DmRightReq q;
        q.ino = a.ino;
        q.gen = a.gen;
        q.op = static_cast<std::uint8_t>(RightOp::wait_clear);
        q.right = modifies ? 2 : 1;
        auto w = impl_->rpc<DmRightResp>(meta_rank_, q);
        if (w.err != 0 && w.err != ETIMEDOUT) return w.err;  // ETIMEDOUT: still held, ask again
        dm_cache_->invalidate(a.ino);  // our copy says held: fetch the current state
        return EAGAIN;
    }
}

int Client::enter_data_op(int type, std::uint32_t region_flag, const Attr& a, std::uint64_t off,
                          std::uint64_t len, bool modifies, DmPin* event_pin, DmPin* rights_pin) {
    for (;;) {
        if (int e = data_event(type, region_flag, a, off, len, event_pin)) return e;
        const int g = rights_gate(a, modifies, event_pin, rights_pin);
        if (g != EAGAIN) return g;
    }
}

void Client::destroy_event(const Attr& a, const DmSlots& dm) {
    if (!wants(ev::kDestroy)) return;
    auto* sink = event_sink();
    auto fs = dm_cache_->fs();
    if (!fs) {
        (void)event_enabled(ev::kDestroy, nullptr);  // fetches the file system's state
        fs = dm_cache_->fs();
    }
    const bool on =
        !fs || ((fs->event_set >> ev::kDestroy) & 1u) || ((dm.event_set >> ev::kDestroy) & 1u);
    if (!on) return;
    FsEvent e;
    e.type = ev::kDestroy;
    e.handle1 = handle_of(a);
    if (fs && !fs->rod_name.empty()) {
        e.attr_name = fs->rod_name;
        if (auto it = dm.attrs.find(fs->rod_name); it != dm.attrs.end()) {
            e.attr_copy = it->second;
            e.has_attr_copy = true;
        }
    }
    (void)sink->raise(e);
}

void Client::mount_event() {
    if (!wants(ev::kMount) || !event_enabled(ev::kMount, nullptr)) return;
    auto root = impl_->rpc<AttrResp>(meta_rank_, StatReq{config::kRootIno});
    if (root.err != 0) {
        connect_err_ = root.err;
        return;
    }
    FsEvent e;
    e.type = ev::kMount;
    e.handle1 = Handle{info_.fsid, 0, 0};
    e.handle2 = handle_of(root.attr);
    e.name1 = "/";
    e.name2 = "pfs";
    if (int err = event_sink()->raise(e)) connect_err_ = err;
}

void Client::unmount_events() {
    constexpr std::uint32_t kUnmountForce = 0x1;  // dmapi.h's DM_UNMOUNT_FORCE
    const Handle fs{info_.fsid, 0, 0};
    int refused = 0;
    if (wants(ev::kPreunmount) && event_enabled(ev::kPreunmount, nullptr)) {
        FsEvent e;
        e.type = ev::kPreunmount;
        e.handle1 = fs;
        auto root = impl_->rpc<AttrResp>(meta_rank_, StatReq{config::kRootIno});
        if (root.err == 0) e.handle2 = handle_of(root.attr);
        refused = event_sink()->raise(e);
    }
    if (wants(ev::kUnmount) && event_enabled(ev::kUnmount, nullptr)) {
        FsEvent e;
        e.type = ev::kUnmount;
        e.handle1 = fs;
        e.retcode = refused;
        e.mode = refused != 0 ? kUnmountForce : 0;
        (void)event_sink()->raise(e);
    }
}

std::uint32_t Client::st_mode(const Attr& a) const {
    std::uint32_t t = S_IFREG;
    if (a.type == FileType::dir) t = S_IFDIR;
    if (a.type == FileType::symlink) t = S_IFLNK;
    return t | (a.mode & 07777);
}

}  // namespace pfs::client
