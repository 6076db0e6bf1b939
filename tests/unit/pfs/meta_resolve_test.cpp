// Path resolution: validation errnos, ".", "..", symlinks, ELOOP, trailing slashes.
#include "meta_test_fixture.hpp"
#include "pfs/meta/names.hpp"

namespace pfs::test {
namespace {

class MetaResolve : public MetaTest {
  protected:
    void SetUp() override {
        MetaTest::SetUp();
        a_ = dir(root(), "a");
        b_ = dir(a_.ino, "b");
        f_ = file(b_.ino, "f");
    }
    Attr a_, b_, f_;
};

TEST_F(MetaResolve, PlainPaths) {
    EXPECT_EQ(m().resolve("/")->ino, root());
    EXPECT_EQ(m().resolve("/a/b/f")->ino, f_.ino);
    EXPECT_EQ(m().resolve("//a///b//f")->ino, f_.ino);
    EXPECT_EQ(m().resolve("/a/./b/../b/f")->ino, f_.ino);
    EXPECT_EQ(m().resolve("/../../a")->ino, a_.ino);  // ".." of the root is the root
    EXPECT_EQ(m().resolve("/a/b/")->ino, b_.ino);
}

TEST_F(MetaResolve, ValidationErrnos) {
    EXPECT_ERRNO(m().resolve(""), ENOENT);
    EXPECT_ERRNO(m().resolve("a/b"), EINVAL);
    EXPECT_ERRNO(m().resolve("/" + std::string(256, 'x')), ENAMETOOLONG);
    std::string longpath;
    while (longpath.size() < config::kPathMax) longpath += "/a";
    EXPECT_ERRNO(m().resolve(longpath), ENAMETOOLONG);
    EXPECT_ERRNO(m().resolve(std::string("/a\0b", 4)), EINVAL);
    EXPECT_ERRNO(m().resolve("/missing"), ENOENT);
    EXPECT_ERRNO(m().resolve("/a/b/f/x"), ENOTDIR);
    EXPECT_ERRNO(m().resolve("/a/b/f/"), ENOTDIR);
    EXPECT_ERRNO(m().resolve("/a/b/f/."), ENOTDIR);
}

TEST_F(MetaResolve, SymlinksIntermediateFinalAndRelative) {
    ASSERT_OK(m().symlink(root(), "abs", "/a/b", 0, 0));
    ASSERT_OK(m().symlink(a_.ino, "rel", "b/f", 0, 0));
    ASSERT_OK(m().symlink(b_.ino, "up", "../rel", 0, 0));
    EXPECT_EQ(m().resolve("/abs/f")->ino, f_.ino);
    // Final component: not followed unless asked (lstat vs stat) or a trailing slash.
    EXPECT_EQ(m().resolve("/abs")->type, FileType::symlink);
    EXPECT_EQ(m().resolve("/abs", true)->ino, b_.ino);
    EXPECT_EQ(m().resolve("/abs/")->ino, b_.ino);
    EXPECT_EQ(m().resolve("/a/rel", true)->ino, f_.ino);
    EXPECT_EQ(m().resolve("/a/b/up", true)->ino, f_.ino);
    ASSERT_OK(m().symlink(root(), "dangling", "/nope", 0, 0));
    EXPECT_EQ(m().resolve("/dangling")->type, FileType::symlink);
    EXPECT_ERRNO(m().resolve("/dangling", true), ENOENT);
    EXPECT_ERRNO(m().resolve("/dangling/x"), ENOENT);
}

TEST_F(MetaResolve, SymlinkLoopsGiveEloop) {
    ASSERT_OK(m().symlink(root(), "l1", "/l2", 0, 0));
    ASSERT_OK(m().symlink(root(), "l2", "/l1", 0, 0));
    EXPECT_ERRNO(m().resolve("/l1/x"), ELOOP);
    EXPECT_ERRNO(m().resolve("/l1", true), ELOOP);
    EXPECT_EQ(m().resolve("/l1")->type, FileType::symlink);
    // A chain of exactly the limit resolves; one more link is ELOOP.
    for (int i = 0; i < config::kSymlinkLoopLimit; ++i)
        ASSERT_OK(m().symlink(root(), "c" + std::to_string(i),
                              i == 0 ? std::string("/a") : "c" + std::to_string(i - 1), 0, 0));
    const auto last = "/c" + std::to_string(config::kSymlinkLoopLimit - 1);
    EXPECT_EQ(m().resolve(last, true)->ino, a_.ino);
    ASSERT_OK(m().symlink(root(), "over", last.substr(1), 0, 0));
    EXPECT_ERRNO(m().resolve("/over", true), ELOOP);
}

TEST_F(MetaResolve, ResolveParent) {
    auto p = m().resolve_parent("/a/b/newfile");
    ASSERT_OK(p);
    EXPECT_EQ(p->parent.ino, b_.ino);
    EXPECT_EQ(p->name, "newfile");
    ASSERT_OK(m().symlink(root(), "abs", "/a/b", 0, 0));
    EXPECT_EQ(m().resolve_parent("/abs/x")->parent.ino, b_.ino);
    EXPECT_EQ(m().resolve_parent("/abs")->parent.ino, root());  // final link not followed
    EXPECT_EQ(m().resolve_parent("/")->name, "");
    EXPECT_ERRNO(m().resolve_parent("/a/b/f/x"), ENOTDIR);
    EXPECT_ERRNO(m().resolve_parent("/nope/x"), ENOENT);
    EXPECT_ERRNO(m().resolve_parent("rel"), EINVAL);
}

TEST(MetaNames, SplitAndValidate) {
    EXPECT_ERRNO(meta::validate_name(""), EINVAL);
    EXPECT_ERRNO(meta::validate_name("a/b"), EINVAL);
    EXPECT_ERRNO(meta::validate_name(std::string(256, 'a')), ENAMETOOLONG);
    EXPECT_TRUE(meta::validate_name(std::string(255, 'a')).ok());
    EXPECT_TRUE(meta::validate_name("..").ok());
    auto s = meta::split_path("/x//y/./z/");
    ASSERT_OK(s);
    EXPECT_EQ(s->components, (std::vector<std::string_view>{"x", "y", ".", "z"}));
    EXPECT_TRUE(s->trailing_slash);
    EXPECT_FALSE(meta::split_path("/")->trailing_slash);
    EXPECT_TRUE(meta::split_path("/")->components.empty());
    EXPECT_ERRNO(meta::split_path(std::string(config::kPathMax, '/')), ENAMETOOLONG);
    EXPECT_TRUE(meta::split_path(std::string(config::kPathMax - 1, '/')).ok());
}

TEST_F(MetaResolve, CreateAtAndUnlinkAtResolveTheParentInTheirTransaction) {
    const auto d = dir(root(), "d");
    ASSERT_OK(m().symlink(root(), "ld", "/d", 0, 0));
    file(root(), "f");
    auto a = m().create_at("/ld", "x", {});  // parent path through a symlink
    ASSERT_OK(a);
    EXPECT_EQ(m().lookup(d.ino, "x")->ino, a->ino);
    EXPECT_ERRNO(m().create_at("/d", "x", {}), EEXIST);
    EXPECT_ERRNO(m().create_at("/f", "x", {}), ENOTDIR);
    EXPECT_ERRNO(m().create_at("/nope", "x", {}), ENOENT);
    EXPECT_ERRNO(m().create_at("/d", "..", {}), EEXIST);
    auto u = m().unlink_at("/d", "x", ReqId{1, 2, 3});
    ASSERT_OK(u);
    EXPECT_TRUE(u->freed);
    EXPECT_EQ(u->inode.attr.ino, a->ino);
    EXPECT_TRUE(m().unlink_at("/d", "x", ReqId{1, 2, 3}).ok());  // a retry: replayed
    EXPECT_ERRNO(m().unlink_at("/d", "x"), ENOENT);
    EXPECT_ERRNO(m().unlink_at("/", "d"), EISDIR);
    EXPECT_ERRNO(m().unlink_at("/f", "x"), ENOTDIR);
}

}  // namespace
}  // namespace pfs::test
