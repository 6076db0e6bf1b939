// rename(2) in one transaction: atomic replacement of the target, Linux errnos.
#include "pfs/meta/names.hpp"
#include "reply_cache.hpp"

namespace pfs::meta {

namespace {

// EINVAL if directory `dst_dir` is `moving` or lies below it (a dir into its own subtree).
Result<void> check_not_below(Ops& ops, Ino moving, Ino dst_dir) {
    Ino cur = dst_dir;
    // Parent pointers always lead to the root; the bound only guards corrupt metadata.
    for (std::uint64_t hops = 0; hops < (1u << 20); ++hops) {
        if (cur == moving) return Errno{EINVAL};
        if (cur == config::kRootIno) return {};
        auto in = ops.get(cur);
        if (!in) return Errno{in.error()};
        cur = in->parent;
    }
    return Errno{EUCLEAN};
}

}  // namespace

Result<Renamed> MetaStore::rename(Ino src_parent, std::string_view src_name, Ino dst_parent,
                                  std::string_view dst_name, const ReqId& rid) {
    PFS_TRY(validate_name(src_name));
    PFS_TRY(validate_name(dst_name));
    if (is_dot_or_dotdot(src_name) || is_dot_or_dotdot(dst_name)) return Errno{EBUSY};

    return write_once<Renamed>(*impl_, rid, [&](Ops& ops) -> Result<Renamed> {
        auto sp = ops.get_dir(src_parent);
        if (!sp) return Errno{sp.error()};
        std::optional<Inode> dp_own;  // distinct destination directory, if any
        if (dst_parent != src_parent) {
            auto dp = ops.get_dir(dst_parent);
            if (!dp) return Errno{dp.error()};
            dp_own = std::move(*dp);
        }
        Inode& dp = dp_own ? *dp_own : *sp;

        auto sd = ops.find(src_parent, src_name);
        if (!sd) return Errno{sd.error()};
        if (!*sd) return Errno{ENOENT};
        if (src_parent == dst_parent && src_name == dst_name) return Renamed{};

        auto src = ops.get((*sd)->ino);
        if (!src) return Errno{src.error() == ENOENT ? EUCLEAN : src.error()};
        const bool src_dir = src->attr.type == FileType::dir;
        if (src_dir) PFS_TRY(check_not_below(ops, src->attr.ino, dst_parent));

        auto dd = ops.find(dst_parent, dst_name);
        if (!dd) return Errno{dd.error()};
        std::optional<Inode> victim;
        if (*dd) {
            // Two names of one inode: POSIX says rename does nothing and succeeds.
            if ((*dd)->ino == src->attr.ino) return Renamed{};
            auto v = ops.get((*dd)->ino);
            if (!v) return Errno{v.error() == ENOENT ? EUCLEAN : v.error()};
            const bool dst_dir = v->attr.type == FileType::dir;
            if (src_dir && !dst_dir) return Errno{ENOTDIR};
            if (!src_dir && dst_dir) return Errno{EISDIR};
            if (dst_dir) {
                auto empty = ops.dir_empty(v->attr.ino);
                if (!empty) return Errno{empty.error()};
                if (!*empty) return Errno{ENOTEMPTY};
            }
            victim = std::move(*v);
        }
        const bool moves_dir_across = src_dir && src_parent != dst_parent;
        if (moves_dir_across && !victim && dp.attr.nlink >= config::kLinkMax) return Errno{EMLINK};

        // All checks passed: apply.
        const auto now = now_ns();
        Renamed out;
        PFS_TRY(ops.remove_entry(src_parent, src_name, **sd));
        if (victim) {
            PFS_TRY(ops.remove_entry(dst_parent, dst_name, **dd));
            Unlinked u;
            if (victim->attr.type == FileType::dir) {
                victim->attr.nlink = 0;
                --dp.attr.nlink;  // loses the replaced subdirectory's ".."
            } else {
                --victim->attr.nlink;
            }
            touch(*victim, false, now);
            if (victim->attr.nlink == 0) {
                PFS_TRY(ops.erase(victim->attr.ino));
                u.freed = true;
            } else {
                PFS_TRY(ops.put(*victim));
            }
            u.inode = std::move(*victim);
            out.replaced = std::move(u);
        }
        PFS_TRY(ops.add_entry(dp, dst_name, src->attr.ino, src->attr.type));
        if (moves_dir_across) {
            --sp->attr.nlink;
            ++dp.attr.nlink;
            src->parent = dst_parent;
        }
        touch(*src, false, now);
        touch(*sp, true, now);
        if (dp_own) touch(dp, true, now);
        PFS_TRY(ops.put(*src));
        PFS_TRY(ops.put(*sp));
        if (dp_own) PFS_TRY(ops.put(dp));
        return out;
    });
}

}  // namespace pfs::meta
