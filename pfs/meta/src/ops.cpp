// Record-level operations of one transaction (see store_impl.hpp for the schema).
#include <time.h>

#include <cstring>
#include <string>

#include "inode_codec.hpp"
#include "pfs/common/layout_rules.hpp"
#include "store_impl.hpp"

namespace pfs::meta {

std::int64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Key8 be64(std::uint64_t v) noexcept {
    Key8 k{};
    for (int i = 7; i >= 0; --i, v >>= 8) k[static_cast<std::size_t>(i)] = std::byte(v & 0xff);
    return k;
}

std::uint64_t from_be64(lmdb::Bytes b) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8 && i < b.size(); ++i) v = (v << 8) | std::uint64_t(b[i]);
    return v;
}

void touch(Inode& in, bool mtime, std::int64_t now) noexcept {
    in.attr.ctime_ns = now;
    if (mtime) in.attr.mtime_ns = now;
    ++in.attr.change;
}

namespace {

std::string dirent_key(Ino dir, std::string_view name) {
    std::string k(8 + name.size(), '\0');
    const auto p = be64(dir);
    std::memcpy(k.data(), p.data(), 8);
    std::memcpy(k.data() + 8, name.data(), name.size());
    return k;
}

std::array<std::byte, 16> slot_key(Ino dir, std::uint64_t slot) {
    std::array<std::byte, 16> k{};
    const auto a = be64(dir), b = be64(slot);
    std::memcpy(k.data(), a.data(), 8);
    std::memcpy(k.data() + 8, b.data(), 8);
    return k;
}

}  // namespace

void put_le(std::string& s, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_le(lmdb::Bytes b, std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= std::uint64_t(b[at + static_cast<std::size_t>(i)]) << (8 * i);
    return v;
}

Result<Inode> Ops::get(Ino ino) const {
    if (ino == 0) return Errno{ENOENT};
    if (s_.guard)
        if (int e = s_.guard(ino); e != 0) return Errno{e};
    const auto k = be64(ino);
    auto v = lmdb::get(t_, s_.inodes, k);
    if (!v) return Errno{v.error()};
    if (!*v) return Errno{ENOENT};
    return decode_inode(**v);
}

Result<Inode> Ops::get_dir(Ino ino) const {
    auto in = get(ino);
    if (in && in->attr.type != FileType::dir) return Errno{ENOTDIR};
    return in;
}

Result<void> Ops::put(const Inode& in) const {
    changes_.push_back({in.attr.ino, false});
    const auto k = be64(in.attr.ino);
    const auto rec = encode_inode(in);
    return lmdb::put(t_, s_.inodes, k, rec);
}

Result<void> Ops::erase(Ino ino) const {
    changes_.push_back({ino, true});
    const auto k = be64(ino);
    return lmdb::del(t_, s_.inodes, k);
}

Result<std::optional<Dirent>> Ops::find(Ino dir, std::string_view name) const {
    if (s_.guard)
        if (int e = s_.guard(dir); e != 0) return Errno{e};
    const auto k = dirent_key(dir, name);
    auto v = lmdb::get(t_, s_.dirents, lmdb::bytes(k));
    if (!v) return Errno{v.error()};
    if (!*v) return std::optional<Dirent>{};
    const auto b = **v;
    if (b.size() != 17 || !valid_file_type(std::uint8_t(b[8]))) return Errno{EUCLEAN};
    return std::optional<Dirent>{
        Dirent{get_le(b, 0, 8), static_cast<FileType>(b[8]), get_le(b, 9, 8)}};
}

Result<void> Ops::add_entry(Inode& dir, std::string_view name, Ino child, FileType type) const {
    const std::uint64_t slot = dir.next_slot++;
    std::string dv;
    put_le(dv, child, 8);
    dv.push_back(static_cast<char>(type));
    std::string sv = dv;
    put_le(dv, slot, 8);
    sv.append(name);
    PFS_TRY(
        lmdb::put(t_, s_.dirents, lmdb::bytes(dirent_key(dir.attr.ino, name)), lmdb::bytes(dv)));
    return lmdb::put(t_, s_.dirslots, slot_key(dir.attr.ino, slot), lmdb::bytes(sv));
}

Result<void> Ops::remove_entry(Ino dir, std::string_view name, const Dirent& d) const {
    changes_.push_back({dir, true});
    PFS_TRY(lmdb::del(t_, s_.dirents, lmdb::bytes(dirent_key(dir, name))));
    return lmdb::del(t_, s_.dirslots, slot_key(dir, d.slot));
}

Result<bool> Ops::dir_empty(Ino dir) const {
    if (s_.guard)
        if (int e = s_.guard(dir); e != 0) return Errno{e};
    MDB_cursor* c = nullptr;
    if (int rc = mdb_cursor_open(t_.get(), s_.dirslots, &c); rc != 0)
        return Errno{lmdb::to_errno(rc)};
    const auto start = slot_key(dir, 0);
    MDB_val k = lmdb::val(start), v{};
    const int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND) return true;
    if (rc != 0) return Errno{lmdb::to_errno(rc)};
    return !(k.mv_size == 16 && from_be64(lmdb::bytes(k)) == dir);
}

Result<std::uint64_t> Ops::sys_u64(std::string_view key) const {
    auto v = lmdb::get(t_, s_.sys, lmdb::bytes(key));
    if (!v) return Errno{v.error()};
    if (!*v) return Errno{ENODATA};
    if ((*v)->size() != 8) return Errno{EUCLEAN};
    return get_le(**v, 0, 8);
}

Result<void> Ops::put_sys_u64(std::string_view key, std::uint64_t v) const {
    std::string s;
    put_le(s, v, 8);
    return lmdb::put(t_, s_.sys, lmdb::bytes(key), lmdb::bytes(s));
}

Result<Inode> Ops::new_inode(FileType type, std::uint32_t mode, std::uint32_t uid,
                             std::uint32_t gid) const {
    auto ino = sys_u64("next_ino");
    if (!ino) return Errno{ino.error()};
    auto gen = sys_u64("next_gen");
    if (!gen) return Errno{gen.error()};
    // The generation counter is global and persisted, so (ino, gen) never repeats even if an
    // inode number were reused; 0 is skipped on wrap-around so that gen 0 stays "invalid".
    std::uint64_t next_gen = (*gen + 1) & 0xffffffffu;
    if (next_gen == 0) next_gen = 1;
    PFS_TRY(put_sys_u64("next_ino", *ino + 1));
    PFS_TRY(put_sys_u64("next_gen", next_gen));

    const auto now = now_ns();
    Inode in;
    in.attr.ino = *ino;
    in.attr.gen = static_cast<Gen>(*gen);
    in.attr.type = type;
    in.attr.mode = mode & 07777;
    in.attr.uid = uid;
    in.attr.gid = gid;
    in.attr.nlink = type == FileType::dir ? 2 : 1;
    in.attr.atime_ns = in.attr.mtime_ns = in.attr.ctime_ns = now;
    in.attr.change = 1;
    return in;
}

Result<Layout> Ops::choose_layout(const LayoutHint& hint) const {
    const auto servers = s_.data_servers;
    Layout l = s_.default_layout();
    if (hint.stripe_size != 0) l.stripe_size = hint.stripe_size;
    if (hint.stripe_count != 0) l.stripe_count = hint.stripe_count;
    if (hint.first_server) {
        l.first_server = *hint.first_server;
    } else {
        // Round-robin the starting server across creates so that many small (single-stripe)
        // files spread over all servers instead of piling onto server 0.
        auto rr = sys_u64("next_first");
        if (!rr) return Errno{rr.error()};
        l.first_server = static_cast<std::uint32_t>(*rr % servers);
        PFS_TRY(put_sys_u64("next_first", (*rr + 1) % servers));
    }
    if (!valid_layout(l, servers)) return Errno{EINVAL};
    return l;
}

Layout MetaStore::Impl::default_layout() const noexcept {
    return Layout{stripe_size, stripe_count == 0 ? data_servers : stripe_count, 0};
}

void Ops::committed() const {
    if (s_.observer && !changes_.empty()) s_.observer(changes_);
}

}  // namespace pfs::meta
