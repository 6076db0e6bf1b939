// RAID-0 striping of a file over data servers: pure functions, no I/O, no allocation beyond the
// result vectors, so both the client and the servers (recovery, truncate) use the same math.
//
// A file's byte b lies in stripe unit k = b / stripe_size. Unit k goes to stripe slot
// j = k % stripe_count, which is data server (first_server + j) % num_servers, at object offset
// (k / stripe_count) * stripe_size + b % stripe_size: objects are dense per server. When
// stripe_count == num_servers this is "unit k on server (first + k) % count".
//
// Only the arithmetic is validated here (stripe_size > 0, 1 <= stripe_count <= num_servers,
// first_server < num_servers): EINVAL otherwise. The page-alignment policy for stripe sizes is
// the metadata service's (pfs::valid_layout). Ranges ending past kMaxFileSize are EFBIG.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "pfs/common/result.hpp"
#include "pfs/common/types.hpp"

namespace pfs::client {

// One stripe-unit-sized (or smaller) piece of a user I/O.
struct Piece {
    std::uint32_t server = 0;         // data server index in [0, num_servers)
    std::uint64_t object_offset = 0;  // offset in that server's object
    std::uint64_t length = 0;
    std::uint64_t buffer_offset = 0;  // offset in the user buffer (= file offset - start)
    friend bool operator==(const Piece&, const Piece&) = default;
};

// A contiguous part of the user buffer that belongs to a ServerRange.
struct BufferSegment {
    std::uint64_t buffer_offset = 0;
    std::uint64_t length = 0;
    friend bool operator==(const BufferSegment&, const BufferSegment&) = default;
};

// Everything one server does for a contiguous file range: because objects are dense, it is ONE
// contiguous object range, gathered from / scattered to `segments` of the user buffer in order.
// This is what a single vectored request per server carries.
struct ServerRange {
    std::uint32_t server = 0;
    std::uint64_t object_offset = 0;
    std::uint64_t length = 0;
    std::vector<BufferSegment> segments;
    friend bool operator==(const ServerRange&, const ServerRange&) = default;
};

// Pieces of [offset, offset + length) in file order (empty for length 0).
Result<std::vector<Piece>> map_range(const Layout& layout, std::uint32_t num_servers,
                                     std::uint64_t offset, std::uint64_t length);

// The same range grouped per server, ordered by server index; servers with nothing are omitted.
Result<std::vector<ServerRange>> map_range_by_server(const Layout& layout,
                                                     std::uint32_t num_servers,
                                                     std::uint64_t offset, std::uint64_t length);

// Inverse: the file offset stored at `object_offset` of `server`'s object. EINVAL if the server
// holds no stripe of this file.
Result<std::uint64_t> file_offset(const Layout& layout, std::uint32_t num_servers,
                                  std::uint32_t server, std::uint64_t object_offset);

// Size `server`'s object must have for a file of `file_size` bytes (what truncate sets on each
// server; 0 for servers outside the stripe).
Result<std::uint64_t> object_size_for(const Layout& layout, std::uint32_t num_servers,
                                      std::uint32_t server, std::uint64_t file_size);

// The file size implied by per-server object sizes (index = server): the end of the furthest
// byte any object holds. Used to rebuild a size when metadata and data disagree.
Result<std::uint64_t> file_size_from_objects(const Layout& layout, std::uint32_t num_servers,
                                             std::span<const std::uint64_t> object_sizes);

}  // namespace pfs::client
