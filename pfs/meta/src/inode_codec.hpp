// On-disk encoding of inode records: a record version, then fields through the same bounded
// codec as the wire (pfs_proto), so a corrupt record decodes to EUCLEAN instead of UB.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "pfs/common/result.hpp"
#include "pfs/meta/meta_store.hpp"

namespace pfs::meta {

std::vector<std::byte> encode_inode(const Inode& in);
Result<Inode> decode_inode(std::span<const std::byte> rec);

}  // namespace pfs::meta
