// Directory delegations (docs/pfs.md "Directory delegations"): the record of each delegated
// directory in the sys table, and the batches of changes its holder sends.
//
//   sys: "dlg:" dir(8, big-endian) -> holder(4) applied(8) pool(16) prev_pool(16) returned(1)
//
// A batch is one transaction. Each change in it is checked before it writes anything, so a
// refused change (op_errs) leaves no trace and the others still apply; a failure of LMDB itself
// (a full map, an I/O error) fails the whole batch, which the holder keeps and sends again.
#include <cstring>

#include "pfs/common/layout_rules.hpp"
#include "pfs/meta/names.hpp"
#include "store_impl.hpp"

namespace pfs::meta {

namespace {

constexpr std::string_view kPrefix = "dlg:";
constexpr std::size_t kRecordSize = 4 + 8 + 16 + 16 + 1;

std::string record_key(Ino dir) {
    std::string k(kPrefix);
    const auto b = be64(dir);
    k.append(reinterpret_cast<const char*>(b.data()), b.size());
    return k;
}

std::string encode(const Delegation& d) {
    std::string s;
    put_le(s, static_cast<std::uint32_t>(d.holder), 4);
    put_le(s, d.applied, 8);
    for (const InoPool* p : {&d.pool, &d.prev_pool}) {
        put_le(s, p->first, 8);
        put_le(s, p->count, 4);
        put_le(s, p->gen0, 4);
    }
    s.push_back(d.returned ? 1 : 0);
    return s;
}

Result<Delegation> decode(Ino dir, lmdb::Bytes b) {
    if (b.size() != kRecordSize) return Errno{EUCLEAN};
    Delegation d;
    d.dir = dir;
    d.holder = static_cast<std::int32_t>(get_le(b, 0, 4));
    d.applied = get_le(b, 4, 8);
    std::size_t at = 12;
    for (InoPool* p : {&d.pool, &d.prev_pool}) {
        p->first = get_le(b, at, 8);
        p->count = static_cast<std::uint32_t>(get_le(b, at + 8, 4));
        p->gen0 = static_cast<Gen>(get_le(b, at + 12, 4));
        at += 16;
    }
    d.returned = std::to_integer<int>(b[at]) != 0;
    return d;
}

Result<void> put_record(const Ops& ops, const Delegation& d) {
    const auto k = record_key(d.dir);
    const auto v = encode(d);
    return lmdb::put(ops.txn(), ops.store().sys, lmdb::bytes(k), lmdb::bytes(v));
}

// `count` fresh inode numbers and generations, taken from the store's counters.
Result<InoPool> take_pool(const Ops& ops, std::uint32_t count) {
    auto ino = ops.sys_u64("next_ino");
    if (!ino) return Errno{ino.error()};
    auto gen = ops.sys_u64("next_gen");
    if (!gen) return Errno{gen.error()};
    // Generations wrap at 32 bits and skip 0 (new_inode's rule); a pool never straddles the wrap.
    std::uint64_t g0 = *gen;
    if (g0 + count > 0xffffffffu) g0 = 1;
    PFS_TRY(ops.put_sys_u64("next_ino", *ino + count));
    PFS_TRY(ops.put_sys_u64("next_gen", g0 + count));
    return InoPool{*ino, count, static_cast<Gen>(g0)};
}

bool in_pool(const InoPool& p, Ino ino) {
    return p.count != 0 && ino >= p.first && ino - p.first < p.count;
}

// A file never written nor changed since its create (change counter 1, size 0) has no data
// objects: unlinking it needs no object removal.
bool never_written(const Inode& in) {
    return in.attr.type == FileType::file && in.attr.size == 0 && in.attr.change == 1;
}

// One create of the batch: 0 and the new file, or the errno that refuses it (nothing written).
int apply_create(Ops& ops, Inode& dir, const Delegation& d, const NsOp& op, Attr* made) {
    if (auto v = validate_name(op.name); !v) return v.error();
    if (is_dot_or_dotdot(op.name)) return EEXIST;
    if ((op.mode & ~07777u) != 0) return EINVAL;
    const InoPool* pool = in_pool(d.pool, op.ino)        ? &d.pool
                          : in_pool(d.prev_pool, op.ino) ? &d.prev_pool
                                                         : nullptr;
    if (pool == nullptr) return EINVAL;  // not an inode number this holder was given
    if (!valid_layout(op.layout, ops.store().data_servers)) return EINVAL;
    auto e = ops.find(dir.attr.ino, op.name);
    if (!e) return e.error();
    if (*e) return EEXIST;
    if (auto old = ops.get(op.ino); old || old.error() != ENOENT)
        return old ? EEXIST : old.error();  // an inode number is used once
    Inode in;
    in.attr.ino = op.ino;
    in.attr.gen = static_cast<Gen>(pool->gen0 + (op.ino - pool->first));
    in.attr.type = FileType::file;
    in.attr.mode = op.mode;
    in.attr.uid = op.uid;
    in.attr.gid = op.gid;
    in.attr.nlink = 1;
    in.attr.atime_ns = in.attr.mtime_ns = in.attr.ctime_ns = op.time_ns;
    in.attr.change = 1;
    in.attr.layout = op.layout;
    auto a = attach_new(ops, dir, op.name, in);
    if (!a) return -a.error();  // LMDB itself failed: the batch fails
    *made = *a;
    return 0;
}

int apply_unlink(Ops& ops, Inode& dir, const NsOp& op, WritebackOutcome& out) {
    if (auto v = validate_name(op.name); !v) return v.error();
    if (is_dot_or_dotdot(op.name)) return EISDIR;
    auto e = ops.find(dir.attr.ino, op.name);
    if (!e) return e.error();
    if (!*e) return ENOENT;
    if ((*e)->ino != op.ino) return ESTALE;  // the name is another file's now
    if ((*e)->type == FileType::dir) return EISDIR;
    auto child = ops.get((*e)->ino);
    if (!child) return child.error() == ENOENT ? EUCLEAN : child.error();
    const bool pristine = never_written(*child);
    const auto now = op.time_ns;
    auto r = drop_link(ops, dir, op.name, **e, std::move(*child), now);
    if (!r) return -r.error();
    touch(dir, true, now);
    if (auto p = ops.put(dir); !p) return -p.error();
    if (r->freed && !pristine) out.freed.push_back(r->inode.attr);
    return 0;
}

}  // namespace

Result<std::optional<Delegation>> get_delegation(const Ops& ops, Ino dir) {
    const auto k = record_key(dir);
    auto v = lmdb::get(ops.txn(), ops.store().sys, lmdb::bytes(k));
    if (!v) return Errno{v.error()};
    if (!*v) return std::optional<Delegation>{};
    auto d = decode(dir, **v);
    if (!d) return Errno{d.error()};
    return std::optional<Delegation>{std::move(*d)};
}

Result<void> erase_delegation(const Ops& ops, Ino dir) {
    const auto k = record_key(dir);
    auto r = lmdb::del(ops.txn(), ops.store().sys, lmdb::bytes(k));
    if (!r && r.error() != ENOENT) return r;
    return ok();
}

void MetaStore::set_access_guard(AccessGuard guard) {
    impl_->guard = std::move(guard);
}

Result<Delegated> MetaStore::delegate(std::string_view path, std::int32_t holder,
                                      std::uint32_t pool) {
    if (holder < 0 || pool == 0 || pool > config::kDelegationPool) return Errno{EINVAL};
    return write_txn(*impl_, [&](Ops& ops) -> Result<Delegated> {
        Delegated out;
        auto dir = resolve_dir(ops, path, &out.traversed);
        if (!dir) return Errno{dir.error()};
        auto old = get_delegation(ops, dir->attr.ino);
        if (!old) return Errno{old.error()};
        if (*old && !(*old)->returned) return Errno{EBUSY};
        auto empty = ops.dir_empty(dir->attr.ino);
        if (!empty) return Errno{empty.error()};
        if (!*empty) return Errno{ENOTEMPTY};
        auto p = take_pool(ops, pool);
        if (!p) return Errno{p.error()};
        Delegation d;
        d.dir = dir->attr.ino;
        d.holder = holder;
        d.pool = *p;
        PFS_TRY(put_record(ops, d));
        out.dir = dir->attr;
        out.delegation = d;
        return out;
    });
}

Result<WritebackOutcome> MetaStore::writeback(Ino dir, std::int32_t holder, std::uint64_t seq,
                                              const std::vector<NsOp>& ops_in, bool give_back,
                                              std::uint32_t refill) {
    if (refill > config::kDelegationPool || ops_in.size() > config::kWritebackBatch)
        return Errno{EINVAL};
    return write_txn(*impl_, [&](Ops& ops) -> Result<WritebackOutcome> {
        WritebackOutcome out;
        auto rec = get_delegation(ops, dir);
        if (!rec) return Errno{rec.error()};
        if (!*rec || (*rec)->holder != holder) return Errno{ESTALE};
        Delegation d = **rec;
        if (seq <= d.applied) {  // sent again (its answer was lost): it is in already
            out.duplicate = true;
            return out;
        }
        if (d.returned) return Errno{ESTALE};
        if (seq != d.applied + 1) return Errno{EPROTO};
        auto in = ops.get_dir(dir);
        if (!in) return Errno{in.error() == ENOENT ? ESTALE : in.error()};
        Inode& D = *in;
        bool any_err = false;
        out.op_errs.assign(ops_in.size(), 0);
        for (std::size_t i = 0; i < ops_in.size(); ++i) {
            const NsOp& op = ops_in[i];
            int e = 0;
            if (op.kind == kNsCreate) {
                Attr made;
                e = apply_create(ops, D, d, op, &made);
                if (e == 0) out.created.push_back(made.ino);
            } else if (op.kind == kNsUnlink) {
                e = apply_unlink(ops, D, op, out);
            } else {
                e = EINVAL;
            }
            if (e < 0) return Errno{-e};
            out.op_errs[i] = e;
            any_err = any_err || e != 0;
        }
        if (!any_err) out.op_errs.clear();
        d.applied = seq;
        if (refill != 0 && !give_back) {
            auto p = take_pool(ops, refill);
            if (!p) return Errno{p.error()};
            d.prev_pool = d.pool;
            d.pool = *p;
            out.pool = *p;
        }
        d.returned = give_back;
        PFS_TRY(put_record(ops, d));
        return out;
    });
}

Result<std::vector<Delegation>> MetaStore::delegations() const {
    return read_txn(*impl_, [&](Ops& ops) -> Result<std::vector<Delegation>> {
        std::vector<Delegation> out;
        MDB_cursor* c = nullptr;
        if (int rc = mdb_cursor_open(ops.txn().get(), impl_->sys, &c); rc != 0)
            return Errno{lmdb::to_errno(rc)};
        MDB_val k = lmdb::val(lmdb::bytes(kPrefix)), v{};
        int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const auto kb = lmdb::bytes(k);
            if (kb.size() != kPrefix.size() + 8 ||
                std::memcmp(kb.data(), kPrefix.data(), kPrefix.size()) != 0)
                break;
            auto d = decode(from_be64(kb.subspan(kPrefix.size())), lmdb::bytes(v));
            if (!d) {
                mdb_cursor_close(c);
                return Errno{d.error()};
            }
            if (!d->returned) out.push_back(*d);
        }
        mdb_cursor_close(c);
        if (rc != 0 && rc != MDB_NOTFOUND) return Errno{lmdb::to_errno(rc)};
        return out;
    });
}

Result<void> MetaStore::end_delegation(Ino dir) {
    return write_txn(*impl_, [&](Ops& ops) -> Result<void> {
        auto rec = get_delegation(ops, dir);
        if (!rec) return Errno{rec.error()};
        if (!*rec) return ok();
        Delegation d = **rec;
        d.returned = true;
        return put_record(ops, d);
    });
}

}  // namespace pfs::meta
