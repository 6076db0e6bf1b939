#include "pfs/client/striping.hpp"

#include <algorithm>

#include "pfs/common/config.hpp"

namespace pfs::client {

namespace {

Result<void> check(const Layout& l, std::uint32_t n) {
    if (n == 0 || l.stripe_size == 0 || l.stripe_count == 0 || l.stripe_count > n ||
        l.first_server >= n)
        return Errno{EINVAL};
    return {};
}

// Stripe slot of `server`, or stripe_count if the server holds no part of the file.
std::uint32_t slot_of(const Layout& l, std::uint32_t n, std::uint32_t server) {
    const std::uint32_t j = (server + n - l.first_server) % n;
    return j < l.stripe_count ? j : l.stripe_count;
}

std::uint32_t server_of(const Layout& l, std::uint32_t n, std::uint64_t unit) {
    const auto j = static_cast<std::uint32_t>(unit % l.stripe_count);
    return static_cast<std::uint32_t>((std::uint64_t{l.first_server} + j) % n);
}

}  // namespace

Result<std::vector<Piece>> map_range(const Layout& l, std::uint32_t n, std::uint64_t offset,
                                     std::uint64_t length) {
    PFS_TRY(check(l, n));
    if (offset > config::kMaxFileSize || length > config::kMaxFileSize - offset)
        return Errno{EFBIG};
    std::vector<Piece> out;
    const std::uint64_t ss = l.stripe_size;
    const std::uint64_t end = offset + length;
    if (length != 0) out.reserve(static_cast<std::size_t>((end - 1) / ss - offset / ss + 1));
    for (std::uint64_t b = offset; b < end;) {
        const std::uint64_t unit = b / ss, within = b % ss;
        const std::uint64_t len = std::min(ss - within, end - b);
        out.push_back(
            Piece{server_of(l, n, unit), (unit / l.stripe_count) * ss + within, len, b - offset});
        b += len;
    }
    return out;
}

Result<std::vector<ServerRange>> map_range_by_server(const Layout& l, std::uint32_t n,
                                                     std::uint64_t offset, std::uint64_t length) {
    auto pieces = map_range(l, n, offset, length);
    if (!pieces) return Errno{pieces.error()};
    std::vector<ServerRange> out;
    std::vector<std::size_t> index(n, SIZE_MAX);
    for (const auto& p : *pieces) {
        auto& i = index[p.server];
        if (i == SIZE_MAX) {
            i = out.size();
            out.push_back(ServerRange{p.server, p.object_offset, 0, {}});
        }
        auto& r = out[i];
        // Dense objects: a server's pieces of a contiguous file range abut in object space.
        r.length += p.length;
        r.segments.push_back(BufferSegment{p.buffer_offset, p.length});
    }
    std::sort(out.begin(), out.end(),
              [](const ServerRange& a, const ServerRange& b) { return a.server < b.server; });
    return out;
}

Result<std::uint64_t> file_offset(const Layout& l, std::uint32_t n, std::uint32_t server,
                                  std::uint64_t object_offset) {
    PFS_TRY(check(l, n));
    if (server >= n) return Errno{EINVAL};
    const std::uint32_t j = slot_of(l, n, server);
    if (j == l.stripe_count) return Errno{EINVAL};
    const std::uint64_t ss = l.stripe_size;
    const std::uint64_t round = object_offset / ss;
    if (round > (config::kMaxFileSize / ss) / l.stripe_count) return Errno{EFBIG};
    const std::uint64_t unit = round * l.stripe_count + j;
    const std::uint64_t f = unit * ss + object_offset % ss;
    if (f > config::kMaxFileSize) return Errno{EFBIG};
    return f;
}

Result<std::uint64_t> object_size_for(const Layout& l, std::uint32_t n, std::uint32_t server,
                                      std::uint64_t file_size) {
    PFS_TRY(check(l, n));
    if (server >= n) return Errno{EINVAL};
    if (file_size > config::kMaxFileSize) return Errno{EFBIG};
    const std::uint32_t j = slot_of(l, n, server);
    if (j == l.stripe_count) return std::uint64_t{0};
    const std::uint64_t ss = l.stripe_size;
    const std::uint64_t full = file_size / ss, rem = file_size % ss;
    const std::uint64_t count = l.stripe_count;
    // Complete units on slot j, then the partial last unit if it falls on j.
    std::uint64_t size = (full / count + (j < full % count ? 1 : 0)) * ss;
    if (rem != 0 && full % count == j) size += rem;
    return size;
}

Result<std::uint64_t> file_size_from_objects(const Layout& l, std::uint32_t n,
                                             std::span<const std::uint64_t> object_sizes) {
    PFS_TRY(check(l, n));
    if (object_sizes.size() != n) return Errno{EINVAL};
    std::uint64_t size = 0;
    for (std::uint32_t s = 0; s < n; ++s) {
        if (object_sizes[s] == 0) continue;
        auto last = file_offset(l, n, s, object_sizes[s] - 1);
        if (!last) return Errno{last.error()};
        size = std::max(size, *last + 1);
    }
    return size;
}

}  // namespace pfs::client
