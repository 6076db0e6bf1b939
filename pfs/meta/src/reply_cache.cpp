#include "reply_cache.hpp"

#include <array>

#include "inode_codec.hpp"
#include "pfs/proto/serialize.hpp"

namespace pfs::meta {

namespace {

constexpr std::uint32_t kReplyRecordVersion = 1;

std::array<std::byte, 6> reply_key(const ReqId& rid) {
    const auto slot = static_cast<std::uint16_t>(rid.seq % config::kReplyCacheSlots);
    std::array<std::byte, 6> k{};
    for (int i = 0; i < 4; ++i) k[i] = static_cast<std::byte>(rid.client >> (24 - 8 * i));
    k[4] = static_cast<std::byte>(slot >> 8);
    k[5] = static_cast<std::byte>(slot & 0xff);
    return k;
}

}  // namespace

Outcome to_outcome(const Attr& a) {
    Outcome o;
    o.inode.emplace();
    o.inode->attr = a;
    return o;
}

Outcome to_outcome(const Unlinked& u) {
    return Outcome{u.inode, u.freed};
}

Outcome to_outcome(const Renamed& r) {
    return r.replaced ? to_outcome(*r.replaced) : Outcome{};
}

Outcome void_outcome() {
    return {};
}

template <>
Attr from_outcome<Attr>(const Outcome& o) {
    return o.inode ? o.inode->attr : Attr{};
}

template <>
Unlinked from_outcome<Unlinked>(const Outcome& o) {
    return Unlinked{o.inode.value_or(Inode{}), o.freed};
}

template <>
Renamed from_outcome<Renamed>(const Outcome& o) {
    Renamed r;
    if (o.inode) r.replaced = Unlinked{*o.inode, o.freed};
    return r;
}

Result<std::optional<Outcome>> find_reply(const Ops& ops, const ReqId& rid) {
    const auto key = reply_key(rid);
    auto v = lmdb::get(ops.txn(), ops.store().replies, key);
    if (!v) return Errno{v.error()};
    if (!*v) return std::optional<Outcome>{};
    proto::Reader r(**v);
    proto::Decoder d(r);
    std::uint32_t version = 0;
    std::uint64_t incarnation = 0, seq = 0;
    d(version);
    d(incarnation);
    d(seq);
    if (!r.ok() || version != kReplyRecordVersion) return Errno{EUCLEAN};
    // The slot belongs to another request (an older one of this ring, or another job's client).
    if (incarnation != rid.incarnation || seq != rid.seq) return std::optional<Outcome>{};
    Outcome o;
    bool has_inode = false;
    d(has_inode);
    d(o.freed);
    if (has_inode) {
        const auto rec = r.blob(config::kMaxMessageSize);
        if (!r.ok()) return Errno{EUCLEAN};
        auto in = decode_inode(rec);
        if (!in) return Errno{in.error()};
        o.inode = std::move(*in);
    }
    if (!r.ok() || r.remaining() != 0) return Errno{EUCLEAN};
    return std::optional<Outcome>{std::move(o)};
}

Result<void> store_reply(const Ops& ops, const ReqId& rid, const Outcome& o) {
    std::vector<std::byte> out;
    proto::Writer w(out);
    proto::Encoder e(w);
    e(kReplyRecordVersion);
    e(rid.incarnation);
    e(rid.seq);
    e(o.inode.has_value());
    e(o.freed);
    if (o.inode) w.blob(encode_inode(*o.inode));
    return lmdb::put(ops.txn(), ops.store().replies, reply_key(rid), out);
}

}  // namespace pfs::meta
