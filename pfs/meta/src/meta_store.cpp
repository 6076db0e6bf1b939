// MetaStore lifecycle (format/open) and the read-only operations.
#include <sys/stat.h>

#include <system_error>

#include "inode_codec.hpp"
#include "pfs/common/layout_rules.hpp"
#include "pfs/meta/names.hpp"
#include "store_impl.hpp"

namespace pfs::meta {

Result<void> MetaStore::Impl::open_env(const std::filesystem::path& dir, std::size_t map_size,
                                       bool sync, bool write_map) {
    PFS_TRY(env.open(dir, map_size, sync, write_map));
    auto t = lmdb::Txn::begin(env.get(), true);
    if (!t) return Errno{t.error()};
    const std::pair<const char*, MDB_dbi*> dbs[] = {{"inodes", &inodes},
                                                    {"dirents", &dirents},
                                                    {"dirslots", &dirslots},
                                                    {"sys", &sys},
                                                    {"replies", &replies}};
    for (auto [name, dbi] : dbs) {
        if (int rc = mdb_dbi_open(t->get(), name, MDB_CREATE, dbi); rc != 0)
            return Errno{lmdb::to_errno(rc)};
    }
    return t->commit();
}

Result<void> MetaStore::format(const std::filesystem::path& dir, const FormatOptions& opt) {
    if (opt.fsid == 0 || opt.data_servers == 0 || opt.data_servers > config::kMaxVolumes ||
        !valid_stripe_size(opt.stripe_size) || opt.stripe_count > opt.data_servers)
        return Errno{EINVAL};
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Errno{ec.value()};

    Impl s;
    PFS_TRY(s.open_env(dir, config::kLmdbMapSize));
    s.data_servers = opt.data_servers;
    return write_txn(s, [&](Ops& ops) -> Result<void> {
        if (auto v = ops.sys_u64("version"); v || v.error() != ENODATA) return Errno{EEXIST};
        PFS_TRY(ops.put_sys_u64("version", config::kMetaFormatVersion));
        PFS_TRY(ops.put_sys_u64("fsid", opt.fsid));
        PFS_TRY(ops.put_sys_u64("data_servers", opt.data_servers));
        PFS_TRY(ops.put_sys_u64("stripe_size", opt.stripe_size));
        PFS_TRY(ops.put_sys_u64("stripe_count", opt.stripe_count));
        PFS_TRY(ops.put_sys_u64("next_ino", config::kRootIno));
        PFS_TRY(ops.put_sys_u64("next_gen", 1));
        PFS_TRY(ops.put_sys_u64("next_first", 0));
        auto root = ops.new_inode(FileType::dir, config::kRootMode, opt.root_uid, opt.root_gid);
        if (!root) return Errno{root.error()};
        root->parent = config::kRootIno;  // the root is its own ".."
        return ops.put(*root);
    });
}

Result<std::unique_ptr<MetaStore>> MetaStore::open(const std::filesystem::path& dir,
                                                   const OpenOptions& opt) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return Errno{errno};
    if (!S_ISDIR(st.st_mode)) return Errno{ENOTDIR};
    // Opening creates data.mdb; refuse directories that hold no store instead of silently
    // turning them into an empty, unformatted one.
    if (::stat((dir / "data.mdb").c_str(), &st) != 0) return Errno{ENODATA};

    auto impl = std::make_unique<Impl>();
    PFS_TRY(impl->open_env(dir, opt.map_size, opt.sync == config::MetaSync::full, opt.write_map));
    auto r = read_txn(*impl, [&](Ops& ops) -> Result<void> {
        auto version = ops.sys_u64("version");
        if (!version) return Errno{version.error()};
        if (*version != config::kMetaFormatVersion) return Errno{EUCLEAN};
        auto fsid = ops.sys_u64("fsid");
        auto servers = ops.sys_u64("data_servers");
        auto ssize = ops.sys_u64("stripe_size");
        auto scount = ops.sys_u64("stripe_count");
        if (!fsid || !servers || !ssize || !scount) return Errno{EUCLEAN};
        if (*servers == 0 || *servers > config::kMaxVolumes || !valid_stripe_size(*ssize) ||
            *scount > *servers)
            return Errno{EUCLEAN};
        impl->fsid = *fsid;
        impl->data_servers = static_cast<std::uint32_t>(*servers);
        impl->stripe_size = *ssize;
        impl->stripe_count = static_cast<std::uint32_t>(*scount);
        return ops.get_dir(config::kRootIno).ok() ? ok() : Result<void>(Errno{EUCLEAN});
    });
    if (!r) return Errno{r.error()};
    return std::unique_ptr<MetaStore>(new MetaStore(std::move(impl)));
}

MetaStore::MetaStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetaStore::~MetaStore() = default;

std::uint64_t MetaStore::fsid() const noexcept {
    return impl_->fsid;
}
std::uint32_t MetaStore::data_servers() const noexcept {
    return impl_->data_servers;
}
Layout MetaStore::default_layout() const noexcept {
    return impl_->default_layout();
}

Result<Inode> MetaStore::get_inode(Ino ino) const {
    return read_txn(*impl_, [&](Ops& ops) { return ops.get(ino); });
}

Result<Attr> MetaStore::stat(Ino ino) const {
    auto in = get_inode(ino);
    if (!in) return Errno{in.error()};
    return in->attr;
}

Result<Attr> MetaStore::lookup(Ino parent, std::string_view name) const {
    PFS_TRY(validate_name(name));
    return read_txn(*impl_, [&](Ops& ops) -> Result<Attr> {
        auto dir = ops.get_dir(parent);
        if (!dir) return Errno{dir.error()};
        if (name == ".") return dir->attr;
        if (name == "..") {
            auto p = ops.get(dir->parent);
            if (!p) return Errno{p.error()};
            return p->attr;
        }
        auto d = ops.find(parent, name);
        if (!d) return Errno{d.error()};
        if (!*d) return Errno{ENOENT};
        auto child = ops.get((*d)->ino);
        if (!child) return Errno{child.error() == ENOENT ? EUCLEAN : child.error()};
        return child->attr;
    });
}

Result<std::string> MetaStore::readlink(Ino ino) const {
    auto in = get_inode(ino);
    if (!in) return Errno{in.error()};
    if (in->attr.type != FileType::symlink) return Errno{EINVAL};
    return std::move(in->symlink_target);
}

Result<DirPage> MetaStore::readdir(Ino dir, std::uint64_t cookie, std::uint32_t max_entries) const {
    if (max_entries == 0) max_entries = config::kReaddirPageEntries;
    if (max_entries > config::kReaddirMaxEntries) max_entries = config::kReaddirMaxEntries;
    return read_txn(*impl_, [&](Ops& ops) -> Result<DirPage> {
        auto d = ops.get_dir(dir);
        if (!d) return Errno{d.error()};
        DirPage page;
        page.next_cookie = cookie;
        MDB_cursor* c = nullptr;
        if (int rc = mdb_cursor_open(ops.txn().get(), impl_->dirslots, &c); rc != 0)
            return Errno{lmdb::to_errno(rc)};
        std::array<std::byte, 16> start{};
        const auto a = be64(dir), b = be64(cookie);
        std::copy(a.begin(), a.end(), start.begin());
        std::copy(b.begin(), b.end(), start.begin() + 8);
        MDB_val k = lmdb::val(start), v{};
        int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        page.eof = true;
        for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const auto kb = lmdb::bytes(k), vb = lmdb::bytes(v);
            if (kb.size() != 16 || from_be64(kb.first(8)) != dir) break;
            if (page.entries.size() == max_entries) {
                page.eof = false;  // at least one more entry: not the end
                break;
            }
            if (vb.size() < 9 || !valid_file_type(std::uint8_t(vb[8]))) {
                mdb_cursor_close(c);
                return Errno{EUCLEAN};
            }
            Ino ino = 0;
            for (int i = 7; i >= 0; --i) ino = (ino << 8) | std::uint64_t(vb[std::size_t(i)]);
            page.entries.push_back(
                DirEntry{std::string(reinterpret_cast<const char*>(vb.data() + 9), vb.size() - 9),
                         ino, static_cast<FileType>(vb[8])});
            page.next_cookie = from_be64(kb.subspan(8)) + 1;
        }
        mdb_cursor_close(c);
        if (rc != 0 && rc != MDB_NOTFOUND) return Errno{lmdb::to_errno(rc)};
        return page;
    });
}

Result<InodePage> MetaStore::scan_inodes(Ino from, std::uint32_t max_entries) const {
    if (max_entries == 0) max_entries = config::kReaddirPageEntries;
    if (max_entries > config::kReaddirMaxEntries) max_entries = config::kReaddirMaxEntries;
    if (impl_->guard)
        if (int e = impl_->guard(0); e != 0) return Errno{e};
    return read_txn(*impl_, [&](Ops& ops) -> Result<InodePage> {
        InodePage page;
        page.next = from;
        MDB_cursor* c = nullptr;
        if (int rc = mdb_cursor_open(ops.txn().get(), impl_->inodes, &c); rc != 0)
            return Errno{lmdb::to_errno(rc)};
        const auto start = be64(from);
        MDB_val k = lmdb::val(start), v{};
        int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        page.eof = true;
        for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const auto kb = lmdb::bytes(k);
            if (kb.size() != 8) continue;
            if (page.attrs.size() == max_entries) {
                page.eof = false;
                break;
            }
            auto in = decode_inode(lmdb::bytes(v));
            if (!in) {
                mdb_cursor_close(c);
                return Errno{in.error()};
            }
            page.next = from_be64(kb) + 1;
            page.attrs.push_back(in->attr);
        }
        mdb_cursor_close(c);
        if (rc != 0 && rc != MDB_NOTFOUND) return Errno{lmdb::to_errno(rc)};
        return page;
    });
}

Result<DmSlots> MetaStore::get_dm(Ino ino) const {
    auto in = get_inode(ino);
    if (!in) return Errno{in.error()};
    return std::move(in->dm);
}

Result<std::string> MetaStore::get_dm_attr(Ino ino, std::string_view name) const {
    auto n = canonical_dm_name(name);
    if (!n) return Errno{n.error()};
    auto dm = get_dm(ino);
    if (!dm) return Errno{dm.error()};
    auto it = dm->attrs.find(*n);
    if (it == dm->attrs.end()) return Errno{ENOENT};
    return it->second;
}

Result<std::string> canonical_dm_name(std::string_view name) {
    while (!name.empty() && name.back() == '\0') name.remove_suffix(1);
    if (name.empty() || name.size() > config::kDmAttrNameSize) return Errno{EINVAL};
    return std::string(name);
}

void MetaStore::set_change_observer(ChangeObserver observer) {
    impl_->observer = std::move(observer);
}

Result<void> MetaStore::sync() {
    return impl_->env.sync();
}

}  // namespace pfs::meta
