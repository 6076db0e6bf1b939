// Namespace changes that add or remove one name. Each is one write transaction; every check
// runs before the first write, so a failure needs no undo.
#include "pfs/meta/names.hpp"
#include "reply_cache.hpp"

namespace pfs::meta {

Result<Attr> attach_new(Ops& ops, Inode& dir, std::string_view name, Inode& child) {
    const auto now = child.attr.ctime_ns;
    PFS_TRY(ops.add_entry(dir, name, child.attr.ino, child.attr.type));
    if (child.attr.type == FileType::dir) ++dir.attr.nlink;
    touch(dir, true, now);
    PFS_TRY(ops.put(child));
    PFS_TRY(ops.put(dir));
    return child.attr;
}

Result<Unlinked> drop_link(Ops& ops, Inode& dir, std::string_view name, const Dirent& d,
                           Inode child, std::int64_t now) {
    PFS_TRY(ops.remove_entry(dir.attr.ino, name, d));
    Unlinked out;
    if (child.attr.type == FileType::dir) {
        // An (empty) directory goes away whole: its "." and its entry in the parent.
        child.attr.nlink = 0;
        --dir.attr.nlink;
    } else {
        --child.attr.nlink;
    }
    touch(child, false, now);
    if (child.attr.nlink == 0) {
        PFS_TRY(ops.erase(child.attr.ino));
        out.freed = true;
    } else {
        PFS_TRY(ops.put(child));
    }
    out.inode = std::move(child);
    return out;
}

namespace {

// Checks shared by everything that adds a name: a valid, non-dot name, an existing directory
// parent, and a free name. Linux reports "." / ".." as EEXIST when creating.
Result<Inode> parent_for_new_name(Ops& ops, Ino parent, std::string_view name) {
    PFS_TRY(validate_name(name));
    if (is_dot_or_dotdot(name)) return Errno{EEXIST};
    auto dir = ops.get_dir(parent);
    if (!dir) return dir;
    auto d = ops.find(parent, name);
    if (!d) return Errno{d.error()};
    if (*d) return Errno{EEXIST};
    return dir;
}

Result<Attr> create_in(Ops& ops, Ino parent, std::string_view name, const CreateArgs& args) {
    auto dir = parent_for_new_name(ops, parent, name);
    if (!dir) return Errno{dir.error()};
    auto layout = ops.choose_layout(args.layout);
    if (!layout) return Errno{layout.error()};
    auto in = ops.new_inode(FileType::file, args.mode, args.uid, args.gid);
    if (!in) return Errno{in.error()};
    in->attr.layout = *layout;
    return attach_new(ops, *dir, name, *in);
}

Result<Unlinked> unlink_in(Ops& ops, Ino parent, std::string_view name) {
    auto dir = ops.get_dir(parent);
    if (!dir) return Errno{dir.error()};
    auto d = ops.find(parent, name);
    if (!d) return Errno{d.error()};
    if (!*d) return Errno{ENOENT};
    if ((*d)->type == FileType::dir) return Errno{EISDIR};
    auto child = ops.get((*d)->ino);
    if (!child) return Errno{child.error() == ENOENT ? EUCLEAN : child.error()};
    const auto now = now_ns();
    auto out = drop_link(ops, *dir, name, **d, std::move(*child), now);
    if (!out) return out;
    touch(*dir, true, now);
    PFS_TRY(ops.put(*dir));
    return out;
}

}  // namespace

Result<Attr> MetaStore::create(Ino parent, std::string_view name, const CreateArgs& args,
                               const ReqId& rid) {
    if ((args.mode & ~07777u) != 0) return Errno{EINVAL};
    return write_once<Attr>(*impl_, rid,
                            [&](Ops& ops) { return create_in(ops, parent, name, args); });
}

Result<Attr> MetaStore::create_at(std::string_view parent_path, std::string_view name,
                                  const CreateArgs& args, const ReqId& rid,
                                  std::vector<Ino>* traversed) {
    if ((args.mode & ~07777u) != 0) return Errno{EINVAL};
    if (traversed != nullptr) traversed->clear();
    return write_once<Attr>(*impl_, rid, [&](Ops& ops) -> Result<Attr> {
        auto dir = resolve_dir(ops, parent_path, traversed);
        if (!dir) return Errno{dir.error()};
        if (traversed != nullptr) traversed->push_back(dir->attr.ino);  // where `name` goes
        return create_in(ops, dir->attr.ino, name, args);
    });
}

Result<Attr> MetaStore::mkdir(Ino parent, std::string_view name, std::uint32_t mode,
                              std::uint32_t uid, std::uint32_t gid, const ReqId& rid) {
    if ((mode & ~07777u) != 0) return Errno{EINVAL};
    return write_once<Attr>(*impl_, rid, [&](Ops& ops) -> Result<Attr> {
        auto dir = parent_for_new_name(ops, parent, name);
        if (!dir) return Errno{dir.error()};
        if (dir->attr.nlink >= config::kLinkMax) return Errno{EMLINK};
        auto in = ops.new_inode(FileType::dir, mode, uid, gid);
        if (!in) return Errno{in.error()};
        in->parent = parent;
        return attach_new(ops, *dir, name, *in);
    });
}

Result<Attr> MetaStore::symlink(Ino parent, std::string_view name, std::string_view target,
                                std::uint32_t uid, std::uint32_t gid, const ReqId& rid) {
    if (target.empty()) return Errno{ENOENT};  // as symlink(2)
    if (target.size() >= config::kPathMax) return Errno{ENAMETOOLONG};
    if (target.find('\0') != std::string_view::npos) return Errno{EINVAL};
    return write_once<Attr>(*impl_, rid, [&](Ops& ops) -> Result<Attr> {
        auto dir = parent_for_new_name(ops, parent, name);
        if (!dir) return Errno{dir.error()};
        auto in = ops.new_inode(FileType::symlink, 0777, uid, gid);
        if (!in) return Errno{in.error()};
        in->symlink_target = std::string(target);
        in->attr.size = target.size();
        return attach_new(ops, *dir, name, *in);
    });
}

Result<Attr> MetaStore::link(Ino ino, Ino new_parent, std::string_view name, const ReqId& rid) {
    return write_once<Attr>(*impl_, rid, [&](Ops& ops) -> Result<Attr> {
        auto dir = parent_for_new_name(ops, new_parent, name);
        if (!dir) return Errno{dir.error()};
        auto in = ops.get(ino);
        if (!in) return Errno{in.error()};
        if (in->attr.type == FileType::dir) return Errno{EPERM};  // Linux: no dir hard links
        if (in->attr.nlink >= config::kLinkMax) return Errno{EMLINK};
        const auto now = now_ns();
        PFS_TRY(ops.add_entry(*dir, name, ino, in->attr.type));
        ++in->attr.nlink;
        touch(*in, false, now);
        touch(*dir, true, now);
        PFS_TRY(ops.put(*in));
        PFS_TRY(ops.put(*dir));
        return in->attr;
    });
}

Result<Unlinked> MetaStore::unlink(Ino parent, std::string_view name, const ReqId& rid) {
    PFS_TRY(validate_name(name));
    if (is_dot_or_dotdot(name)) return Errno{EISDIR};  // unlink(2) on "." / ".."
    return write_once<Unlinked>(*impl_, rid,
                                [&](Ops& ops) { return unlink_in(ops, parent, name); });
}

Result<Unlinked> MetaStore::unlink_at(std::string_view parent_path, std::string_view name,
                                      const ReqId& rid) {
    PFS_TRY(validate_name(name));
    if (is_dot_or_dotdot(name)) return Errno{EISDIR};
    return write_once<Unlinked>(*impl_, rid, [&](Ops& ops) -> Result<Unlinked> {
        auto dir = resolve_dir(ops, parent_path);
        if (!dir) return Errno{dir.error()};
        return unlink_in(ops, dir->attr.ino, name);
    });
}

Result<void> MetaStore::rmdir(Ino parent, std::string_view name, const ReqId& rid) {
    PFS_TRY(validate_name(name));
    if (name == ".") return Errno{EINVAL};      // rmdir(2): "." is EINVAL ...
    if (name == "..") return Errno{ENOTEMPTY};  // ... and ".." ENOTEMPTY
    return write_once<void>(*impl_, rid, [&](Ops& ops) -> Result<void> {
        auto dir = ops.get_dir(parent);
        if (!dir) return Errno{dir.error()};
        auto d = ops.find(parent, name);
        if (!d) return Errno{d.error()};
        if (!*d) return Errno{ENOENT};
        if ((*d)->type != FileType::dir) return Errno{ENOTDIR};
        auto child = ops.get((*d)->ino);
        if (!child) return Errno{child.error() == ENOENT ? EUCLEAN : child.error()};
        auto empty = ops.dir_empty(child->attr.ino);
        if (!empty) return Errno{empty.error()};
        if (!*empty) return Errno{ENOTEMPTY};
        const auto now = now_ns();
        PFS_TRY(erase_delegation(ops, child->attr.ino));  // a given-back one's record
        auto out = drop_link(ops, *dir, name, **d, std::move(*child), now);
        if (!out) return Errno{out.error()};
        touch(*dir, true, now);
        return ops.put(*dir);
    });
}

}  // namespace pfs::meta
