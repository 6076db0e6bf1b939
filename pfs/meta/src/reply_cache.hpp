// The reply cache (NFS's duplicate request cache, Lustre's last_rcvd): the outcome of every
// successful mutating request that carries a ReqId is stored in the SAME write transaction as
// the mutation, so the pair is atomic and survives the rank (the adopter opens the same LMDB).
// A request whose id is already stored returns the stored outcome instead of running again.
//
// Schema: replies : client(4 BE) slot(2 BE) -> incarnation(8) seq(8) outcome, slot = seq % slots.
// A fixed ring per client rank needs no pruning and stays bounded; a later job's client on the
// same rank (another incarnation) simply overwrites the slots.
//
// Failed requests are not stored: they changed nothing, so running them again is a new attempt
// (it may now succeed, which is what a first attempt at that moment would have done).
#pragma once

#include <optional>
#include <type_traits>

#include "store_impl.hpp"

namespace pfs::meta {

// What a mutating call returned, in one shape for every call: Attr results carry the attr in
// `inode.attr`; unlink/rename carry the removed inode and `freed`; void carries nothing.
struct Outcome {
    std::optional<Inode> inode;
    bool freed = false;
};

Outcome to_outcome(const Attr& a);
Outcome to_outcome(const Unlinked& u);
Outcome to_outcome(const Renamed& r);
Outcome void_outcome();  // nothing to replay but the success itself

template <class T>
T from_outcome(const Outcome& o);
template <>
Attr from_outcome<Attr>(const Outcome& o);
template <>
Unlinked from_outcome<Unlinked>(const Outcome& o);
template <>
Renamed from_outcome<Renamed>(const Outcome& o);

// The stored outcome of `rid`, if this request already committed.
Result<std::optional<Outcome>> find_reply(const Ops& ops, const ReqId& rid);
Result<void> store_reply(const Ops& ops, const ReqId& rid, const Outcome& o);

// write_txn() for a request with an identity: replays a stored outcome, or runs `fn` and stores
// its outcome in the same transaction. The lookup is inside the write transaction, so a retry
// racing its original (both at one live server after an epoch change) sees it or runs first.
template <class T, class Fn>
Result<T> write_once(MetaStore::Impl& s, const ReqId& rid, Fn&& fn) {
    if (rid.seq == 0) return write_txn(s, std::forward<Fn>(fn));
    auto t = lmdb::Txn::begin(s.env.get(), true);
    if (!t) return Errno{t.error()};
    Ops ops(s, *t);
    auto seen = find_reply(ops, rid);
    if (!seen) return Errno{seen.error()};
    if (*seen) {
        if constexpr (std::is_void_v<T>)
            return Result<void>{};
        else
            return from_outcome<T>(**seen);
    }
    Result<T> r = fn(ops);
    if (!r) return r;
    if constexpr (std::is_void_v<T>)
        PFS_TRY(store_reply(ops, rid, void_outcome()));
    else
        PFS_TRY(store_reply(ops, rid, to_outcome(*r)));
    if (auto c = t->commit(); !c) return Errno{c.error()};
    ops.committed();
    return r;
}

}  // namespace pfs::meta
