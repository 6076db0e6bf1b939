#include <gtest/gtest.h>

#include <set>

#include "dmapi/core/token.hpp"

using namespace dmapi::core;

TEST(DmCoreToken, EncodingRoundTripsAndIsNeverReserved) {
    for (int rank : {0, 1, 7, 4094}) {
        for (std::uint32_t seq : {1u, 2u, 12345u, kTokenMaxSeq}) {
            dm_token_t t = make_token(rank, seq);
            EXPECT_GT(t, 0);
            EXPECT_NE(t, DM_INVALID_TOKEN);
            EXPECT_NE(t, DM_NO_TOKEN);
            EXPECT_TRUE(token_valid(t));
            EXPECT_EQ(token_source(t), rank);
            EXPECT_EQ(token_seq(t), seq);
        }
    }
    EXPECT_EQ(make_token(4094, kTokenMaxSeq), 0x7fffffff);
}

TEST(DmCoreToken, InvalidValues) {
    EXPECT_FALSE(token_valid(DM_INVALID_TOKEN));
    EXPECT_FALSE(token_valid(DM_NO_TOKEN));
    EXPECT_FALSE(token_valid(-12345));
    EXPECT_FALSE(token_valid(5));                   // rank field 0: small integers are never tokens
    EXPECT_FALSE(token_valid(1 << kTokenSeqBits));  // sequence 0
    EXPECT_EQ(token_source(5), -1);
}

TEST(DmCoreToken, AllocatorIsUniqueAndSkipsOutstandingOnWrap) {
    TokenAllocator a(3, kTokenMaxSeq - 1);
    auto t1 = *a.allocate();  // seq max-1
    auto t2 = *a.allocate();  // seq max
    auto t3 = *a.allocate();  // wraps to 1, never 0
    EXPECT_EQ(token_seq(t1), kTokenMaxSeq - 1);
    EXPECT_EQ(token_seq(t2), kTokenMaxSeq);
    EXPECT_EQ(token_seq(t3), 1u);
    EXPECT_EQ(token_source(t3), 3);
    // Still outstanding: t1 (max-1) is skipped when the sequence comes round again.
    TokenAllocator b(0, kTokenMaxSeq);
    auto m = *b.allocate();
    EXPECT_EQ(token_seq(m), kTokenMaxSeq);
    auto one = *b.allocate();
    EXPECT_EQ(token_seq(one), 1u);
    b.release(m);
    EXPECT_FALSE(b.outstanding(m));
    EXPECT_TRUE(b.outstanding(one));
}

TEST(DmCoreToken, AllocatorExhaustionAndReuse) {
    TokenAllocator a(1);
    std::set<dm_token_t> seen;
    for (std::uint32_t i = 0; i < kTokenMaxSeq; ++i) {
        auto t = a.allocate();
        ASSERT_TRUE(t.has_value());
        ASSERT_TRUE(seen.insert(*t).second);
    }
    EXPECT_FALSE(a.allocate().has_value());  // every sequence outstanding
    dm_token_t some = make_token(1, 777);
    a.release(some);
    auto again = a.allocate();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, some);  // the only free value
}

TEST(DmCoreToken, RangesAreDisjointAndWrapInside) {
    constexpr std::uint32_t half = kTokenMaxSeq / 2;
    TokenAllocator sync(2, 1, 1, half), async(2, 1, half + 1, kTokenMaxSeq);
    auto a = *async.allocate();
    EXPECT_EQ(token_seq(a), half + 1);  // first_seq below the range: starts at lo
    EXPECT_TRUE(async.owns(a));
    EXPECT_FALSE(sync.owns(a));
    TokenAllocator edge(2, half, 1, half);
    EXPECT_EQ(token_seq(*edge.allocate()), half);
    EXPECT_EQ(token_seq(*edge.allocate()), 1u);  // wraps to lo, not into the other range
}
