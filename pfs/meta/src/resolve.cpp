// Path resolution over the namespace, inside one read transaction so the walk sees a
// consistent snapshot even while other threads rename.
#include <deque>
#include <string>

#include "pfs/meta/names.hpp"
#include "store_impl.hpp"

namespace pfs::meta {

namespace {

struct Walk {
    Inode cur;
    std::string last;  // final component (resolve_parent)
};

// Walks `path`. With `stop_before_last`, returns the directory holding the final component
// (following intermediate symlinks) and the component itself, without looking it up.
// `traversed`: every directory a name was looked up in ("." and ".." included), in order.
Result<Walk> walk(Ops& ops, std::string_view path, bool follow_final, bool stop_before_last,
                  std::vector<Ino>* traversed = nullptr) {
    auto sp = split_path(path);
    if (!sp) return Errno{sp.error()};
    auto root = ops.get_dir(config::kRootIno);
    if (!root) return Errno{root.error()};

    // Pending components; a followed symlink splices its target in at the front.
    std::deque<std::string> todo(sp->components.begin(), sp->components.end());
    const bool trailing_slash = sp->trailing_slash;
    Walk w{std::move(*root), {}};
    int links = 0;

    while (!todo.empty()) {
        std::string name = std::move(todo.front());
        todo.pop_front();
        if (w.cur.attr.type != FileType::dir) return Errno{ENOTDIR};
        const bool last = todo.empty();
        if (last && stop_before_last) {
            w.last = std::move(name);
            return w;
        }
        if (traversed != nullptr) traversed->push_back(w.cur.attr.ino);
        if (name == ".") continue;
        if (name == "..") {
            auto p = ops.get(w.cur.parent);
            if (!p) return Errno{p.error()};
            w.cur = std::move(*p);
            continue;
        }
        auto d = ops.find(w.cur.attr.ino, name);
        if (!d) return Errno{d.error()};
        if (!*d) return Errno{ENOENT};
        auto child = ops.get((*d)->ino);
        if (!child) return Errno{child.error() == ENOENT ? EUCLEAN : child.error()};

        if (child->attr.type == FileType::symlink && (!last || follow_final || trailing_slash)) {
            if (++links > config::kSymlinkLoopLimit) return Errno{ELOOP};
            if (traversed != nullptr) traversed->push_back(child->attr.ino);  // went through it
            auto tp = split_components(child->symlink_target);
            if (!tp) return Errno{tp.error()};
            todo.insert(todo.begin(), tp->components.begin(), tp->components.end());
            if (!child->symlink_target.empty() && child->symlink_target.front() == '/') {
                auto r = ops.get_dir(config::kRootIno);
                if (!r) return Errno{r.error()};
                w.cur = std::move(*r);
            }
            // Relative targets resolve from the directory holding the link: w.cur already.
            continue;
        }
        w.cur = std::move(*child);
    }
    if (trailing_slash && w.cur.attr.type != FileType::dir) return Errno{ENOTDIR};
    return w;
}

}  // namespace

Result<Inode> resolve_dir(Ops& ops, std::string_view path, std::vector<Ino>* traversed) {
    auto w = walk(ops, path, true, false, traversed);
    if (!w) return Errno{w.error()};
    if (w->cur.attr.type != FileType::dir) return Errno{ENOTDIR};
    return std::move(w->cur);
}

Result<Attr> MetaStore::resolve(std::string_view path, bool follow_final,
                                std::vector<Ino>* traversed) const {
    return read_txn(*impl_, [&](Ops& ops) -> Result<Attr> {
        if (traversed != nullptr) traversed->clear();
        auto w = walk(ops, path, follow_final, false, traversed);
        if (!w) return Errno{w.error()};
        return w->cur.attr;
    });
}

Result<ParentAndName> MetaStore::resolve_parent(std::string_view path) const {
    return read_txn(*impl_, [&](Ops& ops) -> Result<ParentAndName> {
        auto w = walk(ops, path, false, true);
        if (!w) return Errno{w.error()};
        if (w->cur.attr.type != FileType::dir) return Errno{ENOTDIR};
        return ParentAndName{w->cur.attr, std::move(w->last)};
    });
}

}  // namespace pfs::meta
