// Striping math checked exhaustively on small layouts against a brute-force byte map built by
// COUNTING units per server (an independent formulation of the dense RAID-0 placement).
#include <map>

#include "pfs/client/striping.hpp"
#include "pfs/common/config.hpp"
#include "test_util.hpp"

namespace pfs::test {
namespace {

using namespace pfs::client;

struct Loc {
    std::uint32_t server;
    std::uint64_t object_offset;
};

// Where each file byte in [0, size) lives, found by dealing units out one by one.
std::vector<Loc> brute_force(const Layout& l, std::uint32_t n, std::uint64_t size) {
    std::vector<Loc> map(size);
    std::vector<std::uint64_t> units_on(n, 0);
    for (std::uint64_t unit = 0; unit * l.stripe_size < size; ++unit) {
        const auto server =
            static_cast<std::uint32_t>((l.first_server + unit % l.stripe_count) % n);
        for (std::uint64_t w = 0; w < l.stripe_size && unit * l.stripe_size + w < size; ++w)
            map[unit * l.stripe_size + w] = Loc{server, units_on[server] * l.stripe_size + w};
        ++units_on[server];
    }
    return map;
}

constexpr std::uint64_t kSize = 40;

template <class Fn>
void for_each_small_layout(Fn&& fn) {
    for (std::uint32_t n = 1; n <= 4; ++n)
        for (std::uint32_t count = 1; count <= n; ++count)
            for (std::uint32_t first = 0; first < n; ++first)
                for (std::uint64_t ss : {1, 2, 3, 5, 8})
                    fn(Layout{ss, count, first}, n,
                       brute_force(Layout{ss, count, first}, n, kSize));
}

TEST(Striping, PiecesMatchBruteForceForEveryRange) {
    for_each_small_layout([](const Layout& l, std::uint32_t n, const std::vector<Loc>& map) {
        for (std::uint64_t off = 0; off <= kSize; ++off) {
            for (std::uint64_t len = 0; off + len <= kSize; ++len) {
                auto pieces = map_range(l, n, off, len);
                ASSERT_OK(pieces);
                std::uint64_t covered = 0;
                for (const auto& p : *pieces) {
                    ASSERT_EQ(p.buffer_offset, covered);  // in file order, no gaps
                    ASSERT_GT(p.length, 0u);
                    ASSERT_LE(p.length, l.stripe_size);
                    for (std::uint64_t i = 0; i < p.length; ++i) {
                        const auto& want = map[off + p.buffer_offset + i];
                        ASSERT_EQ(p.server, want.server);
                        ASSERT_EQ(p.object_offset + i, want.object_offset);
                    }
                    covered += p.length;
                }
                ASSERT_EQ(covered, len);
            }
        }
    });
}

TEST(Striping, ServerRangesAreContiguousAndMatchPieces) {
    for_each_small_layout([](const Layout& l, std::uint32_t n, const std::vector<Loc>& map) {
        for (std::uint64_t off = 0; off <= kSize; off += 3) {
            for (std::uint64_t len = 0; off + len <= kSize; ++len) {
                auto ranges = map_range_by_server(l, n, off, len);
                ASSERT_OK(ranges);
                std::uint64_t total = 0;
                std::int64_t prev_server = -1;
                for (const auto& r : *ranges) {
                    ASSERT_GT(static_cast<std::int64_t>(r.server), prev_server);
                    prev_server = r.server;
                    std::uint64_t obj = r.object_offset, seg_total = 0;
                    for (const auto& s : r.segments) {
                        for (std::uint64_t i = 0; i < s.length; ++i) {
                            const auto& want = map[off + s.buffer_offset + i];
                            ASSERT_EQ(want.server, r.server);
                            ASSERT_EQ(want.object_offset, obj + i);  // dense: abutting
                        }
                        obj += s.length;
                        seg_total += s.length;
                    }
                    ASSERT_EQ(seg_total, r.length);
                    total += r.length;
                }
                ASSERT_EQ(total, len);
            }
        }
    });
}

TEST(Striping, InverseMapsBackToTheFileOffset) {
    for_each_small_layout([](const Layout& l, std::uint32_t n, const std::vector<Loc>& map) {
        for (std::uint64_t b = 0; b < kSize; ++b) {
            auto f = file_offset(l, n, map[b].server, map[b].object_offset);
            ASSERT_OK(f);
            ASSERT_EQ(*f, b);
        }
        // Servers outside the stripe hold nothing.
        for (std::uint32_t s = 0; s < n; ++s) {
            const bool in_stripe = (s + n - l.first_server) % n < l.stripe_count;
            if (!in_stripe) {
                EXPECT_ERRNO(file_offset(l, n, s, 0), EINVAL);
            }
        }
        EXPECT_ERRNO(file_offset(l, n, n, 0), EINVAL);
    });
}

TEST(Striping, ObjectSizesForTruncateAndBack) {
    for_each_small_layout([](const Layout& l, std::uint32_t n, const std::vector<Loc>& map) {
        for (std::uint64_t size = 0; size <= kSize; ++size) {
            std::vector<std::uint64_t> want(n, 0);
            for (std::uint64_t b = 0; b < size; ++b)
                want[map[b].server] = std::max(want[map[b].server], map[b].object_offset + 1);
            for (std::uint32_t s = 0; s < n; ++s) {
                auto got = object_size_for(l, n, s, size);
                ASSERT_OK(got);
                ASSERT_EQ(*got, want[s]) << "server " << s << " size " << size;
            }
            auto back = file_size_from_objects(l, n, want);
            ASSERT_OK(back);
            ASSERT_EQ(*back, size);
        }
    });
}

TEST(Striping, ValidatesLayoutsAndRanges) {
    const Layout ok{4096, 2, 1};
    EXPECT_ERRNO(map_range(Layout{0, 1, 0}, 1, 0, 1), EINVAL);
    EXPECT_ERRNO(map_range(Layout{4096, 0, 0}, 1, 0, 1), EINVAL);
    EXPECT_ERRNO(map_range(Layout{4096, 3, 0}, 2, 0, 1), EINVAL);
    EXPECT_ERRNO(map_range(Layout{4096, 1, 2}, 2, 0, 1), EINVAL);
    EXPECT_ERRNO(map_range(ok, 0, 0, 1), EINVAL);
    EXPECT_ERRNO(map_range(ok, 2, config::kMaxFileSize, 2), EFBIG);
    EXPECT_ERRNO(object_size_for(ok, 2, 0, config::kMaxFileSize + 1), EFBIG);
    EXPECT_ERRNO(file_size_from_objects(ok, 2, std::vector<std::uint64_t>{1}), EINVAL);
    EXPECT_TRUE(map_range(ok, 2, 0, 0)->empty());
    EXPECT_TRUE(map_range_by_server(ok, 2, 5, 0)->empty());
}

TEST(Striping, LargeOffsetsDoNotOverflow) {
    const Layout l{1 << 20, 3, 0};
    const std::uint64_t off = config::kMaxFileSize - (5ull << 20);
    auto pieces = map_range(l, 3, off, 5ull << 20);
    ASSERT_OK(pieces);
    for (const auto& p : *pieces) {
        auto back = file_offset(l, 3, p.server, p.object_offset);
        ASSERT_OK(back);
        EXPECT_EQ(*back, off + p.buffer_offset);
    }
    EXPECT_ERRNO(file_offset(l, 3, 0, config::kMaxFileSize), EFBIG);
}

TEST(Striping, TypicalWideStripe) {
    // 1 MiB units over 4 servers starting at server 2: a 3 MiB write at 512 KiB.
    const Layout l{1 << 20, 4, 2};
    auto r = map_range(l, 4, 512 << 10, 3 << 20);
    ASSERT_OK(r);
    const std::vector<Piece> want{{2, 512 << 10, 512 << 10, 0},
                                  {3, 0, 1 << 20, 512 << 10},
                                  {0, 0, 1 << 20, (512 << 10) + (1 << 20)},
                                  {1, 0, 512 << 10, (512 << 10) + (2 << 20)}};
    EXPECT_EQ(*r, want);
}

}  // namespace
}  // namespace pfs::test
