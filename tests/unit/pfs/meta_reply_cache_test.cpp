// Reply cache: a mutating call repeated with the same request id (a client's retry after the
// meta rank died unanswered) returns the first outcome and changes nothing, also after the
// store was reopened (what an adopter does). Without the cache the retries below would fail
// with EEXIST / ENOENT although the first attempt took effect.
#include "meta_test_fixture.hpp"

namespace pfs::test {
namespace {

constexpr std::uint64_t kInc = 0xfeed;

ReqId id(std::uint64_t seq, std::uint32_t client = 3, std::uint64_t inc = kInc) {
    return ReqId{client, inc, seq};
}

class MetaReplyCache : public MetaTest {};

TEST_F(MetaReplyCache, CreateRetriedAfterReopenReturnsTheSameFileOnce) {
    auto a = m().create(root(), "f", {}, id(1));
    ASSERT_OK(a);
    reopen();
    auto b = m().create(root(), "f", {}, id(1));
    ASSERT_OK(b);
    EXPECT_EQ(a->ino, b->ino);
    EXPECT_EQ(a->gen, b->gen);
    EXPECT_EQ(names(root()), std::vector<std::string>{"f"});
    // No inode was allocated by the replay: the next file gets the next number.
    EXPECT_EQ(file(root(), "g").ino, a->ino + 1);
    // A new id (another logical create) still sees the name taken.
    EXPECT_ERRNO(m().create(root(), "f", {}, id(2)), EEXIST);
}

TEST_F(MetaReplyCache, UnlinkRetriedAfterReopenReportsTheFreedInode) {
    const auto f = file(root(), "f");
    auto a = m().unlink(root(), "f", id(7));
    ASSERT_OK(a);
    EXPECT_TRUE(a->freed);
    reopen();
    auto b = m().unlink(root(), "f", id(7));
    ASSERT_OK(b);
    EXPECT_TRUE(b->freed);
    EXPECT_EQ(b->inode.attr.ino, f.ino);
    EXPECT_EQ(b->inode.attr.layout, f.layout);  // the caller deletes these objects
    EXPECT_ERRNO(m().unlink(root(), "f", id(8)), ENOENT);
}

TEST_F(MetaReplyCache, EveryNamespaceChangeIsExactlyOnce) {
    const auto d = dir(root(), "d");
    const auto f = file(root(), "f");
    ASSERT_OK(m().mkdir(root(), "sub", 0755, 0, 0, id(1)));
    ASSERT_OK(m().link(f.ino, d.ino, "hard", id(2)));
    ASSERT_OK(m().symlink(d.ino, "sym", "/f", 0, 0, id(3)));
    ASSERT_OK(m().rename(root(), "f", d.ino, "moved", id(4)));
    ASSERT_OK(m().rmdir(root(), "sub", id(5)));
    ASSERT_OK(m().rename(d.ino, "sym", d.ino, "hard", id(6)));  // replaces "hard"
    reopen();
    auto mk = m().mkdir(root(), "sub", 0755, 0, 0, id(1));  // replayed: not re-created
    ASSERT_OK(mk);
    EXPECT_ERRNO(m().lookup(root(), "sub"), ENOENT);
    auto ln = m().link(f.ino, d.ino, "hard", id(2));
    ASSERT_OK(ln);
    EXPECT_EQ(ln->nlink, 2u);  // as answered the first time
    ASSERT_OK(m().symlink(d.ino, "sym", "/f", 0, 0, id(3)));
    ASSERT_OK(m().rename(root(), "f", d.ino, "moved", id(4)));
    ASSERT_OK(m().rmdir(root(), "sub", id(5)));
    auto rn = m().rename(d.ino, "sym", d.ino, "hard", id(6));
    ASSERT_OK(rn);
    ASSERT_TRUE(rn->replaced.has_value());
    EXPECT_EQ(rn->replaced->inode.attr.ino, f.ino);
    EXPECT_FALSE(rn->replaced->freed);  // "moved" still names it
    EXPECT_EQ(names(root()), std::vector<std::string>{"d"});
    EXPECT_EQ(names(d.ino), (std::vector<std::string>{"hard", "moved"}));
    EXPECT_EQ(m().stat(f.ino)->nlink, 1u);
}

TEST_F(MetaReplyCache, FailuresAreNotCachedAndOtherClientsAreNotConfused) {
    EXPECT_ERRNO(m().unlink(root(), "f", id(1)), ENOENT);
    file(root(), "f");
    // The failed attempt changed nothing, so its retry is a fresh attempt.
    ASSERT_OK(m().unlink(root(), "f", id(1)));
    // Same seq from another client rank or another incarnation: a different request.
    file(root(), "g");
    ASSERT_OK(m().create(root(), "h", {}, id(2)));
    EXPECT_ERRNO(m().create(root(), "h", {}, id(2, 4)), EEXIST);
    EXPECT_ERRNO(m().create(root(), "h", {}, id(2, 3, kInc + 1)), EEXIST);
    // No id: never cached.
    ASSERT_OK(m().unlink(root(), "g", ReqId{}));
    EXPECT_ERRNO(m().unlink(root(), "g", ReqId{}), ENOENT);
}

TEST_F(MetaReplyCache, TheWindowIsBoundedPerClient) {
    ASSERT_OK(m().create(root(), "first", {}, id(1)));
    for (std::uint64_t s = 2; s <= config::kReplyCacheSlots + 1; ++s)
        ASSERT_OK(m().create(root(), "n" + std::to_string(s), {}, id(s)));
    // Slot 1 now holds seq kReplyCacheSlots + 1: the old id is unknown and runs again.
    EXPECT_ERRNO(m().create(root(), "first", {}, id(1)), EEXIST);
    ASSERT_OK(m().create(root(), "n2", {}, id(2)));  // still in the window
}

}  // namespace
}  // namespace pfs::test
