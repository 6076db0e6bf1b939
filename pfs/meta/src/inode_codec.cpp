#include "inode_codec.hpp"

#include "pfs/proto/serialize.hpp"

namespace pfs::meta {
namespace {
constexpr std::uint32_t kInodeRecordVersion = 1;
}

std::vector<std::byte> encode_inode(const Inode& in) {
    std::vector<std::byte> out;
    out.reserve(128 + in.symlink_target.size());
    proto::Writer w(out);
    proto::Encoder e(w);
    e(kInodeRecordVersion);
    e(in.attr);
    e(in.parent);
    e(in.next_slot);
    e(in.symlink_target, config::kPathMax);
    e(in.dm);
    return out;
}

Result<Inode> decode_inode(std::span<const std::byte> rec) {
    Inode in;
    proto::Reader r(rec);
    proto::Decoder d(r);
    std::uint32_t version = 0;
    d(version);
    if (r.ok() && version != kInodeRecordVersion) return Errno{EUCLEAN};
    d(in.attr);
    d(in.parent);
    d(in.next_slot);
    d(in.symlink_target, config::kPathMax);
    d(in.dm);
    if (!r.ok() || r.remaining() != 0) return Errno{EUCLEAN};
    return in;
}

}  // namespace pfs::meta
